"""The analogy pass that scores exactly only the candidates that can matter.

3CosAdd and 3CosMul scores are small functions of three cosines: the candidate's cosine
with each input word (3CosAdd: ``cos(x, b) + cos(x, c) - cos(x, a)`` up to the query's
length; 3CosMul: their shifted product and ratio). A benchmark has far fewer distinct
words than questions (the Google set: 904 words, 19,486 questions), so the pass first
computes each *word's* cosine with every candidate (one matrix product per pool chunk, a
few percent of the per-question product) and then bounds each candidate's score from two
of those rows: one per distinct (a, b) pair and one per c word.

Three stages per candidate and question, each keeping every candidate that could beat
the expected answer's exact score ``t``:

1. int16: the rows rounded up to steps of 1/4096 (3CosMul: logarithms, 1/1024, read from
   two int16 tables over 65,536 cosine bins rather than computed: see _log_tables), against
   the question's threshold rounded down (``t`` times the query length, less a margin ten
   times the proven float32 error of the rows): one addition and comparison per cell, in
   a compiled loop (:mod:`geomlab.evaluation._first_stage`);
2. float64, for the survivors of stage 1 (about 200 per question on the Google set): an
   interval for the exact score from the three float32 cosines, each within 3.05e-6 of
   the true one (taken as 1e-5); those whose upper end is below ``t`` go, those whose
   lower end is above it count towards the answer's rank without more work;
3. the exact score, only where the interval cannot decide: a candidate whose interval
   holds ``t`` (for the rank), or reaches the best lower end (for the top answer).

*Exact* means the score computed in float64 from the float32 vectors and rounded once to
float32, the same for every candidate whatever the block layout (the tiled float32 pass
rounds each product by the BLAS kernel's own blocking, so two candidates within an ulp
could order differently from one block shape to another). Ties are broken by row, the
lowest first, as in the tiled pass.

PairDirection has its own pruned pass (:mod:`geomlab.evaluation._pruned_pair`): its score
``(x - c) . u / |x - c|`` does not split into one row per pair plus one per word, but the
test "x scores at least t" does, once ``t`` multiplies the word row ``|x - c|``; and most
of its answers lie deep in the list (the Google set: 6,772 of 19,486 below rank 3,000),
so that pass counts the cells surely above the answer instead of listing them.

Questions whose answer lies deep in the candidate list (more than :data:`CAP`
candidates above it, predicted from a 1-in-:data:`STRIDE` sample of the pool), whose
answer is not a candidate, or whose query is degenerate, go through the full tiled pass
(:func:`geomlab.evaluation._scan.scan`): for them pruning would score most candidates
anyway.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import partial

import numpy as np

from .._parallel import blas_threads, run_blocks, workers
from ..geometry._analogy_scores import COSMUL_EPS, Scorer
from . import _scan

__all__ = ["CAP", "STRIDE", "PruneStats", "scan", "supported"]

#: candidates above the answer (predicted) beyond which a question takes the full pass
CAP = 3000

#: one pool row in STRIDE is sampled to predict how many candidates survive
STRIDE = 128
#: pool rows per chunk of the pass
WIDTH = 4096
#: safety margins, 10x the worst-case rounding of the estimates (see _terms)
MARGIN_ADD = 1e-4
MARGIN_LOG = 1e-4
#: the bound used on each float32 word cosine's error (the proven one is 3.05e-6)
EPS_COS = 1e-5
#: the lowest first-stage threshold, in int16 steps (lower ones take the full pass)
LOW = 15000
#: int16 steps per unit in the first stage (3CosAdd rows lie in [-3, 3], 3CosMul's
#: logarithms in about [-14, 14])
QSCALE = {"3cosadd": 4096.0, "3cosmul": 1024.0}
_U = 2.0**-24  # float32 unit roundoff


@dataclass(frozen=True)
class PruneStats:
    """How much of the (questions x candidates) score matrix was computed exactly."""

    n_questions: int
    n_pool: int
    n_full: int  # questions that took the full pass
    n_survivors: int  # (question, candidate) pairs scored exactly by the pruned pass
    full: np.ndarray | None = None  # per question: took the full pass

    @property
    def scored_exactly(self) -> float:
        total = self.n_questions * self.n_pool
        return (self.n_full * self.n_pool + self.n_survivors) / total if total else 1.0


def supported(method: str, topk: int, sketch) -> bool:
    """Whether a pruned pass gives this evaluation's outputs (else the full pass); for
    PairDirection that is :func:`geomlab.evaluation._pruned_pair.scan`."""
    return topk == 1 and sketch is None and (method in QSCALE or method == "pairdirection")


# -- the estimate terms -------------------------------------------------------------------------
def _cosines(units: np.ndarray, pool: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """float32 ``cos(word, row)`` of every word (rows of ``units``) with every pool row.

    The rows are scaled to unit length first (float32, each component within one
    rounding), then one product: each entry is within ``gamma_50 |w| |x| / n`` plus two
    roundings of the true cosine, about 3.05e-6, whatever the BLAS summation order. Zero
    rows give NaN, which never passes a comparison.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return units @ (pool / norms[:, None]).T


def _terms(method: str, cos: np.ndarray, pa: np.ndarray, pb: np.ndarray):
    """Per-pair and per-c-word rows whose combination bounds the score from above.

    ``cos`` holds the float32 cosines of the distinct words (rows) with some pool rows;
    ``pa``/``pb`` index the a and b word of each distinct (a, b) pair. Returns ``X`` (one
    row per pair) and ``Y`` (one row per word) such that, for a question (pair p, word c)
    with the comparison value ``v`` of :func:`_threshold`:

    * 3CosAdd: ``X[p] + Y[c] >= v`` whenever the exact score is at least ``t``
      (``X = cos_b - cos_a``, ``Y = cos_c``; each cosine within 3.05e-6, the two float32
      additions within 3e-7, the query's own rounding within 4e-7 (see _threshold):
      under 1.01e-5 in all, against a margin of 1e-4);
    * 3CosMul: the same with logarithms of the shifted cosines, each moved by 2e-6 (more
      than their error) in the direction that raises the score.
    """
    if method == "3cosadd":
        return cos[pb] - cos[pa], cos
    d = np.float32(2e-6)
    sh = (cos + np.float32(1)) * np.float32(0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.log(sh + d)
        lo = np.log(np.maximum(sh - d, 0) + np.float32(COSMUL_EPS))
    return hi[pb] - lo[pa], hi


def _threshold(method: str, t: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Per question, the comparison value ``v`` (float32).

    ``t``: the exact answer score; ``length``: ``|b + c - a|`` of the float32 query sum.
    """
    if method == "3cosadd":
        return (t * length - MARGIN_ADD).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.log(t) - MARGIN_LOG).astype(np.float32)


# -- the pass -----------------------------------------------------------------------------------
def _empty_output(n: int, answers: np.ndarray) -> _scan.ScanOutput:
    """A pruned pass's output before the pass: no top answer, nothing counted."""
    return _scan.ScanOutput(
        top_scores=np.full((n, 1), -np.inf, dtype=np.float32),
        top_rows=np.full((n, 1), -1, dtype=np.int64),
        n_above=np.zeros(n, dtype=np.int64),
        answer_scores=np.full(answers.shape, -np.inf, dtype=np.float32),
    )


def _answer_scores(scorer: Scorer, queries, answers, exclude):
    """The answer rows' exact scores (-inf: pads and excluded rows), each question's best
    of them ``t``, and the excluded cells as keys (question * pool + row)."""
    n_pool = len(scorer.pool)
    ar, ak = np.nonzero(answers >= 0)
    arow = answers[ar, ak]
    ans = np.full(answers.shape, -np.inf, dtype=np.float32)
    ans[ar, ak] = scorer.exact(queries, ar, arow)
    ex_keys = _keys(exclude, n_pool)
    ans[ar, ak] = np.where(np.isin(ar * n_pool + arow, ex_keys), -np.inf, ans[ar, ak])
    return ans, ans.max(axis=1), ex_keys


def scan(
    scorer: Scorer,
    queries: np.ndarray,
    inputs: np.ndarray,
    *,
    unit,
    exclude: np.ndarray,
    answers: np.ndarray,
    answer_guess: np.ndarray,
    bad: np.ndarray,
    block_size: int = 256,
    progress=None,
    kept: bool = False,
):
    """The top answer, its score and the answer's rank for every question, pruned.

    Returns ``(ScanOutput, PruneStats)``; ``ScanOutput.n_above`` counts the candidates
    other than the answer rows scoring strictly above the best answer row. With ``kept``
    the same pass also gives them with no row excluded (the inputs kept as candidates):
    ``(ScanOutput, PruneStats, ScanOutput, PruneStats)``. Its survivors serve both: a
    candidate that can beat the answer's score with exclusions can beat it without, and
    an answer row freed from the exclusions only raises the score to beat.
    """
    method = scorer.method
    n = len(queries)
    n_pool = len(scorer.pool)
    pool, norms = scorer.pool, scorer.norms
    out = _empty_output(n, answers)
    if n == 0:
        empty = (out, PruneStats(0, n_pool, 0, 0))
        return empty + (_empty_output(n, answers), PruneStats(0, n_pool, 0, 0)) if kept else empty

    # the exact scores of the answer rows; t: the best one
    ans, t, ex_keys = _answer_scores(scorer, queries, answers, exclude)

    words, inv = np.unique(inputs, return_inverse=True)
    inv = inv.reshape(inputs.shape)
    pair_keys = inv[:, 0] * len(words) + inv[:, 1]
    pairs, p_of_q = np.unique(pair_keys, return_inverse=True)
    pa, pb = pairs // len(words), pairs % len(words)
    c_of_q = inv[:, 2]
    uw = unit(words)  # (n_words, dim) float32, the rows the queries were built from
    ua, ub, uc = uw[inv[:, 0]], uw[inv[:, 1]], uw[inv[:, 2]]
    length = np.linalg.norm(((ub + uc) - ua).astype(np.float64), axis=1)
    thr = _threshold(method, t.astype(np.float64), length)

    # which questions take the full pass
    full = ~np.isfinite(t)
    full |= (length < 1e-3) if method == "3cosadd" else (t <= 0)
    with np.errstate(invalid="ignore"):  # thresholds the int16 first stage cannot hold
        full |= ~(thr.astype(np.float64) * QSCALE[method] >= -LOW)
    sample = np.arange(0, n_pool, STRIDE)
    cos_s = _cosines(uw, pool[sample], norms[sample])
    x_s, y_s = _terms(method, cos_s, pa, pb)
    predicted = np.zeros(n, dtype=np.int64)
    for q0 in range(0, n, 1024):
        sl = slice(q0, min(n, q0 + 1024))
        est = x_s[p_of_q[sl]] + y_s[c_of_q[sl]]
        predicted[sl] = (est >= thr[sl, None]).sum(axis=1) * STRIDE
    full |= predicted > CAP

    from ._first_stage import log_terms, survivors  # numba: only when a pruned pass runs

    todo = np.flatnonzero(~full)
    qscale = QSCALE[method]
    # each question's threshold in int16 steps, rounded down (the full ones never read)
    with np.errstate(invalid="ignore"):
        steps = np.where(full, 0, np.floor(thr.astype(np.float64) * qscale)).astype(np.int32)
    found: list[tuple] = []

    def second(q, j, cos, c0):
        """Second stage: an interval for the exact score of each first-stage survivor,
        from the three word cosines; those whose upper end is below the answer's go."""
        lo, hi = _interval(
            method, cos[inv[q, 0], j], cos[inv[q, 1], j], cos[inv[q, 2], j], length[q]
        )
        keep = hi >= t[q]
        return q[keep], j[keep] + c0, lo[keep], hi[keep]

    def run_chunk(c0: int, c1: int) -> int:
        cos = _cosines(uw, pool[c0:c1], norms[c0:c1])
        # first stage: the rows rounded up, the thresholds down (every true pass stays)
        if method == "3cosmul":
            xq, bq = log_terms(cos, pa, pb, *_log_tables(), np.float32(LOG_BINS // 2))
        else:
            x, y = _terms(method, cos, pa, pb)
            with np.errstate(invalid="ignore"):
                bq = _quantize(y, qscale)
                xq = _quantize(x, qscale)
        qs, js = survivors(xq, bq, p_of_q, c_of_q, steps, todo)
        if len(qs):
            found.append(second(qs, js, cos, c0))
        return c1 - c0

    if len(todo):
        _over_chunks(run_chunk, n_pool, WIDTH, progress)
    kept_cells = (
        tuple(np.concatenate(v) for v in zip(*found))
        if found
        else (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    )
    settle = partial(
        _settle, scorer, queries, answers, answer_guess, bad, full, block_size, kept_cells
    )
    done = settle(out, exclude, ans, t, ex_keys)
    if not kept:
        return done
    none = np.full((n, 1), -1, dtype=np.int64)
    ans_k, t_k, keys_k = _answer_scores(scorer, queries, answers, none)
    return done + settle(_empty_output(n, answers), none, ans_k, t_k, keys_k)


def _settle(
    scorer,
    queries,
    answers,
    answer_guess,
    bad,
    full,
    block_size,
    survivors,
    out,
    exclude,
    ans,
    t,
    ex_keys,
):
    """The pruned pass's answers from its survivors ``(question, row, lo, hi)``, for one
    set of excluded rows: the top answer, the answer's rank and the exact scores they
    need; the questions marked ``full`` through the full pass. ``(out, PruneStats)``."""
    n, n_pool = len(queries), len(scorer.pool)
    sq, sr, lo, hi = survivors
    # drop the excluded rows
    keep = ~np.isin(sq * n_pool + sr, ex_keys)
    if len(bad):
        keep &= ~np.isin(sr, bad)
    sq, sr, lo, hi = sq[keep], sr[keep], lo[keep], hi[keep]
    is_ans = np.isin(sq * n_pool + sr, _keys(answers, n_pool))
    tq = t[sq]
    # the top answer is among the survivors whose upper end reaches the best lower end
    floor = t.astype(np.float64)
    np.maximum.at(floor, sq, lo)
    top_cand = hi >= floor[sq]
    band = ~is_ans & (lo <= tq)  # neither surely above the answer nor surely below
    need = top_cand | band
    s = np.full(len(sq), np.nan, dtype=np.float32)
    s[need] = scorer.exact(queries, sq[need], sr[need])
    # top answer: highest exact score, then the lowest row
    ci = np.flatnonzero(top_cand)
    order = ci[np.lexsort((sr[ci], -s[ci].astype(np.float64), sq[ci]))]
    first = order[np.r_[True, sq[order][1:] != sq[order][:-1]]] if len(order) else order
    out.top_scores[sq[first], 0] = s[first]
    out.top_rows[sq[first], 0] = sr[first]
    # rank: candidates above the best answer row, the answer rows themselves aside
    above = ~is_ans & ((lo > tq) | (band & (s > tq)))
    out.n_above[:] = np.bincount(sq[above], minlength=n)
    out.answer_scores[:] = ans
    n_exact = int(need.sum())

    n_full = _full_pass(out, full, scorer, queries, exclude, answers, answer_guess, bad, block_size)
    return out, PruneStats(n, n_pool, n_full, n_exact, full)


def _over_chunks(run_chunk, n_pool: int, width: int, progress) -> None:
    """``run_chunk(c0, c1)`` over ``n_pool`` rows (pool rows, or questions) in chunks of
    ``width``, on all cores (BLAS on one thread each)."""
    chunks = [(c0, min(n_pool, c0 + width)) for c0 in range(0, n_pool, width)]
    n_workers = max(1, min(len(chunks), workers()))
    with blas_threads(1) if n_workers > 1 else contextlib.nullcontext():
        run_blocks(run_chunk, chunks, n_workers, progress=progress, desc="analogies")


def _full_pass(out, full, scorer, queries, exclude, answers, answer_guess, bad, block_size) -> int:
    """The questions marked ``full`` through the full tiled pass, written into ``out``
    (their rank counts the answer rows aside, as the pruned pass does); how many."""
    idx = np.flatnonzero(full)
    if len(idx):
        part = _scan.scan(
            scorer,
            queries[idx],
            exclude=exclude[idx],
            answers=answers[idx],
            answer_guess=answer_guess[idx],
            bad=bad,
            block_size=block_size,
            progress=False,
        )
        out.top_scores[idx] = part.top_scores
        out.top_rows[idx] = part.top_rows
        out.n_above[idx] = part.n_above - (part.answer_scores > answer_guess[idx, None]).sum(axis=1)
        out.answer_scores[idx] = part.answer_scores
    return len(idx)


def _keys(rows: np.ndarray, n_pool: int) -> np.ndarray:
    """Sorted ``question * n_pool + row`` keys of a padded (n, k) row array."""
    r, k = np.nonzero(rows >= 0)
    return np.unique(r * n_pool + rows[r, k])


def _interval(method, ca, cb, cc, length):
    """Bounds ``(lo, hi)`` (float64) on the exact scores from the float32 word cosines.

    Each word cosine is within 3.05e-6 of the true one (see :func:`_cosines`); the bounds
    take 1e-5 (:data:`EPS_COS`) and widen the result by a further 1e-5 relative, for the
    query's own rounding and the final float32 rounding of the exact score.
    """
    e = EPS_COS
    ca, cb, cc = (v.astype(np.float64) for v in (ca, cb, cc))
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "3cosadd":
            mid = (cb + cc - ca) / length
            w = 3 * e / length
            lo, hi = mid - w, mid + w
        else:
            eps = COSMUL_EPS
            sa_lo, sa_hi = (1 + ca - e) / 2, (1 + ca + e) / 2
            sb_lo, sb_hi = (1 + cb - e) / 2, (1 + cb + e) / 2
            sc_lo, sc_hi = (1 + cc - e) / 2, (1 + cc + e) / 2
            den_lo = sa_lo + eps
            hi = np.where(
                den_lo > 0, (np.maximum(sb_hi, 0) * np.maximum(sc_hi, 0) + 1e-7) / den_lo, np.inf
            )
            lo = (np.maximum(sb_lo, 0) * np.maximum(sc_lo, 0) - 1e-7) / (sa_hi + eps)
    tol = 1e-5 * (1 + np.abs(lo)), 1e-5 * (1 + np.abs(hi))
    return np.where(np.isnan(lo), -np.inf, lo - tol[0]), np.where(np.isnan(hi), np.inf, hi + tol[1])


#: 3CosMul's first-stage logarithms come from tables over this many bins of the cosine
LOG_BINS = 1 << 16
_LOG_TABLES: list = []


def _log_tables() -> tuple[np.ndarray, np.ndarray]:
    """int16 tables of 3CosMul's two logarithms (see :func:`_terms`) over cosine bins.

    Bin ``i`` holds the cosines in ``[e_i, e_(i+1))``, ``e_i = 2 i / LOG_BINS - 1``.
    ``hi[i]`` is ``log((1 + e) / 2 + 2e-6)`` at the upper edge of bin ``i + 1``, times
    :data:`QSCALE` and rounded up; ``lo[i]`` is ``log(max((1 + e) / 2 - 2e-6, 0) + 1e-6)``
    at the lower edge of bin ``i - 1``, rounded down (float64). The bin of a float32
    cosine is computed within a hundredth of a bin, so one bin of slack on each side
    makes ``hi`` an upper and ``lo`` a lower bound of the logarithms :func:`_terms`
    takes (cosines beyond +-1 fall in the end bins, whose edges are +-(1 + 1e-5)).
    """
    if not _LOG_TABLES:
        k = LOG_BINS
        e = 2.0 * np.arange(k + 1) / k - 1
        up = np.r_[e[2:], [1 + 1e-5, 1 + 1e-5]]  # upper edge of bin i + 1
        down = np.r_[[-1 - 1e-5, -1 - 1e-5], e[: k - 1]]  # lower edge of bin i - 1
        with np.errstate(divide="ignore"):
            hi = np.log((1 + up) / 2 + 2e-6)
            lo = np.log(np.maximum((1 + down) / 2 - 2e-6, 0) + COSMUL_EPS)
        scale = QSCALE["3cosmul"]
        _LOG_TABLES[:] = [
            np.ceil(hi * scale).astype(np.int16),
            np.floor(lo * scale).astype(np.int16),
        ]
    return _LOG_TABLES[0], _LOG_TABLES[1]


def _log_terms(cos: np.ndarray, pa: np.ndarray, pb: np.ndarray):
    """3CosMul's first-stage rows in int16 steps, from :func:`_log_tables`: ``xq`` (one
    row per pair) at least ``ceil(X * 1024)`` and ``bq`` (one per word) at least
    ``ceil(Y * 1024)``, X and Y as :func:`_terms` gives them, with no logarithm computed.
    NaN (zero rows) falls in bin 0: those rows are masked afterwards."""
    hi, lo = _log_tables()
    half = np.float32(LOG_BINS // 2)
    with np.errstate(invalid="ignore"):
        b = ((cos + np.float32(1)) * half).astype(np.int32)  # truncation: floor for >= 0
    np.clip(b, 0, LOG_BINS - 1, out=b)
    bq = hi[b]
    return bq[pb] - lo[b][pa], bq


def _quantize(v: np.ndarray, scale: float) -> np.ndarray:
    """``ceil(v * scale)`` as int16 (``v``'s range must fit: see :func:`_plan`).

    The first stage rounds the candidate rows up and the shifts down, so every true pass
    stays a pass. NaN (zero rows) maps to an arbitrary value: those rows are masked
    afterwards.
    """
    w = v * np.float32(scale)  # a power of two: exact
    np.ceil(w, out=w)
    return w.astype(np.int16)
