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
