"""Section 12: polysemy inside the language model, beside the word vectors' stand-in."""

from __future__ import annotations

import math

from ...evaluation.polysemy import read_probes
from ...lm.polysemy import DEFAULT_LAYER, contextualize_lm, evaluate_polysemy_lm
from . import Context, Figure, Rendered, Section, Table, Unavailable, claim
from ._common import POLYSEMY_WORD as WORD
from ._common import language_model
from .polysemy import glove_evaluation  # computed once, shared with the polysemy section


def compute(ctx: Context) -> dict:
    if WORD not in ctx.emb:
        raise Unavailable(
            f"'{WORD}' is not in this vocabulary: no word-vector polysemy to set the model's beside"
        )
    lm = language_model(ctx)
    probes = read_probes()
    rows = [p for p in probes if p.word == WORD] if ctx.quick else probes
    ctx.step("word vectors")
    glove = glove_evaluation(ctx)
    ctx.step("hidden states")
    ev = evaluate_polysemy_lm(lm, rows, progress=False)
    contexts = []
    for p in (p for p in probes if p.word == WORD):
        c = contextualize_lm(lm, WORD, p.context, k=5)
        contexts.append({"sense": p.sense, "context": p.context, "tokens": list(c.tokens)})
    w = ev.words.index(WORD)
    at = ev.layers.index(DEFAULT_LAYER)
    word_right = int(ev.hits[w, 1, at])
    both = [layer for layer, h in zip(ev.layers, ev.hits[w, 1]) if h == 2]
    best = ev.twice if ev.best_read_twice else ev.once
    claims = [
        claim(
            13,
            f"read twice, '{WORD}' is closer to its own sense's words in {word_right} of 2 "
            f"contexts at block {DEFAULT_LAYER} and in both at blocks "
            f"{_spans(both) or 'none'}; over {ev.n_contexts} probe contexts at block "
            f"{DEFAULT_LAYER}, {ev.twice[at]:.0%} (word vectors with attention: "
            f"{glove.context_accuracy:.0%}; chance 50%)",
            ev.twice[at] >= 0.75,
            on="SmolLM2-135M",
        )
    ]
    return {
        "word": WORD,
        "layers": list(ev.layers),
        "once": [float(v) for v in ev.once],
        "twice": [float(v) for v in ev.twice],
        "best_layer": ev.best_layer,
        "best_read_twice": ev.best_read_twice,
        "best_accuracy": float(best.max()),
        "held_out_accuracy": ev.held_out_accuracy,
        "word_both_right": both,
        "held_out_layers": sorted(set(ev.held_out_layers)),
        "default_layer": DEFAULT_LAYER,
        "n_words": ev.n_words,
        "n_contexts": ev.n_contexts,
        "glove_accuracy": float(glove.context_accuracy),
        "glove_contexts": int(glove.n_contexts),
        "contexts": contexts,
        "claims": claims,
        "params": {
            "probes": "geomlab/data/polysemy_probes.tsv ("
            + (f"the {WORD} rows" if ctx.quick else "every row")
            + ")",
            "measure": "cosine of the word's state (mean over its tokens, after the "
            "final norm) to each sense's indicator words read as a phrase, at the "
            "same block",
            "default_layer": DEFAULT_LAYER,
        },
    }


def _spans(layers: list[int]) -> str:
    """[13, 14, 15, 21, 22] -> '13-15, 21-22'."""
    out, start = [], None
    for i, x in enumerate(layers):
        if start is None:
            start = x
        if i + 1 == len(layers) or layers[i + 1] != x + 1:
            out.append(f"{start}" if start == x else f"{start}-{x}")
            start = None
    return ", ".join(out)


def render(r: dict) -> Rendered:
    from ... import plots

    reading = "read twice" if r["best_read_twice"] else "read once"
    held = r["held_out_accuracy"]
    held = None if held is None or math.isnan(held) else held  # NaN (one word): no held-out
    caption = [
        (
            "A static vector gives a word one point; the model gives every use its own state. "
            f"For each of {r['n_contexts']} probe contexts ({r['n_words']} "
            f"word{'s' if r['n_words'] != 1 else ''} with two senses each), a context counts as "
            "right when the word's state is closer to the words naming its sense than to the "
            "other sense's words, both read by the model at the same block."
        ),
        (
            f"The states separate the senses best at block {r['best_layer']} ({reading}): "
            f"{r['best_accuracy']:.0%} of contexts right, against {r['glove_accuracy']:.0%} for "
            "the word vectors with the attention stand-in and 50% for chance. "
            + (
                "The block was chosen on these same contexts; choosing it on all words but one "
                f"and scoring the left-out word gives {held:.0%} (blocks chosen: "
                f"{', '.join(map(str, r['held_out_layers']))}). "
                if held is not None
                else ""
            )
            + "Reading the sentence twice lets the word's state see the words after it: "
            f"{max(r['once']):.0%} at best read once, {max(r['twice']):.0%} read twice. "
            f"'{r['word']}' itself has both contexts right at blocks "
            f"{_spans(r['word_both_right']) or 'none'} (read twice)."
        ),
    ]
    rows = [
        [f"word vectors + attention ({r['glove_contexts']} contexts)", f"{r['glove_accuracy']:.3f}"]
    ]
    for name in ("once", "twice"):
        v = r[name]
        rows.append(
            [
                f"model, best block read {name} (block {r['layers'][v.index(max(v))]})",
                f"{max(v):.3f}",
            ]
        )
    if held is not None:
        rows.append(["model, block chosen on the other words", f"{held:.3f}"])
    table = Table(["", "contexts right"], rows, "Sense accuracy of contextual vectors")
    figs = [
        Figure(
            "model_polysemy",
            plots.polysemy_by_block(r),
            "Sense accuracy of the model's hidden states by block, read once and "
            "twice, against the word vectors.",
            svg=True,
        )
    ]
    return Rendered(figs, [table], caption)


SECTION = Section(
    "modelpolysemy", "Polysemy inside the model: one word, many states", compute, render
)
