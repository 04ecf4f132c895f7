"""The records an analogy evaluation returns: scores per section, per question, per
frequency band, and the calibration at a temperature.

:class:`AnalogyResult` keeps the per-question arrays of one evaluation (``_q``) and the
log-partition sketch, so re-tempering, banding by frequency and drawing cost no new pass.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .._record import Record, format_table
from .._validation import check_temperature
from ..errors import ParameterError
from ..scoring.calibration import ReliabilityBins, ScoreSketch, reliability_bins

__all__ = [
    "DEFAULT_BANDS",
    "AnalogyQuestion",
    "AnalogyResult",
    "Calibration",
    "FrequencyBand",
    "FrequencyBands",
    "SectionScore",
]

#: frequency-rank band edges for :meth:`AnalogyResult.by_frequency`
DEFAULT_BANDS = (1_000, 10_000, 50_000)


# -- records ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SectionScore(Record):
    """Accuracy of one section (or a total): correct of evaluated, questions skipped."""

    section: str
    n_correct: int
    n_evaluated: int
    n_oov: int
    accuracy: float
    nll: float | None = None
    mean_confidence: float | None = None


@dataclass(frozen=True)
class AnalogyQuestion(Record):
    """One evaluated question a : b :: c : ? and what the vectors answered.

    ``rank`` is the expected answer's rank among the candidates (1 = top; 0 = it is not a
    candidate, e.g. it is one of the excluded inputs); ``score`` its score; ``prob`` its
    probability and ``confidence`` the top answer's, under softmax(score / T).
    """

    section: str
    a: str
    b: str
    c: str
    expected: str
    predicted: tuple[str, ...]
    correct: bool
    rank: int
    score: float
    predicted_score: float
    prob: float | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Calibration(Record):
    """The analogy answers as distributions at one temperature.

    ``nll`` is the mean ``-ln p(expected)`` over questions whose answer is a candidate,
    ``mean_confidence`` the mean top-1 probability, ``ece`` the expected calibration error
    of the top-1 predictions (15 bins); ``error_bound`` bounds the sketch's error on
    ``nll`` (nats).
    """

    temperature: float
    nll: float
    perplexity: float
    mean_confidence: float
    accuracy: float
    ece: float
    n: int
    n_unanswerable: int
    error_bound: float
    reliability: ReliabilityBins = field(repr=False)


@dataclass(frozen=True)
class FrequencyBand(Record):
    """Questions whose expected answer has a frequency rank in ``[lo, hi]``."""

    band: str
    lo: int
    hi: int | None
    n: int
    accuracy: float
    confidence: float | None
    ece: float | None


@dataclass(frozen=True)
class FrequencyBands(Record):
    """Accuracy and calibration by the frequency rank of the expected answer."""

    temperature: float | None
    bands: tuple[FrequencyBand, ...]

    def rows(self) -> list[dict]:
        return [b.summary() for b in self.bands]

    def __iter__(self):
        return iter(self.bands)

    def __len__(self) -> int:
        return len(self.bands)

    def __getitem__(self, i) -> FrequencyBand:
        return self.bands[i]


@dataclass(frozen=True, eq=False)
class _QuestionArrays:
    """What the pass found per question, in file order (``n`` questions, ``topk`` guesses):
    the arrays behind :attr:`AnalogyResult.questions`, :meth:`~AnalogyResult.by_frequency`
    and :meth:`~AnalogyResult.calibration_at`."""

    section: np.ndarray  # (n,) int64, index into the result's sections
    a: list[str]  # the question words, as read
    b: list[str]
    c: list[str]
    expected: list[str]
    pred_rows: np.ndarray  # (n, topk) rows of the guesses, -1 where there is none
    pred_scores: np.ndarray  # (n, topk) their scores
    correct: np.ndarray  # (n,) bool: an answer among the topk guesses
    correct1: np.ndarray  # (n,) bool: the first guess is an answer
    rank: np.ndarray  # (n,) int: rank of the best answer (0: unanswerable)
    score: np.ndarray  # (n,) the best answer's score (NaN: unanswerable)
    answer_row: np.ndarray  # (n,) int64: row of the expected word
    full_pass: np.ndarray  # (n,) bool: scored by the full pass (all unless pruned)
    logp: np.ndarray | None = None  # (n,) with a temperature: log-probability of the answer
    prob: np.ndarray | None = None  # (n,) exp(logp)
    conf: np.ndarray | None = None  # (n,) probability of the first guess


@dataclass(frozen=True)
class AnalogyResult(Record):
    """The outcome of :func:`evaluate_analogies`.

    Totals (``accuracy = n_correct / n_evaluated``; ``n_oov`` questions skipped for a word
    outside the first ``restrict_vocab`` words, ``n_invalid`` malformed lines skipped),
    per-section scores, the Google set's semantic/syntactic totals, per-question records
    (:attr:`questions`), and with a temperature the calibration figures.
    ``scored_exactly`` is the share of the (question, candidate) scores the pass computed
    exactly (1.0 for the full pass; the pruned one bounds the rest, see
    :func:`evaluate_analogies`).
    """

    dataset: str
    method: str
    restrict_vocab: int
    case_insensitive: bool
    exclude_inputs: bool
    topk: int
    n_correct: int
    n_evaluated: int
    n_oov: int
    n_invalid: int
    accuracy: float
    sections: tuple[SectionScore, ...]
    semantic: SectionScore | None
    syntactic: SectionScore | None
    seconds: float
    temperature: float | None = None
    nll: float | None = None
    perplexity: float | None = None
    mean_confidence: float | None = None
    ece: float | None = None
    reliability: ReliabilityBins | None = field(default=None, repr=False)
    calibration_error_bound: float | None = None
    scored_exactly: float = 1.0
    _q: _QuestionArrays | None = field(default=None, repr=False, compare=False)
    _words: tuple = field(default=(), repr=False, compare=False)
    _sketch: ScoreSketch | None = field(default=None, repr=False, compare=False)
    _kept: AnalogyResult | None = field(default=None, repr=False, compare=False)

    @property
    def inputs_kept(self) -> AnalogyResult | None:
        """The same evaluation with the inputs kept as candidates (the honest rate), when
        asked for with ``evaluate_analogies(..., inputs_kept=True)``; else None."""
        return self._kept

    # -- views ------------------------------------------------------------------------------
    @property
    def sketch(self) -> ScoreSketch | None:
        """The per-question log-partition sketch (with a temperature; else None)."""
        return self._sketch

    @cached_property
    def questions(self) -> tuple[AnalogyQuestion, ...]:
        """Every evaluated question, in file order."""
        q = self._q
        names = [s.section for s in self.sections]
        words = self._words
        prob = q.prob
        conf = q.conf
        out = []
        for i in range(len(q.rank)):
            pred = tuple(words[r] for r in q.pred_rows[i] if r >= 0)
            out.append(
                AnalogyQuestion(
                    section=names[q.section[i]],
                    a=q.a[i],
                    b=q.b[i],
                    c=q.c[i],
                    expected=q.expected[i],
                    predicted=pred,
                    correct=bool(q.correct[i]),
                    rank=int(q.rank[i]),
                    score=float(q.score[i]),
                    predicted_score=float(q.pred_scores[i, 0]),
                    prob=None if prob is None else float(prob[i]),
                    confidence=None if conf is None else float(conf[i]),
                )
            )
        return tuple(out)

    def question_rows(self) -> list[dict]:
        """The per-question records as flat dicts (predictions joined by spaces)."""
        return [
            {k: " ".join(v) if k == "predicted" else v for k, v in vars(q).items()}
            for q in self.questions
        ]

    def plot(self, ax=None):
        """Accuracy per section, the semantic/syntactic/total rows apart below; returns the
        figure (or the given axes). :meth:`plot_reliability` draws the calibration."""
        from ..plots import section_accuracy

        def row(s):
            return {"section": s.section, "accuracy": s.accuracy, "n": s.n_evaluated}

        aggs = [row(s) for s in (self.semantic, self.syntactic) if s is not None]
        aggs.append({"section": "total", "accuracy": self.accuracy, "n": self.n_evaluated})
        return section_accuracy(
            {
                "sections": [row(s) for s in self.sections],
                "aggregates": aggs,
                "title": f"{self.dataset}, {self.method}: accuracy by section",
            },
            ax=ax,
        )

    def plot_reliability(self, ax=None):
        """The reliability diagram at the evaluation's temperature (two axes); needs a
        ``temperature`` in :func:`evaluate_analogies`."""
        from ..errors import ParameterError

        if self.reliability is None:
            raise ParameterError(
                "no calibration to draw: evaluate with a temperature (temperature=1.0 or 'fit')"
            )
        return self.reliability.plot(ax=ax, temperature=self.temperature)

    def to_pandas(self, *, aggregates: bool = False):
        """The per-section rows as a DataFrame; ``aggregates=True`` gives the semantic,
        syntactic and total rows instead (kept apart so sums over sections stay right)."""
        from .._record import _dataframe

        rows = self.rows()
        n = len(self.sections)
        return _dataframe(rows[n:] if aggregates else rows[:n])

    def rows(self) -> list[dict]:
        """Per-section table, then the semantic/syntactic and overall totals."""
        total = SectionScore(
            "total",
            self.n_correct,
            self.n_evaluated,
            self.n_oov,
            self.accuracy,
            self.nll,
            self.mean_confidence,
        )
        extra = [s for s in (self.semantic, self.syntactic) if s is not None]
        keep = ["section", "n_correct", "n_evaluated", "n_oov", "accuracy"]
        if self.temperature is not None:
            keep += ["nll", "mean_confidence"]
        return [{k: s.summary()[k] for k in keep} for s in (*self.sections, *extra, total)]

    def __str__(self) -> str:
        inputs = "inputs excluded" if self.exclude_inputs else "inputs allowed"
        head = (
            f"{self.dataset}, {self.method}, first {self.restrict_vocab:,} words, {inputs}: "
            f"{self.n_correct} / {self.n_evaluated} correct ({self.accuracy:.4f}); "
            f"{self.n_oov} skipped (out of vocabulary)"
        )
        if self.temperature is not None:
            head += (
                f"\nT = {self.temperature:.4g}: NLL {self.nll:.3f} nats, perplexity "
                f"{self.perplexity:.1f}, mean confidence {self.mean_confidence:.3f}, "
                f"ECE {self.ece:.3f}"
            )
        return head + "\n" + format_table(self.rows())

    def to_csv(self, path=None) -> str:
        """CSV of the per-question records (written atomically to ``path`` when given)."""
        import csv
        import io

        rows = self.question_rows()
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        text = buf.getvalue()
        if path is not None:
            from .._io import write_text_atomic

            write_text_atomic(path, text)
        return text

    # -- temperature ------------------------------------------------------------------------
    def calibration_at(self, temperature: float) -> Calibration:
        """The calibration figures at another temperature, from the kept sketch (no pass).

        Only for results evaluated with a ``temperature``.
        """
        if self._sketch is None:
            raise ParameterError(
                "this result has no score sketch; evaluate with temperature=T or 'fit'"
            )
        return _calibration(self._sketch, check_temperature(temperature), self._q.correct1)

    def by_frequency(self, bands=DEFAULT_BANDS) -> FrequencyBands:
        """Accuracy, confidence and ECE by the frequency rank of the expected answer.

        Parameters
        ----------
        bands : sequence of int
            Upper edges of the frequency-rank bands (rank = row + 1 in the embedding, the
            frequency order of pretrained sets); a last open band follows. Default
            ``(1000, 10000, 50000)``: ranks 1-1,000, 1,001-10,000, 10,001-50,000, >50,000.

        Returns
        -------
        FrequencyBands
            Most frequent band first; ``confidence``/``ece`` are None without a temperature.
        """
        edges = _check_bands(bands)
        q = self._q
        freq = q.answer_row + 1
        conf = q.conf
        correct = q.correct1
        lows = (1, *(e + 1 for e in edges))
        highs = (*edges, None)
        out = []
        for lo, hi in zip(lows, highs):
            sel = (freq >= lo) & (freq <= (hi if hi is not None else np.inf))
            n = int(sel.sum())
            label = f"{lo:,}-{hi:,}" if hi is not None else f">{lo - 1:,}"
            acc = float(correct[sel].mean()) if n else float("nan")
            c = e = None
            if conf is not None and n:
                c = float(conf[sel].mean())
                e = reliability_bins(conf[sel], correct[sel]).ece
            out.append(FrequencyBand(label, lo, hi, n, acc, c, e))
        return FrequencyBands(self.temperature, tuple(out))


def _check_bands(bands) -> tuple[int, ...]:
    try:
        edges = tuple(int(b) for b in bands)
    except (TypeError, ValueError):
        raise ParameterError(f"bands must be increasing positive integers, got {bands!r}") from None
    if not edges or edges[0] < 1 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ParameterError(f"bands must be increasing positive integers, got {bands!r}")
    return edges


def _calibration(sk: ScoreSketch, t: float, correct1: np.ndarray) -> Calibration:
    lp = sk.log_prob(t)
    ok = np.isfinite(lp)
    conf = sk.confidence(t)
    nll = float(-lp[ok].mean()) if ok.any() else float("nan")
    bound = sk.error_bound(t)
    rel = reliability_bins(conf, correct1) if len(conf) else None
    return Calibration(
        temperature=t,
        nll=nll,
        perplexity=math.exp(nll) if math.isfinite(nll) else nll,
        mean_confidence=float(conf.mean()) if len(conf) else float("nan"),
        accuracy=float(correct1.mean()) if len(conf) else float("nan"),
        ece=rel.ece if rel else float("nan"),
        n=int(ok.sum()),
        n_unanswerable=int((~ok).sum()),
        error_bound=float(bound[ok].mean()) if ok.any() else 0.0,
        reliability=rel,
    )
