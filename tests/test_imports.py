"""The lazy-import rule: `import geomlab` must not pull in the heavy dependencies."""

import json
import subprocess
import sys

import pytest

import geomlab

HEAVY = ("gensim", "sklearn", "matplotlib", "umap", "dask", "scipy.stats", "scipy.optimize",
         "numba", "pyarrow", "gguf", "tokenizers", "xxhash", "platformdirs", "shtab")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_import_geomlab_is_light():
    assert _heavy(_modules_after("import geomlab")) == []


def test_cli_parser_is_light():
    # building the whole command-line parser (every command registered) imports nothing heavy
    assert _heavy(_modules_after("from geomlab.cli import build_parser; build_parser()")) == []


@pytest.mark.parametrize("name", [n for n in geomlab.__all__ if n != "__version__"])
def test_every_public_name_resolves(name):
    assert getattr(geomlab, name) is not None


def test_unknown_attribute_is_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        geomlab.nope  # noqa: B018


def test_report_subpackage_reachable_after_plain_import():
    out = subprocess.run([sys.executable, "-c", "import geomlab; print(geomlab.report.build.__name__)"],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == "build"


def _geomlab_imports(path) -> set[str]:
    """Every geomlab module a source file imports, at the top or inside a function."""
    import ast

    parts = ["geomlab", *path.relative_to(path.parents[1]).with_suffix("").parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = parts[:len(parts) - node.level] if node.level else []
            mod = ".".join([*base, *([node.module] if node.module else [])])
            found |= ({f"{mod}.{a.name}" for a in node.names} if node.module is None
                      else {mod})
    return {m for m in found if m.startswith("geomlab")}


@pytest.mark.parametrize("layer, above", [
    ("geometry", ("geomlab.lm", "geomlab.evaluation", "geomlab.loaders", "geomlab.report",
                  "geomlab.polysemy", "geomlab.cli", "geomlab.explorer", "geomlab.training")),
    ("scoring", ("geomlab.geometry", "geomlab.lm", "geomlab.evaluation", "geomlab.loaders",
                 "geomlab.report", "geomlab.polysemy", "geomlab.cli", "geomlab.explorer",
                 "geomlab.training")),
])
def test_lower_layers_do_not_import_upper_ones(layer, above):
    # `.plot()` methods draw with geomlab.report.plots (moving to a leaf module)
    from pathlib import Path

    folder = Path(geomlab.__file__).parent / layer
    bad = {f"{p.name} -> {m}" for p in sorted(folder.glob("*.py"))
           for m in _geomlab_imports(p)
           if m.startswith(above) and m != "geomlab.report.plots"}
    assert not bad
