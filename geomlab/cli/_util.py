"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys


def embeddings(args):
    """The vectors named by ``--vectors`` (the embedded default when absent)."""
    from ..errors import GeomlabError
    from ..loaders import load

    if args.vectors is not None and not args.vectors.strip():
        raise GeomlabError(
            f"--vectors {args.vectors!r} is empty: name a vector file, folder "
            "or source, or leave --vectors out for the embedded GloVe"
        )
    return load(args.vectors, format=args.vectors_format or "auto")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def add_no_progress(p: argparse.ArgumentParser) -> None:
    """``--no-progress``: sets ``args.progress`` to False (None: a bar on a terminal)."""
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        default=None,
        help="no progress bar (the default shows one on a terminal)",
    )


def check_out(out: str, example: str) -> None:
    """An empty ``--out`` would be the current folder, found out only at the end."""
    if not out.strip():
        from ..errors import GeomlabError

        raise GeomlabError(f"--out {out!r} is empty; give a folder name such as {example}")


def emit(args, record=None, text: str | None = None, data=None) -> None:
    """Print ``record`` (or ``data``) as JSON with ``--json``, else ``text`` (or str(record))."""
    if getattr(args, "json", False):
        if record is not None and data is None:
            sys.stdout.write(record.to_json() + "\n")
        else:
            from .._record import to_jsonable

            sys.stdout.write(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write((text if text is not None else str(record)) + "\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def probability(text: str) -> float:
    """A number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value
