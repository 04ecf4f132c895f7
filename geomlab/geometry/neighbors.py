"""Nearest neighbors by cosine or dot product, many queries in one blocked product."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import check_k, check_metric, check_restrict
from ..embeddings import accepts_gensim, check_embeddings
from ._topk import topk_scores
from .queries import check_words, is_batch, resolve_many, unit_queries

__all__ = ["Neighbors", "nearest"]


@dataclass(frozen=True, eq=False)
class Neighbors(Record):
    """The ``k`` nearest words of one query, best first.

    Attributes
    ----------
    query : str or ndarray
        The query as given (a word, an expression, or a copy of the vector).
    words : tuple of str
        The neighbors, best first (fewer than ``k`` when fewer candidates remain).
    scores : ndarray, shape (len(words),), float32
        Their cosine similarities or dot products with the query.
    metric : str
        ``"cosine"`` or ``"dot"``.
    excluded : tuple of str
        Words that were not allowed as neighbors (the query's own words, then ``exclude``).
    k : int
        How many neighbors were asked for.
    restrict_vocab : int or None
        Candidates were the first ``restrict_vocab`` words (None: the whole vocabulary).
    """

    query: object
    words: tuple[str, ...]
    scores: np.ndarray = field(repr=False)
    metric: str
    excluded: tuple[str, ...]
    k: int
    restrict_vocab: int | None = None

    def plot(self, ax=None):
        """The neighbors' scores as bars, best on top; returns the figure (or the axes)."""
        from ..plots import relevance_bars

        query = self.query if isinstance(self.query, str) else "<vector>"
        return relevance_bars(
            {
                "queries": [
                    {
                        "query": query,
                        "words": list(self.words),
                        "logits": [float(v) for v in self.scores],
                        "expected": None,
                    }
                ],
                "xlabel": f"{self.metric} with the query",
            },
            ax=ax,
            top=len(self.words),
        )

    def rows(self) -> list[dict]:
        return [
            {"rank": i + 1, "word": w, "score": float(s)}
            for i, (w, s) in enumerate(zip(self.words, self.scores))
        ]

    def summary(self) -> dict:
        q = self.query if isinstance(self.query, str) else "<vector>"
        return {
            "query": q,
            "metric": self.metric,
            "k": self.k,
            "n": len(self.words),
            "excluded": ", ".join(self.excluded),
        }

    def __len__(self) -> int:
        return len(self.words)

    def __iter__(self):
        return iter(zip(self.words, (float(s) for s in self.scores)))


@accepts_gensim
def nearest(
    emb,
    query,
    *,
    k: int = 10,
    metric: str = "cosine",
    exclude=None,
    restrict_vocab: int | None = None,
):
    """The ``k`` words closest to a query (or to each of many queries).

    Parameters
    ----------
    emb : Embeddings
    query : str, array_like, or list of them
        A word, an expression (``"king - man + woman"``, see :func:`geomlab.vector`) or a
        vector; or a list of these (or a 2-D array), answered by one blocked matrix product.
    k : int
        Neighbors per query (``>= 1``).
    metric : {"cosine", "dot"}
        ``"cosine"``: cosine similarity (as gensim's ``most_similar``); ``"dot"``: the raw
        dot product with the query vector.
    exclude : iterable of str, optional
        Words never returned, added to the words each query names (which are always
        excluded: a word is not its own neighbor).
    restrict_vocab : int, optional
        Only the first ``restrict_vocab`` words are candidates (the most frequent ones for a
        frequency-ordered vocabulary), as gensim's ``restrict_vocab``.

    Returns
    -------
    Neighbors, or list of Neighbors for a list of queries

    Notes
    -----
    Cosine is ``v . q / (|v| |q|)`` computed as gensim does (scores of the raw rows divided
    by their norms, the query scaled to unit length). A zero-length row has no direction:
    its cosine with anything is 0, never NaN. A zero query (``"king - king"``, or a word
    whose vector is zero) has no direction, so it raises instead of returning arbitrary
    words with score 0; so does a query too long to score in float32 (length above
    ``1e18``, as ``"1e39*king"``). Equal scores are listed in row order.

    Raises
    ------
    UnknownWordError, ParameterError, ShapeError
        An unknown word (in a query or ``exclude``), ``k < 1``, an unknown metric, a bad
        ``restrict_vocab``, a malformed expression, a vector of the wrong length, a zero,
        non-finite or too long query.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> geomlab.nearest(emb, "frog", k=3).words
    ('snake', 'ape', 'toad')
    >>> [r.words[0] for r in geomlab.nearest(emb, ["monday", "seven"], k=1)]
    ['tuesday', 'five']
    """
    check_embeddings(emb)
    k = check_k(k)
    metric = check_metric(metric)
    n = check_restrict(emb, restrict_vocab)
    batch = is_batch(query)
    queries = list(query) if batch else [query]
    extra = () if exclude is None else check_words(emb, exclude, "exclude")
    qmat, named = resolve_many(emb, queries)
    excluded = [tuple(dict.fromkeys(words + extra)) for words in named]
    rows = [emb.indices(ex) for ex in excluded]
    unit = unit_queries(qmat, queries)  # a zero query has no neighbors: it raises
    norms = None
    if metric == "cosine":
        qmat = unit
        norms = emb.norms[:n]
    idx, val = topk_scores(emb.vectors[:n], qmat, k, row_norms=norms, exclude=rows)
    words_all = emb.words
    out = []
    for i, q in enumerate(queries):
        keep = idx[i] >= 0
        qv = q if isinstance(q, str) else np.array(q, dtype=np.float32)
        out.append(
            Neighbors(
                query=qv,
                words=tuple(words_all[j] for j in idx[i][keep]),
                scores=np.ascontiguousarray(val[i][keep]),
                metric=metric,
                excluded=excluded[i],
                k=k,
                restrict_vocab=None if restrict_vocab is None else n,
            )
        )
    return out if batch else out[0]
