"""Section 11: the language model's calibration on real text, by how rare the token is."""

from __future__ import annotations

from ...lm.analysis import score_text
from ...lm.calibration import CORPUS, calibrate_text
from . import Context, Figure, Rendered, Section, Table, claim
from ._common import LM_DOCUMENT as DOCUMENT
from ._common import LM_WINDOW as WINDOW
from ._common import language_model, lm_first_window, lm_text


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
    lm = language_model(ctx)
    text = lm_text(ctx)
    ctx.record_dataset(DOCUMENT, CORPUS / f"{DOCUMENT}.txt")
    ctx.step("scoring the text")
    _, first = lm_first_window(ctx)  # shared with the training section
    score = score_text(lm, text, window=WINDOW, sketch=True, hidden=first, progress=False)
    cal = calibrate_text(lm, [score])
    bands = [dict(b) for b in cal.bands]
    by_count = [b for b in bands if b["by"] == "corpus count" and b["n"]]
    rare, common = by_count[0], by_count[-1]
    claims = [
        claim(
            16,
            f"{cal.tokens:,} tokens of Moby-Dick: tokens seen once in the text get accuracy "
            f"{rare['accuracy']:.2f} at confidence {rare['confidence']:.2f}; tokens seen "
            f"{common['band']} times, {common['accuracy']:.2f} at {common['confidence']:.2f}",
            cal.holds,
            on="SmolLM2-135M",
        )
    ]
    return {
        "document": DOCUMENT,
        "tokens": cal.tokens,
        "accuracy": cal.accuracy,
        "confidence": cal.confidence,
        "nll": cal.nll,
        "ece_t1": cal.ece,
        "temperature": cal.temperature,
        "nll_fitted": cal.nll_fitted,
        "ece": cal.ece_fitted,
        "confidence_fitted": cal.confidence_fitted,
        "error_bound": cal.error_bound,
        "reliability_t1": _reliability(cal.reliability),
        "reliability": _reliability(cal.reliability_fitted),
        "bands": bands,
        "holds": cal.holds,
        "claims": claims,
        "params": {
            "document": DOCUMENT,
            "characters": len(text),
            "window": WINDOW,
            "reliability_bins": 15,
            "bands": "by the actual token's count in the text, and by its id",
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    by_count = [b for b in r["bands"] if b["by"] == "corpus count" and b["n"]]
    rare, common = by_count[0], by_count[-1]
    verdict = (
        "holds: the rarest tokens are the most over-confident"
        if r["holds"]
        else "does not hold here: the rarest tokens are not the most over-confident"
    )
    caption = [
        f"Every one of {r['tokens']:,} tokens from the start of Moby-Dick chapter 1 is a "
        f"prediction: the "
        f"model's top-1 token against the actual next one. At T = 1 it is right "
        f"{r['accuracy']:.1%} of the time with mean confidence {r['confidence']:.3f} (NLL "
        f"{r['nll']:.2f} nats per token, ECE {r['ece_t1']:.3f}); the temperature that fits "
        f"best is T = {r['temperature']:.3f} (NLL {r['nll_fitted']:.3f}, ECE {r['ece']:.3f}).",
        f"By how often the actual token occurs in the text: tokens seen once are predicted "
        f"with accuracy {rare['accuracy']:.2f} at confidence {rare['confidence']:.2f} (gap "
        f"{rare['gap']:+.2f}); tokens seen {common['band']} times with {common['accuracy']:.2f} "
        f"at {common['confidence']:.2f} (gap {common['gap']:+.2f}). The seeds' “confidently "
        f"wrong at the edges” {verdict}.",
    ]
    table = Table(
        ["by", "band", "tokens", "accuracy", "confidence", "gap", "ECE", "NLL"],
        [
            [
                b["by"],
                b["band"],
                b["n"],
                b["accuracy"],
                b["confidence"],
                b["gap"],
                b["ece"],
                b["nll"],
            ]
            for b in r["bands"]
        ],
        "Calibration by frequency band of the actual token",
    )
    figs = [
        Figure(
            "model_reliability",
            plots.reliability_diagram(r),
            "Reliability of the model's next-token predictions at T = 1 and at the "
            "fitted temperature.",
        ),
        Figure(
            "model_bands",
            plots.token_bands(r),
            "Accuracy and confidence by how often the actual token occurs in the text.",
            svg=True,
        ),
    ]
    return Rendered(figs, [table], caption)


SECTION = Section(
    "modelcalibration", "The language model on real text: calibration at the edges", compute, render
)
