"""The full blocked analogy pass for benchmark evaluation (every question, every candidate).

One pass over a (questions x pool) score matrix that is never held whole: questions are
taken ``block_size`` at a time, the pool ``CHUNK`` columns at a time, and each tile is one
matrix product (BLAS) followed by a few vectorised reductions. Blocks run on a thread pool
(numpy and BLAS release the GIL; BLAS is held to one thread per worker meanwhile).

Per question the pass returns the best candidate (or the exact top ``M``), the number of
candidates scoring above the expected answer (its rank), the exact scores of the answer
rows, and optionally a *log-partition sketch* for temperature fitting (see
:class:`geomlab.scoring.calibration.ScoreSketch`): the exact top ``M`` scores plus a
fine histogram of all the other pool scores.

The scores come from :class:`geomlab.geometry._analogy_scores.Scorer` (the one place the
formulas are written), whose arithmetic follows gensim's operation for operation, so
rankings agree with gensim's to the last bit except where two candidates tie within
float32 rounding.
"""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass

import numpy as np

from .._parallel import blas_threads, run_blocks, workers
from .._progress import progress as _progress
from ..embeddings import Embeddings
from ..geometry._analogy_scores import CHUNK, Scorer
from ..geometry._topk import best_first

__all__ = ["ScanOutput", "Vocab", "gensim_norms", "pad", "scan", "scan_distributed"]

# pool columns per tile; a multiple of 1024 (see _rowcount)
_NEG = np.float32(-np.inf)


# -- gensim's ok_vocab ----------------------------------------------------------------------
_FOLDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _upper_index(emb: Embeddings):
    """Upper-cased word -> row of its first variant, and first row -> all variant rows."""
    hit = _FOLDED.get(emb)
    if hit is None:
        first: dict[str, int] = {}
        groups: dict[int, list[int]] = {}
        for i, w in enumerate(emb.words):
            j = first.setdefault(w.upper(), i)
            if j != i:
                groups.setdefault(j, [j]).append(i)
        hit = (first, {k: np.array(v, dtype=np.int64) for k, v in groups.items()})
        _FOLDED[emb] = hit
    return hit


class Vocab:
    """gensim's ``ok_vocab``: the first ``n`` words, case-folded (first variant wins)."""

    def __init__(self, emb: Embeddings, n: int, case_insensitive: bool):
        self.emb = emb
        self.n = n
        if case_insensitive:
            self.first, groups = _upper_index(emb)
            self.groups = {k: v[v < n] for k, v in groups.items() if k < n}
            self.groups = {k: v for k, v in self.groups.items() if len(v) > 1}
        else:
            self.first, self.groups = None, {}

    def row(self, word: str) -> int | None:
        r = self.emb.get_index(word) if self.first is None else self.first.get(word.upper())
        return r if r is not None and r < self.n else None

    def fold_row(self, r: int) -> int:
        """The first-variant row of row ``r``'s word."""
        return r if self.first is None else self.first[self.emb.words[r].upper()]

    def expand(self, prim: np.ndarray) -> np.ndarray:
        """Primary rows (n, k) (-1 pads) -> every pool row of the same words, deduplicated."""
        if not self.groups or not np.isin(prim, list(self.groups)).any():
            return prim
        rows = [
            list(
                dict.fromkeys(x for r in row if r >= 0 for x in self.groups.get(int(r), (int(r),)))
            )
            for row in prim
        ]
        return pad(rows)


def pad(rows: list[list[int]], width: int | None = None) -> np.ndarray:
    """Ragged lists of rows -> an (n, width) int64 array padded with -1."""
    width = max((len(r) for r in rows), default=0) if width is None else width
    out = np.full((len(rows), max(width, 1)), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def gensim_norms(vectors: np.ndarray) -> np.ndarray:
    """Row norms computed as gensim's ``fill_norms`` does (float32 ``np.linalg.norm``)."""
    return np.linalg.norm(vectors, axis=1)


@dataclass
class ScanOutput:
    """What one pass returns, one row per question."""

    top_scores: np.ndarray  # (n, k) float32, best first (-inf: none)
    top_rows: np.ndarray  # (n, k) int64 (-1: none)
    n_above: np.ndarray  # (n,) candidates scoring above the expected answer
    answer_scores: np.ndarray  # (n, A) exact scores of the answer rows (-inf: pad/excluded)
    sketch_top: np.ndarray | None = None  # (n, M) exact top-M scores, best first
    sketch_hist: np.ndarray | None = None  # (n, bins) counts of all other pool scores


def _rowcount(mask: np.ndarray) -> np.ndarray:
    """Per-row count of True in a (b, c) bool array, 8 bytes at a time when c allows."""
    b, c = mask.shape
    if c % 1024 or not mask.flags.c_contiguous:
        return mask.view(np.uint8).sum(axis=1, dtype=np.int64)
    # each uint64 holds 8 bools; summing 128 of them cannot carry between byte lanes
    lanes = mask.view(np.uint64).reshape(b, -1, 128).sum(axis=2, dtype=np.uint64)
    return lanes.view(np.uint8).reshape(b, -1).sum(axis=1, dtype=np.int64)


class _TopM:
    """Exact running top-M per row, merged tile by tile above a rising threshold."""

    def __init__(self, b: int, m: int):
        self.m = m
        self.vals = np.full((b, m), _NEG, dtype=np.float32)
        self.cols = np.full((b, m), -1, dtype=np.int64)
        self.thr = np.full(b, _NEG, dtype=np.float32)

    def update(self, s: np.ndarray, c0: int) -> None:
        mask = s > self.thr[:, None]
        counts = _rowcount(mask)
        if not counts.any():
            return
        flat = np.flatnonzero(mask)
        r, c = np.divmod(flat, s.shape[1])
        v = s.reshape(-1)[flat]
        rows = np.flatnonzero(counts)
        k = int(counts.max())
        m = self.m
        vals = np.full((len(rows), m + k), _NEG, dtype=np.float32)
        cols = np.full((len(rows), m + k), -1, dtype=np.int64)
        vals[:, :m] = self.vals[rows]
        cols[:, :m] = self.cols[rows]
        start = np.cumsum(counts) - counts
        pos = np.arange(len(flat)) - start[r]
        ri = np.searchsorted(rows, r)
        vals[ri, m + pos] = v
        cols[ri, m + pos] = c + c0
        keep = np.argpartition(vals, k, axis=1)[:, k:]
        self.vals[rows] = np.take_along_axis(vals, keep, axis=1)
        self.cols[rows] = np.take_along_axis(cols, keep, axis=1)
        self.thr[rows] = self.vals[rows].min(axis=1)

    def sorted(self) -> tuple[np.ndarray, np.ndarray]:
        return best_first(self.vals, self.cols)


def _bins(s: np.ndarray, lo: float, hi: float, nbins: int) -> np.ndarray:
    """Histogram bin of each score (clipped into the end bins)."""
    scale = nbins / (hi - lo)
    t = (s - np.float32(lo)) * np.float32(scale)
    np.clip(t, 0, nbins - 1, out=t)
    return t.astype(np.intp)


def drop_binned(hist: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> None:
    """Take each row's finite ``vals`` out of its histogram row (in place), binned as
    :func:`_bins` bins them."""
    b, nbins = hist.shape
    fin = np.isfinite(vals)
    idx = _bins(vals[fin], lo, hi, nbins) + np.nonzero(fin)[0] * nbins
    hist -= np.bincount(idx, minlength=b * nbins).reshape(b, nbins).astype(hist.dtype)


def scan(
    scorer: Scorer,
    queries: np.ndarray,
    *,
    exclude: np.ndarray,
    answers: np.ndarray,
    answer_guess: np.ndarray,
    bad: np.ndarray,
    topk: int = 1,
    sketch: tuple[int, int] | None = None,
    block_size: int = 256,
    progress: bool | None = None,
) -> ScanOutput:
    """Score every question against the whole pool, block by block.

    Parameters
    ----------
    scorer : Scorer
    queries : ndarray, shape (n, r, dim)
    exclude : ndarray of int, shape (n, E)
        Pool rows masked out per question (-1 pads).
    answers : ndarray of int, shape (n, A)
        Rows that count as the expected answer (-1 pads).
    answer_guess : ndarray, shape (n,)
        The best answer score computed beforehand; candidates above it are counted.
        (Tile values may differ from it in the last bit; ``scan`` returns the exact tile
        values in ``answer_scores`` so the caller can correct the count.)
    bad : ndarray of int
        Pool rows with no direction (zero norm), masked for every question.
    topk : int
        How many best candidates to return.
    sketch : (M, bins), optional
        Also keep the exact top ``M`` scores and a ``bins``-bin histogram of the rest.
    block_size : int
        Questions per block; memory per worker is about ``block_size * CHUNK * 9`` bytes
        (plus ``block_size * bins * 8`` with a sketch).
    progress : bool, optional
        Show a bar (None: on a terminal).
    """
    n = len(queries)
    n_pool = len(scorer.pool)
    a_width = answers.shape[1]
    out = ScanOutput(
        top_scores=np.full((n, topk), _NEG, dtype=np.float32),
        top_rows=np.full((n, topk), -1, dtype=np.int64),
        n_above=np.zeros(n, dtype=np.int64),
        answer_scores=np.full((n, a_width), _NEG, dtype=np.float32),
    )
    m_top = max(topk, sketch[0]) if sketch else topk
    if sketch:
        out.sketch_top = np.full((n, sketch[0]), _NEG, dtype=np.float32)
        out.sketch_hist = np.zeros((n, sketch[1]), dtype=np.float32)
    lo_hi = scorer.range
    bad = np.asarray(bad, dtype=np.int64)
    if sketch:
        from ..geometry._compiled import heaps
        from ._sketch_kernel import sketch_tile

        # the bin arithmetic of _bins, in float32
        bin_args = (
            np.float32(lo_hi[0]),
            np.float32(sketch[1] / (lo_hi[1] - lo_hi[0])),
            np.float32(sketch[1] - 1),
        )

    def run_block(q0: int, q1: int) -> int:
        b = q1 - q0
        qb = queries[q0:q1]
        er, ek = np.nonzero(exclude[q0:q1] >= 0)
        ecol = exclude[q0:q1][er, ek]
        ar, ak = np.nonzero(answers[q0:q1] >= 0)
        acol = answers[q0:q1][ar, ak]
        guess = answer_guess[q0:q1, None].astype(np.float32)
        ans = np.full((b, a_width), _NEG, dtype=np.float32)
        arange = np.arange(b)
        best = np.full(b, _NEG, dtype=np.float32)
        best_col = np.full(b, -1, dtype=np.int64)
        above = np.zeros(b, dtype=np.int64)
        tracker = _TopM(b, m_top) if m_top > 1 and not sketch else None
        if sketch:
            heap = heaps(b, m_top)
            hist = np.zeros((b, sketch[1]), dtype=np.int64)
            g32 = np.ascontiguousarray(guess[:, 0])
        buf = np.empty((b, CHUNK), dtype=np.float32)
        mask = np.empty((b, CHUNK), dtype=bool)
        for c0 in range(0, n_pool, CHUNK):
            c1 = min(c0 + CHUNK, n_pool)
            w = c1 - c0
            s = scorer.tile(qb, c0, c1, out=buf if w == CHUNK else None)
            sel = (ecol >= c0) & (ecol < c1)
            s[er[sel], ecol[sel] - c0] = _NEG
            bsel = bad[(bad >= c0) & (bad < c1)]
            if len(bsel):
                s[:, bsel - c0] = _NEG
            sel = (acol >= c0) & (acol < c1)
            ans[ar[sel], ak[sel]] = s[ar[sel], acol[sel] - c0]
            if sketch:
                # histogram, count above the answer and running top M in one compiled pass
                sketch_tile(s, c0, *bin_args, g32, hist, above, *heap)
                continue
            if tracker is None:
                j = s.argmax(axis=1)
                v = s[arange, j]
                better = v > best
                best[better] = v[better]
                best_col[better] = j[better] + c0
            else:
                tracker.update(s, c0)
            m = mask if w == CHUNK else np.empty((b, w), dtype=bool)
            np.greater(s, guess, out=m)
            above += _rowcount(m)
        if sketch:
            vals, cols = best_first(*heap[:2])
            out.top_scores[q0:q1] = vals[:, :topk]
            out.top_rows[q0:q1] = np.where(np.isfinite(vals[:, :topk]), cols[:, :topk], -1)
        elif tracker is None:
            out.top_scores[q0:q1, 0] = best
            out.top_rows[q0:q1, 0] = best_col
        else:
            vals, cols = tracker.sorted()
            out.top_scores[q0:q1] = vals[:, :topk]
            out.top_rows[q0:q1] = np.where(np.isfinite(vals[:, :topk]), cols[:, :topk], -1)
        out.n_above[q0:q1] = above
        out.answer_scores[q0:q1] = ans
        if sketch:
            top = vals[:, : sketch[0]]
            # the exact top M leave the histogram (the masked cells never entered it)
            drop_binned(hist, top, *lo_hi)
            out.sketch_top[q0:q1] = top
            out.sketch_hist[q0:q1] = hist
        return b

    blocks = [(q0, min(q0 + block_size, n)) for q0 in range(0, n, block_size)]
    n_workers = max(1, min(len(blocks), workers()))
    with blas_threads(1) if n_workers > 1 else contextlib.nullcontext():
        if n_workers == 1:
            for q0, q1 in _progress(
                blocks, total=len(blocks), desc="analogies", enabled=progress, unit="block"
            ):
                run_block(q0, q1)
        else:
            run_blocks(run_block, blocks, n_workers, progress=progress, desc="analogies")
    return out


# ---------------------------------------------------------------------------------------
# the same pass on a Dask cluster
# ---------------------------------------------------------------------------------------
def _scan_task(
    method: str, pool: np.ndarray, norms: np.ndarray, queries: np.ndarray, kwargs: dict
) -> ScanOutput:
    """One Dask task: :func:`scan` over a slice of the questions, on a worker.

    The scorer is rebuilt from plain arrays (its ``unit`` callable is only needed to form
    the queries, which the caller already did).
    """
    return scan(Scorer(method, pool, norms, unit=None), queries, **kwargs)


def scan_distributed(
    client,
    scorer: Scorer,
    queries: np.ndarray,
    *,
    exclude,
    answers,
    answer_guess,
    bad,
    topk: int = 1,
    sketch=None,
    block_size: int = 256,
    blocks_per_task: int = 8,
    progress: bool | None = None,
) -> ScanOutput:
    """:func:`scan` with the question blocks run as Dask tasks on ``client``'s cluster.

    The pool and its norms are scattered to every worker once; each task is a plain
    :func:`scan` over ``blocks_per_task * block_size`` questions, so every block is the
    very block the local pass computes and the output is identical.
    """
    from ..geometry.graph import _distributed

    distributed = _distributed()
    n = len(queries)
    step = block_size * max(1, int(blocks_per_task))
    pool_f = client.scatter(np.ascontiguousarray(scorer.pool), broadcast=True)
    norms_f = client.scatter(np.asarray(scorer.norms), broadcast=True)
    futures = {}
    for q0 in range(0, n, step):
        q1 = min(n, q0 + step)
        kwargs = {
            "exclude": exclude[q0:q1],
            "answers": answers[q0:q1],
            "answer_guess": answer_guess[q0:q1],
            "bad": bad,
            "topk": topk,
            "sketch": sketch,
            "block_size": block_size,
            "progress": False,
        }
        f = client.submit(
            _scan_task, scorer.method, pool_f, norms_f, queries[q0:q1], kwargs, pure=False
        )
        futures[f] = (q0, q1)
    parts = {}
    try:
        done = distributed.as_completed(futures, with_results=True)
        for f, part in _progress(
            done, total=len(futures), desc="analogies", unit="task", enabled=progress
        ):
            parts[futures[f]] = part
    finally:
        client.cancel([*futures, pool_f, norms_f])
    order = sorted(parts)
    fields = ("top_scores", "top_rows", "n_above", "answer_scores", "sketch_top", "sketch_hist")
    if not order:  # no questions: the local pass builds the empty output
        return scan(
            scorer,
            queries,
            exclude=exclude,
            answers=answers,
            answer_guess=answer_guess,
            bad=bad,
            topk=topk,
            sketch=sketch,
            block_size=block_size,
            progress=False,
        )
    merged = {}
    for name in fields:
        pieces = [getattr(parts[k], name) for k in order]
        merged[name] = None if pieces[0] is None else np.concatenate(pieces, axis=0)
    return ScanOutput(**merged)
