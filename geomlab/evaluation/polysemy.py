"""The polysemy probes: labelled uses of ambiguous words, and how well word vectors separate them.

:func:`read_probes` reads the probe file (``geomlab/data/polysemy_probes.tsv`` by default;
``data/README.md`` describes it); :func:`evaluate_polysemy` measures, on word vectors,
contextual neighbors (:func:`geomlab.geometry.attention.contextualize`), sense discovery
(:func:`geomlab.senses`) and sense choice (:func:`geomlab.sense_probabilities`) against
them. :func:`geomlab.evaluate_polysemy` is the public entry point: it also takes a language
model (then :func:`geomlab.lm.polysemy.evaluate_polysemy_lm` runs), and it documents the
measure and the parameters.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .._record import Record
from .._validation import check_k, check_temperature
from ..embeddings import accepts_gensim
from ..errors import FormatError, ParameterError
from ..geometry.attention import _contextual
from ..geometry.neighbors import nearest
from ..geometry.sense_choice import sense_probabilities
from ..geometry.senses import METHODS, senses

__all__ = ["PROBES_FILE", "PolysemyEvaluation", "Probe", "evaluate_polysemy", "read_probes"]

#: the hand-made probe file shipped with geomlab (described in data/README.md)
PROBES_FILE = "polysemy_probes.tsv"


@dataclass(frozen=True)
class Probe:
    """One labelled use of an ambiguous word (a row of the probe file)."""

    word: str
    sense: str
    context: str
    indicators: tuple[str, ...]
    line: int = 0


def read_probes(path: str | Path | None = None) -> list[Probe]:
    """Read a probe file: tab-separated ``word, sense, context, indicators`` with a header.

    Lines starting with ``#`` are comments; ``indicators`` are space-separated words. Every
    word must have exactly two rows (two senses). Default: the file shipped with geomlab.

    Raises
    ------
    FormatError
        A missing column, an empty field, or a word without exactly two senses
        (``path:line: what``).
    """
    if path is None:
        ref = resources.files("geomlab").joinpath("data", PROBES_FILE)
        text, where = ref.read_text(encoding="utf-8"), f"geomlab/data/{PROBES_FILE}"
    else:
        from ..loaders.bounded import read_bounded

        where = str(path)
        if not os.path.lexists(path):
            raise ParameterError(f"probe file {where!r} does not exist")
        data = read_bounded(path, what="probe file")  # a regular file of bounded size
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FormatError(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x})", where, line
            ) from None
    lines = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.startswith("#")
    ]
    if not lines:
        raise FormatError("no header and no probes", where)
    header_line, header = lines[0]
    cols = header.split("\t")
    need = ["word", "sense", "context", "indicators"]
    if cols[:4] != need:
        raise FormatError(
            f"header must be {' / '.join(need)} (tab-separated), got {header!r}", where, header_line
        )
    probes: list[Probe] = []
    for ln, raw in lines[1:]:
        parts = raw.split("\t")
        if len(parts) != 4 or not all(p.strip() for p in parts):
            raise FormatError(
                f"expected 4 non-empty tab-separated fields, got {len(parts)}", where, ln
            )
        w, s, c, ind = (p.strip() for p in parts)
        probes.append(Probe(w.lower(), s, c, tuple(ind.lower().split()), ln))
    counts: dict[str, list[Probe]] = {}
    for p in probes:
        counts.setdefault(p.word, []).append(p)
    for w, ps in counts.items():
        if len(ps) != 2:
            raise FormatError(
                f"{w!r} has {len(ps)} rows; every word needs exactly two senses", where, ps[-1].line
            )
    return probes


@dataclass(frozen=True, eq=False)
class PolysemyEvaluation(Record):
    """How well context and sparse coding separate the senses of the probe words.

    Attributes
    ----------
    context_accuracy : float
        Share of probe contexts whose contextual neighbors lean to the named sense (mean
        cosine of the neighbors with that sense's indicator words above the other's).
    both_contexts : float
        Share of words whose two contexts both lean the right way.
    senses_recovered : float
        Share of words for which :func:`senses` has two different senses that match the two
        labelled senses (mean cosine with the indicator words >= ``threshold`` each).
    sense_choice_accuracy : float
        Share of contexts for which :func:`sense_probabilities` puts the most probability on
        the sense matched to the labelled one.
    mean_cross_entropy : float
        Mean of that cross-entropy, nats.
    n_words, n_contexts : int
    skipped : tuple of str
        Probe words left out (a word or all indicators of a sense not in the vocabulary).
    method, k, threshold, temperature, probes
        The settings.
    per_word : tuple of dict
        One row per word (the table shown).
    """

    context_accuracy: float
    both_contexts: float
    senses_recovered: float
    sense_choice_accuracy: float
    mean_cross_entropy: float
    n_words: int
    n_contexts: int
    skipped: tuple[str, ...]
    method: str
    k: int
    threshold: float
    temperature: float
    probes: str
    per_word: tuple[dict, ...] = field(repr=False)

    def rows(self) -> list[dict]:
        return list(self.per_word)

    def summary(self) -> dict:
        d = super().summary()
        d["skipped"] = ", ".join(self.skipped)
        return d


def _mean_cos(emb, rows_unit: np.ndarray, words) -> float:
    ind = emb.unit(emb.indices(words))
    return float((rows_unit @ ind.T).mean())


@accepts_gensim
def evaluate_polysemy(
    emb,
    probes=None,
    *,
    k: int = 10,
    method: str = "atoms",
    threshold: float = 0.4,
    temperature: float = 1.0,
) -> PolysemyEvaluation:
    """Evaluate contextual neighbors, sense discovery and sense choice of word vectors.

    The word-vector half of :func:`geomlab.evaluate_polysemy`, which documents the measure
    and the parameters (``probes``, ``k``, ``method``, ``threshold``, ``temperature``).

    Returns
    -------
    PolysemyEvaluation
    """
    k = check_k(k)
    if method not in METHODS:
        raise ParameterError(f"method must be 'atoms' or 'cluster', got {method!r}")
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not (math.isfinite(threshold) and -1 <= threshold <= 1)
    ):
        raise ParameterError(f"threshold must be a number in [-1, 1], got {threshold!r}")
    t = check_temperature(temperature)
    if probes is None or isinstance(probes, (str, Path)):
        label = f"geomlab/data/{PROBES_FILE}" if probes is None else str(probes)
        probes = read_probes(probes)
    else:
        probes = list(probes)
        label = "<list>"
    by_word: dict[str, list[Probe]] = {}
    for p in probes:
        by_word.setdefault(p.word, []).append(p)
    per_word, skipped = [], []
    n_right = n_choice = n_ctx = 0
    losses = []
    for word, pair in by_word.items():
        if len(pair) != 2:
            raise ParameterError(f"probe word {word!r} needs exactly two senses, got {len(pair)}")
        inds = [tuple(w for w in p.indicators if w in emb) for p in pair]
        if word not in emb or not all(inds):
            skipped.append(word)
            continue
        found = senses(emb, word, method=method)
        sv = np.stack([s.vector for s in found]).astype(np.float32) if found else None
        match = []
        for ind in inds:
            if sv is None:
                match.append((None, -1.0))
                continue
            sims = [_mean_cos(emb, v[None, :], ind) for v in sv]
            j = int(np.argmax(sims))
            match.append((j, sims[j]))
        recovered = (
            match[0][0] is not None
            and match[0][0] != match[1][0]
            and min(match[0][1], match[1][1]) >= threshold
        )
        row = {"word": word}
        right_here = 0
        for i, p in enumerate(pair):
            # the contextual neighbours only (contextualize also looks up the static ones)
            vec, exclude, *_ = _contextual(emb, word, p.context, t, 1.0, True)
            nb = emb.unit(emb.indices(nearest(emb, vec, k=k, exclude=exclude).words))
            own, other = _mean_cos(emb, nb, inds[i]), _mean_cos(emb, nb, inds[1 - i])
            right = own > other
            right_here += right
            row[f"sense_{'ab'[i]}"] = p.sense
            row[f"lean_{'ab'[i]}"] = round(own - other, 3)
            if found:
                choice = sense_probabilities(
                    emb, word, p.context, target=match[i][0], temperature=t, found=found
                )
                n_choice += choice.choice == choice.target
                losses.append(choice.loss)
            n_ctx += 1
        n_right += right_here
        row["contexts_right"] = right_here
        row["senses_recovered"] = bool(recovered)
        row["sense_match"] = " | ".join(
            f"{p.sense}->{'-' if m[0] is None else m[0] + 1} ({m[1]:.2f})"
            for p, m in zip(pair, match)
        )
        per_word.append(row)
    if not per_word:
        raise ParameterError(
            f"no probe word could be evaluated with these vectors (skipped: {', '.join(skipped)})"
        )
    n_words = len(per_word)
    return PolysemyEvaluation(
        context_accuracy=n_right / n_ctx,
        both_contexts=sum(r["contexts_right"] == 2 for r in per_word) / n_words,
        senses_recovered=sum(r["senses_recovered"] for r in per_word) / n_words,
        sense_choice_accuracy=n_choice / n_ctx if losses else float("nan"),
        mean_cross_entropy=float(np.mean(losses)) if losses else float("nan"),
        n_words=n_words,
        n_contexts=n_ctx,
        skipped=tuple(skipped),
        method=method,
        k=k,
        threshold=float(threshold),
        temperature=t,
        probes=label,
        per_word=tuple(per_word),
    )
