import json

import pytest

from geomlab.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_neighbors_text_and_expression(capsys):
    code, out, err = _run(capsys, "neighbors", "frog", "king - man + woman", "-k", "3")
    assert code == 0 and err == ""
    assert "nearest to 'frog' (cosine):" in out and "toad" in out
    assert "nearest to 'king - man + woman'" in out and "queen" in out
    assert out.count("rank") == 2


def test_neighbors_json(capsys):
    code, out, _ = _run(
        capsys, "neighbors", "paris", "berlin", "-k", "4", "--metric", "dot", "--json"
    )
    data = json.loads(out)
    assert code == 0 and [d["query"] for d in data] == ["paris", "berlin"]
    assert all(len(d["words"]) == 4 and d["metric"] == "dot" for d in data)
    assert data[0]["excluded"] == ["paris"] and data[0]["scores"][0] >= data[0]["scores"][1]


def test_neighbors_restrict_vocab(capsys):
    code, out, _ = _run(
        capsys, "neighbors", "king", "-k", "2", "--restrict-vocab", "1000", "--json"
    )
    assert code == 0 and json.loads(out)[0]["restrict_vocab"] == 1000


def test_unknown_word_exits_1_with_suggestion(capsys):
    code, out, err = _run(capsys, "neighbors", "kinq")
    assert code == 1 and out == ""
    assert err.startswith("geomlab: error: 'kinq' is not in the vocabulary. Did you mean 'king'")
    code, _, err = _run(capsys, "analogy", "man", "kinq", "woman")
    assert code == 1 and "'kinq' is not in the vocabulary" in err
    code, _, err = _run(capsys, "relevance", "king", "queen", "kinq")
    assert code == 1 and "'kinq' is not in the vocabulary" in err


def test_malformed_expression_exits_1(capsys):
    code, _, err = _run(capsys, "relevance", "king +", "queen")
    assert code == 1 and "geomlab: error: malformed query expression 'king +'" in err


@pytest.mark.parametrize(
    "argv, what",
    [
        (["neighbors", "king", "-k", "0"], "argument -k: expected a positive integer, got '0'"),
        (["neighbors", "king", "--metric", "l2"], "argument --metric: invalid choice: 'l2'"),
        (["neighbors"], "the following arguments are required: WORD"),
        (["analogy", "man", "king"], "the following arguments are required: C"),
        (["analogy", "man", "king", "woman", "--method", "add"], "invalid choice: 'add'"),
        (["relevance", "king"], "the following arguments are required: CANDIDATE"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, what):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert what in capsys.readouterr().err


def test_analogy_text_and_keep_inputs(capsys):
    code, out, _ = _run(capsys, "analogy", "man", "king", "woman", "-k", "3")
    assert code == 0 and "man : king :: woman : ?  (3cosadd, inputs excluded)" in out
    assert out.splitlines()[3].split()[1] == "queen"
    code, out, _ = _run(capsys, "analogy", "man", "king", "woman", "--keep-inputs", "-k", "3")
    assert "the top answer 'king' is an input; the best other answer is 'queen' at rank 2" in out


def test_analogy_json_methods(capsys):
    for method in ("3cosmul", "pairdirection"):
        code, out, _ = _run(
            capsys, "analogy", "france", "paris", "germany", "--method", method, "--json"
        )
        data = json.loads(out)
        assert code == 0 and data["method"] == method and data["words"][0] == "berlin"
        assert data["top_is_input"] is False and data["answer_rank"] == 1


def test_relevance(capsys):
    code, out, _ = _run(capsys, "relevance", "france", "tokyo", "paris", "--sort")
    assert code == 0 and "dot scores for 'france':" in out
    assert out.splitlines()[3].split()[1] == "paris"
    code, out, _ = _run(
        capsys, "relevance", "france", "tokyo", "paris", "--metric", "cosine", "--json"
    )
    data = json.loads(out)
    assert data["words"] == ["tokyo", "paris"] and data["metric"] == "cosine"
    assert -1 <= data["scores"][0] <= 1 and data["scores"][1] > data["scores"][0]


def test_negative_expression_after_double_dash(capsys):
    code, out, _ = _run(capsys, "neighbors", "-k", "2", "--", "-1.5 * king")
    assert code == 0 and "nearest to '-1.5 * king'" in out
