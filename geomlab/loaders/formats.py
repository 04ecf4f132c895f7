"""Read and write word-vector files; the format is detected from the file's content.

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

import bz2
import contextlib
import dataclasses
import gzip
import itertools
import lzma
import math
import os
import re
import stat
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._record import Record
from ..errors import FormatError, GeomlabError, MissingDependencyError, ParameterError

__all__ = ["SAVE_FORMATS", "LoadReport", "detect_format", "load_file", "save"]

SAVE_FORMATS = ("geomlab", "word2vec-text", "word2vec-binary", "glove")
TEXT_FORMATS = ("word2vec-text", "glove")
STREAM_FORMATS = ("word2vec-text", "glove", "word2vec-binary")

_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\x0b\x0c"  # what bytes.rstrip() removes, '\n' aside (gensim strips these)
_CHUNK = 32 << 20  # bytes of text parsed at a time: bounds memory on huge files
_MAX_PROBLEMS = 20  # skipped lines kept (with their reasons) in a load report
_MAX_WORD_BYTES = 1 << 20  # a binary record whose word runs longer is corrupt
_MAX_LINE_BYTES = 64 << 20  # a text line longer than this is not a vector (dim ~ 5M)
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
_OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # fastText's FASTTEXT_FILEFORMAT_MAGIC


# ---------------------------------------------------------------------------------------
# the load report
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadReport(Record):
    """What a load found, carried by the returned object as ``emb.load_report``.

    Attributes
    ----------
    path : str
        The file or folder read.
    format : str
        The format read (``"glove"``, ``"word2vec-text"``, ``"word2vec-binary"``,
        ``"gensim"`` or ``"geomlab"``).
    compression : str or None
        ``"gzip"``, ``"bz2"``, ``"xz"`` or None.
    words, dim : int
        The size of what was loaded.
    skipped : int
        Bad lines (or binary records) skipped under ``on_error="skip"``.
    problems : tuple of (line, reason)
        The first few skipped lines and why (line is None where there are no lines).
    zero_vectors : int
        All-zero rows: they load, but have no direction (no cosine).
    zero_words : tuple of str
        The first few words with all-zero vectors.
    warnings : tuple of str
        Other findings, such as a header count that disagrees with the body under
        ``on_error="skip"``.
    cache : str
        ``"hit"`` (read from the binary cache), ``"written"`` (cache written now),
        ``"off"``, ``"not used"`` (formats that need none) or ``"failed: <why>"``.
    seconds : float
        Wall time of the load.
    """

    path: str
    format: str
    compression: str | None
    words: int
    dim: int
    skipped: int = 0
    problems: tuple[tuple[int | None, str], ...] = ()
    zero_vectors: int = 0
    zero_words: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    cache: str = "off"
    seconds: float = 0.0

    def __str__(self) -> str:
        lines = [super().__str__()]
        lines += [f"  skipped line {line}: {reason}" if line is not None else f"  skipped: {reason}"
                  for line, reason in self.problems]
        if self.skipped > len(self.problems):
            lines.append(f"  ... and {self.skipped - len(self.problems)} more skipped")
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.zero_words:
            lines.append("  all-zero vectors: " + ", ".join(map(repr, self.zero_words))
                         + (" ..." if self.zero_vectors > len(self.zero_words) else ""))
        return "\n".join(lines)


class _Stats:
    """Mutable tally kept while parsing; frozen into a LoadReport at the end."""

    def __init__(self, path: Path, on_error: str):
        self.path = path
        self.on_error = on_error
        self.skipped = 0
        self.problems: list[tuple[int | None, str]] = []
        self.zero_vectors = 0
        self.zero_words: list[str] = []
        self.warnings: list[str] = []

    def bad(self, line: int | None, reason: str) -> None:
        """A bad line: raise, or count it when skipping."""
        if self.on_error == "raise":
            raise FormatError(reason, self.path, line)
        self.skipped += 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append((line, reason))

    def warn(self, line: int | None, reason: str) -> None:
        """A whole-file inconsistency: raise, or keep it as a warning when skipping."""
        if self.on_error == "raise":
            raise FormatError(reason, self.path, line)
        where = f"line {line}: " if line is not None else ""
        self.warnings.append(where + reason)

    def count_zeros(self, words: list[str], vectors: np.ndarray) -> None:
        zero = ~vectors.any(axis=1)
        n = int(zero.sum())
        if n:
            self.zero_vectors += n
            room = 10 - len(self.zero_words)
            if room > 0:
                self.zero_words.extend(words[i] for i in np.flatnonzero(zero)[:room])

    def report(self, fmt: str, compression: str | None, n: int, dim: int) -> LoadReport:
        return LoadReport(
            path=str(self.path), format=fmt, compression=compression, words=n, dim=dim,
            skipped=self.skipped, problems=tuple(self.problems),
            zero_vectors=self.zero_vectors, zero_words=tuple(self.zero_words),
            warnings=tuple(self.warnings),
        )


# ---------------------------------------------------------------------------------------
# opening and detecting
# ---------------------------------------------------------------------------------------
class _Reader:
    """A binary stream that turns decompression failures into FormatErrors."""

    def __init__(self, path: Path, compression: str | None):
        self.path = path
        self.compression = compression
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise GeomlabError(f"cannot read {str(path)!r}: {exc.strerror}") from None
        self._fh = raw if compression is None else _OPENERS[compression](raw, "rb")
        self._raw = raw

    def read(self, n: int) -> bytes:
        try:
            return self._fh.read(n)
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            self._fail(exc)

    def readinto(self, buf) -> int:
        """Fill ``buf`` as far as the data goes (fewer bytes only at the end)."""
        total = 0
        view = memoryview(buf)
        while total < len(view):
            try:
                n = self._fh.readinto(view[total:])
            except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
                self._fail(exc)
            if not n:
                break
            total += n
        return total

    def _fail(self, exc):
        if self.compression is None:
            raise GeomlabError(f"cannot read {str(self.path)!r}: {exc}") from None
        raise FormatError(f"corrupt or truncated {self.compression} data ({exc})",
                          self.path) from None

    def close(self) -> None:
        self._fh.close()
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _sniff_compression(head: bytes, path: Path) -> str | None:
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    if head.startswith(b"PK\x03\x04"):
        raise FormatError("a zip archive: unzip it and load the vector file inside", path)
    return None


def _parse_header(line: bytes) -> tuple[int, int] | None:
    """``count dim`` as two positive integers, or None when the line is not a header."""
    fields = line.strip(_WS).split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        return None
    return int(fields[0]), int(fields[1])


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _looks_like_text_record(line: bytes, dim: int) -> bool:
    try:
        parts = line.rstrip(_WS).decode("utf-8").split(" ")
    except UnicodeDecodeError:
        return False
    return len(parts) > dim and all(_is_number(p) for p in parts[-dim:])


def _detect_in_sample(sample: bytes, path: Path) -> str:
    """Format of an uncompressed sample from the start of the file."""
    if not sample.strip(_WS + b"\n"):
        raise FormatError("empty file: no vectors", path)
    if sample[:1] == b"\x80" and sample[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        if b"gensim" in sample[:4096]:
            return "gensim"
        raise FormatError("a Python pickle that is not a gensim KeyedVectors file", path)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError("the file is UTF-16; word-vector files must be UTF-8", path, 1)
    if sample.startswith(_FASTTEXT_MAGIC):
        raise FormatError(
            "a native fastText model (.bin), not a word-vector file: load the .vec file "
            "fastText writes beside it (geomlab.load('model.vec')), or read the model with "
            "gensim (kv = gensim.models.fasttext.load_facebook_vectors(path)) and wrap it "
            "with geomlab.Embeddings.from_gensim(kv)", path)
    sample = sample.removeprefix(_BOM)
    nl = sample.find(b"\n")
    first = sample if nl < 0 else sample[:nl]
    if b"\r" in first.rstrip(_WS):
        raise FormatError(
            "lines end in a carriage return alone (CR, classic Mac OS line endings): "
            "convert them to LF first, e.g. tr '\\r' '\\n' < old > new", path, 1)
    header = _parse_header(first)
    if header is None:
        return "glove"
    if nl < 0:
        return "word2vec-text"
    body = sample[nl + 1:]
    dim = header[1]
    nl2 = body.find(b"\n")
    if dim and _looks_like_text_record(body if nl2 < 0 else body[:nl2], dim):
        return "word2vec-text"
    # The vector bytes of a binary record are mostly outside printable ASCII; a text file
    # with a damaged second line is not.
    sp = body.find(b" ")
    region = body[sp + 1: sp + 1 + min(4 * dim, 4096)] if sp >= 0 else body[:4096]
    if not region:
        return "word2vec-text"
    printable = sum(1 for b in region if 32 <= b < 127 or b in (9, 10, 13))
    return "word2vec-text" if printable >= 0.9 * len(region) else "word2vec-binary"


def detect_format(path: str | os.PathLike) -> tuple[str, str | None]:
    """The format of a vector file or folder, read from its content.

    Returns
    -------
    (format, compression) : tuple of str and (str or None)
        ``format`` is one of ``"geomlab"``, ``"word2vec-text"``, ``"word2vec-binary"``,
        ``"glove"``, ``"gensim"``; ``compression`` is ``"gzip"``, ``"bz2"``, ``"xz"`` or
        None.
    """
    from . import as_path
    from .bounded import check_regular

    path = as_path(path)
    # a FIFO would block the read below, a device (/dev/zero) never end: refused first
    if stat.S_ISDIR(check_regular(path, folder_ok=True).st_mode):
        return "geomlab", None
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise GeomlabError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    compression = _sniff_compression(head, path)
    with _Reader(path, compression) as reader:
        sample = reader.read(1 << 16)
    return _detect_in_sample(sample, path), compression


# ---------------------------------------------------------------------------------------
# sinks: where parsed rows go (memory here; the cache module has a file sink)
# ---------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------
# text formats: word2vec text, fastText .vec, GloVe
# ---------------------------------------------------------------------------------------
def _line_blocks(reader: _Reader, size: int) -> Iterator[bytearray]:
    """Blocks of whole lines (the last may lack its newline), BOM removed, read in place.

    Blocks start small and grow to ``size``, so a small file never costs a big buffer.
    """
    pending = b""
    first = True
    step = 1 << 16
    if reader.compression is None:
        with contextlib.suppress(OSError):
            step = max(step, os.path.getsize(reader.path) + 1)
    while True:
        step = min(step, size)
        block = bytearray(len(pending) + step)
        step *= 2
        block[: len(pending)] = pending
        got = reader.readinto(memoryview(block)[len(pending):])
        del block[len(pending) + got:]
        if first:
            first = False
            if block.startswith(_BOM):
                del block[: len(_BOM)]
        if not got:
            if block:
                yield block
            return
        cut = block.rfind(b"\n")
        if cut < 0:
            if len(block) > _MAX_LINE_BYTES:
                raise FormatError("a line longer than 64 MB: not a word-vector text file?",
                                  reader.path)
            pending = bytes(block)
            continue
        pending = bytes(block[cut + 1:])
        del block[cut + 1:]
        yield block


class _TextParser:
    """Parses GloVe / word2vec text lines; a fast bulk path and a careful per-line one."""

    def __init__(self, path: Path, stats: _Stats, *, limit: int | None):
        self.path = path
        self.stats = stats
        self.limit = limit
        self.dim = 0
        self.expected: int | None = None  # the header's count (word2vec text)
        self.records = 0  # non-blank body lines seen, good or bad
        self.good = 0  # words kept
        self.seen: dict[str, int] = {}  # word -> line of its first occurrence
        self.blank: int | None = None  # first line of a run of blank lines not yet judged
        self.done = False
        self._arrow = None

    # -- one line, carefully --------------------------------------------------------------
    def parse_line(self, raw: bytes, line: int):
        """``(word, values)``, or None for a blank line; raises _LineError when bad."""
        text_b = raw.rstrip(_WS)
        if not text_b:
            return None
        try:
            text = text_b.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _LineError(
                f"invalid UTF-8 (byte 0x{text_b[exc.start]:02x} at column {exc.start + 1})"
            ) from None
        parts = text.split(" ")
        if "" in parts:
            if not parts[0]:
                raise _LineError("the line starts with a space: empty word")
            raise _LineError("two spaces in a row (an empty field)")
        dim = self.dim
        hint = " (as the header says)" if self.expected is not None else " (as on line 1)"
        found = len(parts) - 1
        plural = "value" if found == 1 else "values"
        if len(parts) < dim + 1:
            raise _LineError(f"expected a word and {dim} values{hint}, found {found} {plural}")
        word_parts = parts[: len(parts) - dim]
        if len(word_parts) > 1 and any(_is_number(p) for p in word_parts[1:]):
            raise _LineError(f"expected {dim} values{hint}, found {found}")
        word = " ".join(word_parts)
        values = parts[len(parts) - dim:]
        try:
            vec = [float(v) for v in values]
        except ValueError:
            k = next(i for i, v in enumerate(values) if not _is_number(v))
            raise _LineError(
                f"value {values[k][:40]!r} is not a number (position {k + 1} of {dim})"
            ) from None
        with np.errstate(over="ignore"):
            row = np.array(vec, dtype=np.float32)
        if not np.isfinite(row).all():
            k = int(np.flatnonzero(~np.isfinite(row))[0])
            what = "is not finite" if not math.isfinite(vec[k]) else \
                "is outside the float32 range"
            raise _LineError(f"value {values[k]!r} {what} (position {k + 1} of {dim})")
        return word, row

    def careful(self, block: bytes, line0: int) -> tuple[list[str], list[np.ndarray]]:
        """Parse a block line by line, with exact line numbers in every message."""
        words: list[str] = []
        rows: list[np.ndarray] = []
        for i, raw, blank_before in _nonblank_lines(block):
            line = line0 + i
            if self.done:
                break
            if blank_before and self.blank is None:
                self.blank = line - blank_before
            try:
                parsed = self.parse_line(raw, line)
            except _LineError as exc:
                self._judge_blank(line)  # a pending blank run is now inside the body
                self._record_start(line)
                if not self.done:
                    self.stats.bad(line, str(exc))
                continue
            if parsed is None:
                if self.blank is None:
                    self.blank = line
                continue
            self._judge_blank(line)
            self._record_start(line)
            if self.done:
                break
            word, row = parsed
            first = self.seen.get(word)
            if first is not None:
                self.stats.bad(line, f"duplicate word {word!r} (first on line {first})")
                continue
            self.seen[word] = line
            words.append(word)
            rows.append(row)
            self.good += 1
            if self.limit is not None and self.good >= self.limit:
                self.done = True
        else:
            trailing = _trailing_blank_lines(block)
            if trailing and self.blank is None:
                self.blank = line0 + _line_count(block) - trailing
        return words, rows

    def _judge_blank(self, line: int) -> None:
        """A non-blank line follows blank ones: those were inside the body."""
        if self.blank is not None:
            first, self.blank = self.blank, None
            self.stats.bad(first, f"blank line inside the body (lines {first}-{line - 1})"
                           if line - 1 > first else "blank line inside the body")

    def _record_start(self, line: int) -> None:
        """Count a body line; past the header's count it is an error."""
        self.records += 1
        if self.expected is not None and self.records > self.expected:
            self.stats.warn(
                line, f"the header says {self.expected} words, but the body has more "
                "lines (header and body disagree)",
            )
            self.done = True  # skip mode: read what the header promised, as gensim does

    # -- a block at once --------------------------------------------------------------------
    def fast(self, block: bytearray, line0: int,
             newlines: int) -> tuple[list[str], np.ndarray] | None:
        """Parse a block of clean lines with Arrow's CSV reader, or None to go careful."""
        if self.blank is not None:
            return None
        end = len(block.rstrip(b"\r\n"))  # trailing newlines: not parsed here
        if not end:
            return None
        trailing_nl = block.count(b"\n", end)
        nlines = newlines - trailing_nl + 1
        blank_after = trailing_nl >= 2  # blank lines end the block
        if self.expected is not None and self.records + nlines > self.expected:
            return None
        first_end = block.find(b"\n", 0, end)
        first = bytes(block[: first_end if first_end >= 0 else end]).rstrip(b"\r")
        if first.count(b" ") < self.dim:
            return None  # too few fields (or a lying header): never size columns by it
        trailing = first.endswith(b" ")
        pa, pcsv, pc = self._arrow_modules()
        ncols = self.dim + 1 + int(trailing)
        types = {f"f{j}": pa.float64() for j in range(1, self.dim + 1)}
        types["f0"] = pa.string()
        if trailing:
            types[f"f{ncols - 1}"] = pa.string()
        try:
            table = pcsv.read_csv(
                pa.py_buffer(memoryview(block)[:end]),
                read_options=pcsv.ReadOptions(
                    autogenerate_column_names=True, use_threads=True, block_size=1 << 20),
                parse_options=pcsv.ParseOptions(
                    delimiter=" ", quote_char=False, escape_char=False,
                    newlines_in_values=False, ignore_empty_lines=False),
                convert_options=pcsv.ConvertOptions(
                    column_types=types, null_values=[], strings_can_be_null=False,
                    quoted_strings_can_be_null=False, check_utf8=True),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != nlines or table.num_columns != ncols:
            return None
        word_col = table.column(0)
        if pc.min(pc.utf8_length(word_col)).as_py() == 0:
            return None
        if trailing and pc.max(pc.binary_length(table.column(ncols - 1))).as_py() != 0:
            return None
        # Build column-major (each Arrow column is contiguous), then one transposing copy.
        cols = np.empty((self.dim, nlines), dtype=np.float64)
        for j in range(self.dim):
            start = 0
            for chunk in table.column(j + 1).chunks:
                stop = start + len(chunk)
                cols[j, start:stop] = chunk.to_numpy(zero_copy_only=False)
                start = stop
        with np.errstate(over="ignore"):
            vectors = np.ascontiguousarray(cols.T, dtype=np.float32)
        del cols
        if not np.isfinite(vectors).all():
            return None  # careful parsing names the line and the value
        words = word_col.to_pylist()
        if self.limit is not None and self.good + len(words) > self.limit:
            keep = self.limit - self.good
            words, vectors = words[:keep], vectors[:keep]
            nlines = keep
        new = dict(zip(words, range(line0, line0 + nlines)))
        if len(new) != len(words) or not self.seen.keys().isdisjoint(new):
            return None
        self.seen.update(new)
        self.records += nlines
        self.good += nlines
        if self.limit is not None and self.good >= self.limit:
            self.done = True
        elif blank_after:
            self.blank = line0 + nlines  # judged by what follows: the end, or more lines
        return words, vectors

    def parse_block(self, block: bytearray, line0: int, newlines: int):
        """``(words, vectors)`` pieces of a block, in line order: in bulk where the lines
        are clean, line by line around the few that are not (a word with spaces, a bad
        line under ``on_error="skip"``)."""
        out = self.fast(block, line0, newlines)
        if out is not None:
            yield out
            return
        for start, stop, first, odd in self._runs(block):
            piece = block[start:stop]
            first_line = line0 + first
            out = None if odd else self.fast(piece, first_line, piece.count(b"\n"))
            if out is None:
                words, rows = self.careful(piece, first_line)
                out = (words, np.vstack(rows)) if words else None
            if out is not None:
                yield out
            if self.done:
                return

    def _runs(self, block: bytearray) -> list[tuple[int, int, int, bool]]:
        """Split a block into runs of lines with and without the usual number of spaces:
        ``(start, stop, first line, odd)``; one odd run when most lines are unusual."""
        whole = [(0, len(block), 0, True)]
        # A usual line holds a word, dim values and their spaces: at least 2 * dim + 2
        # bytes. When the bytes cannot hold enough usual lines for a split to pay, do not
        # index millions of short lines (a file of blank lines took 1.3 GB here).
        lines = block.count(b"\n") + 1
        if lines - len(block) // (2 * self.dim + 2) > max(16, lines // 50):
            return whole
        a = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(a == 10)
        if not block.endswith(b"\n"):
            ends = np.append(ends, len(block))
        if len(ends) < 8:
            return whole
        starts = np.concatenate(([0], ends[:-1] + 1))
        spaces = np.flatnonzero(a == 32)
        counts = np.searchsorted(spaces, ends) - np.searchsorted(spaces, starts)
        del spaces
        usual = int(np.median(counts))
        if usual not in (self.dim, self.dim + 1):
            return whole
        odd = counts != usual
        if odd.sum() > max(16, len(odd) // 50):
            return whole
        edges = np.flatnonzero(np.diff(odd.astype(np.int8))) + 1
        bounds = np.concatenate(([0], edges, [len(odd)]))
        runs = []
        for lo, hi in itertools.pairwise(bounds):
            stop = min(int(ends[hi - 1]) + 1, len(block))  # through the run's last newline
            runs.append((int(starts[lo]), stop, int(lo), bool(odd[lo])))
        return runs

    def _arrow_modules(self):
        if self._arrow is None:
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.csv as pcsv

            self._arrow = (pa, pcsv, pc)
        return self._arrow

    # -- the whole file ------------------------------------------------------------------------
    def chunks(self, reader: _Reader, header: bool) -> Iterator[tuple[list[str], np.ndarray]]:
        blocks = _line_blocks(reader, _CHUNK if self.limit is None else 1 << 20)
        block = next(blocks, b"")
        if not block.strip(_WS + b"\n"):
            raise FormatError("empty file: no vectors", self.path)
        line0 = 1
        if header:
            end = block.find(b"\n")
            head = block[: end if end >= 0 else len(block)]
            parsed = _parse_header(head)
            if parsed is None:
                shown = head[:60].decode("utf-8", "replace")
                raise FormatError(
                    f"expected a header 'count dim' (two positive integers), found {shown!r}",
                    self.path, 1)
            count, dim = parsed
            if count < 1 or dim < 1:
                raise FormatError(f"the header says {count} words of {dim} dimensions: "
                                  "no vectors", self.path, 1)
            _check_size(reader, self.path, count, dim, end + 1 + count * (2 * dim + 2) - 1)
            self.expected, self.dim = count, dim
            block = block[end + 1:] if end >= 0 else b""
            line0 = 2
        else:
            self.dim = self._glove_dim(block)
        while block is not None:
            if block:
                newlines = block.count(b"\n")
                for out in self.parse_block(block, line0, newlines):
                    self.stats.count_zeros(*out)
                    yield out
                line0 += newlines
            if self.done:
                break
            block = next(blocks, None)
        if self.expected is not None and self.records < self.expected and not self.done:
            self.stats.warn(
                line0,
                f"the header says {self.expected} words, but the file ends after "
                f"{self.records} (truncated, or header and body disagree)",
            )

    def _glove_dim(self, block: bytes) -> int:
        """The dimension of a header-less file: the numbers that end its first line."""
        end = block.find(b"\n")
        first = block[: end if end >= 0 else len(block)].rstrip(_WS)
        try:
            parts = first.decode("utf-8").split(" ")
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"invalid UTF-8 (byte 0x{first[exc.start]:02x} at column {exc.start + 1})",
                self.path, 1) from None
        dim = 0
        for token in reversed(parts[1:]):
            if not _is_number(token):
                break
            dim += 1
        if dim == 0:
            raise FormatError(
                "expected a word followed by numbers (GloVe text) or a 'count dim' header "
                f"(word2vec), found {first[:60].decode('utf-8', 'replace')!r}", self.path, 1)
        return dim


_NEWLINES = re.compile(rb"\n*")  # a run of newlines (between word2vec binary records)
_NONBLANK = re.compile(rb"[^ \t\r\x0b\x0c\n]")  # a byte that makes a line not blank


def _nonblank_lines(block: bytes):
    """``(index, line, blank lines just before it)`` for each line that is not blank.

    Runs of blank lines are skipped by a regular-expression search and counted with
    ``bytes.count``, both in C: a file of millions of blank lines costs no Python loop per
    line and no list of empty strings.
    """
    pos = 0  # always the start of a line
    index = 0  # the line at pos
    search = _NONBLANK.search
    n = len(block)
    while pos < n:
        m = search(block, pos)
        if m is None:
            return
        start = max(block.rfind(b"\n", pos, m.start()) + 1, pos)
        blank = block.count(b"\n", pos, start)
        index += blank
        end = block.find(b"\n", m.start())
        if end < 0:
            end = n
        yield index, block[start:end], blank
        index += 1
        pos = end + 1


def _line_count(block: bytes) -> int:
    """Lines in a block (the last may lack its newline)."""
    return block.count(b"\n") + (0 if not block or block.endswith(b"\n") else 1)


def _trailing_blank_lines(block: bytes) -> int:
    """How many lines at the end of the block are blank."""
    last = len(block.rstrip(_WS + b"\n"))  # just past the last byte that is not blank
    if not last:
        return _line_count(block)
    end = block.find(b"\n", last - 1)  # the newline that ends the last non-blank line
    if end < 0:
        return 0
    return block.count(b"\n", end + 1) + (0 if block.endswith(b"\n") else 1)


class _LineError(Exception):
    """A bad line (internal; becomes a FormatError or a skipped line)."""


# ---------------------------------------------------------------------------------------
# word2vec binary
# ---------------------------------------------------------------------------------------
def _check_size(reader: _Reader, path: Path, count: int, dim: int, need: int) -> None:
    """A lying header fails here, before anything is read or allocated."""
    if reader.compression is not None:
        return  # no size to check against; nothing is sized by the header in any case
    size = os.path.getsize(path)
    if need > size:
        raise FormatError(
            f"the header says {count:,} words of {dim:,} dimensions, which needs at least "
            f"{need:,} bytes, but the file has {size:,} (header and body disagree, or the "
            "file is truncated)", path, 1)


def _binary_chunks(reader: _Reader, path: Path, stats: _Stats,
                   limit: int | None) -> Iterator[tuple[list[str], np.ndarray]]:
    """Records of a word2vec binary file, a block at a time."""
    head = reader.read(1 << 12)
    if not head.strip(_WS + b"\n"):
        raise FormatError("empty file: no vectors", path)
    head = head.removeprefix(_BOM)
    end = head.find(b"\n")
    parsed = _parse_header(head[:end]) if end >= 0 else None
    if parsed is None:
        raise FormatError("expected a header 'count dim' (two positive integers) on the "
                          "first line of a word2vec binary file", path, 1)
    count, dim = parsed
    if count < 1 or dim < 1:
        raise FormatError(f"the header says {count} words of {dim} dimensions: no vectors",
                          path, 1)
    _check_size(reader, path, count, dim, end + 1 + count * (4 * dim + 2))
    nbytes = 4 * dim
    want = count if limit is None else min(count, limit)
    buf = head[end + 1:]
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
                stats.bad(None, f"{where}: invalid UTF-8 in the word "
                          f"(byte 0x{raw[exc.start]:02x})")
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
            raise FormatError(f"record {record + 1} (byte {base + pos}): no space after the "
                              "word within 1 MB; not a word2vec binary file?", path)
        need = max(sp + 1 + nbytes - len(buf), 1) if sp >= 0 else 1
        parts = [buf[pos:]]
        got = 0
        while got < need:
            more = reader.read(max(_CHUNK // 4, 1 << 16))
            if not more:
                break
            parts.append(more)
            got += len(more)
        base += pos
        buf = b"".join(parts)
        pos = 0
        if got < need:  # end of file inside a record
            rest = buf.strip(_WS + b"\n")
            if rest:
                stats.warn(None, f"the file ends inside record {record + 1} (byte {base}): "
                           f"a record needs a word, a space and {nbytes} bytes (truncated?)")
            stats.warn(None, f"the header says {count} words, but the file holds {record}"
                       " (truncated, or header and body disagree)")
            return
    if limit is None:
        tail = buf[pos:] + reader.read(1 << 16)
        if tail.strip(_WS + b"\n"):
            stats.warn(None, f"the header says {count} words, but more data follows them "
                       f"(byte {base + pos}; header and body disagree)")


def _binary_block(buf: bytes, words: list[str], starts: list[int], dim: int,
                  seen: dict[str, int], stats: _Stats):
    nbytes = 4 * dim
    out = bytearray(len(starts) * nbytes)
    mv = memoryview(buf)
    for i, s in enumerate(starts):
        out[i * nbytes:(i + 1) * nbytes] = mv[s:s + nbytes]
    mv.release()
    vectors = np.frombuffer(out, dtype="<f4").reshape(len(starts), dim)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        for i in np.flatnonzero(~finite):
            stats.bad(None, f"record {seen[words[i]]}: non-finite value in the vector of "
                      f"{words[i]!r}")
            del seen[words[i]]
        keep = np.flatnonzero(finite)
        words = [words[i] for i in keep]
        vectors = vectors[keep]
    if words:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        stats.count_zeros(words, vectors)
        yield words, vectors


# ---------------------------------------------------------------------------------------
# gensim and geomlab formats
# ---------------------------------------------------------------------------------------
def _load_gensim(path: Path):
    from ..embeddings import Embeddings

    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:  # pragma: no cover - gensim is a dependency
        raise MissingDependencyError("reading gensim files needs gensim: pip install gensim") \
            from exc
    try:
        obj = KeyedVectors.load(str(path), mmap="r")
    except Exception as exc:  # noqa: BLE001 - anything from unpickling is a bad file
        raise FormatError(f"gensim could not load the file: {type(exc).__name__}: {exc}",
                          path) from None
    kv = getattr(obj, "wv", obj)  # a whole Word2Vec/FastText model holds its vectors in .wv
    if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
        raise FormatError(f"a gensim {type(obj).__name__}, not word vectors", path)
    try:
        return Embeddings(list(kv.index_to_key), kv.vectors, source=str(path))
    except GeomlabError as exc:
        raise FormatError(str(exc), path) from None


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
        raise FormatError(f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", path, line) \
            from None
    words = text.removesuffix("\n").split("\n") if text else []
    if n is not None and len(words) != n:
        raise FormatError(f"{len(words)} words for {n} vectors", path)
    return words


def _load_geomlab(path: Path, stats: _Stats):
    from ..embeddings import Embeddings

    vec_path, words_path = path / "vectors.npy", path / "words.txt"
    for p in (vec_path, words_path):
        if not p.is_file():
            raise FormatError(f"not a geomlab vectors folder: {p.name} is missing", path)
    try:
        vectors = np.load(vec_path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FormatError(f"unreadable array: {exc}", vec_path) from None
    if vectors.ndim != 2 or vectors.dtype.kind != "f" or vectors.shape[1] < 1:
        raise FormatError(f"expected a 2-D float array, found {vectors.dtype} "
                          f"{vectors.shape}", vec_path)
    if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    words = read_words_file(words_path, vectors.shape[0])
    first: dict[str, int] = {}
    for i, w in enumerate(words):
        if w in first:
            raise FormatError(f"duplicate word {w!r} (first on line {first[w] + 1})",
                              words_path, i + 1)
        first[w] = i
    try:
        emb = Embeddings(words, vectors, source=str(path))  # checks finiteness, row by row
    except GeomlabError as exc:
        raise FormatError(str(exc), vec_path) from None
    block = 1 << 16  # rows at a time: touches each page once, copies nothing
    for start in range(0, len(words), block):
        stats.count_zeros(words[start:start + block], vectors[start:start + block])
    return emb


# ---------------------------------------------------------------------------------------
# the entry point
# ---------------------------------------------------------------------------------------
def parse_stream(path: Path, fmt: str, compression: str | None, stats: _Stats,
                 limit: int | None) -> Iterator[tuple[list[str], np.ndarray]]:
    """Chunks ``(words, float32 vectors)`` of a text or binary vector file."""
    reader = _Reader(path, compression)
    try:
        if fmt == "word2vec-binary":
            yield from _binary_chunks(reader, path, stats, limit)
        else:
            parser = _TextParser(path, stats, limit=limit)
            yield from parser.chunks(reader, header=fmt == "word2vec-text")
    finally:
        reader.close()


def _resolve_format(path: Path, format: str) -> tuple[str, str | None]:
    if path.is_dir():
        if format not in ("auto", "geomlab"):
            raise FormatError(f"a folder can only be read as format 'geomlab', not {format!r}",
                              path)
        return "geomlab", None
    fmt, compression = detect_format(path)
    if format == "auto":
        if fmt == "gensim":
            # Unpickling runs whatever code the file holds, so detection never does it.
            raise FormatError(
                "a Python pickle (a gensim KeyedVectors.save file?). Loading a pickle runs "
                "any code it contains, so geomlab never does it on its own: if you trust "
                "this file, load it with format='gensim' (CLI: --vectors-format gensim)",
                path)
        return fmt, compression
    if format == "fasttext":
        format = "word2vec-text"
    if format == "geomlab":
        raise FormatError("format 'geomlab' is a folder (vectors.npy + words.txt), but this "
                          "is a file", path)
    return format, compression


def load_file(path: str | os.PathLike, *, format: str = "auto", on_error: str = "raise",
              cache: bool = True, limit: int | None = None):
    """Read a vector file or folder (see :func:`geomlab.load`, which validates arguments).

    Returns
    -------
    Embeddings
        With ``load_report`` set to a :class:`LoadReport`.
    """
    from ..embeddings import Embeddings

    from . import as_path

    t0 = time.perf_counter()
    path = as_path(path)
    fmt, compression = _resolve_format(path, format)
    stats = _Stats(path, on_error)
    if fmt in ("geomlab", "gensim"):
        emb = _load_geomlab(path, stats) if fmt == "geomlab" else _load_gensim(path)
        if fmt == "gensim":
            stats.count_zeros(list(emb.words), np.asarray(emb.vectors))
        if limit is not None:
            emb = emb.head(limit)
        report = stats.report(fmt, None, len(emb), emb.dim)
        emb.load_report = dataclasses.replace(report, cache="not used",
                                              seconds=time.perf_counter() - t0)
        return emb
    cache_state = "off"
    if cache:
        from . import cache as cache_mod

        try:
            emb = cache_mod.load_cached(path, fmt, compression, stats, limit)
        except cache_mod.CacheUnavailable as exc:
            cache_state = f"failed: {exc}"
            stats = _Stats(path, on_error)
        else:
            emb.load_report = dataclasses.replace(emb.load_report,
                                                  seconds=time.perf_counter() - t0)
            return emb
    sink = MemorySink()
    dim = 0
    for words, vectors in parse_stream(path, fmt, compression, stats, limit):
        dim = vectors.shape[1]
        sink.add(words, vectors)
    if not sink.words:
        raise FormatError("no vectors could be read" + (
            f" ({stats.skipped} bad lines skipped)" if stats.skipped else ""), path)
    emb = Embeddings(sink.words, sink.vectors(dim), source=str(path))
    report = stats.report(fmt, compression, len(emb), emb.dim)
    emb.load_report = dataclasses.replace(report, cache=cache_state,
                                          seconds=time.perf_counter() - t0)
    return emb


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
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
        elif " " in w and any(_is_number(p) for p in w.split(" ")[1:]):
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
        words = emb.words[start:start + block]
        vectors = np.asarray(emb.vectors[start:start + block], dtype=np.float32)
        if fmt == "word2vec-binary":
            le = vectors.astype("<f4", copy=False)
            fh.write(b"".join(w.encode("utf-8") + b" " + le[i].tobytes()
                              for i, w in enumerate(words)))
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
    from .._io import atomic_dir, atomic_file

    if format not in SAVE_FORMATS:
        raise ParameterError(f"format must be one of {', '.join(SAVE_FORMATS)}; got {format!r}")
    path = Path(path)
    _check_words(emb, format)
    if format == "geomlab":
        import json

        if path.exists() and not path.is_dir():
            raise GeomlabError(f"{str(path)!r} is a file; format 'geomlab' writes a folder")
        with atomic_dir(path) as tmp:
            np.save(tmp / "vectors.npy", np.ascontiguousarray(emb.vectors, dtype=np.float32))
            (tmp / "words.txt").write_bytes(
                ("\n".join(emb.words) + "\n").encode("utf-8") if len(emb) else b"")
            meta = {"format": "geomlab", "version": 1, "words": len(emb), "dim": emb.dim,
                    "source": emb.source}
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
