"""Opening a vector file and telling its format from its content.

:func:`detect_format` reads the first bytes: gzip/bz2/xz magic numbers name the
compression, then a sample of the (decompressed) start tells GloVe text, word2vec text and
word2vec binary apart, and recognises (without loading) a gensim pickle. :class:`Reader`
is the stream both parsers read through; :func:`parse_header` and :func:`check_size` are
the ``count dim`` header checks they share.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import zlib
from pathlib import Path

from .._save import is_number
from ..errors import FormatError, GeomlabError
from .bounded import as_path, check_regular

__all__ = ["BOM", "CHUNK", "WS", "Reader", "check_size", "detect_format", "parse_header"]

BOM = b"\xef\xbb\xbf"
WS = b" \t\r\x0b\x0c"  # what bytes.rstrip() removes, '\n' aside (gensim strips these)
CHUNK = 32 << 20  # bytes of text parsed at a time: bounds memory on huge files
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
_OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # fastText's FASTTEXT_FILEFORMAT_MAGIC


class Reader:
    """A binary stream that turns decompression failures into FormatErrors."""

    def __init__(self, path: Path, compression: str | None):
        self.path = path
        self.compression = compression
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise GeomlabError(f"cannot read {str(path)!r}: {exc.strerror}") from None
        self._fh = raw if compression is None else _OPENERS[compression](raw, "rb")
        self._raw = raw

    def read(self, n: int) -> bytes:
        try:
            return self._fh.read(n)
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            self._fail(exc)

    def readinto(self, buf) -> int:
        """Fill ``buf`` as far as the data goes (fewer bytes only at the end)."""
        total = 0
        view = memoryview(buf)
        while total < len(view):
            try:
                n = self._fh.readinto(view[total:])
            except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
                self._fail(exc)
            if not n:
                break
            total += n
        return total

    def _fail(self, exc):
        if self.compression is None:
            raise GeomlabError(f"cannot read {str(self.path)!r}: {exc}") from None
        raise FormatError(
            f"corrupt or truncated {self.compression} data ({exc})", self.path
        ) from None

    def close(self) -> None:
        self._fh.close()
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _sniff_compression(head: bytes, path: Path) -> str | None:
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    if head.startswith(b"PK\x03\x04"):
        raise FormatError("a zip archive: unzip it and load the vector file inside", path)
    return None


def parse_header(line: bytes) -> tuple[int, int] | None:
    """``count dim`` as two positive integers, or None when the line is not a header."""
    fields = line.strip(WS).split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        return None
    return int(fields[0]), int(fields[1])


def check_size(reader: Reader, path: Path, count: int, dim: int, need: int) -> None:
    """A lying header fails here, before anything is read or allocated."""
    if reader.compression is not None:
        return  # no size to check against; nothing is sized by the header in any case
    size = os.path.getsize(path)
    if need > size:
        raise FormatError(
            f"the header says {count:,} words of {dim:,} dimensions, which needs at least "
            f"{need:,} bytes, but the file has {size:,} (header and body disagree, or the "
            "file is truncated)",
            path,
            1,
        )


def _looks_like_text_record(line: bytes, dim: int) -> bool:
    try:
        parts = line.rstrip(WS).decode("utf-8").split(" ")
    except UnicodeDecodeError:
        return False
    return len(parts) > dim and all(is_number(p) for p in parts[-dim:])


def _detect_in_sample(sample: bytes, path: Path) -> str:
    """Format of an uncompressed sample from the start of the file."""
    if not sample.strip(WS + b"\n"):
        raise FormatError("empty file: no vectors", path)
    if sample[:1] == b"\x80" and sample[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        if b"gensim" in sample[:4096]:
            return "gensim"
        raise FormatError("a Python pickle that is not a gensim KeyedVectors file", path)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError("the file is UTF-16; word-vector files must be UTF-8", path, 1)
    if sample.startswith(_FASTTEXT_MAGIC):
        raise FormatError(
            "a native fastText model (.bin), not a word-vector file: load the .vec file "
            "fastText writes beside it (geomlab.load('model.vec')), or read the model with "
            "gensim (kv = gensim.models.fasttext.load_facebook_vectors(path)) and wrap it "
            "with geomlab.Embeddings.from_gensim(kv)",
            path,
        )
    sample = sample.removeprefix(BOM)
    nl = sample.find(b"\n")
    first = sample if nl < 0 else sample[:nl]
    if b"\r" in first.rstrip(WS):
        raise FormatError(
            "lines end in a carriage return alone (CR, classic Mac OS line endings): "
            "convert them to LF first, e.g. tr '\\r' '\\n' < old > new",
            path,
            1,
        )
    header = parse_header(first)
    if header is None:
        return "glove"
    if nl < 0:
        return "word2vec-text"
    body = sample[nl + 1 :]
    dim = header[1]
    nl2 = body.find(b"\n")
    if dim and _looks_like_text_record(body if nl2 < 0 else body[:nl2], dim):
        return "word2vec-text"
    # The vector bytes of a binary record are mostly outside printable ASCII; a text file
    # with a damaged second line is not.
    sp = body.find(b" ")
    region = body[sp + 1 : sp + 1 + min(4 * dim, 4096)] if sp >= 0 else body[:4096]
    if not region:
        return "word2vec-text"
    printable = sum(1 for b in region if 32 <= b < 127 or b in (9, 10, 13))
    return "word2vec-text" if printable >= 0.9 * len(region) else "word2vec-binary"


def detect_format(path: str | os.PathLike) -> tuple[str, str | None]:
    """The format of a vector file or folder, read from its content.

    Returns
    -------
    (format, compression) : tuple of str and (str or None)
        ``format`` is one of ``"geomlab"``, ``"word2vec-text"``, ``"word2vec-binary"``,
        ``"glove"``, ``"gensim"``; ``compression`` is ``"gzip"``, ``"bz2"``, ``"xz"`` or
        None.
    """
    path = as_path(path)
    # a FIFO would block the read below, a device (/dev/zero) never end: refused first
    if stat.S_ISDIR(check_regular(path, folder_ok=True).st_mode):
        return "geomlab", None
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise GeomlabError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    compression = _sniff_compression(head, path)
    with Reader(path, compression) as reader:
        sample = reader.read(1 << 16)
    return _detect_in_sample(sample, path), compression
