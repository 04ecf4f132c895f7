"""Argument checks shared by the whole package (the one place they are written).

Every public function validates what a user hands it before it computes anything, and
every failure is a :class:`~geomlab.errors.ParameterError` whose message names the
argument, what is accepted and what was given. The checks live here, below every other
module, so that geometry, scoring, evaluation and the language model use the same words
for the same mistakes (the pattern of scikit-learn's ``utils/validation.py``).

Only numpy and :mod:`geomlab.errors` are imported: this module sits at the bottom of the
import graph.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np

from .errors import ParameterError

__all__ = [
    "METRICS",
    "check_choice",
    "check_finite",
    "check_int",
    "check_k",
    "check_metric",
    "check_restrict",
    "check_temperature",
    "unit_rows",
]

#: The two scores geomlab ranks words by.
METRICS = ("cosine", "dot")


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_int(value, name: str, *, low: int = 1, allow_none: bool = False) -> int | None:
    """``value`` as an int ``>= low``; ``None`` passes through when ``allow_none``.

    Examples
    --------
    >>> check_int(3, "k")
    3
    >>> check_int(0, "k")
    Traceback (most recent call last):
    ...
    geomlab.errors.ParameterError: k must be a positive integer, got 0
    >>> check_int(None, "restrict_vocab", allow_none=True) is None
    True
    """
    if value is None and allow_none:
        return None
    if not _is_int(value) or value < low:
        what = {1: "a positive integer", 0: "a non-negative integer"}.get(
            low, f"an integer >= {low}"
        )
        extra = " or None" if allow_none else ""
        raise ParameterError(f"{name} must be {what}{extra}, got {value!r}")
    return int(value)


def check_k(k) -> int:
    """The number of results asked for: a positive integer."""
    return check_int(k, "k")


def check_choice(value, name: str, options: Sequence):
    """``value`` if it is one of ``options``, else a ParameterError listing them.

    Examples
    --------
    >>> check_choice("pca", "method", ("pca", "umap"))
    'pca'
    >>> check_choice("tsne", "method", ("pca", "umap"))
    Traceback (most recent call last):
    ...
    geomlab.errors.ParameterError: method must be one of 'pca', 'umap'; got 'tsne'
    """
    try:
        ok = value in options
    except TypeError:  # an unhashable value against a set or dict of options
        ok = False
    if not ok:
        allowed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_metric(metric) -> str:
    """``"cosine"`` or ``"dot"``."""
    return check_choice(metric, "metric", METRICS)


def check_restrict(emb, restrict_vocab) -> int:
    """The number of candidate rows: ``len(emb)``, or ``restrict_vocab`` capped at it."""
    n = check_int(restrict_vocab, "restrict_vocab", allow_none=True)
    return len(emb) if n is None else min(n, len(emb))


def check_temperature(temperature, name: str = "temperature") -> float:
    """``temperature`` as a float; a ParameterError unless it is finite and > 0.

    The one check every temperature in geomlab goes through.

    Examples
    --------
    >>> check_temperature(0.5)
    0.5
    >>> check_temperature(0)
    Traceback (most recent call last):
    ...
    geomlab.errors.ParameterError: temperature must be a positive finite number, got 0.0
    """
    if isinstance(temperature, bool) or not isinstance(temperature, Real):
        raise ParameterError(
            f"{name} must be a positive finite number, got {type(temperature).__name__} "
            f"{temperature!r}"
        )
    t = float(temperature)
    if not (t > 0 and math.isfinite(t)):
        raise ParameterError(f"{name} must be a positive finite number, got {t!r}")
    return t


def check_finite(arr: np.ndarray, name: str, *, hint: str = "") -> None:
    """A ParameterError naming the first NaN or infinity in ``arr`` and where it is.

    ``hint`` is appended to the message (what the user can do about it).
    """
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = int(bad[0]) if arr.ndim == 1 else tuple(int(i) for i in bad)
        raise ParameterError(
            f"{name} must be finite, got {float(arr[tuple(bad)])!r} at index {where}{hint}"
        )


def unit_rows(x: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """Rows (or a single vector) scaled to length 1; zero rows stay zero.

    ``norms`` may be passed when they are already known (``Embeddings.norms``). The
    result keeps ``x``'s float dtype.

    Examples
    --------
    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x)
    if norms is None:
        norms = np.linalg.norm(x, axis=-1)
    norms = np.asarray(norms)
    safe = np.where(norms == 0, 1, norms).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    return x / (safe[..., None] if x.ndim > 1 else safe)
