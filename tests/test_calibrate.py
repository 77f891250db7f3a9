"""Calibration recovers parameters from data the model itself generated."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BASELINE, bordersim, textbook

from sim import run
from sim.presentation import plots
from sim.studies.calibrate import Targets, calibrate, estimate_patterns, read_counts

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
    from sim.studies.calibrate import load_targets
    from sim.studies.joint import check_names

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


# --- the joint fit on a model with known parameters ----------------------------------------
# Tolerances, written before the first run: each parameter is recovered within 3 standard errors
# of the fit (the bootstrap redraws the targets' own sampling error, aim_se), and that standard
# error is below 10% of the parameter's range, so the check is not vacuous.

TRUTH = {"lam": 250.0, "svc": 4.4}
_T = {"reported": "simulated", "source": "FF none: made by the model", "definition": "d", "tolerance": "t"}


def _params() -> list:
    from sim.studies.joint import Parameter

    return [
        Parameter(
            name="lam",
            what="imports a day",
            range=(200, 280),
            start=220,
            set=["gates.g.demand_trucks_per_day.import.general"],
        ),
        Parameter(
            name="svc",
            what="gate-control minutes",
            range=(3.6, 4.6),
            start=3.8,
            set=["gates.g.gate_control.service_min.default.mean"],
        ),
        Parameter(  # the textbook has no exports: this one can move nothing
            name="dummy",
            what="export profile",
            range=(0.0, 1.0),
            start=0.0,
            mix="demand.hourly_profile.export",
            toward=[0] * 12 + [1] * 12,
        ),
    ]


@pytest.fixture(scope="module")
def known() -> tuple:
    """Targets made from 8 replications of the textbook queue at known parameter values."""
    import numpy as np

    from sim.experiments.designs import replicate
    from sim.studies.joint import Target, at_values

    base = textbook({"run.days": 15, "run.warmup_days": 1})
    truth = replicate(
        at_values(base, _params()[:2], list(TRUTH.values())), 8, 99, jobs=1, keep_series=False, keep_runs=0
    )
    targets, aim_se = [], {}
    for name, kpi in (("cleared", "cleared_per_day_mean"), ("util", "utilisation_g_gate_control")):
        x = Target(name=name, kpi=kpi, band=(0, 1e9), role="fit", **_T).values(truth)
        m = float(x.mean())
        targets.append(Target(name=name, kpi=kpi, band=(0.95 * m, 1.05 * m), aim=m, role="fit", **_T))
        aim_se[name] = float(x.std(ddof=1) / np.sqrt(len(x)))
    return base, targets, aim_se


def _recovered(fit) -> dict[str, bool]:
    v = fit.values.set_index("parameter")
    out = {}
    for name, true in TRUTH.items():
        lo, hi = v.loc[name, "low"], v.loc[name, "high"]
        se = v.loc[name, "se"]
        out[name] = bool(se < 0.1 * (hi - lo) and abs(v.loc[name, "value"] - true) <= 3 * se)
    return out


def test_joint_fit_screens_out_a_dead_parameter_and_recovers_known_values(known: tuple) -> None:
    from sim.studies.joint import joint_fit

    base, targets, aim_se = known
    fit = joint_fit(
        base, targets, _params(), n=5, n_screen=3, seed=0, jobs=1, n_check=3, boot=60, aim_se=aim_se
    )
    assert [p.name for p in fit.fitted] == ["lam", "svc"]
    status = fit.values.set_index("parameter")
    assert status.loc["dummy", "status"] == "fixed"
    assert "moves no fit target" in status.loc["dummy", "reason"]
    assert _recovered(fit) == {"lam": True, "svc": True}
    assert fit.conflicts == []
    assert set(fit.table["n"]) == {3}


def test_recovery_check_fails_with_a_blind_surface_or_a_shifted_target(known: tuple) -> None:
    from sim.studies.joint import joint_fit

    base, targets, aim_se = known
    params = _params()[:2]
    blind = joint_fit(
        base,
        targets,
        params,
        n=5,
        seed=0,
        jobs=1,
        n_check=2,
        boot=30,
        aim_se=aim_se,
        do_screen=False,
        degree=0,
    )
    assert _recovered(blind) != {"lam": True, "svc": True}
    aim = 1.1 * targets[0].aim  # a target 10% off the truth's own value
    shifted = [targets[0].model_copy(update={"aim": aim, "band": (0.95 * aim, 1.05 * aim)}), targets[1]]
    off = joint_fit(
        base, shifted, params, n=5, seed=0, jobs=1, n_check=2, boot=30, aim_se=aim_se, do_screen=False
    )
    assert not _recovered(off)["lam"]


def test_incompatible_targets_are_reported_as_a_conflict_and_a_miss(known: tuple) -> None:
    from sim.studies.joint import Target, joint_fit

    base, _, _ = known
    # 270 a day at >= 3.6 min a truck keeps one lane at least 68% busy: 55% cannot be had with it.
    targets = [
        Target(name="cleared", kpi="cleared_per_day_mean", band=(265, 275), aim=270, role="fit", **_T),
        Target(name="util", kpi="utilisation_g_gate_control", band=(0.54, 0.56), aim=0.55, role="fit", **_T),
    ]
    fit = joint_fit(base, targets, _params()[:2], n=3, seed=0, jobs=1, n_check=3, boot=10, do_screen=False)
    assert fit.conflicts
    text = " ".join(fit.conflicts)
    assert "util" in text
    assert "reachable alone" in text
    assert "cleared" in text
    assert "MISS" in set(fit.table["verdict"])


def test_a_band_out_of_reach_is_a_miss_and_said_so(known: tuple) -> None:
    from sim.studies.joint import Target, joint_fit

    base, _, _ = known
    targets = [Target(name="cleared", kpi="cleared_per_day_mean", band=(400, 420), role="fit", **_T)]
    fit = joint_fit(base, targets, _params()[:1], n=3, seed=0, jobs=1, n_check=3, boot=10, do_screen=False)
    row = fit.table.set_index("target").loc["cleared"]
    assert row["verdict"] == "MISS"
    assert row["ci_high"] < 400
    assert "out of reach" in fit.conflicts[0]


def test_calibrate_command_writes_the_joint_fit_and_the_readme_section(tmp_path: Path) -> None:
    import yaml
    from conftest import TEXTBOOK

    from sim import load_scenario

    data = {**TEXTBOOK, "run": {**TEXTBOOK["run"], "days": 8}}
    scenario = tmp_path / "tb.yaml"
    scenario.write_text(yaml.safe_dump(data))
    targets = {
        "mean_per_day": 240,
        "peak_threshold_per_day": 260,
        "peak_share": 0.05,
        "targets": [
            {
                "name": "util",
                "kpi": "utilisation_g_gate_control",
                "band": [0.6, 0.66],
                "role": "fit",
                **_T,
            },
        ],
        "parameters": [
            {
                "name": "svc",
                "what": "minutes",
                "range": [3.0, 5.0],
                "start": 4.2,
                "set": ["gates.g.gate_control.service_min.default.mean"],
            }
        ],
    }
    (tmp_path / "targets.yaml").write_text(yaml.safe_dump(targets, sort_keys=False))
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- calibration-table:start -->\nold\n<!-- calibration-table:end -->\n")
    out = tmp_path / "out"
    done = bordersim(
        "calibrate",
        str(scenario),
        "--targets",
        str(tmp_path / "targets.yaml"),
        "-n",
        "2",
        "--jobs",
        "1",
        "--check-replications",
        "3",
        "-o",
        str(out),
        "--readme",
        str(readme),
    )
    assert done.returncode == 0, done.stderr
    lines = (out / "calibrated.yaml").read_text().splitlines()
    header = "\n".join(x for x in lines if x.startswith("#"))
    assert "svc:" in header
    assert load_scenario(out / "calibrated.yaml").gates["g"].gate_control.lanes == 1
    for name in ("joint_fitted.csv", "targets_table.csv", "screen.csv", "design.csv", "response.png"):
        assert (out / name).is_file(), name
    text = readme.read_text()
    assert "old" not in text
    assert "| `util` |" in text
    assert "| 3 |" in text  # n of the check is shown


def test_a_counts_row_at_a_gate_the_scenario_lacks_names_the_file_row_and_column(tmp_path: Path) -> None:
    """A gate the scenario does not have, in the observed counts: the counts file, its row and
    its column are named, exit 2, before anything runs (it was 'targets: invalid scenario')."""
    from conftest import BASELINE, bordersim

    rows = ["date,gate,direction,trucks", "2025-01-06,huu_nghi,export,400", "2025-01-07,nowhere,export,406"]
    (tmp_path / "counts.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "targets.yaml").write_text("observed_csv: counts.csv\npeak_threshold_per_day: 2000\n")
    done = bordersim("calibrate", str(BASELINE), "--targets", "targets.yaml", "-o", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "counts.csv: invalid counts file" in done.stderr
    assert "row 2, column gate: unknown gate 'nowhere'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_calibrating_on_runs_too_short_to_clear_trucks_says_so(tmp_path: Path) -> None:
    """Two days with no warm-up clear no trucks at some gates: the fit cannot scale the demand,
    and says why (run.days) instead of blaming the scenario's demand with NaN values."""
    from conftest import BASELINE, ROOT, bordersim

    targets = ROOT / "scenarios" / "data" / "targets_synthetic.yaml"
    short = ["--set", "run.days=2", "--set", "run.warmup_days=0", "-n", "2", "--check-replications", "2"]
    done = bordersim(
        "calibrate", str(BASELINE), "--targets", str(targets), *short, "--jobs", "1", "-o", "o", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "RuntimeWarning" not in done.stderr
    assert "run.days: the runs clear no" in done.stderr
    assert "give longer runs" in done.stderr
    assert "nan" not in done.stderr.lower()
