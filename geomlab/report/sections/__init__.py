"""The report's sections: each computes its numbers, then renders them.

A section is a :class:`Section`: ``compute(ctx) -> dict`` returns plain JSON-able numbers
(what ``results.json`` keeps and what the plot functions take), and ``render(results) ->
Rendered`` turns them into figures, tables and a caption written from those numbers.
Sections import the library functions they call like any module does; what several
sections share (probe words, the analogy evaluation, the language model) lives in
``_common``. A section that cannot be computed on the given vectors (a probe word missing,
no benchmark question covered) or without an optional package raises
:class:`Unavailable` (or the library's ``MissingDependencyError``), and the report says
why instead of showing numbers; any other error fails the build.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Context",
    "Figure",
    "Rendered",
    "Section",
    "Table",
    "Unavailable",
    "claim",
    "get",
    "need",
    "section_keys",
]


class Unavailable(Exception):
    """A section cannot be computed on these vectors (or without an optional package); the
    message says why."""


@dataclass
class Context:
    """What every section sees: the vectors, the run's options, shared work, provenance."""

    emb: object
    quick: bool = False
    seed: int = 0
    words: tuple[str, ...] = ()
    progress: bool = False
    datasets: dict = field(default_factory=dict)  # name -> {"path", "sha256", "bytes"}
    shared: dict = field(default_factory=dict)  # computations more than one section uses
    step: Callable[[str], None] = lambda text: None  # names the current step on the bar
    _ahead: dict = field(default_factory=dict, repr=False)  # key -> Future (see ahead)

    def record_dataset(self, name: str, path) -> None:
        """Note a data file a section read, with its SHA-256, for provenance."""
        if path is None or name in self.datasets:
            return
        p = Path(path)
        entry = {"path": str(p)}
        if p.is_file():
            entry["bytes"] = p.stat().st_size
            entry["sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
        self.datasets[name] = entry

    def once(self, key: str, compute: Callable[[], object]):
        """``compute()`` the first time ``key`` is asked for; the stored value after (or
        what :meth:`ahead` started, once it is done: its exception raised here)."""
        if key not in self.shared:
            started = self._ahead.pop(key, None)
            self.shared[key] = compute() if started is None else started.result()
        return self.shared[key]

    def ahead(self, key: str, compute: Callable[[], object]) -> None:
        """Start ``compute()`` for ``key`` on a thread of its own now, beside whatever
        runs next; :meth:`once` collects it."""
        if key in self.shared or key in self._ahead:
            return
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix=f"geomlab-{key}")
        self._ahead[key] = pool.submit(compute)
        pool.shutdown(wait=False)  # the thread ends with its one task


@dataclass
class Figure:
    name: str  # file stem under figures/
    figure: object  # a matplotlib Figure
    alt: str  # what it shows; also the visible figure caption
    svg: bool = False  # also write an SVG (line charts, where it stays small)


@dataclass
class Table:
    columns: list[str]
    rows: list[list]
    title: str | None = None


@dataclass
class Rendered:
    figures: list[Figure]
    tables: list[Table]
    caption: list[str]  # paragraphs, each an f-string over the results


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    compute: Callable[[Context], dict]
    render: Callable[[dict], Rendered]


def claim(number: int, measured: str, holds: bool, on: str | None = None) -> dict:
    """One seed claim (see the report's claims table) with what this run measured; ``on``
    names a model other than the word vectors (the language model) it was measured on."""
    out = {"claim": number, "measured": measured, "holds": bool(holds)}
    return {**out, "on": on} if on else out


_MODULES = [
    "vectors",
    "relevance",
    "softmax",
    "crossentropy",
    "analogies",
    "similarity",
    "polysemy",
    "calibration",
    "projection",
    "model",
    "modelcalibration",
    "modelpolysemy",
    "training",
]


def section_keys() -> list[str]:
    """The sections' names, in report order."""
    return list(_MODULES)


def get(key: str) -> Section:
    """The section called ``key`` (its module is imported on first use)."""
    return importlib.import_module(f"{__name__}.{key}").SECTION
