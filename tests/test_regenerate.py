"""The committed calibration and validation outputs and the README tables agree, and the script
that regenerates them refuses a step it does not know."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import ROOT

SCRIPT = ROOT / "analysis" / "regenerate.sh"


def readme_block(marker: str, readme: str | None = None) -> str:
    """The text between the README's markers *marker*."""
    text = readme if readme is not None else (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker}:start -->\n(.*?)\n<!-- {marker}:end -->", text, re.S)
    assert found, f"README has no {marker} markers"
    return found.group(1).strip()


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
