"""Time `import geomlab` and the quick CLI commands end to end (process start included).

Usage: python scripts/bench_latency.py [--runs 7] [--json PATH]

Each command runs once to warm the file cache (and geomlab's own caches), then --runs
times; the table shows the median and the slowest run, against the 1.5 s target (0.5 s for
the import).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [
    ("import geomlab", [sys.executable, "-c", "import geomlab"], 0.5),
    ("geomlab info", ["info"], 1.5),
    ("geomlab neighbors bank", ["neighbors", "bank"], 1.5),
    ("geomlab analogy man king woman", ["analogy", "man", "king", "woman"], 1.5),
    (
        "geomlab score france paris london berlin",
        ["score", "france", "paris", "london", "berlin"],
        1.5,
    ),
]


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("geomlab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "geomlab"]


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the table as JSON")
    args = ap.parse_args()
    rows = []
    for label, cmd, target in COMMANDS:
        full = cmd if cmd[0] == sys.executable else _cli() + cmd
        _time(full)  # warm-up
        times = [_time(full) for _ in range(args.runs)]
        rows.append(
            {
                "command": label,
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "target_s": target,
                "ok": statistics.median(times) < target,
            }
        )
    width = max(len(r["command"]) for r in rows)
    print(f"{'command':<{width}}  median_s  max_s  target_s  ok")
    for r in rows:
        print(
            f"{r['command']:<{width}}  {r['median_s']:8.3f}  {r['max_s']:5.2f}  "
            f"{r['target_s']:8.1f}  {'yes' if r['ok'] else 'NO'}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"runs": args.runs, "cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
