"""geomlab score and geomlab eml."""

import json
import math

import pytest

from geomlab.cli import main

CAPITALS = ["paris", "london", "berlin", "madrid", "rome", "tokyo"]


def test_score_table(capsys):
    assert main(["score", "france", *CAPITALS, "--target", "paris"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("france -> 6 candidates (dot, T = 1)")
    assert "█" in out and "target paris: rank 1" in out
    first = next(line for line in out.splitlines() if line.strip().startswith("1 "))
    assert "paris" in first


def test_score_json(capsys):
    assert (
        main(["score", "france", *CAPITALS, "--target", "paris", "--temperature", "5", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["temperature"] == 5.0 and data["target_rank"] == 1
    assert data["rows"][0]["word"] == "paris" and len(data["rows"]) == 6
    assert sum(r["prob"] for r in data["rows"]) == pytest.approx(1.0)


def test_score_whole_vocabulary(capsys):
    assert main(["score", "king - man + woman", "--metric", "cosine", "--top", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"][0]["word"] == "queen" and len(data["rows"]) == 3
    assert data["excluded"] == "king, man, woman" and data["metric"] == "cosine"


def test_score_errors(capsys):
    assert main(["score", "france", "paris", "--target", "rome"]) == 1
    assert "geomlab: error: target 'rome' is not among the candidates" in capsys.readouterr().err
    assert main(["score", "frnace", "paris"]) == 1
    assert "'frnace' is not in the vocabulary. Did you mean 'france'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["score", "france", "--temperature", "0"])
    assert exc.value.code == 2
    assert "expected a positive finite number, got '0'" in capsys.readouterr().err


def test_eml(capsys):
    assert main(["eml", "1", str(math.e)]) == 0
    out = capsys.readouterr().out
    assert f"= {math.e - 1:.10g}" in out
    assert main(["eml", "-1", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["eml"] == pytest.approx(math.exp(-1)) and data["ln_y"] == 0.0


def test_eml_errors(capsys):
    assert main(["eml", "1", "0"]) == 1
    assert "geomlab: error: eml(x, y) needs y > 0" in capsys.readouterr().err
    assert main(["eml", "710", "1"]) == 1
    assert "e**x overflows" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["eml", "one", "1"])
    assert exc.value.code == 2
    assert "expected a number, got 'one'" in capsys.readouterr().err
