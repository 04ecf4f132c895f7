"""Senses (discourse atoms and clusters), the atom cache, sense probabilities, the probes."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import geomlab
from geomlab.evaluation.polysemy import Probe, read_probes
from geomlab.geometry import _dictionary
from geomlab.geometry.senses import word_atoms

KINDS = {"sense", "weak", "noisy", "facet"}


@pytest.fixture(scope="session")
def atoms(glove):
    """The default dictionary: the atoms shipped with geomlab (no fit)."""
    return _dictionary.fit_dictionary(glove)


def _match(emb, found, indicators) -> tuple[int, float]:
    """The sense closest to a group of indicator words, and its mean cosine with them."""
    ind = emb.unit(emb.indices(indicators))
    sims = [float((ind @ s.vector).mean()) for s in found]
    return int(np.argmax(sims)), max(sims)


# the classic ambiguous words: two groups of words that must land on two different senses
CLASSIC = {
    "apple": ("fruit orange juice banana", "computer software microsoft ipod"),
    "crane": ("bird birds eagle wildlife", "construction tower lifting steel"),
    "tie": ("shirt jacket collar trousers", "draw score game win"),
    "mouse": ("rat rats rabbit monkey", "keyboard computer screen software"),
    "bass": ("trout salmon fish fishing", "guitar drums music band"),
}


@pytest.mark.parametrize("word", sorted(CLASSIC))
def test_atoms_separate_classic_senses(glove, atoms, word):
    found = geomlab.senses(glove, word)
    a, b = (_match(glove, found, g.split()) for g in CLASSIC[word])
    assert a[0] != b[0], f"{word}: both groups fell on sense {a[0] + 1}"
    assert min(a[1], b[1]) >= 0.4
    assert found[a[0]].kind == found[b[0]].kind == "sense"


def test_sense_records(glove, atoms):
    found = geomlab.senses(glove, "tie", top=6)
    assert [s.weight for s in found] == sorted((s.weight for s in found), reverse=True)
    assert sum(s.share for s in found) == pytest.approx(1.0)
    assert all(s.kind in KINDS and len(s.words) == 6 and "tie" not in s.words for s in found)
    assert all(np.linalg.norm(s.vector) == pytest.approx(1.0, abs=1e-5) for s in found)
    assert all(s.method == "atoms" and 0 <= s.atom < 500 for s in found)
    assert len(found) <= atoms.sparsity
    # the first-name atom of "tie" points away from the word and is called noisy, with why
    flagged = [s for s in found if s.kind != "sense"]
    assert flagged and all(s.note for s in flagged)
    assert all(not s.note for s in found if s.kind == "sense")
    assert "kind" in str(found[0]) and geomlab.Sense is type(found[0])


def test_word_atoms_is_the_raw_code(glove, atoms):
    code = word_atoms(glove, "bank", top=4)
    found = geomlab.senses(glove, "bank")
    positive = [a for a, c in zip(code.atoms, code.coefficients) if c > 0]
    assert positive == [s.atom for s in found]
    assert code.from_cache and code.key == atoms.key
    assert 0 < code.residual < 1
    assert all(len(w) == 4 for w in code.words)


def test_cluster_method(glove):
    found = geomlab.senses(glove, "apple", method="cluster", n_neighbors=60, max_senses=3)
    assert 2 <= len(found) <= 3
    assert sum(s.weight for s in found) == pytest.approx(1.0)
    assert all(s.method == "cluster" and s.atom is None for s in found)
    tech = _match(glove, found, ["computer", "software", "microsoft"])
    assert tech[1] >= 0.5
    members = {w for s in found for w in s.words}
    assert "apple" not in members


# -- the dictionary cache -----------------------------------------------------------------------
# small enough to fit in a fraction of a second (LARS costs ~1 ms per word and epoch)
SMALL = {"n_words": 300, "n_atoms": 10, "max_epochs": 1, "random_state": 3}


def test_dictionary_is_cached_and_reused(glove):
    before = _dictionary.fit_count
    first = _dictionary.fit_dictionary(glove, **SMALL)
    assert not first.from_cache and _dictionary.fit_count == before + 1
    assert first.path.is_file() and first.path.parent.name == "atoms"
    assert str(first.path).startswith(os.environ["GEOMLAB_CACHE_DIR"])
    mtime = first.path.stat().st_mtime_ns
    second = _dictionary.fit_dictionary(glove, **SMALL)
    assert second.from_cache and _dictionary.fit_count == before + 1  # no second fit
    assert first.path.stat().st_mtime_ns == mtime
    assert np.array_equal(first.atoms, second.atoms)
    assert second.fit_seconds == pytest.approx(first.fit_seconds)
    # another seed is another dictionary, under another key
    other = _dictionary.fit_dictionary(glove, **{**SMALL, "random_state": 4}, cache=False)
    assert other.key != first.key and other.path is None
    assert not np.array_equal(other.atoms, first.atoms)


def test_default_atoms_are_read_from_the_shipped_file(glove, atoms, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(tmp_path))  # an empty cache folder
    before = _dictionary.fit_count
    d = _dictionary.fit_dictionary(glove)
    assert d.from_cache and _dictionary.fit_count == before
    assert d.path.parent.name == "data" and d.path.name == f"atoms-{d.key}.npz"
    assert d.params == _dictionary.DEFAULTS
    assert d.atoms.shape == (500, 50) and np.array_equal(d.atoms, atoms.atoms)
    assert not (tmp_path / "atoms").exists()  # nothing written: the shipped file is enough
    # other parameters miss the shipped key: fitted (SMALL fits in about a second)
    small = _dictionary.fit_dictionary(glove, **SMALL, cache=True)
    assert small.path.parent == tmp_path / "atoms"


@pytest.mark.slow
def test_shipped_atoms_are_the_default_fit(glove, atoms):
    """A fresh default fit (1.5-4 minutes) gives exactly the shipped atoms."""
    fresh = _dictionary.fit_dictionary(glove, cache=False)
    assert fresh.key == atoms.key and not fresh.from_cache
    np.testing.assert_array_equal(fresh.atoms, atoms.atoms)


def test_dictionary_is_deterministic(glove):
    a = _dictionary.fit_dictionary(glove, **SMALL, cache=False)
    b = _dictionary.fit_dictionary(glove, **SMALL, cache=False)
    assert np.array_equal(a.atoms, b.atoms)
    assert a.atoms.shape == (10, 50) and a.atoms.dtype == np.float32


def test_damaged_cache_is_rebuilt_not_trusted(glove, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(tmp_path))
    d = _dictionary.fit_dictionary(glove, **SMALL)
    for junk in (b"not an npz file", d.path.read_bytes()[:100]):  # foreign, truncated
        d.path.write_bytes(junk)
        again = _dictionary.fit_dictionary(glove, **SMALL)
        assert np.array_equal(again.atoms, d.atoms)
        assert _dictionary._read(d.path, again.params, glove.dim) is not None  # rewritten


def test_dictionary_bad_parameters(glove):
    with pytest.raises(geomlab.ParameterError, match="n_atoms must be an integer >= 2"):
        _dictionary.fit_dictionary(glove, n_atoms=1)
    with pytest.raises(geomlab.ParameterError, match="sparsity must be at most n_atoms"):
        _dictionary.fit_dictionary(glove, n_atoms=3, sparsity=5, n_words=100)
    with pytest.raises(geomlab.ParameterError, match="alpha must be a positive finite"):
        _dictionary.fit_dictionary(glove, alpha=0)


# -- which sense a context selects -------------------------------------------------------------
def test_sense_probabilities_pick_the_context_sense(glove, atoms):
    found = geomlab.senses(glove, "apple")
    pie = geomlab.sense_probabilities(
        glove, "apple", "she baked a pie with sugar and cinnamon", target="banana", found=found
    )
    phone = geomlab.sense_probabilities(
        glove, "apple", "the new iphone runs faster software", target="microsoft", found=found
    )
    assert pie.target != phone.target
    for r in (pie, phone):
        assert r.choice == r.target
        assert r.probs.sum() == pytest.approx(1.0)
        assert r.loss == pytest.approx(-math.log(r.probs[r.target]))
        assert r.loss < math.log(2)
    assert pie.kept == ("baked", "pie", "sugar", "cinnamon")


def test_sense_probabilities_temperature_and_index_target(glove, atoms):
    hot = geomlab.sense_probabilities(
        glove, "bank", "muddy river shore", temperature=100.0, target=0
    )
    assert hot.probs == pytest.approx(np.full(len(hot.probs), 1 / len(hot.probs)), abs=0.01)
    assert hot.target == 0 and hot.loss == pytest.approx(math.log(len(hot.probs)), abs=0.05)
    assert "prob" in str(hot)


def test_sense_probabilities_bad_input(glove, atoms):
    with pytest.raises(geomlab.UnknownWordError, match="'bnak' is not in the vocabulary"):
        geomlab.sense_probabilities(glove, "bnak", "river")
    with pytest.raises(geomlab.ParameterError, match="context must hold at least one word"):
        geomlab.sense_probabilities(glove, "bank", "")
    with pytest.raises(geomlab.ParameterError, match="none of the 1 context words"):
        geomlab.sense_probabilities(glove, "bank", "zzqxv")
    with pytest.raises(geomlab.ParameterError, match="target must be a sense index in 0.."):
        geomlab.sense_probabilities(glove, "bank", "river", target=99)
    r = geomlab.sense_probabilities(glove, "bank", "muddy zzqxv river")
    assert r.skipped == ("zzqxv",) and r.n_skipped == 1 and r.target is None and r.loss is None


def test_senses_bad_input(glove):
    with pytest.raises(geomlab.UnknownWordError, match="Did you mean 'apple'"):
        geomlab.senses(glove, "appple")
    with pytest.raises(geomlab.ParameterError, match="method must be 'atoms' or 'cluster'"):
        geomlab.senses(glove, "apple", method="kmeans")
    with pytest.raises(geomlab.ParameterError, match="max_senses must be an integer >= 2"):
        geomlab.senses(glove, "apple", method="cluster", max_senses=1)


# -- probes and their evaluation ----------------------------------------------------------------
def test_probe_file_is_well_formed(glove):
    probes = read_probes()
    words = {p.word for p in probes}
    assert len(words) >= 30 and len(probes) == 2 * len(words)
    for p in probes:
        tokens = geomlab.geometry.attention.tokenize(p.context)
        assert p.word in glove and p.word in tokens, p
        assert len(p.indicators) == 4 and not set(p.indicators) & set(tokens), p
        assert all(glove.index(w) < 30000 for w in p.indicators), p


def test_read_probes_errors(tmp_path):
    bad = tmp_path / "p.tsv"
    bad.write_text("word\tsense\tcontext\tindicators\nbank\triver\tmuddy bank\tshore\n")
    with pytest.raises(geomlab.FormatError, match=r"p.tsv:2: 'bank' has 1 rows"):
        read_probes(bad)
    bad.write_text("word\tsense\tcontext\tindicators\nbank\triver\tmuddy bank\n")
    with pytest.raises(geomlab.FormatError, match=r"p.tsv:2: expected 4 non-empty"):
        read_probes(bad)
    bad.write_text("# only a comment\nwrong\theader\n")
    with pytest.raises(geomlab.FormatError, match=r"p.tsv:2: header must be"):
        read_probes(bad)
    with pytest.raises(geomlab.ParameterError, match="does not exist"):
        read_probes(tmp_path / "missing.tsv")


def test_evaluate_polysemy_on_some_probes(glove, atoms):
    chosen = {"bank", "apple", "tie", "mouse", "crane", "cell"}
    probes = [p for p in read_probes() if p.word in chosen]
    probes.append(Probe("zzqxv", "a", "zzqxv here", ("river",)))
    probes.append(Probe("zzqxv", "b", "zzqxv there", ("money",)))
    r = geomlab.evaluate_polysemy(glove, probes)
    assert r.n_words == 6 and r.n_contexts == 12 and r.skipped == ("zzqxv",)
    assert r.context_accuracy == 1.0 and r.both_contexts == 1.0
    assert r.senses_recovered == 1.0
    assert r.sense_choice_accuracy >= 0.75
    assert 0 < r.mean_cross_entropy < math.log(2)
    assert len(r.rows()) == 6 and "senses_recovered" in str(r)
    assert r.summary()["skipped"] == "zzqxv"


def test_evaluate_polysemy_bad_input(glove):
    with pytest.raises(geomlab.ParameterError, match="threshold must be a number in"):
        geomlab.evaluate_polysemy(glove, threshold=2)
    with pytest.raises(geomlab.ParameterError, match="needs exactly two senses"):
        geomlab.evaluate_polysemy(glove, [Probe("bank", "river", "muddy bank", ("shore",))])
