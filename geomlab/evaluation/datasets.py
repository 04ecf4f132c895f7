"""Readers for benchmark files: analogy question sets and word-pair similarity sets.

Three names resolve to the files gensim installs (``gensim/test/test_data``):
``"google"`` (Mikolov et al. 2013, 19,544 questions in 14 sections), ``"wordsim353"`` and
``"simlex999"`` (3-column form). Any other argument is a path, and the format is detected
from the content:

* **Question files** (Google, MSR): ``a b c d`` per line, with or without ``: section``
  lines; also a tab-separated file with a leading relation column (``TYPE<TAB>a<TAB>b<TAB>c
  <TAB>d``) and a CSV file with a header naming a ``type``/``category`` column and four
  word columns.
* **BATS**: a folder of category files (or one such file), ``word<TAB>answer1/answer2/...``.
* **Word pairs**: ``w1 w2 score`` separated by tabs, spaces or commas; ``#`` comments and
  header lines are skipped; in a wider file (the original 10-column SimLex-999) the score is
  the first numeric column after the two words, or the column whose header names it.

A malformed line raises :class:`~geomlab.errors.FormatError` reading ``path:line: what``;
with ``on_error="skip"`` it is skipped and counted instead (``n_invalid``).
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormatError, ParameterError

__all__ = [
    "ANALOGY_SETS",
    "PAIR_SETS",
    "AnalogySection",
    "AnalogySet",
    "WordPairSet",
    "gensim_datapath",
    "load_analogies",
    "load_word_pairs",
]

#: analogy sets known by name -> file name in gensim's test data
ANALOGY_SETS = {"google": "questions-words.txt"}
#: word-pair sets known by name -> file name in gensim's test data
PAIR_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}

_SKIP_NAMES = re.compile(r"^(readme|license|licence|changes|sha1sums)", re.IGNORECASE)
_SECTION_HEADERS = ("type", "category", "section", "relation")
_SCORE_HEADERS = re.compile(r"simlex|score|human|mean|sim|rel|gold|rating", re.IGNORECASE)


@dataclass(frozen=True)
class AnalogySection:
    """One section of an analogy set.

    Question files fill ``questions`` with ``(a, b, c, d)`` tuples (a : b :: c : d);
    BATS category files fill ``pairs`` with ``(word, answers)`` tuples, from which the
    questions are built against a vocabulary (see :func:`geomlab.evaluate_analogies`).
    """

    name: str
    questions: tuple[tuple[str, str, str, str], ...] = ()
    pairs: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class AnalogySet:
    """An analogy benchmark: ``kind`` is ``"questions"`` or ``"bats"``."""

    name: str
    path: str
    kind: str
    sections: tuple[AnalogySection, ...]
    n_invalid: int = 0

    @property
    def n_questions(self) -> int:
        """Questions in the file (BATS: ordered pairs of distinct pairs per category)."""
        if self.kind == "bats":
            return sum(len(s.pairs) * (len(s.pairs) - 1) for s in self.sections)
        return sum(len(s.questions) for s in self.sections)

    def sample(self, n: int, seed: int = 0) -> AnalogySet:
        """A random sample of ``n`` of the set's questions, drawn without replacement with
        ``seed``: each section keeps its chosen questions in file order (a section none is
        chosen from is left out). The whole set when ``n`` is at least its size. Question
        files only (a BATS set's questions are built against a vocabulary).

        Examples
        --------
        >>> ds = AnalogySet("t", "t.txt", "questions", (
        ...     AnalogySection("a", (("x", "y", "z", "w"),) * 3),
        ...     AnalogySection("b", (("p", "q", "r", "s"),) * 2)))
        >>> ds.sample(2, seed=1).n_questions, ds.sample(9).n_questions
        (2, 5)
        """
        import numpy as np

        from .._validation import check_int

        n = check_int(n, "n")
        seed = check_int(seed, "seed", low=0)
        if self.kind != "questions":
            raise ParameterError(f"only a question file can be sampled; this set is {self.kind}")
        total = self.n_questions
        if n >= total:
            return self
        chosen = np.zeros(total, dtype=bool)
        chosen[np.random.default_rng(seed).choice(total, n, replace=False)] = True
        sections, start = [], 0
        for sec in self.sections:
            keep = chosen[start : start + len(sec.questions)]
            start += len(sec.questions)
            if keep.any():
                picked = tuple(q for q, k in zip(sec.questions, keep) if k)
                sections.append(AnalogySection(sec.name, picked))
        return AnalogySet(self.name, self.path, self.kind, tuple(sections), self.n_invalid)


@dataclass(frozen=True)
class WordPairSet:
    """A word-pair benchmark: ``pairs`` of ``(w1, w2, score)``; ``lines`` their line numbers."""

    name: str
    path: str
    pairs: tuple[tuple[str, str, float], ...]
    lines: tuple[int, ...]
    n_invalid: int = 0


# -- name resolution --------------------------------------------------------------------------
def gensim_datapath(fname: str) -> str:
    """Path of a file in gensim's installed test data, found without importing gensim.

    Same result as ``gensim.test.utils.datapath(fname)``.
    """
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        from ..errors import MissingDependencyError

        raise MissingDependencyError(
            "the named benchmark sets are read from gensim's test data; install gensim"
        )
    return os.path.join(next(iter(spec.submodule_search_locations)), "test", "test_data", fname)


def _resolve(dataset, names: dict[str, str], what: str) -> tuple[str, Path]:
    if isinstance(dataset, (str, os.PathLike)):
        text = os.fspath(dataset)
        if text in names and not os.path.exists(text):
            return text, Path(gensim_datapath(names[text]))
        path = Path(text).expanduser()
        if path.exists():
            return path.name, path
        known = ", ".join(names)
        if os.sep in text or "/" in text or path.suffix:
            raise ParameterError(f"{what} {text!r}: no such file or folder")
        raise ParameterError(f"unknown {what} {text!r}; known names: {known} (or give a path)")
    raise ParameterError(
        f"{what} must be a name or a path, got {type(dataset).__name__} {dataset!r}"
    )


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise ParameterError(f"on_error must be 'raise' or 'skip', got {on_error!r}")


_BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _read_lines(path: Path) -> list[str]:
    """The file's lines, numbered as an editor numbers them (LF, CRLF or CR; BOM removed).

    Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line: ``str.splitlines()`` would also
    break at form feeds, ``\\x85``, ``\\u2028`` and others, putting every later line
    number off by one.
    """
    from ..loaders.bounded import read_bounded

    # a regular file of at most 256 MB: never a FIFO (it would hang) or /dev/zero (endless)
    data = read_bounded(path, what="dataset file")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # counted in the bytes after the BOM, where exc.start points
        line = len(_LINE_BREAK.split(data[: exc.start]))
        raise FormatError("not UTF-8 text", path, line) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and not lines[-1]:  # the final line break ends the last line; no line follows
        lines.pop()
    return lines


def _csv_row(line: str, path: Path, no: int) -> list[str]:
    """One line parsed as CSV on its own, so a quoted field never runs over lines."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise FormatError(f"unreadable CSV line: {exc}", path, no) from None


# -- analogy sets -----------------------------------------------------------------------------
def load_analogies(dataset="google", *, on_error: str = "raise") -> AnalogySet:
    """Read an analogy benchmark: a known name, a question file, or a BATS folder.

    Parameters
    ----------
    dataset : str or path
        ``"google"``, a question file (Google/MSR style, a relation-tagged TSV or a CSV with
        a header), a BATS category file, or a folder of BATS category files.
    on_error : {"raise", "skip"}
        A malformed line raises :class:`FormatError` (``path:line: what``), or is skipped
        and counted in ``n_invalid``.

    Returns
    -------
    AnalogySet

    Examples
    --------
    >>> from geomlab.evaluation.datasets import load_analogies
    >>> ds = load_analogies("google")
    >>> len(ds.sections), ds.n_questions
    (14, 19544)
    """
    _check_on_error(on_error)
    name, path = _resolve(dataset, ANALOGY_SETS, "analogy dataset")
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*.txt") if p.is_file() and not _SKIP_NAMES.match(p.name)
        )
        if not files:
            raise FormatError("no category files (*.txt) found in this folder", path)
        sections, bad = [], 0
        for f in files:
            section, n_bad = _read_bats_file(f, on_error)
            sections.append(section)
            bad += n_bad
        return AnalogySet(name, str(path), "bats", tuple(sections), bad)
    lines = _read_lines(path)
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is None:
        raise FormatError("empty file: no analogy questions", path)
    if "," in first and "\t" not in first:
        return _read_question_csv(name, path, lines, on_error)
    if len(first.split("\t")) == 2 and not first.startswith(":"):
        section, bad = _read_bats_file(path, on_error, lines)
        return AnalogySet(name, str(path), "bats", (section,), bad)
    return _read_question_lines(name, path, lines, on_error)


def _read_question_lines(name, path, lines, on_error) -> AnalogySet:
    sections: list[tuple[str, list]] = []
    labelled: dict[str, list] = {}  # relation-tagged lines, grouped by relation
    bad = 0
    default = path.stem
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip() or f"section {len(sections) + 1}", []))
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        parts = [p.strip() for p in parts]
        label = None
        if len(parts) == 5:  # a relation column, then the four words
            label, parts = parts[0], parts[1:]
        if len(parts) != 4 or not all(parts):
            if on_error == "raise":
                raise FormatError(
                    f"expected 4 words (a b c d) or a ': section' line, got {line[:60]!r}",
                    path,
                    no,
                )
            bad += 1
            continue
        if label is not None:
            labelled.setdefault(label, []).append(tuple(parts))
            continue
        if not sections:
            sections.append((default, []))
        sections[-1][1].append(tuple(parts))
    return _question_set(name, path, sections + list(labelled.items()), bad)


def _read_question_csv(name, path, lines, on_error) -> AnalogySet:
    # the first line that is neither blank nor a comment is the header (load_analogies
    # found it); an unreadable header raises in either mode
    start = next(i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#"))
    header = [c.strip().lower() for c in _csv_row(lines[start], path, start + 1)]
    sec_col = next((header.index(h) for h in _SECTION_HEADERS if h in header), None)
    width = len(header)
    if width < 4:
        raise FormatError(f"a CSV question file needs 4 word columns, got {width}", path, start + 1)
    sections: dict[str, list] = {}
    bad = 0
    for i in range(start + 1, len(lines)):
        try:
            row = [c.strip() for c in _csv_row(lines[i], path, i + 1)]
        except FormatError:
            if on_error == "raise":
                raise
            bad += 1
            continue
        if not any(row):
            continue
        words = row[-4:]
        if len(row) != width or not all(words):
            if on_error == "raise":
                raise FormatError(
                    f"expected {width} comma-separated fields, got {len(row)}", path, i + 1
                )
            bad += 1
            continue
        label = row[sec_col] if sec_col is not None else path.stem
        sections.setdefault(label, []).append(tuple(words))
    return _question_set(name, path, list(sections.items()), bad)


def _question_set(name, path, sections, bad) -> AnalogySet:
    if not any(qs for _, qs in sections):
        raise FormatError("no analogy questions found", path)
    return AnalogySet(
        name,
        str(path),
        "questions",
        tuple(AnalogySection(n, questions=tuple(qs)) for n, qs in sections),
        bad,
    )


def _read_bats_file(path: Path, on_error, lines=None) -> tuple[AnalogySection, int]:
    lines = _read_lines(path) if lines is None else lines
    pairs, bad = [], 0
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            if on_error == "raise":
                raise FormatError(
                    f"expected 'word<TAB>answer1/answer2/...', got {line[:60]!r}", path, no
                )
            bad += 1
            continue
        answers = tuple(dict.fromkeys(a.strip() for a in parts[1].split("/") if a.strip()))
        pairs.append((parts[0].strip(), answers))
    if len(pairs) < 2:
        raise FormatError("a BATS category needs at least 2 word pairs", path)
    return AnalogySection(path.stem, pairs=tuple(pairs)), bad


# -- word pairs -------------------------------------------------------------------------------
def _is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (NaN and infinities too: used to find columns)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_score(text: str) -> bool:
    """Whether ``text`` is a usable score: a finite number (not 'nan', 'inf', '1e999')."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _split(line: str, path: Path, no: int) -> list[str]:
    if "\t" in line:
        return [p.strip() for p in line.split("\t")]
    if "," in line:
        return [p.strip() for p in _csv_row(line, path, no)]
    return line.split()


def load_word_pairs(dataset="wordsim353", *, on_error: str = "raise") -> WordPairSet:
    """Read a word-pair similarity benchmark: a known name or a file.

    Parameters
    ----------
    dataset : str or path
        ``"wordsim353"``, ``"simlex999"`` or a file of ``w1 w2 score`` lines (tab, space
        or comma separated; ``#`` comments and a header line allowed; in a wider file the
        score is the column whose header names it, else the first numeric column after the
        two words).
    on_error : {"raise", "skip"}
        A malformed line raises :class:`FormatError` or is skipped and counted.

    Returns
    -------
    WordPairSet

    Examples
    --------
    >>> from geomlab.evaluation.datasets import load_word_pairs
    >>> len(load_word_pairs("wordsim353").pairs)
    353
    """
    _check_on_error(on_error)
    name, path = _resolve(dataset, PAIR_SETS, "word-pair dataset")
    lines = _read_lines(path)
    rows, bad = [], 0
    for no, raw in enumerate(lines, 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            rows.append((no, _split(raw.strip(), path, no)))
        except FormatError:  # an unreadable CSV line
            if on_error == "raise":
                raise
            bad += 1
    if not rows:
        if bad:
            raise FormatError(f"no valid word pairs ({bad} malformed lines skipped)", path)
        raise FormatError("empty file: no word pairs", path)
    col = None
    no, first = rows[0]
    if not any(_is_number(c) for c in first[2:]):  # a header line
        named = [i for i, c in enumerate(first) if i >= 2 and _SCORE_HEADERS.search(c)]
        col = named[0] if named else None
        rows = rows[1:]
        if not rows:
            raise FormatError("only a header line: no word pairs", path)
    if col is None:
        no, first = rows[0]
        col = next((i for i, c in enumerate(first) if i >= 2 and _is_number(c)), None)
        if col is None:
            raise FormatError(
                f"expected 'word1 word2 score', got {' '.join(first)[:60]!r}", path, no
            )
    pairs, where = [], []
    for no, parts in rows:
        ok = len(parts) > col and parts[0] and parts[1] and _is_number(parts[col])
        if ok and not _is_score(parts[col]):
            # NaN or an infinity would turn the correlations into NaN without a word
            if on_error == "raise":
                raise FormatError(
                    f"score {parts[col]!r} in column {col + 1} is not a finite number",
                    path,
                    no,
                )
            bad += 1
            continue
        if not ok:
            if on_error == "raise":
                raise FormatError(
                    f"expected two words and a score in column {col + 1}, got "
                    f"{' '.join(parts)[:60]!r}",
                    path,
                    no,
                )
            bad += 1
            continue
        pairs.append((parts[0], parts[1], float(parts[col])))
        where.append(no)
    if not pairs:  # on_error="skip" dropped every row; load_analogies raises here too
        raise FormatError(f"no valid word pairs ({bad} malformed lines skipped)", path)
    return WordPairSet(name, str(path), tuple(pairs), tuple(where), bad)
