"""Sections computed in a second process while the report goes on with the others.

The maps section spends most of its time on one core: numba compiling UMAP (about 20 s in
every fresh process; umap-learn does not cache its compiled functions) and UMAP's seeded,
single-threaded layout. The other sections keep both cores busy with matrix products only
part of the time, so on a machine with two or more cores the maps are computed beside them
in a spawned process (not forked: the parent has BLAS and numba threads running) and
collected when their turn comes. The numbers are the same as computed in place: the section
sees the same vectors, seed, words and options.
"""

from __future__ import annotations

import os
import time

from .sections import Context
from .sections import get as get_section

__all__ = ["APART", "Apart"]

#: sections worth a process of their own (the quick run's maps take a few seconds: not those)
APART = ("projection",)


def _compute(key: str, emb, quick: bool, seed: int, words: tuple[str, ...]):
    """In the child: one section's numbers, the datasets it read, and its seconds."""
    t0 = time.perf_counter()
    ctx = Context(emb=emb, quick=quick, seed=seed, words=words)
    numbers = get_section(key).compute(ctx)
    return numbers, ctx.datasets, time.perf_counter() - t0


class Apart:
    """The sections of ``keys`` that run apart, started now; :meth:`result` collects one.

    Nothing runs apart on one core, in the quick run, or when only one section is asked
    for (there would be nothing to overlap with).
    """

    def __init__(self, keys, ctx: Context):
        self._pool = None
        self._pending = {}
        self.keys: tuple[str, ...] = ()  # the sections computed apart
        todo = [k for k in keys if k in APART]
        if not todo or ctx.quick or len(keys) < 2 or (os.cpu_count() or 1) < 2:
            return
        import multiprocessing

        self.keys = tuple(todo)
        self._pool = multiprocessing.get_context("spawn").Pool(1)
        for key in todo:
            self._pending[key] = self._pool.apply_async(
                _compute, (key, ctx.emb, ctx.quick, ctx.seed, ctx.words)
            )

    def __contains__(self, key: str) -> bool:
        return key in self._pending

    def compute(self, key: str, ctx: Context) -> tuple[dict, float]:
        """The section's numbers (its exceptions re-raised here) and its compute seconds."""
        numbers, datasets, seconds = self._pending.pop(key).get()
        for name, entry in datasets.items():
            ctx.datasets.setdefault(name, entry)
        return numbers, seconds

    def close(self) -> None:
        """Stop the child (at the end, or on an error or interrupt in the parent)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
