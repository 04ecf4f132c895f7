"""Shell completion: `geomlab --print-completion SHELL` (shtab, imported only when asked)."""

import shutil
import subprocess
import sys

import pytest

from geomlab.cli import COMMAND_MODULES, build_parser, main


def _script(shell: str, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["--print-completion", shell])
    assert exc.value.code == 0
    return capsys.readouterr().out


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@needs_bash
def test_bash_script_completes_commands_subcommands_and_options(capsys, tmp_path):
    script = tmp_path / "geomlab.bash"
    script.write_text(_script("bash", capsys), encoding="utf-8")
    probe = (
        f"source {script}\n"
        'complete_() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _shtab_geomlab;'
        ' echo "${COMPREPLY[*]}"; }\n'
        "complete_ geomlab ev\n"
        "complete_ geomlab lm ''\n"
        "complete_ geomlab neighbors --me\n"
        "complete_ geomlab ''\n"
    )
    out = subprocess.run(
        ["bash", "-c", probe], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert out[0] == "evaluate"
    assert out[1].split() == [
        "next",
        "score",
        "generate",
        "lens",
        "attention",
        "context",
        "polysemy",
        "info",
    ]
    assert out[2] == "--metric"
    assert out[3].split() == _commands() and len(_commands()) >= len(COMMAND_MODULES)


def test_zsh_and_tcsh_scripts_name_every_command(capsys):
    zsh = _script("zsh", capsys)
    assert zsh.startswith("#compdef geomlab")
    tcsh = _script("tcsh", capsys)
    assert "complete geomlab" in tcsh
    for name in _commands():
        assert name in zsh and name in tcsh


def test_unknown_shell_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--print-completion", "fish"])
    assert exc.value.code == 2
    assert "invalid choice: 'fish'" in capsys.readouterr().err


def test_missing_shtab_names_the_package(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "shtab", None)  # import shtab -> ImportError
    with pytest.raises(SystemExit) as exc:
        main(["--print-completion", "bash"])
    assert exc.value.code == 1
    assert capsys.readouterr().err == (
        "geomlab: error: shell completion needs the shtab package: pip install shtab\n"
    )


def test_help_mentions_the_option_and_start_up_does_not_import_shtab():
    assert "--print-completion" in build_parser().format_help()
    code = (
        "import sys\nfrom geomlab.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('shtab' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert out[-1] == "False"
