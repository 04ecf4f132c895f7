"""Fuzzing the GGUF reader with a fixed seed, as the vector loaders are fuzzed.

A tiny valid llama GGUF (tests/_tiny_gguf.py) is mutated: truncation at random bytes,
random byte flips in the header and in the tensor data, random 8-byte words overwritten
with huge or small numbers (lying counts, string lengths, dimensions, offsets), the magic
and the version changed. Each case is loaded without the cache; it must either load to a
model whose forward pass gives finite logits, or raise a ``GeomlabError`` naming the file.
Never another exception, and never an allocation sized by a lying header.
"""

from __future__ import annotations

import random
import struct
import tracemalloc

import numpy as np
import pytest

import geomlab

SEED = 20261129
CASES = 240


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> bytes:
    from _tiny_gguf import write_tiny

    return write_tiny(tmp_path_factory.mktemp("fuzz") / "tiny.gguf").read_bytes()


def _data_start(data: bytes) -> int:
    """Where the tensor data begins (the reader's own figure, on the valid file)."""
    import tempfile

    import gguf

    with tempfile.NamedTemporaryFile(suffix=".gguf") as fh:
        fh.write(data)
        fh.flush()
        return int(gguf.GGUFReader(fh.name).data_offset)


def mutations(data: bytes):
    rng = random.Random(SEED)
    header_end = _data_start(data)
    yield "empty", b""
    yield "magic", b"GGUF"[:3] + b"X" + data[4:]
    yield "version 99", data[:4] + struct.pack("<I", 99) + data[8:]
    yield "tensor count huge", data[:8] + struct.pack("<Q", 2**62) + data[16:]
    yield "kv count huge", data[:16] + struct.pack("<Q", 2**40) + data[24:]
    yield "tensor count 0", data[:8] + struct.pack("<Q", 0) + data[16:]
    for i in range(CASES):
        kind = i % 4
        b = bytearray(data)
        if kind == 0:
            cut = rng.randrange(len(data))
            yield f"truncated at {cut}", bytes(b[:cut])
        elif kind == 1:
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(header_end)
                b[pos] = rng.randrange(256)
            yield "header bytes flipped", bytes(b)
        elif kind == 2:
            pos = rng.randrange(24, header_end - 8)
            value = rng.choice([2**63 - 1, 2**40, 2**32 + 7, 10**9, len(data) * 2, 0, 1])
            b[pos : pos + 8] = struct.pack("<Q", value)
            yield f"word at {pos} = {value}", bytes(b)
        else:
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(header_end, len(data))
                b[pos] = rng.randrange(256)
            yield "tensor data flipped", bytes(b)


@pytest.mark.slow  # hundreds of mutated GGUF files (about 17 s)
def test_every_mutation_loads_soundly_or_raises_a_geomlab_error(original, tmp_path):
    outcomes = {"loaded": 0, "refused": 0}
    for name, content in mutations(original):
        path = tmp_path / "case.gguf"
        path.write_bytes(content)
        tracemalloc.start()
        try:
            model = geomlab.load_lm(path, cache=False)
            logits = model.forward([3, 40, 41]).logits
        except geomlab.GeomlabError as exc:
            assert str(path) in str(exc), (name, str(exc))
            outcomes["refused"] += 1
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{name}: {type(exc).__name__}: {exc}")
        else:
            assert np.isfinite(logits).all(), name
            outcomes["loaded"] += 1
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert peak < 64 * 2**20, f"{name}: {peak / 2**20:.0f} MiB allocated"
    # both branches are exercised: some damage is harmless, most is caught
    assert outcomes["loaded"] >= 5 and outcomes["refused"] >= 100, outcomes
