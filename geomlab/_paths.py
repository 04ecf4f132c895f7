"""Where geomlab keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$GEOMLAB_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/geomlab`` or ``~/.cache/geomlab``.

    The folder is not created here; writers create it when they first write.
    """
    env = os.environ.get("GEOMLAB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "geomlab"
