"""Read word-vector files and folders; the format is detected from the file's content.

Formats
-------
``word2vec-text``   a ``count dim`` header, then ``word v1 ... vdim`` per line (fastText
                    ``.vec`` files are this format, with a trailing space on each line)
``glove``           the same lines with no header (Stanford GloVe)
``word2vec-binary`` a ``count dim`` header, then per word ``word<space>`` and ``dim``
                    little-endian float32 values (an optional newline between records)
``gensim``          a file written by gensim's ``KeyedVectors.save`` (read with gensim)
``geomlab``         a folder with ``vectors.npy`` (float32, memory-mapped on load) and
                    ``words.txt`` (UTF-8, one word per line), written by ``Embeddings.save``

:func:`load_file` resolves the format (:mod:`~geomlab.loaders.detect`) and hands the file
to its reader: :mod:`~geomlab.loaders.text`, :mod:`~geomlab.loaders.binary` (both through
the cache, :mod:`~geomlab.loaders.cache`) or :mod:`~geomlab.loaders.native`. Writing is
:mod:`geomlab._save`.

Text and binary files may be gzip, bz2 or xz compressed; that too is seen from content.
gensim files are Python pickles, which can run code when loaded: content detection
recognises them but never loads them; only an explicit ``format="gensim"`` does. Load
only files you trust.

Every file reads to exactly the words (same order) and float32 vectors that gensim's
``KeyedVectors.load_word2vec_format`` gives for it. Where gensim is lenient or fails
obscurely, geomlab raises a :class:`~geomlab.FormatError` that reads ``path:line: what``:
duplicate words, ragged rows, non-numeric or non-finite values, a header that disagrees
with the body, truncated files, invalid UTF-8, blank lines inside the body, an empty
file. With ``on_error="skip"`` bad lines are skipped instead and counted in the returned
object's ``load_report``. Two things gensim does not do: a UTF-8 byte-order mark is
ignored, and a word that contains spaces (GloVe 840B has some) is split from the right by
the dimension. A header is checked against the file size before anything is read, and no
allocation is ever sized by what a header claims.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..embeddings import Embeddings
from ..errors import FormatError
from . import cache as cache_mod
from .binary import binary_chunks
from .bounded import as_path
from .detect import Reader, detect_format
from .loadreport import LoadStats
from .native import read_gensim, read_geomlab
from .text import TextParser

__all__ = ["load_file", "parse_stream"]


class MemorySink:
    """Collects parsed chunks in memory."""

    def __init__(self):
        self.words: list[str] = []
        self._blocks: list[np.ndarray] = []

    def add(self, words: list[str], vectors: np.ndarray) -> None:
        self.words.extend(words)
        self._blocks.append(vectors)

    def vectors(self, dim: int) -> np.ndarray:
        if len(self._blocks) == 1:
            return self._blocks[0]
        if not self._blocks:
            return np.empty((0, dim), np.float32)
        out = np.concatenate(self._blocks)
        self._blocks = []
        return out


def parse_stream(
    path: Path, fmt: str, compression: str | None, stats: LoadStats, limit: int | None
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Chunks ``(words, float32 vectors)`` of a text or binary vector file."""
    reader = Reader(path, compression)
    try:
        if fmt == "word2vec-binary":
            yield from binary_chunks(reader, path, stats, limit)
        else:
            parser = TextParser(path, stats, limit=limit)
            yield from parser.chunks(reader, header=fmt == "word2vec-text")
    finally:
        reader.close()


def _resolve_format(path: Path, format: str) -> tuple[str, str | None]:
    if path.is_dir():
        if format not in ("auto", "geomlab"):
            raise FormatError(
                f"a folder can only be read as format 'geomlab', not {format!r}", path
            )
        return "geomlab", None
    fmt, compression = detect_format(path)
    if format == "auto":
        if fmt == "gensim":
            # Unpickling runs whatever code the file holds, so detection never does it.
            raise FormatError(
                "a Python pickle (a gensim KeyedVectors.save file?). Loading a pickle runs "
                "any code it contains, so geomlab never does it on its own: if you trust "
                "this file, load it with format='gensim' (CLI: --vectors-format gensim)",
                path,
            )
        return fmt, compression
    if format == "fasttext":
        format = "word2vec-text"
    if format == "geomlab":
        raise FormatError(
            "format 'geomlab' is a folder (vectors.npy + words.txt), but this is a file", path
        )
    return format, compression


def load_file(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    on_error: str = "raise",
    cache: bool = True,
    limit: int | None = None,
) -> Embeddings:
    """Read a vector file or folder (see :func:`geomlab.load`, which validates arguments).

    Returns
    -------
    Embeddings
        With ``load_report`` set to a :class:`~geomlab.LoadReport`.
    """
    t0 = time.perf_counter()
    path = as_path(path)
    fmt, compression = _resolve_format(path, format)
    stats = LoadStats(path, on_error)
    if fmt in ("geomlab", "gensim"):
        words, vectors = read_geomlab(path, stats) if fmt == "geomlab" else read_gensim(path)
        if fmt == "gensim":
            stats.count_zeros(list(words), np.asarray(vectors))
        if limit is not None:
            words, vectors = words[:limit], vectors[:limit]
        report = stats.report(fmt, None, len(words), vectors.shape[1])
        return _built(words, vectors, path, report, cache="not used", t0=t0)
    cache_state = "off"
    if cache:
        try:
            words, vectors, report = cache_mod.load_cached(
                path,
                fmt,
                compression,
                stats,
                limit,
                chunks=parse_stream(path, fmt, compression, stats, limit),
            )
        except cache_mod.CacheUnavailable as exc:
            cache_state = f"failed: {exc}"
            stats = LoadStats(path, on_error)
        else:
            return _built(words, vectors, path, report, cache=report.cache, t0=t0)
    sink = MemorySink()
    dim = 0
    for words, vectors in parse_stream(path, fmt, compression, stats, limit):
        dim = vectors.shape[1]
        sink.add(words, vectors)
    if not sink.words:
        raise FormatError(
            "no vectors could be read"
            + (f" ({stats.skipped} bad lines skipped)" if stats.skipped else ""),
            path,
        )
    report = stats.report(fmt, compression, len(sink.words), dim)
    return _built(sink.words, sink.vectors(dim), path, report, cache=cache_state, t0=t0)


def _built(words, vectors: np.ndarray, path: Path, report, *, cache: str, t0: float) -> Embeddings:
    """The returned object, its report complete (cache state, wall time) at construction.

    Every reader has checked what it returns (unique string words, finite float32 rows,
    at least one of each), so nothing is checked twice: a huge file is not read again.
    """
    report = dataclasses.replace(report, cache=cache, seconds=time.perf_counter() - t0)
    return Embeddings._trusted(tuple(words), vectors, source=str(path), load_report=report)
