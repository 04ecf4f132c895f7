"""The word2vec binary format: a ``count dim`` header, then per word ``word<space>`` and
``dim`` little-endian float32 values (an optional newline between records)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import FormatError
from .detect import BOM, CHUNK, WS, Reader, check_size, parse_header
from .loadreport import LoadStats

__all__ = ["binary_chunks"]

_MAX_WORD_BYTES = 1 << 20  # a binary record whose word runs longer is corrupt
_NEWLINES = re.compile(rb"\n*")  # a run of newlines (between word2vec binary records)


def binary_chunks(
    reader: Reader, path: Path, stats: LoadStats, limit: int | None
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Records of a word2vec binary file, a block at a time."""
    head = reader.read(1 << 12)
    if not head.strip(WS + b"\n"):
        raise FormatError("empty file: no vectors", path)
    head = head.removeprefix(BOM)
    end = head.find(b"\n")
    parsed = parse_header(head[:end]) if end >= 0 else None
    if parsed is None:
        raise FormatError(
            "expected a header 'count dim' (two positive integers) on the "
            "first line of a word2vec binary file",
            path,
            1,
        )
    count, dim = parsed
    if count < 1 or dim < 1:
        raise FormatError(f"the header says {count} words of {dim} dimensions: no vectors", path, 1)
    check_size(reader, path, count, dim, end + 1 + count * (4 * dim + 2))
    nbytes = 4 * dim
    want = count if limit is None else min(count, limit)
    buf = head[end + 1 :]
    base = end + 1  # file offset of buf[0], for messages
    pos = 0
    record = 0
    seen: dict[str, int] = {}
    while True:
        words: list[str] = []
        starts: list[int] = []
        sp = -1
        while record < want:
            pos = _NEWLINES.match(buf, pos).end()  # newlines between records, skipped in C
            sp = buf.find(b" ", pos, pos + _MAX_WORD_BYTES)
            if sp < 0 or sp + 1 + nbytes > len(buf):
                break
            record += 1
            raw = buf[pos:sp]
            where = f"record {record} (byte {base + pos})"
            pos = sp + 1 + nbytes
            try:
                word = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                stats.bad(None, f"{where}: invalid UTF-8 in the word (byte 0x{raw[exc.start]:02x})")
                continue
            if not word:
                stats.bad(None, f"{where}: empty word")
                continue
            first = seen.get(word)
            if first is not None:
                stats.bad(None, f"{where}: duplicate word {word!r} (first in record {first})")
                continue
            seen[word] = record
            words.append(word)
            starts.append(sp + 1)
        if starts:
            yield from _binary_block(buf, words, starts, dim, seen, stats)
        if record >= want:
            break
        # Not a whole record left in the buffer: read on (a fixed amount at a time, so a
        # lying header cannot size a read).
        if sp < 0 and len(buf) - pos >= _MAX_WORD_BYTES:
            raise FormatError(
                f"record {record + 1} (byte {base + pos}): no space after the "
                "word within 1 MB; not a word2vec binary file?",
                path,
            )
        need = max(sp + 1 + nbytes - len(buf), 1) if sp >= 0 else 1
        parts = [buf[pos:]]
        got = 0
        while got < need:
            more = reader.read(max(CHUNK // 4, 1 << 16))
            if not more:
                break
            parts.append(more)
            got += len(more)
        base += pos
        buf = b"".join(parts)
        pos = 0
        if got < need:  # end of file inside a record
            rest = buf.strip(WS + b"\n")
            if rest:
                stats.warn(
                    None,
                    f"the file ends inside record {record + 1} (byte {base}): "
                    f"a record needs a word, a space and {nbytes} bytes (truncated?)",
                )
            stats.warn(
                None,
                f"the header says {count} words, but the file holds {record}"
                " (truncated, or header and body disagree)",
            )
            return
    if limit is None:
        tail = buf[pos:] + reader.read(1 << 16)
        if tail.strip(WS + b"\n"):
            stats.warn(
                None,
                f"the header says {count} words, but more data follows them "
                f"(byte {base + pos}; header and body disagree)",
            )


def _binary_block(
    buf: bytes,
    words: list[str],
    starts: list[int],
    dim: int,
    seen: dict[str, int],
    stats: LoadStats,
):
    nbytes = 4 * dim
    out = bytearray(len(starts) * nbytes)
    mv = memoryview(buf)
    for i, s in enumerate(starts):
        out[i * nbytes : (i + 1) * nbytes] = mv[s : s + nbytes]
    mv.release()
    vectors = np.frombuffer(out, dtype="<f4").reshape(len(starts), dim)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        for i in np.flatnonzero(~finite):
            stats.bad(
                None, f"record {seen[words[i]]}: non-finite value in the vector of {words[i]!r}"
            )
            del seen[words[i]]
        keep = np.flatnonzero(finite)
        words = [words[i] for i in keep]
        vectors = vectors[keep]
    if words:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        stats.count_zeros(words, vectors)
        yield words, vectors
