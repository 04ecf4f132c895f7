"""Cross-entropy, its gradient, entropy, KL divergence, perplexity and surprise."""

import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import geomlab
from geomlab import ParameterError, ShapeError
from geomlab.scoring.losses import (
    cross_entropy,
    cross_entropy_grad,
    entropy,
    kl_divergence,
    perplexity,
    surprise,
)
from geomlab.scoring.softmax import softmax

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False)


@st.composite
def logits_and_target(draw):
    n = draw(st.integers(2, 10))
    z = draw(arrays(np.float64, n, elements=finite))
    return z, draw(st.integers(0, n - 1))


@st.composite
def logits_and_distribution(draw):
    n = draw(st.integers(2, 8))
    z = draw(arrays(np.float64, n, elements=finite))
    w = draw(arrays(np.float64, n, elements=st.floats(0, 10)))
    if w.sum() == 0:
        w[0] = 1.0
    return z, w / w.sum()


@settings(max_examples=60, deadline=None)
@given(logits_and_target(), st.floats(0.1, 10))
def test_cross_entropy_is_minus_log_softmax(zt, t):
    z, target = zt
    ce = cross_entropy(z, target, temperature=t)
    assert ce == pytest.approx(-scipy.special.log_softmax(z / t)[target], rel=1e-9, abs=1e-9)
    assert ce >= 0


@settings(max_examples=40, deadline=None)
@given(logits_and_target(), st.floats(0.3, 5))
def test_gradient_matches_finite_differences(zt, t):
    z, target = zt
    grad = cross_entropy_grad(z, target, temperature=t)
    h = 1e-6
    numeric = np.array(
        [
            (
                cross_entropy(z + h * e, target, temperature=t)
                - cross_entropy(z - h * e, target, temperature=t)
            )
            / (2 * h)
            for e in np.eye(len(z))
        ]
    )
    np.testing.assert_allclose(grad, numeric, atol=1e-6)
    # p - 1 for the right class, p for the others (over T)
    p = softmax(z, temperature=t)
    assert grad[target] == pytest.approx((p[target] - 1) / t)
    assert grad.sum() == pytest.approx(0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(logits_and_distribution())
def test_soft_target_gradient_and_decomposition(zq):
    z, q = zq
    p = softmax(z)
    ce = cross_entropy(z, q)
    # cross-entropy = entropy + KL (excess surprise), exact to rounding
    assert ce == pytest.approx(entropy(q) + kl_divergence(q, p), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(z, q), p - q, atol=1e-15)
    h = 1e-6
    numeric = [
        (cross_entropy(z + h * e, q) - cross_entropy(z - h * e, q)) / (2 * h)
        for e in np.eye(len(z))
    ]
    np.testing.assert_allclose(cross_entropy_grad(z, q), numeric, atol=1e-6)


def test_decomposition_on_a_hand_example():
    q = np.array([0.7, 0.2, 0.1])
    z = np.array([2.0, 1.0, -1.0])
    ce = cross_entropy(z, q)
    h, kl = entropy(q), kl_divergence(q, softmax(z))
    assert ce == h + kl or abs(ce - (h + kl)) <= 4 * np.finfo(float).eps * ce
    # a one-hot target: H = 0, so cross-entropy is all KL
    assert cross_entropy(z, 0) == pytest.approx(kl_divergence([1.0, 0.0, 0.0], softmax(z)))


def test_batched_rows():
    z = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    ce = cross_entropy(z, [0, 2])
    np.testing.assert_allclose(ce, [-scipy.special.log_softmax(z[0])[0], math.log(3)])
    g = cross_entropy_grad(z, np.array([0, 2]))
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g[1], [1 / 3, 1 / 3, -2 / 3])
    np.testing.assert_allclose(cross_entropy(z, softmax(z)), entropy(softmax(z)))


def test_word_targets():
    words = ["paris", "london", "berlin"]
    z = [3.0, 1.0, 0.0]
    assert cross_entropy(z, "paris", words=words) == pytest.approx(cross_entropy(z, 0))
    zz = np.array([z, z])
    np.testing.assert_allclose(
        cross_entropy(zz, ["paris", "berlin"], words=words), cross_entropy(zz, [0, 2])
    )
    g = cross_entropy_grad(z, "london", words=words)
    assert g[1] == pytest.approx(softmax(z)[1] - 1)


def test_masked_target_costs_infinity():
    assert cross_entropy([1.0, 2.0, 3.0], 2, mask=[True, True, False]) == math.inf
    g = cross_entropy_grad([1.0, 2.0, 3.0], 0, mask=[True, True, False])
    assert g[2] == 0.0


def test_temperature_scales_gradient():
    z = [1.0, 0.0]
    np.testing.assert_allclose(
        cross_entropy_grad(z, 0, temperature=2.0), (softmax(z, temperature=2.0) - [1, 0]) / 2
    )


def test_entropy_kl_against_scipy():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(20), size=5)
    q = rng.dirichlet(np.ones(20), size=5)
    np.testing.assert_allclose(entropy(p), scipy.special.entr(p).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        kl_divergence(p, q), scipy.special.rel_entr(p, q).sum(axis=1), rtol=1e-12
    )
    assert entropy([0.5, 0.5, 0.0], unit="bits") == pytest.approx(1.0)
    assert entropy([1.0, 0.0]) == 0.0
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence(p[0], p[0]) == pytest.approx(0.0, abs=1e-15)


def test_perplexity_and_surprise():
    assert perplexity(entropy([0.25] * 4)) == pytest.approx(4.0)
    assert perplexity([math.log(2), math.log(8)]) == pytest.approx(4.0)
    assert perplexity(2.0, unit="bits") == pytest.approx(4.0)
    assert surprise(0.5, unit="bits") == 1.0
    np.testing.assert_allclose(surprise([1.0, math.exp(-2)]), [0.0, 2.0])
    assert surprise(0.0) == math.inf


def test_bad_targets():
    z = [1.0, 2.0, 3.0]
    with pytest.raises(ParameterError, match=r"target index must be in \[0, 3\), got 3"):
        cross_entropy(z, 3)
    with pytest.raises(ParameterError, match=r"target index must be in \[0, 3\), got -1"):
        cross_entropy(z, -1)
    with pytest.raises(ParameterError, match=r"logits come without words; pass words="):
        cross_entropy(z, "paris")
    with pytest.raises(ParameterError, match=r"'rome' is not among the 3 candidates"):
        cross_entropy(z, "rome", words=["paris", "london", "berlin"])
    with pytest.raises(ShapeError, match=r"2 words for logits of shape \(3,\)"):
        cross_entropy(z, "paris", words=["paris", "london"])
    with pytest.raises(ParameterError, match=r"target must be a class index, a word"):
        cross_entropy(z, True)
    with pytest.raises(ShapeError, match=r"target distribution must have the logits' shape"):
        cross_entropy(z, [0.5, 0.5])
    with pytest.raises(ParameterError, match=r"target must sum to 1"):
        cross_entropy(z, [0.5, 0.4, 0.4])
    with pytest.raises(ShapeError, match=r"one target per row"):
        cross_entropy([z, z], 0)
    with pytest.raises(ParameterError, match=r"temperature must be a positive finite number"):
        cross_entropy_grad(z, 0, temperature=0)


def test_bad_distributions():
    with pytest.raises(ParameterError, match=r"probs must hold probabilities in \[0, 1\], got 1.1"):
        entropy([1.1, -0.1])
    with pytest.raises(
        ParameterError, match=r"probs must sum to 1 along axis -1, got a sum of 0.9"
    ):
        entropy([0.5, 0.4])
    with pytest.raises(ParameterError, match=r"q must hold probabilities in \[0, 1\], got 1.5"):
        kl_divergence([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ParameterError, match=r"p must sum to 1"):
        kl_divergence([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ShapeError, match=r"p has shape \(2,\) and q has shape \(3,\)"):
        kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ParameterError, match=r"probs must be finite"):
        entropy([float("nan"), 1.0])
    with pytest.raises(ParameterError, match=r"unit must be 'nats' or 'bits', got 'bans'"):
        entropy([1.0], unit="bans")
    with pytest.raises(ParameterError, match=r"p must be a probability in \[0, 1\], got 2.0"):
        surprise(2.0)
    with pytest.raises(ParameterError, match=r"p must be a probability in \[0, 1\], got nan"):
        surprise(float("nan"))
    with pytest.raises(ParameterError, match=r"losses must be cross-entropies \(>= 0\), got -1.0"):
        perplexity([-1.0])
    with pytest.raises(ParameterError, match=r"losses must hold at least one value"):
        perplexity([])


def test_public_names():
    assert geomlab.cross_entropy is cross_entropy
    assert geomlab.surprise is surprise
