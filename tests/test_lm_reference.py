"""SmolLM2 in numpy against llama.cpp, the reference implementation of GGUF models.

tests/data/lm/reference.npz holds llama.cpp's token ids and, at every position, its 64 most
probable next tokens with their log-probabilities and the log-mass of the rest; how it was
made is in reference.json (scripts/make_lm_reference.py, llama-cpp-python). llama.cpp
quantizes activations on the fly (Q8 for the Q4_1 products), so its logits differ slightly
from an exact float32 pass: the bar is identical token ids, top-1 agreement >= 0.95 and a
mean KL divergence <= 0.01 nats.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "lm"


@pytest.fixture(scope="module")
def reference():
    meta = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    arrays = np.load(DATA / "reference.npz")
    return meta, {k: arrays[k] for k in arrays.files}


def _texts():
    import importlib.util
    import sys

    from geomlab.lm.calibration import corpus

    spec = importlib.util.spec_from_file_location(
        "make_lm_reference", Path(__file__).parent.parent / "scripts" / "make_lm_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_lm_reference", module)
    spec.loader.exec_module(module)
    texts = module.texts()
    assert texts["moby_dick_ch1"] == corpus()["moby_dick_ch1"]
    return texts


def test_reference_was_made_from_this_model(lm, reference):
    import hashlib

    meta, _ = reference
    assert meta["model_file"] == lm.path.name
    assert meta["model_sha256"] == hashlib.sha256(lm.path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["moby_dick_ch1", "france", "non_ascii"])
def test_token_ids_are_llama_cpps(lm, reference, name):
    _, arrays = reference
    text = _texts()[name]
    np.testing.assert_array_equal(lm.encode(text), arrays[f"{name}.all_ids"])


@pytest.mark.parametrize("name", ["moby_dick_ch1", "france", "non_ascii"])
def test_logits_agree_with_llama_cpp(lm, reference, name):
    _, arrays = reference
    ids = arrays[f"{name}.ids"].astype(np.int64)
    z = lm.forward(ids).logits.astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    top = arrays[f"{name}.top_ids"].astype(np.int64)
    ref_lp = arrays[f"{name}.top_logprobs"].astype(np.float64)
    ref_tail = arrays[f"{name}.tail_logprob"].astype(np.float64)
    ours_top = np.take_along_axis(logp, top, axis=1)
    ours_tail = np.log1p(-np.minimum(np.exp(ours_top).sum(1), 1 - 1e-12))
    # KL(llama.cpp || ours) over the 64 best tokens and the rest as one outcome: a lower
    # bound of the full KL, tight where the 64 hold nearly all the mass (as here)
    kl = (np.exp(ref_lp) * (ref_lp - ours_top)).sum(1) + np.exp(ref_tail) * (ref_tail - ours_tail)
    agree = (z.argmax(1) == top[:, 0]).mean()
    assert agree >= 0.95, agree
    assert kl.mean() <= 0.01, kl.mean()
    assert np.exp(ref_tail).mean() < 0.2  # the bound is tight: the rest holds little mass
    if name == "france":
        assert lm.tokenizer.token_str(int(top[-1, 0])) == " Paris"
