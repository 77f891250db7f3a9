"""The 2025 year: its scenario, the park_use event, the month-by-month table, the no-hidden-jam
criterion on hand-made replications, and warm-up advice that keeps a scenario's events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.experiments.experiment import BASELINE_WARMUP_DAYS, Experiment, warmup_advice
from sim.experiments.replications import Replication
from sim.experiments.results import run
from sim.studies.baseline_checks import RETURN_DAYS, disruptions, hidden_jam
from sim.world.calendar import MIN_PER_DAY
from sim.world.checks import scenario_warnings
from sim.world.schema.events import ParkUseEvent
from sim.world.schema.names import ScenarioError

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def year():
    return load_scenario(SCENARIOS / "baseline_2025.yaml")


def test_the_year_is_2025_after_the_baselines_warm_up(year) -> None:
    first = year.run.start_date + dt.timedelta(days=year.run.warmup_days)
    last = year.run.start_date + dt.timedelta(days=year.run.days - 1)
    assert (first, last) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert year.run.warmup_days == BASELINE_WARMUP_DAYS
    assert scenario_warnings(year) == []  # every event falls inside the run and reaches something


def test_the_years_disruptions_are_tet_the_april_suspensions_and_the_may_holiday(year) -> None:
    spans = disruptions(year)
    assert [(a, b) for a, b, _ in spans] == [
        (dt.date(2025, 1, 29), dt.date(2025, 2, 11)),
        (dt.date(2025, 4, 15), dt.date(2025, 4, 17)),
        (dt.date(2025, 4, 30), dt.date(2025, 5, 4)),
    ]
    park = [e for e in year.events if isinstance(e, ParkUseEvent)]
    assert [(e.end, e.share) for e in park] == [(dt.date(2025, 5, 2), 0.5)]


def _park_world(baseline, share: float):
    event = {"kind": "park_use", "start": "2025-09-01", "end": "2025-09-02", "share": share}
    sc = baseline.with_changes({"run.days": 4, "run.warmup_days": 1, "events": [event]})
    return run(sc, seed=3)


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_park_use_sends_that_share_of_exports_to_the_park_on_its_days_only(baseline, share) -> None:
    tr = _park_world(baseline, share).trucks
    hn = tr[(tr["gate"] == "huu_nghi") & (tr["direction"] == "export")]
    during = hn["arrival_min"] < 2 * MIN_PER_DAY
    used = hn["park_in_min"].notna() | hn["called_min"].notna()
    after = hn[~during & (hn["arrival_min"] < 3 * MIN_PER_DAY)]
    assert used[after.index].all()  # the park's default: every export
    share_seen = used[during].mean()
    assert share_seen == pytest.approx(share, abs=0.06)
    driven = hn[during & ~used]
    assert (driven["travel_h"].fillna(0) == 0).all()  # no park, no drive from the park
    assert tr.loc[tr["gate"] != "huu_nghi", "park_in_min"].isna().all()


def test_park_use_on_a_gate_without_a_park_is_refused(baseline) -> None:
    event = {
        "kind": "park_use",
        "start": "2025-09-01",
        "end": "2025-09-02",
        "share": 0.5,
        "gates": ["tan_thanh"],
    }
    with pytest.raises(ScenarioError, match=r"events\.0\.gates: .*'tan_thanh'.* no holding park"):
        baseline.with_changes({"events": [event]})
    bad = {**event, "gates": ["huu_nghi"], "share": 1.5}
    with pytest.raises(ScenarioError, match=r"events\.0\.share: .*less than or equal to 1"):
        baseline.with_changes({"events": [bad]})


def test_monthly_cuts_the_run_at_month_ends(baseline) -> None:
    sc = baseline.with_changes({"run.start_date": "2025-09-20", "run.days": 16, "run.warmup_days": 2})
    months = run(sc, seed=1).monthly()
    assert months["month"].tolist() == ["2025-09", "2025-10"]
    assert months["days"].tolist() == [9, 5]
    assert np.isnan(months["grows_huu_nghi_export"].iloc[1])  # five days: too short to judge
    assert months["grows_huu_nghi_export"].iloc[0] in (0.0, 1.0)


def _hand_made(year, held: dict[str, float], default: float = 40.0, n: int = 2) -> Experiment:
    """Replications whose exports held at 20:00 are *default* every day but on the dates given."""
    dates = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    values = np.array([held.get(str(d.date()), default) for d in dates])
    reps = []
    for i in range(n):
        daily = pd.DataFrame(
            {"date": dates, "direction": "export", "warmup": False, "held": values + i, "cleared": 0}
        )
        months = pd.DataFrame(
            {
                "month": [str(p) for p in dates.to_period("M").unique()],
                "first": dates[dates.is_month_start].date,
                "days": dates.to_period("M").value_counts(sort=False).to_numpy(),
                "cleared_per_day_mean": 1650.0,
                "cleared_per_day_mean_export": 450.0,
                "cleared_per_day_mean_import": 1200.0,
                "procedure_h_mean_export": 3.5,
                "held_at_20h_export_mean": 40.0,
                "grows_huu_nghi_export": 0.0,
                "utilisation_huu_nghi_china_check_r1119_1120": 0.7,
            }
        )
        reps.append(Replication(i, pd.Series(dtype=float), daily, monthly=months))
    return Experiment(year, 0, reps)


def test_a_backlog_that_comes_back_after_tet_passes(year) -> None:
    tet = {f"2025-02-{d:02d}": 400.0 for d in range(1, 12)}
    check = hidden_jam(_hand_made(year, tet))
    assert check.verdicts["export backlog returns to normal"]
    assert check.returns["days_after"].iloc[0] == 1
    assert check.passed


def test_a_backlog_that_stays_up_after_tet_fails(year) -> None:
    stuck = {str(dt.date(2025, 2, 1) + dt.timedelta(days=k)): 400.0 for k in range(11 + RETURN_DAYS + 1)}
    check = hidden_jam(_hand_made(year, stuck))
    assert not check.verdicts["export backlog returns to normal"]
    assert check.returns["returns"].tolist()[0] is False
    assert not check.passed


def test_a_growing_month_and_a_busy_checkpoint_fail(year) -> None:
    exp = _hand_made(year, {})
    for r in exp.replications:
        r.monthly.loc[9, "grows_huu_nghi_export"] = 1.0
        r.monthly.loc[9, "cleared_per_day_mean"] = 1800.0
        r.monthly.loc[9, "utilisation_huu_nghi_china_check_r1119_1120"] = 0.95
    check = hidden_jam(exp)
    assert not check.verdicts["no queue grows in any month"]
    assert check.months.loc[9, "growing"] == "huu_nghi export"
    assert check.busiest_month == "2025-10"
    assert not check.verdicts["busiest checkpoint below 90% busy"]


def test_warmup_advice_never_cuts_into_the_first_event() -> None:
    tet = load_scenario(SCENARIOS / "tet_closure.yaml")  # Tet closure from day 20 of the run
    advice = warmup_advice(tet, suggested=25)
    # The 7-day warm-up already ends before Tet: the longer suggestion is Tet's own build-up.
    assert "past the start of the period this scenario studies" in advice
    assert "'Tet (China off)' begins on 2026-02-15, day 20" in advice
    assert "start the run earlier" not in advice
    assert "the 7-day warm-up ends before it, so keep it" in advice
    assert "monthly.csv" in advice
    short = tet.with_changes({"run.warmup_days": 3})  # shorter than the baseline's: lengthen it
    assert "set run.warmup_days to the baseline's 7, which ends before it" in warmup_advice(short, 25)
    late = tet.with_changes({"run.start_date": "2026-02-11"})  # Tet on day 4, inside the warm-up
    advice = warmup_advice(late, suggested=25)
    assert "would cut out the period this scenario studies" in advice
    assert "'Tet (China off)' begins on 2026-02-15, day 4" in advice
    assert "start the run earlier" in advice
    assert "looks short" in warmup_advice(tet, suggested=12)  # before the event: lengthen it
    assert warmup_advice(tet, suggested=7) is None
    window = ("2026-01-30", "2026-03-01")
    assert "rather than shortening the window" in warmup_advice(tet, 8, window)
    assert warmup_advice(tet, 4, window) is None


def test_warmup_advice_leaves_out_events_that_cover_the_whole_run(year) -> None:
    # The hours before the extension and the park's share begin with the run; Tet begins on day 35.
    assert "'Tet (China off)' begins on 2025-01-29" in warmup_advice(year, suggested=40)
    assert "looks short" in warmup_advice(year, suggested=20)
