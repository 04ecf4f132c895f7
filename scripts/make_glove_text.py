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
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    import geomlab
    from geomlab._io import atomic_file

    emb = geomlab.load()
    if limit is not None:
        emb = emb.head(limit)
    vectors = np.asarray(emb.vectors, dtype=np.float32)
    n, dim = vectors.shape
    block = 50_000
    with atomic_file(path, "wb") as fh:
        for start in range(0, n, block):
            stop = min(start + block, n)
            # Arrow's float -> string cast writes the shortest round-trip form, as repr does.
            cols = [pa.array(emb.words[start:stop], type=pa.string())]
            cols += [pc.cast(pa.array(vectors[start:stop, j]), pa.string()) for j in range(dim)]
            lines = pc.binary_join_element_wise(*cols, " ")
            fh.write(("\n".join(lines.to_pylist()) + "\n").encode("utf-8"))
    return n, dim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="where to write the text file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N words")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    n, dim = write_glove_text(args.path, args.limit)
    size = args.path.stat().st_size
    print(f"wrote {n:,} words x {dim} dims to {args.path} ({size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
