"""Preference: geometry becomes preference.

A query vector scores every candidate word by dot product (or cosine); softmax at a
temperature turns the scores into a distribution; a target word gets its rank, probability
and cross-entropy. With the embedded GloVe, ``"france"`` scores ``paris`` 26.6 against
16.8-19.6 for the other European capitals, and at ``T = 1`` the exponential turns that lead
into ``p(paris) > 0.99``.
"""

from __future__ import annotations

import dataclasses
import html
from functools import cached_property

import numpy as np

from .._record import Record, format_table
from .._validation import check_int, check_metric, check_temperature
from ..embeddings import accepts_gensim
from ..errors import ParameterError
from ..scoring.losses import entropy
from ..scoring.softmax import log_softmax
from ..scoring.sweep import TemperatureSweep, sweep_logits
from ._topk import topk_rows
from .queries import resolve, vector

__all__ = ["Preference", "preference"]

_BAR_WIDTH = 24
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _bar(p: float, width: int = _BAR_WIDTH) -> str:
    """A horizontal bar of ``p * width`` cells, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, p)) * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[rest] if rest else "")).rstrip()


def _query_text(query) -> str:
    if isinstance(query, str):
        return query
    if (
        isinstance(query, (tuple, list))
        and len(query) == 3
        and all(isinstance(w, str) for w in query)
    ):
        a, b, c = query
        return f"{b} - {a} + {c}"
    return "<vector>"


@dataclasses.dataclass(frozen=True, eq=False)
class Preference(Record):
    """A query's softmax distribution over candidate words.

    Attributes
    ----------
    query : str, tuple or ndarray
        The query as given: a word, an expression, an analogy ``(a, b, c)`` (read as
        ``b - a + c``) or a vector.
    words : tuple of str
        The candidates, in the order given; the whole vocabulary (in row order) when no
        candidates were given.
    logits : ndarray, shape (len(words),), float64
        The scores (dot products or cosines) before the temperature is applied. Excluded
        candidates keep their score but get probability 0.
    temperature : float
        ``T``: the probabilities are ``softmax(logits / T)``.
    metric : str
        ``"dot"`` or ``"cosine"``.
    target : str or None
        The expected word, when one was given.
    excluded : tuple of str
        Words left out of the distribution (probability exactly 0).
    mask : ndarray of bool or None
        True where a candidate takes part; None when none is excluded.
    top : int
        How many of the best candidates the table shows.

    The derived figures (``probs``, ``entropy``, ``target_rank``, ...) are computed on first
    use. The record keeps the full arrays (for the whole vocabulary: 400,000 scores, 3 MB),
    so any word's probability can be asked for later, but it prints and exports only the
    ``top`` best rows (and the target's row).
    """

    query: object
    words: tuple[str, ...]
    logits: np.ndarray = dataclasses.field(repr=False)
    temperature: float
    metric: str
    target: str | None = None
    excluded: tuple[str, ...] = ()
    mask: np.ndarray | None = dataclasses.field(default=None, repr=False)
    top: int = 10

    # -- the distribution ------------------------------------------------------------------
    @cached_property
    def log_probs(self) -> np.ndarray:
        """``ln softmax(logits / T)``; ``-inf`` for excluded candidates."""
        return log_softmax(self.logits, temperature=self.temperature, mask=self.mask)

    @cached_property
    def probs(self) -> np.ndarray:
        """``softmax(logits / T)``, summing to 1; exactly 0 for excluded candidates."""
        return np.exp(self.log_probs)

    @cached_property
    def entropy(self) -> float:
        """Shannon entropy of the distribution, in nats (0: certain; ln n: uniform)."""
        return entropy(self.probs)

    @property
    def n(self) -> int:
        """How many candidates take part (excluded ones are not counted)."""
        return len(self.words) if self.mask is None else int(self.mask.sum())

    @cached_property
    def order(self) -> np.ndarray:
        """Indices of the ``top`` most probable candidates, best first."""
        scores = self.logits if self.mask is None else np.where(self.mask, self.logits, -np.inf)
        return topk_rows(scores[None, :], min(self.top, self.n))[0][0]

    def prob(self, word: str) -> float:
        """The probability of one candidate word."""
        return float(self.probs[self._index(word)])

    def top_k_mass(self, k: int) -> float:
        """The total probability of the ``k`` most probable candidates."""
        k = min(check_int(k, "k"), self.n)
        if k <= len(self.order):
            return float(self.probs[self.order[:k]].sum())
        return float(np.sort(self.probs)[-k:].sum())

    @property
    def top_mass(self) -> float:
        """The total probability of the ``top`` rows the table shows."""
        return self.top_k_mass(self.top)

    # -- the target ------------------------------------------------------------------------
    def _index(self, word: str) -> int:
        try:
            return self.words.index(word)
        except ValueError:
            raise ParameterError(
                f"{word!r} is not among the {len(self.words):,} candidates"
            ) from None

    @cached_property
    def target_index(self) -> int | None:
        """The target's position in ``words`` (None without a target)."""
        return None if self.target is None else self._index(self.target)

    @cached_property
    def target_rank(self) -> int | None:
        """The target's rank among the candidates that take part; 1 is the top.

        Candidates with a strictly higher score come before it (a tie shares the rank).
        """
        if self.target_index is None:
            return None
        z = self.logits
        above = z > z[self.target_index]
        if self.mask is not None:
            above &= self.mask
        return int(above.sum()) + 1

    @property
    def target_prob(self) -> float | None:
        """The target's probability (None without a target)."""
        return None if self.target_index is None else float(self.probs[self.target_index])

    @property
    def cross_entropy(self) -> float | None:
        """``-ln p(target)`` in nats: the loss of this prediction (None without a target)."""
        return None if self.target_index is None else float(-self.log_probs[self.target_index])

    # -- other temperatures (the scores are reused, not recomputed) ---------------------------
    def at(self, temperature: float) -> Preference:
        """The same scores at another temperature: a new record, no dot products redone.

        >>> import geomlab
        >>> p = geomlab.preference(geomlab.load(), "france", ["paris", "london", "rome"])
        >>> round(p.at(10.0).prob("paris"), 3) < round(p.prob("paris"), 3)
        True
        """
        return dataclasses.replace(self, temperature=check_temperature(temperature))

    def sweep(self, temperatures) -> TemperatureSweep:
        """Entropy, top-1 probability, perplexity (and the target's probability) at each
        temperature, from the scores already computed (see :mod:`geomlab.scoring.sweep`)."""
        return sweep_logits(self.logits, temperatures, mask=self.mask, target=self.target_index)

    def plot(self, ax=None, *, temperatures=None):
        """Bars of the ``top`` candidates' probabilities at this temperature, or at each of
        ``temperatures`` (the scores reused); returns the figure (or the given axes)."""
        from ..plots import softmax_temperatures

        temps = [self.temperature] if temperatures is None else list(temperatures)
        idx = self.order.tolist()
        bars = {f"{t:g}": self.at(t).probs[idx].tolist() for t in temps}
        return softmax_temperatures(
            {
                "words": [self.words[i] for i in idx],
                "bars": bars,
                "query": _query_text(self.query),
                "n": self.n,
            },
            ax=ax,
            top=len(idx),
        )

    # -- output ----------------------------------------------------------------------------
    def summary(self) -> dict:
        return {
            "query": _query_text(self.query),
            "metric": self.metric,
            "temperature": self.temperature,
            "n": self.n,
            "excluded": ", ".join(self.excluded),
            "entropy": self.entropy,
            "top": self.top,
            "top_mass": self.top_mass,
            "target": self.target,
            "target_rank": self.target_rank,
            "target_prob": self.target_prob,
            "cross_entropy": self.cross_entropy,
        }

    def _shown(self) -> list[int]:
        shown = self.order.tolist()
        t = self.target_index
        if t is not None and t not in set(shown):
            shown.append(t)
        return shown

    def rows(self) -> list[dict]:
        """The ``top`` most probable candidates, best first, then the target if it is lower."""
        out = []
        # _shown() is the order, best first (then the target): a row's rank is its position
        # (was a search of the order per row, quadratic in ``top``)
        for pos, i in enumerate(self._shown()):
            rank = self.target_rank if i == self.target_index else pos + 1
            out.append(
                {
                    "rank": rank,
                    "word": self.words[i],
                    "score": float(self.logits[i]),
                    "prob": float(self.probs[i]),
                }
            )
        return out

    def to_dict(self) -> dict:
        """The summary and the shown rows (not the full arrays: use ``.words``, ``.probs``)."""
        from .._record import to_jsonable

        return to_jsonable({**self.summary(), "rows": self.rows()})

    def _header(self) -> str:
        ex = f", {len(self.excluded)} excluded" if self.excluded else ""
        return (
            f"{_query_text(self.query)} -> {self.n:,} candidates{ex} "
            f"({self.metric}, T = {self.temperature:g})"
        )

    def _footer(self) -> str:
        parts = [
            f"entropy {self.entropy:.4g} nats",
            f"top-{min(self.top, self.n)} mass {self.top_mass:.4g}",
        ]
        if self.target is not None:
            parts.insert(
                0,
                f"target {self.target}: rank {self.target_rank:,}, "
                f"p = {self.target_prob:.4g}, cross-entropy "
                f"{self.cross_entropy:.4g} nats",
            )
        return "; ".join(parts)

    def __str__(self) -> str:
        rows = self.rows()
        for r in rows:
            r["bar"] = _bar(r["prob"]) + (" <- target" if r["word"] == self.target else "")
        table = format_table(rows, ["rank", "word", "score", "prob", "bar"])
        if self.target_index is not None and self.target_index not in self.order:
            lines = table.split("\n")
            lines.insert(len(lines) - 1, "   ...")
            table = "\n".join(lines)
        return f"{self._header()}\n{table}\n{self._footer()}"

    def _repr_html_(self) -> str:
        body = []
        for r in self.rows():
            style = ' style="font-weight:bold"' if r["word"] == self.target else ""
            width = f"{100 * r['prob']:.2f}%"
            body.append(
                f"<tr{style}><td>{r['rank']:,}</td><td>{html.escape(r['word'])}</td>"
                f"<td>{r['score']:.4g}</td><td>{r['prob']:.4g}</td>"
                f'<td style="width:12em"><div style="background:#4c78a8;height:0.9em;'
                f'width:{width}"></div></td></tr>'
            )
        return (
            f"<b>Preference</b>: {html.escape(self._header())}<table><thead><tr>"
            "<th>rank</th><th>word</th><th>score</th><th>prob</th><th></th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table><small>{html.escape(self._footer())}"
            "</small>"
        )


def _resolve(emb, query) -> tuple[np.ndarray, tuple[str, ...]]:
    """The query vector and the words it names; an analogy ``(a, b, c)`` is ``b - a + c``."""
    if isinstance(query, (tuple, list)) and query and all(isinstance(w, str) for w in query):
        if len(query) != 3:
            raise ParameterError(
                f"an analogy query is a tuple (a, b, c), read as b - a + c ('a is to b as c "
                f"is to ?'); got {len(query)} words {tuple(query)!r}"
            )
        a, b, c = query
        vec = vector(emb, b) - vector(emb, a) + vector(emb, c)
        return vec.astype(np.float32), tuple(dict.fromkeys((a, b, c)))
    return resolve(emb, query)


def _word_list(words, name: str) -> tuple[str, ...]:
    if isinstance(words, str):
        raise ParameterError(f"{name} must be a list of words, got the string {words!r}")
    try:
        out = tuple(words)
    except TypeError:
        raise ParameterError(
            f"{name} must be a list of words, got {type(words).__name__}"
        ) from None
    bad = next((w for w in out if not isinstance(w, str)), None)
    if bad is not None:
        raise ParameterError(f"{name} must hold words (strings), got {bad!r}")
    return out


@accepts_gensim
def preference(
    emb,
    query,
    candidates=None,
    *,
    temperature: float = 1.0,
    metric: str = "dot",
    target: str | None = None,
    exclude=None,
    top: int = 10,
) -> Preference:
    """How a query's geometry prefers candidate words: scores, softmax, rank, loss.

    Parameters
    ----------
    emb : Embeddings
    query : str, tuple or array_like
        A word (``"france"``), an expression (``"king - man + woman"``), an analogy
        ``(a, b, c)`` read as ``b - a + c`` (``("man", "king", "woman")``), or a vector.
    candidates : sequence of str, optional
        The words to choose among, in any order. None: the whole vocabulary, scored with
        one matrix-vector product and normalised with one log-sum-exp (no Python loop).
    temperature : float
        ``T > 0``; probabilities are ``softmax(score / T)``.
    metric : {"dot", "cosine"}
        Dot products (the raw "pressures"), or cosine similarities.
    target : str, optional
        The expected word: the record then has its rank, probability and cross-entropy.
    exclude : iterable of str, optional
        Words given probability 0. Over the whole vocabulary the query's own words are
        always excluded as well (a word is not its own answer); among explicit candidates
        only ``exclude`` is.
    top : int
        How many of the best candidates the table shows (``>= 1``).

    Returns
    -------
    Preference

    Raises
    ------
    UnknownWordError
        A query word, candidate, target or excluded word is not in the vocabulary.
    ParameterError
        A bad temperature, metric, ``top`` or candidate list; a target that is not a
        candidate or is excluded; a zero query vector with ``metric="cosine"``.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> pref = geomlab.preference(emb, "france", ["paris", "london", "berlin", "madrid",
    ...                                          "rome", "tokyo"], target="paris")
    >>> pref.target_rank, pref.target_prob > 0.99
    (1, True)
    >>> geomlab.preference(emb, ("man", "king", "woman"), metric="cosine").rows()[0]["word"]
    'queen'
    """
    t = check_temperature(temperature)
    metric = check_metric(metric)
    top = check_int(top, "top")
    if target is not None and not isinstance(target, str):
        raise ParameterError(f"target must be a word, got {type(target).__name__} {target!r}")
    q, named = _resolve(emb, query)
    exclude = () if exclude is None else _word_list(exclude, "exclude")
    emb.indices(exclude)  # an unknown excluded word is an error, not silently ignored

    if candidates is None:
        words = emb.words
        rows = None
        excluded = tuple(dict.fromkeys(named + exclude))
        scores = emb.vectors @ q
    else:
        words = _word_list(candidates, "candidates")
        if not words:
            raise ParameterError("candidates must hold at least one word, got an empty list")
        if len(set(words)) != len(words):
            dup = next(w for i, w in enumerate(words) if w in words[:i])
            raise ParameterError(f"candidates must be distinct; {dup!r} appears more than once")
        rows = emb.indices(words)
        pool = set(words)
        excluded = tuple(w for w in dict.fromkeys(exclude) if w in pool)
        scores = emb.vectors[rows] @ q
    if metric == "cosine":
        qn = float(np.linalg.norm(q))
        if qn == 0:
            raise ParameterError("the query vector is zero: it has no direction, so no cosine")
        norms = emb.norms if rows is None else emb.norms[rows]
        # a zero-length row has no direction: cosine 0, as in geomlab.nearest
        scores = scores / (np.where(norms == 0, 1, norms) * qn)
    logits = np.asarray(scores, dtype=np.float64)
    logits.flags.writeable = False

    mask = None
    if excluded:
        pos = emb.indices(excluded) if rows is None else [words.index(w) for w in excluded]
        mask = np.ones(len(words), dtype=bool)
        mask[pos] = False
        if not mask.any():
            raise ParameterError("every candidate is excluded; at least one must remain")
        mask.flags.writeable = False
    if target is not None:
        if target in excluded:
            why = (
                "it is a word of the query"
                if target in named and candidates is None
                else "it is in exclude"
            )
            raise ParameterError(f"target {target!r} is excluded ({why})")
        if candidates is None:
            emb.index(target)  # unknown word: UnknownWordError with suggestions
        elif target not in words:
            raise ParameterError(
                f"target {target!r} is not among the candidates ({', '.join(words[:8])}"
                + (", ..." if len(words) > 8 else "")
                + ")"
            )
    return Preference(
        query=query,
        words=words,
        logits=logits,
        temperature=t,
        metric=metric,
        target=target,
        excluded=excluded,
        mask=mask,
        top=top,
    )
