"""The compiled running top-k (geometry/_compiled.py) and the tiled route built on it."""

from __future__ import annotations

import numpy as np
import pytest

from geomlab.geometry import _topk
from geomlab.geometry._compiled import fold_tile, heaps
from geomlab.geometry._topk import best_first


def _brute(scores: np.ndarray, k: int):
    """Best k of each row, ties by the lower column (a stable sort)."""
    order = np.argsort(-scores.astype(np.float64), axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("k, ties, excluded", [(5, False, 0.0), (4, True, 0.0), (3, True, 0.4)])
def test_fold_tile_keeps_the_k_best_ties_by_row(k, ties, excluded):
    rng = np.random.default_rng(k)
    b, n = 7, 300
    scores = rng.standard_normal((b, n)).astype(np.float32)
    if ties:
        scores = np.round(scores * 2) / 2  # few distinct values: ties at every place
    scores[rng.random(scores.shape) < excluded] = -np.inf
    hv, hc, hn = heaps(b, k)
    floor = np.full(b, -np.inf, dtype=np.float32)
    for r0 in range(0, n, 64):  # tiles are rows x queries
        fold_tile(np.ascontiguousarray(scores[:, r0 : r0 + 64].T), r0, floor, hv, hc, hn)
    vals, rows = best_first(hv, hc)
    want_rows, want_vals = _brute(scores, k)
    np.testing.assert_array_equal(vals, want_vals)
    np.testing.assert_array_equal(rows, want_rows)


def test_fold_tile_with_fewer_candidates_than_k():
    scores = np.array([[0.5, -np.inf, 0.2]], dtype=np.float32)
    hv, hc, hn = heaps(1, 4)
    fold_tile(np.ascontiguousarray(scores.T), 10, np.full(1, -np.inf, np.float32), hv, hc, hn)
    vals, rows = best_first(hv, hc)
    assert rows[0].tolist() == [10, 12, -1, -1]
    assert vals[0, :2].tolist() == [0.5, np.float32(0.2)] and np.isneginf(vals[0, 2:]).all()


def test_tiled_route_equals_the_dense_route():
    # enough rows and queries for the tiled route; ties, exclusions and zero rows included
    rng = np.random.default_rng(3)
    n, dim, q, k = 5 * _topk.TILE + 123, 8, 20, 6
    rows = (np.round(rng.standard_normal((n, dim)) * 2) / 2).astype(np.float32)
    rows[::97] = 0
    queries = rng.standard_normal((q, dim)).astype(np.float32)
    norms = np.linalg.norm(rows, axis=1)
    exclude = [rng.choice(n, size=3, replace=False).tolist() for _ in range(q)]
    inv = _topk._inverse(norms)
    ex = _topk._exclusions(exclude, 0, q, n)
    tiled = _topk._tiled(rows, queries, k, inv, ex)
    dense = _topk._dense(rows, queries, k, inv, ex)
    np.testing.assert_array_equal(tiled[0], dense[0])
    np.testing.assert_allclose(tiled[1], dense[1], rtol=1e-6)
    # and through the public entry point, which takes the tiled route here
    idx, _ = _topk.topk_scores(rows, queries, k, row_norms=norms, exclude=exclude)
    np.testing.assert_array_equal(idx, dense[0])
