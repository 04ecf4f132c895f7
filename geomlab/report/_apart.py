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

import contextlib
import os
import time
from functools import partial
from pathlib import Path

from .._io import REPORT_GENERATOR
from .sections import Context, Rendered
from .sections import get as get_section

__all__ = ["APART", "Apart", "draw"]

#: groups of sections computed apart, each group in its own process, in order (a group
#: shares one context). The four model sections as a second group measured no faster
#: (107 s against 112 s for the full report, 43 s against 38 s for the quick one): the
#: report is CPU-bound once the maps and figures run beside it.
APART: tuple[tuple[str, ...], ...] = (("projection",),)
#: what the quick run leaves in place: its maps take seconds, less than starting them apart
IN_PLACE_WHEN_QUICK = ("projection",)


#: zlib effort for the figures' PNG files (Pillow's default is 6)
PNG_COMPRESS_LEVEL = 3

_CHILD: dict = {}  # in the child: the report's context, shared by the sections it computes


def _one_thread() -> None:
    """In a child, once: BLAS, OpenMP and numba on one thread each.

    The parent keeps both cores busy with its own threads; a child's threads on top would
    oversubscribe them, and OpenMP's and OpenBLAS's waiting threads spin: t-SNE's OpenMP
    gradient took 71 s beside the parent instead of 8 s alone.
    """
    from threadpoolctl import threadpool_limits

    # libraries loaded later (scikit-learn's OpenMP, numba) read these when they load; the
    # ones loaded already (numpy's BLAS) are limited by threadpoolctl
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    _CHILD["limits"] = threadpool_limits(1)  # kept: the limit lasts while the object lives


def _draw_start() -> None:
    """In the drawing child, once: one thread, and matplotlib made ready by drawing a small
    figure into memory (its modules, fonts, Agg renderer and PNG encoder load on the first
    figure: 0.7-0.9 s of CPU) while the report computes its first sections, when the child
    would wait."""
    import io

    from ..plots import freeze_layout, new_figure, styled

    _one_thread()
    with styled():
        fig, ax = new_figure(width=3.0, height=2.0)
        ax.imshow([[0.0, 1.0], [1.0, 0.0]], cmap="magma")
        ax.plot([0, 1], [0, 1], label="warm")
        ax.set_title("warm")
        ax.set_xlabel("x")
        ax.legend()
        freeze_layout(fig).savefig(
            io.BytesIO(), format="png", pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL}
        )


def _start(emb, quick: bool, seed: int, words: tuple[str, ...]) -> None:
    """In the child, once: the same vectors and options as the parent's context."""
    _one_thread()
    _CHILD["ctx"] = Context(emb=emb, quick=quick, seed=seed, words=words)


def _in_place(key: str, ctx: Context):
    """A section computed here after all (see :class:`_Job`), as :func:`_compute` returns it."""
    t0 = time.perf_counter()
    numbers = get_section(key).compute(ctx)
    return numbers, {}, time.perf_counter() - t0


def _compute(key: str):
    """In the child: one section's numbers, the datasets it read, and its seconds."""
    ctx = _CHILD["ctx"]
    numbers, _, seconds = _in_place(key, ctx)
    return numbers, ctx.datasets, seconds


def _save(fig, folder: Path, name: str, svg: bool) -> dict:
    from ..plots import freeze_layout

    freeze_layout(fig)  # laid out once for both files, not twice per file
    png = folder / f"{name}.png"
    # zlib level 3 instead of 6: the same pixels, encoded in a third less time, files 2% larger
    fig.savefig(
        png,
        format="png",
        metadata={"Software": REPORT_GENERATOR},
        pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
    )
    out = {"png": f"{folder.name}/{png.name}"}
    if svg:
        fig.savefig(
            folder / f"{name}.svg",
            format="svg",
            metadata={"Date": None, "Creator": REPORT_GENERATOR},
        )
        out["svg"] = f"{folder.name}/{name}.svg"
    return out


def draw(
    key: str, numbers: dict, figdir: Path, svg: bool = True
) -> tuple[list[dict], Rendered, float]:
    """Draw one section's figures from its numbers into ``figdir``: the figures' entries
    (``png``, ``svg``, ``alt``), its Rendered (tables and captions; no figure objects) and
    the seconds it took. ``svg=False``: PNG files only, no SVG copies."""
    t0 = time.perf_counter()
    rendered = get_section(key).render(numbers)
    figs = [
        {**_save(f.figure, figdir, f.name, f.svg and svg), "alt": f.alt} for f in rendered.figures
    ]
    kept = Rendered(figures=[], tables=rendered.tables, caption=rendered.caption)
    return figs, kept, time.perf_counter() - t0


class _Sent:
    """A child's future, once a thread has submitted it (see :class:`Apart`)."""

    def __init__(self, thread, futures: dict, key: str):
        self._thread, self._futures, self._key = thread, futures, key

    def result(self):
        from concurrent.futures.process import BrokenProcessPool

        self._thread.join()
        future = self._futures.get(self._key)
        if future is None:  # the submission failed: the child never started
            raise BrokenProcessPool(f"could not start a process for {self._key!r}")
        return future.result()


class _Job:
    """A result from a child, or from ``fallback()`` in place when the child could not run.

    A spawned child imports the parent's main module; when that cannot be done (a script
    read from standard input, an embedding host), or the child dies, the pool is broken and
    the work is done here instead: slower, never lost.
    """

    def __init__(self, future, fallback):
        self._future, self._fallback = future, fallback
        self.in_place = future is None

    def get(self):
        from concurrent.futures.process import BrokenProcessPool

        if self._future is not None:
            try:
                return self._future.result()
            except BrokenProcessPool:
                self.in_place = True
        return self._fallback()


class Apart:
    """The helper processes of one report, started now (if they pay; see the module).

    ``key in apart`` says whether a section's numbers come from a child (:meth:`compute`);
    :meth:`draw` draws a section's figures in a child, or in place without one.

    Two waits are kept off the report's path, each on a thread of its own:

    - starting a child that computes sections sends it the report's vectors, and the send
      returns only once the child has read them (0.8 s for the 400,000 GloVe words: it
      imports geomlab first). The parent computes its first sections meanwhile.
    - a child exits, once it has nothing left to do, in about 0.8 s (the interpreter's
      clean-up, with numba, scikit-learn and matplotlib loaded): the maps' child as soon as
      the maps are collected, the drawing child once every figure is (:meth:`done`), while
      the parent writes the report. :meth:`close` waits for them.
    """

    def __init__(self, keys, ctx: Context):
        self._pools = []
        self._draw_pool = None
        self._pending = {}
        self._owner = {}  # section -> the pool computing it
        self._threads = []  # submissions, then shutdowns
        self._released = set()
        self.sent: tuple[str, ...] = ()  # the sections sent to a child
        self.computed: list[str] = []  # those a child computed (not in place after all)
        if len(keys) < 2 or (os.cpu_count() or 1) < 2:
            return
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor

        spawn = multiprocessing.get_context("spawn")
        for group in APART:
            todo = [k for k in group if k in keys and not (ctx.quick and k in IN_PLACE_WHEN_QUICK)]
            if not todo:
                continue
            pool = ProcessPoolExecutor(
                1, spawn, initializer=_start, initargs=(ctx.emb, ctx.quick, ctx.seed, ctx.words)
            )
            self._pools.append(pool)
            futures: dict = {}
            thread = threading.Thread(
                target=_submit, args=(pool, todo, futures), name="geomlab-apart", daemon=True
            )
            thread.start()
            self._threads.append(thread)
            for key in todo:
                self._pending[key] = _Job(_Sent(thread, futures, key), partial(_in_place, key, ctx))
                self._owner[key] = pool
        self.sent = tuple(k for k in keys if k in self._pending)
        self._draw_pool = ProcessPoolExecutor(1, spawn, initializer=_draw_start)
        self._pools.append(self._draw_pool)
        # the pool starts its process at the first submission: a no-op starts it now, so
        # that it imports and readies matplotlib (_draw_start) beside the first sections
        # instead of after them (quick report, three runs interleaved with the lazy start:
        # 17.7-19.9 s against 18.9-20.2 s)
        with contextlib.suppress(Exception):  # a pool that cannot start: draw() says so
            self._draw_pool.submit(int)

    @property
    def helping(self) -> bool:
        """Whether helper processes were started (they keep the other cores busy)."""
        return bool(self._pools)

    def __contains__(self, key: str) -> bool:
        return key in self._pending

    def compute(self, key: str, ctx: Context) -> tuple[dict, float]:
        """The section's numbers (its exceptions re-raised here) and its compute seconds."""
        job = self._pending.pop(key)
        try:
            numbers, datasets, seconds = job.get()
        finally:
            pool = self._owner.pop(key)
            if pool not in self._owner.values():  # its last section: the child may go
                self._release(pool)
        if not job.in_place:
            self.computed.append(key)
        for name, entry in datasets.items():
            ctx.datasets.setdefault(name, entry)
        return numbers, seconds

    def draw(self, key: str, numbers: dict, figdir: Path, svg: bool = True) -> _Job:
        """Draw and write a section's figures; ``.get()`` gives :func:`draw`'s result."""
        from concurrent.futures.process import BrokenProcessPool

        here = partial(draw, key, numbers, figdir, svg)
        if self._draw_pool is None:
            return _Job(None, here)
        try:
            future = self._draw_pool.submit(draw, key, numbers, figdir, svg)
        except BrokenProcessPool:  # the drawing child could not start, or died: draw here
            return _Job(None, here)
        return _Job(future, here)

    def _release(self, pool) -> None:
        """Let ``pool``'s child exit, on a thread (its work is all collected)."""
        import threading

        if pool in self._released:
            return
        self._released.add(pool)
        thread = threading.Thread(
            target=pool.shutdown, kwargs={"wait": True}, name="geomlab-apart-exit", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def done(self) -> None:
        """Every result and figure is collected: the children exit, beside the parent."""
        for pool in self._pools:
            self._release(pool)

    def close(self, *, stop: bool = False) -> None:
        """Shut the children down: at the end (everything collected), or ``stop`` them on an
        error or interrupt in the parent, without waiting for their work."""
        if not stop:
            self.done()
        for thread in self._threads:  # a submission ends once its child has read its data
            thread.join()
        for pool in self._pools:
            if stop:
                # ProcessPoolExecutor has no public terminate before Python 3.14
                procs = getattr(pool, "_processes", None) or {}
                for proc in list(procs.values()):
                    if proc.is_alive():
                        proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools, self._draw_pool, self._threads = [], None, []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(stop=exc_type is not None)


def _submit(pool, keys, futures: dict) -> None:
    """On a thread: submit the sections ``keys`` to ``pool``. A submission that fails (the
    child cannot be started) leaves its key out of ``futures``: computed in place."""
    try:
        for key in keys:
            futures[key] = pool.submit(_compute, key)
    except Exception:  # noqa: BLE001 - whatever stops a child stops it: the parent does the work
        pass
