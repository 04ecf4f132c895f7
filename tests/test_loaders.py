"""Loaders: every format against gensim's own reader, the real-data traps, writing, CLI."""

from __future__ import annotations

import bz2
import gzip
import json
import re
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import geomlab
from geomlab.cli import main
from geomlab.loaders import LoadReport, detect_format, remote

DATA = Path(__file__).parent / "data" / "loaders"
TRICKY_WORDS = ("the", "null", "nan", "NA", "true", "None", "café", "日本", '"', "1", "e-mail")

# fixture -> (format detected, gensim reader arguments)
PARITY = {
    "tricky.glove.txt": ("glove", {"no_header": True}),
    "tricky.w2v.txt": ("word2vec-text", {}),
    "tricky.vec": ("word2vec-text", {}),
    "tricky.bin": ("word2vec-binary", {"binary": True}),
    "tricky.w2v.txt.gz": ("word2vec-text", {}),
    "tricky.glove.txt.bz2": ("glove", {"no_header": True}),
}


def gensim_kv(path: Path, **kwargs):
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(str(path), **kwargs)


def assert_same(emb, kv) -> None:
    assert list(emb.words) == list(kv.index_to_key)
    assert all(type(w) is str for w in emb.words)
    assert emb.vectors.dtype == np.float32
    np.testing.assert_array_equal(emb.vectors, kv.vectors)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------
# parity with gensim, format by format
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cache", [False, True], ids=["parse", "cache"])
@pytest.mark.parametrize("name", list(PARITY))
def test_every_format_matches_gensim(name, cache):
    fmt, kwargs = PARITY[name]
    path = DATA / name
    kv = gensim_kv(path, **kwargs)
    emb = geomlab.load(path, cache=cache)
    assert_same(emb, kv)
    assert emb.words == TRICKY_WORDS
    assert emb.load_report.format == fmt
    assert detect_format(path)[0] == fmt
    assert emb.source == str(path)
    if cache:  # the second load is read from the cache, with the same result
        again = geomlab.load(path)
        assert again.load_report.cache == "hit"
        assert_same(again, kv)


@pytest.mark.parametrize("name", list(PARITY))
def test_limit_matches_gensim(name):
    _, kwargs = PARITY[name]
    kv = gensim_kv(DATA / name, limit=4, **kwargs)
    assert_same(geomlab.load(DATA / name, limit=4, cache=False), kv)
    assert_same(geomlab.load(DATA / name, limit=4), kv)


def test_explicit_format_matches_auto():
    for name, (fmt, _) in PARITY.items():
        a = geomlab.load(DATA / name, format=fmt, cache=False)
        b = geomlab.load(DATA / name, cache=False)
        assert a.words == b.words
    emb = geomlab.load(DATA / "tricky.vec", format="fasttext", cache=False)
    assert emb.words == TRICKY_WORDS


def test_tricky_words_stay_strings():
    emb = geomlab.load(DATA / "tricky.glove.txt", cache=False)
    for word in ("null", "nan", "NA", "true", "None", "1"):
        assert word in emb and isinstance(emb.words[emb.index(word)], str)
    np.testing.assert_array_equal(emb["nan"], np.float32([0.5, 0.25, 0.125]))
    np.testing.assert_array_equal(emb["café"], np.float32([-0.044457, 0.0027849, 1e-05]))


def test_words_with_spaces_split_from_the_right():
    emb = geomlab.load(DATA / "spaces.glove.txt", cache=False)
    assert emb.words == ("the", ". . .", "at name@domain.com", "- -")
    np.testing.assert_array_equal(emb["at name@domain.com"], np.float32([0.5, 0.6]))


def test_gensim_keyedvectors_save_file(tmp_path):
    kv = gensim_kv(DATA / "tricky.w2v.txt")
    kv.save(str(tmp_path / "small.kv"))
    kv.save(str(tmp_path / "split.kv"), sep_limit=1)  # vectors in a separate .npy
    for name in ("small.kv", "split.kv"):
        emb = geomlab.load(tmp_path / name, format="gensim")
        assert_same(emb, kv)
        assert emb.load_report.format == "gensim"
        assert emb.load_report.zero_vectors == 1


class _Payload:
    """Unpickling this runs ``_touch(marker)``: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (_touch, (self.marker,))


def _touch(path):
    Path(path).write_text("code ran")
    return "gensim"


@pytest.mark.parametrize("name", ["vectors.txt", "vectors.kv", "vectors.bin"])
def test_detection_never_unpickles(tmp_path, name, capsys):
    import pickle

    marker = tmp_path / "marker"
    # a pickle that names gensim early, as a KeyedVectors file does, and runs code on load
    path = write(tmp_path, name, pickle.dumps({"gensim": "4.4", "x": _Payload(marker)}, protocol=4))
    assert geomlab.detect_format(path) == ("gensim", None)
    with pytest.raises(geomlab.FormatError, match=r"a Python pickle.*format='gensim'"):
        geomlab.load(path)
    with pytest.raises(geomlab.FormatError):  # another explicit format reads it as that
        geomlab.load(path, format="glove", cache=False)
    assert main(["--vectors", str(path), "info"]) == 1
    err = capsys.readouterr().err
    assert "--vectors-format gensim" in err and "runs" in err
    assert not marker.exists()
    # the explicit opt-in does unpickle (which is why it must be explicit)
    with pytest.raises(geomlab.FormatError):
        geomlab.load(path, format="gensim")
    assert marker.read_text() == "code ran"


def test_cli_loads_a_gensim_file_with_the_opt_in(tmp_path, capsys):
    kv = gensim_kv(DATA / "tricky.w2v.txt")
    kv.save(str(tmp_path / "small.kv"))
    assert main(["--vectors", str(tmp_path / "small.kv"), "info"]) == 1
    capsys.readouterr()
    assert (
        main(
            [
                "--vectors",
                str(tmp_path / "small.kv"),
                "--vectors-format",
                "gensim",
                "info",
                "--json",
            ]
        )
        == 0
    )
    assert f'"words": {len(kv.index_to_key)}' in capsys.readouterr().out


def test_gensim_whole_model_file(tmp_path):
    from gensim.models import Word2Vec

    sentences = [["king", "queen", "man", "woman"], ["apple", "pear", "king"]] * 5
    model = Word2Vec(sentences, vector_size=4, min_count=1, seed=1, workers=1, epochs=1)
    model.save(str(tmp_path / "w2v.model"))
    emb = geomlab.load(tmp_path / "w2v.model", format="gensim")
    assert_same(emb, model.wv)


def test_report_fields_and_zero_vectors():
    emb = geomlab.load(DATA / "tricky.w2v.txt", cache=False)
    report = emb.load_report
    assert isinstance(report, LoadReport)
    assert (report.words, report.dim, report.skipped) == (11, 3, 0)
    assert report.zero_vectors == 1 and report.zero_words == ('"',)
    assert report.cache == "off"
    assert json.loads(report.to_json())["zero_words"] == ['"']
    assert "zero_vectors" in str(report)


def test_bom_and_crlf_load_like_the_clean_file(tmp_path):
    clean = (DATA / "tricky.w2v.txt").read_bytes()
    glove = (DATA / "tricky.glove.txt").read_bytes()
    expected = geomlab.load(DATA / "tricky.w2v.txt", cache=False)
    for name, data in [
        ("bom.txt", b"\xef\xbb\xbf" + clean),
        ("crlf.txt", clean.replace(b"\n", b"\r\n")),
        ("both.txt", b"\xef\xbb\xbf" + clean.replace(b"\n", b"\r\n")),
        ("glove_bom.txt", b"\xef\xbb\xbf" + glove),
    ]:
        emb = geomlab.load(write(tmp_path, name, data), cache=False)
        assert emb.words == expected.words
        np.testing.assert_array_equal(emb.vectors, expected.vectors)


def test_trailing_blank_lines_and_missing_final_newline(tmp_path):
    emb = geomlab.load(write(tmp_path, "a.txt", b"a 1 2\nb 3 4\n\n\n"), cache=False)
    assert emb.words == ("a", "b")
    emb = geomlab.load(write(tmp_path, "b.txt", b"2 2\na 1 2\nb 3 4"), cache=False)
    assert emb.words == ("a", "b")


# ---------------------------------------------------------------------------------------
# real-data traps: each a FormatError naming path and line; or skipped and counted
# ---------------------------------------------------------------------------------------
TRAPS = [
    # name, content, message (after "path:line: "), line, words kept under on_error="skip"
    (
        "duplicate",
        b"a 1 2\nb 3 4\na 5 6\n",
        r"duplicate word 'a' \(first on line 1\)",
        3,
        ("a", "b"),
    ),
    (
        "ragged-short",
        b"a 1 2\nb 3\nc 5 6\n",
        r"expected a word and 2 values \(as on line 1\), found 1 value$",
        2,
        ("a", "c"),
    ),
    (
        "ragged-long",
        b"a 1 2\nb 3 4 5\nc 5 6\n",
        r"expected 2 values \(as on line 1\), found 3",
        2,
        ("a", "c"),
    ),
    ("non-numeric", b"a 1 2\nb 3 x\n", r"value 'x' is not a number \(position 2 of 2\)", 2, ("a",)),
    ("nan", b"a 1 2\nb nan 4\n", r"value 'nan' is not finite \(position 1 of 2\)", 2, ("a",)),
    ("inf", b"a 1 2\nb 3 -inf\n", r"value '-inf' is not finite", 2, ("a",)),
    (
        "float32-overflow",
        b"a 1 2\nb 1e39 4\n",
        r"value '1e39' is outside the float32 range",
        2,
        ("a",),
    ),
    (
        "invalid-utf8",
        b"a 1 2\nb\xff 3 4\nc 5 6\n",
        r"invalid UTF-8 \(byte 0xff at column 2\)",
        2,
        ("a", "c"),
    ),
    ("blank-inside", b"a 1 2\n\nb 3 4\n", r"blank line inside the body", 2, ("a", "b")),
    ("leading-space", b"a 1 2\n b 3 4\n", r"the line starts with a space: empty word", 2, ("a",)),
    ("double-space", b"a 1 2\nb  3 4\n", r"two spaces in a row", 2, ("a",)),
    (
        "header-more-lines",
        b"1 2\na 1 2\nb 3 4\n",
        r"the header says 1 words, but the body has more lines",
        3,
        ("a",),
    ),
    (
        "header-dim",
        b"2 3\naa 1.5 2.5\nbb 3.5 4.5\n",
        r"expected a word and 3 values \(as the header says\), found 2 values",
        2,
        None,
    ),
]


@pytest.mark.parametrize("name,data,message,line,kept", TRAPS, ids=[t[0] for t in TRAPS])
def test_traps_raise_with_path_and_line(tmp_path, name, data, message, line, kept):
    path = write(tmp_path, f"{name}.txt", data)
    with pytest.raises(geomlab.FormatError, match=re.escape(f"{path}:{line}: ") + message) as exc:
        geomlab.load(path, cache=False)
    assert exc.value.path == str(path) and exc.value.line == line


@pytest.mark.parametrize(
    "name,data,message,line,kept", [t for t in TRAPS if t[4]], ids=[t[0] for t in TRAPS if t[4]]
)
def test_traps_skipped_and_counted(tmp_path, name, data, message, line, kept):
    path = write(tmp_path, f"{name}.txt", data)
    for cache in (False, True, True):
        emb = geomlab.load(path, on_error="skip", cache=cache)
        assert emb.words == kept
        report = emb.load_report
        if name == "header-more-lines":
            assert report.warnings and re.search(message, report.warnings[0])
        else:
            assert report.skipped == 1
            assert report.problems[0][0] == line and re.search(message, report.problems[0][1])


def test_skipped_lines_counted_beyond_the_kept_list(tmp_path):
    body = b"a 1 2\n" + b"".join(b"w%d 1 x\n" % i for i in range(50)) + b"b 3 4\n"
    emb = geomlab.load(write(tmp_path, "many.txt", body), on_error="skip", cache=False)
    assert emb.words == ("a", "b")
    assert emb.load_report.skipped == 50 and len(emb.load_report.problems) == 20


def test_a_cached_skip_load_still_raises_for_raise(tmp_path):
    path = write(tmp_path, "dup.txt", b"a 1 2\na 3 4\nb 5 6\n")
    assert geomlab.load(path, on_error="skip").words == ("a", "b")
    with pytest.raises(geomlab.FormatError, match=r"dup.txt:2: duplicate word 'a'"):
        geomlab.load(path)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", r": empty file: no vectors"),
        (b"\n\n  \n", r": empty file: no vectors"),
        (b"\xff\xfea\x00 \x001\x00", r":1: the file is UTF-16"),
        (b"PK\x03\x04rest", r": a zip archive: unzip it"),
        (b"hello world\n", r":1: expected a word followed by numbers"),
        (b"3 2\n", r":1: the header says 3 words of 2 dimensions, which needs at least"),
        (b"0 2\n", r":1: the header says 0 words of 2 dimensions: no vectors"),
    ],
)
def test_whole_file_problems(tmp_path, data, message):
    path = write(tmp_path, "bad.txt", data)
    with pytest.raises(geomlab.FormatError, match=re.escape(str(path)) + message):
        geomlab.load(path, cache=False)


def test_header_that_disagrees_with_a_short_body(tmp_path):
    body = b"".join(b"w%d 0.5 0.25\n" % i for i in range(10))
    path = write(tmp_path, "short.txt", b"12 2\n" + body)
    with pytest.raises(
        geomlab.FormatError,
        match=r"short.txt:12: the header says 12 words, but the file ends after 10",
    ):
        geomlab.load(path, cache=False)
    emb = geomlab.load(path, on_error="skip", cache=False)
    assert len(emb) == 10 and "ends after 10" in emb.load_report.warnings[0]


@pytest.mark.parametrize(
    "header",
    [b"99999999999 3\n", b"2 300000000000\n", b"18446744073709551617 18446744073709551617\n"],
)
@pytest.mark.parametrize("kind", ["text", "binary"])
def test_lying_header_fails_before_allocating(tmp_path, header, kind):
    body = b"a 1 2\nb 3 4\n" if kind == "text" else b"a " + bytes(8) + b"b " + bytes(8)
    path = write(tmp_path, f"lie.{kind}", header + body)
    fmt = "word2vec-text" if kind == "text" else "word2vec-binary"
    tracemalloc.start()
    try:
        with pytest.raises(
            geomlab.FormatError,
            match=r"lie\.\w+:1: the header says .* needs at "
            r"least .* bytes, but the file has",
        ):
            geomlab.load(path, format=fmt, cache=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_lying_header_in_a_compressed_file(tmp_path, kind):
    # no file size to check against: the reader must still never size anything by the header
    body = b"a 1 2\nb 3 4\n" if kind == "text" else b"a " + bytes(8) + b"b " + bytes(8)
    path = write(tmp_path, f"lie.{kind}.gz", gzip.compress(b"5 1000000000\n" + body))
    fmt = "word2vec-text" if kind == "text" else "word2vec-binary"
    tracemalloc.start()
    try:
        with pytest.raises(geomlab.FormatError, match=r"lie\.\w+\.gz(:2)?: "):
            geomlab.load(path, format=fmt, cache=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


def test_binary_traps(tmp_path):
    def record(word: bytes, values) -> bytes:
        return word + b" " + np.asarray(values, "<f4").tobytes()

    ok = record(b"a", [1, 2]) + record(b"b", [3, 4])
    emb = geomlab.load(write(tmp_path, "ok.bin", b"2 2\n" + ok), cache=False)
    assert emb.words == ("a", "b") and emb.load_report.format == "word2vec-binary"

    cases = [
        (
            "dup.bin",
            b"3 2\n" + ok + record(b"a", [5, 6]),
            r"record 3 \(byte \d+\): duplicate word 'a' \(first in record 1\)",
        ),
        (
            "nan.bin",
            b"2 2\n" + record(b"a", [1, np.nan]) + record(b"b", [3, 4]),
            r"record 1: non-finite value in the vector of 'a'",
        ),
        (
            "utf8.bin",
            b"2 2\n" + record(b"\xffa", [1, 2]) + record(b"b", [3, 4]),
            r"record 1 \(byte 4\): invalid UTF-8 in the word",
        ),
        (
            "trunc.bin",
            b"2 2\n" + record(b"alpha", [1, 2]) + record(b"beta", [3, 4])[:-3],
            r"the file ends inside record 2 \(byte 18\)",
        ),
        (
            "junk.bin",
            b"2 2\n" + ok + b"junk",
            r"the header says 2 words, but more data follows them \(byte 24",
        ),
        ("more.bin", b"1 2\n" + ok, r"the header says 1 words, but more data follows"),
    ]
    for name, data, message in cases:
        path = write(tmp_path, name, data)
        with pytest.raises(geomlab.FormatError, match=re.escape(str(path)) + ": " + message):
            geomlab.load(path, format="word2vec-binary", cache=False)
    skipped = geomlab.load(tmp_path / "dup.bin", on_error="skip", cache=False)
    assert skipped.words == ("a", "b") and skipped.load_report.skipped == 1


def test_truncated_binary_file(tmp_path):
    data = (DATA / "tricky.bin").read_bytes()
    path = write(tmp_path, "cut.bin", data[:-5])
    with pytest.raises(geomlab.FormatError, match=r"cut.bin: the file ends inside record 11"):
        geomlab.load(path, cache=False)
    emb = geomlab.load(path, on_error="skip", cache=False)
    assert emb.words == TRICKY_WORDS[:10]


def test_corrupt_compressed_file(tmp_path):
    data = (DATA / "tricky.w2v.txt.gz").read_bytes()
    path = write(tmp_path, "cut.txt.gz", data[: len(data) // 2])
    with pytest.raises(geomlab.FormatError, match=r"cut.txt.gz: corrupt or truncated gzip data"):
        geomlab.load(path, cache=False)
    path = write(tmp_path, "bad.bz2", b"BZh9" + bytes(64))
    with pytest.raises(geomlab.FormatError, match=r"bad.bz2: corrupt or truncated bz2 data"):
        geomlab.load(path, cache=False)


def test_not_a_gensim_pickle(tmp_path):
    import pickle

    path = write(tmp_path, "other.pkl", pickle.dumps({"a": 1}, protocol=4))
    with pytest.raises(geomlab.FormatError, match=r"other.pkl: a Python pickle that is not a"):
        geomlab.load(path)


def test_geomlab_folder_problems(tmp_path, tiny):
    folder = tiny.save(tmp_path / "v")
    (folder / "words.txt").write_text("king\nqueen\nman\n")
    with pytest.raises(geomlab.FormatError, match=r"words.txt: 3 words for 5 vectors"):
        geomlab.load(folder)
    (folder / "words.txt").write_text("king\nqueen\nman\nking\napple\n")
    with pytest.raises(geomlab.FormatError, match=r"words.txt:4: duplicate word 'king'"):
        geomlab.load(folder)
    (folder / "vectors.npy").unlink()
    with pytest.raises(geomlab.FormatError, match=r"not a geomlab vectors folder: vectors.npy"):
        geomlab.load(folder)
    with pytest.raises(geomlab.FormatError, match=r"a folder can only be read as format"):
        geomlab.load(tmp_path, format="glove")


def test_load_argument_errors(tmp_path):
    with pytest.raises(geomlab.ParameterError, match=r"format must be one of"):
        geomlab.load(DATA / "tricky.vec", format="csv")
    with pytest.raises(geomlab.ParameterError, match=r"on_error must be 'raise' or 'skip'"):
        geomlab.load(DATA / "tricky.vec", on_error="ignore")
    with pytest.raises(geomlab.ParameterError, match=r"limit must be a positive integer"):
        geomlab.load(DATA / "tricky.vec", limit=0)
    with pytest.raises(geomlab.GeomlabError, match=r"is neither a file nor a named source"):
        geomlab.load(tmp_path / "missing.txt")
    with pytest.raises(geomlab.FormatError, match=r"format 'geomlab' is a folder"):
        geomlab.load(DATA / "tricky.vec", format="geomlab")


# ---------------------------------------------------------------------------------------
# writing and round trips
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fmt,name",
    [
        ("geomlab", "out"),
        ("word2vec-text", "out.txt"),
        ("word2vec-binary", "out.bin"),
        ("glove", "out.txt"),
        ("word2vec-text", "out.txt.gz"),
        ("glove", "out.txt.bz2"),
    ],
)
def test_save_round_trip(tmp_path, fmt, name):
    emb = geomlab.load(DATA / "tricky.w2v.txt", cache=False)
    path = emb.save(tmp_path / name, format=fmt)
    back = geomlab.load(path, cache=False)
    assert back.words == emb.words
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    assert back.load_report.format == ("geomlab" if fmt == "geomlab" else fmt)
    if fmt != "geomlab":  # gensim reads what we write, too
        kwargs = {"binary": fmt == "word2vec-binary", "no_header": fmt == "glove"}
        assert_same(back, gensim_kv(path, **kwargs))


def test_save_round_trip_of_real_vectors(tmp_path, glove):
    part = glove.head(2000)
    for fmt, name in [
        ("word2vec-text", "g.txt"),
        ("word2vec-binary", "g.bin"),
        ("glove", "g.glove"),
        ("geomlab", "g"),
    ]:
        back = geomlab.load(part.save(tmp_path / name, format=fmt), cache=False)
        assert back.words == part.words
        np.testing.assert_array_equal(back.vectors, part.vectors)


def test_geomlab_folder_is_memory_mapped(tmp_path, tiny):
    folder = tiny.save(tmp_path / "v")
    assert sorted(p.name for p in folder.iterdir()) == ["meta.json", "vectors.npy", "words.txt"]
    back = geomlab.load(folder)
    assert isinstance(back.vectors.base, np.memmap) or isinstance(back.vectors, np.memmap)
    assert not back.vectors.flags.writeable
    assert back.words == tiny.words


def test_save_is_atomic_and_replaces(tmp_path, tiny):
    path = tiny.save(tmp_path / "t.txt", format="glove")
    tiny.head(2).save(path, format="glove")
    assert geomlab.load(path, cache=False).words == ("king", "queen")
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]  # no temporary left behind


def test_gensim_round_trips(tiny):
    kv = tiny.to_gensim()
    back = geomlab.Embeddings.from_gensim(kv)
    assert back.words == tiny.words
    np.testing.assert_array_equal(back.vectors, tiny.vectors)
    emb = geomlab.load(DATA / "tricky.bin", cache=False)
    assert_same(emb, emb.to_gensim())
    assert_same(geomlab.Embeddings.from_gensim(emb.to_gensim()), emb.to_gensim())


@pytest.mark.parametrize(
    "word,fmt,message",
    [
        ("a\nb", "geomlab", r"contains a newline"),
        ("a b", "word2vec-binary", r"contains a space"),
        ("", "glove", r"is empty"),
        (" a", "word2vec-text", r"starts or ends with white space"),
        ("a 1", "glove", r"a space followed by a number"),
    ],
)
def test_save_refuses_words_it_cannot_write(tmp_path, word, fmt, message):
    emb = geomlab.Embeddings(["ok", word], np.eye(2))
    with pytest.raises(geomlab.ParameterError, match=message):
        emb.save(tmp_path / "x", format=fmt)
    assert not (tmp_path / "x").exists()


def test_save_argument_errors(tmp_path, tiny):
    with pytest.raises(geomlab.ParameterError, match=r"format must be one of"):
        tiny.save(tmp_path / "x", format="csv")
    (tmp_path / "file").write_text("x")
    with pytest.raises(geomlab.GeomlabError, match=r"is a file; format 'geomlab' writes a folder"):
        tiny.save(tmp_path / "file")
    with pytest.raises(geomlab.GeomlabError, match=r"is a folder; format 'glove' writes a file"):
        tiny.save(tmp_path, format="glove")


# ---------------------------------------------------------------------------------------
# named sources
# ---------------------------------------------------------------------------------------
def test_sources_lists_the_default_and_gensim_names():
    names = geomlab.sources()
    assert "glove-6b-50d" in names
    for name in (
        "glove-wiki-gigaword-100",
        "word2vec-google-news-300",
        "glove-twitter-25",
        "fasttext-wiki-news-subwords-300",
    ):
        assert name in names and "gensim-data" in names[name]


def test_remote_source_fails_at_once_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    calls = []
    monkeypatch.setattr(remote, "_online", lambda timeout=3.0: calls.append(timeout) or False)
    t0 = time.perf_counter()
    with pytest.raises(
        geomlab.GeomlabError,
        match=r"'glove-twitter-25' is not downloaded .* "
        r"this machine is offline",
    ):
        geomlab.load("glove-twitter-25")
    assert time.perf_counter() - t0 < 2 and calls == [3.0]


def test_remote_source_uses_the_local_gensim_data_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    folder = tmp_path / "glove-twitter-25"
    folder.mkdir()
    shutil.copy(DATA / "tricky.w2v.txt.gz", folder / "glove-twitter-25.gz")
    (folder / "__init__.py").write_text("raise SystemExit('never run downloaded code')\n")

    def no_network(timeout=3.0):
        raise AssertionError("the network must not be touched")

    monkeypatch.setattr(remote, "_online", no_network)
    emb = geomlab.load("glove-twitter-25", limit=5)
    assert emb.words == TRICKY_WORDS[:5]


def test_unknown_remote_name():
    with pytest.raises(geomlab.GeomlabError, match=r"no remote source named 'glove-x'"):
        remote.load_remote("glove-x")


def test_embedded_default_with_limit():
    emb = geomlab.load(limit=100)
    assert len(emb) == 100 and emb.words[0] == "the"


# ---------------------------------------------------------------------------------------
# geomlab convert
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "dest,fmt",
    [
        ("o.bin", "word2vec-binary"),
        ("o.txt", "word2vec-text"),
        ("o.vec.gz", "word2vec-text"),
        ("o", "geomlab"),
    ],
)
def test_convert_by_extension(tmp_path, capsys, dest, fmt):
    assert main(["convert", str(DATA / "tricky.glove.txt"), str(tmp_path / dest)]) == 0
    out = capsys.readouterr().out
    assert f"wrote 11 words x 3 dims to {tmp_path / dest} ({fmt})" in out
    assert "1 all-zero vectors" in out
    back = geomlab.load(tmp_path / dest, cache=False)
    assert back.words == TRICKY_WORDS and back.load_report.format == fmt


def test_convert_explicit_format_json_and_limit(tmp_path, capsys):
    dest = tmp_path / "g.txt"
    assert (
        main(
            [
                "convert",
                str(DATA / "tricky.bin"),
                str(dest),
                "--format",
                "glove",
                "--limit",
                "3",
                "--json",
            ]
        )
        == 0
    )
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "glove" and info["words"] == 3
    assert geomlab.load(dest, cache=False).load_report.format == "glove"


def test_convert_skip_reports_the_count(tmp_path, capsys):
    src = write(tmp_path, "bad.txt", b"a 1 2\nb 3 x\nc 5 6\n")
    assert main(["convert", str(src), str(tmp_path / "o.txt"), "--on-error", "skip"]) == 0
    assert "skipped 1 bad lines" in capsys.readouterr().out


def test_convert_errors(tmp_path, capsys):
    src = write(tmp_path, "bad.txt", b"a 1 2\nb 3 x\n")
    assert main(["convert", str(src), str(tmp_path / "o.txt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"geomlab: error: {src}:2: value 'x' is not a number")
    assert "Traceback" not in err

    assert main(["convert", str(tmp_path / "none.txt"), str(tmp_path / "o.txt")]) == 1
    assert "is neither a file nor a named source" in capsys.readouterr().err

    dest = tmp_path / "exists.txt"
    dest.write_text("keep me")
    assert main(["convert", str(DATA / "tricky.vec"), str(dest)]) == 1
    assert "exists; pass --force to replace it" in capsys.readouterr().err
    assert dest.read_text() == "keep me"
    assert main(["convert", str(DATA / "tricky.vec"), str(dest), "--force"]) == 0
    capsys.readouterr()

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    assert main(["convert", str(DATA / "tricky.vec"), str(blocker / "sub" / "o.txt")]) == 1
    assert "cannot create folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv,message",
    [
        (["convert"], "the following arguments are required: SRC, DEST"),
        (["convert", "a", "b", "--format", "csv"], "argument --format: invalid choice: 'csv'"),
        (["convert", "a", "b", "--limit", "0"], "expected a positive integer, got '0'"),
        (["convert", "a", "b", "--on-error", "ignore"], "argument --on-error: invalid choice"),
    ],
)
def test_convert_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_convert_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["convert", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "word2vec-binary" in out and "--on-error" in out and "example:" in out


def test_compressed_output_really_is_compressed(tmp_path, tiny):
    gz = tiny.save(tmp_path / "t.txt.gz", format="word2vec-text")
    assert gzip.decompress(gz.read_bytes()).startswith(b"5 3\nking ")
    bz = tiny.save(tmp_path / "t.txt.bz2", format="glove")
    assert bz2.decompress(bz.read_bytes()).startswith(b"king ")


def test_bulk_parsing_around_odd_lines(tmp_path):
    # A long file: words with spaces and bad lines are parsed line by line, the clean runs
    # between them in bulk; the order of words and the line numbers must not change.
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 4)).round(3).astype(np.float32)
    words = [f"w{i}" for i in range(300)]
    for i in (0, 57, 58, 299):
        words[i] = f"at x{i} . com"
    lines = [w + " " + " ".join(str(float(x)) for x in row) for w, row in zip(words, vectors)]
    bad = {120: lines[120] + " 0.5", 121: lines[121].replace(" ", "  ", 1), 250: ""}
    path = write(tmp_path, "odd.txt", ("\n".join(lines) + "\n").encode())
    emb = geomlab.load(path, cache=False)
    assert emb.words == tuple(words)
    np.testing.assert_array_equal(emb.vectors, vectors)
    lines_bad = [bad.get(i, line) for i, line in enumerate(lines)]
    path = write(tmp_path, "bad.txt", ("\n".join(lines_bad) + "\n").encode())
    with pytest.raises(geomlab.FormatError, match=r"bad.txt:121: expected 4 values"):
        geomlab.load(path, cache=False)
    emb = geomlab.load(path, on_error="skip", cache=False)
    keep = [i for i in range(300) if i not in bad]
    assert emb.words == tuple(words[i] for i in keep)
    np.testing.assert_array_equal(emb.vectors, vectors[keep])
    assert [line for line, _ in emb.load_report.problems] == [121, 122, 251]


def test_a_huge_line_is_refused(tmp_path, monkeypatch):
    from geomlab.loaders import text

    monkeypatch.setattr(text, "_MAX_LINE_BYTES", 1000)
    path = write(tmp_path, "oneline.txt", b"w " + b"0.5 " * 2000)
    with pytest.raises(geomlab.FormatError, match=r"oneline.txt: a line longer than 64 MB"):
        geomlab.load(path, cache=False)
    path = write(tmp_path, "oneline.gz", gzip.compress(b"w " + b"0.5 " * 40000))
    with pytest.raises(geomlab.FormatError, match=r"oneline.gz: a line longer than 64 MB"):
        geomlab.load(path, cache=False)


def test_format_comes_from_content_not_the_extension(tmp_path):
    misnamed = {
        "binary.txt": ("tricky.bin", "word2vec-binary", None),
        "glove.bin": ("tricky.glove.txt", "glove", None),
        "gzipped.txt": ("tricky.w2v.txt.gz", "word2vec-text", "gzip"),
        "bzipped.vec": ("tricky.glove.txt.bz2", "glove", "bz2"),
    }
    for name, (source, fmt, compression) in misnamed.items():
        path = tmp_path / name
        shutil.copy(DATA / source, path)
        assert detect_format(path) == (fmt, compression)
        emb = geomlab.load(path, cache=False)
        assert emb.words == TRICKY_WORDS
        assert (emb.load_report.format, emb.load_report.compression) == (fmt, compression)
    import lzma

    path = write(tmp_path, "xz.txt", lzma.compress((DATA / "tricky.vec").read_bytes()))
    assert detect_format(path) == ("word2vec-text", "xz")
    assert geomlab.load(path, cache=False).words == TRICKY_WORDS
