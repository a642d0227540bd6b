"""The local backend is laid out by role, and its imports point one way.

``_store`` (database) <- ``_engine`` (jobs, runner, criteria, tools, models) <- ``_http`` (app,
routers); ``_demo`` seeds through the engine and the store; the public modules (``__init__``,
``cli``, ``models``, ``_server``) assemble them. The graph is read from the source with ``ast``,
function-level imports included, so a cycle hidden in a lazy import is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import pytest_pipelines.local

PACKAGE = "pytest_pipelines.local"
ROOT = Path(pytest_pipelines.local.__file__).parent
LAYERS = ("_store", "_engine", "_http", "_demo")
# The public entry points and the assembly; everything else lives in a layer.
TOP_LEVEL = {"__init__", "cli", "models", "_server"}
# What each layer must never import (type-only imports included: a layer's types are its API).
FORBIDDEN = {
    "_store": ("_engine", "_http", "_demo", "top"),
    "_engine": ("_http", "_demo", "top"),
    "_demo": ("_http", "top"),
    "_http": ("_demo", "top"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterable[tuple[str, bool]]:
    """``(imported module, type-only)`` for every import of the package in ``tree``."""
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                type_only.update(id(n) for n in ast.walk(child))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            # "from pkg import submodule" imports the submodule.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                yield name, id(node) in type_only


def import_graph() -> dict[str, set[tuple[str, bool]]]:
    """Module -> the package's modules it imports (with whether only for type checking)."""
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[tuple[str, bool]]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for name, type_only in _imports(tree, module, path.name == "__init__.py"):
            if name in paths and name != module:
                edges.add((name, type_only))
        graph[module] = edges
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None when acyclic."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def layer_of(module: str) -> str:
    """``_store``, ``_engine``, ``_http``, ``_demo`` or ``top`` (the public modules)."""
    rest = module[len(PACKAGE) + 1 :].split(".") if module != PACKAGE else []
    return rest[0] if rest and rest[0] in LAYERS else "top"


def test_find_cycle_finds_a_cycle_and_accepts_a_dag() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None


def test_imports_are_read_from_lazy_relative_and_type_only_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import jobs\n"
        "if TYPE_CHECKING:\n"
        "    from pytest_pipelines.local._engine.state import BackendState\n"
        "def f():\n"
        "    from pytest_pipelines.local._http import app\n"
    )
    found = set(_imports(ast.parse(source), f"{PACKAGE}._engine.runner", False))
    assert (f"{PACKAGE}._engine.jobs", False) in found
    assert (f"{PACKAGE}._engine.state", True) in found
    assert (f"{PACKAGE}._http.app", False) in found


def test_every_module_lives_in_a_layer_or_is_a_public_entry_point() -> None:
    stray = [
        m
        for m in import_graph()
        if layer_of(m) == "top" and m != PACKAGE and m.rsplit(".", 1)[-1] not in TOP_LEVEL
    ]
    assert stray == [], f"modules outside _store/_engine/_http/_demo: {stray}"


def test_no_import_cycles() -> None:
    """No cycle among the modules, counting every import that runs (lazy ones included)."""
    graph = import_graph()
    runtime = {m: [t for t, type_only in edges if not type_only] for m, edges in graph.items()}
    assert find_cycle(runtime) is None, f"import cycle: {' -> '.join(find_cycle(runtime) or [])}"


def test_no_cycles_between_layers() -> None:
    """The layers form a DAG even when type-only imports count."""
    layers: dict[str, set[str]] = {}
    for module, edges in import_graph().items():
        for target, _ in edges:
            if layer_of(target) != layer_of(module):
                layers.setdefault(layer_of(module), set()).add(layer_of(target))
    assert find_cycle(layers) is None, layers


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_dependencies_point_one_way(layer: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, edges in import_graph().items()
        if layer_of(module) == layer
        for target, _ in edges
        if layer_of(target) in FORBIDDEN[layer]
    )
    assert wrong == []
