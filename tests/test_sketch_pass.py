"""3CosAdd's sketch from word cosines (the temperature's pass beside the pruned one).

The compiled loop must bin exactly what the numpy formulation of the same float32
arithmetic bins; the pass must give the exact top scores, count every candidate once, and
keep the log-partition within the sketch's own error bound, slack included.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

import geomlab
from geomlab.evaluation import _scan, _sketch_pass
from geomlab.evaluation import analogies as analogies_module
from geomlab.evaluation._sketch_kernel import sketch_cosines
from geomlab.evaluation._sketch_pass import BAND
from geomlab.geometry._analogy_scores import Scorer
from geomlab.geometry._compiled import heaps
from geomlab.geometry._topk import best_first
from geomlab.scoring.calibration import ScoreSketch

LO, HI, NBINS, M = -1.0, 1.0, 64, 5
ARGS = (np.float32(LO), np.float32(NBINS / (HI - LO)), np.float32(NBINS - 1))


def _scores(chunks, ia, ib, ic, f):
    return np.concatenate([((c[ib] - c[ia]) + c[ic]) * f[:, None] for c in chunks], axis=1)


def _reference(chunks, ia, ib, ic, f, ex, bad):
    """Histograms and best (value, row) of the same float32 scores, in numpy."""
    b = len(ia)
    scores = _scores(chunks, ia, ib, ic, f)
    hist = np.zeros((b, NBINS), dtype=np.int64)
    vals = np.full((b, M), -np.inf, dtype=np.float32)
    rows = np.full((b, M), -1, dtype=np.int64)
    for i in range(b):
        keep = np.ones(scores.shape[1], dtype=bool)
        keep[ex[i][ex[i] >= 0]] = False
        keep[bad] = False
        cand = np.flatnonzero(keep)
        hist[i] = np.bincount(_scan._bins(scores[i, cand], LO, HI, NBINS), minlength=NBINS)
        order = cand[np.lexsort((cand, -scores[i, cand].astype(np.float64)))][:M]
        vals[i, : len(order)] = scores[i, order]
        rows[i, : len(order)] = order
    return hist, vals, rows


def _compiled(chunks, ia, ib, ic, f, ex, bad, hi_t=None, lo_t=None, cap=BAND):
    b = len(ia)
    hv, hc, hn = heaps(b, M)
    hist = np.zeros((b, NBINS), dtype=np.int32)
    inf = np.full(b, np.inf, dtype=np.float32)
    hi_t, lo_t = (inf if x is None else x for x in (hi_t, lo_t))
    above, band, nb = np.zeros(b, np.int64), np.full((b, cap), -1, np.int64), np.zeros(b, np.int64)
    c0 = 0
    for c in chunks:
        w = c.shape[1]
        badc = bad[(bad >= c0) & (bad < c0 + w)] - c0
        sketch_cosines(
            np.ascontiguousarray(c), ia, ib, ic, f, ex, badc, c0, *ARGS, hist, hv, hc, hn,
            hi_t, lo_t, above, band, nb,
        )  # fmt: skip
        c0 += w
    vals, rows = best_first(hv, hc)
    return hist, vals, rows, above, band, nb


@pytest.mark.parametrize("ties", [False, True])
def test_loop_bins_what_numpy_bins(ties):
    rng = np.random.default_rng(3)
    words, widths = 7, (13, 40, 1, 29)
    chunks = [rng.uniform(-1, 1, size=(words, w)).astype(np.float32) for w in widths]
    if ties:  # few distinct values: ties in the bins and at the heap's boundary
        chunks = [np.round(c * 4) / 4 for c in chunks]
    chunks[1][:, ::5] *= 3  # beyond the range: clipped into the end bins
    b = 9
    ia, ib, ic = (rng.integers(0, words, size=b) for _ in range(3))
    f = rng.uniform(0.4, 1.2, size=b).astype(np.float32)
    f[0] = 0  # a zero query: every score 0
    n = sum(widths)
    ex = np.full((b, 4), -1, dtype=np.int64)
    ex[:, 0] = rng.integers(0, n, size=b)
    ex[:, 1] = ex[:, 0]  # a row listed twice is taken out once
    ex[2, 2] = 13  # the first row of a chunk
    bad = np.array([0, 55, n - 1], dtype=np.int64)
    scores = _scores(chunks, ia, ib, ic, f)
    # thresholds: counted above hi, listed within [lo, hi]; the last question none
    hi_t = np.quantile(scores, 0.8, axis=1).astype(np.float32)
    lo_t = (hi_t - np.float32(0.1)).astype(np.float32)
    hi_t[-1] = lo_t[-1] = np.inf
    got = _compiled(chunks, ia, ib, ic, f, ex, bad, hi_t, lo_t, cap=6)
    want = _reference(chunks, ia, ib, ic, f, ex, bad)
    assert np.array_equal(got[0], want[0])
    assert np.array_equal(got[1], want[1])
    assert np.array_equal(got[2], want[2])
    assert (got[0].sum(axis=1) == n - len(bad) - (ex >= 0).any(axis=1) - (ex[:, 2] >= 0)).all()
    above, band, nb = got[3:]
    for i in range(len(ia)):
        cand = np.ones(n, dtype=bool)
        cand[ex[i][ex[i] >= 0]] = False
        cand[bad] = False
        s = np.where(cand, scores[i], -np.inf)
        assert above[i] == (s > hi_t[i]).sum()
        close = np.flatnonzero((s >= lo_t[i]) & (s <= hi_t[i]))
        assert nb[i] == len(close)
        assert np.array_equal(band[i][: min(6, len(close))], close[:6])
    assert nb.max() > 6 and above[-1] == 0 and nb[-1] == 0  # overflow seen; none asked


def _small_case(rng, n_pool=2500, dim=12, n_q=60):
    pool = rng.normal(size=(n_pool, dim)).astype(np.float32)
    pool[17] = 0  # a zero row: no question's candidate
    norms = _scan.gensim_norms(pool)
    unit = lambda r: pool[r] / np.where(norms[r] == 0, 1, norms[r])[:, None]  # noqa: E731
    scorer = Scorer("3cosadd", pool, norms, unit=unit)
    inputs = rng.integers(20, 400, size=(n_q, 3))
    inputs[0, 2] = inputs[0, 0]  # c = a: the query is b
    queries = scorer.queries(inputs[:, 0], inputs[:, 1], inputs[:, 2])
    exclude = np.concatenate([inputs, np.full((n_q, 1), -1)], axis=1)
    exclude[:5, 3] = 1000  # a case variant, say
    return scorer, queries, inputs, exclude, np.array([17])


def test_pass_counts_every_candidate_once_and_tops_are_exact():
    rng = np.random.default_rng(0)
    scorer, queries, inputs, exclude, bad = _small_case(rng)
    sk = _sketch_pass.sketch_3cosadd(
        scorer, queries, inputs, unit=scorer.unit, exclude=exclude, bad=bad,
        sketch=(M, NBINS), block_size=16, width=700,
    )  # fmt: skip
    top, hist, slack = sk.top, sk.hist, sk.slack
    n_pool = len(scorer.pool)
    every = np.arange(n_pool)
    for i in range(len(queries)):
        exact = scorer.exact(queries, np.full(n_pool, i), every)
        gone = set(exclude[i][exclude[i] >= 0]) | {17}
        cand = np.array(sorted(set(every) - gone))
        assert hist[i].sum() + M == len(cand)
        # the top values are exact scores of candidates, within the slack of the true best
        assert set(top[i].tolist()) <= set(exact[cand].tolist())
        best = np.sort(exact[cand])[::-1][:M]
        assert np.abs(top[i] - best).max() <= 2 * slack[i]
    assert (slack > _sketch_pass.SLACK[1]).all()


def test_pass_keeps_the_log_partition_within_its_bound():
    rng = np.random.default_rng(1)
    scorer, queries, inputs, exclude, bad = _small_case(rng)
    sk = _sketch_pass.sketch_3cosadd(
        scorer, queries, inputs, unit=scorer.unit, exclude=exclude, bad=bad,
        sketch=(M, NBINS),
    )  # fmt: skip
    top, hist, slack = sk.top, sk.hist, sk.slack
    sk = ScoreSketch(top, hist, LO, HI, slack=slack)
    n_pool = len(scorer.pool)
    every = np.arange(n_pool)
    exact = np.stack([scorer.exact(queries, np.full(n_pool, i), every) for i in range(len(top))])
    for i in range(len(top)):
        exact[i, exclude[i][exclude[i] >= 0]] = -np.inf
    exact[:, 17] = -np.inf
    for t in (0.02, 0.1, 1.0):
        true = logsumexp(exact.astype(np.float64) / t, axis=1)
        assert (np.abs(sk.logsumexp(t) - true) <= sk.error_bound(t) + 1e-12).all()


def test_fit_matches_the_full_pass_sketch(monkeypatch):
    emb = geomlab.load()
    kw = {"restrict_vocab": 4000, "temperature": "fit", "progress": False}
    new = geomlab.evaluate_analogies(emb, "google", **kw)
    monkeypatch.setattr(analogies_module, "_WORD_COSINE_SKETCH", False)
    old = geomlab.evaluate_analogies(emb, "google", **kw)
    assert new.n_correct == old.n_correct and np.array_equal(new._q.rank, old._q.rank)
    assert np.array_equal(new._q.pred_rows, old._q.pred_rows)
    assert new.temperature == pytest.approx(old.temperature, rel=1e-5)
    assert abs(new.nll - old.nll) <= new.calibration_error_bound + old.calibration_error_bound
    assert new.ece == pytest.approx(old.ece, abs=1e-4)
