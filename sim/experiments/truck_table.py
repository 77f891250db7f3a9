"""The truck table's columns, made from a run's truck log: all of them, a slice of rows at a
time, or one column when it is read.

``Run.trucks`` is a row per truck with 44 columns: a year's baseline is 165 MiB, of which the
truck log's columns are 108 (shared where the log keeps them whole, see
:class:`~sim.world.truck_log.TruckLog`) and the rest (the pieces of each truck's time in hours,
the categories) is made from it. The KPIs, the daily and monthly figures, the costs and the
histograms read a few columns each, one or two at a time: :class:`TruckColumns` makes each as it
is read and keeps none, so a replication's figures never hold the whole table beside its log, and
``trucks.parquet`` is written a slice of rows at a time from the same columns
(:meth:`TruckColumns.frame` of a slice). Every column is made by the same element-wise arithmetic
whether whole, sliced or alone, so its values are the same, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.world.calendar import MIN_PER_H
from sim.world.model import CHANNELS, CROSSING_MODES, EXPORT, OUTCOMES, TIME_COLUMNS, RunData, route_keys
from sim.world.scenario import Scenario
from sim.world.schema.names import DIRECTIONS, LANE_STAGES
from sim.world.truck_log import take

HOUR_COLUMNS = (
    "china_side_h",
    "park_h",
    "travel_h",
    "road_h",
    "yard_wait_h",
    "procedures_h",
    "to_china_h",
    "time_in_system_h",
    "procedure_h",
)
"""The columns in hours made from the truck log's minutes, NaN for a truck not cleared: where each
truck's time went (``<piece>_h``), its time in the system and its procedure time."""
DESCRIBED_COLUMNS = (
    "truck",
    "gate",
    "route",
    "direction",
    "cargo",
    "priority_rank",
    "predeclared",
    "returns",
    "channel",
    "quarantined",
    "crossing_mode",
    "outcome",
)
"""The columns that say who each truck is and how it went: its number, categories and flags."""
COLUMNS = (*DESCRIBED_COLUMNS, *TIME_COLUMNS, *HOUR_COLUMNS)
"""The truck table's columns, in its order."""


class TruckColumns:
    """The truck table of a run's truck log (*data* of *scenario*), its rows *rows*, a column at a
    time: ``columns["procedure_h"]`` is that column of those rows as a Series, labelled by truck
    number, made when read and not kept, as ``Run.trucks["procedure_h"][rows]`` would give it.
    ``columns[[...]]`` and ``columns.loc[mask, ...]`` give frames of a few columns; :meth:`frame`
    the whole table of the rows."""

    def __init__(self, data: RunData, scenario: Scenario, rows: slice = slice(None)) -> None:
        if rows.step not in (None, 1):
            raise ValueError("rows: a slice of consecutive trucks")
        self._d = data
        self._sc = scenario
        self._rows = rows
        self._range = range(len(data.arrivals))[rows]

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, key: str | Sequence[str]) -> Any:
        if isinstance(key, str):
            return pd.Series(self.values(key), index=self._index(), name=key, copy=False)
        return pd.DataFrame({k: self.values(k) for k in key}, index=self._index(), copy=False)

    def _index(self) -> pd.RangeIndex:
        """The rows' labels, as in the whole table: the trucks' numbers."""
        return pd.RangeIndex(self._range.start, self._range.stop)

    @property
    def loc(self) -> _Rows:
        """``loc[mask, column]`` or ``loc[mask, [columns]]``: those rows of those columns."""
        return _Rows(self)

    def values(self, name: str) -> np.ndarray | pd.Categorical:
        """The column *name* of the rows: an array, or a Categorical for a category column. A
        column of the truck log may be the log's own array: it is read-only (:func:`take`)."""
        if name in TIME_COLUMNS:
            return take(self._d.times, name, self._rows)
        if name in HOUR_COLUMNS:
            return self._hours(name)
        if name not in COLUMNS:
            raise KeyError(name)
        return self._described(name)

    def frame(self) -> pd.DataFrame:
        """The truck table of the rows, its columns in :data:`COLUMNS`' order; the truck log's
        columns it keeps whole are shared, not copied."""
        cols: dict[str, object] = {c: self._described(c) for c in DESCRIBED_COLUMNS}
        cols.update({c: take(self._d.times, c, self._rows) for c in TIME_COLUMNS})
        # Each column in hours is made in place, one at a time: no scratch arrays the size of a
        # column beside the table's own.
        first_step = self._first_step()
        cols.update({c: self._hours(c, first_step) for c in HOUR_COLUMNS})
        return pd.DataFrame(cols, index=self._index(), copy=False)

    def _described(self, name: str) -> object:
        d, sc, rows = self._d, self._sc, self._rows
        if name == "truck":
            return np.arange(self._range.start, self._range.stop)
        if name == "gate":
            return pd.Categorical.from_codes(d.arrivals.gate[rows], list(sc.gates))
        if name == "route":
            keys = route_keys(sc)
            names = sorted({r for _, r in keys})
            route = np.array([names.index(keys[r][1]) for r in range(len(keys))], dtype=np.int16)
            return pd.Categorical.from_codes(route[d.draws.route[rows]], names)
        if name == "direction":
            return pd.Categorical.from_codes(d.arrivals.direction[rows], DIRECTIONS)
        if name == "cargo":
            return pd.Categorical.from_codes(d.arrivals.cargo[rows], list(sc.cargo_classes))
        if name == "priority_rank":
            return self._priority_rank()
        if name == "predeclared":
            return d.draws.predeclared[rows] & sc.platform.enabled
        if name == "returns":
            return d.draws.returns[rows] if sc.platform.enabled else np.zeros(len(self), dtype=np.int64)
        if name == "channel":
            return pd.Categorical.from_codes(d.draws.channel[rows], CHANNELS)
        if name == "quarantined":
            return d.draws.quarantined[rows]
        if name == "crossing_mode":
            return pd.Categorical.from_codes(d.draws.crossing_mode[rows], CROSSING_MODES)
        return pd.Categorical.from_codes(d.outcome[rows], OUTCOMES)  # outcome

    def _priority_rank(self) -> np.ndarray:
        """Each truck's rank in its route's Chinese checkpoint's order (the number of cargo
        classes where its class is not ranked)."""
        d, sc, rows = self._d, self._sc, self._rows
        cargos = list(sc.cargo_classes)
        rank = np.full(len(self), len(cargos), dtype=np.int16)
        route, cargo = d.draws.route[rows], d.arrivals.cargo[rows]
        for r, (g, rn) in enumerate(route_keys(sc)):
            order = sc.gates[g].routes[rn].china_check.priority
            at = route == r
            for c, name in enumerate(cargos):
                if name in order:
                    rank[at & (cargo == c)] = order.index(name)
        return rank

    def _first_step(self) -> np.ndarray:
        """When each truck began its first lane stage (its procedures' end where it had none)."""
        log, rows = self._d.times, self._rows
        first_step = take(log, f"{LANE_STAGES[0]}_start_min", rows).copy()
        for s in LANE_STAGES[1:]:
            np.fmin(first_step, take(log, f"{s}_start_min", rows), out=first_step)
        unstaged = np.isnan(first_step)
        first_step[unstaged] = take(log, "procedures_end_min", rows)[unstaged]
        return first_step

    def _hours(self, name: str, first_step: np.ndarray | None = None) -> np.ndarray:
        """The column *name* of :data:`HOUR_COLUMNS`: minutes made into hours in place, NaN for a
        truck not cleared."""
        minutes = self._minutes(name, first_step)
        minutes *= 1 / MIN_PER_H
        minutes[self._d.outcome[self._rows] != OUTCOMES.index("cleared")] = np.nan
        return minutes

    def _minutes(self, name: str, first_step: np.ndarray | None) -> np.ndarray:
        """A fresh array of the minutes the column *name* is in hours."""
        d, rows = self._d, self._rows

        def t(column: str) -> np.ndarray:
            return take(d.times, column, rows)

        if name in ("yard_wait_h", "procedures_h"):
            first = self._first_step() if first_step is None else first_step
            if name == "yard_wait_h":
                return first - t("yard_in_min")
            return t("procedures_end_min") - first
        if name in ("park_h", "travel_h"):
            parked = ~np.isnan(t("park_in_min"))
            if name == "park_h":
                return np.where(parked, t("called_min") - t("arrival_min"), 0.0)
            return np.where(parked, t("gate_arrival_min") - t("called_min"), 0.0)
        if name == "china_side_h":
            return np.where(
                d.arrivals.direction[rows] == EXPORT, 0.0, t("gate_arrival_min") - t("arrival_min")
            )
        if name == "to_china_h":
            return np.where(
                d.arrivals.direction[rows] == EXPORT, t("departure_min") - t("procedures_end_min"), 0.0
            )
        if name == "road_h":
            return t("yard_in_min") - t("gate_arrival_min")
        if name == "time_in_system_h":
            return t("departure_min") - t("arrival_min")
        return t("departure_min") - t("yard_in_min")  # procedure_h


class _Rows:
    """``TruckColumns.loc``: rows by a boolean mask, of one column or a few."""

    def __init__(self, columns: TruckColumns) -> None:
        self._columns = columns

    def __getitem__(self, key: tuple[Any, str | Sequence[str]]) -> Any:
        mask, names = key
        mask = np.asarray(mask, dtype=bool)
        index = self._columns._range.start + np.flatnonzero(mask)  # the trucks' numbers
        if isinstance(names, str):
            return pd.Series(self._columns.values(names)[mask], index=index, name=names)
        return pd.DataFrame({k: self._columns.values(k)[mask] for k in names}, index=index)
