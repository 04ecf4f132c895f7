"""Reading a llama-family GGUF file: configuration, tokenizer data and dequantized weights.

The file is parsed by ``gguf`` (ggml's own Python reader) and its tensors dequantized by
``gguf.quants``; geomlab only validates what it reads, so a damaged or foreign file is a
:class:`~geomlab.FormatError` naming the file and what is wrong, never a crash or an
allocation sized by a lying header.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from pathlib import Path

import numpy as np

from ..errors import FormatError, MissingDependencyError

__all__ = ["Config", "GGUFContents", "dequantize", "read_gguf"]

GGUF_MAGIC = b"GGUF"
MAX_TENSORS = 1 << 16  # a llama model has a few hundred; more is a lying header
MAX_KV = 1 << 16
SUPPORTED_ARCHS = ("llama",)
# ggml types geomlab dequantizes (gguf.quants implements each in numpy)
SUPPORTED_TYPES = (
    "F32",
    "F16",
    "BF16",
    "Q8_0",
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q4_K",
    "Q5_K",
    "Q6_K",
    "Q8_K",
    "Q2_K",
    "Q3_K",
)


def _gguf():
    try:
        import gguf
    except ImportError as exc:  # pragma: no cover - gguf is a dependency
        raise MissingDependencyError("reading GGUF files needs gguf: pip install gguf") from exc
    return gguf


def _reader_class(gguf):
    """``gguf.GGUFReader`` reading metadata arrays whole.

    gguf parses a metadata array element by element, a recursive call and two numpy views
    per string: 4.5 s of the 7 s a cold load of SmolLM2 took, on the tokenizer's 98,000
    strings (vocabulary and merges) and 49,152 token types. This walks a string array's
    lengths once with ``struct`` and slices each string's bytes from one view, and reads a
    numeric array as one numpy view (about 0.3 s in all); every other field, the tensor
    index and the tensors are gguf's own reading. The fields keep gguf's layout (a
    string array's parts are each string's length and bytes, ``contents()`` reads them as
    gguf does); a numeric array is one part, read whole by ``contents()``.
    """
    vt = gguf.GGUFValueType

    class Reader(gguf.GGUFReader):
        def _get_field_parts(self, orig_offs, raw_type):
            if raw_type != vt.ARRAY or self.byte_order != "I":
                return super()._get_field_parts(orig_offs, raw_type)
            raw_itype = self._get(orig_offs, np.uint32)
            alen = self._get(orig_offs + 4, np.uint64)
            if len(raw_itype) != 1 or len(alen) != 1:
                raise ValueError("the file ends inside an array header")
            itype, n, start = int(raw_itype[0]), int(alen[0]), orig_offs + 12
            if n == 0 or itype not in (vt.STRING, *self.gguf_scalar_to_np):
                return super()._get_field_parts(orig_offs, raw_type)
            data, size = self.data, len(self.data)
            if itype != vt.STRING:
                arr = self._get(start, self.gguf_scalar_to_np[vt(itype)], n)
                if len(arr) != n:
                    raise ValueError(f"an array of {n} numbers runs past the end of the file")
                return 12 + int(arr.nbytes), [raw_itype, alen, arr], [2], [vt.ARRAY, vt(itype)]
            if n * 8 > size - start:  # every string takes at least its 8-byte length
                raise ValueError(f"an array of {n} strings cannot fit in the file")
            parts, offs, unpack = [raw_itype, alen], start, struct.Struct("<Q").unpack_from
            view = memoryview(data)
            # one plain view of the map (a memmap's slices cost 10x more); parts slice it
            blob = data[start:].view(np.ndarray)
            for _ in range(n):
                if offs + 8 > size:
                    raise ValueError("a string array runs past the end of the file")
                (length,) = unpack(view, offs)
                if length > size - offs - 8:
                    raise ValueError(f"a string of {length} bytes runs past the end of the file")
                a = offs - start
                parts.append(blob[a : a + 8].view(np.uint64))
                parts.append(blob[a + 8 : a + 8 + length])
                offs += 8 + length
            return offs - orig_offs, parts, list(range(3, len(parts), 2)), [vt.ARRAY, vt.STRING]

    return Reader


@dataclasses.dataclass(frozen=True)
class Config:
    """The architecture of a llama-family model, as its GGUF metadata states it."""

    name: str
    architecture: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    vocab_size: int
    context_length: int
    rope_base: float
    rms_eps: float
    tied: bool
    tensor_types: dict  # ggml type name -> number of tensors

    @property
    def group(self) -> int:
        """Query heads per key/value head (grouped-query attention)."""
        return self.n_heads // self.n_kv_heads


@dataclasses.dataclass(frozen=True)
class GGUFContents:
    config: Config
    tokens: list[str]
    token_types: list[int]
    merges: list[str]
    special: dict  # "bos", "eos", "unk", "pad" -> id or None
    pre: str
    tensors: dict  # name -> ReaderTensor (quantized, memory-mapped)


def _check_header(path: Path) -> None:
    """Magic, version and counts, before gguf walks the file."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(24)
    except IsADirectoryError:
        raise FormatError("a folder, not a GGUF file", path) from None
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror}", path) from None
    if len(head) >= 4 and head[:4] != GGUF_MAGIC:
        raise FormatError(f"not a GGUF file (it starts {head[:4]!r}, a GGUF file b'GGUF')", path)
    if len(head) < 24:
        raise FormatError(f"too short for a GGUF file ({size} bytes)", path)
    version, n_tensors, n_kv = struct.unpack("<IQQ", head[4:24])
    if version not in (2, 3):
        raise FormatError(f"GGUF version {version} is not supported (2 or 3)", path)
    if not 0 < n_tensors <= MAX_TENSORS or n_tensors * 24 > size:
        raise FormatError(f"the header claims {n_tensors} tensors in a file of {size} bytes", path)
    if n_kv > MAX_KV or n_kv * 12 > size:
        raise FormatError(
            f"the header claims {n_kv} metadata entries in a file of {size} bytes", path
        )


def _value(reader, key: str, path: Path, kind=None, required: bool = True):
    field = reader.fields.get(key)
    if field is None:
        if required:
            raise FormatError(f"metadata {key!r} is missing", path)
        return None
    try:
        value = field.contents()
    except Exception as exc:  # noqa: BLE001 - any failure here is a damaged field
        raise FormatError(f"metadata {key!r} is unreadable ({exc})", path) from None
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise FormatError(f"metadata {key!r} should be an integer, found {value!r}", path)
        value = int(value)
        if value < 0 or value > 1 << 31:
            raise FormatError(f"metadata {key!r} = {value} is out of range", path)
    elif kind is float:
        if not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
            raise FormatError(f"metadata {key!r} should be a finite number, found {value!r}", path)
        value = float(value)
    elif kind is str and not isinstance(value, str):
        raise FormatError(f"metadata {key!r} should be text", path)
    return value


def _config(reader, path: Path) -> Config:
    arch = _value(reader, "general.architecture", path, str)
    if arch not in SUPPORTED_ARCHS:
        raise FormatError(
            f"architecture {arch!r} is not supported (geomlab runs "
            f"{', '.join(SUPPORTED_ARCHS)} models)",
            path,
        )

    def a(key, kind, required=True):
        return _value(reader, f"{arch}.{key}", path, kind, required)

    n_layers, d_model = a("block_count", int), a("embedding_length", int)
    n_heads, d_ff = a("attention.head_count", int), a("feed_forward_length", int)
    n_kv = a("attention.head_count_kv", int, False) or n_heads
    if min(n_layers, d_model, n_heads, d_ff) < 1 or d_model % n_heads or n_heads % n_kv:
        raise FormatError(
            f"inconsistent shape: {n_layers} blocks, width {d_model}, "
            f"{n_heads} heads, {n_kv} key/value heads",
            path,
        )
    head_dim = d_model // n_heads
    rope_dim = a("rope.dimension_count", int, False) or head_dim
    if rope_dim != head_dim or head_dim % 2:
        raise FormatError(
            f"partial rotary embeddings ({rope_dim} of {head_dim}) are not supported", path
        )
    names = {t.name for t in reader.tensors}
    types: dict[str, int] = {}
    for t in reader.tensors:
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    vocab = a("vocab_size", int, False) or (len(tokens.data) if tokens is not None else 0)
    return Config(
        name=_value(reader, "general.name", path, str, False) or path.stem,
        architecture=arch,
        n_layers=n_layers,
        d_model=d_model,
        n_heads=n_heads,
        n_kv_heads=n_kv,
        head_dim=head_dim,
        d_ff=d_ff,
        vocab_size=vocab,
        context_length=a("context_length", int, False) or 2048,
        rope_base=a("rope.freq_base", float, False) or 10000.0,
        rms_eps=a("attention.layer_norm_rms_epsilon", float),
        tied="output.weight" not in names,
        tensor_types=types,
    )


def _expected_shapes(c: Config) -> dict[str, tuple[int, ...]]:
    """Every tensor the forward pass reads, with its shape as (rows, columns)."""
    kv = c.n_kv_heads * c.head_dim
    shapes = {"token_embd.weight": (c.vocab_size, c.d_model), "output_norm.weight": (c.d_model,)}
    if not c.tied:
        shapes["output.weight"] = (c.vocab_size, c.d_model)
    for i in range(c.n_layers):
        b = f"blk.{i}."
        shapes.update(
            {
                b + "attn_norm.weight": (c.d_model,),
                b + "ffn_norm.weight": (c.d_model,),
                b + "attn_q.weight": (c.d_model, c.d_model),
                b + "attn_k.weight": (kv, c.d_model),
                b + "attn_v.weight": (kv, c.d_model),
                b + "attn_output.weight": (c.d_model, c.d_model),
                b + "ffn_gate.weight": (c.d_ff, c.d_model),
                b + "ffn_up.weight": (c.d_ff, c.d_model),
                b + "ffn_down.weight": (c.d_model, c.d_ff),
            }
        )
    return shapes


def read_gguf(path: str | os.PathLike) -> GGUFContents:
    """Open and validate a llama-family GGUF file (tensors stay quantized and mapped).

    Examples
    --------
    >>> from geomlab.lm.gguf_file import read_gguf
    >>> from geomlab.lm.model import default_model_path
    >>> contents = read_gguf(default_model_path())
    >>> contents.config.architecture, contents.config.n_layers
    ('llama', 30)
    """
    gguf = _gguf()
    path = Path(path)
    _check_header(path)
    try:
        reader = _reader_class(gguf)(path)
    except Exception as exc:  # noqa: BLE001 - gguf raises ValueError/KeyError/IndexError...
        raise FormatError(f"damaged GGUF file ({type(exc).__name__}: {exc})", path) from None
    config = _config(reader, path)
    size = path.stat().st_size
    tensors = {}
    for t in reader.tensors:
        if t.name in tensors:
            raise FormatError(f"tensor {t.name!r} appears twice", path)
        tensors[t.name] = t
    for name, shape in _expected_shapes(config).items():
        t = tensors.get(name)
        if t is None:
            raise FormatError(f"tensor {name!r} is missing", path)
        if t.tensor_type.name not in SUPPORTED_TYPES:
            raise FormatError(
                f"tensor {name!r} has type {t.tensor_type.name}, which geomlab "
                f"does not dequantize ({', '.join(SUPPORTED_TYPES)})",
                path,
            )
        got = tuple(int(d) for d in reversed(t.shape))  # GGUF lists the fastest axis first
        if got != shape:
            raise FormatError(f"tensor {name!r} has shape {got}, expected {shape}", path)
        end = int(t.data_offset) + int(t.n_bytes)
        if int(t.data.nbytes) != int(t.n_bytes) or end > size:
            raise FormatError(
                f"tensor {name!r} runs past the end of the file ({end} > {size} bytes)", path
            )
    tok = _value(reader, "tokenizer.ggml.model", path, str)
    if tok != "gpt2":
        raise FormatError(f"tokenizer {tok!r} is not supported (byte-level BPE, 'gpt2')", path)
    tokens = _value(reader, "tokenizer.ggml.tokens", path)
    merges = _value(reader, "tokenizer.ggml.merges", path)
    types = _value(reader, "tokenizer.ggml.token_type", path, required=False)
    if not isinstance(tokens, list) or len(tokens) != config.vocab_size:
        raise FormatError(
            f"the tokenizer has {len(tokens) if isinstance(tokens, list) else 0} "
            f"tokens for a vocabulary of {config.vocab_size}",
            path,
        )
    if not isinstance(merges, list) or not all(
        isinstance(m, str) and m.count(" ") == 1 for m in merges
    ):
        raise FormatError("tokenizer merges are not pairs of tokens", path)
    special = {
        k: _value(reader, f"tokenizer.ggml.{k}_token_id", path, int, False)
        for k in ("bos", "eos", "unknown", "padding")
    }
    for k, v in special.items():
        if v is not None and v >= len(tokens):
            raise FormatError(f"{k} token id {v} is outside the vocabulary", path)
    return GGUFContents(
        config=config,
        tokens=tokens,
        merges=merges,
        token_types=[int(x) for x in types] if isinstance(types, list) else [1] * len(tokens),
        special=special,
        pre=_value(reader, "tokenizer.ggml.pre", path, str, False) or "",
        tensors=tensors,
    )


#: quantization blocks per step of the numpy dequantizers (their temporaries stay in cache)
_STEP = 1 << 14


def _halves(blocks: np.ndarray, at: int) -> np.ndarray:
    """The float16 scale at byte ``at`` of every block, as float32 (n_blocks, 1)."""
    return blocks[:, at : at + 2].copy().view(np.float16).astype(np.float32)


def _q4_1(raw: np.ndarray, out: np.ndarray) -> bool:
    """Q4_1 blocks of 32 weights (scale d, minimum m, 16 bytes of 4-bit q; the low nibbles
    are weights 0-15, the high ones 16-31): ``d * q + m``, the same float32 operations in
    the same order as ``gguf.quants`` (bit for bit), over whole steps of blocks. False
    when a scale is not finite."""
    blocks = raw.reshape(-1, 20)
    o = out.reshape(len(blocks), 2, 16)
    for lo in range(0, len(blocks), _STEP):
        b, w = blocks[lo : lo + _STEP], o[lo : lo + _STEP]
        d, m = _halves(b, 0), _halves(b, 2)
        if not (np.isfinite(d).all() and np.isfinite(m).all()):
            return False
        np.bitwise_and(b[:, 4:], 15, out=w[:, 0], casting="unsafe")
        np.right_shift(b[:, 4:], 4, out=w[:, 1], casting="unsafe")
        w *= d[:, :, None]
        w += m[:, :, None]
    return True


def _q8_0(raw: np.ndarray, out: np.ndarray) -> bool:
    """Q8_0 blocks of 32 weights (scale d, 32 int8 q): ``d * q``, as ``gguf.quants``."""
    blocks = raw.reshape(-1, 34)
    o = out.reshape(len(blocks), 32)
    for lo in range(0, len(blocks), _STEP):
        b, w = blocks[lo : lo + _STEP], o[lo : lo + _STEP]
        d = _halves(b, 0)
        if not np.isfinite(d).all():
            return False
        w[...] = b[:, 2:].view(np.int8)
        w *= d
    return True


#: the types the model files geomlab ships with use, dequantized here in numpy: gguf's own
#: dequantizer takes 16 rows per call (1.9 s of CPU for SmolLM2's 134 M weights against
#: 0.4-0.7 s here, measured; tests/test_gguf_dequantize.py checks every bit against it)
_FAST = {"Q4_1": (_q4_1, 20), "Q8_0": (_q8_0, 34)}


def dequantize(tensor, path: str | os.PathLike | None = None, out=None) -> np.ndarray:
    """A GGUF tensor as float32, shaped (rows, columns) as the model multiplies it.

    ``out``: a C-contiguous float32 array of that shape to write into (returned)."""
    gguf = _gguf()
    kind = tensor.tensor_type.name
    data = tensor.data.view(np.ndarray)
    fast = _FAST.get(kind)
    if out is not None and not (out.dtype == np.float32 and out.flags.c_contiguous):
        raise ValueError("out must be a C-contiguous float32 array")
    if fast is not None and data.dtype == np.uint8 and data.ndim and data.shape[-1] % fast[1] == 0:
        shape = (*data.shape[:-1], data.shape[-1] // fast[1] * 32)
        target = np.empty(shape, dtype=np.float32) if out is None else out
        if target.size != int(np.prod(shape)):
            raise FormatError(
                f"tensor {tensor.name!r} has {int(np.prod(shape))} weights, expected {target.size}",
                path,
            )
        if not fast[0](data.reshape(-1), target.reshape(-1)):
            raise FormatError(f"tensor {tensor.name!r} holds non-finite values", path)
        return target
    try:
        with np.errstate(all="ignore"):
            full = np.ascontiguousarray(
                # a plain view of the map: gguf slices it block by block, and each slice
                # of a memmap costs a Python-level __array_finalize__ (0.8 s in all, profiled)
                gguf.quants.dequantize(data, tensor.tensor_type),
                dtype=np.float32,
            )
    except Exception as exc:  # noqa: BLE001
        raise FormatError(f"cannot dequantize {tensor.name!r} ({exc})", path) from None
    if not np.isfinite(full).all():  # damage or a broken export: never silent NaN logits
        raise FormatError(f"tensor {tensor.name!r} holds non-finite values", path)
    if out is None:
        return full
    if full.size != out.size:
        raise FormatError(
            f"tensor {tensor.name!r} has {full.size} weights, expected {out.size}", path
        )
    np.copyto(out, full.reshape(out.shape))
    return out
