"""The package's import graph: layered, with no cycle between its parts.

Every ``import`` / ``from ... import`` statement in geomlab's source is read with ``ast``,
including those inside functions (a lazy import is still a dependency: it runs the moment
the function does). Each module is mapped to its *part* (a subpackage such as
``geomlab.geometry``, or a top-level module such as ``geomlab.embeddings``), and the graph
of parts must respect :data:`LAYERS`: a part may import its own layer's parts or lower
ones, never a higher one, and the parts must form no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import geomlab

ROOT = Path(geomlab.__file__).parent

#: lowest first; a part may import only parts of its own layer or below
LAYERS = [
    {"geomlab.errors", "geomlab._version"},
    {"geomlab._validation", "geomlab._io", "geomlab._paths", "geomlab._progress",
     "geomlab._parallel", "geomlab._save"},
    {"geomlab._record", "geomlab.plots"},
    {"geomlab.embeddings"},
    {"geomlab.loaders", "geomlab.scoring"},
    {"geomlab.geometry"},
    {"geomlab.evaluation"},
    {"geomlab.lm"},
    {"geomlab.training", "geomlab.explorer"},
    {"geomlab.report"},
    {"geomlab.cli", "geomlab.__main__", "geomlab"},
]
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def _module_name(path: Path) -> str:
    parts = ("geomlab",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


def _part(module: str) -> str:
    bits = module.split(".")
    if len(bits) == 1:
        return "geomlab"
    return ".".join(bits[:2])


def imports() -> list[tuple[str, str, int]]:
    """(importing module, imported geomlab module, line) for every import statement."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        mod = _module_name(path)
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # "from geomlab import x" / "from . import x": x may be a module
                targets = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
                if not node.module and target == "geomlab":
                    targets = [target]  # the package itself (its lazy public names)
            else:
                continue
            out += [(mod, t, node.lineno) for t in targets
                    if t == "geomlab" or t.startswith("geomlab.")]
    return out


def test_every_part_has_a_layer():
    parts = {_part(m) for m, _, _ in imports()} | {_part(t) for _, t, _ in imports()}
    missing = sorted(p for p in parts if p not in RANK)
    assert not missing, f"add these parts of geomlab to LAYERS: {missing}"


def test_no_part_imports_a_higher_layer():
    bad = []
    for mod, target, line in imports():
        a, b = _part(mod), _part(target)
        if a != b and RANK.get(b, -1) > RANK.get(a, -1):
            bad.append(f"{mod}:{line} imports {target} ({a} is below {b})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_parts_form_no_cycle():
    graph: dict[str, set[str]] = {}
    for mod, target, _ in imports():
        a, b = _part(mod), _part(target)
        if a != b:
            graph.setdefault(a, set()).add(b)
    # depth-first search for a back edge
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_walk_sees_imports_inside_functions():
    # the reader must count a lazy import: geomlab/__init__.py resolves its public names
    # lazily, with an import inside __getattr__
    found = {(m, t) for m, t, _ in imports()}
    assert any(m == "geomlab.cli" or m.startswith("geomlab.cli.") for m, _ in found)
    assert ("geomlab", "geomlab.embeddings") in found or any(
        m == "geomlab" for m, _ in found)
