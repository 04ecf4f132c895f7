"""evaluate_analogies: gensim parity (proven by running gensim), methods, records, BATS/MSR."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

import geomlab
from geomlab import FormatError, ParameterError
from geomlab.evaluation.datasets import gensim_datapath, load_analogies


# -- helpers ----------------------------------------------------------------------------------
def write_questions(path, sections) -> str:
    lines = []
    for name, qs in sections:
        lines.append(f": {name}")
        lines += [" ".join(q) for q in qs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def google_sample(tmp_path, every: int, name="sample.txt") -> str:
    """Every ``every``-th question of each Google section, as a question file."""
    ds = load_analogies("google")
    return write_questions(tmp_path / name, [(s.name, s.questions[::every]) for s in ds.sections])


def gensim_outcomes(sections) -> Counter:
    return Counter(
        (s["section"], *quad, ok)
        for s in sections
        if s["section"] != "Total accuracy"
        for key, ok in (("correct", True), ("incorrect", False))
        for quad in s[key]
    )


def our_outcomes(result) -> Counter:
    return Counter(
        (q.section, q.a.upper(), q.b.upper(), q.c.upper(), q.expected.upper(), q.correct)
        for q in result.questions
    )


@pytest.fixture(scope="module")
def unit300k(glove):
    """Unit rows of the first 300,000 words, float64 (for independent checks)."""
    v = glove.vectors[:300_000].astype(np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def brute_scores(u, ia, ib, ic, method):
    """Independent float64 scores of every pool word, one row per question."""
    a, b, c = u[ia], u[ib], u[ic]
    if method == "3cosadd":
        q = b - a + c
        return (q / np.linalg.norm(q, axis=1, keepdims=True)) @ u.T
    if method == "pairdirection":
        d = b - a
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        num = (d @ u.T) - np.einsum("ij,ij->i", c, d)[:, None]
        den = 2 - 2 * (c @ u.T)
        np.maximum(den, 0, out=den)
        np.sqrt(den, out=den)
        with np.errstate(divide="ignore", invalid="ignore"):
            num /= den
        return num
    raise AssertionError(method)


# -- gensim parity -------------------------------------------------------------------------------
def test_3cosadd_parity_with_gensim_per_question(glove, kv, tmp_path):
    path = google_sample(tmp_path, every=9)
    _, sections = kv.evaluate_word_analogies(path, restrict_vocab=30_000)
    r = geomlab.evaluate_analogies(glove, path, restrict_vocab=30_000)
    theirs = gensim_outcomes(sections)
    assert our_outcomes(r) == theirs
    assert r.n_correct == len(sections[-1]["correct"])
    assert r.n_evaluated == sum(theirs.values())
    assert r.n_oov == load_analogies(path).n_questions - r.n_evaluated > 0
    for s, g in zip(r.sections, sections[:-1]):
        assert (s.section, s.n_correct, s.n_evaluated) == (
            g["section"],
            len(g["correct"]),
            len(g["correct"]) + len(g["incorrect"]),
        )


@pytest.mark.slow
def test_full_google_parity_with_gensim(glove, kv):
    """The headline figure: 9036 / 19486 with gensim's defaults (gensim takes ~2 minutes)."""
    path = gensim_datapath("questions-words.txt")
    score, sections = kv.evaluate_word_analogies(path)
    r = geomlab.evaluate_analogies(glove, "google")
    assert our_outcomes(r) == gensim_outcomes(sections)
    assert (r.n_correct, r.n_evaluated) == (
        len(sections[-1]["correct"]),
        len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]),
    )
    assert r.accuracy == pytest.approx(score, abs=1e-12)
    # the reference figures measured independently (../shared/REFERENCE.md)
    assert (r.n_correct, r.n_evaluated, r.n_oov) == (9036, 19486, 58)
    assert r.semantic.n_evaluated + r.syntactic.n_evaluated == 19486


def test_case_variants_and_gensims_top5_quirk(tmp_path):
    """Case-variant inputs are never answers; with >= 5 variants gensim answers a variant."""
    rng = np.random.default_rng(7)
    base = ["paris", "france", "rome", "italy", "berlin", "germany"]
    words, vecs = [], []
    for w in base:
        v = rng.normal(size=8)
        words.append(w)
        vecs.append(v)
    # case variants of the three inputs, placed right on the 3CosAdd query direction
    q = (
        vecs[1] / np.linalg.norm(vecs[1])
        - vecs[0] / np.linalg.norm(vecs[0])
        + vecs[2] / np.linalg.norm(vecs[2])
    )
    for w in ("Paris", "PARIS", "France", "FRANCE", "Rome", "ROME"):
        words.append(w)
        vecs.append(q + rng.normal(scale=0.01, size=8))
    words += [f"w{i}" for i in range(40)]
    vecs += list(rng.normal(size=(40, 8)))
    emb = geomlab.Embeddings(words, np.array(vecs))
    path = write_questions(
        tmp_path / "q.txt",
        [
            (
                "caps",
                [
                    (
                        "paris",
                        "france",
                        "rome",
                        "italy",
                    ),  # 6 variants: gensim's answer is a variant
                    ("Italy", "rome", "germany", "berlin"),  # mixed case in the file
                    ("berlin", "germany", "paris", "france"),
                ],
            )
        ],
    )
    kv = emb.to_gensim()
    _, sections = kv.evaluate_word_analogies(path)
    r = geomlab.evaluate_analogies(emb, path)
    assert our_outcomes(r) == gensim_outcomes(sections)
    first = r.questions[0]
    assert first.predicted[0] in {"Paris", "PARIS", "France", "FRANCE", "Rome", "ROME"}
    assert not first.correct
    # after gensim's answer come the best candidates, never an input or its variant
    r2 = geomlab.evaluate_analogies(emb, path, topk=10)
    top10 = r2.questions[0].predicted
    assert top10[0] == first.predicted[0]
    assert not {"paris", "france", "rome"} & {p.lower() for p in top10[1:]}


def test_case_sensitive_matches_gensim(tmp_path):
    rng = np.random.default_rng(3)
    words = ["a", "b", "c", "d", "A", "B", "C", "D"] + [f"x{i}" for i in range(30)]
    emb = geomlab.Embeddings(words, rng.normal(size=(len(words), 6)))
    path = write_questions(
        tmp_path / "q.txt",
        [
            (
                "s",
                [
                    ("a", "b", "c", "d"),
                    ("A", "B", "C", "D"),
                    ("a", "B", "c", "D"),
                    ("a", "b", "c", "E"),
                ],
            )
        ],
    )
    _, sections = emb.to_gensim().evaluate_word_analogies(path, case_insensitive=False)
    r = geomlab.evaluate_analogies(emb, path, case_insensitive=False)
    assert r.n_oov == 1
    assert Counter(
        (q.section, q.a, q.b, q.c, q.expected, q.correct) for q in r.questions
    ) == gensim_outcomes(sections)


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
def test_3cosmul_parity_with_gensim(glove, tmp_path):
    n = 30_000
    small = glove.head(n).to_gensim()  # most_similar_cosmul ignores restrict_vocab
    path = google_sample(tmp_path, every=60)
    r = geomlab.evaluate_analogies(glove, path, method="3cosmul", restrict_vocab=n)
    ours = {tuple(w.lower() for w in (q.a, q.b, q.c, q.expected)): q for q in r.questions}
    checked = 0
    for sec in load_analogies(path).sections:
        for a, b, c, d in sec.questions:
            a, b, c, d = (w.lower() for w in (a, b, c, d))
            if not all(w in small.key_to_index for w in (a, b, c, d)):
                continue
            sims = small.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
            predicted = next(w for w, _ in sims if w not in {a, b, c})
            q = ours[(a, b, c, d)]
            assert q.predicted[0] == predicted
            assert q.predicted_score == pytest.approx(dict(sims)[predicted], rel=1e-5)
            checked += 1
    assert checked == r.n_evaluated > 200


# -- methods, records ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_questions(glove):
    """150 random in-vocabulary Google questions as rows (a, b, c, d)."""
    ds = load_analogies("google")
    qs = [q for s in ds.sections for q in s.questions]
    rng = np.random.default_rng(0)
    pick = [qs[i] for i in rng.choice(len(qs), 200, replace=False)]
    rows = [[glove.get_index(w.lower()) for w in q] for q in pick]
    rows = np.array([r for r in rows if all(x is not None and x < 300_000 for x in r)][:150])
    return rows


@pytest.mark.parametrize("method", ["3cosadd", "pairdirection"])
def test_predictions_and_ranks_match_brute_force(
    glove, unit300k, tmp_path, sample_questions, method
):
    rows = sample_questions
    words = glove.words
    path = write_questions(tmp_path / "s.txt", [("s", [tuple(words[i] for i in r) for r in rows])])
    r = geomlab.evaluate_analogies(glove, path, method=method)
    assert r.n_evaluated == len(rows)
    s = brute_scores(unit300k, rows[:, 0], rows[:, 1], rows[:, 2], method)
    s[np.arange(len(rows))[:, None], rows[:, :3]] = -np.inf
    best = s.argmax(axis=1)
    expected_score = s[np.arange(len(rows)), rows[:, 3]]
    rank = 1 + (s > expected_score[:, None]).sum(axis=1)
    got = r.questions
    top2 = np.sort(s, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 1e-5  # float32 vs float64: skip near-ties
    assert clear.mean() > 0.95
    for i in np.flatnonzero(clear):
        assert got[i].predicted[0] == words[best[i]]
        assert got[i].correct == (best[i] == rows[i, 3])
    assert np.abs(np.array([q.rank for q in got]) - rank).max() <= 1
    assert np.mean([q.rank for q in got] == rank) > 0.95
    assert np.allclose([q.score for q in got], expected_score, atol=1e-5)
    assert all((q.rank == 1) == q.correct for q in got)


def test_keep_inputs_gives_the_honest_rate(glove, unit300k, tmp_path, sample_questions):
    rows = sample_questions
    words = glove.words
    path = write_questions(tmp_path / "s.txt", [("s", [tuple(words[i] for i in r) for r in rows])])
    honest = geomlab.evaluate_analogies(glove, path, exclude_inputs=False)
    usual = geomlab.evaluate_analogies(glove, path)
    s = brute_scores(unit300k, rows[:, 0], rows[:, 1], rows[:, 2], "3cosadd")
    best = s.argmax(axis=1)
    assert [q.predicted[0] for q in honest.questions] == [words[i] for i in best]
    input_answers = sum(q.predicted[0] in (q.b, q.c, q.a) for q in honest.questions)
    assert input_answers > 0.4 * len(rows)  # often b or c itself
    assert honest.accuracy < usual.accuracy
    assert not honest.exclude_inputs


def test_topk(glove, tmp_path):
    path = google_sample(tmp_path, every=60)
    r1 = geomlab.evaluate_analogies(glove, path)
    r5 = geomlab.evaluate_analogies(glove, path, topk=5)
    assert r5.n_correct > r1.n_correct
    assert all(len(q.predicted) == 5 for q in r5.questions)
    assert [q.predicted[0] for q in r5.questions] == [q.predicted[0] for q in r1.questions]
    assert all(q.correct == (1 <= q.rank <= 5) for q in r5.questions)
    # the same questions with a small block size and a bar: identical answers
    r_small = geomlab.evaluate_analogies(glove, path, block_size=7, progress=True)
    assert [q.predicted for q in r_small.questions] == [q.predicted for q in r1.questions]


def test_result_records_and_exports(glove, tmp_path):
    path = google_sample(tmp_path, every=100)
    r = geomlab.evaluate_analogies(glove, path, restrict_vocab=100_000)
    q = r.questions[0]
    assert (q.section, q.a, q.b, q.c, q.expected) == (
        "capital-common-countries",
        "Athens",
        "Greece",
        "Baghdad",
        "Iraq",
    )
    assert q.correct and q.rank == 1 and q.predicted == ("iraq",)
    assert q.predicted_score == pytest.approx(q.score)
    text = str(r)
    assert "3cosadd, first 100,000 words, inputs excluded" in text
    assert "semantic" in text and "syntactic" in text
    assert r.semantic.n_evaluated + r.syntactic.n_evaluated == r.n_evaluated
    csv_text = r.to_csv(tmp_path / "q.csv")
    assert csv_text.splitlines()[0].startswith("section,a,b,c,expected,predicted,correct,rank")
    assert len(csv_text.splitlines()) == r.n_evaluated + 1
    data = json.loads(r.to_json())
    assert data["n_correct"] == r.n_correct and len(data["sections"]) == 14


def test_restrict_vocab_none_uses_every_word(tiny, tmp_path):
    path = write_questions(tmp_path / "q.txt", [("s", [("man", "king", "woman", "queen")])])
    r = geomlab.evaluate_analogies(tiny, path, restrict_vocab=None)
    assert r.restrict_vocab == 5 and r.n_correct == 1
    huge = geomlab.evaluate_analogies(tiny, path, restrict_vocab=None, topk=10**12)
    assert huge.topk == 5 and huge.questions[0].predicted == ("queen", "apple")
    r2 = geomlab.evaluate_analogies(tiny, path, restrict_vocab=3)  # queen is word 2
    assert r2.n_oov == 1 and r2.n_evaluated == 0 and r2.accuracy == 0.0


# -- other benchmarks ---------------------------------------------------------------------------
def test_msr(glove, evaldata):
    # the relation-tagged copy: the same 8,000 questions as msr.txt (see test_datasets)
    r = geomlab.evaluate_analogies(glove, evaldata / "MSR" / "msr_with_category.tsv")
    assert (r.n_correct, r.n_evaluated, r.n_oov) == (2544, 7000, 1000)  # REFERENCE.md
    assert len(r.sections) == 16 and r.semantic is None
    skipped = {s.section: s.n_oov for s in r.sections if s.n_oov}
    assert skipped == {"NN_NNPOS": 500, "NNPOS_NN": 500}  # the possessives ('s is split off)


def bats_numpy(emb, u, pairs):
    """The BATS protocol written out independently: (correct, evaluated, skipped)."""
    index = {w: i for i, w in enumerate(emb.words[: len(u)])}
    found = [[index[x.lower()] for x in ans if x.lower() in index] for _, ans in pairs]
    rows = [index.get(w.lower()) for w, _ in pairs]
    correct = evaluated = skipped = 0
    for j, (b, answers_b) in enumerate(zip(rows, found)):
        qs = [i for i in range(len(pairs)) if i != j]
        ok = [i for i in qs if rows[i] is not None and found[i] and b is not None and answers_b]
        skipped += len(qs) - len(ok)
        if not ok:
            continue
        a = np.array([rows[i] for i in ok])
        a_star = np.array([found[i][0] for i in ok])
        s = (u[a_star] - u[a] + u[b]) @ u.T
        s[np.arange(len(ok))[:, None], np.stack([a, a_star, np.full(len(ok), b)], 1)] = -np.inf
        correct += int(np.isin(s.argmax(axis=1), answers_b).sum())
        evaluated += len(ok)
    return correct, evaluated, skipped


def test_bats_categories_against_numpy(glove, unit300k, evaldata, tmp_path):
    src = evaldata / "BATS_3.0"
    picked = [next(src.glob("1_*/I01*")), next(src.glob("4_*/L02*"))]  # L02: many answers
    folder = tmp_path / "bats"
    folder.mkdir()
    for f in picked:
        (folder / f.name).write_bytes(f.read_bytes())
    n = 50_000  # the protocol does not need the whole pool (full BATS: test_full_bats)
    r = geomlab.evaluate_analogies(glove, folder, restrict_vocab=n)
    ds = load_analogies(folder)
    assert [s.section for s in r.sections] == [s.name for s in ds.sections]
    for sec, got in zip(ds.sections, r.sections):
        assert bats_numpy(glove, unit300k[:n], sec.pairs) == (
            got.n_correct,
            got.n_evaluated,
            got.n_oov,
        )
    assert r.n_evaluated + r.n_oov == 2 * 50 * 49


@pytest.mark.slow
def test_full_bats(glove, evaldata):
    r = geomlab.evaluate_analogies(glove, evaldata / "BATS_3.0")
    assert (r.n_correct, r.n_evaluated) == (15835, 94918)  # REFERENCE.md
    assert r.n_oov == 98000 - 94918


@pytest.mark.slow
def test_full_google_3cosmul(glove):
    r = geomlab.evaluate_analogies(glove, "google", method="3cosmul")
    assert (r.n_correct, r.n_evaluated) == (7211, 19486)  # REFERENCE.md


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"method": "3cosavg"},
            ("method must be one of '3cosadd', '3cosmul', 'pairdirection'; got '3cosavg'"),
        ),
        ({"restrict_vocab": 0}, "restrict_vocab must be a positive integer or None, got 0"),
        ({"restrict_vocab": 2.5}, "restrict_vocab must be a positive integer or None, got 2.5"),
        ({"topk": 0}, "topk must be a positive integer, got 0"),
        ({"block_size": -1}, "block_size must be a positive integer, got -1"),
        ({"temperature": 0}, "temperature must be a positive finite number, got 0"),
        ({"temperature": float("nan")}, "temperature must be a positive finite number, got nan"),
        ({"temperature": "hot"}, "temperature must be a positive number or 'fit', got 'hot'"),
        ({"on_error": "ignore"}, "on_error must be 'raise' or 'skip', got 'ignore'"),
    ],
)
def test_bad_parameters(tiny, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        geomlab.evaluate_analogies(tiny, "google", **kwargs)


def test_bad_datasets(tiny, tmp_path):
    with pytest.raises(ParameterError, match="unknown analogy dataset 'googel'"):
        geomlab.evaluate_analogies(tiny, "googel")
    with pytest.raises(ParameterError, match="no such file or folder"):
        geomlab.evaluate_analogies(tiny, tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(FormatError, match="empty file: no analogy questions"):
        geomlab.evaluate_analogies(tiny, empty)
    with pytest.raises(ParameterError, match="emb must be an Embeddings .*, got dict"):
        geomlab.evaluate_analogies({}, "google")


def test_by_frequency_needs_valid_bands(glove, tmp_path):
    r = geomlab.evaluate_analogies(glove, google_sample(tmp_path, every=200))
    bands = r.by_frequency()
    assert [b.band for b in bands] == ["1-1,000", "1,001-10,000", "10,001-50,000", ">50,000"]
    assert sum(b.n for b in bands) == r.n_evaluated
    assert bands[0].confidence is None  # no temperature
    with pytest.raises(
        ParameterError,
        match=r"bands must be increasing positive integers, "
        r"got \(10, 5\)",
    ):
        r.by_frequency((10, 5))
    with pytest.raises(ParameterError, match="this result has no score sketch"):
        r.calibration_at(1.0)


# -- command line -------------------------------------------------------------------------------
def test_cli_analogies(tmp_path, capsys):
    from geomlab.cli import main

    path = google_sample(tmp_path, every=300)
    out_csv = tmp_path / "q.csv"
    assert (
        main(
            [
                "evaluate",
                "analogies",
                path,
                "--restrict-vocab",
                "50000",
                "--json",
                "--csv",
                str(out_csv),
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["restrict_vocab"] == 50000 and len(data["sections"]) == 14
    assert out_csv.read_text(encoding="utf-8").startswith("section,a,b,c,expected")
    assert main(["evaluate", "analogies", path, "--method", "3cosmul", "--keep-inputs"]) == 0
    assert "3cosmul, first 300,000 words, inputs allowed" in capsys.readouterr().out


def test_cli_analogies_errors(tmp_path, capsys):
    from geomlab.cli import main

    assert main(["evaluate", "analogies", str(tmp_path / "nope.txt")]) == 1
    assert "geomlab: error: analogy dataset" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "analogies", "--method", "nope"])
    assert exc.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


@pytest.mark.slow  # starts a local Dask cluster (about 14 s)
def test_dask_local_cluster_gives_the_identical_evaluation(glove, monkeypatch):
    """The cluster runs the full tiled pass: the same as that pass run locally."""
    distributed = pytest.importorskip("distributed")
    from geomlab.evaluation import analogies as module

    with monkeypatch.context() as m:  # the local full pass (not the word-cosine one)
        m.setattr(module, "_WORD_COSINE_SKETCH", False)
        local = geomlab.evaluate_analogies(glove, "google", restrict_vocab=20_000, temperature=1.0)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = geomlab.evaluate_analogies(
            glove, "google", restrict_vocab=20_000, temperature=1.0, client=client
        )
    assert remote.n_correct == local.n_correct and remote.n_evaluated == local.n_evaluated
    for key in ("pred_rows", "pred_scores", "rank", "score", "prob"):
        np.testing.assert_array_equal(getattr(remote._q, key), getattr(local._q, key))
