"""neighbor_graph: blocked on this machine, identical on a Dask LocalCluster; geomlab graph."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

import geomlab
from geomlab.cli import main


@pytest.fixture(scope="module")
def head(glove):
    return glove.head(20_000)


def test_rows_match_nearest(head):
    words = ["king", "frog", "monday", "paris", "seven"]
    idx, scores = geomlab.neighbor_graph(head, k=10, words=words)
    assert idx.shape == (5, 10) and idx.dtype == np.int32 and scores.dtype == np.float32
    for w, row, s in zip(words, idx, scores):
        nb = geomlab.nearest(head, w, k=10)
        assert tuple(head.words[j] for j in row) == nb.words
        np.testing.assert_allclose(s, nb.scores, rtol=1e-6, atol=1e-6)
        assert head.index(w) not in row  # the word itself is excluded


def test_whole_small_vocabulary_by_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 8)).astype(np.float32)
    vectors[7] = 0  # a zero row scores 0 against everything and is never NaN
    emb = geomlab.Embeddings([f"w{i}" for i in range(300)], vectors)
    idx, scores = geomlab.neighbor_graph(emb, k=4, block_size=64)
    unit = emb.unit()
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    expect = np.argsort(-sim, axis=1, kind="stable")[:, :4]
    ok = np.arange(300) != 7  # row 7's neighbors are all ties at 0
    np.testing.assert_array_equal(idx[ok], expect[ok])
    np.testing.assert_allclose(
        scores, np.take_along_axis(sim, idx.astype(np.int64), axis=1), atol=1e-6
    )
    assert np.all(scores[7] == 0)


def test_k_is_clipped_to_the_other_words(tiny):
    idx, _ = geomlab.neighbor_graph(tiny, k=50)
    assert idx.shape == (5, 4)
    assert all(sorted(row) == sorted(set(range(5)) - {i}) for i, row in enumerate(idx.tolist()))


def test_dot_metric_and_block_size_do_not_change_the_answer(head):
    sub = head.head(3000)
    a = geomlab.neighbor_graph(sub, k=5, metric="dot", block_size=1024)
    b = geomlab.neighbor_graph(sub, k=5, metric="dot", block_size=97)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    raw = sub.vectors @ sub.vectors.T
    np.fill_diagonal(raw, -np.inf)
    np.testing.assert_allclose(a[1][:, 0], raw.max(axis=1), rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"metric": "l2"}, "metric must be one of"),
        ({"block_size": 0}, "block_size must be a positive integer"),
    ],
)
def test_bad_parameters(tiny, kwargs, match):
    with pytest.raises(geomlab.ParameterError, match=match):
        geomlab.neighbor_graph(tiny, **kwargs)


def test_unknown_word_and_one_word_vocabulary(tiny):
    with pytest.raises(geomlab.UnknownWordError, match="'kinq' is not in the vocabulary"):
        geomlab.neighbor_graph(tiny, words=["kinq"])
    with pytest.raises(geomlab.ParameterError, match="at least 2 words"):
        geomlab.neighbor_graph(tiny.head(1))


def test_missing_dask_names_the_extra(tiny, monkeypatch):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "distributed", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(geomlab.MissingDependencyError, match=r"geomlab\[dask\]"):
        geomlab.neighbor_graph(tiny, client=object())


def test_dask_local_cluster_gives_the_identical_graph(head):
    distributed = pytest.importorskip("distributed")
    # every 5th of the first 20,000 words as queries, against all 20,000: 16 tasks
    words = head.words[::5]
    local = geomlab.neighbor_graph(head, k=10, words=words, block_size=256)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = geomlab.neighbor_graph(head, k=10, words=words, block_size=256, client=client)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(remote[0], local[0])
    np.testing.assert_array_equal(remote[1], local[1])


# -- the command ---------------------------------------------------------------------------
def test_cli_writes_the_graph(tmp_path, capsys):
    out = tmp_path / "sub" / "graph.npz"
    words = tmp_path / "words.txt"
    words.write_text("king\n\nfrog\nking\n", encoding="utf-8")
    assert (
        main(
            ["graph", "--k", "3", "--limit", "20000", "--words-file", str(words), "--out", str(out)]
        )
        == 0
    )
    assert "3 nearest neighbors of 2 words (vocabulary 20,000)" in capsys.readouterr().out
    g = np.load(out)
    assert g["indices"].shape == (2, 3) and g["scores"].shape == (2, 3)
    assert len(g["words"]) == 20000 and int(g["k"]) == 3 and str(g["metric"]) == "cosine"
    queries = [str(w) for w in g["words"][g["rows"]]]
    assert queries == ["king", "frog"]
    assert [str(w) for w in g["words"][g["indices"][1]]] == ["snake", "monkey", "spider"]
    assert [p.name for p in out.parent.iterdir()] == ["graph.npz"]  # no temporary left


def test_cli_whole_vocabulary_json(tmp_path, capsys):
    out = tmp_path / "g.npz"
    assert main(["graph", "--limit", "2000", "--k", "2", "--out", str(out), "--json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert info["queries"] == 2000 and info["k"] == 2 and info["exact"] is True
    g = np.load(out)
    np.testing.assert_array_equal(g["rows"], np.arange(2000))


def test_cli_bad_k_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["graph", "--k", "0", "--out", str(tmp_path / "g.npz")])
    assert exc.value.code == 2
    assert "expected a positive integer, got '0'" in capsys.readouterr().err


def test_cli_unwritable_out_fails_before_computing(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["graph", "--out", str(blocker / "g.npz")]) == 1
    assert "geomlab: error: cannot create folder" in capsys.readouterr().err
    assert main(["graph", "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_cli_unknown_word_in_words_file(tmp_path, capsys):
    words = tmp_path / "w.txt"
    words.write_text("kinq\n")
    assert main(["graph", "--words-file", str(words), "--out", str(tmp_path / "g.npz")]) == 1
    assert "'kinq' is not in the vocabulary. Did you mean 'king'" in capsys.readouterr().err


def test_cli_help_mentions_the_file_layout(capsys):
    with pytest.raises(SystemExit):
        main(["graph", "--help"])
    out = capsys.readouterr().out
    assert "--scheduler" in out and "indices  (n, k) int32" in out
