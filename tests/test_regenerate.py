"""The committed calibration and validation outputs and the tables of the docs agree, every
generated block lives in exactly one page, and the script that regenerates them refuses a step it
does not know."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import ROOT

SCRIPT = ROOT / "analysis" / "regenerate.sh"


PAGES = {
    "planned-fuzz-table": "docs/reliability.md",
    "fuzz-table": "docs/reliability.md",
    "scenario-table": "docs/scenarios.md",
    "calibration-table": "docs/calibration.md",
    "screen-table": "docs/uncertainty.md",
    "history-table": "docs/uncertainty.md",
    "validation-table": "docs/validation.md",
    "kpi-table": "docs/reference/kpis.md",
    "optimise-example": "docs/optimisation.md",
    "slowest-tests": "docs/speed.md",
    "loop-table": "docs/speed.md",
    "loop-instructions": "docs/speed.md",
    "speed-table": "docs/speed.md",
    "figure-cost": "docs/speed.md",
    "forecast-speed": "docs/forecasting.md",
    **{
        f"forecast-backtest{k}": "docs/forecasting.md"
        for k in ("", "-ensemble", "-ensemble-forecast", "-shock", "-lead6", "-lead12", "-lead24")
    },
}
"""The docs page each generated block is written into (``--readme PAGE`` of its command)."""


def readme_block(marker: str, readme: str | None = None) -> str:
    """The text between the markers *marker* of the page that holds them (or of *readme*)."""
    text = readme if readme is not None else (ROOT / PAGES[marker]).read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker}:start -->\n(.*?)\n<!-- {marker}:end -->", text, re.S)
    assert found, f"{PAGES.get(marker)} has no {marker} markers"
    return found.group(1).strip()


def test_every_generated_block_lives_in_one_page() -> None:
    pages = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    for marker, page in PAGES.items():
        start = f"<!-- {marker}:start -->"
        holders = [p.relative_to(ROOT).as_posix() for p in pages if start in p.read_text("utf-8")]
        assert holders == [page], marker


def test_every_regenerating_step_writes_into_the_page_of_its_block() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    assert "--readme README.md" not in script
    for marker in ("calibration-table", "history-table", "validation-table", "scenario-table", "kpi-table"):
        assert f"--readme {PAGES[marker]}" in script, marker


@pytest.mark.parametrize(
    ("marker", "output"),
    [
        ("validation-table", "validation/results/validation.md"),
        ("calibration-table", "calibration/calibration.md"),
    ],
)
def test_readme_table_is_the_committed_output(marker: str, output: str) -> None:
    assert readme_block(marker) == (ROOT / output).read_text(encoding="utf-8").strip()


def test_the_comparison_can_fail() -> None:
    edited = "<!-- validation-table:start -->\n| case | edited by hand |\n<!-- validation-table:end -->"
    assert readme_block("validation-table", edited) != (
        (ROOT / "validation/results/validation.md").read_text(encoding="utf-8").strip()
    )


def test_every_step_writes_what_is_committed() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    outputs = ("calibration", "validation/results", "analysis/baseline_2025.md", "analysis/overnight_hold.md")
    for path in outputs:
        assert path in script
        assert (ROOT / path).exists()


def test_an_unknown_step_is_refused_with_exit_2() -> None:
    done = subprocess.run(["bash", str(SCRIPT), "calibrat"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "unknown step 'calibrat'" in done.stderr
