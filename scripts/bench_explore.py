"""Build the explorer page twice and report its weight and build times.

Usage: python scripts/bench_explore.py [--out DIR] [--cache DIR] [--runs 2] [-- ARGS...]

The first build computes the map's projection (UMAP by default) and stores it in geomlab's
cache (``--cache`` sets ``GEOMLAB_CACHE_DIR``; give an empty folder for a cold first run);
the later builds find it there. Each build is a fresh ``python -m geomlab explore``
process, so the times include start-up, loading the vectors and the language model. The
table gives each build's time and the page's weight, in total and by part.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _parts(index: Path) -> tuple[dict[str, int], dict[str, float]]:
    """Bytes of the page by part (the data block's top-level keys, and the rest), and the
    build's time by step as the page records it."""
    text = index.read_text(encoding="utf-8")
    m = re.search(
        r'<script type="application/json" id="geomlab-data">(.*?)</script>', text, re.DOTALL
    )
    data = json.loads(m.group(1))
    out = {k: len(json.dumps(v, separators=(",", ":"))) for k, v in data.items()}
    out["page (template, CSS, script)"] = len(text.encode()) - len(m.group(1).encode())
    return out, data["meta"]["timings"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    ap.add_argument("--cache", default=None, help="GEOMLAB_CACHE_DIR for the builds")
    ap.add_argument("--runs", type=int, default=2, help="builds in a row (default: 2)")
    ap.add_argument("args", nargs="*", help="extra arguments for geomlab explore")
    opts = ap.parse_args()
    env = os.environ.copy()
    if opts.cache:
        env["GEOMLAB_CACHE_DIR"] = opts.cache
    out = Path(opts.out or tempfile.mkdtemp(prefix="geomlab-explore-")) / "page"
    cmd = [
        sys.executable,
        "-m",
        "geomlab",
        "explore",
        "--out",
        str(out),
        "--no-progress",
        "--json",
        *opts.args,
    ]
    print(" ".join(cmd[1:]))
    for run in range(1, opts.runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            return proc.returncode
        got = json.loads(proc.stdout)
        print(
            f"build {run}: {seconds:.1f} s (inside: {got['seconds']:.1f} s), page "
            f"{got['bytes']:,} bytes ({got['bytes'] / 1e6:.2f} MB)"
        )
    parts, timings = _parts(out / "index.html")
    print("last build's steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    for part, size in parts.items():
        print(f"  {part:32s} {size:>10,} bytes")
    print(f"load average: {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
