"""Known-answer timelines for routes, the Chinese side both ways, priority, the holding park and
the platform, and fruit priority against Cobham's formula for M/M/c non-preemptive priority."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from conftest import hand_made, textbook
from test_theory import REPS, erlang_c_wait, interval

from sim import run
from sim.world.demand import Arrivals
from sim.world.schema.names import ScenarioError

FIXED10 = {"default": {"dist": "fixed", "value": 10}}
TWO_CLASSES = {"general": {}, "fruit": {"perishable": True}}


def times(r, column: str) -> list[float]:
    return r.trucks[column].tolist()


def mixed(times_min: list[float], cargo: list[int], direction: int = 1) -> Arrivals:
    """Hand-made arrivals with a cargo class each (0 general, 1 fruit)."""
    a = hand_made(times_min, direction=direction)
    return Arrivals(a.time_min, a.gate, a.direction, np.asarray(cargo, dtype=np.int8))


def check(lanes: int = 1, minutes: float = 10, **extra) -> dict:
    return {
        "enabled": True,
        "lanes": lanes,
        "service_min": {"default": {"dist": "fixed", "value": minutes}},
        **extra,
    }


def test_imports_wait_on_the_chinese_side_for_their_own_hours() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.routes.main.china_check": check(
                hours_china={"open": "08:00", "close": "20:00"},
                hours_china_by_direction={"import": {"open": "09:00", "close": "23:00"}},
            ),
        }
    )
    r = run(sc, arrivals=hand_made([180, 181]))  # imports at 03:00 Vietnam time, on the Chinese side
    # 09:00 China time is 08:00 (minute 480) in Vietnam: the checkpoint releases them from then.
    assert times(r, "china_check_start_min") == [480, 490]
    assert times(r, "gate_arrival_min") == [490, 500]
    assert times(r, "gate_control_start_min") == [490, 500]
    assert r.trucks["china_side_h"].tolist() == pytest.approx([310 / 60, 319 / 60])


def test_a_closure_of_one_route_for_imports_holds_imports_only() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.routes.main.china_check": check(lanes=2),
            "events": [
                {
                    "kind": "closure",
                    "start": "2025-01-06 00:00",
                    "end": "2025-01-06 02:00",
                    "stages": ["china_check"],
                    "routes": ["main"],
                    "directions": ["import"],
                }
            ],
        }
    )
    imports = run(sc, arrivals=hand_made([30], direction=1))
    exports = run(sc, arrivals=hand_made([30], direction=0))
    assert times(imports, "china_check_start_min") == [120]
    assert times(exports, "china_check_start_min") == [40]  # after gate control, not held


def test_a_closure_naming_another_route_leaves_this_one_open() -> None:
    sc = textbook({"gates.g.routes.main.china_check": check()})
    with pytest.raises(ScenarioError, match="unknown route 'other'"):
        sc.with_changes(
            {
                "events": [
                    {
                        "kind": "closure",
                        "start": "2025-01-06 00:00",
                        "end": "2025-01-06 02:00",
                        "routes": ["other"],
                    }
                ]
            }
        )


def test_priority_overtakes_in_the_queue_but_never_preempts() -> None:
    sc = textbook(
        {
            "cargo_classes": TWO_CLASSES,
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.gate_control.priority": ["fruit"],
        }
    )
    r = run(sc, arrivals=mixed([0, 1, 2, 3], [0, 0, 1, 1]))
    # general 0 is in service when the fruit trucks come: it finishes; both fruit trucks then go
    # before general 1, first come first served between them.
    assert times(r, "gate_control_start_min") == [0, 30, 10, 20]
    fifo = run(
        sc.with_changes({"gates.g.gate_control.priority": []}), arrivals=mixed([0, 1, 2, 3], [0, 0, 1, 1])
    )
    assert times(fifo, "gate_control_start_min") == [0, 10, 20, 30]


def test_priority_at_the_chinese_checkpoint() -> None:
    sc = textbook(
        {
            "cargo_classes": TWO_CLASSES,
            "gates.g.gate_control.enabled": False,
            "gates.g.routes.main.china_check": check(priority=["fruit"]),
        }
    )
    r = run(sc, arrivals=mixed([0, 1, 2], [0, 0, 1], direction=0))
    assert times(r, "china_check_start_min") == [0, 20, 10]


def park(**extra) -> dict:
    return {"travel_min": {"dist": "fixed", "value": 5}, **extra}


def test_call_forward_keeps_the_yard_at_or_below_its_threshold_and_travel_takes_its_time() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.park": park(call_forward_below=2),
        }
    )
    r = run(sc, arrivals=hand_made([0, 0, 0, 0], direction=0))
    # Two are called at once; each later one when a truck leaves the yard (and the count drops below 2).
    assert times(r, "called_min") == [0, 0, 15, 25]
    assert times(r, "gate_arrival_min") == [5, 5, 20, 30]
    assert times(r, "departure_min") == [15, 25, 35, 45]
    assert r.trucks["park_h"].tolist() == pytest.approx([0, 0, 15 / 60, 25 / 60])
    assert (r.trucks["road_h"] == 0).all()  # nobody queues on the road
    assert r.data.series[("g", "parking_export")]["max_busy"].max() <= 2


def test_call_forward_by_priority_calls_fruit_first() -> None:
    sc = textbook(
        {
            "cargo_classes": TWO_CLASSES,
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.park": park(call_forward_below=1, order="priority", priority=["fruit"]),
        }
    )
    r = run(sc, arrivals=mixed([0, 1, 2], [0, 0, 1], direction=0))
    assert times(r, "called_min") == [0, 30, 15]


def test_a_full_park_queues_on_the_road_and_the_road_counts_it() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.park": park(places=1, call_forward_below=1),
        }
    )
    r = run(sc, arrivals=hand_made([0, 0, 0], direction=0))
    # Truck 0 is called at once; 1 waits in the park; 2 waits on the road until 1 is called (15).
    assert times(r, "park_in_min") == [0, 0, 15]
    assert times(r, "called_min") == [0, 15, 30]
    road_truck_min = r.data.series[("g", "parking_export")]["cum_wait"][-1]
    assert road_truck_min == pytest.approx(15)


def test_call_forward_above_the_yard_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"call_forward_below.*above the export yard's size"):
        textbook({"gates.g.parking.export": {"places": 10}, "gates.g.park": park(call_forward_below=11)})


def test_shares_must_sum_to_one_over_routes() -> None:
    with pytest.raises(ScenarioError, match="export shares of cargo class 'general' must sum to 1"):
        textbook(
            {
                "gates.g.demand_trucks_per_day.export": {"general": 10},
                "gates.g.routes.main.share.export": {"default": 0.6},
            }
        )


def test_shorter_queue_takes_the_emptier_checkpoint() -> None:
    second = {
        "share": {"export": {"default": 0.0}, "import": {"default": 0.0}},
        "china_check": check(minutes=10),
        "crossing": {
            "enabled": False,
            "lanes": 1,
            "trailer_swap_min": {"dist": "fixed", "value": 1},
            "direct_min": {"dist": "fixed", "value": 1},
        },
    }
    base = {
        "gates.g.gate_control.enabled": False,
        "gates.g.routes.main.china_check": check(minutes=10),
        "gates.g.routes.main.share.export": {"default": 0.5},
        "gates.g.routes.b": {**second, "share": {"export": {"default": 0.5}, "import": {"default": 0.0}}},
    }
    arrivals = hand_made([0, 0, 0, 0], direction=0)
    shares = run(textbook(base), seed=1, arrivals=arrivals)
    choice = run(textbook({**base, "gates.g.route_choice": "shorter_queue"}), seed=1, arrivals=arrivals)
    # Four trucks at once on two single-lane checkpoints: the rule spreads them two and two.
    assert sorted(choice.trucks["route"].value_counts().tolist()) == [2, 2]
    assert max(times(choice, "departure_min")) == 20
    assert max(times(shares, "departure_min")) >= 20


def test_returned_declarations_get_fresh_draws_for_every_review() -> None:
    sc = textbook(
        {
            "platform": {
                "enabled": True,
                "predeclared_share": 1.0,
                "lead_time_h": {"dist": "fixed", "value": 1},
                "auto_check_min": {"dist": "fixed", "value": 1},
                "officers": 4,
                "review_min": {"dist": "exponential", "mean": 5},
                "returned_share": 0.6,
                "correction_h": {"dist": "exponential", "mean": 1},
            },
            "gates.g.demand_trucks_per_day.import.general": 20,
        }
    )
    r = run(sc, seed=4)
    from sim.world.model import as_seed_sequence, draw_trucks

    d = draw_trucks(sc, r.data.arrivals, as_seed_sequence(4))  # the run keeps only what tables read
    assert np.array_equal(d.returns, r.data.draws.returns)  # the same trucks' draws
    tr = r.trucks
    twice = np.flatnonzero(d.returns == 2)
    assert twice.size > 0
    for i in twice[:5]:
        v1, v2 = d.later_visits[0][i], d.later_visits[1][i]
        assert v1[1] != d.review_min[i]  # a fresh review time each visit
        assert v2[1] != v1[1]
        # With free officers the approval comes exactly after the three checks, three reviews
        # and two corrections of that truck's own draws.
        expected = (
            tr.loc[i, "submitted_min"]
            + d.auto_check_min[i]
            + d.review_min[i]
            + d.correction_min[i]
            + v1[0]
            + v1[1]
            + v1[2]
            + v2[0]
            + v2[1]
        )
        assert tr.loc[i, "approved_min"] == pytest.approx(expected)


def test_a_platform_outage_delays_approval() -> None:
    platform = {
        "enabled": True,
        "predeclared_share": 1.0,
        "lead_time_h": {"dist": "fixed", "value": 0},
        "auto_check_min": {"dist": "fixed", "value": 1},
        "officers": 1,
        "review_min": {"dist": "fixed", "value": 2},
        "returned_share": 0,
        "correction_h": {"dist": "fixed", "value": 1},
    }
    outage = [
        {"kind": "closure", "start": "2025-01-06 00:00", "end": "2025-01-06 01:00", "stages": ["platform"]}
    ]
    base = textbook({"platform": platform, "gates.g.gate_control.service_min": FIXED10})
    assert times(run(base, arrivals=hand_made([10])), "approved_min") == [13]
    assert times(run(base.with_changes({"events": outage}), arrivals=hand_made([10])), "approved_min") == [62]
    # An event that does not name the platform leaves it alone.
    gates_only = [{**outage[0], "stages": None}]
    assert times(
        run(base.with_changes({"events": gates_only}), arrivals=hand_made([10])), "approved_min"
    ) == [13]


def cobham_waits(lams: list[float], mean_service: float, c: int) -> list[float]:
    """Mean waits of M/M/c non-preemptive priority classes (Cobham), highest priority first."""
    lam = sum(lams)
    mu = 1 / mean_service
    p_wait = erlang_c_wait(lam, mean_service, c) * (c * mu - lam)  # Erlang C probability
    out, sigma = [], 0.0
    for lk in lams:
        before = sigma
        sigma += lk / (c * mu)
        out.append(p_wait / (c * mu * (1 - before) * (1 - sigma)))
    return out


def class_waits(r, cargo: str) -> float:
    tr = r.trucks
    sel = (tr["arrival_min"] >= r.warmup_min) & (tr["cargo"] == cargo)
    return float((tr.loc[sel, "gate_control_start_min"] - tr.loc[sel, "yard_in_min"]).mean())


@pytest.mark.slow
def test_fruit_priority_matches_cobham_and_fifo_does_not() -> None:
    c, mean_s, fruit, general = 2, 6.5, 120, 240  # trucks a day; rho = 0.81
    sc = textbook(
        {
            "run.days": 90,
            "cargo_classes": TWO_CLASSES,
            "gates.g.demand_trucks_per_day.import": {"fruit": fruit, "general": general},
            "gates.g.gate_control.lanes": c,
            "gates.g.gate_control.service_min.default.mean": mean_s,
            "gates.g.gate_control.priority": ["fruit"],
        }
    )
    theory = cobham_waits([fruit / 1440, general / 1440], mean_s, c)
    runs = [run(sc, seed=s) for s in range(REPS)]
    for cargo, expected in zip(("fruit", "general"), theory, strict=True):
        _m, low, high = interval([class_waits(r, cargo) for r in runs])
        assert low <= expected <= high, f"{cargo}: Cobham {expected:.2f} min outside [{low:.2f}, {high:.2f}]"
        assert high - low < 0.2 * expected, "interval too wide to catch a bug"
    # The broken twin: the same trucks first come first served miss Cobham's fruit wait.
    fifo = sc.with_changes({"gates.g.gate_control.priority": []})
    _m, low, high = interval([class_waits(run(fifo, seed=s), "fruit") for s in range(REPS)])
    assert not low <= theory[0] <= high
    assert math.isclose(
        theory[0] * fruit + theory[1] * general, erlang_c_wait(360 / 1440, mean_s, c) * 360, rel_tol=1e-9
    )


def test_simpy_keeps_the_attributes_the_busiest_steps_read() -> None:
    # sim.world.stages and the truck process read env._now and event._value, the attributes
    # behind SimPy's now and value properties (a property call less a step): a SimPy that
    # renamed or changed them fails here, not silently in a run.
    env = simpy.Environment(initial_time=5.0)
    timeout = env.timeout(2.5, value="x")
    env.run()
    assert env._now == env.now == 7.5
    assert timeout._value == timeout.value == "x"
