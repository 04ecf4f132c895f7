"""The ``geomlab`` command: thin calls into the library.

Each topic lives in its own module under ``geomlab.cli`` with a ``register(subparsers,
parent)`` function that adds its commands; a command's ``func(args)`` calls the library
and prints. Modules import heavy dependencies inside their functions only, so quick
commands start fast.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import sys
import threading

from ..errors import GeomlabError
from ..loaders import FORMATS

# command modules, in the order their commands appear in --help
COMMAND_MODULES = [
    "info",
    "convert",
    "geometry",
    "evaluate",
    "scoring",
    "polysemy",
    "report",
    "explore",
    "graph",
    "lm",
    "train",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: exit 2, with the program's prefix
        self.print_usage(sys.stderr)
        self.exit(2, f"geomlab: error: {message}\n")


class _PrintCompletion(argparse.Action):
    """``--print-completion SHELL``: print shtab's completion script for this parser, exit.

    shtab is imported here, when the option is used, so the command starts as fast
    without it.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            import shtab
        except ImportError:
            parser.exit(
                1, "geomlab: error: shell completion needs the shtab package: pip install shtab\n"
            )
        sys.stdout.write(shtab.complete(parser, shell=values))
        parser.exit(0)


def _common_options(default) -> argparse.ArgumentParser:
    """Options valid both before and after the command name."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--vectors",
        metavar="SOURCE",
        default=default,
        help="named source or vector file (default: the embedded GloVe 6B 50d)",
    )
    p.add_argument(
        "--vectors-format",
        metavar="FORMAT",
        default=default,
        choices=FORMATS,
        help="format of --vectors (default: detected from the content). A gensim .save file "
        "is a Python pickle, which runs code when loaded: it loads only with "
        "--vectors-format gensim, so pass that only for files you trust",
    )
    p.add_argument(
        "--debug", action="store_true", default=default, help="show a full traceback on errors"
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = _Parser(
        prog="geomlab",
        description="The geometry of word embeddings: how dot products become preferences.",
        parents=[_common_options(None)],
    )
    parser.set_defaults(debug=False)
    parser.add_argument("--version", action="version", version=f"geomlab {__version__}")
    parser.add_argument(
        "--print-completion",
        metavar="SHELL",
        choices=("bash", "zsh", "tcsh"),
        action=_PrintCompletion,
        help="print a tab-completion script for SHELL (bash, zsh or tcsh) and exit; "
        'e.g. eval "$(geomlab --print-completion bash)" in ~/.bashrc',
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    parent = _common_options(argparse.SUPPRESS)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub, parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GeomlabError as exc:
        if args.debug:
            raise
        print(f"geomlab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("geomlab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if args.debug:
            raise
        where = f": {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"geomlab: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


def run() -> None:
    """The ``geomlab`` program (``python -m geomlab``): :func:`main`, then the exit.

    When nothing else runs, the process ends without the interpreter's clean-up of its
    modules: after a report, tearing down scikit-learn, SciPy, numba, gensim and
    matplotlib took 0.6-1.0 s between the end of ``main`` and the end of the process
    (measured), with every file already written and closed. The exit handlers still run
    and the output is flushed first; with another thread alive the exit is the usual one.
    """
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe, a closed stream: nothing left to keep
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
