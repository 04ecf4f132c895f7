import numpy as np
import pytest

import geomlab
from geomlab import Embeddings, ParameterError, ShapeError, UnknownWordError


def test_basic_protocol(tiny):
    assert len(tiny) == 5 and tiny.dim == 3
    assert "king" in tiny and "prince" not in tiny
    assert tiny.index("woman") == 3
    np.testing.assert_array_equal(tiny["apple"], [0, 0, 2])
    assert tiny.vectors.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        tiny.vectors[0, 0] = 5
    with pytest.raises(ValueError, match="read-only"):
        tiny["king"][0] = 5


def test_norms_are_lazy_and_correct(tiny):
    np.testing.assert_allclose(
        tiny.norms, [np.sqrt(2), np.sqrt(2), np.sqrt(1.25), np.sqrt(1.25), 2]
    )
    assert tiny.norms is tiny.norms  # computed once
    np.testing.assert_allclose(np.linalg.norm(tiny.unit(), axis=1), 1, rtol=1e-6)


def test_zero_vector_unit_stays_zero():
    emb = Embeddings(["a", "b"], [[0, 0], [3, 4]])
    np.testing.assert_array_equal(emb.unit()[0], [0, 0])
    assert list(emb.zero_rows()) == [0]


def test_subset_and_head(tiny):
    sub = tiny.subset(["apple", "king"])
    assert sub.words == ("apple", "king")
    np.testing.assert_array_equal(sub["king"], tiny["king"])
    assert tiny.head(2).words == ("king", "queen")
    assert tiny.head(99).words == tiny.words
    with pytest.raises(ParameterError, match="n must be a positive integer, got 0"):
        tiny.head(0)
    with pytest.raises(UnknownWordError, match="'prince' is not in the vocabulary"):
        tiny.subset(["prince"])
    with pytest.raises(ParameterError, match="at least one word"):
        tiny.subset([])


def test_constructor_checks():
    with pytest.raises(ShapeError, match=r"2 words but vectors has shape \(3, 2\)"):
        Embeddings(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ShapeError, match="must be 2-D"):
        Embeddings(["a"], np.zeros(3))
    with pytest.raises(ParameterError, match="'a' appears more than once"):
        Embeddings(["a", "a"], np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="words must be strings"):
        Embeddings(["a", 3], np.zeros((2, 2)))


def test_unknown_word_is_keyerror_with_suggestion(glove):
    with pytest.raises(
        UnknownWordError, match=r"'kinq' is not in the vocabulary\. Did you mean 'king'"
    ) as info:
        glove["kinq"]
    assert isinstance(info.value, KeyError)
    assert info.value.word == "kinq"
    assert "king" in info.value.suggestions
    # case folding first
    assert glove.suggest("Paris")[0] == "paris"
    # nothing close: no suggestion, plain message
    with pytest.raises(UnknownWordError, match=r"is not in the vocabulary\.$"):
        glove["qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"]


def test_embedded_default(glove):
    assert len(glove) == 400_000 and glove.dim == 50
    assert glove.words[:4] == ("the", ",", ".", "of")
    assert glove.source == "glove-6b-50d"
    assert geomlab.load() is glove  # one object per process
    # words that look like special values stay strings
    for w in ("null", "nan", "true"):
        assert w in glove
    assert np.isfinite(glove.vectors).all()
    assert len(glove.zero_rows()) == 0


def test_gensim_round_trip(tiny):
    kv = tiny.to_gensim()
    assert list(kv.index_to_key) == list(tiny.words)
    np.testing.assert_array_equal(kv.vectors, tiny.vectors)
    back = Embeddings.from_gensim(kv)
    assert back.words == tiny.words
    np.testing.assert_array_equal(back.vectors, tiny.vectors)


def test_error_tree_importable():
    for name in (
        "GeomlabError",
        "UnknownWordError",
        "FormatError",
        "ParameterError",
        "ShapeError",
        "MissingDependencyError",
    ):
        assert issubclass(getattr(geomlab, name), geomlab.GeomlabError)
    assert issubclass(geomlab.FormatError, ValueError)
    assert issubclass(geomlab.MissingDependencyError, ImportError)
