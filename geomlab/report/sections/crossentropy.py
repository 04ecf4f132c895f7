"""Section 4: cross-entropy — −ln p, its gradient p − onehot, and the eml(x, y) echo."""

from __future__ import annotations

import math

import numpy as np

from ..._showcase import CAPITALS
from ...errors import GeomlabError
from ...scoring.eml import eml, eml_echo
from ...scoring.losses import cross_entropy, entropy, kl_divergence
from ...scoring.losses import cross_entropy_grad as grad
from ...scoring.softmax import free_energy, logsumexp, softmax
from . import Context, Figure, Rendered, Section, Table, Unavailable, claim
from ._common import QUERY, SEED_LOGITS, logits

SEED_POINTS = (0.99, 0.01, 1e-3, 1e-4, 1e-6)  # the seed dialogue's probabilities
EXPECTED_LOSS = {0.99: 0.01005, 0.01: 4.60517, 1e-4: 9.21034, 1e-6: 13.81551}
TARGETS = ("paris", "brussels")  # a right answer the model likes, and one it does not


def _binary(p: np.ndarray) -> np.ndarray:
    """Logits whose softmax is ``[p, 1 - p]``: so −ln p goes through cross_entropy itself."""
    return np.stack([np.log(p), np.log1p(-p)], axis=-1)


def compute(ctx: Context) -> dict:
    from scipy.stats import spearmanr

    emb = ctx.emb
    cands = [c for c in CAPITALS if c in emb]
    if QUERY not in emb or not all(t in cands for t in TARGETS):
        raise Unavailable(f"the probe '{QUERY}' over capitals is not in this vocabulary")

    # -ln p, through the library's cross-entropy of a two-way softmax
    curve_p = np.geomspace(1e-7, 0.999, 200)
    curve = np.asarray(cross_entropy(_binary(curve_p), np.zeros(len(curve_p), dtype=int)))
    pts = np.asarray(SEED_POINTS)
    losses = np.asarray(cross_entropy(_binary(pts), np.zeros(len(pts), dtype=int)))
    ln10_gap = float(losses[3] - losses[2])

    # the gradient p - onehot on real logits, checked against central differences
    words, z = logits(emb, QUERY, cands)
    z = np.asarray(z, dtype=np.float64)
    grads, fd_err = {}, 0.0
    eps = 1e-5
    for t in TARGETS:
        g = np.asarray(grad(z, t, words=words))
        bumps = np.eye(len(z)) * eps
        fd = (
            np.asarray(cross_entropy(z + bumps, [t] * len(z), words=words))
            - np.asarray(cross_entropy(z - bumps, [t] * len(z), words=words))
        ) / (2 * eps)
        fd_err = max(fd_err, float(np.abs(fd - g).max()))
        grads[t] = {"grad": g.tolist(), "loss": float(cross_entropy(z, t, words=words))}
    probs = np.asarray(softmax(z))

    # eml against cross-entropy: the seed logits with the right answer's logit swept
    xs = np.linspace(-6, 10, 161)
    sweep = np.tile(np.asarray(SEED_LOGITS, dtype=float), (len(xs), 1))
    sweep[:, 0] = xs
    echo = eml_echo(sweep, np.zeros(len(xs), dtype=int))
    crossing = (
        xs[np.flatnonzero(np.asarray(echo.eml) >= 0)[0]]
        if np.any(np.asarray(echo.eml) >= 0)
        else None
    )
    # ... and on the real logits, each capital in turn as the right answer
    real = eml_echo(np.tile(z, (len(z), 1)), np.arange(len(z)))
    r_eml, r_ce = np.asarray(real.eml), np.asarray(real.cross_entropy)
    rho = float(spearmanr(r_eml, -r_ce).statistic)
    agree = np.asarray(real.agree)

    try:
        eml(1.0, 0.0)
        rejects_zero = False
    except (GeomlabError, ValueError):
        rejects_zero = True
    e1 = float(eml(1.0, math.e))

    big, small = np.array([1000.0, 999.0]), np.array([-1000.0, -1001.0])
    lse_big, lse_small = float(logsumexp(big)), float(logsumexp(small))
    with np.errstate(over="ignore", divide="ignore"):
        naive_big = float(np.log(np.exp(big).sum()))
        naive_small = float(np.log(np.exp(small).sum()))
    want_big = 1000.0 + math.log1p(math.exp(-1.0))
    want_small = -1000.0 + math.log1p(math.exp(-1.0))
    f_cold = float(free_energy(big, 1e-3))

    q = np.asarray(softmax(z, temperature=5.0))
    ce_q = float(cross_entropy(z, q))
    h_q, kl_q = float(entropy(q)), float(kl_divergence(q, probs))

    claims = [
        claim(
            1,
            f"eml(1, e) = {e1:.12f}, e − 1 = {math.e - 1:.12f}; eml(1, 0) "
            + ("raises an error" if rejects_zero else "does not raise"),
            abs(e1 - (math.e - 1)) < 1e-12 and rejects_zero,
        ),
        claim(
            2,
            f"over the {len(z)} capitals as right answers, eml and ln p rank them "
            f"identically (Spearman ρ = {rho:.3f}); same sign (eml < 0) for "
            f"{int(agree.sum())} of {len(z)}; eml − ln p = eˣ − x is at least "
            f"{float(np.min(r_eml + r_ce)):,.1f} here",
            rho > 0.999,
        ),
        claim(
            6,
            ", ".join(f"{p:g} → {v:.5f}" for p, v in zip(SEED_POINTS, losses)),
            all(
                abs(v - EXPECTED_LOSS[p]) < 5e-5
                for p, v in zip(SEED_POINTS, losses)
                if p in EXPECTED_LOSS
            ),
        ),
        claim(
            7,
            f"−ln 1e−4 − (−ln 1e−3) = {ln10_gap:.6f} (ln 10 = {math.log(10):.6f})",
            abs(ln10_gap - math.log(10)) < 1e-9,
        ),
        claim(
            8,
            f"largest gap between p − onehot and central differences: {fd_err:.1e}",
            fd_err < 1e-6,
        ),
        claim(
            9,
            f"logsumexp([1000, 999]) = {lse_big:.6f} (naive: {naive_big}); "
            f"logsumexp([−1000, −1001]) = {lse_small:.6f} (naive: {naive_small}); "
            f"free energy at T = 0.001: {f_cold:.4f} (→ −max z)",
            abs(lse_big - want_big) < 1e-9
            and abs(lse_small - want_small) < 1e-9
            and abs(f_cold + 1000.0) < 1e-3,
        ),
        claim(
            10,
            f"H(q, p) = {ce_q:.6f} = H(q) {h_q:.6f} + KL {kl_q:.6f}; residual "
            f"{abs(ce_q - h_q - kl_q):.1e}",
            abs(ce_q - h_q - kl_q) < 1e-9,
        ),
    ]
    return {
        "curve": {"p": curve_p.tolist(), "loss": curve.tolist()},
        "seed_points": {"p": list(SEED_POINTS), "loss": losses.tolist()},
        "ln10_gap": ln10_gap,
        "query": QUERY,
        "words": words,
        "logits": z.tolist(),
        "probs": probs.tolist(),
        "gradients": grads,
        "finite_difference_error": fd_err,
        "echo_sweep": {
            "x": xs.tolist(),
            "others": list(SEED_LOGITS[1:]),
            "eml": np.asarray(echo.eml).tolist(),
            "cross_entropy": np.asarray(echo.cross_entropy).tolist(),
            "log_y": np.asarray(echo.log_y).tolist(),
            "eml_turns_positive_at": None if crossing is None else float(crossing),
        },
        "echo_real": {
            "words": words,
            "x": np.asarray(real.x).tolist(),
            "log_y": float(np.asarray(real.log_y)[0]),
            "eml": r_eml.tolist(),
            "cross_entropy": r_ce.tolist(),
            "agree": agree.tolist(),
            "spearman": rho,
        },
        "decomposition": {
            "cross_entropy": ce_q,
            "entropy": h_q,
            "kl": kl_q,
            "target": "softmax at T = 5",
            "model": "softmax at T = 1",
        },
        "claims": claims,
        "params": {
            "query": QUERY,
            "candidates": cands,
            "targets": list(TARGETS),
            "finite_difference_step": eps,
            "eml_sweep": "x from −6 to 10, the seed logits' other entries fixed",
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    sp = r["seed_points"]
    g = r["gradients"]
    w = r["words"]
    er = r["echo_real"]
    n_agree = sum(er["agree"])
    cross = r["echo_sweep"]["eml_turns_positive_at"]
    caption = [
        "Cross-entropy is the surprise −ln p of the right answer: "
        + ", ".join(f"p = {p:g} costs {v:.2f} nats" for p, v in zip(sp["p"], sp["loss"]))
        + f". Each factor of ten less probability adds ln 10 = {r['ln10_gap']:.3f} nats.",
        (
            f"Its gradient with respect to the logits is p − onehot. With '{w[0]}' right the "
            f"model was already sure (p = {r['probs'][0]:.4f}): the loss is "
            f"{g[w[0]]['loss']:.4f} and the gradient on '{w[0]}' only {min(g[w[0]]['grad']):+.4f}. "
            f"With 'brussels' right the loss is {g['brussels']['loss']:.2f}: the gradient is "
            f"{min(g['brussels']['grad']):+.3f} on brussels and {max(g['brussels']['grad']):+.3f} "
            f"on '{w[0]}', so a descent step raises the one and lowers the other. Central "
            f"differences agree to {r['finite_difference_error']:.0e}."
        ),
        f"The seeds' eml(x, y) = eˣ − ln y with x = the right logit and y = Σ eᶻ echoes "
        f"ln p = x − ln y: for one set of logits both rank the {len(w)} capitals "
        f"identically (Spearman ρ = {er['spearman']:.3f}). But eml − ln p = eˣ − x ≥ 1, so "
        f"they share a sign (both negative) for only {n_agree} of {len(w)} answers; on "
        f"the seed logits eml turns positive once x passes "
        + (f"{cross:.2f}" if cross is not None else "the swept range")
        + ", while ln p never does.",
    ]
    table = Table(
        ["probability p", "−ln p (nats)"],
        [[p, v] for p, v in zip(sp["p"], sp["loss"])],
        "The seeds' points",
    )
    echo = Table(
        ["right answer", "x = logit", "ln y", "eml = eˣ − ln y", "ln p = x − ln y", "same sign"],
        [
            [w[i], er["x"][i], er["log_y"], er["eml"][i], -er["cross_entropy"][i], er["agree"][i]]
            for i in range(min(6, len(w)))
        ],
        f"eml and ln p on the '{r['query']}' logits (top 6 of {len(w)})",
    )
    figs = [
        Figure(
            "crossentropy_curve",
            plots.cross_entropy_curve(r),
            "−ln p against p, with the seed dialogue's points marked.",
            svg=True,
        ),
        Figure(
            "crossentropy_gradient",
            plots.gradient_bars(r),
            "The gradient p − onehot for two choices of the right answer.",
        ),
        Figure(
            "crossentropy_eml",
            plots.eml_echo(r),
            "eml(x, y) beside ln p as the right answer's logit x grows.",
            svg=True,
        ),
    ]
    return Rendered(figs, [table, echo], caption)


SECTION = Section("crossentropy", "Cross-entropy: the logarithm as judge", compute, render)
