"""Cache of a model's dequantized float32 weights: written once, validated, memory-mapped.

Reading a GGUF file, dequantizing it and writing the entry (2.1-2.5 s of CPU time for
SmolLM2 on a busy machine, against 0.1 s for a warm load) is paid once. An entry is a folder under
``<cache>/lm/<file name>-<key>/``:

    weights.f32      every tensor, float32, C order, each starting on a 64-byte boundary
    tokenizer.json   the vocabulary, merges and token types
    meta.json        the source file's fingerprint (path, size, mtime, inode), the
                     configuration, the tensor index (name, offset, shape) and an xxh3-64
                     hash of both data files

A warm load checks the fingerprint, the sizes and the full hash (about 0.1 s for 540 MB
from the page cache), then memory-maps the weights: damage anywhere in the file, a stale
or a foreign entry is rebuilt, never trusted. The folder is written beside its final
place and renamed in one step, so a killed build leaves no half entry.

A cold load builds the weights straight into the new entry's file (:class:`NewEntry`,
memory-mapped): the dequantized weights are written once, where the model reads them,
instead of into memory and then copied to the file (0.4 s of CPU for SmolLM2's 538 MB
against 0.4-1.6 s, measured on a shared machine).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import mmap
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .._paths import cache_dir
from ..loaders.cache import _fingerprint  # the vector cache's source check, shared

__all__ = ["NewEntry", "entry_dir", "layout", "load_entry", "write_entry"]

_MAGIC = "geomlab-lm-cache"
_VERSION = 1
_ALIGN = 64


def _hash_file(path: Path) -> str:
    """xxh3-64 of a whole file (memory-mapped; 5+ GB/s)."""
    import xxhash

    size = path.stat().st_size
    if size == 0:
        return xxhash.xxh3_64(b"").hexdigest()
    data = np.memmap(path, dtype=np.uint8, mode="r")
    try:
        return xxhash.xxh3_64(data).hexdigest()
    finally:
        del data


def entry_dir(path: str | os.PathLike) -> Path:
    resolved = str(Path(path).resolve())
    key = hashlib.sha256(resolved.encode()).hexdigest()[:20]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(path).stem)[:40].lstrip(".") or "model"
    return cache_dir() / "lm" / f"{name}-{key}"


def load_entry(path: Path):
    """``(config dict, {name: float32 memmap view}, tokenizer json text)`` or None when
    there is no valid entry for ``path``."""
    entry = entry_dir(path)
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if (
            not isinstance(meta, dict)
            or meta.get("magic") != _MAGIC
            or meta.get("version") != _VERSION
            or meta.get("source") != _fingerprint(path)
        ):
            return None
        wpath, tpath = entry / "weights.f32", entry / "tokenizer.json"
        if (
            wpath.stat().st_size != meta["weights_bytes"]
            or _hash_file(wpath) != meta["weights_xxh3"]
        ):
            return None
        tok_bytes = tpath.read_bytes()
        import xxhash

        if xxhash.xxh3_64(tok_bytes).hexdigest() != meta["tokenizer_xxh3"]:
            return None
        # plain ndarray views of the map: a memmap subclass pays __array_finalize__ on
        # every slice, thousands of times per decoded token
        flat = np.memmap(wpath, dtype=np.float32, mode="r").view(np.ndarray)
        tensors = {}
        for name, (offset, shape) in meta["tensors"].items():
            n = int(np.prod(shape))
            if offset % 4 or offset // 4 + n > flat.size:
                return None
            tensors[name] = flat[offset // 4 : offset // 4 + n].reshape(shape)
        return meta["config"], tensors, tok_bytes.decode("utf-8")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _temp_entry(entry: Path) -> Path | None:
    """A private temporary folder beside ``entry`` to build it in (None: the cache folder
    cannot be written)."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent))
    except OSError:
        return None


def write_entry(path: Path, config, tensors, tokenizer_json: str, progress=None) -> bool:
    """Write the entry for ``path`` (tensors: an iterable of ``(name, float32 array)``).
    Returns False when the cache folder cannot be written (the model still loads)."""
    import xxhash

    entry = entry_dir(path)
    tmp = _temp_entry(entry)
    if tmp is None:
        return False
    try:
        index = {}
        offset = 0
        with open(tmp / "weights.f32", "wb") as fh:
            for name, arr in tensors:
                arr = np.ascontiguousarray(arr, dtype=np.float32)
                pad = -offset % _ALIGN
                fh.write(b"\0" * pad)
                offset += pad
                index[name] = (offset, list(arr.shape))
                fh.write(arr.tobytes())
                offset += arr.nbytes
                if progress is not None:
                    progress()
        (tmp / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
        meta = {
            "magic": _MAGIC,
            "version": _VERSION,
            "source": _fingerprint(path),
            "config": dataclasses.asdict(config),
            "tensors": index,
            "weights_bytes": offset,
            "weights_xxh3": _hash_file(tmp / "weights.f32"),
            "tokenizer_xxh3": xxhash.xxh3_64(tokenizer_json.encode("utf-8")).hexdigest(),
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if entry.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".old", dir=entry.parent))
            os.rmdir(old)
            os.replace(entry, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, entry)
        return True
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def layout(shapes) -> tuple[dict, int]:
    """The weights file of an entry for tensors ``(name, shape)`` in this order: the index
    ``{name: (byte offset, shape)}`` (float32, C order, each tensor on a 64-byte boundary)
    and the file's size in bytes."""
    index, offset = {}, 0
    for name, shape in shapes:
        offset += -offset % _ALIGN
        index[name] = (offset, [int(x) for x in shape])
        offset += 4 * int(np.prod(shape))
    return index, offset


class NewEntry:
    """An entry under construction: ``tensors`` are writable float32 views of its weights
    file (memory-mapped), laid out by :func:`layout`; :meth:`commit` adds the tokenizer
    and the metadata and puts the entry in place, :meth:`abandon` removes it.

    :meth:`open` returns None when the cache folder cannot be written or has no room for
    the file (the space is reserved first: running out of it while writing through a map
    would kill the process instead of raising)."""

    def __init__(self, path: Path, tmp: Path, flat: np.ndarray, index: dict, size: int):
        self.path, self.tmp, self.flat, self.index, self.size = path, tmp, flat, index, size
        self.tensors = {
            name: flat[offset // 4 : offset // 4 + int(np.prod(shape))].reshape(shape)
            for name, (offset, shape) in index.items()
        }

    @classmethod
    def open(cls, path: Path, shapes) -> NewEntry | None:
        if not hasattr(os, "posix_fallocate"):  # no way to reserve the space: write_entry
            return None
        index, size = layout(shapes)
        entry = entry_dir(path)
        tmp = _temp_entry(entry)
        if tmp is None:
            return None
        try:
            with open(tmp / "weights.f32", "wb+") as fh:
                if not size:
                    return cls(path, tmp, np.empty(0, np.float32), index, size)
                os.posix_fallocate(fh.fileno(), 0, size)  # only called where it exists
                mm = mmap.mmap(fh.fileno(), size)
        except (OSError, ValueError):
            shutil.rmtree(tmp, ignore_errors=True)
            return None
        # every page mapped in one call: page by page, the first writes cost 0.25-0.9 s of
        # CPU for SmolLM2's 538 MB on a busy machine, this 0.25-0.3 s (measured)
        with contextlib.suppress(AttributeError, OSError, ValueError):
            mm.madvise(getattr(mmap, "MADV_POPULATE_WRITE", 23))  # Linux 5.14 and later
        # a plain ndarray over the map, as load_entry gives its tensors
        return cls(path, tmp, np.frombuffer(mm, dtype=np.float32), index, size)

    def commit(self, config, tokenizer_json: str) -> bool:
        """Write the tokenizer and the metadata (the weights' hash read from memory) and
        rename the folder into place. False when that fails (the tensors stay usable)."""
        import xxhash

        entry = entry_dir(self.path)
        try:
            (self.tmp / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
            meta = {
                "magic": _MAGIC,
                "version": _VERSION,
                "source": _fingerprint(self.path),
                "config": dataclasses.asdict(config),
                "tensors": self.index,
                "weights_bytes": self.size,
                "weights_xxh3": xxhash.xxh3_64(self.flat).hexdigest(),
                "tokenizer_xxh3": xxhash.xxh3_64(tokenizer_json.encode("utf-8")).hexdigest(),
            }
            (self.tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            if entry.exists():
                old = Path(
                    tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".old", dir=entry.parent)
                )
                os.rmdir(old)
                os.replace(entry, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(self.tmp, entry)
            return True
        except OSError:
            self.abandon()
            return False

    def abandon(self) -> None:
        """Remove the unfinished entry (the tensors stay readable: the map outlives it)."""
        shutil.rmtree(self.tmp, ignore_errors=True)
