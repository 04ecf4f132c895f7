"""3CosMul's first-stage log tables bound the logarithms they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geomlab.evaluation import _pruned


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1.0000100135803223, 1.0000100135803223, width=32),
            st.sampled_from([-1.0, 1.0, -0.999999, 0.999999, 0.0]),
        ),
        min_size=1,
        max_size=64,
    ),
    st.integers(0, 2**31 - 1),
)
def test_log_tables_bound_the_logarithms(values, seed):
    """For every float32 cosine within 3.05e-6 of the true one: ``hi`` is at least
    log((1 + c) / 2) and ``lo`` at most log((1 + c) / 2 + 1e-6), in steps of 1/1024."""
    rng = np.random.default_rng(seed)
    cos = np.array(values + list(rng.uniform(-1, 1, 64)), dtype=np.float32)
    hi_t, lo_t = _pruned._log_tables()
    rows = np.zeros(1, np.int64)
    xq, bq = _pruned._log_terms(cos[None], rows, rows)
    for err in (-3.05e-6, 0.0, 3.05e-6):
        true = np.clip(cos.astype(np.float64) + err, -1, 1)
        sh = (1 + true) / 2
        with np.errstate(divide="ignore"):
            assert (bq[0] >= np.log(sh) * 1024).all()
            lo = (bq[0] - xq[0]).astype(np.float64)  # the lo table: bq - (bq - lo)
            assert (lo <= np.log(sh + 1e-6) * 1024).all()
    assert hi_t.dtype == lo_t.dtype == np.int16


def test_log_tables_are_tight_for_usual_cosines():
    cos = np.linspace(-0.9, 0.99, 10_000, dtype=np.float32)[None]
    rows = np.zeros(1, np.int64)
    xq, bq = _pruned._log_terms(cos, rows, rows)
    with np.errstate(invalid="ignore"):
        x, y = _pruned._terms("3cosmul", cos, rows, rows)
        assert (bq - _pruned._quantize(y, 1024.0)).max() <= 2
        assert (xq - _pruned._quantize(x, 1024.0)).max() <= 4
