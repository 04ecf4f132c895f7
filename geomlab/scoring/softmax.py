"""Softmax, log-softmax and log-sum-exp with a temperature and a mask; the Boltzmann view.

Scores become a distribution: ``p_i = exp(z_i / T) / sum_j exp(z_j / T)``. The
exponential is the amplifier: a logit two units higher gets ``e**2 = 7.39`` times the
weight. The temperature ``T`` is the dial: ``T -> 0`` gives a one-hot choice (ties share
it), ``T -> inf`` the uniform distribution.

Everything is computed in log space from ``s = (z - max z) / T``: the largest entry of
``s`` is 0, so ``exp`` never overflows, and shifting *before* dividing keeps a tiny ``T``
from turning large logits into ``inf``. ``softmax([1000, 1000, -1000])`` is exactly
``[0.5, 0.5, 0.0]``.

The functions here are written with numpy only (no ``scipy.special``): they also need a
mask, a temperature and input checks, which is most of the code, and the quick commands
(``geomlab score``) stay about 0.4 s faster without the scipy import. The tests check them
against ``scipy.special.logsumexp`` / ``softmax`` / ``log_softmax``.

Boltzmann view: a logit is a negative energy, ``E = -z``. The free energy is
``F = -T ln sum_j exp(-E_j / T)`` (``-T`` times the log partition function), and
``p_i = exp(-(E_i - F) / T)`` is the softmax again.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_finite, check_temperature
from ..errors import ParameterError, ShapeError

__all__ = ["boltzmann", "free_energy", "log_softmax", "logsumexp", "softmax"]


# -- argument checks (the shared ones live in geomlab/_validation.py) -----------------------


def _check_finite(arr: np.ndarray, name: str) -> None:
    check_finite(arr, name, hint=" (use mask= to leave candidates out)" if name == "logits" else "")


def _as_array(values, name: str) -> np.ndarray:
    """A finite float64 array with at least one dimension and no empty axis."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be an array of numbers, got {type(values).__name__}"
        ) from None
    if arr.ndim == 0:
        raise ShapeError(f"{name} must have at least one dimension, got a scalar (shape ())")
    if arr.size == 0:
        raise ShapeError(f"{name} must not be empty, got shape {arr.shape}")
    _check_finite(arr, name)
    return arr


def _check_axis(axis, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ParameterError(f"axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ParameterError(f"axis {axis} is out of range for an array with {ndim} dimensions")
    return int(axis) % ndim


def _check_mask(mask, shape: tuple[int, ...], axis: int) -> np.ndarray | None:
    """The mask broadcast to ``shape`` (True = takes part), or None."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        raise ParameterError(
            f"mask must be an array of booleans (True = the candidate takes part), got dtype "
            f"{m.dtype}"
        )
    # One entry per candidate: along the candidate axis the mask is never stretched (a
    # length-1 mask would silently apply its one value to every candidate); other axes
    # broadcast (one mask for every row).
    k = axis - (len(shape) - m.ndim)
    if k < 0 or m.shape[k] != shape[axis]:
        have = "no candidate axis" if k < 0 else f"{m.shape[k]} entries along the candidate axis"
        raise ShapeError(
            f"mask of shape {m.shape} does not broadcast to the logits' shape {shape}: it has "
            f"{have}, the logits {shape[axis]} candidates (one entry per candidate is needed)"
        )
    try:
        m = np.broadcast_to(m, shape)
    except ValueError:
        raise ShapeError(
            f"mask of shape {m.shape} does not broadcast to the logits' shape {shape}"
        ) from None
    empty = ~m.any(axis=axis)
    if np.any(empty):
        which = "" if empty.ndim == 0 else f" (row {tuple(int(i) for i in np.argwhere(empty)[0])})"
        raise ParameterError(f"mask excludes every candidate{which}; at least one must remain")
    return m


def _shifted(logits, temperature, axis, mask):
    """``(s, zmax, T, axis)`` with ``s = (z - max z) / T`` and ``-inf`` at masked entries.

    ``zmax`` is the largest unmasked logit along ``axis`` (kept as a length-1 axis).
    """
    t = check_temperature(temperature)
    z = _as_array(logits, "logits")
    ax = _check_axis(axis, z.ndim)
    keep = _check_mask(mask, z.shape, ax)
    if keep is None:
        zmax = z.max(axis=ax, keepdims=True)
    else:
        zmax = np.where(keep, z, -np.inf).max(axis=ax, keepdims=True)
    with np.errstate(over="ignore"):  # a tiny T sends far-below-max logits to -inf: p = 0
        s = (z - zmax) / t
    if keep is not None:
        s[~keep] = -np.inf
    return s, zmax, t, ax


def _log_norm(s: np.ndarray, axis: int) -> np.ndarray:
    # the largest entry of s is 0, so the sum lies in [1, n]: no overflow, no log(0)
    return np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _out(arr: np.ndarray):
    return float(arr) if arr.ndim == 0 else arr


# -- public functions ------------------------------------------------------------------------
def logsumexp(
    logits, *, temperature: float = 1.0, axis: int = -1, mask=None, keepdims: bool = False
):
    """``ln sum_j exp(z_j / T)``, computed without overflow: the log partition function.

    Parameters
    ----------
    logits : array_like, shape (..., n, ...)
        Finite scores.
    temperature : float
        ``T > 0``; the logits are divided by it.
    axis : int
        The axis summed over (default: the last).
    mask : array_like of bool, optional
        Broadcast against ``logits``; False entries are left out of the sum.
    keepdims : bool
        Keep the summed axis with length 1.

    Returns
    -------
    float or ndarray
        A float for 1-D input, else an array without ``axis``.

    Examples
    --------
    >>> logsumexp([1000.0, 1000.0])  # 1000 + ln 2
    1000.6931471805599
    """
    s, zmax, t, ax = _shifted(logits, temperature, axis, mask)
    with np.errstate(over="ignore"):
        out = zmax / t + _log_norm(s, ax)
    return _out(out if keepdims else np.squeeze(out, axis=ax))


def log_softmax(logits, *, temperature: float = 1.0, axis: int = -1, mask=None) -> np.ndarray:
    """``ln softmax(z / T)``: log-probabilities, exact where the probabilities underflow.

    Masked entries are ``-inf``. Parameters as in :func:`softmax`.

    Examples
    --------
    >>> log_softmax([0.0, 0.0]).round(4)
    array([-0.6931, -0.6931])
    """
    s, _, _, ax = _shifted(logits, temperature, axis, mask)
    return s - _log_norm(s, ax)


def softmax(logits, *, temperature: float = 1.0, axis: int = -1, mask=None) -> np.ndarray:
    """Turn scores into probabilities: ``exp(z_i / T) / sum_j exp(z_j / T)``.

    Parameters
    ----------
    logits : array_like, shape (..., n, ...)
        Finite scores (dot products, cosines, attention logits). NaN or infinity raises a
        :class:`ParameterError`; leave candidates out with ``mask`` instead.
    temperature : float
        ``T > 0``. Small ``T`` sharpens towards a one-hot choice, large ``T`` flattens
        towards uniform; ``T = 1`` is the plain softmax.
    axis : int
        The axis that holds the candidates (default: the last); every slice along it sums
        to 1.
    mask : array_like of bool, optional
        Broadcast against ``logits``; True where a candidate takes part. Excluded
        candidates get probability exactly 0. At least one per slice must remain.

    Returns
    -------
    ndarray, float64, same shape as ``logits``

    Raises
    ------
    ParameterError
        Non-finite logits, a temperature that is not a positive finite number, a mask that
        is not boolean or excludes everything.
    ShapeError
        Empty or 0-d logits, or a mask that does not broadcast.

    Examples
    --------
    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])
    >>> p = softmax([2.0, 0.0])
    >>> round(float(p[0] / p[1]), 3)  # two units of score: e**2 times the weight
    7.389
    >>> softmax([1.0, 2.0, 3.0], mask=[True, False, True]).round(3)
    array([0.119, 0.   , 0.881])
    """
    s, _, _, ax = _shifted(logits, temperature, axis, mask)
    e = np.exp(s)
    return e / e.sum(axis=ax, keepdims=True)


def free_energy(logits, temperature: float = 1.0, *, axis: int = -1, mask=None):
    """Helmholtz free energy ``F = -T ln sum_j exp(z_j / T)`` of the states ``E = -z``.

    ``F`` is ``-T`` times the log partition function (:func:`logsumexp` at ``T``). As
    ``T -> 0`` it tends to the lowest energy, ``-max z``; it is never above it.

    Parameters
    ----------
    logits : array_like
        Scores, read as negative energies.
    temperature : float
        ``T > 0``.
    axis, mask
        As in :func:`softmax`.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(free_energy([1.0, 1.0], 1.0), 6)  # -(1 + ln 2)
    -1.693147
    """
    t = check_temperature(temperature)
    lse = logsumexp(logits, temperature=t, axis=axis, mask=mask)
    return -t * lse


def boltzmann(energies, temperature: float = 1.0, *, axis: int = -1, mask=None) -> np.ndarray:
    """Boltzmann probabilities ``p_i = exp(-(E_i - F) / T)``, with ``F`` the free energy.

    The low-energy states dominate; with ``E = -logits`` this is ``softmax(logits / T)``.

    Parameters
    ----------
    energies : array_like
        Finite energies (negative scores).
    temperature : float
        ``T > 0`` (in units where Boltzmann's constant is 1).
    axis, mask
        As in :func:`softmax`.

    Returns
    -------
    ndarray, float64, same shape as ``energies``

    Examples
    --------
    >>> boltzmann([0.0, 2.0], 1.0).round(4)  # the state 2 units lower is e**2 times likelier
    array([0.8808, 0.1192])
    """
    e = _as_array(energies, "energies")
    # exp(-(E - F)/T) written out loses every digit when T is tiny next to E; it is the
    # softmax of -E, which shifts by the maximum before dividing.
    return softmax(-e, temperature=temperature, axis=axis, mask=mask)
