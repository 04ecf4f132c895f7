"""``geomlab explore``: write the interactive explorer page."""

from __future__ import annotations

from ._util import (
    add_json,
    add_no_progress,
    check_out,
    embeddings,
    emit,
    non_negative_int,
    positive_int,
)


def register(sub, parent) -> None:
    p = sub.add_parser(
        "explore",
        parents=[parent],
        help="write the interactive explorer page (temperature dial, map, analogies, model)",
        description="Write DIR/index.html: one self-contained page that opens offline from "
        "disk (no network request of any kind). A temperature dial re-draws softmax over "
        "real logits (GloVe preference queries and, when the language model is installed, "
        "its next-token distributions); a 2-D map of the words with hover, search, nearest "
        "neighbors, zoom and pan; analogy parallelograms with ranked answers; the model's "
        "attention heads and logit lens. Only DIR/index.html is written; an index.html the "
        "explorer did not write is never replaced.",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default="geomlab-explore",
        help="output folder (default: %(default)s)",
    )
    p.add_argument(
        "--words", nargs="+", metavar="WORD", default=[], help="words that must be on the map"
    )
    p.add_argument(
        "--n-words",
        type=positive_int,
        default=3000,
        metavar="N",
        help="words on the map: --words, then the most frequent (default: %(default)s; at least 5)",
    )
    p.add_argument(
        "--method",
        choices=("umap", "pca", "tsne"),
        default="umap",
        help="the map's projection, cached after the first build (default: %(default)s)",
    )
    p.add_argument(
        "--query",
        metavar="WORD",
        help="the dial's query word, scored against the capitals and the whole "
        "vocabulary (default: france, when the vocabulary has it)",
    )
    p.add_argument(
        "--prompts",
        nargs="+",
        metavar="TEXT",
        help="prompts for the language model (default: three short ones)",
    )
    p.add_argument(
        "--no-lm",
        dest="lm",
        action="store_false",
        help="leave the language model out (by default it is included when installed)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="random seed of the map (default: %(default)s)",
    )
    add_no_progress(p)
    add_json(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import time

    from ..explorer import explore
    from ..explorer.gather import PROMPTS

    check_out(args.out, "geomlab-explore")
    t0 = time.perf_counter()
    index = explore(
        embeddings(args),
        args.out,
        lm=args.lm,
        words=args.words,
        n_words=args.n_words,
        method=args.method,
        query=args.query,
        prompts=args.prompts or PROMPTS,
        seed=args.seed,
        progress=args.progress,
    )
    emit(
        args,
        text=str(index),
        data={
            "index": str(index),
            "bytes": index.stat().st_size,
            "seconds": round(time.perf_counter() - t0, 2),
        },
    )
    return 0
