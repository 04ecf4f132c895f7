"""Writing word vectors: the geomlab folder and word2vec/GloVe text and binary files.

Behind both :meth:`geomlab.Embeddings.save` and :func:`geomlab.loaders.save`. It sits below
both on purpose: it needs nothing of ``Embeddings`` beyond ``words``, ``vectors``, ``dim``
and ``source``, so the core object can offer ``save`` without importing the loaders
(which build ``Embeddings``, and so sit above it). The one rule reader and writer share,
:func:`is_number`, lives here for the same reason.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
from pathlib import Path

import numpy as np

from ._io import atomic_dir, atomic_file
from .errors import GeomlabError, ParameterError

__all__ = ["SAVE_FORMATS", "is_number", "save"]

SAVE_FORMATS = ("geomlab", "word2vec-text", "word2vec-binary", "glove")


def is_number(token: str) -> bool:
    """Whether a text-format token reads as a value (what ``float`` accepts)."""
    try:
        float(token)
    except ValueError:
        return False
    return True


def _check_words(emb, fmt: str) -> None:
    for w in emb.words:
        bad = None
        if "\n" in w:
            bad = "contains a newline"
        elif fmt == "geomlab":
            continue
        elif not w:
            bad = "is empty"
        elif w != w.strip(" \t\r\x0b\x0c") or w.startswith("\ufeff"):
            bad = "starts or ends with white space"
        elif fmt == "word2vec-binary" and " " in w:
            bad = "contains a space (word2vec binary ends a word at the first space)"
        elif " " in w and any(is_number(p) for p in w.split(" ")[1:]):
            bad = "contains a space followed by a number (it would read back as a value)"
        if bad:
            raise ParameterError(f"cannot write the word {w!r} in format {fmt!r}: it {bad}")


def _format_rows(words, vectors: np.ndarray) -> bytes:
    """Lines ``word v1 ... vdim`` with the shortest decimals that read back exactly."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = [pa.array(list(words), type=pa.string())]
    cols += [pc.cast(pa.array(vectors[:, j]), pa.string()) for j in range(vectors.shape[1])]
    lines = pc.binary_join_element_wise(*cols, " ")
    return ("\n".join(lines.to_pylist()) + "\n").encode("utf-8")


def _write_stream(emb, fh, fmt: str) -> None:
    n, dim = len(emb), emb.dim
    if fmt != "glove":
        fh.write(f"{n} {dim}\n".encode())
    block = 50_000
    for start in range(0, n, block):
        words = emb.words[start : start + block]
        vectors = np.asarray(emb.vectors[start : start + block], dtype=np.float32)
        if fmt == "word2vec-binary":
            le = vectors.astype("<f4", copy=False)
            fh.write(
                b"".join(w.encode("utf-8") + b" " + le[i].tobytes() for i, w in enumerate(words))
            )
        else:
            fh.write(_format_rows(words, vectors))


def save(emb, path: str | os.PathLike, *, format: str = "geomlab") -> Path:
    """Write ``emb`` to ``path`` atomically (a temporary file or folder, then a rename).

    Parameters
    ----------
    emb : Embeddings
    path : str or path
        A folder for ``"geomlab"``; a file otherwise (gzip/bz2-compressed when it ends in
        ``.gz`` / ``.bz2``).
    format : {"geomlab", "word2vec-text", "word2vec-binary", "glove"}
        Text formats write each value as the shortest decimal that reads back to the same
        float32, so a round trip is exact.

    Returns
    -------
    Path
    """
    if format not in SAVE_FORMATS:
        raise ParameterError(f"format must be one of {', '.join(SAVE_FORMATS)}; got {format!r}")
    path = Path(path)
    _check_words(emb, format)
    if format == "geomlab":
        if path.exists() and not path.is_dir():
            raise GeomlabError(f"{str(path)!r} is a file; format 'geomlab' writes a folder")
        with atomic_dir(path) as tmp:
            np.save(tmp / "vectors.npy", np.ascontiguousarray(emb.vectors, dtype=np.float32))
            (tmp / "words.txt").write_bytes(
                ("\n".join(emb.words) + "\n").encode("utf-8") if len(emb) else b""
            )
            meta = {
                "format": "geomlab",
                "version": 1,
                "words": len(emb),
                "dim": emb.dim,
                "source": emb.source,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        return path
    if path.is_dir():
        raise GeomlabError(f"{str(path)!r} is a folder; format {format!r} writes a file")
    with atomic_file(path, "wb") as raw:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as fh:
                _write_stream(emb, fh, format)
        elif path.suffix == ".bz2":
            with bz2.BZ2File(raw, "wb") as fh:
                _write_stream(emb, fh, format)
        else:
            _write_stream(emb, raw, format)
    return path
