import numpy as np
import pytest

import geomlab
from geomlab import Neighbors, ParameterError, ShapeError, UnknownWordError
from geomlab.geometry._topk import merge_topk, topk_rows, topk_scores

KINQ = r"'kinq' is not in the vocabulary\. Did you mean 'king'"


def _same(result, gensim_result):
    assert result.words == tuple(w for w, _ in gensim_result)
    np.testing.assert_allclose(result.scores, [s for _, s in gensim_result], atol=2e-6)


@pytest.mark.parametrize("word", ["king", "frog", "computer", "the", "paris", "running"])
def test_matches_gensim_most_similar(glove, kv, word):
    _same(geomlab.nearest(glove, word, k=10), kv.most_similar(word, topn=10))
    _same(
        geomlab.nearest(glove, word, k=7, restrict_vocab=20_000),
        kv.most_similar(word, topn=7, restrict_vocab=20_000),
    )


def test_batch_equals_single_and_gensim(glove, kv):
    words = list(glove.words[1000:1100])  # enough queries for the tiled route
    batch = geomlab.nearest(glove, words, k=5)
    assert isinstance(batch, list) and len(batch) == len(words)
    for w, r in zip(words[::13], batch[::13]):
        _same(r, kv.most_similar(w, topn=5))
        single = geomlab.nearest(glove, w, k=5)
        assert single.words == r.words


def test_record_fields_and_rows(glove):
    r = geomlab.nearest(glove, "king", k=3, exclude=["prince"])
    assert isinstance(r, Neighbors) and r.query == "king" and r.metric == "cosine" and r.k == 3
    assert r.excluded == ("king", "prince")
    assert "prince" not in r.words and len(r) == 3
    assert r.scores.dtype == np.float32
    assert [row["rank"] for row in r.rows()] == [1, 2, 3]
    assert r.rows()[0]["word"] == r.words[0]
    assert "rank" in str(r) and r.to_dict()["words"] == list(r.words)


def test_expression_excludes_its_words(glove):
    r = geomlab.nearest(glove, "king - man + woman", k=5)
    assert r.excluded == ("king", "man", "woman")
    assert not set(r.words) & {"king", "man", "woman"}
    assert r.words[0] == "queen"


def test_dot_metric_is_the_raw_dot_product(tiny):
    r = geomlab.nearest(tiny, [0.0, 0.0, 1.0], k=5, metric="dot")
    assert r.words[0] == "apple" and r.scores[0] == pytest.approx(2.0)
    assert r.excluded == ()
    r = geomlab.nearest(tiny, "king", k=4, metric="dot")
    expected = tiny.vectors[1:] @ tiny["king"]
    order = np.argsort(-expected, kind="stable")
    assert r.words == tuple(tiny.words[1 + i] for i in order)
    np.testing.assert_allclose(r.scores, expected[order])


def test_k_larger_than_candidates_returns_what_is_left(tiny):
    r = geomlab.nearest(tiny, "king", k=10)
    assert len(r.words) == 4 and "king" not in r.words and np.all(np.isfinite(r.scores))
    r = geomlab.nearest(tiny, "king", k=10, restrict_vocab=2)
    assert r.words == ("queen",) and r.restrict_vocab == 2


def test_zero_norm_vectors_score_zero_never_nan():
    emb = geomlab.Embeddings(["zero", "x", "y", "minus_x"], [[0, 0], [1, 0], [0, 2], [-1, 0]])
    r = geomlab.nearest(emb, "x", k=3)
    assert r.words == ("zero", "y", "minus_x")  # the zero row has cosine 0, like y; ties by row
    np.testing.assert_array_equal(r.scores, [0, 0, -1])
    # a zero query has no direction: every score would be 0, the neighbors arbitrary
    for metric in ("cosine", "dot"):
        with pytest.raises(ParameterError, match="'zero' is the zero vector"):
            geomlab.nearest(emb, "zero", k=3, metric=metric)


def test_bad_input_messages(tiny, glove):
    with pytest.raises(ParameterError, match="k must be a positive integer, got 0"):
        geomlab.nearest(tiny, "king", k=0)
    with pytest.raises(ParameterError, match="k must be a positive integer, got True"):
        geomlab.nearest(tiny, "king", k=True)
    with pytest.raises(ParameterError, match="metric must be one of 'cosine', 'dot'; got 'l2'"):
        geomlab.nearest(tiny, "king", metric="l2")
    with pytest.raises(
        ParameterError, match="restrict_vocab must be a positive integer or None, got 0"
    ):
        geomlab.nearest(tiny, "king", restrict_vocab=0)
    with pytest.raises(UnknownWordError, match=KINQ):
        geomlab.nearest(glove, "kinq")
    with pytest.raises(UnknownWordError, match="'kinq'"):
        geomlab.nearest(glove, ["queen", "kinq"])
    with pytest.raises(UnknownWordError, match="'pear'"):
        geomlab.nearest(tiny, "king", exclude=["pear"])
    with pytest.raises(ShapeError, match=r"shape \(3,\)"):
        geomlab.nearest(tiny, [1.0, 2.0])
    with pytest.raises(ParameterError, match="at least one query"):
        geomlab.nearest(tiny, [])


def test_batch_of_vectors(tiny):
    out = geomlab.nearest(tiny, np.eye(3, dtype=np.float32), k=1)
    assert [r.words[0] for r in out] == ["king", "man", "apple"]  # king ties queen: by row


# -- the kernel --------------------------------------------------------------------------


def _brute(rows, queries, k, norms=None, exclude=None):
    s = queries @ rows.T
    if norms is not None:
        s = s / np.where(norms == 0, 1, norms)
    if exclude is not None:
        for i, ex in enumerate(exclude):
            s[i, list(ex)] = -np.inf
    idx = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(s, idx, axis=1)


@pytest.mark.parametrize("n, k", [(50, 3), (5000, 1), (40_000, 10), (40_000, 200), (33_333, 7)])
def test_topk_kernel_matches_brute_force(n, k):
    rng = np.random.default_rng(n + k)
    rows = rng.standard_normal((n, 8)).astype(np.float32)
    rows[3] = 0
    norms = np.linalg.norm(rows, axis=1).astype(np.float32)
    queries = rng.standard_normal((20, 8)).astype(np.float32)
    exclude = [rng.integers(0, n, size=i % 4) for i in range(20)]
    for nm in (None, norms):
        idx, val = topk_scores(rows, queries, k, row_norms=nm, exclude=exclude, block=6)
        ref_i, ref_v = _brute(rows, queries, k, nm, exclude)
        np.testing.assert_allclose(val, ref_v, rtol=1e-5, atol=1e-5)
        assert (idx == ref_i).mean() > 0.99  # equal up to float near-ties


def test_topk_kernel_empty_slots_and_offset():
    rows = np.eye(3, dtype=np.float32)
    idx, val = topk_scores(rows, np.ones((1, 3), np.float32), 3, exclude=[[0, 2]], offset=10)
    assert idx.tolist() == [[11, -1, -1]] and np.isneginf(val[0, 1:]).all()


def test_merge_topk_combines_shards():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((1000, 4)).astype(np.float32)
    q = rng.standard_normal((3, 4)).astype(np.float32)
    parts = [topk_scores(rows[i : i + 300], q, 5, offset=i) for i in range(0, 1000, 300)]
    idx, val = merge_topk(parts, 5)
    ref_i, ref_v = topk_scores(rows, q, 5)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_allclose(val, ref_v)
    i, _ = topk_rows(np.array([[1.0, 3.0, 2.0, 3.0]], np.float32), 3)
    assert i.tolist() == [[1, 3, 2]]  # ties by column


def test_a_list_of_queries_is_one_kernel_call(glove, monkeypatch):
    import geomlab.geometry.neighbors as mod

    calls = []
    real = mod.topk_scores

    def counting(rows, queries, k, **kw):
        calls.append(queries.shape)
        return real(rows, queries, k, **kw)

    monkeypatch.setattr(mod, "topk_scores", counting)
    out = geomlab.nearest(glove, ["king", "queen", "man + woman", glove["paris"]], k=3)
    assert calls == [(4, 50)] and len(out) == 4
    assert out[2].excluded == ("man", "woman") and out[3].excluded == ()


def test_topk_kernel_shape_error():
    with pytest.raises(ShapeError, match=r"queries \(1, 3\) and rows \(2, 2\) do not match"):
        topk_scores(np.eye(2, dtype=np.float32), np.ones((1, 3), np.float32), 1)
