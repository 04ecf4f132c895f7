"""Which sense of a word does a context select? A softmax over the word's senses.

The senses come from :func:`geomlab.senses` (discourse atoms or neighborhood clusters); the
context is the mean of its words' vectors, with function words and the word itself left
out as :func:`geomlab.contextualize` does; its dot products with the unit sense vectors are
the logits, and a labelled sense turns them into a cross-entropy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import check_temperature
from ..embeddings import accepts_gensim
from ..errors import ParameterError
from ..scoring.losses import cross_entropy
from ..scoring.softmax import softmax
from .attention import FUNCTION_WORDS, _context_words
from .senses import Sense, _check_word, senses

__all__ = ["SenseChoice", "sense_probabilities"]


@dataclass(frozen=True, eq=False)
class SenseChoice(Record):
    """The distribution over a word's senses that a context induces.

    Attributes
    ----------
    word : str
    context : tuple of str
        The context tokens (lower-cased, tokenised).
    kept : tuple of str
        The tokens that make the context vector (known, not function words, not the word).
    skipped : tuple of str
        Tokens not in the vocabulary.
    n_skipped : int
    senses : tuple of Sense
    logits : ndarray, shape (n_senses,)
        ``context_vector . sense.vector``; the context vector is the mean of the kept
        words' vectors, the sense vectors are unit length.
    probs : ndarray, shape (n_senses,)
        ``softmax(logits / temperature)``.
    temperature : float
    target : int or None
        Index of the labelled sense, when one was given.
    loss : float or None
        Cross-entropy ``-ln probs[target]`` in nats.
    """

    word: str
    context: tuple[str, ...]
    kept: tuple[str, ...]
    skipped: tuple[str, ...]
    n_skipped: int
    senses: tuple[Sense, ...] = field(repr=False)
    logits: np.ndarray = field(repr=False)
    probs: np.ndarray = field(repr=False)
    temperature: float
    target: int | None = None
    loss: float | None = None

    @property
    def choice(self) -> int:
        """Index of the most probable sense."""
        return int(np.argmax(self.probs))

    def rows(self) -> list[dict]:
        return [
            {
                "sense": i + 1,
                "kind": s.kind,
                "logit": float(z),
                "prob": float(p),
                "target": "*" if i == self.target else "",
                "words": ", ".join(s.words[:6]),
            }
            for i, (s, z, p) in enumerate(zip(self.senses, self.logits, self.probs))
        ]

    def summary(self) -> dict:
        return {
            "word": self.word,
            "context": " ".join(self.context),
            "kept": ", ".join(self.kept),
            "n_skipped": self.n_skipped,
            "temperature": self.temperature,
            "choice": self.choice + 1,
            "target": None if self.target is None else self.target + 1,
            "loss": self.loss,
        }

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["senses"] = [s.summary_row() for s in self.senses]
        return d


def _target_index(emb, found, target) -> int | None:
    if target is None:
        return None
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if not 0 <= int(target) < len(found):
            raise ParameterError(
                f"target must be a sense index in 0..{len(found) - 1}, got {int(target)}"
            )
        return int(target)
    if isinstance(target, str):
        v = emb.unit([emb.index(target)])[0]
        return int(np.argmax([s.vector @ v for s in found]))
    raise ParameterError(
        f"target must be a sense index or a word that names the sense, got {target!r}"
    )


@accepts_gensim
def sense_probabilities(
    emb,
    word: str,
    context,
    *,
    target=None,
    method: str = "atoms",
    temperature: float = 1.0,
    found: list[Sense] | None = None,
) -> SenseChoice:
    """Which sense of ``word`` does ``context`` select? A softmax over the senses.

    The logits are dot products between the context vector (the mean of the context words'
    vectors, function words and the word itself left out) and the unit sense vectors; the
    softmax turns them into probabilities, and a labelled sense gives a cross-entropy.

    Parameters
    ----------
    emb : Embeddings
    word : str
    context : str or sequence of str
        A sentence or a list of words; unknown words are skipped and reported.
    target : int or str, optional
        The right sense: its index in the list of senses, or a word that names it (the
        sense whose vector is closest to that word's vector).
    method : {"atoms", "cluster"}
        How the senses are found (see :func:`senses`); ignored when ``found`` is given.
    temperature : float
        Softmax temperature.
    found : list of Sense, optional
        Senses computed earlier (saves recomputing them for many contexts).

    Returns
    -------
    SenseChoice
        ``.probs``, ``.choice``, ``.loss`` (with a target) and the senses.

    Raises
    ------
    UnknownWordError, ParameterError
        An unknown word or target word; an empty context or one with no known word left.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> r = geomlab.sense_probabilities(emb, "apple", "she baked a pie with sugar",
    ...                                 target="fruit")
    >>> r.choice == r.target
    True
    """
    t = check_temperature(temperature)
    _check_word(emb, word)
    tokens, skipped, known = _context_words(emb, context)
    kept = tuple(w for w in known if w != word and w not in FUNCTION_WORDS)
    if not kept:
        raise ParameterError(
            "no context word is left once the word itself and function words are dropped "
            f"(context: {' '.join(tokens)})"
        )
    if found is None:
        found = senses(emb, word, method=method)
    if not found:
        raise ParameterError(f"{word!r} has no sense with a positive weight")
    cvec = emb.vectors[emb.indices(kept)].astype(np.float64).mean(axis=0)
    sv = np.stack([np.asarray(s.vector, dtype=np.float64) for s in found])
    logits = sv @ cvec
    probs = np.asarray(softmax(logits, temperature=t), dtype=np.float64)
    tgt = _target_index(emb, found, target)
    loss = None if tgt is None else float(cross_entropy(logits, tgt, temperature=t))
    return SenseChoice(
        word=word,
        context=tuple(tokens),
        kept=kept,
        skipped=skipped,
        n_skipped=len(skipped),
        senses=tuple(found),
        logits=logits,
        probs=probs,
        temperature=t,
        target=tgt,
        loss=loss,
    )
