"""A finished run's truck log keeps its mostly empty columns compact and reads them back whole.

sim.world.truck_log.TruckLog stores a column at most half of whose trucks have a time as those
trucks and their times. Read whole, a slice of trucks or some trucks at a time, every column must
be the array the model filled, NaN for NaN, bit for bit; a column most trucks have must be that
array itself.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import load_benchmark

from sim.experiments.results import run
from sim.world.model import TIME_COLUMNS, Model
from sim.world.truck_log import SPARSE_MAX_SHARE, TruckLog, take

ref = load_benchmark("heap_reference")


def _columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, share in (("all", 1.0), ("most", 0.9), ("some", 0.4), ("few", 0.08), ("none", 0.0)):
        column = rng.uniform(0, 1e5, n)
        column[rng.random(n) >= share] = np.nan
        out[name] = column
    out["edges"] = np.full(n, np.nan)
    if n:
        out["edges"][[0, n - 1]] = [-0.0, 1e300]  # the first and last trucks, and a signed zero
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit (NaN for NaN, -0.0 apart from 0.0)."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("n", [0, 1, 2, 1000])
def test_every_column_reads_back_as_filled(n: int) -> None:
    columns = _columns(n)
    log = TruckLog(columns)
    assert list(log) == list(columns)
    assert len(log) == len(columns)
    for name, column in columns.items():
        assert _same(log[name], column), name
        compact = np.count_nonzero(~np.isnan(column)) <= SPARSE_MAX_SHARE * n
        assert log.is_compact(name) == compact, name
        if not compact:
            assert np.shares_memory(log[name], column)  # read, not copied
        with pytest.raises(ValueError, match="read-only"):
            log[name][:1] = 1.0  # a write can neither change the log nor be lost


def test_a_mostly_empty_column_takes_less_memory() -> None:
    columns = _columns(10_000)
    log = TruckLog(columns)
    whole = sum(c.nbytes for c in columns.values())
    assert log.nbytes() < whole
    # "few": 8% of trucks at 12 bytes each instead of 8 bytes a truck
    assert not log.is_compact("most")
    assert log.is_compact("few")
    assert log.is_compact("some")


@pytest.mark.parametrize(
    "rows", [slice(0, 0), slice(0, 1), slice(3, 250), slice(990, 1000), slice(995, 2000)]
)
def test_a_slice_of_trucks_is_the_slice_of_the_column(rows: slice) -> None:
    columns = _columns(1000, seed=1)
    log = TruckLog(columns)
    for name, column in columns.items():
        assert _same(log.take(name, rows), column[rows]), (name, rows)
        assert _same(take(columns, name, rows), column[rows])


def test_some_trucks_are_those_trucks_of_the_column() -> None:
    columns = _columns(1000, seed=2)
    log = TruckLog(columns)
    rng = np.random.default_rng(3)
    picks = [
        np.arange(0),
        np.array([0, 999]),
        np.sort(rng.choice(1000, 300, replace=False)),
        rng.choice(1000, 50),  # in any order, repeated
    ]
    for rows in picks:
        for name, column in columns.items():
            assert _same(log.take(name, rows), column[rows]), name
    mask = np.random.default_rng(5).random(1000) < 0.3
    for rows in (mask, np.array([-1, -1000, 5]), np.array(7), np.array([[1, 2], [998, 3]])):
        for name, column in columns.items():
            assert _same(log.take(name, rows), column[rows]), (name, rows)
    for bad in (np.array([1000]), np.array([-1001]), np.array([1.0]), np.ones(999, dtype=bool)):
        with pytest.raises(IndexError):
            log.take("few", bad)
        with pytest.raises(IndexError):  # as numpy says of the column made whole
            columns["few"][bad]


def test_a_wrong_read_is_caught() -> None:
    """The checks can fail: a compact column read one truck off is not the column."""
    columns = _columns(1000, seed=4)
    log = TruckLog(columns)
    trucks, values = log._sparse["few"]
    log._sparse["few"] = (trucks + 1, values)
    assert not _same(log["few"][:-1], columns["few"][:-1])
    assert not _same(log.take("few", slice(0, 999)), columns["few"][:999])
    assert not _same(log.take("few", np.arange(999)), columns["few"][:999])
    with pytest.raises(ValueError, match="trucks"):
        TruckLog({"a": np.zeros(3), "b": np.zeros(4)})


def test_a_run_hands_on_its_log_compact_and_the_same() -> None:
    sc = ref.load_case("park_call_forward")
    data = Model(sc, 7).run()
    filled = dict(data.times)  # the model's own arrays
    kept = run(sc, seed=7).data  # the same run, its log handed on
    assert isinstance(kept.times, TruckLog)
    assert list(kept.times) == list(TIME_COLUMNS)
    for name in TIME_COLUMNS:
        assert _same(kept.times[name], filled[name]), name
    # The paper-declaration counter no truck uses, parking, inspection: compact in this case.
    assert kept.times.is_compact("declaration_counter_start_min")
    assert kept.times.is_compact("park_in_min")
    assert not kept.times.is_compact("departure_min")
    assert np.shares_memory(kept.arrivals.time_min, kept.times["arrival_min"])  # one array of them
    again = pickle.loads(pickle.dumps(kept.times))  # as a worker hands it back
    for name in TIME_COLUMNS:
        assert _same(again[name], filled[name])


def test_consuming_takes_each_column_out_of_the_dict() -> None:
    columns = _columns(100)
    given = dict(columns)
    log = TruckLog(given, consume=True)
    assert given == {}  # nothing left holding the whole columns
    for name, column in columns.items():
        assert _same(log[name], column)
    with pytest.raises(TypeError, match="dict"):
        TruckLog(log, consume=True)
