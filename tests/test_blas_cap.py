"""blas_cap: BLAS held to fewer threads, even where geomlab binds it to the cores."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

from geomlab._parallel import blas_cap, blas_workers, workers


def _blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_blas_workers_follow_the_innermost_cap():
    assert blas_workers() == workers()
    with blas_cap(1):
        assert blas_workers() == 1
        assert _blas_threads() == {1}
        with blas_cap(3):  # a looser cap inside a tighter one does not loosen it
            assert blas_workers() == 1
        assert blas_workers() == 1
    assert blas_workers() == workers()


def test_blas_cap_is_lifted_after_an_error():
    before = _blas_threads()
    with pytest.raises(RuntimeError), blas_cap(1):
        raise RuntimeError("boom")
    assert blas_workers() == workers()
    assert _blas_threads() == before


def test_language_model_keeps_to_the_cap(lm):
    with blas_cap(1), lm.threads():
        assert _blas_threads() == {1}
    with lm.threads():  # without a cap the model binds BLAS to the cores
        uncapped = _blas_threads()
    if workers() < 2:
        pytest.skip("one core: BLAS runs on one thread with or without a cap")
    assert max(uncapped) > 1
