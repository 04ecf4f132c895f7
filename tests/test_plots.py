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
    helpers = {"styled", "new_figure", "freeze_layout"}
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


# -- what drawing the report costs: the layout once per figure, the same pixels ---------------
def _small_figure():
    fig, (a, b) = plots.new_figure(ncols=2, width=6.0, height=3.0)
    with plots.styled():
        a.plot([1, 10, 100], [3, 1, 2], label="a line")
        a.set_xscale("log")
        a.set_title("left: a log scale")
        a.set_xlabel("x")
        a.set_ylabel("y")
        a.legend()
        b.bar(["one", "two", "three"], [0.2, 0.5, 0.3])
        b.set_title("right: bars\non two lines")
        b.tick_params(axis="x", rotation=45)
    return fig


def _pixels(fig):
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return np.asarray(Image.open(buf))


def test_freeze_layout_keeps_the_pixels():
    import numpy as np

    laid_out_on_every_save = _pixels(_small_figure())
    fig = _small_figure()
    assert plots.freeze_layout(fig) is fig
    assert fig.get_layout_engine() is None
    positions = [a.get_position().bounds for a in fig.axes]
    frozen = _pixels(fig)
    assert np.array_equal(frozen, laid_out_on_every_save)
    fig.savefig(__import__("io").BytesIO(), format="svg")  # another format: the same places
    assert [a.get_position().bounds for a in fig.axes] == positions


def test_freeze_layout_of_a_figure_without_engine():
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().set_position([0.2, 0.2, 0.5, 0.5])
    assert plots.freeze_layout(fig) is fig
    assert fig.axes[0].get_position().bounds == pytest.approx((0.2, 0.2, 0.5, 0.5))


def test_attention_heads_name_the_tokens_on_the_outer_panels():
    import numpy as np

    n, tokens = 8, ["a", "b", "c"]  # a 3 x 3 grid, its last panel empty
    w = np.tril(np.ones((3, 3)))
    results = {
        "attention": {
            "weights": [(w / w.sum(1, keepdims=True)).tolist()] * n,
            "tokens": tokens,
            "entropy": [0.5] * n,
        }
    }
    fig = plots.attention_heads(results)
    heads = fig.axes[:n]
    for h, a in enumerate(heads):
        below, left = a.xaxis.get_major_ticks(), a.yaxis.get_major_ticks()
        # a column's lowest head (5 has none under it) and a row's first head name them;
        # the other panels have no ticks
        assert [t.label1.get_text() for t in below] == (tokens if h + 3 >= n else []), h
        assert [t.label1.get_text() for t in left] == (tokens if h % 3 == 0 else []), h
        assert all(t.label1.get_visible() for t in below + left)
        assert a.get_xlabel() and a.get_ylabel()
    assert not fig.axes[n].axison
    # on axes the caller gave, every head keeps its own tick labels
    _, axes = plots.new_figure(ncols=n)
    for a in plots.attention_heads(results, ax=axes):
        assert all(t.label1.get_visible() for t in a.xaxis.get_major_ticks())
        assert all(t.label1.get_visible() for t in a.yaxis.get_major_ticks())


def test_similarity_ranks_are_scipys():
    import numpy as np
    from scipy.stats import rankdata

    from geomlab.report.sections.similarity import _ranks

    for values in (
        [3.0],
        [2.0, 2.0, 2.0],
        [1.5, 0.2, 1.5, 9.0, 0.2, 1.5],
        [5, 1, 4, 1, 5, 9, 2, 6],
    ):
        assert np.array_equal(_ranks(values), rankdata(values))


def test_drawing_a_section_imports_no_scipy_stats(tmp_path):
    # the report draws in a process of its own: scipy.stats alone took over a second to import
    numbers = {
        "datasets": [
            {
                "label": "Tiny",
                "n_pairs": 4,
                "n_oov": 0,
                "spearman": 0.4,
                "spearman_low": -0.5,
                "spearman_high": 0.9,
                "pearson": 0.3,
                "confidence_level": 0.95,
                "human": [1.0, 2.0, 2.0, 4.0],
                "cosine": [0.1, 0.5, 0.2, 0.3],
                "words": [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]],
            }
        ]
    }
    code = f"""
import json, sys
from pathlib import Path
from geomlab.report._apart import draw
figs, rendered, _ = draw("similarity", {numbers!r}, Path({str(tmp_path)!r}))
print(json.dumps([figs, "scipy.stats" in sys.modules]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    figs, imported = json.loads(out.stdout.splitlines()[-1])
    assert imported is False
    assert [f["png"] for f in figs] == [f"{tmp_path.name}/similarity_scatter.png"]
    assert (tmp_path / "similarity_scatter.png").stat().st_size > 0
