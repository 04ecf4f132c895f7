"""The pruned analogy pass: the same answers and ranks as scoring every candidate exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geomlab
from geomlab.evaluation import _pruned, _scan
from geomlab.evaluation.datasets import load_analogies
from geomlab.geometry._analogy_scores import Scorer

METHODS = ("3cosadd", "3cosmul")  # PairDirection's own pass: tests/test_pruned_pair.py


def write_questions(path, quads, name="s") -> str:
    path.write_text(f": {name}\n" + "\n".join(" ".join(q) for q in quads) + "\n", encoding="utf-8")
    return str(path)


def reference(emb, quads, method, *, exclude_inputs=True, n_pool=None):
    """Top row and rank of each question with every candidate scored by the exact rule
    (float64 from the float32 vectors, rounded once; ties to the lowest row)."""
    n_pool = len(emb) if n_pool is None else n_pool
    pool = emb.vectors[:n_pool]
    norms = _scan.gensim_norms(pool)
    scorer = Scorer(
        method, pool, norms, unit=lambda r: pool[r] / np.where(norms[r] == 0, 1, norms[r])[:, None]
    )
    rows = np.array([[emb.get_index(w) for w in q] for q in quads])
    queries = scorer.queries(rows[:, 0], rows[:, 1], rows[:, 2])
    top, rank = [], []
    every = np.arange(n_pool)
    for i in range(len(rows)):
        s = scorer.exact(queries, np.full(n_pool, i), every)
        if exclude_inputs:
            s[rows[i, :3]] = -np.inf
        t = s[rows[i, 3]]
        best = np.lexsort((every, -s.astype(np.float64)))[0]
        top.append(best)
        others = np.delete(s, rows[i, 3])
        rank.append(1 + int((others > t).sum()) if np.isfinite(t) else 0)
    return np.array(top), np.array(rank)


def google_sample(tmp_path):
    """Every 9th question of each Google section, as a question file."""
    ds = load_analogies("google")
    path = tmp_path / "sample.txt"
    path.write_text(
        "".join(
            f": {s.name}\n" + "".join(" ".join(q) + "\n" for q in s.questions[::9])
            for s in ds.sections
        ),
        encoding="utf-8",
    )
    return path


def full_pass(monkeypatch, *args, **kwargs):
    """The evaluation with the pruned pass switched off (every candidate scored)."""
    with monkeypatch.context() as m:
        m.setattr(_pruned, "supported", lambda *a: False)
        return geomlab.evaluate_analogies(*args, **kwargs)


def check_against_reference(emb, quads, method, path, **kwargs):
    r = geomlab.evaluate_analogies(emb, path, method=method, case_insensitive=False, **kwargs)
    top, rank = reference(emb, quads, method, exclude_inputs=kwargs.get("exclude_inputs", True))
    got_top = r._q.pred_rows[:, 0]
    got_rank = np.where(r._q.correct1, 1, r._q.rank)
    want_rank = np.where(top == np.array([emb.get_index(q[3]) for q in quads]), 1, rank)
    # the pruned questions follow the exact rule; the rest (answer deep in the list, or
    # no answer to compare with) keep the full float32 pass, as before
    pruned = ~r._q.full_pass
    np.testing.assert_array_equal(got_top[pruned], top[pruned])
    np.testing.assert_array_equal(got_rank[pruned], want_rank[pruned])
    return r


def differences_follow_the_exact_rule(emb, pruned, full, method):
    """Where the pruned and the full pass differ (top row or rank; at most 0.2% of the
    questions), the pruned one gives what the exact rule gives; returns where they differ.

    The full float32 pass orders candidates within its rounding of the answer's score by
    its BLAS blocking: there the exact rule decides, and the pruned pass follows it."""
    q, f = pruned._q, full._q
    differ = np.flatnonzero((q.pred_rows[:, 0] != f.pred_rows[:, 0]) | (q.rank != f.rank))
    assert len(differ) <= 0.002 * len(q.rank)
    if len(differ):
        quads = [
            tuple(getattr(pruned.questions[i], k).lower() for k in ("a", "b", "c", "expected"))
            for i in differ
        ]
        top, rank = reference(emb, quads, method)
        np.testing.assert_array_equal(q.pred_rows[differ, 0], top)
        np.testing.assert_array_equal(
            np.where(q.correct1[differ], 1, q.rank[differ]), np.where(q.correct1[differ], 1, rank)
        )
    return differ


# -- hand-made: ties ------------------------------------------------------------------------------
def tied_embeddings(seed=0, n_extra=60, dim=8):
    """Words a, b, c, d plus duplicates of d (exact ties) and of other rows."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(4, dim))
    base[3] = base[1] - base[0] + base[2]  # d is the 3CosAdd answer
    extra = rng.normal(size=(n_extra, dim))
    vecs = np.vstack([base, extra, base[3], base[3] * 2.0, extra[:5]])  # d twice more
    words = (
        ["a", "b", "c", "d"]
        + [f"x{i}" for i in range(n_extra)]
        + ["d2", "d3"]
        + [f"y{i}" for i in range(5)]
    )
    return geomlab.Embeddings(words, vecs.astype(np.float32))


@pytest.mark.parametrize("method", METHODS)
def test_exact_ties_go_to_the_lowest_row(tmp_path, method):
    emb = tied_embeddings()
    quads = [
        ("a", "b", "c", "d"),
        ("a", "b", "c", "d2"),
        ("a", "b", "c", "d3"),
        ("b", "a", "c", "x3"),
        ("c", "a", "b", "y1"),
    ]
    path = write_questions(tmp_path / "q.txt", quads)
    r = check_against_reference(emb, quads, method, path)
    assert not r._q.full_pass[:3].any()
    q = r.questions
    if method == "3cosadd":  # d, d2 and d3 score the same: d, the first, is the answer
        assert [x.predicted[0] for x in q[:3]] == ["d", "d", "d"]
        assert [x.rank for x in q[:3]] == [1, 1, 1]  # nothing scores strictly above


@pytest.mark.parametrize("method", METHODS)
def test_inputs_allowed(tmp_path, method):
    emb = tied_embeddings(seed=1)
    quads = [("a", "b", "c", "d"), ("x1", "x2", "x3", "x4"), ("x5", "a", "x7", "d2")]
    path = write_questions(tmp_path / "q.txt", quads)
    check_against_reference(emb, quads, method, path, exclude_inputs=False)


# -- property: random sets with duplicated rows ------------------------------------------------------
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**31 - 1), method=st.sampled_from(METHODS), dup=st.integers(0, 12))
def test_random_sets_match_the_exact_reference(tmp_path, seed, method, dup):
    emb, quads, path = random_set(tmp_path, seed, dup)
    check_against_reference(emb, quads, method, path)


def random_set(tmp_path, seed, dup):
    """80 random 6-d words plus ``dup`` copies (some scaled), and questions from all
    ordered pairs of six random pairs: (embeddings, quads, question file)."""
    rng = np.random.default_rng(seed)
    n, dim = 80, 6
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    src = rng.integers(0, n, size=dup)
    vecs = np.vstack([vecs, vecs[src] * rng.choice([1.0, 2.0, 0.5], size=(dup, 1))])
    words = [f"w{i}" for i in range(len(vecs))]
    emb = geomlab.Embeddings(words, vecs.astype(np.float32))
    pairs = [tuple(words[i] for i in rng.choice(len(words), 2, replace=False)) for _ in range(6)]
    quads = [(a, b, c, d) for a, b in pairs for c, d in pairs if (a, b) != (c, d)]
    return emb, quads, write_questions(tmp_path / f"q{seed}.txt", quads)


# -- the bounds -------------------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), method=st.sampled_from(METHODS))
def test_intervals_hold_the_exact_scores(seed, method):
    rng = np.random.default_rng(seed)
    pool = rng.normal(size=(300, 12)).astype(np.float32)
    pool[::7] = pool[1::7][: len(pool[::7])]  # near neighbours of the inputs too
    norms = _scan.gensim_norms(pool)
    unit = lambda r: pool[r] / norms[r][:, None]
    scorer = Scorer(method, pool, norms, unit=unit)
    ia, ib, ic = (rng.integers(0, 300, size=40) for _ in range(3))
    q = scorer.queries(ia, ib, ic)
    rows = rng.integers(0, 300, size=40)
    exact = scorer.exact(q, np.arange(40), rows)
    uw = unit(np.arange(300))
    cos = _pruned._cosines(uw, pool, norms)
    ua, ub, uc = uw[ia], uw[ib], uw[ic]
    length = np.linalg.norm(((ub + uc) - ua).astype(np.float64), axis=1)
    lo, hi = _pruned._interval(method, cos[ia, rows], cos[ib, rows], cos[ic, rows], length)
    ok = np.isfinite(exact)
    assert (lo[ok] <= exact[ok]).all() and (exact[ok] <= hi[ok]).all()


@given(
    st.lists(st.floats(-3, 3, width=32), min_size=8, max_size=8),
    st.lists(st.floats(-3, 3, width=32), min_size=8, max_size=8),
    st.floats(-3, 3, width=32),
)
def test_quantized_comparison_keeps_every_pass(x, y, thr):
    """x + y >= thr  =>  ceil(y S) >= floor(thr S) - ceil(x S), in int16 steps."""
    x, y = np.array(x, np.float32), np.array(y, np.float32)
    alpha = np.int16(np.floor(np.float64(thr) * 4096))
    bq, xq = _pruned._quantize(y, 4096.0), _pruned._quantize(x, 4096.0)
    assert (bq >= -xq + alpha)[x.astype(np.float64) + y >= thr].all()


def test_pairdirection_is_pruned_too(tmp_path):
    emb = tied_embeddings()
    path = write_questions(tmp_path / "q.txt", [("a", "b", "c", "d"), ("b", "a", "c", "x3")])
    r = geomlab.evaluate_analogies(emb, path, method="pairdirection")
    assert r.scored_exactly < 1.0 and not r._q.full_pass.any()
    # a temperature needs every score: the full pass
    r = geomlab.evaluate_analogies(emb, path, method="pairdirection", temperature=1.0)
    assert r.scored_exactly == 1.0 and r._q.full_pass.all()


# -- real data --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_google_subset_same_as_the_full_pass(glove, tmp_path, monkeypatch, method):
    """Every 9th Google question, 30,000 candidates: identical predictions and ranks."""
    path = google_sample(tmp_path)
    kw = {"method": method, "restrict_vocab": 30_000}
    pruned = geomlab.evaluate_analogies(glove, str(path), **kw)
    full = full_pass(monkeypatch, glove, str(path), **kw)
    assert pruned.n_evaluated == full.n_evaluated > 1500
    q, f = pruned._q, full._q
    differ = differences_follow_the_exact_rule(glove.head(30_000), pruned, full, method)
    np.testing.assert_array_equal(
        q.correct != f.correct, np.isin(np.arange(len(q.rank)), differ) & (q.correct != f.correct)
    )
    np.testing.assert_allclose(q.score, f.score, atol=1e-5)
    assert 0 < pruned.scored_exactly < 0.2
    assert full.scored_exactly == 1.0


# -- both sets of candidates from one pass ----------------------------------------------------------
def _same_answers(a, b):
    for name in ("pred_rows", "pred_scores", "correct", "correct1", "rank", "score"):
        np.testing.assert_array_equal(getattr(a._q, name), getattr(b._q, name), err_msg=name)
    assert [s.accuracy for s in a.sections] == [s.accuracy for s in b.sections]
    assert (a.n_correct, a.n_evaluated, a.exclude_inputs) == (b.n_correct, b.n_evaluated, False)


@pytest.mark.parametrize("method", [*METHODS, "pairdirection"])
def test_inputs_kept_from_the_same_pass(tmp_path, method):
    """With inputs_kept, the inputs-kept result is what a pass of its own gives; the
    convention result is unchanged."""
    emb = geomlab.load()
    path = google_sample(tmp_path)
    kw = {"method": method, "restrict_vocab": 30_000, "progress": False}
    both = geomlab.evaluate_analogies(emb, path, inputs_kept=True, **kw)
    alone = geomlab.evaluate_analogies(emb, path, exclude_inputs=False, **kw)
    conv = geomlab.evaluate_analogies(emb, path, **kw)
    _same_answers(both.inputs_kept, alone)
    np.testing.assert_array_equal(both._q.rank, conv._q.rank)
    assert both.n_correct == conv.n_correct and conv.inputs_kept is None
    assert both.inputs_kept.accuracy < both.accuracy  # the inputs take answers away


def test_inputs_kept_on_ties_and_answers_among_the_inputs(tmp_path):
    emb = tied_embeddings(seed=2)
    quads = [
        ("a", "b", "c", "d"),
        ("a", "b", "c", "b"),
        ("x5", "a", "x7", "d2"),
        ("a", "b", "a", "d"),
    ]
    path = write_questions(tmp_path / "q.txt", quads)
    both = geomlab.evaluate_analogies(emb, path, inputs_kept=True, case_insensitive=False)
    alone = geomlab.evaluate_analogies(emb, path, exclude_inputs=False, case_insensitive=False)
    _same_answers(both.inputs_kept, alone)
    top, _ = reference(emb, quads, "3cosadd", exclude_inputs=False)
    np.testing.assert_array_equal(both.inputs_kept._q.pred_rows[:, 0], top)


# -- 3CosAdd with a temperature: one pass from word cosines (_sketch_pass) ---------------------------
def _check_kept(emb, quads, r):
    """The inputs-kept result against the exact rule, on the questions answered exactly."""
    top, rank = reference(emb, quads, "3cosadd", exclude_inputs=False)
    k = r.inputs_kept._q
    exact = ~k.full_pass
    want_rank = np.where(top == np.array([emb.get_index(q[3]) for q in quads]), 1, rank)
    np.testing.assert_array_equal(k.pred_rows[exact, 0], top[exact])
    np.testing.assert_array_equal(np.where(k.correct1, 1, k.rank)[exact], want_rank[exact])


def test_one_pass_with_a_temperature_ties_and_inputs(tmp_path):
    emb = tied_embeddings()
    quads = [
        ("a", "b", "c", "d"),
        ("a", "b", "c", "d2"),
        ("b", "a", "c", "x3"),
        ("c", "a", "b", "y1"),
        ("a", "b", "c", "b"),
    ]
    path = write_questions(tmp_path / "q.txt", quads)
    r = check_against_reference(emb, quads, "3cosadd", path, temperature=1.0, inputs_kept=True)
    assert not r._q.full_pass[:4].any() and r.scored_exactly < 1.0
    assert [x.predicted[0] for x in r.questions[:2]] == ["d", "d"]
    _check_kept(emb, quads, r)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**31 - 1), dup=st.integers(0, 12))
def test_one_pass_with_a_temperature_matches_the_exact_reference(tmp_path, seed, dup):
    emb, quads, path = random_set(tmp_path, seed, dup)
    r = check_against_reference(emb, quads, "3cosadd", path, temperature=0.1, inputs_kept=True)
    _check_kept(emb, quads, r)


def test_one_pass_on_the_google_subset(glove, tmp_path):
    """Every 9th Google question, 30,000 candidates: the same answers and ranks as the
    pruned pass without a temperature, and the inputs-kept ones too."""
    path = google_sample(tmp_path)
    kw = {"restrict_vocab": 30_000, "inputs_kept": True}
    one = geomlab.evaluate_analogies(glove, str(path), temperature="fit", **kw)
    pruned = geomlab.evaluate_analogies(glove, str(path), **kw)
    for a, b in ((one, pruned), (one.inputs_kept, pruned.inputs_kept)):
        np.testing.assert_array_equal(a._q.pred_rows, b._q.pred_rows)
        np.testing.assert_array_equal(a._q.rank, b._q.rank)
    assert one._q.full_pass.sum() < 0.01 * one.n_evaluated  # answered exactly, nearly all


def test_one_pass_falls_back_to_the_full_pass(glove, tmp_path, monkeypatch):
    """Questions whose heap cannot vouch for the top answer (a 2-entry heap) or whose close
    calls overflow the list (one place: the answer row's) take the full pass, and say so."""
    from geomlab.evaluation import _sketch_pass
    from geomlab.evaluation import analogies as module

    path = google_sample(tmp_path)
    kw = {"restrict_vocab": 5_000, "inputs_kept": True}
    pruned = geomlab.evaluate_analogies(glove, str(path), **kw)
    monkeypatch.setattr(module, "SKETCH_TOP", 2)
    monkeypatch.setattr(_sketch_pass, "BAND", 1)  # the answer row itself, no other
    one = geomlab.evaluate_analogies(glove, str(path), temperature=1.0, **kw)
    assert 0 < one._q.full_pass.sum() < one.n_evaluated
    assert 0 < one.scored_exactly < 1
    for a, b in ((one, pruned), (one.inputs_kept, pruned.inputs_kept)):
        np.testing.assert_array_equal(a._q.pred_rows, b._q.pred_rows)
        np.testing.assert_array_equal(a._q.rank, b._q.rank)
