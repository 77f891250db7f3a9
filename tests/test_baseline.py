"""The baseline against what is reported, checked in a way that can fail.

The checks (sim/studies/baseline_checks.py, bands written before the first result) take exports and
imports apart, month by month, on the baseline's busiest month: October 2025, the dragon-fruit
peak, after the baseline's 7-day warm-up. Each is run on the intact baseline (no failure) and on
broken twins that must fail them: the Chinese checkpoints switched off, at half speed, and fruit
priority removed. The same seeds are used throughout (common random numbers).
"""

from __future__ import annotations

from typing import Any

import pytest

from sim import replicate
from sim.experiments.experiment import Experiment
from sim.studies.baseline_checks import CHECKPOINT_BUSY_MAX, hidden_jam, month_failures
from sim.world.scenario import Scenario

OCTOBER = {"run.start_date": "2025-09-24", "run.days": 38, "run.warmup_days": 7}
"""October 2025 after the baseline's warm-up of 7 days (24-30 September)."""
REPLICATIONS = 2


def _routes(sc: Scenario) -> list[tuple[str, str]]:
    return [(g, r) for g, gate in sc.gates.items() for r in gate.routes]


def without_china_check(sc: Scenario) -> dict[str, Any]:
    """Every route's Chinese checkpoint switched off."""
    return {f"gates.{g}.routes.{r}.china_check.enabled": False for g, r in _routes(sc)}


def china_check_halved(sc: Scenario) -> dict[str, Any]:
    """Every Chinese checkpoint at half its service rate over the whole run."""
    event = {
        "kind": "capacity",
        "name": "Chinese checkpoints at half speed",
        "start": "2025-09-24 00:00",
        "end": "2025-11-01 00:00",
        "factor": 0.5,
        "stages": ["china_check"],
    }
    return {"events": [event]}


def without_fruit_priority(sc: Scenario) -> dict[str, Any]:
    """No stage, checkpoint or park serves fruit first."""
    changes: dict[str, Any] = {}
    for g, gate in sc.gates.items():
        for stage in ("gate_control", "customs_docs", "inspection", "quarantine"):
            if getattr(gate, stage).priority:
                changes[f"gates.{g}.{stage}.priority"] = []
        for r, route in gate.routes.items():
            if route.china_check.priority:
                changes[f"gates.{g}.routes.{r}.china_check.priority"] = []
        if gate.park is not None:
            changes[f"gates.{g}.park.order"] = "fifo"
    return changes


TWINS = {
    "without_china_check": without_china_check,
    "china_check_halved": china_check_halved,
    "without_fruit_priority": without_fruit_priority,
}


@pytest.fixture(scope="module")
def october(baseline: Scenario) -> Scenario:
    return baseline.with_changes(OCTOBER)


@pytest.fixture(scope="module")
def intact(october: Scenario) -> Experiment:
    return replicate(october, n=REPLICATIONS, seed=0, jobs=1, keep_series=False, keep_runs=1)


@pytest.fixture(scope="module")
def twins(october: Scenario) -> dict[str, Experiment]:
    return {
        name: replicate(
            october.with_changes(make(october), name=name), n=REPLICATIONS, seed=0, jobs=1, keep_series=False
        )
        for name, make in TWINS.items()
    }


def test_october_is_the_baseline_run_month_by_month(intact: Experiment) -> None:
    months = intact.monthly
    assert sorted(months["month"].unique()) == ["2025-10"]
    assert (months["days"] == 31).all()
    assert len(months) == REPLICATIONS


def test_the_intact_baseline_passes_every_check(intact: Experiment) -> None:
    assert month_failures(intact) == []


def test_without_the_chinese_checkpoint_fruit_is_no_longer_served_first(twins) -> None:
    """The green lane for fruit is at the Chinese checkpoint: without it fruit waits like the rest.

    (The export procedure time alone would not catch this twin: the crossing closes at 20:00 and
    holds the evening's exports overnight whether or not the checkpoint is there.)
    """
    failed = month_failures(twins["without_china_check"])
    assert any("2025-10: fruit exports' time to China" in f for f in failed), failed
    assert hidden_jam(twins["without_china_check"]).busiest_checkpoint == "none"


def test_at_half_speed_the_chinese_side_cannot_keep_up(twins) -> None:
    failed = month_failures(twins["china_check_halved"])
    assert any("queue grows" in f for f in failed), failed
    assert any("exports cleared" in f or "imports cleared" in f for f in failed), failed


def test_without_fruit_priority_fruit_waits_as_long_as_other_cargo(twins) -> None:
    failed = month_failures(twins["without_fruit_priority"])
    assert any("fruit exports' time to China" in f for f in failed), failed


def test_no_hidden_jam_in_october_and_the_halved_twin_fails_it(intact, twins) -> None:
    ok = hidden_jam(intact)
    assert ok.verdicts["no queue grows in any month"]
    assert ok.busiest_utilisation[2] < CHECKPOINT_BUSY_MAX
    broken = hidden_jam(twins["china_check_halved"])
    assert not broken.verdicts["no queue grows in any month"]
    assert not broken.verdicts[f"busiest checkpoint below {CHECKPOINT_BUSY_MAX:.0%} busy"]
    assert not broken.passed


def test_every_truck_is_pre_declared(intact: Experiment) -> None:
    tr = intact.runs[0].trucks
    assert tr["predeclared"].all()
    assert tr["declaration_counter_start_min"].isna().all()
