"""What drawing a report's figures costs: CPU seconds per figure, from a results.json.

The report draws its figures in a process of its own (``geomlab/report/_apart.py``),
beside the sections still computing, so every CPU second spent drawing is taken from the
computation. This script draws every section of a finished report the same way (each
section's ``render()``, then ``_apart._save`` per figure: PNG, and SVG where the report
writes one) into a temporary folder, ``--runs`` times, and prints each figure's smallest
CPU time (``time.process_time``), the render time per section, and the first run's total
CPU and wall time in this fresh process (imports included, as the drawing process pays
them). The load average is printed before and after: on a shared machine CPU times grow
with the load.

    python scripts/bench_figures.py geomlab-report/results.json
    python scripts/bench_figures.py geomlab-report/results.json --runs 3 --top 10
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

T0_CPU, T0_WALL = time.process_time(), time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", type=Path, help="a report's results.json")
    ap.add_argument("--runs", type=int, default=1, help="draw everything this many times")
    ap.add_argument("--top", type=int, default=10, help="how many of the costliest to list")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")

    from geomlab.report import _apart
    from geomlab.report.sections import get

    sections = json.loads(args.results.read_text(encoding="utf-8"))["sections"]
    best: dict[str, float] = {}
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for key, numbers in sections.items():
                if numbers.get("status") != "ok":
                    continue
                t = time.process_time()
                rendered = get(key).render(numbers)
                best[f"{key} (render)"] = min(
                    best.get(f"{key} (render)", 1e9), time.process_time() - t
                )
                for f in rendered.figures:
                    t = time.process_time()
                    _apart._save(f.figure, Path(tmp), f.name, f.svg)
                    name = f.name + (" (png+svg)" if f.svg else " (png)")
                    best[name] = min(best.get(name, 1e9), time.process_time() - t)
            if first is None:
                first = (time.process_time() - T0_CPU, time.perf_counter() - T0_WALL)
    for name, s in sorted(best.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{name:40s} {s:6.2f} s CPU")
    renders = sum(s for n, s in best.items() if n.endswith("(render)"))
    print(f"sum of the smallest: {sum(best.values()):.2f} s CPU ({renders:.2f} s of it render)")
    print(f"first run, imports included: {first[0]:.2f} s CPU, {first[1]:.2f} s wall")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
