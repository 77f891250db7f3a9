"""The HTML report: self-contained, complete, and rendered by a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib.image as mpimg
import pytest
from conftest import BASELINE, ROOT, bordersim

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "run"
    done = bordersim(
        "run",
        str(ROOT / "scenarios" / "chinese_slowdown.yaml"),
        "-n",
        "2",
        "--jobs",
        "2",
        "--set",
        "run.days=40",
        "--report",
        "-q",
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    return out / "report.html"


def test_report_is_self_contained_and_complete(report: Path) -> None:
    text = report.read_text()
    assert "What if the Chinese side checks trucks at 30% of its usual rate for five days?" in text
    assert "Trucks cleared per day, mean" in text
    assert "Chinese checkpoint, route 1119-1120 dedicated cargo road" in text
    assert "China time" in text
    assert text.count("data:image/png;base64,") >= 8
    assert 'src="http' not in text
    assert "src='http" not in text


def test_report_command_on_a_comparison(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    alt = ROOT / "scenarios" / "more_lanes_huu_nghi.yaml"
    done = bordersim(
        "compare",
        str(BASELINE),
        str(alt),
        "-n",
        "2",
        "--jobs",
        "1",
        "--set",
        "run.days=8",
        "--set",
        "run.warmup_days=1",
        "-o",
        str(out),
        "-q",
    )
    assert done.returncode == 0, done.stderr
    done = bordersim("report", str(out))
    assert done.returncode == 0, done.stderr
    text = (out / "report.html").read_text()
    assert "Comparison: baseline, more_lanes_huu_nghi" in text
    assert "time_in_system_h_mean" in text
    bad = bordersim("report", str(tmp_path))
    assert bad.returncode == 2
    assert "not a results folder" in bad.stderr


def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("REQUIRE_CHROMIUM"):
            pytest.fail("REQUIRE_CHROMIUM is set but no chromium is installed")
        pytest.skip("chromium is not installed (.ci/run installs it)")
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1200,2400",
                f"--screenshot={shot}",
                report.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        dom = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", report.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert "Key figures" in dom.stdout
    assert dom.stdout.count("<img") >= 8
    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 2000
    assert pixels[..., :3].std() > 0.05  # text and figures, not a blank page
