"""Calibration: temperature fitting, expected calibration error, reliability bins.

A score vector becomes a distribution by ``softmax(scores / T)``. Two questions follow:
which temperature makes the distribution *right* (lowest mean negative log-likelihood of
the expected answers), and is it *calibrated* (among predictions made with confidence
about 0.8, are about 80% correct)?

:class:`ScoreSketch` makes the first question cheap over a whole vocabulary: per row it
keeps the exact top ``M`` scores and a fine histogram of all the others, from which the
log-partition ``logsumexp(scores / T)`` is computed for *any* T, with a stated error bound
and without the rows x vocabulary matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._record import Record
from .._validation import check_int, check_temperature
from ..errors import ParameterError, ShapeError

__all__ = [
    "ReliabilityBins",
    "ScoreSketch",
    "TemperatureFit",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_bins",
]

_TINY = 1e-290  # below this a float64 sum has lost its relative precision (subnormal)


# -- the sketch ---------------------------------------------------------------------------
class ScoreSketch:
    """Per-row summary of score vectors: exact top ``M`` scores plus a histogram of the rest.

    For row ``q`` with pool scores ``s`` the log-partition at temperature ``T`` is

        logsumexp(s / T) = log( sum_top exp(s / T) + sum_bins count_b * exp(centre_b / T) )

    Every score in bin ``b`` lies within ``delta_q`` of the bin centre (half a bin width,
    more only where scores above ``hi`` were clipped into the last bin), so the histogram
    part is off by a factor of at most ``exp(delta_q / T)`` and the log-partition by at most
    ``log(1 + f_q * (exp(delta_q / T) - 1))``, where ``f_q`` is the histogram's share of
    the partition function (:meth:`error_bound`). At low temperatures the exact top scores
    dominate and the bound shrinks with ``f_q``; at high ones ``delta_q / T`` is small.

    Parameters
    ----------
    top : ndarray, shape (n, M)
        The exact ``M`` largest scores of each row, best first (``-inf`` pads).
    hist : ndarray, shape (n, bins)
        Counts of all the other scores, in ``bins`` equal bins over ``[lo, hi]`` (scores
        outside are counted in the end bins).
    lo, hi : float
        The histogram range.
    targets : ndarray, shape (n, A), optional
        Exact scores of each row's target(s) (``-inf`` pads); the probability of a row's
        target is the summed probability of its target scores.
    slack : float or ndarray, shape (n,), optional
        How far a counted score may be from the exact one (a histogram binned from scores
        computed another way): added to every row's ``delta_q``.
    """

    def __init__(self, top, hist, lo: float, hi: float, targets=None, slack=0.0):
        top = np.asarray(top, dtype=np.float64)
        # counts, in float64 once: every temperature tried multiplies them (a fit tries
        # about 20; converting per trial took most of its time)
        hist = np.asarray(hist, dtype=np.float64)
        if top.ndim != 2 or hist.ndim != 2 or len(top) != len(hist):
            raise ShapeError(f"top {top.shape} and hist {hist.shape} must be (n, M) and (n, bins)")
        if not hi > lo:
            raise ParameterError(f"the histogram range needs lo < hi, got [{lo}, {hi}]")
        self.top = top
        self.hist = hist
        self._n_hist = hist.sum(axis=1)
        self.lo, self.hi = float(lo), float(hi)
        bins = hist.shape[1]
        self.width = (self.hi - self.lo) / bins
        self.centres = self.lo + (np.arange(bins) + 0.5) * self.width
        if targets is not None:
            targets = np.asarray(targets, dtype=np.float64)
            if targets.ndim == 1:
                targets = targets[:, None]
            if len(targets) != len(top):
                raise ShapeError(f"targets {targets.shape} and top {top.shape} differ in rows")
        self.targets = targets
        # per-row bound on |score - bin centre| for the histogram part
        slack = np.broadcast_to(np.asarray(slack, dtype=np.float64), (len(top),))
        if not (np.isfinite(slack).all() and (slack >= 0).all()):
            raise ParameterError("slack must be finite and non-negative")
        delta = self.width / 2 + 1e-6 + slack
        finite_top = np.where(np.isfinite(top), top, np.inf).min(axis=1)
        clipped = (hist[:, -1] > 0) & np.isfinite(finite_top) & (finite_top > self.hi)
        delta[clipped] = np.maximum(delta[clipped], finite_top[clipped] - self.centres[-1] + 1e-6)
        self.delta = delta
        self._rowmax = np.where(
            np.isfinite(top[:, 0]), top[:, 0], np.where(hist.sum(axis=1) > 0, self.hi, 0.0)
        )

    def __len__(self) -> int:
        return len(self.top)

    def __repr__(self) -> str:
        return (
            f"<ScoreSketch: {len(self)} rows, top {self.top.shape[1]} exact, "
            f"{self.hist.shape[1]} bins over [{self.lo:g}, {self.hi:g}]>"
        )

    def _parts(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(E, H): exact-top and histogram partition sums, both scaled by exp(-rowmax/T)."""
        m = self._rowmax
        with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
            e = np.exp((self.top - m[:, None]) / t).sum(axis=1)
            # sum_b h_b exp((c_b - m)/T) = exp((hi - m)/T) * (hist @ exp((c_b - hi)/T)):
            # one matrix-vector product instead of a rows x bins exponential
            w = np.exp((self.centres - self.hi) / t)
            g = self.hist @ w
            log_h = np.log(g) + (self.hi - m) / t
            # Every histogram score lies at or below the row's lowest exact top score, so
            # log H can be at most that score's term times the count. A bin centre up to
            # half a bin above it breaks this bound at very low T (e^(width/2T) overflows).
            n_hist = self._n_hist
            ceiling = np.where(np.isfinite(self.top[:, -1]), self.top[:, -1], m)
            limit = (ceiling - m) / t + np.log(np.maximum(n_hist, 1))
            bad = (~np.isfinite(log_h) | (g < _TINY) | (log_h > limit + 1e-9)) & (n_hist > 0)
            if bad.any():  # bins far below hi (underflow) or a centre above the ceiling
                centres = np.minimum(self.centres[None, :], ceiling[bad, None])
                x = (centres - m[bad, None]) / t
                log_h[bad] = np.log((self.hist[bad] * np.exp(x)).sum(axis=1))
            h = np.exp(log_h)
        return e, h

    def logsumexp(self, temperature: float) -> np.ndarray:
        """``logsumexp(scores / T)`` per row, shape (n,)."""
        t = check_temperature(temperature)
        e, h = self._parts(t)
        with np.errstate(divide="ignore"):
            return self._rowmax / t + np.log(e + h)

    def error_bound(self, temperature: float) -> np.ndarray:
        """Per-row bound on ``|logsumexp error|`` (nats) at ``T``, shape (n,)."""
        t = check_temperature(temperature)
        e, h = self._parts(t)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            grow = np.expm1(self.delta / t)
            h_hi = h * (1 + grow)  # the most the histogram part can really be
            share = np.where(h_hi > 0, h_hi / (e + h_hi), 0.0)
            return np.log1p(share * grow)

    def log_prob(self, temperature: float) -> np.ndarray:
        """Log-probability of each row's target(s) under softmax(scores / T), shape (n,)."""
        if self.targets is None:
            raise ParameterError("this sketch has no targets; pass targets= to build one")
        t = check_temperature(temperature)
        tg = self.targets
        m = np.where(np.isfinite(tg), tg, -np.inf).max(axis=1)
        with np.errstate(invalid="ignore", divide="ignore", under="ignore"):
            lt = m / t + np.log(np.exp((tg - m[:, None]) / t).sum(axis=1))
        lt = np.where(np.isfinite(m), lt, -np.inf)
        return np.minimum(lt - self.logsumexp(t), 0.0)

    def confidence(self, temperature: float) -> np.ndarray:
        """Probability of each row's best score (the top-1 prediction), shape (n,)."""
        t = check_temperature(temperature)
        e, h = self._parts(t)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.exp((self.top[:, 0] - self._rowmax) / t) / (e + h)
        return np.where(np.isfinite(self.top[:, 0]), np.minimum(p, 1.0), 0.0)

    def nll(self, temperature: float) -> float:
        """Mean ``-log p(target)`` over the rows whose target is in the pool."""
        lp = self.log_prob(temperature)
        ok = np.isfinite(lp)
        return float(-lp[ok].mean()) if ok.any() else float("nan")


class _DenseScores:
    """Plain ``(n, k)`` logits with targets, in the interface the fitter uses."""

    def __init__(self, logits, targets, mask=None):
        z = np.asarray(logits, dtype=np.float64)
        if z.ndim != 2:
            raise ShapeError(f"logits must be 2-D (n, k), got shape {z.shape}")
        if np.isnan(z).any():
            raise ParameterError("logits contain NaN")
        if np.isinf(z).any():
            raise ParameterError(
                "logits must be finite (found inf); use mask= to leave candidates out"
            )
        tgt = np.asarray(targets)
        if tgt.shape != (len(z),) or not np.issubdtype(tgt.dtype, np.integer):
            raise ShapeError(
                f"targets must be {len(z)} integer indices, one per row of logits {z.shape}; "
                f"got shape {tgt.shape}"
            )
        if ((tgt < 0) | (tgt >= z.shape[1])).any():
            raise ParameterError(f"targets must be column indices in [0, {z.shape[1]})")
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != z.shape:
                raise ShapeError(f"mask {mask.shape} must match logits {z.shape}")
            z = np.where(mask, z, -np.inf)
        self.z = z
        self.zt = z[np.arange(len(z)), tgt]
        if not np.isfinite(self.zt).all():
            raise ParameterError("a target is masked out or infinite")

    def nll(self, temperature: float) -> float:
        from scipy.special import logsumexp

        t = check_temperature(temperature)
        return float((logsumexp(self.z / t, axis=1) - self.zt / t).mean())


# -- fitting ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemperatureFit(Record):
    """The temperature that minimises mean NLL, and the NLL there and at T = 1."""

    temperature: float
    nll: float
    nll_at_one: float
    n: int
    evaluations: int
    bounds: tuple[float, float]
    error_bound: float | None = None

    @property
    def perplexity(self) -> float:
        """``exp(nll)``: the effective number of equally likely candidates."""
        return math.exp(self.nll)


def fit_temperature(
    scores,
    targets=None,
    *,
    mask=None,
    bounds: tuple[float, float] = (1e-3, 1e3),
) -> TemperatureFit:
    """Find the temperature ``T`` minimising the mean NLL of the targets.

    Mean NLL is convex in ``1/T`` (a log-partition minus a linear term), so it has a single
    minimum; ``scipy.optimize.minimize_scalar`` (bounded Brent) searches ``log T``.

    Parameters
    ----------
    scores : ScoreSketch or array_like, shape (n, k)
        A sketch built by :func:`geomlab.evaluate_analogies` (with its targets), or plain
        logits.
    targets : array_like of int, shape (n,)
        With plain logits: the index of each row's target.
    mask : array_like of bool, shape (n, k), optional
        With plain logits: False marks cells that are not candidates.
    bounds : (float, float)
        The search interval for ``T``.

    Returns
    -------
    TemperatureFit

    Examples
    --------
    >>> import numpy as np
    >>> from geomlab import fit_temperature
    >>> z = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])  # 3 of 4 right
    >>> fit = fit_temperature(z, np.array([0, 0, 0, 0]))
    >>> round(float(fit.temperature * np.log(3) / 4), 3)   # p(right) = 3/4 at T = 4 / ln 3
    1.0
    """
    from scipy.optimize import minimize_scalar

    lo, hi = (check_temperature(b, "bounds") for b in bounds)
    if not lo < hi:
        raise ParameterError(f"bounds must be (low, high) with low < high, got {bounds!r}")
    if isinstance(scores, ScoreSketch):
        if targets is not None or mask is not None:
            raise ParameterError("targets and mask go with plain logits, not with a sketch")
        model = scores
        if model.targets is None:
            raise ParameterError("the sketch has no targets to fit")
    else:
        if targets is None:
            raise ParameterError("plain logits need targets (one column index per row)")
        model = _DenseScores(scores, targets, mask)
    calls = [0]

    def objective(log_t: float) -> float:
        calls[0] += 1
        v = model.nll(math.exp(log_t))
        return v if math.isfinite(v) else 1e300

    res = minimize_scalar(
        objective, bounds=(math.log(lo), math.log(hi)), method="bounded", options={"xatol": 1e-4}
    )
    t = float(math.exp(res.x))
    bound = None
    if isinstance(model, ScoreSketch):
        eb = model.error_bound(t)
        bound = float(eb[np.isfinite(model.log_prob(t))].mean())
    return TemperatureFit(
        temperature=t,
        nll=float(model.nll(t)),
        nll_at_one=float(model.nll(1.0)),
        n=len(scores) if isinstance(model, ScoreSketch) else len(model.z),
        evaluations=calls[0],
        bounds=(lo, hi),
        error_bound=bound,
    )


# -- calibration --------------------------------------------------------------------------
def _check_conf(confidences, correct, n_bins):
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct)
    if conf.ndim != 1 or ok.shape != conf.shape:
        raise ShapeError(
            f"confidences {conf.shape} and correct {ok.shape} must be 1-D and the same length"
        )
    if len(conf) == 0:
        raise ParameterError("confidences is empty: nothing to calibrate")
    if np.isnan(conf).any() or (conf < 0).any() or (conf > 1).any():
        raise ParameterError("confidences must be probabilities in [0, 1]")
    check_int(n_bins, "n_bins")
    return conf, ok.astype(bool)


@dataclass(frozen=True)
class ReliabilityBins(Record):
    """Reliability-diagram data: per confidence bin, count, mean confidence, accuracy.

    Bins are equal-width over [0, 1], right-closed ((i/n, (i+1)/n]; the first also holds
    0). Empty bins have ``nan`` confidence and accuracy.
    """

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    count: tuple[int, ...]
    confidence: tuple[float, ...]
    accuracy: tuple[float, ...]
    ece: float

    def to_plot_dict(self) -> dict:
        """The bins as the report's plot functions take them."""
        return {
            "lower": list(self.lower),
            "upper": list(self.upper),
            "count": list(self.count),
            "confidence": list(self.confidence),
            "accuracy": list(self.accuracy),
            "ece": float(self.ece),
        }

    def plot(self, ax=None, *, temperature: float | None = None):
        """The reliability diagram and the bin counts (two axes); returns the figure (or
        the given pair of axes)."""
        from ..plots import reliability_diagram

        return reliability_diagram(
            {
                "reliability": self.to_plot_dict(),
                "ece": self.ece,
                "temperature": temperature,
                "label": "T",
                "unit": "predictions",
            },
            ax=ax,
        )

    def rows(self) -> list[dict]:
        return [
            {
                "lower": lo,
                "upper": up,
                "count": n,
                "confidence": c,
                "accuracy": a,
                "gap": (c - a) if n else float("nan"),
            }
            for lo, up, n, c, a in zip(
                self.lower, self.upper, self.count, self.confidence, self.accuracy
            )
        ]


def reliability_bins(confidences, correct, *, n_bins: int = 15) -> ReliabilityBins:
    """Bin predictions by confidence: count, mean confidence and accuracy per bin.

    Parameters
    ----------
    confidences : array_like, shape (n,)
        Probability given to each prediction, in [0, 1].
    correct : array_like of bool, shape (n,)
        Whether each prediction was right.
    n_bins : int
        Equal-width bins over [0, 1] (15, as Guo et al. 2017).

    Examples
    --------
    >>> from geomlab import reliability_bins
    >>> rb = reliability_bins([0.9, 0.9, 0.2], [True, False, False], n_bins=5)
    >>> rb.count, round(rb.ece, 3)
    ((1, 0, 0, 0, 2), 0.333)
    """
    conf, ok = _check_conf(confidences, correct, n_bins)
    idx = np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    s_conf = np.bincount(idx, weights=conf, minlength=n_bins)
    s_acc = np.bincount(idx, weights=ok.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = s_conf / count
        acc = s_acc / count
    ece = float(np.abs(s_conf - s_acc).sum() / len(conf))
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return ReliabilityBins(
        lower=tuple(float(x) for x in edges[:-1]),
        upper=tuple(float(x) for x in edges[1:]),
        count=tuple(int(c) for c in count),
        confidence=tuple(float(c) for c in mean_conf),
        accuracy=tuple(float(a) for a in acc),
        ece=ece,
    )


def expected_calibration_error(confidences, correct, *, n_bins: int = 15) -> float:
    """Expected calibration error: ``sum_b (n_b / n) * |accuracy_b - confidence_b|``.

    Equal-width bins over [0, 1] (Guo et al. 2017, "On calibration of modern neural
    networks"). 0 is perfect calibration; a model always 90% sure and right half the time
    scores 0.4.

    Examples
    --------
    >>> from geomlab import expected_calibration_error
    >>> expected_calibration_error([0.9, 0.9], [True, False])
    0.4
    """
    return reliability_bins(confidences, correct, n_bins=n_bins).ece
