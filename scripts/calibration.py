"""Analogy answers as distributions: calibration figures on the full Google set.

Each Google question a : b :: c : ? becomes softmax(score / T) over the first 300,000 words
(inputs excluded), scores being 3CosAdd cosines (or --method). The script fits the
temperature T that minimises the mean negative log-likelihood of the expected answers and
prints, at T = 1 and at the fitted T: NLL (nats), perplexity, mean top-1 confidence,
accuracy and expected calibration error (15 bins); the reliability diagram at the fitted
T; and accuracy, confidence and ECE by the frequency rank of the expected answer.

    python scripts/calibration.py                    # about a minute on 2 cores
    python scripts/calibration.py --method 3cosmul --json calibration.json
    python scripts/calibration.py --sample 5000 --seed 1   # the report's way: a sample

Uses only the public API. One scoring pass: per question it keeps the exact top 128
scores and a histogram of the rest, so every temperature afterwards costs milliseconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--dataset",
        default="google",
        help="analogy set: 'google' (default), a question file or a BATS folder",
    )
    ap.add_argument(
        "--method",
        default="3cosadd",
        choices=("3cosadd", "3cosmul", "pairdirection"),
        help="how candidates are scored (default: %(default)s)",
    )
    ap.add_argument(
        "--bands",
        default="1000,10000,50000",
        metavar="N,N,...",
        help="frequency-rank band edges (default: %(default)s)",
    )
    ap.add_argument(
        "--restrict",
        type=int,
        default=300_000,
        metavar="N",
        help="candidates: the first N words (default: %(default)s; the quick report 30000)",
    )
    ap.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="a random sample of N of the set's questions (question files; the report "
        "calibrates on 5000, the quick one on 2000)",
    )
    ap.add_argument("--seed", type=int, default=0, help="the sample's seed (default: 0)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    import geomlab
    from geomlab._record import format_table

    emb = geomlab.load()
    t0 = time.perf_counter()
    from geomlab.evaluation.datasets import load_analogies

    dataset = load_analogies(args.dataset)
    if args.sample is not None:
        dataset = dataset.sample(args.sample, seed=args.seed)
    r = geomlab.evaluate_analogies(
        emb, dataset, method=args.method, restrict_vocab=args.restrict, temperature="fit"
    )
    seconds = time.perf_counter() - t0
    at_one, fitted = r.calibration_at(1.0), r.calibration_at(r.temperature)
    bands = r.by_frequency(tuple(int(b) for b in args.bands.split(",")))

    print(
        f"{r.dataset}, {r.method}, first {r.restrict_vocab:,} words, inputs excluded: "
        f"{r.n_evaluated} questions, accuracy {r.accuracy:.4f} ({seconds:.1f} s, one pass)"
    )
    print(f"fitted temperature T = {r.temperature:.4f} (minimum mean NLL)\n")
    print(
        format_table(
            [
                {
                    "": f"T = {c.temperature:.4g}",
                    "NLL (nats)": c.nll,
                    "perplexity": c.perplexity,
                    "mean confidence": c.mean_confidence,
                    "accuracy": c.accuracy,
                    "ECE": c.ece,
                    "NLL error bound": c.error_bound,
                }
                for c in (at_one, fitted)
            ]
        )
    )
    print("\nreliability at the fitted T (confidence bins of the top-1 answer):")
    print(format_table([row for row in fitted.reliability.rows() if row["count"]]))
    print("\nby frequency rank of the expected answer (most frequent first):")
    print(format_table(bands.rows()))

    if args.json:
        keys = (
            "temperature",
            "nll",
            "perplexity",
            "mean_confidence",
            "accuracy",
            "ece",
            "error_bound",
            "n",
            "n_unanswerable",
        )
        figures = {
            "dataset": r.dataset,
            "method": r.method,
            "restrict_vocab": r.restrict_vocab,
            "sample": None if args.sample is None else {"n": args.sample, "seed": args.seed},
            "n_evaluated": r.n_evaluated,
            "accuracy": r.accuracy,
            "seconds": seconds,
            "fitted_temperature": r.temperature,
            "at_one": {k: getattr(at_one, k) for k in keys},
            "at_fitted": {k: getattr(fitted, k) for k in keys},
            "reliability": fitted.reliability.rows(),
            "bands": bands.rows(),
        }
        from geomlab._record import to_jsonable

        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(to_jsonable(figures), fh, indent=2)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
