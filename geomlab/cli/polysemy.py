"""``geomlab senses``, ``geomlab context`` and ``geomlab atoms``: one word, several meanings."""

from __future__ import annotations

from ._util import add_json, embeddings, emit, positive_float, positive_int


def register(sub, parent) -> None:
    s = sub.add_parser(
        "senses",
        parents=[parent],
        help="the senses of a word (discourse atoms or clusters)",
        description="List the senses of a word, strongest first. 'atoms' (default) codes the "
        "word on discourse atoms learned by sparse coding over the 30,000 most frequent words "
        "(Arora et al. 2018; the first call fits and caches them, about half a minute); "
        "'cluster' groups the word's nearest neighbors after removing its own direction. "
        "Each sense is marked sense, weak, noisy or facet, with the reason.",
        epilog="examples: geomlab senses apple  |  geomlab senses crane --method cluster  |  "
        "geomlab senses tie --json",
    )
    s.add_argument("word", metavar="WORD", help="a vocabulary word")
    s.add_argument(
        "--method",
        choices=("atoms", "cluster"),
        default="atoms",
        help="atoms: sparse coding on discourse atoms; cluster: k-means over the "
        "word's neighbors (default: %(default)s)",
    )
    s.add_argument(
        "--top",
        type=positive_int,
        default=8,
        metavar="N",
        help="words shown per sense (default: %(default)s)",
    )
    add_json(s)
    s.set_defaults(func=run_senses)

    c = sub.add_parser(
        "context",
        parents=[parent],
        help="neighbors of a word read in a context (attention)",
        description="Read a word in a context: its attention over the context words "
        "(softmax(q.k / sqrt(d) / T), embeddings as queries, keys and values) is added to its "
        "vector, and the nearest words of the result are shown beside the neighbors of the "
        "word alone. Unknown context words are skipped and listed; function words (the, of, "
        "to, ...) are left out unless --keep-function-words.",
        epilog='example: geomlab context bank --context "the boat drifted to the muddy river bank"',
    )
    c.add_argument("word", metavar="WORD", help="a vocabulary word")
    c.add_argument(
        "--context",
        required=True,
        metavar="TEXT",
        help="a sentence or words around WORD (lower-cased and tokenised)",
    )
    c.add_argument(
        "-k",
        type=positive_int,
        default=10,
        metavar="K",
        help="neighbors to show (default: %(default)s)",
    )
    c.add_argument(
        "--temperature",
        type=positive_float,
        default=1.0,
        metavar="T",
        help="attention temperature (default: %(default)s)",
    )
    c.add_argument(
        "--keep-function-words",
        action="store_true",
        help="attend over function words too (they blur the context; see the "
        "documentation of geomlab.contextualize)",
    )
    add_json(c)
    c.set_defaults(func=run_context)

    a = sub.add_parser(
        "atoms",
        parents=[parent],
        help="a word's sparse code over the discourse atoms",
        description="Show the raw sparse code of a word over the learned discourse atoms: "
        "each atom with a non-zero coefficient (negative ones too), its nearest words, the "
        "residual, and where the dictionary comes from (parameters, cache file, fit time).",
        epilog="example: geomlab atoms bank",
    )
    a.add_argument("word", metavar="WORD", help="a vocabulary word")
    a.add_argument(
        "--top",
        type=positive_int,
        default=8,
        metavar="N",
        help="words shown per atom (default: %(default)s)",
    )
    add_json(a)
    a.set_defaults(func=run_atoms)


def run_senses(args) -> int:
    from .._record import format_table
    from ..geometry.senses import senses

    found = senses(embeddings(args), args.word, method=args.method, top=args.top)
    rows = [{"sense": i + 1, **s.summary_row()} for i, s in enumerate(found)]
    text = f"senses of {args.word!r} ({args.method}), strongest first\n" + format_table(
        rows, ["sense", "kind", "weight", "share", "cosine", "words"]
    )
    notes = [f"  sense {i + 1}: {s.kind}: {s.note}" for i, s in enumerate(found) if s.note]
    if notes:
        text += "\n" + "\n".join(notes)
    data = {
        "word": args.word,
        "method": args.method,
        "senses": [
            {
                "sense": i + 1,
                "kind": s.kind,
                "note": s.note,
                "weight": s.weight,
                "share": s.share,
                "cosine": s.cosine,
                "coherence": s.coherence,
                "atom": s.atom,
                "words": list(s.words),
            }
            for i, s in enumerate(found)
        ],
    }
    emit(args, data=data, text=text)
    return 0


def run_context(args) -> int:
    from .._record import format_table
    from ..geometry.attention import contextualize

    r = contextualize(
        embeddings(args),
        args.word,
        args.context,
        k=args.k,
        temperature=args.temperature,
        drop_function_words=not args.keep_function_words,
    )
    lines = [
        f"{args.word!r} in: {' '.join(r.context)}",
        "",
        (
            f"attention of the word over the context (temperature {r.temperature:g}, "
            f"logits = q.k / {r.attention.scale:.4g})"
        ),
        format_table(r.attention.rows()),
    ]
    if r.dropped:
        lines.append(f"left out: {', '.join(r.dropped)}")
    if r.n_skipped:
        lines.append(f"not in the vocabulary, skipped ({r.n_skipped}): {', '.join(r.skipped)}")
    lines += ["", "nearest words without and with the context", format_table(r.rows())]
    data = {
        "word": r.word,
        "context": list(r.context),
        "attention": r.attention.rows(),
        "dropped": list(r.dropped),
        "skipped": list(r.skipped),
        "n_skipped": r.n_skipped,
        "temperature": r.temperature,
        "without_context": [{"word": w, "score": s} for w, s in r.static],
        "with_context": [{"word": w, "score": s} for w, s in r.neighbors],
    }
    emit(args, data=data, text="\n".join(lines))
    return 0


def run_atoms(args) -> int:
    from ..geometry.senses import word_atoms

    code = word_atoms(embeddings(args), args.word, top=args.top)
    origin = (
        f"read from the cache {code.cache_path}"
        if code.from_cache
        else f"fitted now in {code.fit_seconds:.1f} s, "
        + (
            f"cached at {code.cache_path}"
            if code.cache_path
            else "not cached (the cache folder cannot be written)"
        )
    )
    p = code.params
    text = (
        f"{args.word!r} over {p['n_atoms']} atoms learned on the {p['n_words']:,} most "
        f"frequent words (at most {p['sparsity']} atoms per word; seed "
        f"{p['random_state']}); dictionary {origin}\n{code}\n"
        f"residual |unit(x) - sum c_j atom_j| = {code.residual:.3f}"
    )
    emit(args, record=code, text=text)
    return 0
