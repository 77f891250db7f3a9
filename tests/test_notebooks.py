"""Every notebook runs top to bottom, and none is committed with stale outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_is_a_what_if_notebook() -> None:
    assert ROOT / "notebooks" / "what_if.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: strip outputs before committing"
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every cell runs, on a shorter horizon than a reader's (the kernel inherits the environment).
    monkeypatch.setenv("BORDERSIM_NOTEBOOK_DAYS", "14")
    monkeypatch.setenv("BORDERSIM_NOTEBOOK_REPLICATIONS", "2")
    monkeypatch.setenv("BORDERSIM_NOTEBOOK_SETS", "2")
    monkeypatch.setenv("BORDERSIM_NOTEBOOK_SLOW_START", "2025-09-22")  # 14 days before the slowdown
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    images = sum(
        1 for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    )
    assert images >= 6  # the figures were drawn
