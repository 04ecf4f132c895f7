"""Section 8: calibration — the fitted temperature, reliability, and the frequency edges."""

from __future__ import annotations

import math

from . import Context, Figure, Rendered, Section, Table, Unavailable, claim
from ._common import analogy_calibration, google_dataset

BANDS, BANDS_QUICK = (10_000, 50_000), (3_000, 10_000)  # upper edges; an open band follows


def _reliability(bins) -> dict:
    return {
        "lower": list(bins.lower),
        "upper": list(bins.upper),
        "count": list(bins.count),
        "confidence": list(bins.confidence),
        "accuracy": list(bins.accuracy),
        "ece": float(bins.ece),
    }


def compute(ctx: Context) -> dict:
    fit = analogy_calibration(ctx)
    if fit.n_evaluated == 0:
        raise Unavailable(
            "no Google analogy question has all four words among the first "
            f"{fit.restrict_vocab:,} words of these vectors"
        )
    at1 = fit.calibration_at(1.0)
    bands = [
        {
            "band": b.band,
            "lo": b.lo,
            "hi": b.hi,
            "n": int(b.n),
            "accuracy": float(b.accuracy),
            "confidence": b.confidence,
            "ece": b.ece,
        }
        for b in fit.by_frequency(BANDS_QUICK if ctx.quick else BANDS).bands
        if b.n
    ]
    n_pool = min(int(fit.restrict_vocab), len(ctx.emb))
    n_questions = google_dataset(ctx).n_questions
    n_sampled = int(fit.n_evaluated + fit.n_oov)
    lo, hi = bands[0], bands[-1]
    claims = [
        claim(
            15,
            f"analogy NLL {at1.nll:.2f} nats at T = 1 (ln {n_pool:,} = "
            f"{math.log(n_pool):.2f}); fitted T = {fit.temperature:.4f}: NLL "
            f"{fit.nll:.2f}",
            at1.nll > 2 * fit.nll,
        )
    ]
    if len(bands) > 1:
        claims.append(
            claim(
                16,
                f"answer rank ≤ {lo['hi']:,}: accuracy {lo['accuracy']:.2f}, confidence "
                f"{lo['confidence']:.2f}; rank > {hi['lo'] - 1:,}: accuracy "
                f"{hi['accuracy']:.2f}, confidence {hi['confidence']:.2f}",
                lo["accuracy"] > hi["accuracy"] and hi["confidence"] > hi["accuracy"],
            )
        )
    return {
        "temperature": float(fit.temperature),
        "nll": float(fit.nll),
        "ece": float(fit.ece),
        "perplexity": float(fit.perplexity),
        "mean_confidence": float(fit.mean_confidence),
        "nll_t1": float(at1.nll),
        "ece_t1": float(at1.ece),
        "mean_confidence_t1": float(at1.mean_confidence),
        "error_bound": float(fit.calibration_error_bound),
        "accuracy": float(fit.accuracy),
        "n_evaluated": int(fit.n_evaluated),
        "n_sampled": n_sampled,
        "n_questions": n_questions,
        "n_candidates": n_pool,
        "reliability": _reliability(fit.reliability),
        "reliability_t1": _reliability(at1.reliability),
        "bands": bands,
        "claims": claims,
        "params": {
            "dataset": "google",
            "method": "3cosadd",
            "questions": f"a random sample of {n_sampled:,} of the benchmark's "
            f"{n_questions:,} questions (seed {ctx.seed}); those with a word outside the "
            "candidates are skipped",
            "restrict_vocab": n_pool,
            "temperature": "fitted: minimises the mean NLL of the expected answers",
            "band_edges": list(BANDS_QUICK if ctx.quick else BANDS),
            "frequency": "rank of the expected answer",
            "reliability_bins": 15,
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    lo, hi = r["bands"][0], r["bands"][-1]
    rel = r["reliability"]
    occupied = [i for i, n in enumerate(rel["count"]) if n]
    n_bins = len(occupied)
    under = sum(rel["accuracy"][i] > rel["confidence"][i] for i in occupied)
    over = sum(rel["accuracy"][i] < rel["confidence"][i] for i in occupied)
    mush = r["nll_t1"] > 0.5 * math.log(r["n_candidates"])
    caption = [
        (
            f"Read the cosines of {r['n_evaluated']:,} analogy questions ("
            + (
                f"a random sample of the benchmark's {r['n_questions']:,}"
                if r["n_sampled"] < r["n_questions"]
                else "every benchmark question whose four words are candidates"
            )
            + f") as logits over {r['n_candidates']:,} candidates. At "
            f"T = 1 the right answer costs {r['nll_t1']:.2f} nats on average, next to "
            f"ln {r['n_candidates']:,} = {math.log(r['n_candidates']):.2f} for a uniform guess"
            + (": the softmax hedges, the seeds' “probabilistic mush”." if mush else ".")
            + f" The fitted temperature T = {r['temperature']:.4f} brings it to "
            f"{r['nll']:.2f} nats, and the expected calibration error goes from "
            f"{r['ece_t1']:.3f} to {r['ece']:.3f}."
        ),
        "By the expected answer's frequency rank: "
        + "; ".join(
            f"{b['band']}: accuracy {b['accuracy']:.0%} at confidence {b['confidence']:.2f}"
            for b in r["bands"]
        )
        + (
            "."
            if len(r["bands"]) < 2
            else (
                ". The geometry is best where training was densest"
                if lo["accuracy"] > hi["accuracy"]
                else ". In this run the rarest band is not the least accurate"
            )
            + (
                ", and at the rare edge confidence exceeds accuracy: confidently wrong."
                if hi["confidence"] > hi["accuracy"]
                else "."
            )
        ),
        f"At the fitted T accuracy exceeds confidence in {under} and falls short of it in "
        f"{over} of {n_bins} occupied confidence bins"
        + (
            ": under-confident. The NLL fit keeps T warm enough to spare the questions whose "
            "answer sits far down the ranking, so the ones it gets right are under-claimed."
            if under > n_bins / 2
            else ": over-confident."
            if over > n_bins / 2
            else "."
        ),
    ]
    table = Table(
        ["answer's frequency rank", "questions", "accuracy", "mean confidence", "ECE"],
        [[b["band"], b["n"], b["accuracy"], b["confidence"], b["ece"]] for b in r["bands"]],
        "By frequency band (fitted T)",
    )
    summary = Table(
        ["temperature", "NLL (nats)", "ECE"],
        [
            ["T = 1", r["nll_t1"], r["ece_t1"]],
            [f"fitted T = {r['temperature']:.4f}", r["nll"], r["ece"]],
        ],
        "Negative log-likelihood of the right answer",
    )
    figs = [
        Figure(
            "calibration_reliability",
            plots.reliability_diagram(r),
            "Reliability diagram: accuracy against confidence, T = 1 and fitted T.",
        ),
        Figure(
            "calibration_bands",
            plots.frequency_bands(r),
            "Accuracy and confidence by the answer's frequency band.",
        ),
    ]
    return Rendered(figs, [summary, table], caption)


SECTION = Section(
    "calibration", "Calibration: the fitted temperature and the edges", compute, render
)
