"""``geomlab report``: write the self-contained HTML report with figures."""

from __future__ import annotations

from ._util import add_no_progress, check_out, embeddings


def register(sub, parent) -> None:
    from ..report.sections import section_keys

    names = section_keys()
    p = sub.add_parser(
        "report",
        parents=[parent],
        help="write the HTML report with figures (the main job)",
        description="Compute every section on the vectors (the embedded GloVe 6B 50d by "
        "default) and write DIR/index.html, DIR/figures/ and DIR/results.json (every "
        "number plus provenance). The page opens offline. The report is built in a "
        "temporary folder and moved into place at the end.",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default="geomlab-report",
        help="report folder (default: %(default)s)",
    )
    p.add_argument(
        "--words",
        nargs="+",
        metavar="WORD",
        default=[],
        help="extra words to feature on the norm plot and the maps",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smaller, faster run (smaller maps without UMAP, vocabulary and bootstrap)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace DIR even when its results.json is not recognised (a damaged "
        "report); files geomlab did not write are never deleted",
    )
    p.add_argument(
        "--sections",
        nargs="+",
        metavar="NAME",
        choices=names,
        help="only these sections: " + ", ".join(names),
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument(
        "--explore",
        action="store_true",
        help="also write the interactive explorer page (DIR/explore/index.html: "
        "temperature dial, word map, analogies, attention) and link it from the "
        "sections",
    )
    add_no_progress(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..report import build

    check_out(args.out, "geomlab-report")
    index = build(
        embeddings(args),
        args.out,
        quick=args.quick,
        force=args.force,
        sections=args.sections,
        words=args.words,
        progress=args.progress,
        seed=args.seed,
        explore=args.explore,
    )
    sys.stdout.write(f"{index}\n")
    return 0
