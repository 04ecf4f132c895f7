"""Analogy benchmarks at gensim parity, batched; temperature and calibration on top.

:func:`evaluate_analogies` reproduces gensim 4.4's ``KeyedVectors.evaluate_word_analogies``
question for question, in one blocked pass (see :mod:`geomlab.evaluation._scan`) instead
of one ``most_similar`` call per question, and adds what gensim does not report: the rank
and score of the expected answer, 3CosMul and PairDirection, the honest rate with inputs
allowed, and the probability of the expected answer under ``softmax(score / T)``.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np

from .._record import Record, format_table
from .._validation import check_int, check_temperature
from ..embeddings import Embeddings, accepts_gensim
from ..errors import ParameterError
from ..geometry._analogy_scores import Scorer, check_method, unit
from ..scoring.calibration import (
    ReliabilityBins,
    ScoreSketch,
    fit_temperature,
    reliability_bins,
)
from . import _pruned, _scan
from .datasets import AnalogySet, load_analogies

__all__ = [
    "DEFAULT_BANDS",
    "AnalogyQuestion",
    "AnalogyResult",
    "Calibration",
    "FrequencyBand",
    "FrequencyBands",
    "SectionScore",
    "evaluate_analogies",
]

#: frequency-rank band edges for :meth:`AnalogyResult.by_frequency`
DEFAULT_BANDS = (1_000, 10_000, 50_000)
#: the log-partition sketch kept per question with a temperature: exact top scores, bins
SKETCH_TOP = 128
SKETCH_BINS = 1024
_GENSIM_TOPN = 5  # gensim asks most_similar for 5 answers, then skips input words


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
            out.append(AnalogyQuestion(
                section=names[q.section[i]], a=q.a[i], b=q.b[i], c=q.c[i],
                expected=q.expected[i], predicted=pred, correct=bool(q.correct[i]),
                rank=int(q.rank[i]), score=float(q.score[i]),
                predicted_score=float(q.pred_scores[i, 0]),
                prob=None if prob is None else float(prob[i]),
                confidence=None if conf is None else float(conf[i]),
            ))
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
        return section_accuracy({"sections": [row(s) for s in self.sections],
                                 "aggregates": aggs,
                                 "title": f"{self.dataset}, {self.method}: accuracy by "
                                          "section"}, ax=ax)

    def plot_reliability(self, ax=None):
        """The reliability diagram at the evaluation's temperature (two axes); needs a
        ``temperature`` in :func:`evaluate_analogies`."""
        from ..errors import ParameterError

        if self.reliability is None:
            raise ParameterError("no calibration to draw: evaluate with a temperature "
                                 "(temperature=1.0 or 'fit')")
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
        total = SectionScore("total", self.n_correct, self.n_evaluated, self.n_oov,
                             self.accuracy, self.nll, self.mean_confidence)
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
        return _calibration(self._sketch, check_temperature(temperature),
                            self._q.correct1)

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


# -- vocabulary and questions -------------------------------------------------------------------
@dataclass
class _Questions:
    section: list[int] = field(default_factory=list)
    rows: list[tuple[int, int, int]] = field(default_factory=list)
    answers: list[list[int]] = field(default_factory=list)
    words: list[tuple[str, str, str, str]] = field(default_factory=list)


def _build_questions(ds: AnalogySet, vocab: _scan.Vocab) -> tuple[_Questions, list[int]]:
    qs = _Questions()
    oov = [0] * len(ds.sections)
    for si, sec in enumerate(ds.sections):
        if ds.kind == "questions":
            for a, b, c, d in sec.questions:
                r = (vocab.row(a), vocab.row(b), vocab.row(c), vocab.row(d))
                if None in r:
                    oov[si] += 1
                    continue
                qs.section.append(si)
                qs.rows.append(r[:3])
                qs.answers.append([r[3]])
                qs.words.append((a, b, c, d))
            continue
        # BATS: every ordered pair of distinct pairs (a, a*), (b, b*) -> a : a* :: b : ?
        wrow = [vocab.row(w) for w, _ in sec.pairs]
        ans = []
        for _, answers in sec.pairs:
            found = {}
            for x in answers:
                r = vocab.row(x)
                if r is not None and r not in found:
                    found[r] = x
            ans.append(found)
        for i, (wi, _) in enumerate(sec.pairs):
            for j, (wj, _) in enumerate(sec.pairs):
                if i == j:
                    continue
                if wrow[i] is None or wrow[j] is None or not ans[i] or not ans[j]:
                    oov[si] += 1
                    continue
                a_star, a_star_word = next(iter(ans[i].items()))
                qs.section.append(si)
                qs.rows.append((wrow[i], a_star, wrow[j]))
                qs.answers.append(list(ans[j]))
                qs.words.append((wi, a_star_word, wj, next(iter(ans[j].values()))))
    return qs, oov


# -- the evaluation -----------------------------------------------------------------------------
@accepts_gensim
def evaluate_analogies(
    emb: Embeddings,
    dataset="google",
    *,
    method: str = "3cosadd",
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    exclude_inputs: bool = True,
    topk: int = 1,
    temperature: float | str | None = None,
    block_size: int = 256,
    progress: bool | None = None,
    on_error: str = "raise",
    client=None,
) -> AnalogyResult:
    """Accuracy on an analogy benchmark, exactly as gensim's ``evaluate_word_analogies``.

    For each question a : b :: c : d the answer is the best-scoring candidate among the
    first ``restrict_vocab`` words. Semantics follow gensim 4.4 (for ``"3cosadd"`` the
    same answers, question by question): questions with a word outside the first
    ``restrict_vocab`` words are skipped and counted (``n_oov``); with
    ``case_insensitive`` words are compared upper-cased and the first (most frequent) case
    variant supplies the vector; the inputs a, b, c and their case variants are never
    answers; gensim's quirk of looking at only the 5 best non-input candidates is
    reproduced.

    For 3CosAdd and 3CosMul with ``topk=1`` and no temperature (gensim's accuracy, the
    rank and score of the answer) the pass is *pruned*: it scores exactly only the
    candidates that can beat the expected answer (the Google set, 3CosAdd: 2.6% of the
    scores, nearly all for the 509 questions that take the full pass; see
    :mod:`geomlab.evaluation._pruned`): each candidate's score is first bounded from
    its cosines with the input words (one product per distinct word, not per question),
    and the bound, with a margin ten times its proven float32 error, rules the rest out.
    Questions whose answer lies deep in the list (more than about 3,000 candidates above
    it) and every other case take the full pass: one matrix product per block of
    ``block_size`` questions and 4,096 candidates, exclusions by masking, running maxima
    instead of sorts, blocks on all cores. A temperature needs every candidate's score
    (the log-partition sketch below), ``topk > 1`` the best ``topk``, and PairDirection's
    score does not split into per-word bounds, so those keep the full pass. The pruned
    pass's exact score is computed in float64 from the float32 vectors and rounded once;
    the full pass's float32 products can order two candidates within an ulp of each other
    differently from one BLAS block shape to another, so on such near-ties the two may
    differ (the Google set: identical predictions and ranks for 3CosAdd; 4 ranks of
    19,486 differ by one for 3CosMul, where the pruned pass agrees with the float64 rule).
    ``AnalogyResult.scored_exactly`` gives the share of scores computed exactly. Memory
    stays at a few MB per block whatever the vocabulary.

    Parameters
    ----------
    emb : Embeddings
    dataset : str, path or AnalogySet
        ``"google"`` (gensim's copy of the Google set), a question file, a BATS folder, or
        a set from :func:`geomlab.evaluation.datasets.load_analogies`.
    method : {"3cosadd", "3cosmul", "pairdirection"}
        3CosAdd: cos(x, b - a + c) (Mikolov et al. 2013). 3CosMul: cos(x,b) cos(x,c) /
        (cos(x,a) + 1e-6) with cosines shifted to [0, 1] by (1 + cos) / 2 (Levy & Goldberg
        2014, as gensim's ``most_similar_cosmul``). PairDirection: cos(x - c, b - a).
    restrict_vocab : int or None
        Questions and candidates are limited to the first ``restrict_vocab`` words
        (None: all).
    case_insensitive : bool
        Compare words upper-cased, as gensim does.
    exclude_inputs : bool
        Never answer a, b or c (the convention). False gives the honest rate (Linzen 2016;
        Nissim et al. 2020): the candidates include the inputs.
    topk : int
        A question counts as correct when the expected answer is among the ``topk`` best
        candidates (1: gensim's accuracy); capped at the number of candidates.
    temperature : float, "fit" or None
        Also score the answers as distributions: the probability of the expected answer
        under softmax(score / T) over the same candidates; ``"fit"`` picks the T that
        minimises the mean NLL.
    block_size : int
        Questions per block (memory per block about ``block_size`` x 40 KB).
    progress : bool or None
        Progress bar on stderr (None: only on a terminal).
    on_error : {"raise", "skip"}
        Malformed dataset lines raise, or are skipped and counted in ``n_invalid``.
    client : dask.distributed.Client, optional
        Run the question blocks as tasks on this Dask cluster (the candidate rows are
        scattered to every worker once); the result is identical. Needs ``geomlab[dask]``.

    Returns
    -------
    AnalogyResult

    Notes
    -----
    **Temperature without a questions x vocabulary matrix.** 19,486 questions x 300,000
    candidates would be 23 GB. Instead the single scoring pass keeps, per question, a
    *log-partition sketch* (:class:`~geomlab.scoring.calibration.ScoreSketch`): the exact
    128 best scores, a 1,024-bin histogram of all the other candidate scores (bins of
    0.002 over the cosine range [-1, 1]; [0, 4] for 3CosMul) and the exact scores of the
    expected answer. ``logsumexp(scores / T)`` for *any* T is then the exact part plus
    the bin-centre mass, with error at most ``log(1 + f (e^(delta/T) - 1))`` nats
    (``delta`` half a bin, ``f`` the histogram's share of the partition function; the mean
    over questions is reported as ``calibration_error_bound``: about 0.003 nats at the
    fitted T on the Google set). Fitting T (bounded Brent on log T) evaluates only the
    sketches, a matrix-vector product each, so ``temperature="fit"`` costs one pass (about
    three times a plain one: the histogram) plus milliseconds per trial T;
    :meth:`AnalogyResult.calibration_at` gives other temperatures without a pass. Memory:
    about 6 KB per question.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> r = geomlab.evaluate_analogies(emb, "google")  # doctest: +SKIP
    >>> r.n_correct, r.n_evaluated                     # doctest: +SKIP
    (9036, 19486)
    """
    if not isinstance(emb, Embeddings):
        raise ParameterError(f"emb must be an Embeddings, got {type(emb).__name__}")
    method = check_method(method)
    restrict_vocab = check_int(restrict_vocab, "restrict_vocab", allow_none=True)
    topk = check_int(topk, "topk")
    block_size = check_int(block_size, "block_size")
    if temperature is not None and not (isinstance(temperature, str) and temperature == "fit"):
        if isinstance(temperature, str):
            raise ParameterError(
                f"temperature must be a positive number or 'fit', got {temperature!r}"
            )
        temperature = check_temperature(temperature)
    ds = dataset if isinstance(dataset, AnalogySet) else load_analogies(dataset,
                                                                        on_error=on_error)
    n_pool = len(emb) if restrict_vocab is None else min(restrict_vocab, len(emb))
    topk = min(topk, n_pool)  # no more answers than candidates
    vocab = _scan.Vocab(emb, n_pool, bool(case_insensitive))
    qs, oov = _build_questions(ds, vocab)
    n = len(qs.rows)
    t0 = time.perf_counter()

    pool = emb.vectors[:n_pool]
    norms = _scan.gensim_norms(pool)
    bad = np.flatnonzero(norms == 0)
    scorer = Scorer(method, pool, norms, unit=lambda rows: unit(pool[rows], norms[rows]))
    inputs = np.array(qs.rows, dtype=np.int64).reshape(n, 3)
    answers = vocab.expand(_scan.pad(qs.answers))
    if exclude_inputs:
        exclude = vocab.expand(inputs)
        # case variants of the inputs (rows that are not an input's own row)
        n_variants = ((exclude >= 0)
                      & ~(exclude[:, :, None] == inputs[:, None, :]).any(axis=2)).sum(axis=1)
    else:
        exclude = np.full((n, 1), -1, dtype=np.int64)
        n_variants = np.zeros(n, dtype=np.int64)
    if n:
        queries = scorer.queries(inputs[:, 0], inputs[:, 1], inputs[:, 2])
        guess = scorer.pairwise(queries, answers).max(axis=1)
    else:
        queries = np.zeros((0, 1, emb.dim), dtype=np.float32)
        guess = np.zeros(0, dtype=np.float32)
    sketch = (SKETCH_TOP, SKETCH_BINS) if temperature is not None else None
    stats = None
    if client is None and _pruned.supported(method, topk, sketch):
        out, stats = _pruned.scan(scorer, queries, inputs, unit=scorer.unit, exclude=exclude,
                                 answers=answers, answer_guess=guess, bad=bad,
                                 section=np.array(qs.section, dtype=np.int64),
                                 block_size=block_size, progress=progress)
    else:
        scan = _scan.scan if client is None else partial(_scan.scan_distributed, client)
        out = scan(scorer, queries, exclude=exclude, answers=answers, answer_guess=guess,
                   bad=bad, topk=topk, sketch=sketch, block_size=block_size,
                   progress=progress)

    pred_rows, pred_scores = out.top_rows, out.top_scores
    # gensim looks at only the 5 best candidates that are not the inputs' own rows; with 5
    # or more case variants of the inputs among the candidates its answer can be a variant
    for i in np.flatnonzero(n_variants >= _GENSIM_TOPN):
        _gensim_walk(i, scorer, queries, inputs, bad, vocab, pred_rows, pred_scores)

    valid_ans = answers >= 0
    hit = ((pred_rows[:, :, None] == answers[:, None, :]) & valid_ans[:, None, :]
           & (pred_rows[:, :, None] >= 0))
    correct1 = hit[:, 0].any(axis=1)
    correct = hit.any(axis=(1, 2))
    best_ans = out.answer_scores.max(axis=1) if n else np.zeros(0, np.float32)
    answerable = np.isfinite(best_ans)
    n_above = out.n_above
    if stats is None:  # the full pass counted the answer rows too
        n_above = n_above - (out.answer_scores > guess[:, None]).sum(axis=1)
    rank = np.where(answerable, 1 + n_above, 0)
    rank[correct1] = 1
    seconds = time.perf_counter() - t0

    section = np.array(qs.section, dtype=np.int64)
    cal = sk = logp = conf = None
    t_used = None
    if temperature is not None and n == 0:  # nothing to calibrate
        t_used = None if temperature == "fit" else temperature
    elif temperature is not None:
        sk = ScoreSketch(out.sketch_top, out.sketch_hist, *scorer.range,
                         targets=out.answer_scores)
        t_used = fit_temperature(sk).temperature if temperature == "fit" else temperature
        cal = _calibration(sk, t_used, correct1)
        logp = sk.log_prob(t_used)
        conf = sk.confidence(t_used)
    q = _QuestionArrays(
        section=section,
        a=[w[0] for w in qs.words], b=[w[1] for w in qs.words],
        c=[w[2] for w in qs.words], expected=[w[3] for w in qs.words],
        pred_rows=pred_rows, pred_scores=pred_scores,
        correct=correct, correct1=correct1, rank=rank,
        score=np.where(answerable, best_ans, np.nan),
        answer_row=np.array([a[0] for a in qs.answers], dtype=np.int64),
        full_pass=np.ones(n, bool) if stats is None or stats.full is None else stats.full,
        logp=logp, prob=None if logp is None else np.exp(logp), conf=conf,
    )

    def score(name, sel, n_oov) -> SectionScore:
        k = int(sel.sum())
        c = int(correct[sel].sum())
        nll = mc = None
        if cal is not None and k:
            lp = q.logp[sel]
            ok = np.isfinite(lp)
            nll = float(-lp[ok].mean()) if ok.any() else float("nan")
            mc = float(q.conf[sel].mean())
        return SectionScore(name, c, k, n_oov, c / k if k else 0.0, nll, mc)

    sections = tuple(score(s.name, section == i, oov[i]) for i, s in enumerate(ds.sections))
    semantic = syntactic = None
    gram = [s.name.startswith("gram") for s in ds.sections]
    if ds.kind == "questions" and any(gram) and not all(gram):
        is_gram = np.array(gram)[section] if n else np.zeros(0, bool)
        semantic = score("semantic", ~is_gram,
                         sum(o for o, g in zip(oov, gram) if not g))
        syntactic = score("syntactic", is_gram, sum(o for o, g in zip(oov, gram) if g))
    n_correct = int(correct.sum())
    return AnalogyResult(
        dataset=ds.name, method=method, restrict_vocab=n_pool,
        case_insensitive=bool(case_insensitive), exclude_inputs=bool(exclude_inputs),
        topk=topk, n_correct=n_correct, n_evaluated=n, n_oov=sum(oov), n_invalid=ds.n_invalid,
        accuracy=n_correct / n if n else 0.0, sections=sections, semantic=semantic,
        syntactic=syntactic, seconds=seconds, temperature=t_used,
        nll=None if cal is None else cal.nll,
        perplexity=None if cal is None else cal.perplexity,
        mean_confidence=None if cal is None else cal.mean_confidence,
        ece=None if cal is None else cal.ece,
        reliability=None if cal is None else cal.reliability,
        calibration_error_bound=None if cal is None else cal.error_bound,
        scored_exactly=1.0 if stats is None else stats.scored_exactly,
        _q=q, _words=emb.words, _sketch=sk,
    )


def _gensim_walk(i, scorer, queries, inputs, bad, vocab, pred_rows, pred_scores) -> None:
    """Re-answer question ``i`` exactly as gensim: top 5 without the inputs' own rows,
    then the first whose folded word is not an input (else the 5th)."""
    s = scorer.full(queries[i : i + 1])
    s[bad] = -np.inf
    own = {int(r) for r in inputs[i]}
    s[list(own)] = -np.inf
    best = np.argsort(-s, kind="stable")[:_GENSIM_TOPN]
    chosen = None
    for r in best:
        chosen = int(r)
        if vocab.fold_row(chosen) not in own:
            break
    if chosen is not None and np.isfinite(s[chosen]) and chosen != pred_rows[i, 0]:
        # gensim's answer first, then the best candidates as before
        pred_rows[i, 1:] = pred_rows[i, :-1].copy()
        pred_scores[i, 1:] = pred_scores[i, :-1].copy()
        pred_rows[i, 0] = chosen
        pred_scores[i, 0] = s[chosen]


def _calibration(sk: ScoreSketch, t: float, correct1: np.ndarray) -> Calibration:
    lp = sk.log_prob(t)
    ok = np.isfinite(lp)
    conf = sk.confidence(t)
    nll = float(-lp[ok].mean()) if ok.any() else float("nan")
    bound = sk.error_bound(t)
    rel = reliability_bins(conf, correct1) if len(conf) else None
    return Calibration(
        temperature=t, nll=nll, perplexity=math.exp(nll) if math.isfinite(nll) else nll,
        mean_confidence=float(conf.mean()) if len(conf) else float("nan"),
        accuracy=float(correct1.mean()) if len(conf) else float("nan"),
        ece=rel.ece if rel else float("nan"), n=int(ok.sum()),
        n_unanswerable=int((~ok).sum()),
        error_bound=float(bound[ok].mean()) if ok.any() else 0.0, reliability=rel,
    )
