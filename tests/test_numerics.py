"""Numerical edge cases across the toolkit: a clear ParameterError or a documented result.

Issue 8 asks that NaN or infinite logits, temperatures <= 0 / NaN / infinite, probabilities
outside [0, 1] and zero-norm vectors in cosine never turn into a silent NaN. Each case here
either raises a ``ParameterError`` whose message names the parameter and the value, or
returns the documented value (checked exactly); every numeric output is checked finite
where the documentation promises a finite number. Known bugs are ``xfail(strict=True)``
with the reason, so the suite stays green and the bug stays recorded.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import geomlab
from geomlab.errors import ParameterError

NAN, INF = float("nan"), float("inf")

# -- logits ---------------------------------------------------------------------------------

LOGIT_FUNCS = {
    "softmax": lambda z: geomlab.softmax(z),
    "log_softmax": lambda z: geomlab.log_softmax(z),
    "logsumexp": lambda z: geomlab.logsumexp(z),
    "free_energy": lambda z: geomlab.free_energy(z, 1.0),
    "boltzmann": lambda z: geomlab.boltzmann(z, 1.0),
    "cross_entropy": lambda z: geomlab.cross_entropy(z, 0),
    "cross_entropy_grad": lambda z: geomlab.cross_entropy_grad(z, 0),
    "eml_echo": lambda z: geomlab.eml_echo(z, 0),
    "sample": lambda z: geomlab.sample(z, method="temperature", seed=0),
}


@pytest.mark.parametrize("bad", [NAN, INF, -INF], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("name", list(LOGIT_FUNCS))
def test_non_finite_logits_are_refused(name, bad):
    with pytest.raises(ParameterError, match=r"(logits|energies) (must be finite|contain)"):
        LOGIT_FUNCS[name]([1.0, bad, 0.5])


def test_non_finite_logits_message_names_the_value_and_the_way_out():
    with pytest.raises(ParameterError, match=r"got nan at index 1 \(use mask= to leave"):
        geomlab.softmax([1.0, NAN])
    with pytest.raises(ParameterError, match=r"got -inf at index \(1, 0\)"):
        geomlab.softmax([[1.0, 2.0], [-INF, 0.0]])


def test_fit_temperature_refuses_nan_logits():
    with pytest.raises(ParameterError, match="logits contain NaN"):
        geomlab.fit_temperature([[1.0, NAN, 0.5]], [0])


def test_fit_temperature_refuses_infinite_logits():
    with pytest.raises(ParameterError, match="logits"):
        geomlab.fit_temperature([[1.0, INF, 0.5]], [0])


# -- temperatures ---------------------------------------------------------------------------

TEMPERATURE_FUNCS = {
    "softmax": lambda t: geomlab.softmax([1.0, 2.0], temperature=t),
    "log_softmax": lambda t: geomlab.log_softmax([1.0, 2.0], temperature=t),
    "logsumexp": lambda t: geomlab.logsumexp([1.0, 2.0], temperature=t),
    "free_energy": lambda t: geomlab.free_energy([1.0, 2.0], t),
    "boltzmann": lambda t: geomlab.boltzmann([1.0, 2.0], t),
    "cross_entropy": lambda t: geomlab.cross_entropy([1.0, 2.0], 0, temperature=t),
    "cross_entropy_grad": lambda t: geomlab.cross_entropy_grad([1.0, 2.0], 0, temperature=t),
    "sample": lambda t: geomlab.sample([1.0, 2.0], method="temperature", temperature=t),
}


@pytest.mark.parametrize(
    "t", [0, 0.0, -1.0, NAN, INF, -INF], ids=["0", "0.0", "-1", "nan", "inf", "-inf"]
)
@pytest.mark.parametrize("name", list(TEMPERATURE_FUNCS))
def test_bad_temperature_is_refused(name, t):
    with pytest.raises(ParameterError, match=r"temperature must be a positive finite number"):
        TEMPERATURE_FUNCS[name](t)


@pytest.mark.parametrize("t", [True, "1", None, np.array(2.0)], ids=["bool", "str", "None", "0-d"])
def test_temperature_of_the_wrong_type_is_refused(t):
    with pytest.raises(ParameterError, match=r"temperature must be a positive finite number, got"):
        geomlab.softmax([1.0, 2.0], temperature=t)


def test_attention_and_preference_temperatures():
    words = ["a", "b", "c"]
    emb = geomlab.Embeddings(words, np.eye(3, dtype=np.float32), source="eye")
    for t in (0.0, -2.0, NAN, INF):
        with pytest.raises(ParameterError, match="temperature"):
            geomlab.attend(emb, "a", ["b", "c"], temperature=t)
        with pytest.raises(ParameterError, match="temperature"):
            geomlab.preference(emb, "a", ["b", "c"], temperature=t)


def test_tiny_and_huge_temperatures_stay_distributions():
    # T -> 0: one-hot on the maximum (ties share it); T -> inf: uniform. Never NaN.
    z = np.array([1.0, 2.0, 2.0, -5.0])
    np.testing.assert_array_equal(geomlab.softmax(z, temperature=1e-300), [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(geomlab.softmax(z, temperature=1e300), 0.25)
    lp = geomlab.log_softmax(z, temperature=1e-300)
    assert lp[1] == lp[2] == -math.log(2) and lp[0] < -1e299 and lp[3] < -1e299
    # the log partition function really is beyond float64 here: inf, not NaN
    assert geomlab.logsumexp([1.0, 2.0], temperature=1e-320) == INF
    assert geomlab.cross_entropy([3.0, 1.0], 1, temperature=1e-300) == pytest.approx(2e300)
    np.testing.assert_array_equal(
        geomlab.cross_entropy_grad([3.0, 1.0], 1, temperature=1e-3), [1000.0, -1000.0]
    )
    draws = geomlab.sample(z, method="temperature", temperature=1e-300, n=50, seed=0).indices
    assert set(draws.tolist()) <= {1, 2}


@pytest.mark.parametrize(
    "energies, t", [([1.0, 2.0], 1e-300), ([1e6, 1e6 + 1], 1e-9), ([100.0, 101.0], 1e-15)]
)
def test_boltzmann_at_small_temperature_is_a_distribution(energies, t):
    p = geomlab.boltzmann(energies, t)
    np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(p, geomlab.softmax(-np.asarray(energies), temperature=t))


def test_boltzmann_matches_softmax_of_negative_energies_at_ordinary_temperatures():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(4, 7)) * 5
    for t in (0.05, 1.0, 30.0):
        np.testing.assert_allclose(
            geomlab.boltzmann(e, t), geomlab.softmax(-e, temperature=t), rtol=1e-10
        )


# -- probabilities --------------------------------------------------------------------------

PROB_CASES = {
    "above 1": ([1.5, -0.5], r"must hold probabilities in \[0, 1\], got 1.5"),
    "negative": ([-0.25, 1.25], r"must hold probabilities in \[0, 1\], got -0.25"),
    "nan": ([NAN, 1.0], r"must be finite, got nan"),
    "inf": ([INF, 0.0], r"must be finite, got inf"),
    "not summing to 1": ([0.2, 0.2], r"must sum to 1 along axis -1, got a sum of 0.4"),
}


@pytest.mark.parametrize("case", list(PROB_CASES))
def test_entropy_kl_cross_entropy_refuse_non_probabilities(case):
    bad, msg = PROB_CASES[case]
    with pytest.raises(ParameterError, match="probs " + msg):
        geomlab.entropy(bad)
    with pytest.raises(ParameterError, match="p " + msg):
        geomlab.kl_divergence(bad, [0.5, 0.5])
    with pytest.raises(ParameterError, match="q " + msg):
        geomlab.kl_divergence([0.5, 0.5], bad)
    with pytest.raises(ParameterError, match="target " + msg):
        geomlab.cross_entropy([1.0, 2.0], np.array(bad, dtype=float))
    with pytest.raises(ParameterError, match="target " + msg):
        geomlab.cross_entropy_grad([1.0, 2.0], np.array(bad, dtype=float))


@pytest.mark.parametrize("bad", [NAN, -0.1, 1.1])
def test_surprise_and_calibration_refuse_non_probabilities(bad):
    with pytest.raises(ParameterError, match=r"p must be a probability in \[0, 1\], got"):
        geomlab.surprise(bad)
    with pytest.raises(ParameterError, match=r"confidences must be probabilities in \[0, 1\]"):
        geomlab.expected_calibration_error([0.5, bad], [True, False])
    with pytest.raises(ParameterError, match=r"confidences must be probabilities in \[0, 1\]"):
        geomlab.reliability_bins([bad, 0.5], [True, False])


def test_sampling_refuses_bad_p():
    for p in (NAN, 0.0, -0.5, 1.5, INF):
        with pytest.raises(ParameterError, match=r"method='top_p' needs p with 0 < p <= 1"):
            geomlab.sample([1.0, 2.0], method="top_p", p=p, seed=0)


def test_perplexity_refuses_nan_and_negative_losses():
    for bad in (NAN, -1.0):
        with pytest.raises(ParameterError, match=r"losses must be cross-entropies \(>= 0\)"):
            geomlab.perplexity([0.5, bad])


def test_documented_infinities_are_infinities_not_nan():
    # KL is inf when q gives 0 to something p allows; 0 ln 0 counts as 0
    assert geomlab.kl_divergence([0.5, 0.5], [1.0, 0.0]) == INF
    assert geomlab.kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert geomlab.entropy([1.0, 0.0]) == 0.0
    assert geomlab.surprise(0.0) == INF
    assert geomlab.perplexity([INF]) == INF
    # a masked-out target costs inf; its gradient is still finite
    assert geomlab.cross_entropy([1.0, 2.0], 0, mask=[False, True]) == INF
    assert np.isfinite(geomlab.cross_entropy_grad([1.0, 2.0], 0, mask=[False, True])).all()
    # logits so far apart that exp underflows: exact zeros and -inf logs, no NaN
    np.testing.assert_array_equal(geomlab.softmax([1e308, -1e308]), [1.0, 0.0])
    np.testing.assert_array_equal(geomlab.log_softmax([1e308, -1e308]), [0.0, -INF])


def test_eml_domain():
    with pytest.raises(ParameterError, match=r"needs y > 0 \(ln y is undefined otherwise\)"):
        geomlab.eml(1.0, 0.0)
    with pytest.raises(ParameterError, match=r"x must be finite, got nan"):
        geomlab.eml(NAN, 1.0)
    with pytest.raises(ParameterError, match=r"y must be finite, got inf"):
        geomlab.eml(1.0, INF)
    with pytest.raises(ParameterError, match=r"e\*\*x overflows for x > 709.78"):
        geomlab.eml(710.0, 1.0)


# -- zero-norm vectors in cosine ------------------------------------------------------------

WORDS = ["king", "queen", "man", "woman", "zero", "apple"]
VECTORS = np.array(
    [[1, 1, 0], [1, -1, 0], [0.5, 1, 0], [0.5, -1, 0], [0, 0, 0], [0, 0, 2]], dtype=np.float32
)


@pytest.fixture()
def zemb() -> geomlab.Embeddings:
    """Six 3-d vectors, one of them (``zero``) all zeros."""
    return geomlab.Embeddings(WORDS, VECTORS, source="with-a-zero-row")


@pytest.fixture(autouse=True)
def _no_numpy_warnings():
    # a RuntimeWarning (0/0, invalid value) is how a silent NaN is usually born
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def test_nearest_with_a_zero_row_and_a_zero_query(zemb):
    # documented: a zero row has cosine 0 with everything; a zero query has no direction,
    # so its "neighbors" would be arbitrary words with score 0: it raises instead
    r = geomlab.nearest(zemb, "king", k=5)
    assert dict(r)["zero"] == 0.0 and np.isfinite(r.scores).all()
    for query, metric in [
        ("zero", "cosine"),
        (np.zeros(3), "cosine"),
        ("zero", "dot"),
        ("king - king", "cosine"),
    ]:
        with pytest.raises(ParameterError, match="is the zero vector: it has no direction"):
            geomlab.nearest(zemb, query, k=3, metric=metric)


def test_relevance_with_a_zero_row_and_a_zero_query(zemb):
    r = geomlab.relevance(zemb, "king", ["zero", "queen", "man"], metric="cosine")
    assert r["zero"] == 0.0 and r["queen"] == 0.0 and r["man"] == pytest.approx(0.9486833)
    np.testing.assert_array_equal(geomlab.relevance(zemb, "zero", metric="cosine").scores, 0.0)


def test_non_finite_query_vectors_are_refused(zemb):
    for bad in ([NAN, 0, 0], [INF, 0, 0]):
        with pytest.raises(ParameterError, match="a query vector must be finite"):
            geomlab.nearest(zemb, np.array(bad), k=2)
        with pytest.raises(ParameterError, match="a query vector must be finite"):
            geomlab.relevance(zemb, np.array(bad), metric="cosine")


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul", "pairdirection"])
def test_analogy_with_zero_vectors_is_finite(zemb, method):
    for a, b, c in [
        ("zero", "king", "woman"),
        ("man", "king", "zero"),
        ("zero", "zero", "zero"),
        ("man", "man", "woman"),
    ]:
        r = geomlab.analogy(zemb, a, b, c, k=6, method=method)
        assert np.isfinite(r.scores).all(), (a, b, c, r.scores)
    # the zero row is a candidate like any other, with cosine 0 (3cosmul: (1 + 0) / 2 terms)
    r = geomlab.analogy(zemb, "man", "king", "woman", k=6, method=method)
    assert "zero" in r.words and np.isfinite(r.scores).all()


def test_preference_refuses_a_zero_query_with_cosine(zemb):
    with pytest.raises(ParameterError, match="the query vector is zero: it has no direction"):
        geomlab.preference(zemb, "zero", ["king", "queen"], metric="cosine")
    # a zero candidate is fine: cosine 0
    p = geomlab.preference(zemb, "king", ["zero", "queen"], metric="cosine")
    np.testing.assert_allclose(p.probs, [0.5, 0.5])


def test_directions_refuse_zero_length(zemb):
    with pytest.raises(ParameterError, match="the pairs' mean offset is zero"):
        geomlab.direction(zemb, [("king", "king")])
    with pytest.raises(ParameterError, match="the direction has zero length"):
        geomlab.reject(zemb, "king", "zero")
    with pytest.raises(ParameterError, match="the direction has zero length"):
        geomlab.project(zemb, "king", "zero")
    # documented: a zero offset has cosine 0 with the others
    assert geomlab.offset_consistency(zemb, [("king", "king"), ("man", "woman")]) == 0.0


def test_attention_over_a_zero_vector_is_finite(zemb):
    a = geomlab.attend(zemb, "zero", ["king", "zero"])
    np.testing.assert_allclose(a.weights, [0.5, 0.5])
    c = geomlab.contextualize(zemb, "king", "zero apple", k=2)
    assert np.isfinite(c.neighbors.scores).all()


def test_neighbor_graph_with_a_zero_row(zemb):
    idx, scores = geomlab.neighbor_graph(zemb, k=2)
    assert np.isfinite(scores).all() and (idx >= 0).all()
    np.testing.assert_array_equal(scores[WORDS.index("zero")], 0.0)


@pytest.fixture()
def pair_file(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text(
        "king\tqueen\t8\nman\twoman\t7\nzero\tking\t1\napple\tking\t2\nqueen\tman\t3\n",
        encoding="utf-8",
    )
    return path


def test_similarity_with_a_zero_vector_is_not_nan(zemb, pair_file):
    r = geomlab.evaluate_similarity(zemb, pair_file, restrict_vocab=None)
    assert math.isfinite(r.spearman) and math.isfinite(r.pearson)
    assert all(math.isfinite(x) for x in r.spearman_ci)


def test_similarity_with_constant_gold_scores_is_refused(zemb, tmp_path):
    path = tmp_path / "flat.txt"
    path.write_text("king\tqueen\t8\nman\twoman\t8\nqueen\tman\t8\napple\tking\t8\n")
    with pytest.raises(ParameterError, match="equal"):
        geomlab.evaluate_similarity(zemb, path, restrict_vocab=None)


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_evaluate_analogies_with_a_zero_row_in_the_pool(zemb, tmp_path, method):
    q = tmp_path / "q.txt"
    q.write_text(": s\nman king woman queen\nzero king woman queen\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the kernel's 0/0 is masked after
        r = geomlab.evaluate_analogies(zemb, q, restrict_vocab=None, method=method)
    assert r.accuracy == 1.0 and r.n_evaluated == 2
    assert all(math.isfinite(x.score) and x.rank == 1 for x in r.questions)


def test_evaluate_analogies_pairdirection_with_a_equal_b(zemb, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text(": s\nman man woman queen\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = geomlab.evaluate_analogies(zemb, q, restrict_vocab=None, method="pairdirection")
    (question,) = r.questions
    assert question.rank >= 1 and math.isfinite(question.score)


def test_calibration_at_a_tiny_temperature(glove, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text(": s\nman king woman queen\nfrance paris germany berlin\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = geomlab.evaluate_analogies(glove, q, temperature=1e-4, restrict_vocab=20_000)
    c = r.calibration_at(1e-4)
    assert c.mean_confidence == pytest.approx(1.0) and math.isfinite(c.nll)
