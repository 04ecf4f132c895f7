"""evaluate_similarity: gensim parity (proven by running gensim), formats, bootstrap."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import geomlab
from geomlab import FormatError, ParameterError
from geomlab.evaluation.datasets import gensim_datapath


@pytest.mark.parametrize(
    "name, fname", [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")]
)
def test_parity_with_gensim(glove, kv, name, fname):
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(gensim_datapath(fname))
    r = geomlab.evaluate_similarity(glove, name)
    assert r.spearman == pytest.approx(spearman.statistic, abs=1e-6)
    assert r.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert r.n_oov / (r.n_pairs + r.n_oov) * 100 == pytest.approx(oov_ratio)


def test_reference_figures(glove):
    ws = geomlab.evaluate_similarity(glove, "wordsim353")
    assert (round(ws.spearman, 4), round(ws.pearson, 4), ws.n_oov) == (0.5033, 0.5066, 0)
    sl = geomlab.evaluate_similarity(glove, "simlex999")
    assert (round(sl.spearman, 4), round(sl.pearson, 4), sl.n_oov) == (0.2631, 0.2923, 1)
    assert [p.w1 for p in sl.pairs if p.cosine is None] == ["disorganize"]
    assert sl.n_pairs == 998


@pytest.mark.slow  # every shared benchmark file (about 10 s)
def test_shared_files(glove, evaldata):
    men = geomlab.evaluate_similarity(glove, evaldata / "MEN" / "MEN_dataset_natural_form_full")
    assert round(men.spearman, 4) == 0.6574 and men.n_oov == 0  # REFERENCE.md
    original = geomlab.evaluate_similarity(glove, evaldata / "SimLex-999" / "SimLex-999.txt")
    assert original.spearman == geomlab.evaluate_similarity(glove, "simlex999").spearman
    csv_ = geomlab.evaluate_similarity(glove, evaldata / "WS-353" / "wordsim353.combined.csv")
    crlf = geomlab.evaluate_similarity(glove, evaldata / "WS-353" / "EN-WS-353-ALL.txt")
    assert csv_.spearman == crlf.spearman == geomlab.evaluate_similarity(glove).spearman
    for f in (
        "RG-65/EN-RG-65.txt",
        "MC-30/EN-MC-30.txt",
        "WS-353/EN-WS-353-SIM.txt",
        "WS-353/EN-WS-353-REL.txt",
        "MEN/EN-MEN-TR-3k.mfaruqui.txt",
    ):
        r = geomlab.evaluate_similarity(glove, evaldata / f)
        assert -1 <= r.spearman <= 1 and r.n_pairs >= 3
    # lemma forms carry -n/-v/-j suffixes: nothing left to correlate
    with pytest.raises(
        ParameterError, match="only 0 of 3000 pairs in MEN_dataset_lemma_form_full have both words"
    ):
        geomlab.evaluate_similarity(glove, evaldata / "MEN" / "MEN_dataset_lemma_form_full")


def test_case_folding_and_restrict_vocab(glove, evaldata):
    rel = evaldata / "WS-353" / "EN-WS-353-REL.txt"  # mixed case: "Jerusalem Israel"
    folded = geomlab.evaluate_similarity(glove, rel)
    exact = geomlab.evaluate_similarity(glove, rel, case_insensitive=False)
    assert exact.n_oov > folded.n_oov
    small = geomlab.evaluate_similarity(glove, "wordsim353", restrict_vocab=5_000)
    assert small.n_oov > 0 and small.restrict_vocab == 5_000


def test_bootstrap_interval_is_seeded(glove):
    a = geomlab.evaluate_similarity(glove, "wordsim353", seed=1)
    b = geomlab.evaluate_similarity(glove, "wordsim353", seed=1)
    c = geomlab.evaluate_similarity(glove, "wordsim353", seed=2)
    lo, hi = a.spearman_ci
    assert lo < a.spearman < hi and hi - lo < 0.3
    assert a.spearman_ci == b.spearman_ci != c.spearman_ci
    assert a.confidence_level == 0.95


def test_interval_is_scipys_bca_bootstrap(glove):
    # recomputed with scipy's own Spearman, one resample at a time: the vectorised rank
    # correlation and the seeding are what scipy.stats.bootstrap would do by itself
    from scipy import stats

    r = geomlab.evaluate_similarity(glove, "wordsim353", seed=3)
    gold = np.array([p.gold for p in r.pairs if p.cosine is not None])
    cos = np.array([p.cosine for p in r.pairs if p.cosine is not None])
    ref = stats.bootstrap(
        (gold, cos),
        lambda g, c: stats.spearmanr(g, c).statistic,
        paired=True,
        vectorized=False,
        n_resamples=2000,
        method="BCa",
        rng=np.random.default_rng(3),
    )
    assert r.ci_method == "BCa"
    np.testing.assert_allclose(r.spearman_ci, tuple(ref.confidence_interval), rtol=1e-6)


def test_counted_ranks_are_scipys_average_ranks():
    # the bootstrap ranks integer codes by counting them; scipy sorts the values
    from scipy.stats import rankdata

    from geomlab.evaluation.similarity import _codes, _ranks

    rng = np.random.default_rng(0)
    values = rng.choice([0.5, -1.25, 3.0, 7.5, 7.5, 2.0], size=40)  # many ties
    codes = _codes(values)
    np.testing.assert_array_equal(_ranks(codes), rankdata(values))
    resamples = codes[rng.integers(0, 40, size=(30, 40))]
    np.testing.assert_array_equal(_ranks(resamples), rankdata(resamples, axis=-1))
    distinct = _codes(rng.normal(size=25))
    np.testing.assert_array_equal(_ranks(distinct), rankdata(distinct))


def test_degenerate_bootstrap_falls_back_to_the_percentile_interval(tmp_path):
    # four pairs whose cosines rank exactly as the human scores: every jackknife value is
    # 1, BCa's acceleration is 0/0, and the percentile interval of the resamples is used
    emb = geomlab.Embeddings(
        ["a", "b", "c", "d", "e"],
        np.array([[1, 0], [1, 0.2], [1, 1], [0.2, 1], [0, 1]], dtype=np.float32),
        source="tiny",
    )
    path = tmp_path / "pairs.txt"
    path.write_text("a\tb\t9\na\tc\t5\na\td\t2\na\te\t1\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fallback is silent: the library never warns here
        r = geomlab.evaluate_similarity(emb, path, restrict_vocab=None)
    assert r.spearman == pytest.approx(1.0)
    assert r.ci_method == "percentile" and r.spearman_ci == (1.0, 1.0)
    assert json.loads(r.to_json())["ci_method"] == "percentile"


def test_records_and_exports(glove, tmp_path):
    r = geomlab.evaluate_similarity(glove, "wordsim353")
    p = r.pairs[0]
    assert (p.w1, p.w2, p.gold, p.line) == ("love", "sex", 6.77, 3)
    u, v = glove["love"], glove["sex"]
    assert p.cosine == pytest.approx(u @ v / np.linalg.norm(u) / np.linalg.norm(v), rel=1e-6)
    text = r.to_csv(tmp_path / "pairs.csv")
    assert text.splitlines()[0] == "w1,w2,gold,cosine,line" and len(text.splitlines()) == 354
    assert json.loads(r.to_json())["n_pairs"] == 353
    assert "wordsim353" in str(r) and "ci95" in str(r)


def test_bad_input(glove, tmp_path):
    with pytest.raises(
        ParameterError, match="restrict_vocab must be a positive integer or None, got 0"
    ):
        geomlab.evaluate_similarity(glove, restrict_vocab=0)
    with pytest.raises(ParameterError, match="unknown word-pair dataset 'simlex'"):
        geomlab.evaluate_similarity(glove, "simlex")
    with pytest.raises(ParameterError, match="no such file or folder"):
        geomlab.evaluate_similarity(glove, tmp_path / "none.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(FormatError, match="empty file: no word pairs"):
        geomlab.evaluate_similarity(glove, empty)
    few = tmp_path / "few.txt"
    few.write_text("cat dog 5\nqqqxz zzqqx 3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="only 1 of 2 pairs in few.txt have both words"):
        geomlab.evaluate_similarity(glove, few)
    with pytest.raises(ParameterError, match="seed must be a non-negative integer, got 'x'"):
        geomlab.evaluate_similarity(glove, seed="x")
    with pytest.raises(ParameterError, match="seed must be a non-negative integer, got -1"):
        geomlab.evaluate_similarity(glove, seed=-1)


def test_cli_similarity(capsys, tmp_path):
    from geomlab.cli import main

    assert (
        main(["evaluate", "similarity", "simlex999", "--json", "--csv", str(tmp_path / "p.csv")])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert round(data["spearman"], 4) == 0.2631 and data["n_oov"] == 1
    assert (tmp_path / "p.csv").exists()
    assert main(["evaluate", "similarity"]) == 0
    assert "wordsim353" in capsys.readouterr().out
    assert main(["evaluate", "similarity", "nope"]) == 1
    assert "unknown word-pair dataset 'nope'" in capsys.readouterr().err
