"""``bordersim run`` end to end: the results folder, its files and their consistency."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import BASELINE, bordersim

from sim import load_scenario


def test_run_writes_a_complete_results_folder(tmp_path: Path) -> None:
    out = tmp_path / "baseline_short"
    done = bordersim(
        "run",
        str(BASELINE),
        "-o",
        str(out),
        "--seed",
        "4",
        "--set",
        "run.days=12",
        "--set",
        "run.warmup_days=2",
    )
    assert done.returncode == 0, done.stderr
    assert "cleared per day" in done.stdout
    for name in (
        "summary.csv",
        "replications.csv",
        "daily.csv",
        "trucks.parquet",
        "queues.parquet",
        "scenario.yaml",
    ):
        assert (out / name).stat().st_size > 0, name
    for stem in ("queues_huu_nghi", "queues_tan_thanh", "daily_cleared", "time_in_system"):
        assert (out / "plots" / f"{stem}.png").stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["baseline_short"]  # no partial folders left

    trucks = pd.read_parquet(out / "trucks.parquet")
    daily = pd.read_csv(out / "daily.csv")
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")["mean"]
    assert daily["cleared"].sum() == (trucks["outcome"] == "cleared").sum()
    after = daily[~daily["warmup"]].groupby("date")["cleared"].sum()
    assert summary["cleared_per_day_mean"] == pytest.approx(after.mean(), rel=1e-12)

    text = (out / "scenario.yaml").read_text()
    assert "# seed: 4" in text
    assert yaml.safe_load(text)["run"]["days"] == 12
    again = load_scenario(out / "scenario.yaml")  # the resolved file runs again as it is
    assert again.run.days == 12


def test_rerun_replaces_the_folder_whole(tmp_path: Path) -> None:
    out = tmp_path / "r"
    args = [
        "run",
        str(BASELINE),
        "-o",
        str(out),
        "--no-plots",
        "-q",
        "--set",
        "run.days=3",
        "--set",
        "run.warmup_days=1",
    ]
    assert bordersim(*args).returncode == 0
    (out / "stale.txt").write_text("from an older run")
    assert bordersim(*args).returncode == 0
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
