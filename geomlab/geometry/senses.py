"""Senses of a word: discourse atoms and neighborhood clusters.

A static vector is one point for every sense of a word. Arora et al. (2018, TACL, "Linear
Algebraic Structure of Word Senses, with Applications to Polysemy") show that it is close
to a weighted sum of its sense vectors, and recover the senses by sparse coding. Two
methods are offered here:

``method="atoms"`` (Arora et al.)
    A dictionary of 500 unit "discourse atoms" is learned once over the 30,000 most
    frequent words (:mod:`geomlab.geometry._dictionary`, cached on disk; the default fit on
    the embedded GloVe ships with geomlab); the word's unit
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
random frequent words used as atoms for 32 % (:func:`geomlab.evaluate_polysemy`;
``scripts/polysemy_eval.py`` prints the current figures).

Every sense carries a ``kind``: ``"sense"``, or ``"weak"`` (a small coefficient or share),
``"noisy"`` (the atom hardly points toward the word, or its top words do not hang
together), or ``"facet"`` (it points the same way as a stronger sense of the same word:
two faces of one meaning, not two meanings), with a ``note`` that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import check_int, check_k
from ..embeddings import accepts_gensim
from ..errors import ParameterError
from . import _dictionary

__all__ = ["AtomCode", "Sense", "senses", "word_atoms"]

METHODS = ("atoms", "cluster")

# thresholds of the sense kinds, set by reading the atoms of the probe words on the embedded
# GloVe: most stray atoms in a word's code (tie: jessica, jennifer; apple: alaska, montana)
# have cosines below 0.25 with the word, though not all (crane's first-name atom, from the
# surname, has 0.44 and stays a "sense"); the atoms' coherence has its 5th percentile near
# 0.32 and its median near 0.68
WEAK_WEIGHT = 0.2  # atoms: OMP coefficient of a unit word vector
WEAK_SHARE = 0.15  # clusters: share of the neighbors' similarity mass
NOISY_COSINE = 0.25  # the sense vector's cosine with the word itself
NOISY_COHERENCE = 0.45  # mean pairwise cosine of the sense's top 10 words
FACET_COSINE = 0.6  # cosine with a stronger sense of the same word


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
        return {
            "kind": self.kind,
            "weight": self.weight,
            "share": self.share,
            "cosine": self.cosine,
            "coherence": self.coherence,
            "words": ", ".join(self.words[:8]),
            "note": self.note,
        }


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


@dataclass
class _Candidate:
    """A sense as found by :func:`_atom_senses` or :func:`_cluster_senses`, before
    :func:`_label` sets its ``kind`` and ``note``."""

    words: tuple[str, ...]
    vector: np.ndarray  # unit length, float32
    weight: float
    cosine: float
    coherence: float
    weight_is_weak: bool
    weak_note: str  # the note when the weight is weak
    atom: int | None = None
    kind: str = "sense"
    note: str = ""


def _label(found: list[_Candidate]) -> None:
    """Set kind and note of each candidate (strongest first), in place."""
    for i, s in enumerate(found):
        s.kind, s.note = "sense", ""
        if s.weight_is_weak:
            s.kind, s.note = "weak", s.weak_note
        elif s.cosine < NOISY_COSINE:
            s.kind = "noisy"
            s.note = f"points away from the word (cosine {s.cosine:.2f} < {NOISY_COSINE})"
        elif s.coherence < NOISY_COHERENCE:
            s.kind = "noisy"
            s.note = (
                f"its words do not hang together (coherence {s.coherence:.2f} < {NOISY_COHERENCE})"
            )
        else:
            for j in range(i):
                c = float(found[j].vector @ s.vector)
                if found[j].kind == "sense" and c >= FACET_COSINE:
                    s.kind = "facet"
                    s.note = f"facet of sense {j + 1} (cosine {c:.2f} >= {FACET_COSINE})"
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
    >>> found = geomlab.senses(emb, "apple")           # the default atoms ship with geomlab
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
    total = sum(s.weight for s in found) or 1.0
    return [
        Sense(
            word=word,
            method=method,
            words=s.words,
            vector=s.vector,
            weight=float(s.weight),
            share=float(s.weight / total),
            cosine=float(s.cosine),
            coherence=float(s.coherence),
            kind=s.kind,
            note=s.note,
            atom=s.atom,
        )
        for s in found
    ]


def _atom_senses(
    emb, row, top, n_words, n_atoms, sparsity, random_state, cache
) -> list[_Candidate]:
    d = _dictionary.fit_dictionary(
        emb,
        n_words=n_words,
        n_atoms=n_atoms,
        sparsity=sparsity,
        random_state=random_state,
        cache=cache,
    )
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
        found.append(
            _Candidate(
                words=tuple(emb.words[i] for i in order),
                vector=atom,
                weight=float(code[j]),
                cosine=float(atom @ x),
                coherence=_coherence(cand[order[:10]]),
                atom=int(j),
                weight_is_weak=bool(code[j] < WEAK_WEIGHT),
                weak_note=f"small coefficient ({code[j]:.2f} < {WEAK_WEIGHT})",
            )
        )
    return found


def _cluster_senses(
    emb, row, top, n_words, n_neighbors, max_senses, random_state
) -> list[_Candidate]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n_neighbors = check_k(n_neighbors)
    check_int(max_senses, "max_senses", low=2)
    check_int(n_words, "n_words", low=2)
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
        found.append(
            _Candidate(
                words=tuple(emb.words[i] for i in order[:top]),
                vector=centre.astype(np.float32),
                weight=share,
                cosine=float(centre @ x),
                coherence=_coherence(cand[order[:10]]),
                weight_is_weak=share < WEAK_SHARE,
                weak_note=f"small share of the neighbors ({share:.2f} < {WEAK_SHARE})",
            )
        )
    found.sort(key=lambda s: -s.weight)
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
        return [
            {"atom": a, "coefficient": float(c), "words": ", ".join(w[:8])}
            for a, c, w in zip(self.atoms, self.coefficients, self.words)
        ]

    def summary(self) -> dict:
        return {
            "word": self.word,
            "n_atoms": self.params["n_atoms"],
            "n_words": self.params["n_words"],
            "sparsity": self.params["sparsity"],
            "residual": self.residual,
            "from_cache": self.from_cache,
            "fit_seconds": self.fit_seconds,
            "cache_path": self.cache_path,
        }


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
    >>> from geomlab.geometry.senses import word_atoms
    >>> code = word_atoms(geomlab.load(), "bank")
    >>> len(code.atoms) <= code.params["sparsity"]
    True
    """
    top = check_k(top)
    row = _check_word(emb, word)
    d = _dictionary.fit_dictionary(
        emb,
        n_words=n_words,
        n_atoms=n_atoms,
        sparsity=sparsity,
        random_state=random_state,
        cache=cache,
    )
    x = emb.unit([row])[0].astype(np.float64)
    code = _dictionary.sparse_code(d, x)
    nz = [int(j) for j in np.argsort(-code, kind="stable") if code[j] != 0]
    nz = [j for j in nz if code[j] > 0] + [j for j in nz if code[j] < 0]
    cand = emb.unit(np.arange(d.n_words))
    described = []
    for j in nz:
        order = [i for i in np.argsort(-(cand @ d.atoms[j]), kind="stable")[: top + 1] if i != row][
            :top
        ]
        described.append(tuple(emb.words[i] for i in order))
    residual = float(np.linalg.norm(x - code @ d.atoms.astype(np.float64)))
    return AtomCode(
        word=word,
        atoms=tuple(nz),
        coefficients=code[nz],
        words=tuple(described),
        residual=residual,
        params=dict(d.params),
        key=d.key,
        cache_path=None if d.path is None else str(d.path),
        from_cache=d.from_cache,
        fit_seconds=float(d.fit_seconds),
    )
