"""The log-partition sketch of one score tile, in one compiled pass (numba).

Why compiled: the sketch bins *every* candidate score of every question (the Google set at
300,000 candidates: 5.8 billion scores). In numpy that is four passes over each tile (scale,
clip, cast, ``bincount``) plus a running top-128 merged by ``argpartition``: 75 s of the
report's 78 s analogy section, against 5 s for the pass without a sketch. One loop that
reads each score once, counts it into its question's histogram, counts it above the answer,
and pushes it into a small per-question heap only when it beats the heap's smallest, does
the same work in a few seconds. numba comes with umap-learn, a dependency already; it is
imported only when a sketch pass runs, so ``import geomlab`` stays numpy-only.

The results are identical to the numpy formulation (tested against it): the bin of a score
is computed with the same float32 operations, the heap keeps the same top values (ties at
the boundary keep the earlier row, as the running maxima do), and ``-inf`` (excluded)
cells are counted apart and never binned.
"""

from __future__ import annotations

import numba
import numpy as np

from ..geometry._compiled import push

__all__ = ["sketch_cosines", "sketch_tile"]


@numba.njit(nogil=True, cache=True)
def _flush(part, hrow):
    """Add the four partial histograms into one question's histogram and clear them."""
    for k in range(hrow.shape[0]):
        hrow[k] += part[0, k] + part[1, k] + part[2, k] + part[3, k]
        part[0, k] = part[1, k] = part[2, k] = part[3, k] = 0


@numba.njit(nogil=True, cache=True, error_model="numpy")
def sketch_tile(s, c0, lo, scale, top_bin, guess, hist, above, hv, hc, hn):
    """Fold one tile of scores into the running sketch of its questions.

    Parameters
    ----------
    s : float32 (b, w)
        The tile: question ``i``'s scores for pool rows ``c0 .. c0 + w`` (``-inf``: excluded).
    c0 : int
        The tile's first pool row.
    lo, scale : float32
        Bin of a score: ``int(clip((score - lo) * scale, 0, top_bin))``, in float32.
    top_bin : float32
        The last bin's index.
    guess : float32 (b,)
        Scores above it are counted in ``above``.
    hist : int64 (b, bins)
        Running histograms (every finite score is counted; the caller removes the top ones).
    above : int64 (b,)
        Running counts of the cells above ``guess``.
    hv, hc : float32 (b, M), int64 (b, M); hn : int64 (b,)
        Per question a min-heap of the ``M`` best (score, row) so far and its fill.
    """
    b, w = s.shape
    m = hv.shape[1]
    nbins = hist.shape[1]
    neg = np.float32(-np.inf)
    zero = np.float32(0.0)
    # four interleaved partial histograms: consecutive scores often fall in the same bin,
    # and one counter would make each increment wait for the previous one
    part = np.zeros((4, nbins), dtype=np.int32)
    bins = np.empty(w, dtype=np.int32)
    for i in range(b):
        srow = s[i]
        g = guess[i]
        n = hn[i]
        floor = hv[i, 0] if n == m else neg
        # 1: bins and counts, branch-free (the compiler vectorises it); -inf (excluded)
        # clamps into bin 0 and is taken out again below
        count = 0
        excluded = 0
        beats = 0
        for j in range(w):
            v = srow[j]
            t = min(max((v - lo) * scale, zero), top_bin)
            bins[j] = np.int32(t)
            count += v > g
            excluded += v == neg
            beats += v > floor
        # 2: the increments
        for j in range(w):
            part[j & 3, bins[j]] += 1
        part[0, 0] -= excluded
        # 3: the heap, only when something in the tile beats its smallest
        if beats:
            for j in range(w):
                v = srow[j]
                if v > floor:
                    floor = push(hv, hc, hn, i, v, c0 + j)
        above[i] += count
        _flush(part, hist[i])


@numba.njit(nogil=True, cache=True, error_model="numpy")
def sketch_cosines(
    cos, ia, ib, ic, f, ex, badc, c0, lo, scale, top_bin, hist, hv, hc, hn, hi_t, lo_t, above,
    band, nb,
):  # fmt: skip
    """Fold one chunk of pool rows into the sketch of a block of 3CosAdd questions, each
    score made from three word cosines instead of a product of its own; count the scores
    surely above each question's answer and list those too close to it to tell.

    Parameters
    ----------
    cos : float32 (words, w)
        The block's words' cosines with pool rows ``c0 .. c0 + w`` (finite: the columns of
        zero rows hold 0 and are listed in ``badc``).
    ia, ib, ic : int64 (b,)
        Each question's a, b and c row in ``cos``.
    f : float32 (b,)
        ``1 / |b + c - a|``: the score is ``((cos_b - cos_a) + cos_c) * f``, in float32.
    ex : int64 (b, E)
        Pool rows that are not candidates of each question (-1 pads).
    badc : int64 (k,)
        Columns of ``cos`` (zero pool rows) that are no question's candidates.
    lo, scale, top_bin : float32
        Bin of a score, as in :func:`sketch_tile`.
    hist : int32 (b, bins)
        Running histograms of every candidate score (the caller removes the top ones).
    hv, hc, hn :
        Per question a min-heap of the best (score, row) so far, as in :func:`sketch_tile`.
    hi_t, lo_t : float32 (b,)
        Scores above ``hi_t`` count in ``above`` (int64, b); candidates scoring in
        ``[lo_t, hi_t]`` are listed in ``band`` (int64, (b, U)), ``nb`` counting them (past
        ``U`` only counted).
    """
    b = ia.shape[0]
    w = cos.shape[1]
    m = hv.shape[1]
    nbins = hist.shape[1]
    cap = band.shape[1]
    neg = np.float32(-np.inf)
    zero = np.float32(0.0)
    part = np.zeros((4, nbins), dtype=np.int32)
    bins = np.empty(w, dtype=np.int32)
    vals = np.empty(w, dtype=np.float32)
    for i in range(b):
        ra = cos[ia[i]]
        rb = cos[ib[i]]
        rc = cos[ic[i]]
        fi = f[i]
        hi = hi_t[i]
        low = lo_t[i]
        floor = hv[i, 0] if hn[i] == m else neg
        # 1: scores, bins and counts, branch-free (vectorised)
        beats = 0
        count = 0
        near = 0
        for j in range(w):
            v = ((rb[j] - ra[j]) + rc[j]) * fi
            vals[j] = v
            t = min(max((v - lo) * scale, zero), top_bin)
            bins[j] = np.int32(t)
            beats += v > floor
            count += v > hi
            near += (v >= low) & (v <= hi)
        # 2: the increments, then the cells that are not candidates taken out again
        for j in range(w):
            part[j & 3, bins[j]] += 1
        for e in range(ex.shape[1]):
            r = ex[i, e] - c0
            if r >= 0 and r < w and vals[r] != neg:  # (a row listed twice goes once)
                part[0, bins[r]] -= 1
                count -= vals[r] > hi
                near -= (vals[r] >= low) & (vals[r] <= hi)
                vals[r] = neg
        for e in range(badc.shape[0]):
            r = badc[e]
            if vals[r] != neg:  # not already taken out as an excluded row
                part[0, bins[r]] -= 1
                count -= vals[r] > hi
                near -= (vals[r] >= low) & (vals[r] <= hi)
                vals[r] = neg
        above[i] += count
        # 3: the heap and the close calls, only when the chunk has any
        if beats:
            for j in range(w):
                v = vals[j]
                if v > floor:
                    floor = push(hv, hc, hn, i, v, c0 + j)
        if near:
            for j in range(w):
                v = vals[j]
                if v >= low and v <= hi:
                    k = nb[i]
                    if k < cap:
                        band[i, k] = c0 + j
                    nb[i] = k + 1
        _flush(part, hist[i])
