"""``geomlab convert``: read vectors in one format, write them in another."""

from __future__ import annotations

import argparse

from ._util import add_json, emit, positive_int

_FORMATS = ("geomlab", "word2vec-text", "word2vec-binary", "glove")


def register(sub, parent) -> None:
    p = sub.add_parser(
        "convert",
        parents=[parent],
        help="convert vectors between formats (word2vec, GloVe, fastText, gensim, geomlab)",
        description="Read SRC (a vector file in any format geomlab reads, detected from its "
        "content, or a named source) and write it to DEST atomically. Formats: geomlab (a "
        "memory-mappable folder: vectors.npy + words.txt), word2vec-text, word2vec-binary, "
        "glove (text, no header). Without --format the format follows DEST's extension: "
        ".bin -> word2vec-binary, .txt/.vec -> word2vec-text (a .gz or .bz2 ending "
        "compresses), anything else -> geomlab.",
        epilog="example: geomlab convert glove.6B.50d.txt glove50 --format geomlab",
    )
    p.add_argument("src", metavar="SRC", help="vector file, geomlab folder or named source")
    p.add_argument("dest", metavar="DEST", help="file (or folder, for geomlab) to write")
    p.add_argument(
        "--format",
        choices=_FORMATS,
        default=None,
        help="output format (default: from DEST's extension)",
    )
    p.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="bad lines in SRC: stop with an error (default) or skip and count them",
    )
    p.add_argument(
        "--limit",
        type=positive_int,
        default=None,
        metavar="N",
        help="convert only the first N words",
    )
    p.add_argument("--force", action="store_true", help="replace DEST if it exists")
    add_json(p)
    p.set_defaults(func=run)


def output_format(dest: str) -> str:
    """The format DEST's extension implies."""
    name = dest.lower().removesuffix(".gz").removesuffix(".bz2")
    if name.endswith(".bin"):
        return "word2vec-binary"
    if name.endswith((".txt", ".vec")):
        return "word2vec-text"
    return "geomlab"


def run(args: argparse.Namespace) -> int:
    import os

    from ..errors import GeomlabError
    from ..loaders import load, save

    fmt = args.format or output_format(args.dest)
    if os.path.exists(args.dest) and not args.force:
        raise GeomlabError(f"{args.dest!r} exists; pass --force to replace it")
    if os.path.abspath(args.dest) == os.path.abspath(args.src):
        raise GeomlabError("SRC and DEST are the same path")
    emb = load(
        args.src,
        format=args.vectors_format or "auto",
        on_error=args.on_error,
        cache=False,
        limit=args.limit,
    )
    out = save(emb, args.dest, format=fmt)
    report = emb.load_report
    info = {
        "source": args.src,
        "dest": str(out),
        "format": fmt,
        "words": len(emb),
        "dim": emb.dim,
        "skipped": report.skipped if report else 0,
        "zero_vectors": report.zero_vectors if report else 0,
    }
    text = f"wrote {len(emb):,} words x {emb.dim} dims to {out} ({fmt})"
    if info["skipped"]:
        text += f"; skipped {info['skipped']} bad lines of {args.src}"
    if info["zero_vectors"]:
        text += f"; {info['zero_vectors']} all-zero vectors"
    emit(args, data=info, text=text)
    return 0
