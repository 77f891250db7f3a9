"""Calibration recovers parameters from data the model itself generated."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BASELINE, bordersim, textbook

from sim import plots, run
from sim.calibrate import Targets, calibrate, estimate_patterns, read_counts

TRUE_WEEKDAYS = [1.2, 1.1, 1.0, 1.0, 1.0, 0.9, 0.8]


def test_recovers_demand_weekdays_and_variation_from_model_data(tmp_path: Path) -> None:
    truth = textbook(
        {
            "run.days": 182,
            "run.warmup_days": 0,
            "gates.g.demand_trucks_per_day.import.general": 300,
            "gates.g.gate_control.lanes": 3,
            "gates.g.gate_control.service_min.default.mean": 2.0,
            "demand.weekday_factors": TRUE_WEEKDAYS,
            "demand.day_to_day_cv": 0.12,
        }
    )
    daily = run(truth, seed=11).daily
    daily = daily.rename(columns={"cleared": "trucks"})[["date", "gate", "direction", "trucks"]]
    daily = daily[daily["trucks"] > 0]
    csv = tmp_path / "observed.csv"
    daily.to_csv(csv, index=False)

    start = truth.with_changes(
        {
            "gates.g.demand_trucks_per_day.import.general": 150,
            "demand.weekday_factors": [1] * 7,
            "demand.day_to_day_cv": 0.02,
        }
    )
    targets = Targets(observed_csv=csv.name, peak_threshold_per_day=340)
    fit = calibrate(start, targets, tmp_path, n=3, seed=0, jobs=1, iterations=2, boot=50)
    sc = fit.scenario
    assert sc.demand.weekday_factors == pytest.approx(TRUE_WEEKDAYS, abs=0.07)
    base = sc.gates["g"].demand_trucks_per_day["import"]["general"]
    # The observed window's weekday mix is part of the mean, so compare what the fit reproduces.
    assert base == pytest.approx(300, rel=0.06)
    assert sc.demand.day_to_day_cv == pytest.approx(0.12, abs=0.05)
    row = fit.fitted.set_index("parameter").loc["base trucks/day g import"]
    assert 0 < row["se"] < 0.05 * row["value"]
    check = fit.comparison().set_index("target").loc["mean_per_day"]
    assert check["ci_low"] - 10 <= check["value"] <= check["ci_high"] + 10
    fig = plots.calibration(fit)
    assert len(fig.axes) == 2
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_legend() for ax in fig.axes)


def test_estimated_patterns_on_clean_numbers(tmp_path: Path) -> None:
    import pandas as pd

    dates = pd.date_range("2025-01-06", periods=28)
    trucks = [100 * TRUE_WEEKDAYS[d.weekday()] for d in dates]
    frame = pd.DataFrame({"date": dates, "gate": "g", "direction": "import", "trucks": trucks})
    csv = tmp_path / "c.csv"
    frame.to_csv(csv, index=False)
    obs = estimate_patterns(read_counts(csv, ["date", "gate", "direction", "trucks"]), threshold=115)
    mean_w = sum(TRUE_WEEKDAYS) / 7
    assert obs.weekday_factors == pytest.approx([w / mean_w for w in TRUE_WEEKDAYS], abs=1e-3)
    assert obs.peak_share == pytest.approx(4 / 28)
    assert obs.shares == {"g": {"import": 1.0}}


def test_bad_targets_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("mean_per_day: 1650\nshares: {huu_nghi: {export: 0.5, import: 0.6}}\n")
    done = bordersim("calibrate", str(BASELINE), "--targets", str(bad))
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "sum to 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_targets_file_loads_with_sources_definitions_bands_and_roles() -> None:
    from sim import load_scenario
    from sim.calibrate import load_targets
    from sim.joint import check_names

    targets, _ = load_targets(BASELINE.parent / "targets.yaml")
    names = {t.name for t in targets.targets}
    assert {"province_total", "export_procedure_time", "exports_held_at_20h", "no_growing_queue"} <= names
    holdout = {t.name for t in targets.targets if t.role == "holdout"}
    assert holdout == {"exports_held_at_20h_2024", "left_at_end_of_day_2026"}
    for t in targets.targets:
        assert "FF" in t.source
        assert t.definition
        assert t.tolerance
        assert t.band[0] <= t.band[1]
    check_names(load_scenario(BASELINE), targets.targets)  # every KPI a target names exists
    assert len(targets.parameters) >= 3


def test_a_target_with_an_aim_outside_its_band_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text(
        "mean_per_day: 1650\ntargets:\n  - {name: x, reported: r, source: FF 1, definition: d, tolerance: t,"
        " role: fit, kpi: cleared_per_day_mean, band: [1, 2], aim: 3}\n"
    )
    done = bordersim("calibrate", str(BASELINE), "--targets", str(bad))
    assert done.returncode == 2
    assert "outside the band" in done.stderr
    assert "targets.0" in done.stderr
