"""Senses of a word: discourse atoms, neighborhood clusters, and which sense a context picks.

A static vector is one point for every sense of a word. Arora et al. (2018, TACL, "Linear
Algebraic Structure of Word Senses, with Applications to Polysemy") show that it is close
to a weighted sum of its sense vectors, and recover the senses by sparse coding. Two
methods are offered here:

``method="atoms"`` (Arora et al.)
    A dictionary of 500 unit "discourse atoms" is learned once over the 30,000 most
    frequent words (:mod:`geomlab.geometry._dictionary`, cached on disk); the word's unit
    vector is coded on at most 5 atoms by orthogonal matching pursuit, and each atom with a
    positive coefficient is a candidate sense, described by its nearest frequent words.
    Strength: the atoms are global, learned from the whole vocabulary, so a minority sense
    shows up even when none of the word's top neighbors carry it (apple: a food atom next to
    the computer and company atoms; bass: a sea/fishing atom next to the music atom).
    Weakness: a word is forced onto 5 atoms, so some are noise (a first-name atom for the
    surname reading of "crane", a politics atom for "apple"); the atom set depends on the
    seed, and in 50 dimensions atoms are coarser than the paper's 300-dimensional ones.

``method="cluster"``
    The word's ``n_neighbors`` nearest frequent words, with the word's own direction
    projected out (what is left is how each neighbor differs from the word), are clustered
    with k-means; the number of clusters (2 to ``max_senses``) is the one with the best
    silhouette. Strength: local, no fit, every sense is a set of real neighbors. Weakness:
    the neighbors of a word are dominated by its most frequent sense, so the clusters tend to
    be facets of that sense (apple: computers vs. consumer brands, no fruit; tie: score
    lines vs. match words, no clothing); a minority sense is found only when it reaches the
    top neighbors.

On the 37 probe words of ``polysemy_probes.tsv`` (embedded GloVe, default settings) the
atoms recover both labelled senses for 57 % of the words, the clusters for 38 %, and 500
random frequent words used as atoms for 32 % (:func:`evaluate_polysemy`;
``scripts/polysemy_eval.py`` prints the current figures).

Every sense carries a ``kind``: ``"sense"``, or ``"weak"`` (a small coefficient or share),
``"noisy"`` (the atom hardly points toward the word, or its top words do not hang
together), or ``"facet"`` (it points the same way as a stronger sense of the same word:
two faces of one meaning, not two meanings), with a ``note`` that says why.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .._record import Record
from ..embeddings import accepts_gensim
from ..errors import FormatError, ParameterError
from . import _dictionary
from .attention import FUNCTION_WORDS, _check_temperature, _context_tokens
from .neighbors import check_k

__all__ = [
    "PROBES_FILE",
    "AtomCode",
    "PolysemyEvaluation",
    "Probe",
    "Sense",
    "SenseChoice",
    "evaluate_polysemy",
    "read_probes",
    "sense_probabilities",
    "senses",
    "word_atoms",
]

METHODS = ("atoms", "cluster")
#: the hand-made probe file shipped with geomlab (described in data/README.md)
PROBES_FILE = "polysemy_probes.tsv"

# thresholds of the sense kinds, set by reading the atoms of the probe words on the embedded
# GloVe: most stray atoms in a word's code (tie: jessica, jennifer; apple: alaska, montana)
# have cosines below 0.25 with the word, though not all (crane's first-name atom, from the
# surname, has 0.44 and stays a "sense"); the atoms' coherence has its 5th percentile near
# 0.32 and its median near 0.68
WEAK_WEIGHT = 0.2      # atoms: OMP coefficient of a unit word vector
WEAK_SHARE = 0.15      # clusters: share of the neighbors' similarity mass
NOISY_COSINE = 0.25    # the sense vector's cosine with the word itself
NOISY_COHERENCE = 0.45  # mean pairwise cosine of the sense's top 10 words
FACET_COSINE = 0.6     # cosine with a stronger sense of the same word


@dataclass(frozen=True, eq=False)
class Sense(Record):
    """One sense (or candidate sense) of a word.

    Attributes
    ----------
    word : str
    method : str
        ``"atoms"`` or ``"cluster"``.
    words : tuple of str
        The most representative words first (atoms: the atom's nearest frequent words;
        clusters: the members nearest the cluster centre).
    vector : ndarray, shape (dim,), float32
        Unit-length sense direction (the atom, or the normalised cluster mean).
    weight : float
        How much of the word's vector the sense carries: the OMP coefficient of the unit
        word vector on the atom, or the cluster's share of the neighbors' similarity mass.
    share : float
        ``weight`` divided by the sum over the word's senses.
    cosine : float
        Cosine between the sense vector and the word's vector.
    coherence : float
        Mean pairwise cosine of the top 10 ``words`` (how well they hang together).
    kind : str
        ``"sense"``, ``"weak"``, ``"noisy"`` or ``"facet"`` (see the module notes).
    note : str
        Why a sense is not a plain ``"sense"`` (empty otherwise).
    atom : int or None
        The atom's row in the dictionary (atoms method).
    """

    word: str
    method: str
    words: tuple[str, ...]
    vector: np.ndarray = field(repr=False)
    weight: float
    share: float
    cosine: float
    coherence: float
    kind: str = "sense"
    note: str = ""
    atom: int | None = None

    def rows(self) -> list[dict]:
        return [self.summary_row()]

    def summary_row(self) -> dict:
        return {"kind": self.kind, "weight": self.weight, "share": self.share,
                "cosine": self.cosine, "coherence": self.coherence,
                "words": ", ".join(self.words[:8]), "note": self.note}


def _check_word(emb, word) -> int:
    if not isinstance(word, str):
        raise ParameterError(f"word must be a string, got {type(word).__name__}")
    return emb.index(word)


def _coherence(unit_rows: np.ndarray) -> float:
    n = unit_rows.shape[0]
    if n < 2:
        return 1.0
    g = unit_rows @ unit_rows.T
    return float((g.sum() - np.trace(g)) / (n * (n - 1)))


def _label(found: list[dict]) -> None:
    """Set kind and note of each candidate (strongest first), in place."""
    for i, s in enumerate(found):
        s["kind"], s["note"] = "sense", ""
        if s["weight_is_weak"]:
            s["kind"], s["note"] = "weak", s["weak_note"]
        elif s["cosine"] < NOISY_COSINE:
            s["kind"] = "noisy"
            s["note"] = (f"points away from the word (cosine {s['cosine']:.2f} < "
                         f"{NOISY_COSINE})")
        elif s["coherence"] < NOISY_COHERENCE:
            s["kind"] = "noisy"
            s["note"] = (f"its words do not hang together (coherence {s['coherence']:.2f} < "
                         f"{NOISY_COHERENCE})")
        else:
            for j in range(i):
                c = float(found[j]["vector"] @ s["vector"])
                if found[j]["kind"] == "sense" and c >= FACET_COSINE:
                    s["kind"] = "facet"
                    s["note"] = f"facet of sense {j + 1} (cosine {c:.2f} >= {FACET_COSINE})"
                    break


@accepts_gensim
def senses(
    emb,
    word: str,
    *,
    method: str = "atoms",
    top: int = 10,
    n_words: int = _dictionary.DEFAULTS["n_words"],
    n_atoms: int = _dictionary.DEFAULTS["n_atoms"],
    sparsity: int = _dictionary.DEFAULTS["sparsity"],
    random_state: int = _dictionary.DEFAULTS["random_state"],
    n_neighbors: int = 100,
    max_senses: int = 4,
    cache: bool = True,
) -> list[Sense]:
    """The senses of ``word``, strongest first.

    Parameters
    ----------
    emb : Embeddings
    word : str
    method : {"atoms", "cluster"}
        Sparse coding over learned discourse atoms (Arora et al. 2018), or k-means over the
        word's neighbors with its own direction removed; the module notes compare them.
    top : int
        Words that describe each sense.
    n_words, n_atoms, sparsity, random_state
        Atoms method: the dictionary is learned on the first ``n_words`` words with
        ``n_atoms`` atoms and seed ``random_state`` (then cached); ``sparsity`` atoms code
        the word. Clusters: the neighbors are searched among the first ``n_words`` words.
    n_neighbors, max_senses
        Cluster method: how many neighbors are clustered, and the most clusters tried.
    cache : bool
        Atoms method: read and write the learned dictionary in the cache folder.

    Returns
    -------
    list of Sense
        Ordered by falling ``weight``; each with its ``kind`` (``"sense"``, ``"weak"``,
        ``"noisy"``, ``"facet"``) and ``note``.

    Raises
    ------
    UnknownWordError
        ``word`` is not in the vocabulary.
    ParameterError
        An unknown method or a parameter out of range.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> found = geomlab.senses(emb, "apple")           # first call fits (~30 s), then cached
    >>> [s.kind for s in found][:2]
    ['sense', 'sense']
    """
    if method not in METHODS:
        raise ParameterError(f"method must be 'atoms' or 'cluster', got {method!r}")
    top = check_k(top)
    row = _check_word(emb, word)
    if method == "atoms":
        found = _atom_senses(emb, row, top, n_words, n_atoms, sparsity, random_state, cache)
    else:
        found = _cluster_senses(emb, row, top, n_words, n_neighbors, max_senses, random_state)
    _label(found)
    total = sum(s["weight"] for s in found) or 1.0
    return [
        Sense(word=word, method=method, words=s["words"], vector=s["vector"],
              weight=float(s["weight"]), share=float(s["weight"] / total),
              cosine=float(s["cosine"]), coherence=float(s["coherence"]),
              kind=s["kind"], note=s["note"], atom=s.get("atom"))
        for s in found
    ]


def _atom_senses(emb, row, top, n_words, n_atoms, sparsity, random_state, cache):
    d = _dictionary.fit_dictionary(emb, n_words=n_words, n_atoms=n_atoms, sparsity=sparsity,
                                   random_state=random_state, cache=cache)
    x = emb.unit([row])[0].astype(np.float64)
    code = _dictionary.sparse_code(d, x)
    n = d.n_words
    cand = emb.unit(np.arange(n))
    found = []
    for j in np.argsort(-code, kind="stable"):
        if code[j] <= 0:
            break
        atom = d.atoms[j].astype(np.float32)
        sims = cand @ atom
        order = np.argsort(-sims, kind="stable")[: top + 1]
        order = [i for i in order if i != row][:top]
        found.append({
            "words": tuple(emb.words[i] for i in order),
            "vector": atom,
            "weight": float(code[j]),
            "cosine": float(atom @ x),
            "coherence": _coherence(cand[order[:10]]),
            "atom": int(j),
            "weight_is_weak": code[j] < WEAK_WEIGHT,
            "weak_note": f"small coefficient ({code[j]:.2f} < {WEAK_WEIGHT})",
        })
    return found


def _cluster_senses(emb, row, top, n_words, n_neighbors, max_senses, random_state):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n_neighbors = check_k(n_neighbors)
    if isinstance(max_senses, bool) or not isinstance(max_senses, int) or max_senses < 2:
        raise ParameterError(f"max_senses must be an integer >= 2, got {max_senses!r}")
    if isinstance(n_words, bool) or not isinstance(n_words, int) or n_words < 2:
        raise ParameterError(f"n_words must be an integer >= 2, got {n_words!r}")
    n = min(n_words, len(emb))
    x = emb.unit([row])[0].astype(np.float64)
    cand = emb.unit(np.arange(n)).astype(np.float64)
    sims = cand @ x
    if row < n:
        sims[row] = -np.inf
    m = min(n_neighbors, n - (1 if row < n else 0))
    if m < 4:
        raise ParameterError(f"need at least 4 neighbors to cluster, got {m}")
    idx = np.argsort(-sims, kind="stable")[:m]
    y = cand[idx] - np.outer(cand[idx] @ x, x)  # the word's own direction projected out
    y /= np.where((nrm := np.linalg.norm(y, axis=1, keepdims=True)) == 0, 1, nrm)
    best = None
    for k in range(2, min(max_senses, m - 1) + 1):
        km = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(y)
        score = silhouette_score(y, km.labels_, metric="cosine")
        if best is None or score > best[0] + 1e-12:
            best = (score, km.labels_)
    labels = best[1]
    mass = np.clip(sims[idx], 0, None)
    found = []
    for c in np.unique(labels):
        members = idx[labels == c]
        centre = cand[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        order = members[np.argsort(-(cand[members] @ centre), kind="stable")]
        share = float(mass[labels == c].sum() / (mass.sum() or 1.0))
        found.append({
            "words": tuple(emb.words[i] for i in order[:top]),
            "vector": centre.astype(np.float32),
            "weight": share,
            "cosine": float(centre @ x),
            "coherence": _coherence(cand[order[:10]]),
            "weight_is_weak": share < WEAK_SHARE,
            "weak_note": f"small share of the neighbors ({share:.2f} < {WEAK_SHARE})",
        })
    found.sort(key=lambda s: -s["weight"])
    return found


# -- the raw atom code of a word -------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AtomCode(Record):
    """A word's sparse code over the discourse atoms: ``unit(x_word) ~ sum_j c_j atom_j``.

    Attributes
    ----------
    word : str
    atoms : tuple of int
        Rows of the non-zero coefficients, largest coefficient first (negative ones last).
    coefficients : ndarray, shape (n,)
    words : tuple of tuple of str
        The nearest frequent words of each atom.
    residual : float
        Length of ``unit(x_word) - sum_j c_j atom_j`` (0: explained exactly; 1: not at all).
    params : dict
        The dictionary's parameters.
    key : str
        The dictionary's cache key.
    cache_path : str or None
    from_cache : bool
        Whether the dictionary was read from the cache (False: fitted by this call).
    fit_seconds : float
        Wall time of the fit that produced the dictionary.
    """

    word: str
    atoms: tuple[int, ...]
    coefficients: np.ndarray = field(repr=False)
    words: tuple[tuple[str, ...], ...]
    residual: float
    params: dict
    key: str
    cache_path: str | None
    from_cache: bool
    fit_seconds: float

    def rows(self) -> list[dict]:
        return [{"atom": a, "coefficient": float(c), "words": ", ".join(w[:8])}
                for a, c, w in zip(self.atoms, self.coefficients, self.words)]

    def summary(self) -> dict:
        return {"word": self.word, "n_atoms": self.params["n_atoms"],
                "n_words": self.params["n_words"], "sparsity": self.params["sparsity"],
                "residual": self.residual, "from_cache": self.from_cache,
                "fit_seconds": self.fit_seconds, "cache_path": self.cache_path}


@accepts_gensim
def word_atoms(
    emb,
    word: str,
    *,
    top: int = 10,
    n_words: int = _dictionary.DEFAULTS["n_words"],
    n_atoms: int = _dictionary.DEFAULTS["n_atoms"],
    sparsity: int = _dictionary.DEFAULTS["sparsity"],
    random_state: int = _dictionary.DEFAULTS["random_state"],
    cache: bool = True,
) -> AtomCode:
    """The sparse code of ``word`` over the discourse atoms, negative coefficients included.

    :func:`senses` keeps the atoms with a positive coefficient and labels them; this is the
    raw decomposition behind it, with the dictionary's provenance (parameters, cache file,
    fit time). Parameters as in :func:`senses`.

    Examples
    --------
    >>> import geomlab
    >>> from geomlab.geometry.polysemy import word_atoms
    >>> code = word_atoms(geomlab.load(), "bank")
    >>> len(code.atoms) <= code.params["sparsity"]
    True
    """
    top = check_k(top)
    row = _check_word(emb, word)
    d = _dictionary.fit_dictionary(emb, n_words=n_words, n_atoms=n_atoms, sparsity=sparsity,
                                   random_state=random_state, cache=cache)
    x = emb.unit([row])[0].astype(np.float64)
    code = _dictionary.sparse_code(d, x)
    nz = [int(j) for j in np.argsort(-code, kind="stable") if code[j] != 0]
    nz = [j for j in nz if code[j] > 0] + [j for j in nz if code[j] < 0]
    cand = emb.unit(np.arange(d.n_words))
    described = []
    for j in nz:
        order = [i for i in np.argsort(-(cand @ d.atoms[j]), kind="stable")[: top + 1]
                 if i != row][:top]
        described.append(tuple(emb.words[i] for i in order))
    residual = float(np.linalg.norm(x - code @ d.atoms.astype(np.float64)))
    return AtomCode(word=word, atoms=tuple(nz), coefficients=code[nz], words=tuple(described),
                    residual=residual, params=dict(d.params), key=d.key,
                    cache_path=None if d.path is None else str(d.path),
                    from_cache=d.from_cache, fit_seconds=float(d.fit_seconds))


# -- which sense does a context select? -----------------------------------------------------
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
        return [{"sense": i + 1, "kind": s.kind, "logit": float(z), "prob": float(p),
                 "target": "*" if i == self.target else "", "words": ", ".join(s.words[:6])}
                for i, (s, z, p) in enumerate(zip(self.senses, self.logits, self.probs))]

    def summary(self) -> dict:
        return {"word": self.word, "context": " ".join(self.context),
                "kept": ", ".join(self.kept), "n_skipped": self.n_skipped,
                "temperature": self.temperature, "choice": self.choice + 1,
                "target": None if self.target is None else self.target + 1, "loss": self.loss}

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
    from ..scoring.losses import cross_entropy
    from ..scoring.softmax import softmax

    t = _check_temperature(temperature)
    _check_word(emb, word)
    tokens = _context_tokens(context)
    if not tokens:
        raise ParameterError(f"context must hold at least one word, got {context!r}")
    skipped = tuple(w for w in tokens if w not in emb)
    known = [w for w in tokens if w in emb]
    if not known:
        raise ParameterError(
            f"none of the {len(tokens)} context words is in the vocabulary: "
            + ", ".join(repr(s) for s in skipped[:10])
        )
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
    return SenseChoice(word=word, context=tuple(tokens), kept=kept, skipped=skipped,
                       n_skipped=len(skipped), senses=tuple(found), logits=logits,
                       probs=probs, temperature=t, target=tgt, loss=loss)


# -- probes and evaluation ------------------------------------------------------------------
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
            raise FormatError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", where,
                              line) from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())
             if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise FormatError("no header and no probes", where)
    header_line, header = lines[0]
    cols = header.split("\t")
    need = ["word", "sense", "context", "indicators"]
    if cols[:4] != need:
        raise FormatError(f"header must be {' / '.join(need)} (tab-separated), got {header!r}",
                          where, header_line)
    probes: list[Probe] = []
    for ln, raw in lines[1:]:
        parts = raw.split("\t")
        if len(parts) != 4 or not all(p.strip() for p in parts):
            raise FormatError(f"expected 4 non-empty tab-separated fields, got {len(parts)}",
                              where, ln)
        w, s, c, ind = (p.strip() for p in parts)
        probes.append(Probe(w.lower(), s, c, tuple(ind.lower().split()), ln))
    counts: dict[str, list[Probe]] = {}
    for p in probes:
        counts.setdefault(p.word, []).append(p)
    for w, ps in counts.items():
        if len(ps) != 2:
            raise FormatError(f"{w!r} has {len(ps)} rows; every word needs exactly two senses",
                              where, ps[-1].line)
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


@accepts_gensim(allow_lm=True)
def evaluate_polysemy(
    emb,
    probes=None,
    *,
    k: int = 10,
    method: str = "atoms",
    threshold: float = 0.4,
    temperature: float = 1.0,
    layers=None,
    progress: bool | None = None,
) -> PolysemyEvaluation:
    """Evaluate contextual neighbors, sense discovery and sense choice on probe words.

    For each probe word and each of its two labelled contexts: :func:`contextualize` the
    word; the context counts as right when its ``k`` neighbors are closer (mean cosine) to
    the indicator words of the named sense than to the other sense's. :func:`senses` counts
    as recovering the word when the labelled senses match two different senses, each with
    a mean cosine of at least ``threshold`` to its indicator words; the matched senses are
    then the targets of :func:`sense_probabilities` for the two contexts.

    Parameters
    ----------
    emb : Embeddings or LanguageModel
        With a language model: :func:`geomlab.lm.polysemy.evaluate_polysemy_lm` (context
        accuracy at every block, the sentence read once and twice).
    probes : path or list of Probe, optional
        Default: ``polysemy_probes.tsv`` shipped with geomlab (37 words, 74 contexts).
    k : int
        Contextual neighbors per context.
    method : {"atoms", "cluster"}
        Sense method.
    threshold : float
        Minimum mean cosine between a sense vector and a labelled sense's indicator words.
        The default, 0.4, is where the measure separates a learned dictionary from 500
        random frequent words used as atoms (0.57 against 0.32 of the probe words on the
        embedded GloVe); at 0.3 random words already reach 0.57 (learned atoms 0.65), so
        the looser threshold says little. ``scripts/polysemy_eval.py`` prints the sweep.
    temperature : float
        Temperature of the attention and of the sense softmax.
    layers : iterable of int, optional
        A language model only: the blocks to measure (default: all).
    progress : bool, optional
        A language model only: a progress bar over the words (default: on a terminal).

    Returns
    -------
    PolysemyEvaluation, or LMPolysemyEvaluation for a language model

    Examples
    --------
    >>> import geomlab
    >>> r = geomlab.evaluate_polysemy(geomlab.load())          # doctest: +SKIP
    >>> r.context_accuracy > 0.5                               # doctest: +SKIP
    True
    """
    from .attention import _is_language_model, contextualize

    if _is_language_model(emb):  # the model's own hidden states, block by block
        from ..lm.polysemy import evaluate_polysemy_lm

        return evaluate_polysemy_lm(emb, probes, k=k, layers=layers, progress=progress)
    if layers is not None:
        raise ParameterError("layers applies to a language model only (static vectors "
                             "have no blocks)")

    k = check_k(k)
    if method not in METHODS:
        raise ParameterError(f"method must be 'atoms' or 'cluster', got {method!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (
            math.isfinite(threshold) and -1 <= threshold <= 1):
        raise ParameterError(f"threshold must be a number in [-1, 1], got {threshold!r}")
    t = _check_temperature(temperature)
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
            raise ParameterError(f"probe word {word!r} needs exactly two senses, "
                                 f"got {len(pair)}")
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
        recovered = (match[0][0] is not None and match[0][0] != match[1][0]
                     and min(match[0][1], match[1][1]) >= threshold)
        row = {"word": word}
        right_here = 0
        for i, p in enumerate(pair):
            c = contextualize(emb, word, p.context, k=k, temperature=t)
            nb = emb.unit(emb.indices(c.words))
            own, other = _mean_cos(emb, nb, inds[i]), _mean_cos(emb, nb, inds[1 - i])
            right = own > other
            right_here += right
            row[f"sense_{'ab'[i]}"] = p.sense
            row[f"lean_{'ab'[i]}"] = round(own - other, 3)
            if found:
                choice = sense_probabilities(emb, word, p.context, target=match[i][0],
                                             temperature=t, found=found)
                n_choice += choice.choice == choice.target
                losses.append(choice.loss)
            n_ctx += 1
        n_right += right_here
        row["contexts_right"] = right_here
        row["senses_recovered"] = bool(recovered)
        row["sense_match"] = " | ".join(
            f"{p.sense}->{'-' if m[0] is None else m[0] + 1} ({m[1]:.2f})"
            for p, m in zip(pair, match))
        per_word.append(row)
    if not per_word:
        raise ParameterError("no probe word could be evaluated with these vectors "
                             f"(skipped: {', '.join(skipped)})")
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
