"""The core object: an immutable vocabulary with a read-only float32 matrix."""

from __future__ import annotations

import functools
import string
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_int
from .errors import ParameterError, ShapeError, UnknownWordError

if TYPE_CHECKING:  # pragma: no cover
    from gensim.models import KeyedVectors

__all__ = ["Embeddings", "as_embeddings", "check_embeddings"]

_ALPHABET = string.ascii_lowercase + string.digits + "-'."
_SCANS_BEFORE_INDEX = 8
_FINITE_BLOCK = 1 << 16  # rows checked at a time: no full-size temporary, pages touched once


def check_finite(vectors: np.ndarray, words: Sequence[str], *, first_row: int = 0) -> None:
    """Raise :class:`ParameterError` naming the first row with a NaN or an infinity.

    The one finiteness check of geomlab: every :class:`Embeddings` built from outside data
    passes through it (the loaders turn the error into a :class:`FormatError` naming the
    file). ``first_row`` numbers the rows of a block of a larger matrix. A block at a
    time, so a memory-mapped matrix is read once and never copied.
    """
    for start in range(0, vectors.shape[0], _FINITE_BLOCK):
        part = vectors[start : start + _FINITE_BLOCK]
        finite = np.isfinite(part).all(axis=1)
        if not finite.all():
            row = int(np.flatnonzero(~finite)[0])
            value = part[row][~np.isfinite(part[row])][0]
            i = start + row
            raise ParameterError(
                f"vectors must be finite: the vector of {words[i]!r} (row {first_row + i}) "
                f"holds {float(value)!r}"
            )


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    inserts = {a + c + b for a, b in splits for c in _ALPHABET}
    return deletes | transposes | replaces | inserts


def check_embeddings(emb, name: str = "emb") -> Embeddings:
    """``emb`` as an :class:`Embeddings` (see :func:`as_embeddings`), else a
    :class:`ParameterError`."""
    return as_embeddings(emb, name)


def _keyed_vectors(obj):
    """The gensim ``KeyedVectors`` in ``obj`` (itself, or a trained model's ``.wv``), or None.

    Recognised by duck type and module, so checking costs no gensim import."""
    for kv in (obj, getattr(obj, "wv", None)):
        if (
            kv is not None
            and type(kv).__module__.startswith("gensim.")
            and hasattr(kv, "index_to_key")
            and hasattr(kv, "vectors")
        ):
            return kv
    return None


# KeyedVectors -> (its size when converted, the Embeddings): each is converted once
_CONVERTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def as_embeddings(obj, name: str = "emb", *, allow_lm: bool = False):
    """``obj`` as an :class:`Embeddings`.

    An ``Embeddings`` is returned as it is. A gensim ``KeyedVectors`` (or a trained gensim
    model, through its ``.wv``) is wrapped without copying float32 vectors; the same object
    passed again gives the same ``Embeddings`` unless its words or numbers changed since
    (training continued in place): a 64-bit XXH3 of the vectors tells, about 10 ms for
    400,000 x 50. With
    ``allow_lm``, a :class:`~geomlab.LanguageModel` passes through too. Anything else is a
    :class:`ParameterError`.

    Examples
    --------
    >>> import numpy as np
    >>> from gensim.models import KeyedVectors
    >>> from geomlab.embeddings import as_embeddings
    >>> kv = KeyedVectors(2)
    >>> kv.add_vectors(["a", "b"], np.eye(2, dtype=np.float32))
    >>> emb = as_embeddings(kv)
    >>> emb.words, np.shares_memory(emb.vectors, kv.vectors), as_embeddings(kv) is emb
    (('a', 'b'), True, True)
    """
    if isinstance(obj, Embeddings):
        return obj
    kv = _keyed_vectors(obj)
    if kv is not None:
        import xxhash

        data = np.ascontiguousarray(kv.vectors)
        size = (
            len(kv.index_to_key),
            data.shape,
            data.dtype.str,
            id(kv.vectors),
            xxhash.xxh3_64_intdigest(memoryview(data).cast("B")),
        )
        hit = _CONVERTED.get(kv)
        if hit is None or hit[0] != size:
            hit = (size, Embeddings.from_gensim(kv))
            _CONVERTED[kv] = hit
        return hit[1]
    if (
        allow_lm
        and type(obj).__name__ == "LanguageModel"
        and type(obj).__module__.startswith("geomlab.lm")
    ):
        return obj
    raise ParameterError(
        f"{name} must be an Embeddings (from geomlab.load() or geomlab.Embeddings)"
        + (" or a LanguageModel (geomlab.load_lm())" if allow_lm else "")
        + f" or a gensim KeyedVectors, got {type(obj).__name__}"
    )


def accepts_gensim(func=None, *, allow_lm: bool = False, allow_none: bool = False):
    """Decorator: the function's first argument (``emb``) goes through :func:`as_embeddings`,
    so every public function taking vectors also takes a gensim ``KeyedVectors``
    (``allow_none``: None passes, for functions that work on bare vectors too)."""

    def convert(emb):
        return emb if emb is None and allow_none else as_embeddings(emb, allow_lm=allow_lm)

    def wrap(f):
        @functools.wraps(f)
        def inner(*args, **kwargs):
            if args:
                args = (convert(args[0]), *args[1:])
            elif "emb" in kwargs:
                kwargs["emb"] = convert(kwargs["emb"])
            return f(*args, **kwargs)

        return inner

    return wrap if func is None else wrap(func)


class Embeddings:
    """Word vectors: ``words`` (tuple of str) and ``vectors`` (float32, ``(n_words, dim)``).

    The matrix is read-only and may be memory-mapped; the object never changes after it is
    built. Row norms are computed once, lazily.

    Parameters
    ----------
    words : sequence of str
        The vocabulary, in row order (for pretrained sets, usually by falling frequency).
    vectors : array_like, shape (n_words, dim)
        One row per word, finite numbers (NaN, infinity, or a value beyond the float32
        range raises :class:`ParameterError` naming the word). Converted to float32 unless
        it already is. At least one word and one column.
    source : str, optional
        Where the vectors came from (a named source or a file path).

    Examples
    --------
    >>> import numpy as np, geomlab
    >>> emb = geomlab.Embeddings(["a", "b"], np.eye(2))
    >>> emb["b"]
    array([0., 1.], dtype=float32)
    >>> "c" in emb, len(emb), emb.dim
    (False, 2, 2)
    """

    __slots__ = (
        "_words",
        "_vectors",
        "_source",
        "_index",
        "_scans",
        "_norms",
        "_lower",
        "_load_report",
        "__weakref__",
    )

    def __init__(self, words: Sequence[str], vectors, source: str | None = None):
        if isinstance(words, (str, bytes)) or not isinstance(words, Iterable):
            raise ParameterError(f"words must be a sequence of strings, got {type(words).__name__}")
        words = tuple(words)
        try:
            arr = np.asarray(vectors)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise ShapeError(f"vectors must be a 2-D array of numbers: {exc}") from None
        if arr.ndim != 2:
            raise ShapeError(f"vectors must be 2-D (n_words, dim), got shape {arr.shape}")
        if arr.dtype.kind not in "iuf":
            raise ParameterError(f"vectors must hold numbers, got dtype {arr.dtype}")
        if arr.shape[0] != len(words):
            raise ShapeError(
                f"{len(words)} words but vectors has shape {arr.shape}: one row per word needed"
            )
        if arr.shape[0] < 1:
            raise ShapeError(f"an embedding needs at least one word, got shape {arr.shape}")
        if arr.shape[1] < 1:
            raise ShapeError(f"vectors must have at least one column, got shape {arr.shape}")
        if not all(isinstance(w, str) for w in words):
            bad = next(w for w in words if not isinstance(w, str))
            raise ParameterError(f"words must be strings, got {type(bad).__name__} {bad!r}")
        index = dict(zip(words, range(len(words))))
        if len(index) != len(words):
            seen: set[str] = set()
            dup = next(w for w in words if w in seen or seen.add(w))
            raise ParameterError(f"words must be unique; {dup!r} appears more than once")
        if arr.dtype != np.float32:
            with np.errstate(over="ignore"):  # beyond the float32 range: inf, refused below
                arr = arr.astype(np.float32)
        check_finite(arr, words)
        self._setup(words, arr, source)
        self._index = index

    @classmethod
    def _trusted(
        cls,
        words: tuple[str, ...],
        vectors: np.ndarray,
        source: str | None = None,
        *,
        load_report=None,
    ) -> Embeddings:
        """Build without re-checking words a loader has already validated (unique strings).

        The word index is then built lazily: a command-line call that looks up three words
        should not pay for a 400,000-entry dict. ``load_report`` is the loader's
        :class:`~geomlab.LoadReport`, fixed at construction like everything else.
        """
        self = cls.__new__(cls)
        arr = np.asarray(vectors)
        if arr.ndim != 2 or arr.shape[0] != len(words):
            raise ShapeError(f"{len(words)} words but vectors has shape {arr.shape}")
        if not len(words):
            raise ShapeError(f"an embedding needs at least one word, got shape {arr.shape}")
        self._setup(tuple(words), arr, source)
        self._load_report = load_report
        return self

    def _setup(self, words: tuple[str, ...], arr: np.ndarray, source: str | None) -> None:
        if arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        if arr.flags.writeable:
            arr = arr.view()
            arr.flags.writeable = False
        self._words = words
        self._vectors = arr
        self._source = source
        self._index: dict[str, int] | None = None
        self._scans = 0
        self._norms: np.ndarray | None = None
        self._lower: dict[str, int] | None = None
        self._load_report = None

    def _lookup(self, word: str) -> int | None:
        """Row of ``word`` or None. The first few lookups scan the tuple (a C loop, a few
        ms on 400k words); after that the dict is built once and used."""
        if self._index is None:
            if self._scans < _SCANS_BEFORE_INDEX:
                self._scans += 1
                try:
                    return self._words.index(word)
                except ValueError:
                    return None
            self._index = dict(zip(self._words, range(len(self._words))))
        return self._index.get(word)

    # -- basic protocol -------------------------------------------------------------------
    @property
    def words(self) -> tuple[str, ...]:
        """The vocabulary, in row order."""
        return self._words

    @property
    def vectors(self) -> np.ndarray:
        """The read-only float32 matrix, shape ``(n_words, dim)``."""
        return self._vectors

    @property
    def source(self) -> str | None:
        """Where the vectors came from."""
        return self._source

    @property
    def load_report(self):
        """What the loader found (a :class:`~geomlab.LoadReport`: format, skipped lines,
        all-zero rows, cache use, time), or None for an object not read from a file."""
        return self._load_report

    @property
    def dim(self) -> int:
        """The number of dimensions."""
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._lookup(word) is not None

    def __iter__(self):
        return iter(self._words)

    def __getitem__(self, word: str) -> np.ndarray:
        return self._vectors[self.index(word)]

    def __repr__(self) -> str:
        src = f", source={self._source!r}" if self._source else ""
        return f"<Embeddings: {len(self):,} words x {self.dim} dims{src}>"

    def index(self, word: str) -> int:
        """The row of ``word``; raises :class:`UnknownWordError` with suggestions."""
        if not isinstance(word, str):
            raise ParameterError(f"a word must be a string, got {type(word).__name__} {word!r}")
        row = self._lookup(word)
        if row is None:
            raise UnknownWordError(word, self.suggest(word))
        return row

    def indices(self, words: Iterable[str]) -> np.ndarray:
        """Rows of several words (int64 array); the first unknown word raises."""
        return np.fromiter((self.index(w) for w in words), dtype=np.int64)

    def get_index(self, word: str, default: int | None = None) -> int | None:
        """The row of ``word``, or ``default`` when it is absent."""
        row = self._lookup(word) if isinstance(word, str) else None
        return default if row is None else row

    def suggest(self, word: str, n: int = 3) -> tuple[str, ...]:
        """Close vocabulary words for a misspelling, most frequent first.

        Tries the case-folded form, then every word one edit away, then two edits away;
        candidates are ranked by row (pretrained sets are frequency-ordered). Cost grows
        with the length of ``word``, not with the vocabulary.
        """
        if not isinstance(word, str) or not word or len(word) > 40:
            return ()
        found: list[int] = []
        low = word.lower()
        self._scans = _SCANS_BEFORE_INDEX  # many lookups follow: build the dict
        self._lookup(low)
        if low != word and low in self._index:
            found.append(self._index[low])
        e1 = _edits1(low)
        hits = sorted(self._index[w] for w in e1 if w in self._index)
        found.extend(h for h in hits if h not in found)
        if not found and len(low) <= 12:
            hits2 = {self._index[w2] for w in e1 for w2 in _edits1(w) if w2 in self._index}
            found.extend(sorted(hits2))
        return tuple(self._words[i] for i in found[:n])

    # -- derived quantities -----------------------------------------------------------------
    @property
    def norms(self) -> np.ndarray:
        """Euclidean row norms, float32 ``(n_words,)``, computed once."""
        if self._norms is None:
            v = self._vectors
            n = np.sqrt(np.einsum("ij,ij->i", v, v, dtype=np.float32))
            n.flags.writeable = False
            self._norms = n
        return self._norms

    def unit(self, rows=None) -> np.ndarray:
        """Unit-length copies of the given rows (all rows when ``rows`` is None).

        Zero rows stay zero instead of becoming NaN.
        """
        v = self._vectors if rows is None else self._vectors[rows]
        n = self.norms if rows is None else self.norms[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = v / np.where(n == 0, 1, n)[..., None]
        return out.astype(np.float32, copy=False)

    def zero_rows(self) -> np.ndarray:
        """Indices of all-zero rows (they have no direction, so no cosine)."""
        return np.flatnonzero(self.norms == 0)

    # -- new objects ------------------------------------------------------------------------
    def subset(self, words: Iterable[str]) -> Embeddings:
        """A new object with only ``words``, in the order given (unknown words raise)."""
        words = list(words)
        if not words:
            raise ParameterError("subset needs at least one word, got an empty list")
        rows = self.indices(words)
        return Embeddings([self._words[i] for i in rows], self._vectors[rows], self._source)

    def head(self, n: int) -> Embeddings:
        """The first ``n`` words (the most frequent, for frequency-ordered sets)."""
        n = check_int(n, "n")
        n = min(int(n), len(self))
        # rows of a checked object: unique words, finite values; nothing to check again
        return Embeddings._trusted(self._words[:n], self._vectors[:n], self._source)

    def lower_index(self) -> dict[str, int]:
        """Case-folded word -> row of its first (most frequent) case variant."""
        if self._lower is None:
            low: dict[str, int] = {}
            for i, w in enumerate(self._words):
                low.setdefault(w.lower(), i)
            self._lower = low
        return self._lower

    # -- interop ----------------------------------------------------------------------------
    @classmethod
    def from_gensim(cls, kv: KeyedVectors, source: str | None = None) -> Embeddings:
        """Wrap a gensim ``KeyedVectors`` (its words in its own order)."""
        return cls(list(kv.index_to_key), kv.vectors, source or "gensim.KeyedVectors")

    def to_gensim(self) -> KeyedVectors:
        """A gensim ``KeyedVectors`` with the same words, order and vectors."""
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.dim, count=0, dtype=np.float32)
        kv.add_vectors(list(self._words), np.array(self._vectors, dtype=np.float32))
        return kv

    def save(self, path: str | Path, *, format: str = "geomlab") -> Path:
        """Write the vectors to ``path`` atomically.

        Formats: ``"geomlab"`` (a folder with ``vectors.npy`` and ``words.txt``, memory-
        mappable), ``"word2vec-text"``, ``"word2vec-binary"``, ``"glove"``.
        """
        from ._save import save  # below this module: no import of the loaders

        return save(self, path, format=format)
