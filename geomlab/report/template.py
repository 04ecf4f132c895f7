"""The report's HTML: one self-contained page (inline CSS, system fonts, relative images).

Nothing here reaches the network: no scripts, no web fonts, no external style sheets.
Every piece of text that comes from data is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = ["fmt", "page", "section_html", "table_html"]

CSS = """
:root { --fg: #1d232b; --muted: #5b6673; --line: #d9dee4; --accent: #0b6e99;
        --bad: #a3261b; --bg: #ffffff; --panel: #f5f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
             Arial, sans-serif; }
header, main, footer { max-width: 1080px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.8em; margin: 0 0 4px; }
h2 { font-size: 1.35em; margin: 42px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 18px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 16px; }
nav ul { columns: 3; margin: 8px 0 18px; padding-left: 0; list-style: none; }
nav li { margin: 0 0 4px; }
a { color: var(--accent); }
figure { margin: 12px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9em; }
.caption { background: var(--panel); border-left: 4px solid var(--accent);
           padding: 8px 14px; margin: 12px 0; }
.caption p { margin: 6px 0; }
.unavailable { background: #fff4f2; border-left: 4px solid var(--bad); padding: 8px 14px; }
table { border-collapse: collapse; margin: 10px 0 4px; font-size: 0.9em; }
th, td { border: 1px solid var(--line); padding: 3px 9px; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; font-weight: 600; }
.no { color: var(--bad); font-weight: 600; }
.meta { color: var(--muted); font-size: 0.85em; }
details { margin: 8px 0; }
code { font-size: 0.92em; }
footer { margin-top: 48px; padding-bottom: 40px; color: var(--muted); font-size: 0.85em;
         border-top: 1px solid var(--line); }
"""


def fmt(value, digits: int = 4) -> str:
    """A table cell: numbers to ``digits`` significant figures, ints with separators."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.{digits - 1}e}"
        return f"{value:,.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}g}"
    return str(value)


def _is_num(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def table_html(columns: Sequence[str], rows: Sequence[Sequence], title: str | None = None) -> str:
    """An HTML table; numeric cells are right-aligned."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{html.escape(fmt(v))}</td>'
            if _is_num(v)
            else f"<td>{html.escape(fmt(v))}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<h3>{html.escape(title)}</h3>" if title else ""
    return f"{cap}<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section_html(anchor: str, title: str, body: str) -> str:
    return f'<section id="{html.escape(anchor)}"><h2>{html.escape(title)}</h2>{body}</section>'


def figure_html(src: str, alt: str, svg: str | None = None) -> str:
    link = f' <a href="{html.escape(svg)}">(SVG)</a>' if svg else ""
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(alt)}" loading="lazy">'
        f"<figcaption>{html.escape(alt)}{link}</figcaption></figure>"
    )


def caption_html(paragraphs: Sequence[str]) -> str:
    return (
        '<div class="caption">' + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</div>"
    )


def unavailable_html(reason: str) -> str:
    return (
        f'<div class="unavailable"><p><b>Not available:</b> {html.escape(reason)}</p>'
        "<p>No numbers are shown for this section.</p></div>"
    )


def page(
    title: str, lead: str, toc: Sequence[tuple[str, str]], sections: Sequence[str], footer: str
) -> str:
    """The whole page."""
    nav = "".join(f'<li><a href="#{html.escape(a)}">{html.escape(t)}</a></li>' for a, t in toc)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="geomlab report">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="lead">{html.escape(lead)}</p>
<nav><ul>{nav}</ul></nav>
</header>
<main>
{"".join(sections)}
</main>
<footer>{footer}</footer>
</body>
</html>
"""
