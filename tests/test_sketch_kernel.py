"""The compiled sketch pass gives exactly what the numpy formulation gives.

The numpy formulation (bins by ``_bins``, ``bincount``, a running top-M by ``_TopM``, a
count above the answer) is the reference; the compiled one must match it bit for bit:
histograms, counts, the top values and, for the best candidates, their rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from geomlab.evaluation import _scan
from geomlab.evaluation._sketch_kernel import sketch_tile
from geomlab.geometry._compiled import heaps
from geomlab.geometry._topk import best_first

NEG = np.float32(-np.inf)


def _reference(tiles, lo, hi, nbins, m, guess):
    b = tiles[0].shape[0]
    tracker = _scan._TopM(b, m)
    hist = np.zeros((b, nbins), dtype=np.int64)
    above = np.zeros(b, dtype=np.int64)
    c0 = 0
    for s in tiles:
        tracker.update(s, c0)
        fin = np.isfinite(s)
        for i in range(b):
            hist[i] += np.bincount(_scan._bins(s[i][fin[i]], lo, hi, nbins), minlength=nbins)
        above += (s > guess[:, None]).sum(axis=1)
        c0 += s.shape[1]
    vals, cols = tracker.sorted()
    return hist, above, vals, cols


def _compiled(tiles, lo, hi, nbins, m, guess):
    b = tiles[0].shape[0]
    heap = heaps(b, m)
    hist = np.zeros((b, nbins), dtype=np.int64)
    above = np.zeros(b, dtype=np.int64)
    args = (np.float32(lo), np.float32(nbins / (hi - lo)), np.float32(nbins - 1))
    c0 = 0
    for s in tiles:
        sketch_tile(np.ascontiguousarray(s), c0, *args, guess, hist, above, *heap)
        c0 += s.shape[1]
    vals, cols = best_first(*heap[:2])
    return hist, above, vals, cols


def _tiles(rng, b, widths, *, ties=False, clip=False, masked=0.0):
    out = []
    for w in widths:
        s = rng.uniform(-0.6, 0.9, size=(b, w)).astype(np.float32)
        if ties:  # few distinct values: ties everywhere, also at the heap's boundary
            s = np.round(s * 8) / 8
        if clip:  # scores outside the histogram's range go to the end bins
            s[:, ::7] *= 3
        if masked:
            s[rng.random(s.shape) < masked] = NEG
        out.append(s.astype(np.float32))
    return out


@pytest.mark.parametrize(
    "widths, m, kw",
    [
        ((300, 300, 17), 16, {}),
        ((64, 64), 8, {"ties": True}),
        ((100, 5), 32, {"clip": True, "masked": 0.3}),
        ((3,), 8, {"masked": 0.5}),  # fewer candidates than the heap holds
        ((50, 50), 4, {"masked": 1.0}),  # every candidate excluded
    ],
)
def test_compiled_sketch_equals_numpy(widths, m, kw):
    rng = np.random.default_rng(len(widths) * 100 + m)
    b = 6
    tiles = _tiles(rng, b, widths, **kw)
    guess = rng.uniform(0.0, 0.5, size=b).astype(np.float32)
    ref = _reference(tiles, -1.0, 1.0, 64, m, guess)
    got = _compiled(tiles, -1.0, 1.0, 64, m, guess)
    np.testing.assert_array_equal(got[0], ref[0])  # histograms of every finite score
    np.testing.assert_array_equal(got[1], ref[1])  # counts above the answer
    np.testing.assert_array_equal(got[2], ref[2])  # the top M values, best first
    # the best candidate's row: the lowest row among equal best scores (_TopM may keep any
    # of them when more than M tie, so this is checked against the whole row)
    full = np.concatenate(tiles, axis=1)
    best = np.isfinite(ref[2][:, 0])
    np.testing.assert_array_equal(got[3][best, 0], full.argmax(axis=1)[best])
    assert (got[3][~np.isfinite(got[2])] == -1).all()


def test_ties_keep_the_earlier_row():
    # three candidates share the best score: the heap keeps the lowest rows, best first
    s = np.array([[0.1, 0.5, 0.5, 0.2, 0.5]], dtype=np.float32)
    got = _compiled([s[:, :2], s[:, 2:]], -1.0, 1.0, 8, 2, np.zeros(1, np.float32))
    assert got[2][0].tolist() == [0.5, 0.5]
    assert got[3][0].tolist() == [1, 2]
