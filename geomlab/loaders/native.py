"""Formats read whole rather than parsed: geomlab's own folder and gensim's pickle.

Each reader returns ``(words, vectors)`` checked by the :class:`~geomlab.Embeddings`
constructor (unique words, finite float32 rows), its errors turned into a
:class:`~geomlab.FormatError` naming the file; :func:`~geomlab.loaders.read.load_file` builds
the returned object, with its load report, from them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..embeddings import Embeddings
from ..errors import FormatError, GeomlabError, MissingDependencyError
from .loadreport import LoadStats

__all__ = ["read_gensim", "read_geomlab", "read_words_file"]


def read_gensim(path: Path) -> tuple[tuple[str, ...], np.ndarray]:
    """The words and vectors of a gensim ``KeyedVectors.save`` file (or a whole model's
    ``.wv``), memory-mapped where gensim saved the array apart. Unpickling runs code: only
    for files the caller trusts (``format="gensim"``)."""
    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:  # pragma: no cover - gensim is a dependency
        raise MissingDependencyError(
            "reading gensim files needs gensim: pip install gensim"
        ) from exc
    try:
        obj = KeyedVectors.load(str(path), mmap="r")
    except Exception as exc:  # noqa: BLE001 - anything from unpickling is a bad file
        raise FormatError(
            f"gensim could not load the file: {type(exc).__name__}: {exc}", path
        ) from None
    kv = getattr(obj, "wv", obj)  # a whole Word2Vec/FastText model holds its vectors in .wv
    if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
        raise FormatError(f"a gensim {type(obj).__name__}, not word vectors", path)
    try:
        emb = Embeddings(list(kv.index_to_key), kv.vectors, source=str(path))
    except GeomlabError as exc:
        raise FormatError(str(exc), path) from None
    return emb.words, emb.vectors


def read_words_file(path: Path, n: int | None = None) -> list[str]:
    """``words.txt``: UTF-8, one word per line, ``n`` lines when given."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the word list: {exc.strerror}", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", path, line) from None
    words = text.removesuffix("\n").split("\n") if text else []
    if n is not None and len(words) != n:
        raise FormatError(f"{len(words)} words for {n} vectors", path)
    return words


def read_geomlab(path: Path, stats: LoadStats) -> tuple[tuple[str, ...], np.ndarray]:
    """The words and vectors (memory-mapped) of a folder written by ``Embeddings.save``;
    all-zero rows are counted in ``stats``."""
    vec_path, words_path = path / "vectors.npy", path / "words.txt"
    for p in (vec_path, words_path):
        if not p.is_file():
            raise FormatError(f"not a geomlab vectors folder: {p.name} is missing", path)
    try:
        vectors = np.load(vec_path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FormatError(f"unreadable array: {exc}", vec_path) from None
    if vectors.ndim != 2 or vectors.dtype.kind != "f" or vectors.shape[1] < 1:
        raise FormatError(
            f"expected a 2-D float array, found {vectors.dtype} {vectors.shape}", vec_path
        )
    if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    words = read_words_file(words_path, vectors.shape[0])
    first: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in first:
            raise FormatError(
                f"duplicate word {w!r} (first on line {first[w] + 1})", words_path, i + 1
            )
        first[w] = i
    try:
        emb = Embeddings(words, vectors, source=str(path))  # checks finiteness, row by row
    except GeomlabError as exc:
        raise FormatError(str(exc), vec_path) from None
    block = 1 << 16  # rows at a time: touches each page once, copies nothing
    for start in range(0, len(words), block):
        stats.count_zeros(words[start : start + block], vectors[start : start + block])
    return emb.words, emb.vectors
