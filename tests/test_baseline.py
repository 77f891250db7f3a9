"""The baseline scenario against what is reported about the gates (field facts).

Peak days are rare by design (about 3% of days), so these checks use three replications of the
90-day baseline rather than the luck of one seed.
"""

from __future__ import annotations

import pytest

from sim import replicate


@pytest.fixture(scope="module")
def baseline_exp(baseline):
    return replicate(baseline, n=3, seed=0, jobs=2, keep_series=False, keep_runs=1)


def test_clears_about_1650_a_day_with_peak_days_above_2000(baseline_exp) -> None:
    k = baseline_exp.kpis
    assert baseline_exp.scenario.run.days == 90
    assert k["cleared_per_day_mean"].mean() == pytest.approx(1650, rel=0.05)
    assert k["days_above_peak_ref"].sum() >= 1
    assert k["cleared_per_day_max"].max() > 2000


def test_nothing_grows_without_bound(baseline_exp) -> None:
    """What is left at midnight is the normal overnight hold (350-500 exports, field facts target 7)."""
    assert (baseline_exp.kpis["backlog_end_share_of_day"] < 0.3).all()
    daily = baseline_exp.daily[~baseline_exp.daily["warmup"]]
    total = daily.groupby("replication")[["arrived", "cleared"]].sum()
    assert ((total["arrived"] - total["cleared"]).abs() < 0.02 * total["arrived"]).all()


def test_split_between_gates_and_directions_is_as_reported(baseline_exp) -> None:
    """Gate shares of the province total and imports 70-78% of vehicles (field facts, targets 2 and 4)."""
    k = baseline_exp.kpis.mean()
    total = k["cleared_per_day_mean"]

    def share(gate: str) -> float:
        return (k[f"cleared_per_day_mean_{gate}_export"] + k[f"cleared_per_day_mean_{gate}_import"]) / total

    assert 0.58 <= share("huu_nghi") <= 0.65
    assert 0.27 <= share("tan_thanh") <= 0.32
    assert 0.06 <= share("chi_ma") <= 0.10
    assert share("coc_nam") <= 0.015
    assert 0.70 <= k["cleared_per_day_mean_import"] / total <= 0.78
    assert k["cleared_per_day_mean_export"] + k["cleared_per_day_mean_import"] == pytest.approx(total)


def test_every_truck_is_pre_declared(baseline_exp) -> None:
    tr = baseline_exp.runs[0].trucks
    assert tr["predeclared"].all()
    assert tr["declaration_counter_start_min"].isna().all()
