import numpy as np
import pytest

import geomlab
from geomlab import ParameterError, ShapeError, UnknownWordError
from geomlab.geometry.queries import is_batch, parse_query, query_words, resolve_many

KINQ = r"'kinq' is not in the vocabulary\. Did you mean 'king'"


def test_word_is_its_row_as_a_fresh_float32_copy(tiny):
    v = geomlab.vector(tiny, "king")
    np.testing.assert_array_equal(v, [1, 1, 0])
    assert v.dtype == np.float32 and v.shape == (3,)
    v[0] = 9  # a copy, not a view of the read-only matrix
    assert tiny["king"][0] == 1


def test_expression_is_the_weighted_sum(tiny):
    np.testing.assert_allclose(geomlab.vector(tiny, "king - man + woman"), [1, -1, 0])
    np.testing.assert_allclose(geomlab.vector(tiny, "0.5*apple + king"), [1, 1, 1])
    np.testing.assert_allclose(geomlab.vector(tiny, "-1.5 * apple"), [0, 0, -3])
    np.testing.assert_allclose(geomlab.vector(tiny, "king + king"), [2, 2, 0])


def test_vector_query(tiny):
    np.testing.assert_array_equal(geomlab.vector(tiny, [1, 2, 3]), [1, 2, 3])
    assert geomlab.vector(tiny, np.arange(3.0)).dtype == np.float32
    with pytest.raises(ShapeError, match=r"must have shape \(3,\).*got shape \(2,\)"):
        geomlab.vector(tiny, [1.0, 2.0])
    with pytest.raises(ShapeError, match=r"got shape \(1, 3\)"):
        geomlab.vector(tiny, np.ones((1, 3)))
    with pytest.raises(ParameterError, match="must be finite"):
        geomlab.vector(tiny, [1.0, np.nan, 0.0])
    with pytest.raises(ParameterError, match="a word, an expression or a vector, got NoneType"):
        geomlab.vector(tiny, None)


def test_unknown_words_raise_never_zero(glove, tiny):
    with pytest.raises(UnknownWordError, match=KINQ):
        geomlab.vector(glove, "kinq")
    with pytest.raises(UnknownWordError, match=r"'womn' is not in the vocabulary"):
        geomlab.vector(glove, "king - man + womn")
    with pytest.raises(UnknownWordError, match="'prince'"):
        geomlab.vector(tiny, "king - prince")


def test_parse_query_grammar():
    assert parse_query("king - man + woman") == [(1.0, "king"), (-1.0, "man"), (1.0, "woman")]
    assert parse_query("0.5*paris + berlin") == [(0.5, "paris"), (1.0, "berlin")]
    assert parse_query("-1.5 * x") == [(-1.5, "x")]
    assert parse_query("a + -2*b") == [(1.0, "a"), (-2.0, "b")]
    assert parse_query("king -man+woman") == [(1.0, "king"), (-1.0, "man"), (1.0, "woman")]
    assert parse_query("x-ray - 1e-1*y") == [(1.0, "x-ray"), (-0.1, "y")]
    assert parse_query("1990 + .5*2000") == [(1.0, "1990"), (0.5, "2000")]


@pytest.mark.parametrize(
    "text, why",
    [
        ("king +", "expected a word at position 6"),
        ("+", "expected a word"),
        ("a * b", "expected '\\+' or '-', found '\\*'"),
        ("a b", "expected '\\+' or '-', found 'b'"),
        ("2*", "expected a word"),
    ],
)
def test_malformed_expression_names_it(tiny, text, why):
    with pytest.raises(ParameterError, match=f"malformed query expression .*{why}"):
        parse_query(text)
    with pytest.raises(ParameterError, match="malformed query expression"):
        geomlab.vector(tiny, text)


def test_empty_query():
    with pytest.raises(ParameterError, match="at least one word, got ''"):
        parse_query("")


def test_a_vocabulary_word_wins_over_the_grammar():
    emb = geomlab.Embeddings(["-lrb-", "a"], np.eye(2))
    np.testing.assert_array_equal(geomlab.vector(emb, "-lrb-"), [1, 0])
    assert query_words(emb, "-lrb-") == ("-lrb-",)


def test_query_words(tiny):
    assert query_words(tiny, "king - man + woman + king") == ("king", "man", "woman")
    assert query_words(tiny, "apple") == ("apple",)
    assert query_words(tiny, np.zeros(3)) == ()


def test_batches(tiny):
    assert is_batch(["king", "queen"]) and is_batch(np.zeros((2, 3)))
    assert not is_batch([1.0, 2.0, 3.0]) and not is_batch("king") and not is_batch(np.zeros(3))
    mat, named = resolve_many(tiny, ["king", "man + woman", np.ones(3)])
    assert mat.shape == (3, 3) and named == [("king",), ("man", "woman"), ()]
    with pytest.raises(ParameterError, match="at least one query, got an empty list"):
        resolve_many(tiny, [])
