"""The model's fast paths against plain float64 numpy: blocked and chunked forward passes,
float32 scoring of next-token logits, the unembedding's one-pass loss and softmax."""

from __future__ import annotations

import numpy as np
import pytest

import geomlab
from geomlab.lm import analysis, model
from geomlab.training.unembedding import _nll_softmax

TEXT = "the cat sat on the mat and the hat sat in the tree, " * 3


@pytest.fixture(scope="module")
def tiny_lm(tiny_gguf):
    return geomlab.load_lm(tiny_gguf, cache=False)


def _binned(rest, lo, hi, bins):
    """Each row's histogram of ``rest``, the bin arithmetic written out in numpy."""
    return np.array(
        [
            np.bincount(
                np.clip(((r - lo) * (bins / (hi - lo))).astype(np.int32), 0, bins - 1),
                minlength=bins,
            )
            for r in rest
        ]
    )


def test_blocks_and_chunks_give_the_whole_pass(tiny_lm, monkeypatch):
    ids = tiny_lm.encode(TEXT)[:40]
    whole = tiny_lm.forward(ids, residuals=True, attentions=True)  # one block, one chunk
    monkeypatch.setattr(model, "_ROWS", 7)
    monkeypatch.setattr(model, "_CHUNK", 5)
    parts = tiny_lm.forward(ids, residuals=True, attentions=True)
    np.testing.assert_allclose(parts.logits, whole.logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(parts.residuals, whole.residuals, rtol=1e-5, atol=1e-5)
    for layer, w in parts.attentions.items():
        np.testing.assert_allclose(w, whole.attentions[layer], atol=1e-6)
        assert np.all(np.triu(w, k=1) == 0)  # no query sees a later key
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-5)
    # packed sequences and the KV cache take the same chunks
    many = tiny_lm.forward_many([ids[:13], ids[13:40]], logits="all")
    np.testing.assert_allclose(many[1].logits, tiny_lm.forward(ids[13:40]).logits, atol=1e-4)
    cache = model.KVCache.empty(tiny_lm.config, 64)
    tiny_lm.forward(ids[:17], cache=cache)
    rest = tiny_lm.forward(ids[17:40], cache=cache)
    np.testing.assert_allclose(rest.logits, whole.logits[17:], rtol=1e-5, atol=1e-4)


def _score_float64(z, targets):
    z = z.astype(np.float64)
    idx = np.arange(len(targets))
    m = z.max(axis=1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    zt = z[idx, targets]
    return lse - zt, 1 + (z > zt[:, None]).sum(axis=1), z.argmax(axis=1), np.exp(m - lse)


def test_float32_scoring_is_the_float64_one(monkeypatch):
    rng = np.random.default_rng(3)
    z = (rng.normal(size=(40, 5000)) * 6).astype(np.float32)
    z[:, 7] = z[:, 9] = z.max(axis=1) + 1  # tied best: the first is the argmax
    targets = rng.integers(0, 5000, size=40)
    targets[:3] = 9
    nll, p, ranks, pred, conf, zt, top, hist = analysis._score_block(z, targets, True)
    want_nll, want_ranks, want_pred, want_conf = _score_float64(z, targets)
    np.testing.assert_allclose(nll, want_nll, rtol=0, atol=1e-6)
    np.testing.assert_allclose(conf, want_conf, rtol=1e-6)
    np.testing.assert_allclose(p, np.exp(-want_nll), rtol=1e-6)
    np.testing.assert_array_equal(ranks, want_ranks)
    np.testing.assert_array_equal(pred, want_pred)
    assert np.all(pred == 7) and np.all(zt == z[np.arange(40), targets])
    # the sketch: the exact top logits, best first, and a histogram of all the others
    k, (lo, hi), bins = analysis.SKETCH_TOP, analysis.SKETCH_RANGE, analysis.SKETCH_BINS
    np.testing.assert_array_equal(top, -np.sort(-z, axis=1)[:, :k])
    rest = -np.sort(-z, axis=1)[:, k:]
    np.testing.assert_array_equal(hist, _binned(rest, lo, hi, bins))


def test_unembedding_one_pass_is_cross_entropy_and_softmax():
    rng = np.random.default_rng(4)
    z64 = rng.normal(size=(30, 3000)) * 8
    y = rng.integers(0, 3000, size=30)
    want_nll = geomlab.cross_entropy(z64, y)
    want_p = geomlab.softmax(z64)
    z = z64.copy()
    np.testing.assert_allclose(_nll_softmax(z, y, probs=True), want_nll, rtol=1e-12)
    np.testing.assert_array_equal(z, want_p)  # float64: the public function's arithmetic
    z32 = z64.astype(np.float32)
    np.testing.assert_allclose(
        _nll_softmax(z32, y, probs=True),
        geomlab.cross_entropy(z64.astype(np.float32).astype(np.float64), y),
        atol=1e-5,
    )
    np.testing.assert_allclose(z32, want_p, atol=1e-6)


def test_logit_lens_layers_grouped_in_one_product(tiny_lm, monkeypatch):
    from geomlab.lm import inside

    grouped = geomlab.logit_lens(tiny_lm, TEXT[:30])  # every layer's rows in one product
    monkeypatch.setattr(inside, "_LENS_ROWS", 1)  # one product per layer
    alone = geomlab.logit_lens(tiny_lm, TEXT[:30])
    np.testing.assert_array_equal(grouped.top_ids, alone.top_ids)
    np.testing.assert_allclose(grouped.top_probs, alone.top_probs, rtol=1e-5)
    np.testing.assert_allclose(grouped.entropy, alone.entropy, rtol=1e-5)
    # the last block is unembedded alone either way, as the forward pass does it
    np.testing.assert_array_equal(grouped.top_probs[-1], alone.top_probs[-1])
    z = tiny_lm.forward(tiny_lm.encode(TEXT[:30])).logits.astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(
        grouped.top_probs[-1], (p / p.sum(1, keepdims=True)).max(1), rtol=1e-12
    )


def test_sketch_bins_at_and_past_the_range_ends():
    """The bins clipped as floats before truncation are the bins truncated then clipped."""
    (lo, hi), bins = analysis.SKETCH_RANGE, analysis.SKETCH_BINS
    width = (hi - lo) / bins
    edges = np.array(
        [
            lo - 1e6,
            lo - 5,
            lo - width / 2,
            lo,
            lo + width / 2,
            0.0,
            hi - width / 2,
            hi,
            hi + width / 2,
            hi + 7,
            3e5,
            -0.0,
        ],
        np.float32,
    )
    rng = np.random.default_rng(5)
    z = np.concatenate([np.tile(edges, (6, 1)), rng.uniform(lo - 3, hi + 3, (6, 400))], axis=1)
    z = z.astype(np.float32)
    top, hist = analysis._sketch_block(z)
    k = analysis.SKETCH_TOP
    rest = -np.sort(-z, axis=1)[:, k:]
    np.testing.assert_array_equal(hist, _binned(rest, lo, hi, bins))
    np.testing.assert_array_equal(top, -np.sort(-z, axis=1)[:, :k])
    assert hist.sum() == z.size - z.shape[0] * k
