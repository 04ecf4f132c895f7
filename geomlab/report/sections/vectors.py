"""Section 1: the vectors — size, and row norms against frequency rank."""

from __future__ import annotations

import itertools

import numpy as np

from . import Context, Figure, Rendered, Section, Table

BANDS = [(1, 1_000), (1_001, 10_000), (10_001, 100_000), (100_001, None)]
SHOWN = ("the", "king", "paris", "quantum")


def _band_label(lo: int, hi: int | None, n: int) -> str:
    return f"{lo:,}–{min(hi, n) if hi else n:,}"


def compute(ctx: Context) -> dict:
    from scipy.stats import spearmanr

    emb = ctx.emb
    norms = np.asarray(emb.norms, dtype=np.float64)
    n = len(norms)
    rng = np.random.default_rng(ctx.seed)
    n_sample = min(n, 1_500 if ctx.quick else 5_000)
    # sample evenly in log rank so rare words do not swamp the picture
    sample = np.unique(np.clip(np.exp(rng.uniform(0, np.log(n), n_sample)).astype(int), 1, n)) - 1
    edges = np.unique(np.geomspace(1, n + 1, 41).astype(int))
    bins = {"rank": [], "median": [], "q10": [], "q90": [], "count": []}
    for lo, hi in itertools.pairwise(edges):
        part = norms[lo - 1 : hi - 1]
        if len(part) == 0:
            continue
        q10, med, q90 = np.percentile(part, [10, 50, 90])
        bins["rank"].append(float(np.sqrt(lo * max(lo, hi - 1))))
        bins["median"].append(float(med))
        bins["q10"].append(float(q10))
        bins["q90"].append(float(q90))
        bins["count"].append(len(part))
    bands = []
    for lo, hi in BANDS:
        if lo > n:
            break
        part = norms[lo - 1 : (hi if hi else n)]
        bands.append(
            {
                "band": _band_label(lo, hi, n),
                "n": len(part),
                "median": float(np.median(part)),
                "mean": float(part.mean()),
                "q10": float(np.percentile(part, 10)),
                "q90": float(np.percentile(part, 90)),
            }
        )
    # the peak among bins of at least 100 words (the first few ranks are single words)
    medians = np.where(np.asarray(bins["count"]) >= 100, bins["median"], -np.inf)
    peak = int(np.argmax(medians))
    rho = spearmanr(np.arange(n), norms).statistic if n > 2 else float("nan")
    marked = []
    for w in dict.fromkeys((*ctx.words, *SHOWN)):
        i = emb.get_index(w)
        if i is not None:
            marked.append({"word": w, "rank": i + 1, "norm": float(norms[i])})
    return {
        "n_words": n,
        "dim": int(emb.dim),
        "dtype": str(emb.vectors.dtype),
        "memory_mb": float(emb.vectors.nbytes / 2**20),
        "norm_min": float(norms.min()),
        "norm_median": float(np.median(norms)),
        "norm_max": float(norms.max()),
        "longest": emb.words[int(np.argmax(norms))],
        "shortest": emb.words[int(np.argmin(norms))],
        "zero_vectors": int((norms == 0).sum()),
        "spearman_rank_norm": float(rho),
        "peak_rank": bins["rank"][peak],
        "peak_median": bins["median"][peak],
        "bands": bands,
        "bins": bins,
        "sample": {"rank": (sample + 1).tolist(), "norm": norms[sample].tolist()},
        "marked": marked,
        "params": {"sample_size": n_sample, "rank_bins": len(bins["rank"]), "seed": ctx.seed},
    }


def render(r: dict) -> Rendered:
    from ... import plots

    first, last = r["bands"][0], r["bands"][-1]
    trend = "falls" if last["median"] < first["median"] else "rises"
    caption = [
        (
            f"The matrix holds {r['n_words']:,} words × {r['dim']} dimensions "
            f"({r['memory_mb']:.1f} MB of {r['dtype']}); {r['zero_vectors']:,} rows are zero. "
            f"Norms run from {r['norm_min']:.2f} ('{r['shortest']}') to {r['norm_max']:.2f} "
            f"('{r['longest']}'), median {r['norm_median']:.2f}."
        ),
    ]
    if len(r["bands"]) > 1:
        caption.append(
            (
                "Length tracks frequency: "
                if abs(r["spearman_rank_norm"]) > 0.2
                else "Length hardly tracks frequency: "
            )
            + f"the median norm is {first['median']:.2f} among ranks "
            f"{first['band']}, peaks at {r['peak_median']:.2f} around rank "
            f"{r['peak_rank']:,.0f}, and {trend} to {last['median']:.2f} among ranks "
            f"{last['band']} (Spearman ρ between rank and norm "
            f"{r['spearman_rank_norm']:+.2f}). Dot products, unlike cosines, carry this length."
        )
    table = Table(
        ["frequency rank", "words", "median norm", "mean norm", "10th pct", "90th pct"],
        [[b["band"], b["n"], b["median"], b["mean"], b["q10"], b["q90"]] for b in r["bands"]],
        "Norms by frequency band",
    )
    marked = Table(
        ["word", "rank", "norm"],
        [[m["word"], m["rank"], m["norm"]] for m in r["marked"]],
        "Marked words",
    )
    fig = Figure(
        "vectors_norms",
        plots.norms_by_rank(r),
        "Row norm against frequency rank (log scale), with the binned median.",
    )
    return Rendered([fig], [table, marked], caption)


SECTION = Section("vectors", "The vectors", compute, render)
