"""The k-nearest-neighbor graph of a whole vocabulary, on this machine or on a Dask cluster.

Every word's ``k`` nearest neighbors is ``n`` queries against ``n`` rows: ``n^2 * dim``
multiply-adds (400,000 x 400,000 x 50 for the embedded GloVe). The queries are cut into
blocks of ``block_size`` words; each block is one call of the blocked top-k kernel
(:func:`geomlab.geometry._topk.topk_scores`), which never holds more than a few MiB of
scores. On one machine the blocks run on a thread pool (one BLAS thread per worker, which
is much faster than BLAS threads on the kernel's small tiles); with a
``dask.distributed.Client`` the matrix is scattered to every worker once and the very same
block function runs as one Dask task per block, so the two results are identical.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .._parallel import run_blocks
from .._progress import progress as _progress
from .._validation import check_int, check_k, check_metric
from ..embeddings import Embeddings, accepts_gensim
from ..errors import MissingDependencyError, ParameterError
from ._topk import topk_scores

__all__ = ["DEFAULT_BLOCK", "neighbor_graph"]

#: words per block (one Dask task each); the kernel bounds memory inside a block
DEFAULT_BLOCK = 1024


def graph_block(
    rows: np.ndarray, norms: np.ndarray | None, qrows: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best rows for the words at rows ``qrows``, each word's own row excluded.

    The unit of work both on this machine and as a Dask task: it reads only its arguments,
    so the same inputs give the same bits wherever it runs.

    Parameters
    ----------
    rows : ndarray, shape (n, dim), float32
        The whole matrix (candidates; the queries are rows of it too).
    norms : ndarray, shape (n,), or None
        Row norms for cosine (queries scaled to unit length, scores divided by the row
        norms, as :func:`geomlab.nearest` computes them); None for the dot product.
    qrows : ndarray of int, shape (b,)
        Rows of the query words.
    k : int
        Neighbors per word.

    Returns
    -------
    indices : ndarray, shape (b, k), int64
    scores : ndarray, shape (b, k), float32
    """
    qrows = np.asarray(qrows, dtype=np.int64)
    queries = np.asarray(rows[qrows], dtype=np.float32)
    if norms is not None:
        qn = norms[qrows]
        queries = queries / np.where(qn == 0, 1, qn)[:, None]
    return topk_scores(rows, queries, k, row_norms=norms, exclude=qrows[:, None])


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@accepts_gensim
def neighbor_graph(
    emb: Embeddings,
    *,
    k: int = 10,
    words: Sequence[str] | None = None,
    metric: str = "cosine",
    client=None,
    block_size: int = DEFAULT_BLOCK,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest neighbors of every word (or of ``words``), the word itself excluded.

    Parameters
    ----------
    emb : Embeddings
    k : int
        Neighbors per word (``>= 1``; at most ``len(emb) - 1`` are returned).
    words : sequence of str, optional
        Only these words' rows of the graph (their neighbors are still sought in the whole
        vocabulary). Default: every word, in row order.
    metric : {"cosine", "dot"}
        As :func:`geomlab.nearest`.
    client : dask.distributed.Client, optional
        Run the blocks as tasks on this cluster: the matrix (and its norms) is scattered
        to every worker once, each block is one task. The result is identical to the
        local one, bit for bit when the workers run the same BLAS build on the same kind
        of processor (otherwise scores may differ in the last float32 bit). Needs the
        ``dask`` extra.
    block_size : int
        Words per block (per task with a ``client``). Memory per block is bounded by the
        kernel, a few MiB, whatever the vocabulary.
    progress : bool or None
        Progress bar on stderr (None: only on a terminal).

    Returns
    -------
    indices : ndarray, shape (len(words), k), int32 (int64 past 2**31 words)
        Rows of the neighbors in ``emb``, nearest first (ties by row).
    scores : ndarray, shape (len(words), k), float32
        Their cosine similarities (or dot products).

    Raises
    ------
    ParameterError
        Bad ``k``, ``metric`` or ``block_size``, or a vocabulary of one word.
    UnknownWordError
        A word of ``words`` is not in the vocabulary.
    MissingDependencyError
        ``client`` given but dask.distributed is not installed.

    Notes
    -----
    The cost is ``len(words) x len(emb) x dim`` multiply-adds, at roughly BLAS speed: on a
    2-core machine the whole embedded GloVe (400,000 words) takes several minutes, the
    first 20,000 words against each other about a second.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load().head(20000)
    >>> idx, scores = geomlab.neighbor_graph(emb, k=3, words=["frog", "monday"])
    >>> [[emb.words[j] for j in row] for row in idx]
    [['snake', 'monkey', 'spider'], ['tuesday', 'thursday', 'wednesday']]
    """
    if not isinstance(emb, Embeddings):
        raise ParameterError(f"emb must be an Embeddings, got {type(emb).__name__}")
    k = check_k(k)
    metric = check_metric(metric)
    block_size = check_int(block_size, "block_size")
    n = len(emb)
    if n < 2:
        raise ParameterError(f"a neighbor graph needs at least 2 words, got {n}")
    if words is None:
        qrows = np.arange(n, dtype=np.int64)
    else:
        if isinstance(words, str):
            words = [words]
        qrows = emb.indices(words)
    kk = min(k, n - 1)
    itype = np.int32 if n < 2**31 else np.int64
    indices = np.empty((len(qrows), kk), dtype=itype)
    scores = np.empty((len(qrows), kk), dtype=np.float32)
    rows = emb.vectors
    norms = emb.norms if metric == "cosine" else None
    blocks = [(s, min(s + block_size, len(qrows))) for s in range(0, len(qrows), block_size)]
    if client is not None:
        _run_dask(client, rows, norms, qrows, kk, blocks, indices, scores, progress)
    else:
        _run_local(rows, norms, qrows, kk, blocks, indices, scores, progress)
    return indices, scores


def _run_local(rows, norms, qrows, k, blocks, indices, scores, progress) -> None:
    workers = max(1, min(len(blocks), _cpu_count()))

    def run(block):
        s0, s1 = block
        idx, val = graph_block(rows, norms, qrows[s0:s1], k)
        indices[s0:s1] = idx
        scores[s0:s1] = val

    # One BLAS thread per block, as a Dask worker has (its nanny sets OPENBLAS_NUM_THREADS
    # and friends to 1): the kernel's tiles are too small for threaded BLAS to pay off, and
    # the same threading on both sides keeps local and distributed results bit-identical.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1:
            for block in _progress(
                blocks, total=len(blocks), desc="graph", unit="block", enabled=progress
            ):
                run(block)
            return
        run_blocks(run, [(b,) for b in blocks], workers, progress=progress, desc="graph")


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "neighbor_graph(client=...) needs dask.distributed; "
            "install it with: pip install 'geomlab[dask]'"
        ) from exc
    return distributed


def _run_dask(client, rows, norms, qrows, k, blocks, indices, scores, progress) -> None:
    distributed = _distributed()
    # Scattered once, to every worker; tasks then refer to the copies by key. A memory-
    # mapped matrix is read here and sent as plain bytes.
    rows_f = client.scatter(np.ascontiguousarray(rows), broadcast=True)
    norms_f = None if norms is None else client.scatter(np.asarray(norms), broadcast=True)
    futures = {}
    for s0, s1 in blocks:
        f = client.submit(graph_block, rows_f, norms_f, qrows[s0:s1], k, pure=False)
        futures[f] = (s0, s1)
    try:
        done = distributed.as_completed(futures, with_results=True)
        for f, (idx, val) in _progress(
            done, total=len(futures), desc="graph", unit="task", enabled=progress
        ):
            s0, s1 = futures[f]
            indices[s0:s1] = idx
            scores[s0:s1] = val
    finally:
        client.cancel(list(futures) + [rows_f] + ([norms_f] if norms_f is not None else []))
