"""Direction algebra: projections onto a direction, and directions from word pairs.

Every function takes the embeddings first, then queries (a word, an expression or a
vector, as :func:`geomlab.vector` reads them). ``emb`` may be ``None`` when every query is
already a vector, so the algebra also works on plain arrays::

    project(emb, "nurse", direction(emb, [("man", "woman"), ("he", "she")]))
    project(None, emb.vectors, d)          # every row at once, shape (n, dim)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import unit_rows
from ..embeddings import accepts_gensim
from ..errors import ParameterError, ShapeError
from .queries import resolve

__all__ = ["Offsets", "direction", "offset_consistency", "offsets", "project", "reject"]


def _as_vectors(emb, query) -> np.ndarray:
    """A query as float32, shape (dim,), or a 2-D array of row vectors as (n, dim)."""
    if isinstance(query, np.ndarray) and query.ndim == 2:
        if emb is not None and query.shape[1] != emb.dim:
            raise ShapeError(f"vectors must have {emb.dim} columns, got shape {query.shape}")
        return np.asarray(query, dtype=np.float32)
    if emb is None:
        if isinstance(query, str):
            raise ParameterError(f"a word ({query!r}) needs the embeddings: pass emb")
        v = np.asarray(query, dtype=np.float32)
        if v.ndim != 1:
            raise ShapeError(f"a vector must be 1-D, got shape {v.shape}")
        return v
    return resolve(emb, query)[0]


def _unit_direction(emb, onto) -> np.ndarray:
    d = _as_vectors(emb, onto)
    if d.ndim != 1:
        raise ShapeError(f"a direction must be one vector, got shape {d.shape}")
    n = float(np.linalg.norm(d))
    if n == 0:
        raise ParameterError("the direction has zero length: there is nothing to project onto")
    return (d / n).astype(np.float32)


@accepts_gensim(allow_none=True)
def project(emb, query, onto) -> np.ndarray:
    """The component of ``query`` along the direction ``onto``: ``(v . u) u``, ``u = onto/|onto|``.

    Parameters
    ----------
    emb : Embeddings or None
        Needed when ``query`` or ``onto`` names words.
    query : str, array_like (dim,), or ndarray (n, dim)
        A word, expression or vector; or many row vectors (each projected).
    onto : str or array_like (dim,)
        The direction (its length does not matter).

    Returns
    -------
    ndarray, float32, the shape of the query's vector(s)

    Raises
    ------
    ParameterError
        A zero-length direction, or a word without embeddings.
    ShapeError
        Vectors of different lengths.

    Examples
    --------
    >>> import numpy as np
    >>> project(None, [3.0, 4.0], [1.0, 0.0])
    array([3., 0.], dtype=float32)
    """
    v = _as_vectors(emb, query)
    u = _unit_direction(emb, onto)
    if v.shape[-1] != u.shape[0]:
        raise ShapeError(f"query shape {v.shape} and direction shape {u.shape} do not match")
    coef = v @ u
    return (coef[..., None] * u).astype(np.float32)


@accepts_gensim(allow_none=True)
def reject(emb, query, onto) -> np.ndarray:
    """What is left of ``query`` with its component along ``onto`` removed (orthogonal to it).

    ``project(emb, q, d) + reject(emb, q, d)`` is the query vector. Arguments as
    :func:`project`.

    Examples
    --------
    >>> reject(None, [3.0, 4.0], [1.0, 0.0])
    array([0., 4.], dtype=float32)
    """
    v = _as_vectors(emb, query)
    return (v - project(emb, v, onto)).astype(np.float32)


def _pair_offsets(emb, pairs) -> tuple[list[tuple], np.ndarray]:
    if isinstance(pairs, tuple) and len(pairs) == 2 and all(isinstance(p, str) for p in pairs):
        pairs = [pairs]  # one pair given bare
    if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__iter__"):
        raise ParameterError(
            f"pairs must be a list of (a, b) word pairs, got {type(pairs).__name__} {pairs!r}"
        )
    pairs = list(pairs)
    if not pairs:
        raise ParameterError("pairs must hold at least one (a, b) pair, got an empty list")
    offs = []
    for p in pairs:
        if isinstance(p, str) or not hasattr(p, "__len__") or len(p) != 2:
            raise ParameterError(f"each pair must be (a, b), two words; got {p!r}")
        a, b = p
        offs.append(resolve(emb, b)[0].astype(np.float64) - resolve(emb, a)[0])
    return [tuple(p) for p in pairs], np.array(offs)


@accepts_gensim
def direction(emb, pairs, *, normalize: bool = True) -> np.ndarray:
    """The mean offset ``b - a`` of word pairs: a direction such as man -> woman.

    Parameters
    ----------
    emb : Embeddings
    pairs : sequence of (a, b)
        Word pairs (words or expressions), e.g. ``[("man", "woman"), ("king", "queen")]``.
        The offsets are taken between the raw vectors.
    normalize : bool
        Scale the result to unit length.

    Returns
    -------
    ndarray, shape (dim,), float32

    Raises
    ------
    ParameterError
        No pairs, a pair that is not two words, or a zero mean offset with ``normalize``.
    UnknownWordError
        A word is not in the vocabulary.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> d = geomlab.direction(emb, [("man", "woman"), ("he", "she")])
    >>> d.shape, round(float(np.linalg.norm(d)), 4)
    ((50,), 1.0)
    """
    _, offs = _pair_offsets(emb, pairs)
    mean = offs.mean(axis=0)
    if normalize:
        n = float(np.linalg.norm(mean))
        if n == 0:
            raise ParameterError("the pairs' mean offset is zero: it has no direction")
        mean = mean / n
    return mean.astype(np.float32)


@dataclass(frozen=True, eq=False)
class Offsets(Record):
    """How parallel the offsets ``b - a`` of word pairs are.

    Attributes
    ----------
    pairs : tuple of (a, b)
    cosines : ndarray, shape (n_pairs, n_pairs), float32
        Cosine of every two offsets (1 on the diagonal; 0 for a zero offset).
    consistency : float
        The mean cosine over distinct pairs of offsets (1: all parallel; about 0: unrelated).
    per_pair : ndarray, shape (n_pairs,), float32
        Each offset's mean cosine with the others (the odd one out has the lowest).
    norms : ndarray, shape (n_pairs,), float32
        The length of each offset.
    """

    pairs: tuple[tuple, ...]
    cosines: np.ndarray = field(repr=False)
    consistency: float
    per_pair: np.ndarray = field(repr=False)
    norms: np.ndarray = field(repr=False)

    def rows(self) -> list[dict]:
        return [
            {"a": _name(a), "b": _name(b), "mean_cosine": float(m), "offset_norm": float(n)}
            for (a, b), m, n in zip(self.pairs, self.per_pair, self.norms)
        ]


def _name(x):
    return x if isinstance(x, str) else "<vector>"


@accepts_gensim
def offsets(emb, pairs) -> Offsets:
    """Pairwise cosines of the pairs' offsets ``b - a``, with per-pair detail.

    Raises :class:`ParameterError` for fewer than two pairs. See :func:`offset_consistency`.
    """
    pairs, offs = _pair_offsets(emb, pairs)
    if len(pairs) < 2:
        raise ParameterError(
            f"offset consistency compares offsets: it needs at least two pairs, got {len(pairs)}"
        )
    norms = np.linalg.norm(offs, axis=1)
    unit = unit_rows(offs, norms)
    cos = unit @ unit.T
    np.fill_diagonal(cos, 1.0)
    m = len(pairs)
    off_diag = cos[~np.eye(m, dtype=bool)].reshape(m, m - 1)
    return Offsets(
        pairs=tuple(pairs),
        cosines=cos.astype(np.float32),
        consistency=float(off_diag.mean()),
        per_pair=off_diag.mean(axis=1).astype(np.float32),
        norms=norms.astype(np.float32),
    )


@accepts_gensim
def offset_consistency(emb, pairs) -> float:
    """The mean pairwise cosine of the pairs' offsets: how parallel ``b - a`` really are.

    ``[("man", "woman"), ("king", "queen")]`` gives the cosine of woman - man with
    queen - king, the geometry the analogy king - man + woman = queen relies on. A zero
    offset (a == b) has cosine 0 with every other. For the per-pair detail use
    :func:`geomlab.geometry.directions.offsets`.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> round(geomlab.offset_consistency(emb, [("man", "woman"), ("king", "queen")]), 2)
    0.6
    """
    return offsets(emb, pairs).consistency
