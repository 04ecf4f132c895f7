"""Polysemy from hidden states: "bank" by the river and "bank" of the interest rate.

A static embedding gives "bank" one point; a language model's residual stream gives each
use its own. The contextual vector of a word is the residual stream at a chosen block, over
the word's tokens (mean), read through the final norm; its neighbors are the unembedding
rows nearest to it (cosine), beside the static neighbors of the word's own token embedding.

A causal model's state sees only the left context ("the muddy river bank" is fine, "the bank
by the river" is not). A known remedy is to read the sentence twice and take the word in the
second copy, whose state has seen the whole first copy. ``evaluate_polysemy`` measures both,
at every block, in the model's own space: a context counts as right when the word's state
there is closer (cosine, after the final norm) to the state of its own sense's indicator
words (read as a phrase, averaged over their tokens, at the same block) than to the other
sense's. On geomlab's 37 probe words this peaks at block 10 read twice (0.865 of 74 contexts,
0.743 read once), against 0.770 for GloVe with the attention stand-in; the cosine to
unembedding rows is no guide before the last block (0.5 to 0.54: the residual stream is not
in the embedding's coordinates until the final norm and the last blocks put it there).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from .._record import Record, format_table
from .._validation import check_int
from ..errors import ParameterError
from .analysis import _check_lm, _check_text
from .model import LanguageModel

__all__ = ["LMContextual", "LMPolysemyEvaluation", "contextualize_lm", "evaluate_polysemy_lm"]

#: the block measured best on geomlab's probe file (scripts/lm_analysis.py --topic polysemy;
#: chosen on those 74 contexts, so an optimistic figure for new words)
DEFAULT_LAYER = 10
DEFAULT_READ_TWICE = True


@dataclasses.dataclass(frozen=True, eq=False)
class LMContextual(Record):
    """A word's contextual vector in a language model, with its neighbors.

    Attributes
    ----------
    word, context : str
    layer : int
        The block whose output was read (0: the token embeddings).
    read_twice : bool
        Whether the sentence was read twice and the word taken from the second copy.
    tokens : tuple of str
        The word's tokens whose states were averaged.
    vector : ndarray
        The contextual vector (after the final norm).
    words, scores : neighbors among the unembedding rows (token text, cosine); they are
        only meaningful near the last blocks, where the final norm and the unembedding read
        the stream (at block 10 "bank" by the river and "bank" of loans both neighbor
        punctuation); the senses separate in the states themselves (see
        :func:`evaluate_polysemy_lm`)
    static_words, static_scores : neighbors of the word's own token embedding
    """

    word: str
    context: str
    layer: int
    read_twice: bool
    tokens: tuple
    vector: np.ndarray = dataclasses.field(repr=False)
    words: tuple
    scores: np.ndarray = dataclasses.field(repr=False)
    static_words: tuple
    static_scores: np.ndarray = dataclasses.field(repr=False)

    def rows(self) -> list[dict]:
        return [
            {
                "rank": i + 1,
                "contextual": w,
                "cosine": float(s),
                "static": sw,
                "static_cosine": float(ss),
            }
            for i, (w, s, sw, ss) in enumerate(
                zip(self.words, self.scores, self.static_words, self.static_scores)
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.word!r} in {self.context!r} (block {self.layer}"
            f"{', read twice' if self.read_twice else ''}):\n" + format_table(self.rows())
        )


def _find(text: str, word: str, start: int = 0) -> tuple[int, int]:
    m = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE).search(text, start)
    if m is None:
        raise ParameterError(f"{word!r} does not occur in the context {text[start:]!r}")
    return m.span()


def _check_layer(lm: LanguageModel, layer) -> int:
    n = lm.config.n_layers
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer <= n:
        raise ParameterError(f"layer must be an integer in [0, {n}], got {layer!r}")
    return int(layer)


def _states(lm: LanguageModel, word: str, context: str, read_twice: bool):
    """The residual stream (layers + 1, d) averaged over the word's tokens, and the tokens."""
    text = f"{context} {context}" if read_twice else context
    s, e = _find(text, word, len(context) + 1 if read_twice else 0)
    enc = lm.tokenizer.encode(text)
    idx = [i for i, (a, b) in enumerate(enc.spans) if a < e and b > s]
    fwd = lm.forward(enc.ids, residuals=True, logits="none")
    return fwd.residuals[:, idx].mean(axis=1), tuple(
        lm.tokenizer.token_str(int(enc.ids[i])) for i in idx
    )


def _readings(lm: LanguageModel, word: str, context: str) -> list[tuple]:
    """The passes that give the word's states read once and read twice: a list of
    ``(ids, [(reading, token indices), ...])``, reading 0 = once, 1 = twice.

    The model is causal: in "context context" the first copy's states are exactly those of
    the context read alone, as long as the first copy is tokenized as the context alone is.
    Then one pass gives both readings (a third fewer passes); otherwise two passes.
    """
    text = f"{context} {context}"
    enc, alone = lm.tokenizer.encode(text), lm.tokenizer.encode(context)
    n = len(alone.ids)
    if not np.array_equal(enc.ids[:n], alone.ids) or list(enc.spans[:n]) != list(alone.spans):
        s, e = _find(context, word, 0)
        once = [i for i, (a, b) in enumerate(alone.spans) if a < e and b > s]
        s, e = _find(text, word, len(context) + 1)
        twice = [i for i, (a, b) in enumerate(enc.spans) if a < e and b > s]
        return [(alone.ids, [(0, once)]), (enc.ids, [(1, twice)])]
    out = []
    for reading, (start, limit) in enumerate(((0, n), (len(context) + 1, len(enc.ids)))):
        s, e = _find(text, word, start)
        out.append((reading, [i for i, (a, b) in enumerate(enc.spans[:limit]) if a < e and b > s]))
    return [(enc.ids, out)]


def _both_readings(lm: LanguageModel, word: str, context: str):
    """The word's states (layers + 1, d) read once and read twice (see :func:`_readings`)."""
    states = [None, None]
    for ids, picks in _readings(lm, word, context):
        fwd = lm.forward(ids, residuals=True, logits="none")
        for reading, idx in picks:
            states[reading] = fwd.residuals[:, idx].mean(axis=1)
    return states[0], states[1]


#: tokens per packed forward pass in :func:`evaluate_polysemy_lm` (the residual streams of
#: a pack take about 70 KB per token)
PACK_TOKENS = 1024


def _packs(lengths: list[int], budget: int = PACK_TOKENS) -> list[list[int]]:
    """Consecutive indices grouped so each group's total length stays within ``budget``
    (a longer sequence is a group of its own)."""
    packs, cur, total = [], [], 0
    for i, n in enumerate(lengths):
        if cur and total + n > budget:
            packs.append(cur)
            cur, total = [], 0
        cur.append(i)
        total += n
    if cur:
        packs.append(cur)
    return packs


def _unit_rows(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(n > 0, n, 1)


def _static(lm: LanguageModel, word: str) -> np.ndarray:
    """The word's static vector: the mean token-embedding row of " word"."""
    ids = lm.tokenizer.encode(" " + word).ids
    return lm.weights["token_embd.weight"][ids].mean(axis=0)


def _neighbors(lm: LanguageModel, vector: np.ndarray, k: int):
    U = lm.unembedding
    cos = (U @ vector) / (lm._unembedding_norms * max(np.linalg.norm(vector), 1e-30))
    top = np.argpartition(-cos, k - 1)[:k]
    top = top[np.argsort(-cos[top], kind="stable")]
    return top, cos[top]


def contextualize_lm(
    lm: LanguageModel,
    word: str,
    context: str,
    *,
    k: int = 10,
    layer: int | None = None,
    read_twice: bool | None = None,
) -> LMContextual:
    """The neighbors of ``word`` as the model reads it in ``context`` (see the module doc).

    ``geomlab.contextualize(lm, word, context)`` calls this when given a language model.

    Parameters
    ----------
    lm : LanguageModel
    word : str
        A word that occurs in ``context`` (case-insensitive, whole word).
    context : str
    k : int
        Neighbors to return.
    layer : int, optional
        The block to read, 0 (embeddings) to ``n_layers``; default: the block measured
        best on the probe file (``DEFAULT_LAYER``).
    read_twice : bool, optional
        Read the sentence twice and take the second copy (default: ``DEFAULT_READ_TWICE``,
        what measured best).

    Examples
    --------
    >>> import geomlab
    >>> lm = geomlab.load_lm()
    >>> c = geomlab.contextualize(lm, "bank", "the boat drifted to the muddy river bank")
    >>> c.tokens, c.layer, c.read_twice, c.static_words[:3]
    ((' bank',), 10, True, (' bank', ' Bank', ' banks'))
    """
    lm = _check_lm(lm)
    context = _check_text(context)
    if not isinstance(word, str) or not word.strip():
        raise ParameterError(f"word must be a non-empty str, got {word!r}")
    k = min(check_int(k, "k"), lm.config.vocab_size)
    layer = _check_layer(lm, DEFAULT_LAYER if layer is None else layer)
    twice = DEFAULT_READ_TWICE if read_twice is None else bool(read_twice)
    states, tokens = _states(lm, word, context, twice)
    vec = lm.final_norm(states[layer])[0]
    top, cos = _neighbors(lm, vec, k)
    stop, scos = _neighbors(lm, _static(lm, word), k)
    tok = lm.tokenizer
    return LMContextual(
        word=word,
        context=context,
        layer=layer,
        read_twice=twice,
        tokens=tokens,
        vector=vec,
        words=tuple(tok.token_str(int(i)) for i in top),
        scores=cos,
        static_words=tuple(tok.token_str(int(i)) for i in stop),
        static_scores=scos,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class LMPolysemyEvaluation(Record):
    """Context accuracy on the probe file, block by block, read once and twice.

    Attributes
    ----------
    layers : tuple of int
    once, twice : ndarray
        Fraction of contexts whose state leans to their own sense, per block.
    best_layer : int
    best_read_twice : bool
    context_accuracy : float
        At the best block and reading. The best is chosen on the same contexts, so this
        figure is optimistic for new words; ``held_out_accuracy`` is not.
    held_out_accuracy : float
        Leave one word out: the block and reading are chosen on the other words, then the
        left-out word's contexts are scored there; the fraction right over all words
        (NaN for a single word).
    held_out_layers : tuple of int
        The block chosen in each of those folds (one per word, in probe order).
    n_words, n_contexts : int
    words : tuple of str
    hits : ndarray
        ``(n_words, 2, len(layers))``: contexts right per word (0, 1 or 2), read once
        (index 0) and twice (index 1), per block.
    """

    layers: tuple
    once: np.ndarray = dataclasses.field(repr=False)
    twice: np.ndarray = dataclasses.field(repr=False)
    best_layer: int
    best_read_twice: bool
    context_accuracy: float
    held_out_accuracy: float
    held_out_layers: tuple = dataclasses.field(repr=False)
    n_words: int
    n_contexts: int
    words: tuple = dataclasses.field(repr=False)
    hits: np.ndarray = dataclasses.field(repr=False)

    def plot(self, ax=None, *, static_accuracy: float | None = None):
        """Context accuracy by block, read once and twice (and a static model's accuracy
        as a line when given); returns the figure (or the given axes)."""
        from ..plots import polysemy_by_block

        return polysemy_by_block(
            {
                "layers": list(self.layers),
                "once": self.once.tolist(),
                "twice": self.twice.tolist(),
                "best_layer": self.best_layer,
                "word": None,
                "n_words": self.n_words,
                "n_contexts": self.n_contexts,
                "glove_accuracy": static_accuracy,
            },
            ax=ax,
        )

    def rows(self) -> list[dict]:
        return [
            {"layer": layer, "read_once": float(a), "read_twice": float(b)}
            for layer, a, b in zip(self.layers, self.once, self.twice)
        ]

    def __str__(self) -> str:
        return (
            f"{self.n_contexts} contexts of {self.n_words} words: best block "
            f"{self.best_layer}{' read twice' if self.best_read_twice else ''}, context "
            f"accuracy {self.context_accuracy:.3f} (chosen on these contexts; with the "
            f"block chosen on the other words, {self.held_out_accuracy:.3f})\n"
            + format_table(self.rows())
        )


def _best(once: np.ndarray, twice: np.ndarray) -> tuple[bool, int]:
    """The best reading and block index: twice on ties, the earliest block on ties."""
    use_twice = bool(twice.max() >= once.max())
    return use_twice, int(np.argmax(twice if use_twice else once))


def _held_out(hits: np.ndarray) -> tuple[float, list[int]]:
    """Leave-one-word-out accuracy of choosing the block and reading on the other words."""
    if len(hits) < 2:  # nothing to choose on
        return float("nan"), []
    total = hits.sum(axis=0)  # (2, layers)
    right, chosen = 0, []
    for h in hits:
        rest = total - h
        twice, at = _best(rest[0], rest[1])
        right += int(h[int(twice), at])
        chosen.append(at)
    return right / (2 * len(hits)), chosen


def evaluate_polysemy_lm(
    lm: LanguageModel, probes=None, *, k: int = 10, layers=None, progress: bool | None = None
) -> LMPolysemyEvaluation:
    """Context accuracy of the model's contextual states on the probe words, per block.

    ``geomlab.evaluate_polysemy(lm)`` calls this when given a language model. A context
    is right at a block when the word's state there (after the final norm) is closer, by
    cosine, to its own sense's indicator words read as a phrase than to the other sense's.

    Parameters
    ----------
    lm : LanguageModel
    probes : path or list of Probe, optional
        Default: geomlab's probe file (37 words, 74 contexts).
    k : int
        Kept for the signature of :func:`geomlab.evaluate_polysemy` (the measure compares
        states, not neighbor lists).
    layers : iterable of int, optional
        Blocks to measure (default: all, 0 to ``n_layers``).
    progress : bool, optional
        A progress bar over the packed forward passes (default: on a terminal).

    Examples
    --------
    >>> import geomlab
    >>> from geomlab.evaluation.polysemy import read_probes
    >>> lm = geomlab.load_lm()
    >>> bank = [p for p in read_probes() if p.word == "bank"]
    >>> ev = geomlab.evaluate_polysemy(lm, bank, layers=[0, 10, 30], progress=False)
    >>> ev.n_contexts, [r["read_twice"] for r in ev.rows()]   # chance at the embeddings
    (2, [0.5, 0.5, 1.0])
    """
    from .._progress import progress as bar
    from ..evaluation.polysemy import read_probes

    lm = _check_lm(lm)
    k = check_int(k, "k")
    layers = (
        tuple(range(lm.config.n_layers + 1))
        if layers is None
        else tuple(_check_layer(lm, x) for x in layers)
    )
    if not layers:
        raise ParameterError("layers is empty")
    if probes is None or isinstance(probes, str) or hasattr(probes, "__fspath__"):
        probes = read_probes(probes)
    by_word: dict[str, list] = {}
    for p in probes:
        by_word.setdefault(p.word, []).append(p)
    if not by_word:
        raise ParameterError("no probes given")
    layer_list = list(layers)
    for word, pair in by_word.items():
        if len(pair) != 2:
            raise ParameterError(f"probe word {word!r} needs exactly two senses, got {len(pair)}")

    # every pass the evaluation needs, then the passes packed together (lm.forward_many):
    # a short pass spends as long reading the 513 MB of weights as computing, so one pass
    # over many sequences costs far less than one each. Packing changes the states only
    # by float32 rounding (other matrix shapes); on the shipped probes every hit is the
    # same as with one pass per sequence
    seqs, picks = [], []  # picks[j]: (word index, what, token indices or None for all)
    for w, (word, pair) in enumerate(by_word.items()):
        for i, p in enumerate(pair):
            seqs.append(lm.encode(" ".join(p.indicators)))
            picks.append([(w, ("sense", i), None)])
        for i, p in enumerate(pair):
            for ids, reads in _readings(lm, word, p.context):
                # the model is causal: the tokens after the word's last one change nothing
                # it reads (a fifth of the probe file's context tokens, left out)
                seqs.append(ids[: 1 + max(max(idx) for _, idx in reads)])
                picks.append([(w, ("context", i, reading), idx) for reading, idx in reads])
    states: dict = {}
    for pack in bar(_packs([len(x) for x in seqs]), desc="polysemy", enabled=progress, unit="pass"):
        for j, fwd in zip(pack, lm.forward_many([seqs[j] for j in pack], residuals=True)):
            for w, what, idx in picks[j]:
                res = fwd.residuals[layer_list] if idx is None else fwd.residuals[:, idx]
                states[w, what] = res.mean(axis=1)

    hits = np.zeros((len(by_word), 2, len(layers)), dtype=np.int64)
    for w in range(len(by_word)):
        # each sense's indicator words read as a phrase: (layers, d) each
        inds = [_unit_rows(lm.final_norm(states[w, ("sense", i)])) for i in range(2)]
        for i in range(2):
            for twice in range(2):
                st = states[w, ("context", i, twice)]
                vecs = _unit_rows(lm.final_norm(st[layer_list]))
                own = np.einsum("ld,ld->l", vecs, inds[i])
                other = np.einsum("ld,ld->l", vecs, inds[1 - i])
                hits[w, twice] += own > other
    n_ctx = 2 * len(by_word)
    once, twice = hits[:, 0].sum(axis=0) / n_ctx, hits[:, 1].sum(axis=0) / n_ctx
    best_twice, best = _best(once, twice)
    held, chosen = _held_out(hits)
    return LMPolysemyEvaluation(
        layers=layers,
        once=once,
        twice=twice,
        best_layer=layers[best],
        best_read_twice=best_twice,
        context_accuracy=float((twice if best_twice else once)[best]),
        held_out_accuracy=float(held),
        held_out_layers=tuple(layers[c] for c in chosen),
        n_words=len(by_word),
        n_contexts=n_ctx,
        words=tuple(by_word),
        hits=hits,
    )
