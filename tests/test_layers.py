"""Imports run in one direction: the world -> experiments and analysis -> presentation and CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

ORDER = ["world", "experiments", "presentation"]


def imported_layers(path: Path) -> set[str]:
    """The sim layers a module imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "sim" and len(parts) > 1 and parts[1] in ORDER:
                found.add(parts[1])
    return found


def violations(sim_dir: Path) -> list[str]:
    """Modules that import a layer above their own."""
    out = []
    for rank, layer in enumerate(ORDER):
        for path in sorted((sim_dir / layer).glob("*.py")):
            above = {x for x in imported_layers(path) if ORDER.index(x) > rank}
            out += [f"{layer}/{path.name} imports {x}" for x in sorted(above)]
    return out


def test_every_module_sits_in_a_layer() -> None:
    assert sorted(p.name for p in (ROOT / "sim").glob("*.py")) == ["__init__.py"]


def test_no_layer_imports_one_above_it() -> None:
    assert violations(ROOT / "sim") == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    for layer in ORDER:
        (tmp_path / layer).mkdir()
    (tmp_path / "world" / "model.py").write_text("def f():\n    from sim.presentation import plots\n")
    assert violations(tmp_path) == ["world/model.py imports presentation"]


@pytest.mark.parametrize("layer", ORDER)
def test_each_layer_says_what_it_holds(layer: str) -> None:
    assert (ROOT / "sim" / layer / "__init__.py").read_text(encoding="utf-8").startswith('"""')
