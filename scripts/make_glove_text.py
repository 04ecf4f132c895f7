"""Write the embedded GloVe 6B 50d vectors as a Stanford-style GloVe text file.

The Stanford download (``glove.6B.50d.txt``, 171 MB) is not shipped; this rebuilds an
equivalent file from the embedded vectors: one line per word, the word then its 50 values,
space separated, no header, each value written as the shortest decimal that reads back to
the same float32 (``0.418``, ``-0.044457``), so parsing the file gives the embedded matrix
exactly.

Usage::

    python scripts/make_glove_text.py /tmp/glove.6B.50d.txt [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def write_glove_text(path: Path, limit: int | None = None) -> tuple[int, int]:
    import geomlab

    emb = geomlab.load()
    if limit is not None:
        emb = emb.head(limit)
    # GloVe text: no header; each value the shortest decimal that reads back to the same
    # float32, which is how the Stanford file writes them. Written atomically.
    emb.save(path, format="glove")
    return len(emb), emb.dim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="where to write the text file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N words")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    n, dim = write_glove_text(args.path, args.limit)
    size = args.path.stat().st_size
    print(
        f"wrote {n:,} words x {dim} dims to {args.path} ({size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
