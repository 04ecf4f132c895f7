"""Text generation from the language model: sampling one token at a time with a KV cache.

Each step is the same chain the rest of :mod:`geomlab.lm` opens up: hidden state times
unembedding gives logits, ``softmax(logits / T)`` (optionally cut to the top ``k`` or the
nucleus ``p``) gives the distribution, and one token is drawn from it.
"""

from __future__ import annotations

import dataclasses
from numbers import Real

import numpy as np

from .._record import Record
from .._validation import check_int
from ..errors import ParameterError
from .analysis import _check_lm, _check_text
from .model import KVCache, LanguageModel

__all__ = ["Generation", "generate"]


@dataclasses.dataclass(frozen=True, eq=False)
class Generation(Record):
    """Text the model wrote, token by token.

    Attributes
    ----------
    prompt : str
    text : str
        The continuation only.
    ids : ndarray of int64
        The generated tokens.
    probs : ndarray
        The probability each chosen token had when it was drawn (after temperature and
        truncation).
    temperature, top_k, top_p, seed
        How it was drawn (``temperature=0``: greedy).
    stopped : str
        ``"max_tokens"`` or ``"eos"``.
    """

    prompt: str
    text: str
    ids: np.ndarray = dataclasses.field(repr=False)
    probs: np.ndarray = dataclasses.field(repr=False)
    temperature: float
    top_k: int | None
    top_p: float | None
    seed: int | None
    stopped: str
    _tokens: tuple = dataclasses.field(repr=False, default=())

    def rows(self) -> list[dict]:
        return [
            {"step": i + 1, "id": int(t), "token": s, "prob": float(p)}
            for i, (t, s, p) in enumerate(zip(self.ids, self._tokens, self.probs))
        ]

    def to_dict(self) -> dict:
        return {
            "prompt": self.prompt,
            "text": self.text,
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "seed": self.seed,
            "stopped": self.stopped,
            "tokens": self.rows(),
        }

    def __str__(self) -> str:
        return self.prompt + self.text


def generate(
    lm: LanguageModel,
    text: str,
    *,
    max_tokens: int = 32,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = 0,
    stop_at_eos: bool = True,
) -> Generation:
    """Continue ``text`` with tokens drawn from the model, reproducibly.

    Each step runs only the new token through the model (a KV cache keeps the keys and
    values of the earlier ones) and draws with :func:`geomlab.sample`.

    Parameters
    ----------
    lm : LanguageModel
    text : str
        The prompt.
    max_tokens : int
        At most this many new tokens.
    temperature : float
        ``T > 0`` draws from ``softmax(logits / T)``; ``0`` takes the most probable token
        every time (greedy).
    top_k : int, optional
        Draw only among the ``k`` most probable tokens.
    top_p : float, optional
        Draw only from the smallest set of most probable tokens whose mass reaches
        ``p`` (``0 < p <= 1``); with ``top_k`` too, within those ``k``.
    seed : int, optional
        The same seed gives the same text.
    stop_at_eos : bool
        Stop after an end-of-sequence token.

    Returns
    -------
    Generation

    Examples
    --------
    >>> import geomlab
    >>> lm = geomlab.load_lm()
    >>> geomlab.generate(lm, "Once upon a time", max_tokens=8, temperature=0).text
    ', the city of Nova Haven was a'
    """
    from ..scoring.sampling import _check_seed

    lm = _check_lm(lm)
    text = _check_text(text)
    max_tokens = check_int(max_tokens, "max_tokens")
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, Real)
        or not (temperature == 0 or np.isfinite(temperature) and temperature > 0)
    ):
        raise ParameterError(
            f"temperature must be positive and finite (or 0 for greedy), got {temperature!r}"
        )
    if top_k is not None:
        top_k = check_int(top_k, "top_k")
    if top_p is not None and (
        isinstance(top_p, bool) or not isinstance(top_p, Real) or not 0 < top_p <= 1
    ):
        raise ParameterError(f"top_p must be in (0, 1], got {top_p!r}")
    seed = _check_seed(seed)
    rng = np.random.default_rng(seed)
    ids = lm.encode(text)
    total = len(ids) + max_tokens
    if total > lm.config.context_length:
        raise ParameterError(
            f"{len(ids)} prompt tokens + {max_tokens} new ones exceed the "
            f"model's context of {lm.config.context_length}"
        )
    with lm.threads():
        return _generate(
            lm, text, ids, total, max_tokens, temperature, top_k, top_p, seed, rng, stop_at_eos
        )


def _generate(
    lm, text, ids, total, max_tokens, temperature, top_k, top_p, seed, rng, stop_at_eos
) -> Generation:
    from ..scoring.sampling import sample

    cache = KVCache.empty(lm.config, total)
    logits = lm.forward(ids, cache=cache, logits="last").logits[0]
    eos = {i for i in (lm.tokenizer.special.get("eos"), 0) if i is not None}
    out, probs, stopped = [], [], "max_tokens"
    for step in range(max_tokens):
        z = logits.astype(np.float64)
        mask = None
        if top_k is not None and top_k < len(z):
            keep = np.argpartition(-z, top_k - 1)[:top_k]
            mask = np.zeros(len(z), dtype=bool)
            mask[keep] = True
        if temperature == 0:
            s = sample(z, method="greedy", mask=mask)
            p = 1.0
        else:
            method = "top_p" if top_p is not None else "temperature"
            s = sample(
                z, method=method, temperature=float(temperature), p=top_p, seed=rng, mask=mask
            )
            probs_all = _truncated_probs(z, float(temperature), mask, top_p)
            p = float(probs_all[s.indices[0]])
        t = int(s.indices[0])
        out.append(t)
        probs.append(p)
        if stop_at_eos and t in eos:
            stopped = "eos"
            break
        if step + 1 < max_tokens:
            logits = lm.forward([t], cache=cache, logits="last").logits[0]
    tok = lm.tokenizer
    new = np.asarray(out, dtype=np.int64)
    full = tok.decode(np.concatenate([ids, new]))
    prompt_text = tok.decode(ids)
    return Generation(
        prompt=text,
        text=full[len(prompt_text) :],
        ids=new,
        probs=np.asarray(probs),
        temperature=float(temperature),
        top_k=top_k,
        top_p=top_p,
        seed=seed if isinstance(seed, int) else None,
        stopped=stopped,
        _tokens=tuple(tok.token_str(int(i)) for i in new),
    )


def _truncated_probs(z, temperature, mask, top_p):
    """The distribution a draw came from (after top-k mask and nucleus truncation)."""
    from ..scoring.sampling import _truncate
    from ..scoring.softmax import softmax

    probs = softmax(z, temperature=temperature, mask=mask)
    return _truncate(probs, "top_p", None, top_p) if top_p is not None else probs
