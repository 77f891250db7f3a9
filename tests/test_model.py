"""Exact timelines with fixed times: stage order, hours, closures, capacity factors, the platform."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hand_made, textbook

from sim import run
from sim.world.calendar import build_schedule

FIXED10 = {"default": {"dist": "fixed", "value": 10}}


def times(r, column: str) -> list[float]:
    return r.trucks[column].tolist()


def test_fifo_lane_serves_in_arrival_order() -> None:
    sc = textbook({"gates.g.gate_control.service_min": FIXED10})
    r = run(sc, arrivals=hand_made([0, 1, 2]))
    assert times(r, "gate_control_start_min") == [0, 10, 20]
    assert times(r, "departure_min") == [10, 20, 30]
    assert r.trucks["outcome"].tolist() == ["cleared"] * 3


def test_export_waits_for_chinese_hours_one_hour_ahead() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.routes.main.china_check": {
                "enabled": True,
                "lanes": 1,
                "service_min": {"default": {"dist": "fixed", "value": 6}},
                "hours_china": {"open": "08:00", "close": "09:00"},
            },
            "gates.g.routes.main.crossing": {
                "enabled": True,
                "lanes": 2,
                "trailer_swap_min": {"dist": "fixed", "value": 5},
                "direct_min": {"dist": "fixed", "value": 1},
            },
        }
    )
    r = run(sc, arrivals=hand_made([0, 1], direction=0))
    # 08:00 in China is 07:00 (minute 420) in Vietnam; the check takes 6 min each.
    assert times(r, "china_check_start_min") == [420, 426]
    assert times(r, "crossing_start_min") == [426, 432]
    assert times(r, "departure_min") == [431, 437]


def test_closure_lets_service_finish_and_holds_the_queue() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "events": [{"kind": "closure", "start": "2025-01-06 00:05", "end": "2025-01-06 01:00"}],
        }
    )
    r = run(sc, arrivals=hand_made([0, 1]))
    assert times(r, "gate_control_end_min") == [10, 70]


def test_capacity_factor_slows_service() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "events": [
                {"kind": "capacity", "start": "2025-01-06 00:00", "end": "2025-01-07 00:00", "factor": 0.5}
            ],
        }
    )
    r = run(sc, arrivals=hand_made([0]))
    assert times(r, "gate_control_end_min") == [20]


def test_opening_hours_and_extended_hours() -> None:
    sc = textbook(
        {
            "gates.g.hours": {"open": "07:00", "close": "18:00"},
            "events": [
                {
                    "kind": "extended_hours",
                    "start": "2025-01-07",
                    "end": "2025-01-07",
                    "hours": {"open": "05:00", "close": "22:00"},
                }
            ],
        }
    )
    s = build_schedule(sc, sc.gates["g"].hours, "g", "gate_control")
    assert s.state_at(6 * 60) == (False, 1.0)
    assert s.state_at(7 * 60) == (True, 1.0)
    assert s.state_at(18 * 60) == (False, 1.0)
    assert s.state_at(1440 + 5 * 60) == (True, 1.0)
    assert s.state_at(1440 + 21 * 60) == (True, 1.0)
    assert s.state_at(2 * 1440 + 6 * 60) == (False, 1.0)


def test_gate_control_waits_for_the_declaration() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "platform": {  # merged into the textbook's platform: only what differs
                "enabled": True,
                "lead_time_h": {"dist": "fixed", "value": 0.5},
                "auto_check_min": {"dist": "fixed", "value": 2},
                "review_min": {"dist": "fixed", "value": 3},
                "hours": {"open": "08:00", "close": "17:00"},
            },
        }
    )
    # Declared at 00:30 for a 01:00 arrival, reviewed when officers start at 08:00.
    r = run(sc, arrivals=hand_made([60, 9 * 60]))
    assert times(r, "submitted_min") == [30, 510]
    assert times(r, "approved_min") == [483, 515]
    assert times(r, "gate_control_start_min") == [483, 540]
    late = (r.trucks["approved_min"] > r.trucks["arrival_min"]).tolist()
    assert late == [True, False]


def test_paper_declaration_at_the_counter() -> None:
    sc = textbook(
        {
            "gates.g.gate_control.service_min": FIXED10,
            "gates.g.declaration_counter": {
                "enabled": True,
                "lanes": 1,
                "service_min": {"default": {"dist": "fixed", "value": 30}},
            },
            "platform": {"enabled": True, "predeclared_share": 0},
        }
    )
    r = run(sc, arrivals=hand_made([0, 0]))
    assert times(r, "declaration_counter_end_min") == [30, 60]
    assert times(r, "approved_min") == [30, 60]
    assert times(r, "departure_min") == [40, 70]
    assert r.trucks["submitted_min"].isna().all()


def test_returned_declarations_come_back_after_correction() -> None:
    sc = textbook(
        {
            "platform": {
                "enabled": True,
                "lead_time_h": {"dist": "fixed", "value": 5},
                "officers": 50,
                "review_min": {"dist": "fixed", "value": 2},
                "returned_share": 0.5,
            },
        }
    )
    tr = run(sc, seed=1).trucks
    full = tr[tr["submitted_min"] > 0]
    taken = full["approved_min"] - full["submitted_min"]
    # Each return adds a correction hour plus another check and review (3 min).
    assert np.allclose(taken, 3 + full["returns"] * 63)
    assert full["returns"].mean() == pytest.approx(1.0, rel=0.1)  # geometric, p = 0.5


def test_red_channel_visits_documents_and_inspection() -> None:
    sc = textbook(
        {
            "risk.channel_shares.default": {"green": 0.2, "yellow": 0.3, "red": 0.5},
            "gates.g.customs_docs": {"enabled": True, "lanes": 5, "service_min": FIXED10},
            "gates.g.inspection": {"enabled": True, "lanes": 5, "service_min": FIXED10},
        }
    )
    tr = run(sc, seed=2).trucks
    for channel, docs, insp in (("green", False, False), ("yellow", True, False), ("red", True, True)):
        sel = tr[(tr["channel"] == channel) & (tr["outcome"] == "cleared")]
        assert len(sel) > 100
        assert sel["customs_docs_start_min"].notna().all() == docs
        assert sel["inspection_start_min"].notna().all() == insp
    shares = tr["channel"].value_counts(normalize=True)
    assert shares["red"] == pytest.approx(0.5, abs=0.03)


def test_progress_is_reported_at_each_days_end_by_one_event_a_day_and_moves_nothing() -> None:
    from sim.world.model import Model

    sc = textbook({"run.days": 4})
    seen: list[tuple[int, int, float]] = []
    reported = Model(sc, 3)
    data = reported.run(lambda day, days: seen.append((day, days, reported.env.now)))
    assert seen == [(day, 4, day * 1440.0) for day in range(1, 5)]
    quiet = Model(sc, 3)
    alone = quiet.run()
    np.testing.assert_array_equal(data.times["departure_min"], alone.times["departure_min"])
    # A day's report is one event (the last is called after the run): stopping SimPy at each
    # day's end, as before, cost two events a day with or without a report.
    assert next(reported.env._eid) - next(quiet.env._eid) == 4 - 1
    # Stopped inside a day: each day up to the one the stop falls in, the last at the stop; at a
    # day's end: that day last. No report is left pending for a run that goes on from there.
    stops = {2.5 * 1440: [(1, 1440.0), (2, 2880.0), (3, 3600.0)], 2 * 1440: [(1, 1440.0), (2, 2880.0)]}
    for until, days_seen in stops.items():
        seen.clear()
        part = Model(sc, 3)
        part.run(lambda day, days, m=part: seen.append((day, days, m.env.now)), until_min=until)
        assert seen == [(day, 4, now) for day, now in days_seen]
        left = [cb for *_, ev in part.env._queue for cb in ev.callbacks or () if cb.__name__ == "report"]
        assert not left
    # Started within a day (as a restart is): the reports are of the days still to run.
    seen.clear()
    later = Model(sc, 3)
    later.env.run(until=1.5 * 1440)
    later.run(lambda day, days: seen.append((day, days, later.env.now)))
    assert seen == [(day, 4, day * 1440.0) for day in range(2, 5)]
