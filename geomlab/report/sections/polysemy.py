"""Section 7: polysemy — one word, two senses: a sense map, contexts, attention."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import Context, Figure, Rendered, Section, Table, Unavailable, claim, need

WORD = "bank"
N_MAP = 60  # neighbors drawn on the sense map
PROBES = Path(__file__).resolve().parents[2] / "data" / "polysemy_probes.tsv"


def read_probes(path: Path = PROBES) -> dict[str, list[dict]]:
    """word -> its probe rows ({"sense", "context", "indicators"}), in file order."""
    out: dict[str, list[dict]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")),
                              delimiter="\t")
        for row in rows:
            out.setdefault(row["word"], []).append(
                {"sense": row["sense"], "context": row["context"],
                 "indicators": row["indicators"].split()})
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n == 0, 1, n)


def _toward(emb, vec, static, own, other) -> float:
    """How far reading in context moved the word toward its own sense's indicator words
    and away from the other sense's: the change in (cos to own − cos to other)."""
    def lean(v):
        v = _unit(np.asarray(v, dtype=np.float64))
        return float(v @ _unit(own.mean(axis=0)) - v @ _unit(other.mean(axis=0)))
    return lean(vec) - lean(static)


def compute(ctx: Context) -> dict:
    contextualize, senses, nearest = need("contextualize"), need("senses"), need("nearest")
    emb = ctx.emb
    probes = read_probes()
    ctx.record_dataset("polysemy_probes", PROBES)
    if WORD not in emb or WORD not in probes:
        raise Unavailable(f"'{WORD}' is not in this vocabulary")

    # every probe word read in each of its contexts: does it move toward the named sense?
    moves = []
    shown = []
    for word, rows in probes.items():
        if word not in emb or len(rows) != 2:
            continue
        ind = [emb.unit(emb.indices([w for w in r["indicators"] if w in emb])) for r in rows]
        static = emb[word]
        for i, r in enumerate(rows):
            c = contextualize(emb, word, r["context"], k=10)
            moves.append(_toward(emb, c.vector, static, ind[i], ind[1 - i]))
            if word == WORD:
                shown.append({"sense": r["sense"], "context": r["context"],
                              "neighbors": list(c.neighbors.words),
                              "neighbor_scores": [float(s) for s in c.neighbors.scores],
                              "static": list(c.static.words),
                              "attention_words": list(c.attention.words),
                              "attention_weights": [float(w) for w in c.attention.weights],
                              "kept_out": list(c.dropped) + list(c.skipped)})
    moves = np.asarray(moves)

    found = senses(emb, WORD)
    near = nearest(emb, WORD, k=N_MAP)
    words = list(near.words)
    x = emb.unit(emb.indices([WORD, *words]))
    sv = _unit(np.stack([np.asarray(s.vector, dtype=np.float64) for s in found]))
    sense_of = np.argmax(x[1:] @ sv.T, axis=1)
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=ctx.seed).fit(x)
    xy = pca.transform(x)
    sxy = pca.transform(sv)
    weights = [float(w) for w in shown[0]["attention_weights"]]
    claims = [
        claim(11, f"'{WORD}' attending over “{shown[0]['context']}”: weights sum to "
                  f"{sum(weights):.6f}; '{shown[0]['attention_words'][int(np.argmax(weights))]}'"
                  f" takes {max(weights):.2f}", abs(sum(weights) - 1) < 1e-9),
        claim(13, f"'{WORD}' near {shown[0]['sense']}: {', '.join(shown[0]['neighbors'][:4])}; "
                  f"near {shown[1]['sense']}: {', '.join(shown[1]['neighbors'][:4])}. Over "
                  f"{len(moves)} probe contexts, {int((moves > 0).sum())} move toward the "
                  "named sense", (moves > 0).mean() > 0.5),
    ]
    return {
        "word": WORD,
        "contexts": shown,
        "senses": [{"words": list(s.words)[:8], "weight": float(s.weight)} for s in found],
        "map": {"words": words, "xy": xy[1:].tolist(), "word_xy": xy[0].tolist(),
                "sense": sense_of.tolist(), "sense_xy": sxy.tolist(),
                "explained": [float(v) for v in pca.explained_variance_ratio_]},
        "probe_moves": {"n": int(len(moves)), "toward": int((moves > 0).sum()),
                        "mean": float(moves.mean())},
        "claims": claims,
        "params": {"word": WORD, "map_neighbors": N_MAP, "k": 10,
                   "probes": "geomlab/data/polysemy_probes.tsv",
                   "toward": "change in cos(v, own indicators) − cos(v, other indicators) "
                   "from the static to the contextual vector"},
    }


def render(r: dict) -> Rendered:
    from .. import plots

    a, b = r["contexts"][:2]
    pm = r["probe_moves"]
    caption = [
        f"'{r['word']}' alone has one vector; its {len(r['map']['words'])} nearest words "
        f"split into {len(r['senses'])} senses: "
        + "; ".join(f"{', '.join(s['words'][:4])} (weight {s['weight']:.2f})"
                    for s in r["senses"]) + ".",
        f"Read in context, attention blends the context words into it. In “{a['context']}” "
        f"the neighbors become {', '.join(a['neighbors'][:5])}; in “{b['context']}” they "
        f"become {', '.join(b['neighbors'][:5])} (alone: {', '.join(a['static'][:5])}). "
        f"Across all {pm['n']} probe contexts, {pm['toward']} ({pm['toward'] / pm['n']:.0%}) "
        "move the word toward the sense the context names.",
    ]
    n = max(len(a["neighbors"]), len(b["neighbors"]))
    table = Table(["rank", f"alone", f"near {a['sense']}", f"near {b['sense']}"],
                  [[i + 1, a["static"][i] if i < len(a["static"]) else "",
                    a["neighbors"][i] if i < len(a["neighbors"]) else "",
                    b["neighbors"][i] if i < len(b["neighbors"]) else ""] for i in range(n)],
                  f"Nearest words of '{r['word']}'")
    figs = [Figure("polysemy_senses", plots.sense_map(r),
                   f"The neighborhood of '{r['word']}', coloured by sense."),
            Figure("polysemy_contexts", plots.contextual_neighbors(r),
                   f"Contextual neighbors of '{r['word']}' in two contexts."),
            Figure("polysemy_attention", plots.attention_weights(r),
                   f"Attention weights of '{r['word']}' over each context.")]
    return Rendered(figs, [table], caption)


SECTION = Section("polysemy", "Polysemy: one word, several points", compute, render)
