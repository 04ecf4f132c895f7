"""Plot functions: take results and ax=None, return the figure or the axes, never save."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_report import quick_report  # noqa: F401  (the session's one quick report)

from geomlab import plots


@pytest.fixture(scope="module")
def sections(quick_report):  # noqa: F811
    return json.loads((quick_report / "results.json").read_text())["sections"]


# (plot function, section key) for every figure the report draws
PLOTS = [
    (plots.norms_by_rank, "vectors"),
    (plots.relevance_bars, "relevance"),
    (plots.softmax_temperatures, "softmax"),
    (plots.temperature_dial, "softmax"),
    (plots.cross_entropy_curve, "crossentropy"),
    (plots.gradient_bars, "crossentropy"),
    (plots.eml_echo, "crossentropy"),
    (plots.projection_panels, "projection"),
    (plots.next_token_bars, "model"),
    (plots.logit_lens_map, "model"),
    (plots.attention_heads, "model"),
    (plots.reliability_diagram, "modelcalibration"),
    (plots.token_bands, "modelcalibration"),
    (plots.polysemy_by_block, "modelpolysemy"),
    (plots.parallelogram, "analogies"),
    (plots.analogy_accuracy, "analogies"),
    (plots.offset_consistency, "analogies"),
    (plots.similarity_scatter, "similarity"),
    (plots.sense_map, "polysemy"),
    (plots.contextual_neighbors, "polysemy"),
    (plots.attention_weights, "polysemy"),
    (plots.reliability_diagram, "calibration"),
    (plots.frequency_bands, "calibration"),
    (plots.training_curves, "training"),
    (plots.row_movement, "training"),
    (plots.neighbor_agreement, "training"),
]


def test_every_plot_function_is_covered():
    import inspect

    public = {
        name
        for name, f in inspect.getmembers(plots, inspect.isfunction)
        if f.__module__ == plots.__name__ and not name.startswith("_")
    }
    helpers = {"styled", "new_figure"}
    # section_accuracy draws live records only (tests/test_record_plots.py)
    assert public - helpers - {"section_accuracy"} == {f.__name__ for f, _ in PLOTS}


def _ok(sections, key):
    if sections[key]["status"] != "ok":
        pytest.skip(f"section {key} unavailable: {sections[key]['reason']}")
    return sections[key]


IDS = [f"{f.__name__}-{key}" for f, key in PLOTS]


@pytest.mark.parametrize(("fn", "key"), PLOTS, ids=IDS)
def test_new_figure(fn, key, sections, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    monkeypatch.chdir(tmp_path)
    fig = fn(_ok(sections, key))
    assert isinstance(fig, Figure)
    titled = [a for a in fig.axes if a.get_title()]
    assert titled, fn.__name__
    for a in fig.axes:
        if a.has_data():
            assert a.get_xlabel() or a.get_ylabel(), fn.__name__
    assert list(tmp_path.iterdir()) == []  # nothing saved


@pytest.mark.parametrize(("fn", "key"), PLOTS, ids=IDS)
def test_draws_on_given_axes(fn, key, sections):
    r = _ok(sections, key)
    fig = fn(r)
    n = len(fig.axes) if fn is not plots.temperature_dial else 1  # its twin axis is its own
    target, axes = plots.new_figure(ncols=n)
    out = fn(r, ax=axes)
    assert out is axes
    assert any(a.has_data() for a in target.axes)


def test_a_plot_needs_enough_axes(sections):
    r = _ok(sections, "projection")
    _, ax = plots.new_figure()
    with pytest.raises(ValueError, match=f"this plot needs {len(r['maps'])} axes"):
        plots.projection_panels(r, ax=ax)


@pytest.mark.slow  # draws every figure in a fresh process (about 15 s)
def test_no_pyplot_and_no_gui_backend(quick_report):  # noqa: F811
    # in a fresh process: drawing every figure imports neither pyplot nor a GUI toolkit
    code = f"""
import json, sys
from geomlab import plots
sections = json.load(open({str(quick_report / "results.json")!r}))["sections"]
for name, key in {[(f.__name__, k) for f, k in PLOTS]!r}:
    if sections[key]["status"] == "ok":
        getattr(plots, name)(sections[key]).canvas.print_png(open("/dev/null", "wb"))
bad = [m for m in sys.modules if m == "matplotlib.pyplot" or m.startswith(("tkinter", "PyQt"))]
print(json.dumps(bad))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out.splitlines()[-1]) == []
