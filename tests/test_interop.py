"""Working beside other tools: gensim KeyedVectors in, pandas out, notebooks."""

from __future__ import annotations

import io

import numpy as np
import pytest

import geomlab
from geomlab.embeddings import as_embeddings


@pytest.fixture(scope="module")
def kv(glove):
    # a gensim KeyedVectors of the first 20,000 GloVe words, built by gensim itself
    from gensim.models import KeyedVectors

    n = 20_000
    kv = KeyedVectors(glove.dim, count=0, dtype=np.float32)
    kv.add_vectors(list(glove.words[:n]), np.array(glove.vectors[:n]))
    return kv


@pytest.fixture(scope="module")
def small(glove):
    return geomlab.Embeddings(glove.words[:20_000], glove.vectors[:20_000])


def test_keyed_vectors_are_wrapped_once_without_a_copy(glove):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(glove.dim, count=0, dtype=np.float32)
    kv.add_vectors(list(glove.words[:100]), np.array(glove.vectors[:100]))
    emb = as_embeddings(kv)
    assert isinstance(emb, geomlab.Embeddings) and emb.words == glove.words[:100]
    assert np.shares_memory(emb.vectors, kv.vectors)
    assert as_embeddings(kv) is emb  # converted once
    assert as_embeddings(emb) is emb
    kv.add_vectors(["zzz-new-word"], np.ones((1, kv.vector_size), dtype=np.float32))
    again = as_embeddings(kv)  # words were added: converted anew
    assert again is not emb and "zzz-new-word" in again and len(again) == 101
    near = geomlab.nearest(kv, "the", k=3).words
    kv.vectors[kv.key_to_index["zzz-new-word"]] = kv.vectors[kv.key_to_index["the"]] * 2
    moved = as_embeddings(kv)  # numbers changed in place (training went on): wrapped anew
    assert moved is not again
    assert geomlab.nearest(kv, "the", k=3).words[0] == "zzz-new-word" != near[0]


@pytest.mark.parametrize(
    "call",
    [
        lambda e: geomlab.nearest(e, "bank", k=5).words,
        lambda e: geomlab.analogy(e, "man", "king", "woman").words[:3],
        lambda e: tuple(geomlab.preference(e, "france", ["paris", "london", "rome"]).probs),
        lambda e: geomlab.relevance(e, "france", ["paris", "london"]).scores.tolist(),
        lambda e: geomlab.contextualize(e, "bank", "the muddy river bank").neighbors.words,
        lambda e: geomlab.offset_consistency(e, [("man", "king"), ("woman", "queen")]),
    ],
)
def test_every_function_takes_keyed_vectors(call, kv, small):
    assert call(kv) == call(small)


def test_a_trained_gensim_model_is_read_through_its_wv():
    from gensim.models import Word2Vec

    sentences = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 20
    model = Word2Vec(sentences, vector_size=8, min_count=1, seed=1, workers=1, epochs=2)
    assert geomlab.nearest(model, "cat", k=2).words == geomlab.nearest(model.wv, "cat", k=2).words


@pytest.mark.parametrize("bad", [None, np.zeros((3, 2)), {"a": [1.0]}, "glove"])
def test_other_objects_are_refused_clearly(bad):
    with pytest.raises(geomlab.ParameterError, match="must be an Embeddings"):
        geomlab.nearest(bad, "a")
    with pytest.raises(geomlab.ParameterError, match="or a LanguageModel"):
        geomlab.contextualize(bad, "a", "a b")


def test_progress_shows_in_a_notebook_kernel(monkeypatch):
    import sys
    import types

    from geomlab._progress import progress_enabled

    class ZMQInteractiveShell:  # what a Jupyter kernel's get_ipython() returns
        pass

    monkeypatch.delenv("GEOMLAB_NO_PROGRESS", raising=False)
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: None
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # no terminal
    assert progress_enabled(None) is False  # IPython loaded, but no kernel
    fake.get_ipython = ZMQInteractiveShell
    assert progress_enabled(None) is True
    assert progress_enabled(False) is False  # still silenceable
    monkeypatch.setenv("GEOMLAB_NO_PROGRESS", "1")
    assert progress_enabled(None) is False
