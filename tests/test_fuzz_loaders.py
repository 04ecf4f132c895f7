"""Fuzzing the vector-file readers with a fixed seed.

Small valid word2vec text, fastText .vec, GloVe and word2vec binary files are mutated:
truncation at random bytes, random byte flips, headers claiming a huge count or dimension,
NaN/inf values, a row missing a value or with one too many, an empty file, a BOM, CRLF
line endings, invalid UTF-8 in a word, duplicated rows, and gzip wrapping (whole or
truncated). Each case is loaded with ``on_error="raise"`` and ``"skip"``; it must either
load to a sound ``Embeddings`` (the exact original, where the mutation keeps the content)
or raise a ``GeomlabError`` whose message names the file, and the line where the problem
is on a line. Never another exception, and never an allocation sized by a lying header.
"""

from __future__ import annotations

import gzip
import random
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import geomlab

SEED = 20260611
WORDS = ["the", "null", "nan", "NA", "true", "café", "日本", "e-mail", "x1", "naïve", "über", "--"]
DIM = 5
# messages that concern the whole file rather than one line
WHOLE_FILE = re.compile(
    r"empty file|corrupt or truncated (gzip|bz2|xz) data|no vectors could be read|zip archive|"
    r"pickle|UTF-16|header says .* which needs at least|the header says \d+ words of \d+ "
    r"dimensions: no vectors"
)


def base_vectors() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    v = rng.normal(size=(len(WORDS), DIM)).round(4).astype(np.float32)
    v[3] = 0.0  # an all-zero row: loads, reported
    return v


def text_lines(vectors: np.ndarray, trailing: str = "") -> list[bytes]:
    return [
        (w + " " + " ".join(repr(float(x)) for x in row) + trailing).encode()
        for w, row in zip(WORDS, vectors)
    ]


def base_files() -> dict[str, tuple[str, bytes]]:
    """name -> (kind, content); kind is "text" or "binary"."""
    v = base_vectors()
    header = f"{len(WORDS)} {DIM}\n".encode()
    lines = text_lines(v)
    binary = header + b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() for w, row in zip(WORDS, v)
    )
    binary_nl = header + b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() + b"\n" for w, row in zip(WORDS, v)
    )
    return {
        "w2v.txt": ("text", header + b"\n".join(lines) + b"\n"),
        "ft.vec": ("text", header + b"\n".join(text_lines(v, " ")) + b"\n"),
        "glove.txt": ("text", b"\n".join(lines) + b"\n"),
        "w2v.bin": ("binary", binary),
        "w2v-nl.bin": ("binary", binary_nl),
    }


# ---------------------------------------------------------------------------------------
# mutations: each returns (label, new content, must the result equal the original?)
# ---------------------------------------------------------------------------------------
def _split_header(data: bytes, has_header: bool) -> tuple[bytes, bytes]:
    if not has_header:
        return b"", data
    end = data.index(b"\n") + 1
    return data[:end], data[end:]


def mutations(name: str, kind: str, data: bytes, rng: random.Random):
    has_header = not name.startswith("glove")
    yield "empty", b"", False
    for _ in range(30):
        cut = rng.randrange(len(data))
        yield f"truncate@{cut}", data[:cut], False
    for _ in range(30):
        out = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        yield "flip", bytes(out), False
    yield "bom", b"\xef\xbb\xbf" + data, True
    yield "gzip", gzip.compress(data, mtime=0), True
    for _ in range(5):
        packed = gzip.compress(data, mtime=0)
        yield "gzip-truncated", packed[: rng.randrange(len(packed))], False
    for _ in range(3):
        out = bytearray(gzip.compress(data, mtime=0))
        out[rng.randrange(10, len(out))] ^= 1 << rng.randrange(8)
        yield "gzip-flip", bytes(out), False
    if has_header:
        head, body = _split_header(data, True)
        for claim in (
            b"99999999999 5\n",
            b"12 99999999999\n",
            b"12 400000000\n",
            b"4000000000 4000000000\n",
            b"13 5\n",
            b"11 5\n",
            b"12 4\n",
            b"12 6\n",
            b"x 5\n",
            b"12\n",
        ):
            yield f"header {claim!r}", claim + body, False
            yield f"gzip header {claim!r}", gzip.compress(claim + body, mtime=0), False
    if kind == "text":
        yield "crlf", data.replace(b"\n", b"\r\n"), True
        yield "bom+crlf", b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), True
        head, body = _split_header(data, has_header)
        lines = body.split(b"\n")[:-1]
        for bad in (b"nan", b"inf", b"-inf", b"NaN", b"1e40", b"-1e39", b"abc", b"", b"0x1p3"):
            out = list(lines)
            i = rng.randrange(len(out))
            parts = out[i].rstrip(b" ").split(b" ")
            parts[1 + rng.randrange(DIM)] = bad
            out[i] = b" ".join(parts)
            yield f"value {bad!r}", head + b"\n".join(out) + b"\n", False
        for _ in range(4):
            out = list(lines)
            i = rng.randrange(len(out))
            parts = out[i].rstrip(b" ").split(b" ")
            del parts[1 + rng.randrange(DIM)]
            out[i] = b" ".join(parts)
            yield "missing value", head + b"\n".join(out) + b"\n", False
            out = list(lines)
            out[i] = out[i].rstrip(b" ") + b" 0.5"
            yield "extra value", head + b"\n".join(out) + b"\n", False
        for bad in (b"\xff", b"\xc3", b"\xe6\x97", b"\xed\xa0\x80", b"\x80abc"):
            out = list(lines)
            i = rng.randrange(len(out))
            k = rng.randrange(out[i].index(b" ") + 1)
            out[i] = out[i][:k] + bad + out[i][k:]
            yield f"invalid utf-8 {bad!r}", head + b"\n".join(out) + b"\n", False
        for _ in range(4):
            out = list(lines)
            i = rng.randrange(len(out))
            out.insert(rng.randrange(i + 1, len(out) + 1), out[i])
            yield "duplicate row", head + b"\n".join(out) + b"\n", False
            if has_header:
                count = int(head.split()[0]) + 1
                fixed = f"{count} {DIM}\n".encode() + b"\n".join(out) + b"\n"
                yield "duplicate row, header counts it", fixed, False
        out = list(lines)
        out.insert(rng.randrange(1, len(out)), b"")
        yield "blank line", head + b"\n".join(out) + b"\n", False
        yield "blank lines at the end", data + b"\n\n \n", True
        yield "no final newline", data.rstrip(b"\n"), True
    else:
        head, body = _split_header(data, True)
        record = len(WORDS[0].encode()) + 1 + 4 * DIM
        for value in (np.nan, np.inf, -np.inf):
            out = bytearray(data)
            at = len(head) + len(WORDS[0]) + 1 + 4 * rng.randrange(DIM)
            out[at : at + 4] = np.float32(value).astype("<f4").tobytes()
            yield f"binary {value}", bytes(out), False
        for _ in range(4):
            at = len(head) + rng.randrange(len(body))
            yield "binary drop 4 bytes", data[:at] + data[at + 4 :], False
        first = body[:record]
        yield "binary duplicate record", head + first + body, False
        yield (
            "binary duplicate record, header counts it",
            f"{len(WORDS) + 1} {DIM}\n".encode() + first + body,
            False,
        )
        out = bytearray(data)
        out[len(head)] = 0xFF
        yield "binary invalid utf-8", bytes(out), False
        yield "binary trailing junk", data + b"junk", False
        yield "binary trailing newline", data + b"\n", True


def all_cases():
    rng = random.Random(SEED)
    for name, (kind, data) in base_files().items():
        for i, (label, content, exact) in enumerate(mutations(name, kind, data, rng)):
            yield name, kind, i, label, content, exact


def check_case(path: Path, kind: str, label: str, exact: bool, expected, problems: list):
    for mode in ("raise", "skip"):
        try:
            emb = geomlab.load(path, cache=False, on_error=mode)
        except geomlab.GeomlabError as exc:
            msg = str(exc)
            if str(path) not in msg:
                problems.append(f"{path.name} [{label}] {mode}: message lacks the path: {msg}")
            elif (
                kind == "text"
                and isinstance(exc, geomlab.FormatError)
                and exc.line is None
                and not WHOLE_FILE.search(msg)
            ):
                problems.append(f"{path.name} [{label}] {mode}: no line number: {msg}")
            elif exact:
                problems.append(f"{path.name} [{label}] {mode}: should load: {msg}")
            continue
        except Exception as exc:  # noqa: BLE001 - exactly what the fuzzer hunts
            problems.append(f"{path.name} [{label}] {mode}: {type(exc).__name__}: {exc}")
            continue
        v = np.asarray(emb.vectors)
        if not (
            len(emb) >= 1
            and v.dtype == np.float32
            and v.shape == (len(emb), emb.dim)
            and np.isfinite(v).all()
            and len(set(emb.words)) == len(emb)
        ):
            problems.append(f"{path.name} [{label}] {mode}: unsound result {emb!r}")
        if exact and (
            emb.words != expected.words or not np.array_equal(emb.vectors, expected.vectors)
        ):
            problems.append(f"{path.name} [{label}] {mode}: differs from the original")


def test_fuzzed_vector_files(tmp_path):
    expected = {}
    for name, (_, data) in base_files().items():
        path = tmp_path / f"base-{name}"
        path.write_bytes(data)
        expected[name] = emb = geomlab.load(path, cache=False)
        assert emb.words == tuple(WORDS) and emb.load_report.zero_vectors == 1
    problems: list[str] = []
    count = 0
    tracemalloc.start()
    try:
        for name, kind, i, label, content, exact in all_cases():
            path = tmp_path / f"case{i:03d}-{name}"
            path.write_bytes(content)
            check_case(path, kind, label, exact, expected[name], problems)
            path.unlink()
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not problems, f"{len(problems)} of {count} cases failed:\n" + "\n".join(problems[:30])
    assert count >= 500, count
    assert peak < 64 * 2**20, f"peak allocation {peak / 2**20:.0f} MiB"


def test_case_count_is_stable():
    # the fixed seed makes the suite the same on every run
    first = [(n, label, len(c)) for n, _, _, label, c, _ in all_cases()]
    second = [(n, label, len(c)) for n, _, _, label, c, _ in all_cases()]
    assert first == second and len(first) >= 500


@pytest.mark.parametrize("mode", ["raise", "skip"])
def test_lying_dimension_in_a_long_file(tmp_path, mode):
    # a plausible header (the size check passes) whose dimension the body does not have
    rows = b"".join(
        b"w%d " % i + b" ".join(b"0.5" for _ in range(DIM)) + b"\n" for i in range(2000)
    )
    path = tmp_path / "lie.txt"
    path.write_bytes(f"2000 {DIM * 40}\n".encode() + rows)
    with pytest.raises(geomlab.FormatError, match=r"lie.txt:\d+: "):
        geomlab.load(path, cache=False, on_error=mode)
