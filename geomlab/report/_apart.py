"""Work done in other processes while the report goes on: the maps, and the figures.

The maps section spends most of its time on one core: numba compiling UMAP (about 20 s in
every fresh process; umap-learn does not cache its compiled functions) and UMAP's seeded,
single-threaded layout. The other sections keep both cores busy with matrix products only
part of the time, so on a machine with two or more cores the sections in :data:`APART`
are computed beside them in a spawned process (not forked: the parent has BLAS and numba
threads running), one after the other with one shared context, and collected when their
turn comes. The numbers are the same as computed in place: the sections see the same
vectors, seed, words and options.

Drawing and writing a section's figures (matplotlib's layout and rendering, about a
second a figure) depends only on its numbers, so a third process draws each section as
soon as its numbers exist, while the next section computes. On one core, or for a report of
one section, everything happens in place, in order.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .._io import REPORT_GENERATOR
from .sections import Context, Rendered
from .sections import get as get_section

__all__ = ["APART", "Apart", "draw"]

#: groups of sections computed apart, each group in its own process, in order (a group
#: shares one context: the model loads once for its four sections)
APART: tuple[tuple[str, ...], ...] = (("projection",),)
#: what the quick run leaves in place: its maps take seconds, less than starting them apart
IN_PLACE_WHEN_QUICK = ("projection",)


_CHILD: dict = {}  # in the child: the report's context, shared by the sections it computes


def _start(emb, quick: bool, seed: int, words: tuple[str, ...]) -> None:
    """In the child, once: the same vectors and options as the parent's context."""
    _CHILD["ctx"] = Context(emb=emb, quick=quick, seed=seed, words=words)


def _compute(key: str):
    """In the child: one section's numbers, the datasets it read, and its seconds."""
    t0 = time.perf_counter()
    ctx = _CHILD["ctx"]
    numbers = get_section(key).compute(ctx)
    return numbers, ctx.datasets, time.perf_counter() - t0


def _save(fig, folder: Path, name: str, svg: bool) -> dict:
    png = folder / f"{name}.png"
    fig.savefig(png, format="png", metadata={"Software": REPORT_GENERATOR})
    out = {"png": f"{folder.name}/{png.name}"}
    if svg:
        fig.savefig(
            folder / f"{name}.svg",
            format="svg",
            metadata={"Date": None, "Creator": REPORT_GENERATOR},
        )
        out["svg"] = f"{folder.name}/{name}.svg"
    return out


def draw(key: str, numbers: dict, figdir: Path) -> tuple[list[dict], Rendered, float]:
    """Draw one section's figures from its numbers into ``figdir``: the figures' entries
    (``png``, ``svg``, ``alt``), its Rendered (tables and captions; no figure objects) and
    the seconds it took."""
    t0 = time.perf_counter()
    rendered = get_section(key).render(numbers)
    figs = [{**_save(f.figure, figdir, f.name, f.svg), "alt": f.alt} for f in rendered.figures]
    kept = Rendered(figures=[], tables=rendered.tables, caption=rendered.caption)
    return figs, kept, time.perf_counter() - t0


class _Done:
    """A drawing done in place, with the interface of a pool's pending result."""

    def __init__(self, value):
        self._value = value

    def get(self):
        return self._value


class Apart:
    """The helper processes of one report, started now (if they pay; see the module).

    ``key in apart`` says whether a section's numbers come from it (:meth:`compute`);
    :meth:`draw` draws a section's figures there, or in place without a second process.
    """

    def __init__(self, keys, ctx: Context):
        self._pools = []
        self._draw_pool = None
        self._pending = {}
        self.keys: tuple[str, ...] = ()  # the sections computed apart
        if len(keys) < 2 or (os.cpu_count() or 1) < 2:
            return
        import multiprocessing

        spawn = multiprocessing.get_context("spawn")
        for group in APART:
            todo = [k for k in group if k in keys and not (ctx.quick and k in IN_PLACE_WHEN_QUICK)]
            if not todo:
                continue
            pool = spawn.Pool(1, _start, (ctx.emb, ctx.quick, ctx.seed, ctx.words))
            self._pools.append(pool)
            for key in todo:
                self._pending[key] = pool.apply_async(_compute, (key,))
        self.keys = tuple(k for k in keys if k in self._pending)
        self._draw_pool = spawn.Pool(1)
        self._pools.append(self._draw_pool)

    def __contains__(self, key: str) -> bool:
        return key in self._pending

    def compute(self, key: str, ctx: Context) -> tuple[dict, float]:
        """The section's numbers (its exceptions re-raised here) and its compute seconds."""
        numbers, datasets, seconds = self._pending.pop(key).get()
        for name, entry in datasets.items():
            ctx.datasets.setdefault(name, entry)
        return numbers, seconds

    def draw(self, key: str, numbers: dict, figdir: Path):
        """Draw and write a section's figures; ``.get()`` gives :func:`draw`'s result."""
        if self._draw_pool is None:
            return _Done(draw(key, numbers, figdir))
        return self._draw_pool.apply_async(draw, (key, numbers, figdir))

    def close(self) -> None:
        """Stop the children (at the end, or on an error or interrupt in the parent)."""
        for pool in self._pools:
            pool.terminate()
            pool.join()
        self._pools, self._draw_pool = [], None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
