"""Temperature and calibration: ECE, reliability bins, fitting, the log-partition sketch."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import logsumexp

import geomlab
from geomlab import (
    ParameterError,
    ShapeError,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)
from geomlab.evaluation.datasets import load_analogies
from geomlab.scoring.calibration import ScoreSketch


# -- ECE and reliability bins -------------------------------------------------------------------
def test_ece_by_hand():
    # always 90% sure, right half the time: |0.5 - 0.9| = 0.4
    assert expected_calibration_error([0.9, 0.9], [True, False]) == pytest.approx(0.4)
    # two bins: (0.2 vs 0) and (0.8 vs 1) -> (1 * 0.2 + 1 * 0.2) / 2
    assert expected_calibration_error([0.2, 0.8], [0, 1], n_bins=2) == pytest.approx(0.2)
    assert expected_calibration_error([1.0, 0.0], [True, False]) == 0.0


def test_reliability_bins():
    rb = reliability_bins([0.05, 0.5, 0.51, 1.0], [False, True, False, True], n_bins=10)
    assert sum(rb.count) == 4
    assert rb.count[0] == 1 and rb.count[4] == 1 and rb.count[5] == 1 and rb.count[9] == 1
    assert rb.lower[4] == pytest.approx(0.4) and rb.upper[4] == pytest.approx(0.5)  # (0.4, 0.5]
    assert rb.accuracy[9] == 1.0 and rb.confidence[9] == 1.0
    assert math.isnan(rb.accuracy[1])  # empty bin
    assert len(rb.rows()) == 10 and "gap" in rb.rows()[0]
    assert rb.ece == pytest.approx(
        expected_calibration_error([0.05, 0.5, 0.51, 1.0], [False, True, False, True], n_bins=10)
    )


def test_calibrated_sample_has_small_ece():
    rng = np.random.default_rng(1)
    conf = rng.uniform(size=200_000)
    correct = rng.uniform(size=conf.size) < conf
    assert expected_calibration_error(conf, correct) < 0.01
    assert expected_calibration_error(conf, ~correct) > 0.3


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (([0.5], [True, False]), {}, ShapeError, r"confidences \(1,\) and correct \(2,\)"),
        (([], []), {}, ParameterError, "confidences is empty"),
        (([1.5], [True]), {}, ParameterError, r"confidences must be probabilities in \[0, 1\]"),
        (([float("nan")], [True]), {}, ParameterError, "confidences must be probabilities"),
        (
            ([0.5], [True]),
            {"n_bins": 0},
            ParameterError,
            "n_bins must be a positive integer, got 0",
        ),
    ],
)
def test_ece_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        expected_calibration_error(*args, **kwargs)
    with pytest.raises(error, match=match):
        reliability_bins(*args, **kwargs)


# -- fitting on plain logits ------------------------------------------------------------------
def test_fit_temperature_analytic():
    # 3 of 4 right with a 4-unit margin: the best p(right) is 3/4, at T = 4 / ln 3
    z = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    fit = fit_temperature(z, np.array([0, 0, 0, 0]))
    assert fit.temperature == pytest.approx(4 / math.log(3), rel=1e-3)
    assert fit.nll == pytest.approx(-(3 * math.log(0.75) + math.log(0.25)) / 4, rel=1e-6)
    assert fit.nll_at_one > fit.nll
    assert fit.perplexity == pytest.approx(math.exp(fit.nll))
    assert fit.n == 4 and fit.evaluations > 3


def test_fit_temperature_matches_a_grid_search():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 30)) * 3
    t = rng.integers(0, 30, 500)
    z[np.arange(500), t] += 2.0
    fit = fit_temperature(z, t)
    grid = np.exp(np.linspace(np.log(0.3), np.log(30), 801))
    nll = [(logsumexp(z / g, axis=1) - z[np.arange(500), t] / g).mean() for g in grid]
    assert fit.temperature == pytest.approx(grid[int(np.argmin(nll))], rel=1e-2)
    assert fit.nll == pytest.approx(min(nll), abs=1e-6)


def test_fit_temperature_with_mask():
    z = np.array([[2.0, 1.0, 100.0], [2.0, 1.0, 100.0]])
    mask = np.array([[True, True, False], [True, True, False]])
    masked = fit_temperature(z, np.array([0, 1]), mask=mask)
    plain = fit_temperature(z[:, :2], np.array([0, 1]))
    assert masked.temperature == pytest.approx(plain.temperature, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ParameterError, "plain logits need targets"),
        ({"targets": np.array([0])}, ShapeError, "targets must be 2 integer indices"),
        (
            {"targets": np.array([0, 5])},
            ParameterError,
            r"targets must be column indices in \[0, 2\)",
        ),
        (
            {"targets": np.array([0, 1]), "bounds": (0, 1)},
            ParameterError,
            "bounds must be a positive finite number, got 0",
        ),
        (
            {"targets": np.array([0, 1]), "bounds": (5, 1)},
            ParameterError,
            r"bounds must be \(low, high\) with low < high",
        ),
        (
            {"targets": np.array([0, 1]), "mask": np.array([[False, True], [True, True]])},
            ParameterError,
            "a target is masked out",
        ),
    ],
)
def test_fit_temperature_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        fit_temperature(np.array([[1.0, 0.0], [0.0, 1.0]]), **kwargs)


def test_fit_temperature_rejects_nan_logits():
    with pytest.raises(ParameterError, match="logits contain NaN"):
        fit_temperature(np.array([[np.nan, 0.0]]), np.array([0]))


# -- the sketch ---------------------------------------------------------------------------------
def test_sketch_on_a_small_example_is_exact_where_the_top_covers_everything():
    s = np.array([[0.9, 0.1, -0.3], [0.2, 0.5, 0.4]])
    top = -np.sort(-s, axis=1)
    sk = ScoreSketch(top, np.zeros((2, 16)), -1, 1, targets=s[:, :1])
    for t in (0.05, 1.0, 7.0):
        assert np.allclose(sk.logsumexp(t), logsumexp(s / t, axis=1))
        assert np.allclose(sk.error_bound(t), 0)
        assert np.allclose(sk.log_prob(t), s[:, 0] / t - logsumexp(s / t, axis=1))
    with pytest.raises(ParameterError, match="temperature must be a positive finite number, got 0"):
        sk.logsumexp(0)
    with pytest.raises(ParameterError, match="this sketch has no targets"):
        ScoreSketch(top, np.zeros((2, 16)), -1, 1).log_prob(1.0)
    with pytest.raises(ShapeError, match=r"top \(2, 3\) and hist \(3, 4\)"):
        ScoreSketch(top, np.zeros((3, 4)), -1, 1)


def write_sample(path, glove, n, seed):
    """``n`` random in-vocabulary Google questions as a question file; their rows."""
    ds = load_analogies("google")
    qs = [q for s in ds.sections for q in s.questions]
    rng = np.random.default_rng(seed)
    rows = []
    for i in rng.permutation(len(qs)):
        r = [glove.get_index(w.lower()) for w in qs[i]]
        if all(x is not None and x < 300_000 for x in r):
            rows.append(r)
        if len(rows) == n:
            break
    rows = np.array(rows)
    path.write_text(
        "\n".join(" ".join(glove.words[i] for i in r) for r in rows) + "\n", encoding="utf-8"
    )
    return str(path), rows


@pytest.fixture(scope="module")
def unit300k(glove):
    v = glove.vectors[:300_000].astype(np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact_scores(u, rows):
    """Independent float64 3CosAdd cosines over the first 300,000 words, inputs -inf."""
    q = u[rows[:, 1]] - u[rows[:, 0]] + u[rows[:, 2]]
    s = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ u.T
    s[np.arange(len(rows))[:, None], rows[:, :3]] = -np.inf
    return s


@pytest.mark.slow  # exact log-partitions over 300k words (about 10 s)
def test_sketch_against_exact_log_partition(glove, unit300k, tmp_path):
    path, rows = write_sample(tmp_path / "s.txt", glove, 120, seed=3)
    r = geomlab.evaluate_analogies(glove, path, temperature=1.0)
    sk = r.sketch
    assert len(sk) == 120
    fit = fit_temperature(sk)
    temps = (0.01, 0.1, 3.0)
    around = fit.temperature * np.array([0.8, 1.0, 1.25])
    exact_nll = np.zeros(3)
    for chunk in np.array_split(np.arange(120), 2):
        s = exact_scores(unit300k, rows[chunk])
        target = s[np.arange(len(chunk)), rows[chunk, 3]]
        for t in temps:
            exact = logsumexp(s / t, axis=1)
            approx = sk.logsumexp(t)[chunk]
            bound = sk.error_bound(t)[chunk]
            # the bound, plus float32 rounding of the scores themselves (~1e-7 / T)
            assert np.all(np.abs(approx - exact) <= bound + 3e-7 / t)
            assert bound.max() < 0.06 and bound.mean() < 0.01
            assert np.allclose(
                sk.log_prob(t)[chunk], target / t - exact, atol=float(bound.max()) + 1e-6 / t
            )
            top1 = np.exp(s.max(axis=1) / t - exact)
            assert np.allclose(sk.confidence(t)[chunk], top1, rtol=0.07, atol=1e-9)
        exact_nll += [(logsumexp(s / t, axis=1) - target / t).sum() for t in around]
    # the temperature fitted on the sketches is the minimum of the exact NLL too
    exact_nll /= 120
    assert exact_nll[1] < exact_nll[0] and exact_nll[1] < exact_nll[2]
    assert fit.nll == pytest.approx(exact_nll[1], abs=fit.error_bound + 1e-4)
    assert fit.error_bound < 0.01


def test_fitted_temperature_and_calibration_figures(glove, tmp_path):
    """The issue's figures on a random sample of 800 Google questions (REFERENCE.md)."""
    path, _ = write_sample(tmp_path / "s.txt", glove, 800, seed=11)
    r = geomlab.evaluate_analogies(glove, path, temperature="fit")
    at_one = r.calibration_at(1.0)
    assert 11.4 < at_one.nll < 12.2  # near ln 300,000 = 12.6: "probabilistic mush"
    assert 0.35 < at_one.ece < 0.55
    assert 0.025 < r.temperature < 0.042  # a very cold exponential
    assert 3.0 < r.nll < 3.9
    assert 0.06 < r.ece < 0.17
    assert r.perplexity == pytest.approx(math.exp(r.nll))
    assert r.calibration_error_bound < 0.01
    for factor in (0.8, 1.25):  # the fit is the minimum of the NLL curve
        assert r.calibration_at(r.temperature * factor).nll > r.nll
    # per-question probabilities, and the reliability diagram
    qs = r.questions
    assert all(0 < q.prob <= 1 and 0 < q.confidence <= 1 for q in qs)
    assert all(q.confidence >= q.prob - 1e-9 for q in qs if q.correct)
    assert sum(r.reliability.count) == 800
    # rare answers: the geometry commits hard where training was thin
    bands = r.by_frequency()
    assert bands[0].band == "1-1,000"
    rare = bands[-1]
    assert rare.n >= 5 and rare.confidence > rare.accuracy + 0.1
    assert sum(b.n for b in bands) == 800


def test_fixed_temperature_and_other_methods(glove, tmp_path):
    path, _ = write_sample(tmp_path / "s.txt", glove, 100, seed=5)
    r = geomlab.evaluate_analogies(glove, path, temperature=0.05)
    assert r.temperature == 0.05
    same = r.calibration_at(0.05)
    assert (same.nll, same.ece, same.mean_confidence) == (r.nll, r.ece, r.mean_confidence)
    for method in ("3cosmul", "pairdirection"):
        m = geomlab.evaluate_analogies(glove, path, method=method, temperature="fit")
        assert math.isfinite(m.nll) and 0 < m.temperature < 10
        assert m.calibration_error_bound < 0.05


def test_unanswerable_questions_are_counted_not_averaged(tiny, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("man king woman queen\nman king woman king\n", encoding="utf-8")
    r = geomlab.evaluate_analogies(tiny, path, temperature=1.0)
    assert r.questions[1].rank == 0 and r.questions[1].prob == 0.0
    cal = r.calibration_at(1.0)
    assert cal.n == 1 and cal.n_unanswerable == 1
    assert cal.nll == pytest.approx(-math.log(r.questions[0].prob))


# -- command line -------------------------------------------------------------------------------
def test_cli_calibrate(glove, tmp_path, capsys):
    from geomlab.cli import main

    path, _ = write_sample(tmp_path / "s.txt", glove, 120, seed=2)
    assert main(["calibrate", path, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fitted"] is True
    assert data["at_one"]["temperature"] == 1.0
    assert data["at_temperature"]["nll"] < data["at_one"]["nll"]
    assert len(data["bands"]) == 4 and len(data["reliability"]) == 15
    assert main(["calibrate", path, "--temperature", "0.05", "--bands", "5000"]) == 0
    out = capsys.readouterr().out
    assert "temperature given: T = 0.05" in out and ">5,000" in out
    with pytest.raises(SystemExit):
        main(["calibrate", "--bands", "10,5"])
    assert "expected increasing positive integers" in capsys.readouterr().err
