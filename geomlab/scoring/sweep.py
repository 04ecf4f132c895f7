"""Re-tempering: one set of scores, the distribution at many temperatures.

Scores (dot products, logits) do not depend on the temperature; only softmax does. A
temperature sweep therefore reuses the scores a record already holds and recomputes only
the softmax: for 400,000 candidates, one exponential pass per temperature instead of
400,000 dot products.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._record import Record, format_table
from .._validation import check_temperature
from ..errors import ParameterError
from .losses import entropy as _entropy
from .softmax import log_softmax

__all__ = ["TemperatureSweep", "sweep_logits"]


@dataclasses.dataclass(frozen=True, eq=False)
class TemperatureSweep(Record):
    """How a distribution changes with the temperature, over one fixed set of scores.

    Attributes
    ----------
    temperatures : ndarray
    entropy : ndarray
        Shannon entropy in nats per temperature (0: one-hot; ln n: uniform).
    top_prob : ndarray
        The probability of the most probable candidate.
    perplexity : ndarray
        ``exp(entropy)``: the effective number of choices.
    target_prob, cross_entropy : ndarray or None
        The target's probability and ``-ln`` of it, when there is a target.
    n : int
        Candidates taking part.
    """

    temperatures: np.ndarray
    entropy: np.ndarray
    top_prob: np.ndarray
    perplexity: np.ndarray
    target_prob: np.ndarray | None = None
    cross_entropy: np.ndarray | None = None
    n: int = 0

    def rows(self) -> list[dict]:
        out = []
        for i, t in enumerate(self.temperatures):
            row = {
                "temperature": float(t),
                "entropy": float(self.entropy[i]),
                "top_prob": float(self.top_prob[i]),
                "perplexity": float(self.perplexity[i]),
            }
            if self.target_prob is not None:
                row["target_prob"] = float(self.target_prob[i])
                row["cross_entropy"] = float(self.cross_entropy[i])
            out.append(row)
        return out

    def __str__(self) -> str:
        return f"temperature sweep over {self.n:,} candidates\n" + format_table(self.rows())

    def plot(self, ax=None):
        """Entropy (left axis) and top-1 probability (right axis) against the temperature
        on a log scale; returns the figure (or the given axes)."""
        from ..plots import temperature_dial

        return temperature_dial(
            {
                "sweep": {
                    "temperature": self.temperatures.tolist(),
                    "entropy": self.entropy.tolist(),
                    "top1": self.top_prob.tolist(),
                    "max_entropy": float(np.log(self.n)),
                },
                "n": self.n,
            },
            ax=ax,
        )


def sweep_logits(logits, temperatures, *, mask=None, target: int | None = None) -> TemperatureSweep:
    """The distribution ``softmax(logits / T)`` summarised at each ``T``.

    Parameters
    ----------
    logits : array_like, shape (n,)
    temperatures : iterable of float
        Each > 0 and finite.
    mask : array_like of bool, optional
        True where a candidate takes part.
    target : int, optional
        The index of the expected candidate.

    Examples
    --------
    >>> from geomlab.scoring.sweep import sweep_logits
    >>> s = sweep_logits([2.0, 1.0, 0.0], [0.01, 1.0, 100.0])
    >>> [round(float(p), 3) for p in s.top_prob]      # one-hot, softmax, nearly uniform
    [1.0, 0.665, 0.337]
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or not z.size:
        raise ParameterError(f"logits must be a non-empty 1-D array, got shape {z.shape}")
    try:
        temps = np.array([check_temperature(t) for t in np.atleast_1d(temperatures).tolist()])
    except TypeError:
        raise ParameterError(f"temperatures must be numbers, got {temperatures!r}") from None
    if not temps.size:
        raise ParameterError("temperatures is empty")
    if target is not None and not (isinstance(target, (int, np.integer)) and 0 <= target < z.size):
        raise ParameterError(f"target must be an index in [0, {z.size}), got {target!r}")
    h, top, tp = [], [], []
    for t in temps:
        lp = log_softmax(z, temperature=float(t), mask=mask)
        p = np.exp(lp)
        h.append(float(_entropy(p)))
        top.append(float(p.max()))
        if target is not None:
            tp.append(float(lp[target]))
    h = np.asarray(h)
    n = z.size if mask is None else int(np.asarray(mask).sum())
    return TemperatureSweep(
        temperatures=temps,
        entropy=h,
        top_prob=np.asarray(top),
        perplexity=np.exp(h),
        target_prob=np.exp(tp) if target is not None else None,
        cross_entropy=-np.asarray(tp) if target is not None else None,
        n=n,
    )
