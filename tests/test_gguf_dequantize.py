"""geomlab's numpy dequantizers of Q4_1 and Q8_0 against gguf's own, bit for bit, and the
cold load that writes the weights straight into the cache entry's file."""

from __future__ import annotations

import os
import shutil
import types
from pathlib import Path

import numpy as np
import pytest

import geomlab
from geomlab.lm import cache as cache_mod
from geomlab.lm import gguf_file
from geomlab.lm.gguf_file import dequantize, read_gguf


def _random_blocks(qtype: str, n_blocks: int, rows: int, seed: int) -> np.ndarray:
    """Random bytes in ``qtype``'s block layout with finite float16 scales of every kind
    (normal, subnormal, zero, negative, the largest)."""
    rng = np.random.default_rng(seed)
    size = {"Q4_1": 20, "Q8_0": 34}[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    scales = 2 if qtype == "Q4_1" else 1
    special = np.array([0.0, -0.0, 6e-8, -3e-5, 65504.0, -65504.0, 1.0, 0.1], np.float16)
    for k in range(scales):
        h = rng.normal(scale=0.05, size=n_blocks).astype(np.float16)
        h[: len(special)] = np.roll(special, k)[:n_blocks]
        raw[:, 2 * k : 2 * k + 2] = h.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(rows, -1)


def _tensor(raw: np.ndarray, qtype: str):
    import gguf

    return types.SimpleNamespace(data=raw, tensor_type=gguf.GGMLQuantizationType[qtype], name="t")


@pytest.mark.parametrize("qtype", ["Q4_1", "Q8_0"])
@pytest.mark.parametrize("n_blocks, rows", [(1, 1), (96, 4), (3 * (1 << 14) + 5, 7)])
def test_fast_dequantize_is_ggufs_bit_for_bit(qtype, n_blocks, rows, monkeypatch):
    import gguf

    raw = _random_blocks(qtype, n_blocks - n_blocks % rows, rows, seed=n_blocks)
    ours = dequantize(_tensor(raw, qtype))
    theirs = gguf.quants.dequantize(raw, gguf.GGMLQuantizationType[qtype])
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.view(np.uint32), theirs.view(np.uint32))
    # into a given array, in steps that cut the blocks anywhere
    monkeypatch.setattr(gguf_file, "_STEP", 5)
    out = np.full(theirs.shape, np.nan, np.float32)
    assert dequantize(_tensor(raw, qtype), out=out) is out
    np.testing.assert_array_equal(out.view(np.uint32), theirs.view(np.uint32))


@pytest.mark.parametrize("qtype", ["Q4_1", "Q8_0"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_fast_dequantize_refuses_non_finite_scales(qtype, bad):
    raw = _random_blocks(qtype, 40, 2, seed=1)
    where = 2 if qtype == "Q4_1" else 0  # Q4_1: the minimum; Q8_0: the scale
    raw.reshape(40, -1)[33, where : where + 2] = np.array([bad], np.float16).view(np.uint8)
    with pytest.raises(geomlab.FormatError, match="non-finite"):
        dequantize(_tensor(raw, qtype), "model.gguf")


def test_dequantize_into_checks_the_target():
    raw = _random_blocks("Q8_0", 4, 1, seed=2)
    with pytest.raises(geomlab.FormatError, match="has 128 weights, expected 64"):
        dequantize(_tensor(raw, "Q8_0"), out=np.empty((2, 32), np.float32))
    with pytest.raises(ValueError, match="C-contiguous float32"):
        dequantize(_tensor(raw, "Q8_0"), out=np.empty((1, 128), np.float64))


@pytest.fixture()
def own_tiny(tmp_path):
    """A private copy of a quantized tiny model (Q8_0 tensors) and an empty cache."""
    from _tiny_gguf import write_tiny

    path = write_tiny(tmp_path / "q.gguf", quantized=True, tied=False, d=32, ff=64)
    cache = tmp_path / "cache"
    return path, cache


def test_cold_load_writes_the_entry_in_place(own_tiny, monkeypatch):
    path, cache = own_tiny
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(cache))
    contents = read_gguf(path)
    assert "Q8_0" in contents.config.tensor_types
    cold = geomlab.load_lm(path)
    assert cold.load_report["cache"] == "written"
    assert all(not a.flags.writeable for a in cold.weights.values())
    for name, t in contents.tensors.items():  # the fused matrices give back each tensor
        np.testing.assert_array_equal(cold.weight(name), dequantize(t))
    entry = cache_mod.entry_dir(path)
    assert sorted(p.name for p in entry.iterdir()) == ["meta.json", "tokenizer.json", "weights.f32"]
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # no leftovers
    warm = geomlab.load_lm(path)
    assert warm.load_report["cache"] == "hit"
    assert list(warm.weights) == list(cold.weights)
    for name in cold.weights:
        np.testing.assert_array_equal(warm.weights[name], cold.weights[name])
    # the same file, byte for byte, as the write_entry route (no posix_fallocate) writes
    in_place = (entry / "weights.f32").read_bytes()
    shutil.rmtree(entry)
    monkeypatch.delattr(os, "posix_fallocate")
    again = geomlab.load_lm(path)
    assert again.load_report["cache"] == "written"
    assert (entry / "weights.f32").read_bytes() == in_place


def test_cold_load_into_a_full_or_read_only_cache(own_tiny, monkeypatch):
    path, cache = own_tiny
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(cache))

    def no_room(fd, offset, size):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", no_room)
    full = geomlab.load_lm(path)  # no room for the entry: loaded anyway, nothing left over
    assert full.load_report["cache"] in ("written", "failed (not writable)")
    ref = geomlab.load_lm(path, cache=False)
    np.testing.assert_array_equal(full.forward([3, 4]).logits, ref.forward([3, 4]).logits)
    leftovers = [p for p in Path(cache).rglob(".*") if p.name.endswith(".tmp")]
    assert not leftovers


def test_a_damaged_tensor_leaves_no_entry(own_tiny, monkeypatch):
    path, cache = own_tiny
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(cache))
    contents = read_gguf(path)
    t = next(x for x in contents.tensors.values() if x.tensor_type.name == "Q8_0")
    data = bytearray(path.read_bytes())
    at = int(t.data_offset)
    data[at : at + 2] = np.array([np.inf], np.float16).view(np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(geomlab.FormatError, match="non-finite"):
        geomlab.load_lm(path)
    assert not cache_mod.entry_dir(path).exists()
    assert not list(cache_mod.entry_dir(path).parent.iterdir())
