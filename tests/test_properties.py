"""Invariants over many random small scenarios: nothing is lost, steps happen in order, seeds repeat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import textbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run
from sim.experiments.results import PIECES
from sim.world.schema.names import LANE_STAGES

LOGNORMAL = {"dist": "lognormal", "mean": 6, "cv": 0.7}


def _route(draw: st.DrawFn, export_share: float, import_share: float) -> dict:
    return {
        "share": {"export": {"default": export_share}, "import": {"default": import_share}},
        "china_check": {
            "enabled": draw(st.booleans()),
            "lanes": draw(st.integers(1, 2)),
            "service_min": {"default": LOGNORMAL},
            "hours_china": {"open": "08:00", "close": "20:00"},
            "hours_china_by_direction": {"import": {"open": "09:00", "close": "23:00"}},
            "priority": draw(st.sampled_from([[], ["fruit"]])),
        },
        "crossing": {
            "enabled": draw(st.booleans()),
            "directions": draw(st.sampled_from([["export"], ["export", "import"], ["import"]])),
            "lanes": 2,
            "direct_share": {"export": 0.3, "import": 0.5},
            "trailer_swap_min": LOGNORMAL,
            "direct_min": LOGNORMAL,
            "priority": draw(st.sampled_from([[], ["fruit"]])),
        },
    }


@st.composite
def small_scenarios(draw: st.DrawFn):
    on = {s: draw(st.booleans()) for s in ("gate_control", "customs_docs", "inspection", "quarantine")}
    split = draw(st.sampled_from([0.0, 0.4, 1.0]))
    changes = {
        "run.days": 4,
        "run.warmup_days": 1,
        "cargo_classes": {"general": {}, "fruit": {"perishable": True}},
        "gates.g.demand_trucks_per_day": {
            "export": {"general": draw(st.integers(0, 300)), "fruit": draw(st.integers(0, 200))},
            "import": {"general": draw(st.integers(0, 300)), "fruit": draw(st.integers(0, 100))},
        },
        "risk.channel_shares.default": {"green": 0.5, "yellow": 0.3, "red": 0.2},
        "risk.quarantine_share.default": draw(st.sampled_from([0.0, 0.5])),
        "gates.g.routes.main": _route(draw, split, 1 - split),
        "gates.g.routes.b": _route(draw, 1 - split, split),
        "gates.g.route_choice": draw(st.sampled_from(["shares", "shorter_queue"])),
        "gates.g.hours": draw(st.sampled_from(["always", {"open": "07:00", "close": "19:00"}])),
        "gates.g.parking.export": {
            "places": draw(st.sampled_from([None, 5, 40])),
            "when_full": draw(st.sampled_from(["road", "turn_away"])),
        },
        "platform.enabled": draw(st.booleans()),
        "platform.predeclared_share": draw(st.sampled_from([0.0, 0.7, 1.0])),
        "platform.returned_share": draw(st.sampled_from([0.0, 0.3])),
        "gates.g.declaration_counter": {"enabled": True, "lanes": 1, "service_min": {"default": LOGNORMAL}},
    }
    if draw(st.booleans()):
        places = changes["gates.g.parking.export"]["places"]
        changes["gates.g.park"] = {
            "places": draw(st.sampled_from([None, 3, 30])),
            "travel_min": LOGNORMAL,
            "call_forward_below": draw(st.sampled_from([None, 2])) if places is None or places >= 2 else None,
            "order": draw(st.sampled_from(["fifo", "priority"])),
            "priority": ["fruit"],
        }
    for stage, enabled in on.items():
        changes[f"gates.g.{stage}"] = {
            "enabled": enabled,
            "lanes": draw(st.integers(1, 3)),
            "service_min": {"default": LOGNORMAL},
            "priority": draw(st.sampled_from([[], ["fruit"]])),
        }
    if draw(st.booleans()):
        changes["events"] = [
            {
                "kind": "closure",
                "start": "2025-01-07 10:00",
                "end": "2025-01-08 02:00",
                "stages": ["china_check"],
                "routes": ["main"],
                "directions": ["import"],
            },
            {"kind": "capacity", "start": "2025-01-06 12:00", "end": "2025-01-08", "factor": 0.3},
            {
                "kind": "closure",
                "start": "2025-01-06 09:00",
                "end": "2025-01-06 15:00",
                "stages": ["platform"],
            },
        ]
    return textbook(changes), draw(st.integers(0, 2**31))


def _overlap_integral(start: np.ndarray, end: np.ndarray, a: float, b: float) -> float:
    """Truck-minutes that the intervals [start, end) (NaN end: still there) spend inside [a, b)."""
    ok = ~np.isnan(start)
    s = np.clip(start[ok], a, b)
    e = np.clip(np.where(np.isnan(end[ok]), b, end[ok]), a, b)
    return float(np.maximum(e - s, 0).sum())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_every_truck_is_accounted_for_and_steps_are_in_order(case) -> None:
    sc, seed = case
    r = run(sc, seed=seed)
    tr = r.trucks
    table = r.check_conservation()
    assert (table["cleared"] + table["turned_away"] + table["inside"] == table["generated"]).all()
    assert table["generated"].sum() == len(tr)
    cleared = tr["outcome"] == "cleared"
    assert tr.loc[cleared, "departure_min"].notna().all()
    assert tr.loc[tr["outcome"] == "inside", "departure_min"].isna().all()
    assert r.daily["cleared"].sum() == cleared.sum()
    # Every truck inside is in exactly one place, at any clock time of any day, per direction.
    for clock in ("03:00", "13:30", "20:00"):
        held = r.held_at(
            clock, window=(str(sc.run.start_date), str(sc.run.start_date + pd.Timedelta(days=3)))
        )
        for row in held.itertuples():
            at = row.day * 1440 + int(clock[:2]) * 60 + int(clock[3:])
            assert row.total == r.in_system(np.array([at]), row.gate, row.direction)[0]
    # The pieces of each cleared truck's time add up to its time in the system.
    for direction, pieces in PIECES.items():
        sel = cleared & (tr["direction"] == direction)
        total = tr.loc[sel, [f"{p}_h" for p in pieces]].sum(axis=1)
        np.testing.assert_allclose(total, tr.loc[sel, "time_in_system_h"], atol=1e-9)
    # Two bookkeepings agree: the monitors' time integrals of the yard, the park and the road
    # against the same integrals rebuilt from the truck log.
    t = r.data.times
    exp = r.data.arrivals.direction == 0
    end = r.horizon_min
    s = r.data.series
    yard = _overlap_integral(np.where(exp, t["yard_in_min"], np.nan), t["departure_min"], 0, end)
    assert s[("g", "parking_export")]["cum_busy"][-1] == pytest.approx(yard, rel=1e-9, abs=1e-6)
    gone = t["departure_min"]
    road = _overlap_integral(
        np.where(exp, t["gate_arrival_min"], np.nan), np.fmin(t["yard_in_min"], gone), 0, end
    )
    if sc.gates["g"].park is not None:  # every export queues for the park (if only for no time)
        road += _overlap_integral(np.where(exp, t["arrival_min"], np.nan), t["park_in_min"], 0, end)
    assert s[("g", "parking_export")]["cum_wait"][-1] == pytest.approx(road, rel=1e-9, abs=1e-6)
    if ("g", "park") in s:
        park = _overlap_integral(t["park_in_min"], t["called_min"], 0, end)
        assert s[("g", "park")]["cum_busy"][-1] == pytest.approx(park, rel=1e-9, abs=1e-6)
        # Call-forward keeps the yard, with trucks on their way, at or below its threshold.
        limit = sc.gates["g"].park.call_forward_below
        if limit is not None:
            assert s[("g", "parking_export")]["max_busy"].max() <= limit
    # Along each truck's path, every recorded time is no earlier than the one before it.
    path = ["arrival_min", "park_in_min", "called_min", "gate_arrival_min", "yard_in_min"]
    path += [f"{s}_{e}_min" for s in LANE_STAGES for e in ("start", "end")]
    path += ["procedures_end_min"]
    exports = tr["direction"] == "export"
    for cols, rows in (
        (
            [
                *path,
                "china_check_start_min",
                "china_check_end_min",
                "crossing_start_min",
                "crossing_end_min",
                "departure_min",
            ],
            exports,
        ),
        (
            [
                "arrival_min",
                "china_check_start_min",
                "china_check_end_min",
                "crossing_start_min",
                "crossing_end_min",
                *path[3:],
                "departure_min",
            ],
            ~exports,
        ),
    ):
        values = tr.loc[rows, cols].to_numpy()
        running = np.fmax.accumulate(np.nan_to_num(values, nan=-np.inf), axis=1)
        ok = np.isnan(values) | (values >= running - 1e-9)
        assert ok.all()
    approved = tr["approved_min"]
    started = tr["gate_control_start_min"]
    both = approved.notna() & started.notna()
    assert (started[both] >= approved[both] - 1e-9).all()


@settings(max_examples=8, deadline=None)
@given(small_scenarios())
def test_same_seed_same_tables(case) -> None:
    sc, seed = case
    a, b = run(sc, seed=seed), run(sc, seed=seed)
    pd.testing.assert_frame_equal(a.trucks, b.trucks)
    pd.testing.assert_frame_equal(a.queues, b.queues)
    pd.testing.assert_series_equal(a.kpis(), b.kpis())


def test_different_seeds_differ_and_common_numbers_hold(baseline) -> None:
    short = baseline.with_changes({"run.days": 10, "run.warmup_days": 2})
    a, b = run(short, seed=1), run(short, seed=2)
    assert len(a.trucks) != len(b.trucks) or not a.trucks["arrival_min"].equals(b.trucks["arrival_min"])
    # One more customs lane changes no truck's arrival or service draws: common random numbers.
    more = short.with_changes({"gates.huu_nghi.customs_docs.lanes": 8})
    c = run(more, seed=1)
    pd.testing.assert_series_equal(a.trucks["arrival_min"], c.trucks["arrival_min"])
    pd.testing.assert_series_equal(a.trucks["channel"], c.trucks["channel"])
    assert not a.trucks["departure_min"].equals(c.trucks["departure_min"])
