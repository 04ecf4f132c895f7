"""Section 7: polysemy — one word, two senses: a sense map, contexts, attention."""

from __future__ import annotations

from importlib import resources

import numpy as np

from ...evaluation.polysemy import PROBES_FILE, evaluate_polysemy, read_probes
from ...geometry.attention import contextualize
from ...geometry.neighbors import nearest
from ...geometry.senses import senses
from . import Context, Figure, Rendered, Section, Table, Unavailable, claim

WORD = "bank"
N_NEAREST = 30  # the word's nearest words drawn on the sense map, beside each sense's words


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n == 0, 1, n)


def _sense_map(emb, word, found, seed) -> dict:
    """The word's nearest words and each sense's describing words in one PCA plane,
    each coloured by the sense vector it is closest to."""
    from sklearn.decomposition import PCA

    words = list(
        dict.fromkeys(
            [*nearest(emb, word, k=N_NEAREST).words, *(w for s in found for w in s.words)]
        )
    )
    words = [w for w in words if w != word]
    x = emb.unit(emb.indices([word, *words]))
    sv = _unit(np.stack([np.asarray(s.vector, dtype=np.float64) for s in found]))
    pca = PCA(n_components=2, random_state=seed).fit(x)
    xy = pca.transform(x)
    return {
        "words": words,
        "xy": xy[1:].tolist(),
        "word_xy": xy[0].tolist(),
        "sense": np.argmax(x[1:] @ sv.T, axis=1).tolist(),
        "sense_xy": pca.transform(sv).tolist(),
        "explained": [float(v) for v in pca.explained_variance_ratio_],
    }


def glove_evaluation(ctx: Context, probes=None, mine=None, method=None):
    """The probe evaluation on the word vectors, computed once per report (the model's
    polysemy section compares against it)."""

    def run():
        ps = read_probes() if probes is None else probes
        rows = [p for p in ps if p.word == WORD] if mine is None else mine
        how = method or ("cluster" if ctx.quick else "atoms")
        return evaluate_polysemy(ctx.emb, rows if ctx.quick else ps, method=how)

    return ctx.once("polysemy_evaluation", run)


def compute(ctx: Context) -> dict:
    emb = ctx.emb
    probes = read_probes()
    ctx.record_dataset("polysemy_probes", resources.files("geomlab").joinpath("data", PROBES_FILE))
    mine = [p for p in probes if p.word == WORD]
    if WORD not in emb or len(mine) != 2:
        raise Unavailable(f"'{WORD}' is not in this vocabulary or has no probe contexts")
    # the atoms method fits a dictionary once (cached); --quick uses the fit-free clusters
    method = "cluster" if ctx.quick else "atoms"
    ctx.step(f"senses ({method})")
    found = senses(emb, WORD, method=method)
    shown = []
    for p in mine:
        c = contextualize(emb, WORD, p.context, k=10)
        shown.append(
            {
                "sense": p.sense,
                "context": p.context,
                "indicators": list(p.indicators),
                "neighbors": list(c.neighbors.words),
                "neighbor_scores": [float(v) for v in c.neighbors.scores],
                "static": list(c.static.words),
                "attention_words": list(c.attention.words),
                "attention_weights": [float(w) for w in c.attention.weights],
                "left_out": list(c.dropped) + list(c.skipped),
            }
        )
    ctx.step("probe evaluation")
    ev = glove_evaluation(ctx, probes, mine, method)
    row = next(r for r in ev.per_word if r["word"] == WORD)
    weights = shown[0]["attention_weights"]
    top = shown[0]["attention_words"][int(np.argmax(weights))]
    claims = [
        claim(
            11,
            f"'{WORD}' attending over “{shown[0]['context']}”: the weights sum to "
            f"{sum(weights):.6f}; '{top}' takes {max(weights):.2f}",
            abs(sum(weights) - 1) < 1e-9,
        ),
        claim(
            13,
            f"'{WORD}' near {shown[0]['sense']}: {', '.join(shown[0]['neighbors'][:4])};"
            f" near {shown[1]['sense']}: {', '.join(shown[1]['neighbors'][:4])}; "
            f"{row['contexts_right']} of 2 contexts lean to the named sense"
            + (
                ""
                if ctx.quick
                else f"; over all {ev.n_contexts} probe contexts, {ev.context_accuracy:.0%}"
            ),
            row["contexts_right"] == 2,
        ),
    ]
    return {
        "word": WORD,
        "contexts": shown,
        "senses": [
            {
                "words": list(s.words)[:8],
                "weight": float(s.weight),
                "share": float(s.share),
                "kind": s.kind,
                "note": s.note,
            }
            for s in found
        ],
        "map": _sense_map(emb, WORD, found, ctx.seed),
        "evaluation": {
            "n_words": int(ev.n_words),
            "n_contexts": int(ev.n_contexts),
            "context_accuracy": float(ev.context_accuracy),
            "both_contexts": float(ev.both_contexts),
            "senses_recovered": float(ev.senses_recovered),
            "sense_choice_accuracy": float(ev.sense_choice_accuracy),
            "mean_cross_entropy": float(ev.mean_cross_entropy),
            "word_row": row,
        },
        "claims": claims,
        "params": {
            "word": WORD,
            "senses_method": method,
            "k": 10,
            "map": f"{N_NEAREST} nearest words plus each sense's describing words, "
            "PCA of their unit vectors",
            "probes": f"geomlab/data/polysemy_probes.tsv ({'the ' + WORD + ' rows' if ctx.quick else 'every row'})",
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    a, b = r["contexts"][:2]
    ev = r["evaluation"]
    strong = [s for s in r["senses"] if s["kind"] == "sense"]
    method = r["params"]["senses_method"]
    caption = [
        f"'{r['word']}' alone is one vector. The {method} method finds {len(r['senses'])} "
        f"candidate senses, {len(strong)} of them strong: "
        + "; ".join(
            f"{', '.join(s['words'][:4])} ({s['kind']}, share {s['share']:.2f})"
            for s in r["senses"]
        )
        + ".",
        (
            f"Read in context, attention blends the context words into it. In “{a['context']}” "
            f"'{r['word']}' attends most to '{_top(a)}' and its neighbors become "
            f"{', '.join(a['neighbors'][:5])}; in “{b['context']}” it attends most to "
            f"'{_top(b)}' and they become {', '.join(b['neighbors'][:5])} (alone: "
            f"{', '.join(a['static'][:5])})."
        ),
        (
            f"Over {ev['n_contexts']} probe context{'s' if ev['n_contexts'] != 1 else ''} "
            f"({ev['n_words']} word{'s' if ev['n_words'] != 1 else ''}), "
            f"{ev['context_accuracy']:.0%} of the contextual neighborhoods lean to the sense the "
            f"context names; the senses found match both labelled senses for "
            f"{ev['senses_recovered']:.0%} of the words, and a softmax over the senses picks the "
            f"named one for {ev['sense_choice_accuracy']:.0%} of the contexts."
        ),
    ]
    n = max(len(a["neighbors"]), len(b["neighbors"]))
    table = Table(
        ["rank", "alone", f"near {a['sense']}", f"near {b['sense']}"],
        [
            [
                i + 1,
                a["static"][i] if i < len(a["static"]) else "",
                a["neighbors"][i] if i < len(a["neighbors"]) else "",
                b["neighbors"][i] if i < len(b["neighbors"]) else "",
            ]
            for i in range(n)
        ],
        f"Nearest words of '{r['word']}'",
    )
    figs = [
        Figure(
            "polysemy_senses",
            plots.sense_map(r),
            f"The neighborhood of '{r['word']}', coloured by sense.",
        ),
        Figure(
            "polysemy_contexts",
            plots.contextual_neighbors(r),
            f"Contextual neighbors of '{r['word']}' in two contexts.",
        ),
        Figure(
            "polysemy_attention",
            plots.attention_weights(r),
            f"Attention weights of '{r['word']}' over each context.",
        ),
    ]
    return Rendered(figs, [table], caption)


def _top(c: dict) -> str:
    return c["attention_words"][int(np.argmax(c["attention_weights"]))]


SECTION = Section("polysemy", "Polysemy: one word, several points", compute, render)
