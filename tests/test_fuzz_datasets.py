"""Fuzzing the analogy and word-pair dataset readers with a fixed seed.

Small valid benchmark files are mutated: a Google-style question file with ``: section``
lines, an MSR-style file without sections, a CSV question file with a ``category`` header,
a BATS folder of two category files (``word<TAB>answer1/answer2``), and word-pair files
(tab, space, comma with a header, the original 10-column SimLex-999 layout). Mutations:
truncation at random bytes, random byte flips, invalid UTF-8, a BOM, CRLF and CR line
endings, an empty file, a row missing a field or with one too many, non-numeric and
NaN/inf scores, duplicated rows, very long lines (one past the csv module's field limit).

Each case is read with :func:`load_analogies` / :func:`load_word_pairs` and evaluated end
to end with :func:`geomlab.evaluate_analogies` / :func:`geomlab.evaluate_similarity` on a
small hand-made vocabulary, in ``on_error="raise"`` and ``"skip"`` modes. It must either
succeed with sound numbers (no NaN appearing silently; the exact original where the
mutation keeps the content) or raise a ``GeomlabError`` whose message names the file and,
for a problem on one line, that line -- checked against the file's bytes, not just
present. Never another exception and never a hang (a per-case alarm).

Library bugs the fuzzer found (non-finite scores, the csv field limit, CSV quotes running
over lines, str.splitlines() line breaks, line numbers after a BOM, an empty set in skip
mode) are fixed; each keeps a minimal regression test below. ``KNOWN_BUGS`` is the
allowance for a newly found, not yet fixed bug: empty, and it must stay so when it is fixed.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import math
import random
import re
import signal
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import geomlab
from geomlab.evaluation.datasets import AnalogySet, WordPairSet, load_analogies, load_word_pairs

SEED = 20260612
MIN_CASES = 700  # mutated files; each is read and evaluated in both on_error modes
CASE_SECONDS = 5  # a case taking longer is a hang

# -- the valid seed files ---------------------------------------------------------------------
GOOGLE = """\
: capital-common-countries
Athens Greece Berlin Germany
Paris France Rome Italy
Berlin Germany Tokyo Japan
Tokyo Japan Athens Greece
: family
boy girl man woman
king queen prince princess
man woman boy girl
: gram8-plural
cat cats dog dogs
car cars day days
dog dogs year years
"""
MSR = """\
good better bad worse
big bigger small smaller
year years day days
king kings queen queens
"""
QCSV = """\
category,a,b,c,d
capital,paris,france,rome,italy
capital,berlin,germany,tokyo,japan
plural,cat,cats,dog,dogs
plural,car,cars,day,days
"""
BATS = {
    "E01 [country - capital].txt": "france\tparis\ngermany\tberlin\nitaly\trome/roma\njapan\ttokyo\ngreece\tathens\n",
    "I01 [noun - plural_reg].txt": "cat\tcats\ndog\tdogs\ncar\tcars/autos\nday\tdays\n",
}
PAIRS = [
    ("king", "queen", "8.5"),
    ("man", "woman", "8.3"),
    ("cat", "dog", "6.1"),
    ("car", "bus", "5.2"),
    ("good", "bad", "1.7"),
    ("big", "small", "2.9"),
    ("paris", "france", "7.4"),
    ("year", "day", "4.0"),
]
PAIRS_TSV = "# a comment\n" + "".join(f"{a}\t{b}\t{s}\n" for a, b, s in PAIRS)
PAIRS_SPACE = "".join(f"{a} {b} {s}\n" for a, b, s in PAIRS)
PAIRS_CSV = "word1,word2,score\n" + "".join(f"{a},{b},{s}\n" for a, b, s in PAIRS)
SIMLEX_HEADER = (
    "word1\tword2\tPOS\tSimLex999\tconc(w1)\tconc(w2)\tconcQ\tAssoc(USF)\tSimAssoc333\tSD(SimLex)\n"
)
SIMLEX = SIMLEX_HEADER + "".join(
    f"{a}\t{b}\tN\t{s}\t4.{i}\t3.{i}\t{1 + i % 4}\t{i}.25\t{i % 2}\t0.{i + 3}\n"
    for i, (a, b, s) in enumerate(PAIRS)
)

# name -> (reader, text); "bats/<file>" names a category file inside the BATS folder
BASES = {
    "google.txt": ("analogies", GOOGLE),
    "msr.txt": ("analogies", MSR),
    "questions.csv": ("analogies", QCSV),
    **{f"bats/{k}": ("analogies", v) for k, v in BATS.items()},
    "pairs.tsv": ("pairs", PAIRS_TSV),
    "pairs.txt": ("pairs", PAIRS_SPACE),
    "pairs.csv": ("pairs", PAIRS_CSV),
    "SimLex-999.txt": ("pairs", SIMLEX),
}
N_QUESTIONS = {"google.txt": 10, "msr.txt": 4, "questions.csv": 4, "bats": 5 * 4 + 4 * 3}


def vocabulary() -> geomlab.Embeddings:
    """Every fixture word (but 'roma' and 'autos': answers out of vocabulary) and distractors."""
    words = []
    for text in [GOOGLE, MSR, QCSV, *BATS.values(), PAIRS_SPACE]:
        for tok in re.split(r"[\s,/]+", text):
            if (
                tok
                and tok[0].isalpha()
                and tok not in ("category", "capital", "plural", "roma", "autos")
            ):
                words.append(tok.lower())
    words = list(dict.fromkeys(words + ["bus", "the", "of"]))
    vectors = np.random.default_rng(SEED).normal(size=(len(words), 8)).astype(np.float32)
    return geomlab.Embeddings(words, vectors, source="fuzz vocabulary")


# -- mutations: each yields (label, new bytes, expectation) -----------------------------------
# expectation: "same" (reads to exactly the original), "load" (must read, raise mode too),
# or None (anything allowed, within the rules)
INVALID_UTF8 = (b"\xff", b"\xc3", b"\xe6\x97", b"\xed\xa0\x80", b"\x80abc", b"\xc0\xaf")
SCORES = (b"abc", b"nan", b"NaN", b"inf", b"-inf", b"1e999", b"", b"--", b"8.5.1", b"1e5")
LONG = 140_000  # characters: past csv's default 131,072 field limit


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def _data_rows(lines: list[bytes]) -> list[int]:
    """Indices of the lines holding a question or a pair (no section, comment or header)."""
    out = []
    for i, ln in enumerate(lines):
        s = ln.strip()
        if s and not s.startswith((b":", b"#")) and not s.startswith((b"category", b"word1")):
            out.append(i)
    return out


def _fields(line: bytes) -> tuple[list[bytes], bytes]:
    sep = b"\t" if b"\t" in line else b"," if b"," in line else b" "
    return line.split(sep), sep


def mutations(name: str, reader: str, data: bytes, rng: random.Random):
    yield "empty", b"", None
    yield "blank lines only", b"\n \n\t\n", None
    for _ in range(16):
        cut = rng.randrange(len(data))
        yield f"truncate@{cut}", data[:cut], None
    for _ in range(16):
        out = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        yield "flip", bytes(out), None
    yield "bom", b"\xef\xbb\xbf" + data, "same"
    yield "crlf", data.replace(b"\n", b"\r\n"), "same"
    yield "bom+crlf", b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), "same"
    yield "cr", data.replace(b"\n", b"\r"), "same"
    yield "no final newline", data.rstrip(b"\n"), "same"
    yield "blank lines at the end", data + b"\n\n  \n", "same"
    yield "utf-16", data.decode().encode("utf-16"), None
    lines = _lines(data)
    rows = _data_rows(lines)
    for bad in INVALID_UTF8:
        out = list(lines)
        i = rng.choice(rows)
        k = rng.randrange(len(out[i]) + 1)
        out[i] = out[i][:k] + bad + out[i][k:]
        yield f"invalid utf-8 {bad!r} on line {i + 1}", _join(out), None
    out = list(lines)
    out.insert(rng.randrange(len(out) + 1), b"\xef\xbb\xbf")
    yield "BOM inside the file", _join(out), None
    for _ in range(3):
        out = list(lines)
        i = rng.choice(rows)
        fields, sep = _fields(out[i])
        del fields[rng.randrange(len(fields))]
        out[i] = sep.join(fields)
        yield f"missing field on line {i + 1}", _join(out), None
        out = list(lines)
        fields, sep = _fields(out[i])
        fields.insert(rng.randrange(len(fields) + 1), b"extra")
        out[i] = sep.join(fields)
        yield f"extra field on line {i + 1}", _join(out), None
        out = list(lines)
        out[i] = b""
        yield f"emptied line {i + 1}", _join(out), None
    for _ in range(3):
        out = list(lines)
        i = rng.choice(rows)
        out.insert(rng.randrange(i + 1, len(out) + 1), out[i])
        yield f"duplicated line {i + 1}", _join(out), "load"
    # characters str.splitlines() takes for line breaks (no editor does), then a bad line
    for ch in (b"\x0b", b"\x0c", b"\x1c", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8"):
        out = list(lines)
        i = rng.choice(rows[:-1])
        k = rng.randrange(1, len(out[i]))
        out[i] = out[i][:k] + ch + out[i][k:]
        out.append(b"a-bad-line")
        yield f"{ch!r} in line {i + 1}", _join(out), None
    # invalid UTF-8 right after a line break, with a BOM
    i = rng.choice(rows)
    out = list(lines)
    out[i] = b"\xff" + out[i]
    yield f"bom, invalid utf-8 starting line {i + 1}", b"\xef\xbb\xbf" + _join(out), None
    # stray double quotes opening a field on two lines: a CSV field running over lines
    for _ in range(2):
        out = list(lines)
        for i in sorted(rng.sample(rows, 2)):
            starts = [0] + [m.end() for m in re.finditer(rb"[,\t ]", out[i])]
            k = rng.choice(starts)
            out[i] = out[i][:k] + b'"' + out[i][k:]
        yield "stray quotes", _join(out), None
    # a quoted field running from one row into the next, then a bad row
    out = list(lines)
    i = rng.choice(rows[:-1])
    fields, sep = _fields(out[i])
    fields[1] = b'"' + fields[1]
    out[i] = sep.join(fields)
    fields, sep = _fields(out[i + 1])
    fields[0] = fields[0] + b'"'
    out[i + 1] = sep.join(fields)
    yield f"quoted field over lines {i + 1}-{i + 2}", _join(out + [b"bad"]), None
    out = list(lines)
    out.insert(rng.randrange(len(out) + 1), b"# a comment, with a comma")
    yield "comment line", _join(out), None
    out = list(lines)
    out.insert(rng.randrange(len(out) + 1), b"\t  \t")
    yield "whitespace line", _join(out), None
    # very long lines: a long word in a row, and a long junk line
    out = list(lines)
    i = rng.choice(rows)
    fields, sep = _fields(out[i])
    fields[0] = b"w" * LONG
    out[i] = sep.join(fields)
    yield f"long word on line {i + 1}", _join(out), None
    out = list(lines)
    out.insert(rng.randrange(len(out) + 1), b"ab " * (LONG // 3))
    yield "long junk line", _join(out), None
    out = list(lines)
    out.insert(rng.randrange(len(out) + 1), b"x" * LONG)
    yield "long token line", _join(out), None
    if reader == "pairs":
        for bad in SCORES:
            out = list(lines)
            i = rng.choice(rows)
            fields, sep = _fields(out[i])
            fields[3 if name.startswith("SimLex") else 2] = bad
            out[i] = sep.join(fields)
            yield f"score {bad!r} on line {i + 1}", _join(out), None
        out = list(lines)
        for i in rows:  # every score the same: no correlation
            fields, sep = _fields(out[i])
            fields[3 if name.startswith("SimLex") else 2] = b"5"
            out[i] = sep.join(fields)
        yield "constant scores", _join(out), None
    if "bats" in name:
        out = list(lines)
        i = rng.choice(rows)
        out[i] = out[i] + b"/"
        yield f"trailing slash on line {i + 1}", _join(out), "load"
        out = list(lines)
        out[i] = out[i].replace(b"\t", b" ")
        yield f"space for tab on line {i + 1}", _join(out), None
    if name == "google.txt":
        yield "section without questions", data + b": empty-section\n", "load"
        yield "section line with no name", b":\n" + data, "load"


def all_cases():
    rng = random.Random(SEED)
    for name, (reader, text) in BASES.items():
        for i, (label, content, expect) in enumerate(mutations(name, reader, text.encode(), rng)):
            yield name, reader, i, label, content, expect


# -- checking one case ------------------------------------------------------------------------
# messages about the whole file rather than one line
WHOLE_FILE = re.compile(
    r"empty file|no analogy questions found|a BATS category needs at least 2 word pairs|"
    r"only a header line|no category files|"
    r"no valid word pairs"  # the message the fix of test_regression_skip_mode_leaves_no_pairs uses
)
# Known library bugs, matched against problem descriptions: a bug the fuzzer finds and that is
# not fixed yet gets an entry here and a strict-xfail test below; remove both once fixed.
KNOWN_BUGS: dict[str, re.Pattern] = {}


class Hang(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: int):
    """Raise Hang after ``seconds`` (POSIX main thread; elsewhere a no-op)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"no result after {seconds} s")

    try:
        old = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def file_lines(data: bytes) -> list[bytes]:
    """The file's lines as an editor numbers them (LF, CRLF or CR), BOM removed."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return re.split(rb"\r\n|\r|\n", data)


# line breaks for str.splitlines() that are no line break in a text file
SPLITLINES_ONLY = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _norm(text: str) -> str:
    return re.sub(r'[\s,"]', "", text)


def check_line(exc: geomlab.FormatError, data: bytes) -> str | None:
    """Why the line ``exc`` names is not where the problem is (None: it is)."""
    why = _check_line(exc, data)
    # tag the circumstances of the known line-number bugs, so KNOWN_BUGS matches only them
    if why and data.startswith(b"\xef\xbb\xbf") and exc.reason == "not UTF-8 text":
        why += " (after a BOM)"
    elif why and SPLITLINES_ONLY.search(data.decode("utf-8", "replace")):
        why += " (the file holds a character str.splitlines() breaks lines at)"
    return why


def _check_line(exc: geomlab.FormatError, data: bytes) -> str | None:
    lines = file_lines(data)
    if not 1 <= exc.line <= len(lines):
        return f"line {exc.line} is outside the file ({len(lines)} lines)"
    raw = lines[exc.line - 1]
    if exc.reason == "not UTF-8 text":
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return f"line {exc.line} is valid UTF-8: {raw[:60]!r}"
    text = raw.decode("utf-8", "replace")
    got = re.search(r"got (['\"].*['\"])$", exc.reason)
    if got:  # the line quoted in the message must be that line
        quoted = ast.literal_eval(got.group(1))
        if _norm(quoted) not in _norm(text):
            return f"line {exc.line} does not hold {quoted!r}: {text[:60]!r}"
        return None
    n = re.search(r"comma-separated fields, got (\d+)", exc.reason)
    if n:  # that line must hold that many fields (a line is a row: no field runs over lines)
        row = next(csv.reader([text]), [])
        if len(row) != int(n.group(1)):
            return f"line {exc.line} holds a row of {len(row)} fields, not {n.group(1)}"
        return None
    if not text.strip():
        return f"line {exc.line} is blank"
    return None


def check_error(exc: BaseException, path: Path, where: Path, data: bytes) -> str | None:
    """Why ``exc`` breaks the rules (None: it does not). ``where`` is the mutated file."""
    if not isinstance(exc, geomlab.GeomlabError):
        return f"{type(exc).__name__}: {str(exc)[:150]}"
    msg = str(exc)
    if isinstance(exc, geomlab.FormatError):
        # the file the problem is in (a BATS folder's category file), or the folder
        if str(where) not in msg and str(path) not in msg:
            return f"message lacks the path: {msg[:150]}"
        if exc.line is None:
            if not WHOLE_FILE.search(msg):
                return f"no line number: {msg[:150]}"
            return None
        if exc.path == str(where):
            return check_line(exc, data)
        return None
    # an evaluation error (too few known pairs, constant scores) names the dataset
    if path.name not in msg:
        return f"message lacks the file name: {msg[:150]}"
    return None


def read(reader: str, path: Path, mode: str):
    if reader == "analogies":
        return load_analogies(path, on_error=mode)
    return load_word_pairs(path, on_error=mode)


def evaluate(reader: str, emb, path: Path, mode: str):
    if reader == "analogies":
        return geomlab.evaluate_analogies(emb, path, restrict_vocab=None, on_error=mode)
    return geomlab.evaluate_similarity(emb, path, restrict_vocab=None, on_error=mode)


def content(ds) -> tuple:
    """What a read set says, without its name and path."""
    if isinstance(ds, WordPairSet):
        return ds.pairs, ds.lines, ds.n_invalid
    return ds.kind, ds.sections, ds.n_invalid


def check_read(ds, reader: str) -> str | None:
    """Why a set that was read is unsound (None: it is sound)."""
    if isinstance(ds, WordPairSet):
        if not ds.pairs or len(ds.pairs) != len(ds.lines):  # empty: as load_analogies, raise
            return f"unsound word pairs: {len(ds.pairs)} pairs, {len(ds.lines)} lines"
        bad = [p for p in ds.pairs if not math.isfinite(p[2])]
        if bad:
            return f"non-finite score read silently: {bad[0]!r}"
        if not all(p[0] and p[1] for p in ds.pairs):
            return "a pair with an empty word"
        return None
    assert isinstance(ds, AnalogySet)
    if ds.kind == "questions":
        qs = [q for s in ds.sections for q in s.questions]
        if not qs or not all(len(q) == 4 and all(q) for q in qs):
            return "unsound questions"
        if ds.path.endswith(".csv") and any("," in w for q in qs for w in q):
            return "a word with a comma: CSV rows merged"
    elif not all(
        len(s.pairs) >= 2 and all(w and a and all(a) for w, a in s.pairs) for s in ds.sections
    ):
        return "unsound BATS pairs"
    return None


def check_result(r, reader: str, ds) -> str | None:
    """Why an evaluation result is unsound: a NaN where a number is promised, counts off."""
    if reader == "pairs":
        for k in ("spearman", "pearson"):
            if not math.isfinite(getattr(r, k)):
                return f"non-finite {k} {getattr(r, k)} for {r.n_pairs} pairs"
        if not (-1 <= r.spearman <= 1 and r.n_pairs >= 3):
            return f"unsound similarity result {r!r}"
        if r.n_pairs + r.n_oov != len(ds.pairs) or r.n_invalid != ds.n_invalid:
            return f"counts differ from the read set: {r!r}"
        return None
    if not (0 <= r.accuracy <= 1 and r.n_correct <= r.n_evaluated):
        return f"unsound accuracy {r.accuracy} ({r.n_correct}/{r.n_evaluated})"
    if r.n_evaluated + r.n_oov != ds.n_questions or r.n_invalid != ds.n_invalid:
        return (
            f"counts differ from the read set: {r.n_evaluated} + {r.n_oov} oov vs "
            f"{ds.n_questions} questions, n_invalid {r.n_invalid} vs {ds.n_invalid}"
        )
    if not all(math.isfinite(s.accuracy) for s in r.sections):
        return "a section accuracy is NaN"
    return None


def run_case(reader, emb, path, where, data, expect, expected) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = _run_case(reader, emb, path, where, data, expect, expected)
    # a warning (e.g. numpy's "invalid value") is how a NaN slips through
    problems += sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return problems


def _run_case(reader, emb, path, where, data, expect, expected) -> list[str]:
    problems = []
    outcome = {}
    for mode in ("raise", "skip"):
        for step in ("read", "evaluate"):
            try:
                with deadline(CASE_SECONDS):
                    out = (
                        read(reader, path, mode)
                        if step == "read"
                        else evaluate(reader, emb, path, mode)
                    )
            except Exception as exc:  # noqa: BLE001 - exactly what the fuzzer hunts
                why = check_error(exc, path, where, data)
                if why:
                    problems.append(f"{mode}/{step}: {why}")
                elif step == "read" and expect is not None:
                    problems.append(f"{mode}/{step}: should read: {str(exc)[:150]}")
                outcome[mode, step] = exc
                if step == "read":  # evaluating reads the file again: same error
                    try:
                        evaluate(reader, emb, path, mode)
                    except type(exc) as again:
                        if str(again) != str(exc):
                            problems.append(f"{mode}/evaluate: another error: {again}")
                    except Exception as again:  # noqa: BLE001
                        problems.append(f"{mode}/evaluate: {type(again).__name__}: {again}")
                    else:
                        problems.append(f"{mode}/evaluate: succeeded where reading failed")
                    break
                continue
            outcome[mode, step] = out
            why = (
                check_read(out, reader)
                if step == "read"
                else check_result(out, reader, outcome[mode, "read"])
            )
            if why:
                problems.append(f"{mode}/{step}: {why}")
            if step == "read" and expect == "same" and repr(content(out)) != expected:
                problems.append(f"{mode}/read: differs from the original")
    raised, skipped = outcome.get(("raise", "read")), outcome.get(("skip", "read"))
    # what reads in raise mode has no bad line: skip mode reads the same
    # (repr: a NaN read by a bug is not equal to itself)
    if (
        not isinstance(raised, BaseException)
        and not isinstance(skipped, BaseException)
        and (repr(content(raised)) != repr(content(skipped)) or raised.n_invalid)
    ):
        problems.append("skip mode reads a valid file differently")
    if (
        isinstance(raised, geomlab.FormatError)
        and raised.line is not None
        and not isinstance(skipped, BaseException)
        and not skipped.n_invalid
    ):
        problems.append(f"raise mode rejects line {raised.line}, skip mode skips nothing")
    return problems


def write_case(root: Path, name: str, data: bytes) -> tuple[Path, Path]:
    """(what the readers are given, the mutated file)."""
    if name.startswith("bats/"):
        folder = root / "bats"
        folder.mkdir()
        for fname, text in BATS.items():
            (folder / fname).write_text(text, encoding="utf-8")
        where = folder / name.split("/", 1)[1]
        where.write_bytes(data)
        return folder, where
    path = root / name
    path.write_bytes(data)
    return path, path


# -- the tests ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory):
    """Every case, run once for the whole module: (count, problems, seconds)."""
    emb = vocabulary()
    base = tmp_path_factory.mktemp("fuzz-base")
    expected = {}
    for name, (reader, text) in BASES.items():
        folder = base / name.replace("/", "-")
        folder.mkdir()
        path, _ = write_case(folder, name, text.encode())
        ds = read(reader, path, "raise")
        assert check_read(ds, reader) is None and ds.n_invalid == 0
        key = "bats" if name.startswith("bats/") else name
        assert reader == "pairs" or ds.n_questions == N_QUESTIONS[key]
        assert check_result(evaluate(reader, emb, path, "raise"), reader, ds) is None
        expected[name] = repr(content(ds))
    problems: list[str] = []
    count = 0
    root = tmp_path_factory.mktemp("fuzz-cases")
    t0 = time.perf_counter()
    for name, reader, _i, label, data, expect in all_cases():
        case_dir = root / f"case{count:04d}"
        case_dir.mkdir()
        path, where = write_case(case_dir, name, data)
        for p in run_case(reader, emb, path, where, data, expect, expected[name]):
            problems.append(f"{name} [{label}] {p}")
        count += 1
    return count, problems, time.perf_counter() - t0


def known(problem: str) -> str | None:
    return next((k for k, rx in KNOWN_BUGS.items() if rx.search(problem)), None)


def test_fuzzed_dataset_files(fuzz_run):
    count, problems, seconds = fuzz_run
    new = [p for p in problems if known(p) is None]
    assert not new, f"{len(new)} problems in {count} cases:\n" + "\n".join(new[:30])
    assert count >= MIN_CASES, count


def test_fuzzer_finds_no_known_bug(fuzz_run):
    # with KNOWN_BUGS empty this holds trivially; while it has entries, mark this test
    # xfail(strict=True) so it fails loudly once they are all fixed
    count, problems, _ = fuzz_run
    hits = sorted({known(p) for p in problems} - {None})
    assert not hits, f"known bugs still met: {hits}"


def test_case_list_is_stable():
    # the fixed seed makes the suite the same on every run
    first = [(n, label, len(c)) for n, _, _, label, c, _ in all_cases()]
    second = [(n, label, len(c)) for n, _, _, label, c, _ in all_cases()]
    assert first == second and len(first) >= MIN_CASES


def test_checks_catch_a_wrong_line_number(tmp_path):
    # the line check is not vacuous: a message naming the wrong line is reported
    data = b"king queen man woman\nparis france rome\n"
    wrong = geomlab.FormatError(
        "expected 4 words (a b c d) or a ': section' line, got 'paris france rome'", "f", 1
    )
    right = geomlab.FormatError(wrong.reason, "f", 2)
    assert check_line(right, data) is None
    assert check_line(wrong, data) == (
        "line 1 does not hold 'paris france rome': 'king queen man woman'"
    )
    assert check_error(ValueError("x"), tmp_path, tmp_path, data) == "ValueError: x"


# -- the bugs the fuzzer found, one minimal case each -------------------------------------------
@pytest.mark.parametrize("score", ["nan", "inf", "1e999"])
def test_regression_non_finite_score_is_rejected(tmp_path, score):
    p = tmp_path / "pairs.tsv"
    p.write_text(PAIRS_TSV.replace("6.1", score), encoding="utf-8")
    with pytest.raises(geomlab.FormatError, match=r"pairs\.tsv:4: "):
        load_word_pairs(p)


@pytest.mark.parametrize("name", ["pairs.csv", "questions.csv"])
def test_regression_csv_long_field_is_a_format_error(tmp_path, name):
    p = tmp_path / name
    text = PAIRS_CSV if name == "pairs.csv" else QCSV
    lines = text.splitlines()
    fields = lines[2].split(",")
    fields[1] = "w" * LONG
    lines[2] = ",".join(fields)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reader = load_word_pairs if name == "pairs.csv" else load_analogies
    with pytest.raises(geomlab.FormatError, match=re.escape(name) + ":3: "):
        reader(p)


def test_regression_line_numbers_after_a_form_feed(tmp_path):
    p = tmp_path / "q.txt"
    p.write_bytes(b"king queen man woman\nparis\x0cfrance rome italy\nbad line\n")
    with pytest.raises(geomlab.FormatError, match=r"q\.txt:3: ") as info:
        load_analogies(p)
    assert info.value.line == 3


def test_regression_invalid_utf8_line_after_a_bom(tmp_path):
    p = tmp_path / "q.txt"
    p.write_bytes(b"\xef\xbb\xbfking queen man woman\n\xffparis france rome italy\n")
    with pytest.raises(geomlab.FormatError, match=r"q\.txt:2: not UTF-8 text"):
        load_analogies(p)


def test_regression_skip_mode_leaves_no_pairs(tmp_path):
    p = tmp_path / "pairs.csv"
    p.write_text("word1,word2,score\nking\nqueen,\n", encoding="utf-8")
    with pytest.raises(geomlab.FormatError, match=r"pairs\.csv: no valid word pairs"):
        load_word_pairs(p, on_error="skip")


def test_regression_csv_quote_over_lines(tmp_path):
    p = tmp_path / "questions.csv"
    p.write_text(
        'category,a,b,c,d\ncapital,"paris,france,rome,italy\n'
        'capital,berlin",germany,tokyo,japan\nplural,cat,cats,dog\n'
        "plural,car,cars,day,days\n",
        encoding="utf-8",
    )
    with pytest.raises(geomlab.FormatError, match=r"questions\.csv:\d+: ") as info:
        load_analogies(p)
    # today: line 3, "got 4" -- the 4 fields are on line 4, and line 3 holds 5
    assert check_line(info.value, p.read_bytes()) is None
    ds = load_analogies(p, on_error="skip")
    assert not any("," in w for s in ds.sections for q in s.questions for w in q)
