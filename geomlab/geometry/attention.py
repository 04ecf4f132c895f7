"""Attention over a context: how a static word vector becomes a contextual one.

A static embedding gives ``bank`` one point for every sense. Scaled dot-product attention
(Vaswani et al. 2017) lets the words around it pull that point toward the sense they name:

    logits_i  = (q . k_i) / sqrt(d_k)          q = x_word Wq,  k_i = x_i Wk,  v_i = x_i Wv
    weights   = softmax(logits / T)
    output    = sum_i weights_i v_i

With identity projections (the default) the embeddings themselves are the queries, keys and
values: the context words most similar to the word get the most weight. The exponential
is the same amplifier as in :func:`geomlab.softmax`, and ``T`` the same dial.

:func:`contextualize` adds the attention output to the word's own vector (the residual
connection of a transformer block) and looks up the nearest words of the result.

Why function words are dropped from the context by default
-----------------------------------------------------------
Measured on the embedded GloVe 6B 50d with the 74 hand-made contexts of
``polysemy_probes.tsv``: with every token of the sentence kept, the contextual neighbors
lean to the sense the context names for 66 % of the contexts (the static neighbors are
right for 50 %, by construction: one of each word's two contexts). The reason is visible
in the weights: words such as ``the``, ``to`` and ``of`` have moderate dot products with
almost every word, make up half of a short sentence, and so take about half of the
attention (``the`` + ``to`` get 0.47 of it in "the boat drifted to the muddy river
bank"); their average points to the generic frequent-word region, and the neighbors become
``which``, ``on``, ``from``. Leaving out a short list of English function words
(:data:`FUNCTION_WORDS`: articles, pronouns, prepositions, conjunctions, auxiliaries;
deliberately not scikit-learn's stop list, which holds content words such as ``interest``,
``fire`` and ``bill``) lifts the rate to 77 %. Centring the vectors (subtracting the mean
of the 50,000 most frequent) was tried and changes almost nothing: GloVe's mean vector is
short (norm 0.76 against a median norm of 4.8). A lower temperature (0.5) changes nothing
either. A larger ``context_weight`` shifts further (2.0: 84 %) at the price of neighbors
that describe the context more than the word; the default keeps the plain residual, 1.0.
``scripts/polysemy_eval.py`` reproduces these figures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import check_k, check_restrict, check_temperature
from ..embeddings import accepts_gensim
from ..errors import ParameterError, ShapeError
from .neighbors import Neighbors, nearest
from .queries import resolve

__all__ = ["FUNCTION_WORDS", "Attention", "Contextual", "attend", "contextualize", "tokenize"]

_FUNCTION_WORDS_TEXT = """
a an the this that these those some any each every either neither no all both
i me my mine myself you your yours yourself yourselves he him his himself she her hers
herself it its itself we us our ours ourselves they them their theirs themselves
one ones someone something anyone anything everyone everything nobody nothing
who whom whose which what whatever whoever whichever
and or nor but so yet if then than because although though while whereas unless until
as since when whenever where wherever whether how why
of in on at by for with from to into onto upon about above below over under
between among through during before after against across along around behind beside
besides beyond within without toward towards off out up down via per
be am is are was were been being have has had having do does did doing done
will would shall should can could may might must ought
not also too very just only even still already again ever never more most less least
much many few several such same other another own here there now
's 't n't 're 've 'll 'd 'm
"""
#: English function words left out of a context by :func:`contextualize` (see module notes)
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())

# a token: letters/digits, with inner hyphens, apostrophes or dots ("x-ray", "u.s.")
_TOKEN = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*\.?|'[a-z]+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into word tokens (punctuation dropped).

    Examples
    --------
    >>> tokenize("The boat drifted to the muddy River bank.")
    ['the', 'boat', 'drifted', 'to', 'the', 'muddy', 'river', 'bank']
    >>> tokenize("An x-ray of the U.S. economy")
    ['an', 'x-ray', 'of', 'the', 'u.s.', 'economy']
    """
    if not isinstance(text, str):
        raise ParameterError(f"text must be a string, got {type(text).__name__}")
    out = []
    for tok in _TOKEN.findall(text.lower()):
        # a trailing dot is kept only for abbreviations with inner dots ("u.s.")
        if tok.endswith(".") and "." not in tok[:-1]:
            tok = tok[:-1]
        out.append(tok)
    return out


def _context_words(emb, context) -> tuple[list[str], tuple[str, ...], list[str]]:
    """The context's words, those not in the vocabulary, and those in it (in order).

    A ParameterError when the context has no word, or none the vocabulary knows.
    """
    tokens = _context_tokens(context)
    if not tokens:
        raise ParameterError(f"context must hold at least one word, got {context!r}")
    skipped = tuple(tok for tok in tokens if tok not in emb)
    known = [tok for tok in tokens if tok in emb]
    if not known:
        raise ParameterError(
            f"none of the {len(tokens)} context words is in the vocabulary: "
            + ", ".join(repr(s) for s in skipped[:10])
            + (" ..." if len(skipped) > 10 else "")
        )
    return tokens, skipped, known


def _context_tokens(context) -> list[str]:
    if isinstance(context, str):
        return tokenize(context)
    if isinstance(context, (bytes, dict, set)) or context is None:
        raise ParameterError(
            f"context must be a sentence or a list of words, got {type(context).__name__}"
        )
    tokens = list(context)
    bad = next((t for t in tokens if not isinstance(t, str)), None)
    if bad is not None:
        raise ParameterError(f"context words must be strings, got {type(bad).__name__} {bad!r}")
    return [t.lower() for t in tokens]


def _check_projections(projections, dim: int):
    if projections is None:
        return None
    if not isinstance(projections, (tuple, list)) or len(projections) != 3:
        raise ParameterError(
            "projections must be a tuple (Wq, Wk, Wv) of three matrices, got "
            f"{type(projections).__name__}"
            + (f" of length {len(projections)}" if isinstance(projections, (tuple, list)) else "")
        )
    mats = []
    for name, m in zip(("Wq", "Wk", "Wv"), projections):
        arr = np.asarray(m, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] != dim:
            raise ShapeError(
                f"{name} must have shape ({dim}, d) to multiply {dim}-dimensional vectors, "
                f"got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{name} must be finite; it holds NaN or infinity")
        mats.append(arr)
    wq, wk, _ = mats
    if wq.shape[1] != wk.shape[1]:
        raise ShapeError(
            f"Wq and Wk must have the same number of columns (d_k), got shapes {wq.shape} "
            f"and {wk.shape}"
        )
    return mats


@dataclass(frozen=True, eq=False)
class Attention(Record):
    """Scaled dot-product attention of one query over a context.

    Attributes
    ----------
    query : str or ndarray
        The query word (or a copy of the query vector).
    words : tuple of str
        The context words (keys and values), in order; a repeated word appears repeatedly.
    logits : ndarray, shape (n,)
        ``q . k_i / sqrt(d_k)``, before the temperature.
    weights : ndarray, shape (n,)
        ``softmax(logits / temperature)``; they sum to 1.
    output : ndarray, shape (d_v,)
        ``sum_i weights_i v_i``.
    temperature : float
    scale : float
        ``sqrt(d_k)``, the divisor of the dot products.
    projected : bool
        Whether projection matrices were used (False: identity).
    """

    query: object
    words: tuple[str, ...]
    logits: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    temperature: float
    scale: float
    projected: bool = False

    def plot(self, ax=None):
        """The attention weights over the context words; returns the figure (or the axes)."""
        from ..plots import attention_weights

        word = self.query if isinstance(self.query, str) else "<vector>"
        return attention_weights(
            {
                "word": word,
                "contexts": [
                    {
                        "sense": "this",
                        "context": " ".join(self.words),
                        "attention_words": list(self.words),
                        "attention_weights": [float(w) for w in self.weights],
                    }
                ],
            },
            ax=ax,
        )

    def rows(self) -> list[dict]:
        return [
            {"word": w, "logit": float(z), "weight": float(p)}
            for w, z, p in zip(self.words, self.logits, self.weights)
        ]

    def summary(self) -> dict:
        q = self.query if isinstance(self.query, str) else "<vector>"
        return {
            "query": q,
            "n_context": len(self.words),
            "temperature": self.temperature,
            "scale": self.scale,
            "projected": self.projected,
        }


@accepts_gensim
def attend(emb, query, context, *, temperature: float = 1.0, projections=None) -> Attention:
    """Scaled dot-product attention of ``query`` over the words of ``context``.

    Parameters
    ----------
    emb : Embeddings
    query : str or array_like
        A word, an expression such as ``"king - man"``, or a vector of length ``emb.dim``.
    context : str or sequence of str
        The keys and values: a list of words, or a sentence (lower-cased and tokenised with
        :func:`tokenize`). Every word must be in the vocabulary; :func:`contextualize` is
        the forgiving variant that skips and reports unknown words.
    temperature : float
        ``T > 0``: weights are ``softmax(logits / T)``; small ``T`` focuses on the most
        similar context word, large ``T`` spreads the weight evenly.
    projections : tuple (Wq, Wk, Wv), optional
        Matrices of shapes ``(dim, d_k)``, ``(dim, d_k)`` and ``(dim, d_v)`` applied to the
        query, the keys and the values (row vectors times matrix). Default: identity, so
        ``d_k = d_v = dim``.

    Returns
    -------
    Attention
        Context words, logits ``q . k_i / sqrt(d_k)``, weights and the output vector.

    Raises
    ------
    UnknownWordError
        A query or context word is not in the vocabulary.
    ParameterError
        An empty context, a bad temperature, or malformed projections.
    ShapeError
        A query vector or projection matrix of the wrong shape.

    Examples
    --------
    >>> import numpy as np, geomlab
    >>> emb = geomlab.Embeddings(["q", "a", "b"], [[1.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    >>> att = geomlab.attend(emb, "q", ["a", "b"])
    >>> att.logits.round(4).tolist()        # [2/sqrt(2), 0]
    [1.4142, 0.0]
    >>> att.weights.round(4).tolist()       # [e^1.4142, 1] / (e^1.4142 + 1)
    [0.8044, 0.1956]
    >>> att.output.round(4).tolist()
    [1.6089, 0.3911]
    """
    from ..scoring.softmax import softmax

    t = check_temperature(temperature)
    mats = _check_projections(projections, emb.dim)
    words = _context_tokens(context)
    if not words:
        raise ParameterError("context must hold at least one word, got an empty context")
    q, _ = resolve(emb, query)
    keys = emb.vectors[emb.indices(words)].astype(np.float64)
    q = q.astype(np.float64)
    values = keys
    if mats is not None:
        wq, wk, wv = mats
        q, values, keys = q @ wq, keys @ wv, keys @ wk
    scale = math.sqrt(keys.shape[1])
    logits = keys @ q / scale
    weights = np.asarray(softmax(logits, temperature=t), dtype=np.float64)
    output = weights @ values
    return Attention(
        query=query if isinstance(query, str) else np.array(query, dtype=np.float32),
        words=tuple(words),
        logits=logits,
        weights=weights,
        output=output,
        temperature=t,
        scale=scale,
        projected=mats is not None,
    )


@dataclass(frozen=True, eq=False)
class Contextual(Record):
    """A word read in a context: the attention, the contextual vector and its neighbors.

    Attributes
    ----------
    word : str
    context : tuple of str
        The context tokens as given (after lower-casing and tokenising).
    attention : Attention
        The word's attention over the kept context words.
    vector : ndarray, shape (dim,)
        ``emb[word] + context_weight * attention.output``.
    neighbors : Neighbors
        Nearest words of ``vector`` (the word and the context words excluded).
    static : Neighbors
        Nearest words of the word alone (only the word excluded), for comparison.
    skipped : tuple of str
        Context tokens not in the vocabulary (skipped; never silently).
    n_skipped : int
        ``len(skipped)``.
    dropped : tuple of str
        Context tokens left out as function words (empty when ``drop_function_words``
        is false) or because they are the word itself.
    temperature : float
    context_weight : float
    """

    word: str
    context: tuple[str, ...]
    attention: Attention
    vector: np.ndarray = field(repr=False)
    neighbors: Neighbors
    static: Neighbors
    skipped: tuple[str, ...]
    n_skipped: int
    dropped: tuple[str, ...]
    temperature: float
    context_weight: float

    @property
    def words(self) -> tuple[str, ...]:
        """The contextual neighbors, best first (``neighbors.words``)."""
        return self.neighbors.words

    @property
    def scores(self) -> np.ndarray:
        """Their cosine similarities with the contextual vector."""
        return self.neighbors.scores

    def plot(self, ax=None):
        """The contextual neighbors' cosines, and the attention weights beside them (two
        axes); returns the figure (or the given pair of axes)."""
        from ..plots import _axes, _done, attention_weights, contextual_neighbors, styled

        c = {
            "sense": "this",
            "context": " ".join(self.context),
            "neighbors": list(self.neighbors.words),
            "neighbor_scores": [float(v) for v in self.neighbors.scores],
            "attention_words": list(self.attention.words),
            "attention_weights": [float(w) for w in self.attention.weights],
        }
        data = {"word": self.word, "contexts": [c]}
        with styled():
            fig, axes = _axes(ax, n=2, width=10.0, height=3.8)
            contextual_neighbors(data, ax=axes[0])
            attention_weights(data, ax=axes[1])
            return _done(fig, axes)

    def rows(self) -> list[dict]:
        """Neighbors without and with the context, side by side."""
        n = max(len(self.static), len(self.neighbors))
        out = []
        for i in range(n):
            row = {"rank": i + 1}
            row["without_context"] = self.static.words[i] if i < len(self.static) else ""
            row["score"] = float(self.static.scores[i]) if i < len(self.static) else ""
            row["with_context"] = self.neighbors.words[i] if i < len(self.neighbors) else ""
            row["score_in_context"] = (
                float(self.neighbors.scores[i]) if i < len(self.neighbors) else ""
            )
            out.append(row)
        return out

    def summary(self) -> dict:
        return {
            "word": self.word,
            "context": " ".join(self.context),
            "kept": len(self.attention.words),
            "skipped": ", ".join(self.skipped),
            "n_skipped": self.n_skipped,
            "dropped": ", ".join(self.dropped),
            "temperature": self.temperature,
            "context_weight": self.context_weight,
        }


@accepts_gensim
def contextualize(
    emb,
    word: str,
    context,
    *,
    k: int = 10,
    temperature: float = 1.0,
    context_weight: float = 1.0,
    drop_function_words: bool = True,
    restrict_vocab: int | None = None,
) -> Contextual:
    """The nearest words of ``word`` read in ``context``, with word vectors.

    The word-vector half of :func:`geomlab.contextualize` (which also takes a language
    model, and documents the parameters): the contextual vector is the word's vector plus
    the output of its attention over the context, a residual connection with identity
    projections: ``emb[word] + context_weight * attend(emb, word, kept_context).output``.

    Returns
    -------
    Contextual
    """
    k = check_k(k)
    check_restrict(emb, restrict_vocab)
    vec, exclude, att, tokens, skipped, dropped = _contextual(
        emb, word, context, temperature, context_weight, drop_function_words
    )
    with_ctx = nearest(emb, vec, k=k, exclude=exclude, restrict_vocab=restrict_vocab)
    static = nearest(emb, word, k=k, restrict_vocab=restrict_vocab)
    return Contextual(
        word=word,
        context=tuple(tokens),
        attention=att,
        vector=vec,
        neighbors=with_ctx,
        static=static,
        skipped=skipped,
        n_skipped=len(skipped),
        dropped=tuple(dropped),
        temperature=att.temperature,
        context_weight=float(context_weight),
    )


def _contextual(emb, word, context, temperature, context_weight, drop_function_words):
    """The contextual vector of ``word`` in ``context`` and the words it must not name
    (the word and its kept context): ``(vector, exclude, attention, tokens, skipped,
    dropped)``, the arguments checked as :func:`contextualize` documents them."""
    t = check_temperature(temperature)
    if (
        isinstance(context_weight, bool)
        or not isinstance(context_weight, (int, float))
        or not math.isfinite(context_weight)
        or context_weight < 0
    ):
        raise ParameterError(f"context_weight must be a finite number >= 0, got {context_weight!r}")
    if not isinstance(word, str):
        raise ParameterError(f"word must be a string, got {type(word).__name__}")
    row = emb.index(word)  # unknown words raise with suggestions
    tokens, skipped, known = _context_words(emb, context)
    kept, dropped = [], []
    for tok in known:
        if tok == word or (drop_function_words and tok in FUNCTION_WORDS):
            dropped.append(tok)
        else:
            kept.append(tok)
    if not kept:
        raise ParameterError(
            "no context word is left once the word itself and function words are dropped "
            f"(dropped: {', '.join(dropped)}); keep function words with "
            "drop_function_words=False (--keep-function-words on the command line)"
        )
    att = attend(emb, word, kept, temperature=t)
    vec = emb.vectors[row].astype(np.float64) + float(context_weight) * att.output
    vec = vec.astype(np.float32)
    return vec, list(dict.fromkeys([word, *kept])), att, tokens, skipped, dropped
