"""The seeds' function ``eml(x, y) = e**x - ln(y)`` and its echo of cross-entropy.

The dialogues start from this little function and ask whether it "rhymes" with the
machinery of a language model. :func:`eml_echo` puts the rhyme on the table. For logits
``z`` and a right answer ``t`` let ``x = z_t`` (the right logit) and ``y = sum_j e^{z_j}``
(the softmax's normaliser, the partition function). Then

* ``eml(x, y) = e^{z_t} - ln y``
* ``cross-entropy = ln y - z_t``, i.e. the log-likelihood ``ln p_t = z_t - ln y``.

Both measure the right answer against the whole vocabulary's log-mass ``ln y``, with the
seeds' sign: higher is better. Where the rhyme holds: for one set of logits ``y`` is the
same for every candidate answer, so both are increasing in ``z_t`` and rank the candidates
identically (the argmax of ``eml`` is the argmax of the softmax). Where it breaks:
``eml - ln p_t = e^x - x >= 1``, so ``eml`` is always above the log-likelihood and turns
positive once ``e^{z_t} > ln y``, while ``ln p_t <= 0`` always; and adding a constant to all
logits leaves the cross-entropy unchanged but not ``eml``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._record import Record
from ..errors import ParameterError
from .losses import _distribution, _target
from .softmax import logsumexp

__all__ = ["EmlEcho", "eml", "eml_echo"]

#: the largest x with a finite e**x in float64
_MAX_EXP = math.log(np.finfo(np.float64).max)


def _checked(values, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a real number, got {type(values).__name__} {values!r}"
        ) from None
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ParameterError(f"{name} must be finite, got {float(bad)!r}")
    return arr


def _exp(x: np.ndarray) -> np.ndarray:
    if np.any(x > _MAX_EXP):
        raise ParameterError(
            f"e**x overflows for x > {_MAX_EXP:.2f} (the largest float64 is about 1.8e308); "
            f"got x = {float(x[x > _MAX_EXP].ravel()[0])!r}"
        )
    return np.exp(x)


def eml(x, y):
    """``e**x - ln(y)``: the exponential amplifies ``x``, the logarithm compresses ``y``.

    Parameters
    ----------
    x : float or array_like
        Finite; at most about 709.78, where ``e**x`` leaves float64.
    y : float or array_like
        Finite and > 0 (broadcast against ``x``).

    Returns
    -------
    float or ndarray

    Raises
    ------
    ParameterError
        ``y <= 0`` (the logarithm is undefined), ``e**x`` overflows, or a value is NaN or
        infinite.

    Examples
    --------
    >>> import math
    >>> eml(1, math.e) == math.e - 1
    True
    >>> round(eml(9.2, 1), 1)  # ln 1 = 0 leaves e**9.2
    9897.1
    """
    xa = _checked(x, "x")
    ya = _checked(y, "y")
    if np.any(ya <= 0):
        raise ParameterError(
            f"eml(x, y) needs y > 0 (ln y is undefined otherwise), got y = "
            f"{float(ya[ya <= 0].ravel()[0])!r}"
        )
    out = _exp(xa) - np.log(ya)
    return float(out) if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True, eq=False)
class EmlEcho(Record):
    """Both sides of the rhyme for one or more predictions (see :func:`eml_echo`).

    Attributes
    ----------
    target : int or ndarray
        The right answer's index per row.
    x : float or ndarray
        ``z_t``, the right answer's logit.
    log_y : float or ndarray
        ``ln y = ln sum_j e^{z_j}`` (computed in log space; ``y`` itself may overflow).
    eml : float or ndarray
        ``e**x - ln y``.
    cross_entropy : float or ndarray
        ``ln y - x = -ln p_t``.
    """

    target: int | np.ndarray
    x: float | np.ndarray
    log_y: float | np.ndarray
    eml: float | np.ndarray
    cross_entropy: float | np.ndarray

    @property
    def log_likelihood(self):
        """``x - ln y = ln p_t = -cross_entropy``: the seeds' sign, higher is better."""
        return -self.cross_entropy

    @property
    def gap(self):
        """``eml - ln p_t = e**x - x``, never below 1: eml always sits above the log-likelihood."""
        return self.eml - self.log_likelihood

    @property
    def agree(self):
        """Where ``eml`` has the sign of ``ln p_t`` (negative): ``e**x < ln y``."""
        out = np.asarray(self.eml) < 0
        return bool(out) if out.ndim == 0 else out

    def rows(self) -> list[dict]:
        cols = [
            np.atleast_1d(np.asarray(v))
            for v in (
                self.target,
                self.x,
                self.log_y,
                self.eml,
                self.cross_entropy,
                self.log_likelihood,
                self.agree,
            )
        ]
        names = ["target", "x", "log_y", "eml", "cross_entropy", "log_likelihood", "agree"]
        return [{k: v.item() for k, v in zip(names, vals)} for vals in zip(*cols)]


def eml_echo(logits, target, *, words=None) -> EmlEcho:
    """Set ``eml`` beside cross-entropy for real logits: ``x = z_t``, ``y = sum_j e^{z_j}``.

    Parameters
    ----------
    logits : array_like, shape (n,) or (m, n); or a Preference
        Scores over ``n`` candidates (a Preference brings its logits and words; its
        temperature is not applied, the echo is about the raw logits).
    target : int, str, or a sequence of them
        The right answer per row, by index or by word (words need ``words``).
    words : sequence of str, optional
        One word per candidate.

    Returns
    -------
    EmlEcho
        ``.x``, ``.log_y``, ``.eml``, ``.cross_entropy``, and ``.log_likelihood``,
        ``.gap`` (``e**x - x >= 1``), ``.agree`` (where ``eml < 0``, the sign of
        ``ln p_t``); floats for one row, arrays for several.

    Raises
    ------
    ParameterError
        A right logit above about 709.78 (``e**x`` overflows), or bad logits or target.

    Examples
    --------
    >>> echo = eml_echo([9.2, 1.4, 0.8, -4.7], 0)
    >>> round(echo.cross_entropy, 4), round(echo.eml, 1)
    (0.0006, 9887.9)
    >>> echo.agree  # a confident right answer: eml is large and positive, ln p is ~ 0
    False
    """
    z, words, mask, _ = _distribution(logits, words, None, 1.0)
    kind, tgt = _target(target, z, words)
    if kind != "index":
        raise ParameterError(
            "eml_echo needs a right answer (an index or a word) per row, not a target distribution"
        )
    x = np.take_along_axis(z, tgt[..., None], axis=-1)[..., 0]
    if mask is not None:
        keep = np.broadcast_to(np.asarray(mask), z.shape)
        if not np.all(np.take_along_axis(keep, tgt[..., None], axis=-1)):
            raise ParameterError("the target is masked out: it takes no part in the softmax")
    log_y = np.asarray(logsumexp(z, mask=mask))
    e = _exp(x) - log_y
    ce = log_y - x

    def out(a):
        a = np.asarray(a)
        return a.item() if a.ndim == 0 else a

    return EmlEcho(target=out(tgt), x=out(x), log_y=out(log_y), eml=out(e), cross_entropy=out(ce))
