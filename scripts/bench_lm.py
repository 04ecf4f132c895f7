"""The language model's speed: geomlab's numpy pass and llama.cpp, side by side, one run.

Measures, each in its own subprocess (so each has its own peak memory, ``ru_maxrss``),
median of ``--runs``:

* warm load: ``geomlab.load_lm()`` from its cache (llama.cpp: ``Llama(model_path)``);
* cold load (geomlab only): ``geomlab.load_lm()`` with an empty ``GEOMLAB_CACHE_DIR``
  (read and dequantize the GGUF file, write the cache entry), wall and CPU seconds;
* prefill: one forward pass over the first 512 tokens of Moby-Dick chapter 1, logits at
  every position (llama.cpp: ``eval`` of the same ids with ``logits_all``), tokens/s;
* decode: 64 tokens one at a time after a 16-token prompt, each reusing the KV cache and
  computing the last position's logits (llama.cpp: ``eval`` of one token at a time),
  tokens/s.

Both sides use the same number of threads (``--threads``, default: the machine's cores).
llama.cpp runs in the Python given by ``--llama-python`` (a virtual environment with
``llama-cpp-python``, which compiles llama.cpp: see scripts/make_lm_reference.py); without
it only geomlab is measured.

    python scripts/bench_lm.py --llama-python /tmp/llamavenv/bin/python --runs 3

Some machines here set OPENBLAS_CORETYPE (a slower OpenBLAS kernel); the measures run
without it unless --keep-blas-env, for both sides alike. The load average is recorded.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "geomlab" / "data" / "corpus" / "moby_dick_ch1.txt"
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
PREFILL = 512
PROMPT = 16
DECODE = 64

GEOMLAB_WORKER = r"""
import json, resource, sys, time
import numpy as np
t0 = time.perf_counter()
import geomlab
from geomlab.lm.model import KVCache
lm = geomlab.load_lm()
load = time.perf_counter() - t0
ids = json.loads(sys.argv[1])
what = sys.argv[2]
out = {"load_s": load, "cache": lm.load_report.get("cache")}
if what == "prefill":
    lm.forward(ids[:8])  # first touch of the mapped weights, not timed
    t = time.perf_counter(); lm.forward(ids); out["seconds"] = time.perf_counter() - t
    out["tokens"] = len(ids)
elif what == "decode":
    cache = KVCache.empty(lm.config, len(ids) + 1)
    lm.forward(ids[:PROMPT], cache=cache, logits="last")
    t = time.perf_counter()
    with lm.threads():  # as geomlab.generate runs its steps
        for i in ids[PROMPT:]:
            lm.forward([i], cache=cache, logits="last")
    out["seconds"] = time.perf_counter() - t
    out["tokens"] = len(ids) - PROMPT
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
""".replace("PROMPT", str(PROMPT))

COLD_WORKER = r"""
import json, time
import geomlab
c, t = time.process_time(), time.perf_counter()
lm = geomlab.load_lm(progress=False)
out = {"seconds": time.perf_counter() - t, "cpu_s": time.process_time() - c}
print(json.dumps({**out, "cache": lm.load_report.get("cache")}))
"""

LLAMA_WORKER = r"""
import json, resource, sys, time, importlib.util
from pathlib import Path
t0 = time.perf_counter()
from llama_cpp import Llama
path = sys.argv[3]
threads = int(sys.argv[4])
ids = json.loads(sys.argv[1])
what = sys.argv[2]
llm = Llama(model_path=path, n_ctx=len(ids) + 16, n_batch=len(ids) + 16, n_threads=threads,
            n_threads_batch=threads, logits_all=(what == "prefill"), verbose=False)
load = time.perf_counter() - t0
out = {"load_s": load}
if what == "prefill":
    llm.eval(ids[:8]); llm.reset()
    t = time.perf_counter(); llm.eval(ids); out["seconds"] = time.perf_counter() - t
    out["tokens"] = len(ids)
elif what == "decode":
    llm.eval(ids[:PROMPT])
    t = time.perf_counter()
    for i in ids[PROMPT:]:
        llm.eval([i])
    out["seconds"] = time.perf_counter() - t
    out["tokens"] = len(ids) - PROMPT
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
""".replace("PROMPT", str(PROMPT))


def run_worker(python: str, code: str, args: list[str], env: dict) -> dict:
    res = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )
    if res.returncode != 0:
        raise SystemExit(f"worker failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--llama-python", help="a Python with llama-cpp-python installed")
    ap.add_argument("--keep-blas-env", action="store_true")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import geomlab
    from geomlab.lm.model import default_model_path

    lm = geomlab.load_lm()  # builds the cache once, outside the timings
    ids = [int(i) for i in lm.encode(CORPUS.read_text("utf-8"))]
    env = dict(os.environ)
    if not args.keep_blas_env:
        for k in BLAS_ENV:
            env.pop(k, None)
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    sides = {"geomlab": (sys.executable, GEOMLAB_WORKER, [])}
    if args.llama_python:
        sides["llama.cpp"] = (
            args.llama_python,
            LLAMA_WORKER,
            [str(default_model_path()), str(args.threads)],
        )
    workloads = {"prefill": ids[:PREFILL], "decode": ids[: PROMPT + DECODE]}
    results: dict = {}
    for what, chunk in workloads.items():
        for side, (python, code, extra) in sides.items():
            runs = []
            for _ in range(args.runs):
                load_before = os.getloadavg()[0]
                r = run_worker(python, code, [json.dumps(chunk), what, *extra], env)
                r["load_average"] = [load_before, os.getloadavg()[0]]
                runs.append(r)
            tps = [r["tokens"] / r["seconds"] for r in runs]
            results.setdefault(what, {})[side] = {
                "tokens_per_s": statistics.median(tps),
                "load_s": statistics.median(r["load_s"] for r in runs),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "runs": runs,
            }
    cold = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            load_before = os.getloadavg()[0]
            r = run_worker(sys.executable, COLD_WORKER, [], {**env, "GEOMLAB_CACHE_DIR": tmp})
            r["load_average"] = [load_before, os.getloadavg()[0]]
            cold.append(r)
    results["cold_load"] = {
        "seconds": statistics.median(r["seconds"] for r in cold),
        "cpu_s": statistics.median(r["cpu_s"] for r in cold),
        "runs": cold,
    }
    print(
        f"threads {args.threads}; OPENBLAS_CORETYPE "
        f"{'kept' if args.keep_blas_env else 'unset'}; {platform.processor() or platform.machine()}"
    )
    print(
        f"{'measure':<28}{'geomlab':>12}{'llama.cpp':>12}{'ratio':>8}  peak MiB (geomlab / llama.cpp)"
    )
    for what, label in (
        ("prefill", f"prefill {PREFILL} tokens, tok/s"),
        ("decode", f"decode {DECODE} tokens, tok/s"),
    ):
        g = results[what]["geomlab"]
        line = f"{label:<28}{g['tokens_per_s']:>12.1f}"
        if "llama.cpp" in results[what]:
            lc = results[what]["llama.cpp"]
            line += f"{lc['tokens_per_s']:>12.1f}{g['tokens_per_s'] / lc['tokens_per_s']:>7.2f}x"
            line += f"  {g['peak_rss_mb']:.0f} / {lc['peak_rss_mb']:.0f}"
        else:
            line += f"{'-':>12}{'-':>8}  {g['peak_rss_mb']:.0f}"
        print(line)
    g_load = results["prefill"]["geomlab"]["load_s"]
    print(f"{'warm load (process, import + load), s':<28}{g_load:>12.3f}", end="")
    if "llama.cpp" in results["prefill"]:
        print(f"{results['prefill']['llama.cpp']['load_s']:>12.3f}")
    else:
        print()
    c = results["cold_load"]
    print(f"{'cold load (empty cache), s':<28}{c['seconds']:>12.3f}  ({c['cpu_s']:.2f} s of CPU)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
