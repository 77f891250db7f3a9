"""The optimiser against queueing theory, its decisions against hand-computed t bounds, targets no
option can meet, the robustness check, the figure's data, and sweeps over a lever that does not bind."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import yaml
from conftest import TEXTBOOK, bordersim, textbook
from scipy import stats
from test_theory import erlang_c_wait

from sim import load_scenario, optimise, sweep
from sim.experiments.optimise import (
    FEASIBLE,
    INFEASIBLE,
    UNDECIDED,
    Target,
    decide,
    no_effect_lines,
    parse_lever,
    parse_target,
)
from sim.experiments.robustness import perturbed
from sim.presentation.optimise_output import cost_figure, summary_lines

LAM_PER_MIN = 360 / 1440
SERVICE_MIN = 9.0  # offered load 2.25: 2 lanes are unstable, 3 wait 6.8 min, 4 1.24, 5 0.30 (Erlang C)
KPI = "wait_min_mean_g_gate_control"
LANES = [2, 3, 4, 5, 6]


def mmc(changes: dict | None = None):
    """The textbook gate as an M/M/c stage at 360 trucks a day, 9 min a truck, for 5 days."""
    base = {
        "run.days": 5,
        "gates.g.demand_trucks_per_day.import.general": 360,
        "gates.g.gate_control.service_min.default.mean": SERVICE_MIN,
    }
    return textbook({**base, **(changes or {})})


def cheapest_by_erlang_c(bound: float) -> int:
    return min(
        c
        for c in LANES
        if c > LAM_PER_MIN * SERVICE_MIN and erlang_c_wait(LAM_PER_MIN, SERVICE_MIN, c) <= bound
    )


def test_targets_and_levers_are_read_or_refused_with_what_was_expected() -> None:
    assert parse_target("wait_min_mean_g_gate_control <= 3") == Target(KPI, "<=", 3.0)
    assert parse_target("cleared_per_day_mean>=1,650") == Target("cleared_per_day_mean", ">=", 1650.0)
    with pytest.raises(ValueError, match="expected a target like"):
        parse_target("wait < 3")
    assert parse_lever("a.lanes=4,5,6") == ("a.lanes", [4, 5, 6])
    assert parse_lever("a.priority=[],[fruit]") == ("a.priority", [[], ["fruit"]])
    assert parse_lever("a.hours.close=21:00,23:00") == ("a.hours.close", ["21:00", "23:00"])
    with pytest.raises(ValueError, match=r"expected key\.path=v1,v2"):
        parse_lever("a.lanes")


def test_decisions_follow_the_one_sided_t_bounds() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    half = stats.t.ppf(0.95, 4) * x.std(ddof=1) / math.sqrt(5)  # 1.507
    status, low, high = decide(x, Target("k", "<=", 5), 0.05)
    assert (status, low, high) == (FEASIBLE, pytest.approx(3 - half), pytest.approx(3 + half))
    assert decide(x, Target("k", "<=", 4), 0.05)[0] == UNDECIDED  # 4 < 4.507
    assert decide(x, Target("k", "<=", 1.4), 0.05)[0] == INFEASIBLE  # 1.493 > 1.4
    assert decide(x, Target("k", ">=", 1.4), 0.05)[0] == FEASIBLE
    assert decide(x, Target("k", ">=", 4.6), 0.05)[0] == INFEASIBLE  # 4.507 < 4.6
    assert decide(x, Target("k", "<=", 4), 0.25)[0] == FEASIBLE  # less confidence decides sooner
    assert decide(np.array([1.0]), Target("k", "<=", 4), 0.05)[0] == UNDECIDED


@pytest.fixture(scope="module")
def three_minutes():
    return optimise(
        mmc(), [f"{KPI} <= 3"], {"gates.g.gate_control.lanes": LANES}, n0=3, max_n=6, jobs=1, robustness=False
    )


@pytest.mark.parametrize("bound", [3.0, 0.6])
def test_finds_the_fewest_lanes_erlang_c_says_meet_the_mean_wait(bound: float, three_minutes) -> None:
    """The bounds sit between Erlang C waits of neighbouring lane counts, far from both."""
    if bound == 3.0:
        opt = three_minutes
    else:
        opt = optimise(
            mmc(),
            [f"{KPI} <= {bound}"],
            {"gates.g.gate_control.lanes": LANES},
            n0=3,
            max_n=6,
            jobs=1,
            robustness=False,
        )
    expected = cheapest_by_erlang_c(bound)
    assert expected == (4 if bound == 3.0 else 5)
    assert opt.chosen is not None
    assert opt.chosen.point == {"gates.g.gate_control.lanes": expected}
    by_lanes = {o.point["gates.g.gate_control.lanes"]: o for o in opt.options}
    assert by_lanes[expected - 1].status == INFEASIBLE  # one lane fewer misses the target
    assert by_lanes[2].status == INFEASIBLE  # unstable
    # Options dearer than two feasible ones are not replicated further than the first stage.
    assert all(o.n == 3 for o in opt.options if o.cost > opt.feasible[1].cost)


def test_the_summary_and_the_figure_say_what_was_found(three_minutes) -> None:
    text = "\n".join(summary_lines(three_minutes))
    assert "chosen: Test gate: gate control 4 lanes: 3 units" in text
    assert "every added unit of a lever costs the same" in text
    assert "runner-up (next to meet the targets): Test gate: gate control 5 lanes" in text
    assert "paired on common random numbers" in text
    fig = cost_figure(three_minutes, KPI)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "wait min mean g gate control (min), log scale"  # 2 lanes: unstable
    assert "units" in ax.get_ylabel()
    target = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert list(target[0].get_xdata()) == [3.0, 3.0]
    labels = ax.get_legend_handles_labels()[1]
    assert "feasible (3)" in labels
    assert "infeasible (2)" in labels
    assert any(label.startswith("chosen: Test gate: gate control 4") for label in labels)
    plt.close(fig)


def test_a_target_no_option_can_meet_gets_no_answer() -> None:
    opt = optimise(mmc(), [f"{KPI} <= 0.001"], {"gates.g.gate_control.lanes": [3, 4]}, n0=3, max_n=3, jobs=1)
    assert opt.chosen is None
    assert opt.robustness is None
    assert "NO OPTION MEETS THE TARGETS" in "\n".join(summary_lines(opt))


def _textbook_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(yaml.safe_dump(TEXTBOOK))
    data["run"]["days"] = 5
    g = data["gates"]["g"]
    g["demand_trucks_per_day"]["import"]["general"] = 360
    g["gate_control"]["service_min"]["default"]["mean"] = SERVICE_MIN
    g["gate_control"]["lanes"] = 4
    path = tmp_path / "mmc.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_command_refuses_a_target_no_option_can_meet_with_exit_3(tmp_path: Path) -> None:
    file = _textbook_file(tmp_path)
    args = ["--lever", "gates.g.gate_control.lanes=3,4", "--n0", "3", "-n", "3", "--jobs", "1", "--no-plots"]
    done = bordersim("optimise", str(file), "--target", f"{KPI} <= 0.001", *args, "-o", str(tmp_path / "o"))
    assert done.returncode == 3, done.stderr
    assert "error: no option meets wait_min_mean_g_gate_control <= 0.001" in done.stderr
    assert "Traceback" not in done.stderr
    assert "NO OPTION MEETS THE TARGETS" in done.stdout
    assert (tmp_path / "o" / "options.csv").exists()
    done = bordersim("optimise", str(file), "--target", "wait_min_mean_g_gate <= 3", *args)
    assert done.returncode == 2
    assert "unknown KPI 'wait_min_mean_g_gate'; did you mean" in done.stderr


def test_the_command_writes_the_choice_its_evidence_and_its_robustness(tmp_path: Path) -> None:
    file = _textbook_file(tmp_path)
    out = tmp_path / "o"
    done = bordersim(
        "optimise", str(file), "--target", f"{KPI} <= 3", "--lever", "gates.g.gate_control.lanes=4,5",
        "--n0", "3", "-n", "6", "--robust-n", "3", "--jobs", "2", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "chosen: Test gate: gate control 4 lanes" in done.stdout
    # The gate control is a Vietnamese stage: 25% slower service needs a fifth lane, and says so.
    changes = "Vietnamese stages' minutes x1.25: the choice CHANGES to Test gate: gate control 5 lanes"
    assert (
        f"{changes}; the chosen option fails Wait (mean, Test gate, gate control) (min) <= 3 min"
        in done.stdout
    )
    assert (
        "Chinese checkpoint minutes x1.25: the choice holds; the chosen option meets the targets"
        in done.stdout
    )
    names = (
        "options.csv",
        "replications.csv",
        "robustness.csv",
        "optimise.txt",
        "chosen.yaml",
        "results.xlsx",
    )
    for name in (*names, "bottlenecks.csv", "decision.json"):
        assert (out / name).exists(), name
    assert (out / "plots" / f"optimise_{KPI}.png").stat().st_size > 10_000
    assert load_scenario(out / "chosen.yaml").gates["g"].gate_control.lanes == 4
    # The optimisation folder gets a report too, in either language.
    report = bordersim("report", str(out), "--lang", "vi")
    assert report.returncode == 0, report.stderr
    text = (out / "report.vi.html").read_text(encoding="utf-8")
    assert "Tối ưu hóa" in text
    assert "chosen: Test gate: gate control 4 lanes" in text
    assert "Bảng quyết định" in text
    assert "Test gate: kiểm soát cổng (biên phòng, cân xe) 4 làn" in text


def test_perturbations_move_only_their_assumption(baseline) -> None:
    hi = perturbed(baseline, "china_check_min", "high")
    route = hi.gates["huu_nghi"].routes["r1119_1120"]
    assert route.china_check.service_min["default"].mean == pytest.approx(8 * 1.25)
    assert hi.gates["huu_nghi"].customs_docs.service_min["default"].mean == 10
    lo = perturbed(baseline, "vietnamese_service_min", "low")
    assert lo.gates["huu_nghi"].customs_docs.service_min["default"].mean == pytest.approx(7.5)
    assert lo.gates["huu_nghi"].routes["r1119_1120"].china_check.service_min["default"].mean == 8
    p = np.array(baseline.demand.hourly_profile["export"])
    flat = np.array(perturbed(baseline, "export_hourly_profile", "low").demand.hourly_profile["export"])
    peaked = np.array(perturbed(baseline, "export_hourly_profile", "high").demand.hourly_profile["export"])
    assert flat.sum() == pytest.approx(p.sum()) == pytest.approx(peaked.sum())
    assert np.ptp(flat) < np.ptp(p) < np.ptp(peaked)


def test_a_sweep_over_a_lever_that_does_not_bind_says_so() -> None:
    """Imports pass a 1-minute Chinese checkpoint before the gate control (65% busy, binding)."""
    sc = textbook(
        {
            "run.days": 6,
            "gates.g.routes.main.china_check": {
                "enabled": True, "lanes": 2, "service_min": {"default": {"dist": "fixed", "value": 1}},
            },
        }
    )  # fmt: skip
    loose = sweep(sc, {"gates.g.routes.main.china_check.lanes": [2, 3, 4]}, n=3, jobs=1)
    lines = no_effect_lines(sc, loose.points, loose.experiments, "time_in_system_h_mean")
    busy = loose.experiments[-1].bottlenecks()["utilisation"].iloc[0]
    assert lines == [
        "Test gate main china check lanes 2-4: no effect on time_in_system_h_mean; the binding stage "
        f"is the gate control at Test gate, {busy:.0%} busy"
    ]
    tight = sweep(sc, {"gates.g.gate_control.lanes": [1, 2]}, n=3, jobs=1)
    assert no_effect_lines(sc, tight.points, tight.experiments, "time_in_system_h_mean") == []


def test_the_sweep_command_prints_the_no_effect_sentence(tmp_path: Path) -> None:
    file = _textbook_file(tmp_path)
    done = bordersim(
        "sweep", str(file), "--vary", "gates.g.customs_docs.lanes=1,2", "-n", "2", "--jobs", "1",
        "--no-plots", "-o", str(tmp_path / "s"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = "Test gate customs docs lanes 1, 2: no effect on time_in_system_h_mean; the binding stage is"
    assert f"{said} the gate control at Test gate" in done.stdout
