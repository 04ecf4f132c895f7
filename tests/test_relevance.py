import numpy as np
import pytest

import geomlab
from geomlab import ParameterError, Relevance, UnknownWordError

KINQ = r"'kinq' is not in the vocabulary\. Did you mean 'king'"


def test_dot_is_the_raw_dot_product(tiny):
    r = geomlab.relevance(tiny, "king", ["queen", "man", "apple"])
    assert isinstance(r, Relevance) and r.metric == "dot" and not r.sorted
    assert r.words == ("queen", "man", "apple")
    np.testing.assert_allclose(r.scores, [0.0, 1.5, 0.0])
    assert r.scores.dtype == np.float32
    assert r["man"] == pytest.approx(1.5)


def test_cosine_and_zero_vectors():
    emb = geomlab.Embeddings(["x", "y", "zero", "xy"], [[1, 0], [0, 2], [0, 0], [3, 3]])
    r = geomlab.relevance(emb, "x", metric="cosine")
    assert r.words == emb.words
    np.testing.assert_allclose(r.scores, [1, 0, 0, np.sqrt(0.5)], rtol=1e-6)
    r = geomlab.relevance(emb, [0.0, 0.0], ["x", "zero"], metric="cosine")  # zero query
    np.testing.assert_array_equal(r.scores, [0, 0])


def test_whole_vocabulary_default_matches_the_matrix_product(glove):
    r = geomlab.relevance(glove, "paris")
    assert r.words is glove.words and r.scores.shape == (len(glove),)
    np.testing.assert_allclose(r.scores[:100], glove.vectors[:100] @ glove["paris"], rtol=1e-5)
    text = str(r)
    assert text.count("\n") < 30 and "399,980 more" in text


def test_sort_and_expressions(glove):
    r = geomlab.relevance(glove, "france", ["tokyo", "berlin", "paris"], sort=True)
    assert r.sorted and r.words[0] == "paris"
    assert list(r.scores) == sorted(r.scores, reverse=True)
    assert [row["rank"] for row in r.rows()] == [1, 2, 3]
    q = geomlab.relevance(glove, "king - man + woman", ["queen", "banana"], metric="cosine")
    assert q.scores[0] > q.scores[1]
    v = geomlab.vector(glove, "king - man + woman")
    cos = glove["queen"] @ v / np.linalg.norm(glove["queen"]) / np.linalg.norm(v)
    np.testing.assert_allclose(q.scores[0], cos, rtol=1e-5)
    assert geomlab.relevance(glove, "paris", "france").words == ("france",)


def test_bad_input(tiny, glove):
    with pytest.raises(
        ParameterError, match="candidates must name at least one word, got an empty list"
    ):
        geomlab.relevance(tiny, "king", [])
    with pytest.raises(UnknownWordError, match="'pear' is not in the vocabulary"):
        geomlab.relevance(tiny, "king", ["queen", "pear"])
    with pytest.raises(UnknownWordError, match=KINQ):
        geomlab.relevance(glove, "kinq", ["queen"])
    with pytest.raises(ParameterError, match="metric must be one of 'cosine', 'dot'; got 'euclid'"):
        geomlab.relevance(tiny, "king", metric="euclid")


def test_exports(tiny):
    r = geomlab.relevance(tiny, "king", ["queen", "man"])
    assert r.to_dict()["words"] == ["queen", "man"]
    assert r.to_csv().splitlines()[0] == "word,score"
