"""What a load found: the :class:`LoadReport` record, and the tally the parsers keep.

The parsers count bad lines, warnings and all-zero rows in a :class:`LoadStats` as they go
(raising at once instead under ``on_error="raise"``); :meth:`LoadStats.report` freezes the
tally into the record that the returned object carries as ``emb.load_report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._record import Record
from ..errors import FormatError

__all__ = ["LoadReport", "LoadStats"]

_MAX_PROBLEMS = 20  # skipped lines kept (with their reasons) in a load report


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
        lines += [
            f"  skipped line {line}: {reason}" if line is not None else f"  skipped: {reason}"
            for line, reason in self.problems
        ]
        if self.skipped > len(self.problems):
            lines.append(f"  ... and {self.skipped - len(self.problems)} more skipped")
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.zero_words:
            lines.append(
                "  all-zero vectors: "
                + ", ".join(map(repr, self.zero_words))
                + (" ..." if self.zero_vectors > len(self.zero_words) else "")
            )
        return "\n".join(lines)


class LoadStats:
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
            path=str(self.path),
            format=fmt,
            compression=compression,
            words=n,
            dim=dim,
            skipped=self.skipped,
            problems=tuple(self.problems),
            zero_vectors=self.zero_vectors,
            zero_words=tuple(self.zero_words),
            warnings=tuple(self.warnings),
        )
