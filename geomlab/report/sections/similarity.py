"""Section 6: similarity benchmarks — model cosine against human judgement."""

from __future__ import annotations

import numpy as np

from ...evaluation._scan import Vocab
from ...evaluation.datasets import load_word_pairs
from ...evaluation.similarity import evaluate_similarity
from . import Context, Figure, Rendered, Section, Table, Unavailable

DATASETS = (("wordsim353", "WordSim-353"), ("simlex999", "SimLex-999"))
RESTRICT = 300_000  # evaluate_similarity's default


def compute(ctx: Context) -> dict:
    out = []
    vocab = Vocab(ctx.emb, min(RESTRICT, len(ctx.emb)), True)
    for name, label in DATASETS:
        ds = load_word_pairs(name)
        ctx.record_dataset(name, ds.path)
        covered = sum(vocab.row(a) is not None and vocab.row(b) is not None for a, b, _ in ds.pairs)
        if covered < 3:
            raise Unavailable(
                f"only {covered} of the {len(ds.pairs)} {label} pairs have "
                "both words in this vocabulary; at least 3 are needed"
            )
        res = evaluate_similarity(ctx.emb, ds, restrict_vocab=RESTRICT, seed=ctx.seed)
        pairs = [p for p in res.pairs if p.cosine is not None]
        out.append(
            {
                "dataset": name,
                "label": label,
                "path": str(ds.path),
                "n_pairs": int(res.n_pairs),
                "n_oov": int(res.n_oov),
                "spearman": float(res.spearman),
                "spearman_low": float(res.spearman_ci[0]),
                "spearman_high": float(res.spearman_ci[1]),
                "pearson": float(res.pearson),
                "confidence_level": float(res.confidence_level),
                "ci_method": res.ci_method,
                "human": [float(p.gold) for p in pairs],
                "cosine": [float(p.cosine) for p in pairs],
                "words": [[p.w1, p.w2] for p in pairs],
            }
        )
    return {
        "datasets": out,
        "params": {
            "bootstrap": "2,000 resamples of the pairs, BCa interval (scipy.stats.bootstrap)",
            "seed": ctx.seed,
            "metric": "cosine",
            "restrict_vocab": RESTRICT,
            "case_insensitive": True,
        },
    }


def _ranks(values) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank: scipy's ``rankdata(values)``, without
    importing scipy.stats (over a second) in the process that draws the figures."""
    _, group, counts = np.unique(np.asarray(values), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2)[group]


def _extremes(d: dict) -> tuple[str, str]:
    """The pair the model over-rates most and the one it under-rates most (by rank)."""
    gap = _ranks(d["cosine"]) / len(d["cosine"]) - _ranks(d["human"]) / len(d["human"])
    hi, lo = int(np.argmax(gap)), int(np.argmin(gap))
    return " – ".join(d["words"][hi]), " – ".join(d["words"][lo])


def render(r: dict) -> Rendered:
    from ... import plots

    ds = r["datasets"]
    parts = []
    for d in ds:
        over, under = _extremes(d)
        parts.append(
            f"On {d['label']} ({d['n_pairs']:,} pairs, {d['n_oov']} out of vocabulary) the "
            f"cosine ranks pairs with Spearman ρ = {d['spearman']:.3f} "
            f"({d['confidence_level']:.0%} bootstrap "
            f"interval {d['spearman_low']:.3f} to {d['spearman_high']:.3f}; Pearson "
            f"{d['pearson']:.3f}). The model over-rates '{over}' and under-rates '{under}' "
            "most, relative to the people."
        )
    if len(ds) == 2:
        ws, sl = ds
        overlap = (
            ws["spearman_low"] <= sl["spearman_high"] and sl["spearman_low"] <= ws["spearman_high"]
        )
        parts.append(
            f"{ws['label']} minus {sl['label']}: {ws['spearman'] - sl['spearman']:+.3f}, "
            + (
                "the intervals overlap, so the two are not told apart. "
                if overlap
                else "the intervals do not overlap. "
            )
            + (
                "Co-occurrence geometry tracks relatedness (what WordSim rewards: coffee – cup)"
                " better than strict similarity (what SimLex asks: coffee – tea)."
                if ws["spearman"] > sl["spearman"] and not overlap
                else ""
            )
        )
    level = f"{ds[0]['confidence_level']:.0%}"
    table = Table(
        ["dataset", "pairs", "out of vocabulary", "Spearman ρ", f"{level} interval", "Pearson r"],
        [
            [
                d["label"],
                d["n_pairs"],
                d["n_oov"],
                d["spearman"],
                f"{d['spearman_low']:.3f} – {d['spearman_high']:.3f}",
                d["pearson"],
            ]
            for d in ds
        ],
    )
    fig = Figure(
        "similarity_scatter",
        plots.similarity_scatter(r),
        "Model cosine against human score, one point per word pair.",
    )
    return Rendered([fig], [table], parts)


SECTION = Section(
    "similarity", "Similarity benchmarks: cosine against human judgement", compute, render
)
