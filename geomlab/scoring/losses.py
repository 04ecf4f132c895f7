"""Cross-entropy and its gradient, entropy, KL divergence, perplexity and surprise.

The logarithm is the judge: the loss of a prediction is the surprise ``-ln p`` of what
actually happened. ``-ln 0.99 = 0.01``, ``-ln 0.01 = 4.6``, ``-ln 1e-6 = 13.8``; every factor
of 10 less probability costs ``ln 10 = 2.3`` nats more. For logits ``z`` and the right
class ``t``, ``-ln softmax(z)_t = ln sum_j e^{z_j} - z_t`` (the log-sum-exp minus the right
logit), and its gradient is ``p - onehot(t)`` (divided by ``T`` at temperature ``T``).

Against a target distribution ``q``, cross-entropy splits into the surprise that cannot be
avoided and the excess surprise of the model: ``H(q, p) = H(q) + KL(q || p)``.

Numpy only, for the same reason as :mod:`geomlab.scoring.softmax`; the tests compare
:func:`entropy` and :func:`kl_divergence` with ``scipy.special.entr`` and ``rel_entr``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._validation import check_temperature
from ..errors import ParameterError, ShapeError
from .softmax import _as_array, _check_axis, log_softmax, softmax

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "entropy",
    "kl_divergence",
    "perplexity",
    "surprise",
]

_UNITS = {"nats": 1.0, "bits": 1.0 / math.log(2)}


def _unit_factor(unit) -> float:
    try:
        return _UNITS[unit]
    except (KeyError, TypeError):
        raise ParameterError(f"unit must be 'nats' or 'bits', got {unit!r}") from None


def _out(arr):
    arr = np.asarray(arr)
    return float(arr) if arr.ndim == 0 else arr


# -- logits that come with words (a Preference, or logits plus words=) -----------------------
def _distribution(logits, words, mask, temperature):
    """``(logits, words, mask, T)``: unpack a Preference-like record or check plain logits.

    A record with ``.logits``, ``.words``, ``.mask`` and ``.temperature`` (such as
    :class:`geomlab.Preference`) supplies all four; explicit arguments win.
    """
    if hasattr(logits, "logits") and hasattr(logits, "words"):
        rec = logits
        logits = rec.logits
        words = rec.words if words is None else words
        mask = getattr(rec, "mask", None) if mask is None else mask
        if temperature is None:
            temperature = getattr(rec, "temperature", 1.0)
    t = 1.0 if temperature is None else check_temperature(temperature)
    z = _as_array(logits, "logits")
    if words is not None:
        words = tuple(words)
        if len(words) != z.shape[-1]:
            raise ShapeError(
                f"{len(words)} words for logits of shape {z.shape}: one word per candidate "
                "(the last axis) is needed"
            )
    return z, words, mask, t


def _word_index(words: Sequence[str] | None, word: str) -> int:
    if words is None:
        raise ParameterError(
            f"target {word!r} is a word, but the logits come without words; pass words= "
            "(one per candidate) or a Preference"
        )
    try:
        return words.index(word)
    except ValueError:
        shown = ", ".join(words[:6]) + (", ..." if len(words) > 6 else "")
        raise ParameterError(
            f"target {word!r} is not among the {len(words):,} candidates ({shown})"
        ) from None


def _target(target, z: np.ndarray, words):
    """Classify and check a target: ``("index", int array)`` or ``("soft", float array)``.

    The index array has the shape of ``z`` without its last axis.
    """
    n = z.shape[-1]
    batch = z.shape[:-1]
    if isinstance(target, str) or (
        isinstance(target, (list, tuple)) and target and all(isinstance(w, str) for w in target)
    ):
        if isinstance(target, str):
            idx = np.array(_word_index(words, target))
        else:
            lookup = {w: i for i, w in enumerate(words)} if words is not None else {}
            idx = np.array([lookup[w] if w in lookup else _word_index(words, w) for w in target])
    else:
        arr = np.asarray(target)
        if arr.dtype == np.bool_ or arr.dtype.kind not in "iuf":
            raise ParameterError(
                "target must be a class index, a word, or a probability distribution over "
                f"the candidates; got {type(target).__name__} {target!r}"[:300]
            )
        if arr.dtype.kind == "f":
            if arr.shape != z.shape:
                raise ShapeError(
                    f"a target distribution must have the logits' shape {z.shape}, got "
                    f"{arr.shape} (for a class index pass an integer)"
                )
            return "soft", _check_probs(arr, "target", axis=-1)
        idx = arr.astype(np.int64)
        bad = (idx < 0) | (idx >= n)
        if np.any(bad):
            raise ParameterError(
                f"target index must be in [0, {n}), got {int(idx[bad].ravel()[0])}"
            )
    if idx.shape != batch:
        raise ShapeError(
            f"target of shape {idx.shape} for logits of shape {z.shape}: one target per row "
            f"(shape {batch}) is needed"
        )
    return "index", idx


def _check_probs(p, name: str, *, axis: int = -1) -> np.ndarray:
    """A float64 array whose slices along ``axis`` are probability distributions."""
    arr = _as_array(p, name)
    _check_axis(axis, arr.ndim)
    tol = max(1e-9, math.sqrt(np.finfo(np.result_type(np.asarray(p), np.float32)).eps))
    if arr.min() < 0 or arr.max() > 1 + tol:
        bad = arr[(arr < 0) | (arr > 1 + tol)].ravel()[0]
        raise ParameterError(f"{name} must hold probabilities in [0, 1], got {float(bad)!r}")
    total = arr.sum(axis=axis)
    off = np.abs(total - 1) > tol
    if np.any(off):
        raise ParameterError(
            f"{name} must sum to 1 along axis {axis}, got a sum of "
            f"{float(np.ravel(total)[np.argmax(np.ravel(off))])!r}"
        )
    return arr


# -- the loss and its gradient ---------------------------------------------------------------
def cross_entropy(logits, target, *, temperature: float | None = None, words=None, mask=None):
    """Cross-entropy ``-ln softmax(z / T)[target]``, in nats: the loss of a prediction.

    Parameters
    ----------
    logits : array_like, shape (n,) or (m, n); or a Preference
        Scores over ``n`` candidates, one row per prediction. A
        :class:`~geomlab.Preference` brings its own logits, words, mask and temperature.
    target : int, str, sequence or array_like
        The right answer per row: a class index (``int``, or an integer array of shape
        ``(m,)``), a word (``str``, or a list of ``m`` words; needs ``words``), or a target
        distribution (a float array of the logits' shape, each row summing to 1).
    temperature : float, optional
        ``T > 0``; default 1, or the Preference's own temperature.
    words : sequence of str, optional
        One word per candidate (the last axis), so that ``target`` may be a word.
    mask : array_like of bool, optional
        As in :func:`~geomlab.softmax`; a target that is masked out costs ``inf``.

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    >>> round(cross_entropy([0.0, 0.0], 0), 6)  # a fair coin: ln 2
    0.693147
    >>> round(cross_entropy([3.0, 1.0], "paris", words=["paris", "london"]), 4)
    0.1269
    """
    z, words, mask, t = _distribution(logits, words, mask, temperature)
    kind, tgt = _target(target, z, words)
    logp = log_softmax(z, temperature=t, mask=mask)
    if kind == "index":
        return _out(-np.take_along_axis(logp, tgt[..., None], axis=-1)[..., 0])
    # 0 * ln 0 counts as 0: a candidate the target never names costs nothing
    with np.errstate(invalid="ignore"):
        return _out(-np.where(tgt > 0, tgt * logp, 0.0).sum(axis=-1))


def cross_entropy_grad(
    logits, target, *, temperature: float | None = None, words=None, mask=None
) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits: ``(p - y) / T``.

    ``p = softmax(z / T)`` and ``y`` is the one-hot target (or the target distribution).
    For the right class the entry is ``(p_t - 1) / T``, for the others ``p_j / T``: how
    confident the model was, minus how confident it should have been. Masked entries get 0.

    Parameters and target forms as in :func:`cross_entropy`.

    Returns
    -------
    ndarray, same shape as the logits

    Examples
    --------
    >>> cross_entropy_grad([0.0, 0.0], 0)
    array([-0.5,  0.5])
    """
    z, words, mask, t = _distribution(logits, words, mask, temperature)
    kind, tgt = _target(target, z, words)
    grad = softmax(z, temperature=t, mask=mask)
    if kind == "index":
        np.put_along_axis(
            grad, tgt[..., None], np.take_along_axis(grad, tgt[..., None], axis=-1) - 1.0, -1
        )
    else:
        grad = grad - tgt
    return grad / t


# -- information measures --------------------------------------------------------------------
def entropy(probs, *, axis: int = -1, unit: str = "nats"):
    """Shannon entropy ``H(p) = -sum_i p_i ln p_i`` (``0 ln 0 = 0``).

    Parameters
    ----------
    probs : array_like
        Probability distributions along ``axis`` (entries in [0, 1], summing to 1).
    axis : int
        The axis that holds each distribution.
    unit : {"nats", "bits"}

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> entropy([0.5, 0.5], unit="bits")
    1.0
    """
    f = _unit_factor(unit)
    p = _check_probs(probs, "probs", axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return _out(terms.sum(axis=axis) * f)


def kl_divergence(p, q, *, axis: int = -1, unit: str = "nats"):
    """Kullback-Leibler divergence ``KL(p || q) = sum_i p_i ln(p_i / q_i)``.

    The excess surprise of believing ``q`` when the truth is ``p``; 0 only when they are
    equal, ``inf`` when ``q`` gives probability 0 to something ``p`` allows.

    Parameters
    ----------
    p, q : array_like
        Probability distributions along ``axis`` (broadcast against each other).
    axis : int
    unit : {"nats", "bits"}

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 6)
    0.510826
    """
    f = _unit_factor(unit)
    p = _check_probs(p, "p", axis=axis)
    q = _check_probs(q, "q", axis=axis)
    try:
        shape = np.broadcast_shapes(p.shape, q.shape)
    except ValueError:
        raise ShapeError(f"p has shape {p.shape} and q has shape {q.shape}: they differ") from None
    # Other axes broadcast (one q for many p), but p and q must describe the same
    # outcomes: a 1-outcome q stretched over 2 outcomes is a different distribution.
    ax = axis % len(shape)
    sizes = [a.shape[k] if (k := ax - (len(shape) - a.ndim)) >= 0 else None for a in (p, q)]
    if sizes[0] != sizes[1]:
        raise ShapeError(
            f"p has shape {p.shape} and q has shape {q.shape}: they must have the same "
            f"number of outcomes along axis {axis} (got {sizes[0]} and {sizes[1]})"
        )
    p, q = np.broadcast_arrays(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return _out(terms.sum(axis=axis) * f)


def perplexity(losses, *, unit: str = "nats") -> float:
    """Perplexity ``exp(mean loss)``: the effective number of equally likely choices.

    Parameters
    ----------
    losses : float or array_like
        Cross-entropies (per prediction) in ``unit``; their mean is used. Pass an entropy to
        get the perplexity of one distribution.
    unit : {"nats", "bits"}
        ``exp`` for nats, ``2 **`` for bits.

    Returns
    -------
    float

    Examples
    --------
    >>> perplexity(entropy([0.25] * 4))  # four equal choices
    4.0
    """
    f = _unit_factor(unit)
    arr = np.asarray(losses, dtype=np.float64)
    if arr.size == 0:
        raise ParameterError("losses must hold at least one value, got an empty array")
    if np.any(np.isnan(arr)) or np.any(arr < 0):
        bad = arr[np.isnan(arr) | (arr < 0)].ravel()[0]
        raise ParameterError(f"losses must be cross-entropies (>= 0), got {float(bad)!r}")
    with np.errstate(over="ignore"):
        return float(np.exp(arr.mean() / f))


def surprise(p, *, unit: str = "nats"):
    """Surprise (information content) ``-ln p`` of an event of probability ``p``.

    Parameters
    ----------
    p : float or array_like
        Probabilities in [0, 1]; ``p = 0`` is infinitely surprising.
    unit : {"nats", "bits"}

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(surprise(0.01), 5)
    4.60517
    >>> surprise(0.5, unit="bits")
    1.0
    """
    f = _unit_factor(unit)
    try:
        arr = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"p must be a probability, got {type(p).__name__} {p!r}") from None
    if np.any(np.isnan(arr)) or np.any(arr < 0) or np.any(arr > 1):
        bad = arr[np.isnan(arr) | (arr < 0) | (arr > 1)].ravel()[0]
        raise ParameterError(f"p must be a probability in [0, 1], got {float(bad)!r}")
    with np.errstate(divide="ignore"):
        return _out(-np.log(arr) * f)
