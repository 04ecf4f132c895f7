import numpy as np
import pytest

import geomlab
from geomlab import Analogy, ParameterError, UnknownWordError
from geomlab.geometry._analogy_scores import Scorer

QUESTIONS = [
    ("man", "king", "woman"),
    ("france", "paris", "germany"),
    ("good", "better", "bad"),
    ("walk", "walking", "swim"),
    ("japan", "yen", "usa"),
]

KINQ = r"'kinq' is not in the vocabulary\. Did you mean 'king'"


def _same(result, gensim_result):
    assert result.words == tuple(w for w, _ in gensim_result)
    np.testing.assert_allclose(result.scores, [s for _, s in gensim_result], atol=2e-6)


def test_king_queen(glove):
    r = geomlab.analogy(glove, "man", "king", "woman")
    assert isinstance(r, Analogy) and r.words[0] == "queen" and len(r.words) == 10
    assert r.answer == "queen" and r.answer_rank == 1 and not r.top_is_input
    assert r.inputs == ("man", "king", "woman") and not set(r.words) & set(r.inputs)


@pytest.mark.parametrize("a, b, c", QUESTIONS)
def test_3cosadd_matches_gensim_most_similar(glove, kv, a, b, c):
    _same(
        geomlab.analogy(glove, a, b, c, k=10),
        kv.most_similar(positive=[b, c], negative=[a], topn=10),
    )


def test_3cosadd_restricted_matches_gensim(glove, kv):
    _same(
        geomlab.analogy(glove, "man", "king", "woman", k=5, restrict_vocab=30_000),
        kv.most_similar(
            positive=["king", "woman"], negative=["man"], topn=5, restrict_vocab=30_000
        ),
    )


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
@pytest.mark.parametrize("a, b, c", QUESTIONS)
def test_3cosmul_matches_gensim_most_similar_cosmul(glove, kv, a, b, c):
    _same(
        geomlab.analogy(glove, a, b, c, k=10, method="3cosmul"),
        kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=10),
    )


def test_pairdirection_is_cos_of_the_offsets(glove):
    r = geomlab.analogy(
        glove, "man", "king", "woman", k=5, method="pairdirection", restrict_vocab=20_000
    )
    unit = glove.unit(np.arange(20_000))
    a, b, c = (glove[w] / np.linalg.norm(glove[w]) for w in ("man", "king", "woman"))
    d = b - a
    x = unit - c
    with np.errstate(invalid="ignore"):  # x = c for the row of c itself (excluded below)
        brute = (x @ d) / (np.linalg.norm(x, axis=1) * np.linalg.norm(d))
    brute[[glove.index(w) for w in ("man", "king", "woman")]] = -np.inf
    order = np.argsort(-brute)[:5]
    assert r.words == tuple(glove.words[i] for i in order)
    np.testing.assert_allclose(r.scores, brute[order], rtol=1e-4)
    assert r.words[0] == "queen"


def test_honest_ranking_shows_the_inputs(glove):
    r = geomlab.analogy(glove, "man", "king", "woman", k=3, exclude_inputs=False)
    assert r.words[0] == "king" and r.top_is_input
    assert r.answer == "queen" and r.answer_rank == 2
    assert r.answer_score == pytest.approx(float(r.scores[1]))
    assert [row["input"] for row in r.rows()] == [True, False, False]
    assert r.summary()["question"] == "man : king :: woman : ?"
    fair = geomlab.analogy(glove, "france", "paris", "germany", exclude_inputs=False)
    assert not fair.top_is_input and fair.answer_rank == 1


def test_answer_found_past_inputs_even_with_k_1(tiny):
    # every input outranks the answer: the honest result still names the best other word
    r = geomlab.analogy(tiny, "man", "king", "woman", k=1, exclude_inputs=False)
    assert len(r.words) == 1 and r.top_is_input
    assert r.answer == "queen" and r.answer_rank >= 2


def test_scorer_methods_agree_with_definitions():
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((50, 6)).astype(np.float32)
    rows[7] = 0
    a, b, c = (v / np.linalg.norm(v) for v in rng.standard_normal((3, 6)).astype(np.float32))
    norms = np.linalg.norm(rows, axis=1)
    unit = rows / np.where(norms == 0, 1, norms)[:, None]
    ok = norms > 0  # a zero row has no direction: the callers mask it

    def scores(method):
        scorer = Scorer(method, rows, norms)
        q = scorer.query_vectors(a, b, c)
        s32 = scorer.tile(q, 0, len(rows))[0]
        s64 = scorer.exact(
            np.repeat(q, len(rows), axis=0), np.arange(len(rows)), np.arange(len(rows))
        )
        np.testing.assert_allclose(s32[ok], s64[ok], rtol=1e-5, atol=1e-6)
        assert s64[7] == -np.inf
        return s32[ok]

    q = (b - a + c) / np.linalg.norm(b - a + c)
    np.testing.assert_allclose(scores("3cosadd"), (unit @ q)[ok], atol=1e-6)
    sh = lambda v: (1 + unit @ v) / 2
    np.testing.assert_allclose(scores("3cosmul"), (sh(b) * sh(c) / (sh(a) + 1e-6))[ok], rtol=1e-5)
    x = unit - c
    ref = (x @ (b - a)) / (np.linalg.norm(x, axis=1) * np.linalg.norm(b - a))
    pd = scores("pairdirection")
    np.testing.assert_allclose(pd, ref[ok], atol=1e-5)
    assert np.all(np.isfinite(pd))


def test_pairdirection_degenerate_is_zero_not_nan():
    emb = geomlab.Embeddings(["a", "b", "x"], [[1, 0], [1, 0], [0, 1]])
    r = geomlab.analogy(emb, "a", "b", "x", method="pairdirection", exclude_inputs=False)
    assert np.all(r.scores == 0)  # b - a = 0: no direction, every score 0


def test_bad_input(glove, tiny):
    allowed = "'3cosadd', '3cosmul', 'pairdirection'"
    with pytest.raises(ParameterError, match=f"method must be one of {allowed}; got 'cosadd'"):
        geomlab.analogy(tiny, "man", "king", "woman", method="cosadd")
    with pytest.raises(ParameterError, match="k must be a positive integer, got 0"):
        geomlab.analogy(tiny, "man", "king", "woman", k=0)
    with pytest.raises(UnknownWordError, match=KINQ):
        geomlab.analogy(glove, "man", "kinq", "woman")
    with pytest.raises(ParameterError, match="restrict_vocab must be a positive integer or None"):
        geomlab.analogy(tiny, "man", "king", "woman", restrict_vocab=-3)
