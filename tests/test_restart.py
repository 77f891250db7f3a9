"""A run started from a state: a run's own snapshot continues it exactly, a hand-made state
drains as queueing arithmetic says, and no truck is lost or made from a non-empty start.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hand_made, load_benchmark, textbook

import sim.world.model
import sim.world.stages
from sim.world.model import CLEARED, GATE_CONTROL, Model
from sim.world.restart import LiveTruck, Start, capture, places_of

ref = load_benchmark("heap_reference")

CASES = [
    "baseline_14d",
    "park_call_forward",
    "shorter_queue",
    "returned_declarations",
    "turn_away",
    "closure_end_capacity",
    "capacity_china_check",
    "suspensions_2025",
    "platform_off",
]


def snapshot_and_continue(sc, at_min: float, seed: int = 0):
    full = Model(sc, seed).run()
    paused = Model(sc, seed)
    paused.env.run(until=at_min)
    start = capture(paused)
    return full, start, Model(sc, seed, start=start).run()


def continues_exactly(full, cont, at_min: float) -> bool:
    a, b = full.times["departure_min"], cont.times["departure_min"]
    after = a >= at_min
    return (
        np.array_equal(a[after], b[after])
        and int(np.sum(b >= at_min)) == int(after.sum())
        and np.array_equal(full.outcome[after], cont.outcome[after])
    )


@pytest.mark.parametrize("case", CASES)
def test_a_snapshot_continues_its_run_exactly(case: str) -> None:
    sc = ref.load_case(case)
    at = (sc.run.days // 2) * 1440 + 7 * 60 + 13.0  # mid-run, just after the Chinese side opens
    full, start, cont = snapshot_and_continue(sc, at)
    assert len(start.trucks) > 0
    assert np.sum(full.times["departure_min"] >= at) > 0
    if sc.platform.enabled:
        assert start.declarations, "no declaration under review: the platform's restart untested"
    assert continues_exactly(full, cont, at)


def test_the_check_fails_when_a_queue_loses_its_order(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = ref.load_case("baseline_14d")
    at = 7 * 1440 + 6 * 60.0
    real = sim.world.stages.LanePool.queued
    monkeypatch.setattr(sim.world.stages.LanePool, "queued", lambda self: real(self)[::-1])
    full, _, cont = snapshot_and_continue(sc, at)
    assert not continues_exactly(full, cont, at)


def test_held_by_place_at_the_start_is_the_states_and_no_truck_is_lost() -> None:
    sc = ref.load_case("park_call_forward")
    at = 1 * 1440 + 16 * 60.0
    full, start, cont = snapshot_and_continue(sc, at, seed=2)
    from sim.experiments.results import Run

    counts = Run(full).places_at(np.array([at]))  # the run the snapshot was taken of
    gates = list(sc.gates)
    expected = places_of(start, full.arrivals, full.draws)
    for (gate, direction), places in counts.items():
        for place, values in places.items():
            want = expected.get((gates.index(gate), direction, place), 0)
            assert int(values[0]) == want, (gate, direction, place)
    # Conservation: each truck restarted or starting later leaves (cleared or turned away, once)
    # or is still inside at the end; no other truck moves.
    restarted = np.zeros(len(cont.outcome), bool)
    restarted[[t.truck for t in start.trucks]] = True
    starts = np.fmin(cont.times["submitted_min"], cont.times["arrival_min"])
    later = ~restarted & (starts >= at)
    left = ~np.isnan(cont.times["departure_min"])
    assert np.array_equal(left, cont.outcome != 0)
    assert np.all(cont.times["departure_min"][left] >= at)
    assert not np.any(left & ~(restarted | later))
    assert int(restarted.sum()) == len(start.trucks) > 0
    cleared_later = int(np.sum(full.times["departure_min"] >= at))
    assert int(left.sum()) == cleared_later


def test_a_closed_stage_with_a_queue_drains_at_its_known_rate() -> None:
    """N trucks queued at a closed gate control with c lanes of fixed s minutes, nothing else
    arriving: once it opens at 08:00, the k-th truck (0 first) leaves at 08:00 + s (k // c + 1)."""
    n, lanes, service = 25, 3, 6.0
    sc = textbook(
        {
            "run.days": 2,
            "gates.g.gate_control.lanes": lanes,
            "gates.g.gate_control.service_min": {"default": {"dist": "fixed", "value": service}},
            "gates.g.gate_control.hours": {"open": "08:00", "close": "20:00"},
        }
    )
    at = 1440 + 5 * 60.0
    arrivals = hand_made([at - 60 + k for k in range(n)])
    start = Start(at, [LiveTruck(k, GATE_CONTROL, at - 60 + k, order=k) for k in range(n)])
    data = Model(sc, 0, arrivals, start=start).run()
    opens = 1440 + 8 * 60.0
    want = opens + service * (np.arange(n) // lanes + 1)
    assert np.all(data.outcome == CLEARED)
    np.testing.assert_allclose(np.sort(data.times["departure_min"]), want)
    assert np.all(data.times["gate_control_start_min"] >= opens)


def test_the_source_starts_the_same_trucks_whatever_its_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    # The source makes its Python numbers a slice of trucks at a time; slices of 3 cross a
    # boundary every few trucks, in a run from the start and in one restarted from its snapshot.
    sc = ref.load_case("baseline_14d")
    at = 7 * 1440 + 7 * 60 + 13.0
    whole = Model(sc, 0).run()
    monkeypatch.setattr(sim.world.model, "SOURCE_SLICE", 3)
    full, _, cont = snapshot_and_continue(sc, at)
    np.testing.assert_array_equal(full.times["departure_min"], whole.times["departure_min"])
    np.testing.assert_array_equal(full.outcome, whole.outcome)
    assert continues_exactly(whole, cont, at)
