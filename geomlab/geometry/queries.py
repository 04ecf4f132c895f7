"""Queries: a word, a vector, or a weighted expression such as ``"king - man + woman"``.

Grammar of an expression (whitespace is free)::

    expression := term (("+" | "-") term)*
    term       := ["+" | "-"] [number "*"] word

A number is a weight only when ``*`` follows it (``"0.5*paris + berlin"``, ``"-1.5 * x"``);
on its own a number is a word (``"1990"``). A ``-`` joins a hyphenated word when it has a
word character on both sides (``"x-ray"``); as a minus sign it needs a space or an operator
next to it (``"king - man"``, ``"king -man"``). A string that is itself a vocabulary word
is always that word, whatever characters it holds.
"""

from __future__ import annotations

import math
import re
from numbers import Real

import numpy as np

from ..embeddings import accepts_gensim, check_embeddings
from ..errors import ParameterError, ShapeError

__all__ = [
    "MAX_QUERY_NORM",
    "check_words",
    "is_batch",
    "parse_query",
    "query_words",
    "resolve",
    "resolve_many",
    "unit_queries",
    "vector",
]

# A query longer than this cannot be scored in float32: its squared length (and its dot
# products with ordinary rows) overflow. sqrt(float32 max) is 1.8e19.
MAX_QUERY_NORM = 1e18

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_WEIGHT = re.compile(rf"\s*({_NUMBER})\s*\*")
# a word: no whitespace, '+' or '*'; a '-' only between two word characters
_WORD = re.compile(r"\s*([^\s+*\-]+(?:-+[^\s+*\-]+)*)")
_SIGN = re.compile(r"\s*([+-])")


def parse_query(text: str) -> list[tuple[float, str]]:
    """Parse an expression into ``(weight, word)`` terms, in order.

    Parameters
    ----------
    text : str
        An expression such as ``"king - man + woman"`` or ``"0.5*paris + berlin"``.

    Returns
    -------
    list of (float, str)
        One entry per term; a word named twice appears twice.

    Raises
    ------
    ParameterError
        The text is not a well-formed expression; the message quotes it.

    Examples
    --------
    >>> parse_query("king - man + woman")
    [(1.0, 'king'), (-1.0, 'man'), (1.0, 'woman')]
    >>> parse_query("-1.5 * x + 2*y")
    [(-1.5, 'x'), (2.0, 'y')]
    """
    if not isinstance(text, str):
        raise ParameterError(f"an expression must be a string, got {type(text).__name__}")

    def bad(why: str, pos: int):
        return ParameterError(
            f"malformed query expression {text!r}: {why} at position {pos}"
            " (expected terms like 'king - man + woman' or '0.5*paris + berlin')"
        )

    if not text.strip():
        raise ParameterError(f"a query must name at least one word, got {text!r}")
    terms: list[tuple[float, str]] = []
    pos = 0
    sign = 1.0
    m = _SIGN.match(text, pos)  # a leading sign
    if m:
        sign = -1.0 if m.group(1) == "-" else 1.0
        pos = m.end()
    while True:
        weight = sign
        m = _SIGN.match(text, pos)  # a sign of the number after a binary operator: "a + -2*b"
        if m and _WEIGHT.match(text, m.end()):
            weight *= -1.0 if m.group(1) == "-" else 1.0
            pos = m.end()
        m = _WEIGHT.match(text, pos)
        if m:
            weight *= float(m.group(1))
            pos = m.end()
        m = _WORD.match(text, pos)
        if not m:
            rest = text[pos:].strip()
            raise bad(f"expected a word, found {rest[:1]!r}" if rest else "expected a word", pos)
        terms.append((weight, m.group(1)))
        pos = m.end()
        if not text[pos:].strip():
            return terms
        m = _SIGN.match(text, pos)
        if not m:
            raise bad(f"expected '+' or '-', found {text[pos:].strip()[:1]!r}", pos)
        sign = -1.0 if m.group(1) == "-" else 1.0
        pos = m.end()


@accepts_gensim
def query_words(emb, query) -> tuple[str, ...]:
    """The vocabulary words a query names (each once, in order); ``()`` for a vector.

    These are the words :func:`geomlab.nearest` excludes from a query's neighbors by
    default.

    Examples
    --------
    >>> import geomlab
    >>> query_words(geomlab.load(), "king - man + woman")
    ('king', 'man', 'woman')
    """
    if isinstance(query, str):
        if query in emb:
            return (query,)
        return tuple(dict.fromkeys(w for _, w in parse_query(query)))
    return ()


@accepts_gensim
def vector(emb, query) -> np.ndarray:
    """Resolve a query into one float32 vector of length ``emb.dim``.

    Parameters
    ----------
    emb : Embeddings
    query : str or array_like
        A vocabulary word; an expression over words with optional weights
        (``"king - man + woman"``, ``"0.5*paris + berlin"``), whose value is the weighted
        sum of the raw word vectors; or a 1-D vector of length ``emb.dim``.

    Returns
    -------
    numpy.ndarray, shape (dim,), float32
        A new array (never a view of the embedding matrix).

    Raises
    ------
    UnknownWordError
        A word of the query is not in the vocabulary (never a zero vector instead).
    ParameterError
        A malformed expression, a non-finite vector, or a query of the wrong type.
    ShapeError
        A vector whose length is not ``emb.dim``.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> v = geomlab.vector(emb, "king - man + woman")
    >>> v.shape, v.dtype
    ((50,), dtype('float32'))
    """
    return resolve(emb, query)[0]


def resolve(emb, query) -> tuple[np.ndarray, tuple[str, ...]]:
    """``(vector(emb, query), query_words(emb, query))`` in one pass."""
    check_embeddings(emb)
    if isinstance(query, str):
        row = emb.get_index(query)
        if row is not None:
            return np.array(emb.vectors[row], dtype=np.float32), (query,)
        terms = parse_query(query)
        rows = emb.indices(w for _, w in terms)  # unknown words raise with suggestions
        weights = np.array([w for w, _ in terms], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # judged by _checked below
            vec = weights @ emb.vectors[rows].astype(np.float64)
        return _checked(vec, query), tuple(dict.fromkeys(w for _, w in terms))
    if isinstance(query, (bytes, dict, set)) or query is None or isinstance(query, bool):
        raise ParameterError(
            f"a query must be a word, an expression or a vector, got {type(query).__name__}"
        )
    try:
        vec = np.asarray(query, dtype=np.float32)
    except (TypeError, ValueError):
        raise ParameterError(
            f"a query must be a word, an expression or a vector, got {type(query).__name__}"
        ) from None
    if vec.ndim != 1 or vec.shape[0] != emb.dim:
        raise ShapeError(
            f"a query vector must have shape ({emb.dim},) to match the embeddings, "
            f"got shape {vec.shape}"
        )
    if not np.all(np.isfinite(vec)):
        raise ParameterError("a query vector must be finite; it holds NaN or infinity")
    return _checked(np.asarray(query, dtype=np.float64), None), ()


def _checked(vec: np.ndarray, text: str | None) -> np.ndarray:
    """A float64 query vector as float32, refused when float32 cannot score it."""
    what = "a query vector" if text is None else f"the query {text!r}"
    norm = float(np.linalg.norm(vec)) if np.all(np.isfinite(vec)) else math.inf
    if not norm <= MAX_QUERY_NORM:
        shown = "beyond the float64 range" if math.isinf(norm) else f"{norm:.3g}"
        raise ParameterError(
            f"{what} is too long to score (length {shown}; at most {MAX_QUERY_NORM:g}, "
            "beyond which float32 arithmetic overflows): use smaller weights or values"
        )
    with np.errstate(under="ignore"):
        return vec.astype(np.float32)


def check_words(emb, words, name: str) -> tuple[str, ...]:
    """A word or an iterable of words, as a tuple without repeats; all must be known."""
    if isinstance(words, str):
        words = (words,)
    elif isinstance(words, bytes) or not hasattr(words, "__iter__"):
        raise ParameterError(
            f"{name} must be a word or a list of words, got {type(words).__name__} {words!r}"
        )
    words = tuple(dict.fromkeys(words))
    emb.indices(words)  # a non-string or unknown word raises
    return words


def unit_queries(qmat: np.ndarray, queries) -> np.ndarray:
    """Rows of ``qmat`` scaled to unit length (in float64, then float32).

    A zero row has no direction: every word would score 0 against it and its "neighbors"
    would be arbitrary, so it raises :class:`ParameterError` naming the query.
    """
    q64 = qmat.astype(np.float64)
    norms = np.linalg.norm(q64, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        q = queries[int(zero[0])]
        shown = repr(q) if isinstance(q, str) else "a query vector"
        raise ParameterError(
            f"{shown} is the zero vector: it has no direction, so every word would score 0 "
            "and its neighbors would be arbitrary"
        )
    return (q64 / norms[:, None]).astype(np.float32)


def is_batch(query) -> bool:
    """Whether ``query`` is a list of queries rather than one query.

    A 2-D array is a batch of vectors; a list or tuple is a batch unless every element is a
    real number (then it is one vector).
    """
    if isinstance(query, np.ndarray):
        return query.ndim == 2
    if isinstance(query, (list, tuple)):
        return (
            not all(isinstance(x, Real) and not isinstance(x, bool) for x in query)
            or len(query) == 0
        )
    return False


def resolve_many(emb, queries) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Stack many queries: ``(matrix (n_queries, dim) float32, words named by each)``."""
    check_embeddings(emb)
    queries = list(queries)
    if not queries:
        raise ParameterError("a list of queries must hold at least one query, got an empty list")
    out = np.empty((len(queries), emb.dim), dtype=np.float32)
    named = []
    for i, q in enumerate(queries):
        out[i], words = resolve(emb, q)
        named.append(words)
    return out, named
