"""Section 12: the logarithm carves the geometry — training dynamics, measured."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ...lm.calibration import CORPUS, corpus
from ...training.unembedding import train_unembedding
from ...training.word2vec import train_word2vec
from . import Context, Figure, Rendered, Section, Table
from ._common import LM_DOCUMENT, language_model, lm_first_window

#: train_unembedding's defaults but 10 steps, not 15: the held-out loss is lowest at step 2
#: and rises after it either way (by 0.0137 nats at step 10, 0.0289 at 15), so the
#: over-fitting shows as well, for two thirds of the CPU time
UNEMBEDDING = {"tokens": 512, "held_out": 256, "steps": 10}
QUICK_UNEMBEDDING = {"tokens": 64, "held_out": 32, "steps": 4}
QUICK_EPOCHS = 3


def compute(ctx: Context) -> dict:
    lm = language_model(ctx)
    text = corpus()[LM_DOCUMENT]
    for name in ("moby_dick_ch1", "moby_dick_ch2", "moby_dick_ch3"):
        ctx.record_dataset(name, CORPUS / f"{name}.txt")
    ctx.step("gradient steps on the unembedding, word2vec epochs")
    kw = QUICK_UNEMBEDDING if ctx.quick else UNEMBEDDING
    hidden = _first_states(ctx, lm, text, kw)
    # word2vec (one worker: seeded, it repeats bit for bit) on a thread beside the
    # unembedding's descent, whose tasks leave a core idle between products; run after
    # it, its 5 s kept one core busy and left the other idle (the section: 9.7-10.2 s wall
    # against 12.6 s, measured; word2vec's figures identical)
    with ThreadPoolExecutor(1, thread_name_prefix="geomlab-word2vec") as pool:
        w2v = pool.submit(
            train_word2vec,
            epochs=QUICK_EPOCHS if ctx.quick else 40,
            seed=1,
            reference=ctx.emb,
            progress=False,
        )
        u = train_unembedding(lm, text, **kw, hidden=hidden, progress=False)
        w = w2v.result()
    ud, wd = u.to_dict(), w.to_dict()
    return {
        "unembedding": ud,
        "word2vec": wd,
        "params": {
            "unembedding": {k: ud[k] for k in ("train_tokens", "held_out_tokens", "steps", "lr")},
            "word2vec": {
                k: wd[k] for k in ("epochs", "seed", "vector_size", "window", "min_count", "k")
            },
            "text": "Moby-Dick chapter 1 (unembedding); chapters 1-3 (word2vec)",
        },
    }


def _first_states(ctx: Context, lm, text: str, kw: dict):
    """The hidden states of the text's first tokens from the window the calibration
    section scores (computed once for both), when that window starts with them."""
    need = kw["tokens"] + kw["held_out"] + 1
    ids, hidden = lm_first_window(ctx)
    if len(ids) >= need and np.array_equal(ids[:need], lm.encode(text)[:need]):
        return hidden[: need - 1]
    return None


def render(r: dict) -> Rendered:
    from ... import plots

    u, w = r["unembedding"], r["word2vec"]
    bands = [b for b in u["bands"] if b["tokens"]]
    rise = u["held_out_loss_end"] - u["held_out_loss_best"]
    fall = u["held_out_loss_start"] - u["held_out_loss_best"]
    w_bands = [b for b in w["bands"] if b["words"]]
    caption = [
        f"SmolLM2 is frozen; only its unembedding rows learn, by {u['steps']} full-batch "
        f"gradient steps (rate {u['lr']:g}) on the cross-entropy of {u['train_tokens']} "
        f"next-token predictions of Moby-Dick. The gradient of a row is (p − onehot) times the "
        f"hidden states. Training loss falls from {u['train_loss_start']:.3f} to "
        f"{u['train_loss_end']:.3f} nats; the {u['held_out_tokens']} held-out predictions "
        + (
            f"improve by only {fall:.4f} nats (best at step {u['best_step']}) and then worsen "
            f"by {rise:.4f}: the model's own rows were already close to the best for unseen "
            f"text, and further steps memorise the training text (over-fitting)."
            if u["overfits"]
            else f"go from {u['held_out_loss_start']:.4f} to {u['held_out_loss_end']:.4f} nats "
            f"(best {u['held_out_loss_best']:.4f} at step {u['best_step']})."
        ),
        f"Rows move more the more often their token was the answer: mean movement "
        f"{bands[0]['mean_movement']:.2g} for the {bands[0]['tokens']:,} tokens never the "
        f"answer, {bands[-1]['mean_movement']:.2g} for those the answer {bands[-1]['band']} "
        f"times (Spearman {u['spearman']:.3f} over the vocabulary). Rare patterns get few "
        f"updates.",
        f"word2vec (skip-gram, seeded, one worker) on the {w['tokens']:,} words of chapters "
        f"1-3, {w['words']} words in its vocabulary: gensim's loss per epoch falls from "
        f"{w['loss_first']:,.0f} to {w['loss_last']:,.0f}, but so small a corpus carves "
        f"little: agreement of the {w['k']} nearest neighbors with GloVe goes from "
        f"{w['agreement_first']:.3f} (random start) to {w['agreement_last']:.3f} (chance "
        f"{w['k'] / w['words']:.3f}); the {w['analogy_questions']} Google analogies inside "
        f"the vocabulary stay at accuracy {w['accuracy_last']:.3f} (mean reciprocal rank "
        f"{w['mrr_first']:.4f} → {w['mrr_last']:.4f}). By frequency band the best agreement "
        f"comes at epoch "
        + ", ".join(f"{b['best_epoch']} (count {b['band']})" for b in w_bands)
        + ".",
    ]
    move = Table(
        ["answer count", "tokens", "mean movement", "median movement"],
        [[b["band"], b["tokens"], b["mean_movement"], b["median_movement"]] for b in u["bands"]],
        "Unembedding row movement by answer count",
    )
    watched = Table(
        ["token", "count", "movement", "nearest rows before", "after"],
        [
            [
                repr(x["token"]),
                x["count"],
                x["movement"],
                " ".join(repr(t) for t in x["neighbors_before"]),
                " ".join(repr(t) for t in x["neighbors_after"]),
            ]
            for x in u["watched"]
        ],
        "Watched rows: nearest rows (cosine) before and after training",
    )
    nb = Table(
        ["word", "count", "after epoch 1", f"after epoch {w['epochs']}"],
        [
            [x["word"], x["count"], " ".join(x["neighbors"][1]), " ".join(x["neighbors"][-1])]
            for x in w["neighbors"]
        ],
        "word2vec: nearest words after the first and the last epoch",
    )
    figs = [
        Figure(
            "training_curves",
            plots.training_curves(r),
            "Loss per gradient step on the unembedding (training and held-out) and "
            "word2vec's loss per epoch.",
            svg=True,
        ),
        Figure(
            "row_movement",
            plots.row_movement(r),
            "How far the unembedding rows moved, by how often their token was the "
            "answer in the training text.",
            svg=True,
        ),
        Figure(
            "neighbor_agreement",
            plots.neighbor_agreement(r),
            "word2vec epoch by epoch: neighbor agreement with GloVe per frequency "
            "band, and the analogies' mean reciprocal rank.",
            svg=True,
        ),
    ]
    return Rendered(figs, [move, watched, nb], caption)


SECTION = Section("training", "The logarithm carves the geometry", compute, render)
