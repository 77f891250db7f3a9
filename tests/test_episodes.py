"""Episodes group a scenario's events into the spells the answer is about."""

import datetime as dt

import pytest

from sim.world.episodes import episodes
from sim.world.scenario_files import load_scenario
from sim.world.schema.names import ScenarioError

BASE = "scenarios/baseline.yaml"


def _events(*evs: dict) -> object:
    return load_scenario(BASE).with_changes({"events": list(evs)})


def _demand(start: str, end: str, **kw: object) -> dict:
    return {"kind": "demand", "start": start, "end": end, "factor": 1.5, **kw}


def test_events_less_than_a_week_apart_form_one_episode() -> None:
    sc = _events(_demand("2025-10-01", "2025-10-03", name="a"), _demand("2025-10-09", "2025-10-10", name="b"))
    (ep,) = episodes(sc)
    assert (ep.first, ep.last, ep.events) == (dt.date(2025, 10, 1), dt.date(2025, 10, 10), (0, 1))


def test_events_a_week_apart_are_two_episodes() -> None:
    sc = _events(_demand("2025-10-01", "2025-10-03"), _demand("2025-10-10", "2025-10-11"))
    assert [e.events for e in episodes(sc)] == [(0,), (1,)]


def test_background_events_and_events_outside_the_run_start_none() -> None:
    sc = _events(
        _demand("2025-10-01", "2025-10-03", background=True),
        _demand("2030-01-01", "2030-01-03"),
    )
    assert episodes(sc) == []
    assert episodes(load_scenario(BASE)) == []


def test_a_closure_ending_at_midnight_ends_the_day_before() -> None:
    sc = _events({"kind": "closure", "start": "2025-10-01 00:00", "end": "2025-10-04 00:00"})
    (ep,) = episodes(sc)
    assert (ep.first, ep.last, ep.days) == (dt.date(2025, 10, 1), dt.date(2025, 10, 3), 3)


def test_the_harvest_peak_is_one_episode() -> None:
    (ep,) = episodes(load_scenario("scenarios/fruit_harvest_peak.yaml"))
    assert (ep.first, ep.last) == (dt.date(2025, 10, 6), dt.date(2025, 10, 26))


def test_an_answer_window_outside_the_run_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"answer\.window"):
        load_scenario(BASE).with_changes({"answer.window": "2020-01-01..2020-01-05"})
    with pytest.raises(ScenarioError, match=r"answer\.window"):
        load_scenario(BASE).with_changes({"answer.window": "last week"})
