"""Inside the model: where preference forms (logit lens) and where each head looks (attention).

The logit lens reads the residual stream after every block as if it were the last one:
through the final RMSNorm and the unembedding. At the last block this *is* the model's
output; earlier, it shows the preference forming layer by layer.

``attention_map`` returns a block's attention weights together with the scaled dot
products ``Q K^T / sqrt(d)`` recomputed from the block's own queries and keys, so the seeds'
formula can be checked on a real head: the weights are ``softmax`` of those scores.
"""

from __future__ import annotations

import dataclasses
from numbers import Integral

import numpy as np

from .._record import Record, format_table
from ..errors import ParameterError
from ..scoring.losses import entropy
from ..scoring.softmax import log_softmax, softmax
from .analysis import _check_lm, _check_text
from .model import _F32, LanguageModel, _rmsnorm, _task_runner

__all__ = ["AttentionMap", "LogitLens", "attention_map", "logit_lens"]


@dataclasses.dataclass(frozen=True, eq=False)
class LogitLens(Record):
    """The residual stream after every block, read through the final norm and unembedding.

    Arrays are indexed ``[layer, position]``; layer 0 is the token embedding itself, layer
    ``L`` the stream after block ``L`` (the last is the model's own output).

    Attributes
    ----------
    text : str
    tokens : tuple of str
        The text's tokens.
    top_ids : ndarray of int64, shape (L + 1, T)
        The most probable next token at each layer and position.
    top_probs, entropy : ndarray, shape (L + 1, T)
        Its probability; the entropy of the distribution (nats).
    final_ids : ndarray, shape (T,)
        The token the model finally predicts at each position.
    final_ranks, final_probs : ndarray, shape (L + 1, T)
        Rank (1 = top) and probability of that final prediction at every layer.
    next_ranks, next_probs : ndarray, shape (L + 1, T - 1)
        Rank and probability of the actual next token of the text.
    """

    text: str
    tokens: tuple
    top_ids: np.ndarray = dataclasses.field(repr=False)
    top_tokens: tuple = dataclasses.field(repr=False)
    top_probs: np.ndarray = dataclasses.field(repr=False)
    entropy: np.ndarray = dataclasses.field(repr=False)
    final_ids: np.ndarray = dataclasses.field(repr=False)
    final_ranks: np.ndarray = dataclasses.field(repr=False)
    final_probs: np.ndarray = dataclasses.field(repr=False)
    next_ranks: np.ndarray = dataclasses.field(repr=False)
    next_probs: np.ndarray = dataclasses.field(repr=False)

    @property
    def n_layers(self) -> int:
        return self.top_ids.shape[0] - 1

    def first_layer(self, position: int = -1) -> int:
        """The first layer from which the final prediction stays on top at ``position``."""
        ranks = self.final_ranks[:, position]
        not_top = np.flatnonzero(ranks != 1)
        return 0 if not_top.size == 0 else int(not_top[-1]) + 1

    def plot(self, ax=None):
        """Top token and its probability per block and position, and the entropy at the
        last position by block (two axes); returns the figure (or the given axes)."""
        from ..plots import logit_lens_map

        return logit_lens_map(
            {
                "lens": {
                    "tokens": list(self.tokens),
                    "top_tokens": [list(r) for r in self.top_tokens],
                    "top_probs": self.top_probs.tolist(),
                    "entropy": self.entropy.tolist(),
                    "first_layer": self.first_layer(),
                }
            },
            ax=ax,
        )

    def rows(self) -> list[dict]:
        """One row per layer, at the last position."""
        return [
            {
                "layer": layer,
                "top_token": self.top_tokens[layer][-1],
                "top_prob": float(self.top_probs[layer, -1]),
                "entropy": float(self.entropy[layer, -1]),
                "final_rank": int(self.final_ranks[layer, -1]),
                "final_prob": float(self.final_probs[layer, -1]),
            }
            for layer in range(self.n_layers + 1)
        ]

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "tokens": list(self.tokens),
            "final_tokens": [self.top_tokens[-1][t] for t in range(len(self.tokens))],
            "first_layer_of_final_prediction": self.first_layer(),
            "layers": self.rows(),
            "top_tokens": [list(r) for r in self.top_tokens],
            "top_probs": self.top_probs,
            "entropy": self.entropy,
            "final_ranks": self.final_ranks,
            "next_ranks": self.next_ranks,
        }

    def __str__(self) -> str:
        final = self.top_tokens[-1][-1]
        return (
            f"logit lens of {self.text!r} ({len(self.tokens)} tokens), last position: "
            f"the final prediction {final!r} is on top from layer "
            f"{self.first_layer()} of {self.n_layers}\n" + format_table(self.rows())
        )


#: rows of logits per unembedding pass of the logit lens (about 50 MB of float32)
_LENS_ROWS = 256


def _lens_logits(lm: LanguageModel, fwd, layers):
    """``(layer, logits)`` for each of ``layers``: the stream after that block through the
    final norm and the unembedding, several layers' rows in one product: each product
    reads the 113 MB unembedding once (the lens of a 5-token prompt took 1.7 s of CPU
    with one product per layer, 0.7 s with two: the last block, then the other 30 (their
    logits move only by float32 rounding, their probabilities by 3e-6 at most)."""
    T = fwd.hidden.shape[0]
    last = fwd.residuals.shape[0] - 1
    layers = list(layers)
    per = max(1, _LENS_ROWS // T)
    # the last block alone, as the forward pass takes it: its logits are the model's own
    # bit for bit
    groups = [[x] for x in layers if x == last]
    rest = [x for x in layers if x != last]
    groups += [rest[g : g + per] for g in range(0, len(rest), per)]
    for group in groups:
        z = lm._unembed(
            np.concatenate(
                [fwd.hidden if x == last else lm.final_norm(fwd.residuals[x]) for x in group]
            )
        )
        for j, layer in enumerate(group):
            yield layer, z[j * T : (j + 1) * T]


def logit_lens(lm: LanguageModel, text: str) -> LogitLens:
    """Read the residual stream after every block as the model's output would read it.

    Parameters
    ----------
    lm : LanguageModel
    text : str

    Returns
    -------
    LogitLens
        Per layer and position: top token, its probability, entropy, and the rank and
        probability of the final prediction and of the actual next token.

    Examples
    --------
    >>> import geomlab
    >>> lm = geomlab.load_lm()
    >>> lens = geomlab.logit_lens(lm, "The capital of France is")
    >>> lens.top_tokens[-1][-1], lens.first_layer()   # ' Paris' is first only at the end
    (' Paris', 30)
    """
    lm = _check_lm(lm)
    text = _check_text(text)
    ids = lm.encode(text)
    if len(ids) > 1024:
        raise ParameterError(
            f"the text is {len(ids)} tokens; the lens keeps (layers x "
            "tokens x vocabulary) figures: use at most 1,024 tokens"
        )
    fwd = lm.forward(ids, residuals=True, logits="none")
    n_layers, T = fwd.residuals.shape[0], len(ids)
    shape = (n_layers, T)
    top_ids = np.zeros(shape, np.int64)
    top_p, ent, fr, fp = (np.zeros(shape) for _ in range(4))
    nr, npb = np.zeros((n_layers, T - 1), np.int64), np.zeros((n_layers, T - 1))
    rows = np.arange(T)
    final_ids = None
    order = range(n_layers - 1, -1, -1)  # the last first: it defines the final ids
    for layer, z in _lens_logits(lm, fwd, order):
        logp = log_softmax(z.astype(np.float64))
        top = logp.argmax(axis=1)
        if final_ids is None:
            final_ids = top
        top_ids[layer], top_p[layer] = top, np.exp(logp[rows, top])
        ent[layer] = entropy(np.exp(logp))
        lf = logp[rows, final_ids]
        fr[layer], fp[layer] = 1 + (logp > lf[:, None]).sum(axis=1), np.exp(lf)
        if T > 1:
            ln = logp[rows[:-1], ids[1:]]
            nr[layer], npb[layer] = 1 + (logp[:-1] > ln[:, None]).sum(axis=1), np.exp(ln)
    tok = lm.tokenizer
    return LogitLens(
        text=text,
        tokens=tuple(tok.token_str(int(i)) for i in ids),
        top_ids=top_ids,
        top_tokens=tuple(tuple(tok.token_str(int(i)) for i in r) for r in top_ids),
        top_probs=top_p,
        entropy=ent,
        final_ids=final_ids,
        final_ranks=fr.astype(np.int64),
        final_probs=fp,
        next_ranks=nr,
        next_probs=npb,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class AttentionMap(Record):
    """One block's attention: weights, the scores they come from, and per-head figures.

    Attributes
    ----------
    text : str
    tokens : tuple of str
    layer : int
    heads : tuple of int
        The query heads shown (all by default).
    weights : ndarray, shape (len(heads), T, T)
        Row ``i`` is how position ``i`` spreads its attention over positions ``0..i``.
    scores : ndarray, shape (len(heads), T, T)
        ``q_i . k_j / sqrt(d)`` from the block's own (rotated) queries and keys; ``-inf``
        where ``j > i`` (causal).
    max_difference : float
        ``max |softmax(scores) - weights|`` over all heads: the seeds' formula against
        the model's own pass.
    """

    text: str
    tokens: tuple
    layer: int
    heads: tuple
    weights: np.ndarray = dataclasses.field(repr=False)
    scores: np.ndarray = dataclasses.field(repr=False)
    max_difference: float

    @property
    def entropy(self) -> np.ndarray:
        """Mean entropy (nats) of each head's rows: low = focused, high = spread out."""
        w = self.weights.astype(np.float64)
        h = -(w * np.log(np.where(w > 0, w, 1.0))).sum(axis=-1)
        return h.mean(axis=-1)

    @property
    def focus(self) -> np.ndarray:
        """For each head and position, the position it attends to most, shape (heads, T)."""
        return self.weights.argmax(axis=-1)

    def plot(self, ax=None):
        """One heat map per head (query rows, key columns); returns the figure (or the
        given axes, one per head)."""
        from ..plots import attention_heads

        return attention_heads(
            {
                "attention": {
                    "tokens": list(self.tokens),
                    "weights": self.weights.tolist(),
                    "entropy": self.entropy.tolist(),
                }
            },
            ax=ax,
        )

    def rows(self) -> list[dict]:
        last = len(self.tokens) - 1
        return [
            {
                "head": h,
                "mean_entropy": float(self.entropy[i]),
                "last_attends_to": self.tokens[int(self.focus[i, last])],
                "weight": float(self.weights[i, last, self.focus[i, last]]),
            }
            for i, h in enumerate(self.heads)
        ]

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "tokens": list(self.tokens),
            "layer": self.layer,
            "heads": list(self.heads),
            "max_difference": self.max_difference,
            "per_head": self.rows(),
            "weights": self.weights,
        }

    def __str__(self) -> str:
        return (
            f"block {self.layer} attention over {len(self.tokens)} tokens; "
            f"max |softmax(QK^T/sqrt(d)) - weights| = {self.max_difference:.2e}\n"
            + format_table(self.rows())
        )


def attention_map(
    lm: LanguageModel, text: str, *, layer: int, head: int | None = None
) -> AttentionMap:
    """A block's attention weights, recomputed from its own queries and keys.

    Parameters
    ----------
    lm : LanguageModel
    text : str
    layer : int
        The block, ``0 <= layer < n_layers``.
    head : int, optional
        One query head (``0 <= head < n_heads``); default: all.

    Returns
    -------
    AttentionMap

    Examples
    --------
    >>> import numpy as np, geomlab
    >>> lm = geomlab.load_lm()
    >>> att = geomlab.attention_map(lm, "The capital of France is Paris", layer=5)
    >>> att.weights.shape                      # 9 query heads, 6 x 6 tokens
    (9, 6, 6)
    >>> bool(np.allclose(att.weights.sum(axis=-1), 1)), att.max_difference < 1e-5
    (True, True)
    """
    lm = _check_lm(lm)
    text = _check_text(text)
    c = lm.config
    if isinstance(layer, bool) or not isinstance(layer, Integral) or not 0 <= layer < c.n_layers:
        raise ParameterError(f"layer must be an integer in [0, {c.n_layers}), got {layer!r}")
    if head is not None and (
        isinstance(head, bool) or not isinstance(head, Integral) or not 0 <= head < c.n_heads
    ):
        raise ParameterError(f"head must be an integer in [0, {c.n_heads}), got {head!r}")
    ids = lm.encode(text)
    if len(ids) > 2048:
        raise ParameterError(
            f"the text is {len(ids)} tokens; attention maps are T x T per "
            "head: use at most 2,048 tokens"
        )
    fwd = lm.forward(ids, residuals=True, attentions=[layer], logits="none")
    # the block's queries and keys, from the stream entering it
    T, hd = len(ids), c.head_dim
    h = _rmsnorm(fwd.residuals[layer], lm.weights[f"blk.{layer}.attn_norm.weight"], lm._eps)
    cos, sin = lm._rope(np.arange(T))
    # the block's query and key rows (stored fused with the values), in one product run as
    # the forward pass runs it (BLAS on one thread): float32 rounds a product by its shape
    d, kd = c.d_model, c.n_kv_heads * hd
    with _task_runner(parallel=True):
        qkv = h @ lm.weights[f"blk.{layer}.attn_qkv"].T
    q, k = qkv[:, :d], qkv[:, d : d + kd]
    q = lm._apply_rope(q.reshape(T, -1, hd), cos, sin)
    k = lm._apply_rope(k.reshape(T, -1, hd), cos, sin)
    heads = tuple(range(c.n_heads)) if head is None else (int(head),)
    causal = np.triu(np.ones((T, T), dtype=bool), k=1)
    scores = np.stack([(q[:, j] @ k[:, j // c.group].T) / _F32(np.sqrt(hd)) for j in heads])
    scores[:, causal] = -np.inf
    weights = fwd.attentions[layer][list(heads)]
    # geomlab's softmax over the allowed keys (masked cells are left out, not -inf)
    recomputed = softmax(
        np.where(causal, 0.0, scores.astype(np.float64)),
        mask=np.broadcast_to(~causal, scores.shape),
    )
    return AttentionMap(
        text=text,
        tokens=tuple(lm.tokenizer.token_str(int(i)) for i in ids),
        layer=int(layer),
        heads=heads,
        weights=weights,
        scores=scores,
        max_difference=float(np.abs(recomputed - weights).max()),
    )
