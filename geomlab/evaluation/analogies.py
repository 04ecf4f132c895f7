"""Analogy benchmarks at gensim parity, batched; temperature and calibration on top.

:func:`evaluate_analogies` reproduces gensim 4.4's ``KeyedVectors.evaluate_word_analogies``
question for question, in one blocked pass (see :mod:`geomlab.evaluation._scan`) instead
of one ``most_similar`` call per question, and adds what gensim does not report: the rank
and score of the expected answer, 3CosMul and PairDirection, the honest rate with inputs
allowed, and the probability of the expected answer under ``softmax(score / T)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from .._validation import check_int, check_temperature
from ..embeddings import Embeddings, accepts_gensim
from ..errors import ParameterError
from ..geometry._analogy_scores import Scorer, check_method, unit
from ..scoring.calibration import (
    ScoreSketch,
    fit_temperature,
)
from . import _pruned, _pruned_pair, _scan, _sketch_pass
from .analogy_records import (
    AnalogyResult,
    SectionScore,
    _calibration,
    _QuestionArrays,
)
from .datasets import AnalogySet, load_analogies

__all__ = ["evaluate_analogies"]

#: the log-partition sketch kept per question with a temperature: exact top scores, bins
SKETCH_TOP = 128
SKETCH_BINS = 1024
#: 3CosAdd's sketch from word cosines beside the pruned pass (False: the full pass's own)
_WORD_COSINE_SKETCH = True
_GENSIM_TOPN = 5  # gensim asks most_similar for 5 answers, then skips input words


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
    inputs_kept: bool = False,
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

    With ``topk=1`` and no temperature (gensim's accuracy, the rank and score of the
    answer) the pass is *pruned*: it scores exactly only the candidates that can beat the
    expected answer (the Google set, 3CosAdd: 2.6% of the scores, nearly all for the 509
    questions that take the full pass; see :mod:`geomlab.evaluation._pruned`): each
    candidate's score is first bounded from its cosines with the input words (one product
    per distinct word, not per question), and the bound, with a margin ten times its
    proven float32 error, rules the rest out. PairDirection's score does not split into
    such bounds, but its test against the answer's score does (``x.u - t |x - c| >=
    c.u`` with ``u`` the unit relation: one row per pair, one per word; see
    :mod:`geomlab.evaluation._pruned_pair`): the cells surely above the answer are
    counted (its answers often lie deep in the list), the rest ruled out, and under
    0.002% of the scores computed exactly on the Google set. For 3CosAdd and 3CosMul,
    questions whose answer lies deep in the list (more than about 3,000 candidates above
    it) and every other case take the full pass: one matrix product per block of
    ``block_size`` questions and 4,096 candidates, exclusions by masking, running maxima
    instead of sorts, blocks on all cores. A temperature needs every candidate's score
    (the log-partition sketch below): for 3CosAdd a second pass bins them, each made from
    three word cosines (:mod:`geomlab.evaluation._sketch_pass`), beside the pruned one;
    other methods keep the full pass for it, and ``topk > 1`` (the best ``topk``) too.
    The pruned pass's exact score is computed in float64 from the float32
    vectors and rounded once; the full pass's float32 products can order two candidates
    within an ulp of each other differently from one BLAS block shape to another, so on
    such near-ties the two may differ (the Google set: identical predictions and ranks for
    3CosAdd; 4 ranks of 19,486 differ by one for 3CosMul, and 133 by one or two for
    PairDirection, whose predictions are identical; on each of those the pruned pass
    agrees with the float64 rule).
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
        Run the full tiled pass's question blocks as tasks on this Dask cluster (the
        candidate rows are scattered to every worker once): the result is that pass's,
        identical (a local evaluation prunes instead, where it can, and may differ from it
        on float32 near-ties, as said above). Needs ``geomlab[dask]``.
    inputs_kept : bool
        With ``exclude_inputs``, also evaluate with the inputs kept as candidates (the
        honest rate), in :attr:`AnalogyResult.inputs_kept` (no temperature). The pruned
        3CosAdd and 3CosMul passes give both from one pass (the same answers as a pass of
        its own); otherwise it takes a second pass.

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
    sketches, a matrix-vector product each, so ``temperature="fit"`` costs one pass over
    every score (each binned as it is computed, in one compiled loop:
    :mod:`geomlab.evaluation._sketch_kernel`) plus milliseconds per trial T;
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
    ds = dataset if isinstance(dataset, AnalogySet) else load_analogies(dataset, on_error=on_error)
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
    if n:
        queries = scorer.queries(inputs[:, 0], inputs[:, 1], inputs[:, 2])
        guess = scorer.pairwise(queries, answers).max(axis=1)
    else:
        queries = np.zeros((0, 1, emb.dim), dtype=np.float32)
        guess = np.zeros(0, dtype=np.float32)
    run = _Run(
        emb, ds, qs, oov, vocab, scorer, queries, inputs, answers, guess, bad, n_pool,
        bool(case_insensitive), topk,
    )  # fmt: skip
    exclude, n_variants = _exclusions(run, exclude_inputs)
    both = bool(inputs_kept) and bool(exclude_inputs)
    kept = None
    sketch = (SKETCH_TOP, SKETCH_BINS) if temperature is not None else None
    # 3CosAdd with a sketch: one pass from word cosines answers and sketches (_sketch_pass)
    apart = (
        _WORD_COSINE_SKETCH
        and sketch is not None
        and method == "3cosadd"
        and topk == 1
        and client is None
    )
    stats = None
    slack = 0.0
    if apart:  # one pass: answers, ranks and the sketch (and the inputs kept)
        out, stats, slack, *kept = _sketch_pass.scan(
            scorer, queries, inputs, unit=scorer.unit, exclude=exclude, answers=answers,
            answer_guess=guess, bad=bad, sketch=sketch, block_size=block_size,
            progress=progress, kept=both,
        )  # fmt: skip
    elif client is None and _pruned.supported(method, topk, sketch):
        pruned_scan = _pruned_pair.scan if method == "pairdirection" else _pruned.scan
        shared = both and method != "pairdirection"  # one pass, both sets of candidates
        out, stats, *kept = pruned_scan(
            scorer,
            queries,
            inputs,
            unit=scorer.unit,
            exclude=exclude,
            answers=answers,
            answer_guess=guess,
            bad=bad,
            block_size=block_size,
            progress=progress,
            **({"kept": True} if shared else {}),
        )
    else:
        scan = _scan.scan if client is None else partial(_scan.scan_distributed, client)
        out = scan(
            scorer,
            queries,
            exclude=exclude,
            answers=answers,
            answer_guess=guess,
            bad=bad,
            topk=topk,
            sketch=sketch,
            block_size=block_size,
            progress=progress,
        )

    seconds = time.perf_counter() - t0
    result = _finish(
        run, out, stats, slack, n_variants, exclude_inputs=exclude_inputs,
        temperature=temperature, seconds=seconds,
    )  # fmt: skip
    if not both:
        return result
    if kept:
        _, none = _exclusions(run, False)
        also = _finish(
            run, *kept, 0.0, none, exclude_inputs=False, temperature=None, seconds=seconds
        )
    else:  # a pass of its own
        also = evaluate_analogies(
            emb, ds, method=method, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, exclude_inputs=False, topk=topk,
            block_size=block_size, progress=progress, client=client,
        )  # fmt: skip
    return replace(result, _kept=also)


@dataclass
class _Run:
    """What every result of one evaluation shares: its questions, pool and scorer."""

    emb: Embeddings
    ds: AnalogySet
    qs: _Questions
    oov: list[int]
    vocab: _scan.Vocab
    scorer: Scorer
    queries: np.ndarray
    inputs: np.ndarray
    answers: np.ndarray
    guess: np.ndarray
    bad: np.ndarray
    n_pool: int
    case_insensitive: bool
    topk: int


def _exclusions(run: _Run, exclude_inputs: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per question the rows that are not candidates (-1 pads) and how many of them are
    case variants of the inputs rather than their own rows."""
    inputs, n = run.inputs, len(run.inputs)
    if not exclude_inputs:
        return np.full((n, 1), -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    exclude = run.vocab.expand(inputs)
    n_variants = ((exclude >= 0) & ~(exclude[:, :, None] == inputs[:, None, :]).any(axis=2)).sum(
        axis=1
    )
    return exclude, n_variants


def _finish(
    run: _Run, out, stats, slack, n_variants, *, exclude_inputs: bool, temperature, seconds: float
) -> AnalogyResult:
    """The result of one pass: answers, ranks, sections and the temperature's calibration."""
    emb, ds, qs, oov, vocab = run.emb, run.ds, run.qs, run.oov, run.vocab
    scorer, queries, inputs, answers, bad = (
        run.scorer,
        run.queries,
        run.inputs,
        run.answers,
        run.bad,
    )
    guess, n, topk, method = run.guess, len(run.inputs), run.topk, run.scorer.method
    n_pool, case_insensitive = run.n_pool, run.case_insensitive
    pred_rows, pred_scores = out.top_rows, out.top_scores
    # gensim looks at only the 5 best candidates that are not the inputs' own rows; with 5
    # or more case variants of the inputs among the candidates its answer can be a variant
    for i in np.flatnonzero(n_variants >= _GENSIM_TOPN):
        _gensim_walk(i, scorer, queries, inputs, bad, vocab, pred_rows, pred_scores)

    valid_ans = answers >= 0
    hit = (
        (pred_rows[:, :, None] == answers[:, None, :])
        & valid_ans[:, None, :]
        & (pred_rows[:, :, None] >= 0)
    )
    correct1 = hit[:, 0].any(axis=1)
    correct = hit.any(axis=(1, 2))
    best_ans = out.answer_scores.max(axis=1) if n else np.zeros(0, np.float32)
    answerable = np.isfinite(best_ans)
    n_above = out.n_above
    if stats is None:  # the full pass counted the answer rows too
        n_above = n_above - (out.answer_scores > guess[:, None]).sum(axis=1)
    rank = np.where(answerable, 1 + n_above, 0)
    rank[correct1] = 1

    section = np.array(qs.section, dtype=np.int64)
    cal = sk = logp = conf = None
    t_used = None
    if temperature is not None and n == 0:  # nothing to calibrate
        t_used = None if temperature == "fit" else temperature
    elif temperature is not None:
        sk = ScoreSketch(
            out.sketch_top, out.sketch_hist, *scorer.range, targets=out.answer_scores, slack=slack
        )
        t_used = fit_temperature(sk).temperature if temperature == "fit" else temperature
        cal = _calibration(sk, t_used, correct1)
        logp = sk.log_prob(t_used)
        conf = sk.confidence(t_used)
    q = _QuestionArrays(
        section=section,
        a=[w[0] for w in qs.words],
        b=[w[1] for w in qs.words],
        c=[w[2] for w in qs.words],
        expected=[w[3] for w in qs.words],
        pred_rows=pred_rows,
        pred_scores=pred_scores,
        correct=correct,
        correct1=correct1,
        rank=rank,
        score=np.where(answerable, best_ans, np.nan),
        answer_row=np.array([a[0] for a in qs.answers], dtype=np.int64),
        full_pass=np.ones(n, bool) if stats is None or stats.full is None else stats.full,
        logp=logp,
        prob=None if logp is None else np.exp(logp),
        conf=conf,
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
        semantic = score("semantic", ~is_gram, sum(o for o, g in zip(oov, gram) if not g))
        syntactic = score("syntactic", is_gram, sum(o for o, g in zip(oov, gram) if g))
    n_correct = int(correct.sum())
    return AnalogyResult(
        dataset=ds.name,
        method=method,
        restrict_vocab=n_pool,
        case_insensitive=bool(case_insensitive),
        exclude_inputs=bool(exclude_inputs),
        topk=topk,
        n_correct=n_correct,
        n_evaluated=n,
        n_oov=sum(oov),
        n_invalid=ds.n_invalid,
        accuracy=n_correct / n if n else 0.0,
        sections=sections,
        semantic=semantic,
        syntactic=syntactic,
        seconds=seconds,
        temperature=t_used,
        nll=None if cal is None else cal.nll,
        perplexity=None if cal is None else cal.perplexity,
        mean_confidence=None if cal is None else cal.mean_confidence,
        ece=None if cal is None else cal.ece,
        reliability=None if cal is None else cal.reliability,
        calibration_error_bound=None if cal is None else cal.error_bound,
        scored_exactly=1.0 if stats is None else stats.scored_exactly,
        _q=q,
        _words=emb.words,
        _sketch=sk,
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
