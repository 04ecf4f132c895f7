"""Gradient steps on a real unembedding: watch cross-entropy move the output rows.

The language model is frozen; its final hidden states ``h_i`` on a text are fixed. Only the
unembedding ``U`` (one row per token, ``logits = h . U^T``) learns, by full-batch gradient
descent on the mean cross-entropy of the actual next tokens. The gradient of the loss with
respect to the logits is ``p - onehot`` (:func:`geomlab.cross_entropy_grad`), so the
gradient for the row of token ``j`` is ``mean_i (p_ij - [y_i = j]) h_i``: one matrix
product ``(P - Y)^T H / n``. A token that is the answer ``c`` times is pulled toward the
contexts that preceded it ``c`` times; a token that never is only pushed away, by its own
small probabilities. So rows of frequent tokens move more: rare patterns get fewer updates.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np

from .._record import Record, format_table, to_jsonable
from ..errors import ParameterError, ShapeError

__all__ = [
    "COUNT_BANDS",
    "DEFAULT_WATCH",
    "UnembeddingTraining",
    "train_unembedding",
    "unembedding_loss_grad",
]

#: tokens whose rows and neighbors are followed by default: frequent, once, never an answer
DEFAULT_WATCH = (" the", " and", " water", " sea", " Ishmael", " whale")
#: vocabulary rows per task of a gradient step
_VOCAB_ROWS = 4096
#: bands of a token's count as an answer in the training text
COUNT_BANDS = ((0, 0, "0"), (1, 1, "1"), (2, 4, "2-4"), (5, 9, "5-9"), (10, None, "10+"))


def unembedding_loss_grad(hidden, targets, unembedding) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of next tokens and its gradient with respect to the unembedding.

    Parameters
    ----------
    hidden : array_like, shape (n, d)
        Final hidden states (after the last norm), one per prediction.
    targets : array_like of int, shape (n,)
        The actual next token at each position.
    unembedding : array_like, shape (vocab, d)
        The output rows; ``logits = hidden @ unembedding.T``.

    Returns
    -------
    loss : float
        ``mean_i -ln softmax(h_i U^T)[y_i]`` in nats, as :func:`geomlab.cross_entropy`
        computes it (to 1e-12 for float64 inputs; for float32 inputs, a model's, the
        exponentials are float32 and the sums float64: within about 1e-6 nats).
    grad : ndarray, shape (vocab, d)
        ``(P - Y)^T H / n``, the rows of ``P - Y`` as :func:`geomlab.cross_entropy_grad`
        gives them (in the inputs' precision).

    Examples
    --------
    >>> h = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> loss, g = unembedding_loss_grad(h, [0, 1], np.zeros((3, 2)))
    >>> round(loss, 4), g.shape  # uniform over 3 tokens: ln 3
    (1.0986, (3, 2))
    """
    h, y, u = _check(hidden, targets, unembedding)
    z = h @ u.T  # in the inputs' precision: float32 for a model, twice as fast
    nll = _nll_softmax(z, y, probs=True)
    return float(nll.mean()), _grad(z, y, h)


def _nll_softmax(z: np.ndarray, y: np.ndarray, *, probs: bool) -> np.ndarray:
    """``-ln softmax(z)[y]`` per row (float64), and with ``probs`` the softmax itself
    written over ``z``, in ``z``'s own precision.

    One pass over the vocabulary instead of :func:`geomlab.cross_entropy` and
    :func:`geomlab.cross_entropy_grad` (each converts the logits to float64 and takes its
    own softmax): ``-ln p_t = ln sum_j exp(z_j - max z) - (z_t - max z)``, the sum
    accumulated in float64 and ``z_t - max z`` exact in float64, so tiny ``p_t`` lose
    nothing. For float64 logits every step is the public functions' own arithmetic.
    """
    rows = np.arange(len(y))
    zmax = z.max(axis=1, keepdims=True)
    zt = z[rows, y].astype(np.float64) - zmax[:, 0].astype(np.float64)
    z -= zmax
    np.exp(z, out=z)
    total = z.sum(axis=1, keepdims=True, dtype=np.float64)
    if probs:
        z /= total.astype(z.dtype)
    return np.log(total[:, 0]) - zt


def _grad(p: np.ndarray, y: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``(P - Y)^T H / n`` from the softmax rows ``p`` (overwritten by ``P - Y``)."""
    p[np.arange(len(y)), y] -= 1
    return (p.T @ h) / len(y)


def _check(hidden, targets, unembedding):
    h, u = np.asarray(hidden), np.asarray(unembedding)
    if h.dtype.kind not in "iuf" or u.dtype.kind not in "iuf":
        raise ParameterError("hidden and unembedding must hold numbers")
    dtype = np.result_type(h, u, np.float32)
    h, u = h.astype(dtype, copy=False), u.astype(dtype, copy=False)
    y = np.asarray(targets)
    if h.ndim != 2 or u.ndim != 2 or h.shape[1] != u.shape[1]:
        raise ShapeError(
            f"hidden {h.shape} and unembedding {u.shape} must be 2-D with the "
            "same width (n, d) and (vocab, d)"
        )
    if y.shape != (h.shape[0],) or y.dtype.kind not in "iu":
        raise ShapeError(
            f"targets must be {h.shape[0]} token ids (one per hidden state), got "
            f"shape {y.shape} of {y.dtype}"
        )
    return h, y.astype(np.int64), u


def _bands(counts: np.ndarray) -> list[tuple[str, np.ndarray]]:
    top = np.iinfo(np.int64).max
    return [
        (label, (counts >= lo) & (counts <= (top if hi is None else hi)))
        for lo, hi, label in COUNT_BANDS
    ]


@dataclasses.dataclass(frozen=True, eq=False)
class UnembeddingTraining(Record):
    """Gradient descent on a model's unembedding rows, step by step.

    Attributes
    ----------
    model : str
        The GGUF file's name.
    train_tokens, held_out_tokens : int
        Predictions in the training part and in the held-out part (disjoint positions: the
        held-out part follows the training part in the text).
    train_positions, held_out_positions : tuple of int
        ``(start, stop)`` of the token positions whose next token is predicted.
    steps : int
    lr : float
        The learning rate of plain gradient descent.
    train_loss, held_out_loss : ndarray, shape (steps + 1,)
        Mean cross-entropy (nats) before each step, and after the last.
    best_step : int
        The step with the lowest held-out loss.
    counts : ndarray of int, shape (vocab,)
        How often each token is the answer in the training part.
    movement : ndarray, shape (vocab,)
        ``|U_final[j] - U_0[j]|`` for every token.
    band_movement : tuple of dict
        Per band of ``counts``: tokens, mean and median movement.
    band_curves : ndarray, shape (steps + 1, n_bands)
        Mean movement of each band after each step.
    spearman : float
        Rank correlation of ``counts`` and ``movement`` over the whole vocabulary.
    watched : tuple of dict
        For each watched token: id, count, movement, its nearest rows (cosine) before and
        after.
    watched_curves : ndarray, shape (steps + 1, n_watched)
        Movement of each watched row after each step.
    """

    model: str
    train_tokens: int
    held_out_tokens: int
    train_positions: tuple
    held_out_positions: tuple
    steps: int
    lr: float
    train_loss: np.ndarray
    held_out_loss: np.ndarray
    best_step: int
    counts: np.ndarray
    movement: np.ndarray
    band_movement: tuple
    band_curves: np.ndarray
    spearman: float
    watched: tuple
    watched_curves: np.ndarray

    @property
    def overfits(self) -> bool:
        """Held-out loss fell below its start and then rose again by the last step."""
        b = self.best_step
        return bool(
            self.held_out_loss[b] < self.held_out_loss[0]
            and self.held_out_loss[-1] > self.held_out_loss[b]
        )

    @property
    def frequent_move_more(self) -> bool:
        """Mean movement rises with every band of answer count (empty bands skipped)."""
        means = [b["mean_movement"] for b in self.band_movement if b["tokens"] > 0]
        return bool(all(a < b for a, b in itertools.pairwise(means)))

    def summary(self) -> dict:
        return {
            "model": self.model,
            "train_tokens": self.train_tokens,
            "held_out_tokens": self.held_out_tokens,
            "train_positions": list(self.train_positions),
            "held_out_positions": list(self.held_out_positions),
            "steps": self.steps,
            "lr": self.lr,
            "train_loss_start": float(self.train_loss[0]),
            "train_loss_end": float(self.train_loss[-1]),
            "held_out_loss_start": float(self.held_out_loss[0]),
            "held_out_loss_best": float(self.held_out_loss[self.best_step]),
            "held_out_loss_end": float(self.held_out_loss[-1]),
            "best_step": self.best_step,
            "overfits": self.overfits,
            "spearman": self.spearman,
            "frequent_move_more": self.frequent_move_more,
        }

    def rows(self) -> list[dict]:
        return [
            {"step": s, "train_loss": float(a), "held_out_loss": float(b)}
            for s, (a, b) in enumerate(zip(self.train_loss, self.held_out_loss))
        ]

    def to_dict(self) -> dict:
        return to_jsonable(
            {
                **self.summary(),
                "curve": self.rows(),
                "bands": list(self.band_movement),
                "band_curves": self.band_curves,
                "watched": list(self.watched),
                "watched_curves": self.watched_curves,
            }
        )

    def __str__(self) -> str:
        s = self
        head = (
            f"{s.model}: unembedding trained by gradient descent on {s.train_tokens} "
            f"predictions ({s.held_out_tokens} held out), {s.steps} steps at lr {s.lr:g}\n"
            f"train loss {s.train_loss[0]:.4f} -> {s.train_loss[-1]:.4f} nats; held-out "
            f"{s.held_out_loss[0]:.4f} -> best {s.held_out_loss[s.best_step]:.4f} at step "
            f"{s.best_step} -> {s.held_out_loss[-1]:.4f}"
            f"{' (over-fitted)' if s.overfits else ''}\n"
            f"row movement by answer count (Spearman {s.spearman:.3f}):"
        )
        watched = [
            {
                "token": w["token"],
                "count": w["count"],
                "movement": w["movement"],
                "before": " ".join(repr(t) for t in w["neighbors_before"][:3]),
                "after": " ".join(repr(t) for t in w["neighbors_after"][:3]),
            }
            for w in s.watched
        ]
        return "\n".join(
            [head, format_table(list(s.band_movement)), "watched rows:", format_table(watched)]
        )


def _split(lm, text, tokens: int, held_out: int, hidden=None):
    """Hidden states and next tokens of the training and held-out predictions, and the
    prediction positions of each (position ``i`` predicts token ``i + 1``). ``hidden``:
    the text's first states, already computed (the model is not run)."""
    ids = lm.encode(text)
    need = tokens + held_out + 1
    if len(ids) < need:
        raise ParameterError(
            f"the text has {len(ids)} tokens; tokens={tokens} and "
            f"held_out={held_out} need {need}: pass a longer text or ask "
            "for fewer"
        )
    if need > lm.config.context_length:
        raise ParameterError(
            f"tokens + held_out + 1 = {need} exceeds the model's context "
            f"of {lm.config.context_length}"
        )
    ids = ids[:need]
    if hidden is None:
        hidden = lm.forward(ids, logits="none").hidden
    else:  # only the states of the predicting positions are read
        from ..lm.analysis import _check_hidden

        hidden = _check_hidden(lm, hidden, need - 1)
    hidden = np.asarray(hidden, dtype=np.float32)
    train = np.arange(tokens)
    held = np.arange(tokens, tokens + held_out)
    return (hidden[train], ids[train + 1]), (hidden[held], ids[held + 1]), (train, held)


def _watch_ids(lm, watch) -> list[tuple[str, int]]:
    out = []
    for tok in watch:
        ids = lm.encode(tok)
        if len(ids) != 1:
            raise ParameterError(
                f"watch token {tok!r} is {len(ids)} tokens for this model; "
                "name single tokens (mind the leading space: ' whale')"
            )
        out.append((tok, int(ids[0])))
    return out


def _dual_is_cheaper(n_all: int, n_tr: int, d: int) -> bool:
    """Whether a step in the dual form (``n_all x n_tr`` multiply-adds per vocabulary row)
    costs less than in the primal form (``(n_all + n_tr) x d``): for the report's 768 and
    512 predictions of a 576-wide model, about half; for long texts the primal form."""
    return n_all * n_tr < (n_all + n_tr) * d


class _Descent:
    """What both forms of the descent share: the inputs, and each block of rows' logits
    (written into ``z`` by :meth:`_logits`) read off as losses, and for training rows
    the softmax, right away."""

    def __init__(self, h_all, h_tr, u0, z, nll, y_all, moved, c):
        self.h_all, self.h_tr, self.u0, self.z, self.nll = h_all, h_tr, u0, z, nll
        self.y_all, self.moved, self.c = y_all, moved, c
        self.n_tr = len(h_tr)

    def start(self, lo, hi):
        """Work on a block of rows before the first step (none by default)."""

    def logits(self, lo, hi, train, probs):
        z = self.z[lo:hi]
        self._logits(lo, hi, z)
        self.nll[lo:hi] = _nll_softmax(z, self.y_all[lo:hi], probs=train and probs)


class _primal(_Descent):
    """The descent on the rows themselves: each step the logits ``H_all U^T``, then the
    gradient ``(P - Y)^T H_tr / n`` and the update of ``U``, a block of rows at a time."""

    def __init__(self, *args):
        super().__init__(*args)
        self.u = self.u0.copy()

    def _logits(self, lo, hi, z):
        np.matmul(self.h_all[lo:hi], self.u.T, out=z)

    def update(self, lo, hi):
        grad = self.z[: self.n_tr, lo:hi].T @ self.h_tr  # (P - Y)^T H for these rows
        grad *= self.c
        u = self.u[lo:hi]
        u -= grad
        d = u - self.u0[lo:hi]
        self.moved[lo:hi] = np.sqrt(np.einsum("ij,ij->i", d, d))

    def rows(self, run, cols):
        return self.u


class _dual(_Descent):
    """The same descent in its dual form, on the logits.

    The rows move only along the training states: ``U_t = U_0 - c A_t^T H_tr``, with
    ``c = lr / n`` and ``A_t`` the sum of the steps' ``P - Y`` (n x vocab). So the logits
    of any state ``h`` move by ``-c (h . H_tr^T) A_t``, and with ``K = H_all H_tr^T``
    (every predicting state against the training states) a step moves every logit by one
    product, ``D <- D - c K (P - Y)``, instead of recomputing the logits from ``U`` and
    forming the gradient. A row's movement is read off the same arrays:
    ``|U_t[j] - U_0[j]|^2 = c^2 a^T K_tr a`` for its column ``a`` of ``A_t``, and the
    training rows of ``D`` are ``-c K_tr A_t``. The rows themselves are formed once, at the
    end.

    Measured on the report's run (512 + 256 predictions, 10 steps), two runs each
    interleaved with the primal form: 11.1 and 11.6 s of CPU (5.9 and 6.1 s wall) against
    18.8 and 15.7 s (10.6 and 8.2 s). The losses agree with the primal form's to 5e-7
    nats, and both forms with a float64 descent (tests/test_training.py). The primal form
    in float32 loses the smallest moves to the rounding of ``U`` itself (a row never the
    answer moves by less than an ulp a step); this one keeps them.
    """

    def __init__(self, *args):
        super().__init__(*args)
        self.kern = self.h_all @ self.h_tr.T  # (n_all, n_tr)
        self.z0 = np.empty_like(self.z)  # the logits under U_0
        self.d = np.zeros_like(self.z)  # their movement, D
        self.a = np.zeros((self.n_tr, self.z.shape[1]), dtype=np.float32)  # A

    def start(self, lo, hi):
        np.matmul(self.h_all[lo:hi], self.u0.T, out=self.z0[lo:hi])

    def _logits(self, lo, hi, z):
        np.add(self.z0[lo:hi], self.d[lo:hi], out=z)

    def update(self, lo, hi):
        pmy = self.z[: self.n_tr, lo:hi]  # P - Y
        a = self.a[:, lo:hi]
        a += pmy
        delta = self.kern @ pmy
        delta *= self.c
        d = self.d[:, lo:hi]
        d -= delta
        # c^2 a^T K_tr a = -c sum_i a_i D_i over the training rows (>= 0 but for rounding)
        q = np.einsum("ij,ij->j", a, d[: self.n_tr], dtype=np.float64)
        self.moved[lo:hi] = np.sqrt(np.maximum(-float(self.c) * q, 0.0))

    def rows(self, run, cols):
        u = self.u0.copy()

        def after(lo, hi):
            u[lo:hi] -= self.c * (self.a[:, lo:hi].T @ self.h_tr)

        run(after, cols)
        return u


def train_unembedding(
    lm,
    text: str | None = None,
    *,
    tokens: int = 512,
    held_out: int = 256,
    steps: int = 15,
    lr: float = 0.02,
    watch: Sequence[str] | None = DEFAULT_WATCH,
    k: int = 5,
    progress: bool | None = None,
    hidden=None,
) -> UnembeddingTraining:
    """Fit a frozen model's unembedding rows to a text by gradient descent on cross-entropy.

    The model runs once over the text; its final hidden states stay fixed. Starting from
    the model's own unembedding ``U_0``, each step computes the logits of the training
    predictions, their cross-entropy and its gradient ``(P - Y)^T H / n``
    (:func:`unembedding_loss_grad`), and moves every row: ``U <- U - lr * grad``. The
    held-out predictions are scored at every step and never trained on. (The arithmetic
    runs in the dual form, on the logits: the same descent, in about half the products.)

    Parameters
    ----------
    lm : LanguageModel
    text : str, optional
        The text (default: chapter 1 of the shipped corpus, :func:`geomlab.lm.calibration.corpus`).
    tokens : int
        Training predictions: the first ``tokens`` next-token predictions of the text.
    held_out : int
        Held-out predictions: the ``held_out`` positions right after the training ones.
    steps : int
        Gradient steps (full batch).
    lr : float
        Learning rate (> 0). The default over-fits visibly within 15 steps on the default
        text; much larger rates diverge (the hidden states have norms near 40).
    watch : sequence of str, optional
        Tokens whose movement and nearest rows are recorded (single tokens of the model).
    k : int
        Nearest rows shown per watched token, before and after.
    progress : bool, optional
        Progress bar over the steps (default: on a terminal).
    hidden : array_like, shape (m, d_model), optional
        The final hidden states of the text's first ``m >= tokens + held_out`` tokens,
        already computed (``lm.forward(ids, logits="none").hidden`` over those tokens or
        any longer prefix of the text: the model is causal): the model is then not run.
        The report passes the states of the first window its calibration section scores.

    Returns
    -------
    UnembeddingTraining

    Examples
    --------
    >>> lm = geomlab.load_lm()                                    # doctest: +SKIP
    >>> r = geomlab.train_unembedding(lm, steps=10)               # doctest: +SKIP
    >>> r.train_loss[-1] < r.train_loss[0]                        # doctest: +SKIP
    True
    """
    from .._progress import progress as bar
    from .._validation import check_int
    from ..lm.analysis import _check_lm
    from ..lm.model import _ROWS, _task_runner

    lm = _check_lm(lm)
    tokens = check_int(tokens, "tokens")
    held_out = check_int(held_out, "held_out")
    steps = check_int(steps, "steps")
    k = check_int(k, "k")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
        raise ParameterError(f"lr must be a positive finite number, got {lr!r}")
    if text is None:
        from ..lm.calibration import corpus

        text = corpus()["moby_dick_ch1"]
    if not isinstance(text, str):
        raise ParameterError(f"text must be a str, got {type(text).__name__}")
    watched_ids = _watch_ids(lm, watch or ())

    with lm.threads():
        (h_tr, y_tr), (h_te, y_te), (pos_tr, pos_te) = _split(lm, text, tokens, held_out, hidden)
        u0 = np.asarray(lm.unembedding, dtype=np.float32)  # read, never written
        counts = np.bincount(y_tr, minlength=u0.shape[0])
        bands = _bands(counts)
        sel = np.array([w for _, w in watched_ids], dtype=np.int64)
        train_loss, held_loss, band_curves, watched_curves = [], [], [], []

        n_tr, n_all, vocab = len(y_tr), len(y_tr) + len(y_te), u0.shape[0]
        h_all, y_all = np.concatenate([h_tr, h_te]), np.concatenate([y_tr, y_te])
        z = np.empty((n_all, vocab), dtype=np.float32)  # the logits, then the softmax
        p = z[:n_tr]  # the training rows' softmax, then P - Y
        nll, moved = np.empty(n_all), np.zeros(vocab)  # moved: |U_t - U_0| per row
        rows = [(lo, min(n_tr, lo + _ROWS), True) for lo in range(0, n_tr, _ROWS)]
        rows += [(lo, min(n_all, lo + _ROWS), False) for lo in range(n_tr, n_all, _ROWS)]
        cols = [(lo, min(vocab, lo + _VOCAB_ROWS)) for lo in range(0, vocab, _VOCAB_ROWS)]
        # Each step: the training and held-out rows' logits, a block of rows per task,
        # each block's losses (and for training rows the softmax, over the logits) read
        # off right away; then per block of vocabulary rows the update and the rows'
        # movement. Tasks on the model's thread pool, BLAS on one thread (see
        # LanguageModel._forward): every figure is its own row's or token's arithmetic.
        form = (_dual if _dual_is_cheaper(n_all, n_tr, h_tr.shape[1]) else _primal)(
            h_all, h_tr, u0, z, nll, y_all, moved, np.float32(lr / n_tr)
        )

        def step(run, last: bool):
            run(form.logits, [(lo, hi, train, not last) for lo, hi, train in rows])
            train_loss.append(float(nll[:n_tr].mean()))
            held_loss.append(float(nll[n_tr:].mean()))
            band_curves.append(
                [float(moved[m].mean()) if m.any() else float("nan") for _, m in bands]
            )
            watched_curves.append(moved[sel].copy())
            if not last:
                p[np.arange(n_tr), y_tr] -= 1
                run(form.update, cols)

        with _task_runner(parallel=True) as run:
            run(form.start, [(lo, hi) for lo, hi, _ in rows])
            for _ in bar(range(steps), desc="unembedding", enabled=progress, unit="step"):
                step(run, last=False)
            step(run, last=True)
            u = form.rows(run, cols)  # the rows after the descent

    movement = moved
    from scipy.stats import spearmanr

    band_rows = tuple(
        {
            "band": label,
            "tokens": int(m.sum()),
            "mean_movement": float(movement[m].mean()) if m.any() else float("nan"),
            "median_movement": float(np.median(movement[m])) if m.any() else float("nan"),
        }
        for label, m in bands
    )
    words, n0, n1 = lm.embeddings.words, _row_norms(u0), _row_norms(u)
    watched = tuple(
        {
            "token": tok,
            "id": i,
            "count": int(counts[i]),
            "movement": float(movement[i]),
            "neighbors_before": _nearest_rows(words, u0, n0, i, k),
            "neighbors_after": _nearest_rows(words, u, n1, i, k),
        }
        for tok, i in watched_ids
    )
    held = np.array(held_loss)
    return UnembeddingTraining(
        model=lm.path.name,
        train_tokens=tokens,
        held_out_tokens=held_out,
        train_positions=(int(pos_tr[0]), int(pos_tr[-1]) + 1),
        held_out_positions=(int(pos_te[0]), int(pos_te[-1]) + 1),
        steps=steps,
        lr=float(lr),
        train_loss=np.array(train_loss),
        held_out_loss=held,
        best_step=int(np.argmin(held)),
        counts=counts,
        movement=movement,
        band_movement=band_rows,
        band_curves=np.array(band_curves),
        spearman=float(spearmanr(counts, movement).statistic),
        watched=watched,
        watched_curves=np.array(watched_curves).reshape(len(train_loss), len(watched_ids)),
    )


def _nearest_rows(words, u: np.ndarray, norms: np.ndarray, i: int, k: int) -> list[str]:
    cos = (u @ u[i]) / (norms * max(float(norms[i]), 1e-30))
    cos[i] = -np.inf
    top = np.argpartition(-cos, k)[:k]
    top = top[np.lexsort((top, -cos[top]))]
    return [words[j] for j in top]


def _row_norms(u: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", u, u))
    norms[norms == 0] = 1.0
    return norms
