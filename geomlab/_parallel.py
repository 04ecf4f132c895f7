"""Threads for blocked work: how many, running blocks on them, and BLAS held to one thread.

numpy's matrix products and reductions release the GIL, so blocks of one computation run
on a thread pool with BLAS limited to one thread each (many small multi-threaded BLAS calls
would spin against each other, badly so on a busy machine).
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor, as_completed

from ._progress import progress as _progress

__all__ = ["blas_cap", "blas_threads", "blas_workers", "run_blocks", "workers"]

_BLAS_CAP: list[int] = []  # the limits of the blas_cap contexts entered, innermost last


def workers() -> int:
    """Threads for the tiled route: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run_blocks(fn, blocks, workers: int, *, progress=None, desc: str = "") -> None:
    """``fn(*block)`` for every block, on ``workers`` threads, as they complete.

    On an error or Ctrl-C the blocks not yet started are cancelled at once (a plain
    ``with ThreadPoolExecutor`` would run every queued block first: 8-14 s of an analogy
    evaluation); only the ones already running finish.
    """
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(fn, *b) for b in blocks]
        for f in _progress(
            as_completed(futures), total=len(futures), desc=desc, enabled=progress, unit="block"
        ):
            f.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def blas_threads(limit: int):
    """Limit BLAS's own threads while ours run (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=limit, user_api="blas")


def blas_workers() -> int:
    """The BLAS threads a computation that binds BLAS to the cores (the language model's
    :meth:`~geomlab.lm.model.LanguageModel.threads`) asks for: :func:`workers`, or less
    inside :func:`blas_cap`."""
    return min([workers(), *_BLAS_CAP])


@contextlib.contextmanager
def blas_cap(limit: int):
    """BLAS on at most ``limit`` threads inside, even where geomlab binds it to the cores.

    For a caller that keeps the other cores busy itself (the report, beside its helper
    processes): there BLAS's own threads only compete with that work, and OpenBLAS's
    waiting threads spin while they do.
    """
    _BLAS_CAP.append(int(limit))
    try:
        with blas_threads(limit):
            yield
    finally:
        _BLAS_CAP.pop()
