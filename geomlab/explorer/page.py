"""The page: one HTML file from the template, its CSS and script, and the data as JSON.

Nothing from the data is written as markup: the words travel in one JSON block (with
``<``, ``>`` and ``&`` escaped, so no word can close the block or open a comment), and the
script puts them into the page as text. A Content-Security-Policy allows only the page's
own script (by its hash) and no request of any kind, so even a word that did reach the
markup could neither run code nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from importlib import resources

__all__ = ["GENERATOR", "is_explorer_page", "json_for_script", "render"]

GENERATOR = "geomlab explore"
_SLOT = re.compile(r"\{\{([A-Z]+)\}\}")


def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def json_for_script(data) -> str:
    """``data`` as JSON safe inside ``<script type="application/json">``: ASCII only, and
    ``<``, ``>``, ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (JSON.parse reads
    them back as the same characters)."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def render(data: dict) -> str:
    """The whole page for ``data`` (what :mod:`geomlab.explorer.gather` computed)."""
    script, css = _static("explore.js"), _static("explore.css")
    csp = (
        "default-src 'none'; script-src '"
        + _sha256(script)
        + "'; style-src '"
        + _sha256(css)
        + "'; img-src 'none'; connect-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )
    parts = {"CSP": csp, "CSS": css, "SCRIPT": script, "DATA": json_for_script(data)}
    # one pass: text put into a slot is never searched for slots again
    return _SLOT.sub(lambda m: parts[m.group(1)], _static("explore.html"))


def is_explorer_page(path) -> bool:
    """Whether the file at ``path`` is a page this module wrote (its generator tag)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head
