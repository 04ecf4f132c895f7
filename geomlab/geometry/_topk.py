"""Blocked top-k selection shared by neighbors, analogies, graphs and preference.

The shape of every batched geometry computation here is the same: a block of query
vectors becomes one matrix product against the candidate rows (BLAS), exclusions are
written into the score block as ``-inf``, and the best ``k`` per query are found without a
full sort. Memory is bounded by the block size: the dense route holds one float32
``block x n_rows`` score block at a time; the tiled route (many queries against many rows)
only ``TILE x block`` scores plus a heap of ``k`` per query and thread.

Top-k selection of a dense block ("chunk maxima"): the score row of length ``n`` is viewed as ``c`` strided
slices (column ``j`` of slice ``t`` is row ``t * m + j``, ``m = n // c``). An element among
the ``k`` best is at least as large as the ``k``-th best value, so its column's maximum is
too; hence the ``k`` columns with the largest maxima hold all ``k`` best elements. The
column maxima are one vectorised ``max`` over the block, the candidate set shrinks from
``n`` to ``k * c``, and ``np.argpartition`` runs on that. The rows past ``c * m`` (fewer than
``c``) are always candidates.

These functions take plain arrays, so the same code runs on one machine or, per shard of
rows, on a Dask cluster: call :func:`topk_scores` on each shard (with ``offset``) and
combine with :func:`merge_topk`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._parallel import blas_threads, workers
from ..errors import ShapeError

__all__ = [
    "BLOCK_BYTES",
    "TILE",
    "best_first",
    "default_block",
    "merge_topk",
    "topk_rows",
    "topk_scores",
]

#: memory one block of float32 scores may take (the ``block`` default is derived from it)
BLOCK_BYTES = 64 * 2**20
#: rows per tile of the tiled route (a multiple of the 64-row chunk; 2 MiB of scores for
#: 256 queries, so a tile's scores stay in cache)
TILE = 2048
_CHUNK = 64


def default_block(n_rows: int, *, block_bytes: int = BLOCK_BYTES) -> int:
    """Queries per block so that one ``(block, n_rows)`` float32 score block fits."""
    return max(1, int(block_bytes // (4 * max(1, n_rows))))


def _inverse(norms: np.ndarray) -> np.ndarray:
    # zero rows have dot product 0 with everything; dividing by 1 keeps their score 0
    return (1.0 / np.where(norms == 0, 1, norms)).astype(np.float32)


def best_first(vals: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each line's (value, row) entries best first, ties by row (``-inf`` slots last)."""
    order = np.lexsort((rows, -vals.astype(np.float64)), axis=1)
    return np.take_along_axis(vals, order, axis=1), np.take_along_axis(rows, order, axis=1)


def topk_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest entries of each row of a score block, best first.

    Parameters
    ----------
    scores : ndarray, shape (b, n), float32
        May hold ``-inf`` for excluded entries; it is not modified.
    k : int
        ``1 <= k``; clipped to ``n``.

    Returns
    -------
    indices : ndarray, shape (b, min(k, n)), int64
        Columns of the best entries, ordered by falling score (ties by column).
    values : ndarray, shape (b, min(k, n)), float32
    """
    b, n = scores.shape
    k = min(int(k), n)
    if k == 0 or b == 0:
        return np.empty((b, k), np.int64), np.empty((b, k), scores.dtype)
    c = _CHUNK
    m = n // c
    if m <= 2 * k or n < 4096:
        cand = np.argpartition(scores, n - k, axis=1)[:, n - k :]
    else:
        main = scores[:, : c * m].reshape(b, c, m)
        colmax = main.max(axis=1)  # (b, m): elementwise max of c contiguous slices
        cols = np.argpartition(colmax, m - k, axis=1)[:, m - k :]  # (b, k) best columns
        cand = (cols[:, None, :] + (np.arange(c) * m)[None, :, None]).reshape(b, c * k)
        if c * m < n:  # the short tail is always a candidate
            tail = np.broadcast_to(np.arange(c * m, n), (b, n - c * m))
            cand = np.concatenate([cand, tail], axis=1)
        vals = np.take_along_axis(scores, cand, axis=1)
        nc = cand.shape[1]
        best = np.argpartition(vals, nc - k, axis=1)[:, nc - k :]
        cand = np.take_along_axis(cand, best, axis=1)
    cand.sort(axis=1)  # ties are ordered by column below (a stable sort on the scores)
    vals = np.take_along_axis(scores, cand, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return (
        np.take_along_axis(cand, order, axis=1).astype(np.int64, copy=False),
        np.take_along_axis(vals, order, axis=1),
    )


def topk_scores(
    rows: np.ndarray,
    queries: np.ndarray,
    k: int,
    *,
    row_norms: np.ndarray | None = None,
    exclude: Sequence[Sequence[int]] | None = None,
    block: int | None = None,
    offset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best rows for each query by dot product (or cosine), blocked.

    Parameters
    ----------
    rows : ndarray, shape (n, dim), float32
        Candidate vectors (e.g. ``emb.vectors[:restrict_vocab]``); never copied whole.
    queries : ndarray, shape (q, dim), float32
        One query per row. For cosine pass unit-length queries.
    k : int
        How many rows to return per query (``>= 1``; clipped to ``n``).
    row_norms : ndarray, shape (n,), optional
        When given, scores are ``rows @ query / row_norms`` (cosine for unit queries, as
        gensim computes it); zero-norm rows score 0.
    exclude : sequence of q sequences of int, optional
        Rows (0-based within ``rows``) that query ``i`` must not return.
    block : int, optional
        Queries per block; by default derived from :data:`BLOCK_BYTES` (64 MiB).
    offset : int
        Added to the returned row indices (the first row's index when ``rows`` is a shard).

    Returns
    -------
    indices : ndarray, shape (q, min(k, n)), int64
        Best rows first; equal scores in row order among those returned (which of several
        rows tied at the k-th place is returned is unspecified). A slot with no valid row
        left (everything excluded) holds -1.
    scores : ndarray, shape (q, min(k, n)), float32
        Their scores; ``-inf`` in the empty slots.

    Notes
    -----
    Few queries, small candidate sets or large ``k`` take the dense route: one ``(block, n)`` score
    block per matrix product, then :func:`topk_rows`. Large ones are tiled: the rows are
    visited in tiles of :data:`TILE` rows that stay in cache, and each tile's scores are
    folded into a running top-``k`` heap per query by a compiled loop
    (:mod:`geomlab.geometry._compiled`) that does work only for the few scores beating a
    query's current ``k``-th best. The full score matrix never exists, so memory stays at
    a few MiB per block.

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[1, 0], [0, 1], [1, 1]], np.float32)
    >>> idx, s = topk_scores(rows, np.array([[1, 0.1]], np.float32), 2, exclude=[[0]])
    >>> idx.tolist(), [round(float(x), 2) for x in s[0]]
    ([[2, 1]], [1.1, 0.1])
    """
    rows = np.asarray(rows)
    queries = np.asarray(queries, dtype=np.float32)
    if queries.ndim != 2 or rows.ndim != 2 or queries.shape[1] != rows.shape[1]:
        raise ShapeError(
            f"queries {queries.shape} and rows {rows.shape} do not match: "
            "both must be 2-D with the same number of columns"
        )
    n, dim = rows.shape
    q = queries.shape[0]
    kk = min(int(k), n)
    out_idx = np.empty((q, kk), np.int64)
    out_val = np.empty((q, kk), np.float32)
    if q == 0 or kk == 0:
        return out_idx, out_val
    inv = None if row_norms is None else _inverse(np.asarray(row_norms))
    # a few queries are memory-bound (one pass over the rows): the dense route is cheaper
    tiled = q >= 8 and n >= 4 * TILE and kk * _CHUNK * 8 <= n
    if block is None:
        if tiled:  # a tile's scores, TILE x block float32, stay in cache
            block = 256
        else:
            block = default_block(n)
    block = max(1, int(block))
    for start in range(0, q, block):
        stop = min(q, start + block)
        ex = _exclusions(exclude, start, stop, n)
        if tiled:
            idx, val = _tiled(rows, queries[start:stop], kk, inv, ex)
        else:
            idx, val = _dense(rows, queries[start:stop], kk, inv, ex)
        idx[np.isneginf(val)] = -1 - offset
        out_idx[start:stop] = idx + offset
        out_val[start:stop] = val
    return out_idx, out_val


def _exclusions(exclude, start, stop, n):
    """(query-in-block, row) pairs to mask, as two int64 arrays (or None)."""
    if exclude is None:
        return None
    r_ids, c_ids = [], []
    for i in range(start, stop):
        ex = np.asarray(exclude[i], dtype=np.int64).ravel()
        ex = ex[(ex >= 0) & (ex < n)]
        r_ids.append(np.full(ex.shape, i - start, dtype=np.int64))
        c_ids.append(ex)
    r, c = np.concatenate(r_ids), np.concatenate(c_ids)
    return (r, c) if r.size else None


def _dense(rows, qb, k, inv, ex):
    s = qb @ rows.T  # (b, n) float32, one BLAS call
    if inv is not None:
        s *= inv
    if ex is not None:
        s[ex] = -np.inf
    return topk_rows(s, k)


def _tiled(rows, qb, k, inv, ex):
    from ._compiled import fold_tile, heaps

    n, dim = rows.shape
    b = qb.shape[0]
    scale_rows = inv is not None and b > dim  # cheaper to scale a tile than its scores

    def scan(lo: int, hi: int):
        """Each query's k best among the rows of the tiles starting in [lo, hi)."""
        hv, hc, hn = heaps(b, k)
        floor = np.full(b, -np.inf, dtype=np.float32)
        for t0 in range(lo, hi, TILE):
            t1 = min(n, t0 + TILE)
            tile = rows[t0:t1]
            if scale_rows:
                tile = tile * inv[t0:t1, None]
            s = tile @ qb.T  # rows x queries: one row of the tile is contiguous
            if inv is not None and not scale_rows:
                s *= inv[t0:t1, None]
            if ex is not None:
                hit = (ex[1] >= t0) & (ex[1] < t1)
                if hit.any():
                    s[ex[1][hit] - t0, ex[0][hit]] = -np.inf
            fold_tile(s, t0, floor, hv, hc, hn)
        return hv, hc

    n_tiles = -(-n // TILE)
    n_workers = min(workers(), n_tiles)
    if n_workers > 1:
        # one thread per core over disjoint tile ranges, each with single-threaded BLAS:
        # numpy releases the GIL in matmul and numba in the fold, and many small
        # multi-threaded BLAS calls would spin against each other (badly so on a busy machine)
        cuts = [TILE * (n_tiles * i // n_workers) for i in range(n_workers + 1)]
        with blas_threads(1), ThreadPoolExecutor(n_workers) as pool:
            parts = list(pool.map(scan, cuts[:-1], cuts[1:]))
    else:
        parts = [scan(0, n)]
    vals, cols = best_first(
        np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts], axis=1)
    )
    return cols[:, :k], vals[:, :k]


def merge_topk(
    parts: Sequence[tuple[np.ndarray, np.ndarray]], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Combine per-shard results of :func:`topk_scores` (same queries) into the global top k."""
    idx = np.concatenate([p[0] for p in parts], axis=1)
    val = np.concatenate([p[1] for p in parts], axis=1)
    best, top = topk_rows(val, k)
    return np.take_along_axis(idx, best, axis=1), top
