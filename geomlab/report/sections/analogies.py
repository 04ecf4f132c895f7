"""Section 5: analogies — the parallelogram, offset consistency, and the Google benchmark."""

from __future__ import annotations

import numpy as np

from ...geometry.analogy import analogy
from ...geometry.directions import offset_consistency as consistency
from . import Context, Figure, Rendered, Section, Table, Unavailable, claim
from ._common import ANALOGY_RESTRICT, ANALOGY_RESTRICT_QUICK
from ._common import analogy_evaluation as evaluation

# (a, b, c, d): a is to b as c is to d, i.e. d ≈ b − a + c
QUARTETS = (("man", "king", "woman", "queen"), ("france", "paris", "italy", "rome"))
METHODS = ("3cosadd", "3cosmul")


def _parallelogram(emb, quartet, analogy) -> dict:
    from sklearn.decomposition import PCA

    a, b, c, d = quartet
    kept = analogy(emb, a, b, c, k=10, exclude_inputs=True)
    honest = analogy(emb, a, b, c, k=10, exclude_inputs=False)
    # unit vectors, as 3CosAdd uses them; the plane is the one the four words span best
    vecs = emb.unit(emb.indices(quartet)).astype(np.float64)
    pred = vecs[1] - vecs[0] + vecs[2]
    xy = PCA(n_components=2).fit(vecs).transform(np.vstack([vecs, pred]))
    cos = float(pred @ vecs[3] / np.linalg.norm(pred))
    hw = list(honest.words)
    return {
        "words": list(quartet),
        "xy": xy[:4].tolist(),
        "predicted_xy": xy[4].tolist(),
        "top": list(kept.words[:5]),
        "top_scores": [float(s) for s in kept.scores[:5]],
        "rank": list(kept.words).index(d) + 1 if d in kept.words else None,
        "honest_top": hw[:5],
        "honest_rank": hw.index(d) + 1 if d in hw else None,
        "cos_to_answer": cos,
    }


def _section_pairs(dataset) -> dict[str, list[tuple[str, str]]]:
    """Each benchmark section's distinct word pairs (a, b) and (c, d) of its questions."""
    out = {}
    for sec in dataset.sections:
        pairs = {}
        for a, b, c, d in sec.questions:
            pairs[(a, b)] = None
            pairs[(c, d)] = None
        out[sec.name] = list(pairs)
    return out


def compute(ctx: Context) -> dict:
    emb = ctx.emb
    quartets = [q for q in QUARTETS if all(w in emb for w in q)]
    if not quartets:
        raise Unavailable("the probe quartets (king/queen, paris/rome) are not in this vocabulary")
    para = [_parallelogram(emb, q, analogy) for q in quartets]

    runs = {m: evaluation(ctx, m) for m in METHODS}
    honest = evaluation(ctx, "3cosadd", exclude_inputs=False)
    pairs = _section_pairs(ctx.shared["google"])
    low = emb.lower_index()
    by_section = {}
    for m, res in runs.items():
        for s in res.sections:
            row = by_section.setdefault(s.section, {"section": s.section, "n": int(s.n_evaluated)})
            row[m] = float(s.accuracy)
    for s in honest.sections:
        by_section[s.section]["honest"] = float(s.accuracy)
    words = emb.words
    for name, row in by_section.items():
        usable = list(
            dict.fromkeys(
                (words[low[x.lower()]], words[low[y.lower()]])
                for x, y in pairs.get(name, [])
                if x.lower() in low and y.lower() in low
            )
        )
        if len(usable) >= 2:
            row["consistency"] = float(consistency(emb, usable))
            row["n_pairs"] = len(usable)
    scored = [r for r in by_section.values() if "consistency" in r]
    rho = None
    if len(scored) >= 3:
        from scipy.stats import spearmanr

        rho = float(
            spearmanr([r["consistency"] for r in scored], [r["3cosadd"] for r in scored]).statistic
        )
    first = para[0]
    claims = [
        claim(
            12,
            f"{first['words'][1]} − {first['words'][0]} + {first['words'][2]}: "
            f"'{first['top'][0]}' first with inputs excluded; with inputs kept "
            f"'{first['honest_top'][0]}' first and '{first['words'][3]}' at rank "
            f"{first['honest_rank']}",
            first["top"][0] == first["words"][3],
        )
    ]
    return {
        "parallelograms": para,
        "overall": {
            m: {
                "accuracy": float(r.accuracy),
                "n_correct": int(r.n_correct),
                "n_evaluated": int(r.n_evaluated),
            }
            for m, r in runs.items()
        },
        "honest": {
            "accuracy": float(honest.accuracy),
            "n_correct": int(honest.n_correct),
            "n_evaluated": int(honest.n_evaluated),
        },
        "sections": list(by_section.values()),
        "consistency_spearman": rho,
        "claims": claims,
        "params": {
            "dataset": "google",
            "restrict_vocab": ANALOGY_RESTRICT_QUICK if ctx.quick else ANALOGY_RESTRICT,
            "methods": list(METHODS),
            "honest": "3cosadd with the three question words kept as candidates",
            "offset_consistency": "each section's distinct (a, b) pairs, case folded",
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    p = r["parallelograms"][0]
    add, mul = r["overall"]["3cosadd"], r["overall"]["3cosmul"]
    secs = [s for s in r["sections"] if "consistency" in s]
    best = max(r["sections"], key=lambda s: s["3cosadd"])
    worst = min(r["sections"], key=lambda s: s["3cosadd"])
    caption = [
        (
            f"{p['words'][1]} − {p['words'][0]} + {p['words'][2]} lands at cosine "
            f"{p['cos_to_answer']:.3f} from '{p['words'][3]}'. With the three inputs excluded "
            f"(the benchmark convention) the nearest word is '{p['top'][0]}'; kept, the nearest "
            f"is '{p['honest_top'][0]}' and '{p['words'][3]}' ranks {p['honest_rank']}."
        ),
        (
            f"On the Google benchmark 3CosAdd answers {add['n_correct']:,} of "
            f"{add['n_evaluated']:,} ({add['accuracy']:.1%}) and 3CosMul {mul['n_correct']:,} "
            f"({mul['accuracy']:.1%}); with inputs kept, 3CosAdd falls to "
            f"{r['honest']['accuracy']:.1%}. Sections range from {best['section']} "
            f"({best['3cosadd']:.1%}) to {worst['section']} ({worst['3cosadd']:.1%})."
        ),
    ]
    if r["consistency_spearman"] is not None:
        caption.append(
            f"Across the {len(secs)} sections, offset consistency (how parallel a relation's "
            f"difference vectors are) and 3CosAdd accuracy have Spearman ρ = "
            f"{r['consistency_spearman']:.2f}: "
            + (
                "the parallelogram works where the offsets agree."
                if r["consistency_spearman"] > 0.5
                else "a weak link in this run."
            )
        )
    table = Table(
        [
            "section",
            "questions",
            "3CosAdd",
            "3CosMul",
            "3CosAdd, inputs kept",
            "offset consistency",
        ],
        [
            [
                s["section"],
                s["n"],
                s["3cosadd"],
                s["3cosmul"],
                s.get("honest"),
                s.get("consistency"),
            ]
            for s in r["sections"]
        ]
        + [
            [
                "all",
                add["n_evaluated"],
                add["accuracy"],
                mul["accuracy"],
                r["honest"]["accuracy"],
                None,
            ]
        ],
        "Google analogies by section",
    )
    figs = [
        Figure(
            "analogies_parallelogram",
            plots.parallelogram(r),
            "Analogy quartets in their own 2-D PCA plane, with b − a + c marked.",
        ),
        Figure(
            "analogies_accuracy",
            plots.analogy_accuracy(r),
            "Google benchmark accuracy per section, by method.",
        ),
        Figure(
            "analogies_consistency",
            plots.offset_consistency(r),
            "Offset consistency of each relation against its 3CosAdd accuracy.",
        ),
    ]
    return Rendered(figs, [table], caption)


SECTION = Section("analogies", "Analogies: the parallelogram and the benchmark", compute, render)
