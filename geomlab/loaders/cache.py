"""Binary cache of loaded vectors (filled in by the loader work)."""

from __future__ import annotations


def load_embedded_fast(name, vec_path, idx_path):
    """Return the embedded set from a fast cache, or None when there is none yet."""
    return None
