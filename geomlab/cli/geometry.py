"""``geomlab neighbors``, ``geomlab analogy``, ``geomlab relevance``: the geometry commands.

Only numpy-based modules are imported (inside the commands), so they start fast.
"""

from __future__ import annotations

import argparse

from ._util import add_json, embeddings, emit, positive_int

_QUERY_HELP = (
    "a word, or an expression in quotes such as 'king - man + woman' or "
    "'0.5*paris + berlin' (one that starts with a minus sign goes after '--', "
    "options first)"
)


def register(sub, parent) -> None:
    p = sub.add_parser(
        "neighbors",
        parents=[parent],
        help="nearest words by cosine or dot product",
        description="The K nearest words of each query, all queries in one blocked matrix "
        "product. A query's own words are never its neighbors.",
        epilog="examples: geomlab neighbors frog paris -k 5\n"
        "          geomlab neighbors 'king - man + woman' --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("queries", nargs="+", metavar="WORD", help=_QUERY_HELP)
    p.add_argument(
        "-k", type=positive_int, default=10, metavar="K", help="neighbors per query (default 10)"
    )
    p.add_argument(
        "--metric",
        choices=("cosine", "dot"),
        default="cosine",
        help="cosine similarity (default) or raw dot product",
    )
    p.add_argument(
        "--restrict-vocab",
        type=positive_int,
        default=None,
        metavar="N",
        help="only the first N (most frequent) words are candidates",
    )
    add_json(p)
    p.set_defaults(func=run_neighbors)

    p = sub.add_parser(
        "analogy",
        parents=[parent],
        help="solve a : b :: c : ? (3CosAdd, 3CosMul, PairDirection)",
        description="Solve A : B :: C : ? (man : king :: woman : ?). By default the inputs are "
        "not allowed as answers, as the standard protocol does; --keep-inputs shows the honest "
        "ranking and says when the top answer is one of the inputs.",
        epilog="example: geomlab analogy man king woman --keep-inputs",
    )
    p.add_argument("a", metavar="A", help="first word of the given pair")
    p.add_argument("b", metavar="B", help="second word of the given pair")
    p.add_argument("c", metavar="C", help="first word of the asked pair")
    p.add_argument(
        "--method",
        choices=("3cosadd", "3cosmul", "pairdirection"),
        default="3cosadd",
        help="scoring method (default 3cosadd)",
    )
    p.add_argument(
        "--keep-inputs",
        action="store_true",
        help="allow A, B and C as answers (the honest ranking)",
    )
    p.add_argument(
        "-k", type=positive_int, default=10, metavar="K", help="answers to show (default 10)"
    )
    p.add_argument(
        "--restrict-vocab",
        type=positive_int,
        default=None,
        metavar="N",
        help="only the first N (most frequent) words are candidates",
    )
    add_json(p)
    p.set_defaults(func=run_analogy)

    p = sub.add_parser(
        "relevance",
        parents=[parent],
        help="raw scores (logits) of candidate words for a query",
        description="Score each CANDIDATE against QUERY: the dot product (a logit, what an "
        "unembedding computes; default) or the cosine.",
        epilog="example: geomlab relevance france paris berlin tokyo --sort",
    )
    p.add_argument("query", metavar="QUERY", help=_QUERY_HELP)
    p.add_argument("candidates", nargs="+", metavar="CANDIDATE", help="words to score")
    p.add_argument(
        "--metric", choices=("dot", "cosine"), default="dot", help="dot product (default) or cosine"
    )
    p.add_argument("--sort", action="store_true", help="order by falling score")
    add_json(p)
    p.set_defaults(func=run_relevance)


def _label(q) -> str:
    return q if isinstance(q, str) else "<vector>"


def run_neighbors(args) -> int:
    from ..geometry.neighbors import nearest

    emb = embeddings(args)
    results = nearest(
        emb, list(args.queries), k=args.k, metric=args.metric, restrict_vocab=args.restrict_vocab
    )
    blocks = [f"nearest to {_label(r.query)!r} ({r.metric}):\n{r}" for r in results]
    emit(args, data=[r.to_dict() for r in results], text="\n\n".join(blocks))
    return 0


def run_analogy(args) -> int:
    from ..geometry.analogy import analogy

    emb = embeddings(args)
    r = analogy(
        emb,
        args.a,
        args.b,
        args.c,
        k=args.k,
        method=args.method,
        exclude_inputs=not args.keep_inputs,
        restrict_vocab=args.restrict_vocab,
    )
    kept = "inputs kept" if args.keep_inputs else "inputs excluded"
    lines = [f"{args.a} : {args.b} :: {args.c} : ?  ({r.method}, {kept})", str(r)]
    if r.top_is_input:
        lines.append(
            f"the top answer {r.words[0]!r} is an input; the best other answer is "
            f"{r.answer!r} at rank {r.answer_rank}"
        )
    emit(args, record=r, text="\n".join(lines))
    return 0


def run_relevance(args) -> int:
    from ..geometry.relevance import relevance

    emb = embeddings(args)
    r = relevance(emb, args.query, list(args.candidates), metric=args.metric, sort=args.sort)
    emit(args, record=r, text=f"{r.metric} scores for {args.query!r}:\n{r}")
    return 0
