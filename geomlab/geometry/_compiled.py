"""Compiled (numba) inner loops: running top-k heaps and the neighbour fold.

Why compiled: a running top-k over a score tile, kept per query, reads each score once and
does work only for the rare score that beats the query's current k-th best. numpy cannot
express that without materialising masks and gathers of the whole tile (the previous route:
strided-column maxima of every tile, ``argpartition`` over them, then a gather and a second
product of 64 x k candidate rows per query). numba comes with umap-learn, a dependency
already; this module is imported only by the routes that use it, so ``import geomlab``
stays numpy-only. Compiled functions are cached beside the module (numba's ``cache=True``).

The heaps are min-heaps on (value, row) stored as two arrays per query: ``hv`` (values),
``hc`` (rows) and ``hn`` (fill). Among equal values the larger row sits nearer the root, so
it is evicted first: ties keep the earlier row, as a stable sort would.
:func:`geomlab.geometry._topk.best_first` reads them out best first.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["fold_tile", "heaps", "push"]


def heaps(b: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empty heaps for ``b`` queries of ``k`` entries: (values, rows, fill)."""
    return (
        np.full((b, k), -np.inf, dtype=np.float32),
        np.full((b, k), -1, dtype=np.int64),
        np.zeros(b, dtype=np.int64),
    )


@numba.njit(nogil=True, cache=True)
def _sift_down(hv, hc, i, pos, size):
    while True:
        left = 2 * pos + 1
        if left >= size:
            return
        child = left
        right = left + 1
        if right < size and (
            hv[i, right] < hv[i, left]
            or (hv[i, right] == hv[i, left] and hc[i, right] > hc[i, left])
        ):
            child = right
        if hv[i, child] < hv[i, pos] or (hv[i, child] == hv[i, pos] and hc[i, child] > hc[i, pos]):
            v, c = hv[i, pos], hc[i, pos]
            hv[i, pos], hc[i, pos] = hv[i, child], hc[i, child]
            hv[i, child], hc[i, child] = v, c
            pos = child
        else:
            return


@numba.njit(nogil=True, cache=True)
def push(hv, hc, hn, i, v, row):
    """Put (v, row) into heap ``i``, which it must beat once full; return the new floor
    (the value a score must exceed to enter: -inf until the heap is full)."""
    m = hv.shape[1]
    n = hn[i]
    if n < m:
        hv[i, n] = v
        hc[i, n] = row
        n += 1
        hn[i] = n
        if n < m:
            return np.float32(-np.inf)
        for k in range(m // 2 - 1, -1, -1):  # full: heapify once
            _sift_down(hv, hc, i, k, m)
    else:
        hv[i, 0] = v
        hc[i, 0] = row
        _sift_down(hv, hc, i, 0, m)
    return hv[i, 0]


@numba.njit(nogil=True, cache=True)
def fold_tile(s, r0, floor, hv, hc, hn):
    """Fold a tile of scores, rows x queries (rows ``r0 ..``), into the queries' heaps.

    ``floor`` holds each query's current floor (float32, updated). Excluded cells are
    ``-inf`` and never enter. A tile row is looked at query by query only when one of its
    scores beats its query's floor (a vectorised count first).
    """
    rows, b = s.shape
    for r in range(rows):
        line = s[r]
        hits = 0
        for q in range(b):
            hits += line[q] > floor[q]
        if hits == 0:
            continue
        for q in range(b):
            v = line[q]
            if v > floor[q]:
                floor[q] = push(hv, hc, hn, q, v, r0 + r)
