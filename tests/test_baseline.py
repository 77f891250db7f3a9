"""The baseline scenario against what is reported about the gates (field facts)."""

from __future__ import annotations

import pytest

from sim import run


@pytest.fixture(scope="module")
def baseline_run(baseline):
    return run(baseline, seed=0)


def test_clears_about_1650_a_day_with_peak_days_above_2000(baseline_run) -> None:
    k = baseline_run.kpis()
    assert baseline_run.scenario.run.days == 90
    assert k["cleared_per_day_mean"] == pytest.approx(1650, rel=0.05)
    assert k["days_above_peak_ref"] >= 1
    assert k["cleared_per_day_max"] > 2000


def test_nothing_grows_without_bound(baseline_run) -> None:
    """What is left at midnight is the normal overnight hold (350-500 exports, field facts target 7)."""
    k = baseline_run.kpis()
    assert k["backlog_end_share_of_day"] < 0.3
    daily = baseline_run.daily[~baseline_run.daily["warmup"]]
    total = daily.groupby("date")[["arrived", "cleared"]].sum()
    assert abs(total["arrived"].sum() - total["cleared"].sum()) < 0.02 * total["arrived"].sum()


def test_split_between_gates_and_directions_is_as_reported(baseline_run) -> None:
    """Huu Nghi ~2/3 of the two gates, imports 70-78% of all vehicles (field facts, targets 2 and 4)."""
    k = baseline_run.kpis()
    total = k["cleared_per_day_mean"]
    huu_nghi = k["cleared_per_day_mean_huu_nghi_export"] + k["cleared_per_day_mean_huu_nghi_import"]
    imports = k["cleared_per_day_mean_huu_nghi_import"] + k["cleared_per_day_mean_tan_thanh_import"]
    assert 0.60 <= huu_nghi / total <= 0.72
    assert 0.70 <= imports / total <= 0.78


def test_every_truck_is_pre_declared(baseline_run) -> None:
    tr = baseline_run.trucks
    assert tr["predeclared"].all()
    assert tr["declaration_counter_start_min"].isna().all()
