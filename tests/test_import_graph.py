"""No import cycle among the project's modules, not even one that only type checking sees.

Every ``import`` statement counts: module-level, function-local and those under
``if TYPE_CHECKING:``. A type-only cycle runs fine today, but it ties the modules into one
knot: whoever moves a class or makes an import eager meets a partially initialised module.
The graph is read from the source with :mod:`ast` (nothing is imported).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Repository folder -> the name it is imported under.
PACKAGES = {
    "worker": "tarjama.worker",
    "tasks": "tarjama.tasks",
    "prompts": "tarjama.prompts",
    "benchmarks": "benchmarks",
    "tests": "tests",
}


def project_modules() -> dict[str, Path]:
    """Module name -> source file, for every .py file of the project's packages."""
    modules: dict[str, Path] = {}
    for folder, name in PACKAGES.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = [name, *path.relative_to(REPO / folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Every name an import statement of the module asks for, anywhere in it."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..y import z
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a ``from package import module`` names the
    module; a ``from module import name`` the module)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for name in _imported_names(tree, module, path.name == "__init__.py"):
            # the longest project module the name starts with: a.b.C -> a.b
            parts = name.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts:
                targets.add(".".join(parts))
        targets.discard(module)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_graph_sees_every_kind_of_import() -> None:
    # Given the graph read from the source
    graph = import_graph()
    # Then it holds the packages' modules and their imports: module-level, function-local
    # (the CLI imports its commands' modules lazily) and type-only (under TYPE_CHECKING)
    assert {"tarjama.worker.cli", "tarjama.tasks.client", "benchmarks.measure"} <= set(graph)
    assert "tarjama.worker.app" in graph["tarjama.worker.cli"]
    assert "tarjama.worker.settings" in graph["tarjama.worker.runtime"]  # TYPE_CHECKING only


def test_cycles_are_found() -> None:
    # Given a graph with a two-module knot and a three-module ring beside a clean chain
    graph = {
        "a": {"b"},
        "b": {"a", "c"},
        "c": set(),
        "x": {"y"},
        "y": {"z"},
        "z": {"x"},
    }
    # Then both are reported, the chain is not
    assert cycles(graph) == [["a", "b"], ["x", "y", "z"]]


def test_no_import_cycle_among_the_projects_modules() -> None:
    # Given every import statement of worker/, tasks/, prompts/, benchmarks/ and tests/
    graph = import_graph()
    # Then no group of modules imports itself round, even only for type checking
    knots = cycles(graph)
    assert knots == [], "import cycles (type-only and function-local imports count):\n" + (
        "\n".join(" <-> ".join(knot) for knot in knots)
    )


TORCH_FREE = """
import sys
from tarjama.worker.models import registry
from tarjama.worker.models.ctranslate2 import conversion, seq2seq
from tarjama.worker.settings import load_settings
import tarjama.worker.app, tarjama.worker.cli, tarjama.worker.models.weights
registry.model_path(load_settings(engine="ctranslate2"))
registry.model_path(load_settings(engine="transformers"))
print(",".join(m for m in ("torch", "transformers") if m in sys.modules))
"""


def test_the_parent_side_and_the_ctranslate2_path_import_no_torch() -> None:
    # When a fresh interpreter imports what the Celery parent runs (app, CLI, weights,
    # registry, conversion), picks either path, and imports the CTranslate2 loaders
    done = subprocess.run(
        [sys.executable, "-c", TORCH_FREE], capture_output=True, text=True, timeout=120, check=True
    )
    # Then neither torch nor transformers was imported
    assert done.stdout.strip() == ""
