"""The interactive explorer: ``geomlab.explore(emb, out_dir)`` or ``geomlab explore``.

One self-contained HTML page (``out_dir/index.html``) that opens offline from disk: the
temperature dial over real logits, a searchable map of the words, analogy parallelograms,
and the language model's attention heads and logit lens. Python computes the scores
(:mod:`geomlab.explorer.gather`); the page runs softmax on them itself
(:mod:`geomlab.explorer.page` holds the template, the escaping and the security policy).
"""

from __future__ import annotations

from .build import explore

__all__ = ["explore"]
