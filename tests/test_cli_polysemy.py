"""``geomlab senses``, ``geomlab context`` and ``geomlab atoms``."""

from __future__ import annotations

import json

import pytest

from geomlab.cli import main
from geomlab.geometry import _dictionary


@pytest.fixture(scope="module", autouse=True)
def _atoms(glove):
    """The default dictionary (shipped with geomlab: read, not fitted)."""
    _dictionary.fit_dictionary(glove)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


RIVER = "the boat drifted to the muddy river bank"


def test_context_text(capsys):
    code, out, err = run(capsys, "context", "bank", "--context", RIVER, "-k", "5")
    assert code == 0 and err == ""
    assert "river" in out and "left out: the, to, the, bank" in out
    assert "without_context" in out and "with_context" in out
    assert "shore" in out and "securities" in out  # with and without context, side by side


def test_context_json(capsys):
    code, out, _ = run(capsys, "context", "bank", "--context", "muddy zzqxv river", "--json")
    assert code == 0
    data = json.loads(out)
    assert [a["word"] for a in data["attention"]] == ["muddy", "river"]
    assert sum(a["weight"] for a in data["attention"]) == pytest.approx(1.0)
    assert data["skipped"] == ["zzqxv"] and data["n_skipped"] == 1
    assert len(data["with_context"]) == len(data["without_context"]) == 10


def test_context_reports_skipped_words(capsys):
    code, out, _ = run(capsys, "context", "bank", "--context", "muddy zzqxv river")
    assert code == 0 and "not in the vocabulary, skipped (1): zzqxv" in out


def test_context_keep_function_words(capsys):
    code, out, _ = run(
        capsys, "context", "bank", "--context", "the river", "--keep-function-words", "--json"
    )
    assert code == 0
    assert [a["word"] for a in json.loads(out)["attention"]] == ["the", "river"]


def test_senses_text_and_json(capsys):
    code, out, _ = run(capsys, "senses", "apple")
    assert code == 0 and "senses of 'apple' (atoms)" in out and "kind" in out
    code, out, _ = run(capsys, "senses", "tie", "--json", "--top", "3")
    data = json.loads(out)
    assert data["method"] == "atoms" and all(len(s["words"]) == 3 for s in data["senses"])
    assert {s["kind"] for s in data["senses"]} <= {"sense", "weak", "noisy", "facet"}


def test_senses_cluster(capsys):
    code, out, _ = run(capsys, "senses", "crane", "--method", "cluster", "--json")
    assert code == 0 and json.loads(out)["method"] == "cluster"


def test_atoms(capsys):
    code, out, _ = run(capsys, "atoms", "bank")
    assert code == 0 and "over 500 atoms" in out and "read from the cache" in out
    assert "residual" in out
    code, out, _ = run(capsys, "atoms", "bank", "--json")
    data = json.loads(out)
    assert data["word"] == "bank" and data["from_cache"] is True
    assert len(data["atoms"]) == len(data["coefficients"]) <= 5


@pytest.mark.parametrize(
    "argv, message",
    [
        (["senses", "bnak"], "'bnak' is not in the vocabulary. Did you mean 'bank'"),
        (["atoms", "appple"], "'appple' is not in the vocabulary"),
        (["context", "bnak", "--context", "river"], "'bnak' is not in the vocabulary"),
        (["context", "bank", "--context", "   "], "context must hold at least one word"),
        (
            ["context", "bank", "--context", "zzqxv qqzxw"],
            "none of the 2 context words is in the vocabulary: 'zzqxv', 'qqzxw'",
        ),
        (["context", "bank", "--context", "the of to"], "--keep-function-words"),
    ],
)
def test_errors(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("geomlab: error: ") and message in err


def test_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["context", "bank"])
    assert exc.value.code == 2
    assert "the following arguments are required: --context" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["senses", "apple", "--method", "kmeans"])
    assert exc.value.code == 2


@pytest.mark.parametrize("command", ["senses", "context", "atoms"])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: geomlab {command}" in out and "--json" in out
