"""Sampling: a distribution collapses into one choice.

Four decoding rules over one vector of logits: ``"greedy"`` (the argmax, always the same),
``"temperature"`` (draw from ``softmax(z / T)``), ``"top_k"`` (keep the ``k`` best, renormalise,
draw) and ``"top_p"`` (nucleus: keep the smallest set of best candidates whose probability
reaches ``p``, renormalise, draw). A seed makes every draw reproducible.
"""

from __future__ import annotations

import dataclasses
from numbers import Integral, Real

import numpy as np

from .._record import Record
from .._validation import check_int
from ..errors import ParameterError, ShapeError
from .losses import _distribution
from .softmax import softmax

__all__ = ["METHODS", "Samples", "sample"]

METHODS = ("greedy", "temperature", "top_k", "top_p")
MAX_DRAWS = 10_000_000  # draws per call: 8 bytes each (16 while drawing), 160 MB at most


@dataclasses.dataclass(frozen=True, eq=False)
class Samples(Record):
    """The choices of :func:`sample`, with how they were drawn.

    Attributes
    ----------
    indices : ndarray of int64, shape (n,)
        The chosen candidates, in draw order.
    words : tuple of str or None
        Their words, when the logits came with words.
    method : str
    temperature : float
    k : int or None
    p : float or None
    seed : int or None
    support : int
        How many candidates could be drawn (probability > 0 after truncation).
    """

    indices: np.ndarray
    words: tuple[str, ...] | None
    method: str
    temperature: float
    k: int | None
    p: float | None
    seed: int | None
    support: int

    def __len__(self) -> int:
        return len(self.indices)

    def rows(self) -> list[dict]:
        out = []
        for i, idx in enumerate(self.indices.tolist()):
            row = {"draw": i + 1, "index": idx}
            if self.words is not None:
                row["word"] = self.words[i]
            out.append(row)
        return out


def _check_seed(seed):
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ParameterError(
            f"seed must be a non-negative integer, a numpy Generator or None, got {seed!r}"
        )
    return int(seed)


def _truncate(probs: np.ndarray, method: str, k, p) -> np.ndarray:
    """The probabilities after top-k / nucleus truncation (renormalised)."""
    if method == "top_k":
        if k >= np.count_nonzero(probs):
            return probs
        # the k best by probability, ties by position (a stable order)
        best = np.argsort(-probs, kind="stable")[:k]
    else:
        if p == 1.0:
            return probs
        order = np.argsort(-probs, kind="stable")
        cum = np.cumsum(probs[order])
        # the smallest prefix whose mass reaches p (rounding must not drop the last one)
        n_keep = int(np.searchsorted(cum, p * cum[-1] * (1 - 1e-12), side="left")) + 1
        best = order[:n_keep]
    out = np.zeros_like(probs)
    out[best] = probs[best]
    return out / out.sum()


def sample(
    logits,
    *,
    method: str = "greedy",
    temperature: float | None = None,
    k=None,
    p=None,
    n: int = 1,
    seed=None,
    words=None,
    mask=None,
) -> Samples:
    """Draw ``n`` choices from a vector of logits.

    Parameters
    ----------
    logits : array_like, shape (n_candidates,); or a Preference
        Scores over the candidates. A :class:`~geomlab.Preference` brings its logits,
        words, mask and temperature.
    method : {"greedy", "temperature", "top_k", "top_p"}
        ``"greedy"`` takes the argmax (the first one on ties) every time; the others draw
        at random from ``softmax(logits / temperature)``, ``"top_k"`` from the ``k`` most
        probable candidates only, ``"top_p"`` from the smallest set of most probable
        candidates whose total probability is at least ``p``.
    temperature : float, optional
        ``T > 0``; default 1 (or the Preference's own). Greedy ignores it.
    k : int, optional
        For ``"top_k"`` (required there, and only there): ``k >= 1``.
    p : float, optional
        For ``"top_p"`` (required there, and only there): ``0 < p <= 1``.
    n : int
        How many draws (independent, with replacement).
    seed : int or numpy.random.Generator, optional
        The same seed gives the same draws.
    words : sequence of str, optional
        One word per candidate; the result then carries the chosen words.
    mask : array_like of bool, optional
        As in :func:`~geomlab.softmax`: False candidates are never drawn.

    Returns
    -------
    Samples
        ``.indices`` (and ``.words``), plus how they were drawn.

    Examples
    --------
    >>> logits = [9.2, 1.4, 0.8, -4.7]
    >>> sample(logits).indices
    array([0])
    >>> s = sample(logits, method="top_k", k=2, temperature=5, n=5, seed=0,
    ...            words=["paris", "london", "berlin", "tokyo"])
    >>> set(s.words) <= {"paris", "london"}
    True
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    z, words, mask, t = _distribution(logits, words, mask, temperature)
    if z.ndim != 1:
        raise ShapeError(f"sample draws from one vector of logits, got shape {z.shape}")
    n = check_int(n, "n")
    if n > MAX_DRAWS:
        raise ParameterError(
            f"n must be at most {MAX_DRAWS:,} (every draw is held in memory), got {n:,}: "
            "draw in batches, passing one numpy Generator as seed= to each call"
        )
    if k is not None and method != "top_k":
        raise ParameterError(f"k is for method='top_k' only, got k={k!r} with {method!r}")
    if p is not None and method != "top_p":
        raise ParameterError(f"p is for method='top_p' only, got p={p!r} with {method!r}")
    if method == "top_k":
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise ParameterError(f"method='top_k' needs k, a positive integer; got k={k!r}")
        k = int(k)
    if method == "top_p":
        if isinstance(p, bool) or not isinstance(p, Real) or not 0 < p <= 1:
            raise ParameterError(f"method='top_p' needs p with 0 < p <= 1; got p={p!r}")
        p = float(p)
    seed = _check_seed(seed)

    probs = softmax(z, temperature=t, mask=mask)
    if method == "greedy":
        chosen = np.full(n, int(np.argmax(probs)), dtype=np.int64)
        support = 1
    else:
        if method != "temperature":
            probs = _truncate(probs, method, k, p)
        rng = np.random.default_rng(seed)
        # inverse CDF: candidates with probability 0 own an empty interval, never drawn
        cdf = np.cumsum(probs)
        u = rng.random(n) * cdf[-1]
        chosen = np.searchsorted(cdf, u, side="right").astype(np.int64)
        support = int(np.count_nonzero(probs))
    chosen_words = None if words is None else tuple(words[i] for i in chosen)
    return Samples(
        indices=chosen,
        words=chosen_words,
        method=method,
        temperature=t,
        k=k,
        p=p,
        seed=seed if not isinstance(seed, np.random.Generator) else None,
        support=support,
    )
