"""``geomlab train``: watch cross-entropy carve the geometry, step by step."""

from __future__ import annotations

import argparse

from ._util import add_json, add_no_progress, emit, non_negative_int, positive_float, positive_int


def _texts(files):
    from .lm import _read_text

    return [_read_text(f) for f in files] if files else None


def register(sub, parent) -> None:
    train = sub.add_parser(
        "train",
        parents=[parent],
        help="training dynamics: gradient steps on a real "
        "unembedding, a word2vec geometry forming epoch by epoch",
        description="Two small real experiments that show the training loop itself: "
        "softmax proposes, cross-entropy judges, gradients move the vectors. Both are "
        "deterministic: the same options give the same numbers, in any process.",
    )
    cmds = train.add_subparsers(
        dest="train_command", metavar="TRAIN_COMMAND", parser_class=sub._parser_class
    )
    cmds.required = True

    p = cmds.add_parser(
        "unembedding",
        parents=[parent],
        help="fit SmolLM2's output rows to a text by gradient descent",
        description="Freeze the language model, take its final hidden states on a text, and "
        "fit the unembedding rows by full-batch gradient descent on cross-entropy (the "
        "gradient of a row is (p - onehot) times the hidden states). Prints the training "
        "and held-out loss per step, how far rows moved by how often their token was the "
        "answer, and the nearest rows of watched tokens before and after.",
        epilog="example: geomlab train unembedding --steps 15 --lr 0.02 --json > u.json",
    )
    p.add_argument(
        "file",
        metavar="FILE_OR_-",
        nargs="?",
        default=None,
        help="a UTF-8 text file, or - for stdin (default: Moby-Dick chapter 1, "
        "shipped with geomlab)",
    )
    p.add_argument(
        "--model",
        metavar="GGUF",
        default=None,
        help="a llama-family GGUF file (default: SmolLM2-135M-Instruct)",
    )
    p.add_argument(
        "--tokens",
        type=positive_int,
        default=512,
        metavar="N",
        help="training predictions: the text's first N (default: %(default)s)",
    )
    p.add_argument(
        "--held-out",
        type=positive_int,
        default=256,
        metavar="N",
        help="held-out predictions right after them (default: %(default)s)",
    )
    p.add_argument(
        "--steps",
        type=positive_int,
        default=15,
        metavar="N",
        help="gradient steps (default: %(default)s)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=0.02,
        metavar="RATE",
        help="learning rate (default: %(default)s)",
    )
    p.add_argument(
        "--watch",
        nargs="+",
        metavar="TOKEN",
        default=None,
        help="single tokens whose rows to follow; mind the leading space "
        "(default: ' the' ' and' ' water' ' sea' ' Ishmael' ' whale')",
    )
    add_no_progress(p)
    add_json(p)
    p.set_defaults(func=run_unembedding)

    p = cmds.add_parser(
        "word2vec",
        parents=[parent],
        help="train word2vec on a corpus and judge it after every epoch",
        description="Train gensim's Word2Vec (skip-gram, one worker, seeded) on the "
        "shipped Moby-Dick chapters (or the given files) and judge a snapshot after every "
        "epoch: gensim's loss, Google analogies within the corpus vocabulary (accuracy and "
        "mean reciprocal rank), and agreement of nearest neighbors with GloVe (or --vectors), "
        "by corpus frequency band.",
        epilog="example: geomlab train word2vec --epochs 40 --seed 1 --json > w2v.json",
    )
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="*",
        help="UTF-8 text files (default: the shipped Moby-Dick chapters 1-3)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=40,
        metavar="N",
        help="passes over the corpus, one snapshot after each (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=1,
        metavar="S",
        help="gensim's seed (default: %(default)s)",
    )
    p.add_argument(
        "--vector-size",
        type=positive_int,
        default=50,
        metavar="D",
        help="dimensions (default: %(default)s)",
    )
    p.add_argument(
        "--window",
        type=positive_int,
        default=5,
        metavar="N",
        help="context window (default: %(default)s)",
    )
    p.add_argument(
        "--min-count",
        type=positive_int,
        default=2,
        metavar="N",
        help="ignore words rarer than this (default: %(default)s)",
    )
    p.add_argument(
        "-k",
        type=positive_int,
        default=10,
        metavar="N",
        help="neighbors compared with GloVe (default: %(default)s)",
    )
    p.add_argument(
        "--words",
        nargs="+",
        metavar="WORD",
        default=None,
        help="words whose neighbors to follow (default: sea ship whale water man night)",
    )
    add_no_progress(p)
    add_json(p)
    p.set_defaults(func=run_word2vec)


def run_unembedding(args: argparse.Namespace) -> int:
    from ..lm.model import load_lm
    from ..training.unembedding import DEFAULT_WATCH, train_unembedding

    texts = _texts([args.file] if args.file else None)
    result = train_unembedding(
        load_lm(args.model),
        texts[0] if texts else None,
        tokens=args.tokens,
        held_out=args.held_out,
        steps=args.steps,
        lr=args.lr,
        watch=tuple(args.watch) if args.watch else DEFAULT_WATCH,
        progress=args.progress,
    )
    emit(args, result)
    return 0


def run_word2vec(args: argparse.Namespace) -> int:
    from ..training.word2vec import DEFAULT_WORDS, train_word2vec
    from ._util import embeddings

    result = train_word2vec(
        _texts(args.files),
        epochs=args.epochs,
        seed=args.seed,
        vector_size=args.vector_size,
        window=args.window,
        min_count=args.min_count,
        k=args.k,
        words=tuple(args.words) if args.words else DEFAULT_WORDS,
        reference=embeddings(args),
        progress=args.progress,
    )
    emit(args, result)
    return 0
