"""The documentation site: `mkdocs build --strict` passes and the generated pages are complete.

The CLI page must hold the --help of every command, the API page a block for every name in
geomlab.__all__, and the README-derived pages the README's current text.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

for _module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
    pytest.importorskip(_module, reason="the docs extra is not installed: pip install -e '.[docs]'")

import geomlab
from geomlab.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _hooks():
    spec = importlib.util.spec_from_file_location("geomlab_docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _text(page: Path) -> str:
    """The page's visible text, whitespace collapsed."""
    body = page.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


def _norm(line: str) -> str:
    return " ".join(line.split())


def _commands(parser, words=("geomlab",)):
    out = [(words, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.extend(_commands(sub, (*words, name)))
    return out


def test_site_builds_offline(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        body = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in body and "fonts.gstatic" not in body, page
        # every stylesheet and script is served from the site itself
        assert not re.search(r'<(link|script)[^>]+(href|src)="https?://', body), page


def test_cli_page_has_the_help_of_every_command(site, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(_hooks().HELP_WIDTH))  # wrap as the page does
    text = _text(site / "cli" / "index.html")
    commands = _commands(build_parser())
    names = {" ".join(w) for w, _ in commands}
    assert {
        "geomlab",
        "geomlab neighbors",
        "geomlab evaluate analogies",
        "geomlab lm next",
        "geomlab report",
    } <= names
    for words, parser in commands:
        for line in parser.format_help().splitlines():
            if line.strip():
                assert _norm(line) in text, f"{' '.join(words)}: {line!r} not on the CLI page"


def test_api_page_documents_every_public_name(site):
    page = (site / "api" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert "__version__" in _text(site / "api" / "index.html")
    for name in geomlab.__all__:
        if name != "__version__":
            assert any(i.startswith("geomlab.") and i.endswith("." + name) for i in ids), name
    # the docstrings themselves are rendered, numpydoc sections included
    text = _text(site / "api" / "index.html")
    assert "Correlation of cosine similarity with human judgements" in text
    assert text.count("Parameters:") > 30


def _readme_section(title: str) -> str:
    match = re.search(
        rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.DOTALL | re.MULTILINE
    )
    assert match, title
    return match.group(1)


def test_readme_sections_are_the_readmes_current_text(site):
    tour = _text(site / "tour" / "index.html")
    for block in re.findall(r"```python\n(.*?)```", _readme_section("A short tour"), re.DOTALL):
        for line in block.splitlines():
            if line.strip():
                assert _norm(line) in tour, line
    guarantees = _text(site / "guarantees" / "index.html")
    leads = re.findall(r"^- \*\*(.+?)\*\*", _readme_section("Errors and guarantees"), re.MULTILINE)
    assert len(leads) >= 10
    for lead in leads:
        assert lead in guarantees, lead
    home = _text(site / "index.html")
    first_block = re.findall(r"```bash\n(.*?)```", README, re.DOTALL)[0]
    for line in first_block.splitlines():
        assert _norm(line) in home


def test_data_page_has_the_provenance_and_the_licences(site):
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<h1\b", page)) == 1  # the included file's title is a section
    data = _text(site / "data" / "index.html")
    provenance = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for heading in re.findall(r"^## (.+)$", provenance, re.MULTILINE):
        assert html.unescape(re.sub(r"[`*]", "", heading)) in data, heading
    for line in (ROOT / "LICENSE").read_text(encoding="utf-8").splitlines():
        if line.strip():
            assert _norm(line) in data, line


def test_a_missing_readme_section_or_unknown_directive_fails_the_build():
    from mkdocs.exceptions import PluginError

    hooks = _hooks()
    with pytest.raises(PluginError, match='README.md has no section "## No such section"'):
        hooks.readme_section("No such section")
    with pytest.raises(PluginError, match="no file data/NOPE.md to include"):
        hooks.include_markdown("data/NOPE.md")

    class Page:
        class file:
            src_path = "x.md"

    with pytest.raises(PluginError, match="unknown geomlab directive: <!-- geomlab:clii -->"):
        hooks.on_page_markdown("# x\n\n<!-- geomlab:clii -->\n", Page, None, None)
