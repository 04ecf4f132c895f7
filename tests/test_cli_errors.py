"""The CLI error matrix: every command of ``geomlab --help``, every kind of bad input.

The commands are read from :func:`geomlab.cli.build_parser`, so a new command fails
:func:`test_every_command_has_error_cases` until it gets its cases here. The contract
(issue 8): a library error prints ``geomlab: error: <message>`` on stderr and exits 1 with
nothing on stdout; a usage error prints the command's usage and exits 2; no traceback ever
reaches the user (``--debug`` shows one). Commands run in-process through
:func:`geomlab.cli.main` (an exception escaping ``main`` fails the test, as a traceback
would), and a few through ``python -m geomlab`` to prove the real exit codes. Heavy
commands (report, graph, evaluate) are run on their error paths only.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from geomlab.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """``(command words, parser, is_group)`` for every (sub)command, depth first."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                group = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                out.append((prefix + (name,), sub, group))
                out.extend(_commands(sub, prefix + (name,)))
    return out


COMMANDS = _commands(build_parser())
LEAVES = [" ".join(words) for words, _, group in COMMANDS if not group]
GROUPS = [" ".join(words) for words, _, group in COMMANDS if group]

# every case: (argv template, exit code, texts that must appear in stderr). Templates may
# use {missing} (a path that does not exist), {out} (an empty writable folder), {words}
# (a word list naming 'kinq'), {q} (a two-question analogy file).
UNKNOWN = "'kinq' is not in the vocabulary. Did you mean 'king'"
NOT_SOURCE = "'nosuchsource' is neither a file nor a named source"
ANALOGY_SET = "unknown analogy dataset 'nosuchset'; known names: google"
PAIR_SET = "unknown word-pair dataset 'nosuchset'; known names: wordsim353"
POS_INT = "expected a positive integer, got"
POS_NUM = "expected a positive finite number, got"

CASES: dict[str, dict[str, list[tuple[list[str], int, list[str]]]]] = {
    "info": {
        "unknown": [(["info", "--vectors", "nosuchsource"], 1, [NOT_SOURCE])],
        "usage": [(["info", "extra"], 2, ["unrecognized arguments: extra"])],
        "missing": [(["info", "--vectors", "{missing}"], 1, ["{missing}"])],
    },
    "convert": {
        "unknown": [(["convert", "nosuchsource", "{out}/x.txt"], 1, [NOT_SOURCE])],
        "usage": [
            (["convert", "glove-6b-50d"], 2, ["the following arguments are required: DEST"]),
            (
                ["convert", "a", "b", "--format", "csv"],
                2,
                ["argument --format: invalid choice: 'csv'"],
            ),
            (["convert", "a", "b", "--on-error", "ignore"], 2, ["invalid choice: 'ignore'"]),
        ],
        "number": [
            (["convert", "a", "b", "--limit", "0"], 2, [f"--limit: {POS_INT} '0'"]),
            (["convert", "a", "b", "--limit", "ten"], 2, [f"--limit: {POS_INT} 'ten'"]),
        ],
        "missing": [(["convert", "{missing}", "{out}/x.txt"], 1, ["{missing}"])],
        "exists": [
            (
                ["convert", "glove-6b-50d", "{out}", "--limit", "3"],
                1,
                ["exists; pass --force to replace it"],
            )
        ],
        "unwritable": [
            (["convert", "glove-6b-50d", "{blocked}/v.txt", "--limit", "5"], 1, ["{blocker}"]),
            (
                ["convert", "glove-6b-50d", "{blocked}/v", "--limit", "5", "--format", "geomlab"],
                1,
                ["{blocker}"],
            ),
        ],
    },
    "neighbors": {
        "unknown": [(["neighbors", "king", "kinq"], 1, [UNKNOWN])],
        "usage": [
            (["neighbors"], 2, ["the following arguments are required: WORD"]),
            (["neighbors", "king", "--metric", "l2"], 2, ["invalid choice: 'l2'"]),
        ],
        "number": [
            (["neighbors", "king", "-k", "0"], 2, [f"-k: {POS_INT} '0'"]),
            (["neighbors", "king", "-k", "1.5"], 2, [f"-k: {POS_INT} '1.5'"]),
            (["neighbors", "king", "--restrict-vocab", "-3"], 2, [f"{POS_INT} '-3'"]),
        ],
        "missing": [(["neighbors", "king", "--vectors", "{missing}"], 1, ["{missing}"])],
    },
    "analogy": {
        "unknown": [(["analogy", "man", "kinq", "woman"], 1, [UNKNOWN])],
        "usage": [
            (["analogy", "man", "king"], 2, ["the following arguments are required: C"]),
            (["analogy", "man", "king", "woman", "--method", "add"], 2, ["invalid choice: 'add'"]),
        ],
        "number": [(["analogy", "man", "king", "woman", "-k", "-1"], 2, [f"{POS_INT} '-1'"])],
        "missing": [
            (["analogy", "man", "king", "woman", "--vectors", "{missing}"], 1, ["{missing}"])
        ],
    },
    "relevance": {
        "unknown": [
            (["relevance", "king", "queen", "kinq"], 1, [UNKNOWN]),
            (["relevance", "kinq - man", "queen"], 1, [UNKNOWN]),
        ],
        "usage": [
            (["relevance", "king"], 2, ["the following arguments are required: CANDIDATE"]),
            (["relevance", "king +", "queen"], 1, ["malformed query expression 'king +'"]),
        ],
        "missing": [(["relevance", "king", "queen", "--vectors", "{missing}"], 1, ["{missing}"])],
    },
    "evaluate analogies": {
        "unknown": [(["evaluate", "analogies", "nosuchset"], 1, [ANALOGY_SET])],
        "usage": [(["evaluate", "analogies", "--method", "add"], 2, ["invalid choice: 'add'"])],
        "number": [
            (["evaluate", "analogies", "--topk", "0"], 2, [f"--topk: {POS_INT} '0'"]),
            (["evaluate", "analogies", "--restrict-vocab", "x"], 2, [f"{POS_INT} 'x'"]),
        ],
        "missing": [
            (
                ["evaluate", "analogies", "{missing}"],
                1,
                ["analogy dataset '{missing}': no such file or folder"],
            )
        ],
        "unwritable": [
            (
                [
                    "evaluate",
                    "analogies",
                    "{q}",
                    "--restrict-vocab",
                    "20000",
                    "--csv",
                    "{blocked}/a.csv",
                ],
                1,
                ["{blocker}"],
            )
        ],
    },
    "evaluate similarity": {
        "unknown": [(["evaluate", "similarity", "nosuchset"], 1, [PAIR_SET])],
        "usage": [(["evaluate", "similarity", "--bogus"], 2, ["unrecognized arguments: --bogus"])],
        "number": [
            (["evaluate", "similarity", "--seed", "abc"], 2, ["invalid int value: 'abc'"]),
            (["evaluate", "similarity", "--restrict-vocab", "0"], 2, [f"{POS_INT} '0'"]),
        ],
        "missing": [
            (
                ["evaluate", "similarity", "{missing}"],
                1,
                ["word-pair dataset '{missing}': no such file or folder"],
            )
        ],
        "unwritable": [(["evaluate", "similarity", "--csv", "{blocked}/s.csv"], 1, ["{blocker}"])],
    },
    "calibrate": {
        "unknown": [(["calibrate", "nosuchset"], 1, [ANALOGY_SET])],
        "usage": [(["calibrate", "--method", "cos"], 2, ["invalid choice: 'cos'"])],
        "number": [
            (["calibrate", "--temperature", "0"], 2, [f"{POS_NUM} '0'"]),
            (["calibrate", "-t", "nan"], 2, [f"{POS_NUM} 'nan'"]),
            (["calibrate", "--bands", "3,2"], 2, ["expected increasing positive integers"]),
            (["calibrate", "--bands", "a,b"], 2, ["expected increasing integers"]),
        ],
        "missing": [
            (["calibrate", "{missing}"], 1, ["analogy dataset '{missing}': no such file or folder"])
        ],
    },
    "score": {
        "unknown": [
            (["score", "kinq"], 1, [UNKNOWN]),
            (["score", "france", "paris", "kinq"], 1, [UNKNOWN]),
            (
                ["score", "france", "paris", "--target", "kinq"],
                1,
                ["target 'kinq' is not among the candidates"],
            ),
        ],
        "usage": [(["score"], 2, ["the following arguments are required: QUERY"])],
        "number": [
            (["score", "france", "-t", "0"], 2, [f"{POS_NUM} '0'"]),
            (["score", "france", "-t", "inf"], 2, [f"{POS_NUM} 'inf'"]),
            (["score", "france", "-t", "nan"], 2, [f"{POS_NUM} 'nan'"]),
            (["score", "france", "--top", "0"], 2, [f"{POS_INT} '0'"]),
        ],
        "missing": [(["score", "france", "--vectors", "{missing}"], 1, ["{missing}"])],
    },
    "eml": {
        "usage": [(["eml", "1"], 2, ["the following arguments are required: Y"])],
        "number": [
            (["eml", "1", "abc"], 2, ["argument Y: expected a number, got 'abc'"]),
            (["eml", "1", "0"], 1, ["eml(x, y) needs y > 0"]),
            (["eml", "800", "1"], 1, ["e**x overflows for x > 709.78"]),
            (["eml", "nan", "1"], 1, ["x must be finite, got nan"]),
            (["eml", "1", "inf"], 1, ["y must be finite, got inf"]),
        ],
    },
    "senses": {
        "unknown": [
            (["senses", "kinq"], 1, [UNKNOWN]),
            (["senses", "kinq", "--method", "cluster"], 1, [UNKNOWN]),
        ],
        "usage": [
            (["senses"], 2, ["the following arguments are required: WORD"]),
            (["senses", "bank", "--method", "lda"], 2, ["invalid choice: 'lda'"]),
        ],
        "number": [(["senses", "bank", "--top", "0"], 2, [f"{POS_INT} '0'"])],
        "missing": [(["senses", "bank", "--vectors", "{missing}"], 1, ["{missing}"])],
    },
    "context": {
        "unknown": [(["context", "kinq", "--context", "river bank"], 1, [UNKNOWN])],
        "usage": [
            (["context", "bank"], 2, ["the following arguments are required: --context"]),
            (["context", "bank", "--context", ""], 1, ["context must hold at least one"]),
        ],
        "number": [
            (
                ["context", "bank", "--context", "river", "--temperature", "0"],
                2,
                [f"{POS_NUM} '0'"],
            ),
            (["context", "bank", "--context", "river", "-k", "x"], 2, [f"{POS_INT} 'x'"]),
        ],
        "missing": [
            (["context", "bank", "--context", "river", "--vectors", "{missing}"], 1, ["{missing}"])
        ],
    },
    "atoms": {
        "unknown": [(["atoms", "kinq"], 1, [UNKNOWN])],
        "usage": [(["atoms"], 2, ["the following arguments are required: WORD"])],
        "number": [(["atoms", "bank", "--top", "-2"], 2, [f"{POS_INT} '-2'"])],
        "missing": [(["atoms", "bank", "--vectors", "{missing}"], 1, ["{missing}"])],
    },
    "report": {
        "unknown": [(["report", "--out", "{out}/r", "--words", "kinq", "--quick"], 1, [UNKNOWN])],
        "usage": [(["report", "--sections", "nope"], 2, ["invalid choice: 'nope'"])],
        "number": [
            (["report", "--seed", "x"], 2, ["invalid int value: 'x'"]),
            (
                ["report", "--out", "{out}/r", "--seed", "-1"],
                1,
                ["seed must be a non-negative integer, got -1"],
            ),
        ],
        "missing": [(["report", "--out", "{out}/r", "--vectors", "{missing}"], 1, ["{missing}"])],
        "unwritable": [
            (
                [
                    "report",
                    "--out",
                    "{blocked}/r",
                    "--quick",
                    "--sections",
                    "vectors",
                    "--no-progress",
                ],
                1,
                ["{blocker}"],
            )
        ],
    },
    "explore": {
        "unknown": [(["explore", "--out", "{out}/e", "--words", "kinq", "--no-lm"], 1, [UNKNOWN])],
        "usage": [(["explore", "--method", "mds"], 2, ["invalid choice: 'mds'"])],
        "number": [
            (["explore", "--n-words", "0"], 2, [f"{POS_INT} '0'"]),
            (["explore", "--seed", "-1"], 2, ["expected an integer >= 0"]),
            (
                ["explore", "--out", "{out}/e", "--n-words", "4", "--no-lm"],
                1,
                ["n_words must be an integer >= 5, got 4"],
            ),
        ],
        "missing": [(["explore", "--out", "{out}/e", "--vectors", "{missing}"], 1, ["{missing}"])],
        "unwritable": [
            (["explore", "--out", "{blocked}/e", "--no-lm", "--no-progress"], 1, ["{blocker}"])
        ],
    },
    "graph": {
        "unknown": [(["graph", "--out", "{out}/g.npz", "--words-file", "{words}"], 1, [UNKNOWN])],
        "usage": [
            (["graph"], 2, ["the following arguments are required: --out"]),
            (["graph", "--out", "{out}/g.npz", "--metric", "l1"], 2, ["invalid choice: 'l1'"]),
        ],
        "number": [
            (["graph", "--out", "g.npz", "--k", "0"], 2, [f"--k: {POS_INT} '0'"]),
            (["graph", "--out", "g.npz", "--limit", "0"], 2, [f"{POS_INT} '0'"]),
            (["graph", "--out", "g.npz", "--block-size", "x"], 2, [f"{POS_INT} 'x'"]),
            (
                ["graph", "--out", "{out}/g.npz", "--limit", "1"],
                1,
                ["a neighbor graph needs at least 2 words, got 1"],
            ),
        ],
        "missing": [
            (["graph", "--out", "{out}/g.npz", "--words-file", "{missing}"], 1, ["{missing}"]),
            (["graph", "--out", "{out}/g.npz", "--vectors", "{missing}"], 1, ["{missing}"]),
        ],
        "unwritable": [(["graph", "--out", "{blocked}/g.npz", "--limit", "100"], 1, ["{blocker}"])],
    },
    # the language model: every case is refused before the default model is needed
    "lm next": {
        "unknown": [(["lm", "next", "x", "--model", "{words}"], 1, ["{words}: not a GGUF file"])],
        "usage": [(["lm", "next"], 2, ["the following arguments are required: TEXT"])],
        "number": [
            (["lm", "next", "x", "-k", "0"], 2, [f"{POS_INT} '0'"]),
            (["lm", "next", "x", "--temperature", "0"], 2, [f"{POS_NUM} '0'"]),
        ],
        "missing": [
            (["lm", "next", "x", "--model", "{missing}"], 1, ["{missing}: no such GGUF file"])
        ],
    },
    "lm score": {
        "unknown": [(["lm", "score", "{words}", "--model", "{words}"], 1, ["not a GGUF file"])],
        "usage": [(["lm", "score"], 2, ["the following arguments are required: FILE_OR_-"])],
        "number": [(["lm", "score", "{words}", "--window", "0"], 2, [f"{POS_INT} '0'"])],
        "missing": [
            (["lm", "score", "{missing}", "--model", "{words}"], 1, ["not a GGUF"]),
            (["lm", "score", "{words}", "--model", "{missing}"], 1, ["no such GGUF file"]),
        ],
    },
    "lm generate": {
        "unknown": [(["lm", "generate", "x", "--model", "{words}"], 1, ["not a GGUF file"])],
        "usage": [(["lm", "generate"], 2, ["the following arguments are required: TEXT"])],
        "number": [
            (["lm", "generate", "x", "--top-p", "0"], 2, ["expected a number in (0, 1]"]),
            (["lm", "generate", "x", "--max-tokens", "0"], 2, [f"{POS_INT} '0'"]),
            (["lm", "generate", "x", "--seed", "-1"], 2, ["expected an integer >= 0"]),
            (["lm", "generate", "x", "--top-k", "x"], 2, [f"{POS_INT} 'x'"]),
        ],
        "missing": [(["lm", "generate", "x", "--model", "{missing}"], 1, ["no such GGUF file"])],
    },
    "lm lens": {
        "unknown": [(["lm", "lens", "x", "--model", "{words}"], 1, ["not a GGUF file"])],
        "usage": [(["lm", "lens"], 2, ["the following arguments are required: TEXT"])],
        "missing": [(["lm", "lens", "x", "--model", "{missing}"], 1, ["no such GGUF file"])],
    },
    "lm attention": {
        "unknown": [
            (["lm", "attention", "x", "--layer", "1", "--model", "{words}"], 1, ["not a GGUF file"])
        ],
        "usage": [(["lm", "attention", "x"], 2, ["the following arguments are required: --layer"])],
        "number": [
            (["lm", "attention", "x", "--layer", "-1"], 2, ["expected an integer >= 0"]),
            (
                ["lm", "attention", "x", "--layer", "1", "--head", "x"],
                2,
                ["expected an integer >= 0"],
            ),
        ],
        "missing": [
            (
                ["lm", "attention", "x", "--layer", "1", "--model", "{missing}"],
                1,
                ["no such GGUF file"],
            )
        ],
    },
    "lm context": {
        "unknown": [
            (["lm", "context", "bank", "a bank", "--model", "{words}"], 1, ["not a GGUF file"])
        ],
        "usage": [
            (["lm", "context", "bank"], 2, ["the following arguments are required: CONTEXT"])
        ],
        "number": [
            (["lm", "context", "bank", "a bank", "-k", "0"], 2, [f"{POS_INT} '0'"]),
            (["lm", "context", "bank", "a bank", "--layer", "-2"], 2, ["expected an integer >= 0"]),
        ],
        "missing": [
            (["lm", "context", "bank", "a bank", "--model", "{missing}"], 1, ["no such GGUF file"])
        ],
    },
    "lm polysemy": {
        "unknown": [(["lm", "polysemy", "--model", "{words}"], 1, ["not a GGUF file"])],
        "usage": [(["lm", "polysemy", "extra"], 2, ["unrecognized arguments: extra"])],
        "missing": [(["lm", "polysemy", "--model", "{missing}"], 1, ["no such GGUF file"])],
    },
    "lm info": {
        "unknown": [(["lm", "info", "--model", "{words}"], 1, ["not a GGUF file"])],
        "usage": [(["lm", "info", "extra"], 2, ["unrecognized arguments: extra"])],
        "missing": [(["lm", "info", "--model", "{missing}"], 1, ["no such GGUF file"])],
    },
    # training dynamics: refused before any training starts
    "train unembedding": {
        "unknown": [(["train", "unembedding", "--model", "{words}"], 1, ["not a GGUF file"])],
        "usage": [(["train", "unembedding", "a", "b"], 2, ["unrecognized arguments: b"])],
        "number": [
            (["train", "unembedding", "--steps", "0"], 2, [f"{POS_INT} '0'"]),
            (["train", "unembedding", "--lr", "0"], 2, [f"{POS_NUM} '0'"]),
        ],
        "missing": [
            (["train", "unembedding", "{missing}", "--model", "{words}"], 1, ["{missing}"]),
            (["train", "unembedding", "--model", "{missing}"], 1, ["no such GGUF file"]),
        ],
    },
    "train word2vec": {
        "unknown": [(["train", "word2vec", "--vectors", "nosuchsource"], 1, [NOT_SOURCE])],
        "usage": [(["train", "word2vec", "--nosuch"], 2, ["unrecognized arguments: --nosuch"])],
        "number": [
            (["train", "word2vec", "--epochs", "0"], 2, [f"{POS_INT} '0'"]),
            (["train", "word2vec", "--seed", "-1"], 2, ["expected an integer >= 0"]),
        ],
        "missing": [(["train", "word2vec", "{missing}"], 1, ["{missing}"])],
    },
}

# commands without a case of some kind, and why
NOT_APPLICABLE = {
    ("lm info", "number"): "no numeric argument",
    ("lm lens", "number"): "no numeric argument",
    ("lm polysemy", "number"): "no numeric argument",
    ("info", "number"): "no numeric argument",
    ("relevance", "number"): "no numeric argument",
    ("eml", "unknown"): "takes numbers, not words",
    ("eml", "missing"): "reads no file (not even vectors)",
}
KINDS = ("unknown", "usage", "number", "missing")
WRITERS = {"convert", "report", "explore", "graph", "evaluate analogies", "evaluate similarity"}


@pytest.fixture()
def paths(tmp_path) -> dict[str, str]:
    out = tmp_path / "out"
    out.mkdir()
    blocker = tmp_path / "afile"  # a regular file: no folder can be made under it, even by root
    blocker.write_text("not a folder\n")
    words = tmp_path / "words.txt"
    words.write_text("king\nkinq\n", encoding="utf-8")
    q = tmp_path / "q.txt"
    q.write_text(
        ": capital\nfrance paris germany berlin\n: family\nman king woman queen\n", encoding="utf-8"
    )
    return {
        "missing": str(tmp_path / "no-such-file.txt"),
        "out": str(out),
        "words": str(words),
        "q": str(q),
        "blocked": str(blocker / "sub"),
        "blocker": str(blocker),
    }


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``geomlab ARGV`` run in-process."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors and --help
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _check(code, out, err, want_code, needles):
    assert "Traceback" not in err
    assert code == want_code, err
    if want_code == 1:
        assert err.startswith("geomlab: error: ") and out == "", (out, err)
        assert err.count("\n") == 1, err  # one line, no dump
    elif want_code == 2:
        assert "usage: geomlab" in err and "geomlab: error: " in err and out == ""
    for needle in needles:
        assert needle in err, (needle, err)


def _cases(kinds):
    for cmd, by_kind in CASES.items():
        for kind in kinds:
            for i, (argv, code, needles) in enumerate(by_kind.get(kind, [])):
                yield pytest.param(argv, code, needles, id=f"{cmd}-{kind}-{i}")


def test_the_matrix_knows_every_command():
    # the parser is the source of truth: at least the commands issue 8 names
    assert {
        "info",
        "convert",
        "neighbors",
        "analogy",
        "relevance",
        "evaluate analogies",
        "evaluate similarity",
        "calibrate",
        "score",
        "eml",
        "senses",
        "context",
        "atoms",
        "report",
        "graph",
    } <= set(LEAVES)
    assert GROUPS == ["evaluate", "lm", "train"]
    assert {"lm next", "lm score", "lm generate", "lm info"} <= set(LEAVES)


def test_every_command_has_error_cases():
    missing = []
    for cmd in LEAVES:
        for kind in KINDS:
            if not CASES.get(cmd, {}).get(kind) and (cmd, kind) not in NOT_APPLICABLE:
                missing.append(f"{cmd}: {kind}")
    assert not missing, "commands without error cases: " + ", ".join(missing)
    assert set(CASES) == set(LEAVES)


def test_every_writing_command_has_an_unwritable_case():
    for cmd in LEAVES:
        _, parser, _ = next(c for c in COMMANDS if " ".join(c[0]) == cmd)
        options = {o for a in parser._actions for o in a.option_strings}
        writes = bool(options & {"--out", "--csv"}) or cmd == "convert"
        assert writes == (cmd in WRITERS), cmd
        if writes:
            assert CASES[cmd].get("unwritable"), cmd


@pytest.mark.parametrize("argv, code, needles", list(_cases(KINDS + ("exists",))))
def test_error_matrix(capsys, paths, argv, code, needles):
    argv = [a.format(**paths) for a in argv]
    before = sorted(os.listdir(paths["out"]))
    got = _run(capsys, argv)
    _check(*got, code, [n.format(**paths) for n in needles])
    assert sorted(os.listdir(paths["out"])) == before  # a failed command writes nothing


@pytest.fixture(params=["under-a-file", "read-only-folder"])
def blocked(request, tmp_path, paths, monkeypatch):
    """``paths`` with {blocked}: a folder no file can be written in, and {blocker}: its name.

    As root a 0o500 folder is still writable; there the folder's W_OK answer is made False
    (what a normal user's os.access says), so the command must still refuse before it
    writes: the folder is checked empty afterwards.
    """
    if request.param == "under-a-file":
        yield paths
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)  # 0o500
    if os.access(ro, os.W_OK):
        real = os.access

        def access(path, mode, *args, **kwargs):
            if mode & os.W_OK and isinstance(path, (str, os.PathLike)) and Path(path) == ro:
                return False
            return real(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    try:
        yield {**paths, "blocked": str(ro), "blocker": str(ro)}
        assert os.listdir(ro) == []
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("argv, code, needles", list(_cases(("unwritable",))))
def test_unwritable_output(capsys, blocked, argv, code, needles):
    got = _run(capsys, [a.format(**blocked) for a in argv])
    _check(*got, code, [n.format(**blocked) for n in needles])
    assert "cannot " in got[2]


@pytest.mark.parametrize("words", [w for w, _, _ in COMMANDS], ids=" ".join)
def test_help_of_every_command(capsys, words):
    with pytest.raises(SystemExit) as info:
        main([*words, "--help"])
    out, err = capsys.readouterr()
    assert info.value.code == 0 and err == ""
    assert out.startswith(f"usage: geomlab {' '.join(words)}")
    assert "options:" in out and "--vectors SOURCE" in out and len(out) > 200


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for words, _, _ in COMMANDS:
        if len(words) == 1:
            assert f"\n    {words[0]} " in out, words[0]


def test_no_command_is_a_usage_error(capsys):
    code, out, err = _run(capsys, [])
    _check(code, out, err, 2, ["the following arguments are required: COMMAND"])
    code, out, err = _run(capsys, ["evaluate"])
    _check(code, out, err, 2, ["the following arguments are required: BENCHMARK"])
    code, out, err = _run(capsys, ["nosuchcommand"])
    _check(code, out, err, 2, ["invalid choice: 'nosuchcommand'"])


def test_unknown_words_that_are_skipped_by_design(capsys, paths):
    # context words and benchmark questions with unknown words are skipped and counted,
    # as documented; the run succeeds and says so
    code, out, err = _run(capsys, ["context", "bank", "--context", "river qqqzz"])
    assert code == 0 and err == ""
    assert "not in the vocabulary, skipped (1): qqqzz" in out
    q = Path(paths["q"])
    q.write_text(q.read_text() + "man kinq woman queen\n")
    code, out, err = _run(
        capsys, ["evaluate", "analogies", str(q), "--restrict-vocab", "20000", "--json"]
    )
    assert code == 0 and err == "" and '"n_oov": 1' in out


def test_negative_similarity_seed(capsys):
    # was a numpy ValueError traceback from np.random.default_rng(-1)
    got = _run(capsys, ["evaluate", "similarity", "--seed", "-1"])
    _check(*got, 1, ["seed must be a non-negative integer"])


def test_huge_topk_is_capped(capsys, paths):
    # was a 72.8 TiB MemoryError traceback; topk is now capped at the candidates
    got = _run(
        capsys,
        [
            "evaluate",
            "analogies",
            paths["q"],
            "--restrict-vocab",
            "20000",
            "--topk",
            "9999999999999",
            "--json",
        ],
    )
    assert got[0] == 0 and got[2] == "" and json.loads(got[1])["topk"] == 20000


# -- the real process: exit codes as a shell sees them ---------------------------------------


def _geomlab(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GEOMLAB_NO_PROGRESS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "geomlab", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_process_output_is_whole_after_the_quick_exit():
    # geomlab.cli.run ends the process without the interpreter's clean-up: the output
    # written before must all be there, the exit status kept
    r = _geomlab("neighbors", "king", "-k", "3000", "--json")
    assert r.returncode == 0 and r.stderr == ""
    assert len(json.loads(r.stdout)[0]["words"]) == 3000


def test_process_exit_codes():
    r = _geomlab("neighbors", "kinq")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"geomlab: error: {UNKNOWN}") and "Traceback" not in r.stderr
    r = _geomlab("neighbors", "king", "-k", "0")
    assert r.returncode == 2 and "usage: geomlab neighbors" in r.stderr
    assert "Traceback" not in r.stderr
    r = _geomlab("--help")
    assert r.returncode == 0 and "usage: geomlab" in r.stdout and r.stderr == ""


def test_debug_shows_the_traceback():
    r = _geomlab("--debug", "neighbors", "kinq")
    assert r.returncode == 1 and "Traceback" in r.stderr
    assert "UnknownWordError" in r.stderr and UNKNOWN in r.stderr


# -- interrupted writes: the previous result stays, nothing partial is left ------------------


def _disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")


def _half_then(exc: BaseException):
    """A writer that puts some bytes into its file, then fails with ``exc``."""

    def write(*args, **kwargs):
        handles = [a for a in args if hasattr(a, "write")]
        if handles:  # a stream writer: (emb, fh, fmt) or (fh, ...)
            handles[0].write(b"PARTIAL" * 100)
        else:  # np.save(path, array)
            Path(args[0]).write_bytes(b"PARTIAL" * 100)
        raise exc

    return write


@pytest.fixture(params=["disk-full", "interrupted"])
def failure(request) -> tuple[BaseException, int, str]:
    """(exception raised midway, expected exit code, expected stderr)."""
    if request.param == "disk-full":
        return OSError(28, "No space left on device"), 1, "geomlab: error: No space left"
    return KeyboardInterrupt(), 130, "geomlab: interrupted"


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    "fmt, name", [("word2vec-text", "v.txt"), ("word2vec-binary", "v.bin"), ("geomlab", "v")]
)
def test_failed_convert_keeps_the_previous_file(capsys, tmp_path, monkeypatch, failure, fmt, name):
    import geomlab._save as writer

    exc, code, text = failure
    dest = tmp_path / name
    if fmt == "geomlab":
        assert main(["convert", "glove-6b-50d", str(dest), "--limit", "7"]) == 0
        old = {p.name: p.read_bytes() for p in dest.iterdir()}
        monkeypatch.setattr(writer.np, "save", _half_then(exc))
    else:
        dest.write_bytes(b"the previous result\n")
        monkeypatch.setattr(writer, "_write_stream", _half_then(exc))
    capsys.readouterr()
    got = _run(
        capsys, ["convert", "glove-6b-50d", str(dest), "--limit", "50", "--force", "--format", fmt]
    )
    assert got[0] == code and got[2].startswith(text) and "Traceback" not in got[2]
    assert _listing(tmp_path) == [name]  # no temporary file or folder left beside it
    if fmt == "geomlab":
        assert {p.name: p.read_bytes() for p in dest.iterdir()} == old
    else:
        assert dest.read_bytes() == b"the previous result\n"


def test_failed_graph_keeps_the_previous_file(capsys, tmp_path, monkeypatch, failure):
    import numpy as np

    exc, code, text = failure
    out = tmp_path / "g.npz"
    out.write_bytes(b"the previous graph")
    monkeypatch.setattr(np, "savez", _half_then(exc))
    got = _run(capsys, ["graph", "--out", str(out), "--limit", "300", "--k", "3"])
    assert got[0] == code and got[2].startswith(text) and "Traceback" not in got[2]
    assert _listing(tmp_path) == ["g.npz"] and out.read_bytes() == b"the previous graph"


def test_failed_report_keeps_the_previous_report(capsys, tmp_path, monkeypatch, failure):
    report_build = importlib.import_module("geomlab.report.build")

    exc, code, text = failure
    out = tmp_path / "r"
    out.mkdir()
    earlier = {"generator": report_build.GENERATOR}
    (out / "results.json").write_text(json.dumps(earlier))
    (out / "index.html").write_text("<p>the previous report</p>")

    def page(*args, **kwargs):  # the figures and results.json are written by now
        raise exc

    monkeypatch.setattr(report_build.template, "page", page)
    got = _run(
        capsys, ["report", "--out", str(out), "--quick", "--sections", "vectors", "--no-progress"]
    )
    assert got[0] == code and got[2].startswith(text) and "Traceback" not in got[2]
    assert _listing(tmp_path) == ["r"] and _listing(out) == ["index.html", "results.json"]
    assert (out / "index.html").read_text() == "<p>the previous report</p>"
    assert json.loads((out / "results.json").read_text()) == earlier


def test_failed_csv_keeps_the_previous_file(capsys, tmp_path, monkeypatch, paths):
    import geomlab._io as io_mod

    csv = tmp_path / "a.csv"
    csv.write_text("previous\n")
    real = io_mod.os.fsync
    monkeypatch.setattr(io_mod.os, "fsync", _disk_full)  # after the rows went to the temp file
    got = _run(
        capsys,
        ["evaluate", "analogies", paths["q"], "--restrict-vocab", "20000", "--csv", str(csv)],
    )
    monkeypatch.setattr(io_mod.os, "fsync", real)
    _check(*got, 1, ["No space left on device"])
    assert csv.read_text() == "previous\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".a.csv")]


def test_killed_convert_keeps_the_previous_file(tmp_path):
    # a real SIGKILL in the middle of writing 400,000 rows: the target is never partial;
    # only the hidden temporary file beside it can be left (no code runs after SIGKILL)
    import signal
    import time

    dest = tmp_path / "v.txt"
    dest.write_text("the previous result\n")
    env = {**os.environ, "GEOMLAB_NO_PROGRESS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "geomlab", "convert", "glove-6b-50d", str(dest), "--force"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    temps: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".v.txt.")]
        if temps and temps[0].stat().st_size > 0:
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the conversion finished before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert dest.read_text() == "the previous result\n"
    left = [p.name for p in tmp_path.iterdir() if p != dest]
    assert all(n.startswith(".v.txt.") and n.endswith(".tmp") for n in left), left


def test_written_files_get_ordinary_permissions(capsys, tmp_path):
    mask = os.umask(0o022)
    try:
        assert main(["convert", "glove-6b-50d", str(tmp_path / "v.txt"), "--limit", "5"]) == 0
        assert main(["convert", "glove-6b-50d", str(tmp_path / "v"), "--limit", "5"]) == 0
        assert main(["graph", "--out", str(tmp_path / "g.npz"), "--limit", "50"]) == 0
    finally:
        os.umask(mask)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"v.txt": 0o644, "v": 0o755, "g.npz": 0o644}
