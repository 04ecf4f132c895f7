"""The seed dialogues' arithmetic, computed through geomlab's public API.

Numbers refer to the rows of ../shared/SEED_CLAIMS.md. Claims 11-13 (attention, analogies,
senses) and 15-16 (calibration) are tested with the modules that compute them.
"""

import itertools
import math

import numpy as np
import pytest

import geomlab

# the first dialogue's logits after "The capital of France is": Paris, London, Berlin, a far token
SEED_LOGITS = np.array([9.2, 1.4, 0.8, -4.7])


def test_claim_1_eml():
    assert geomlab.eml(1, math.e) == pytest.approx(math.e - 1, rel=1e-15)
    with pytest.raises(geomlab.ParameterError, match=r"needs y > 0"):
        geomlab.eml(1, 0)


def test_claim_2_eml_echoes_cross_entropy():
    echo = geomlab.eml_echo(SEED_LOGITS, 0)
    log_y = math.log(np.exp(SEED_LOGITS).sum())
    assert echo.x == 9.2 and echo.log_y == pytest.approx(log_y)
    assert echo.cross_entropy == pytest.approx(log_y - 9.2)  # CE = ln y - x
    assert echo.eml == pytest.approx(math.exp(9.2) - log_y)  # eml = e^x - ln y
    # they agree in sign (eml < 0, like ln p) for London, not for Paris
    assert [geomlab.eml_echo(SEED_LOGITS, t).agree for t in range(4)] == [False, True, True, True]


def test_claim_3_the_exponential_amplifies():
    weights = np.exp(geomlab.logsumexp(SEED_LOGITS)) * geomlab.softmax(SEED_LOGITS)
    assert weights[0] == pytest.approx(9897.1, abs=0.05)  # e^9.2
    assert weights[1] == pytest.approx(4.06, abs=0.005)  # e^1.4
    assert geomlab.softmax(SEED_LOGITS)[0] > 0.999


def test_claim_4_two_units_is_a_factor_e_squared():
    p = geomlab.softmax([3.0, 1.0])
    assert p[0] / p[1] == pytest.approx(7.389, abs=5e-4)
    assert p[0] / p[1] == pytest.approx(math.e**2, rel=1e-12)


def test_claim_5_temperature_is_a_dial():
    temps = [0.01, 0.5, 1.0, 10.0, 100.0, 1e6]
    probs = [geomlab.softmax(SEED_LOGITS, temperature=t) for t in temps]
    ent = [geomlab.entropy(p) for p in probs]
    top1 = [p.max() for p in probs]
    assert all(a < b for a, b in itertools.pairwise(ent))
    assert all(a >= b for a, b in itertools.pairwise(top1)) and top1[1] > top1[-1]
    np.testing.assert_allclose(probs[0], [1, 0, 0, 0], atol=1e-12)  # T -> 0: one-hot
    np.testing.assert_allclose(probs[-1], 0.25, atol=1e-5)  # T -> inf: uniform
    # Boltzmann: energy E = -logit, p = exp(-(E - F) / T)
    np.testing.assert_allclose(
        geomlab.boltzmann(-SEED_LOGITS, 2.0),
        geomlab.softmax(SEED_LOGITS, temperature=2.0),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "p, loss", [(0.99, 0.01005), (0.01, 4.60517), (1e-4, 9.21034), (1e-6, 13.81551)]
)
def test_claim_6_cross_entropy_values(p, loss):
    # a two-way prediction that gives the right answer probability p
    logits = np.log([p, 1 - p])
    assert geomlab.cross_entropy(logits, 0) == pytest.approx(loss, abs=5e-6)
    assert geomlab.surprise(p) == pytest.approx(loss, abs=5e-6)


def test_claim_7_a_factor_of_ten_costs_ln_10():
    gap = geomlab.surprise(1e-4) - geomlab.surprise(1e-3)
    assert gap == pytest.approx(2.302585, abs=5e-7)
    assert gap == pytest.approx(math.log(10), rel=1e-12)


def test_claim_8_gradient_is_p_minus_one_and_p():
    z = SEED_LOGITS
    grad = geomlab.cross_entropy_grad(z, 1)  # the right answer is London
    p = geomlab.softmax(z)
    assert grad[1] == pytest.approx(p[1] - 1)
    np.testing.assert_allclose(grad[[0, 2, 3]], p[[0, 2, 3]])
    h = 1e-6
    numeric = [
        (geomlab.cross_entropy(z + h * e, 1) - geomlab.cross_entropy(z - h * e, 1)) / (2 * h)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(grad, numeric, atol=1e-6)


def test_claim_9_log_sum_exp_is_stable():
    assert geomlab.logsumexp([1000.0, 1000.0, -1000.0]) == pytest.approx(1000 + math.log(2))
    np.testing.assert_array_equal(geomlab.softmax([1000.0, 1000.0, -1000.0]), [0.5, 0.5, 0])
    assert geomlab.cross_entropy([1000.0, -1000.0], 1) == pytest.approx(2000.0)
    assert np.all(np.isfinite(geomlab.cross_entropy_grad([1000.0, -1000.0], 1)))
    assert geomlab.free_energy([1000.0, 1000.0], 1.0) == pytest.approx(-1000 - math.log(2))


def test_claim_10_cross_entropy_is_entropy_plus_kl():
    q = np.array([0.6, 0.3, 0.1, 0.0])
    ce = geomlab.cross_entropy(SEED_LOGITS, q)
    h = geomlab.entropy(q)
    kl = geomlab.kl_divergence(q, geomlab.softmax(SEED_LOGITS))
    assert ce == pytest.approx(h + kl, rel=1e-14)
    assert geomlab.perplexity(h) == pytest.approx(math.exp(h))


def test_claim_14_france_prefers_paris(glove):
    pref = geomlab.preference(
        glove, "france", ["paris", "london", "berlin", "madrid", "rome", "tokyo"], target="paris"
    )
    assert pref.target_rank == 1 and pref.target_prob > 0.99


def test_claim_17_sampling_is_seeded():
    for method, opts in [("temperature", {}), ("top_k", {"k": 2}), ("top_p", {"p": 0.9})]:
        a = geomlab.sample(SEED_LOGITS, method=method, temperature=4.0, n=20, seed=1, **opts)
        b = geomlab.sample(SEED_LOGITS, method=method, temperature=4.0, n=20, seed=1, **opts)
        np.testing.assert_array_equal(a.indices, b.indices)
    assert set(geomlab.sample(SEED_LOGITS, n=5).indices.tolist()) == {0}  # greedy collapses
