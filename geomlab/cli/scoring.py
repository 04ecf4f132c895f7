"""``geomlab score`` and ``geomlab eml``: a query's preference distribution, the seeds' eml."""

from __future__ import annotations

import argparse

from ._util import add_json, embeddings, emit, positive_float, positive_int


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def register(sub, parent) -> None:
    p = sub.add_parser(
        "score",
        parents=[parent],
        help="a query's softmax distribution over candidate words, as a table with bars",
        description="Score candidate words against a query by dot product (or cosine), turn "
        "the scores into probabilities with softmax(score / T), and print them best first "
        "with bars. Without candidates the whole vocabulary competes (the query's own words "
        "excluded). With --target, also its rank, probability and cross-entropy.",
        epilog="examples: geomlab score france paris london berlin madrid rome --target paris"
        "  |  geomlab score 'king - man + woman' --metric cosine --temperature 0.05",
    )
    p.add_argument(
        "query",
        metavar="QUERY",
        help="a word or an expression such as 'king - man + woman' (quote it)",
    )
    p.add_argument(
        "candidates",
        nargs="*",
        metavar="CANDIDATE",
        help="words to choose among (default: the whole vocabulary)",
    )
    p.add_argument(
        "--temperature",
        "-t",
        type=positive_float,
        default=1.0,
        metavar="T",
        help="softmax temperature T > 0 (default: %(default)s)",
    )
    p.add_argument(
        "--target",
        metavar="WORD",
        help="the expected word: show its rank, probability and cross-entropy",
    )
    p.add_argument(
        "--top",
        type=positive_int,
        default=10,
        metavar="N",
        help="rows to show (default: %(default)s)",
    )
    p.add_argument(
        "--metric",
        choices=("dot", "cosine"),
        default="dot",
        help="score by dot product or cosine similarity (default: %(default)s)",
    )
    add_json(p)
    p.set_defaults(func=run_score)

    e = sub.add_parser(
        "eml",
        parents=[parent],
        help="the seeds' function eml(x, y) = e^x - ln(y)",
        description="Compute eml(x, y) = e^x - ln(y): the exponential amplifies x, the "
        "logarithm compresses y (y > 0). For the rhyme with cross-entropy see "
        "geomlab.eml_echo.",
    )
    e.add_argument("x", type=_number, metavar="X", help="a real number (at most about 709.78)")
    e.add_argument("y", type=_number, metavar="Y", help="a positive real number")
    add_json(e)
    e.set_defaults(func=run_eml)


def run_score(args) -> int:
    from ..geometry.preference import preference

    pref = preference(
        embeddings(args),
        args.query,
        args.candidates or None,
        temperature=args.temperature,
        metric=args.metric,
        target=args.target,
        top=args.top,
    )
    emit(args, pref)
    return 0


def run_eml(args) -> int:
    import math

    from ..scoring.eml import eml

    value = eml(args.x, args.y)
    data = {
        "x": args.x,
        "y": args.y,
        "exp_x": math.exp(args.x),
        "ln_y": math.log(args.y),
        "eml": value,
    }
    text = (
        f"eml({args.x:g}, {args.y:g}) = e^{args.x:g} - ln {args.y:g} = "
        f"{data['exp_x']:.10g} - {data['ln_y']:.10g} = {value:.10g}"
    )
    emit(args, data=data, text=text)
    return 0
