"""Live results draw themselves, export to pandas, and re-temper without rescoring."""

from __future__ import annotations

import math

import numpy as np
import pytest

import geomlab
from geomlab import plots


def _check_figure(fig, n_axes_min=1):
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    drawn = [a for a in fig.axes if a.has_data()]
    assert len(drawn) >= n_axes_min
    assert any(a.get_title() for a in fig.axes)
    for a in drawn:
        assert a.get_xlabel() or a.get_ylabel()


@pytest.fixture(scope="module")
def records(glove):
    pref = geomlab.preference(
        glove, "france", ["paris", "london", "berlin", "rome"], target="paris"
    )
    return {
        "preference": pref,
        "neighbors": geomlab.nearest(glove, "bank", k=5),
        "analogy": geomlab.analogy(glove, "man", "king", "woman", k=5),
        "attention": geomlab.attend(glove, "bank", ["river", "water", "money"]),
        "contextual": geomlab.contextualize(glove, "bank", "the muddy river bank"),
        "sweep": pref.sweep([0.1, 1.0, 10.0]),
        "similarity": geomlab.evaluate_similarity(glove, "wordsim353"),
    }


@pytest.mark.parametrize(
    "name", ["preference", "neighbors", "analogy", "attention", "contextual", "sweep", "similarity"]
)
def test_a_record_plots_itself(records, name):
    r = records[name]
    fig = r.plot()
    _check_figure(fig, 2 if name == "contextual" else 1)
    # and on axes the caller gives: the same axes come back, drawn on
    n = len(fig.axes) if name not in ("sweep",) else 1
    target, axes = plots.new_figure(ncols=n)
    assert r.plot(ax=axes) is axes
    assert any(a.has_data() for a in target.axes)


def test_the_plot_shows_the_records_numbers(records):
    fig = records["neighbors"].plot()
    bars = fig.axes[0].patches
    widths = sorted(round(b.get_width(), 5) for b in bars)
    assert widths == sorted(round(float(s), 5) for s in records["neighbors"].scores)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert set(labels) == set(records["neighbors"].words)


def test_analogy_evaluation_plots_sections_and_reliability(glove):
    r = geomlab.evaluate_analogies(glove, "google", restrict_vocab=30_000, temperature=1.0)
    fig = r.plot()
    _check_figure(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == "total" and "semantic" in labels and len(labels) == 14 + 3
    _check_figure(r.plot_reliability(), 2)
    plain = geomlab.evaluate_analogies(glove, "google", restrict_vocab=30_000)
    with pytest.raises(geomlab.ParameterError, match="with a temperature"):
        plain.plot_reliability()


def test_to_pandas_keeps_aggregates_apart(glove):
    pd = pytest.importorskip("pandas")
    r = geomlab.evaluate_analogies(glove, "google", restrict_vocab=30_000)
    sections = r.to_pandas()
    totals = r.to_pandas(aggregates=True)
    assert isinstance(sections, pd.DataFrame) and len(sections) == 14
    assert list(totals["section"]) == ["semantic", "syntactic", "total"]
    assert sections["n_correct"].sum() == r.n_correct == int(totals["n_correct"].iloc[-1])


def test_to_pandas_on_rows_and_pairs(records):
    pytest.importorskip("pandas")
    df = records["neighbors"].to_pandas()
    assert list(df["word"]) == list(records["neighbors"].words)
    pairs = records["similarity"].to_pandas()
    assert len(pairs) == 353 and {"w1", "w2", "gold", "cosine"} <= set(pairs.columns)
    sweep = records["sweep"].to_pandas()
    assert list(sweep["temperature"]) == [0.1, 1.0, 10.0]


def test_to_pandas_without_pandas_names_the_extra(records, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(geomlab.MissingDependencyError, match=r"geomlab\[pandas\]"):
        records["neighbors"].to_pandas()


def test_retempering_reuses_the_scores_and_equals_a_fresh_computation(glove, records):
    pref = records["preference"]
    hot = pref.at(5.0)
    assert hot.logits is pref.logits  # no new dot products
    fresh = geomlab.preference(
        glove, "france", ["paris", "london", "berlin", "rome"], target="paris", temperature=5.0
    )
    np.testing.assert_allclose(hot.probs, fresh.probs, rtol=1e-12)
    s = pref.sweep([0.5, 5.0])
    for i, t in enumerate((0.5, 5.0)):
        p = geomlab.softmax(pref.logits, temperature=t)
        assert s.entropy[i] == pytest.approx(geomlab.entropy(p), rel=1e-12)
        assert s.top_prob[i] == pytest.approx(p.max(), rel=1e-12)
        assert s.perplexity[i] == pytest.approx(math.exp(s.entropy[i]))
        assert s.target_prob[i] == pytest.approx(p[0], rel=1e-12)
    # colder is sharper
    assert s.entropy[0] < s.entropy[1] and s.top_prob[0] > s.top_prob[1]


def test_whole_vocabulary_sweep(glove):
    pref = geomlab.preference(glove, "france", target="paris")
    s = pref.sweep(np.geomspace(0.01, 100, 5))
    assert s.n == len(glove) - 1  # the query word is excluded
    assert np.all(np.diff(s.entropy) > 0)
    assert s.entropy[-1] < math.log(s.n) + 1e-9


@pytest.mark.parametrize("bad", [[], [0.0], [-1.0], ["x"], [float("nan")]])
def test_sweep_refuses_bad_temperatures(records, bad):
    with pytest.raises(geomlab.ParameterError):
        records["preference"].sweep(bad)


def test_language_model_records_plot_themselves(lm):
    nt = geomlab.next_token(lm, "The capital of France is", k=5)
    _check_figure(nt.plot(temperatures=[0.5, 1.0, 2.0]))
    assert nt.at(2.0).logits is nt.logits
    s = nt.sweep([0.5, 2.0])
    assert s.top_prob[0] > s.top_prob[1]
    _check_figure(geomlab.logit_lens(lm, "The capital of France is").plot(), 2)
    att = geomlab.attention_map(lm, "The capital of France is", layer=3)
    fig = att.plot()
    assert sum(a.has_data() for a in fig.axes) == 9  # one heat map per head
    from geomlab.lm.calibration import corpus

    cal = geomlab.calibrate_text(lm, corpus()["moby_dick_ch1"][:1500])
    _check_figure(cal.plot(), 2)
    _check_figure(cal.plot_bands())
    from geomlab.evaluation.polysemy import read_probes

    ev = geomlab.evaluate_polysemy(lm, read_probes()[:4], layers=[0, 10, 30], progress=False)
    _check_figure(ev.plot(static_accuracy=0.77))
