"""softmax, log_softmax, logsumexp, free energy and the Boltzmann view."""

import itertools
import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import geomlab
from geomlab import ParameterError, ShapeError
from geomlab.scoring.softmax import boltzmann, free_energy, log_softmax, logsumexp, softmax

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
logit_vectors = arrays(np.float64, st.integers(1, 12), elements=finite)
temperatures = st.floats(0.05, 20.0)


@settings(max_examples=60, deadline=None)
@given(logit_vectors, temperatures)
def test_softmax_sums_to_one_and_is_positive(z, t):
    p = softmax(z, temperature=t)
    assert p.shape == z.shape
    assert math.isclose(p.sum(), 1.0, abs_tol=1e-12)
    assert np.all(p >= 0)


@settings(max_examples=60, deadline=None)
@given(logit_vectors, temperatures, st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(z, t, c):
    np.testing.assert_allclose(softmax(z + c, temperature=t), softmax(z, temperature=t), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(logit_vectors, temperatures)
def test_agrees_with_scipy(z, t):
    np.testing.assert_allclose(
        softmax(z, temperature=t), scipy.special.softmax(z / t), rtol=1e-9, atol=1e-300
    )
    np.testing.assert_allclose(
        log_softmax(z, temperature=t), scipy.special.log_softmax(z / t), rtol=1e-9, atol=1e-12
    )
    assert math.isclose(
        logsumexp(z, temperature=t), scipy.special.logsumexp(z / t), rel_tol=1e-12, abs_tol=1e-12
    )


# logits on a 0.1 grid: distinct values differ by at least 0.1
grid_vectors = arrays(
    np.float64, st.integers(1, 12), elements=st.integers(-500, 500).map(lambda i: i / 10)
)


@settings(max_examples=40, deadline=None)
@given(grid_vectors)
def test_temperature_limits(z):
    # T -> 0: all the mass on the maximum (shared equally by ties)
    cold = softmax(z, temperature=1e-3)
    top = z == z.max()
    np.testing.assert_allclose(cold[top], 1.0 / top.sum())
    assert np.all(cold[~top] < 1e-40)
    # T -> inf: uniform
    np.testing.assert_allclose(softmax(z, temperature=1e9), np.full(z.shape, 1 / z.size), atol=1e-7)


def test_entropy_rises_with_temperature():
    z = np.array([9.2, 1.4, 0.8, -4.7])
    h = [geomlab.entropy(softmax(z, temperature=t)) for t in (0.1, 0.5, 1, 2, 5, 50)]
    assert all(a < b for a, b in itertools.pairwise(h))
    assert h[-1] < math.log(4)


def test_extreme_logits_are_exact():
    np.testing.assert_array_equal(softmax([1000.0, 1000.0, -1000.0]), [0.5, 0.5, 0.0])
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + math.log(2), abs=1e-12)
    assert log_softmax([1000.0, -1000.0])[1] == pytest.approx(-2000.0)
    # a tiny temperature does not overflow the big logits
    np.testing.assert_array_equal(softmax([1e300, 0.0], temperature=1e-300), [1.0, 0.0])


def test_mask_gives_exact_zeros():
    p = softmax([1.0, 5.0, 3.0], mask=[True, False, True])
    assert p[1] == 0.0
    np.testing.assert_allclose(p[[0, 2]], softmax([1.0, 3.0]))
    assert log_softmax([1.0, 5.0], mask=[True, False])[1] == -np.inf
    assert logsumexp([1.0, 5.0], mask=[True, False]) == pytest.approx(1.0)


def test_axis_and_batches():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(z, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(logsumexp(z), scipy.special.logsumexp(z, axis=-1))
    assert logsumexp(z, keepdims=True).shape == (2, 1)
    # a per-row mask
    p = softmax(z, mask=np.array([[True, True, False], [False, True, True]]))
    np.testing.assert_allclose(
        p, [[softmax([1.0, 2.0])[0], softmax([1.0, 2.0])[1], 0], [0, 0.5, 0.5]]
    )


def test_free_energy_and_boltzmann():
    z = np.array([2.0, 0.5, -1.0])
    for t in (0.3, 1.0, 4.0):
        f = free_energy(z, t)
        assert f == pytest.approx(-t * scipy.special.logsumexp(z / t))
        assert f <= -z.max()  # never above the lowest energy
        np.testing.assert_allclose(boltzmann(-z, t), softmax(z, temperature=t), rtol=1e-12)
    assert free_energy(z, 1e-6) == pytest.approx(-z.max(), abs=1e-5)
    # lower energy, likelier: 2 units lower is e^2 times likelier
    p = boltzmann([0.0, 2.0], 1.0)
    assert p[0] / p[1] == pytest.approx(math.e**2)
    assert boltzmann([0.0, 2.0, -5.0], 1.0, mask=[True, True, False])[2] == 0.0


@pytest.mark.parametrize("t", [0, -1, float("nan"), float("inf"), -float("inf")])
def test_bad_temperature(t):
    with pytest.raises(ParameterError, match=r"temperature must be a positive finite number"):
        softmax([1.0, 2.0], temperature=t)
    with pytest.raises(ValueError, match=r"temperature"):
        free_energy([1.0, 2.0], t)


def test_bad_temperature_type():
    with pytest.raises(ParameterError, match=r"temperature must be .* got str '1'"):
        softmax([1.0], temperature="1")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nonfinite_logits(bad):
    with pytest.raises(ParameterError, match=r"logits must be finite, got .* at index 1"):
        softmax([0.0, bad, 1.0])
    with pytest.raises(ParameterError, match=r"logits must be finite"):
        logsumexp([[0.0, 1.0], [bad, 1.0]])


def test_bad_shapes_and_masks():
    with pytest.raises(ShapeError, match=r"at least one dimension"):
        softmax(3.0)
    with pytest.raises(ShapeError, match=r"must not be empty"):
        softmax([])
    with pytest.raises(ParameterError, match=r"logits must be an array of numbers"):
        softmax(["a", "b"])
    with pytest.raises(ParameterError, match=r"mask excludes every candidate"):
        softmax([1.0, 2.0], mask=[False, False])
    with pytest.raises(ParameterError, match=r"row \(1,\)"):
        softmax([[1.0, 2.0], [1.0, 2.0]], mask=[[True, False], [False, False]])
    with pytest.raises(ParameterError, match=r"mask must be an array of booleans"):
        softmax([1.0, 2.0], mask=[1, 0])
    with pytest.raises(ShapeError, match=r"does not broadcast"):
        softmax([1.0, 2.0], mask=[True, False, True])
    with pytest.raises(ParameterError, match=r"axis 2 is out of range"):
        softmax([1.0, 2.0], axis=2)
    with pytest.raises(ParameterError, match=r"energies must be finite"):
        boltzmann([1.0, float("nan")])


def test_public_names():
    assert geomlab.softmax is softmax
    assert geomlab.boltzmann is boltzmann
