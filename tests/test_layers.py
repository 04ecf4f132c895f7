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

import geomlab

ROOT = Path(geomlab.__file__).parent

#: lowest first; a part may import only parts of its own layer or below
LAYERS = [
    {"geomlab.errors", "geomlab._version", "geomlab._showcase"},
    {
        "geomlab._validation",
        "geomlab._io",
        "geomlab._paths",
        "geomlab._progress",
        "geomlab._parallel",
        "geomlab._save",
    },
    {"geomlab._record", "geomlab.plots"},
    {"geomlab.embeddings"},
    {"geomlab.loaders", "geomlab.scoring"},
    {"geomlab.geometry"},
    {"geomlab.evaluation"},
    {"geomlab.lm"},
    {"geomlab.training", "geomlab.explorer", "geomlab.polysemy"},
    {"geomlab.report"},
    {"geomlab.cli", "geomlab.__main__", "geomlab"},
]
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def _module_name(path: Path) -> str:
    parts = ("geomlab",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


def _part(module: str) -> str:
    bits = module.split(".")
    return "geomlab" if len(bits) == 1 else ".".join(bits[:2])


def _targets(node, package: str) -> list[str]:
    """The geomlab modules one import statement brings in."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = package.split(".")
        base = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    folder = ROOT.parent.joinpath(*base.split("."))
    out = []
    for a in node.names:  # `from . import cache` imports a module, not only the package
        sub = folder / a.name
        out.append(f"{base}.{a.name}" if sub.is_dir() or sub.with_suffix(".py").is_file() else base)
    return out


def imports() -> list[tuple[str, str, int]]:
    """(importing module, imported geomlab module, line) for every import statement,
    at the top of a module or inside a function."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        mod = _module_name(path)
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out += [
                    (mod, t, node.lineno)
                    for t in _targets(node, package)
                    if t == "geomlab" or t.startswith("geomlab.")
                ]
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m, path):
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return path[path.index(d) :] + [d]
            if d not in state and (found := visit(d, [*path, d])):
                return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m, [m])):
            return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_part_has_a_layer():
    parts = {_part(m) for m, _, _ in imports()} | {_part(t) for _, t, _ in imports()}
    missing = sorted(p for p in parts if p not in RANK)
    assert not missing, f"add these parts of geomlab to LAYERS: {missing}"


def test_no_part_imports_a_higher_layer():
    bad = []
    for mod, target, line in sorted(set(imports())):
        a, b = _part(mod), _part(target)
        if a != b and RANK.get(b, -1) > RANK.get(a, -1):
            bad.append(f"{mod}:{line} imports {target} ({a} is below {b})")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_parts_form_no_cycle():
    graph: dict[str, set[str]] = {}
    for mod, target, _ in imports():
        if _part(mod) != _part(target):
            graph.setdefault(_part(mod), set()).add(_part(target))
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_no_module_cycle_inside_a_part():
    # within a subpackage too, modules import one way; the package's own __init__ may
    # import its modules (at the top, or by name in a lazy table), never the reverse
    graph: dict[str, set[str]] = {}
    for mod, target, _ in imports():
        if mod != target and _part(mod) == _part(target) and _part(mod) != "geomlab":
            if target == _part(target) and mod != target:
                raise AssertionError(
                    f"{mod} imports its own package {target} (a cycle with the package's __init__)"
                )
            graph.setdefault(mod, set()).add(target)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_walk_sees_imports_inside_functions():
    found = {(m, t) for m, t, _ in imports()}
    # geomlab/cli/__init__.py imports __version__ inside a function
    assert ("geomlab.cli", "geomlab._version") in found
    # `from . import cache`: the module, not the package
    assert ("geomlab.loaders", "geomlab.loaders.cache") in found or any(
        m == "geomlab.loaders" and t.startswith("geomlab.loaders.") for m, t in found
    )
