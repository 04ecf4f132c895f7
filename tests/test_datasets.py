"""Benchmark file readers: named sets, format detection, malformed files."""

from __future__ import annotations

import pytest

from geomlab import FormatError, ParameterError
from geomlab.evaluation.datasets import gensim_datapath, load_analogies, load_word_pairs


# -- named sets ---------------------------------------------------------------------------------
def test_names_resolve_to_gensims_files():
    from gensim.test.utils import datapath

    assert gensim_datapath("questions-words.txt") == datapath("questions-words.txt")
    assert load_analogies("google").path == datapath("questions-words.txt")
    assert load_word_pairs("wordsim353").path == datapath("wordsim353.tsv")
    assert load_word_pairs("simlex999").path == datapath("simlex999.txt")


def test_google_set():
    ds = load_analogies("google")
    assert ds.kind == "questions"
    assert len(ds.sections) == 14
    assert ds.sections[0].name == "capital-common-countries"
    assert ds.sections[0].questions[0] == ("Athens", "Greece", "Baghdad", "Iraq")
    assert ds.n_questions == 19544
    assert ds.n_invalid == 0


def test_a_sample_of_questions():
    ds = load_analogies("google")
    one = ds.sample(500, seed=3)
    assert one.n_questions == 500 and one.kind == "questions" and one.path == ds.path
    assert one == ds.sample(500, seed=3)  # the seed decides it
    assert one != ds.sample(500, seed=4)
    # without replacement, from the sections they came from, in file order
    for sec in one.sections:
        full = next(s for s in ds.sections if s.name == sec.name).questions
        where = [full.index(q) for q in sec.questions]
        assert where == sorted(set(where))
    assert [s.name for s in one.sections] == [
        s.name for s in ds.sections if s.name in {t.name for t in one.sections}
    ]
    assert ds.sample(ds.n_questions) is ds and ds.sample(10**6) is ds
    with pytest.raises(ParameterError, match="n must be a positive integer"):
        ds.sample(0)
    with pytest.raises(ParameterError, match="seed must be"):
        ds.sample(5, seed=-1)


def test_a_bats_set_is_not_sampled(tmp_path):
    (tmp_path / "E01 [country - capital].txt").write_text("france\tparis\nitaly\trome\n")
    ds = load_analogies(tmp_path)
    assert ds.kind == "bats"
    with pytest.raises(ParameterError, match="only a question file can be sampled"):
        ds.sample(1)


def test_named_pair_sets_skip_comment_lines():
    ws = load_word_pairs("wordsim353")
    assert len(ws.pairs) == 353
    assert ws.pairs[0] == ("love", "sex", 6.77)
    assert ws.lines[0] == 3  # two '#' lines first
    assert len(load_word_pairs("simlex999").pairs) == 999


# -- analogy formats ------------------------------------------------------------------------------
def test_question_file_without_sections(tmp_path):
    p = tmp_path / "mini.txt"
    p.write_text("king queen man woman\n\nparis france rome italy\n", encoding="utf-8")
    ds = load_analogies(p)
    assert [s.name for s in ds.sections] == ["mini"]
    assert ds.sections[0].questions == (
        ("king", "queen", "man", "woman"),
        ("paris", "france", "rome", "italy"),
    )


def test_question_file_with_sections_crlf_and_tabs(tmp_path):
    p = tmp_path / "q.txt"
    p.write_bytes(b": one\r\na b c d\r\n: two\r\ne\tf\tg\th\r\n")
    ds = load_analogies(p)
    assert [(s.name, s.questions) for s in ds.sections] == [
        ("one", (("a", "b", "c", "d"),)),
        ("two", (("e", "f", "g", "h"),)),
    ]


def test_msr_variants_agree(evaldata):
    msr = evaldata / "MSR"
    plain = load_analogies(msr / "msr.txt")
    csv_ = load_analogies(msr / "msr.vecto.csv")
    tsv = load_analogies(msr / "msr_with_category.tsv")
    assert plain.n_questions == csv_.n_questions == tsv.n_questions == 8000
    assert len(csv_.sections) == len(tsv.sections) == 16
    assert csv_.sections[0].name == tsv.sections[0].name == "JJ_JJR"
    assert (
        {q for s in csv_.sections for q in s.questions}
        == {q for s in tsv.sections for q in s.questions}
        == set(plain.sections[0].questions)
    )
    # the Princeton copies: no trailing newline
    parts = sum(
        load_analogies(msr / f"MSR.{k}.princeton.txt").n_questions for k in ("adj", "noun", "verb")
    )
    assert parts == 8000


def test_bats_folder(evaldata):
    ds = load_analogies(evaldata / "BATS_3.0")
    assert ds.kind == "bats"
    assert len(ds.sections) == 40  # README.txt is not a category
    assert ds.sections[0].name == "I01 [noun - plural_reg]"
    assert all(len(s.pairs) == 50 for s in ds.sections)
    assert ds.n_questions == 40 * 50 * 49
    # answers split on '/', duplicates dropped, order kept
    l02 = next(s for s in ds.sections if s.name.startswith("L02"))
    word, answers = l02.pairs[0]
    assert word == "armchair" and answers[:3] == ("chair", "seat", "piece_of_furniture")
    assert len(answers) == len(set(answers))


def test_single_bats_category_file(evaldata):
    f = next((evaldata / "BATS_3.0" / "3_Encyclopedic_semantics").glob("E01*"))
    ds = load_analogies(f)
    assert ds.kind == "bats" and len(ds.sections) == 1 and len(ds.sections[0].pairs) == 50


# -- word-pair formats ----------------------------------------------------------------------------
def test_pair_formats_agree(evaldata):
    ws = evaldata / "WS-353"
    crlf = load_word_pairs(ws / "EN-WS-353-ALL.txt")  # TAB, CRLF
    csv_ = load_word_pairs(ws / "wordsim353.combined.csv")  # commas, header
    assert crlf.pairs == csv_.pairs == load_word_pairs("wordsim353").pairs
    assert len(load_word_pairs(ws / "EN-WS-353-REL.txt").pairs) == 252
    assert len(load_word_pairs(ws / "EN-WS-353-SIM.txt").pairs) == 203


def test_simlex_original_uses_the_simlex_column(evaldata):
    original = load_word_pairs(evaldata / "SimLex-999" / "SimLex-999.txt")  # 10 columns
    assert original.pairs == load_word_pairs("simlex999").pairs
    assert original.lines[0] == 2  # header skipped


def test_men_rg_mc(evaldata):
    men = load_word_pairs(evaldata / "MEN" / "MEN_dataset_natural_form_full")
    assert len(men.pairs) == 3000 and men.pairs[0] == ("sun", "sunlight", 50.0)
    lemma = load_word_pairs(evaldata / "MEN" / "MEN_dataset_lemma_form_full")
    assert lemma.pairs[0] == ("sun-n", "sunlight-n", 50.0)
    assert len(load_word_pairs(evaldata / "RG-65" / "EN-RG-65.txt").pairs) == 65
    assert len(load_word_pairs(evaldata / "MC-30" / "EN-MC-30.txt").pairs) == 30


def test_pairs_with_header_comments_and_spaces(tmp_path):
    p = tmp_path / "p.txt"
    p.write_text(
        "# a comment\nword1 word2 score\ncat dog 7.5\n# another\nsea ocean 9\n", encoding="utf-8"
    )
    ds = load_word_pairs(p)
    assert ds.pairs == (("cat", "dog", 7.5), ("sea", "ocean", 9.0))
    assert ds.lines == (3, 5)


# -- bad input ----------------------------------------------------------------------------------
def test_unknown_name():
    with pytest.raises(
        ParameterError, match="unknown analogy dataset 'gogle'; known names: google"
    ):
        load_analogies("gogle")
    with pytest.raises(ParameterError, match="unknown word-pair dataset 'ws353'"):
        load_word_pairs("ws353")


def test_missing_file(tmp_path):
    with pytest.raises(ParameterError, match="no such file or folder"):
        load_analogies(tmp_path / "nope.txt")
    with pytest.raises(ParameterError, match="no such file or folder"):
        load_word_pairs(str(tmp_path / "nope.tsv"))


def test_not_a_name_or_path():
    with pytest.raises(ParameterError, match="must be a name or a path, got int 3"):
        load_analogies(3)


def test_empty_files(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("\n# only a comment\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"empty\.txt: empty file: no analogy questions"):
        load_analogies(p)
    with pytest.raises(FormatError, match=r"empty\.txt: empty file: no word pairs"):
        load_word_pairs(p)
    h = tmp_path / "header.txt"
    h.write_text("word1\tword2\tscore\n", encoding="utf-8")
    with pytest.raises(FormatError, match="only a header line"):
        load_word_pairs(h)


def test_malformed_question_line_names_path_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text(": s\na b c d\na b c\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.txt:3: expected 4 words"):
        load_analogies(p)
    ds = load_analogies(p, on_error="skip")
    assert ds.n_invalid == 1 and ds.n_questions == 1


def test_malformed_pair_line(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("cat\tdog\t7\nsea\tocean\tdeep\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.tsv:2: expected two words and a score"):
        load_word_pairs(p)
    assert load_word_pairs(p, on_error="skip").n_invalid == 1


def test_malformed_bats_line(tmp_path):
    d = tmp_path / "bats"
    d.mkdir()
    (d / "C01 [x].txt").write_text("a\tb/c\nd\te\nf g\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"C01 \[x\]\.txt:3: expected 'word<TAB>answer"):
        load_analogies(d)


def test_folder_without_categories(tmp_path):
    (tmp_path / "README.txt").write_text("nothing\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no category files"):
        load_analogies(tmp_path)


def test_not_utf8(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes(b"caf\xe9 tea 3\n")
    with pytest.raises(FormatError, match=r"latin1\.txt:1: not UTF-8 text"):
        load_word_pairs(p)


def test_bad_on_error():
    with pytest.raises(ParameterError, match="on_error must be 'raise' or 'skip', got 'ignore'"):
        load_analogies("google", on_error="ignore")
