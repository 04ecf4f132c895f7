"""The example notebooks in examples/ run top to bottom and are stored without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.ipynb"))

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")


def test_there_are_example_notebooks():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_runs_top_to_bottom(path, tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
    pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")
    if "polysemy" in path.name:
        from geomlab.errors import GeomlabError
        from geomlab.lm.model import default_model_path

        try:
            default_model_path()
        except GeomlabError:
            pytest.skip("the SmolLM2 model file is not installed")
    nb = nbformat.read(path, as_version=4)
    # the notebook's own asserts are in its last cell; an error anywhere fails here
    nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    images = sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    )
    plots = sum(c.source.count(".plot") for c in nb.cells if c.cell_type == "code")
    assert images >= plots, f"{plots} plot calls but {images} figures shown"
