"""The language model, opened up: the figures the README and the report quote, measured.

    python scripts/lm_analysis.py                  # all topics, about 1-2 minutes on 2 cores
    python scripts/lm_analysis.py --topic calibration --json cal.json

Topics:
  next         the next-token preference after the seeds' prompt, at several temperatures
  lens         the logit lens: where the final prediction comes on top, entropy by depth
  attention    every head of every block: the weights against softmax(QK^T/sqrt d), the
               most and least focused heads
  calibration  scoring and calibration over the shipped corpus (Moby-Dick ch. 1-3, 12,749
               tokens): accuracy, confidence, ECE, NLL, fitted temperature, by frequency band
  polysemy     the probe words' contexts in the model's hidden states, block by block, read
               once and twice, beside GloVe with the attention stand-in
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import geomlab

PROMPT = "The capital of France is"
ATTENTION_PROMPT = "The capital of France is Paris, and the capital of Germany is"


def next_token(lm) -> dict:
    out = {}
    for t in (0.5, 1.0, 2.0, 5.0):
        nt = geomlab.next_token(lm, PROMPT, temperature=t, k=5)
        out[f"T={t:g}"] = {
            "entropy": nt.entropy,
            "top": [(r["token"], round(r["prob"], 4)) for r in nt.rows()],
        }
        print(
            f"T = {t:<4g} entropy {nt.entropy:6.3f} nats  "
            + "  ".join(f"{r['token']!r} {r['prob']:.4f}" for r in nt.rows())
        )
    return out


def lens(lm) -> dict:
    ll = geomlab.logit_lens(lm, PROMPT)
    ent = ll.entropy[:, -1]
    print(
        f"final prediction {ll.top_tokens[-1][-1]!r} on top from block {ll.first_layer()} "
        f"of {ll.n_layers}; its rank by block: {ll.final_ranks[:, -1].tolist()}"
    )
    print(f"entropy at the last position by block: {np.round(ent, 2).tolist()}")
    return {
        "first_layer": ll.first_layer(),
        "final_ranks": ll.final_ranks[:, -1].tolist(),
        "entropy": ent.tolist(),
    }


def attention(lm) -> dict:
    rows = []
    worst = 0.0
    for layer in range(lm.config.n_layers):
        a = geomlab.attention_map(lm, ATTENTION_PROMPT, layer=layer)
        worst = max(worst, a.max_difference)
        rows += [(layer, h, float(e)) for h, e in zip(a.heads, a.entropy)]
    rows.sort(key=lambda r: r[2])
    print(f"{len(rows)} heads: max |softmax(QK^T/sqrt d) - weights| = {worst:.2e}")
    print("most focused heads (block, head, mean entropy):", rows[:3])
    print("least focused heads:", rows[-3:])
    return {"max_difference": worst, "most_focused": rows[:5], "least_focused": rows[-5:]}


def calibration(lm) -> dict:
    t0 = time.perf_counter()
    cal = geomlab.calibrate_text(lm, progress=True)
    seconds = time.perf_counter() - t0
    print(cal)
    print(
        f"scored and calibrated {cal.tokens:,} tokens in {seconds:.1f} s "
        f"({cal.tokens / seconds:.0f} tokens/s)"
    )
    return {**cal.to_dict(), "seconds": seconds}


def polysemy(lm) -> dict:
    r = geomlab.evaluate_polysemy(lm)
    g = geomlab.evaluate_polysemy(geomlab.load())
    print(r)
    print(f"GloVe 6B 50d with the attention stand-in: context accuracy {g.context_accuracy:.3f}")
    for ctx in (
        "the boat drifted to the muddy river bank",
        "loans and deposits at a low interest rate at the bank",
    ):
        print(geomlab.contextualize(lm, "bank", ctx, k=5))
    return {**r.to_dict(), "glove_context_accuracy": g.context_accuracy}


TOPICS = {
    "next": next_token,
    "lens": lens,
    "attention": attention,
    "calibration": calibration,
    "polysemy": polysemy,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--topic", choices=list(TOPICS), action="append")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    lm = geomlab.load_lm()
    print(lm)
    results = {}
    for name in args.topic or list(TOPICS):
        print(f"\n== {name} ==")
        results[name] = TOPICS[name](lm)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(geomlab._record.to_jsonable(results), fh, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
