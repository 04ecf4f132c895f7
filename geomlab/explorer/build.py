"""``geomlab.explore``: compute what the page shows, then write the one self-contained file."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from .._io import is_report, write_text_atomic
from .._progress import progress as _progress_bar
from .._showcase import CAPITALS
from .._validation import check_int
from .._version import __version__
from ..errors import GeomlabError, ParameterError
from . import gather
from .page import is_explorer_page, render

__all__ = ["CANDIDATES", "DEFAULT_QUERY", "explore"]

# the dial's default candidates: the report's capitals
CANDIDATES = CAPITALS
DEFAULT_QUERY = "france"
_STEPS = ("map", "dial", "analogies", "model")


def _check_out(out: Path) -> Path:
    """``out/index.html``, after checking that it may be written: an index.html that this
    module did not write is never replaced, and a report folder is not an explorer's."""
    if out.exists() or out.is_symlink():
        if out.is_symlink() or not out.is_dir():
            raise GeomlabError(f"{str(out)!r} exists and is not a folder; choose another --out")
        if is_report(out):
            raise GeomlabError(
                f"{str(out)!r} holds a geomlab report, whose index.html the "
                "explorer would replace; choose another --out"
            )
        index = out / "index.html"
        if (index.exists() or index.is_symlink()) and (
            index.is_symlink() or not is_explorer_page(index)
        ):
            raise GeomlabError(
                f"{str(index)!r} exists and was not written by geomlab explore;"
                " it is never replaced: move it or choose another --out"
            )
    # a failed build writes nothing, so the folder is not created yet: look at the first
    # folder above it that exists
    parent = out
    while not (parent.exists() or parent.is_symlink()):
        parent = parent.parent
    if not parent.is_dir():
        raise GeomlabError(f"cannot create folder {str(out)!r}: {str(parent)!r} is not a folder")
    if not os.access(parent, os.W_OK):
        raise GeomlabError(f"cannot write to folder {str(parent)!r}: permission denied")
    return out / "index.html"


def _texts(values, name: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    out = tuple(values)
    bad = next((v for v in out if not isinstance(v, str) or not v.strip()), None)
    if bad is not None:
        raise ParameterError(f"{name} must hold non-empty strings, got {bad!r}")
    return out


def _model_part(lm, prompts, notes) -> dict:
    from ..lm.model import INSTALL

    if lm is False:
        return {
            "available": False,
            "reason": "it was left out of this build (lm=False, or --no-lm).",
            "install": INSTALL,
        }
    if lm is True:
        from ..lm.model import load_lm

        try:
            lm = load_lm()
        except GeomlabError as exc:
            notes.append(f"the language model could not be loaded: {exc}")
            return {"available": False, "reason": f"{exc}.".replace("..", "."), "install": INSTALL}
    if not prompts:
        return {"available": False, "reason": "no prompt was given.", "install": INSTALL}
    return gather.model(lm, prompts)


def explore(
    emb=None,
    out_dir: str | os.PathLike = "geomlab-explore",
    *,
    lm=True,
    words: Iterable[str] = (),
    n_words: int = 3000,
    method: str = "umap",
    query: str | None = None,
    candidates: Sequence[str] = CANDIDATES,
    questions: Sequence[Sequence[str]] = gather.QUESTIONS,
    prompts: Sequence[str] = gather.PROMPTS,
    seed: int = 0,
    progress: bool | None = None,
) -> Path:
    """Write the interactive explorer, one self-contained page: ``out_dir/index.html``.

    The page works offline from disk (no CDN, no request of any kind): a temperature dial
    that re-draws softmax over real logits (GloVe preference queries and the language
    model's next token), a 2-D map of ``n_words`` words with hover, search, nearest
    neighbors, zoom and pan, analogy parallelograms with ranked answers at the dial's
    temperature, and the model's attention heads and logit lens. The scores are computed
    here; softmax and entropy run in the page, as :func:`geomlab.softmax` computes them.

    Parameters
    ----------
    emb : Embeddings, optional
        The word vectors (the embedded GloVe 6B 50d when None).
    out_dir : path
        The folder; created if needed. Only its ``index.html`` is written, and an
        ``index.html`` that the explorer did not write is never replaced.
    lm : bool or LanguageModel
        True: the default model (SmolLM2-135M) when it is installed; when it is not, the
        page says how to add it. False: leave the model out. Or a loaded model.
    words : iterable of str
        Words that must be on the map (each must be in the vocabulary).
    n_words : int
        Words on the map: ``words``, then the most frequent ones (at least 5).
    method : {"umap", "pca", "tsne"}
        The map's projection (cached in geomlab's cache folder: a second build of the same
        map skips it).
    query : str, optional
        The dial's word-vector query, scored by dot product against ``candidates`` and
        against the whole vocabulary. Default: ``"france"`` when the vocabulary has it
        (else the page says the dial's query is missing); a word given must be in it.
    candidates : sequence of str
        The query's candidates (those not in the vocabulary are left out).
    questions : sequence of (a, b, c, d)
        Analogies a : b :: c : d (those with a word missing from the vocabulary are left
        out, and the page says so).
    prompts : sequence of str
        Texts for the model's next token, attention and logit lens.
    seed : int
        Fixes the projection.
    progress : bool, optional
        A progress bar on stderr; None: only when stderr is a terminal.

    Returns
    -------
    Path
        ``out_dir/index.html``.

    Examples
    --------
    >>> import geomlab
    >>> geomlab.explore(geomlab.load(), "explore", method="pca")      # doctest: +SKIP
    PosixPath('explore/index.html')
    """
    t0 = time.perf_counter()
    if emb is None:
        from ..loaders import load

        emb = load()
    from ..embeddings import check_embeddings

    check_embeddings(emb)
    check_int(seed, "seed", low=0)
    check_int(n_words, "n_words", low=5)
    if method not in ("umap", "pca", "tsne"):
        raise ParameterError(f"method must be one of umap, pca, tsne; got {method!r}")
    if not (lm is True or lm is False or hasattr(lm, "forward")):
        raise ParameterError(f"lm must be True, False or a LanguageModel, got {lm!r}")
    if query is None:
        query = DEFAULT_QUERY
    elif not isinstance(query, str):
        raise ParameterError(f"query must be a word, got {query!r}")
    else:
        emb.index(query)  # a word asked for must be there (with suggestions if not)
    candidates = _texts(candidates, "candidates")
    prompts = _texts(prompts, "prompts")
    questions = [_texts(q, "each question") for q in questions]
    bad = next((q for q in questions if len(q) != 4), None)
    if bad is not None:
        raise ParameterError(f"each question is (a, b, c, d) for a : b :: c : d, got {bad!r}")
    map_words = gather.map_words(emb, int(n_words), _texts(words, "words"))
    if len(map_words) < 5:
        raise ParameterError(
            f"the map needs at least 5 words with two letters or more; "
            f"these vectors have {len(map_words)}"
        )
    index = _check_out(Path(out_dir))

    notes: list[str] = []
    bar = _progress_bar(_STEPS, desc="explore", enabled=progress, unit="step")
    has_bar = hasattr(bar, "set_description")
    data: dict = {}
    timings: dict[str, float] = {}
    try:
        for step in bar:
            if has_bar:
                bar.set_description(f"explore: {step}")
            t_step = time.perf_counter()
            if step == "map":
                data["map"] = gather.word_map(emb, map_words, method=method, seed=int(seed))
            elif step == "dial":
                data["dials"], more = gather.dials(emb, query, candidates)
                notes.extend(more)
            elif step == "analogies":
                data["analogies"], more = gather.analogies(emb, questions)
                notes.extend(more)
            else:
                data["model"] = _model_part(lm, prompts, notes)
            timings[step] = round(time.perf_counter() - t_step, 2)
    finally:
        if has_bar:
            bar.close()
    data["meta"] = {
        "generator": "geomlab explore",
        "version": __version__,
        "source": emb.source or "in-memory vectors",
        "n_words": len(emb),
        "dim": emb.dim,
        "notes": notes,
        "timings": timings,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_text_atomic(index, render(data))
    return index
