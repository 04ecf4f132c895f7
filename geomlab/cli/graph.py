"""``geomlab graph``: the k-nearest-neighbor graph of a vocabulary, written to a .npz file."""

from __future__ import annotations

import argparse

from ._util import add_json, emit, positive_int


def register(sub, parent) -> None:
    p = sub.add_parser(
        "graph",
        parents=[parent],
        help="k-nearest-neighbor graph of every word (or of a word list), to a .npz file",
        description=(
            "Find the k nearest neighbors (cosine, the word itself excluded) of every word\n"
            "of the vocabulary, or of the words in --words-file, and write them to OUT\n"
            "atomically as a NumPy .npz file with the arrays:\n"
            "  indices  (n, k) int32, rows of `words`, nearest first\n"
            "  scores   (n, k) float32\n"
            "  words    the vocabulary the indices point into (the first --limit words)\n"
            "  rows     (n,) the row in `words` of each graph row's query word\n"
            "  k, metric\n"
            "The exact graph costs queries x vocabulary x dim multiply-adds: the whole\n"
            "embedded GloVe (400,000 words) takes minutes on 2 cores. --scheduler runs the\n"
            "same blocks on a Dask cluster (the matrix is sent to every worker once; the\n"
            "result is identical). --ann builds an approximate hnswlib index instead and\n"
            "reports its recall@10 against the exact answer."
        ),
        epilog="examples:\n"
        "  geomlab graph --k 10 --limit 50000 --out graph.npz\n"
        "  geomlab graph --out graph.npz --scheduler tcp://10.0.0.5:8786\n"
        "reading it:\n"
        "  g = numpy.load('graph.npz')\n"
        "  g['words'][g['indices'][i]]   # the neighbors of g['words'][g['rows'][i]]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--k", type=positive_int, default=10, help="neighbors per word (default 10)")
    p.add_argument(
        "--out", required=True, metavar="OUT", help="the .npz file to write (replaced atomically)"
    )
    p.add_argument(
        "--words-file",
        metavar="F",
        default=None,
        help="only these words' neighbors: a UTF-8 file, one word per line (blank lines ignored)",
    )
    p.add_argument(
        "--limit",
        type=positive_int,
        default=None,
        metavar="N",
        help="use only the first N words of the vocabulary (queries and candidates)",
    )
    p.add_argument(
        "--metric", choices=("cosine", "dot"), default="cosine", help="similarity (default cosine)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on this Dask scheduler, e.g. tcp://host:8786 (needs geomlab[dask])",
    )
    p.add_argument(
        "--block-size",
        type=positive_int,
        default=None,
        metavar="B",
        help="words per block / per Dask task (default 1024)",
    )
    p.add_argument(
        "--ann",
        action="store_true",
        help="approximate graph from an hnswlib index (needs geomlab[ann]); "
        "recall@10 against the exact answer is measured and reported",
    )
    add_json(p)
    p.set_defaults(func=run)


def _read_words(path: str) -> list[str]:
    from ..errors import GeomlabError
    from ..loaders.bounded import read_bounded

    # a regular file of bounded size: /dev/zero or a FIFO is refused, not read forever
    data = read_bounded(path, what="words file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GeomlabError(f"{path!r} is not UTF-8 text: {exc.reason}") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    words = [w for w in (line.strip() for line in lines) if w]
    if not words:
        raise GeomlabError(f"{path!r} holds no words")
    return list(dict.fromkeys(words))


def _check_out(out: str) -> None:
    """Fail before the (long) computation when OUT cannot be written."""
    import os

    from .._io import _check_parent
    from ..errors import GeomlabError

    if not out.strip():
        raise GeomlabError(f"--out {out!r} is empty; give a file name such as graph.npz")
    if os.path.isdir(out):
        raise GeomlabError(f"--out {out!r} is a folder; give a file name such as graph.npz")
    if os.path.exists(out) and not os.access(out, os.W_OK):
        raise GeomlabError(f"cannot write --out {out!r}: permission denied")
    from pathlib import Path

    _check_parent(Path(out))


def _client(address: str):
    from ..errors import GeomlabError
    from ..geometry.graph import _distributed

    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=20)
    except (OSError, TimeoutError, ValueError) as exc:
        raise GeomlabError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from .._io import atomic_file
    from ..geometry.graph import DEFAULT_BLOCK, neighbor_graph
    from ._util import embeddings

    _check_out(args.out)
    if args.ann and args.scheduler:
        from ..errors import GeomlabError

        raise GeomlabError("--ann and --scheduler cannot be combined")
    query_words = _read_words(args.words_file) if args.words_file else None
    emb = embeddings(args)
    if args.limit is not None:
        emb = emb.head(args.limit)
    rows = np.arange(len(emb), dtype=np.int64) if query_words is None else emb.indices(query_words)
    t0 = time.perf_counter()
    extra = {}
    block = args.block_size or DEFAULT_BLOCK
    if args.ann:
        from ..geometry.ann import ann_index

        if args.metric != "cosine":
            from ..errors import GeomlabError

            raise GeomlabError("--ann supports --metric cosine only")
        index = ann_index(emb)
        indices, scores = index.graph(words=query_words, k=args.k)
        extra = {"recall_at_10": index.recall, "recall_sample": index.recall_sample, "ef": index.ef}
    elif args.scheduler:
        client = _client(args.scheduler)
        try:
            indices, scores = neighbor_graph(
                emb,
                k=args.k,
                words=query_words,
                metric=args.metric,
                client=client,
                block_size=block,
            )
        finally:
            client.close()
    else:
        indices, scores = neighbor_graph(
            emb, k=args.k, words=query_words, metric=args.metric, block_size=block
        )
    seconds = time.perf_counter() - t0
    with atomic_file(args.out, "wb") as fh:
        np.savez(
            fh,
            indices=indices,
            scores=scores,
            words=np.array(emb.words),
            rows=rows,
            k=np.int64(indices.shape[1]),
            metric=np.str_(args.metric),
        )
    info = {
        "out": args.out,
        "queries": len(rows),
        "vocabulary": len(emb),
        "k": int(indices.shape[1]),
        "metric": args.metric,
        "seconds": round(seconds, 3),
        "exact": not args.ann,
        "scheduler": args.scheduler,
        **extra,
    }
    text = (
        f"wrote the {info['k']} nearest neighbors of {info['queries']:,} words "
        f"(vocabulary {len(emb):,}) to {args.out} in {seconds:.1f} s"
    )
    if args.ann:
        text += (
            f"; approximate (hnswlib, ef={extra['ef']}): recall@10 "
            f"{extra['recall_at_10']:.3f} on {extra['recall_sample']} sampled words"
        )
    emit(args, data=info, text=text)
    return 0
