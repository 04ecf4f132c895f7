"""Bounded reading of the files a user names: regular files only, and never without limit.

A FIFO blocks a reader until someone writes to it, and ``/dev/zero`` (any character
device) never ends: geomlab refuses both before reading a byte. The text files it reads
whole (benchmark sets, word lists) are refused past :data:`MAX_TEXT_BYTES` by their size,
checked before anything is read. Vector files have no size limit (they are streamed in
bounded blocks), only the regular-file check. :func:`as_path` checks the name itself.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import FormatError, GeomlabError, ParameterError

__all__ = ["MAX_TEXT_BYTES", "as_path", "check_regular", "read_bounded"]

MAX_TEXT_BYTES = 256 << 20  # benchmark sets and word lists are a few MB; 256 MB is plenty

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def as_path(value, what: str = "path") -> Path:
    """``value`` (a ``str`` or ``os.PathLike``) as a Path; ParameterError for anything else,
    an empty string, or a NUL character (which no file name can hold)."""
    if not isinstance(value, (str, os.PathLike)):
        raise ParameterError(
            f"{what} must be a str or a path (os.PathLike), got {type(value).__name__}"
            + (": decode bytes first, e.g. os.fsdecode(...)" if isinstance(value, bytes) else "")
        )
    text = os.fspath(value)
    if not isinstance(text, str):
        raise ParameterError(f"{what} must name a path as text, got {type(text).__name__}")
    if not text:
        raise ParameterError(f"{what} is an empty string: name a file or folder")
    if "\0" in text:
        raise ParameterError(f"{what} {text!r} contains a NUL character")
    return Path(text)


def _cannot(path, exc: OSError) -> GeomlabError:
    if exc.errno == errno.ELOOP:
        why = "a loop of symbolic links"
    else:
        why = exc.strerror or str(exc)
    return GeomlabError(f"cannot read {str(path)!r}: {why}")


def check_regular(path: str | os.PathLike, *, folder_ok: bool = False) -> os.stat_result:
    """``os.stat(path)`` when ``path`` is a regular file (or a folder, when allowed).

    Raises :class:`GeomlabError` for a FIFO, a device or a socket, which a reader could
    wait on forever or read without end, and for a path that cannot be examined.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _cannot(path, exc) from None
    if stat.S_ISREG(st.st_mode) or (folder_ok and stat.S_ISDIR(st.st_mode)):
        return st
    if stat.S_ISDIR(st.st_mode):
        raise FormatError("expected a file, got a folder", path)
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    raise GeomlabError(
        f"cannot read {str(path)!r}: it is {kind}, not a regular file; geomlab reads only "
        "files whose size it can check (save the data to a file first)"
    )


def read_bounded(path: str | os.PathLike, *, limit: int | None = None, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (:data:`MAX_TEXT_BYTES`).

    The size is checked before reading, and the read itself stops at ``limit + 1`` bytes
    (a file that grows while it is read is refused too).
    """
    limit = MAX_TEXT_BYTES if limit is None else limit
    path = Path(path)
    st = check_regular(path)
    too_big = FormatError(
        f"the {what} is larger than the limit of {limit:,} bytes ({st.st_size:,} bytes); "
        "not a benchmark or word-list file?",
        path,
    )
    if st.st_size > limit:
        raise too_big
    try:
        # O_NONBLOCK: should the path have become a FIFO since the check, open returns
        # at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _cannot(path, exc) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise GeomlabError(f"cannot read {str(path)!r}: not a regular file")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise _cannot(path, exc) from None
    if len(data) > limit:
        raise too_big
    return data
