"""PairDirection's pruned analogy pass: the exact answers, ranks and scores, bounded first.

PairDirection scores a candidate x for a : b :: c : ? by ``cos(x - c, b - a)``. With
``u = (b - a) / |b - a|`` and unit rows (see :mod:`geomlab.geometry._analogy_scores`)
that is ``E(x) = (x.u - c.u) / S(x)`` with ``S(x) = |x - c| = sqrt(2 - 2 x.c)``. ``x.u`` is
one row per distinct (a, b) pair of the benchmark and ``x.c`` one row per distinct c word
(the Google set: 549 pairs, 474 c words), so both are small products per pool chunk, as in
:mod:`geomlab.evaluation._pruned`. A question's test "x scores at least ``t``" is then

    ``V = P[pair, x] - (t * S[c, x] + c.u) >= 0``

(``S >= 0``): two float32 operations and a comparison per cell, against the full pass's
2 x 50 multiply-adds, square root, division and masking. ``V`` is within 1.02e-5 of its
exact value where ``S >= S_MIN``: ``x.u`` within 3.1e-6 (the cosines' bound, see
:func:`geomlab.evaluation._pruned._cosines`, and ``u``'s rounding), ``c.u`` within 6e-8,
``S`` within 6.5e-6 (``x.c`` within 3.05e-6, ``2 - 2 x.c`` rounded within 2.4e-7, divided
by ``S + S* >= 0.99``, and the square root's rounding), ``|t| <= 1``, and the three
float32 operations within 5e-7; the margin :data:`MARGIN` is ten times that. Cells with
``S < S_MIN`` (x within 29 degrees of c) are never decided by ``V``.

Per question, with ``t`` the exact score of the expected answer:

1. cells with ``V > MARGIN`` score above ``t`` (rounded to float32): they are counted,
   without their indices (PairDirection's answers often lie deep in the list: the Google
   set has 6,772 of 19,486 below rank 3,000); cells with ``|V| <= MARGIN`` or
   ``S < S_MIN`` are kept, the rest score below ``t``;
2. kept cells get a float64 interval for the exact score from their two float32
   cosines (:func:`_interval`); those it places above or below ``t`` are decided;
3. the rest get the exact score (:meth:`Scorer.exact`).

The top answer: each question carries a lower bound ``L >= t`` of its best score, from
a 1-in-:data:`STRIDE` sample of the pool (the best approximate score ``(P - c.u) / S``
less :data:`TOP_MARGIN`, ten times its error: the numerator's 1.02e-5 over ``S >= 0.5``)
and raised the same way by every candidate the pass meets. The
cells with ``P - (L S + c.u) >= -MARGIN`` hold every candidate scoring ``L`` or more,
hence the best; the top is the best exact score among those whose interval reaches the
best lower end, ties to the lowest row.

The per-cell loop is a small numba kernel (:func:`_kernel`; numba comes with
umap-learn), compiled on first use and cached on disk, one pool chunk per thread.
*Exact* is :mod:`geomlab.evaluation._pruned`'s rule: the score in float64 from the
float32 vectors, rounded once to float32. Questions with a degenerate relation (a = b)
or no answer among the candidates take the full pass.
"""

from __future__ import annotations

import numpy as np

from ..geometry._analogy_scores import SAME_AS_C, Scorer
from ._pruned import PruneStats, _answer_scores, _empty_output, _full_pass, _keys, _over_chunks

__all__ = ["MARGIN", "S_MIN", "STRIDE", "scan"]

#: pool rows per chunk of the pass
WIDTH = 4096
#: one pool row in STRIDE is sampled for the lower bound of each question's best score
STRIDE = 64
#: the first stage's margin on V, ten times its proven error (1.02e-5)
MARGIN = np.float32(1.1e-4)
#: the bound used on each float32 cosine's error (the proven one is 3.05e-6)
EPS_COS = 1e-5
#: below this |x - c| the first stage decides nothing (its error grows as 1 / S)
S_MIN = np.float32(0.5)
#: taken off an approximate score for a lower bound of the exact one (10x its 2.1e-5)
TOP_MARGIN = 2.5e-4


def _rows(keys: np.ndarray):
    """Distinct values of ``keys``, each question's index into them, and a first question."""
    uniq, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    return uniq, inv.reshape(-1), first


def _s_rows(c_cos: np.ndarray) -> np.ndarray:
    """``S = sqrt(2 - 2 x.c)`` in float32, NaN where ``S < S_MIN`` (or a zero row)."""
    s = np.float32(2) - np.float32(2) * c_cos
    np.maximum(s, 0, out=s)
    np.sqrt(s, out=s)
    with np.errstate(invalid="ignore"):
        s[~(s >= S_MIN)] = np.nan
    return s


def _interval(p: np.ndarray, c: np.ndarray, k: np.ndarray):
    """Bounds ``(lo, hi)`` (float64) on the exact score from the float32 cosines.

    ``p`` = x.u and ``c`` = x.c (each within :data:`EPS_COS` of the exact value), ``k`` =
    c.u (float64). Widened by 1e-6 relative for the exact score's rounding to float32.
    Where x may count as c (``2 - 2 x.c`` near :data:`SAME_AS_C`: the exact rule gives
    -inf) the interval is everything.
    """
    e = EPS_COS
    p, c = p.astype(np.float64), c.astype(np.float64)
    num_lo, num_hi = p - e - k, p + e - k
    with np.errstate(divide="ignore", invalid="ignore"):
        den_lo = np.sqrt(np.maximum(2 - 2 * (c + e), 0))
        den_hi = np.sqrt(np.maximum(2 - 2 * (c - e), 0))
        lo = np.where(num_lo >= 0, num_lo / den_hi, num_lo / den_lo)
        hi = np.where(num_hi >= 0, num_hi / den_lo, num_hi / den_hi)
    # x.c may reach 1 - SAME_AS_C / 2 (x counts as c: -inf) or NaN (zero rows)
    open_ = ~(den_lo * den_lo > 2 * SAME_AS_C) | np.isnan(lo) | np.isnan(hi)
    lo = np.where(open_, -np.inf, lo - 1e-6 * (1 + np.abs(lo)))
    hi = np.where(open_, np.inf, hi + 1e-6 * (1 + np.abs(hi)))
    return lo, hi


def _top_floor(scorer, up, uc, k32, p_of_q, c_of_q, exclude, n_pool):
    """Per question a lower bound of its best exact score, from a sample of the pool.

    The best float32 score ``(P - c.u) / S`` over every STRIDE-th row (excluded rows and
    rows with ``S < S_MIN`` aside) is within 2.1e-5 of that row's exact score;
    :data:`TOP_MARGIN` less is below it, hence below the best. -inf where the sample has
    no candidate.
    """
    sample = np.arange(0, n_pool, STRIDE)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = scorer.pool[sample] / scorer.norms[sample, None]
    ps = up @ xs.T
    ss = _s_rows(uc @ xs.T)
    er, ek = np.nonzero(exclude >= 0)
    erow = exclude[er, ek]
    on = erow % STRIDE == 0
    er, ecol = er[on], erow[on] // STRIDE
    n = len(p_of_q)
    best = np.full(n, -np.inf)
    for q0 in range(0, n, 1024):
        q1 = min(n, q0 + 1024)
        with np.errstate(invalid="ignore"):
            e = (ps[p_of_q[q0:q1]] - k32[q0:q1, None]) / ss[c_of_q[q0:q1]]
        sel = (er >= q0) & (er < q1)
        e[er[sel] - q0, ecol[sel]] = -np.inf
        e[np.isnan(e)] = -np.inf
        best[q0:q1] = e.max(axis=1)
    return best - TOP_MARGIN


def scan(
    scorer: Scorer,
    queries: np.ndarray,
    inputs: np.ndarray,
    *,
    exclude: np.ndarray,
    answers: np.ndarray,
    answer_guess: np.ndarray,
    bad: np.ndarray,
    block_size: int = 256,
    progress=None,
    unit=None,
):
    """The top answer, its score and the answer's rank for every question, pruned.

    The same contract as :func:`geomlab.evaluation._pruned.scan`: returns
    ``(ScanOutput, PruneStats)``; ``n_above`` counts the candidates other than the answer
    rows scoring strictly above the best answer row. ``unit`` is accepted for
    that contract and not needed (the rows come from ``queries``).
    """
    n = len(queries)
    n_pool = len(scorer.pool)
    pool, norms = scorer.pool, scorer.norms
    out = _empty_output(n, answers)
    if n == 0:
        return out, PruneStats(0, n_pool, 0, 0)

    # the exact scores of the answer rows; t: the best one
    ans, t, ex_keys = _answer_scores(scorer, queries, answers, exclude)

    # one row per distinct (a, b) pair, one per distinct c word, taken from the queries
    # themselves (d = b - a and c, float32); k = c.u as Scorer.combine computes it
    _, p_of_q, p_first = _rows(inputs[:, 0] * n_pool + inputs[:, 1])
    _, c_of_q, c_first = _rows(inputs[:, 2])
    d = queries[p_first, 0].astype(np.float64)
    dd = np.einsum("ij,ij->i", d, d)
    length = np.sqrt(dd)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (d / length[:, None]).astype(np.float32)
        q64 = queries.astype(np.float64)
        k = np.einsum("ij,ij->i", q64[:, 1], q64[:, 0]) / length[p_of_q]
    uc = np.ascontiguousarray(queries[c_first, 1])
    k32 = k.astype(np.float32)

    full = ~np.isfinite(t) | (dd[p_of_q] <= 1e-12)
    # L: a lower bound of each question's best score, never below t; the kernel raises it
    # as it meets better candidates
    floor_l = np.maximum(
        _top_floor(scorer, up, uc, k32, p_of_q, c_of_q, exclude, n_pool), t.astype(np.float64)
    ).astype(np.float32)

    todo = np.flatnonzero(~full)
    todo = todo[np.lexsort((p_of_q[todo], c_of_q[todo]))]  # a c word's S row stays in cache
    # each question's excluded rows (-1 pads): the kernel skips them
    ex = np.ascontiguousarray(exclude[todo])
    kernel = _kernel()
    tq32 = t[todo].astype(np.float32)
    kq32, pq, cq, lq32 = k32[todo], p_of_q[todo], c_of_q[todo], floor_l[todo]

    counts: list[np.ndarray] = []
    rank_cells: list[tuple] = []
    top_cells: list[tuple] = []

    def run_chunk(c0: int, c1: int) -> int:
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = pool[c0:c1] / norms[c0:c1, None]
        pmat = up @ xn.T
        cmat = uc @ xn.T
        smat = _s_rows(cmat)
        n_hi = np.zeros(len(todo), dtype=np.int64)
        cap = 4 * len(todo) + 4096
        while True:
            cells = np.empty((4, cap), dtype=np.int64)
            n_rank, n_top = kernel(
                pmat, smat, pq, cq, tq32, kq32, lq32, ex, c0, MARGIN, np.float32(TOP_MARGIN),
                n_hi, cells,
            )  # fmt: skip
            if n_rank <= cap and n_top <= cap:
                break
            cap = 2 * max(n_rank, n_top)
            n_hi[:] = 0
        counts.append(n_hi)
        # cells with S < S_MIN (not zero rows): open for every question of their c word
        ci, sj = np.nonzero(np.isnan(smat) & ~np.isnan(cmat))
        lo_i = np.searchsorted(cq, ci, side="left")
        reps = np.searchsorted(cq, ci, side="right") - lo_i
        sq = np.repeat(lo_i - np.cumsum(reps) + reps, reps) + np.arange(reps.sum())
        sj = np.repeat(sj, reps)
        for qi, j, dest in (
            (np.r_[cells[0, :n_rank], sq], np.r_[cells[1, :n_rank], sj], rank_cells),
            (np.r_[cells[2, :n_top], sq], np.r_[cells[3, :n_top], sj], top_cells),
        ):
            lo_, hi_ = _interval(pmat[pq[qi], j], cmat[cq[qi], j], k[todo[qi]])
            dest.append((todo[qi], j + c0, lo_, hi_))
        return c1 - c0

    if len(todo):
        _over_chunks(run_chunk, n_pool, WIDTH, progress)

    def gather(parts):
        if not parts:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0), np.zeros(0)
        sq, sr, lo, hi = (np.concatenate(v) for v in zip(*parts))
        keep = ~np.isin(sq * n_pool + sr, ex_keys)
        if len(bad):
            keep &= ~np.isin(sr, bad)
        return sq[keep], sr[keep], lo[keep], hi[keep]

    n_exact = 0
    ans_keys = _keys(answers, n_pool)
    # the rank: counted cells, plus the open cells above t
    n_above = np.zeros(n, dtype=np.int64)
    if counts:
        n_above[todo] = np.sum(counts, axis=0)
    sq, sr, lo, hi = gather(rank_cells)
    tq = t[sq].astype(np.float64)
    keep = ~np.isin(sq * n_pool + sr, ans_keys) & (hi >= tq)
    sq, sr, lo, hi, tq = sq[keep], sr[keep], lo[keep], hi[keep], tq[keep]
    band = lo <= tq
    s_band = scorer.exact(queries, sq[band], sr[band])
    n_exact += int(band.sum())
    above = lo > tq
    above[band] = s_band > t[sq[band]]
    n_above += np.bincount(sq[above], minlength=n)
    # the top answer: the best exact score among the top cells whose interval reaches the
    # best lower end
    top_parts = [gather(top_cells)]
    cq, cr, clo, chi = (np.concatenate(v) for v in zip(*top_parts))
    floor = t.astype(np.float64)
    np.maximum.at(floor, cq, clo)
    cand = chi >= floor[cq]
    cq, cr = cq[cand], cr[cand]
    cs = scorer.exact(queries, cq, cr)
    n_exact += len(cq)
    order = np.lexsort((cr, -cs.astype(np.float64), cq))
    if len(order):
        first = order[np.r_[True, cq[order][1:] != cq[order][:-1]]]
        out.top_scores[cq[first], 0] = cs[first]
        out.top_rows[cq[first], 0] = cr[first]
    out.n_above[:] = n_above
    out.answer_scores[:] = ans

    n_full = _full_pass(out, full, scorer, queries, exclude, answers, answer_guess, bad, block_size)
    return out, PruneStats(n, n_pool, n_full, n_exact, full)


_KERNEL = None


def _kernel():
    """The first stage, compiled with numba (imported here: ``import geomlab`` stays light).

    ``kernel(pmat, smat, pq, cq, t, k, floor, ex, c0, margin, top_margin, n_hi, cells)``
    runs every question (pair row ``pq``, c row ``cq``) over one pool chunk starting at
    row ``c0`` and returns ``(n_rank, n_top)``. Per cell, ``V = P - (t S + k)`` in
    float32: ``V > margin`` adds to ``n_hi``; ``|V| <= margin`` makes a rank cell
    (``cells[0:2]``: question position, column); ``P - (L S + k) >= -margin`` a top cell
    (``cells[2:4]``). NaN decides nothing: S < S_MIN (the caller keeps those cells), zero
    rows (NaN P), and each question's excluded rows (``ex``, -1 pads), set to NaN in a
    copy of the pair row. ``floor`` (L) is raised to the approximate score less
    ``top_margin`` of every top cell (a lower bound of that candidate's exact score, hence
    of the best); other threads may do the same, and every value written is such a
    bound. Cells past ``cells``' capacity are counted, not written: the caller retries
    with room for them.
    """
    global _KERNEL
    if _KERNEL is None:
        import numba

        @numba.njit(nogil=True, cache=True, error_model="numpy")
        def kernel(pmat, smat, pq, cq, t, k, floor, ex, c0, margin, top_margin, n_hi, cells):
            w = pmat.shape[1]
            cap = cells.shape[1]
            n_rank = 0
            n_top = 0
            buf = np.empty(w, dtype=pmat.dtype)
            for qi in range(pq.shape[0]):
                prow = pmat[pq[qi]]
                srow = smat[cq[qi]]
                tq, kq, lq = t[qi], k[qi], floor[qi]
                # excluded columns: NaN in a copy of the row (NaN decides nothing)
                copied = False
                for e in range(ex.shape[1]):
                    x = ex[qi, e] - c0
                    if 0 <= x < w:
                        if not copied:
                            buf[:] = prow
                            copied = True
                        buf[x] = np.nan
                if copied:
                    prow = buf
                nh = 0
                keep = 0
                for x in range(w):
                    pv = prow[x]
                    sv = srow[x]
                    v = pv - (sv * tq + kq)
                    nh += v > margin
                    keep += (abs(v) <= margin) | (pv - (sv * lq + kq) >= -margin)
                n_hi[qi] = nh
                if keep == 0:
                    continue
                best = lq
                for x in range(w):
                    pv = prow[x]
                    sv = srow[x]
                    v = pv - (sv * tq + kq)
                    if abs(v) <= margin:
                        if n_rank < cap:
                            cells[0, n_rank] = qi
                            cells[1, n_rank] = x
                        n_rank += 1
                    if pv - (sv * lq + kq) >= -margin:
                        if n_top < cap:
                            cells[2, n_top] = qi
                            cells[3, n_top] = x
                        n_top += 1
                        a = (pv - kq) / sv - top_margin
                        if a > best:
                            best = a
                if best > floor[qi]:
                    floor[qi] = best
            return n_rank, n_top

        _KERNEL = kernel
    return _KERNEL
