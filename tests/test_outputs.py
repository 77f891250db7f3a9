"""``bordersim run`` end to end: the results folder, its files and their consistency."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import BASELINE, bordersim

import sim
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
        "monthly.csv",
        "trucks.parquet",
        "queues.parquet",
        "scenario.yaml",
    ):
        assert (out / name).stat().st_size > 0, name
    for stem in ("overview", "daily_cleared", "time_in_system"):
        assert (out / "plots" / f"{stem}.png").stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["baseline_short"]  # no partial folders left

    trucks = pd.read_parquet(out / "trucks.parquet")
    daily = pd.read_csv(out / "daily.csv")
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")
    n = int(summary.loc["cleared_per_day_mean", "n"])
    assert n >= 10  # no -n: as many as the default precision needs, at least ten
    assert sorted(daily["replication"].unique()) == list(range(n))
    first = daily[daily["replication"] == 0]  # trucks.parquet holds the first replication
    assert first["cleared"].sum() == (trucks["outcome"] == "cleared").sum()
    after = daily[~daily["warmup"]].groupby(["replication", "date"])["cleared"].sum()
    assert summary.loc["cleared_per_day_mean", "mean"] == pytest.approx(
        after.groupby("replication").mean().mean()
    )

    monthly = pd.read_csv(out / "monthly.csv")  # the run's figures month by month, with n
    assert set(monthly["month"]) == {"2025-09"}
    assert (monthly["n"] == n).all()
    row = monthly.set_index("figure").loc["cleared_per_day_mean"]
    assert row["mean"] == pytest.approx(summary.loc["cleared_per_day_mean", "mean"])

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
        "-n",
        "2",  # the folder's replacement is checked, not the precision: two replications do
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


def test_results_folder_has_bottlenecks_and_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "b"
    done = bordersim(
        "run", str(BASELINE), "-o", str(out), "-n", "2", "--jobs", "1", "--no-plots",
        "--set", "run.days=8", "--set", "run.warmup_days=1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    bn = pd.read_csv(out / "bottlenecks.csv")
    assert set(bn.columns) >= {"gate", "direction", "stage", "utilisation", "grows_in", "n", "statement"}
    assert len(bn) == 8  # four gates, two directions
    assert "answer: Over 2025-09-02 to 2025-09-08, the gates clear " in done.stdout
    for row in bn.itertuples():
        assert row.statement.split(":")[0] in done.stdout  # the console says it out loud too
    book = pd.read_excel(out / "results.xlsx", sheet_name=None)
    assert list(book) == ["summary", "daily", "per_gate", "bottlenecks", "monthly", "answer"]
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")
    sheet = book["summary"].set_index("kpi")
    mean = summary.loc["cleared_per_day_mean", "mean"]
    assert sheet.loc["cleared_per_day_mean", "mean"] == pytest.approx(mean)
    assert sheet.loc["cleared_per_day_mean", "label"] == "Trucks cleared per day (mean) (trucks/day)"
    assert len(book["daily"]) == len(pd.read_csv(out / "daily.csv"))
    per_gate = book["per_gate"]
    assert set(per_gate["gate"]) == {"Huu Nghi", "Tan Thanh", "Chi Ma", "Coc Nam"}
    hn = per_gate[per_gate["gate"] == "Huu Nghi"]
    assert "utilisation_huu_nghi_china_check_r1119_1120" in set(hn["kpi"])
    assert not hn["kpi"].str.contains("tan_thanh").any()
    assert book["bottlenecks"]["statement"].tolist() == bn["statement"].tolist()


def test_vietnamese_console_summary(tmp_path: Path) -> None:
    done = bordersim(
        "run", str(BASELINE), "-o", str(tmp_path / "vi"), "--no-plots", "--lang", "vi", "-n", "2",
        "--set", "run.days=4", "--set", "run.warmup_days=1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "trả lời: Trong giai đoạn 02/09/2025 đến 04/09/2025, các cửa khẩu thông quan " in done.stdout
    assert "thông quan mỗi ngày: trung bình " in done.stdout
    assert "khâu nghẽn là " in done.stdout
    assert "cleared per day" not in done.stdout


def test_check_diff_shows_changes_and_the_load_table() -> None:
    from conftest import ROOT

    done = bordersim("check", str(ROOT / "scenarios" / "more_lanes_huu_nghi.yaml"), "--diff")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "gates.huu_nghi.gate_control.lanes: 6 -> 8" in lines
    assert "gates.huu_nghi.customs_docs.lanes: 6 -> 8" in lines
    assert not any(line.startswith("gates.tan_thanh") for line in lines)  # only what changes
    row = next(line for line in lines if "huu_nghi" in line and " customs_docs " in line).split()
    # 8 lanes x 60 / 10 min = 48 trucks an open hour; 69% busy before, 52% after.
    assert row[2:4] == ["8", "10.00"]
    assert row[5] == "48.0"
    assert row[-2:] == ["52%", "69%"]
    assert "china_check:r1119_1120" in done.stdout


def test_load_table_flags_a_stage_that_cannot_keep_up() -> None:
    from sim.world.load import load_table

    sc = load_scenario(BASELINE).with_changes({"gates.huu_nghi.routes.r1119_1120.china_check.lanes": 4})
    table = load_table(sc).set_index(["gate", "stage"])
    row = table.loc[("huu_nghi", "china_check:r1119_1120")]
    # Both directions' demand through the route's 66.7% share, 8 min a truck, 15 open hours.
    assert row["utilisation"] == pytest.approx(row["demand_per_day"] * 8 / (4 * 15 * 60), abs=1e-3)
    assert row["flag"] == "OVER"
    assert table.loc[("huu_nghi", "gate_control"), "flag"] == ""
    base = load_table(load_scenario(BASELINE)).set_index(["gate", "stage"])
    assert base.loc[("huu_nghi", "china_check:r1119_1120"), "flag"] == ""


def test_with_changes_names_variants_apart(baseline) -> None:
    from sim.world.scenario import DERIVED

    change = {"gates.huu_nghi.customs_docs.lanes": 8}
    assert baseline.with_changes(change).name == "baseline"
    assert baseline.with_changes(change, name="eight").name == "eight"
    assert baseline.with_changes(change, name=DERIVED).name == "baseline_customs_docs.lanes-8"
    short = baseline.with_changes({"run.days": 3, "run.warmup_days": 1})
    comp = sim.compare([short, short.with_changes(change)], n=1, seed=0, jobs=1)
    assert comp.names == ["baseline", "baseline_customs_docs.lanes-8"]
    sw = sim.sweep(short, {"gates.huu_nghi.customs_docs.lanes": [4, 8]}, n=1, seed=0, jobs=1)
    assert sw.labels == ["customs_docs.lanes=4", "customs_docs.lanes=8"]
    assert list(sw.table()["label"].unique()) == sw.labels
