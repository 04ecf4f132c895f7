"""Approximate nearest neighbors (hnswlib) for interactive use on huge vocabularies.

An exact query costs one pass over the whole matrix (``n x dim`` multiply-adds; 2M x 300
words: 600M per query). A hierarchical navigable small-world graph (Malkov & Yashunin,
2018; the ``hnswlib`` package, installed by the ``ann`` extra) answers in well under a
millisecond after a one-off build, at the price of sometimes missing a true neighbor.
That price is never hidden here: every answer carries the index's **recall@10**, measured
against the exact answer (:func:`geomlab.geometry._topk.topk_scores`) on a random
sample of vocabulary words at the current ``ef``, and re-measured whenever ``ef`` changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_k
from ..embeddings import Embeddings
from ..errors import MissingDependencyError, ParameterError
from ._topk import topk_scores
from .neighbors import Neighbors
from .queries import check_words, is_batch, resolve_many, unit_queries

__all__ = ["RECALL_K", "AnnIndex", "ApproxNeighbors", "ann_index"]

#: the recall that is reported: the share of the exact 10 nearest neighbors found
RECALL_K = 10
_ADD_BLOCK = 50_000  # rows normalised and added at a time (no unit copy of the matrix)


def _hnswlib():
    try:
        import hnswlib
    except ImportError as exc:
        raise MissingDependencyError(
            "approximate neighbors need hnswlib; install it with: pip install 'geomlab[ann]'"
        ) from exc
    return hnswlib


@dataclass(frozen=True, eq=False)
class ApproxNeighbors(Neighbors):
    """:class:`~geomlab.geometry.neighbors.Neighbors` found by an approximate index.

    Extra attributes
    ----------------
    recall : float
        The index's recall@10 against the exact answer at this ``ef``, on
        ``recall_sample`` random vocabulary words.
    recall_sample : int
    ef : int
        The search breadth used (larger: slower and more exact).
    """

    recall: float = float("nan")
    recall_sample: int = 0
    ef: int = 0

    def summary(self) -> dict:
        return {
            **super().summary(),
            "approximate": "hnswlib",
            "ef": self.ef,
            f"recall@{RECALL_K}": round(self.recall, 4),
            "recall_sample": self.recall_sample,
        }

    def __str__(self) -> str:
        return (
            super().__str__() + f"\napproximate (hnswlib, ef={self.ef}): recall@{RECALL_K} "
            f"{self.recall:.3f} against the exact answer on {self.recall_sample} words"
        )


class AnnIndex:
    """An hnswlib index over the unit vectors of ``emb`` (cosine), with measured recall.

    Build it with :func:`ann_index`. Queries: :meth:`nearest` (words, expressions or
    vectors, as :func:`geomlab.nearest`) and :meth:`graph` (the approximate neighbor
    graph, as :func:`geomlab.neighbor_graph`).

    Attributes
    ----------
    emb : Embeddings
    ef : int
        Current search breadth; assign to change it (recall is then measured again).
    recall : float
        recall@10 against the exact answer at the current ``ef`` (measured on first use).
    recall_sample : int
        How many random vocabulary words the recall was measured on.
    """

    def __init__(
        self,
        emb: Embeddings,
        index,
        *,
        ef: int,
        recall_sample: int,
        seed: int,
        M: int,
        ef_construction: int,
    ):
        self.emb = emb
        self._index = index
        self.M = M
        self.ef_construction = ef_construction
        self.recall_sample = min(recall_sample, len(emb))
        self._seed = seed
        self._recall: dict[int, float] = {}
        self._ef = 0
        self.ef = ef

    def __repr__(self) -> str:
        r = self._recall.get(self._ef)
        rec = "not measured yet" if r is None else f"{r:.3f}"
        return (
            f"<AnnIndex: {len(self.emb):,} words x {self.emb.dim} dims, hnswlib M={self.M}, "
            f"ef={self._ef}, recall@{RECALL_K} {rec}>"
        )

    @property
    def ef(self) -> int:
        return self._ef

    @ef.setter
    def ef(self, value: int) -> None:
        value = check_int(value, "ef")
        self._index.set_ef(value)
        self._ef = value

    @property
    def recall(self) -> float:
        """recall@10 at the current ``ef`` on a fixed random sample of vocabulary words."""
        r = self._recall.get(self._ef)
        if r is None:
            r = self._recall[self._ef] = self.measure_recall()
        return r

    def measure_recall(self, words: Sequence[str] | None = None, *, k: int = RECALL_K) -> float:
        """Share of the exact ``k`` nearest neighbors that the index returns.

        Parameters
        ----------
        words : sequence of str, optional
            The query words; default a fixed random sample of ``recall_sample`` words.
        k : int
            Neighbors compared per word (default 10).
        """
        k = check_int(k, "k")
        n = len(self.emb)
        if words is None:
            rng = np.random.default_rng(self._seed)
            rows = np.sort(rng.choice(n, size=self.recall_sample, replace=False))
        else:
            rows = self.emb.indices(words)
        kk = min(k, n - 1)
        approx, _ = self._search_rows(rows, kk)
        norms = self.emb.norms
        exact, _ = topk_scores(
            self.emb.vectors, self.emb.unit(rows), kk, row_norms=norms, exclude=rows[:, None]
        )
        found = [len(set(a.tolist()) & set(e.tolist())) for a, e in zip(approx, exact)]
        return float(np.sum(found) / (kk * len(rows))) if len(rows) else float("nan")

    def _search_rows(self, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top ``k`` of vocabulary rows, each row itself excluded."""
        return self._search(self.emb.unit(rows), k, [np.array([r]) for r in rows])

    def _search(self, queries: np.ndarray, k: int, exclude) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.emb)
        width = max(len(e) for e in exclude) if len(exclude) else 0
        kq = min(n, k + width)
        if self._ef < kq:  # hnswlib needs ef >= k
            self._index.set_ef(kq)
        try:
            labels, dist = self._index.knn_query(queries, k=kq)
        finally:
            self._index.set_ef(self._ef)
        labels = labels.astype(np.int64)
        scores = (np.float32(1) - dist).astype(np.float32)  # hnswlib's "ip" distance is 1 - ip
        ex = np.full((len(queries), max(width, 1)), -2, dtype=np.int64)
        for i, e in enumerate(exclude):
            ex[i, : len(e)] = e
        keep = ~(labels[:, :, None] == ex[:, None, :]).any(axis=2)
        order = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # kept ones first, in order
        out_i = np.take_along_axis(labels, order, axis=1)
        out_s = np.take_along_axis(scores, order, axis=1)
        valid = np.take_along_axis(keep, order, axis=1)
        out_i[~valid] = -1
        out_s[~valid] = -np.inf
        return out_i, out_s

    def nearest(self, query, *, k: int = 10, exclude=None):
        """Approximate :func:`geomlab.nearest` (cosine): ``ApproxNeighbors`` with the recall.

        ``query`` is a word, an expression, a vector, or a list of them; the query's own
        words and ``exclude`` are never returned.
        """
        k = check_k(k)
        batch = is_batch(query)
        queries = list(query) if batch else [query]
        extra = () if exclude is None else check_words(self.emb, exclude, "exclude")
        qmat, named = resolve_many(self.emb, queries)
        qmat = unit_queries(qmat, queries)  # a zero query has no neighbors: it raises
        excluded = [tuple(dict.fromkeys(w + extra)) for w in named]
        idx, val = self._search(
            qmat, min(k, len(self.emb)), [self.emb.indices(e) for e in excluded]
        )
        recall = self.recall
        words = self.emb.words
        out = []
        for i, q in enumerate(queries):
            keep = idx[i] >= 0
            out.append(
                ApproxNeighbors(
                    query=q if isinstance(q, str) else np.array(q, dtype=np.float32),
                    words=tuple(words[j] for j in idx[i][keep]),
                    scores=np.ascontiguousarray(val[i][keep]),
                    metric="cosine",
                    excluded=excluded[i],
                    k=k,
                    recall=recall,
                    recall_sample=self.recall_sample,
                    ef=self._ef,
                )
            )
        return out if batch else out[0]

    def graph(
        self, *, k: int = 10, words: Sequence[str] | None = None, block_size: int = 50_000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate :func:`geomlab.neighbor_graph` (cosine); read :attr:`recall` with it.

        Returns ``indices`` (int32, -1 where fewer than ``k`` were found) and ``scores``
        (float32), shape ``(len(words), k)``.
        """
        k = check_k(k)
        block_size = check_int(block_size, "block_size")
        n = len(self.emb)
        rows = (
            np.arange(n, dtype=np.int64)
            if words is None
            else self.emb.indices([words] if isinstance(words, str) else words)
        )
        kk = min(k, n - 1)
        indices = np.empty((len(rows), kk), dtype=np.int32 if n < 2**31 else np.int64)
        scores = np.empty((len(rows), kk), dtype=np.float32)
        for s in range(0, len(rows), block_size):
            r = rows[s : s + block_size]
            i, v = self._search_rows(r, kk)
            indices[s : s + len(r)] = i
            scores[s : s + len(r)] = v
        return indices, scores


def ann_index(
    emb: Embeddings,
    *,
    M: int = 16,
    ef_construction: int = 200,
    ef: int = 64,
    recall_sample: int = 200,
    seed: int = 0,
    num_threads: int = -1,
) -> AnnIndex:
    """Build an approximate (hnswlib) cosine index over every word of ``emb``.

    Parameters
    ----------
    emb : Embeddings
    M : int
        Links per node (memory ``~ 8 M`` bytes per word on top of the vectors).
    ef_construction : int
        Build-time search breadth (larger: slower build, better graph).
    ef : int
        Query-time search breadth; change it later with ``index.ef = ...``.
    recall_sample : int
        Random vocabulary words on which recall@10 is measured against the exact answer.
    seed : int
        Seeds the index's level generator and the recall sample.
    num_threads : int
        Build threads (-1: all cores).

    Returns
    -------
    AnnIndex

    Raises
    ------
    MissingDependencyError
        hnswlib is not installed (``pip install 'geomlab[ann]'``).

    Examples
    --------
    >>> import geomlab
    >>> from geomlab.geometry.ann import ann_index
    >>> index = ann_index(geomlab.load().head(20000))   # doctest: +SKIP
    >>> index.nearest("frog", k=3).words                 # doctest: +SKIP
    ('toad', 'frogs', 'snake')
    >>> index.recall > 0.9                               # doctest: +SKIP
    True
    """
    hnswlib = _hnswlib()
    if not isinstance(emb, Embeddings):
        raise ParameterError(f"emb must be an Embeddings, got {type(emb).__name__}")
    M = check_int(M, "M")
    ef_construction = check_int(ef_construction, "ef_construction")
    recall_sample = check_int(recall_sample, "recall_sample")
    n = len(emb)
    if n < 2:
        raise ParameterError(f"an index needs at least 2 words, got {n}")
    index = hnswlib.Index(space="ip", dim=emb.dim)
    index.init_index(max_elements=n, M=M, ef_construction=ef_construction, random_seed=int(seed))
    for s in range(0, n, _ADD_BLOCK):
        rows = np.arange(s, min(n, s + _ADD_BLOCK))
        index.add_items(emb.unit(rows), rows, num_threads=num_threads)
    return AnnIndex(
        emb,
        index,
        ef=ef,
        recall_sample=recall_sample,
        seed=seed,
        M=M,
        ef_construction=ef_construction,
    )
