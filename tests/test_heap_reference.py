"""The heap reference (benchmarks/heap_reference.py) replays the model's departures exactly.

Each case of ``CASES`` is the 14-day baseline or a short scenario that exercises one mechanism;
the model and the reference must give every truck the same departure minute and outcome. With
the model's priority classes removed, the two must disagree: the check can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from conftest import load_benchmark

import sim.world.model
import sim.world.stages
from sim.world.demand import Arrivals, generate_arrivals

ref = load_benchmark("heap_reference")

# What each case must show happening, so that equality is not reached by the mechanism idling.
EVIDENCE = {
    "park_call_forward": ("held_back", "park_road"),
    "shorter_queue": ("redrawn",),
    "returned_declarations": ("resubmitted",),
    "turn_away": ("turned_away",),
    "closure_end_capacity": ("slowed",),
    "capacity_china_check": ("slowed",),
}


@pytest.mark.parametrize("case", list(ref.CASES))
def test_departures_equal_truck_by_truck(case: str) -> None:
    result = ref.compare(ref.load_case(case), seed=0)
    assert result["identical"] == result["trucks"] > 0
    assert result["cleared"] > 0
    for key in EVIDENCE.get(case, ()):
        assert result[key] > 0, f"{case}: no {key}"


def test_reference_disagrees_without_the_models_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = ref.load_case("park_call_forward")
    monkeypatch.setattr(sim.world.model, "priority_ranks", lambda *args: None)
    data = sim.world.model.Model(sc, 0).run()
    replayed = ref.replay(sc, 0)
    assert not np.array_equal(data.times["departure_min"], replayed["departure_min"], equal_nan=True)
    with pytest.raises(AssertionError, match="departures differ"):
        ref.compare(sc, seed=0)


def _on_the_hour(sc: ref.Scenario, root: np.random.SeedSequence) -> Arrivals:
    arr = generate_arrivals(sc, ref.stream(root, "arrivals"))
    return Arrivals(np.floor(arr.time_min / 60) * 60, arr.gate, arr.direction, arr.cargo)


@pytest.mark.parametrize("case", ["platform_off", "park_call_forward"])
def test_equal_with_arrivals_on_the_hour(case: str) -> None:
    """Hand-made arrivals on whole hours put many trucks at one instant: ties decide the order."""
    sc = ref.load_case(case)
    root = np.random.SeedSequence(3)
    result = ref.compare(sc, root, _on_the_hour(sc, root))
    assert result["identical"] == result["trucks"] > 0


def test_ties_need_simpys_urgent_first_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a truck's first step no longer ahead of other events at its instant, trucks differ."""
    sc = ref.load_case("platform_off")
    root = np.random.SeedSequence(3)
    arrivals = _on_the_hour(sc, root)
    monkeypatch.setattr(ref, "URGENT", ref.NORMAL)
    with pytest.raises(AssertionError, match="departures differ"):
        ref.compare(sc, root, arrivals)


def test_turned_away_leave_at_the_gate() -> None:
    replayed = ref.replay(ref.load_case("turn_away"), seed=0)
    turned = replayed["outcome"] == ref.TURNED_AWAY
    assert turned.any()
    assert not np.isnan(replayed["departure_min"][turned]).any()
    inside = replayed["outcome"] == ref.INSIDE
    assert np.isnan(replayed["departure_min"][inside]).all()


FIXED_MIN = {
    "declaration_counter": 10,
    "gate_control": 10,
    "customs_docs": 20,
    "inspection": 30,
    "quarantine": 20,
}


def _fixed_minutes() -> ref.Scenario:
    sc = ref.load_case("platform_off")
    return sc.with_changes(
        {
            f"gates.{gate}.{stage}.service_min": {"default": {"dist": "fixed", "value": value}}
            for gate in sc.gates
            for stage, value in FIXED_MIN.items()
        }
    )


def test_equal_when_services_of_fixed_minutes_end_together() -> None:
    """Fixed service minutes and arrivals on the hour make services end at the same instant at
    several stages: a truck that found its lane free goes on within its service's end, one that
    queued at its own event after it, in the model and in the reference alike."""
    sc = _fixed_minutes()
    root = np.random.SeedSequence(3)
    result = ref.compare(sc, root, _on_the_hour(sc, root))
    assert result["identical"] == result["trucks"] > 0
    replayed = ref.replay(sc, root, _on_the_hour(sc, root))
    ends = replayed["departure_min"][~np.isnan(replayed["departure_min"])]
    assert ends.size - np.unique(ends).size > 100  # many trucks leave at the same instant as another


def test_ties_of_service_ends_tell_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a truck that found its lane free going on at an event of its own (after every event
    already due at that instant), as the model did before, trucks differ: the case can fail."""
    serve = sim.world.stages.LanePool.serve

    def own_event(pool: sim.world.stages.LanePool, i: int, group: int = 0) -> simpy.Event:
        ends = serve(pool, i, group)
        if not isinstance(ends, simpy.events.Timeout):
            return ends
        done = simpy.Event(pool.env)
        ends.callbacks.append(lambda _: done.succeed(i))
        return done

    monkeypatch.setattr(sim.world.stages.LanePool, "serve", own_event)
    sc = _fixed_minutes()
    root = np.random.SeedSequence(3)
    with pytest.raises(AssertionError, match="departures differ"):
        ref.compare(sc, root, _on_the_hour(sc, root))
