"""``geomlab evaluate analogies|similarity`` and ``geomlab calibrate``: benchmark figures."""

from __future__ import annotations

import argparse
import itertools

from ._util import add_json, embeddings, emit, positive_float, positive_int

# kept here (not imported from the kernel) so that building the parser stays light
_METHODS = ("3cosadd", "3cosmul", "pairdirection")


def _bands(text: str) -> tuple[int, ...]:
    try:
        edges = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected increasing integers separated by commas, got {text!r}"
        ) from None
    if not edges or edges[0] < 1 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise argparse.ArgumentTypeError(
            f"expected increasing positive integers separated by commas, got {text!r}"
        )
    return edges


def _analogy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "dataset",
        nargs="?",
        default="google",
        metavar="DATASET",
        help="'google' (gensim's copy of the Google set, the default), a question "
        "file (Google/MSR style, with or without ': section' lines) or a BATS folder",
    )
    p.add_argument(
        "--method",
        choices=_METHODS,
        default="3cosadd",
        help="3cosadd: cos(x, b - a + c); 3cosmul: Levy & Goldberg's multiplicative "
        "objective, as gensim's most_similar_cosmul; pairdirection: cos(x - c, b - a) "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--restrict-vocab",
        type=positive_int,
        default=300_000,
        metavar="N",
        help="questions and candidates from the first N words, as gensim (default: %(default)s)",
    )
    p.add_argument(
        "--case-sensitive",
        action="store_true",
        help="compare words as written (default: upper-cased, as gensim)",
    )


def register(sub, parent) -> None:
    ev = sub.add_parser(
        "evaluate",
        parents=[parent],
        help="benchmark accuracy: analogies, word similarity",
        description="Evaluate the vectors on a benchmark with gensim's protocol, batched.",
    )
    what = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    what.required = True

    a = what.add_parser(
        "analogies",
        parents=[parent],
        help="accuracy on an analogy set (a : b :: c : ?)",
        description="Accuracy on an analogy set, question for question as gensim's "
        "evaluate_word_analogies (first N words, case folded, inputs excluded, questions "
        "with unknown words skipped), in one blocked pass. Prints per-section accuracy and "
        "the semantic/syntactic totals of the Google set.",
        epilog="examples: geomlab evaluate analogies  |  geomlab evaluate analogies "
        "path/to/BATS_3.0 --method 3cosmul  |  geomlab evaluate analogies --keep-inputs",
    )
    _analogy_options(a)
    a.add_argument(
        "--keep-inputs",
        action="store_true",
        help="let a, b and c be answers too: the honest rate (Linzen 2016)",
    )
    a.add_argument(
        "--topk",
        type=positive_int,
        default=1,
        metavar="K",
        help="count a question correct when the answer is among the K best (default: %(default)s)",
    )
    a.add_argument(
        "--csv",
        metavar="PATH",
        help="also write every question's record "
        "(inputs, expected, predicted, rank, score) to a CSV file",
    )
    add_json(a)
    a.set_defaults(func=run_analogies)

    s = what.add_parser(
        "similarity",
        parents=[parent],
        help="Spearman/Pearson against human similarity scores",
        description="Correlate cosine similarity with human judgements, as gensim's "
        "evaluate_word_pairs, with a seeded 95% bootstrap interval for Spearman's rho.",
        epilog="examples: geomlab evaluate similarity  |  geomlab evaluate similarity "
        "simlex999  |  geomlab evaluate similarity MEN_dataset_natural_form_full",
    )
    s.add_argument(
        "dataset",
        nargs="?",
        default="wordsim353",
        metavar="DATASET",
        help="'wordsim353' (the default), 'simlex999', or a word-pair file (tab, "
        "space or comma separated; header and # comments allowed)",
    )
    s.add_argument(
        "--restrict-vocab",
        type=positive_int,
        default=300_000,
        metavar="N",
        help="only the first N words count as known (default: %(default)s)",
    )
    s.add_argument(
        "--case-sensitive",
        action="store_true",
        help="compare words as written (default: upper-cased, as gensim)",
    )
    s.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    s.add_argument("--csv", metavar="PATH", help="also write every pair's record to a CSV file")
    add_json(s)
    s.set_defaults(func=run_similarity)

    c = sub.add_parser(
        "calibrate",
        parents=[parent],
        help="analogy answers as distributions: fitted temperature, NLL, ECE, frequency bands",
        description="Turn each analogy question's candidate scores into softmax(score / T), "
        "fit the temperature T that minimises the mean negative log-likelihood of the "
        "expected answers, and report NLL, perplexity, confidence and expected calibration "
        "error at T = 1 and at the fitted T, and by the frequency rank of the answer.",
        epilog="examples: geomlab calibrate  |  geomlab calibrate --method 3cosmul  |  "
        "geomlab calibrate --temperature 0.05",
    )
    _analogy_options(c)
    c.add_argument(
        "--temperature",
        "-t",
        type=positive_float,
        metavar="T",
        help="use this temperature instead of fitting one",
    )
    c.add_argument(
        "--bands",
        type=_bands,
        default=(1_000, 10_000, 50_000),
        metavar="N,N,...",
        help="frequency-rank band edges (default: 1000,10000,50000)",
    )
    add_json(c)
    c.set_defaults(func=run_calibrate)


def _analogy_summary(r) -> dict:
    keys = (
        "dataset",
        "method",
        "restrict_vocab",
        "case_insensitive",
        "exclude_inputs",
        "topk",
        "n_correct",
        "n_evaluated",
        "n_oov",
        "n_invalid",
        "accuracy",
        "seconds",
    )
    out = {k: getattr(r, k) for k in keys}
    out["sections"] = [s.to_dict() for s in r.sections]
    for name in ("semantic", "syntactic"):
        part = getattr(r, name)
        if part is not None:
            out[name] = part.to_dict()
    return out


def run_analogies(args) -> int:
    from ..evaluation.analogies import evaluate_analogies

    r = evaluate_analogies(
        embeddings(args),
        args.dataset,
        method=args.method,
        restrict_vocab=args.restrict_vocab,
        case_insensitive=not args.case_sensitive,
        exclude_inputs=not args.keep_inputs,
        topk=args.topk,
    )
    if args.csv:
        r.to_csv(args.csv)
    emit(args, data=_analogy_summary(r), text=str(r))
    return 0


def run_similarity(args) -> int:
    from ..evaluation.similarity import evaluate_similarity

    r = evaluate_similarity(
        embeddings(args),
        args.dataset,
        restrict_vocab=args.restrict_vocab,
        case_insensitive=not args.case_sensitive,
        seed=args.seed,
    )
    if args.csv:
        r.to_csv(args.csv)
    emit(args, record=r)
    return 0


def run_calibrate(args) -> int:
    from .._record import format_table
    from ..evaluation.analogies import evaluate_analogies

    r = evaluate_analogies(
        embeddings(args),
        args.dataset,
        method=args.method,
        restrict_vocab=args.restrict_vocab,
        case_insensitive=not args.case_sensitive,
        temperature=args.temperature if args.temperature else "fit",
    )
    at_one = r.calibration_at(1.0)
    at_t = r.calibration_at(r.temperature)
    bands = r.by_frequency(args.bands)
    keys = ("temperature", "nll", "perplexity", "mean_confidence", "accuracy", "ece", "error_bound")
    data = {
        "dataset": r.dataset,
        "method": r.method,
        "restrict_vocab": r.restrict_vocab,
        "n_evaluated": r.n_evaluated,
        "accuracy": r.accuracy,
        "fitted": args.temperature is None,
        "temperature": r.temperature,
        "at_one": {k: getattr(at_one, k) for k in keys},
        "at_temperature": {k: getattr(at_t, k) for k in keys},
        "reliability": at_t.reliability.rows(),
        "bands": bands.rows(),
    }
    how = "fitted (minimum mean NLL)" if args.temperature is None else "given"
    rows = [
        {
            "": f"T = {c.temperature:.4g}",
            "NLL (nats)": c.nll,
            "perplexity": c.perplexity,
            "mean confidence": c.mean_confidence,
            "accuracy": c.accuracy,
            "ECE": c.ece,
        }
        for c in (at_one, at_t)
    ]
    text = "\n".join(
        [
            (
                f"{r.dataset}, {r.method}, first {r.restrict_vocab:,} words: {r.n_evaluated} questions, "
                f"accuracy {r.accuracy:.4f}"
            ),
            f"temperature {how}: T = {r.temperature:.4g}",
            "",
            format_table(rows),
            "",
            "by frequency rank of the expected answer (confidence = mean top-1 probability):",
            format_table(bands.rows()),
        ]
    )
    emit(args, data=data, text=text)
    return 0
