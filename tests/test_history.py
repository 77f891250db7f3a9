"""History matching: the true parameter stays in the kept space, a wrong region is ruled out, a
target no parameter reaches is named and left out, and the ensemble round-trips."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import textbook
from test_theory import erlang_c_wait

from sim.presentation.cli import main
from sim.studies.ensemble import load_ensemble, write_ensemble
from sim.studies.history import (
    CUTOFF,
    Aim,
    HistoryMatch,
    history_match,
    history_match_scenario,
)
from sim.studies.joint import Target
from sim.world.ranges import validate_ranges
from sim.world.schema.names import ScenarioError

# --- an analytic stand-in with a known answer ----------------------------------------------------

ARRIVALS_PER_MIN = 1 / 15
LOW_MIN, HIGH_MIN = 4.0, 12.0
TRUE_MIN = 7.0
NOISE_SD = 0.3
"""Standard deviation of the noise added to each replication (minutes)."""


def mm1_wait(service_min: np.ndarray) -> np.ndarray:
    """Mean wait in queue of M/M/1 at 4 arrivals an hour (minutes)."""
    return ARRIVALS_PER_MIN * service_min**2 / (1 - ARRIVALS_PER_MIN * service_min)


def service_of(unit: np.ndarray) -> np.ndarray:
    """The service mean at unit position *unit*."""
    return LOW_MIN + (HIGH_MIN - LOW_MIN) * np.asarray(unit)


def unit_of(service_min: float) -> float:
    """The unit position of a service mean."""
    return (service_min - LOW_MIN) / (HIGH_MIN - LOW_MIN)


def evaluator() -> Any:
    """M/M/1 waits (first factor) plus noise of known variance; the second factor does nothing,
    and ``other`` is a second response, the service mean itself."""
    rng = np.random.default_rng(5)

    def evaluate(unit: np.ndarray, n: int) -> dict[str, list[np.ndarray]]:
        s = service_of(unit[:, 0])
        return {
            "wait": [w + rng.normal(0, NOISE_SD, n) for w in mm1_wait(s)],
            "service": [x + rng.normal(0, 0.05, n) for x in s],
            "never": [np.full(n, 1.0) + rng.normal(0, 0.01, n) for _ in s],
        }

    return evaluate


def band_at(service_min: float, margin: float = 0.1) -> tuple[float, float]:
    """The M/M/1 wait at *service_min*, plus and minus *margin* of it."""
    w = float(mm1_wait(np.array(service_min)))
    return w * (1 - margin), w * (1 + margin)


def match(aims: list[Aim], n: int = 2, waves: int = 2) -> HistoryMatch:
    """History matching of the stand-in over (service, dummy)."""
    return history_match(
        ["service", "dummy"],
        evaluator(),
        aims,
        waves=waves,
        runs_per_wave=10,
        n=n,
        seed=1,
        check_runs=5,
        candidates=4000,
        natural=lambda u: np.column_stack([service_of(u[:, 0]), u[:, 1]]),
    )


def assert_kept(hm: HistoryMatch, service_unit: float) -> None:
    """Points at *service_unit* (any dummy value) are kept by the final emulators."""
    pts = np.column_stack([np.full(5, service_unit), np.linspace(0.05, 0.95, 5)])
    worst = hm.max_implausibility(pts)
    assert (worst <= CUTOFF).all(), f"ruled out at {service_unit:.3f}: implausibility {worst}"


def assert_ruled_out(hm: HistoryMatch, low: float, high: float) -> None:
    """No kept candidate has its service factor in [low, high] (unit positions)."""
    u = hm.nroy[:, 0]
    inside = ((u >= low) & (u <= high)).sum()
    assert inside == 0, f"{inside} kept candidates between {low} and {high}"


def test_the_true_value_is_kept_and_the_top_quarter_ruled_out() -> None:
    hm = match([Aim("wait", *band_at(TRUE_MIN))])
    assert_kept(hm, unit_of(TRUE_MIN))
    assert_ruled_out(hm, 0.75, 1.0)
    assert_ruled_out(hm, 0.0, unit_of(5.0))
    shares = hm.nroy_table()["kept_share"].tolist()
    assert 0 < shares[-1] < 0.5
    assert all(b <= a for a, b in itertools.pairwise(shares))
    # each wave's kept set lies within the one before
    for before, after in itertools.pairwise(hm.kept):
        assert not (after & ~before).any()
    # the kept range of the service factor brackets the truth
    row = hm.kept_ranges().set_index("factor").loc["service"]
    assert row["kept_p05"] <= TRUE_MIN <= row["kept_p95"]
    assert row["kept_p95"] - row["kept_p05"] < 0.5 * (HIGH_MIN - LOW_MIN)


def test_the_checks_fail_when_the_band_is_moved_elsewhere() -> None:
    hm = match([Aim("wait", *band_at(11.0))])
    with pytest.raises(AssertionError, match="ruled out"):
        assert_kept(hm, unit_of(TRUE_MIN))
    with pytest.raises(AssertionError, match="kept candidates"):
        assert_ruled_out(hm, 0.75, 1.0)


def test_a_target_no_parameter_reaches_is_named_and_left_out_of_the_cut() -> None:
    hm = match([Aim("wait", *band_at(TRUE_MIN)), Aim("never", 50, 60)])
    assert set(hm.unreachable) == {"never"}
    assert hm.used == ["wait"]
    text = " ".join(hm.findings)
    assert "no parameter set in the ranges reaches never" in text
    assert "against band [50, 60]" in text
    assert abs(hm.unreachable["never"]["closest"] - 1.0) < 0.1
    assert not hm.empty
    assert_kept(hm, unit_of(TRUE_MIN))
    ruled = hm.by_target.set_index("target")
    assert ruled.loc["never", "ruled_out_share"] == 1.0
    assert 0.5 < ruled.loc["wait", "ruled_out_share"] < 1.0


def test_targets_that_together_rule_out_everything_empty_the_space() -> None:
    # each is reachable alone (wait near 5 min of service, service near 11), not both at once
    hm = match([Aim("wait", *band_at(5.0)), Aim("service", 10.8, 11.2)], waves=1)
    assert hm.empty
    assert not hm.unreachable
    assert any("NROY is empty" in f for f in hm.findings)
    assert len(hm.ensemble(50, 0)) == 0


def test_the_emulator_check_and_the_ruled_out_table() -> None:
    hm = match([Aim("wait", *band_at(TRUE_MIN))])
    summ = hm.check_summary().set_index("target")
    assert summ.loc["wait", "points"] == 5
    assert summ.loc["wait", "within_3"] >= 0.6
    table = hm.ruled_out
    assert list(table.columns) == ["factor", "bin_low", "bin_high", "kept_share", "wait"]
    top = table[(table["factor"] == "service") & (table["bin_low"] == 0.75)].iloc[0]
    assert top["kept_share"] == 0
    assert top["wait"] == 1.0
    assert hm.budget()["simulations"] == (len(hm.runs) + 5) * 2


def test_the_emulator_check_fails_when_the_fresh_runs_disagree_with_it() -> None:
    """A model that changes after the design (the fresh runs read 2 minutes more than the design
    runs did) must be called NOT consistent; the unchanged one is called consistent."""
    good = match([Aim("wait", *band_at(TRUE_MIN))])
    assert all("consistent with the fresh runs" in v and "NOT" not in v for v in good.check_verdict())
    calls = {"n": 0}
    inner = evaluator()

    def drifting(unit: np.ndarray, n: int) -> dict[str, list[np.ndarray]]:
        calls["n"] += 1
        out = inner(unit, n)
        if calls["n"] > 2:  # two design waves, then the check
            out["wait"] = [w + 2.0 for w in out["wait"]]
        return out

    bad = history_match(
        ["service", "dummy"], drifting, [Aim("wait", *band_at(TRUE_MIN))], waves=2, runs_per_wave=10, n=2,
        seed=1, check_runs=5, candidates=4000,
    )  # fmt: skip
    verdict = bad.check_verdict()
    assert len(verdict) == 1
    assert "NOT consistent" in verdict[0]


def test_one_replication_pools_the_noise_of_repeated_points() -> None:
    hm = match([Aim("wait", *band_at(TRUE_MIN))], n=1, waves=1)
    # the known noise variance, from 3 points run twice: within a factor of 10 of NOISE_SD^2
    var = hm.runs["wait_var"].to_numpy()
    assert np.ptp(var) == 0
    assert NOISE_SD**2 / 10 < var[0] < NOISE_SD**2 * 10
    assert hm.budget()["simulations"] == len(hm.runs) + 5 + 2 * 3
    assert_kept(hm, unit_of(TRUE_MIN))


# --- through the simulator: M/M/c with Erlang C -----------------------------------------------

LANES = 3
TRUCKS_PER_DAY = 360
SIM_LOW_MIN, SIM_HIGH_MIN = 4.0, 10.0
"""Service means over which every point is stable (utilisation 0.33 to 0.83 on 3 lanes)."""
SIM_TRUE_MIN = 6.0
MARGIN = 0.3
"""The band is Erlang C's wait at the true service mean +-30%: two replications of 7 days after a
day's warm-up (about 2,500 trucks each) estimate a mean wait near 1 minute to within about 15%."""
KPI = "wait_min_mean_g_gate_control"


def sim_scenario() -> Any:
    return textbook(
        {
            "gates.g.gate_control.lanes": LANES,
            "gates.g.demand_trucks_per_day.import.general": TRUCKS_PER_DAY,
        }
    )


RANGES = {
    "name": "textbook",
    "factors": {
        "service": {
            "what": "mean gate control service time (min)",
            "set": ["gates.g.gate_control.service_min.*.mean"],
            "low": SIM_LOW_MIN,
            "high": SIM_HIGH_MIN,
            "source": "ASSUMPTION: a test range",
        }
    },
}


def erlang_band(service_min: float) -> tuple[float, float]:
    w = erlang_c_wait(TRUCKS_PER_DAY / 1440, service_min, LANES)
    return w * (1 - MARGIN), w * (1 + MARGIN)


def wait_target(band: tuple[float, float]) -> Target:
    return Target(
        name="wait",
        reported="x",
        source="test",
        definition="x",
        tolerance="x",
        role="fit",
        kpi=KPI,
        band=band,
    )


def sim_match(band: tuple[float, float]) -> HistoryMatch:
    return history_match_scenario(
        sim_scenario(),
        validate_ranges(RANGES, "test-ranges"),
        [wait_target(band)],
        waves=1,
        runs_per_wave=8,
        n=2,
        days=8,
        seed=0,
        check_runs=2,
        candidates=2000,
        jobs=1,
    )


@pytest.fixture(scope="module")
def sim_hm() -> HistoryMatch:
    return sim_match(erlang_band(SIM_TRUE_MIN))


def sim_unit(service_min: float) -> float:
    return (service_min - SIM_LOW_MIN) / (SIM_HIGH_MIN - SIM_LOW_MIN)


def test_the_simulator_keeps_the_true_service_mean_and_rules_out_the_far_end(sim_hm: HistoryMatch) -> None:
    assert sim_hm.max_implausibility(np.array([[sim_unit(SIM_TRUE_MIN)]]))[0] <= CUTOFF
    u = sim_hm.nroy[:, 0]
    assert len(u) > 0
    assert not (u >= 0.75).any()
    assert sim_hm.runs.shape[0] == 8
    assert {"wave", "point", "u_service", "service", "wait_mean", "wait_var"} <= set(sim_hm.runs.columns)


def test_the_simulator_rules_out_the_truth_when_the_band_is_elsewhere() -> None:
    hm = sim_match(erlang_band(9.0))
    assert hm.max_implausibility(np.array([[sim_unit(SIM_TRUE_MIN)]]))[0] > CUTOFF
    assert not (hm.nroy[:, 0] < sim_unit(7.0)).any()


def test_the_ensemble_round_trips_and_a_damaged_table_is_refused(
    sim_hm: HistoryMatch, tmp_path: Path
) -> None:
    ranges = validate_ranges(RANGES, "test-ranges")
    sets = sim_hm.ensemble(20, 0)
    assert 0 < len(sets) <= 20
    assert (sets["implausibility"] <= CUTOFF).all()
    path = write_ensemble(tmp_path / "ens", ranges, sets, {"made_by": "test"})
    back = load_ensemble(path)
    pd.testing.assert_frame_equal(back.sets, sets.reset_index(drop=True))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ScenarioError, match=r"ens\.parquet"):
        load_ensemble(path)


# --- the command line --------------------------------------------------------------------------


def write_inputs(tmp_path: Path, ranges: dict[str, Any] = RANGES) -> tuple[Path, Path, Path]:
    sc = tmp_path / "textbook.yaml"
    sc.write_text(yaml.safe_dump(sim_scenario().to_dict(), sort_keys=False), encoding="utf-8")
    targets = tmp_path / "targets.yaml"
    lo, hi = erlang_band(SIM_TRUE_MIN)
    targets.write_text(
        yaml.safe_dump(
            {
                "mean_per_day": TRUCKS_PER_DAY,
                "targets": [
                    {
                        "name": "wait",
                        "reported": "x",
                        "source": "test",
                        "definition": "x",
                        "tolerance": "x",
                        "role": "fit",
                        "kpi": KPI,
                        "band": [lo, hi],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    rfile = tmp_path / "ranges.yaml"
    rfile.write_text(yaml.safe_dump(ranges), encoding="utf-8")
    return sc, targets, rfile


def test_calibrate_with_ranges_writes_the_history_and_the_ensemble(tmp_path: Path) -> None:
    sc, targets, rfile = write_inputs(tmp_path)
    out = tmp_path / "hm"
    readme = tmp_path / "README.md"
    readme.write_text(
        "before\n<!-- history-table:start -->\nold\n<!-- history-table:end -->\nafter\n", "utf-8"
    )
    code = main(
        [
            "calibrate", str(sc), "--targets", str(targets), "--ranges", str(rfile), "--waves", "1",
            "--runs-per-wave", "6", "-n", "1", "--days", "4", "--check-runs", "2", "--jobs", "1",
            "-o", str(out), "-q", "--readme", str(readme),
        ]
    )  # fmt: skip
    assert code == 0
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text
    assert (out / "history.md").read_text(encoding="utf-8").strip() in text
    assert text.startswith("before\n")
    assert text.endswith("after\n")
    for name in ("waves.csv", "nroy.csv", "ruled_out.csv", "emulator_check.csv", "history.md", "history.png"):
        assert (out / name).is_file(), name
    ens = load_ensemble(out / "ensemble.parquet")
    assert ens.provenance["targets_used"] == ["wait"]
    assert ens.provenance["replications"] == 1
    assert ens.provenance["days"] == 4
    assert "Kept share per wave" in (out / "history.md").read_text(encoding="utf-8")


def test_calibrate_refuses_a_ranges_file_that_does_not_fit_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"factors": {"ghost": {**RANGES["factors"]["service"], "set": ["gates.nowhere.lanes"]}}}
    sc, targets, rfile = write_inputs(tmp_path, bad)
    code = main(
        ["calibrate", str(sc), "--targets", str(targets), "--ranges", str(rfile), "-o", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert str(rfile) in err
    assert "factors.ghost" in err
    assert "gates.nowhere.lanes" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--waves", "0"),
        ("--waves", "11"),
        ("--runs-per-wave", "3"),
        ("--check-runs", "-1"),
        ("--ensemble-size", "0"),
    ],
)
def test_calibrate_refuses_out_of_bounds_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    sc, targets, rfile = write_inputs(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", str(sc), "--targets", str(targets), "--ranges", str(rfile), option, value])
    assert exit_.value.code == 2
    assert option in capsys.readouterr().err


def test_calibrate_refuses_a_readme_without_history_markers_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc, targets, rfile = write_inputs(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    out = tmp_path / "o"
    args = ["--ranges", str(rfile), "--readme", str(readme), "-o", str(out)]
    code = main(["calibrate", str(sc), "--targets", str(targets), *args])
    assert code == 2
    assert "history-table" in capsys.readouterr().err
    assert not out.exists()
    assert readme.read_text(encoding="utf-8") == "# no markers\n"


def test_calibrate_refuses_days_within_the_warm_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc, targets, rfile = write_inputs(tmp_path)
    args = ["--set", "run.warmup_days=3", "--days", "3"]
    code = main(["calibrate", str(sc), "--targets", str(targets), "--ranges", str(rfile), *args])
    assert code == 2
    assert "--days" in capsys.readouterr().err


def test_a_renormalised_share_keeps_the_channel_shares_summing_to_one(baseline: Any) -> None:
    # shares rounded one by one could sum to 1 +- 1.5e-6 and the scenario was refused
    factor = validate_ranges(
        {
            "factors": {
                "red": {
                    "what": "red share of fruit",
                    "set": ["risk.channel_shares.fruit.red"],
                    "renormalise": True,
                    "low": 0.01,
                    "high": 0.15,
                    "source": "ASSUMPTION: test",
                }
            }
        }
    ).factors["red"]
    base = baseline.to_dict()
    worst = 0.0
    for red in np.random.default_rng(3).uniform(0.01, 0.15, 3000):
        shares = factor.changes(base, float(red))["risk.channel_shares.fruit"]
        worst = max(worst, abs(sum(shares.values()) - 1))
        assert abs(shares["red"] - red) <= 5e-7
    assert worst < 1e-9
