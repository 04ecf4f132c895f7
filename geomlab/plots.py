"""Figures: the report draws with them, every record's ``.plot()`` too, and so can you.

Every function takes the numbers a report section computed (the dict that
``results.json`` keeps under ``sections.<key>``) and ``ax=None``. It draws on ``ax`` when
given (a sequence of axes for multi-panel figures) and returns it; otherwise it makes a new
figure and returns that. Nothing is saved or shown here.

Figures are built on matplotlib's object API with the Agg canvas, so no pyplot state and
no GUI backend is involved; matplotlib itself is imported inside the functions only.
This module imports nothing else from geomlab: it sits at the bottom of the import graph,
so geometry, scoring, evaluation and the language model can draw without importing the
report.

Why one module of about 800 lines: it is one idea (a figure from a dict of numbers), made
of about 25 short independent functions that share a style, a canvas and an axes helper.
Split by topic, every file would repeat those and the report would import them all anyway.

Examples
--------
>>> import json, geomlab.plots as plots                             # doctest: +SKIP
>>> results = json.load(open("geomlab-report/results.json"))        # doctest: +SKIP
>>> fig = plots.norms_by_rank(results["sections"]["vectors"])       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence

import numpy as np

__all__ = [
    "PALETTE",
    "STYLE",
    "analogy_accuracy",
    "attention_weights",
    "contextual_neighbors",
    "cross_entropy_curve",
    "eml_echo",
    "freeze_layout",
    "frequency_bands",
    "gradient_bars",
    "neighbor_agreement",
    "new_figure",
    "norms_by_rank",
    "offset_consistency",
    "parallelogram",
    "projection_panels",
    "relevance_bars",
    "reliability_diagram",
    "row_movement",
    "sense_map",
    "similarity_scatter",
    "softmax_temperatures",
    "styled",
    "temperature_dial",
    "training_curves",
]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#999999",
    "#882255",
    "#44AA99",
    "#117733",
]

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    # titles at a fixed height above the axes: matplotlib otherwise measures every tick
    # label again at each layout and draw, to lift a title over labels on top (none here)
    "axes.titley": 1.0,
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


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 9.0, height: float = 4.2, **subplot_kw
):
    """A figure on the Agg canvas (no pyplot) and its axes (a flat list when more than one)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    flat = list(axes.ravel())
    return fig, (flat[0] if len(flat) == 1 else flat)


def freeze_layout(fig):
    """Lay ``fig`` out now, once, and keep that layout for every later save; returns ``fig``.

    A figure with a layout engine (``layout="constrained"``, as every figure here) is laid
    out again each time it is drawn, measuring every piece of its text, and ``savefig``
    draws it twice per file: once to lay it out, once to paint it. Frozen, a figure saved
    as PNG and SVG is laid out once instead of four times and painted once per file. The
    axes keep the places the layout gave them (fractions of the figure, so every format
    and dpi shows the same layout); what is added to the figure afterwards is not laid out.

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> _ = ax.set_title("frozen")
    >>> freeze_layout(fig).get_layout_engine() is None
    True
    """
    import matplotlib

    engine = fig.get_layout_engine()
    if engine is None:
        return fig
    engine.execute(fig)
    # None removes the engine (``"none"`` would leave a placeholder, and savefig still
    # draws a figure twice while it has one); None reads these two settings
    off = {"figure.autolayout": False, "figure.constrained_layout.use": False}
    with matplotlib.rc_context(off):
        fig.set_layout_engine(None)
    return fig


def _axes(ax, n: int = 1, **kw):
    """(figure or None, axes): new ones when ``ax`` is None; the figure is what to return."""
    if ax is not None:
        if n > 1 and (not isinstance(ax, Sequence) or len(ax) < n):
            raise ValueError(f"this plot needs {n} axes, got {ax!r}")
        return None, ax
    return new_figure(ncols=n, **kw)


def _done(fig, ax):
    return fig if fig is not None else ax


def _literal(obj):
    """``obj`` with every ``$`` in its strings escaped, so matplotlib draws it as itself.

    Matplotlib reads text between two ``$`` as math: a word such as ``"$x^^$"`` (vocabularies
    hold such tokens) would fail to parse and abort the report, and ``"a$b$c"`` would come out
    as italic math. ``\\$`` is drawn as a plain ``$``.
    """
    if isinstance(obj, str):
        return obj.replace("$", "\\$")
    if isinstance(obj, dict):
        return {_literal(k): _literal(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_literal(v) for v in obj)
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "U":
        return np.char.replace(obj, "$", "\\$")
    return obj


def _literal_text(plot):
    """A plot function that draws every string of its results literally (see _literal)."""

    @functools.wraps(plot)
    def wrapper(results, *args, **kwargs):
        return plot(_literal(results), *args, **kwargs)

    return wrapper


# -- 1. the vectors ---------------------------------------------------------------------------
@_literal_text
def norms_by_rank(results: dict, ax=None):
    """Row norm against frequency rank: a log-rank sample, the binned median and 10-90% band."""
    with styled():
        fig, ax = _axes(ax, height=4.0)
        s = results["sample"]
        ax.scatter(
            s["rank"],
            s["norm"],
            s=3,
            alpha=0.25,
            color=PALETTE[8],
            lw=0,
            label=f"{len(s['rank']):,} words, sampled evenly in log rank",
        )
        b = results["bins"]
        ax.fill_between(
            b["rank"],
            b["q10"],
            b["q90"],
            color=PALETTE[0],
            alpha=0.18,
            label="10th to 90th percentile",
        )
        ax.plot(b["rank"], b["median"], color=PALETTE[0], lw=2, label="median norm")
        for i, w in enumerate(results.get("marked", [])):
            ax.scatter([w["rank"]], [w["norm"]], s=28, color=PALETTE[3], zorder=5)
            ax.annotate(
                w["word"],
                (w["rank"], w["norm"]),
                xytext=(4, 4 + 6 * (i % 2)),
                textcoords="offset points",
                fontsize=8,
                color=PALETTE[3],
            )
        ax.set_xscale("log")
        ax.set_xlabel("frequency rank (1 = most frequent, log scale)")
        ax.set_ylabel("Euclidean norm ‖v‖")
        ax.set_title(
            f"Vector length against frequency ({results['n_words']:,} words, "
            f"{results['dim']} dimensions)"
        )
        ax.legend(loc="upper right")
        return _done(fig, ax)


# -- 5. analogies ------------------------------------------------------------------------------
@_literal_text
def parallelogram(results: dict, ax=None):
    """Each analogy quartet (a, b, c, d) in its own 2-D PCA plane: the offsets a → b and
    c → d, and where b − a + c lands."""
    quartets = results["parallelograms"]
    with styled():
        fig, axes = _axes(ax, n=len(quartets), width=4.6 * len(quartets), height=4.2)
        axes = [axes] if len(quartets) == 1 else axes
        for a, q in zip(axes, quartets):
            xy = np.asarray(q["xy"])
            pred = np.asarray(q["predicted_xy"])
            for (i, j), color in (
                ((0, 1), PALETTE[0]),
                ((2, 3), PALETTE[0]),
                ((0, 2), PALETTE[8]),
                ((1, 3), PALETTE[8]),
            ):
                a.annotate(
                    "",
                    xy=xy[j],
                    xytext=xy[i],
                    arrowprops={"arrowstyle": "->", "color": color, "lw": 1.6},
                )
            a.scatter(xy[:, 0], xy[:, 1], s=40, color=PALETTE[0], zorder=5)
            a.scatter(
                *pred,
                s=90,
                marker="*",
                color=PALETTE[3],
                zorder=6,
                label=f"{q['words'][1]} − {q['words'][0]} + {q['words'][2]}",
            )
            a.plot([], [], color=PALETTE[0], label="the relation's offsets a → b, c → d")
            for w, (x, y) in zip(q["words"], xy):
                a.annotate(w, (x, y), xytext=(5, 5), textcoords="offset points", fontsize=10)
            a.set_title(
                f"{q['words'][0]} : {q['words'][1]} :: {q['words'][2]} : "
                f"{q['words'][3]}  (cos {q['cos_to_answer']:.2f})"
            )
            a.set_xlabel("PC 1 of the four unit vectors")
            a.set_ylabel("PC 2")
            a.legend(loc="best")
            a.margins(0.15)
        return _done(fig, axes)


@_literal_text
def analogy_accuracy(results: dict, ax=None):
    """Google benchmark accuracy per section: 3CosAdd, 3CosMul and 3CosAdd with inputs kept."""
    secs = results["sections"]
    series = [("3cosadd", "3CosAdd"), ("3cosmul", "3CosMul"), ("honest", "3CosAdd, inputs kept")]
    with styled():
        fig, ax = _axes(ax, height=4.4)
        y = np.arange(len(secs))
        h = 0.8 / len(series)
        for j, (key, label) in enumerate(series):
            vals = [s.get(key) or 0.0 for s in secs]
            overall = results["honest"] if key == "honest" else results["overall"][key]
            ax.barh(
                y + (j - 1) * h,
                vals,
                h,
                color=PALETTE[j],
                label=f"{label} (all: {overall['accuracy']:.1%})",
            )
        ax.set_yticks(y, [s["section"] for s in secs])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("accuracy (fraction of questions answered exactly)")
        ax.set_title("Google analogies by section")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=3)
        ax.grid(axis="y", visible=False)
        return _done(fig, ax)


@_literal_text
def offset_consistency(results: dict, ax=None):
    """Each section's offset consistency (do its difference vectors point the same way?)
    against its 3CosAdd accuracy."""
    secs = [s for s in results["sections"] if s.get("consistency") is not None]
    with styled():
        fig, ax = _axes(ax, width=7.5, height=4.4)
        x = [s["consistency"] for s in secs]
        y = [s["3cosadd"] for s in secs]
        ax.scatter(x, y, s=[max(12, s["n"] / 15) for s in secs], color=PALETTE[0], alpha=0.8)
        for s, xi, yi in zip(secs, x, y):
            ax.annotate(
                s["section"], (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=8
            )
        ax.set_xlabel("offset consistency (mean cosine of a relation's difference vectors)")
        ax.set_ylabel("3CosAdd accuracy")
        ax.set_ylim(0, 1)
        rho = results.get("consistency_spearman")
        ax.set_title(
            "Offset consistency against accuracy"
            + (f": Spearman ρ = {rho:.2f}" if rho is not None else "")
            + " (size: questions)"
        )
        return _done(fig, ax)


# -- 6. similarity -----------------------------------------------------------------------------
@_literal_text
def similarity_scatter(results: dict, ax=None):
    """Model cosine against human score, one panel per dataset, Spearman in the title."""
    ds = results["datasets"]
    with styled():
        fig, axes = _axes(ax, n=len(ds), width=4.8 * len(ds), height=4.2)
        axes = [axes] if len(ds) == 1 else axes
        for a, d in zip(axes, ds):
            a.scatter(d["human"], d["cosine"], s=9, alpha=0.5, color=PALETTE[0], lw=0)
            a.set_title(
                f"{d['label']}: Spearman ρ = {d['spearman']:.3f}\n"
                f"95% CI {d['spearman_low']:.3f} – {d['spearman_high']:.3f}, "
                f"{len(d['human']):,} pairs"
            )
            a.set_xlabel("human score (dataset's own scale)")
            a.set_ylabel("model cosine similarity")
        return _done(fig, axes if len(axes) > 1 else axes[0])


# -- 7. polysemy -------------------------------------------------------------------------------
@_literal_text
def sense_map(results: dict, ax=None):
    """The word's nearest neighbors in a 2-D PCA plane, coloured by the sense each is
    closest to; the sense centres as crosses."""
    m = results["map"]
    senses = results["senses"]
    with styled():
        fig, ax = _axes(ax, width=7.5, height=5.2)
        xy = np.asarray(m["xy"])
        sense = np.asarray(m["sense"])
        for k, s in enumerate(senses):
            sel = sense == k
            color = PALETTE[k % len(PALETTE)]
            ax.scatter(
                xy[sel, 0],
                xy[sel, 1],
                s=22,
                color=color,
                label=f"{k + 1} ({s['kind']}): {', '.join(s['words'][:3])}",
            )
            for w, (x, y) in zip(np.asarray(m["words"])[sel], xy[sel]):
                ax.annotate(
                    w, (x, y), xytext=(3, 2), textcoords="offset points", fontsize=7, color=color
                )
            ax.scatter(*m["sense_xy"][k], marker="X", s=120, color=color, edgecolor="black")
        ax.scatter(*m["word_xy"], marker="*", s=220, color="black", label=results["word"])
        ax.set_xlabel(f"PC 1 ({m['explained'][0]:.0%} of the variance)")
        ax.set_ylabel(f"PC 2 ({m['explained'][1]:.0%})")
        ax.set_title(
            f"The neighborhood of '{results['word']}' ({len(m['words'])} words), by closest sense"
        )
        ax.legend(loc="best", title="sense (kind): its words; ✕ its centre")
        return _done(fig, ax)


@_literal_text
def contextual_neighbors(results: dict, ax=None):
    """Side by side: the word's nearest neighbors (cosine) read in each of two contexts."""
    ctxs = results["contexts"][:2]
    with styled():
        fig, axes = _axes(ax, n=len(ctxs), width=9.0, height=3.8)
        axes = [axes] if len(ctxs) == 1 else axes
        for j, (a, c) in enumerate(zip(axes, ctxs)):
            a.barh(
                c["neighbors"][::-1], c["neighbor_scores"][::-1], color=PALETTE[j % len(PALETTE)]
            )
            a.set_title(f"{c['sense']} context:\n" + _wrap(f"“{c['context']}”", 48), fontsize=9.5)
            a.set_xlabel("cosine to the contextual vector")
            a.set_xlim(0, 1)
            a.grid(axis="y", visible=False)
        axes[0].set_ylabel(f"nearest words of '{results['word']}' in context")
        return _done(fig, axes if len(axes) > 1 else axes[0])


@_literal_text
def attention_weights(results: dict, ax=None):
    """The attention weights of the word over each context's words."""
    ctxs = results["contexts"][:2]
    with styled():
        fig, axes = _axes(ax, n=len(ctxs), width=9.0, height=3.4)
        axes = [axes] if len(ctxs) == 1 else axes
        for j, (a, c) in enumerate(zip(axes, ctxs)):
            bars = a.bar(
                c["attention_words"], c["attention_weights"], color=PALETTE[j % len(PALETTE)]
            )
            a.bar_label(bars, [f"{w:.2f}" for w in c["attention_weights"]], fontsize=7)
            a.set_ylim(0, 1)
            a.set_ylabel("attention weight (sums to 1)")
            a.set_xlabel(f"context words ({c['sense']} sense)")
            a.set_title(
                f"'{results['word']}' in its {c['sense']} context:\n"
                + _wrap(f"“{c['context']}”", 48),
                fontsize=9.5,
            )
            a.tick_params(axis="x", rotation=45)
            a.grid(axis="x", visible=False)
        return _done(fig, axes if len(axes) > 1 else axes[0])


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


# -- 8. calibration ----------------------------------------------------------------------------
@_literal_text
def reliability_diagram(results: dict, ax=None):
    """Accuracy against confidence in bins, at T = 1 and at the fitted T, with the diagonal
    of perfect calibration; the bin counts below."""
    with styled():
        fig, axes = _axes(ax, n=2, width=9.0, height=4.2)
        a, b = axes
        a.plot([0, 1], [0, 1], color=PALETTE[8], ls="--", lw=1, label="perfect calibration")
        label, t = results.get("label", "fitted T"), results.get("temperature")
        curves = [
            (
                results["reliability"],
                (f"{label} = {t:.3g} " if t is not None else "") + f"(ECE {results['ece']:.3f})",
                PALETTE[0],
            )
        ]
        if results.get("reliability_t1"):
            curves.insert(
                0, (results["reliability_t1"], (f"T = 1 (ECE {results['ece_t1']:.3f})"), PALETTE[3])
            )
        for rel, label, color in curves:
            keep = [i for i, n in enumerate(rel["count"]) if n > 0]  # empty bins are NaN
            a.plot(
                [rel["confidence"][i] for i in keep],
                [rel["accuracy"][i] for i in keep],
                marker="o",
                color=color,
                label=label,
            )
        a.set_xlim(0, 1)
        a.set_ylim(0, 1)
        a.set_xlabel("confidence (top-1 probability)")
        a.set_ylabel("accuracy in the bin")
        a.set_title("Reliability diagram")
        a.legend(loc="upper left")
        for rel, label, color in [(r, lab.split(" (")[0] or "bins", c) for r, lab, c in curves]:
            b.stairs(
                rel["count"], [*rel["lower"], rel["upper"][-1]], color=color, lw=2, label=label
            )
        b.set_yscale("log")
        b.legend()
        b.set_xlabel("confidence (top-1 probability)")
        b.set_ylabel(f"{results.get('unit', 'questions')} per bin (log scale)")
        b.set_title("How many questions per bin")
        return _done(fig, axes)


def _band_bars(bands: list[dict], labels: list[str], xlabel: str, title: str, ax=None):
    """Accuracy and mean confidence side by side, one pair of bars per band."""
    with styled():
        fig, ax = _axes(ax, width=7.5, height=3.8)
        x = np.arange(len(bands))
        ax.bar(x - 0.2, [b["accuracy"] for b in bands], 0.4, color=PALETTE[0], label="accuracy")
        ax.bar(
            x + 0.2,
            [b["confidence"] for b in bands],
            0.4,
            color=PALETTE[1],
            label="mean confidence",
        )
        ax.set_xticks(x, labels)
        ax.set_ylim(0, 1)
        ax.set_ylabel("fraction")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.legend()
        ax.grid(axis="x", visible=False)
        return _done(fig, ax)


@_literal_text
def frequency_bands(results: dict, ax=None):
    """Accuracy and mean confidence by the frequency band of the right answer."""
    bands = results["bands"]
    return _band_bars(
        bands,
        [f"rank {b['band']}\n({b['n']:,} questions)" for b in bands],
        "frequency rank of the expected answer",
        "Accuracy and confidence by how frequent the answer is",
        ax,
    )


# -- 9. projection ----------------------------------------------------------------------------
@_literal_text
def projection_panels(results: dict, ax=None):
    """The same words mapped to 2-D by each method, coloured by k-means cluster (in the
    full space), with each map's trustworthiness in its title."""
    maps = results["maps"]
    with styled():
        fig, axes = _axes(ax, n=len(maps), width=5.0 * len(maps), height=5.2)
        axes = [axes] if len(maps) == 1 else axes
        cluster = np.asarray(results["cluster"])
        colors = [c for c in PALETTE if c != "#F0E442"]  # no pale yellow for small dots
        names = results["cluster_names"]
        labelled = set(results["labelled"])
        words = results["words"]
        for a, m in zip(axes, maps):
            xy = np.asarray(m["xy"])
            for c, name in enumerate(names):
                sel = cluster == c
                a.scatter(
                    xy[sel, 0],
                    xy[sel, 1],
                    s=max(4, 2400 / len(xy)),
                    alpha=0.6,
                    lw=0,
                    color=colors[c % len(colors)],
                    label=name,
                )
            for i, w in enumerate(words):
                if w in labelled:
                    a.annotate(
                        w,
                        xy[i],
                        fontsize=7.5,
                        ha="center",
                        va="bottom",
                        xytext=(0, 2),
                        textcoords="offset points",
                    )
            a.set_title(
                f"{m['method']}: trustworthiness {m['trustworthiness']:.3f}\n({m['seconds']:.1f} s)"
            )
            a.set_xlabel(f"{m['method']} 1 (arbitrary units)")
            a.set_ylabel(f"{m['method']} 2 (arbitrary units)")
            a.set_xticks([])
            a.set_yticks([])
            a.grid(False)
        if fig is not None:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncols=min(4, len(names)),
                markerscale=3,
                title="k-means cluster in the full space (named by the words nearest its centre)",
            )
        return _done(fig, axes)


# -- 2. relevance -----------------------------------------------------------------------------
@_literal_text
def relevance_bars(results: dict, ax=None, *, top: int = 10):
    """One panel per query: its dot-product logits over the candidates, highest first; the
    expected answer in orange."""
    qs = results["queries"]
    with styled():
        fig, axes = _axes(ax, n=len(qs), width=3.2 * len(qs), height=3.9)
        axes = [axes] if len(qs) == 1 else axes
        for a, q in zip(axes, qs):
            words, z = q["words"][:top][::-1], q["logits"][:top][::-1]
            colors = [PALETTE[1] if w == q["expected"] else PALETTE[0] for w in words]
            a.barh(words, z, color=colors)
            for y, v in enumerate(z):
                a.text(v, y, f" {v:.1f}", va="center", fontsize=7.5)
            a.set_title(f"query: {q['query']}")
            a.set_xlabel(results.get("xlabel", "logit = dot product q · c"))
            lo, hi = min(0.0, min(z)), max(0.0, max(z))
            a.set_xlim(lo * 1.18, hi * 1.18 if hi > 0 else 0.1)
            a.grid(axis="y", visible=False)
        axes[0].set_ylabel(f"candidates (top {top} of each set)")
        return _done(fig, axes if len(axes) > 1 else axes[0])


# -- 3. softmax and temperature ---------------------------------------------------------------
@_literal_text
def softmax_temperatures(results: dict, ax=None, *, top: int = 8):
    """The probabilities of the top candidates at each temperature, as grouped bars."""
    words = results["words"][:top]
    temps = list(results["bars"])
    with styled():
        fig, ax = _axes(ax, height=3.8)
        width = 0.8 / len(temps)
        x = np.arange(len(words))
        for j, t in enumerate(temps):
            ax.bar(
                x + (j - (len(temps) - 1) / 2) * width,
                results["bars"][t][:top],
                width,
                label=f"T = {t}",
                color=PALETTE[j % len(PALETTE)],
            )
        ax.set_xticks(x, words)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("probability softmax(z / T)")
        ax.set_xlabel(
            f"candidate (the {min(top, len(words))} highest logits for '{results['query']}')"
        )
        n = results.get("n", len(results["words"]))
        title = results.get("title") or (
            f"One set of logits, {len(temps)} temperatures: "
            f"'{results['query']}' over {n:,} candidates"
        )
        ax.set_title(title)
        ax.legend(ncols=len(temps), loc="upper right")
        ax.grid(axis="x", visible=False)
        return _done(fig, ax)


@_literal_text
def temperature_dial(results: dict, ax=None):
    """Entropy (left axis) and top-1 probability (right axis) against temperature."""
    sw = results["sweep"]
    with styled():
        fig, ax = _axes(ax, height=3.6)
        t = sw["temperature"]
        ax.plot(t, sw["entropy"], color=PALETTE[0], lw=2, label="entropy H(p)")
        n = results.get("n") or len(results["words"])
        ax.axhline(sw["max_entropy"], color=PALETTE[0], ls="--", lw=1, label=f"ln {n:,} (uniform)")
        ax.set_xscale("log")
        ax.set_xlabel("temperature T (log scale)")
        ax.set_ylabel("entropy (nats)", color=PALETTE[0])
        ax.axvline(1.0, color=PALETTE[8], lw=0.8, ls=":")
        right = ax.twinx()
        right.plot(t, sw["top1"], color=PALETTE[3], lw=2, label="top-1 probability")
        right.set_ylabel("top-1 probability", color=PALETTE[3])
        right.set_ylim(0, 1.02)
        right.grid(False)
        right.spines["right"].set_visible(True)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = right.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="center left")
        ax.set_title("The thermodynamic dial: cold is one-hot, hot is uniform")
        return _done(fig, ax)


# -- 4. cross-entropy -------------------------------------------------------------------------
@_literal_text
def cross_entropy_curve(results: dict, ax=None):
    """−ln p against p (log scale), the seed dialogue's points marked, and the ln 10 step."""
    c, sp = results["curve"], results["seed_points"]
    with styled():
        fig, ax = _axes(ax, height=3.8)
        ax.plot(c["p"], c["loss"], color=PALETTE[0], lw=2, label="cross-entropy −ln p")
        ax.scatter(sp["p"], sp["loss"], color=PALETTE[3], zorder=5, label="the seeds' points")
        for p, v in zip(sp["p"], sp["loss"]):
            ax.annotate(
                f"p = {p:g}: {v:.2f}",
                (p, v),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=8,
                color=PALETTE[3],
            )
        lo, hi = sp["loss"][2], sp["loss"][3]
        ax.annotate(
            "",
            xy=(1e-4, hi),
            xytext=(1e-4, lo),
            arrowprops={"arrowstyle": "<->", "color": PALETTE[2]},
        )
        ax.text(
            1.3e-4,
            (lo + hi) / 2,
            f"+ln 10 = {results['ln10_gap']:.3f}",
            color=PALETTE[2],
            fontsize=8,
            va="center",
        )
        ax.set_xscale("log")
        ax.set_xlabel("probability given to the right answer, p (log scale)")
        ax.set_ylabel("loss −ln p (nats)")
        ax.set_title("Cross-entropy: every factor of ten less probability costs ln 10 nats")
        ax.legend(loc="upper right")
        return _done(fig, ax)


@_literal_text
def gradient_bars(results: dict, ax=None, *, top: int = 10):
    """The gradient p − onehot over the top candidates, one panel per right answer."""
    grads = results["gradients"]
    words = results["words"]
    with styled():
        fig, axes = _axes(ax, n=len(grads), width=9.0, height=3.6)
        axes = [axes] if len(grads) == 1 else axes
        keep = list(range(min(top, len(words))))
        for a, (target, g) in zip(axes, grads.items()):
            idx = keep if words.index(target) in keep else keep[:-1] + [words.index(target)]
            vals = [g["grad"][i] for i in idx]
            colors = [PALETTE[3] if v < 0 else PALETTE[0] for v in vals]
            bars = a.bar([words[i] for i in idx], vals, color=colors)
            a.bar_label(bars, [f"{v:+.2g}" for v in vals], fontsize=7, padding=2)
            a.axhline(0, color="black", lw=0.8)
            a.set_title(f"right answer: {target} (loss {g['loss']:.3g} nats)")
            a.set_ylabel("∂ loss / ∂ logit = p − onehot")
            a.set_xlabel("candidate (blue: pushed down, red: pulled up)")
            a.tick_params(axis="x", rotation=60)
            lim = 1.25 * max(abs(v) for v in vals)
            a.set_ylim(-lim, lim)
            a.grid(axis="x", visible=False)
        return _done(fig, axes)


@_literal_text
def eml_echo(results: dict, ax=None):
    """eml(x, y) = eˣ − ln y beside ln p = x − ln y as the right answer's logit x is swept
    (the other logits fixed), on a symmetric log scale."""
    s = results["echo_sweep"]
    x = np.asarray(s["x"])
    e = np.asarray(s["eml"])
    lp = -np.asarray(s["cross_entropy"])
    with styled():
        fig, ax = _axes(ax, height=3.8)
        ax.plot(x, e, color=PALETTE[3], lw=2, label="eml(x, y) = eˣ − ln y")
        ax.plot(x, lp, color=PALETTE[0], lw=2, label="ln p = x − ln y = −cross-entropy")
        ax.axhline(0, color="black", lw=0.8)
        agree = e < 0
        if agree.any():
            ax.axvspan(
                x[agree].min(),
                x[agree].max(),
                color=PALETTE[2],
                alpha=0.12,
                label="same sign (both < 0)",
            )
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_xlabel(
            "x = the right answer's logit (others fixed at "
            + ", ".join(f"{v:g}" for v in s["others"])
            + ")"
        )
        ax.set_ylabel("value (symmetric log scale)")
        ax.set_title("The eml “echo”: same ranking, different sign once eˣ > ln y")
        ax.legend(loc="upper left")
        return _done(fig, ax)


# -- 10-11. the language model ------------------------------------------------------------------
@_literal_text
def next_token_bars(results: dict, ax=None):
    """The model's top next tokens, their probabilities at several temperatures."""
    tokens, bars = results["tokens"], results["bars"]
    with styled():
        fig, ax = _axes(ax, width=8.0, height=3.8)
        x = np.arange(len(tokens))
        width = 0.8 / len(bars)
        for j, (t, probs) in enumerate(bars.items()):
            ax.bar(
                x + (j - (len(bars) - 1) / 2) * width,
                probs,
                width,
                color=PALETTE[j % len(PALETTE)],
                label=f"T = {t}",
            )
        ax.set_xticks(x, [repr(t) for t in tokens], rotation=30)
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
        ax.set_title(f"Next token after “{results['prompt']}”")
        ax.legend()
        ax.grid(axis="x", visible=False)
        return _done(fig, ax)


@_literal_text
def logit_lens_map(results: dict, ax=None):
    """Logit lens: top-token probability per block and position (with the token written in
    each cell), and the entropy at the last position by block."""
    lens = results["lens"]
    probs = np.asarray(lens["top_probs"])
    with styled():
        fig, axes = _axes(ax, n=2, width=11.0, height=6.5)
        a, b = axes[:2]
        im = a.imshow(probs, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1)
        n_layers, n_pos = probs.shape
        for layer in range(n_layers):
            for pos in range(n_pos):
                a.text(
                    pos,
                    layer,
                    lens["top_tokens"][layer][pos].strip()[:8] or "␣",
                    ha="center",
                    va="center",
                    fontsize=5.5,
                    color="white" if probs[layer, pos] < 0.6 else "black",
                )
        a.set_xticks(range(n_pos), [repr(t) for t in lens["tokens"]], rotation=30, fontsize=8)
        a.set_ylabel("block (0 = token embedding)")
        a.set_title("Top next token and its probability")
        a.grid(False)
        a.figure.colorbar(im, ax=a, shrink=0.8, label="top-1 probability")
        ent = [row[-1] for row in lens["entropy"]]
        b.plot(ent, range(len(ent)), marker="o", ms=3, color=PALETTE[0])
        b.axhline(
            lens["first_layer"],
            color=PALETTE[3],
            ls="--",
            lw=1,
            label=f"final prediction on top from block {lens['first_layer']}",
        )
        b.set_xlabel("entropy at the last position (nats)")
        b.set_ylabel("block")
        b.set_title("Uncertainty by depth")
        b.legend(loc="upper right")
        return _done(fig, axes)


@_literal_text
def attention_heads(results: dict, ax=None):
    """A grid of one block's attention heads (rows: query, columns: key)."""
    att = results["attention"]
    weights = np.asarray(att["weights"])
    n = len(weights)
    cols = 3
    rows = -(-n // cols)
    with styled():
        if ax is None:
            fig, axes = new_figure(ncols=cols, nrows=rows, width=11.0, height=3.3 * rows)
            axes = axes if isinstance(axes, list) else [axes]
        else:
            fig, axes = None, ax
        labels = [t.strip() or "␣" for t in att["tokens"]]
        for h, a in enumerate(axes):
            if h >= n:
                a.axis("off")
                continue
            a.imshow(weights[h], cmap="magma", vmin=0, vmax=1)
            a.set_title(f"head {h}: entropy {att['entropy'][h]:.2f}", fontsize=9)
            # in this figure's own grid every head reads the same tokens: they are named
            # under the lowest panel of each column and left of each row, and the other
            # panels have no ticks (laying out the same labels beside every panel made this
            # the costliest figure of the report; the hidden ticks that were left cost
            # 0.06-0.15 s of the model section's 1.5 s of drawing)
            if fig is None or h + cols >= n:
                a.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
            else:
                a.set_xticks([])
            if fig is None or h % cols == 0:
                a.set_yticks(range(len(labels)), labels, fontsize=6)
            else:
                a.set_yticks([])
            a.set_xlabel("key position", fontsize=7)
            a.set_ylabel("query position", fontsize=7)
            a.grid(False)
        return _done(fig, axes)


@_literal_text
def token_bands(results: dict, ax=None):
    """Accuracy and confidence by how often the actual token occurs in the text."""
    bands = [b for b in results["bands"] if b["by"] == "corpus count" and b["n"]]
    return _band_bars(
        bands,
        [f"{b['band']}\n({b['n']:,} tokens)" for b in bands],
        "times the actual token occurs in the text",
        "Confident and wrong at the edges?",
        ax,
    )


@_literal_text
def polysemy_by_block(results: dict, ax=None):
    """Sense accuracy of a language model's hidden states by block (read once and twice),
    with the word vectors' accuracy and chance as horizontal lines."""
    layers = results["layers"]
    with styled():
        fig, ax = _axes(ax, width=9.0, height=4.2)
        ax.plot(
            layers,
            results["once"],
            marker="o",
            ms=3,
            color=PALETTE[0],
            label="model, sentence read once",
        )
        ax.plot(
            layers,
            results["twice"],
            marker="o",
            ms=3,
            color=PALETTE[1],
            label="model, read twice (second copy)",
        )
        if results.get("glove_accuracy") is not None:
            ax.axhline(
                results["glove_accuracy"],
                color=PALETTE[2],
                ls="--",
                lw=1.2,
                label="word vectors + attention stand-in",
            )
        ax.axhline(0.5, color="0.5", ls=":", lw=1, label="chance")
        ax.axvline(results["best_layer"], color="0.7", lw=0.8)
        ax.set_xlabel("block (0 = token embedding)")
        ax.set_ylabel("contexts whose sense is closer")
        ax.set_ylim(0.3, 1.02)
        others = results["n_words"] - 1
        word = f"'{results['word']}'" if results.get("word") else "words"
        ax.set_title(
            word
            + (f" and {others} other words" if others and results.get("word") else "")
            + f": {results['n_contexts']} contexts"
        )
        ax.legend(loc="lower right")
        return _done(fig, ax)


# -- 13. training dynamics ------------------------------------------------------------------
@_literal_text
def training_curves(results: dict, ax=None):
    """Loss per gradient step on the unembedding (training and held-out), and word2vec's
    loss per epoch."""
    u, w = results["unembedding"], results["word2vec"]
    with styled():
        fig, axes = _axes(ax, n=2, height=3.8)
        a, b = axes[0], axes[1]
        steps = [r["step"] for r in u["curve"]]
        a.plot(
            steps,
            [r["train_loss"] for r in u["curve"]],
            marker="o",
            ms=3,
            label=f"training ({u['train_tokens']} predictions)",
        )
        right = a.twinx()
        right.plot(
            steps,
            [r["held_out_loss"] for r in u["curve"]],
            marker="s",
            ms=3,
            color=PALETTE[3],
            label=f"held out ({u['held_out_tokens']}), right axis",
        )
        right.axvline(u["best_step"], color=PALETTE[3], ls=":", lw=1)
        right.set_ylabel("held-out loss (nats)")
        right.grid(False)
        a.set_xlabel("gradient step")
        a.set_ylabel("training loss (nats)")
        a.set_title("Unembedding: training vs held-out loss")
        h1, l1 = a.get_legend_handles_labels()
        h2, l2 = right.get_legend_handles_labels()
        a.legend(h1 + h2, l1 + l2, loc="upper center", fontsize=8)
        epochs = [r["epoch"] for r in w["curve"]][1:]
        b.plot(epochs, [r["loss"] for r in w["curve"]][1:], marker="o", ms=3, color=PALETTE[2])
        b.set_xlabel("epoch")
        b.set_ylabel("gensim's loss in the epoch")
        b.set_title(f"word2vec on {w['tokens']:,} words")
        return _done(fig, axes)


@_literal_text
def row_movement(results: dict, ax=None):
    """Mean distance each unembedding row has moved, by how often its token was the answer."""
    u = results["unembedding"]
    curves = np.asarray(u["band_curves"], dtype=float)
    with styled():
        fig, ax = _axes(ax, height=3.8)
        for j, band in enumerate(u["bands"]):
            if band["tokens"]:
                # step 0 (no movement yet) has no place on a log scale
                ax.plot(
                    range(1, len(curves)),
                    curves[1:, j],
                    marker="o",
                    ms=3,
                    label=f"answer {band['band']} times ({band['tokens']:,} tokens)",
                )
        ax.set_yscale("log")
        ax.set_xlabel("gradient step")
        ax.set_ylabel("mean |U_row - U_row at start|")
        ax.set_title("Frequent answers move their rows most; rare patterns get few updates")
        ax.legend(loc="lower right", fontsize=8)
        return _done(fig, ax)


@_literal_text
def section_accuracy(results: dict, ax=None):
    """Accuracy per benchmark section, the aggregate rows (semantic, syntactic, total)
    drawn apart below them in another colour."""
    secs, aggs = results["sections"], results.get("aggregates", [])
    with styled():
        fig, ax = _axes(ax, height=max(3.0, 0.32 * (len(secs) + len(aggs)) + 1.2))
        labels = [s["section"] for s in secs] + [a["section"] for a in aggs]
        vals = [s["accuracy"] for s in secs] + [a["accuracy"] for a in aggs]
        colors = [PALETTE[0]] * len(secs) + [PALETTE[1]] * len(aggs)
        y = np.arange(len(labels)) + np.r_[np.zeros(len(secs)), np.full(len(aggs), 0.6)]
        ax.barh(y, vals, color=colors)
        for yy, v, s in zip(y, vals, [*secs, *aggs]):
            ax.text(v, yy, f" {v:.1%} of {s['n']:,}", va="center", fontsize=7.5)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.15)
        ax.set_xlabel("accuracy (fraction answered exactly)")
        ax.set_title(results.get("title", "Accuracy by section"))
        ax.grid(axis="y", visible=False)
        return _done(fig, ax)


@_literal_text
def neighbor_agreement(results: dict, ax=None):
    """word2vec's neighbor agreement with GloVe per frequency band, epoch by epoch, and the
    analogies' mean reciprocal rank."""
    w = results["word2vec"]
    with styled():
        fig, axes = _axes(ax, n=2, height=3.8)
        a, b = axes[0], axes[1]
        for band in w["bands"]:
            if band["words"]:
                a.plot(
                    range(len(band["agreement"])),
                    band["agreement"],
                    marker="o",
                    ms=2,
                    label=f"count {band['band']} ({band['words']} words)",
                )
        a.axhline(w["k"] / w["words"], color=PALETTE[8], ls="--", lw=1, label="chance")
        a.set_xlabel("epoch (0: random start)")
        a.set_ylabel(f"share of {w['k']} neighbors shared with GloVe")
        a.set_title("Does the geometry approach GloVe's?")
        a.legend(fontsize=8)
        b.plot(
            [r["epoch"] for r in w["curve"]],
            [r["mrr"] for r in w["curve"]],
            marker="o",
            ms=2,
            color=PALETTE[4],
        )
        b.set_xlabel("epoch")
        b.set_ylabel("mean reciprocal rank of the answer")
        b.set_title(f"{w['analogy_questions']} Google analogies in the vocabulary")
        return _done(fig, axes)
