"""The pruned pass's compiled first stage keeps the cells numpy's formulation keeps."""

from __future__ import annotations

import numpy as np
import pytest

from geomlab.evaluation import _pruned
from geomlab.evaluation._first_stage import log_terms, survivors


def test_log_terms_are_numpys():
    rng = np.random.default_rng(0)
    cos = rng.uniform(-1.0, 1.0, size=(9, 300)).astype(np.float32)
    cos[0, :3] = [np.nan, -1.00002, 1.00002]  # a zero row; beyond the range: end bins
    cos[1, :4] = [-1.0, 1.0, 0.0, -0.0]
    pa, pb = rng.integers(0, 9, size=14), rng.integers(0, 9, size=14)
    want = _pruned._log_terms(cos, pa, pb)
    half = np.float32(_pruned.LOG_BINS // 2)
    got = log_terms(cos, pa, pb, *_pruned._log_tables(), half)
    for g, w in zip(got, want):
        assert g.dtype == np.int16
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("seed", [1, 2])
def test_survivors_are_the_cells_that_pass(seed):
    rng = np.random.default_rng(seed)
    w = 257
    xq = rng.integers(-14000, 14000, size=(6, w)).astype(np.int16)
    bq = rng.integers(-14000, 14000, size=(5, w)).astype(np.int16)
    n = 40
    p_of_q, c_of_q = rng.integers(0, 6, size=n), rng.integers(0, 5, size=n)
    thr = rng.integers(5000, 20000, size=n).astype(np.int32)
    thr[3] = -30000  # every cell passes
    todo = np.flatnonzero(rng.random(n) < 0.7)
    qs, js = survivors(xq, bq, p_of_q, c_of_q, thr, todo)
    est = xq[p_of_q[todo]].astype(np.int32) + bq[c_of_q[todo]]
    i, j = np.nonzero(est >= thr[todo, None])
    np.testing.assert_array_equal(qs, todo[i])
    np.testing.assert_array_equal(js, j)
    assert 0 < len(qs) < len(todo) * w
