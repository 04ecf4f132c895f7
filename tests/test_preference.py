"""preference: geometry becomes preference, on hand-made vectors and on the embedded GloVe."""

import itertools
import json
import math

import numpy as np
import pytest

import geomlab
from geomlab import ParameterError, UnknownWordError
from geomlab.geometry.preference import Preference, preference
from geomlab.scoring.losses import cross_entropy, entropy
from geomlab.scoring.softmax import softmax

CAPITALS = ["paris", "london", "berlin", "madrid", "rome", "tokyo"]


# -- the tiny hand-checkable set (conftest: king, queen, man, woman, apple) ----------------------
def test_tiny_dot_products(tiny):
    pref = preference(tiny, "king", ["queen", "man", "apple"], target="man")
    # king = (1, 1, 0): dots 0, 1.5, 0
    np.testing.assert_allclose(pref.logits, [0.0, 1.5, 0.0])
    np.testing.assert_allclose(pref.probs, softmax([0.0, 1.5, 0.0]))
    assert pref.words == ("queen", "man", "apple")
    assert pref.target_rank == 1 and pref.n == 3
    assert pref.cross_entropy == pytest.approx(cross_entropy([0.0, 1.5, 0.0], 1))
    assert pref.entropy == pytest.approx(entropy(softmax([0.0, 1.5, 0.0])))
    assert pref.prob("queen") == pytest.approx(pref.probs[0])
    assert cross_entropy(pref, "man") == pytest.approx(pref.cross_entropy)


def test_tiny_cosine_and_temperature(tiny):
    pref = preference(tiny, "king", ["queen", "man"], metric="cosine", temperature=0.5)
    norms = np.linalg.norm(tiny.vectors, axis=1)
    cos = [0.0, (0.5 + 1.0) / (norms[0] * norms[2])]
    np.testing.assert_allclose(pref.logits, cos, rtol=1e-6)
    np.testing.assert_allclose(pref.probs, softmax(cos, temperature=0.5), rtol=1e-6)
    assert pref.metric == "cosine" and pref.temperature == 0.5


def test_whole_vocabulary_excludes_query_words(tiny):
    pref = preference(tiny, "king - man + woman", target="queen")
    assert pref.words == tiny.words and pref.excluded == ("king", "man", "woman")
    assert pref.n == 2
    np.testing.assert_array_equal(pref.probs[[0, 2, 3]], 0.0)
    # queen = king - man + woman exactly: (1, -1, 0) . (1, -1, 0) = 2; apple scores 0
    assert pref.probs[1] == pytest.approx(softmax([2.0, 0.0])[0])
    assert pref.target_rank == 1
    assert math.isclose(pref.probs.sum(), 1.0)


def test_analogy_tuple_and_vector_queries(tiny):
    a = preference(tiny, ("man", "king", "woman"))
    b = preference(tiny, "king - man + woman")
    np.testing.assert_allclose(a.logits, b.logits)
    assert set(a.excluded) == set(b.excluded) == {"king", "man", "woman"}
    assert str(a).startswith("king - man + woman -> 2 candidates")
    assert preference(tiny, ["man", "king", "woman"]).summary()["query"] == "king - man + woman"
    v = preference(tiny, np.array([1.0, -1.0, 0.0]), ["queen", "apple"])
    np.testing.assert_allclose(v.logits, [2.0, 0.0])
    assert "<vector>" in str(v)


def test_exclude(tiny):
    pref = preference(tiny, "king", ["queen", "man", "apple"], exclude=["man"])
    assert pref.excluded == ("man",) and pref.probs[1] == 0.0 and pref.n == 2
    whole = preference(tiny, "king", exclude=["apple"])
    assert whole.excluded == ("king", "apple")
    # candidates keep the query word unless excluded
    assert preference(tiny, "king", ["king", "queen"]).excluded == ()


def test_rows_table_and_html(tiny):
    # king = (1, 1, 0): man 1.5, queen 0, woman -0.5
    pref = preference(tiny, "king", ["man", "queen", "woman"], target="woman", top=1)
    rows = pref.rows()
    assert [r["word"] for r in rows] == ["man", "woman"]  # the top 1, then the target
    assert [r["rank"] for r in rows] == [1, 3] and pref.target_rank == 3
    text = str(pref)
    assert "king -> 3 candidates (dot, T = 1)" in text
    assert "█" in text and "<- target" in text and "   ..." in text
    assert "target woman: rank 3" in text
    page = pref._repr_html_()
    assert "<table>" in page and "woman" in page and "width:" in page
    data = json.loads(pref.to_json())
    assert data["target_rank"] == 3 and len(data["rows"]) == 2 and "words" not in data
    assert pref.top_mass == pytest.approx(pref.probs[0])
    assert pref.top_k_mass(2) == pytest.approx(pref.probs[:2].sum())
    assert pref.top_k_mass(9) == pytest.approx(1.0)
    assert "rank,word,score,prob" in pref.to_csv()


def test_tied_scores_share_a_rank(tiny):
    # queen and apple both score 0 against king
    pref = preference(tiny, "king", ["queen", "man", "apple"], target="apple")
    assert pref.target_rank == 2
    assert preference(tiny, "king", ["queen", "man", "apple"], target="queen").target_rank == 2


def test_bad_arguments(tiny):
    with pytest.raises(ParameterError, match=r"target 'apple' is excluded \(it is in exclude\)"):
        preference(tiny, "king", ["queen", "apple"], exclude=["apple"], target="apple")
    with pytest.raises(ParameterError, match=r"target 'king' is excluded \(it is a word of the"):
        preference(tiny, "king", target="king")
    with pytest.raises(ParameterError, match=r"target 'woman' is not among the candidates"):
        preference(tiny, "king", ["queen", "apple"], target="woman")
    with pytest.raises(UnknownWordError, match=r"'kinq' is not in the vocabulary"):
        preference(tiny, "king", target="kinq")
    with pytest.raises(UnknownWordError, match=r"'pear'"):
        preference(tiny, "king", ["queen", "pear"])
    with pytest.raises(UnknownWordError, match=r"'pear'"):
        preference(tiny, "king", exclude=["pear"])
    with pytest.raises(ParameterError, match=r"candidates must be a list of words, got the str"):
        preference(tiny, "king", "queen")
    with pytest.raises(ParameterError, match=r"candidates must hold at least one word"):
        preference(tiny, "king", [])
    with pytest.raises(ParameterError, match=r"candidates must be distinct; 'queen' appears"):
        preference(tiny, "king", ["queen", "man", "queen"])
    with pytest.raises(ParameterError, match=r"temperature must be a positive finite number"):
        preference(tiny, "king", ["queen"], temperature=0)
    with pytest.raises(ParameterError, match=r"metric must be one of 'cosine', 'dot'; got 'l2'"):
        preference(tiny, "king", ["queen"], metric="l2")
    with pytest.raises(ParameterError, match=r"top must be a positive integer, got 0"):
        preference(tiny, "king", ["queen"], top=0)
    with pytest.raises(ParameterError, match=r"an analogy query is a tuple \(a, b, c\)"):
        preference(tiny, ("man", "king"))
    with pytest.raises(ParameterError, match=r"the query vector is zero"):
        preference(tiny, "king - king", ["queen"], metric="cosine")
    with pytest.raises(ParameterError, match=r"every candidate is excluded"):
        preference(tiny, "king", ["queen"], exclude=["queen"])
    with pytest.raises(ParameterError, match=r"target must be a word, got int 3"):
        preference(tiny, "king", ["queen"], target=3)


def test_record_is_frozen(tiny):
    pref = preference(tiny, "king", ["queen", "man"])
    assert isinstance(pref, Preference)
    with pytest.raises(AttributeError):
        pref.temperature = 2.0
    with pytest.raises(ValueError):
        pref.logits[0] = 1.0


# -- the embedded GloVe 6B 50d ---------------------------------------------------------------------
def test_france_prefers_paris(glove):
    pref = preference(glove, "france", CAPITALS, target="paris")
    assert pref.target_rank == 1 and pref.target_prob > 0.99
    scores = dict(zip(pref.words, pref.logits))
    assert scores["paris"] == pytest.approx(26.6, abs=0.05)
    others = [scores[w] for w in ("london", "berlin", "madrid", "rome")]
    assert min(others) > 16.7 and max(others) < 19.7
    assert pref.cross_entropy == pytest.approx(-math.log(pref.target_prob))
    # entropy rises with T, the top-1 falls
    prefs = [
        preference(glove, "france", CAPITALS, target="paris", temperature=t)
        for t in (0.5, 1, 2, 5, 20, 100)
    ]
    h = [p.entropy for p in prefs]
    assert all(a < b for a, b in itertools.pairwise(h)) and h[-1] < math.log(6)
    tp = [p.target_prob for p in prefs]
    assert all(a > b for a, b in itertools.pairwise(tp))


def test_whole_vocabulary_on_glove(glove):
    pref = preference(glove, "france", target="paris")
    assert len(pref.words) == len(glove) and pref.n == len(glove) - 1
    assert pref.probs[glove.index("france")] == 0.0
    assert math.isclose(pref.probs.sum(), 1.0, rel_tol=1e-9)
    # one matrix-vector product: the same logits as the explicit product
    np.testing.assert_allclose(pref.logits, glove.vectors @ glove["france"], rtol=1e-6)
    p_paris = pref.prob("paris")
    assert pref.target_prob == p_paris
    assert pref.target_rank == 1 + int(
        np.sum(pref.logits[pref.mask] > pref.logits[glove.index("paris")])
    )
    assert len(pref.rows()) == 10 or pref.target_rank > 10
    analogy = preference(glove, ("man", "king", "woman"), metric="cosine", target="queen")
    assert analogy.rows()[0]["word"] == "queen" and analogy.target_rank == 1
    assert set(analogy.excluded) == {"man", "king", "woman"}


def test_public_names():
    assert geomlab.preference is preference
    assert geomlab.Preference is Preference
