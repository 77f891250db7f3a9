"""Imports run in one direction: the world -> experiments -> studies -> presentation and CLI, and no
module imports itself back through others (no import circle, inside a layer or across)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

ORDER = ["world", "experiments", "studies", "presentation"]


def imported_modules(path: Path) -> set[str]:
    """The ``sim`` modules *path* imports, at module level or inside functions (``from X import
    name`` counts as importing ``X.name`` when that is a module of the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sim":
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "sim")
    return found


def modules(sim_dir: Path) -> dict[str, Path]:
    """Every module of the package at *sim_dir*, by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(sim_dir.rglob("*.py")):
        parts = ["sim", *path.relative_to(sim_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imported_layers(path: Path) -> set[str]:
    """The sim layers a module imports."""
    return {
        m.split(".")[1] for m in imported_modules(path) if len(m.split(".")) > 1 and m.split(".")[1] in ORDER
    }


def violations(sim_dir: Path) -> list[str]:
    """Modules that import a layer above their own."""
    out = []
    for name, path in modules(sim_dir).items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] not in ORDER:
            continue
        rank = ORDER.index(parts[1])
        above = {x for x in imported_layers(path) if ORDER.index(x) > rank}
        out += [f"{name} imports {x}" for x in sorted(above)]
    return out


def circles(sim_dir: Path) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (strongly connected
    components of the import graph with more than one module, or a module importing itself)."""
    mods = modules(sim_dir)
    graph = {
        name: sorted(m for m in imported_modules(path) if m in mods and m != name)
        for name, path in mods.items()
    }
    # A package's __init__ that only holds a docstring imports nothing; an import of a package
    # name counts as an edge to its __init__.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for name in graph:
        if name not in index:
            visit(name)
    return sorted(found)


def test_every_module_sits_in_a_layer() -> None:
    assert sorted(p.name for p in (ROOT / "sim").glob("*.py")) == ["__init__.py"]
    assert sorted(
        p.name for p in (ROOT / "sim").iterdir() if p.is_dir() and p.name != "__pycache__"
    ) == sorted(ORDER)


def test_no_layer_imports_one_above_it() -> None:
    assert violations(ROOT / "sim") == []


def test_no_import_circle() -> None:
    assert circles(ROOT / "sim") == []


def _tree(tmp_path: Path) -> Path:
    for layer in ORDER:
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "__init__.py").write_text('"""A layer."""\n')
    return tmp_path


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "world" / "model.py").write_text("def f():\n    from sim.presentation import plots\n")
    (root / "presentation" / "plots.py").write_text("")
    assert violations(root) == ["sim.world.model imports presentation"]


def test_the_check_catches_a_circle_inside_a_layer(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "studies" / "optimise.py").write_text("from sim.studies.robustness import table\n")
    (root / "studies" / "robustness.py").write_text("def table():\n    from sim.studies import optimise\n")
    (root / "studies" / "other.py").write_text("from sim.studies.optimise import x\n")
    assert violations(root) == []
    assert circles(root) == [["sim.studies.optimise", "sim.studies.robustness"]]


def test_the_check_catches_a_circle_through_three_modules_and_a_subpackage(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "world" / "schema").mkdir()
    (root / "world" / "schema" / "__init__.py").write_text("")
    (root / "world" / "schema" / "names.py").write_text("import sim.world.scenario\n")
    (root / "world" / "scenario.py").write_text("from sim.world.checks import size\n")
    (root / "world" / "checks.py").write_text("from sim.world.schema.names import X\n")
    assert circles(root) == [["sim.world.checks", "sim.world.scenario", "sim.world.schema.names"]]


MAX_LINES = 650
"""About 600 lines: a module above this says at its top why it is longer."""
LONGER = "Longer than the ~600 lines a module here keeps to"


def long_without_reason(sim_dir: Path) -> list[str]:
    """Modules above :data:`MAX_LINES` whose docstring does not say why."""
    out = []
    for name, path in modules(sim_dir).items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and LONGER not in (ast.get_docstring(ast.parse(text)) or ""):
            out.append(f"{name}: {text.count(chr(10))} lines")
    return out


def test_a_long_module_says_why() -> None:
    assert long_without_reason(ROOT / "sim") == []


def test_the_length_check_can_fail(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "studies" / "big.py").write_text('"""A study."""\n' + "x = 1\n" * (MAX_LINES + 1))
    (root / "studies" / "said.py").write_text(
        f'"""A study.\n\n{LONGER}: one method."""\n' + "x = 1\n" * (MAX_LINES + 1)
    )
    assert long_without_reason(root) == [f"sim.studies.big: {MAX_LINES + 2} lines"]


@pytest.mark.parametrize("layer", ORDER)
def test_each_layer_says_what_it_holds(layer: str) -> None:
    assert (ROOT / "sim" / layer / "__init__.py").read_text(encoding="utf-8").startswith('"""')
