"""Where geomlab keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$GEOMLAB_CACHE_DIR`` when set, else the platform's user cache folder for geomlab.

    The platform folder comes from ``platformdirs``: ``$XDG_CACHE_HOME/geomlab`` or
    ``~/.cache/geomlab`` on Linux (the folder geomlab has always used there),
    ``~/Library/Caches/geomlab`` on macOS, ``%LOCALAPPDATA%\\geomlab\\Cache`` on Windows.
    The folder is not created here; writers create it when they first write.
    """
    env = os.environ.get("GEOMLAB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs  # here, not at module level: `import geomlab` stays numpy-only

    return Path(platformdirs.user_cache_dir("geomlab", appauthor=False))
