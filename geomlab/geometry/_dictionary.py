"""Discourse atoms: a sparse-coding dictionary over the frequent vocabulary, cached on disk.

Arora et al. (2018, TACL, "Linear Algebraic Structure of Word Senses, with Applications to
Polysemy") write each word vector as a sparse combination of a few unit "discourse
atoms": ``x_w ~ sum_j alpha_wj a_j`` with at most ``sparsity`` non-zero ``alpha``. The atoms
are learned once for the whole vocabulary; a polysemous word's senses are among its atoms.

The fit is scikit-learn's :class:`~sklearn.decomposition.MiniBatchDictionaryLearning`
(L1-penalised codes while learning, ``fit_algorithm="lars"``, early stopping on the
objective, ``random_state`` fixed so the same call gives the same atoms); a word's code is
computed afterwards with orthogonal matching pursuit, exactly ``sparsity`` atoms, as in the
paper. The atoms are written atomically to ``geomlab._paths.cache_dir() / "atoms"`` in a
``.npz`` file whose name is a hash of the vectors, the words and every parameter, so a
later call (in any process) reads them back in milliseconds.

The default fit on the embedded GloVe ships with geomlab, under the same name, in
``geomlab/data/`` (``data/README.md`` says how it was made): it is looked up after the cache
folder, so a first call with the default parameters (a fresh install, a test session with
an empty cache, the report) reads the atoms instead of fitting them. It is exactly what
``fit_dictionary(geomlab.load(), cache=False)`` returns on the development machine
(``tests/test_polysemy.py::test_shipped_atoms_are_the_default_fit``, marked slow, checks
it); any other vectors or parameters miss it and are fitted.

The defaults, for 50-dimensional vectors
----------------------------------------
``n_words=30000``
    The frequent words carry the discourse structure; rarer GloVe 6B words are mostly
    names, numbers and foreign tokens whose vectors are noisy. The fit's cost grows with
    the number of words (see Cost below): 30,000 words cost about half a minute of CPU.
``n_atoms=500``
    Arora et al. use 2,000 atoms for 300 dimensions (about 7x overcomplete). In 50
    dimensions 500 atoms is already 10x overcomplete. In early comparisons (first draft of
    the probe file, a looser matching rule than :func:`~geomlab.evaluate_polysemy` now
    uses) 300 atoms on 20,000 words recovered fewer probe senses than 500 (0.62 against
    0.70), and 1,000 atoms on 30,000 words gave less coherent atoms (median coherence of
    the top 10 words 0.65 against 0.68) and no better recovery (0.68 against 0.68).
``sparsity=5``
    The paper's value: a word is explained by at most five atoms, enough for two or three
    senses plus one or two generic atoms (a name atom, a date atom).
``alpha=0.2``
    The L1 weight while learning, for unit-length rows: codes stay sparse (a few atoms
    active per word) without starving the atoms of data.

Cost: scikit-learn's LARS codes one word at a time (about 1 ms per word and pass, in
Python), so the fit costs in proportion to the words seen; early stopping ends it after
about one pass over the 30,000 words. Measured on the 2-core development machine: 30-32 s
of CPU time for the first fit (78-88 s of wall time while the machine was shared with other
jobs at a load average near 9); reading the cache back takes about 30 ms. Running all 5
passes instead of stopping early took about five times longer and did not improve the
probe figures (0.68 against 0.70 in the same early comparison). ``scripts/polysemy_eval.py``
measures the fit again.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .. import _paths
from .._io import atomic_file
from .._validation import check_int
from ..errors import GeomlabError, ParameterError

__all__ = ["CACHE_VERSION", "DEFAULTS", "Dictionary", "fit_dictionary", "sparse_code"]

#: default parameters of :func:`fit_dictionary` (see the module notes for the choices)
DEFAULTS = {
    "n_words": 30000,
    "n_atoms": 500,
    "sparsity": 5,
    "alpha": 0.2,
    "max_epochs": 5,
    "batch_size": 256,
    "random_state": 0,
}
#: bumped when the cached file's layout or the fitting procedure changes
CACHE_VERSION = 1

#: how many fits this process has run (the cache tests read it)
fit_count = 0


@dataclass(frozen=True, eq=False)
class Dictionary:
    """Learned discourse atoms.

    Attributes
    ----------
    atoms : ndarray, shape (n_atoms, dim), float32
        Unit-length rows.
    params : dict
        The parameters of the fit (``n_words``, ``n_atoms``, ``sparsity``, ``alpha``,
        ``max_epochs``, ``batch_size``, ``random_state``).
    key : str
        Hash of the vectors, the words and the parameters; the cache file's name.
    path : Path or None
        The cache file, or the shipped file the atoms were read from (None when caching
        was off or the cache folder could not be written).
    fit_seconds : float
        Wall time of the fit that produced the atoms (stored with them).
    from_cache : bool
        Whether this call read the atoms from the cache instead of fitting.
    """

    atoms: np.ndarray = field(repr=False)
    params: dict
    key: str
    path: Path | None
    fit_seconds: float
    from_cache: bool

    @property
    def n_atoms(self) -> int:
        return int(self.atoms.shape[0])

    @property
    def sparsity(self) -> int:
        return int(self.params["sparsity"])

    @property
    def n_words(self) -> int:
        return int(self.params["n_words"])


def _params(emb, n_words, n_atoms, sparsity, alpha, max_epochs, batch_size, random_state):
    p = {
        "n_words": min(check_int(n_words, "n_words", low=2), len(emb)),
        "n_atoms": check_int(n_atoms, "n_atoms", low=2),
        "sparsity": check_int(sparsity, "sparsity", low=1),
        "max_epochs": check_int(max_epochs, "max_epochs", low=1),
        "batch_size": check_int(batch_size, "batch_size", low=1),
        "random_state": check_int(random_state, "random_state", low=0),
    }
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, (int, float))
        or not (math.isfinite(alpha) and alpha > 0)
    ):
        raise ParameterError(f"alpha must be a positive finite number, got {alpha!r}")
    p["alpha"] = float(alpha)
    if p["sparsity"] > p["n_atoms"]:
        raise ParameterError(
            f"sparsity must be at most n_atoms ({p['n_atoms']}), got {p['sparsity']}"
        )
    if p["n_atoms"] > p["n_words"]:
        raise ParameterError(
            f"n_atoms must be at most the number of words fitted ({p['n_words']}), "
            f"got {p['n_atoms']}"
        )
    return p


def _key(emb, params: dict) -> str:
    n = params["n_words"]
    h = hashlib.sha256()
    h.update(json.dumps({"version": CACHE_VERSION, **params}, sort_keys=True).encode())
    h.update(np.ascontiguousarray(emb.vectors[:n], dtype=np.float32).tobytes())
    h.update("\n".join(emb.words[:n]).encode("utf-8"))
    return h.hexdigest()[:24]


def _read(path: Path, params: dict, dim: int) -> tuple[np.ndarray, float] | None:
    """The cached atoms, or None when there are none or the file cannot be trusted
    (unreadable, truncated, or written for other parameters): the caller then refits and
    replaces it atomically."""
    try:
        with np.load(path, allow_pickle=False) as z:
            atoms = np.array(z["atoms"], dtype=np.float32)
            stored = json.loads(str(z["params"]))
            seconds = float(z["fit_seconds"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    if stored != params or atoms.shape != (params["n_atoms"], dim) or not np.isfinite(atoms).all():
        return None
    return atoms, seconds


def _shipped(key: str) -> Path | None:
    """The atoms shipped with geomlab under this key (package data), if any."""
    ref = resources.files("geomlab").joinpath("data", f"atoms-{key}.npz")
    return Path(str(ref)) if ref.is_file() else None


def fit_dictionary(
    emb,
    *,
    n_words: int = DEFAULTS["n_words"],
    n_atoms: int = DEFAULTS["n_atoms"],
    sparsity: int = DEFAULTS["sparsity"],
    alpha: float = DEFAULTS["alpha"],
    max_epochs: int = DEFAULTS["max_epochs"],
    batch_size: int = DEFAULTS["batch_size"],
    random_state: int = DEFAULTS["random_state"],
    cache: bool = True,
) -> Dictionary:
    """Learn (or read from the cache) the discourse atoms of the first ``n_words`` words.

    Parameters
    ----------
    emb : Embeddings
    n_words : int
        Fit on the first (most frequent) ``n_words`` words, as unit vectors.
    n_atoms : int
        Number of atoms.
    sparsity : int
        Atoms per word when coding (orthogonal matching pursuit); stored with the atoms.
    alpha : float
        L1 penalty of the codes while learning.
    max_epochs : int
        Upper bound on passes over the words (the fit usually stops earlier, when the
        objective stops improving).
    batch_size : int
        Words per mini-batch.
    random_state : int
        Seed of the fit: the same seed, vectors and parameters give the same atoms.
    cache : bool
        Read and write the atoms under ``cache_dir() / "atoms"``, and read the atoms shipped
        with geomlab (the default fit on the embedded GloVe); False: always fit.

    Returns
    -------
    Dictionary

    Examples
    --------
    >>> import geomlab
    >>> from geomlab.geometry._dictionary import fit_dictionary
    >>> d = fit_dictionary(geomlab.load())          # doctest: +SKIP
    >>> d.atoms.shape                               # doctest: +SKIP
    (500, 50)
    """
    global fit_count
    params = _params(emb, n_words, n_atoms, sparsity, alpha, max_epochs, batch_size, random_state)
    key = _key(emb, params)
    path = _paths.cache_dir() / "atoms" / f"atoms-{key}.npz" if cache else None
    if path is not None:
        found = _read(path, params, emb.dim)
        if found is not None:
            return Dictionary(found[0], params, key, path, found[1], True)
        shipped = _shipped(key)
        found = None if shipped is None else _read(shipped, params, emb.dim)
        if found is not None:
            return Dictionary(found[0], params, key, shipped, found[1], True)

    from sklearn.decomposition import MiniBatchDictionaryLearning
    from sklearn.exceptions import ConvergenceWarning

    x = emb.unit(np.arange(params["n_words"]))
    start = time.perf_counter()
    learner = MiniBatchDictionaryLearning(
        n_components=params["n_atoms"],
        alpha=params["alpha"],
        max_iter=params["max_epochs"],
        batch_size=params["batch_size"],
        fit_algorithm="lars",
        transform_algorithm="omp",
        transform_n_nonzero_coefs=params["sparsity"],
        random_state=params["random_state"],
    )
    with warnings.catch_warnings():
        # LARS on near-collinear atoms warns on many batches; the fit is still fine
        warnings.simplefilter("ignore", ConvergenceWarning)
        learner.fit(x)
    seconds = time.perf_counter() - start
    fit_count += 1
    atoms = np.asarray(learner.components_, dtype=np.float64)
    norms = np.linalg.norm(atoms, axis=1, keepdims=True)
    atoms = (atoms / np.where(norms == 0, 1, norms)).astype(np.float32)
    if path is not None:
        buf = io.BytesIO()
        np.savez(
            buf,
            atoms=atoms,
            params=np.array(json.dumps(params, sort_keys=True)),
            fit_seconds=np.array(seconds),
        )
        try:
            with atomic_file(path, "wb") as fh:
                fh.write(buf.getvalue())
        except (OSError, GeomlabError):
            # A read-only or full cache folder: use the atoms uncached (path None), as the
            # vector cache falls back to a plain load; the fit is not thrown away.
            path = None
    return Dictionary(atoms, params, key, path, seconds, False)


def sparse_code(
    dictionary: Dictionary, x: np.ndarray, *, sparsity: int | None = None
) -> np.ndarray:
    """Orthogonal-matching-pursuit codes of unit vectors ``x`` over the atoms.

    Parameters
    ----------
    dictionary : Dictionary
    x : ndarray, shape (dim,) or (n, dim)
    sparsity : int, optional
        Non-zero coefficients per vector (default: the dictionary's).

    Returns
    -------
    ndarray, shape (n_atoms,) or (n, n_atoms), float64
    """
    from sklearn.linear_model import orthogonal_mp

    s = dictionary.sparsity if sparsity is None else check_int(sparsity, "sparsity", low=1)
    s = min(s, dictionary.n_atoms)
    x = np.asarray(x, dtype=np.float64)
    codes = orthogonal_mp(dictionary.atoms.T.astype(np.float64), x.T, n_nonzero_coefs=s)
    return np.asarray(codes).T
