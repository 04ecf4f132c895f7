"""The pruned pass's first stage in compiled loops (numba).

Why compiled: the first stage tests every (question, candidate) cell, 5.8 billion on the
Google set at 300,000 candidates, with one int16 addition and comparison each, and keeps
about one cell in 1,500. numpy needs a boolean mask of every cell, ``nonzero`` over it and
(for 3CosMul) two table gathers per word cosine, each a pass over memory; the compiled
loop counts each question's passes with vectorised additions and writes out only the
rare survivors. The cells kept are the same as numpy's formulation of the test keeps.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["log_terms", "survivors"]


@numba.njit(nogil=True, cache=True)
def log_terms(cos, pa, pb, hi, lo, half):
    """3CosMul's first-stage rows from the word cosines, as ``_pruned._log_terms`` makes
    them: ``bq`` (one row per word: ``hi`` at each cosine's bin) and ``xq`` (one row per
    pair: ``bq`` of its b word less ``lo`` at its a word's bins), int16.

    ``half`` is half the number of bins (float32): a cosine's bin is
    ``int((cos + 1) * half)`` clipped to the table, NaN (a zero row) in bin 0."""
    nw, w = cos.shape
    top = hi.shape[0] - 1
    bq = np.empty((nw, w), dtype=np.int16)
    lw = np.empty((nw, w), dtype=np.int16)
    one = np.float32(1.0)
    for i in range(nw):
        for j in range(w):
            c = cos[i, j]
            b = 0
            if c == c:  # not NaN
                b = min(max(int((c + one) * half), 0), top)
            bq[i, j] = hi[b]
            lw[i, j] = lo[b]
    xq = np.empty((pa.shape[0], w), dtype=np.int16)
    for p in range(pa.shape[0]):
        rb = bq[pb[p]]
        ra = lw[pa[p]]
        for j in range(w):
            xq[p, j] = rb[j] - ra[j]
    return xq, bq


@numba.njit(nogil=True, cache=True)
def survivors(xq, bq, p_of_q, c_of_q, thr, todo):
    """The cells ``(question, column)`` of the questions ``todo`` whose int16 rows pass:
    ``xq[p] + bq[c] >= thr`` (in int32), with ``p`` and ``c`` the question's pair and
    word; ``thr`` per question. Returns two int64 arrays."""
    w = xq.shape[1]
    counts = np.zeros(todo.shape[0], dtype=np.int64)
    for k in range(todo.shape[0]):
        q = todo[k]
        xr = xq[p_of_q[q]]
        br = bq[c_of_q[q]]
        th = thr[q]
        n = 0
        for j in range(w):
            n += np.int32(xr[j]) + np.int32(br[j]) >= th
        counts[k] = n
    qs = np.empty(counts.sum(), dtype=np.int64)
    js = np.empty(counts.sum(), dtype=np.int64)
    pos = 0
    for k in range(todo.shape[0]):
        if counts[k] == 0:
            continue
        q = todo[k]
        xr = xq[p_of_q[q]]
        br = bq[c_of_q[q]]
        th = thr[q]
        for j in range(w):
            if np.int32(xr[j]) + np.int32(br[j]) >= th:
                qs[pos] = q
                js[pos] = j
                pos += 1
    return qs, js
