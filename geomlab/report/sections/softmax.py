"""Section 3: softmax with temperature — the thermodynamic dial, and sampling."""

from __future__ import annotations

import math

import numpy as np

from ..._showcase import CAPITALS
from ...geometry.preference import preference
from ...scoring.losses import entropy
from ...scoring.sampling import sample
from ...scoring.softmax import softmax
from . import Context, Figure, Rendered, Section, Table, Unavailable, claim
from ._common import EXPECTED, QUERY, SEED_LOGITS, logits

BAR_TEMPERATURES = (0.5, 1.0, 2.0, 5.0, 20.0)
SEED_WORDS = ("Paris", "London", "Berlin", "(a far token)")
SAMPLING_T = 5.0
RULES = (
    ("greedy", {}),
    ("temperature", {"temperature": 1.0}),
    ("temperature", {"temperature": SAMPLING_T}),
    ("top_k", {"temperature": SAMPLING_T, "k": 3}),
    ("top_p", {"temperature": SAMPLING_T, "p": 0.9}),
)


def _sampling(z, words, *, seed: int, n: int) -> list[dict]:
    out = []
    for method, kw in RULES:
        s = sample(z, method=method, n=n, seed=seed, words=words, **kw)
        again = sample(z, method=method, n=n, seed=seed, words=words, **kw)
        counts = {}
        for w in s.words:
            counts[w] = counts.get(w, 0) + 1
        top = max(counts, key=counts.get)
        out.append(
            {
                "rule": method,
                **kw,
                "draws": n,
                "support": int(s.support),
                "distinct": len(counts),
                "most_drawn": top,
                "most_drawn_share": counts[top] / n,
                "first_draws": list(s.words[:8]),
                "reproducible": bool(np.array_equal(s.indices, again.indices)),
            }
        )
    return out


def compute(ctx: Context) -> dict:
    emb = ctx.emb
    cands = [c for c in CAPITALS if c in emb]
    if QUERY not in emb or EXPECTED not in cands:
        raise Unavailable(f"the probe '{QUERY}' over capitals is not in this vocabulary")
    words, z = logits(emb, QUERY, cands)
    z = np.asarray(z)
    bars = {f"{t:g}": softmax(z, temperature=t).tolist() for t in BAR_TEMPERATURES}
    temps = np.geomspace(0.01, 1000, 61)
    probs = np.stack([softmax(z, temperature=t) for t in temps])
    ent = np.asarray(entropy(probs))
    top1 = probs.max(axis=1)
    h_max = math.log(len(z))
    pref = preference(emb, QUERY, cands, temperature=1.0, metric="dot", target=EXPECTED)
    pw = list(pref.words)
    pp = np.asarray(pref.probs, dtype=float)
    first = int(np.argmax(pp))
    seed_p = softmax(np.asarray(SEED_LOGITS))
    pair = softmax(np.array([2.0, 0.0]))
    sampling = _sampling(z, words, seed=ctx.seed, n=200 if ctx.quick else 1000)

    seed_exp = [math.exp(v) for v in SEED_LOGITS]
    claims = [
        claim(
            3,
            f"e^9.2 = {seed_exp[0]:,.1f}, e^1.4 = {seed_exp[1]:.2f}; softmax of the "
            f"seed logits gives Paris p = {seed_p[0]:.4f}",
            abs(seed_exp[0] - 9897.1) < 0.1 and abs(seed_exp[1] - 4.06) < 0.01,
        ),
        claim(
            4,
            f"softmax([2, 0]) weight ratio = {pair[0] / pair[1]:.4f} (e² = {math.e**2:.4f})",
            abs(pair[0] / pair[1] - math.e**2) < 1e-9,
        ),
        claim(
            5,
            f"entropy {ent[0]:.3g} nats at T = {temps[0]:g} (top-1 p {top1[0]:.4f}); "
            f"{ent[-1]:.4f} of ln {len(z)} = {h_max:.4f} at T = {temps[-1]:g}",
            ent[0] < 0.01 and top1[0] > 0.99 and ent[-1] > 0.99 * h_max,
        ),
        claim(
            14,
            f"preference('{QUERY}') over {len(pw)} capitals: '{pw[first]}' first, "
            f"p = {pp[first]:.4f} at T = 1",
            pw[first] == EXPECTED and pp[first] > 0.99,
        ),
        claim(
            17,
            "; ".join(
                f"{s['rule']}"
                + (f" T={s['temperature']:g}" if "temperature" in s else "")
                + f": {s['distinct']} distinct in {s['draws']}"
                for s in sampling
            )
            + "; same seed, same draws: "
            + ("yes" if all(s["reproducible"] for s in sampling) else "no"),
            sampling[0]["distinct"] == 1 and all(s["reproducible"] for s in sampling),
        ),
    ]
    return {
        "query": QUERY,
        "words": words,
        "logits": z.tolist(),
        "bars": bars,
        "sweep": {
            "temperature": temps.tolist(),
            "entropy": ent.tolist(),
            "top1": top1.tolist(),
            "max_entropy": h_max,
        },
        "preference": {
            "words": pw,
            "probs": pp.tolist(),
            "target_rank": int(pref.target_rank),
            "target_prob": float(pref.target_prob),
            "cross_entropy": float(pref.cross_entropy),
            "entropy": float(pref.entropy),
        },
        "seed_logits": {
            "words": list(SEED_WORDS),
            "logits": list(SEED_LOGITS),
            "exp": seed_exp,
            "probs": seed_p.tolist(),
        },
        "sampling": sampling,
        "claims": claims,
        "params": {
            "query": QUERY,
            "candidates": cands,
            "metric": "dot",
            "bar_temperatures": list(BAR_TEMPERATURES),
            "sweep": "61 temperatures, log-spaced 0.01 to 1000",
            "sampling": {"draws": sampling[0]["draws"], "seed": ctx.seed},
        },
    }


def _at(r: dict, t: float) -> tuple[float, float]:
    temps = np.asarray(r["sweep"]["temperature"])
    i = int(np.argmin(np.abs(np.log(temps / t))))
    return r["sweep"]["entropy"][i], r["sweep"]["top1"][i]


def render(r: dict) -> Rendered:
    from ... import plots

    w = r["words"]
    h1, p1 = _at(r, 1.0)
    h10, p10 = _at(r, 10.0)
    half = next((t for t, p in zip(r["sweep"]["temperature"], r["sweep"]["top1"]) if p < 0.5), None)
    s = r["seed_logits"]
    caption = [
        (
            f"The exponential amplifies: the seed dialogue's logit 9.2 for {s['words'][0]} "
            f"becomes e^9.2 = {s['exp'][0]:,.1f} and 1.4 for {s['words'][1]} becomes "
            f"{s['exp'][1]:.2f}, so softmax gives {s['words'][0]} p = {s['probs'][0]:.4f}."
        ),
        f"On the real dot products of '{r['query']}' over {len(w)} capitals, T = 1 gives "
        f"'{w[0]}' p = {p1:.4f} (entropy {h1:.3f} nats); at T = 10 the top-1 falls to "
        f"{p10:.3f} and the entropy rises to {h10:.3f} of the maximum ln {len(w)} = "
        f"{r['sweep']['max_entropy']:.3f}"
        + (f"; '{w[0]}' drops below one half first at T ≈ {half:.2g}." if half else ".")
        + " Temperature divides every logit, so it is the Boltzmann dial p ∝ e^(−E/kT) "
        "with energy E = −logit: cold is one-hot, hot is uniform.",
        "Sampling collapses the distribution into one choice: "
        + "; ".join(
            f"{x['rule']}{' T=' + format(x['temperature'], 'g') if 'temperature' in x else ''}"
            f"{' k=' + str(x['k']) if 'k' in x else ''}{' p=' + str(x['p']) if 'p' in x else ''}"
            f" drew {x['distinct']} distinct word{'s' if x['distinct'] != 1 else ''} in "
            f"{x['draws']:,}, '{x['most_drawn']}' "
            f"{x['most_drawn_share']:.0%} of the time"
            for x in r["sampling"]
        )
        + ".",
    ]
    table = Table(
        ["temperature T", "top-1 word", "top-1 p", "entropy (nats)", "perplexity"],
        [
            [
                float(t),
                w[int(np.argmax(p))],
                max(p),
                _at(r, float(t))[0],
                math.exp(_at(r, float(t))[0]),
            ]
            for t, p in r["bars"].items()
        ],
        "The same logits at several temperatures",
    )
    samp = Table(
        ["rule", "T", "k / p", "support", "distinct drawn", "most drawn", "share", "first draws"],
        [
            [
                x["rule"],
                x.get("temperature"),
                x.get("k", x.get("p")),
                x["support"],
                x["distinct"],
                x["most_drawn"],
                x["most_drawn_share"],
                " ".join(x["first_draws"]),
            ]
            for x in r["sampling"]
        ],
        f"Sampling, seed {r['params']['sampling']['seed']}",
    )
    figs = [
        Figure(
            "softmax_temperatures",
            plots.softmax_temperatures(r),
            f"softmax of the '{r['query']}' logits at several temperatures.",
            svg=True,
        ),
        Figure(
            "softmax_dial",
            plots.temperature_dial(r),
            "Entropy and top-1 probability against temperature.",
            svg=True,
        ),
    ]
    return Rendered(figs, [table, samp], caption)


SECTION = Section("softmax", "Softmax with temperature: the thermodynamic dial", compute, render)
