"""The approximate (hnswlib) index: recall@10 against the exact answer, always reported."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

import geomlab
from geomlab.cli import main

hnswlib = pytest.importorskip("hnswlib")
from geomlab.geometry.ann import AnnIndex, ApproxNeighbors, ann_index


@pytest.fixture(scope="module")
def index(glove) -> AnnIndex:
    # the first 50,000 words; a light build keeps the test quick (recall stays high)
    return ann_index(glove.head(50_000), M=12, ef_construction=80, ef=64, recall_sample=300)


def test_recall_at_10_on_the_first_50k_words(index):
    assert index.recall_sample == 300
    assert index.recall >= 0.95
    # an independent check on other words: the exact answer from neighbor_graph
    words = index.emb.words[1000:50_000:997]
    exact, _ = geomlab.neighbor_graph(index.emb, k=10, words=words)
    approx, _ = index.graph(k=10, words=words)
    found = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx.tolist(), exact.tolist())])
    assert found >= 0.95
    assert index.measure_recall(words) == pytest.approx(found)


def test_every_answer_reports_the_recall(index):
    nb = index.nearest("frog", k=5)
    assert isinstance(nb, ApproxNeighbors)
    assert nb.recall == index.recall and nb.ef == 64 and nb.recall_sample == 300
    assert nb.words[:3] == geomlab.nearest(index.emb, "frog", k=3).words
    assert "frog" not in nb.words and nb.excluded == ("frog",)
    assert "recall@10" in str(nb) and "recall@10" in nb.summary()
    batch = index.nearest(["king - man + woman", "paris"], k=3, exclude=["prince"])
    assert batch[0].words[0] == "queen" and "prince" not in batch[0].words
    assert batch[1].excluded == ("paris", "prince")


def test_smaller_ef_is_measured_again(index):
    high = index.recall
    index.ef = 10
    try:
        assert index.recall <= high
        assert "ef=10" in repr(index)
        assert index.nearest("king", k=10).ef == 10  # k above ef still answers k words
        assert len(index.nearest("king", k=20)) == 20
    finally:
        index.ef = 64


def test_graph_excludes_the_word_itself(index):
    idx, scores = index.graph(k=5, words=["king", "monday"])
    assert idx.shape == (2, 5) and idx.dtype == np.int32
    assert index.emb.index("king") not in idx[0]
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"M": 0}, "M must be a positive integer"),
        ({"ef": 0}, "ef must be a positive integer"),
        ({"recall_sample": -1}, "recall_sample must be a positive integer"),
    ],
)
def test_bad_parameters(tiny, kwargs, match):
    with pytest.raises(geomlab.ParameterError, match=match):
        ann_index(tiny, **kwargs)


def test_missing_hnswlib_names_the_extra(tiny, monkeypatch):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "hnswlib":
            raise ImportError("No module named 'hnswlib'")
        return real(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "hnswlib", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(geomlab.MissingDependencyError, match=r"geomlab\[ann\]"):
        ann_index(tiny)


def test_cli_graph_ann_reports_recall(tmp_path, capsys):
    out = tmp_path / "g.npz"
    assert main(["graph", "--ann", "--limit", "3000", "--k", "5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "approximate (hnswlib, ef=64): recall@10" in text
    assert np.load(out)["indices"].shape == (3000, 5)
