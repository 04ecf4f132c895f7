"""MkDocs hooks: the pages that are generated from the code, so they cannot drift.

A page asks for generated text with an HTML comment on a line of its own:

``<!-- geomlab:cli -->``
    the ``--help`` of ``geomlab`` and of every command and sub-command, read from the
    parser that ``geomlab`` itself builds;
``<!-- geomlab:api -->``
    one mkdocstrings block for every name in ``geomlab.__all__``, grouped by the module
    that defines it;
``<!-- geomlab:readme "Title" -->``
    the body of the README section headed ``## Title`` (``""``: the text before the first
    section, after the title line);
``<!-- geomlab:include "path/to/file.md" -->``
    a Markdown file of the repository, its headings one level down (its title becomes a
    section of the page that includes it).

A directive whose target is missing (a README section renamed, say) fails the build.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
# document this checkout, not whichever geomlab happens to be installed
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HELP_WIDTH = 80  # columns argparse wraps the help text to (what fits a Material code block)
_DIRECTIVE = re.compile(r'^<!-- geomlab:(cli|api|readme|include)(?: "([^"]*)")? -->$', re.MULTILINE)


def command_parsers(parser: argparse.ArgumentParser, words: tuple[str, ...] = ("geomlab",)):
    """``(command words, parser)`` for ``geomlab`` and every (sub)command, depth first."""
    out = [(words, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.extend(command_parsers(sub, (*words, name)))
    return out


def help_text(parser: argparse.ArgumentParser) -> str:
    """``parser.format_help()`` wrapped at ``HELP_WIDTH`` columns, whatever the terminal."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        return parser.format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def cli_markdown() -> str:
    from geomlab.cli import build_parser

    parts = []
    for words, parser in command_parsers(build_parser()):
        level = "#" * min(len(words) + 1, 4)
        parts.append(f"{level} `{' '.join(words)}`\n\n```text\n{help_text(parser).rstrip()}\n```\n")
    return "\n".join(parts)


def api_markdown() -> str:
    import geomlab

    groups: dict[str, list[str]] = {}
    for name in geomlab.__all__:
        if name == "__version__":
            continue
        # lazy names map to their module without importing it; the rest are already loaded
        module = geomlab._LAZY.get(name) or getattr(geomlab, name).__module__
        groups.setdefault(module, []).append(name)
    parts = []
    for module, names in groups.items():
        parts.append(f"## `{module}`\n")
        parts.extend(f"::: {module}.{name}\n" for name in names)
    return "\n".join(parts)


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if title == "":
        body = text.split("\n## ", 1)[0]
        return body.split("\n", 1)[1].strip() + "\n"  # drop the "# geomlab" line
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    if match is None:
        raise PluginError(f'docs: README.md has no section "## {title}"')
    return match.group(1).strip() + "\n"


def include_markdown(path: str) -> str:
    file = ROOT / path
    if not file.is_file():
        raise PluginError(f"docs: no file {path} to include")
    text = file.read_text(encoding="utf-8")
    # one level down, outside fenced code only
    parts = re.split(r"(^```.*?^```$)", text, flags=re.MULTILINE | re.DOTALL)
    return "".join(
        part if part.startswith("```") else re.sub(r"^(#{1,5}) ", r"#\1 ", part, flags=re.MULTILINE)
        for part in parts
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    def expand(match: re.Match) -> str:
        kind = match.group(1)
        if kind == "cli":
            return cli_markdown()
        if kind == "api":
            return api_markdown()
        if match.group(2) is None:
            raise PluginError(f'{page.file.src_path}: write <!-- geomlab:{kind} "..." -->')
        return (readme_section if kind == "readme" else include_markdown)(match.group(2))

    out = _DIRECTIVE.sub(expand, markdown)
    if "<!-- geomlab:" in out:
        raise PluginError(
            f"{page.file.src_path}: unknown geomlab directive: "
            + out[out.index("<!-- geomlab:") :].split("\n", 1)[0]
        )
    return out
