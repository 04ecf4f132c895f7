import numpy as np
import pytest

import geomlab
from geomlab import ParameterError, ShapeError, UnknownWordError
from geomlab.geometry.directions import Offsets, offsets

KINQ = r"'kinq' is not in the vocabulary\. Did you mean 'king'"


def test_project_and_reject_on_plain_vectors():
    np.testing.assert_allclose(geomlab.project(None, [3.0, 4.0], [2.0, 0.0]), [3, 0])
    np.testing.assert_allclose(geomlab.reject(None, [3.0, 4.0], [2.0, 0.0]), [0, 4])
    many = np.array([[1, 1], [2, -1]], np.float32)
    np.testing.assert_allclose(geomlab.project(None, many, [0.0, 5.0]), [[0, 1], [0, -1]])


def test_project_plus_reject_is_the_vector_and_reject_is_orthogonal(glove):
    d = geomlab.direction(glove, [("man", "woman"), ("he", "she")])
    v = glove["nurse"]
    p, r = geomlab.project(glove, "nurse", d), geomlab.reject(glove, "nurse", d)
    np.testing.assert_allclose(p + r, v, atol=1e-5)
    assert abs(float(r @ d)) < 1e-5
    assert p.dtype == np.float32 and p.shape == (50,)
    # words as the direction; the whole matrix at once
    np.testing.assert_allclose(
        geomlab.project(glove, "king", "queen"),
        (glove["king"] @ glove["queen"]) / (glove["queen"] @ glove["queen"]) * glove["queen"],
        rtol=1e-5,
    )
    rej = geomlab.reject(glove, glove.vectors[:1000], d)
    assert rej.shape == (1000, 50) and np.abs(rej @ d).max() < 1e-4


def test_direction_is_the_mean_offset(tiny):
    d = geomlab.direction(tiny, [("king", "queen"), ("man", "woman")], normalize=False)
    np.testing.assert_allclose(d, [0, -2, 0])
    np.testing.assert_allclose(geomlab.direction(tiny, [("king", "queen")]), [0, -1, 0])
    np.testing.assert_allclose(geomlab.direction(tiny, ("king", "queen")), [0, -1, 0])


def test_offset_consistency(tiny, glove):
    # king->queen and man->woman are exactly parallel in the tiny set
    parallel = [("king", "queen"), ("man", "woman")]
    assert geomlab.offset_consistency(tiny, parallel) == pytest.approx(1)
    opposite = [("king", "queen"), ("woman", "man")]
    assert geomlab.offset_consistency(tiny, opposite) == pytest.approx(-1)
    pairs = [("man", "woman"), ("king", "queen"), ("he", "she"), ("boy", "girl")]
    off = offsets(glove, pairs)
    assert isinstance(off, Offsets) and off.cosines.shape == (4, 4)
    diffs = np.array([glove[b] - glove[a] for a, b in pairs], dtype=np.float64)
    unit = diffs / np.linalg.norm(diffs, axis=1, keepdims=True)
    cos = unit @ unit.T
    assert off.consistency == pytest.approx(cos[np.triu_indices(4, 1)].mean(), rel=1e-6)
    assert geomlab.offset_consistency(glove, pairs) == pytest.approx(off.consistency)
    assert 0.4 < off.consistency < 0.9  # parallel-ish, far from 1: the honest figure
    assert [r["a"] for r in off.rows()] == ["man", "king", "he", "boy"]
    # an unrelated pair lowers it and is the odd one out
    odd = offsets(glove, pairs + [("apple", "democracy")])
    assert odd.consistency < off.consistency and int(np.argmin(odd.per_pair)) == 4


def test_bad_input(tiny, glove):
    with pytest.raises(ParameterError, match="direction has zero length"):
        geomlab.project(None, [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ParameterError, match=r"a word \('king'\) needs the embeddings"):
        geomlab.project(None, "king", [1.0, 0.0])
    with pytest.raises(ShapeError, match=r"query shape \(3,\) and direction shape \(2,\)"):
        geomlab.project(None, [1.0, 2.0, 3.0], [1.0, 0.0])
    with pytest.raises(ParameterError, match="at least one \\(a, b\\) pair, got an empty list"):
        geomlab.direction(tiny, [])
    with pytest.raises(
        ParameterError, match=r"each pair must be \(a, b\), two words; got \('king',\)"
    ):
        geomlab.direction(tiny, [("king",)])
    with pytest.raises(ParameterError, match="mean offset is zero"):
        geomlab.direction(tiny, [("king", "king")])
    with pytest.raises(ParameterError, match="needs at least two pairs, got 1"):
        geomlab.offset_consistency(tiny, [("king", "queen")])
    with pytest.raises(UnknownWordError, match=KINQ):
        geomlab.direction(glove, [("kinq", "queen")])
