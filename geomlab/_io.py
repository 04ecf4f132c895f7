"""Atomic writes (a temporary file or folder beside the target, then one rename), and how
geomlab recognises a folder it wrote."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import GeomlabError

__all__ = ["REPORT_GENERATOR", "atomic_dir", "atomic_file", "is_report", "write_text_atomic"]

#: the ``generator`` a report writes into its ``results.json``; the report replaces only
#: folders that carry it, and the explorer never writes into one
REPORT_GENERATOR = "geomlab report"


def is_report(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding a report that geomlab wrote."""
    try:
        meta = json.loads((Path(path) / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("generator") == REPORT_GENERATOR


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _ordinary_mode(path: str | os.PathLike, *, folder: bool) -> None:
    """mkstemp/mkdtemp make private (0600/0700) temporaries; give the result the mode a
    plain open()/mkdir() would have had."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def _check_parent(path: Path) -> None:
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GeomlabError(f"cannot create folder {str(parent)!r}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise GeomlabError(f"cannot write to folder {str(parent)!r}: permission denied")


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path``; on success rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    _check_parent(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _ordinary_mode(tmp, folder=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path, "w") as fh:
        fh.write(text)
    return Path(path)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, *, replace: bool = True) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``path``; on success move it onto ``path``.

    An existing folder at ``path`` is replaced only when ``replace`` is true (it is first
    renamed aside, so a failure never leaves neither). On any exception the temporary
    folder is removed and ``path`` is untouched.
    """
    path = Path(path)
    _check_parent(path)
    if path.exists() and not replace:
        raise GeomlabError(f"{str(path)!r} already exists (pass force/replace to overwrite)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        _ordinary_mode(tmp, folder=True)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.rmdir(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
