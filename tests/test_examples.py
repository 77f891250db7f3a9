"""The runnable examples print what is committed beside them, and the docs show them as they are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
GUIDE = ROOT / "docs" / "user-guide.md"


def shown(name: str, text: str) -> tuple[str, str]:
    """The code and the output the guide shows between the markers of example *name*."""
    marker = f"example-{name.replace('_', '-')}"
    found = re.search(
        rf"<!-- {marker}:start -->\n```python\n(.*?)```\n.*?```\n(.*?)```\n<!-- {marker}:end -->", text, re.S
    )
    assert found, f"docs/user-guide.md has no {marker} block"
    return found.group(1), found.group(2)


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_prints_its_committed_output(path: Path) -> None:
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = path.with_suffix(".out").read_text(encoding="utf-8")
    assert done.stdout == expected, (
        f"regenerate: python {path.relative_to(ROOT)} > {path.with_suffix('.out').relative_to(ROOT)}"
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_guide_shows_the_example_as_it_is(path: Path) -> None:
    code, output = shown(path.stem, GUIDE.read_text(encoding="utf-8"))
    assert code == path.read_text(encoding="utf-8")
    assert output == path.with_suffix(".out").read_text(encoding="utf-8")


def test_the_comparison_can_fail() -> None:
    path = EXAMPLES[0]
    edited = GUIDE.read_text(encoding="utf-8").replace("n=4", "n=5", 1)
    code, _ = shown(path.stem, edited)
    assert code != path.read_text(encoding="utf-8")
