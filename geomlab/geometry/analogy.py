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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from ..embeddings import accepts_gensim
from ..errors import ParameterError
from ._kernels import topk_rows
from .neighbors import check_k, check_restrict
from .queries import resolve

__all__ = ["COSMUL_EPS", "METHODS", "Analogy", "analogy", "analogy_block", "check_method"]

METHODS = ("3cosadd", "3cosmul", "pairdirection")
#: the epsilon of 3CosMul's denominator (as gensim's ``most_similar_cosmul``)
COSMUL_EPS = 1e-6


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
        from ..report.plots import relevance_bars

        names = [x if isinstance(x, str) else "<vector>" for x in (self.a, self.b, self.c)]
        return relevance_bars({"queries": [{"query": "{} : {} :: {} : ?".format(*names),
                                            "words": list(self.words),
                                            "logits": [float(v) for v in self.scores],
                                            "expected": None}],
                               "xlabel": f"{self.method} score"}, ax=ax, top=len(self.words))

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
        return {"question": f"{name(self.a)} : {name(self.b)} :: {name(self.c)} : ?",
                "method": self.method, "answer": self.answer, "answer_rank": self.answer_rank,
                "top_is_input": self.top_is_input, "exclude_inputs": self.exclude_inputs}

    def __len__(self) -> int:
        return len(self.words)


def check_method(method) -> str:
    if method not in METHODS:
        allowed = ", ".join(repr(m) for m in METHODS)
        raise ParameterError(f"method must be one of {allowed}; got {method!r}")
    return method


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.where(n == 0, 1, n)).astype(np.float32)


def analogy_block(rows: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, *,
                  method: str = "3cosadd", row_norms: np.ndarray | None = None) -> np.ndarray:
    """Scores of every candidate row as the answer to a block of analogy questions.

    Parameters
    ----------
    rows : ndarray, shape (n, dim), float32
        Candidate vectors (raw; ``row_norms`` turns dot products into cosines).
    a, b, c : ndarray, shape (q, dim), float32
        Unit-length input vectors, one question per row.
    method : {"3cosadd", "3cosmul", "pairdirection"}
    row_norms : ndarray, shape (n,), optional
        Norms of ``rows`` (default: computed). Zero rows have cosine 0 with everything.

    Returns
    -------
    ndarray, shape (q, n), float32
        Higher is better; no input is excluded here (mask with ``-inf`` before top-k).
    """
    check_method(method)
    if row_norms is None:
        row_norms = np.sqrt(np.einsum("ij,ij->i", rows, rows, dtype=np.float32))
    safe = np.where(row_norms == 0, 1, row_norms).astype(np.float32)
    a, b, c = (np.atleast_2d(np.asarray(x, dtype=np.float32)) for x in (a, b, c))
    if method == "3cosadd":
        # as gensim: the unit vectors summed in float32 (b, c, then -a), divided by the
        # total weight 3 in float64, scaled to unit length, and rounded to float32
        mean = ((b + c) - a).astype(np.float64) / 3.0
        q = (mean / np.linalg.norm(mean, axis=1, keepdims=True).clip(1e-300)).astype(np.float32)
        return (q @ rows.T) / safe
    cos = (np.concatenate([a, b, c]) @ rows.T) / safe  # (3q, n)
    qn = a.shape[0]
    cos_a, cos_b, cos_c = cos[:qn], cos[qn:2 * qn], cos[2 * qn:]
    if method == "3cosmul":
        pa, pb, pc = ((1 + x) / 2 for x in (cos_a, cos_b, cos_c))
        return (pb * pc) / (pa + np.float32(COSMUL_EPS))
    # pairdirection: cos(x^ - c^, b^ - a^) from the three cosines
    d = b - a
    d_norm = np.linalg.norm(d, axis=1).astype(np.float32)[:, None]
    c_dot_d = np.einsum("ij,ij->i", c, d)[:, None].astype(np.float32)
    x_sq = (row_norms > 0).astype(np.float32)  # |x^|^2: 1, or 0 for a zero row
    c_sq = np.einsum("ij,ij->i", c, c)[:, None].astype(np.float32)
    dist = np.sqrt(np.maximum(x_sq - 2 * cos_c + c_sq, 0))  # |x^ - c^|
    num = (cos_b - cos_a) - c_dot_d
    den = dist * d_norm
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 1e-6, num / np.where(den > 1e-6, den, 1), 0)
    return out.astype(np.float32)


@accepts_gensim
def analogy(emb, a, b, c, *, k: int = 10, method: str = "3cosadd",
            exclude_inputs: bool = True, restrict_vocab: int | None = None) -> Analogy:
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
        vecs.append(_unit(v)[None, :])
        inputs.extend(words)
    inputs = tuple(dict.fromkeys(inputs))
    rows_in = [i for i in emb.indices(inputs) if i < n]
    scores = analogy_block(emb.vectors[:n], *vecs, method=method, row_norms=emb.norms[:n])
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
        a=_given(a), b=_given(b), c=_given(c), method=method,
        words=tuple(words[:k]), scores=np.ascontiguousarray(val[:k]), k=k,
        exclude_inputs=bool(exclude_inputs), inputs=inputs,
        top_is_input=bool(words) and words[0] in inputs_set,
        answer=None if other is None else words[other],
        answer_rank=None if other is None else other + 1,
        answer_score=None if other is None else float(val[other]),
        restrict_vocab=None if restrict_vocab is None else n,
    )


def _given(x):
    return x if isinstance(x, str) else np.array(x, dtype=np.float32)
