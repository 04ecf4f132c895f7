"""The lazy-import rule: `import geomlab` must not pull in the heavy dependencies."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import geomlab

HEAVY = ("gensim", "sklearn", "matplotlib", "umap", "dask", "scipy.stats", "scipy.optimize",
         "numba", "pyarrow", "gguf", "tokenizers", "xxhash", "platformdirs", "shtab")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_import_geomlab_is_light():
    assert _heavy(_modules_after("import geomlab")) == []


def test_cli_parser_is_light():
    # building the whole command-line parser (every command registered) imports nothing heavy
    assert _heavy(_modules_after("from geomlab.cli import build_parser; build_parser()")) == []


@pytest.mark.parametrize("name", [n for n in geomlab.__all__ if n != "__version__"])
def test_every_public_name_resolves(name):
    assert getattr(geomlab, name) is not None


def test_unknown_attribute_is_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        geomlab.nope  # noqa: B018


def test_report_subpackage_reachable_after_plain_import():
    out = subprocess.run([sys.executable, "-c", "import geomlab; print(geomlab.report.build.__name__)"],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == "build"


# -- the loaders' import graph -------------------------------------------------------------------
PACKAGE = Path(geomlab.__file__).parent
NOT_ON_THE_EMBEDDED_PATH = ("geomlab.loaders.remote", "geomlab.loaders.read",
                            "geomlab.loaders.detect", "geomlab.loaders.text",
                            "geomlab.loaders.binary", "geomlab.loaders.native", "geomlab._save")


def test_loading_the_embedded_set_imports_no_parser_and_no_network():
    mods = _modules_after("import geomlab\ngeomlab.load()")
    assert {"geomlab.loaders.cache", "geomlab.loaders.sources"} <= mods  # it did load
    assert sorted(mods.intersection(NOT_ON_THE_EMBEDDED_PATH)) == []


def test_loading_a_text_file_imports_the_parser(tmp_path):
    # the check above can fail: a text file does bring the parser in
    path = tmp_path / "v.txt"
    path.write_text("a 1 2\nb 3 4\n")
    mods = _modules_after(f"import geomlab\ngeomlab.load({str(path)!r}, cache=False)")
    assert {"geomlab.loaders.text", "geomlab.loaders.read"} <= mods
    assert "geomlab.loaders.remote" not in mods


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every geomlab module ``path`` imports, at the top or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = ".".join(p for p in (base if node.level else "", node.module or "") if p)
            folder = PACKAGE.parent.joinpath(*base.split("."))
            for a in node.names:  # `from . import cache` imports a module, not the package
                sub = folder / a.name
                found.add(f"{base}.{a.name}" if sub.is_dir() or sub.with_suffix(".py").is_file()
                          else base)
        elif isinstance(node, ast.Dict):  # a lazy table: name -> module, imported by name
            found.update(v.value for v in node.values
                         if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return {m for m in found if m.startswith("geomlab")}


def _graph(paths) -> dict[str, set[str]]:
    graph = {_module_name(p): _imports(p) for p in paths}
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m, path):
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in state and (found := visit(d, [*path, d])):
                return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m, [m])):
            return found
    return None


def test_the_import_walker_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_the_loaders():
    graph = _graph(sorted((PACKAGE / "loaders").glob("*.py")))
    # the package may import any of its modules (at the top, inside load(), or by name in
    # its lazy table): a module that imports the package back closes a cycle
    graph["geomlab.loaders"] |= set(graph) - {"geomlab.loaders"}
    assert _cycle(graph) is None


def test_the_core_object_does_not_import_the_loaders():
    for module in ("embeddings.py", "_save.py"):
        up = sorted(m for m in _imports(PACKAGE / module) if m.startswith("geomlab.loaders"))
        assert up == [], f"geomlab/{module} imports {up}"
    assert "geomlab._save" in _imports(PACKAGE / "embeddings.py")  # the walker sees it
