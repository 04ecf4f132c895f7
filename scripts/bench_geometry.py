"""Benchmark: the full Google analogy evaluation with geomlab and with gensim, in one run.

Both evaluate the embedded GloVe 6B 50d on gensim's copy of the Google set with gensim's
defaults (first 300,000 words, case folded, inputs excluded). The script checks that the
two agree question by question, then prints both wall times and their ratio.

    python scripts/bench_geometry.py                  # about 2-3 minutes (gensim's part)
    python scripts/bench_geometry.py --json bench.json

Uses only the public API (and gensim, which is a dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", metavar="PATH",
                    help="a question file (default: gensim's Google set)")
    ap.add_argument("--restrict-vocab", type=int, default=300_000, metavar="N",
                    help="questions and candidates from the first N words (default 300000)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from gensim.test.utils import datapath

    import geomlab

    path = args.questions or datapath("questions-words.txt")
    emb = geomlab.load()
    kv = emb.to_gensim()

    t = time.perf_counter()
    result = geomlab.evaluate_analogies(emb, path, restrict_vocab=args.restrict_vocab,
                                        progress=False)
    t_geomlab = time.perf_counter() - t
    print(f"geomlab: {result.n_correct} / {result.n_evaluated} = {result.accuracy:.6f} "
          f"({result.n_oov} skipped) in {t_geomlab:.2f} s", flush=True)

    t = time.perf_counter()
    g_score, g_sections = kv.evaluate_word_analogies(path, restrict_vocab=args.restrict_vocab)
    t_gensim = time.perf_counter() - t
    g_total = g_sections[-1]
    g_correct, g_n = len(g_total["correct"]), len(g_total["correct"]) + len(g_total["incorrect"])
    print(f"gensim:  {g_correct} / {g_n} = {g_score:.6f} in {t_gensim:.2f} s", flush=True)

    theirs, ours = gensim_outcomes(g_sections), geomlab_outcomes(result)
    differ = sorted((theirs - ours) + (ours - theirs))
    identical = not differ and g_correct == result.n_correct and g_n == result.n_evaluated
    ratio = t_gensim / t_geomlab
    print(f"per-question outcomes identical: {identical}"
          + ("" if identical else f" ({len(differ)} differ, e.g. {differ[:3]})"))
    print(f"speed-up: {ratio:.1f}x (gensim {t_gensim:.1f} s / geomlab {t_geomlab:.2f} s)")

    figures = {
        "dataset": str(path),
        "restrict_vocab": args.restrict_vocab,
        "geomlab": {"n_correct": result.n_correct, "n_evaluated": result.n_evaluated,
                    "accuracy": result.accuracy, "seconds": t_geomlab},
        "gensim": {"n_correct": g_correct, "n_evaluated": g_n, "accuracy": g_score,
                   "seconds": t_gensim},
        "identical": identical,
        "speedup": ratio,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": sys.version.split()[0]},
    }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
            fh.write("\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
