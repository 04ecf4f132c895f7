"""Sources from gensim's downloader catalogue (gensim-data).

A name such as ``"glove-wiki-gigaword-100"`` loads from the file gensim's downloader keeps
in ``~/gensim-data/NAME/`` (``$GENSIM_DATA_DIR`` when set) if it is already there; the file
is parsed by geomlab's own loaders (and cached like any other file), never by running the
downloaded package code. Otherwise the machine must be online: a connectivity check with
a short timeout runs first, so an offline machine fails at once with a clear message
instead of hanging in a download.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from ..errors import GeomlabError, MissingDependencyError
from .read import load_file
from .sources import REMOTE_SOURCES

__all__ = ["REMOTE_SOURCES", "gensim_data_dir", "load_remote", "local_file"]


_CHECK_HOST = ("github.com", 443)  # gensim-data files are GitHub release assets
_CHECK_TIMEOUT_S = 3.0


def gensim_data_dir() -> Path:
    """Where gensim's downloader keeps its files: ``$GENSIM_DATA_DIR`` or ``~/gensim-data``."""
    env = os.environ.get("GENSIM_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / "gensim-data"


def local_file(name: str) -> Path | None:
    """The already-downloaded data file of ``name``, or None."""
    folder = gensim_data_dir() / name
    if not folder.is_dir():
        return None
    candidates = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith(name) and p.suffix not in (".py", ".json", ".pyc")
    )
    return candidates[0] if candidates else None


def _online(timeout: float = _CHECK_TIMEOUT_S) -> bool:
    """Whether the download host answers within ``timeout`` seconds (DNS included)."""
    result: list[bool] = []

    def probe():
        try:
            with socket.create_connection(_CHECK_HOST, timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    # A thread, because name resolution ignores socket timeouts and can hang for long.
    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def load_remote(
    name: str, *, limit: int | None = None, on_error: str = "raise", cache: bool = True
):
    """Load a gensim-data source: the local copy when there is one, else download it.

    Raises
    ------
    GeomlabError
        At once when the name is unknown, or when no local copy exists and the machine is
        offline.
    """
    if name not in REMOTE_SOURCES:
        raise GeomlabError(f"no remote source named {name!r}; known: " + ", ".join(REMOTE_SOURCES))
    path = local_file(name)
    if path is None:
        if not _online():
            raise GeomlabError(
                f"{name!r} is not downloaded (looked in {gensim_data_dir() / name}) and this "
                f"machine is offline ({_CHECK_HOST[0]} did not answer within "
                f"{_CHECK_TIMEOUT_S:g} s). Use the embedded default (geomlab.load()) or a "
                "vector file on disk."
            )
        try:
            import gensim.downloader as api
        except ImportError as exc:  # pragma: no cover - gensim is a dependency
            raise MissingDependencyError("downloading needs gensim: pip install gensim") from exc
        try:
            path = Path(api.load(name, return_path=True))
        except Exception as exc:  # noqa: BLE001 - any download failure is reported plainly
            raise GeomlabError(f"downloading {name!r} failed: {exc}") from None
    return load_file(path, format="auto", on_error=on_error, cache=cache, limit=limit)
