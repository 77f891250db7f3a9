"""Draws shared by options are the draws each option would make itself (sim.world.shared_draws).

What the key leaves out must not change a draw (each left-out part changed on its own: the same
arrays); what it keeps must change the key; an experiment run with shared draws gives the very
numbers it gives with every run drawing its own; and the check fails when the key wrongly leaves
out a part the draws read.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE

import sim.world.shared_draws as shared_draws
from sim import load_scenario, validate_scenario
from sim.experiments import replications
from sim.experiments.replications import replication_seed, run_tasks
from sim.world.demand import generate_arrivals
from sim.world.model import TruckDraws, draw_trucks, stream
from sim.world.shared_draws import DrawStore, arrivals_key, draws_key, shared_keys

SHORT = {"run.days": 4, "run.warmup_days": 1}
CLOSURE = {
    "kind": "closure",
    "start": "2025-09-02 10:00",
    "end": "2025-09-02 14:00",
    "gates": ["huu_nghi"],
}
CAPACITY = {"kind": "capacity", "start": "2025-09-02 08:00", "end": "2025-09-03 08:00", "factor": 0.5}

# Each change touches a part the draws never read.
FREE = {
    "more gate-control lanes": {"gates.huu_nghi.gate_control.lanes": 9},
    "stage hours": {"gates.tan_thanh.customs_docs.hours": {"open": "05:00", "close": "23:30"}},
    "no priority": {"gates.huu_nghi.inspection.priority": []},
    "stage off": {"gates.huu_nghi.quarantine.enabled": False},
    "Chinese lanes and hours": {
        "gates.huu_nghi.routes.r1119_1120.china_check.lanes": 12,
        "gates.huu_nghi.routes.r1119_1120.china_check.hours_china": {"open": "07:00", "close": "23:00"},
    },
    "crossing bays": {"gates.huu_nghi.routes.r1116_1117.crossing.lanes": 6},
    "park places and call-forward": {
        "gates.huu_nghi.park.places": 300,
        "gates.huu_nghi.park.call_forward_below": 200,
    },
    "yard places": {"gates.huu_nghi.parking.export.places": 100},
    "officers and their hours": {
        "platform.officers": 3,
        "platform.hours": {"open": "00:00", "close": "24:00"},
    },
    "a closure and a slowdown": {"events": [CLOSURE, CAPACITY]},
    "warm-up and sampling": {"run.warmup_days": 2, "run.sample_interval_min": 30},
    "name and question": {"name": "other", "question": "what if?"},
}

# Each change touches a part the draws read.
READ = {
    "service time": {"gates.huu_nghi.gate_control.service_min": {"default": {"dist": "fixed", "value": 3}}},
    "review time": {"platform.review_min": {"dist": "fixed", "value": 9}},
    "channel shares": {"risk.channel_shares.fruit": {"green": 0.5, "yellow": 0.4, "red": 0.1}},
    "demand": {"gates.huu_nghi.demand_trucks_per_day.export.fruit": 300},
    "a demand event": {
        "events": [{"kind": "demand", "start": "2025-09-02", "end": "2025-09-03", "factor": 1.5}]
    },
    "park travel": {"gates.huu_nghi.park.travel_min": {"dist": "fixed", "value": 10}},
    "crossing mode": {"gates.huu_nghi.routes.r1119_1120.crossing.direct_share": {"export": 0.5}},
    "route choice": {"gates.huu_nghi.route_choice": "shorter_queue"},
}


def _scenario(changes: dict | None = None):
    return load_scenario(BASELINE, {**SHORT, **(changes or {})})


def _fresh(sc, root) -> tuple:
    arrivals = generate_arrivals(sc, stream(root, "arrivals"))
    return arrivals, draw_trucks(sc, arrivals, root)


def _flat(draws: TruckDraws) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(draws):
        value = getattr(draws, f.name)
        if isinstance(value, dict):
            out.update({f"{f.name}.{k}": v for k, v in value.items()})
        else:
            out[f.name] = value
    return out


def assert_same_draws(a: tuple, b: tuple) -> None:
    """Arrivals and draws *a* and *b* equal array by array (NaN equal to NaN)."""
    for name in ("time_min", "gate", "direction", "cargo"):
        assert np.array_equal(getattr(a[0], name), getattr(b[0], name)), f"arrivals.{name} differ"
    fa, fb = _flat(a[1]), _flat(b[1])
    assert fa.keys() == fb.keys(), "draws differ in what they hold"
    for key, value in fa.items():
        other = fb[key]
        if isinstance(value, np.ndarray) or isinstance(other, np.ndarray):
            same = isinstance(value, np.ndarray) and isinstance(other, np.ndarray)
            same = same and np.array_equal(value, other, equal_nan=value.dtype.kind == "f")
            assert same, f"draws.{key} differ"
        else:
            assert value == other, f"draws.{key} differ"


@pytest.mark.parametrize("what", list(FREE))
def test_a_part_the_key_leaves_out_changes_no_draw(what: str) -> None:
    root = replication_seed(3, 1)
    base, changed = _scenario(), _scenario(FREE[what])
    assert draws_key(base) == draws_key(changed)
    assert_same_draws(_fresh(base, root), _fresh(changed, root))


@pytest.mark.parametrize("what", list(READ))
def test_a_part_the_draws_read_changes_the_key(what: str) -> None:
    root = replication_seed(3, 1)
    base, changed = _scenario(), _scenario(READ[what])
    assert draws_key(base) != draws_key(changed)
    with pytest.raises(AssertionError, match="differ"):  # and the draws do differ
        assert_same_draws(_fresh(base, root), _fresh(changed, root))


def test_arrivals_are_shared_where_only_a_service_time_differs() -> None:
    base, slower = _scenario(), _scenario(READ["service time"])
    assert arrivals_key(base) == arrivals_key(slower) != arrivals_key(_scenario(READ["demand"]))
    store = DrawStore()
    root = replication_seed(0, 0)
    first, second = store.get(base, root), store.get(slower, root)
    assert first[0] is second[0]  # one drawing of the arrivals
    assert_same_draws(second, _fresh(slower, root))


def test_the_store_gives_each_run_its_own_copy() -> None:
    sc = _scenario()
    store = DrawStore()
    root = replication_seed(0, 0)
    a = store.get(sc, root)
    a[1].service_min["gate_control"][:] = -1.0  # a run changing its draws (a redrawn route, say)
    b = store.get(sc, root)
    assert (store.drawn, store.served) == (1, 2)
    assert_same_draws(b, _fresh(sc, root))


def _options() -> list:
    return [
        _scenario(),
        _scenario(FREE["more gate-control lanes"]),
        _scenario(READ["service time"]),
        _scenario(FREE["a closure and a slowdown"]),
        _scenario(READ["route choice"]),
    ]


def test_an_experiment_with_shared_draws_gives_the_numbers_of_fresh_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _options()
    assert len(shared_keys(options)) == 1  # three options share; the slower service and route choice do not
    tasks = [(k, i) for k in range(len(options)) for i in range(2)]
    monkeypatch.setattr(replications._LOCAL, "store", None, raising=False)
    monkeypatch.setattr(replications, "forget_shared_draws", lambda: None)  # to count after the run
    shared = run_tasks(options, tasks, seed=11, jobs=1, keep_series=False)
    store = replications._LOCAL.store
    assert (store.drawn, store.served) == (6, 10)  # per replication: the shared key once, two of their own
    fresh = run_tasks(options, tasks, seed=11, jobs=1, keep_series=False, share_draws=False)
    for task in tasks:
        pd.testing.assert_series_equal(shared[task].kpis, fresh[task].kpis, check_exact=True)
        pd.testing.assert_frame_equal(shared[task].daily, fresh[task].daily, check_exact=True)


def test_the_check_fails_when_the_key_leaves_out_a_read_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_draws, "DRAW_FREE_PLATFORM", (*shared_draws.DRAW_FREE_PLATFORM, "review_min"))
    base, changed = _scenario(), _scenario(READ["review time"])
    assert draws_key(base) == draws_key(changed)  # the wrong key cannot tell them apart
    store = DrawStore()
    root = replication_seed(0, 0)
    store.get(base, root)
    with pytest.raises(AssertionError, match="review_min differ"):
        assert_same_draws(store.get(changed, root), _fresh(changed, root))


def test_the_order_of_gates_and_cargo_classes_is_part_of_the_key() -> None:
    """The order numbers gates and cargo classes and orders the draws: reordered, not shared."""
    sc = _scenario()
    data = sc.model_dump(mode="json", by_alias=True)
    data["gates"] = dict(reversed(list(data["gates"].items())))
    reordered = validate_scenario(data, "reordered")
    assert draws_key(reordered) != draws_key(sc)
    assert arrivals_key(reordered) != arrivals_key(sc)
    data = sc.model_dump(mode="json", by_alias=True)
    data["cargo_classes"] = dict(reversed(list(data["cargo_classes"].items())))
    assert draws_key(validate_scenario(data, "reordered")) != draws_key(sc)


def test_the_store_is_each_threads_own() -> None:
    """Threads of one worker (a Dask worker's) keep their own store: no replication reads another's."""
    sc = _scenario()
    got: dict[int, tuple] = {}

    def draw(index: int) -> None:
        got[index] = replications._draw_store(frozenset({draws_key(sc)})).get(sc, replication_seed(5, index))

    workers = [threading.Thread(target=draw, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for index, value in got.items():
        assert_same_draws(value, _fresh(sc, replication_seed(5, index)))
