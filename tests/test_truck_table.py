"""The truck table made whole, a slice at a time, or a column when read is the same table.

A run's KPIs, daily and monthly figures, costs and histograms read the truck table a column at a
time (sim.experiments.truck_table), and trucks.parquet is written from slices made from the truck
log, so that a long run never holds the whole table beside its log. Each way must give the same
values bit for bit, the columns in hours must add up to the time in the system (a check the table's
code does not write), and the run's own figures must never make the whole table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import MECHANISM_CASES, load_benchmark

import sim.experiments.truck_table as truck_table
from sim.experiments.histograms import time_in_system_histogram
from sim.experiments.replications import run_replication
from sim.experiments.results import run
from sim.experiments.truck_table import COLUMNS, HOUR_COLUMNS, TruckColumns
from sim.presentation.output import write_parquet_slices, write_run, write_trucks_parquet
from sim.world.model import TIME_COLUMNS
from sim.world.schema.names import PIECES

ref = load_benchmark("heap_reference")


@pytest.fixture(scope="module", params=[*MECHANISM_CASES, "platform_off"])  # returns: 0, not drawn
def result(request: pytest.FixtureRequest):
    return run(ref.load_case(request.param), seed=5)


def test_columns_read_alone_are_the_whole_tables(result) -> None:
    whole = result.trucks
    columns = TruckColumns(result.data, result.scenario)
    assert list(whole.columns) == list(COLUMNS)
    assert len(columns) == len(whole)
    for name in COLUMNS:
        pd.testing.assert_series_equal(columns[name], whole[name], check_exact=True)
    # The truck log's columns kept whole are shared with the table, not copied.
    shared = [c for c in TIME_COLUMNS if not result.data.times.is_compact(c)]
    assert "departure_min" in shared
    for name in shared:
        assert np.shares_memory(columns.values(name), result.data.times[name])
        assert np.shares_memory(whole[name].to_numpy(), result.data.times[name])


def test_described_columns_say_what_the_log_says(result) -> None:
    """Each truck's categories and flags, read here truck by truck from the log and the scenario
    (not by the table's code)."""
    d, sc = result.data, result.scenario
    tr = result.trucks
    gates, cargos = list(sc.gates), list(sc.cargo_classes)
    keys = [(g, r) for g, gate in sc.gates.items() for r in gate.routes]
    assert tr["truck"].tolist() == list(range(len(d.arrivals)))
    rng = np.random.default_rng(0)
    for i in rng.choice(len(d.arrivals), min(300, len(d.arrivals)), replace=False).tolist():
        row = tr.iloc[i]
        gate, route = keys[int(d.draws.route[i])]
        assert row["gate"] == gates[int(d.arrivals.gate[i])] == gate
        assert row["route"] == route
        assert row["direction"] == ("export", "import")[int(d.arrivals.direction[i])]
        assert row["cargo"] == cargos[int(d.arrivals.cargo[i])]
        order = sc.gates[gate].routes[route].china_check.priority
        cargo = cargos[int(d.arrivals.cargo[i])]
        assert row["priority_rank"] == (order.index(cargo) if cargo in order else len(cargos))
        assert row["predeclared"] == (bool(d.draws.predeclared[i]) and sc.platform.enabled)
        assert row["returns"] == (int(d.draws.returns[i]) if sc.platform.enabled else 0)
        assert row["quarantined"] == bool(d.draws.quarantined[i])
        assert row["outcome"] == ("inside", "cleared", "turned_away")[int(d.outcome[i])]
    assert list(tr["outcome"].cat.categories) == ["inside", "cleared", "turned_away"]
    assert list(tr["gate"].cat.categories) == gates


def test_the_log_cannot_be_written_through_a_column(result) -> None:
    column = TruckColumns(result.data, result.scenario)["departure_min"]
    with pytest.raises(ValueError, match="read-only"):
        column.to_numpy()[0] = 1.0


def test_an_empty_slice_has_the_tables_columns_and_types(result) -> None:
    empty = TruckColumns(result.data, result.scenario, slice(3, 3)).frame()
    assert len(empty) == 0
    assert empty.dtypes.equals(result.trucks.dtypes)


@pytest.mark.parametrize("rows", [997, 4096])
def test_slices_make_the_whole_table(result, rows: int) -> None:
    whole = result.trucks
    made = pd.concat(
        [
            TruckColumns(result.data, result.scenario, slice(a, a + rows)).frame()
            for a in range(0, len(whole), rows)
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(made, whole, check_exact=True)
    kept = pd.concat(list(result.truck_slices(rows)))  # slices of the table made
    result.forget("trucks")
    from_log = pd.concat(list(result.truck_slices(rows)))
    assert "trucks" not in result.__dict__  # made a slice at a time, not whole
    pd.testing.assert_frame_equal(from_log, whole, check_exact=True)  # labelled by truck, too
    pd.testing.assert_frame_equal(kept, whole, check_exact=True)


def test_a_slice_of_one_truck_is_its_row(result) -> None:
    whole = result.trucks
    for a in (0, 1, len(whole) // 2, len(whole) - 1):
        one = TruckColumns(result.data, result.scenario, slice(a, a + 1)).frame()
        pd.testing.assert_frame_equal(one, whole.iloc[a : a + 1], check_exact=True)


def test_hours_add_up_to_the_time_in_the_system(result) -> None:
    tr = result.trucks
    cleared = (tr["outcome"] == "cleared").to_numpy()
    assert cleared.sum() > 0
    for direction in ("export", "import"):
        at = cleared & (tr["direction"] == direction).to_numpy()
        pieces = sum(tr[f"{p}_h"].to_numpy()[at] for p in PIECES[direction])
        assert np.allclose(pieces, tr["time_in_system_h"].to_numpy()[at], rtol=0, atol=1e-9), "pieces"
        for p in PIECES[direction]:  # no piece of a cleared truck's time is negative
            assert (tr[f"{p}_h"].to_numpy()[at] >= -1e-12).all(), p
        minutes = tr["departure_min"].to_numpy()[at] - tr["arrival_min"].to_numpy()[at]
        assert np.allclose(tr["time_in_system_h"].to_numpy()[at] * 60, minutes, rtol=1e-12, atol=1e-9)
    for name in HOUR_COLUMNS:  # NaN for every truck not cleared, a number for every one cleared
        v = tr[name].to_numpy()
        assert np.isnan(v[~cleared]).all()
        assert not np.isnan(v[cleared]).any()


def test_loc_gives_the_rows_of_the_mask(result) -> None:
    whole = result.trucks
    columns = TruckColumns(result.data, result.scenario)
    mask = (whole["outcome"] == "cleared") & (whole["direction"] == "export")
    pd.testing.assert_series_equal(columns.loc[mask, "procedure_h"], whole.loc[mask, "procedure_h"])
    pd.testing.assert_frame_equal(
        columns.loc[mask.to_numpy(), ["gate", "cargo", "to_china_h"]],
        whole.loc[mask, ["gate", "cargo", "to_china_h"]],
    )


def test_figures_from_columns_equal_those_from_the_table() -> None:
    sc = ref.load_case("park_call_forward")
    lazy, made = run(sc, seed=2), run(sc, seed=2)
    assert len(made.trucks) == len(made.data.arrivals)  # the table made first: figures read it
    pd.testing.assert_series_equal(lazy.kpis(), made.kpis(), check_exact=True)
    pd.testing.assert_frame_equal(lazy.daily, made.daily, check_exact=True)
    pd.testing.assert_frame_equal(lazy.monthly(), made.monthly(), check_exact=True)
    pd.testing.assert_frame_equal(time_in_system_histogram(lazy), time_in_system_histogram(made))
    assert "trucks" not in lazy.__dict__  # none of them made the whole table


def test_a_replication_and_its_folder_never_make_the_whole_table(tmp_path: Path) -> None:
    sc = ref.load_case("baseline_14d")
    rep = run_replication(sc, seed=0, index=0, keep_run=True)
    assert "trucks" not in rep.run.__dict__
    write_run(rep.run, tmp_path / "out", plots="all")
    assert "trucks" not in rep.run.__dict__
    written = pd.read_parquet(tmp_path / "out" / "trucks.parquet")
    pd.testing.assert_frame_equal(written, rep.run.trucks, check_exact=True)


def test_trucks_parquet_in_slices_is_the_table(tmp_path: Path) -> None:
    r = run(ref.load_case("shorter_queue"), seed=1)
    write_trucks_parquet(r, tmp_path / "a.parquet", rows=997)
    write_trucks_parquet(r, tmp_path / "b.parquet", rows=len(r.data.arrivals) + 1)
    whole = r.trucks
    for name in ("a.parquet", "b.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), whole, check_exact=True)

    # The check can fail: a slice with one time a minute off, or one truck's category changed.
    def changed(column: str, value: object):
        for i, s in enumerate(r.truck_slices(997)):
            if i == 1:
                s = s.copy()
                s.loc[s.index[5], column] = value
            yield s

    for column, value in (("departure_min", 1.0), ("cargo", whole["cargo"].cat.categories[0])):
        if whole.loc[997 + 5, column] == value:
            continue
        write_parquet_slices(changed(column, value), tmp_path / "c.parquet", long=False)
        with pytest.raises(AssertionError, match=column):
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "c.parquet"), whole, check_exact=True)
    with pytest.raises(ValueError, match="no slice"):
        write_parquet_slices(iter([]), tmp_path / "d.parquet", long=False)


def test_a_wrong_piece_is_caught(result, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hours' check can fail: an export's time to China left out of its pieces."""
    minutes = truck_table.TruckColumns._minutes

    def without_to_china(self, name, first_step):
        values = minutes(self, name, first_step)
        return values * 0 if name == "to_china_h" else values

    monkeypatch.setattr(truck_table.TruckColumns, "_minutes", without_to_china)
    result.forget("trucks")
    try:
        with pytest.raises(AssertionError, match="pieces"):
            test_hours_add_up_to_the_time_in_the_system(result)
    finally:
        result.forget("trucks")
