"""KPIs that show the mechanisms: date windows, trucks held at a clock time, censoring, the
bottleneck statement, each against an answer known by construction, and each able to fail."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bordersim, hand_made, textbook

from sim import run

FIXED10 = {"default": {"dist": "fixed", "value": 10}}
EXP6 = {"default": {"dist": "exponential", "mean": 6}}


def test_window_kpis_count_only_the_window() -> None:
    r = run(textbook({"run.days": 20}), seed=2)
    k = r.kpis(window=("2025-01-10", "2025-01-14"))
    daily = r.daily.groupby("date")["cleared"].sum()
    assert k["cleared_per_day_mean"] == pytest.approx(daily["2025-01-10":"2025-01-14"].mean())
    whole = r.kpis()
    assert whole["cleared_per_day_mean"] == pytest.approx(daily.iloc[1:].mean())  # after the 1-day warm-up
    assert k["cleared_per_day_mean"] != whole["cleared_per_day_mean"]
    with pytest.raises(ValueError, match="not inside the run"):
        r.kpis(window=("2024-12-30", "2025-01-03"))
    with pytest.raises(ValueError, match="before the first"):
        r.kpis(window=("2025-01-10", "2025-01-09"))


def test_a_bad_window_on_the_command_line_is_refused_before_running(tmp_path) -> None:
    from conftest import BASELINE

    done = bordersim("run", str(BASELINE), "-o", str(tmp_path / "out"), "--window", "2030-01-01..2030-01-31")
    assert done.returncode == 2
    assert "--window" in done.stderr
    assert "not inside the run" in done.stderr
    assert not (tmp_path / "out").exists()
    done = bordersim("run", str(BASELINE), "-o", str(tmp_path / "out"), "--window", "October")
    assert done.returncode == 2
    assert "FIRST..LAST" in done.stderr


def test_trucks_held_at_20h_by_place_and_censored_trucks() -> None:
    sc = textbook(
        {
            "run.days": 3,
            "run.warmup_days": 0,
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.routes.main.china_check": {
                "enabled": True,
                "lanes": 1,
                "service_min": {"default": {"dist": "fixed", "value": 5}},
                "hours_china": {"open": "08:00", "close": "20:00"},
            },
        }
    )
    # An export at 18:50 clears Vietnamese control by 19:00, when China (20:00 there) has closed.
    r = run(sc, arrivals=hand_made([1130, 2 * 1440 + 1430], direction=0))
    held = r.held_at("20:00").set_index(["day", "direction"])
    assert held.loc[(0, "export"), "to_china"] == 1
    assert held.loc[(0, "export"), "total"] == 1
    assert held.loc[(1, "export"), "total"] == 0  # it crossed at 07:00 the next morning
    tr = r.trucks
    assert tr.loc[0, "china_check_start_min"] == 1440 + 420
    assert tr.loc[0, "procedure_h"] == pytest.approx((1440 + 425 - 1130) / 60)
    assert tr.loc[0, "to_china_h"] == pytest.approx((1440 + 425 - 1140) / 60)
    k = r.kpis(window=("2025-01-06", "2025-01-08"))
    assert k["held_at_20h_export_mean"] == pytest.approx(1 / 3)
    assert k["censored_trucks_export"] == 1  # the truck of 23:50 on the last day never crossed
    assert np.isnan(tr.loc[1, "time_in_system_h"])


def stage_with(demand_per_day: float) -> object:
    return textbook(
        {
            "run.days": 21,
            "gates.g.demand_trucks_per_day.import.general": demand_per_day,
            "gates.g.gate_control": {"lanes": 1, "service_min": EXP6},
            "gates.g.customs_docs": {"lanes": 2, "service_min": EXP6},
            "risk.channel_shares.default": {"green": 0, "yellow": 1, "red": 0},
        }
    )


def test_bottleneck_names_the_busiest_stage_and_catches_a_growing_queue() -> None:
    from sim.presentation.glossary import with_statements

    sc = stage_with(120)
    stable = with_statements(run(sc, seed=1).bottlenecks(), sc).set_index("direction").loc["import"]
    assert stable["stage"] == "gate_control"  # one lane at 6 min: twice as busy as customs' two
    assert stable["utilisation"] == pytest.approx(120 * 6 / 1440, rel=0.1)
    assert not stable["grows"]
    assert "does not grow" in stable["statement"]
    # The broken twin: demand above gate control's 240 a day makes the queue grow without bound.
    sc = stage_with(300)
    unstable = with_statements(run(sc, seed=1).bottlenecks(), sc).set_index("direction").loc["import"]
    assert unstable["stage"] == "gate_control"
    assert unstable["utilisation"] > 0.99
    assert unstable["grows"]
    assert unstable["growth_trucks"] == pytest.approx(60 * 19, rel=0.25)  # (300 - 240) a day over 19 days
    assert "GROWS" in unstable["statement"]


def test_replications_say_in_how_many_the_queue_grows() -> None:
    from sim import replicate
    from sim.presentation.glossary import with_statements

    exp = replicate(stage_with(300), n=2, seed=0, jobs=1, keep_series=False, keep_runs=0)
    row = with_statements(exp.bottlenecks(), exp.scenario).set_index("direction").loc["import"]
    assert row["grows_in"] == 2
    assert row["n"] == 2
    assert "grows in 2 of 2 replications: UNSTABLE" in row["statement"]


def test_one_sentence_function_says_the_bottleneck_everywhere() -> None:
    """The console, the report and bottlenecks.csv take the bottleneck sentence from one function
    (``glossary.statement``): the experiments layer keeps the figures, never a sentence of its own."""
    import ast

    from conftest import ROOT

    for layer in ("world", "experiments", "studies"):
        for path in (ROOT / "sim" / layer).rglob("*.py"):
            names = {
                n.name for n in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(n, ast.FunctionDef)
            }
            assert "statement" not in names, path
    from sim.presentation.glossary import statement, with_statements

    sc = stage_with(300)
    table = run(sc, seed=1).bottlenecks()
    row = table.set_index("direction").loc["import"]
    said = with_statements(table, sc).set_index("direction").loc["import", "statement"]
    assert said == statement(
        sc, "g", "import", row["stage"], row["utilisation"], 1, 1, "en", growth=row["growth_trucks"]
    )
    assert "GROWS (+" in said


def test_a_missing_month_list_never_reads_as_nan() -> None:
    """A sweep's table stacks points whose months of growth are missing (NaN, which is truthy):
    the statement said "the queue grows month by month in nan" beside "does not grow" in the CSV."""
    from sim.presentation.glossary import with_statements

    sc = stage_with(120)
    table = run(sc, seed=1).bottlenecks().assign(grows_months=np.nan)
    said = with_statements(table, sc).set_index("direction").loc["import", "statement"]
    assert "nan" not in said
    assert "does not grow" in said


def test_a_queue_that_built_up_and_came_back_down_does_not_grow() -> None:
    """The growth rule on backlogs day by day: a closure's hump filling most of a short window
    tilts the Theil-Sen line up, but the queue ends where it began; a queue still up at the end
    grows, and so does one that rises steadily."""
    from sim.experiments.results import GROWTH_MIN_TRUCKS, _growth

    days = np.arange(20, dtype=float)
    hump = np.zeros(20)
    hump[5:18] = np.r_[np.linspace(30, 300, 6), np.linspace(280, 20, 7)]  # back at 0 on day 18
    rise, grows = _growth(days, hump)
    assert rise > GROWTH_MIN_TRUCKS  # the line alone called it growing
    assert rise > 0.25 * hump.mean()
    assert not grows
    still_up = np.zeros(20)
    still_up[5:] = np.r_[np.linspace(30, 300, 6), np.linspace(280, 120, 9)]  # not yet back down
    assert _growth(days, still_up)[1]
    steady = 30 + 8.0 * days  # 8 trucks a day more, without end
    assert _growth(days, steady)[1]
    assert not _growth(days, np.full(20, 30.0))[1]
