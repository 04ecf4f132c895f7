"""Text loading, side by side: gensim vs geomlab on the full GloVe 6B 50d text file.

Measures, in one run on the same file:

* gensim ``KeyedVectors.load_word2vec_format(path, no_header=True)`` (once: it is slow),
* geomlab ``load(path, cache=False)``: parsing alone (median of ``--runs``),
* geomlab ``load(path)`` with an empty cache: parsing plus writing the binary cache,
* geomlab ``load(path)`` again: the cached reload, memory-mapped (median of ``--runs``),

checks that gensim and geomlab read the same words and vectors, and prints the ratios.
The file is written by ``scripts/make_glove_text.py`` when it does not exist yet.

Usage::

    python scripts/bench_load.py [/tmp/glove.6B.50d.txt] [--runs 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=Path("/tmp/glove.6B.50d.txt"),
        help="GloVe text file (default: /tmp/glove.6B.50d.txt; made if missing)",
    )
    parser.add_argument("--runs", type=int, default=3, help="geomlab runs per measure (median)")
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write the results as JSON"
    )
    parser.add_argument(
        "--no-gensim", action="store_true", help="skip gensim (no ratio); for quick checks"
    )
    args = parser.parse_args(argv)

    if not args.path.exists():
        maker = Path(__file__).with_name("make_glove_text.py")
        subprocess.run([sys.executable, str(maker), str(args.path)], check=True)
    os.environ["GEOMLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="geomlab-bench-cache-")
    os.environ.setdefault("GEOMLAB_NO_PROGRESS", "1")

    import numpy as np

    import geomlab

    size_mb = args.path.stat().st_size / 1e6
    results: dict = {
        "file": str(args.path),
        "file_mb": round(size_mb, 1),
        "runs": args.runs,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }

    parse_times = []
    for _ in range(args.runs):
        t, emb = timed(lambda: geomlab.load(args.path, cache=False))
        parse_times.append(t)
    first_cached, _ = timed(lambda: geomlab.load(args.path))
    reload_times = []
    for _ in range(args.runs):
        t, cached = timed(lambda: geomlab.load(args.path))
        assert cached.load_report.cache == "hit"
        reload_times.append(t)
    results["geomlab_parse_s"] = statistics.median(parse_times)
    results["geomlab_parse_runs_s"] = parse_times
    results["geomlab_first_load_with_cache_write_s"] = first_cached
    results["geomlab_cached_reload_s"] = statistics.median(reload_times)
    results["words"], results["dim"] = len(emb), emb.dim

    if not args.no_gensim:
        import gensim
        from gensim.models import KeyedVectors

        t, kv = timed(lambda: KeyedVectors.load_word2vec_format(str(args.path), no_header=True))
        results["gensim_version"] = gensim.__version__
        results["gensim_s"] = t
        results["same_words_and_vectors"] = bool(
            list(kv.index_to_key) == list(emb.words) and np.array_equal(kv.vectors, emb.vectors)
        )
        results["speedup_parse_vs_gensim"] = t / results["geomlab_parse_s"]
        results["speedup_cached_reload_vs_gensim"] = t / results["geomlab_cached_reload_s"]
    results["cached_reload_vs_first_load"] = (
        results["geomlab_first_load_with_cache_write_s"] / results["geomlab_cached_reload_s"]
    )

    print(f"{args.path} ({size_mb:.0f} MB, {results['words']:,} words x {results['dim']})")
    rows = []
    if "gensim_s" in results:
        rows.append(("gensim load_word2vec_format(no_header=True)", results["gensim_s"]))
    rows += [
        (f"geomlab load(cache=False), median of {args.runs}", results["geomlab_parse_s"]),
        ("geomlab load(), first: parse + write cache", first_cached),
        (
            f"geomlab load(), cached reload, median of {args.runs}",
            results["geomlab_cached_reload_s"],
        ),
    ]
    for label, seconds in rows:
        print(f"  {label:<52} {seconds:8.3f} s")
    if "gensim_s" in results:
        print(f"  parse speedup over gensim:         {results['speedup_parse_vs_gensim']:.1f}x")
        print(
            f"  cached reload speedup over gensim: "
            f"{results['speedup_cached_reload_vs_gensim']:.0f}x"
        )
        print(f"  same words and vectors as gensim:  {results['same_words_and_vectors']}")
    print(f"  cached reload vs first load:       {results['cached_reload_vs_first_load']:.0f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
