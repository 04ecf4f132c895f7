"""A tiny llama GGUF written with gguf's own writer: for unit tests and the GGUF fuzzer.

Vocabulary: GPT-2's 256 byte tokens, a few merges, and two control tokens. Random weights
(seeded); the shapes follow the real model's layout (fewer key/value heads than query
heads, optionally an untied output matrix, optionally Q8_0 tensors).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geomlab.lm.tokenizer import _bytes_to_unicode

MERGES = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "a n"]


def vocabulary():
    byte_tokens = list(_bytes_to_unicode().values())
    merged = ["".join(m.split(" ")) for m in MERGES]
    tokens = ["<|endoftext|>", "<|im_end|>", *byte_tokens, *merged]
    types = [3, 3] + [1] * (len(tokens) - 2)
    return tokens, types


def write_tiny(
    path: Path,
    *,
    tied: bool = True,
    layers: int = 2,
    d: int = 16,
    heads: int = 4,
    kv_heads: int = 2,
    ff: int = 24,
    seed: int = 0,
    quantized: bool = False,
    arch: str = "llama",
) -> Path:
    import gguf

    rng = np.random.default_rng(seed)
    tokens, types = vocabulary()
    vocab = len(tokens)
    hd = d // heads
    w = gguf.GGUFWriter(str(path), arch)
    w.add_block_count(layers)
    w.add_context_length(64)
    w.add_embedding_length(d)
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(hd)
    w.add_vocab_size(vocab)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(MERGES)
    w.add_eos_token_id(1)

    def mat(rows, cols, scale=0.3):
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)

    def add(name, arr):
        if quantized and arr.ndim == 2 and arr.shape[1] % 32 == 0:
            q = gguf.quants.quantize(arr, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, arr)

    add("token_embd.weight", mat(vocab, d, 1.0))
    add("output_norm.weight", (1 + 0.1 * rng.standard_normal(d)).astype(np.float32))
    if not tied:
        add("output.weight", mat(vocab, d, 1.0))
    for i in range(layers):
        b = f"blk.{i}."
        add(b + "attn_norm.weight", (1 + 0.1 * rng.standard_normal(d)).astype(np.float32))
        add(b + "ffn_norm.weight", (1 + 0.1 * rng.standard_normal(d)).astype(np.float32))
        add(b + "attn_q.weight", mat(d, d))
        add(b + "attn_k.weight", mat(kv_heads * hd, d))
        add(b + "attn_v.weight", mat(kv_heads * hd, d))
        add(b + "attn_output.weight", mat(d, d))
        add(b + "ffn_gate.weight", mat(ff, d))
        add(b + "ffn_up.weight", mat(ff, d))
        add(b + "ffn_down.weight", mat(d, ff))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
