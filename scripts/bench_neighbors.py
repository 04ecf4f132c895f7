"""Nearest neighbors, side by side: geomlab (batched) vs gensim ``most_similar`` (per query).

Measures, in one run on the embedded GloVe 6B 50d (400,000 x 50):

* one neighbor query (``k=10``): ``geomlab.nearest(emb, word)`` vs
  ``kv.most_similar(word, topn=10)`` (median of ``--single-runs``, rotating over words),
* ``--n`` neighbor queries (the first, most frequent words, ``k=10``):
  ``geomlab.nearest(emb, words)`` (one blocked matrix product) vs a loop of
  ``kv.most_similar`` (median of ``--runs`` each),

checks that both return the same neighbors, and prints the ratios (target: >= 10x for
1,000 queries). ``--blas-threads N`` limits the BLAS threads of both sides (threadpoolctl):
on a machine whose cores are busy with other work, 1 thread avoids BLAS threads spinning
against each other; on an idle machine the default (all cores) is fastest.

Usage::

    python scripts/bench_neighbors.py [--n 1000] [--runs 3] [--blas-threads N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="queries in the batch (default 1000)")
    parser.add_argument("--k", type=int, default=10, help="neighbors per query (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the batch measure (median)")
    parser.add_argument(
        "--single-runs", type=int, default=30, help="runs of the single-query measure (median)"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        metavar="N",
        help="limit BLAS threads for both sides (default: BLAS's own choice)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write the results as JSON"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GEOMLAB_NO_PROGRESS", "1")
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")

    import numpy as np

    import geomlab

    emb = geomlab.load()
    kv = emb.to_gensim()
    kv.fill_norms()
    words = list(emb.words[: args.n])
    k = args.k

    # warm both (norms, BLAS threads, caches) and check they agree
    batch = geomlab.nearest(emb, words, k=k)
    mismatched = 0
    max_diff = 0.0
    for w, r in zip(words, batch):
        g = kv.most_similar(w, topn=k)
        if r.words != tuple(x for x, _ in g):
            mismatched += 1
        max_diff = max(max_diff, float(np.abs(r.scores - [s for _, s in g]).max()))

    probe = iter(range(10**9))
    single_words = words[:50]

    def geomlab_one():
        geomlab.nearest(emb, single_words[next(probe) % len(single_words)], k=k)

    def gensim_one():
        kv.most_similar(single_words[next(probe) % len(single_words)], topn=k)

    one_geomlab = median_time(geomlab_one, args.single_runs)
    one_gensim = median_time(gensim_one, args.single_runs)
    many_geomlab = median_time(lambda: geomlab.nearest(emb, words, k=k), args.runs)
    many_gensim = median_time(lambda: [kv.most_similar(w, topn=k) for w in words], args.runs)

    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "vectors": f"{len(emb):,} x {emb.dim} ({emb.source})",
        "blas_threads": args.blas_threads or "default",
        "load_average_1min": os.getloadavg()[0],
        "n_queries": args.n,
        "k": k,
        "same_neighbors": f"{args.n - mismatched}/{args.n} queries identical, "
        f"max score difference {max_diff:.2g}",
        "one_query_geomlab_ms": one_geomlab * 1e3,
        "one_query_gensim_ms": one_gensim * 1e3,
        "one_query_ratio": one_gensim / one_geomlab,
        "batch_geomlab_s": many_geomlab,
        "batch_gensim_s": many_gensim,
        "batch_ratio": many_gensim / many_geomlab,
    }
    print(
        f"machine: {results['machine']}; vectors: {results['vectors']}; BLAS threads: "
        f"{results['blas_threads']}; load average now: {os.getloadavg()[0]:.1f}"
    )
    print(f"agreement with gensim: {results['same_neighbors']}")
    print(f"{'':24}{'geomlab':>12}{'gensim':>12}{'ratio':>9}")
    print(
        f"{'one query (ms)':24}{one_geomlab * 1e3:12.2f}{one_gensim * 1e3:12.2f}"
        f"{one_gensim / one_geomlab:8.1f}x"
    )
    print(
        f"{f'{args.n:,} queries (s)':24}{many_geomlab:12.3f}{many_gensim:12.3f}"
        f"{many_gensim / many_geomlab:8.1f}x"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
