"""Sources from gensim's downloader catalogue (need a network connection)."""

from __future__ import annotations

from ..errors import GeomlabError

REMOTE_SOURCES: dict[str, str] = {}


def load_remote(name: str, *, limit: int | None = None):
    raise GeomlabError(f"remote source {name!r} is not available")
