"""Analogies a : b :: c : ? by 3CosAdd, 3CosMul and PairDirection.

All three methods work on unit-length vectors (as gensim and the papers do):

- ``"3cosadd"`` (Mikolov et al. 2013): ``argmax_x cos(x, b - a + c)``, computed exactly as
  gensim's ``most_similar(positive=[b, c], negative=[a])``.
- ``"3cosmul"`` (Levy & Goldberg 2014): ``argmax_x cos'(x, b) cos'(x, c) / (cos'(x, a) + eps)``
  with cosines shifted to [0, 1] by ``cos' = (1 + cos) / 2`` and ``eps = 1e-6``, exactly
  gensim's ``most_similar_cosmul``.
- ``"pairdirection"`` (Levy & Goldberg 2014): ``argmax_x cos(x - c, b - a)``: the offset
  from c must point the way the offset from a to b points, whatever its length.

Excluding the inputs from the answers, as the standard protocol does, hides how often the
nearest word is simply ``b`` or ``c`` (Linzen 2016; Nissim, van Noord & van der Goot 2020,
"Fair is better than sensational"). With ``exclude_inputs=False`` the honest ranking is
shown, and the result says whether the top answer is an input and where the best other
word ranks.

The formulas are written once, in :mod:`geomlab.geometry._analogy_scores`; the benchmark
evaluation scores its questions through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import check_k, check_restrict
from ..embeddings import accepts_gensim
from ._analogy_scores import METHODS, Scorer, check_method, unit
from ._topk import topk_rows
from .queries import resolve

__all__ = ["METHODS", "Analogy", "analogy"]


@dataclass(frozen=True, eq=False)
class Analogy(Record):
    """The answers to a : b :: c : ?, best first.

    Attributes
    ----------
    a, b, c : str or ndarray
        The inputs as given.
    method : str
    words : tuple of str
        The ``k`` best answers (inputs among them when ``exclude_inputs`` is False).
    scores : ndarray, shape (len(words),), float32
        The method's scores (cosines for 3cosadd and pairdirection, the 3CosMul ratio).
    k : int
    exclude_inputs : bool
    inputs : tuple of str
        The vocabulary words the inputs name.
    top_is_input : bool
        Whether the top answer is one of the inputs (never, when they are excluded).
    answer : str or None
        The best answer that is not an input.
    answer_rank : int or None
        Its rank (1 = top) in the ranking with inputs kept; 1 when inputs are excluded.
    answer_score : float or None
        Its score.
    restrict_vocab : int or None
        Candidates were the first ``restrict_vocab`` words (None: all).
    """

    a: object
    b: object
    c: object
    method: str
    words: tuple[str, ...]
    scores: np.ndarray = field(repr=False)
    k: int
    exclude_inputs: bool
    inputs: tuple[str, ...]
    top_is_input: bool
    answer: str | None
    answer_rank: int | None
    answer_score: float | None
    restrict_vocab: int | None = None

    def plot(self, ax=None):
        """The best answers' scores as bars; returns the figure (or the given axes)."""
        from ..plots import relevance_bars

        names = [x if isinstance(x, str) else "<vector>" for x in (self.a, self.b, self.c)]
        return relevance_bars(
            {
                "queries": [
                    {
                        "query": "{} : {} :: {} : ?".format(*names),
                        "words": list(self.words),
                        "logits": [float(v) for v in self.scores],
                        "expected": None,
                    }
                ],
                "xlabel": f"{self.method} score",
            },
            ax=ax,
            top=len(self.words),
        )

    def rows(self) -> list[dict]:
        out = []
        for i, (w, s) in enumerate(zip(self.words, self.scores)):
            row = {"rank": i + 1, "word": w, "score": float(s)}
            if not self.exclude_inputs:
                row["input"] = w in self.inputs
            out.append(row)
        return out

    def summary(self) -> dict:
        def name(x):
            return x if isinstance(x, str) else "<vector>"

        return {
            "question": f"{name(self.a)} : {name(self.b)} :: {name(self.c)} : ?",
            "method": self.method,
            "answer": self.answer,
            "answer_rank": self.answer_rank,
            "top_is_input": self.top_is_input,
            "exclude_inputs": self.exclude_inputs,
        }

    def __len__(self) -> int:
        return len(self.words)


@accepts_gensim
def analogy(
    emb,
    a,
    b,
    c,
    *,
    k: int = 10,
    method: str = "3cosadd",
    exclude_inputs: bool = True,
    restrict_vocab: int | None = None,
) -> Analogy:
    """Solve a : b :: c : ? (``"man" : "king" :: "woman" : ?``).

    Parameters
    ----------
    emb : Embeddings
    a, b, c : str or array_like
        Words (or expressions, or vectors; see :func:`geomlab.vector`).
    k : int
        Answers to return (``>= 1``).
    method : {"3cosadd", "3cosmul", "pairdirection"}
        See the module notes; each matches its paper and, for 3cosadd and 3cosmul, gensim.
    exclude_inputs : bool
        Drop the input words from the answers (the standard protocol). With False the
        honest ranking is shown: see ``top_is_input`` and ``answer_rank`` on the result.
    restrict_vocab : int, optional
        Only the first ``restrict_vocab`` words are candidates.

    Returns
    -------
    Analogy

    Raises
    ------
    UnknownWordError
        An input word is not in the vocabulary.
    ParameterError
        An unknown method, ``k < 1`` or a bad ``restrict_vocab``.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> geomlab.analogy(emb, "man", "king", "woman").words[0]
    'queen'
    >>> honest = geomlab.analogy(emb, "man", "king", "woman", exclude_inputs=False)
    >>> honest.words[0], honest.top_is_input, honest.answer, honest.answer_rank
    ('king', True, 'queen', 2)
    """
    k = check_k(k)
    method = check_method(method)
    n = check_restrict(emb, restrict_vocab)
    vecs, inputs = [], []
    for x in (a, b, c):
        v, words = resolve(emb, x)
        vecs.append(unit(v))
        inputs.extend(words)
    inputs = tuple(dict.fromkeys(inputs))
    rows_in = [i for i in emb.indices(inputs) if i < n]
    # one question: a block of one through the scorer the benchmark evaluation uses
    # a zero row has cosine 0 with everything (as in nearest): dividing it by 1 keeps it 0
    norms = emb.norms[:n]
    scorer = Scorer(method, emb.vectors[:n], np.where(norms == 0, 1, norms).astype(np.float32))
    scores = scorer.tile(scorer.query_vectors(*vecs), 0, n)
    if exclude_inputs:
        scores[0, rows_in] = -np.inf
        idx, val = topk_rows(scores, k)
    else:  # enough to reach the best non-input answer past any inputs ranked above it
        idx, val = topk_rows(scores, k + len(rows_in))
    keep = np.isfinite(val[0])
    idx, val = idx[0][keep], val[0][keep]
    words = [emb.words[i] for i in idx]
    inputs_set = set(inputs)
    other = next((r for r, w in enumerate(words) if w not in inputs_set), None)
    return Analogy(
        a=_given(a),
        b=_given(b),
        c=_given(c),
        method=method,
        words=tuple(words[:k]),
        scores=np.ascontiguousarray(val[:k]),
        k=k,
        exclude_inputs=bool(exclude_inputs),
        inputs=inputs,
        top_is_input=bool(words) and words[0] in inputs_set,
        answer=None if other is None else words[other],
        answer_rank=None if other is None else other + 1,
        answer_score=None if other is None else float(val[other]),
        restrict_vocab=None if restrict_vocab is None else n,
    )


def _given(x):
    return x if isinstance(x, str) else np.array(x, dtype=np.float32)
