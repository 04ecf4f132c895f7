"""Hidden states computed once and read twice: score_text, calibrate_text and
train_unembedding given states already computed give the figures of a plain run, and the
report's calibration and training sections share one pass (the tiny GGUF: fast)."""

from __future__ import annotations

import numpy as np
import pytest

import geomlab
from geomlab.report.sections import Context, _common
from geomlab.report.sections import training as training_section

TEXT = "the cat sat on the mat and the hat sat in the tree, then the hat fell in " * 3


@pytest.fixture(scope="module")
def tiny_lm(tiny_gguf):
    return geomlab.load_lm(tiny_gguf, cache=False)


def _same_score(a, b):
    for name in ("ids", "nll", "probs", "ranks", "predicted", "confidence", "logits"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.sketch_top, b.sketch_top)
    np.testing.assert_array_equal(a.sketch_hist, b.sketch_hist)


def test_score_text_reads_the_first_window_from_given_states(tiny_lm):
    ids = tiny_lm.encode(TEXT)
    assert len(ids) > 3 * 24  # several windows of 24 tokens
    plain = geomlab.score_text(tiny_lm, TEXT, window=24, sketch=True)
    first = tiny_lm.forward(ids[:24], logits="none").hidden
    given = geomlab.score_text(tiny_lm, TEXT, window=24, sketch=True, hidden=first)
    _same_score(given, plain)
    # states of a longer prefix serve too (the model is causal): equal up to rounding
    longer = tiny_lm.forward(ids[:40], logits="none").hidden
    again = geomlab.score_text(tiny_lm, TEXT, window=24, sketch=True, hidden=longer)
    np.testing.assert_allclose(again.nll, plain.nll, rtol=1e-5, atol=1e-5)
    # the states are really read: other states give other figures
    wrong = geomlab.score_text(tiny_lm, TEXT, window=24, hidden=first[::-1].copy())
    assert not np.allclose(wrong.nll[:23], plain.nll[:23])
    np.testing.assert_array_equal(wrong.nll[23:], plain.nll[23:])  # later windows are run


def test_score_text_checks_given_states(tiny_lm):
    ids = tiny_lm.encode(TEXT)
    h = tiny_lm.forward(ids[:24], logits="none").hidden
    with pytest.raises(geomlab.ShapeError, match="at least the first 24 tokens"):
        geomlab.score_text(tiny_lm, TEXT, window=24, hidden=h[:20])
    with pytest.raises(geomlab.ShapeError, match="at least the first 24 tokens"):
        geomlab.score_text(tiny_lm, TEXT, window=24, hidden=h[:, :8])
    with pytest.raises(geomlab.ParameterError, match="floating point"):
        geomlab.score_text(tiny_lm, TEXT, window=24, hidden=h.astype(np.int64))


def test_calibrate_text_takes_scored_documents(tiny_lm):
    texts = [TEXT, "a hat in the tree and the cat on the mat " * 2]
    plain = geomlab.calibrate_text(tiny_lm, texts, window=24, n_bins=10)
    scored = geomlab.score_text(tiny_lm, texts[0], window=24, sketch=True)
    mixed = geomlab.calibrate_text(tiny_lm, [scored, texts[1]], window=24, n_bins=10)
    assert mixed.to_json() == plain.to_json()
    alone = geomlab.calibrate_text(tiny_lm, scored, n_bins=10)
    assert alone.documents == 1 and alone.tokens == scored.n_scored
    with pytest.raises(geomlab.ParameterError, match="sketch=True"):
        geomlab.calibrate_text(tiny_lm, [geomlab.score_text(tiny_lm, TEXT, window=24)])
    with pytest.raises(geomlab.ParameterError, match="non-empty list of str"):
        geomlab.calibrate_text(tiny_lm, [3])


KW = {"tokens": 30, "held_out": 10, "steps": 3, "lr": 0.05, "watch": (" the",), "k": 3}


def test_train_unembedding_reads_given_states(tiny_lm):
    ids = tiny_lm.encode(TEXT)
    plain = geomlab.train_unembedding(tiny_lm, TEXT, **KW)
    own = tiny_lm.forward(ids[:41], logits="none").hidden  # the pass the run itself makes
    given = geomlab.train_unembedding(tiny_lm, TEXT, **KW, hidden=own)
    assert given.to_json() == plain.to_json()
    np.testing.assert_array_equal(given.movement, plain.movement)
    # only the 40 predicting positions are read; a longer prefix's states serve too
    longer = tiny_lm.forward(ids[:60], logits="none").hidden
    again = geomlab.train_unembedding(tiny_lm, TEXT, **KW, hidden=longer)
    np.testing.assert_allclose(again.train_loss, plain.train_loss, rtol=1e-5)
    np.testing.assert_allclose(again.held_out_loss, plain.held_out_loss, rtol=1e-5)
    with pytest.raises(geomlab.ShapeError, match="at least the first 40 tokens"):
        geomlab.train_unembedding(tiny_lm, TEXT, **KW, hidden=own[:39])


def test_report_sections_share_one_pass(tiny_lm, monkeypatch):
    """The calibration window's states feed the training section; the model runs once."""
    monkeypatch.setattr(_common, "LM_WINDOW", 60)
    monkeypatch.setattr("geomlab.lm.calibration.corpus", lambda: {_common.LM_DOCUMENT: TEXT})
    ctx = Context(emb=None)
    ctx.shared["lm"] = tiny_lm
    calls = []
    forward = tiny_lm.forward
    monkeypatch.setattr(tiny_lm, "forward", lambda *a, **k: calls.append(1) or forward(*a, **k))
    ids, hidden = _common.lm_first_window(ctx)
    assert len(ids) == 60 and hidden.shape == (60, tiny_lm.config.d_model)
    kw = {"tokens": 30, "held_out": 10}
    states = training_section._first_states(ctx, tiny_lm, TEXT, kw)
    assert len(calls) == 1  # computed once, read by both
    np.testing.assert_array_equal(states, hidden[:40])
    own = forward(ids[:41], logits="none").hidden[:40]  # what the section ran before
    np.testing.assert_allclose(states, own, rtol=1e-5, atol=1e-5)
    # a text the window does not start with gets no borrowed states
    assert training_section._first_states(ctx, tiny_lm, "hat " + TEXT, kw) is None
    assert (
        training_section._first_states(ctx, tiny_lm, TEXT, {"tokens": 50, "held_out": 20}) is None
    )


def test_polysemy_passes_stop_after_the_word(tiny_lm, monkeypatch):
    """The packed passes end at the word's last token in the second copy: the states read
    are those of whole-sentence passes (the model is causal)."""
    from geomlab.evaluation.polysemy import Probe
    from geomlab.lm import polysemy

    probes = [
        Probe("hat", "a", "the hat sat in a tree", ("cat", "mat")),
        Probe("hat", "b", "in the hat a cat", ("tree", "in")),
        Probe("cat", "a", "a cat in the tree", ("hat", "the")),
        Probe("cat", "b", "the cat sat on it", ("a", "tan")),
    ]
    seen = []
    many = tiny_lm.forward_many

    def spy(seqs, **kw):
        seen.extend(len(s) for s in seqs)
        return many(seqs, **kw)

    monkeypatch.setattr(tiny_lm, "forward_many", spy)
    ev = polysemy.evaluate_polysemy_lm(tiny_lm, probes, progress=False)
    whole = sum(len(tiny_lm.encode(f"{p.context} {p.context}")) for p in probes)
    assert sum(seen) < whole + sum(len(tiny_lm.encode(" ".join(p.indicators))) for p in probes)
    # every hit recomputed from whole-sentence passes, one per sentence
    hits, gaps = np.zeros_like(ev.hits), []
    for w, word in enumerate(ev.words):
        pair = [p for p in probes if p.word == word]
        inds = []
        for p in pair:
            st = tiny_lm.forward(tiny_lm.encode(" ".join(p.indicators)), residuals=True)
            inds.append(polysemy._unit_rows(tiny_lm.final_norm(st.residuals.mean(axis=1))))
        for i, p in enumerate(pair):
            for twice, st in enumerate(polysemy._both_readings(tiny_lm, word, p.context)):
                v = polysemy._unit_rows(tiny_lm.final_norm(st))
                own, other = (np.einsum("ld,ld->l", v, inds[j]) for j in (i, 1 - i))
                hits[w, twice] += own > other
                gaps.append(np.abs(own - other)[1:])  # block 0: the same embedding row
    assert np.concatenate(gaps).min() > 1e-5  # no near-tie that rounding could flip
    np.testing.assert_array_equal(ev.hits, hits)
