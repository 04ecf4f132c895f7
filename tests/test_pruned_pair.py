"""PairDirection's pruned pass: the same answers, ranks and scores as scoring every
candidate exactly (float64 from the float32 vectors, rounded once; ties to the lowest row)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pruned import (
    differences_follow_the_exact_rule,
    full_pass,
    google_sample,
    reference,
    tied_embeddings,
    write_questions,
)

import geomlab
from geomlab.evaluation import _pruned_pair, _scan
from geomlab.geometry._analogy_scores import Scorer, unit

PD = "pairdirection"


def check(emb, quads, path, **kwargs):
    """The evaluation against the brute-force exact reference, question by question."""
    r = geomlab.evaluate_analogies(emb, path, method=PD, case_insensitive=False, **kwargs)
    top, rank = reference(emb, quads, PD, exclude_inputs=kwargs.get("exclude_inputs", True))
    answer = np.array([emb.get_index(q[3]) for q in quads])
    pruned = ~r._q.full_pass
    np.testing.assert_array_equal(r._q.pred_rows[pruned, 0], top[pruned])
    np.testing.assert_array_equal(
        np.where(r._q.correct1, 1, r._q.rank)[pruned], np.where(top == answer, 1, rank)[pruned]
    )
    # the scores are the exact ones too
    pool = emb.vectors
    norms = _scan.gensim_norms(pool)
    scorer = Scorer(PD, pool, norms, unit=lambda rr: unit(pool[rr], norms[rr]))
    rows = np.array([[emb.get_index(w) for w in q] for q in quads])
    queries = scorer.queries(rows[:, 0], rows[:, 1], rows[:, 2])
    idx = np.flatnonzero(pruned)
    want = scorer.exact(queries, idx, r._q.pred_rows[idx, 0])
    np.testing.assert_array_equal(r._q.pred_scores[idx, 0], want)
    np.testing.assert_array_equal(
        r._q.score[idx], scorer.exact(queries, idx, answer[idx]).astype(np.float64)
    )
    return r


@pytest.fixture(params=["default", "small chunks"])
def layout(request, monkeypatch):
    """The pass as shipped, and with 16-row chunks and every row sampled (many chunks,
    exclusions and ties across chunk edges, the running floor of the top answer)."""
    if request.param == "small chunks":
        monkeypatch.setattr(_pruned_pair, "WIDTH", 16)
        monkeypatch.setattr(_pruned_pair, "STRIDE", 1)
    return request.param


# -- hand-made -----------------------------------------------------------------------------------
@pytest.mark.parametrize("exclude_inputs", [True, False])
def test_exact_ties_zero_rows_and_x_equal_c(tmp_path, layout, exclude_inputs):
    emb = tied_embeddings()
    vecs = np.vstack([emb.vectors, np.zeros((2, 8), np.float32), emb.vectors[2] * 3])
    words = list(emb.words) + ["z0", "z1", "c3"]  # two zero rows, c three times as long
    emb = geomlab.Embeddings(words, vecs)
    quads = [
        ("a", "b", "c", "d"),
        ("a", "b", "c", "d2"),
        ("b", "a", "c", "x3"),
        ("c", "a", "b", "y1"),
        ("a", "b", "x1", "c3"),
        ("x1", "x2", "c", "c3"),
    ]
    path = write_questions(tmp_path / "q.txt", quads)
    r = check(emb, quads, path, exclude_inputs=exclude_inputs)
    # c3, a copy of c, counts as c (-inf): the last question has no answer (full pass)
    assert r._q.full_pass.tolist() == [False] * 5 + [True]
    assert 0 < r.scored_exactly < 1


def test_case_variants_same_as_the_full_pass(tmp_path, monkeypatch, layout):
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(120)] + ["W3", "W10", "w10X", "W40"]
    vecs = rng.normal(size=(len(words), 6)).astype(np.float32)
    emb = geomlab.Embeddings(words, vecs)
    pairs = [("w3", "w10"), ("w40", "w7"), ("w11", "w12"), ("W10", "w50"), ("w60", "w61")]
    quads = [(a, b, c, d) for a, b in pairs for c, d in pairs if (a, b) != (c, d)]
    path = write_questions(tmp_path / "q.txt", quads)
    for ex in (True, False):
        kw = {"method": PD, "exclude_inputs": ex}
        pruned = geomlab.evaluate_analogies(emb, path, **kw)
        full = full_pass(monkeypatch, emb, path, **kw)
        # (a question whose answer is an input's case variant has no answer: full pass)
        assert (~pruned._q.full_pass).sum() >= 18 and full.scored_exactly == 1.0
        np.testing.assert_array_equal(pruned._q.pred_rows, full._q.pred_rows)
        np.testing.assert_array_equal(pruned._q.rank, full._q.rank)
        np.testing.assert_allclose(pruned._q.score, full._q.score, atol=1e-6)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**31 - 1), dup=st.integers(0, 12), keep_inputs=st.booleans(),
    small=st.booleans(),
)  # fmt: skip
def test_random_sets_match_the_exact_reference(
    tmp_path, monkeypatch, seed, dup, keep_inputs, small
):
    if small:
        monkeypatch.setattr(_pruned_pair, "WIDTH", 32)
    rng = np.random.default_rng(seed)
    n, dim = 80, 6
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    src = rng.integers(0, n, size=dup)
    vecs = np.vstack([vecs, vecs[src] * rng.choice([1.0, 2.0, 0.5], size=(dup, 1))])
    vecs[rng.integers(0, len(vecs))] = 0
    words = [f"w{i}" for i in range(len(vecs))]
    emb = geomlab.Embeddings(words, vecs.astype(np.float32))
    pairs = [tuple(words[i] for i in rng.choice(len(words), 2, replace=False)) for _ in range(6)]
    quads = [(a, b, c, d) for a, b in pairs for c, d in pairs if (a, b) != (c, d)]
    path = write_questions(tmp_path / f"q{seed}.txt", quads)
    check(emb, quads, path, exclude_inputs=not keep_inputs)


# -- the bounds -------------------------------------------------------------------------------------
def _setup(seed):
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(400, 50)).astype(np.float32)
    pool[200:260] = pool[:60] + 0.05 * rng.normal(size=(60, 50)).astype(np.float32)  # near c
    norms = _scan.gensim_norms(pool)
    scorer = Scorer(PD, pool, norms, unit=lambda r: pool[r] / norms[r][:, None])
    ia, ib, ic = (rng.integers(0, 60, size=50) for _ in range(3))
    ib = np.where(ib == ia, (ia + 1) % 60, ib)
    q = scorer.queries(ia, ib, ic)
    d = q[:, 0].astype(np.float64)
    u = (d / np.linalg.norm(d, axis=1)[:, None]).astype(np.float32)
    k = np.einsum("ij,ij->i", q[:, 1].astype(np.float64), d) / np.linalg.norm(d, axis=1)
    xn = pool / norms[:, None]
    return scorer, q, u @ xn.T, q[:, 1] @ xn.T, k


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_intervals_hold_the_exact_scores(seed):
    scorer, q, pmat, cmat, k = _setup(seed)
    qi, rows = np.divmod(np.arange(len(q) * len(scorer.pool)), len(scorer.pool))
    exact = scorer.exact(q, qi, rows)
    lo, hi = _pruned_pair._interval(pmat[qi, rows], cmat[qi, rows], k[qi])
    assert (lo <= exact).all() and (exact <= hi).all()
    assert np.median(hi - lo) < 1e-4  # and they are narrow


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_first_stage_error_within_a_tenth_of_the_margin(seed):
    """|V - V*| <= 1.02e-5 where S >= S_MIN, V* = (E* - t) S* in float64 (the docstring's
    bound; the margin is ten times that)."""
    scorer, q, pmat, cmat, k = _setup(seed)
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1, 1, size=len(q)).astype(np.float32)
    s = _pruned_pair._s_rows(cmat)
    v = pmat - (s * t[:, None] + k.astype(np.float32)[:, None])
    x = (scorer.pool / scorer.norms[:, None].astype(np.float64)).T
    d = q[:, 0].astype(np.float64)
    p64 = d @ x / np.linalg.norm(d, axis=1)[:, None]
    s64 = np.sqrt(np.maximum(2 - 2 * (q[:, 1].astype(np.float64) @ x), 0))
    v64 = p64 - k[:, None] - t[:, None] * s64
    ok = ~np.isnan(s)
    assert ok.mean() > 0.5
    assert np.abs(v - v64)[ok].max() <= 1.02e-5
    # the approximate score, whose bound (2.1e-5) sets TOP_MARGIN
    exact = scorer.exact(q, *np.divmod(np.arange(v.size), v.shape[1])).reshape(v.shape)
    approx = (pmat - k.astype(np.float32)[:, None]) / s
    assert np.abs(approx - exact)[ok].max() <= 2.1e-5
    assert _pruned_pair.TOP_MARGIN >= 10 * 2.1e-5
    assert _pruned_pair.MARGIN >= 10 * 1.02e-5


# -- real data --------------------------------------------------------------------------------------
def test_google_subset_same_as_the_full_pass(glove, tmp_path, monkeypatch):
    """Every 9th Google question, 30,000 candidates: the full pass's answers and ranks,
    except where its float32 rounding orders candidates within an ulp (there the exact
    rule decides, and the pruned pass follows it)."""
    path = google_sample(tmp_path)
    kw = {"method": PD, "restrict_vocab": 30_000}
    pruned = geomlab.evaluate_analogies(glove, str(path), **kw)
    full = full_pass(monkeypatch, glove, str(path), **kw)
    assert pruned.n_evaluated == full.n_evaluated > 1500
    assert not pruned._q.full_pass.any()
    assert 0 < pruned.scored_exactly < 0.01 and full.scored_exactly == 1.0
    q, f = pruned._q, full._q
    differences_follow_the_exact_rule(glove.head(30_000), pruned, full, PD)
    np.testing.assert_allclose(q.score, f.score, atol=1e-5)
    np.testing.assert_allclose(q.pred_scores, f.pred_scores, atol=1e-5)
    assert (q.rank > 3000).sum() > 0.1 * len(q.rank)  # deep answers, counted without indices
