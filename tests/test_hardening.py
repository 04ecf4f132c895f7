"""Hardening: no silent wrong results, no crash outside the error tree, bounded readers.

Each test is a regression test for one finding of the hardening issue (items 3, 4, 5).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import geomlab
from geomlab.errors import FormatError, GeomlabError, ParameterError, ShapeError
from geomlab.loaders import cache


@pytest.fixture()
def cache_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(root))
    return root


def big_text_file(path: Path, n: int = 12_000, dim: int = 50) -> Path:
    """A word2vec text file whose cached vectors (2.4 MB) exceed the first and last MB."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n, dim)).round(3)
    body = "\n".join(f"w{i} " + " ".join(map(str, row)) for i, row in enumerate(values))
    path.write_text(f"{n} {dim}\n{body}\n")
    return path


# -- item 3: silent wrong results --------------------------------------------------------------
@pytest.mark.parametrize("damage", ["nan", "finite"])
def test_cache_damage_in_the_middle_of_the_vectors_is_seen(cache_root, tmp_path, damage):
    path = big_text_file(tmp_path / "v.txt")
    good = geomlab.load(path, cache=False)
    assert geomlab.load(path).load_report.cache == "written"
    vec = cache.entry_dir(path, "word2vec-text", None) / "vectors.npy"
    size = vec.stat().st_size
    assert size > 2 * (1 << 20) + 128  # the middle lies outside the first and last MB
    mid = (size // 2) // 4 * 4  # a float32 boundary (the header is 128 bytes)
    with open(vec, "r+b") as fh:
        fh.seek(mid)
        value = np.float32(np.nan) if damage == "nan" else np.float32(123.0)
        fh.write(value.tobytes())
    again = geomlab.load(path)
    assert again.load_report.cache == "written"  # the damaged entry was not trusted
    assert np.isfinite(again.vectors).all()
    np.testing.assert_array_equal(again.vectors, good.vectors)
    assert geomlab.load(path).load_report.cache == "hit"


def test_cache_meta_records_full_digests(cache_root, tmp_path):
    path = big_text_file(tmp_path / "v.txt", n=300)
    geomlab.load(path)
    meta = json.loads((cache.entry_dir(path, "word2vec-text", None) / "meta.json").read_text())
    emb = geomlab.load(path)
    assert meta["vectors_xxh3"] == cache._digest(np.ascontiguousarray(emb.vectors))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e39])
def test_embeddings_refuse_non_finite_vectors(bad):
    vectors = np.ones((3, 2))
    vectors[1, 1] = bad  # 1e39 is finite in float64 but not in float32
    with pytest.raises(ParameterError, match=r"finite: the vector of 'b' \(row 1\)"):
        geomlab.Embeddings(["a", "b", "c"], vectors)


def test_gensim_file_with_nan_is_a_format_error(tmp_path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b"], np.array([[1.0, 2.0], [np.nan, 1.0]], dtype=np.float32))
    path = tmp_path / "v.kv"
    kv.save(str(path))
    with pytest.raises(FormatError, match=r"v.kv: vectors must be finite: the vector of 'b'"):
        geomlab.load(path, format="gensim")


def test_geomlab_folder_with_nan_is_a_format_error(tmp_path):
    folder = geomlab.Embeddings(["a", "b"], np.eye(2)).save(tmp_path / "f")
    np.save(folder / "vectors.npy", np.array([[1, 0], [0, np.inf]], dtype=np.float32))
    with pytest.raises(FormatError, match=r"vectors.npy: vectors must be finite.*'b'"):
        geomlab.load(folder)


def test_kl_divergence_never_stretches_a_distribution():
    with pytest.raises(ShapeError, match="same number of outcomes"):
        geomlab.kl_divergence([0.5, 0.5], [1.0])
    with pytest.raises(ShapeError, match="same number of outcomes"):
        geomlab.kl_divergence([1.0], [0.5, 0.5])
    # other axes still broadcast: one q for many p
    p = np.array([[0.5, 0.5], [0.9, 0.1]])
    np.testing.assert_allclose(
        geomlab.kl_divergence(p, [0.5, 0.5]), [0.0, geomlab.kl_divergence([0.9, 0.1], [0.5, 0.5])]
    )


def test_a_mask_of_the_wrong_length_is_refused():
    for fn in (geomlab.softmax, geomlab.log_softmax, geomlab.logsumexp):
        with pytest.raises(ShapeError, match="one entry per candidate"):
            fn([1.0, 2.0, 3.0], mask=[True])
    with pytest.raises(ShapeError, match="one entry per candidate"):
        geomlab.cross_entropy([1.0, 2.0, 3.0], 0, mask=[True])
    with pytest.raises(ShapeError, match="one entry per candidate"):
        geomlab.sample([1.0, 2.0, 3.0], mask=np.array(True))
    # one mask row for many logit rows still broadcasts
    p = geomlab.softmax(np.zeros((2, 3)), mask=[True, False, True])
    np.testing.assert_allclose(p, [[0.5, 0, 0.5]] * 2)


@pytest.mark.parametrize(
    "query, match",
    [
        (np.full(3, 1e30), "too long to score"),
        ("1e39*king", "too long to score"),
        ("1e20*king", "too long to score"),
        ("king - king", "is the zero vector"),
        (np.zeros(3), "is the zero vector"),
    ],
)
@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_queries_without_a_usable_direction_raise(tiny, query, match, metric):
    with pytest.raises(ParameterError, match=match):
        geomlab.nearest(tiny, query, metric=metric)


def test_tiny_and_large_queries_keep_their_direction(tiny):
    want = geomlab.nearest(tiny, [1.0, 1.0, 0.5], k=4)
    for scale in (1e-30, 1e15):
        got = geomlab.nearest(tiny, np.array([1.0, 1.0, 0.5]) * scale, k=4)
        assert got.words == want.words
        np.testing.assert_allclose(got.scores, want.scores, rtol=1e-5)


# -- item 5: crashes and errors outside the tree -----------------------------------------------
DOLLAR_WORDS = ["$x^^y$", "a$b$c", "$5", "us$"]


def test_report_plots_draw_dollar_words_literally():
    import io

    import matplotlib

    from geomlab import plots

    results = {
        "queries": [
            {
                "words": DOLLAR_WORDS,
                "logits": [4.0, 3.0, 2.0, 1.0],
                "expected": "a$b$c",
                "query": "$x^^y$ + a$b$c",
            }
        ]
    }
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig = plots.relevance_bars(results)
        out = io.StringIO()
        fig.savefig(out, format="svg")  # drawing parsed "$x^^y$" as math and failed
    svg = out.getvalue()
    for word in DOLLAR_WORDS:
        assert f">{word}<" in svg  # drawn as itself: no italics, no backslash
    assert results["queries"][0]["words"] == DOLLAR_WORDS  # the caller's results untouched


@pytest.mark.parametrize("value", [1e400, -1, 2.0, "3", True, None])
def test_cache_meta_with_a_bad_count_is_a_miss(cache_root, tmp_path, value):
    path = big_text_file(tmp_path / "v.txt", n=50, dim=4)
    good = geomlab.load(path)
    meta = cache.entry_dir(path, "word2vec-text", None) / "meta.json"
    text = json.dumps({**json.loads(meta.read_text()), "words": "@"})
    # json.dumps cannot write 1e400 (it would write Infinity): splice the literal in
    meta.write_text(text.replace('"@"', "1e400" if value == 1e400 else json.dumps(value)))
    again = geomlab.load(path)  # was OverflowError: cannot convert float infinity to integer
    assert again.load_report.cache == "written"
    assert again.words == good.words


def test_embeddings_bad_arguments_are_geomlab_errors():
    with pytest.raises(ParameterError, match="words must be a sequence of strings, got NoneType"):
        geomlab.Embeddings(None, np.eye(2))
    with pytest.raises(ParameterError, match="vectors must hold numbers"):
        geomlab.Embeddings(["a"], [["x"]])
    with pytest.raises(ShapeError, match="2-D array of numbers"):
        geomlab.Embeddings(["a", "b"], [[1.0, 2.0], [3.0]])
    for make in (
        lambda: geomlab.Embeddings([], np.zeros((0, 3))),
        lambda: geomlab.Embeddings._trusted((), np.zeros((0, 3), np.float32)),
    ):
        with pytest.raises(ShapeError, match="needs at least one word"):
            make()


def test_an_empty_geomlab_folder_is_refused_on_load(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    np.save(folder / "vectors.npy", np.zeros((0, 3), np.float32))
    (folder / "words.txt").write_bytes(b"")
    with pytest.raises(FormatError, match="needs at least one word"):
        geomlab.load(folder)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda emb: geomlab.nearest(None, "king"), r"emb must be an Embeddings .*, got NoneType"),
        (lambda emb: geomlab.vector("king", "king"), r"emb must be an Embeddings .*, got str"),
        (lambda emb: geomlab.nearest(emb, "king", exclude=5), "exclude must be a word or a list"),
        (lambda emb: geomlab.nearest(emb, "king", exclude=[5]), "a word must be a string, got int"),
        (lambda emb: geomlab.direction(emb, None), "pairs must be a list of .a, b. word pairs"),
        (lambda emb: geomlab.offsets(emb, 3), "pairs must be a list of .a, b. word pairs"),
        (lambda emb: geomlab.load(5), "source must be a str or a path .os.PathLike., got int"),
        (lambda emb: geomlab.load(b"v.txt"), "got bytes: decode bytes first"),
        (lambda emb: geomlab.load(""), "source is an empty string"),
        (lambda emb: geomlab.load("a\0b"), "contains a NUL character"),
        (lambda emb: geomlab.detect_format(None), "path must be a str or a path"),
        (lambda emb: geomlab.sample([0.0, 1.0], n=10**12), "n must be at most 10,000,000"),
        (
            lambda emb: geomlab.kl_divergence([0.5, 0.5], [0.5, 0.5], axis=3),
            "axis 3 is out of range",
        ),
    ],
)
def test_bad_arguments_raise_geomlab_errors(tiny, call, match):
    with pytest.raises(GeomlabError, match=match):
        call(tiny)


# -- item 4: bounded readers ------------------------------------------------------------------
def test_blank_lines_are_streamed_not_stored(tmp_path):
    import tracemalloc

    path = tmp_path / "v.txt"
    blank = 2_000_000
    path.write_bytes(b"w 1 2\n" + b"\n" * blank + b"x 3 4\n" + b"\n" * blank)
    tracemalloc.start()
    try:
        emb = geomlab.load(path, cache=False, on_error="skip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert emb.words == ("w", "x")
    # the run inside the body is found and numbered; the trailing one is allowed
    assert emb.load_report.problems == ((2, f"blank line inside the body (lines 2-{blank + 1})"),)
    # was a list of 4 million empty lines and 5 index arrays: about 400 MB here
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MiB"
    with pytest.raises(
        FormatError,
        match=rf"v.txt:2: blank line inside the body "
        rf"\(lines 2-{blank + 1}\)",
    ):
        geomlab.load(path, cache=False)


@pytest.mark.parametrize(
    "text, words",
    [
        (b"w 1 2\n\n \t\r\n", ("w",)),  # trailing blank and white-space lines
        (b"2 2\nw 1 2\nx 3 4\n\n\n  \n", ("w", "x")),  # word2vec text, blank lines after
    ],
)
def test_blank_lines_at_the_edges_are_still_allowed(tmp_path, text, words):
    path = tmp_path / "v.txt"
    path.write_bytes(text)
    assert geomlab.load(path, cache=False).words == words


_NO_END = r"""
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # an endless read fails fast
import geomlab
from geomlab.cli import main
from geomlab.evaluation.datasets import load_analogies, load_word_pairs
fifo = sys.argv[1]
out = {}
for name, call in [
    ("load zero", lambda: geomlab.load("/dev/zero")),
    ("load fifo", lambda: geomlab.load(fifo)),
    ("load fifo gensim", lambda: geomlab.load(fifo, format="gensim")),
    ("analogies zero", lambda: load_analogies("/dev/zero")),
    ("pairs zero", lambda: load_word_pairs("/dev/zero")),
    ("analogies fifo", lambda: load_analogies(fifo)),
]:
    try:
        call()
        out[name] = "returned"
    except geomlab.GeomlabError as exc:
        out[name] = str(exc)
    except BaseException as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
out["graph"] = main(["graph", "--words-file", "/dev/zero", "--out", sys.argv[2]])
print(json.dumps(out))
"""


def test_fifos_and_devices_are_refused_not_read(tmp_path):
    import os
    import subprocess
    import sys

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = subprocess.run(
        [sys.executable, "-c", _NO_END, str(fifo), str(tmp_path / "g.npz")],
        capture_output=True,
        text=True,
        timeout=120,
    )  # hung before
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.splitlines()[-1])
    assert out.pop("graph") == 1
    assert "/dev/zero': it is a character device, not a regular file" in run.stderr
    for name, message in out.items():
        kind = "a FIFO" if "fifo" in name else "a character device"
        assert f"it is {kind} (named pipe)" in message if "fifo" in name else kind in message, (
            name,
            message,
        )


def test_oversized_text_files_are_refused_by_size(tmp_path, monkeypatch):
    from geomlab.cli import main
    from geomlab.evaluation.datasets import load_analogies, load_word_pairs
    from geomlab.loaders import bounded

    monkeypatch.setattr(bounded, "MAX_TEXT_BYTES", 1000)
    questions = tmp_path / "q.txt"
    questions.write_text(": s\n" + "a b c d\n" * 300)
    pairs = tmp_path / "p.txt"
    pairs.write_text("a b 1.0\n" * 300)
    with pytest.raises(
        FormatError,
        match=r"q.txt: the dataset file is larger than the limit "
        r"of 1,000 bytes \(2,404 bytes\)",
    ):
        load_analogies(questions)
    with pytest.raises(FormatError, match="larger than the limit of 1,000 bytes"):
        load_word_pairs(pairs)
    assert main(["graph", "--words-file", str(pairs), "--out", str(tmp_path / "g.npz")]) == 1
    assert not (tmp_path / "g.npz").exists()


def test_a_loop_of_symbolic_links_is_named(tmp_path):
    import os

    a, b = tmp_path / "a", tmp_path / "b"
    os.symlink(b, a)
    os.symlink(a, b)
    with pytest.raises(GeomlabError, match="a loop of symbolic links"):
        geomlab.load(a)


def test_probe_files_are_read_bounded(tmp_path, monkeypatch):
    from geomlab.evaluation.polysemy import read_probes
    from geomlab.loaders import bounded

    with pytest.raises(GeomlabError, match="it is a character device, not a regular file"):
        read_probes("/dev/zero")  # was read until memory ran out
    big = tmp_path / "probes.tsv"
    big.write_text("word\tsense\tcontext\tindicators\n" + "x\ta\tb c\td\n" * 100)
    monkeypatch.setattr(bounded, "MAX_TEXT_BYTES", 500)
    with pytest.raises(FormatError, match="probe file is larger than the limit of 500 bytes"):
        read_probes(big)
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"word\tsense\tcontext\tindicators\n\xff\n")
    with pytest.raises(FormatError, match=r"bad.tsv:2: not UTF-8 text"):
        read_probes(bad)


# -- item 6: smaller ----------------------------------------------------------------------------
def test_atoms_fall_back_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    from geomlab.geometry._dictionary import fit_dictionary

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(blocker / "cache"))
    rng = np.random.default_rng(0)
    emb = geomlab.Embeddings([f"w{i}" for i in range(60)], rng.normal(size=(60, 5)))
    d = fit_dictionary(emb, n_words=60, n_atoms=4, sparsity=2, max_epochs=2)  # raised after
    assert d.path is None and not d.from_cache
    assert d.atoms.shape == (4, 5) and np.isfinite(d.atoms).all()


def test_score_table_is_linear_in_top():
    import time

    n = 200_000
    rng = np.random.default_rng(0)
    emb = geomlab.Embeddings([f"w{i}" for i in range(n)], rng.normal(size=(n, 4)))
    pref = geomlab.preference(emb, "w0", top=n, target="w5")
    t0 = time.perf_counter()
    rows = pref.rows()
    seconds = time.perf_counter() - t0
    assert len(rows) == n - 1 and [r["rank"] for r in rows[:3]] == [1, 2, 3]
    assert rows[-1]["rank"] == n - 1
    assert next(r for r in rows if r["word"] == "w5")["rank"] == pref.target_rank
    # about 0.7 s here; a search of the order per row took 20 s
    assert seconds < 5, f"{seconds:.1f} s for {n:,} rows"


def test_replaced_entries_left_aside_are_swept_at_any_age(cache_root, tmp_path):
    folder = cache_root / "vectors"
    aside = folder / ".v.txt-abc.1a2b3c4d.old"  # a replaced entry a killed run left
    aside.mkdir(parents=True)
    (aside / "vectors.npy").write_bytes(b"old")
    busy = folder / ".other.5678.tmp"  # maybe another process's write in progress
    busy.mkdir()
    geomlab.load(big_text_file(tmp_path / "v.txt", n=20, dim=3))
    assert not aside.exists() and busy.exists()


@pytest.mark.parametrize(
    "data, match",
    [
        (
            (793712314).to_bytes(4, "little") + (12).to_bytes(4, "little") + bytes(range(256)),
            r"ft.bin: a native fastText model \(.bin\), not a word-vector file: load the .vec",
        ),
        (b"a 1 2\rb 3 4\r", r"ft.bin:1: lines end in a carriage return alone"),
        (b"2 2\ra 1 2\rb 3 4\r", r"ft.bin:1: lines end in a carriage return alone"),
    ],
)
def test_misleading_file_messages(tmp_path, data, match):
    path = tmp_path / "ft.bin"
    path.write_bytes(data)
    for fmt in ("auto", "word2vec-binary"):
        with pytest.raises(FormatError, match=match):
            geomlab.load(path, format=fmt)


def test_crlf_files_still_load(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 2\r\na 1 2\r\nb 3 4\r\n")
    assert geomlab.load(path, cache=False).words == ("a", "b")


def test_graph_out_empty_is_named(tmp_path, capsys):
    from geomlab.cli import main

    assert main(["graph", "--limit", "50", "--out", ""]) == 1
    assert "--out '' is empty; give a file name such as graph.npz" in capsys.readouterr().err


def test_report_out_empty_is_named(capsys):
    from geomlab.cli import main

    assert main(["report", "--quick", "--out", " "]) == 1
    assert "--out ' ' is empty; give a folder name" in capsys.readouterr().err


def test_a_damaged_embedded_package_never_reaches_the_cache(cache_root, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "pkg"
    folder.mkdir()
    matrix = np.ones((300, 6), np.float32)
    matrix[150, 2] = np.nan
    vec, idx = folder / "emb.npy", folder / "index.parquet"
    np.save(vec, np.asfortranarray(matrix))
    pq.write_table(pa.table({"index": [f"w{i}" for i in range(300)]}), idx)
    with pytest.raises(
        FormatError,
        match=r"emb.npy: vectors must be finite: the vector of "
        r"'w150' .* the installed package file is damaged",
    ):
        cache.load_embedded_fast("fake", str(vec), str(idx))
    assert not (cache_root / "embedded" / "fake").exists()


def test_newlines_between_binary_records_are_skipped_in_c(tmp_path):
    import time

    record = b" " + np.array([1, 2], "<f4").tobytes()
    path = tmp_path / "v.bin"
    path.write_bytes(b"2 2\n" + b"a" + record + b"\n" * (16 << 20) + b"b" + record + b"\n")
    t0 = time.perf_counter()
    emb = geomlab.load(path, cache=False)
    seconds = time.perf_counter() - t0
    assert emb.words == ("a", "b") and emb.vectors.tolist() == [[1, 2], [1, 2]]
    assert seconds < 1.5, f"{seconds:.1f} s (a Python loop per newline took 3.3 s)"


def test_vectors_empty_is_named(capsys):
    from geomlab.cli import main

    assert main(["info", "--vectors", ""]) == 1
    err = capsys.readouterr().err
    assert "--vectors '' is empty: name a vector file" in err and "Traceback" not in err


def test_queued_blocks_are_cancelled_on_an_error_or_ctrl_c():
    import time

    from geomlab._parallel import run_blocks

    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        started = []

        def fn(i, exc=exc, started=started):
            started.append(i)
            if i == 0:
                raise exc
            time.sleep(0.02)

        with pytest.raises(type(exc)):
            run_blocks(fn, [(i,) for i in range(200)], 2)
        assert len(started) < 20, len(started)  # not the 200 a plain executor would run
    done = []
    run_blocks(lambda i: done.append(i), [(i,) for i in range(50)], 2)
    assert sorted(done) == list(range(50))
