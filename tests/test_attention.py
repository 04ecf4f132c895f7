"""Attention over a context and contextual neighbors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import geomlab
from geomlab.evaluation.polysemy import read_probes
from geomlab.geometry.attention import FUNCTION_WORDS, tokenize


@pytest.fixture()
def hand() -> geomlab.Embeddings:
    """2-d vectors whose attention is easy to work out on paper."""
    words = ["q", "a", "b", "c"]
    vectors = [[1.0, 0.0], [2.0, 0.0], [0.0, 2.0], [1.0, 1.0]]
    return geomlab.Embeddings(words, np.array(vectors, dtype=np.float32), source="hand")


# -- the arithmetic, by hand ---------------------------------------------------------------
def test_attend_by_hand(hand):
    # q.a = 2, q.b = 0, scale sqrt(2): logits [2/sqrt(2), 0] = [1.41421, 0]
    # weights: e^1.41421 = 4.11325; [4.11325, 1] / 5.11325 = [0.80443, 0.19557]
    # output: 0.80443 * (2, 0) + 0.19557 * (0, 2) = (1.60886, 0.39114)
    att = geomlab.attend(hand, "q", ["a", "b"])
    assert att.words == ("a", "b")
    assert att.scale == pytest.approx(math.sqrt(2))
    assert att.logits == pytest.approx([1.414214, 0.0], abs=1e-6)
    assert att.weights == pytest.approx([0.804429, 0.195571], abs=1e-6)
    assert att.output == pytest.approx([1.608859, 0.391141], abs=1e-6)
    assert att.weights.sum() == pytest.approx(1.0)
    assert not att.projected


def test_attend_temperature_by_hand(hand):
    # T = 0.5 doubles the logits: e^2.82843 = 16.9188; weights [16.9188, 1] / 17.9188
    att = geomlab.attend(hand, "q", ["a", "b"], temperature=0.5)
    assert att.logits == pytest.approx([1.414214, 0.0], abs=1e-6)  # stored before T
    assert att.weights == pytest.approx([0.944193, 0.055807], abs=1e-6)
    assert att.temperature == 0.5


def test_attend_three_keys_and_a_repeat(hand):
    # q.c = 1 -> logit 1/sqrt(2) = 0.70711; keys a, c, c: e^1.41421, e^0.70711 twice
    # = 4.11325, 2.02811, 2.02811 (sum 8.16947) -> 0.50349, 0.24825, 0.24825
    att = geomlab.attend(hand, "q", ["a", "c", "c"])
    assert att.weights == pytest.approx([0.503490, 0.248255, 0.248255], abs=1e-6)
    # output 0.50349*(2,0) + 0.49651*(1,1) = (1.50349, 0.49651)
    assert att.output == pytest.approx([1.503490, 0.496510], abs=1e-6)


def test_attend_projections_by_hand(hand):
    # Wq = Wk = [[1], [0]] (d_k = 1, keep the first coordinate); Wv swaps the coordinates
    wq = wk = np.array([[1.0], [0.0]])
    wv = np.array([[0.0, 1.0], [1.0, 0.0]])
    att = geomlab.attend(hand, "q", ["a", "b"], projections=(wq, wk, wv))
    # q' = 1, a' = 2, b' = 0, scale sqrt(1): logits [2, 0]; weights e^2 / (e^2 + 1) = 0.88080
    assert att.scale == 1.0
    assert att.logits == pytest.approx([2.0, 0.0])
    assert att.weights == pytest.approx([0.880797, 0.119203], abs=1e-6)
    # values swapped: a -> (0, 2), b -> (2, 0); output (0.23841, 1.76159)
    assert att.output == pytest.approx([0.238406, 1.761594], abs=1e-6)
    assert att.projected


def test_attend_vector_query_and_sentence(hand):
    att = geomlab.attend(hand, [0.0, 1.0], "A b")
    assert att.words == ("a", "b")
    # q.a = 0, q.b = 2: the mirror image of the first test
    assert att.weights == pytest.approx([0.195571, 0.804429], abs=1e-6)
    assert isinstance(att.query, np.ndarray)


def test_attention_record_exports(hand):
    att = geomlab.attend(hand, "q", ["a", "b"])
    d = json.loads(att.to_json())
    assert d["words"] == ["a", "b"] and len(d["weights"]) == 2
    assert "weight" in str(att) and att.rows()[0]["word"] == "a"
    assert att.to_csv().splitlines()[0] == "word,logit,weight"


# -- bad input -------------------------------------------------------------------------------
def test_attend_bad_input(hand):
    with pytest.raises(geomlab.ParameterError, match="at least one word"):
        geomlab.attend(hand, "q", [])
    with pytest.raises(geomlab.UnknownWordError, match="'zz' is not in the vocabulary"):
        geomlab.attend(hand, "q", ["a", "zz"])
    with pytest.raises(geomlab.ParameterError, match="temperature must be a positive"):
        geomlab.attend(hand, "q", ["a"], temperature=0)
    with pytest.raises(geomlab.ShapeError, match=r"Wk must have shape \(2, d\)"):
        geomlab.attend(hand, "q", ["a"], projections=(np.eye(2), np.eye(3), np.eye(2)))
    with pytest.raises(geomlab.ShapeError, match="same number of columns"):
        geomlab.attend(hand, "q", ["a"], projections=(np.eye(2), np.ones((2, 1)), np.eye(2)))
    with pytest.raises(geomlab.ParameterError, match="tuple \\(Wq, Wk, Wv\\)"):
        geomlab.attend(hand, "q", ["a"], projections=np.eye(2))
    with pytest.raises(geomlab.ShapeError, match=r"shape \(2,\)"):
        geomlab.attend(hand, [1.0, 0.0, 0.0], ["a"])
    with pytest.raises(geomlab.ParameterError, match="context words must be strings"):
        geomlab.attend(hand, "q", ["a", 3])


def test_tokenize():
    assert tokenize("The boat drifted to the muddy River bank.") == [
        "the",
        "boat",
        "drifted",
        "to",
        "the",
        "muddy",
        "river",
        "bank",
    ]
    assert tokenize("An x-ray of the U.S. economy, isn't it?") == [
        "an",
        "x-ray",
        "of",
        "the",
        "u.s.",
        "economy",
        "isn't",
        "it",
    ]
    assert tokenize("  ") == []
    assert {"the", "of", "and", "to"} <= FUNCTION_WORDS
    assert not {"interest", "fire", "bill", "river"} & FUNCTION_WORDS


# -- contextual neighbors on the embedded GloVe ----------------------------------------------
def test_bank_moves_to_the_named_sense(glove):
    river = geomlab.contextualize(glove, "bank", "the boat drifted to the muddy river bank")
    money = geomlab.contextualize(
        glove, "bank", "the bank approved loans and deposits at a low interest rate"
    )
    assert "shore" in river.words and "shore" not in river.static.words
    assert {"lending", "debt", "credit"} <= set(money.words)
    assert river.attention.words == ("boat", "drifted", "muddy", "river")
    assert river.attention.words[int(np.argmax(river.attention.weights))] == "river"
    for r in (river, money):
        assert "bank" not in r.words
        assert not set(r.attention.words) & set(r.words)  # context words are excluded
        assert set(r.neighbors.excluded) == {"bank", *r.attention.words}
        assert isinstance(r.neighbors, geomlab.Neighbors) and len(r.words) == 10


def _lean(emb, words, indicators) -> float:
    return float((emb.unit(emb.indices(words)) @ emb.unit(emb.indices(indicators)).T).mean())


# words whose both probe contexts lean the right way with the default settings
SHIFTED = ["bank", "apple", "crane", "tie", "mouse", "jaguar", "python", "cell", "suit", "organ"]


@pytest.mark.parametrize("word", SHIFTED)
def test_probe_contexts_lean_to_their_sense(glove, word):
    pair = [p for p in read_probes() if p.word == word]
    for own, other in (pair, pair[::-1]):
        r = geomlab.contextualize(glove, word, own.context)
        assert _lean(glove, r.words, own.indicators) > _lean(glove, r.words, other.indicators)


def test_context_weight_zero_gives_static_neighbors(glove):
    r = geomlab.contextualize(glove, "bank", "muddy river", context_weight=0)
    assert np.allclose(r.vector, glove["bank"])
    alone = tuple(w for w in r.static.words if w not in {"muddy", "river"})
    assert r.words[: len(alone)] == alone


def test_unknown_context_words_are_reported(glove):
    r = geomlab.contextualize(glove, "bank", ["Muddy", "zzqxv", "river", "qqzxw"], k=5)
    assert r.skipped == ("zzqxv", "qqzxw") and r.n_skipped == 2
    assert r.attention.words == ("muddy", "river")
    assert r.summary()["n_skipped"] == 2
    d = json.loads(r.to_json())
    assert d["skipped"] == ["zzqxv", "qqzxw"] and d["attention"]["words"] == ["muddy", "river"]


def test_function_words_can_be_kept(glove):
    r = geomlab.contextualize(glove, "bank", "the river bank", drop_function_words=False)
    assert r.attention.words == ("the", "river") and r.dropped == ("bank",)
    r = geomlab.contextualize(glove, "bank", "the river bank")
    assert r.attention.words == ("river",) and r.dropped == ("the", "bank")


def test_contextual_record_prints_side_by_side(glove):
    r = geomlab.contextualize(glove, "apple", "she baked an apple pie", k=3)
    text = str(r)
    assert "without_context" in text and "with_context" in text
    assert len(r.rows()) == 3
    assert r.to_csv().splitlines()[0] == "rank,without_context,score,with_context,score_in_context"


def test_contextualize_bad_input(glove):
    with pytest.raises(geomlab.UnknownWordError, match="Did you mean 'bank'"):
        geomlab.contextualize(glove, "bnak", "muddy river")
    with pytest.raises(geomlab.ParameterError, match="context must hold at least one word"):
        geomlab.contextualize(glove, "bank", "  ,, ")
    with pytest.raises(geomlab.ParameterError, match="context must hold at least one word"):
        geomlab.contextualize(glove, "bank", [])
    with pytest.raises(
        geomlab.ParameterError, match="none of the 2 context words is in the vocabulary"
    ):
        geomlab.contextualize(glove, "bank", "zzqxv qqzxw")
    with pytest.raises(geomlab.ParameterError, match="no context word is left"):
        geomlab.contextualize(glove, "bank", "the of bank")
    with pytest.raises(geomlab.ParameterError, match="context_weight must be"):
        geomlab.contextualize(glove, "bank", "river", context_weight=-1)
    with pytest.raises(geomlab.ParameterError, match="k must be a positive integer"):
        geomlab.contextualize(glove, "bank", "river", k=0)
    with pytest.raises(geomlab.ParameterError, match="context must be a sentence or a list"):
        geomlab.contextualize(glove, "bank", None)
