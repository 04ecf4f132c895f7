"""Section 2: dot-product relevance — a query's logits over a set of candidates."""

from __future__ import annotations

import math

import numpy as np

from ..._showcase import CAPITALS
from . import Context, Figure, Rendered, Section, Table, Unavailable
from ._common import logits

PLACES = (
    "hospital",
    "court",
    "school",
    "farm",
    "kitchen",
    "church",
    "factory",
    "bank",
    "theater",
    "laboratory",
)
# (query, candidates, the answer a reader expects first)
QUERIES = (
    ("france", CAPITALS, "paris"),
    ("japan", CAPITALS, "tokyo"),
    ("italy", CAPITALS, "rome"),
    ("surgeon", PLACES, "hospital"),
)


def compute(ctx: Context) -> dict:
    emb = ctx.emb
    queries = []
    for query, cands, expected in QUERIES:
        cands = [c for c in cands if c in emb]
        if query not in emb or expected not in cands:
            continue
        words, scores = logits(emb, query, cands)
        gap = scores[0] - scores[1]
        queries.append(
            {
                "query": query,
                "expected": expected,
                "words": words,
                "logits": scores,
                "top": words[0],
                "expected_rank": words.index(expected) + 1,
                "gap": gap,
                "weight_ratio": math.exp(gap),
                "query_norm": float(np.linalg.norm(emb[query])),
            }
        )
    if not queries:
        raise Unavailable(
            "none of the probe queries (france, japan, italy, surgeon) and "
            "their expected answers are in this vocabulary"
        )
    return {
        "queries": queries,
        "params": {
            "metric": "dot",
            "queries": [{"query": q, "candidates": list(c), "expected": e} for q, c, e in QUERIES],
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    qs = r["queries"]
    hits = [q for q in qs if q["top"] == q["expected"]]
    misses = [q for q in qs if q["top"] != q["expected"]]
    f = qs[0]
    caption = [
        (
            f"A logit here is a plain dot product q · c between the query's vector and each "
            f"candidate's. For '{f['query']}' over {len(f['words'])} capitals, "
            f"'{f['words'][0]}' scores {f['logits'][0]:.2f} and the runner-up "
            f"'{f['words'][1]}' {f['logits'][1]:.2f}: a gap of {f['gap']:.2f}, which softmax "
            f"turns into a weight ratio of e^{f['gap']:.2f} ≈ {f['weight_ratio']:,.0f}."
        ),
        f"{len(hits)} of {len(qs)} queries put the expected answer first"
        + (
            "."
            if not misses
            else "; "
            + "; ".join(
                f"'{q['query']}' prefers '{q['top']}' ({q['logits'][0]:.2f}) to "
                f"'{q['expected']}' ({q['logits'][q['expected_rank'] - 1]:.2f}, rank "
                f"{q['expected_rank']})"
                for q in misses
            )
            + ". The geometry ranks by co-occurrence and vector length, not by facts."
        ),
    ]
    table = Table(
        [
            "query",
            "first",
            "logit",
            "runner-up",
            "logit",
            "gap",
            "weight ratio e^gap",
            "expected answer's rank",
        ],
        [
            [
                q["query"],
                q["words"][0],
                q["logits"][0],
                q["words"][1],
                q["logits"][1],
                q["gap"],
                q["weight_ratio"],
                q["expected_rank"],
            ]
            for q in qs
        ],
    )
    fig = Figure(
        "relevance_logits",
        plots.relevance_bars(r),
        "Dot-product logits of each query over its candidates, highest first.",
    )
    return Rendered([fig], [table], caption)


SECTION = Section("relevance", "Dot-product relevance: geometry as scores", compute, render)
