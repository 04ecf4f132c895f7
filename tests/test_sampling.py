"""sample: greedy, temperature, top-k and nucleus, seeded."""

import numpy as np
import pytest

import geomlab
from geomlab import ParameterError, ShapeError
from geomlab.scoring.sampling import Samples, sample
from geomlab.scoring.softmax import softmax

Z = np.array([9.2, 1.4, 0.8, -4.7])
WORDS = ["paris", "london", "berlin", "tokyo"]


def test_greedy_is_the_argmax():
    s = sample(Z, n=3)
    assert isinstance(s, Samples)
    np.testing.assert_array_equal(s.indices, [0, 0, 0])
    assert s.words is None and s.support == 1
    assert sample([1.0, 3.0, 3.0]).indices[0] == 1  # ties: the first
    assert sample(Z, words=WORDS).words == ("paris",)


@pytest.mark.parametrize(
    "method, opts", [("temperature", {}), ("top_k", {"k": 2}), ("top_p", {"p": 0.9})]
)
def test_seeded_draws_are_reproducible(method, opts):
    a = sample(Z, method=method, temperature=5.0, n=50, seed=7, **opts)
    b = sample(Z, method=method, temperature=5.0, n=50, seed=7, **opts)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.seed == 7 and a.method == method and len(a) == 50
    g = sample(Z, method=method, temperature=5.0, n=50, seed=np.random.default_rng(7), **opts)
    np.testing.assert_array_equal(g.indices, a.indices)


def test_temperature_draws_follow_the_distribution():
    z = np.array([1.0, 0.0, -1.0])
    s = sample(z, method="temperature", n=20000, seed=1)
    freq = np.bincount(s.indices, minlength=3) / 20000
    np.testing.assert_allclose(freq, softmax(z), atol=0.015)
    cold = sample(z, method="temperature", temperature=1e-3, n=100, seed=1)
    assert set(cold.indices.tolist()) == {0}


def test_top_k_keeps_the_k_best():
    s = sample(Z, method="top_k", k=2, temperature=100.0, n=500, seed=0, words=WORDS)
    assert set(s.words) == {"paris", "london"} and s.support == 2
    assert set(sample(Z, method="top_k", k=10, temperature=100, n=500, seed=0).indices) == {
        0,
        1,
        2,
        3,
    }


def test_top_p_keeps_the_nucleus():
    z = np.log([0.5, 0.3, 0.15, 0.05])
    s = sample(z, method="top_p", p=0.8, n=1000, seed=3)
    assert set(s.indices.tolist()) == {0, 1} and s.support == 2
    assert sample(z, method="top_p", p=0.81, n=1000, seed=3).support == 3
    assert sample(z, method="top_p", p=0.1, n=10, seed=3).support == 1
    assert sample(z, method="top_p", p=1.0, n=10, seed=3).support == 4


def test_mask_is_never_drawn():
    s = sample(
        Z, method="temperature", temperature=50, n=500, seed=0, mask=[False, True, True, True]
    )
    assert 0 not in s.indices
    assert sample(Z, mask=[False, True, True, True]).indices[0] == 1


def test_record_output():
    s = sample(Z, method="top_k", k=2, n=3, seed=0, words=WORDS)
    assert [r["draw"] for r in s.rows()] == [1, 2, 3]
    assert "word" in s.rows()[0]
    assert '"method": "top_k"' in s.to_json()


def test_bad_arguments():
    with pytest.raises(ParameterError, match=r"method must be one of greedy, temperature"):
        sample(Z, method="beam")
    with pytest.raises(ParameterError, match=r"method='top_k' needs k, a positive integer"):
        sample(Z, method="top_k")
    with pytest.raises(ParameterError, match=r"method='top_k' needs k.*got k=0"):
        sample(Z, method="top_k", k=0)
    with pytest.raises(ParameterError, match=r"method='top_p' needs p with 0 < p <= 1; got p=1.5"):
        sample(Z, method="top_p", p=1.5)
    with pytest.raises(ParameterError, match=r"k is for method='top_k' only"):
        sample(Z, method="temperature", k=3)
    with pytest.raises(ParameterError, match=r"p is for method='top_p' only"):
        sample(Z, p=0.5)
    with pytest.raises(ParameterError, match=r"n must be a positive integer, got 0"):
        sample(Z, n=0)
    with pytest.raises(ParameterError, match=r"seed must be a non-negative integer"):
        sample(Z, method="temperature", seed=-1)
    with pytest.raises(ShapeError, match=r"one vector of logits, got shape \(2, 4\)"):
        sample([Z, Z])
    with pytest.raises(ParameterError, match=r"temperature must be a positive finite number"):
        sample(Z, method="temperature", temperature=float("nan"))
    with pytest.raises(ParameterError, match=r"logits must be finite"):
        sample([1.0, float("inf")])


def test_public_name():
    assert geomlab.sample is sample
