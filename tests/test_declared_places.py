"""Places before the procedure: declared exports on their way or waiting outside the gate area."""

from __future__ import annotations

import importlib.util
import tracemalloc

import numpy as np
import pytest

from sim.experiments.results import HELD_PLACES, run
from sim.world.scenario_files import load_scenario
from sim.world.schema.names import AREA_PLACES, DECLARED_PLACES, DIRECTIONS

BASE = "scenarios/baseline.yaml"
SHORT = {"run.days": 10, "run.warmup_days": 3}
NEW = ("_declared", "_enroute", "_outside")


@pytest.fixture(scope="module")
def pair():
    """The baseline with the outside wait on and off, both counting the gate area only."""
    on = load_scenario(BASE).with_changes({**SHORT, "kpi.held_places": list(AREA_PLACES)})
    off = on.with_changes({"platform.outside_h": None})
    return run(on, 3), run(off, 3)


def test_switched_off_the_new_places_change_no_other_number(pair) -> None:
    on, off = pair
    k_on, k_off = on.kpis(), off.kpis()
    same = [k for k in k_off.index if not k.endswith(NEW)]
    assert np.allclose(k_on[same].to_numpy(), k_off[same].to_numpy(), equal_nan=True)
    # ... while the places themselves do see the wait outside.
    assert k_on["held_at_20h_export_mean_outside"] > 0
    assert k_off["held_at_20h_export_mean_outside"] == 0


def test_every_declared_export_is_in_exactly_one_place_and_held_adds_up(pair) -> None:
    on, _ = pair
    t = on.data.times
    at = np.arange(on.scenario.run.days * 24) * 60.0
    places = on.places_at(at)
    for g, gate in enumerate(on.scenario.gates):
        total = sum(places[(gate, "export")][p] for p in HELD_PLACES)
        # Declared (or arrived) and not gone = every place's count, hour by hour, gate by gate.
        sel = (on.data.arrivals.direction == 0) & (on.data.arrivals.gate == g)
        start = np.fmin(t["submitted_min"], t["arrival_min"])[sel]
        gone = t["departure_min"][sel]
        expected = [np.sum((start <= x) & ~(gone <= x)) for x in at]
        assert np.array_equal(total, expected), gate
    held = on.held_at()
    assert np.array_equal(held["total"], held[list(on.scenario.kpi.held_places)].sum(axis=1))
    k = on.kpis()
    declared = sum(k[f"held_at_20h_export_mean_{p}"] for p in HELD_PLACES)
    in_area = sum(k[f"held_at_20h_export_mean_{p}"] for p in AREA_PLACES)
    assert k["held_at_20h_export_mean_declared"] == pytest.approx(declared)
    assert k["held_at_20h_export_mean_in_area"] == pytest.approx(in_area)
    assert k["held_at_20h_export_mean"] == pytest.approx(in_area)  # held_places = the area here


def test_the_fruit_minimum_lead_is_a_floor_on_declarations() -> None:
    sc = load_scenario(BASE).with_changes(SHORT)
    r = run(sc, 1)
    t = r.data.times
    fruit = list(sc.cargo_classes).index("fruit")
    sel = (r.data.arrivals.direction == 0) & (r.data.arrivals.cargo == fruit)
    sel &= t["arrival_min"] > 24 * 60  # declarations are not before the run's start
    lead = t["arrival_min"][sel] - t["submitted_min"][sel]
    assert lead.min() >= 24 * 60 - 1e-6


def test_the_fit_moves_only_the_lead_time() -> None:
    spec = importlib.util.spec_from_file_location("fit_lead_time", "analysis/fit_lead_time.py")
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)
    base = load_scenario(BASE)
    for sc in fit.grid_scenarios(base):
        a, b = base.to_dict(), sc.to_dict()
        assert {k for k in a if a[k] != b[k]} <= {"platform", "run"}
        pa, pb = dict(a["platform"]), dict(b["platform"])
        pa.pop("lead_time_h"), pb.pop("lead_time_h")
        assert pa == pb
    assert set(DECLARED_PLACES) == {"enroute", "outside"}


def test_the_baseline_carries_the_fitted_lead_time_reported_against_498() -> None:
    import re
    from pathlib import Path

    report = Path("calibration/lead_time_fit.md").read_text(encoding="utf-8")
    assert "498 exports held at 20:00 on 29 May 2025" in report
    fitted = float(re.search(r"Fitted mean: \*\*([\d.]+) h\*\*", report).group(1))
    assert load_scenario(BASE).platform.lead_time_h.mean_value == pytest.approx(fitted)


def test_counting_the_places_holds_a_few_arrays_of_one_slice_not_the_whole_log(pair) -> None:
    """``places_at`` counts one gate and direction at a time, from the columns it reads, one place
    at a time: its working memory is some arrays as long as the largest slice, not every place's
    spans at once and a copy of every column of the truck log. Bound: 20 arrays of the slice (8
    copied columns, and about a dozen spans and sorts). Measured on this pair: 17.9; 47 with every
    place's spans and every column at once, 26 and 33 with only one of the two."""
    on, _ = pair
    arrivals = on.data.arrivals
    slices = [
        int(((arrivals.gate == g) & (arrivals.direction == d)).sum())
        for g in range(len(on.scenario.gates))
        for d in range(len(DIRECTIONS))
    ]
    at = np.arange(on.scenario.run.days) * 1440.0 + 20 * 60
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        on.places_at(at)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    assert peak - before <= 20 * 8 * max(slices), (peak - before) / (8 * max(slices))
