"""The chain on a real model: hidden state · unembedding = logits, softmax, surprise, choice.

``next_token`` shows the preference the model forms after a text, ``score_text`` measures
how surprised it is by each token of a text (cross-entropy in nats), ``generate`` lets it
choose, token by token, with geomlab's own sampling.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from .._progress import progress as _progress
from .._record import Record
from .._validation import check_int, check_temperature
from ..errors import ParameterError, ShapeError
from ..scoring.losses import entropy as _entropy
from ..scoring.softmax import log_softmax
from .model import LanguageModel

__all__ = ["NextToken", "TextScore", "next_token", "score_text"]


def _check_lm(lm) -> LanguageModel:
    if not isinstance(lm, LanguageModel):
        raise ParameterError(
            f"expected a LanguageModel (geomlab.load_lm()), got {type(lm).__name__}"
        )
    return lm


def _check_hidden(lm: LanguageModel, hidden, need: int) -> np.ndarray:
    """Precomputed final hidden states: float32, (m, d_model) with ``m >= need``."""
    h = np.asarray(hidden)
    d = lm.config.d_model
    if h.ndim != 2 or h.shape[1] != d or h.shape[0] < need:
        raise ShapeError(
            f"hidden must be the final hidden states of at least the first {need} tokens, "
            f"shape (>= {need}, {d}); got {h.shape}"
        )
    if h.dtype.kind != "f":
        raise ParameterError(f"hidden must be floating point, got {h.dtype}")
    return h.astype(np.float32, copy=False)


def _check_text(text) -> str:
    if not isinstance(text, str):
        raise ParameterError(f"text must be a str, got {type(text).__name__}")
    if not text:
        raise ParameterError("text is empty: the model needs at least one token")
    return text


@dataclasses.dataclass(frozen=True, eq=False)
class NextToken(Record):
    """The model's preference for the token after a text.

    Attributes
    ----------
    text : str
    ids : ndarray of int64
        The text's tokens.
    logits : ndarray, shape (vocab,), float32
        ``hidden @ U.T``: one score per vocabulary token.
    hidden : ndarray, shape (d_model,)
        The final hidden state at the last position (after the last RMSNorm).
    temperature : float
        The probabilities are ``softmax(logits / T)``.
    k : int
        How many of the best tokens the table shows.
    """

    text: str
    ids: np.ndarray = dataclasses.field(repr=False)
    logits: np.ndarray = dataclasses.field(repr=False)
    hidden: np.ndarray = dataclasses.field(repr=False)
    temperature: float
    k: int
    _lm: LanguageModel = dataclasses.field(repr=False, compare=False, default=None)

    @cached_property
    def log_probs(self) -> np.ndarray:
        return log_softmax(self.logits.astype(np.float64), temperature=self.temperature)

    @cached_property
    def probs(self) -> np.ndarray:
        return np.exp(self.log_probs)

    @cached_property
    def entropy(self) -> float:
        """Entropy of the next-token distribution, in nats."""
        return float(_entropy(self.probs))

    @cached_property
    def top_ids(self) -> np.ndarray:
        """The ``k`` most probable token ids, best first (ties by id)."""
        order = np.argpartition(-self.logits, self.k - 1)[: self.k]
        return order[np.lexsort((order, -self.logits[order]))]

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self._lm.tokenizer.token_str(int(i)) for i in self.top_ids)

    def prob(self, token) -> float:
        """The probability of one token (its id, or its text such as ``" Paris"``)."""
        i = token if isinstance(token, (int, np.integer)) else self._lm.tokenizer.token_id(token)
        return float(self.probs[self._lm.tokenizer._check_id(i)])

    def plot(self, ax=None, *, temperatures=None):
        """The top tokens' probabilities at this temperature or at each of
        ``temperatures`` (the logits reused); returns the figure (or the given axes)."""
        from ..plots import next_token_bars

        temps = [self.temperature] if temperatures is None else list(temperatures)
        ids = self.top_ids.tolist()
        bars = {f"{t:g}": self.at(t).probs[ids].tolist() for t in temps}
        return next_token_bars(
            {"tokens": list(self.tokens), "bars": bars, "prompt": self.text}, ax=ax
        )

    def at(self, temperature: float) -> NextToken:
        """The same logits at another temperature (no forward pass)."""

        return dataclasses.replace(self, temperature=check_temperature(temperature))

    def sweep(self, temperatures):
        """Entropy, top-1 probability and perplexity at each temperature, from these
        logits (see :mod:`geomlab.scoring.sweep`)."""
        from ..scoring.sweep import sweep_logits

        return sweep_logits(self.logits, temperatures)

    def rows(self) -> list[dict]:
        U = self._lm.unembedding
        out = []
        for rank, i in enumerate(self.top_ids.tolist(), 1):
            out.append(
                {
                    "rank": rank,
                    "id": i,
                    "token": self._lm.tokenizer.token_str(i),
                    "logit": float(self.logits[i]),
                    "hidden_dot_row": float(
                        np.dot(self.hidden.astype(np.float64), U[i].astype(np.float64))
                    ),
                    "prob": float(self.probs[i]),
                }
            )
        return out

    def summary(self) -> dict:
        return {
            "text": self.text,
            "tokens": len(self.ids),
            "temperature": self.temperature,
            "entropy": self.entropy,
            "top_token": self.tokens[0],
            "top_prob": float(self.probs[self.top_ids[0]]),
        }

    def to_dict(self) -> dict:
        return {**self.summary(), "top": self.rows()}

    def __str__(self) -> str:
        from .._record import format_table

        head = (
            f"after {self.text!r} ({len(self.ids)} tokens), T = {self.temperature:g}: "
            f"entropy {self.entropy:.3f} nats"
        )
        return head + "\n" + format_table(self.rows())


def next_token(lm: LanguageModel, text: str, *, temperature: float = 1.0, k: int = 10) -> NextToken:
    """The model's distribution over the token that follows ``text``.

    Parameters
    ----------
    lm : LanguageModel
    text : str
    temperature : float
        ``T > 0``: probabilities are ``softmax(logits / T)``.
    k : int
        How many of the best tokens the record shows (all probabilities are kept).

    Returns
    -------
    NextToken
        Top tokens with id, text, logit (and the same number as ``hidden · U[id]``),
        probability; the entropy.

    Examples
    --------
    >>> import geomlab
    >>> lm = geomlab.load_lm()
    >>> nt = geomlab.next_token(lm, "The capital of France is")
    >>> nt.tokens[0], round(nt.prob(" Paris"), 2)
    (' Paris', 0.77)
    """
    lm = _check_lm(lm)
    text = _check_text(text)
    t = check_temperature(temperature)
    k = min(check_int(k, "k"), lm.config.vocab_size)
    ids = lm.encode(text)
    if len(ids) > lm.config.context_length:
        raise ParameterError(
            f"the text is {len(ids)} tokens, longer than the model's context "
            f"({lm.config.context_length}); pass its end"
        )
    fwd = lm.forward(ids, logits="last")
    return NextToken(
        text=text, ids=ids, logits=fwd.logits[0], hidden=fwd.hidden[-1], temperature=t, k=k, _lm=lm
    )


@dataclasses.dataclass(frozen=True, eq=False)
class TextScore(Record):
    """How surprised the model is by each token of a text.

    Token ``i`` (from the second on) is scored by the distribution the model gave after
    tokens ``0..i-1``. Arrays have one entry per scored token (``len(ids) - 1``).

    Attributes
    ----------
    text : str
    ids : ndarray of int64
    spans : tuple of (start, end)
        Each token's characters in ``text``.
    nll : ndarray, float64
        ``-ln p(actual token)`` in nats: the cross-entropy of each token.
    probs : ndarray
        ``p(actual token)``.
    ranks : ndarray of int64
        1 + the number of tokens with a higher logit than the actual one.
    predicted : ndarray of int64
        The model's top-1 token at each position.
    confidence : ndarray
        Its probability (what calibration compares with accuracy).
    logits : ndarray
        The actual token's logit (its hidden state . unembedding row).
    window : int
        Tokens per forward pass (texts longer than this are scored in overlapping
        windows; every token keeps at least ``window // 4`` tokens of context).
    """

    text: str
    ids: np.ndarray = dataclasses.field(repr=False)
    spans: tuple = dataclasses.field(repr=False)
    nll: np.ndarray = dataclasses.field(repr=False)
    probs: np.ndarray = dataclasses.field(repr=False)
    ranks: np.ndarray = dataclasses.field(repr=False)
    predicted: np.ndarray = dataclasses.field(repr=False)
    confidence: np.ndarray = dataclasses.field(repr=False)
    logits: np.ndarray = dataclasses.field(repr=False)
    window: int
    _tokens: tuple = dataclasses.field(repr=False, default=())
    _predicted_tokens: tuple = dataclasses.field(repr=False, default=())
    #: with ``sketch=True``: per scored token the exact top logits and a histogram of the
    #: rest (a :class:`~geomlab.scoring.calibration.ScoreSketch`'s rows), for calibration
    sketch_top: np.ndarray | None = dataclasses.field(repr=False, default=None)
    sketch_hist: np.ndarray | None = dataclasses.field(repr=False, default=None)

    @property
    def n_scored(self) -> int:
        return len(self.nll)

    @property
    def mean_nll(self) -> float:
        """Mean cross-entropy per token, in nats."""
        return float(self.nll.mean())

    @property
    def perplexity(self) -> float:
        """``exp(mean_nll)``: the effective number of choices the model hesitated among."""
        return float(np.exp(self.mean_nll))

    @property
    def accuracy(self) -> float:
        """How often the top-1 token was the actual one."""
        return float((self.ranks == 1).mean())

    def summary(self) -> dict:
        return {
            "tokens": len(self.ids),
            "scored": self.n_scored,
            "mean_nll": self.mean_nll,
            "perplexity": self.perplexity,
            "top1_accuracy": self.accuracy,
            "mean_confidence": float(self.confidence.mean()),
            "window": self.window,
        }

    def rows(self) -> list[dict]:
        return [
            {
                "position": i + 1,
                "token": self._tokens[i + 1],
                "id": int(self.ids[i + 1]),
                "nll": float(self.nll[i]),
                "prob": float(self.probs[i]),
                "rank": int(self.ranks[i]),
                "predicted": self._predicted_tokens[i],
            }
            for i in range(self.n_scored)
        ]

    def to_dict(self) -> dict:
        return {**self.summary(), "tokens_scored": self.rows()}

    def __str__(self) -> str:
        s = self.summary()
        worst = np.argsort(-self.nll, kind="stable")[:5]
        lines = [
            f"{s['tokens']} tokens, {s['scored']} scored: mean cross-entropy "
            f"{s['mean_nll']:.4f} nats, perplexity {s['perplexity']:.2f}, top-1 accuracy "
            f"{s['top1_accuracy']:.3f}, mean confidence {s['mean_confidence']:.3f}",
            "most surprising tokens:",
        ]
        for i in worst.tolist():
            lines.append(
                f"  {self._tokens[i + 1]!r} at {i + 1}: {self.nll[i]:.2f} nats "
                f"(p = {self.probs[i]:.2g}, rank {self.ranks[i]}; expected "
                f"{self._predicted_tokens[i]!r})"
            )
        return "\n".join(lines)


#: the calibration sketch of next-token logits: exact top scores and a histogram of the rest
SKETCH_TOP = 128
SKETCH_BINS = 2048
SKETCH_RANGE = (-40.0, 48.0)  # SmolLM2's logits on Moby-Dick lie in [-33.4, 37.4]


def _sketch_block(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``SKETCH_TOP`` logits of each row (best first) and a histogram of the
    others: every logit's bin counted, then the top ones' bins taken off again (the top
    values are one multiset whichever of several equal logits a partition picks, so the
    counts are those of leaving the top entries out).

    Each pass over the block's logits is paid once: the top values partitioned to the end
    of one copy (not negated first), the bins clipped as floats in place and counted as
    the machine integers ``bincount`` reads (0.85 -> 0.55 s of CPU per 1,024 positions,
    the same counts)."""
    n, vocab = z.shape
    k = min(SKETCH_TOP, vocab)
    lo, hi = SKETCH_RANGE
    top = np.partition(z, vocab - k, axis=1)[:, vocab - k :]
    top = -np.sort(-top, axis=1)
    scale = np.float32(SKETCH_BINS / (hi - lo))
    rows = (np.arange(n, dtype=np.intp) * SKETCH_BINS)[:, None]

    def bins(v):
        t = v - np.float32(lo)
        t *= scale
        np.clip(t, 0, SKETCH_BINS - 1, out=t)  # then truncated: the bin, 0 to 2,047
        b = t.astype(np.intp)
        b += rows
        return b.ravel()

    size = n * SKETCH_BINS
    hist = np.bincount(bins(z), minlength=size)
    hist -= np.bincount(bins(top), minlength=size)
    return top.astype(np.float32), hist.reshape(n, SKETCH_BINS).astype(np.float32)


def _score_block(z: np.ndarray, targets: np.ndarray, sketch: bool) -> tuple:
    """Per row of float32 logits: -ln p(target), p(target), rank of target, argmax, max
    probability, the target's logit (and the sketch rows).

    The exponentials are float32 and their sums float64 (``ln sum exp(z - max z)`` within
    1e-6 of a float64 pass over the same logits, tests/test_lm_blocks.py); ranks and the
    argmax compare the logits themselves."""
    idx = np.arange(len(targets))
    pred = z.argmax(axis=1)
    zmax = z[idx, pred]
    zt = z[idx, targets]
    ranks = 1 + (z > zt[:, None]).sum(axis=1)
    e = z - zmax[:, None]
    np.exp(e, out=e)
    total = e.sum(axis=1, dtype=np.float64)
    lse = zmax.astype(np.float64) + np.log(total)
    nll = lse - zt.astype(np.float64)
    out = (nll, np.exp(-nll), ranks.astype(np.int64), pred.astype(np.int64), 1.0 / total, zt)
    return out + _sketch_block(z) if sketch else out


def _score_positions(
    lm: LanguageModel, hidden: np.ndarray, lo: int, hi: int, targets: np.ndarray, sketch: bool
):
    """:func:`_score_block` for the positions ``lo:hi`` of a window, their logits
    ``hidden @ U.T`` computed a block of rows at a time on the model's task threads (the
    whole logits of a window would take 200 MB). The blocks are those of
    :meth:`LanguageModel.forward`, so the logits are bit for bit the forward pass's."""
    from .model import _ROWS, _task_runner

    U = lm.unembedding
    starts = [r for r in range(0, hi, _ROWS) if r + _ROWS > lo]
    parts: list = [None] * len(starts)

    def score(i, r0):
        a, b = max(r0, lo), min(r0 + _ROWS, hi)
        z = hidden[r0 : r0 + _ROWS] @ U.T
        parts[i] = _score_block(z[a - r0 : b - r0], targets[a - lo : b - lo], sketch)

    with _task_runner(parallel=True) as run:
        run(score, list(enumerate(starts)))
    return tuple(np.concatenate(x) for x in zip(*parts))


def score_text(
    lm: LanguageModel,
    text: str,
    *,
    window: int = 1024,
    progress: bool | None = None,
    sketch: bool = False,
    hidden=None,
) -> TextScore:
    """Cross-entropy of every token of ``text`` under the model.

    Parameters
    ----------
    lm : LanguageModel
    text : str
        At least two tokens.
    window : int
        Tokens per forward pass, at most the model's context. A longer text is scored in
        windows that overlap by a quarter: each token is scored once, with at least
        ``window // 4`` tokens before it (all of them near the start).
    progress : bool, optional
        Progress bar over the windows (default: on a terminal).
    sketch : bool
        Also keep, per scored token, the exact 128 best logits and a 2,048-bin histogram
        of the others (what :func:`geomlab.calibrate_text` fits a temperature on).
    hidden : array_like, shape (m, d_model), optional
        The final hidden states of the text's first ``m`` tokens, already computed
        (``lm.forward(ids[:m], logits="none").hidden``, ``m`` at least the first window's
        length, ``min(window, len(ids))``): the first window is scored from them instead
        of being run again. The states of a longer prefix serve as well (the model is
        causal); the figures are those of a run without ``hidden``.

    Returns
    -------
    TextScore

    Examples
    --------
    >>> import geomlab
    >>> lm = geomlab.load_lm()
    >>> s = geomlab.score_text(lm, "The capital of France is Paris.")
    >>> len(s.ids), len(s.nll), round(s.perplexity)   # the first token has no context
    (7, 6, 13)
    """
    lm = _check_lm(lm)
    text = _check_text(text)
    window = check_int(window, "window")
    if window < 2 or window > lm.config.context_length:
        raise ParameterError(f"window must be in [2, {lm.config.context_length}], got {window}")
    enc = lm.tokenizer.encode(text)
    ids = enc.ids
    n = len(ids)
    if n < 2:
        raise ParameterError("the text is one token: scoring needs at least two")
    if hidden is not None:
        hidden = _check_hidden(lm, hidden, min(window, n))
    stride = max(1, window - window // 4)  # new tokens per later window
    total = 1 + max(0, -(-(n - window) // stride))
    parts = []
    start, done = 0, 1  # ids[:done] are scored (token 0 never is)
    bar = _progress(range(total), desc="score", enabled=progress, unit="window")
    for _ in bar:
        chunk = ids[start : start + window]
        first = done - start  # the first position in the chunk not yet scored
        # the logits of the positions scored in this window only
        if start == 0 and hidden is not None:
            states = hidden[: len(chunk)]
        else:
            states = lm.forward(chunk, logits="none").hidden
        parts.append(_score_positions(lm, states, first - 1, len(chunk) - 1, chunk[first:], sketch))
        done = start + len(chunk)
        start = done - (window - stride)  # keep window - stride tokens of context
        if done >= n:
            break
    if hasattr(bar, "close"):
        bar.close()
    nll, probs, ranks, pred, conf, zt, *sk = (np.concatenate(x) for x in zip(*parts))
    tok = lm.tokenizer
    return TextScore(
        text=text,
        ids=ids,
        spans=enc.spans,
        nll=nll,
        probs=probs,
        ranks=ranks,
        predicted=pred,
        confidence=conf,
        logits=zt,
        window=window,
        _tokens=tuple(tok.token_str(int(i)) for i in ids),
        _predicted_tokens=tuple(tok.token_str(int(i)) for i in pred),
        sketch_top=sk[0] if sk else None,
        sketch_hist=sk[1] if sk else None,
    )
