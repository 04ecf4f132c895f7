"""3CosAdd's log-partition sketch from word cosines, beside the pruned pass.

A temperature needs every candidate's score of every question, binned (see
:class:`~geomlab.scoring.calibration.ScoreSketch`). The full tiled pass computes them as
one product per question: on the Google set at 300,000 candidates, 292 billion
multiply-adds, a third of that pass's time. A 3CosAdd score is
``((cos(x, b) - cos(x, a)) + cos(x, c)) / |b + c - a|``, and a block of questions has
far fewer distinct words than questions (the Google set: 904 words, 19,486 questions), so
here each block computes its words' cosines with the pool (a few percent of that product)
and the compiled loop that bins a score makes it from three of them
(:func:`geomlab.evaluation._sketch_kernel.sketch_cosines`).

The predictions and ranks still come from the exact pruned pass; the sketch only needs
each binned score within a known distance of the exact one. Each float32 word cosine is
within 3.05e-6 of the true one (see :func:`geomlab.evaluation._pruned._cosines`), the two
float32 additions of values within 3 add under 4e-7, so the numerator is within 1e-5 and
the score within ``1e-5 / |b + c - a|`` plus a few float32 roundings of the score and the
query (under 1e-6): the sketch's bound widens each row's half bin by
``1.2e-5 / |b + c - a| + 1e-6``. The M best scores are then recomputed exactly
(:meth:`~geomlab.geometry._analogy_scores.Scorer.exact`), so the exact part of the sketch
is exact.

The same loop answers the questions, exactly, so no other pass is needed
(:func:`scan`): the top answer is among the heap's entries (its score is within twice the
slack of the heap's best, and the heap holds everything above its floor), so their exact
scores decide it, ties to the lowest row; for the answer's rank the loop counts the
candidates whose score lies above the answer's exact score ``t`` by more than the slack
(surely above) and lists those within the slack of it, whose exact scores then decide.
A question whose heap cannot vouch for its top answer or whose close calls overflow the
list takes the full pass (:func:`geomlab.evaluation._pruned._full_pass`). With the
inputs kept as candidates the answers follow from the same counts plus the excluded
rows' exact scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry._analogy_scores import Scorer
from ._pruned import (
    PruneStats,
    _answer_scores,
    _cosines,
    _empty_output,
    _full_pass,
    _over_chunks,
)
from ._scan import drop_binned

__all__ = ["BAND", "SLACK", "scan", "sketch_3cosadd"]

#: close calls listed per question (more and the question takes the full pass)
BAND = 64

#: pool rows per chunk: each chunk adds every question's chunk histogram into its own
WIDTH = 16384
#: the numerator's bound (over the query length) and the roundings, see the module doc
SLACK = (1.2e-5, 1e-6)


@dataclass
class Sketched:
    """What the pass keeps per question."""

    top: np.ndarray  # (n, M) float32: exact scores of the heap's entries, best first
    top_rows: np.ndarray  # (n, M) int64: their rows (ties: the lowest first; -1: none)
    hist: np.ndarray  # (n, bins) float32: counts of every other candidate's score
    slack: np.ndarray  # (n,) float64: how far a counted score may be from its exact one
    above: np.ndarray  # (n,) int64: candidates surely above the threshold asked for
    band: np.ndarray  # (n, BAND) int64: candidates too close to it to tell (-1 pads)
    n_band: np.ndarray  # (n,) int64: how many (past BAND only counted)
    unsure: np.ndarray  # (n,) bool: the heap cannot vouch for the top answer


def _bounds32(x: np.ndarray, up: bool) -> np.ndarray:
    """float64 values as float32, rounded outwards (up or down)."""
    y = x.astype(np.float32)
    with np.errstate(invalid="ignore"):
        moved = (y.astype(np.float64) < x) if up else (y.astype(np.float64) > x)
    return np.where(moved, np.nextafter(y, np.float32(np.inf if up else -np.inf)), y)


def sketch_3cosadd(
    scorer: Scorer,
    queries: np.ndarray,
    inputs: np.ndarray,
    *,
    unit,
    exclude: np.ndarray,
    bad: np.ndarray,
    sketch: tuple[int, int],
    t: np.ndarray | None = None,
    block_size: int = 1024,
    width: int = WIDTH,
    progress=None,
) -> Sketched:
    """The sketch of every question (the exact ``M`` best candidate scores, a
    ``bins``-bin histogram of all the others, the per-question slack of the histogram's
    scores) and, against the exact thresholds ``t`` (one per question; None: none), the
    counts and close calls :func:`scan` answers from.

    ``inputs`` (n, 3) are the a, b and c pool rows; ``exclude`` (n, E) the rows that are
    not candidates (-1 pads); ``bad`` the zero rows, no question's candidates.
    """
    from ..geometry._compiled import heaps
    from ..geometry._topk import best_first
    from ._sketch_kernel import sketch_cosines

    if scorer.method != "3cosadd":
        raise ValueError("the word-cosine sketch is 3CosAdd's")
    m_top, nbins = sketch
    n = len(queries)
    pool, norms = scorer.pool, scorer.norms
    n_pool = len(pool)
    lo, hi = scorer.range
    bin_args = (np.float32(lo), np.float32(nbins / (hi - lo)), np.float32(nbins - 1))
    out = Sketched(
        top=np.full((n, m_top), -np.inf, dtype=np.float32),
        top_rows=np.full((n, m_top), -1, dtype=np.int64),
        hist=np.zeros((n, nbins), dtype=np.float32),
        slack=np.zeros(n, dtype=np.float64),
        above=np.zeros(n, dtype=np.int64),
        band=np.full((n, BAND), -1, dtype=np.int64),
        n_band=np.zeros(n, dtype=np.int64),
        unsure=np.zeros(n, dtype=bool),
    )
    bad = np.asarray(bad, dtype=np.int64)
    t = np.full(n, -np.inf) if t is None else np.asarray(t, dtype=np.float64)

    def run_block(q0: int, q1: int) -> int:
        b = q1 - q0
        words, inv = np.unique(inputs[q0:q1], return_inverse=True)
        inv = inv.reshape(b, 3)
        uw = unit(words)
        ia, ib, ic = (np.ascontiguousarray(inv[:, k]) for k in range(3))
        length = np.linalg.norm(((uw[ib] + uw[ic]) - uw[ia]).astype(np.float64), axis=1)
        with np.errstate(divide="ignore"):
            # a zero query (b + c = a) scores every candidate 0, as its exact score does
            f = np.where(length > 0, 1.0 / length, 0.0).astype(np.float32)
            slack = np.where(length > 0, SLACK[0] / length, 0.0) + SLACK[1]
        tb = t[q0:q1]
        ok = np.isfinite(tb)  # no answer to rank against: nothing counted or listed
        hi_t = np.where(ok, _bounds32(tb + slack, up=True), np.float32(np.inf))
        lo_t = np.where(ok, _bounds32(tb - slack, up=False), np.float32(np.inf))
        ex = np.ascontiguousarray(exclude[q0:q1])
        hv, hc, hn = heaps(b, m_top)
        counts = np.zeros((b, nbins), dtype=np.int32)
        above, band, nb = out.above[q0:q1], out.band[q0:q1], out.n_band[q0:q1]
        for c0 in range(0, n_pool, width):
            c1 = min(n_pool, c0 + width)
            cos = _cosines(uw, pool[c0:c1], norms[c0:c1])
            badc = bad[(bad >= c0) & (bad < c1)] - c0
            cos[:, badc] = 0  # NaN (no direction): finite, then taken out by the loop
            sketch_cosines(
                cos, ia, ib, ic, f, ex, badc, c0, *bin_args, counts, hv, hc, hn,
                hi_t.astype(np.float32), lo_t.astype(np.float32), above, band, nb,
            )  # fmt: skip
        vals, rows = best_first(hv, hc)
        # the M best leave the histogram (binned as the loop binned them) ...
        drop_binned(counts, vals, lo, hi)
        fin = np.isfinite(vals)
        qi, k = np.nonzero(fin)
        # ... and their exact scores take their place, best first, ties to the lowest row
        exact = np.full(vals.shape, -np.inf, dtype=np.float32)
        exact[qi, k] = scorer.exact(queries, qi + q0, rows[qi, k])
        order = np.lexsort((np.where(rows >= 0, rows, n_pool), -exact.astype(np.float64)), axis=1)
        out.top[q0:q1] = np.take_along_axis(exact, order, axis=1)
        out.top_rows[q0:q1] = np.take_along_axis(np.where(fin, rows, -1), order, axis=1)
        # the top answer scores at least the heap's best less twice the slack: a full heap
        # whose floor reaches that far may have left it out
        full = hn == m_top
        out.unsure[q0:q1] = full & (vals[:, -1].astype(np.float64) >= vals[:, 0] - 2 * slack)
        out.unsure[q0:q1] |= length < 1e-3  # no useful bound (as the pruned pass says)
        out.hist[q0:q1] = counts
        out.slack[q0:q1] = slack
        return b

    _over_chunks(run_block, n, block_size, progress)  # question blocks, on all cores
    return out


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
    sketch: tuple[int, int],
    block_size: int = 256,
    progress=None,
    kept: bool = False,
):
    """3CosAdd's answers, ranks and sketch from the one pass of :func:`sketch_3cosadd`.

    Returns ``(ScanOutput, PruneStats)`` as :func:`geomlab.evaluation._pruned.scan` does
    (``n_above`` counts the candidates other than the answer rows above the best answer
    row), with ``sketch_top``/``sketch_hist`` filled, and the sketch's slack; with
    ``kept`` also the answers with no row excluded (the inputs kept as candidates),
    without a sketch: ``(ScanOutput, PruneStats, slack, ScanOutput, PruneStats)``.
    """
    n, n_pool = len(queries), len(scorer.pool)
    out = _empty_output(n, answers)
    ans, t, _ = _answer_scores(scorer, queries, answers, exclude)
    sk = sketch_3cosadd(
        scorer, queries, inputs, unit=unit, exclude=exclude, bad=bad, sketch=sketch, t=t,
        progress=progress,
    )  # fmt: skip
    out.sketch_top, out.sketch_hist = sk.top, sk.hist
    out.answer_scores[:] = ans
    has = sk.top_rows[:, 0] >= 0
    out.top_scores[has, 0] = sk.top[has, 0]
    out.top_rows[has, 0] = sk.top_rows[has, 0]
    # the close calls: their exact scores against t, the answer rows aside
    listed = sk.band >= 0
    qi = np.nonzero(listed)[0]
    rows = sk.band[listed]
    is_ans = (answers[qi] == rows[:, None]).any(axis=1)
    qi, rows = qi[~is_ans], rows[~is_ans]
    e = scorer.exact(queries, qi, rows)
    out.n_above[:] = sk.above + np.bincount(qi[e > t[qi]], minlength=n)
    full = sk.unsure | (sk.n_band > BAND)
    run = (scorer, queries)
    n_full = _full_pass(out, full, *run, exclude, answers, answer_guess, bad, block_size)
    # exact scores beyond the full pass's: the heaps' entries and the close calls
    n_exact = int(np.isfinite(sk.top[~full]).sum()) + int((~full[qi]).sum())
    done = (out, PruneStats(n, n_pool, n_full, n_exact, full), sk.slack)
    if not kept:
        return done
    return done + _kept(
        out, full, t, scorer, queries, exclude, answers, answer_guess, bad, block_size
    )


def _kept(out, full, t, scorer, queries, exclude, answers, answer_guess, bad, block_size):
    """The answers with no row excluded, from those with ``exclude``: the excluded rows'
    exact scores added to the count and the contest for the top answer. A question whose
    best answer row was among the excluded takes the full pass, as do the ``full`` ones."""
    n, n_pool = len(queries), len(scorer.pool)
    none = np.full((n, 1), -1, dtype=np.int64)
    res = _empty_output(n, answers)
    ans_k, t_k, _ = _answer_scores(scorer, queries, answers, none)
    redo = full | ~((t_k == t) | (np.isinf(t_k) & np.isinf(t)))
    # each question's excluded rows, once, the zero rows aside
    qi, k = np.nonzero(exclude >= 0)
    key = np.unique(qi * n_pool + exclude[qi, k])
    qi, rows = key // n_pool, key % n_pool
    keep = ~np.isin(rows, bad)
    qi, rows = qi[keep], rows[keep]
    e = scorer.exact(queries, qi, rows)
    is_ans = (answers[qi] == rows[:, None]).any(axis=1)
    res.n_above[:] = out.n_above + np.bincount(qi[~is_ans & (e > t[qi])], minlength=n)
    # the top answer: the best of the excluded rows against the one without them
    cq = np.concatenate([np.arange(n), qi])
    cs = np.concatenate([out.top_scores[:, 0], e])
    cr = np.concatenate([out.top_rows[:, 0], rows])
    ok = cr >= 0
    cq, cs, cr = cq[ok], cs[ok], cr[ok]
    order = np.lexsort((cr, -cs.astype(np.float64), cq))
    first = order[np.r_[True, cq[order][1:] != cq[order][:-1]]] if len(order) else order
    res.top_scores[cq[first], 0] = cs[first]
    res.top_rows[cq[first], 0] = cr[first]
    res.answer_scores[:] = ans_k
    n_full = _full_pass(res, redo, scorer, queries, none, answers, answer_guess, bad, block_size)
    return res, PruneStats(n, n_pool, n_full, int((~redo[qi]).sum()), redo)
