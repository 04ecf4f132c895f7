"""Everything random takes a seed, and the same seed gives the same result.

Sampling, the bootstrap interval of evaluate_similarity, the report's 2-D maps (PCA, UMAP,
t-SNE), the discourse-atom dictionary, the cluster senses and the approximate index are run
twice with one seed and compared exactly (bit for bit), and once with another seed where
the seed matters. One check runs in a second process with a different PYTHONHASHSEED, so
nothing depends on set or dict ordering of strings. UMAP and t-SNE are ``slow`` (numba
compiles UMAP for about 20 s on first import; t-SNE takes seconds per map on 2 cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import geomlab
from geomlab.geometry._dictionary import fit_dictionary
from geomlab.geometry.maps import compare_maps, map_2d

LOGITS = np.array([2.0, 1.5, 1.0, 0.2, -0.3, -1.0])


# -- sampling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, kw", [("temperature", {}), ("top_k", {"k": 3}), ("top_p", {"p": 0.8})]
)
def test_sampling_is_reproducible(method, kw):
    draws = [
        geomlab.sample(LOGITS, method=method, temperature=1.5, n=200, seed=s, **kw)
        for s in (7, 7, 8)
    ]
    np.testing.assert_array_equal(draws[0].indices, draws[1].indices)
    assert draws[0].seed == 7
    assert not np.array_equal(draws[0].indices, draws[2].indices)  # the seed matters
    # a Generator seeded alike draws the same stream
    gen = geomlab.sample(
        LOGITS, method=method, temperature=1.5, n=200, seed=np.random.default_rng(7), **kw
    )
    np.testing.assert_array_equal(gen.indices, draws[0].indices)


def test_sampling_a_preference_is_reproducible(glove):
    pref = geomlab.preference(
        glove, "france", ["paris", "berlin", "london", "rome", "madrid"], temperature=2.0
    )
    a = geomlab.sample(pref, method="top_k", k=4, n=50, seed=3)
    b = geomlab.sample(pref, method="top_k", k=4, n=50, seed=3)
    assert a.words == b.words and len(set(a.words)) > 1


def test_greedy_needs_no_seed():
    a = geomlab.sample(LOGITS, n=5)
    b = geomlab.sample(LOGITS, n=5, seed=123)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.indices, 0)


# -- the bootstrap interval -----------------------------------------------------------------


def test_similarity_bootstrap_is_reproducible(glove):
    a = geomlab.evaluate_similarity(glove, "wordsim353", seed=0)
    b = geomlab.evaluate_similarity(glove, "wordsim353", seed=0)
    c = geomlab.evaluate_similarity(glove, "wordsim353", seed=1)
    assert a.spearman_ci == b.spearman_ci and a.seed == 0
    assert c.spearman_ci != a.spearman_ci and c.seed == 1  # only the interval is random
    assert c.spearman == a.spearman and c.pearson == a.pearson
    lo, hi = a.spearman_ci
    assert lo < a.spearman < hi


# -- the report's maps ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def words500(glove) -> np.ndarray:
    # every 40th of the 20,000 most frequent words: a spread, not only function words
    return np.ascontiguousarray(glove.vectors[:20_000:40])


def test_pca_map_is_reproducible(words500):
    a = map_2d(words500, method="pca", seed=0)
    b = map_2d(words500, method="pca", seed=0)
    assert a.shape == (500, 2) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_compare_maps_is_reproducible(words500):
    a = compare_maps(words500, methods=("pca",), seed=5, quick=True)
    b = compare_maps(words500, methods=("pca",), seed=5, quick=True)
    assert [m["xy"] for m in a] == [m["xy"] for m in b]
    assert [m["trustworthiness"] for m in a] == [m["trustworthiness"] for m in b]


@pytest.mark.slow
def test_umap_map_is_reproducible(words500):
    a = map_2d(words500, method="umap", seed=0, quick=True)
    b = map_2d(words500, method="umap", seed=0, quick=True)
    c = map_2d(words500, method="umap", seed=1, quick=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.slow
def test_tsne_map_is_reproducible(words500):
    x = words500[:200]
    a = map_2d(x, method="tsne", seed=0, quick=True)
    b = map_2d(x, method="tsne", seed=0, quick=True)
    assert a.shape == (200, 2) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


# -- discourse atoms and senses -------------------------------------------------------------

TINY_FIT = {"n_words": 400, "n_atoms": 12, "sparsity": 3, "max_epochs": 1}


def test_dictionary_fit_is_reproducible(glove):
    a = fit_dictionary(glove, **TINY_FIT, random_state=0, cache=False)
    b = fit_dictionary(glove, **TINY_FIT, random_state=0, cache=False)
    c = fit_dictionary(glove, **TINY_FIT, random_state=1, cache=False)
    assert a.atoms.shape == (12, 50) and not a.from_cache and a.path is None
    np.testing.assert_array_equal(a.atoms, b.atoms)
    assert a.key == b.key and c.key != a.key
    assert not np.array_equal(a.atoms, c.atoms)


def test_cached_atoms_are_the_fitted_atoms(glove, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(tmp_path))
    fitted = fit_dictionary(glove, **TINY_FIT, random_state=2)
    again = fit_dictionary(glove, **TINY_FIT, random_state=2)
    assert not fitted.from_cache and again.from_cache and again.path == fitted.path
    assert fitted.path.parent.parent == tmp_path
    np.testing.assert_array_equal(again.atoms, fitted.atoms)
    fresh = fit_dictionary(glove, **TINY_FIT, random_state=2, cache=False)
    np.testing.assert_array_equal(fresh.atoms, fitted.atoms)


def test_cluster_senses_are_reproducible(glove):
    a = geomlab.senses(glove, "bank", method="cluster")
    b = geomlab.senses(glove, "bank", method="cluster")
    assert [(s.words, s.weight, s.kind) for s in a] == [(s.words, s.weight, s.kind) for s in b]


def test_approximate_index_is_reproducible_single_threaded(glove):
    # with one build thread hnswlib inserts in a fixed order; see the report note on threads
    from geomlab.geometry.ann import ann_index

    emb = glove.head(3000)
    a = ann_index(emb, seed=0, num_threads=1, recall_sample=50)
    b = ann_index(emb, seed=0, num_threads=1, recall_sample=50)
    ia, sa = a.graph(k=5)
    ib, sb = b.graph(k=5)
    np.testing.assert_array_equal(ia, ib)
    np.testing.assert_array_equal(sa, sb)
    assert a.recall == b.recall


# -- a second process -----------------------------------------------------------------------

_CHILD = """
import json, numpy as np, geomlab
from geomlab.geometry.maps import map_2d
emb = geomlab.load()
s = geomlab.sample([2.0, 1.5, 1.0, 0.2, -0.3, -1.0], method="top_p", p=0.8, n=50, seed=11)
r = geomlab.evaluate_similarity(emb, "wordsim353", seed=4)
xy = map_2d(np.ascontiguousarray(emb.vectors[:20000:40]), method="pca", seed=0)
print(json.dumps({"sample": s.indices.tolist(), "ci": list(r.spearman_ci),
                  "pca": xy.round(6).tolist()}))
"""


def test_same_results_in_another_process(glove, words500):
    env = {**os.environ, "PYTHONHASHSEED": "12345", "GEOMLAB_NO_PROGRESS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    ).stdout
    child = json.loads(out)
    s = geomlab.sample(LOGITS, method="top_p", p=0.8, n=50, seed=11)
    assert child["sample"] == s.indices.tolist()
    assert child["ci"] == list(geomlab.evaluate_similarity(glove, "wordsim353", seed=4).spearman_ci)
    assert child["pca"] == map_2d(words500, method="pca", seed=0).round(6).tolist()
