"""What the model does not know: ranges, ensembles and the spread of an answer across them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, TEXTBOOK, bordersim, textbook

from sim.studies.ensemble import (
    Ensemble,
    across_ensemble,
    choice_across,
    ensemble_spread,
    load_ensemble,
    option_changes,
    point_ensemble,
    reference_values,
    run_sets,
    write_ensemble,
)
from sim.world.ranges import load_ranges, validate_ranges
from sim.world.scenario_files import load_scenario
from sim.world.schema.names import ScenarioError

LAM_PER_MIN = 240 / 1440
WAIT = "wait_min_mean_g_gate_control"
SERVICE = "gates.g.gate_control.service_min.default.mean"
LIBRARY = sorted(
    p for p in (ROOT / "scenarios").glob("*.yaml") if p.stem not in {"costs", "targets", "ranges"}
)


def mm1_wait(mean_service_min: float) -> float:
    """M/M/1 mean wait in queue (minutes) at the textbook's arrival rate."""
    rho = LAM_PER_MIN * mean_service_min
    return rho * mean_service_min / (1 - rho)


def service_ranges(low: float, high: float, dummy: bool = False) -> object:
    factors = {
        "service_min": {
            "what": "mean service",
            "set": [SERVICE],
            "low": low,
            "high": high,
            "source": "ASSUMPTION: test",
        }
    }
    if dummy:
        factors["road_m"] = {
            "what": "metres a truck",
            "set": ["gates.g.road_m_per_truck"],
            "low": 15,
            "high": 20,
            "source": "ASSUMPTION: test",
        }
    return validate_ranges({"name": "test", "factors": factors}, "test-ranges")


# --- the ranges file -----------------------------------------------------------------------------


def test_every_factor_of_the_baseline_ranges_fits_every_library_scenario() -> None:
    ranges = load_ranges(ROOT / "scenarios" / "ranges.yaml")
    assert len(ranges.factors) >= 12
    for path in LIBRARY:
        ranges.check(load_scenario(path))
    for name, f in ranges.factors.items():
        assert f.low <= f.high, name
        assert any(m in f.source for m in ("FF", "ASSUMPTION", "INFERENCE")), name


def test_the_baseline_sits_inside_every_range_it_sets() -> None:
    """A range that left out the baseline's own value would say the baseline is implausible."""
    ranges = load_ranges(ROOT / "scenarios" / "ranges.yaml")
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml").to_dict()
    from sim.world.ranges import expand_keys, get_key

    for name, f in ranges.factors.items():
        if f.set and not f.renormalise:
            for pattern in f.set:
                for key in expand_keys(base, pattern):
                    assert f.low <= get_key(base, key) <= f.high, (name, key)
        if f.scale:
            assert f.low <= 1 <= f.high, name
        if f.mix:
            assert f.low == 0, name


@pytest.mark.parametrize(
    ("factor", "problem"),
    [
        ({"low": 5, "high": 2}, "above high"),
        ({"kind": "log-uniform", "low": 0}, "log-uniform"),
        ({"source": "my guess"}, "ASSUMPTION"),
        ({"set": None}, "exactly one of set, scale, mix"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_factor_is_refused_naming_the_file_and_the_factor(factor: dict, problem: str) -> None:
    entry = {"what": "x", "set": [SERVICE], "low": 1, "high": 4, "source": "ASSUMPTION: x", **factor}
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(ScenarioError) as err:
        validate_ranges({"factors": {"service_min": entry}}, "r.yaml")
    text = str(err.value)
    assert "r.yaml" in text
    assert "service_min" in text
    assert problem in text


def test_a_pattern_that_matches_nothing_is_named() -> None:
    ranges = validate_ranges(
        {
            "factors": {
                "x": {
                    "what": "x",
                    "set": ["gates.*.no_such.lanes"],
                    "low": 1,
                    "high": 2,
                    "source": "ASSUMPTION",
                }
            }
        },
        "r.yaml",
    )
    with pytest.raises(ScenarioError, match=r"factors\.x.*no_such"):
        ranges.check(textbook())


def test_factors_apply_in_order_and_counts_stay_whole() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    ranges = load_ranges(ROOT / "scenarios" / "ranges.yaml")
    out = ranges.apply(
        sc, {"china_check_lanes": 0.75, "export_evening_weight": 1.0, "export_flat_weight": 0.5}
    )
    routes = out.gates["coc_nam"].routes
    assert all(r.china_check.lanes >= 1 for r in routes.values())
    assert out.gates["huu_nghi"].routes["r1119_1120"].china_check.lanes == 6  # 8 x 0.75
    profile = np.array(out.demand.hourly_profile["export"])
    # evening profile first, then half-way to flat: the night hours get exactly half of the flat weight
    assert profile[0] == pytest.approx(0.5)
    assert profile[18] > profile[12] > profile[0]


# --- the ensemble file ----------------------------------------------------------------------------


def test_an_ensemble_round_trips_and_a_damaged_table_is_refused(tmp_path: Path) -> None:
    ranges = service_ranges(2.0, 4.0)
    sets = ranges.table(np.array([[2.5], [3.0], [3.5]]))
    path = write_ensemble(tmp_path / "ens", ranges, sets, {"made_by": "test"})
    ens = load_ensemble(path)
    assert ens.m == 3
    assert ens.values()[:, 0].tolist() == [2.5, 3.0, 3.5]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ScenarioError, match="SHA-256"):
        load_ensemble(path)


def test_an_ensemble_outside_its_ranges_or_without_provenance_is_refused(tmp_path: Path) -> None:
    ranges = service_ranges(2.0, 4.0)
    path = write_ensemble(tmp_path / "ens", ranges, ranges.table(np.array([[5.0]])), {})
    with pytest.raises(ScenarioError, match=r"service_min.*outside its range"):
        load_ensemble(path)
    path.with_suffix(".yaml").unlink()
    with pytest.raises(ScenarioError, match="missing"):
        load_ensemble(path)


# --- the spread across sets, against theory -------------------------------------------------------


def test_the_spread_across_service_times_matches_the_m_m_1_formula() -> None:
    """Sets at evenly spaced service means over 1.5-4.2 min (utilisation 0.25-0.70): the 5th, 50th
    and 95th percentiles of the sets' mean waits against the same percentiles of the M/M/1 formula
    at those service means. Band: 4 standard errors of a set's mean (from its 3 replications)."""
    ranges = service_ranges(1.5, 4.2)
    s = np.linspace(1.5, 4.2, 11)
    sc = textbook({"run.days": 20})
    exps = run_sets(sc, ranges, s[:, None], n=3, seed=11, jobs=1)
    spread = ensemble_spread(exps, [WAIT]).set_index("kpi").loc[WAIT]
    assert spread["m"] == 11
    se = max(float(e.kpis[WAIT].std(ddof=1)) / np.sqrt(e.n) for e in exps)
    theory = np.array([mm1_wait(x) for x in s])

    def check(q: float, value: float, analytic: np.ndarray) -> None:
        assert abs(value - np.quantile(analytic, q)) <= 4 * se, (q, value, np.quantile(analytic, q), se)

    for q, col in ((0.05, "p05"), (0.5, "p50"), (0.95, "p95")):
        check(q, spread[col], theory)
    # The check can fail: a spread read at 20% slower service than the sets had is rejected.
    with pytest.raises(AssertionError):
        check(
            0.95, spread["p95"], np.array([mm1_wait(x * 1.2) if x * 1.2 * LAM_PER_MIN < 1 else 99 for x in s])
        )


def test_the_spread_is_zero_when_every_range_is_a_point() -> None:
    ranges = service_ranges(3.0, 3.0)
    ens = point_ensemble(ranges, [[3.0]] * 4)
    runs = across_ensemble([textbook({"run.days": 5})], ens, n=2, seed=3, jobs=1)
    row = runs.spread([WAIT]).iloc[0]
    assert row["m"] == 4
    assert row["p05"] == row["p95"]
    assert row["p05"] > 0


def test_an_option_that_sets_a_factor_itself_keeps_its_change_as_a_ratio() -> None:
    ranges = service_ranges(2.0, 4.0)
    reference = reference_values(ranges, textbook())
    slower = textbook({SERVICE: 6.3})  # 1.5 x the base's 4.2
    changes, own = option_changes(ranges, reference, slower, [3.0])
    assert own == [SERVICE]
    assert changes[SERVICE] == pytest.approx(4.5)  # 3.0 x 1.5
    changes, own = option_changes(ranges, reference, textbook(), [3.0])
    assert own == []
    assert changes[SERVICE] == 3.0


def test_the_first_option_of_a_sweep_keeps_its_own_value_against_the_base() -> None:
    """Sweep points 6 and 12 min against a base of 4.2: neither is the base, so both keep their
    change as a ratio at every set (the first point is not taken for the base)."""
    ranges = service_ranges(2.0, 4.0)
    ens = point_ensemble(ranges, [[3.0]])
    base = textbook({"run.days": 2})
    points = [base.with_changes({SERVICE: 6.0}), base.with_changes({SERVICE: 12.0})]
    runs = across_ensemble(points, ens, n=1, seed=1, jobs=1, base=base)
    got = [e[0].scenario.gates["g"].gate_control.service_min["default"].mean for e in runs.experiments]
    assert got == pytest.approx([3.0 * 6 / 4.2, 3.0 * 12 / 4.2])
    assert runs.own_keys == [SERVICE]


def test_a_share_split_an_option_sets_itself_keeps_the_options_value() -> None:
    from sim.world.ranges import get_key

    ranges = validate_ranges(
        {"factors": {"red": {"what": "x", "set": ["risk.channel_shares.default.red"], "renormalise": True,
                             "low": 0.0, "high": 0.2, "source": "ASSUMPTION: test"}}},
        "r",
    )  # fmt: skip
    reference = reference_values(ranges, textbook())
    shares = {"green": 0.9, "yellow": 0.05, "red": 0.05}
    option = textbook({"risk.channel_shares.default": shares})
    changes, own = option_changes(ranges, reference, option, [0.1])
    assert own == ["risk.channel_shares.default"]
    assert "risk.channel_shares.default" not in changes
    changes, own = option_changes(ranges, reference, textbook(), [0.1])
    assert own == []
    assert get_key({"x": changes["risk.channel_shares.default"]}, "x.red") == 0.1


def test_a_paired_effect_across_sets_follows_the_lanes_in_theory() -> None:
    """One lane against two at service means 2-4 min: a second lane cuts the wait in every set."""
    ranges = service_ranges(2.0, 4.0)
    ens = point_ensemble(ranges, [[2.0], [3.0], [4.0]])
    options = [textbook({"run.days": 6}), textbook({"run.days": 6, "gates.g.gate_control.lanes": 2})]
    runs = across_ensemble(options, ens, n=3, seed=5, jobs=1)
    effects = runs.effects([WAIT]).iloc[0]
    assert effects["m"] == 3
    assert effects["sets_down"] == 3
    assert effects["diff_p95"] < 0
    # the slowest service gains most: the difference's 5th percentile is near the 4-min set's
    slack = -runs.means(1, [WAIT])[WAIT].to_numpy() + runs.means(0, [WAIT])[WAIT].to_numpy()
    assert np.argmax(slack) == 2
    decides = runs.deciding_factor(slack)
    assert decides is not None
    assert decides[0] == "service_min"
    assert decides[1] == pytest.approx(1.0)


def test_the_choice_across_sets_agrees_with_erlang_c() -> None:
    """Two lanes at service means 2, 3 and 8 min against a mean wait of at most 1 min: Erlang C
    gives 0.06, 0.20 and 6.4 min, so the target is met in the first two sets and missed in the
    third; a bound of 10 min is met in all three (the check can fail)."""
    from types import SimpleNamespace

    from test_theory import erlang_c_wait

    ranges = service_ranges(2.0, 8.0)
    ens = point_ensemble(ranges, [[2.0], [3.0], [8.0]])
    theory = [erlang_c_wait(LAM_PER_MIN, s, 2) for s in (2.0, 3.0, 8.0)]
    assert max(theory[:2]) < 0.5
    assert theory[2] > 5  # the bound of 1 sits between, away from both
    runs = across_ensemble(
        [textbook({"run.days": 20, "gates.g.gate_control.lanes": 2})], ens, n=2, seed=1, jobs=1
    )
    strict = SimpleNamespace(kpi=WAIT, op="<=", bound=1.0)
    loose = SimpleNamespace(kpi=WAIT, op="<=", bound=10.0)
    assert choice_across(runs, [strict], [1.0]).iloc[0][["m", "sets_meeting"]].tolist() == [3, 2]
    assert choice_across(runs, [loose], [1.0]).iloc[0]["sets_meeting"] == 3


# --- the command line -----------------------------------------------------------------------------


def test_run_with_an_ensemble_writes_both_spreads_and_prints_the_same_numbers(tmp_path: Path) -> None:
    scenario = tmp_path / "textbook.yaml"
    data = {**TEXTBOOK, "run": {**TEXTBOOK["run"], "days": 4}}
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    ranges = service_ranges(2.0, 4.0)
    write_ensemble(tmp_path / "ens", ranges, ranges.table(np.array([[2.0], [3.0], [4.0], [3.5]])), {})
    out = tmp_path / "out"
    res = bordersim(
        "run", str(scenario), "-n", "2", "--ensemble", str(tmp_path / "ens.parquet"), "--ensemble-sets", "3",
        "--ensemble-replications", "1", "--precision-kpi", WAIT, "-o", str(out), "--no-plots", "--jobs", "1",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "ensemble.csv").set_index("kpi")
    row = table.loc[WAIT]
    assert (row["m"], row["n"], row["n_per_set"]) == (3, 2, 1)
    assert row["p05"] <= row["p50"] <= row["p95"]
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")
    assert row["mean"] == pytest.approx(summary.loc[WAIT, "mean"])
    assert "3 plausible parameter sets" in res.stdout
    assert f"{row['p95']:.2f}" in res.stdout
    sets = pd.read_csv(out / "ensemble_sets.csv")
    assert len(sets) == 3
    assert set(sets["service_min"]) <= {2.0, 3.0, 4.0, 3.5}


def test_a_bad_ensemble_is_refused_before_anything_runs(tmp_path: Path) -> None:
    scenario = tmp_path / "textbook.yaml"
    scenario.write_text(yaml.safe_dump(TEXTBOOK), encoding="utf-8")
    ranges = validate_ranges(
        {
            "factors": {
                "x": {
                    "what": "x",
                    "set": ["gates.*.no_such.lanes"],
                    "low": 1,
                    "high": 2,
                    "source": "ASSUMPTION",
                }
            }
        },
        "r",
    )
    write_ensemble(tmp_path / "ens", ranges, ranges.table(np.array([[1.5]])), {})
    out = tmp_path / "out"
    res = bordersim("run", str(scenario), "-n", "1", "--ensemble", str(tmp_path / "ens"), "-o", str(out))
    assert res.returncode == 2
    assert "no_such" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()
    res = bordersim("run", str(scenario), "--ensemble", str(tmp_path / "none"), "-o", str(out))
    assert res.returncode == 2
    assert "missing" in res.stderr
    res = bordersim("run", str(scenario), "--ensemble", str(tmp_path / "ens"), "--ensemble-sets", "0")
    assert res.returncode == 2
    assert "--ensemble-sets" in res.stderr


def test_ensemble_draws_are_reproducible_and_without_repeats() -> None:
    ranges = service_ranges(1.0, 9.0)
    ens = point_ensemble(ranges, [[float(i)] for i in range(1, 10)])
    a, b = ens.draw(4, seed=7), ens.draw(4, seed=7)
    assert a.values().tolist() == b.values().tolist()
    assert len(set(a.values()[:, 0])) == 4
    assert isinstance(ens.draw(20, seed=1), Ensemble)
    assert ens.draw(20, seed=1).m == 9


def test_a_validation_case_across_sets_agrees_with_its_point_run_at_the_scenarios_own_values() -> None:
    """At the scenario's own values a set is the case itself (same seeds, same numbers); a set with
    slow Chinese checks on two-thirds of the lanes holds far more than the band and is counted out."""
    from sim.studies.validation import across_ensemble_case, load_case, measure, run_case
    from sim.world.ranges import get_key

    case, sc = load_case(ROOT / "validation" / "normal_day_held_22aug2024.yaml")
    china = "gates.*.routes.*.china_check.service_min.*.mean"
    own = get_key(sc.to_dict(), "gates.huu_nghi.routes.r1119_1120.china_check.service_min.default.mean")
    ranges = validate_ranges(
        {"factors": {
            "china_min": {"what": "x", "set": [china], "low": 2, "high": 15, "source": "ASSUMPTION: test"},
            "china_lanes": {"what": "x", "scale": ["gates.*.routes.*.china_check.lanes"], "low": 0.5,
                            "high": 1.5, "source": "ASSUMPTION: test"},
        }},
        "test",
    )  # fmt: skip
    ens = point_ensemble(ranges, [[own, 1.0], [15.0, 0.5]])
    point = run_case(case, sc, n=1, seed=4, jobs=1, max_n=1)
    across = across_ensemble_case(case, sc, ens, n=1, seed=4, jobs=1)
    assert across["ensemble_m"] == 2
    lo, hi = case.band
    point_inside = lo <= point["simulated"] <= hi
    # the jam set lies above the band, so exactly the point set can match
    assert across["ensemble_matching"] == int(point_inside)
    assert across["ensemble_p95"] > hi
    exps = run_sets(sc, ranges, ens.values()[:1], 1, 4, jobs=1, keep_runs=1)
    assert float(measure(case, exps[0]).mean()) == pytest.approx(point["simulated"])


def _textbook_files(tmp_path: Path, days: int = 6) -> tuple[Path, Path]:
    scenario = tmp_path / "textbook.yaml"
    data = {**TEXTBOOK, "run": {**TEXTBOOK["run"], "days": days}}
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    ranges = service_ranges(2.0, 8.0)
    path = write_ensemble(tmp_path / "ens", ranges, ranges.table(np.array([[2.0], [3.0], [8.0]])), {})
    return scenario, path


def test_compare_with_an_ensemble_writes_the_effects_and_the_report_shows_both_spreads(
    tmp_path: Path,
) -> None:
    scenario, ens = _textbook_files(tmp_path)
    two = tmp_path / "two_lanes.yaml"
    data = {"extends": scenario.name, "name": "two_lanes", "gates": {"g": {"gate_control": {"lanes": 2}}}}
    two.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "cmp"
    res = bordersim(
        "compare", str(scenario), str(two), "-n", "2", "--ensemble", str(ens), "--ensemble-replications", "2",
        "--precision-kpi", WAIT, "-o", str(out), "--no-plots", "--jobs", "1", "--report",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    effects = pd.read_csv(out / "ensemble_effects.csv").set_index("kpi").loc[WAIT]
    assert effects["m"] == 3
    assert effects["diff_p95"] < 0  # a second lane cuts the wait at every service time
    assert effects["sets_down"] + effects["sets_undecided"] == 3
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "What is unknown" in html
    assert "from randomness" in html


def test_optimise_with_an_ensemble_says_whether_the_choice_holds(tmp_path: Path) -> None:
    """One lane against two, a mean wait of at most 1 min: at 2-3 min of service one lane waits 0.5-1.5
    min and two lanes 0.06-0.2 (Erlang C); at 8 min one lane is unstable and two wait 6.4 min, so
    no option meets the target in the 8-min set."""
    scenario, ens = _textbook_files(tmp_path, days=10)
    out = tmp_path / "opt"
    res = bordersim(
        "optimise", str(scenario), "--lever", "gates.g.gate_control.lanes=2,3", "--target", f"{WAIT} <= 1",
        "-n", "3", "--max-replications", "3", "--no-robustness", "--ensemble", str(ens),
        "--ensemble-replications", "2", "-o", str(out), "--no-plots", "--jobs", "1",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    choice = pd.read_csv(out / "ensemble_choice.csv")
    first = choice.iloc[0]
    assert first["m"] == 3
    assert first["sets_meeting"] == 2  # the 8-min set misses with 2 lanes (Erlang C 6.4 min)
    assert "does NOT hold" in res.stdout
    assert "unknown that decides it most: service_min" in res.stdout
    assert "in the 1 set(s) where the choice misses, the runner-up meets every target in" in res.stdout
    assert "1 units: no costs file" in res.stdout


def test_a_sweep_with_an_ensemble_tells_its_points_apart(tmp_path: Path) -> None:
    """Every sweep point carries the scenario's name: the ensemble's tables said 'option=baseline'
    on every row and its effects 'baseline against baseline'."""
    scenario, ens = _textbook_files(tmp_path, days=4)
    out = tmp_path / "sw"
    res = bordersim(
        "sweep", str(scenario), "--vary", "gates.g.gate_control.lanes=1,2", "-n", "2", "--ensemble", str(ens),
        "--ensemble-replications", "1", "-o", str(out), "--no-plots", "--jobs", "1",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    options = pd.read_csv(out / "ensemble.csv")["option"].unique().tolist()
    assert len(options) == 2
    assert options == ["textbook.0_gate_control.lanes_1", "textbook.1_gate_control.lanes_2"]


def test_sweep_point_names_stay_apart_and_valid_whatever_the_names() -> None:
    """Cut as a whole to 64 characters, a long scenario name lost the point's number and values:
    points 1 and 12 of a 62-character name were both '<name>.1'."""
    from sim.presentation.cli.sweep import point_name
    from sim.world.schema.names import _NAME

    long = "x" * 62
    names = [point_name(long, i, f"gate_control.lanes={i}") for i in range(15)]
    assert len(set(names)) == 15
    assert all(len(n) <= 64 for n in names)
    assert ".12_" in names[12]
    for n in [*names, point_name("baseline", 3, "hours.close=24:00, lanes=[1, 2]")]:
        assert _NAME.fullmatch(n + "_set0"), n  # what an ensemble makes of it is still a name
