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
"""

from __future__ import annotations

import contextlib

import numpy as np

from .._parallel import blas_threads, run_blocks, workers
from ..geometry._analogy_scores import Scorer
from ._pruned import _cosines
from ._scan import _bins

__all__ = ["SLACK", "sketch_3cosadd"]

#: pool rows per chunk: each chunk adds every question's chunk histogram into its own
WIDTH = 16384
#: the numerator's bound (over the query length) and the roundings, see the module doc
SLACK = (1.2e-5, 1e-6)


def sketch_3cosadd(
    scorer: Scorer,
    queries: np.ndarray,
    inputs: np.ndarray,
    *,
    unit,
    exclude: np.ndarray,
    bad: np.ndarray,
    sketch: tuple[int, int],
    block_size: int = 1024,
    width: int = WIDTH,
    progress=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question the exact ``M`` best candidate scores (best first), a ``bins``-bin
    histogram of all the others, and the per-question slack of the histogram's scores.

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
    top = np.full((n, m_top), -np.inf, dtype=np.float32)
    hist = np.zeros((n, nbins), dtype=np.float32)
    slack = np.zeros(n, dtype=np.float64)
    bad = np.asarray(bad, dtype=np.int64)

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
            slack[q0:q1] = np.where(length > 0, SLACK[0] / length, 0.0) + SLACK[1]
        ex = np.ascontiguousarray(exclude[q0:q1])
        hv, hc, hn = heaps(b, m_top)
        counts = np.zeros((b, nbins), dtype=np.int32)
        for c0 in range(0, n_pool, width):
            c1 = min(n_pool, c0 + width)
            cos = _cosines(uw, pool[c0:c1], norms[c0:c1])
            badc = bad[(bad >= c0) & (bad < c1)] - c0
            cos[:, badc] = 0  # NaN (no direction): finite, then taken out by the loop
            sketch_cosines(cos, ia, ib, ic, f, ex, badc, c0, *bin_args, counts, hv, hc, hn)
        vals, rows = best_first(hv, hc)
        # the M best leave the histogram (binned as the loop binned them) ...
        fin = np.isfinite(vals)
        qi, k = np.nonzero(fin)
        idx = _bins(vals[fin], lo, hi, nbins) + qi * nbins
        counts -= np.bincount(idx, minlength=b * nbins).reshape(b, nbins).astype(np.int32)
        # ... and their exact scores take their place
        exact = np.full(vals.shape, -np.inf, dtype=np.float32)
        exact[qi, k] = scorer.exact(queries, qi + q0, rows[qi, k])
        top[q0:q1] = -np.sort(-exact, axis=1)
        hist[q0:q1] = counts
        return b

    blocks = [(q0, min(q0 + block_size, n)) for q0 in range(0, n, block_size)]
    n_workers = max(1, min(len(blocks), workers()))
    with blas_threads(1) if n_workers > 1 else contextlib.nullcontext():
        run_blocks(run_block, blocks, n_workers, progress=progress, desc="temperature sketch")
    return top, hist, slack
