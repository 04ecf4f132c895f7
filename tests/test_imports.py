"""The lazy-import rule: `import geomlab` must not pull in the heavy dependencies."""

import json
import subprocess
import sys

import pytest

import geomlab

HEAVY = (
    "gensim",
    "sklearn",
    "matplotlib",
    "umap",
    "dask",
    "scipy.stats",
    "scipy.optimize",
    "numba",
    "pyarrow",
    "gguf",
    "tokenizers",
    "xxhash",
    "platformdirs",
    "shtab",
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
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
    out = subprocess.run(
        [sys.executable, "-c", "import geomlab; print(geomlab.report.build.__name__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip() == "build"


# -- what loading the embedded set imports ----------------------------------------------------
NOT_ON_THE_EMBEDDED_PATH = (
    "geomlab.loaders.remote",
    "geomlab.loaders.read",
    "geomlab.loaders.detect",
    "geomlab.loaders.text",
    "geomlab.loaders.binary",
    "geomlab.loaders.native",
    "geomlab._save",
)


def test_loading_the_embedded_set_imports_no_parser_and_no_network():
    mods = _modules_after("import geomlab\ngeomlab.load()")
    assert {"geomlab.loaders.cache", "geomlab.loaders.sources"} <= mods  # it did load
    assert sorted(mods.intersection(NOT_ON_THE_EMBEDDED_PATH)) == []


def test_loading_a_text_file_imports_the_parser(tmp_path):
    # the check above can fail: a text file does bring the parser in
    path = tmp_path / "v.txt"
    path.write_text("a 1 2\nb 3 4\n")
    mods = _modules_after(f"import geomlab\ngeomlab.load({str(path)!r}, cache=False)")
    assert {"geomlab.loaders.text", "geomlab.loaders.read"} <= mods
    assert "geomlab.loaders.remote" not in mods
