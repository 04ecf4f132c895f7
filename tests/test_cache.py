"""The binary cache: written atomically, validated before use, safe under concurrency."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
import pytest

import geomlab
from geomlab.loaders import cache

DATA = Path(__file__).parent / "data" / "loaders"


@pytest.fixture()
def cache_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(root))
    return root


def text_file(path: Path, n: int = 200, dim: int = 8, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, dim)).round(4)
    lines = [f"w{i} " + " ".join(str(v) for v in row) for i, row in enumerate(values)]
    path.write_text(f"{n} {dim}\n" + "\n".join(lines) + "\n")
    return path


def entry_of(path: Path) -> Path:
    return cache.entry_dir(path, "word2vec-text", None)


def is_mapped(arr: np.ndarray) -> bool:
    while arr is not None:
        if isinstance(arr, np.memmap):
            return True
        arr = arr.base if isinstance(arr.base, np.ndarray) else None
    return False


def test_first_load_writes_then_maps(cache_root, tmp_path):
    path = text_file(tmp_path / "v.txt")
    first = geomlab.load(path)
    assert first.load_report.cache == "written"
    entry = entry_of(path)
    assert entry.parent.parent == cache_root  # under $GEOMLAB_CACHE_DIR
    assert sorted(p.name for p in entry.iterdir()) == ["meta.json", "vectors.npy", "words.txt"]
    second = geomlab.load(path)
    assert second.load_report.cache == "hit"
    assert is_mapped(second.vectors) and second.vectors.flags.c_contiguous
    assert second.words == first.words
    np.testing.assert_array_equal(second.vectors, geomlab.load(path, cache=False).vectors)
    # nothing temporary is left beside the entry
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]


def test_stale_cache_is_rebuilt(cache_root, tmp_path):
    path = text_file(tmp_path / "v.txt", seed=1)
    old = geomlab.load(path)
    text_file(path, seed=2)  # same size and name, new values
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    new = geomlab.load(path)
    assert new.load_report.cache == "written"
    assert not np.array_equal(new.vectors, old.vectors)
    np.testing.assert_array_equal(new.vectors, geomlab.load(path, cache=False).vectors)
    assert geomlab.load(path).load_report.cache == "hit"


@pytest.mark.parametrize(
    "damage",
    [
        "truncate-vectors",
        "flip-vector-byte",
        "truncate-words",
        "edit-words",
        "garbage-meta",
        "empty-meta",
        "missing-words",
        "wrong-shape-in-meta",
    ],
)
def test_damaged_cache_is_never_trusted(cache_root, tmp_path, damage):
    path = text_file(tmp_path / "v.txt")
    good = geomlab.load(path, cache=False)
    geomlab.load(path)
    entry = entry_of(path)
    vec, words, meta = entry / "vectors.npy", entry / "words.txt", entry / "meta.json"
    if damage == "truncate-vectors":
        vec.write_bytes(vec.read_bytes()[:-100])
    elif damage == "flip-vector-byte":
        data = bytearray(vec.read_bytes())
        data[200] ^= 0xFF
        vec.write_bytes(bytes(data))
    elif damage == "truncate-words":
        words.write_bytes(words.read_bytes()[:-10])
    elif damage == "edit-words":
        words.write_bytes(words.read_bytes().replace(b"w1\n", b"x1\n"))
    elif damage == "garbage-meta":
        meta.write_bytes(b"\x00\xff not json")
    elif damage == "empty-meta":
        meta.write_text("")
    elif damage == "missing-words":
        words.unlink()
    elif damage == "wrong-shape-in-meta":
        m = json.loads(meta.read_text())
        m["dim"] = 4
        meta.write_text(json.dumps(m))
    again = geomlab.load(path)
    assert again.load_report.cache == "written"
    assert again.words == good.words
    np.testing.assert_array_equal(again.vectors, good.vectors)
    assert geomlab.load(path).load_report.cache == "hit"


def test_foreign_cache_entry_is_rebuilt(cache_root, tmp_path):
    a = text_file(tmp_path / "a.txt", seed=3)
    b = text_file(tmp_path / "b.txt", seed=4)
    geomlab.load(a)
    geomlab.load(b)
    # put a's entry where b's belongs
    entry_b = entry_of(b)
    for name in ("vectors.npy", "words.txt", "meta.json"):
        (entry_b / name).write_bytes((entry_of(a) / name).read_bytes())
    again = geomlab.load(b)
    assert again.load_report.cache == "written"
    np.testing.assert_array_equal(again.vectors, geomlab.load(b, cache=False).vectors)


def test_limit_and_format_have_their_own_entries(cache_root, tmp_path):
    path = text_file(tmp_path / "v.txt")
    assert len(geomlab.load(path, limit=10)) == 10
    assert len(geomlab.load(path)) == 200
    assert geomlab.load(path, limit=10).load_report.cache == "hit"
    assert len(list((cache_root / "vectors").iterdir())) == 2


def test_failed_load_leaves_nothing(cache_root, tmp_path):
    path = text_file(tmp_path / "v.txt")
    path.write_text(path.read_text() + "w_bad 1 2 3\n")  # more lines than the header says
    with pytest.raises(geomlab.FormatError, match=r"v.txt:202: the header says 200 words"):
        geomlab.load(path)
    assert list((cache_root / "vectors").iterdir()) == []


def test_leftover_temporary_folders_are_swept(cache_root, tmp_path):
    folder = cache_root / "vectors"
    old = folder / ".v.txt-abc.1234.tmp"
    old.mkdir(parents=True)
    (old / "vectors.npy").write_bytes(b"partial")
    long_ago = time.time() - 7 * 3600
    os.utime(old, (long_ago, long_ago))
    fresh = folder / ".other.5678.tmp"  # maybe another process's write in progress
    fresh.mkdir()
    geomlab.load(text_file(tmp_path / "v.txt"))
    assert not old.exists() and fresh.exists()


def test_unwritable_cache_folder_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(blocker / "cache"))
    path = text_file(tmp_path / "v.txt")
    emb = geomlab.load(path)
    assert len(emb) == 200 and emb.load_report.cache.startswith("failed: ")


def test_cache_off_writes_nothing(cache_root, tmp_path):
    emb = geomlab.load(text_file(tmp_path / "v.txt"), cache=False)
    assert emb.load_report.cache == "off"
    assert not cache_root.exists()


def test_cached_report_keeps_what_the_parse_found(cache_root, tmp_path):
    path = tmp_path / "z.txt"
    path.write_text("a 1 2\nb 0 0\nb 3 4\nc 5 6\n")
    first = geomlab.load(path, on_error="skip")
    second = geomlab.load(path, on_error="skip")
    assert second.load_report.cache == "hit"
    for r in (first.load_report, second.load_report):
        assert (r.skipped, r.zero_vectors, r.zero_words) == (1, 1, ("b",))
        assert r.problems == ((3, "duplicate word 'b' (first on line 2)"),)


# ---------------------------------------------------------------------------------------
# two processes at once
# ---------------------------------------------------------------------------------------
def _load_in_child(path: str, cache_dir: str, go, results) -> None:
    os.environ["GEOMLAB_CACHE_DIR"] = cache_dir
    import hashlib

    import geomlab

    go.wait(30)
    emb = geomlab.load(path)
    digest = hashlib.sha256(np.ascontiguousarray(emb.vectors).tobytes()).hexdigest()
    results.put((emb.load_report.cache, len(emb), digest, "\n".join(emb.words)))


def test_concurrent_loads_do_not_corrupt_the_cache(cache_root, tmp_path):
    path = text_file(tmp_path / "big.txt", n=20_000, dim=50, seed=5)
    ctx = mp.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_load_in_child, args=(str(path), str(cache_root), go, results))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    time.sleep(0.5)
    go.set()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    expected = geomlab.load(path, cache=False)
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(expected.vectors).tobytes()).hexdigest()
    for state, n, got, words in outcomes:
        assert state in ("written", "hit")
        assert (n, got, words) == (len(expected), digest, "\n".join(expected.words))
    again = geomlab.load(path)
    assert again.load_report.cache == "hit"
    np.testing.assert_array_equal(again.vectors, expected.vectors)
    leftovers = [p.name for p in (cache_root / "vectors").iterdir()]
    assert leftovers == [entry_of(path).name]


# ---------------------------------------------------------------------------------------
# the embedded default
# ---------------------------------------------------------------------------------------
def fake_package(folder: Path, n: int = 300, dim: int = 6, seed: int = 0):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    vec_path, idx_path = folder / "emb.npy", folder / "index.parquet"
    np.save(vec_path, np.asfortranarray(rng.normal(size=(n, dim)).astype(np.float32)))
    pq.write_table(pa.table({"index": [f"w{i}" for i in range(n)]}), idx_path)
    return str(vec_path), str(idx_path)


def test_embedded_cache_written_then_hit(cache_root, tmp_path):
    vec, idx = fake_package(tmp_path / "pkg")
    first = cache.load_embedded_fast("fake", vec, idx)
    assert first.load_report.cache == "written"
    second = cache.load_embedded_fast("fake", vec, idx)
    assert second.load_report.cache == "hit"
    assert is_mapped(second.vectors) and second.vectors.flags.c_contiguous
    np.testing.assert_array_equal(second.vectors, np.load(vec))
    assert second.words == tuple(f"w{i}" for i in range(300))
    assert (cache_root / "embedded" / "fake" / "vectors.npy").is_file()


def test_embedded_cache_rebuilt_when_the_package_changes(cache_root, tmp_path):
    vec, idx = fake_package(tmp_path / "pkg", seed=1)
    cache.load_embedded_fast("fake", vec, idx)
    st = os.stat(vec)
    fake_package(tmp_path / "pkg", seed=2)  # same sizes; new values
    os.utime(vec, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old time stamp
    again = cache.load_embedded_fast("fake", vec, idx)
    assert again.load_report.cache == "written"
    np.testing.assert_array_equal(again.vectors, np.load(vec))


def test_embedded_cache_damage_is_rebuilt(cache_root, tmp_path):
    vec, idx = fake_package(tmp_path / "pkg")
    cache.load_embedded_fast("fake", vec, idx)
    target = cache_root / "embedded" / "fake" / "vectors.npy"
    target.write_bytes(target.read_bytes()[:-8])
    again = cache.load_embedded_fast("fake", vec, idx)
    assert again.load_report.cache == "written"
    np.testing.assert_array_equal(again.vectors, np.load(vec))


def test_embedded_without_a_writable_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("GEOMLAB_CACHE_DIR", str(blocker))
    vec, idx = fake_package(tmp_path / "pkg")
    assert cache.load_embedded_fast("fake", vec, idx) is None


def test_default_vectors_come_from_the_cache(glove):
    assert glove.load_report.cache in ("written", "hit")
    assert glove.vectors.flags.c_contiguous and is_mapped(glove.vectors)
    assert (len(glove), glove.dim) == (400_000, 50)
    assert glove.words[:3] == ("the", ",", ".")
