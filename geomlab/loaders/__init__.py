"""Loaders: named sources and vector files, detected by content.

==============  ==================================================================
``sources``     the named sources (the embedded GloVe, gensim-data's catalogue)
``cache``       the validated, memory-mapped binary cache (the embedded set too)
``read``        :func:`load_file`: resolves the format and calls one reader below
``detect``      opening (gzip, bz2, xz), format detection, the shared header checks
``text``        word2vec text, GloVe and fastText ``.vec``
``binary``      word2vec binary
``native``      geomlab folders and gensim ``KeyedVectors.save`` files
``loadreport``  :class:`LoadReport`, and the tally the parsers keep
``remote``      gensim-data downloads
``bounded``     path checks; regular files only, text read with a size limit
==============  ==================================================================

Writing is :mod:`geomlab._save`, below ``Embeddings`` (which offers ``save`` too). Loading
the embedded set imports ``sources``, ``cache``, ``loadreport`` and ``bounded`` only: the
parsers and the network module are imported on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._validation import check_int
from ..errors import GeomlabError, ParameterError
from .bounded import as_path, check_regular
from .sources import DEFAULT_SOURCE, load_embedded, sources

__all__ = [
    "DEFAULT_SOURCE",
    "LoadReport",
    "as_path",
    "detect_format",
    "load",
    "load_file",
    "save",
    "sources",
]

# public name -> module that defines it; imported on first use, so loading the embedded set
# never imports the parsers or the network module
_LAZY = {
    "LoadReport": "geomlab.loaders.loadreport",
    "detect_format": "geomlab.loaders.detect",
    "load_file": "geomlab.loaders.read",
    "save": "geomlab._save",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


FORMATS = (
    "auto",
    "geomlab",
    "word2vec-text",
    "word2vec-binary",
    "glove",
    "fasttext",
    "gensim",
)


def load(
    source: str | os.PathLike | None = None,
    *,
    format: str = "auto",
    on_error: str = "raise",
    cache: bool = True,
    limit: int | None = None,
):
    """Load word vectors from a named source or a file.

    Parameters
    ----------
    source : str or path, optional
        ``None`` for the embedded GloVe 6B 50d; a name from :func:`geomlab.sources`; or a
        path to a vector file (word2vec text/binary, GloVe text, fastText ``.vec``, gensim
        ``KeyedVectors.save`` file with ``format="gensim"``, gzip/bz2-compressed text, or a
        geomlab folder). A regular file or folder: a FIFO or a device is refused, never
        read.
    format : str
        ``"auto"`` detects the format from the file's content; or one of
        ``"geomlab"``, ``"word2vec-text"``, ``"word2vec-binary"``, ``"glove"``,
        ``"fasttext"``, ``"gensim"``. A gensim ``KeyedVectors.save`` file is a Python
        pickle, and loading a pickle runs any code it holds: such a file loads only with
        ``format="gensim"``, never by detection. Pass it only for files you trust.
    on_error : {"raise", "skip"}
        What to do with a malformed line: raise a :class:`FormatError` naming path and
        line, or skip it (the count is in the returned object's ``load_report``).
    cache : bool
        Write a binary cache on the first load of a text or binary file and memory-map it
        afterwards (under ``$GEOMLAB_CACHE_DIR``, default the user cache folder:
        ``~/.cache/geomlab`` on Linux).
    limit : int, optional
        Read only the first ``limit`` words.

    Returns
    -------
    Embeddings

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> len(emb), emb.dim
    (400000, 50)
    """
    if format not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    if on_error not in ("raise", "skip"):
        raise ParameterError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    limit = check_int(limit, "limit", allow_none=True)
    if source is None:
        source = DEFAULT_SOURCE
    as_path(source, "source")
    if isinstance(source, str) and source in sources() and not os.path.exists(source):
        if source == DEFAULT_SOURCE:
            emb = load_embedded(source)
            return emb if limit is None else emb.head(limit)
        from .remote import load_remote

        return load_remote(source, limit=limit, on_error=on_error, cache=cache)
    path = Path(source)
    if not path.exists():
        if os.path.islink(path):  # a dangling link or a loop of links: say which
            check_regular(path)
        raise GeomlabError(
            f"{str(source)!r} is neither a file nor a named source; named sources: "
            + ", ".join(sources())
        )
    from .read import load_file

    return load_file(path, format=format, on_error=on_error, cache=cache, limit=limit)
