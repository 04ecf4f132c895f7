"""Benchmark: the full Google analogy evaluation with geomlab and with gensim, in one run.

Both evaluate the embedded GloVe 6B 50d on gensim's copy of the Google set with gensim's
defaults (first 300,000 words, case folded, inputs excluded). The script checks that the
two agree question by question, then prints both wall times (geomlab: the median of
--runs) and CPU times, their ratios, and the load average: on a shared machine the
timings are only as good as the machine was quiet.

    python scripts/bench_geometry.py                  # about 2-3 minutes (gensim's part)
    python scripts/bench_geometry.py --json bench.json

Uses only the public API (and gensim, which is a dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter


def gensim_outcomes(sections) -> Counter:
    """(section, A, B, C, D, correct) multiset from gensim's per-section lists."""
    out = Counter()
    for s in sections:
        if s["section"] == "Total accuracy":
            continue
        for key, ok in (("correct", True), ("incorrect", False)):
            for quad in s[key]:
                out[(s["section"], *quad, ok)] += 1
    return out


def geomlab_outcomes(result) -> Counter:
    return Counter(
        (q.section, q.a.upper(), q.b.upper(), q.c.upper(), q.expected.upper(), q.correct)
        for q in result.questions
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--questions", metavar="PATH", help="a question file (default: gensim's Google set)"
    )
    ap.add_argument(
        "--restrict-vocab",
        type=int,
        default=300_000,
        metavar="N",
        help="questions and candidates from the first N words (default 300000)",
    )
    ap.add_argument(
        "--runs",
        type=int,
        default=3,
        metavar="N",
        help="geomlab runs (the median is reported; gensim runs once)",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from gensim.test.utils import datapath

    import geomlab

    path = args.questions or datapath("questions-words.txt")
    emb = geomlab.load()
    kv = emb.to_gensim()

    walls, cpus = [], []
    for _ in range(args.runs):
        load_before = os.getloadavg()[0]
        t, c = time.perf_counter(), time.process_time()
        result = geomlab.evaluate_analogies(
            emb, path, restrict_vocab=args.restrict_vocab, progress=False
        )
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        print(
            f"geomlab: {result.n_correct} / {result.n_evaluated} = {result.accuracy:.6f} "
            f"({result.n_oov} skipped) in {walls[-1]:.2f} s (CPU {cpus[-1]:.1f} s, load "
            f"average {load_before:.1f})",
            flush=True,
        )
    t_geomlab, c_geomlab = statistics.median(walls), statistics.median(cpus)

    load_before = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    g_score, g_sections = kv.evaluate_word_analogies(path, restrict_vocab=args.restrict_vocab)
    t_gensim, c_gensim = time.perf_counter() - t, time.process_time() - c
    g_total = g_sections[-1]
    g_correct, g_n = len(g_total["correct"]), len(g_total["correct"]) + len(g_total["incorrect"])
    print(
        f"gensim:  {g_correct} / {g_n} = {g_score:.6f} in {t_gensim:.2f} s (CPU "
        f"{c_gensim:.1f} s, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f})",
        flush=True,
    )

    theirs, ours = gensim_outcomes(g_sections), geomlab_outcomes(result)
    differ = sorted((theirs - ours) + (ours - theirs))
    identical = not differ and g_correct == result.n_correct and g_n == result.n_evaluated
    ratio = t_gensim / t_geomlab
    print(
        f"per-question outcomes identical: {identical}"
        + ("" if identical else f" ({len(differ)} differ, e.g. {differ[:3]})")
    )
    print(
        f"speed-up: {ratio:.1f}x wall clock (gensim {t_gensim:.1f} s / geomlab median "
        f"{t_geomlab:.2f} s); {c_gensim / c_geomlab:.1f}x in CPU time"
    )

    figures = {
        "dataset": str(path),
        "restrict_vocab": args.restrict_vocab,
        "geomlab": {
            "n_correct": result.n_correct,
            "n_evaluated": result.n_evaluated,
            "accuracy": result.accuracy,
            "seconds": t_geomlab,
            "cpu_seconds": c_geomlab,
            "runs": walls,
        },
        "gensim": {
            "n_correct": g_correct,
            "n_evaluated": g_n,
            "accuracy": g_score,
            "seconds": t_gensim,
            "cpu_seconds": c_gensim,
        },
        "identical": identical,
        "speedup": ratio,
        "speedup_cpu": c_gensim / c_geomlab,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
    }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
            fh.write("\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
