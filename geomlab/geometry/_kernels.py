"""Blocked top-k kernels shared by neighbors, analogies and evaluation.

The shape of every batched geometry computation here is the same: a block of query
vectors becomes one matrix product against the candidate rows (BLAS), exclusions are
written into the score block as ``-inf``, and the best ``k`` per query are found without a
full sort. Memory is bounded by the block size: one float32 block of ``block x n_rows``
scores exists at a time.

Top-k selection ("chunk maxima"): the score row of length ``n`` is viewed as ``c`` strided
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

import numpy as np

__all__ = ["topk_scores", "topk_rows", "merge_topk", "default_block", "BLOCK_BYTES"]

#: memory one block of float32 scores may take (the ``block`` default is derived from it)
BLOCK_BYTES = 64 * 2**20
_CHUNK = 64


def default_block(n_rows: int, *, block_bytes: int = BLOCK_BYTES) -> int:
    """Queries per block so that one ``(block, n_rows)`` float32 score block fits."""
    return max(1, int(block_bytes // (4 * max(1, n_rows))))


def _inverse(norms: np.ndarray) -> np.ndarray:
    # zero rows have dot product 0 with everything; dividing by 1 keeps their score 0
    return (1.0 / np.where(norms == 0, 1, norms)).astype(np.float32)


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
        cand = np.argpartition(scores, n - k, axis=1)[:, n - k:]
    else:
        main = scores[:, : c * m].reshape(b, c, m)
        colmax = main.max(axis=1)  # (b, m): elementwise max of c contiguous slices
        cols = np.argpartition(colmax, m - k, axis=1)[:, m - k:]  # (b, k) best columns
        cand = (cols[:, None, :] + (np.arange(c) * m)[None, :, None]).reshape(b, c * k)
        if c * m < n:  # the short tail is always a candidate
            tail = np.broadcast_to(np.arange(c * m, n), (b, n - c * m))
            cand = np.concatenate([cand, tail], axis=1)
        vals = np.take_along_axis(scores, cand, axis=1)
        nc = cand.shape[1]
        best = np.argpartition(vals, nc - k, axis=1)[:, nc - k:]
        cand = np.take_along_axis(cand, best, axis=1)
    cand.sort(axis=1)  # ties are ordered by column below (a stable sort on the scores)
    vals = np.take_along_axis(scores, cand, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return (np.take_along_axis(cand, order, axis=1).astype(np.int64, copy=False),
            np.take_along_axis(vals, order, axis=1))


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
        Candidate vectors (e.g. ``emb.vectors[:restrict_vocab]``); never copied unless
        ``row_norms`` is given for many queries (then one normalised copy per call).
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
        Queries per matrix product; default :func:`default_block` (64 MiB of scores).
    offset : int
        Added to the returned row indices (the first row's index when ``rows`` is a shard).

    Returns
    -------
    indices : ndarray, shape (q, min(k, n)), int64
        Best rows first. A slot with no valid row left (everything excluded) holds -1.
    scores : ndarray, shape (q, min(k, n)), float32
        Their scores; ``-inf`` in the empty slots.

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[1, 0], [0, 1], [1, 1]], np.float32)
    >>> idx, s = topk_scores(rows, np.array([[1, 0.1]], np.float32), 2, exclude=[[0]])
    >>> idx.tolist(), s.round(2).tolist()
    ([[2, 1]], [[1.1, 0.1]])
    """
    rows = np.asarray(rows)
    queries = np.asarray(queries, dtype=np.float32)
    n, dim = rows.shape
    q = queries.shape[0]
    kk = min(int(k), n)
    out_idx = np.empty((q, kk), np.int64)
    out_val = np.empty((q, kk), np.float32)
    if q == 0:
        return out_idx, out_val
    inv = None
    if row_norms is not None:
        if q > dim:  # one normalised copy (n x dim) is cheaper than scaling q x n scores
            rows = rows * _inverse(np.asarray(row_norms))[:, None]
        else:
            inv = _inverse(np.asarray(row_norms))
    block = default_block(n) if block is None else max(1, int(block))
    for start in range(0, q, block):
        stop = min(q, start + block)
        s = queries[start:stop] @ rows.T  # (b, n) float32, one BLAS call
        if inv is not None:
            s *= inv
        if exclude is not None:
            r_ids, c_ids = [], []
            for i in range(start, stop):
                ex = np.asarray(exclude[i], dtype=np.int64).ravel()
                ex = ex[(ex >= 0) & (ex < n)]
                r_ids.append(np.full(ex.shape, i - start))
                c_ids.append(ex)
            if r_ids:
                s[np.concatenate(r_ids), np.concatenate(c_ids)] = -np.inf
        idx, val = topk_rows(s, kk)
        idx[np.isneginf(val)] = -1 - offset
        out_idx[start:stop] = idx + offset
        out_val[start:stop] = val
    return out_idx, out_val


def merge_topk(parts: Sequence[tuple[np.ndarray, np.ndarray]], k: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Combine per-shard results of :func:`topk_scores` (same queries) into the global top k."""
    idx = np.concatenate([p[0] for p in parts], axis=1)
    val = np.concatenate([p[1] for p in parts], axis=1)
    best, top = topk_rows(val, k)
    return np.take_along_axis(idx, best, axis=1), top
