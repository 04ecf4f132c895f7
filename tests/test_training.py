"""Training dynamics: the unembedding gradient against finite differences, descent on real
hidden states, the held-out split, and word2vec snapshots that repeat exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import geomlab
from geomlab.training.unembedding import _split, unembedding_loss_grad

ROOT = Path(__file__).resolve().parent.parent
TEXT = "the cat sat on the mat and the hat sat in the tree " * 4


# -- the gradient ---------------------------------------------------------------------------


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(6, 3))
    u = rng.normal(size=(5, 3))
    y = np.array([0, 3, 3, 1, 4, 0])
    _, grad = unembedding_loss_grad(h, y, u)
    eps = 1e-6
    fd = np.zeros_like(u)
    for idx in np.ndindex(u.shape):
        up, down = u.copy(), u.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (unembedding_loss_grad(h, y, up)[0] - unembedding_loss_grad(h, y, down)[0]) / (
            2 * eps
        )
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    # a token that is never the answer is only pushed away: its gradient is p-weighted h
    assert not np.allclose(grad[2], 0)


def test_loss_is_geomlabs_cross_entropy_even_for_tiny_probabilities():
    h = np.array([[1.0, 0.0], [0.0, 1.0], [30.0, 0.0]])
    u = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    y = np.array([0, 1, 2])  # the last answer has p ~ e^-60: read by cross_entropy itself
    loss, _ = unembedding_loss_grad(h, y, u)
    expected = float(np.mean(geomlab.cross_entropy(h @ u.T, y)))
    assert loss == pytest.approx(expected, rel=1e-12)
    assert loss > 19  # (60 + ...) / 3: not capped by the 1e-6 shortcut


def test_loss_grad_checks_shapes():
    with pytest.raises(geomlab.ShapeError, match="same width"):
        unembedding_loss_grad(np.zeros((2, 3)), [0, 1], np.zeros((4, 2)))
    with pytest.raises(geomlab.ShapeError, match="targets must be 2 token ids"):
        unembedding_loss_grad(np.zeros((2, 3)), [0], np.zeros((4, 3)))


# -- descent on a model's hidden states (the tiny GGUF: fast) -------------------------------


@pytest.fixture(scope="module")
def tiny_lm(tiny_gguf):
    return geomlab.load_lm(tiny_gguf, cache=False)


def test_held_out_split_is_disjoint_and_follows_training(tiny_lm):
    (_h_tr, y_tr), (h_te, y_te), (train, held) = _split(tiny_lm, TEXT, 20, 10)
    assert set(train.tolist()).isdisjoint(held.tolist())
    assert held.min() == train.max() + 1 and len(train) == 20 and len(held) == 10
    ids = tiny_lm.encode(TEXT)[:31]
    hidden = tiny_lm.forward(ids, logits="none").hidden
    np.testing.assert_allclose(h_te, hidden[20:30], rtol=1e-6)
    np.testing.assert_array_equal(y_tr, ids[1:21])
    np.testing.assert_array_equal(y_te, ids[21:31])


def test_loss_decreases_on_training_text(tiny_lm):
    r = geomlab.train_unembedding(
        tiny_lm, TEXT, tokens=30, held_out=10, steps=8, lr=0.05, watch=(" the",), k=3
    )
    assert np.all(np.diff(r.train_loss) < 0)
    assert r.train_positions == (0, 30) and r.held_out_positions == (30, 40)
    assert r.train_loss.shape == r.held_out_loss.shape == (9,)
    assert r.band_curves.shape == (9, 5) and r.watched_curves.shape == (9, 1)
    # the row of the most frequent answer moved, one that never answered barely did
    assert r.movement[r.counts.argmax()] > 10 * np.median(r.movement[r.counts == 0])
    assert r.watched[0]["count"] == int(r.counts[tiny_lm.encode(" the")[0]])
    assert len(r.watched[0]["neighbors_after"]) == 3
    d = json.loads(r.to_json())
    assert d["curve"][0]["train_loss"] == pytest.approx(r.train_loss[0])
    assert "train loss" in str(r)


@pytest.mark.parametrize("dual", [False, True], ids=["primal", "dual"])
def test_descent_is_plain_gradient_descent_in_float64(tiny_lm, dual, monkeypatch):
    # train_unembedding runs the descent on the rows (primal) or, where it is cheaper, on
    # the logits (dual: moved by K (P - Y) products); either way its losses, movements and
    # rows are those of U <- U - lr (P - Y)^T H / n, here in float64 from
    # unembedding_loss_grad
    import geomlab.training.unembedding as un

    monkeypatch.setattr(un, "_dual_is_cheaper", lambda *shape: dual)
    steps, lr = 6, 0.5
    r = geomlab.train_unembedding(
        tiny_lm, TEXT, tokens=30, held_out=10, steps=steps, lr=lr, watch=(" the", " t"), k=3
    )
    (h_tr, y_tr), (h_te, y_te), _ = _split(tiny_lm, TEXT, 30, 10)
    h_tr, h_te = h_tr.astype(np.float64), h_te.astype(np.float64)
    u0 = np.asarray(tiny_lm.unembedding, dtype=np.float64)
    u, train, held, moves = u0.copy(), [], [], []
    for s in range(steps + 1):
        loss, grad = unembedding_loss_grad(h_tr, y_tr, u)
        train.append(loss)
        held.append(unembedding_loss_grad(h_te, y_te, u)[0])
        moves.append(np.linalg.norm(u - u0, axis=1))
        if s < steps:
            u -= lr * grad
    assert train[-1] < train[0] - 0.1  # the rate moves the rows far enough to matter
    np.testing.assert_allclose(r.train_loss, train, rtol=1e-5)
    np.testing.assert_allclose(r.held_out_loss, held, rtol=1e-5)
    moves = np.array(moves)
    scale = moves[-1].max()
    np.testing.assert_allclose(r.movement, moves[-1], rtol=1e-3, atol=1e-4 * scale)
    ids = [tiny_lm.encode(t)[0] for t in (" the", " t")]
    np.testing.assert_allclose(r.watched_curves, moves[:, ids], rtol=1e-3, atol=1e-4 * scale)
    # the rows after the descent: the watched tokens' nearest rows as float64 gives them
    cos = (u @ u[ids[0]]) / (np.linalg.norm(u, axis=1) * np.linalg.norm(u[ids[0]]))
    cos[ids[0]] = -np.inf
    words = tiny_lm.embeddings.words
    assert r.watched[0]["neighbors_after"] == [words[i] for i in np.argsort(-cos)[:3]]


def test_the_dual_form_where_it_is_cheaper():
    from geomlab.training.unembedding import _dual_is_cheaper

    assert _dual_is_cheaper(768, 512, 576)  # the report's run on SmolLM2
    assert not _dual_is_cheaper(3000, 2000, 576)  # a long text
    assert not _dual_is_cheaper(40, 30, 16)  # the tiny model


def test_unembedding_runs_repeat_exactly(tiny_lm):
    kw = {"tokens": 30, "held_out": 10, "steps": 4, "lr": 0.05, "watch": ()}
    a = geomlab.train_unembedding(tiny_lm, TEXT, **kw)
    b = geomlab.train_unembedding(tiny_lm, TEXT, **kw)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    np.testing.assert_array_equal(a.movement, b.movement)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"lr": 0.0}, "lr must be a positive finite number"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"tokens": 500}, "the text has .* tokens; tokens=500"),
        ({"watch": ("the cat sat",)}, "is [0-9]+ tokens for this model"),
    ],
)
def test_unembedding_bad_arguments(tiny_lm, kw, match):
    with pytest.raises(geomlab.ParameterError, match=match):
        geomlab.train_unembedding(
            tiny_lm, TEXT, **{"tokens": 20, "held_out": 10, "watch": (), **kw}
        )


# -- the real model --------------------------------------------------------------------------


def test_real_unembedding_frequent_rows_move_more(lm):
    r = geomlab.train_unembedding(lm, tokens=32, held_out=8, steps=2, lr=0.02)
    assert r.train_loss[-1] < r.train_loss[0]
    means = {b["band"]: b["mean_movement"] for b in r.band_movement}
    assert means["0"] < means["1"]  # a row that was never the answer moves least
    assert r.spearman > 0
    assert [w["token"] for w in r.watched] == list(geomlab.training.unembedding.DEFAULT_WATCH)


# -- word2vec --------------------------------------------------------------------------------


def test_corpus_sentences():
    assert geomlab.training.corpus_sentences("Call me Ishmael.\n\n Some years ago") == [
        ["call", "me", "ishmael"],
        ["some", "years", "ago"],
    ]
    assert len(geomlab.training.corpus_sentences()) > 50  # the shipped chapters


def test_word2vec_snapshots_every_epoch(glove):
    r = geomlab.train_word2vec(epochs=3, reference=glove)
    n = len(r.words)
    assert r.snapshots.shape == (4, n, 50)
    assert np.isnan(r.loss[0]) and np.all(r.loss[1:] > 0)
    assert r.analogy_questions > 50 and r.accuracy.shape == r.mrr.shape == (4,)
    assert not np.array_equal(r.snapshots[0], r.snapshots[1])
    assert r.counts[0] >= r.counts[-1] >= r.min_count  # gensim's order: most frequent first
    assert [b["band"] for b in r.bands] == ["<5", "5-19", "20-99", "100+"]
    assert sum(b["words"] for b in r.bands) <= n
    sea = next(x for x in r.neighbors if x["word"] == "sea")
    assert len(sea["neighbors"]) == 4 and "sea" not in sea["neighbors"][-1]
    assert r.embeddings(0).vectors.shape == (n, 50)
    assert json.loads(r.to_json())["epochs"] == 3


def test_word2vec_bad_arguments():
    with pytest.raises(geomlab.ParameterError, match="sample must be in"):
        geomlab.train_word2vec(sample=1.5)
    with pytest.raises(geomlab.ParameterError, match="only [0-9]+ words occur"):
        geomlab.train_word2vec("ab cd ef ab cd ef", min_count=2)


W2V_CODE = """
import hashlib, geomlab, numpy as np
e = geomlab.Embeddings(["x"], np.ones((1, 2), dtype=np.float32))
r = geomlab.train_word2vec(epochs=2, reference=geomlab.load(), words=())
print(hashlib.sha256(r.snapshots.tobytes()).hexdigest(), float(r.loss[-1]))
"""


def test_word2vec_repeats_in_a_new_process(glove):
    r = geomlab.train_word2vec(epochs=2, reference=glove, words=())
    import hashlib

    here = f"{hashlib.sha256(r.snapshots.tobytes()).hexdigest()} {float(r.loss[-1])}"
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run(
        [sys.executable, "-c", W2V_CODE],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")[-2]
    assert out == here


# -- the command line ------------------------------------------------------------------------


def test_cli_train_unembedding_json(tiny_gguf, tmp_path, capsys):
    from geomlab.cli import main

    text = tmp_path / "t.txt"
    text.write_text(TEXT, encoding="utf-8")
    assert (
        main(
            [
                "train",
                "unembedding",
                str(text),
                "--model",
                str(tiny_gguf),
                "--tokens",
                "20",
                "--held-out",
                "10",
                "--steps",
                "3",
                "--lr",
                "0.05",
                "--watch",
                " the",
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["steps"] == 3 and len(d["curve"]) == 4 and d["watched"][0]["token"] == " the"
    assert d["curve"][-1]["train_loss"] < d["curve"][0]["train_loss"]


def test_cli_train_word2vec(capsys):
    from geomlab.cli import main

    assert main(["train", "word2vec", "--epochs", "1", "--words", "sea", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["epochs"] == 1 and len(d["curve"]) == 2 and d["neighbors"][0]["word"] == "sea"
    assert main(["train", "word2vec", "--epochs", "1", "--words", "sea"]) == 0
    assert "word2vec (skip-gram" in capsys.readouterr().out


def test_cli_train_errors(capsys):
    from geomlab.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "unembedding", "--lr", "0"])
    assert exc.value.code == 2
    assert "expected a positive finite number" in capsys.readouterr().err
    assert main(["train", "word2vec", "--min-count", "100000"]) == 1
    assert "k=10 neighbors need more" in capsys.readouterr().err


UNEMBEDDING_CODE = """
import hashlib, sys, geomlab
lm = geomlab.load_lm(sys.argv[1], cache=False)
r = geomlab.train_unembedding(lm, sys.argv[2], tokens=30, held_out=10, steps=4, lr=0.05,
                              watch=())
h = hashlib.sha256(r.train_loss.tobytes() + r.held_out_loss.tobytes() + r.movement.tobytes())
print(h.hexdigest())
"""


def test_unembedding_repeats_in_a_new_process(tiny_lm, tiny_gguf):
    import hashlib

    r = geomlab.train_unembedding(tiny_lm, TEXT, tokens=30, held_out=10, steps=4, lr=0.05, watch=())
    here = hashlib.sha256(
        r.train_loss.tobytes() + r.held_out_loss.tobytes() + r.movement.tobytes()
    ).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "321"}
    out = subprocess.run(
        [sys.executable, "-c", UNEMBEDDING_CODE, str(tiny_gguf), TEXT],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.split("\n")[-2] == here


def test_neighbor_agreement_counts_shared_indices():
    from geomlab.training.word2vec import _agreement

    a = np.array([[0, 1, 2], [3, 4, 5], [9, 0, 4]])
    b = np.array([[2, 1, 9], [6, 7, 8], [4, 9, 0]])
    np.testing.assert_array_equal(_agreement(a, b), [2 / 3, 0, 1])
    rng = np.random.default_rng(0)
    a, b = (np.array([rng.choice(50, 7, replace=False) for _ in range(40)]) for _ in range(2))
    want = [len(set(x) & set(y)) / 7 for x, y in zip(a.tolist(), b.tolist())]
    np.testing.assert_array_equal(_agreement(a, b), want)
