"""Calibration on real text: how sharp, how right and how well calibrated the model is.

Over a corpus, every token is a prediction: the model's top-1 token with its probability
(the confidence) against the actual next token. The figures are geomlab's own calibration
code (:mod:`geomlab.scoring.calibration`): reliability bins and ECE, and the temperature
that minimises the mean NLL, fitted on a :class:`ScoreSketch` of each position's logits
(exact top 128, histogram of the rest; the error of the partition function is bounded and
reported). Everything is also given by frequency band of the actual token, counted in the
corpus and by token id (byte-level BPE ids follow merge order, roughly falling frequency),
to test the seeds' claim that the model is confidently wrong at the edges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._record import Record, format_table
from ..errors import ParameterError
from ..scoring.calibration import ReliabilityBins, ScoreSketch, fit_temperature, reliability_bins
from .analysis import SKETCH_RANGE, TextScore, _check_lm, score_text
from .model import LanguageModel

__all__ = ["TextCalibration", "calibrate_text", "corpus"]

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
#: bands of the actual token's count in the corpus, and of its id
COUNT_BANDS = ((1, 1, "once"), (2, 9, "2-9"), (10, 99, "10-99"), (100, None, "100+"))
ID_BANDS = (
    (0, 999, "id < 1,000"),
    (1000, 9999, "1,000-9,999"),
    (10000, 29999, "10,000-29,999"),
    (30000, None, "id >= 30,000"),
)


def corpus() -> dict[str, str]:
    """The public-domain texts shipped with geomlab (see data/README.md): name -> text.

    Examples
    --------
    >>> from geomlab.lm.calibration import corpus
    >>> sorted(corpus())
    ['moby_dick_ch1', 'moby_dick_ch2', 'moby_dick_ch3']
    """
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


@dataclasses.dataclass(frozen=True, eq=False)
class TextCalibration(Record):
    """Calibration of next-token predictions over a corpus.

    Attributes
    ----------
    documents, tokens : int
        Documents scored and tokens predicted.
    accuracy, confidence : float
        Top-1 accuracy and mean top-1 probability at T = 1.
    nll : float
        Mean cross-entropy (nats) at T = 1.
    ece : float
        Expected calibration error at T = 1 (15 equal bins).
    reliability : ReliabilityBins
        At T = 1.
    temperature : float
        The fitted temperature (lowest mean NLL).
    nll_fitted, reliability_fitted, ece_fitted, confidence_fitted
        The same figures at the fitted temperature.
    error_bound : float
        Bound (nats) on the sketch's error in the fitted NLL.
    bands : tuple of dict
        Per frequency band of the actual token (``"by": "corpus count"`` or
        ``"token id"``): n, accuracy, confidence, gap (confidence - accuracy), ECE, NLL.
    holds : bool
        Whether the rarest band by corpus count is more over-confident (larger
        confidence - accuracy gap) than the most frequent band: "confidently wrong at
        the edges".
    """

    documents: int
    tokens: int
    accuracy: float
    confidence: float
    nll: float
    ece: float
    reliability: ReliabilityBins
    temperature: float
    nll_fitted: float
    reliability_fitted: ReliabilityBins
    ece_fitted: float
    confidence_fitted: float
    error_bound: float
    bands: tuple
    holds: bool

    def summary(self) -> dict:
        return {
            k: getattr(self, k)
            for k in (
                "documents",
                "tokens",
                "accuracy",
                "confidence",
                "nll",
                "ece",
                "temperature",
                "nll_fitted",
                "ece_fitted",
                "confidence_fitted",
                "error_bound",
                "holds",
            )
        }

    def plot(self, ax=None):
        """The reliability diagram at T = 1 and at the fitted temperature, with the token
        counts per bin (two axes); :meth:`plot_bands` draws the frequency bands."""
        from ..plots import reliability_diagram

        return reliability_diagram(
            {
                "reliability_t1": self.reliability.to_plot_dict(),
                "ece_t1": self.ece,
                "reliability": self.reliability_fitted.to_plot_dict(),
                "ece": self.ece_fitted,
                "temperature": self.temperature,
                "unit": "tokens",
            },
            ax=ax,
        )

    def plot_bands(self, ax=None):
        """Accuracy and confidence by how often the actual token occurs in the text."""
        from ..plots import token_bands

        return token_bands({"bands": [dict(b) for b in self.bands]}, ax=ax)

    def rows(self) -> list[dict]:
        return [dict(b) for b in self.bands]

    def to_dict(self) -> dict:
        return {
            **self.summary(),
            "reliability": self.reliability.rows(),
            "reliability_fitted": self.reliability_fitted.rows(),
            "bands": self.rows(),
        }

    def __str__(self) -> str:
        s = self
        head = (
            f"{s.tokens:,} tokens in {s.documents} document(s): top-1 accuracy "
            f"{s.accuracy:.3f}, mean confidence {s.confidence:.3f}, NLL {s.nll:.3f} nats, "
            f"ECE {s.ece:.3f}\nfitted temperature {s.temperature:.3f}: NLL "
            f"{s.nll_fitted:.3f} nats (sketch error <= {s.error_bound:.4f}), confidence "
            f"{s.confidence_fitted:.3f}, ECE {s.ece_fitted:.3f}\n"
            f"confidently wrong at the edges: {'holds' if s.holds else 'does not hold'}"
        )
        return head + "\n" + format_table(self.rows())


def _band_rows(by: str, key: np.ndarray, bands, conf, correct, nll) -> list[dict]:
    out = []
    for lo, hi, label in bands:
        sel = (key >= lo) & (key <= (hi if hi is not None else np.iinfo(np.int64).max))
        n = int(sel.sum())
        if n == 0:
            out.append(
                {
                    "by": by,
                    "band": label,
                    "n": 0,
                    "accuracy": float("nan"),
                    "confidence": float("nan"),
                    "gap": float("nan"),
                    "ece": float("nan"),
                    "nll": float("nan"),
                }
            )
            continue
        acc, c = float(correct[sel].mean()), float(conf[sel].mean())
        out.append(
            {
                "by": by,
                "band": label,
                "n": n,
                "accuracy": acc,
                "confidence": c,
                "gap": c - acc,
                "ece": reliability_bins(conf[sel], correct[sel]).ece,
                "nll": float(nll[sel].mean()),
            }
        )
    return out


def _score_document(lm_or_path, text: str, window: int) -> TextScore:
    """One document (a Dask task: the model is loaded from its cache in the worker)."""
    from .model import load_lm

    lm = lm_or_path if isinstance(lm_or_path, LanguageModel) else load_lm(lm_or_path)
    return score_text(lm, text, window=window, sketch=True, progress=False)


def calibrate_text(
    lm: LanguageModel,
    texts: str | TextScore | Sequence[str | TextScore] | None = None,
    *,
    window: int = 1024,
    n_bins: int = 15,
    client=None,
    progress: bool | None = None,
) -> TextCalibration:
    """Calibration of the model's next-token predictions over a corpus.

    Parameters
    ----------
    lm : LanguageModel
    texts : str, TextScore, or a sequence of them, optional
        The documents (default: the shipped corpus, :func:`corpus`). A document already
        scored by :func:`geomlab.score_text` with ``sketch=True`` is taken as it is (its
        own window stands; it is not scored again).
    window : int
        Tokens per forward pass (see :func:`geomlab.score_text`).
    n_bins : int
        Reliability bins.
    client : distributed.Client, optional
        Score the documents as Dask tasks (each worker loads the model from its cache);
        the figures are identical to a local run.
    progress : bool, optional
        Progress bar over the documents (default: on a terminal).

    Returns
    -------
    TextCalibration

    Examples
    --------
    >>> import geomlab
    >>> from geomlab.lm.calibration import corpus
    >>> lm = geomlab.load_lm()
    >>> cal = geomlab.calibrate_text(lm, corpus()["moby_dick_ch1"][:2000])
    >>> cal.tokens, round(cal.accuracy, 2), round(cal.confidence, 2)
    (457, 0.26, 0.32)
    """
    from .._progress import progress as bar

    lm = _check_lm(lm)
    if texts is None:
        texts = list(corpus().values())
    elif isinstance(texts, (str, TextScore)):
        texts = [texts]
    texts = list(texts)
    if not texts or not all(isinstance(t, (str, TextScore)) for t in texts):
        raise ParameterError("texts must be a non-empty list of str (or of TextScore)")
    for t in texts:
        if isinstance(t, TextScore) and t.sketch_top is None:
            raise ParameterError(
                "a TextScore given to calibrate_text needs its sketch: score it with "
                "score_text(lm, text, sketch=True)"
            )
    todo = [t for t in texts if isinstance(t, str)]
    if client is not None and todo:
        futures = client.map(
            _score_document, [str(lm.path)] * len(todo), todo, [window] * len(todo), pure=False
        )
        done = iter(client.gather(futures))
    else:
        done = iter(
            [
                _score_document(lm, t, window)
                for t in bar(todo, desc="calibrate", enabled=progress, unit="doc")
            ]
        )
    scores = [next(done) if isinstance(t, str) else t for t in texts]
    return _calibration(scores, n_bins)


def _calibration(scores: list[TextScore], n_bins: int) -> TextCalibration:
    nll = np.concatenate([s.nll for s in scores])
    conf = np.concatenate([s.confidence for s in scores])
    correct = np.concatenate([s.ranks == 1 for s in scores])
    actual = np.concatenate([s.ids[1:] for s in scores])
    top = np.concatenate([s.sketch_top for s in scores])
    hist = np.concatenate([s.sketch_hist for s in scores])
    target_logit = np.concatenate([s.logits for s in scores])
    rb = reliability_bins(conf, correct, n_bins=n_bins)
    sketch = ScoreSketch(top, hist, *SKETCH_RANGE, targets=target_logit)
    fit = fit_temperature(sketch)
    conf_t = sketch.confidence(fit.temperature)
    rb_t = reliability_bins(conf_t, correct, n_bins=n_bins)
    counts = np.bincount(actual)[actual]
    bands = _band_rows("corpus count", counts, COUNT_BANDS, conf, correct, nll) + _band_rows(
        "token id", actual, ID_BANDS, conf, correct, nll
    )
    by_count = [b for b in bands if b["by"] == "corpus count" and b["n"] > 0]
    holds = bool(
        len(by_count) >= 2 and by_count[0]["gap"] > 0 and by_count[0]["gap"] > by_count[-1]["gap"]
    )
    return TextCalibration(
        documents=len(scores),
        tokens=len(nll),
        accuracy=float(correct.mean()),
        confidence=float(conf.mean()),
        nll=float(nll.mean()),
        ece=rb.ece,
        reliability=rb,
        temperature=fit.temperature,
        nll_fitted=fit.nll,
        reliability_fitted=rb_t,
        ece_fitted=rb_t.ece,
        confidence_fitted=float(conf_t.mean()),
        error_bound=float(fit.error_bound or 0.0),
        bands=tuple(bands),
        holds=holds,
    )
