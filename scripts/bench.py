"""geomlab and gensim side by side on the embedded GloVe 6B 50d, one table, one run.

Every measure runs in its own subprocess (so each has its own peak memory, ``ru_maxrss``)
and is repeated ``--runs`` times (median; gensim's 2-minute analogy evaluation runs once):

* text load of the full GloVe text file (made by ``scripts/make_glove_text.py`` in a
  temporary folder): ``geomlab.load(path, cache=False)`` vs gensim's
  ``load_word2vec_format(path, no_header=True)``;
* cached reload: ``geomlab.load(path)`` from its memory-mapped cache vs gensim's
  ``KeyedVectors.load(native file, mmap="r")``; geomlab's first load (parse + write the
  cache) is timed too;
* one neighbor query (``nearest`` vs ``most_similar``, top 10 of the whole vocabulary);
* 1,000 neighbor queries: one batched ``nearest`` call vs a ``most_similar`` loop;
* the full Google analogy evaluation, 3CosAdd (gensim's defaults: first 300,000 words),
  with the share of candidate scores geomlab's pruned pass computed exactly; and
  geomlab's 3CosMul and PairDirection on the same set (gensim's evaluation has no such
  option), against 3CosAdd's time;
* WordSim-353 and SimLex-999 (gensim's copies), ``evaluate_similarity`` vs
  ``evaluate_word_pairs``;

then the brute-force floor of the analogy evaluation: the multiply-adds of scoring every
candidate (questions x candidates x dimensions) at this machine's measured float32
matrix-multiply rate.

    python scripts/bench.py                          # about 6-8 minutes on 2 cores
    python scripts/bench.py --json bench.json --runs 5
    python scripts/bench.py --quick                  # geomlab only, 1 run: a smoke test

The load average is recorded before and after each measure: the timings are only as good
as the machine was quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Some machines here set these to force OpenBLAS's AVX2 "Haswell" kernels (older OpenBLAS
# builds misbehave on their processors); a current numpy then runs at half its speed. The
# measures run without them unless --keep-blas-env; the kernel used is recorded.
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
N_QUERIES = 1000
GRAPH_WORDS = 50_000
ONE_QUERY_REPEATS = 25


# ---------------------------------------------------------------------------------------
# the measures, each run inside a worker subprocess
# ---------------------------------------------------------------------------------------
_CPU: list[float] = []  # CPU seconds (all threads) of every timed call, in order


def _timed(fn):
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    _CPU.append(time.process_time() - c0)
    return wall, out


def _query_words(ctx: dict, n: int) -> list[str]:
    """``n`` words drawn (seeded) from the 50,000 most frequent; the same for both."""
    return ctx["query_words"][:n]


def _gensim_kv(ctx: dict):
    from gensim.models import KeyedVectors

    return KeyedVectors.load(ctx["gensim_native"], mmap="r")


def _geomlab_emb(ctx: dict):
    import geomlab

    return geomlab.load(ctx["glove"])  # the cache is warm: memory-mapped


def m_text_load(lib: str, ctx: dict, runs: int) -> dict:
    if lib == "geomlab":
        import geomlab

        times = [_timed(lambda: geomlab.load(ctx["glove"], cache=False))[0] for _ in range(runs)]
    else:
        from gensim.models import KeyedVectors

        times = [
            _timed(
                lambda: KeyedVectors.load_word2vec_format(
                    ctx["glove"], binary=False, no_header=True
                )
            )[0]
            for _ in range(runs)
        ]
    return {"times": times}


def m_first_load(lib: str, ctx: dict, runs: int) -> dict:
    """geomlab: parse + write the cache (each run into an empty cache folder)."""
    import geomlab

    times = []
    for _ in range(runs):
        os.environ["GEOMLAB_CACHE_DIR"] = tempfile.mkdtemp(dir=ctx["tmp"], prefix="first-")
        t, emb = _timed(lambda: geomlab.load(ctx["glove"]))
        assert emb.load_report.cache == "written", emb.load_report.cache
        times.append(t)
    return {"times": times}


def m_cached_reload(lib: str, ctx: dict, runs: int) -> dict:
    if lib == "geomlab":
        import geomlab

        def once():
            emb = geomlab.load(ctx["glove"])
            assert emb.load_report.cache == "hit", emb.load_report.cache
            return emb
    else:

        def once():
            return _gensim_kv(ctx)

    return {"times": [_timed(once)[0] for _ in range(runs)]}


def m_one_query(lib: str, ctx: dict, runs: int) -> dict:
    words = _query_words(ctx, ONE_QUERY_REPEATS * runs)
    if lib == "geomlab":
        import geomlab

        emb = _geomlab_emb(ctx)
        geomlab.nearest(emb, "king", k=10)  # warm: row norms computed once

        def query(w):
            return geomlab.nearest(emb, w, k=10)
    else:
        kv = _gensim_kv(ctx)
        kv.most_similar("king", topn=10)

        def query(w):
            return kv.most_similar(w, topn=10)

    _CPU.clear()
    per = [_timed(lambda w=w: query(w))[0] for w in words]

    # one "run" = the median of ONE_QUERY_REPEATS single queries
    def medians(xs):
        return [
            statistics.median(xs[i : i + ONE_QUERY_REPEATS])
            for i in range(0, len(xs), ONE_QUERY_REPEATS)
        ]

    cpu = medians(_CPU)
    _CPU[:] = cpu
    return {"times": medians(per)}


def m_queries_1000(lib: str, ctx: dict, runs: int) -> dict:
    words = _query_words(ctx, N_QUERIES)
    if lib == "geomlab":
        import geomlab

        emb = _geomlab_emb(ctx)
        # warm-up: a batch takes the tiled route, whose compiled loop loads on first use
        geomlab.nearest(emb, words[:16], k=10)
        times, out = [], None
        for _ in range(runs):
            t, res = _timed(lambda: geomlab.nearest(emb, words, k=10))
            times.append(t)
            out = [list(r.words) for r in res]
    else:
        kv = _gensim_kv(ctx)
        kv.most_similar("king", topn=10)
        times, out = [], None
        for _ in range(runs):
            t, res = _timed(lambda: [kv.most_similar(w, topn=10) for w in words])
            times.append(t)
            out = [[w for w, _ in r] for r in res]
    return {"times": times, "answers": out}


def m_analogy(lib: str, ctx: dict, runs: int) -> dict:
    if lib == "geomlab":
        import geomlab

        emb = _geomlab_emb(ctx)
        times, res = [], None
        for _ in range(runs):
            t, res = _timed(lambda: geomlab.evaluate_analogies(emb, "google", method="3cosadd"))
            times.append(t)
        return {
            "times": times,
            "correct": res.n_correct,
            "evaluated": res.n_evaluated,
            "accuracy": res.accuracy,
            "scored_exactly": res.scored_exactly,
        }
    from gensim.test.utils import datapath

    kv = _gensim_kv(ctx)
    times, res = [], None
    for _ in range(runs):
        t, res = _timed(lambda: kv.evaluate_word_analogies(datapath("questions-words.txt")))
        times.append(t)
    total = res[1][-1]
    n_ok, n_bad = len(total["correct"]), len(total["incorrect"])
    return {"times": times, "correct": n_ok, "evaluated": n_ok + n_bad, "accuracy": res[0]}


def m_analogy_methods(lib: str, ctx: dict, runs: int) -> dict:
    """geomlab only: the Google evaluation with 3CosMul and PairDirection.

    ``times`` are 3CosMul's (the row's median); PairDirection's are kept beside them.
    """
    import geomlab

    emb = _geomlab_emb(ctx)
    out = {}
    for method in ("3cosmul", "pairdirection"):
        times, res = [], None
        for _ in range(runs):
            t, res = _timed(lambda m=method: geomlab.evaluate_analogies(emb, "google", method=m))
            times.append(t)
        out[method] = {
            "times": times,
            "median": statistics.median(times),
            "correct": res.n_correct,
            "scored_exactly": res.scored_exactly,
        }
    cpu = _CPU[-2 * runs :]
    _CPU[:] = cpu[:runs]  # the row's CPU times: 3CosMul's
    out["pairdirection"]["cpu_times"] = cpu[runs:]
    return {"times": out["3cosmul"]["times"], **out}


def m_similarity(lib: str, ctx: dict, runs: int) -> dict:
    if lib == "geomlab":
        import geomlab

        emb = _geomlab_emb(ctx)

        def both():
            return [
                geomlab.evaluate_similarity(emb, d).spearman for d in ("wordsim353", "simlex999")
            ]
    else:
        from gensim.test.utils import datapath

        kv = _gensim_kv(ctx)

        def both():
            return [
                kv.evaluate_word_pairs(datapath(f))[1].statistic
                for f in ("wordsim353.tsv", "simlex999.txt")
            ]

    times, rho = [], None
    for _ in range(runs):
        t, rho = _timed(both)
        times.append(t)
    return {"times": times, "spearman_ws353_simlex": [round(float(r), 6) for r in rho]}


def m_graph(lib: str, ctx: dict, runs: int) -> dict:
    """geomlab only: the exact 10-nearest-neighbor graph of the first 50,000 words."""
    import geomlab

    emb = _geomlab_emb(ctx).head(GRAPH_WORDS)
    return {"times": [_timed(lambda: geomlab.neighbor_graph(emb, k=10))[0] for _ in range(runs)]}


def m_sgemm(lib: str, ctx: dict, runs: int) -> dict:
    """The machine's float32 matrix-multiply rate, in multiply-adds per second.

    ``square``: one 2048^3 product, BLAS on every core (the compute peak). ``analogy``:
    the products the Google evaluation must do, and nothing else: blocks of 256 unit
    query vectors x the 300,000 x 50 candidate rows in tiles of 4,096, on one thread per
    core with one BLAS thread each, as geomlab's evaluation runs them.
    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from threadpoolctl import threadpool_limits

    import geomlab

    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, 2048), dtype=np.float32)
    a @ a
    sq = [_timed(lambda: a @ a)[0] for _ in range(runs)]
    pool = np.ascontiguousarray(geomlab.load().vectors[:300_000])
    nq = ctx["questions"]
    queries = rng.standard_normal((nq, pool.shape[1]), dtype=np.float32)
    blocks = [(s, min(s + 256, nq)) for s in range(0, nq, 256)]

    def block(b):
        out = np.empty((b[1] - b[0], 4096), np.float32)
        for c0 in range(0, len(pool), 4096):
            tile = pool[c0 : c0 + 4096]
            np.matmul(queries[b[0] : b[1]], tile.T, out=out[:, : len(tile)])

    def all_blocks():
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
            list(ex.map(block, blocks))

    with threadpool_limits(limits=1, user_api="blas"):
        all_blocks()  # warm
        an = [_timed(all_blocks)[0] for _ in range(runs)]
    return {
        "times": an,
        "square_rate": 2048**3 / statistics.median(sq),
        "analogy_rate": nq * len(pool) * pool.shape[1] / statistics.median(an),
        "blas": _blas_info(),
    }


def _blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for i in threadpool_info()
        ]
    except Exception:  # noqa: BLE001 - informative only
        return []


MEASURES = {
    "text_load": m_text_load,
    "first_load": m_first_load,
    "cached_reload": m_cached_reload,
    "one_query": m_one_query,
    "queries_1000": m_queries_1000,
    "analogy": m_analogy,
    "analogy_methods": m_analogy_methods,
    "similarity": m_similarity,
    "graph": m_graph,
    "sgemm": m_sgemm,
}


def worker(measure: str, lib: str, ctx: dict, runs: int) -> None:
    os.environ["GEOMLAB_CACHE_DIR"] = ctx["cache"]
    os.environ["GEOMLAB_NO_PROGRESS"] = "1"
    # imports happen before the clock starts: a measure times the work, not the imports
    if lib == "geomlab":
        import geomlab._save
        import geomlab.loaders.cache
        import geomlab.loaders.read  # noqa: F401
    elif lib == "gensim":
        import gensim.models  # noqa: F401
    out = MEASURES[measure](lib, ctx, runs)
    # the timed calls are the last len(times) ones (sgemm warms up with one more)
    out["cpu_times"] = _CPU[-len(out["times"]) :]
    out["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    out["blas"] = _blas_info()
    sys.stdout.write("\n" + json.dumps(out) + "\n")


# ---------------------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------------------
def run(measure: str, lib: str, ctx: dict, runs: int) -> dict:
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    env = dict(os.environ)
    if not ctx["keep_blas_env"]:
        for name in BLAS_ENV:
            env.pop(name, None)
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            measure,
            "--lib",
            lib,
            "--runs",
            str(runs),
            "--ctx",
            json.dumps(ctx),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{measure}/{lib} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["median"] = statistics.median(out["times"])
    out["cpu_median"] = statistics.median(out["cpu_times"])
    out["wall"] = time.perf_counter() - t0
    out["loadavg_before"] = [round(x, 2) for x in load0]
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(
        f"  {measure:<14} {lib:<8} median {_fmt_s(out['median']):>9}  "
        f"CPU {_fmt_s(out['cpu_median']):>9}  "
        f"peak {out['maxrss'] / 2**20:7.0f} MiB  (runs {len(out['times'])}, "
        f"load {out['loadavg_before'][0]:.1f})",
        flush=True,
    )
    return out


def _fmt_s(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def _prepare(tmp: Path, glove: Path | None, runs: int) -> dict:
    if glove is None:
        glove = tmp / "glove.6B.50d.txt"
        subprocess.run(
            [sys.executable, str(HERE / "make_glove_text.py"), str(glove)],
            check=True,
            capture_output=True,
        )
    cache = tmp / "cache"
    ctx = {
        "glove": str(glove),
        "cache": str(cache),
        "tmp": str(tmp),
        "gensim_native": str(tmp / "glove.kv"),
    }
    env = {**os.environ, "GEOMLAB_CACHE_DIR": str(cache), "GEOMLAB_NO_PROGRESS": "1"}
    # warm the caches both libraries reload from: geomlab's entry, gensim's native file
    code = (
        "import sys, json, geomlab\n"
        "emb = geomlab.load(sys.argv[1])\n"
        "emb.to_gensim().save(sys.argv[2])\n"
        "import numpy as np\n"
        "rng = np.random.default_rng(7)\n"
        "pick = rng.choice(50_000, size=int(sys.argv[3]), replace=False)\n"
        "print(json.dumps({'words': len(emb), 'dim': emb.dim,\n"
        "                  'query_words': [emb.words[i] for i in pick]}))\n"
    )
    n_words = max(N_QUERIES, ONE_QUERY_REPEATS * runs)
    out = subprocess.run(
        [sys.executable, "-c", code, ctx["glove"], ctx["gensim_native"], str(n_words)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    ctx.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return ctx


ROWS = [  # (label, measure, target ratio gensim/geomlab or None)
    ("text load of the GloVe file", "text_load", 3),
    ("cached reload", "cached_reload", None),
    ("one neighbor query", "one_query", None),
    (f"{N_QUERIES:,} neighbor queries", "queries_1000", 15),
    ("Google analogies, 3CosAdd", "analogy", 25),
    ("Google analogies, 3CosMul (geomlab only)", "analogy_methods", None),
    ("WS353 + SimLex-999", "similarity", None),
    (f"neighbor graph, first {GRAPH_WORDS:,} words, k=10 (geomlab only)", "graph", None),
]


def table(results: dict) -> str:
    """Markdown: wall-clock medians and their ratio, the CPU-time ratio, peak memory."""
    lines = [
        (
            "| measure | geomlab | gensim 4.4 | gensim / geomlab | target | "
            "CPU time gensim / geomlab | peak memory geomlab | peak memory gensim |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, key, target in ROWS:
        g = results["measures"].get(key, {}).get("geomlab")
        o = results["measures"].get(key, {}).get("gensim")
        if g is None:
            continue
        ratio = f"{o['median'] / g['median']:.1f}x" if o else "-"
        cpu = f"{o['cpu_median'] / g['cpu_median']:.1f}x" if o else "-"
        tgt = f">= {target}x" if target else ""
        if target and o and o["median"] / g["median"] < target:
            tgt += " (missed)"
        mem_g = f"{g['maxrss'] / 2**20:.0f} MiB"
        mem_o = f"{o['maxrss'] / 2**20:.0f} MiB" if o else "-"
        lines.append(
            f"| {label} | {_fmt_s(g['median'])} | "
            f"{_fmt_s(o['median']) if o else '-'} | {ratio} | {tgt} | {cpu} | "
            f"{mem_g} | {mem_o} |"
        )
    first = results["measures"].get("first_load", {}).get("geomlab")
    reload = results["measures"].get("cached_reload", {}).get("geomlab")
    if first and reload:
        ratio = first["median"] / reload["median"]
        lines.append(
            f"| geomlab first load (parse + write cache) | {_fmt_s(first['median'])} "
            f"| | {ratio:.1f}x slower than the cached reload | >= 10x"
            f"{'' if ratio >= 10 else ' (missed)'} | | "
            f"{first['maxrss'] / 2**20:.0f} MiB | |"
        )
    return "\n".join(lines)


def floor_text(results: dict) -> str:
    f = results.get("floor")
    if not f:
        return ""
    kernel = (
        ", ".join(f"{b.get('internal_api')} {b.get('architecture')}" for b in f.get("blas", []))
        or "BLAS"
    )
    return (
        f"Floor of the Google evaluation: {f['questions']:,} questions x {f['candidates']:,} "
        f"candidates x {f['dim']} dims = {f['multiply_adds']:.3g} multiply-adds. Measured "
        f"float32 matmul rate ({kernel}): {f['square_rate'] / 1e9:.1f} G multiply-adds/s "
        f"(2048^3, all "
        f"cores), {f['analogy_rate'] / 1e9:.1f} G/s for the evaluation's own product shape "
        f"(256 x 50 x 4096 tiles, one BLAS thread per core), i.e. the bare products take "
        f"{f['products_s']:.2f} s: the brute-force floor. geomlab's whole evaluation, "
        f"which scores exactly only the candidates its bounds cannot rule out, takes "
        f"{f['geomlab_s']:.2f} s ({f['vs_products']:.2f}x the floor's speed; in CPU time "
        f"{f['geomlab_cpu_s']:.2f} s against {f['products_cpu_s']:.2f} s for the bare "
        f"products, {f['vs_products_cpu']:.2f}x)."
    )


def analogy_text(results: dict) -> str:
    """The pruned pass: the share scored exactly, the other methods against 3CosAdd."""
    add = results["measures"].get("analogy", {}).get("geomlab")
    other = results["measures"].get("analogy_methods", {}).get("geomlab")
    if not add:
        return ""
    text = (
        f"3CosAdd: {add['scored_exactly']:.2%} of the {add['evaluated']:,} x 300,000 "
        f"candidate scores computed exactly (the rest bounded away)."
    )
    if other:
        for m, name in (("3cosmul", "3CosMul"), ("pairdirection", "PairDirection")):
            o = other[m]
            share = o["scored_exactly"]
            share = f"{share:.2%}" if share >= 1e-3 else f"{share:.5%}"  # PairDirection's
            cpu = o.get("cpu_times") or other.get("cpu_times")
            cpu_add = add.get("cpu_median")
            cpu_text = (
                f"; CPU {statistics.median(cpu):.2f} s, {statistics.median(cpu) / cpu_add:.2f}x"
                if cpu and cpu_add
                else ""
            )
            text += (
                f" {name}: {_fmt_s(o['median'])} ({o['median'] / add['median']:.2f}x "
                f"3CosAdd's time{cpu_text}; target <= 2x), {o['correct']:,} correct, "
                f"{share} scored exactly."
            )
    return text


def _floor(results: dict, g_an: dict, sg: dict, dim: int) -> None:
    madds = g_an["evaluated"] * 300_000 * dim
    products_s = madds / sg["analogy_rate"]
    results["floor"] = {
        "questions": g_an["evaluated"],
        "candidates": 300_000,
        "dim": dim,
        "multiply_adds": madds,
        "square_rate": sg["square_rate"],
        "analogy_rate": sg["analogy_rate"],
        "products_s": products_s,
        "peak_s": madds / sg["square_rate"],
        "geomlab_s": g_an["median"],
        "vs_products": products_s / g_an["median"],
        "vs_peak": madds / sg["square_rate"] / g_an["median"],
        "blas": sg["blas"],
        # the same comparison in CPU seconds, which a busy machine disturbs less
        "products_cpu_s": sg["cpu_median"],
        "geomlab_cpu_s": g_an["cpu_median"],
        "vs_products_cpu": sg["cpu_median"] / g_an["cpu_median"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3, help="repeats per measure (median)")
    ap.add_argument(
        "--gensim-analogy-runs",
        type=int,
        default=1,
        help="repeats of gensim's analogy evaluation (about 2 minutes each)",
    )
    ap.add_argument(
        "--glove",
        type=Path,
        default=None,
        help="an existing GloVe text file (default: written to a temporary folder)",
    )
    ap.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write every figure as JSON"
    )
    ap.add_argument("--quick", action="store_true", help="geomlab only, one run each")
    ap.add_argument(
        "--keep-blas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for the measures "
        "(by default they are removed: see BLAS_ENV)",
    )
    ap.add_argument(
        "--only",
        default=None,
        metavar="M1,M2",
        help="only these measures (" + ", ".join(k for _, k, _ in ROWS) + ")",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--lib", help=argparse.SUPPRESS)
    ap.add_argument("--ctx", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.lib, json.loads(args.ctx), args.runs)
        return 0

    runs = 1 if args.quick else args.runs
    libs = ("geomlab",) if args.quick else ("geomlab", "gensim")
    import gensim
    import numpy

    import geomlab

    started = time.time()
    results: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)) + " UTC",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor(),
        },
        "versions": {
            "geomlab": geomlab.__version__,
            "gensim": gensim.__version__,
            "numpy": numpy.__version__,
        },
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_"))},
        "blas_env_removed_for_measures": []
        if args.keep_blas_env
        else [k for k in BLAS_ENV if k in os.environ],
        "runs": runs,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "measures": {},
    }
    with tempfile.TemporaryDirectory(prefix="geomlab-bench-") as tmp:
        print("preparing: GloVe text file, warm caches ...", flush=True)
        ctx = _prepare(Path(tmp), args.glove, max(runs, args.gensim_analogy_runs))
        ctx["keep_blas_env"] = bool(args.keep_blas_env)
        only = set(args.only.split(",")) if args.only else {k for _, k, _ in ROWS}
        for _, key, _ in ROWS:
            if key not in only:
                continue
            for lib in libs:
                if key in ("graph", "analogy_methods") and lib == "gensim":
                    continue
                r = runs
                if lib == "gensim" and key == "analogy":
                    r = args.gensim_analogy_runs
                results["measures"].setdefault(key, {})[lib] = run(key, lib, ctx, r)
            if key == "text_load":
                results["measures"]["first_load"] = {
                    "geomlab": run("first_load", "geomlab", ctx, runs)
                }
        g_an = results["measures"].get("analogy", {}).get("geomlab")
        if g_an:
            ctx["questions"] = g_an["evaluated"]
            sg = run("sgemm", "numpy", ctx, runs)
    q1000 = results["measures"].get("queries_1000", {})
    if "gensim" in q1000:
        agree = sum(a == b for a, b in zip(q1000["geomlab"]["answers"], q1000["gensim"]["answers"]))
        results["queries_1000_identical_answers"] = agree
    for m in q1000.values():
        m.pop("answers", None)
    if g_an:
        _floor(results, g_an, sg, ctx["dim"])
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.time() - started, 1)
    results["table_markdown"] = table(results)
    results["floor_text"] = floor_text(results)
    results["analogy_text"] = analogy_text(results)
    print()
    print(results["table_markdown"])
    print()
    print(results["floor_text"])
    if results.get("analogy_text"):
        print(results["analogy_text"])
    if "queries_1000_identical_answers" in results:
        print(
            f"{N_QUERIES:,} queries: {results['queries_1000_identical_answers']} identical "
            f"top-10 lists in geomlab and gensim."
        )
    print(
        f"load average at start {results['loadavg_start']}, at end {results['loadavg_end']}"
        f" ({os.cpu_count()} cores); {results['seconds']:.0f} s in all."
    )
    if args.json:
        from geomlab._io import write_text_atomic

        write_text_atomic(args.json, json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
