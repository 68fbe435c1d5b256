"""The package's layers (ARCHITECTURE.md): imports point down, with no cycle.

Every ``import`` in ``src/podbor`` counts, those under ``if TYPE_CHECKING:`` and inside functions
too: the graph of modules must have no cycle, and no module may import one of a higher layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Layers from the ground up; a module may import its own layer and those below. A module's layer
# is that of the longest prefix listed here.
LAYERS: dict[str, int] = {
    # core: records, distributions, encodings, errors, argument checks
    "podbor.exceptions": 0,
    "podbor.logging": 0,
    "podbor.version": 0,
    "podbor._deprecated": 0,
    "podbor._study_direction": 0,
    "podbor._validation": 0,
    "podbor.distributions": 0,
    "podbor._search_space": 0,
    "podbor._frozen_study": 0,
    "podbor._study_view": 0,
    "podbor._records": 0,  # trial states, FrozenTrial, BaseTrial, FixedTrial
    "podbor._arrays": 0,  # the numpy array types
    "podbor._learning_curve": 0,  # predicting a curve's end (numpy only)
    "podbor._hypervolume": 0,  # Pareto fronts and hypervolumes (numpy only)
    "podbor._gc": 0,  # the collector held back during bulk loads
    # storages; samplers and pruners (neither may import the other column)
    "podbor.storages": 1,
    "podbor.samplers": 1,
    "podbor.pruners": 1,
    # the study's internal interface and the live trial
    "podbor._study_core": 2,
    "podbor.trial": 2,
    # the study handle and its loop
    "podbor.study": 3,
    # what is built on studies
    "podbor.integration": 4,
    "podbor.validation": 4,
    "podbor.importance": 4,
    "podbor.visualization": 4,
    "podbor.testing": 5,  # test harnesses over the layers below: conformance suites, fault runs
    "podbor.search_space": 4,
    "podbor.artifacts": 4,  # files attached to studies and trials (over study and trial)
    "podbor.terminator": 4,  # when to stop a study (over study and the GP of samplers)
    "podbor.dashboard": 5,  # the web dashboard (over visualization and study)
    "podbor.cli": 5,
    "podbor": 5,
    "podbor.__main__": 6,
}

# Within layer 1, the columns that must not import each other.
COLUMNS = ("podbor.storages", "podbor.samplers", "podbor.pruners")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """Every podbor module ``module`` imports, wherever the import statement stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from podbor.study import _tell`` imports the submodule, not the package's names
            names = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [name for name in names if name in modules]
            found.update(submodules if len(submodules) == len(names) else [target])
    return found & modules


def _graph() -> dict[str, set[str]]:
    paths = {
        _module_name(p): p for p in (SRC / "podbor").rglob("*.py") if "migrations" not in p.parts
    }
    modules = set(paths)
    return {name: _imports(path, name, modules) - {name} for name, path in paths.items()}


def _layer(module: str) -> int:
    best = max(
        (prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")),
        key=len,
    )
    return LAYERS[best]


def _column(module: str) -> str | None:
    return next((c for c in COLUMNS if module == c or module.startswith(c + ".")), None)


GRAPH = _graph()


def test_every_module_has_a_layer() -> None:
    assert all(_layer(module) >= 0 for module in GRAPH)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    upward = [t for t in sorted(GRAPH[module]) if _layer(t) > _layer(module)]
    assert not upward, f"{module} (layer {_layer(module)}) imports higher layers: {upward}"
    column = _column(module)
    across = [t for t in GRAPH[module] if column and _column(t) not in (None, column)]
    assert not across, f"{module} imports another column of its layer: {sorted(across)}"


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
