"""Section 10: a real language model — next-token preference, the logit lens, attention heads."""

from __future__ import annotations

import math

import numpy as np

from ...lm.analysis import next_token
from ...lm.inside import attention_map, logit_lens
from ...scoring.losses import entropy
from ...scoring.softmax import softmax
from . import Context, Figure, Rendered, Section, Table, claim
from ._common import language_model

PROMPT = "The capital of France is"
EXPECTED = " Paris"
ATTENTION_PROMPT = "The capital of France is Paris, and the capital of Germany is"
ATTENTION_LAYER = 5
BAR_TEMPERATURES = (0.5, 1.0, 2.0, 5.0)
TOP = 8


def compute(ctx: Context) -> dict:
    lm = language_model(ctx)
    ctx.step("next token")
    nt = next_token(lm, PROMPT, k=TOP)
    z = nt.logits.astype(np.float64)
    top_ids = [int(i) for i in nt.top_ids]
    tokens = list(nt.tokens)
    bars = {f"{t:g}": softmax(z, temperature=t)[top_ids].tolist() for t in BAR_TEMPERATURES}
    temps = np.geomspace(0.01, 1000, 41)
    sweep_h, sweep_p = [], []
    for t in temps:
        p = softmax(z, temperature=t)
        sweep_h.append(float(entropy(p)))
        sweep_p.append(float(p.max()))
    ctx.step("logit lens")
    lens = logit_lens(lm, PROMPT)
    ctx.step("attention")
    att = attention_map(lm, ATTENTION_PROMPT, layer=ATTENTION_LAYER)
    h_max = math.log(lm.config.vocab_size)
    paris = nt.prob(EXPECTED)
    first = lens.first_layer()
    on = "SmolLM2-135M"
    claims = [
        claim(
            5,
            f"next-token entropy {sweep_h[0]:.3g} nats at T = {temps[0]:g}, "
            f"{sweep_h[-1]:.2f} of ln {lm.config.vocab_size:,} = {h_max:.2f} at "
            f"T = {temps[-1]:g}",
            sweep_h[0] < 0.01 and sweep_h[-1] > 0.95 * h_max,
            on=on,
        ),
        claim(
            11,
            f"block {ATTENTION_LAYER}, {len(att.heads)} heads: max |softmax(QKᵀ/√d) − "
            f"weights| = {att.max_difference:.1e}; mean head entropy "
            f"{float(att.entropy.min()):.2f}–{float(att.entropy.max()):.2f} nats",
            att.max_difference < 1e-5,
            on=on,
        ),
        claim(
            14,
            f"after “{PROMPT}” the top token is '{tokens[0]}', p = {paris:.3f} "
            f"(hidden state · unembedding row = {float(z[top_ids[0]]):.2f}); it is on "
            f"top from block {first} of {lens.n_layers}",
            tokens[0] == EXPECTED,
            on=on,
        ),
    ]
    return {
        "prompt": PROMPT,
        "tokens": tokens,
        "top_ids": top_ids,
        "logits": [float(z[i]) for i in top_ids],
        "entropy": float(nt.entropy),
        "bars": bars,
        "sweep": {
            "temperature": temps.tolist(),
            "entropy": sweep_h,
            "top1": sweep_p,
            "max_entropy": h_max,
        },
        "lens": {
            "tokens": list(lens.tokens),
            "top_tokens": [list(r) for r in lens.top_tokens],
            "top_probs": lens.top_probs.tolist(),
            "entropy": lens.entropy.tolist(),
            "final_ranks": lens.final_ranks.tolist(),
            "first_layer": first,
        },
        "attention": {
            "prompt": ATTENTION_PROMPT,
            "layer": ATTENTION_LAYER,
            "tokens": list(att.tokens),
            "weights": att.weights.tolist(),
            "entropy": att.entropy.tolist(),
            "max_difference": att.max_difference,
        },
        "model": {
            "name": lm.config.name,
            "file": lm.path.name,
            "layers": lm.config.n_layers,
            "width": lm.config.d_model,
            "vocabulary": lm.config.vocab_size,
        },
        "claims": claims,
        "params": {
            "prompt": PROMPT,
            "top": TOP,
            "bar_temperatures": list(BAR_TEMPERATURES),
            "sweep": "41 temperatures, log-spaced 0.01 to 1000",
            "attention_prompt": ATTENTION_PROMPT,
            "attention_layer": ATTENTION_LAYER,
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    lens, att = r["lens"], r["attention"]
    ent = [row[-1] for row in lens["entropy"]]
    caption = [
        f"{r['model']['name']} ({r['model']['layers']} blocks, width {r['model']['width']}, "
        f"{r['model']['vocabulary']:,} tokens), run in numpy. After “{r['prompt']}” the final "
        f"hidden state meets every row of the unembedding matrix: '{r['tokens'][0]}' scores "
        f"{r['logits'][0]:.2f} against {r['logits'][1]:.2f} for '{r['tokens'][1]}', and "
        f"softmax turns that gap of {r['logits'][0] - r['logits'][1]:.2f} into p = "
        f"{r['bars']['1'][0]:.3f} against {r['bars']['1'][1]:.3f} (entropy "
        f"{r['entropy']:.2f} nats over all tokens). At T = 0.5 '{r['tokens'][0]}' takes "
        f"{r['bars']['0.5'][0]:.3f}; at T = 5, {r['bars']['5'][0]:.4f}.",
        f"The logit lens reads the residual stream after every block through the final norm "
        f"and the unembedding. At the last position the final prediction "
        f"'{lens['top_tokens'][-1][-1]}' is on top only from block {lens['first_layer']} of "
        f"{len(lens['entropy']) - 1}; the entropy there is {ent[-1]:.2f} nats, against "
        f"{max(ent[1:]):.2f} at its highest on the way.",
        f"Attention in block {att['layer']}: each head's weights are softmax(QKᵀ/√d) of its "
        f"own queries and keys, recomputed here to within {att['max_difference']:.1e}. Mean "
        f"row entropy per head runs from {min(att['entropy']):.2f} nats (focused) to "
        f"{max(att['entropy']):.2f} (spread out).",
    ]
    table = Table(
        ["rank", "token", "logit", *[f"p at T = {t}" for t in r["bars"]]],
        [
            [i + 1, tok, r["logits"][i], *[r["bars"][t][i] for t in r["bars"]]]
            for i, tok in enumerate(r["tokens"])
        ],
        f"Next token after “{r['prompt']}”",
    )
    figs = [
        Figure(
            "model_next_token",
            plots.next_token_bars(r),
            f"The model's next-token probabilities after “{r['prompt']}” at several temperatures.",
            svg=True,
        ),
        Figure(
            "model_logit_lens",
            plots.logit_lens_map(r),
            "Logit lens: the top token and its probability at every block and "
            "position; the entropy at the last position falling with depth.",
        ),
        Figure(
            "model_attention",
            plots.attention_heads(r),
            f"Attention weights of the {len(att['entropy'])} heads of block "
            f"{att['layer']} (rows: query position, columns: key position).",
        ),
    ]
    return Rendered(figs, [table], caption)


SECTION = Section(
    "model",
    "A real language model: next-token preference, logit lens, attention heads",
    compute,
    render,
)
