"""geomlab's GGUF metadata reading (arrays read whole) against gguf's own reader."""

from __future__ import annotations

import numpy as np
import pytest

import geomlab
from geomlab.lm.gguf_file import _reader_class, read_gguf

gguf = pytest.importorskip("gguf")


def _assert_same_reading(path):
    fast, slow = _reader_class(gguf)(path), gguf.GGUFReader(path)
    assert list(fast.fields) == list(slow.fields)
    for name, field in slow.fields.items():
        mine = fast.fields[name]
        assert mine.contents() == field.contents(), name
        assert (mine.offset, mine.types) == (field.offset, field.types), name
        if field.types[:1] == [gguf.GGUFValueType.ARRAY] and field.types[-1] != (
            gguf.GGUFValueType.STRING
        ):
            continue  # a numeric array is one part here, one per element in gguf
        assert mine.data == field.data, name
        assert len(mine.parts) == len(field.parts), name
        for a, b in zip(mine.parts, field.parts):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert fast.data_offset == slow.data_offset
    assert [(t.name, t.data_offset, t.n_bytes) for t in fast.tensors] == [
        (t.name, t.data_offset, t.n_bytes) for t in slow.tensors
    ]


def test_tiny_model_reads_as_gguf_reads_it(tiny_gguf):
    _assert_same_reading(tiny_gguf)


def test_every_kind_of_array_reads_as_gguf_reads_it(tmp_path):
    path = tmp_path / "arrays.gguf"
    w = gguf.GGUFWriter(path, "llama")
    w.add_array("t.strings", ["", "a", "Ġthe", "日本語", "x" * 300, "<|im_end|>"])
    w.add_array("t.one_string", ["only"])
    w.add_array("t.ints", [3, -1, 7, 2**20])
    w.add_array("t.floats", [0.5, -2.25, 1e-3])
    w.add_array("t.bools", [True, False, True])
    w.add_array("t.empty", [])
    w.add_string("t.text", "after the arrays")
    w.add_uint32("t.number", 42)
    w.add_tensor("x", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    _assert_same_reading(path)
    fields = _reader_class(gguf)(path).fields
    assert fields["t.strings"].contents()[3] == "日本語"
    assert fields["t.text"].contents() == "after the arrays"


@pytest.mark.parametrize("where", ["count", "length", "truncated"])
def test_a_lying_string_array_is_a_format_error(tiny_gguf, tmp_path, where):
    data = bytearray(tiny_gguf.read_bytes())
    key = b"tokenizer.ggml.tokens"
    at = data.index(key) + len(key) + 4 + 4  # past the key, the value type, the item type
    if where == "count":
        data[at : at + 8] = (2**40).to_bytes(8, "little")
    elif where == "length":
        data[at + 8 : at + 16] = (2**33).to_bytes(8, "little")
    else:
        data = data[: at + 500]
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(bytes(data))
    with pytest.raises(geomlab.FormatError, match="bad.gguf"):
        read_gguf(bad)


@pytest.mark.slow  # gguf's own reading of SmolLM2's metadata takes 5-8 s
def test_the_shipped_model_reads_as_gguf_reads_it():
    from geomlab.lm.model import default_model_path

    try:
        path = default_model_path()
    except geomlab.MissingDependencyError as exc:
        pytest.skip(str(exc))
    _assert_same_reading(path)
