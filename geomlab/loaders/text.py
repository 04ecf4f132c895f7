"""The text formats: word2vec text, fastText ``.vec`` and GloVe, parsed in bulk.

A file is read in blocks of whole lines (:data:`~geomlab.loaders.detect.CHUNK` bytes at
most). A block of clean lines goes through Arrow's CSV reader in one call; where it holds
unusual lines (a word with spaces, a bad line under ``on_error="skip"``) it is split into
runs, and the odd runs are parsed line by line with exact line numbers in every message.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .._save import is_number
from ..errors import FormatError
from .detect import BOM, CHUNK, WS, Reader, check_size, parse_header
from .loadreport import LoadStats

__all__ = ["TextParser"]

_MAX_LINE_BYTES = 64 << 20  # a text line longer than this is not a vector (dim ~ 5M)
_NONBLANK = re.compile(rb"[^ \t\r\x0b\x0c\n]")  # a byte that makes a line not blank


def _line_blocks(reader: Reader, size: int) -> Iterator[bytearray]:
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
        got = reader.readinto(memoryview(block)[len(pending) :])
        del block[len(pending) + got :]
        if first:
            first = False
            if block.startswith(BOM):
                del block[: len(BOM)]
        if not got:
            if block:
                yield block
            return
        cut = block.rfind(b"\n")
        if cut < 0:
            if len(block) > _MAX_LINE_BYTES:
                raise FormatError(
                    "a line longer than 64 MB: not a word-vector text file?", reader.path
                )
            pending = bytes(block)
            continue
        pending = bytes(block[cut + 1 :])
        del block[cut + 1 :]
        yield block


class TextParser:
    """Parses GloVe / word2vec text lines; a fast bulk path and a careful per-line one."""

    def __init__(self, path: Path, stats: LoadStats, *, limit: int | None):
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
        text_b = raw.rstrip(WS)
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
        if len(word_parts) > 1 and any(is_number(p) for p in word_parts[1:]):
            raise _LineError(f"expected {dim} values{hint}, found {found}")
        word = " ".join(word_parts)
        values = parts[len(parts) - dim :]
        try:
            vec = [float(v) for v in values]
        except ValueError:
            k = next(i for i, v in enumerate(values) if not is_number(v))
            raise _LineError(
                f"value {values[k][:40]!r} is not a number (position {k + 1} of {dim})"
            ) from None
        with np.errstate(over="ignore"):
            row = np.array(vec, dtype=np.float32)
        if not np.isfinite(row).all():
            k = int(np.flatnonzero(~np.isfinite(row))[0])
            what = "is not finite" if not math.isfinite(vec[k]) else "is outside the float32 range"
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
            self.stats.bad(
                first,
                f"blank line inside the body (lines {first}-{line - 1})"
                if line - 1 > first
                else "blank line inside the body",
            )

    def _record_start(self, line: int) -> None:
        """Count a body line; past the header's count it is an error."""
        self.records += 1
        if self.expected is not None and self.records > self.expected:
            self.stats.warn(
                line,
                f"the header says {self.expected} words, but the body has more "
                "lines (header and body disagree)",
            )
            self.done = True  # skip mode: read what the header promised, as gensim does

    # -- a block at once --------------------------------------------------------------------
    def fast(
        self, block: bytearray, line0: int, newlines: int
    ) -> tuple[list[str], np.ndarray] | None:
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
                    autogenerate_column_names=True, use_threads=True, block_size=1 << 20
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=" ",
                    quote_char=False,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=False,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=types,
                    null_values=[],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    check_utf8=True,
                ),
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
    def chunks(self, reader: Reader, header: bool) -> Iterator[tuple[list[str], np.ndarray]]:
        blocks = _line_blocks(reader, CHUNK if self.limit is None else 1 << 20)
        block = next(blocks, b"")
        if not block.strip(WS + b"\n"):
            raise FormatError("empty file: no vectors", self.path)
        line0 = 1
        if header:
            end = block.find(b"\n")
            head = block[: end if end >= 0 else len(block)]
            parsed = parse_header(head)
            if parsed is None:
                shown = head[:60].decode("utf-8", "replace")
                raise FormatError(
                    f"expected a header 'count dim' (two positive integers), found {shown!r}",
                    self.path,
                    1,
                )
            count, dim = parsed
            if count < 1 or dim < 1:
                raise FormatError(
                    f"the header says {count} words of {dim} dimensions: no vectors", self.path, 1
                )
            check_size(reader, self.path, count, dim, end + 1 + count * (2 * dim + 2) - 1)
            self.expected, self.dim = count, dim
            block = block[end + 1 :] if end >= 0 else b""
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
        first = block[: end if end >= 0 else len(block)].rstrip(WS)
        try:
            parts = first.decode("utf-8").split(" ")
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"invalid UTF-8 (byte 0x{first[exc.start]:02x} at column {exc.start + 1})",
                self.path,
                1,
            ) from None
        dim = 0
        for token in reversed(parts[1:]):
            if not is_number(token):
                break
            dim += 1
        if dim == 0:
            raise FormatError(
                "expected a word followed by numbers (GloVe text) or a 'count dim' header "
                f"(word2vec), found {first[:60].decode('utf-8', 'replace')!r}",
                self.path,
                1,
            )
        return dim


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
    last = len(block.rstrip(WS + b"\n"))  # just past the last byte that is not blank
    if not last:
        return _line_count(block)
    end = block.find(b"\n", last - 1)  # the newline that ends the last non-blank line
    if end < 0:
        return 0
    return block.count(b"\n", end + 1) + (0 if block.endswith(b"\n") else 1)


class _LineError(Exception):
    """A bad line (internal; becomes a FormatError or a skipped line)."""
