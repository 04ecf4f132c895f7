"""eml(x, y) = e^x - ln y and its echo of cross-entropy."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import geomlab
from geomlab import ParameterError
from geomlab.scoring.eml import EmlEcho, eml, eml_echo
from geomlab.scoring.losses import cross_entropy


def test_eml_values():
    assert eml(1, math.e) == pytest.approx(math.e - 1, rel=1e-15)
    assert eml(0, 1) == 1.0
    assert eml(0.0, math.exp(3)) == pytest.approx(-2.0)
    np.testing.assert_allclose(eml([0.0, 1.0], [1.0, math.e]), [1.0, math.e - 1])
    assert isinstance(eml(1, 2), float)


@pytest.mark.parametrize("y", [0, -1.0, -1e-300])
def test_eml_needs_positive_y(y):
    with pytest.raises(ParameterError, match=r"eml\(x, y\) needs y > 0 .* got y = "):
        eml(1.0, y)


def test_eml_overflow_and_bad_input():
    assert math.isfinite(eml(709.0, 1.0))
    with pytest.raises(ParameterError, match=r"e\*\*x overflows for x > 709.78 .* got x = 710.0"):
        eml(710.0, 1.0)
    with pytest.raises(ParameterError, match=r"x must be finite, got nan"):
        eml(float("nan"), 1.0)
    with pytest.raises(ParameterError, match=r"y must be finite, got inf"):
        eml(1.0, float("inf"))
    with pytest.raises(ParameterError, match=r"x must be a real number, got str"):
        eml("one", 1.0)


def test_echo_on_the_seeds_logits():
    z = np.array([9.2, 1.4, 0.8, -4.7])
    echo = eml_echo(z, 0)
    assert isinstance(echo, EmlEcho)
    assert echo.x == 9.2
    assert echo.log_y == pytest.approx(math.log(np.exp(z).sum()))
    assert echo.cross_entropy == pytest.approx(cross_entropy(z, 0))
    assert echo.cross_entropy == pytest.approx(echo.log_y - echo.x)
    assert echo.eml == pytest.approx(eml(echo.x, math.exp(echo.log_y)))
    assert echo.log_likelihood == -echo.cross_entropy
    assert not echo.agree  # e^9.2 >> ln y: eml is positive, ln p is not
    wrong = eml_echo(z, 1)  # "london": e^1.4 = 4.06 < ln y = 9.2
    assert wrong.agree and wrong.eml < 0


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(2, 10), elements=st.floats(-20, 20)))
def test_echo_properties(z):
    n = len(z)
    echo = eml_echo(np.tile(z, (n, 1)), np.arange(n))  # every candidate as the right answer
    np.testing.assert_allclose(
        echo.cross_entropy, [cross_entropy(z, t) for t in range(n)], rtol=1e-9, atol=1e-12
    )
    # where it breaks: eml sits at least 1 above the log-likelihood (e^x - x >= 1) ...
    assert np.all(echo.gap >= 1 - 1e-9)
    np.testing.assert_allclose(echo.gap, np.exp(z) - z, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(echo.agree, echo.eml < 0)
    # ... where it holds: y is shared by all answers, so eml and ln p rank them alike
    order_eml = np.argsort(-echo.eml, kind="stable")
    order_ll = np.argsort(-echo.log_likelihood, kind="stable")
    np.testing.assert_array_equal(z[order_eml], z[order_ll])


def test_echo_is_not_shift_invariant():
    z = np.array([2.0, 1.0, 0.0])
    a, b = eml_echo(z, 0), eml_echo(z + 3.0, 0)
    assert a.cross_entropy == pytest.approx(b.cross_entropy)
    assert a.eml != pytest.approx(b.eml)


def test_echo_with_words_record_and_mask():
    echo = eml_echo([2.0, 1.0, 0.0], "b", words=["a", "b", "c"])
    assert echo.target == 1
    rows = echo.rows()
    assert rows[0]["target"] == 1 and set(rows[0]) >= {"x", "log_y", "eml", "cross_entropy"}
    assert json.loads(echo.to_json())["x"] == 1.0
    assert "eml" in str(echo) and "<table>" in echo._repr_html_()
    many = eml_echo([[2.0, 1.0], [0.0, 3.0]], [0, 0])
    assert len(many.rows()) == 2 and many.eml.shape == (2,)


def test_echo_bad_input():
    with pytest.raises(ParameterError, match=r"needs a right answer .* not a target distribution"):
        eml_echo([1.0, 2.0], [0.5, 0.5])
    with pytest.raises(ParameterError, match=r"e\*\*x overflows"):
        eml_echo([800.0, 0.0], 0)
    with pytest.raises(ParameterError, match=r"logits must be finite"):
        eml_echo([float("nan"), 0.0], 1)


def test_public_names():
    assert geomlab.eml is eml
    assert geomlab.eml_echo is eml_echo
