"""Cache of a model's dequantized float32 weights: written once, validated, memory-mapped.

Reading a GGUF file and dequantizing it (about 2.5 s of CPU time for SmolLM2, most of it
dequantizing) is paid once. An entry is a folder under
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
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .._paths import cache_dir
from ..loaders.cache import _fingerprint  # the vector cache's source check, shared

__all__ = ["entry_dir", "load_entry", "write_entry"]

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


def write_entry(path: Path, config, tensors, tokenizer_json: str, progress=None) -> bool:
    """Write the entry for ``path`` (tensors: an iterable of ``(name, float32 array)``).
    Returns False when the cache folder cannot be written (the model still loads)."""
    import xxhash

    entry = entry_dir(path)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent))
    except OSError:
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
