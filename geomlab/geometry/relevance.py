"""Relevance: the raw scores (logits) of candidate words against a query."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record, format_table
from .._validation import check_metric
from ..embeddings import accepts_gensim
from ..errors import ParameterError
from .queries import resolve

__all__ = ["Relevance", "relevance"]

_SHOWN = 20  # rows printed before "... N more"


@dataclass(frozen=True, eq=False)
class Relevance(Record):
    """Scores of candidate words against one query.

    Attributes
    ----------
    query : str or ndarray
        The query as given.
    metric : str
        ``"dot"`` (raw dot product: a logit, as an unembedding computes it) or ``"cosine"``.
    words : tuple of str
        The candidates, in the order given (or by falling score when sorted).
    scores : ndarray, shape (len(words),), float32
        One score per word.
    sorted : bool
        Whether ``words`` are ordered by falling score.
    """

    query: object
    metric: str
    words: tuple[str, ...]
    scores: np.ndarray = field(repr=False)
    sorted: bool = False

    def rows(self) -> list[dict]:
        return [
            {"rank": i + 1, "word": w, "score": float(s)}
            if self.sorted
            else {"word": w, "score": float(s)}
            for i, (w, s) in enumerate(zip(self.words, self.scores))
        ]

    def summary(self) -> dict:
        q = self.query if isinstance(self.query, str) else "<vector>"
        return {"query": q, "metric": self.metric, "n": len(self.words), "sorted": self.sorted}

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, word: str) -> float:
        """The score of one candidate word."""
        try:
            return float(self.scores[self.words.index(word)])
        except ValueError:
            raise KeyError(word) from None

    def __str__(self) -> str:  # the whole vocabulary would be 400,000 lines
        if len(self.words) <= _SHOWN + 5:
            return super().__str__()
        head = Relevance(
            self.query, self.metric, self.words[:_SHOWN], self.scores[:_SHOWN], self.sorted
        )
        return format_table(head.rows()) + f"\n... {len(self.words) - _SHOWN:,} more"


@accepts_gensim
def relevance(emb, query, candidates=None, *, metric: str = "dot", sort: bool = False) -> Relevance:
    """Score candidate words against a query: the logits a dot-product model computes.

    Parameters
    ----------
    emb : Embeddings
    query : str or array_like
        A word, an expression or a vector (see :func:`geomlab.vector`).
    candidates : sequence of str, optional
        The words to score (a single string is one word); default the whole vocabulary.
    metric : {"dot", "cosine"}
        ``"dot"``: the raw dot product ``v . q``; ``"cosine"``: ``v . q / (|v| |q|)``, 0 for
        a zero-length vector (never NaN).
    sort : bool
        Order the words by falling score (ties by candidate order).

    Returns
    -------
    Relevance

    Raises
    ------
    ParameterError
        An empty candidate list, an unknown metric, or a malformed query.
    UnknownWordError
        A query word or candidate is not in the vocabulary.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> r = geomlab.relevance(emb, "france", ["paris", "berlin", "tokyo"], sort=True)
    >>> r.words
    ('paris', 'berlin', 'tokyo')
    """
    metric = check_metric(metric)
    q, _ = resolve(emb, query)
    if candidates is None:
        words = emb.words
        mat = emb.vectors
        norms = emb.norms if metric == "cosine" else None
    else:
        if isinstance(candidates, str):
            candidates = [candidates]
        words = tuple(candidates)
        if not words:
            raise ParameterError("candidates must name at least one word, got an empty list")
        rows = emb.indices(words)
        mat = emb.vectors[rows]
        norms = emb.norms[rows] if metric == "cosine" else None
    scores = mat @ q
    if metric == "cosine":
        qn = float(np.linalg.norm(q))
        scores = scores / (np.where(norms == 0, 1, norms) * (qn if qn > 0 else 1.0))
    scores = np.ascontiguousarray(scores, dtype=np.float32)
    if sort:
        order = np.argsort(-scores, kind="stable")
        scores = scores[order]
        words = tuple(words[i] for i in order)
    return Relevance(
        query=query if isinstance(query, str) else q,
        metric=metric,
        words=tuple(words),
        scores=scores,
        sorted=bool(sort),
    )
