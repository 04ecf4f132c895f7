"""Progress bars on a terminal only; the library never prints otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython is only looked at if already loaded)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except AttributeError:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_enabled(progress: bool | None) -> bool:
    """``None`` means: show a bar when stderr is a terminal or the code runs in a Jupyter
    notebook (whose stderr is no terminal), unless GEOMLAB_NO_PROGRESS is set."""
    if progress is not None:
        return bool(progress)
    if os.environ.get("GEOMLAB_NO_PROGRESS"):
        return False
    if in_notebook():
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress(
    iterable: Iterable,
    *,
    total: int | None = None,
    desc: str = "",
    enabled: bool | None = None,
    unit: str = "it",
):
    """Wrap ``iterable`` in a tqdm bar on stderr when enabled, else return it unchanged."""
    if not progress_enabled(enabled):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)
