"""The seed dialogues' claims (``shared/SEED_CLAIMS.md``), shown with what a report measured.

Each section that measures a claim returns it (``claim(...)`` in the section's results);
the report lists every claim, measured or not, and says why a claim was not measured.
"""

from __future__ import annotations

import html

__all__ = ["CLAIMS", "CLAIM_SECTION", "all_claims", "claims_html"]

# the seed dialogues' claims (shared/SEED_CLAIMS.md), shown with what this run measured
CLAIMS = {
    1: "eml(x, y) = eˣ − ln y",
    2: "eml “rhymes” with cross-entropy (x = target logit, y = Σ eᶻ)",
    3: "the exponential amplifies: e^9.2 ≈ 9900, e^1.4 ≈ 4",
    4: "a score 2 higher gets e² ≈ 7.4 times the weight",
    5: "temperature is a thermodynamic dial: T → 0 one-hot, T → ∞ uniform",
    6: "−ln p: 0.99 → 0.01, 0.01 → 4.6, 1e−4 → 9.2, 1e−6 → 13.8",
    7: "from p = 0.001 to 0.0001 the loss grows by about 2.3",
    8: "the gradient of −ln softmax is p − 1 for the right class, p for the others",
    9: "log-sum-exp is the log partition function and stays stable",
    10: "cross-entropy = entropy + KL divergence",
    11: "attention = softmax(QKᵀ/√d)V turns similarity into focus",
    12: "king − man + woman ≈ queen; difference vectors point the same way",
    13: "“bank” near “river” is a different point from “bank” near “interest rate”",
    14: "geometry becomes preference: “France” → Paris",
    15: "without a sharp exponential the model hedges (“probabilistic mush”)",
    16: "the geometry is best where training was densest; at the edges confidently wrong",
    17: "sampling collapses the distribution into one choice",
}
# the section that measures each claim
CLAIM_SECTION = {
    1: "crossentropy",
    2: "crossentropy",
    3: "softmax",
    4: "softmax",
    5: "softmax",
    6: "crossentropy",
    7: "crossentropy",
    8: "crossentropy",
    9: "crossentropy",
    10: "crossentropy",
    11: "polysemy",
    12: "analogies",
    13: "polysemy",
    14: "softmax",
    15: "calibration",
    16: "calibration",
    17: "softmax",
}


def all_claims(measured: list[dict], results: dict) -> list[dict]:
    """Every seed claim: measured ones as they came (a claim measured on the word vectors
    and again on the language model has a row for each), the others marked as not
    measured."""
    by_number: dict[int, list[dict]] = {}
    for c in measured:
        by_number.setdefault(c["claim"], []).append(c)
    out = []
    for number, key in CLAIM_SECTION.items():
        if number in by_number:
            out.extend(by_number[number])
        else:
            why = (
                "section not run"
                if key not in results
                else "section unavailable"
                if results[key]["status"] != "ok"
                else "not measurable on these vectors"
            )
            out.append(
                {"claim": number, "measured": None, "holds": None, "section": key, "why_not": why}
            )
    return out


def claims_html(claims: list[dict], titles: dict) -> str:
    rows = []
    for c in claims:
        if c["holds"] is None:
            mark, measured = '<span class="meta">not measured</span>', c["why_not"]
        else:
            mark = (
                '<span class="ok">holds</span>'
                if c["holds"]
                else '<span class="no">does not hold</span>'
            )
            measured = c["measured"]
        if c.get("on"):
            measured = f"{c['on']}: {measured}"
        title = titles.get(c["section"], c["section"])
        link = (
            f'<a href="#{c["section"]}">{html.escape(title)}</a>'
            if c["section"] in titles
            else html.escape(title)
        )
        rows.append(
            f'<tr><td class="num">{c["claim"]}</td><td>{html.escape(CLAIMS[c["claim"]])}</td>'
            f"<td>{html.escape(measured)}</td><td>{mark}</td><td>{link}</td></tr>"
        )
    n_ok = sum(c["holds"] is True for c in claims)
    n_measured = sum(c["holds"] is not None for c in claims)
    return (
        '<section id="claims"><h2>The seed claims, measured</h2>'
        f"<p>Each claim from the two seed dialogues, with what this run computed: "
        f"{n_ok} of {n_measured} measured claims hold.</p>"
        "<table><thead><tr><th>#</th><th>claim</th><th>measured</th><th>verdict</th>"
        f"<th>section</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )
