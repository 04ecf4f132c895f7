"""Figures for the report, usable on their own (in a notebook, say).

Every function takes the numbers a report section computed (the dict that
``results.json`` keeps under ``sections.<key>``) and ``ax=None``. It draws on ``ax`` when
given (a sequence of axes for multi-panel figures) and returns it; otherwise it makes a new
figure and returns that. Nothing is saved or shown here.

Figures are built on matplotlib's object API with the Agg canvas, so no pyplot state and
no GUI backend is involved; matplotlib itself is imported inside the functions only.

Examples
--------
>>> import json, geomlab.report.plots as plots                      # doctest: +SKIP
>>> results = json.load(open("geomlab-report/results.json"))        # doctest: +SKIP
>>> fig = plots.norms_by_rank(results["sections"]["vectors"])       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np

__all__ = [
    "STYLE", "PALETTE", "new_figure", "styled",
    "norms_by_rank",
    "relevance_bars",
    "softmax_temperatures", "temperature_dial",
    "cross_entropy_curve", "gradient_bars", "eml_echo",
    "parallelogram", "offset_consistency", "analogy_accuracy",
    "similarity_scatter",
    "sense_map", "contextual_neighbors", "attention_weights",
    "reliability_diagram", "frequency_bands",
    "projection_panels",
]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000", "#999999", "#882255", "#44AA99", "#117733"]

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
}


@contextlib.contextmanager
def styled():
    """The report's matplotlib style, for the duration of a block."""
    import matplotlib
    from cycler import cycler

    with matplotlib.rc_context({**STYLE, "axes.prop_cycle": cycler(color=PALETTE)}):
        yield


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 9.0, height: float = 4.2,
               **subplot_kw):
    """A figure on the Agg canvas (no pyplot) and its axes (a flat list when more than one)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    flat = list(axes.ravel())
    return fig, (flat[0] if len(flat) == 1 else flat)


def _axes(ax, n: int = 1, **kw):
    """(figure or None, axes): new ones when ``ax`` is None; the figure is what to return."""
    if ax is not None:
        if n > 1 and (not isinstance(ax, Sequence) or len(ax) < n):
            raise ValueError(f"this plot needs {n} axes, got {ax!r}")
        return None, ax
    return new_figure(ncols=n, **kw)


def _done(fig, ax):
    return fig if fig is not None else ax


# -- 1. the vectors ---------------------------------------------------------------------------
def norms_by_rank(results: dict, ax=None):
    """Row norm against frequency rank: a log-rank sample, the binned median and 10-90% band."""
    with styled():
        fig, ax = _axes(ax, height=4.0)
        s = results["sample"]
        ax.scatter(s["rank"], s["norm"], s=3, alpha=0.25, color=PALETTE[8], lw=0,
                   label=f"{len(s['rank']):,} words, sampled evenly in log rank")
        b = results["bins"]
        ax.fill_between(b["rank"], b["q10"], b["q90"], color=PALETTE[0], alpha=0.18,
                        label="10th to 90th percentile")
        ax.plot(b["rank"], b["median"], color=PALETTE[0], lw=2, label="median norm")
        for i, w in enumerate(results.get("marked", [])):
            ax.scatter([w["rank"]], [w["norm"]], s=28, color=PALETTE[3], zorder=5)
            ax.annotate(w["word"], (w["rank"], w["norm"]), xytext=(4, 4 + 6 * (i % 2)),
                        textcoords="offset points", fontsize=8, color=PALETTE[3])
        ax.set_xscale("log")
        ax.set_xlabel("frequency rank (1 = most frequent, log scale)")
        ax.set_ylabel("Euclidean norm ‖v‖")
        ax.set_title(f"Vector length against frequency ({results['n_words']:,} words, "
                     f"{results['dim']} dimensions)")
        ax.legend(loc="upper right")
        return _done(fig, ax)


# -- 9. projection ----------------------------------------------------------------------------
def projection_panels(results: dict, ax=None):
    """The same words mapped to 2-D by each method, coloured by k-means cluster (in the
    full space), with each map's trustworthiness in its title."""
    maps = results["maps"]
    with styled():
        fig, axes = _axes(ax, n=len(maps), width=5.0 * len(maps), height=5.2)
        axes = [axes] if len(maps) == 1 else axes
        cluster = np.asarray(results["cluster"])
        names = results["cluster_names"]
        labelled = set(results["labelled"])
        words = results["words"]
        for a, m in zip(axes, maps):
            xy = np.asarray(m["xy"])
            for c, name in enumerate(names):
                sel = cluster == c
                a.scatter(xy[sel, 0], xy[sel, 1], s=4, alpha=0.55, lw=0,
                          color=PALETTE[c % len(PALETTE)], label=name)
            for i, w in enumerate(words):
                if w in labelled:
                    a.annotate(w, xy[i], fontsize=7.5, ha="center", va="bottom",
                               xytext=(0, 2), textcoords="offset points")
            a.set_title(f"{m['method']}: trustworthiness {m['trustworthiness']:.3f}\n"
                        f"({m['seconds']:.1f} s)")
            a.set_xlabel(f"{m['method']} 1 (arbitrary units)")
            a.set_ylabel(f"{m['method']} 2 (arbitrary units)")
            a.set_xticks([])
            a.set_yticks([])
            a.grid(False)
        if fig is not None:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(names)),
                       markerscale=4, title="k-means cluster in the 50-d space "
                       "(named by the words nearest its centre)")
        return _done(fig, axes)
