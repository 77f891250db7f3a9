"""A run's results as pandas tables and named KPIs.

``run.trucks`` has a row per truck generated, ``run.queues`` the queue series per gate and place,
``run.daily`` trucks arrived and cleared per day, and ``run.kpis()`` the named figures, all taken
over the days after the warm-up. Nothing is filtered out of ``run.trucks``: cleared + turned
away + still inside = generated, per gate.

Longer than the ~600 lines a module here keeps to: it is one class, :class:`Run`, whose tables
(trucks, queues, daily, monthly, the hold at a clock time, KPIs, bottlenecks) are all computed
from the same truck log and share its cached columns.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from functools import cache, cached_property

import numpy as np
import pandas as pd

from sim.experiments.costs import cost_kpis, is_in
from sim.experiments.truck_table import TruckColumns
from sim.experiments.window import Window, window_minutes
from sim.world.calendar import MIN_PER_DAY, MIN_PER_H, minute_of
from sim.world.demand import Arrivals
from sim.world.model import (
    EXPORT,
    OUTCOMES,
    Model,
    RunData,
    TruckDraws,
)
from sim.world.scenario import Scenario, route_share
from sim.world.schema.names import AREA_PLACES, DECLARED_PLACES, DIRECTIONS, HELD_PLACES, LANE_STAGES, PIECES
from sim.world.truck_log import TruckLog, take

KM_PER_M = 1e-3
GROWTH_MIN_TRUCKS = 20
GROWTH_MIN_SHARE = 0.25
GROWTH_MIN_DAYS = 7
GROWTH_END_DAYS = 2
"""Days at each end of a window whose mean backlog says whether a queue came back down by its end
(the answer's recovery: two days running)."""
GROWTH_RULE = (
    f"a queue grows when the trucks of that gate and direction still in the system at 00:00, day "
    f"by day over the window, rise along a Theil-Sen line by more than {GROWTH_MIN_TRUCKS} trucks "
    f"and more than {GROWTH_MIN_SHARE:.0%} of their mean over the window, and its last "
    f"{GROWTH_END_DAYS} days stay above its first {GROWTH_END_DAYS} by more than {GROWTH_MIN_TRUCKS} "
    f"trucks and {GROWTH_MIN_SHARE:.0%} of that first level: a queue that built up and came back "
    f"down does not grow (judged on windows of at least {GROWTH_MIN_DAYS} days)"
)
"""The one criterion for "a queue grows" (an unstable gate), used by the bottleneck statement."""

DECLARED_LOOKAHEAD_DAYS = 2
"""Days a run must go on past an evening for the exports declared that evening (due the next day
or the one after) to exist; the hold on a run's last evenings misses them and is left out."""

STAGE_NAMES = {"china_check": "Chinese checkpoint", "platform_review": "platform's review"}
"""How stages are named in sentences, where their key does not read well."""


def run(
    scenario: Scenario,
    seed: int | np.random.SeedSequence = 0,
    progress: Callable[[int, int], None] | None = None,
    arrivals: Arrivals | None = None,
    draws: TruckDraws | None = None,
) -> Run:
    """Simulate *scenario* once with *seed*; ``progress(day, days)`` is called every day.

    *arrivals* replaces the generated trucks, e.g. to replay observed traffic; *draws* (with
    *arrivals*) the trucks' drawn values, e.g. shared by options (:mod:`sim.world.shared_draws`).
    """
    started = time.perf_counter()
    data = Model(scenario, seed, arrivals, draws=draws).run(progress)
    data.wall_s = time.perf_counter() - started  # drawing the trucks and building the model too
    if len(data.arrivals) >= GIVE_BACK_MIN_TRUCKS:
        give_back_free_memory()  # the trucks' processes are gone; their memory need not stay held
    # The log's mostly empty columns made compact one at a time. A long run's model was collected
    # above, so each whole column is freed as it is made compact; a short run's model may hold its
    # columns until Python's next collection, which at its size costs little.
    data.times = TruckLog(data.times, consume=True)
    return Run(data)


def frame_slices(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """*frame*, *rows* rows at a time, in order: at least one slice (empty for an empty frame)."""
    for start in _slice_starts(len(frame), rows):
        yield frame.iloc[start : start + rows]


def _slice_starts(n: int, rows: int) -> range:
    if rows < 1:
        raise ValueError("rows: at least 1")
    return range(0, max(n, 1), rows)


GIVE_BACK_MIN_TRUCKS = 100_000
"""Runs of at least this many trucks (a 90-day baseline has about 146,000) give their freed
memory back as they end; below it there is little to give back, and a full collection (about
50 ms in a process that holds much) would cost a short run more than it saves."""


def give_back_free_memory() -> None:
    """Free what is garbage now and return the C heap's free memory to the system (glibc's
    ``malloc_trim``; elsewhere only the first).

    A run allocates and frees millions of small objects, and a finished model's processes and
    events hold one another in cycles; glibc keeps what was freed for reuse, so without this a
    year's run holds about a hundred MiB it no longer uses through every step that follows
    (Dask's workers trim for the same reason). Pyarrow's memory pool (pandas' strings, the
    parquet files) keeps what it freed as well, and is asked to give it back. It moves no number.
    """
    gc.collect()
    arrow = sys.modules.get("pyarrow")  # pandas' strings and the parquet files live in its own pool
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return None


def stage_places(sc: Scenario, gate: str) -> list[str]:
    """The stage places of *gate* in ``run.queues``, in the order an export visits them."""
    places = list(LANE_STAGES)
    for route in sc.gates[gate].routes:
        places += [f"china_check:{route}", f"crossing:{route}"]
    return places


def place_label(sc: Scenario, gate: str, place: str) -> str:
    """A readable name of a place of ``run.queues``: 'Chinese checkpoint 1119-1120 ...'."""
    name, _, route = place.partition(":")
    text = STAGE_NAMES.get(name, name.replace("_", " "))
    if route:
        text += f" {sc.gates[gate].routes[route].label or route}"
    return text


def _stage_waits(times: Mapping[str, np.ndarray]) -> Iterator[tuple[str, np.ndarray]]:
    """Minutes each truck waited before each stage it visited (NaN where it did not), place by
    place: a caller that reads each place's waits before asking for the next holds a few arrays a
    truck long rather than every place's at once."""
    ready = times["yard_in_min"].copy()
    yield "road", times["yard_in_min"] - times["gate_arrival_min"]
    for stage in LANE_STAGES:
        start = times[f"{stage}_start_min"]
        if stage == "gate_control":
            # Gate control waits for the approved declaration as well as for the truck.
            approved = times["approved_min"]
            approval_wait = np.where(approved > ready, approved - ready, 0.0)
            yield "approval", np.where(np.isnan(ready), np.nan, approval_wait)
            del approval_wait
            ready = np.fmax(ready, approved)
        visited = ~np.isnan(start)
        yield stage, np.where(visited, start - ready, np.nan)
        ready = np.where(visited, times[f"{stage}_end_min"], ready)
    del ready
    # The Chinese checkpoint: an export is ready when its Vietnamese steps end; an import when
    # it reaches the Chinese side.
    check = times["china_check_start_min"]
    before_check = np.where(
        np.isnan(times["procedures_end_min"]) | (check < times["yard_in_min"]),
        times["arrival_min"],
        times["procedures_end_min"],
    )
    yield "china_check", check - before_check
    del before_check
    cross = times["crossing_start_min"]
    yield (
        "crossing",
        np.where(np.isnan(times["china_check_end_min"]), np.nan, cross - times["china_check_end_min"]),
    )


def busy_share(busy_lane_min: np.ndarray | float, open_lane_min: np.ndarray | float) -> np.ndarray:
    """Utilisation: busy lane-minutes in open hours over open lane-minutes, NaN where nothing was
    open, never above 1. Both come from cumulative areas subtracted, whose rounding can leave
    1.0000000000000033 for a lane busy all its open time. The KPI, the queue table and the
    answer's daily figures all take it from here."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.minimum(np.where(open_lane_min > 0, busy_lane_min / open_lane_min, np.nan), 1.0)


def _mean_or_nan(x: np.ndarray) -> float:
    """The mean of *x* leaving out NaN; NaN where every value is NaN (or there is none)."""
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else np.nan


def _first(*columns: np.ndarray) -> np.ndarray:
    """Element-wise the first of *columns* that is not NaN (NaN where none is)."""
    out = np.full(columns[0].shape, np.nan)
    for c in reversed(columns):
        out = np.where(np.isnan(c), out, c)
    return out


def _count_inside(start: np.ndarray, end: np.ndarray, at: np.ndarray) -> np.ndarray:
    """How many intervals [start, end) hold each time in *at* (NaN start: never; NaN end: open)."""
    ok = ~np.isnan(start)
    s = start[ok]  # copies, sorted in place: two arrays as long as the intervals, not five
    s.sort()
    e = end[ok]
    e[np.isnan(e)] = np.inf
    e.sort()
    return np.searchsorted(s, at, side="right") - np.searchsorted(e, at, side="right")


class _Columns:
    """Columns of the truck log for the trucks *sel*, each sliced when read and not kept: a
    place's spans hold the columns they read, not all of :data:`_SPAN_COLUMNS` at once."""

    def __init__(self, times: Mapping[str, np.ndarray], sel: np.ndarray) -> None:
        self.times, self.sel = times, sel

    def __getitem__(self, column: str) -> np.ndarray:
        return take(self.times, column, self.sel)


_SPAN_COLUMNS = (
    "submitted_min",
    "arrival_min",
    "park_in_min",
    "called_min",
    "gate_arrival_min",
    "yard_in_min",
    "procedures_end_min",
    "departure_min",
)
"""The truck log's columns :func:`_place_spans` reads."""


def _place_spans(
    t: _Columns,
    export: bool,
    parked: np.ndarray,
    predeclared: np.ndarray,
    outside: np.ndarray,
    sc: Scenario,
) -> Iterator[tuple[str, list[tuple[np.ndarray, np.ndarray]]]]:
    """For trucks of one direction (times *t*, :data:`_SPAN_COLUMNS`), the [start, end) spans each
    spends in each place of :data:`HELD_PLACES` (NaN start: never there; NaN end: still there).

    One place at a time, so that a caller that counts each place before asking for the next
    holds the spans of one place only, not a dozen arrays as long as the trucks at once."""
    never = np.full(t["arrival_min"].shape, np.nan)
    gone = t["departure_min"]
    parked = parked & export  # every export sent to a park queues for it
    # A declared export before it enters the gate area: on its way from its declaration, then
    # (with platform.outside_h) outside the area for the last part of its lead time.
    declared = predeclared & (export and sc.platform.enabled)
    submitted = np.where(declared, t["submitted_min"], np.nan)
    edge = np.fmax(t["arrival_min"] - outside, submitted)
    yield "enroute", [(submitted, _first(edge, gone))]
    yield "outside", [(np.where(declared & (outside > 0), edge, np.nan), _first(t["arrival_min"], gone))]
    del submitted, edge
    yield "china_side", [(never if export else t["arrival_min"], _first(t["gate_arrival_min"], gone))]
    yield "park", [(np.where(parked, t["park_in_min"], np.nan), _first(t["called_min"], gone))]
    yield "travel", [(t["called_min"], _first(t["gate_arrival_min"], gone))]
    yield (
        "road",
        [
            (np.where(parked, t["arrival_min"], np.nan), _first(t["park_in_min"], gone)),
            (t["gate_arrival_min"], _first(t["yard_in_min"], gone)),
        ],
    )
    yield "yard", [(t["yard_in_min"], _first(t["procedures_end_min"] if export else never, gone))]
    yield "to_china", [(t["procedures_end_min"] if export else never, gone)]


class Run:
    """One simulated replication: tables, KPIs and the scenario and seed that made them."""

    def __init__(self, data: RunData) -> None:
        self.data = data
        self.scenario: Scenario = data.scenario
        self.seed = data.seed

    def __getstate__(self) -> dict[str, object]:
        # Tables computed on demand (trucks, queues, daily) are left out of a pickle: they are
        # several times the size of the data they come from (400 MiB for 365 days) and are
        # computed again where needed.
        return {"data": self.data, "scenario": self.scenario, "seed": self.seed}

    def forget(self, table: str) -> None:
        """Let the cached *table* (``trucks``, ``queues`` or ``daily``) go; it is made again,
        the same, when next read."""
        self.__dict__.pop(table, None)

    def _give_back(self) -> None:
        """After a table of a long run: its scratch memory back to the system (see
        :func:`give_back_free_memory`)."""
        if len(self.data.arrivals) >= GIVE_BACK_MIN_TRUCKS:
            give_back_free_memory()

    @property
    def wall_s(self) -> float:
        """Seconds the simulation itself took: drawing the trucks, building the model, running SimPy."""
        return self.data.wall_s

    @property
    def warmup_min(self) -> float:
        return self.scenario.run.warmup_days * MIN_PER_DAY

    @property
    def horizon_min(self) -> float:
        return self.scenario.run.days * MIN_PER_DAY

    @cached_property
    def trucks(self) -> pd.DataFrame:
        """One row per truck generated, times in model minutes, NaN where a step did not happen.

        Also where each truck's time went (``<piece>_h``, see :data:`PIECES`), its time in the
        system and its procedure time (from entering the gate's yard to clearance). The run's own
        figures read it a column at a time instead (:meth:`truck_columns`).
        """
        df = TruckColumns(self.data, self.scenario).frame()
        self._give_back()
        return df

    def truck_columns(self) -> pd.DataFrame | TruckColumns:
        """The truck table to read a few columns of: :attr:`trucks` once it is made, otherwise
        its columns made one at a time as they are read (:class:`TruckColumns`), so that a long
        run's KPIs and figures never hold the whole table beside the truck log."""
        made = self.__dict__.get("trucks")
        return made if made is not None else TruckColumns(self.data, self.scenario)

    def truck_slices(self, rows: int) -> Iterator[pd.DataFrame]:
        """The truck table, *rows* rows at a time, in order: slices of :attr:`trucks` once it is
        made, otherwise each slice made from the truck log as it is asked for (at least one, empty
        for a run without trucks)."""
        made = self.__dict__.get("trucks")
        if made is not None:
            yield from frame_slices(made, rows)
            return
        for start in _slice_starts(len(self.data.arrivals), rows):
            yield TruckColumns(self.data, self.scenario, slice(start, start + rows)).frame()

    @cached_property
    def queues(self) -> pd.DataFrame:
        """Queue length per gate and place in each sampling interval: time-average and maximum.

        Places: ``road_<direction>`` trucks queueing on the road for that yard (or for a full
        park), ``yard_<direction>`` trucks in the yard (overflow included), ``park`` trucks in
        the holding park, and each stage's queue (``china_check:<route>`` and
        ``crossing:<route>`` for the routes) with its lanes in service and their utilisation
        over the interval's open time.
        """
        d = self.data
        t = d.sample_min
        dt_min = np.diff(t)
        start = dt.datetime.combine(self.scenario.run.start_date, dt.time())
        # One block of rows per place, each column made once at its full length: gate, route and
        # place as categories from their codes. Built from strings, as frames joined end to end,
        # a year's table took three times its size for a while, and kept its strings' memory after.
        blocks: list[tuple[str, str, str, dict[str, np.ndarray]]] = []
        for (gate, kind), s in d.series.items():
            wait = np.diff(s["cum_wait"]) / dt_min
            busy = np.diff(s["cum_busy"]) / dt_min
            if kind.startswith("parking_"):
                direction = kind.removeprefix("parking_")
                blocks.append(
                    (gate, "", f"road_{direction}", {"queue_mean": wait, "queue_max": s["max_wait"][1:]})
                )
                blocks.append(
                    (gate, "", f"yard_{direction}", {"queue_mean": busy, "queue_max": s["max_busy"][1:]})
                )
            elif kind == "park":
                blocks.append((gate, "", "park", {"queue_mean": busy, "queue_max": s["max_busy"][1:]}))
            else:
                open_min = np.diff(s["cum_open"])
                # Busy lane-minutes in open hours only: service past closing is overtime.
                busy_open = np.diff(s.get("cum_busy_open", s["cum_busy"]))
                columns = {
                    "queue_mean": wait,
                    "queue_max": s["max_wait"][1:],
                    "in_service_mean": busy,
                    "utilisation": busy_share(busy_open, s["lanes"][0] * open_min),
                }
                blocks.append((gate, kind.split(":", 1)[1] if ":" in kind else "", kind, columns))
        size = dt_min.size
        cols: dict[str, object] = {"time_h": np.tile(t[:-1] / MIN_PER_H, len(blocks))}
        for k, name in enumerate(("gate", "route", "place")):
            labels = [b[k] for b in blocks]
            categories = sorted(set(labels))
            codes = np.repeat(np.array([categories.index(x) for x in labels], dtype=np.int32), size)
            cols[name] = pd.Categorical.from_codes(codes, categories)
        for name in ("queue_mean", "queue_max", "in_service_mean", "utilisation"):
            column = np.full(size * len(blocks), np.nan)
            for k, b in enumerate(blocks):
                if name in b[3]:
                    column[k * size : (k + 1) * size] = b[3][name]
            cols[name] = column
        df = pd.DataFrame(cols, copy=False)
        df["time"] = pd.Timestamp(start) + pd.to_timedelta(df["time_h"], unit="h")
        road_m = [
            self.scenario.gates[g].road_m_per_truck if p.startswith("road_") else np.nan
            for g, _, p, _ in blocks
        ]
        m_per_truck = np.repeat(np.array(road_m), size)
        df["queue_km_mean"] = df["queue_mean"].to_numpy() * m_per_truck * KM_PER_M
        self._give_back()
        return df

    @cached_property
    def daily(self) -> pd.DataFrame:
        """Trucks arrived, cleared and turned away per day, gate and direction, and ``held``: those
        not yet cleared at the clock time ``kpi.held_clock`` that day (see :meth:`held_at`; empty
        on the run's last :data:`DECLARED_LOOKAHEAD_DAYS` days when it counts declared trucks, as
        the KPIs leave them out)."""
        tr = self.truck_columns()
        days = self.scenario.run.days
        arrived_day = (tr["arrival_min"] // MIN_PER_DAY).astype(int)
        left_day = (tr["departure_min"] // MIN_PER_DAY).fillna(-1).astype(int)
        rows = []
        for gate in self.scenario.gates:
            for direction in DIRECTIONS:
                sel = (tr["gate"] == gate) & (tr["direction"] == direction)
                cleared = sel & (tr["outcome"] == "cleared")
                turned = sel & (tr["outcome"] == "turned_away")
                rows.append(
                    pd.DataFrame(
                        {
                            "day": np.arange(days),
                            "gate": gate,
                            "direction": direction,
                            "arrived": np.bincount(arrived_day[sel], minlength=days)[:days],
                            "cleared": np.bincount(left_day[cleared], minlength=days)[:days],
                            "turned_away": np.bincount(left_day[turned], minlength=days)[:days],
                        }
                    )
                )
        df = pd.concat(rows, ignore_index=True)
        df.insert(
            1, "date", pd.Timestamp(self.scenario.run.start_date) + pd.to_timedelta(df["day"], unit="D")
        )
        df["warmup"] = df["day"] < self.scenario.run.warmup_days
        first = self.scenario.run.start_date
        every_day = (first, first + dt.timedelta(days=days - 1))
        held = self.held_at(window=every_day).set_index(["day", "gate", "direction"])["total"]
        df["held"] = held.reindex(pd.MultiIndex.from_frame(df[["day", "gate", "direction"]])).to_numpy()
        last_full = self._last_full_hold_day()
        if last_full is not None and last_full >= 0:  # as in the KPIs: left empty, not undercounted
            df.loc[df["day"] > last_full, "held"] = np.nan
        return df

    def _last_full_hold_day(self) -> int | None:
        """The last day whose hold at ``kpi.held_clock`` is whole, or None when every day's is: a
        run ends with its last arrivals, so exports declared on its last evenings for the days
        after it do not exist, and a hold that counts declared trucks misses them there."""
        if not set(self.scenario.kpi.held_places) & set(DECLARED_PLACES):
            return None
        return self.scenario.run.days - 1 - DECLARED_LOOKAHEAD_DAYS

    def cleared_per_day(self, window: Window | None = None) -> pd.Series:
        """Trucks cleared per day across every gate and direction, over the window's days."""
        start, end = window_minutes(self.scenario, window)
        d = self.daily
        days = (d["day"] >= start // MIN_PER_DAY) & (d["day"] < end // MIN_PER_DAY)
        return d[days].groupby("date")["cleared"].sum()

    def in_system(
        self, at_min: np.ndarray, gate: str | None = None, direction: str | None = None
    ) -> np.ndarray:
        """Trucks generated and not yet gone (cleared or turned away) at each time of *at_min*."""
        t = self.data.times
        start, end = t["arrival_min"], t["departure_min"]
        if gate is not None or direction is not None:  # every truck: the columns as they are
            tr = self.truck_columns()
            sel = np.ones(len(tr), dtype=bool)
            if gate is not None:
                sel &= (tr["gate"] == gate).to_numpy()
            if direction is not None:
                sel &= (tr["direction"] == direction).to_numpy()
            start, end = start[sel], end[sel]
        return _count_inside(start, end, np.asarray(at_min, dtype=float))

    def places_at(self, at_min: np.ndarray) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Trucks not yet cleared at each time of *at_min*, per (gate, direction) and place.

        Places are :data:`HELD_PLACES`: the area's places hold every truck in the system, the
        declared places the exports declared and not yet in the area.
        """
        sc = self.scenario
        at = np.asarray(at_min, dtype=float)
        arrivals = self.data.arrivals
        draws = self.data.draws
        outside_all = draws.outside_min
        out: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        for g, gate in enumerate(sc.gates):
            for d, direction in enumerate(DIRECTIONS):
                # One gate and direction at a time, and one place at a time (_place_spans): a
                # few arrays as long as the slice, not a dozen as long as every truck.
                sel = np.flatnonzero((arrivals.gate == g) & (arrivals.direction == d))
                t = _Columns(self.data.times, sel)
                outside = np.zeros(sel.size) if outside_all is None else outside_all[sel]
                spans = _place_spans(t, d == EXPORT, draws.parked[sel], draws.predeclared[sel], outside, sc)
                out[(gate, direction)] = {
                    place: sum(_count_inside(a, b, at) for a, b in pairs) for place, pairs in spans
                }
        return out

    def held_at(self, clock: str | None = None, window: Window | None = None) -> pd.DataFrame:
        """Trucks not yet cleared at a clock time (default ``kpi.held_clock``) each day of the window.

        One row per day, gate and direction, a column per place (:data:`HELD_PLACES`) and
        ``total``, the sum over ``kpi.held_places``. Reports count such figures (e.g. export trucks
        held at 20:00) and sometimes include trucks outside the gate area: the scenario says which
        places they are taken to count.
        """
        sc = self.scenario
        clock_min = _clock_min(clock or sc.kpi.held_clock)
        start, end = window_minutes(sc, window)
        days = np.arange(int(start // MIN_PER_DAY), int(end // MIN_PER_DAY))
        counts = self.places_at(days * MIN_PER_DAY + clock_min)
        rows = [
            pd.DataFrame({"day": days, "gate": gate, "direction": direction, **places})
            for (gate, direction), places in counts.items()
        ]
        df = pd.concat(rows, ignore_index=True)
        df["total"] = df[list(sc.kpi.held_places)].sum(axis=1)  # what the reports are taken to count
        df.insert(1, "date", pd.Timestamp(sc.run.start_date) + pd.to_timedelta(df["day"], unit="D"))
        return df

    def monthly(self, window: Window | None = None) -> pd.DataFrame:
        """The main figures calendar month by calendar month, one row per month of the window
        (default: the days after the warm-up; a month cut by the window keeps only its days).

        A year is not stationary (seasons, Tet, holidays), so its figures are read month by
        month: trucks cleared and arrived a day by direction, procedure time by direction, the
        export time to China by cargo class, trucks held at ``kpi.held_clock`` by direction,
        whether each gate and direction's queue grows over the month (:data:`GROWTH_RULE`,
        ``grows_<gate>_<direction>``: 1 or 0, NaN for a month of fewer than
        :data:`GROWTH_MIN_DAYS` days) and each Chinese checkpoint's utilisation in its open hours.
        """
        sc = self.scenario
        start, end = window_minutes(sc, window)
        first_day, end_day = int(start // MIN_PER_DAY), int(end // MIN_PER_DAY)
        dates = pd.date_range(sc.run.start_date, periods=sc.run.days, freq="D")[first_day:end_day]
        tr = self.truck_columns()
        t = self.data.times
        cleared = (tr["outcome"] == "cleared").to_numpy()
        is_direction = {x: is_in(tr["direction"], [x]) for x in DIRECTIONS}
        is_export = is_direction["export"]
        is_cargo = {c: is_in(tr["cargo"], [c]) for c in sc.cargo_classes}  # once, not once a month
        # Read once each, not once a month: the columns in hours are made as they are read.
        hours = ("time_in_system_h", "procedure_h", "to_china_h")
        tis, procedure, to_china = (tr[c].to_numpy() for c in hours)
        d = self.daily
        held = self.held_at(window=window)
        label = _clock_label(sc.kpi.held_clock)
        rows = []
        for month, days in pd.Series(dates, index=dates).groupby(dates.to_period("M")):
            first, last = days.iloc[0].date(), days.iloc[-1].date()
            m0, m1 = minute_of(sc, first), minute_of(sc, last) + MIN_PER_DAY
            row: dict[str, object] = {"month": str(month), "first": first, "days": len(days)}
            in_month = d[(d["date"] >= days.iloc[0]) & (d["date"] <= days.iloc[-1])]
            row["cleared_per_day_mean"] = in_month["cleared"].sum() / len(days)
            for direction in DIRECTIONS:
                mine = in_month[in_month["direction"] == direction]
                row[f"cleared_per_day_mean_{direction}"] = mine["cleared"].sum() / len(days)
                row[f"arrived_per_day_mean_{direction}"] = mine["arrived"].sum() / len(days)
            done = cleared & (t["arrival_min"] >= m0) & (t["arrival_min"] < m1)
            for direction in DIRECTIONS:
                sel = done & is_direction[direction]
                row[f"procedure_h_mean_{direction}"] = _mean(procedure[sel])
                row[f"time_in_system_h_mean_{direction}"] = _mean(tis[sel])
            for cargo in sc.cargo_classes:
                sel = done & is_export & is_cargo[cargo]
                row[f"time_h_mean_export_to_china_{cargo}"] = _mean(to_china[sel])
            h = held[(held["date"] >= days.iloc[0]) & (held["date"] <= days.iloc[-1])]
            for direction in DIRECTIONS:
                per_day = h[h["direction"] == direction].groupby("day")["total"].sum()
                row[f"held_at_{label}_{direction}_mean"] = per_day.mean()
            for b in self.bottlenecks((first, last)).itertuples():
                judged = b.growth_trucks == b.growth_trucks
                row[f"grows_{b.gate}_{b.direction}"] = float(b.grows) if judged else np.nan
                row[f"growth_trucks_{b.gate}_{b.direction}"] = b.growth_trucks
            k = self._monitor_kpis(m0, m1)
            for gate, g in sc.gates.items():
                for route in g.routes:
                    key = f"utilisation_{gate}_china_check_{route}"
                    row[key] = k.get(key, np.nan)
            rows.append(row)
        return pd.DataFrame(rows)

    def kpis(self, window: Window | None = None) -> pd.Series:
        """Named figures over a date window (default: the days after the warm-up), units in the names.

        Throughput counts the window's days; times count the trucks that entered the system in
        the window and were cleared by the end of the run (``censored_*`` counts those that were
        not); queues and utilisation are time averages over the window; ``backlog_end*`` is what
        is inside when the window ends; ``held_at_*`` trucks not yet cleared at the clock time.
        """
        sc = self.scenario
        start, end = window_minutes(sc, window)
        k: dict[str, float] = {}
        total = self.cleared_per_day(window)
        k["cleared_per_day_mean"] = total.mean()
        k["cleared_per_day_p95"] = total.quantile(0.95)
        k["cleared_per_day_max"] = total.max()
        k["cleared_per_day_min"] = total.min()
        k["days_above_peak_ref"] = float((total > sc.kpi.daily_peak_ref).sum())
        k["days_above_peak_ref_share"] = float((total > sc.kpi.daily_peak_ref).mean())
        d = self.daily
        daily = d[(d["day"] >= start // MIN_PER_DAY) & (d["day"] < end // MIN_PER_DAY)]
        n_days = max(total.size, 1)
        k["arrived_per_day_mean"] = daily.groupby("date")["arrived"].sum().mean()
        for direction, v in daily.groupby("direction", observed=True)["cleared"].sum().items():
            k[f"cleared_per_day_mean_{direction}"] = v / n_days
        by_gate_dir = daily.groupby(["gate", "direction"], observed=True)["cleared"].sum() / n_days
        for (gate, direction), v in by_gate_dir.items():
            k[f"cleared_per_day_mean_{gate}_{direction}"] = v

        tr = self.truck_columns()
        t = self.data.times
        dep = t["departure_min"]
        cleared = (tr["outcome"] == "cleared").to_numpy()
        left_in = cleared & (dep >= start) & (dep < end)
        left = (
            tr.loc[left_in, ["gate", "route", "direction"]]
            .groupby(["gate", "route", "direction"], observed=True)
            .size()
        )
        for (
            gate,
            g,
        ) in sc.gates.items():  # every route and direction, 0 where none left (see kpis.py)
            for route in g.routes:
                for direction in DIRECTIONS:
                    v = left.get((gate, route, direction), 0)
                    k[f"cleared_per_day_mean_{gate}_{route}_{direction}"] = v / n_days

        entered = (t["arrival_min"] >= start) & (t["arrival_min"] < end)
        done = entered & cleared
        is_direction = {x: is_in(tr["direction"], [x]) for x in DIRECTIONS}
        is_gate = {g: is_in(tr["gate"], [g]) for g in sc.gates}
        perishable_classes = [c for c, cc in sc.cargo_classes.items() if cc.perishable]
        per = is_in(tr["cargo"], perishable_classes)
        # Read once each: the columns in hours are made as they are read (truck_columns).
        tis = tr["time_in_system_h"].to_numpy()
        procedure = tr["procedure_h"].to_numpy()
        inside_now = (tr["outcome"] == "inside").to_numpy()
        k["time_in_system_h_mean"] = _mean(tis[done])
        k["procedure_h_mean"] = _mean(procedure[done])
        k["censored_trucks"] = float((entered & inside_now).sum())
        k["perishable_over_threshold_share"] = _share_over(tis, done & per, sc.kpi.perishable_threshold_h)
        for direction in DIRECTIONS:
            sel = done & is_direction[direction]
            self._time_kpis(k, tr, sel, direction, {"time_in_system_h": tis, "procedure_h": procedure})
            k[f"censored_trucks_{direction}"] = float((entered & is_direction[direction] & inside_now).sum())
            k[f"perishable_over_threshold_share_{direction}"] = _share_over(
                tis, sel & per, sc.kpi.perishable_threshold_h
            )
            for gate in sc.gates:
                at = sel & is_gate[gate]
                k[f"time_in_system_h_mean_{gate}_{direction}"] = _mean(tis[at])
                k[f"procedure_h_mean_{gate}_{direction}"] = _mean(procedure[at])
        del procedure, inside_now
        for cargo in sc.cargo_classes:
            x = pd.Series(tis[done & (tr["cargo"] == cargo).to_numpy()])
            k[f"time_in_system_h_mean_{cargo}"] = x.mean()
            k[f"time_in_system_h_p50_{cargo}"] = x.quantile(0.5)
            k[f"time_in_system_h_p95_{cargo}"] = x.quantile(0.95)
            k[f"time_in_system_h_max_{cargo}"] = x.max()

        at_gate = [entered & (self.data.arrivals.gate == gi) for gi in range(len(sc.gates))]
        wait_means: dict[str, list[float]] = {}
        for place, v in _stage_waits(t):  # one place's waits at a time (a year: 5 MiB each)
            wait_means[place] = [_mean_or_nan(v[at]) for at in at_gate]
        del v, at_gate  # freed before the holds are counted
        for gi, gate in enumerate(sc.gates):
            for place, means in wait_means.items():
                k[f"wait_min_mean_{gate}_{place}"] = means[gi]

        k.update(self._monitor_kpis(start, end))

        held = self.held_at(window=window)
        # The run's last evenings miss the exports declared for the days after it: left out of
        # the hold (when there are others; see _last_full_hold_day).
        last_full = self._last_full_hold_day()
        if last_full is not None and held["day"].min() <= last_full:
            held = held[held["day"] <= last_full]
        label = _clock_label(sc.kpi.held_clock)
        for direction in DIRECTIONS:
            h = held[held["direction"] == direction].groupby("day")[[*HELD_PLACES, "total"]].sum()
            k[f"held_at_{label}_{direction}_mean"] = h["total"].mean()
            k[f"held_at_{label}_{direction}_p95"] = h["total"].quantile(0.95)
            # Both readings of a reported hold: in the gate area, and as the platform sees it.
            k[f"held_at_{label}_{direction}_mean_in_area"] = h[list(AREA_PLACES)].sum(axis=1).mean()
            k[f"held_at_{label}_{direction}_mean_declared"] = h[list(HELD_PLACES)].sum(axis=1).mean()
            for place in HELD_PLACES:
                k[f"held_at_{label}_{direction}_mean_{place}"] = h[place].mean()

        inside = self.in_system(np.array([end - 1e-9]))
        k["backlog_end"] = float(inside[0])
        for gate in sc.gates:
            k[f"backlog_end_{gate}"] = float(self.in_system(np.array([end - 1e-9]), gate)[0])
            for direction in DIRECTIONS:
                k[f"backlog_end_{gate}_{direction}"] = float(
                    self.in_system(np.array([end - 1e-9]), gate, direction)[0]
                )
        k["backlog_end_share_of_day"] = (
            k["backlog_end"] / k["cleared_per_day_mean"] if k["cleared_per_day_mean"] else np.nan
        )
        k["turned_away"] = float((entered & (tr["outcome"] == "turned_away").to_numpy()).sum())
        pre = entered & tr["predeclared"].to_numpy()
        late = (tr["approved_min"] > tr["gate_arrival_min"]).to_numpy()
        k["arrived_before_approval_share"] = float((late & pre).sum() / pre.sum()) if pre.any() else np.nan
        k.update(cost_kpis(self.scenario, tr, window))  # money and impact (costs.py)
        return pd.Series(k, name="value", dtype=float)

    def _time_kpis(
        self,
        k: dict[str, float],
        tr: pd.DataFrame | TruckColumns,
        sel: np.ndarray,
        direction: str,
        times_h: dict[str, np.ndarray],
    ) -> None:
        for name in ("time_in_system_h", "procedure_h"):
            x = times_h[name][sel]
            k[f"{name}_mean_{direction}"] = _mean(x)
            k[f"{name}_p50_{direction}"] = float(np.quantile(x, 0.5)) if x.size else np.nan
            k[f"{name}_p95_{direction}"] = float(np.quantile(x, 0.95)) if x.size else np.nan
        k[f"cleared_trucks_{direction}"] = float(sel.sum())
        for piece in PIECES[direction]:
            k[f"time_h_mean_{direction}_{piece}"] = _mean(tr[f"{piece}_h"].to_numpy()[sel])

    def _monitor_kpis(self, start: float, end: float) -> dict[str, float]:
        d = self.data
        t = d.sample_min
        k0 = int(np.searchsorted(t, start))
        k1 = int(np.searchsorted(t, end))
        k1 = min(k1, t.size - 1)
        span = t[k1] - t[k0]
        k: dict[str, float] = {}
        road: dict[tuple[str, str], float] = {}
        for (gate, kind), s in d.series.items():
            if kind.startswith("parking_"):
                direction = kind.removeprefix("parking_")
                m = self.scenario.gates[gate].road_m_per_truck * KM_PER_M
                road_mean = (s["cum_wait"][k1] - s["cum_wait"][k0]) / span
                road_max = s["max_wait"][k0 + 1 : k1 + 1].max()
                road[(gate, direction)] = road_mean
                k[f"road_queue_trucks_mean_{gate}_{direction}"] = road_mean
                k[f"road_queue_trucks_max_{gate}_{direction}"] = road_max
                k[f"road_queue_km_mean_{gate}_{direction}"] = road_mean * m
                k[f"road_queue_km_max_{gate}_{direction}"] = road_max * m
                k[f"yard_occupancy_mean_{gate}_{direction}"] = (s["cum_busy"][k1] - s["cum_busy"][k0]) / span
                k[f"yard_occupancy_max_{gate}_{direction}"] = s["max_busy"][k0 + 1 : k1 + 1].max()
            elif kind == "park":
                k[f"park_occupancy_mean_{gate}"] = (s["cum_busy"][k1] - s["cum_busy"][k0]) / span
                k[f"park_occupancy_max_{gate}"] = s["max_busy"][k0 + 1 : k1 + 1].max()
            else:
                name = kind.replace(":", "_")
                open_min = s["cum_open"][k1] - s["cum_open"][k0]
                busy = s["cum_busy"][k1] - s["cum_busy"][k0]
                # Busy lane-minutes while open over open lane-minutes: at most 1 with fixed lanes.
                # A service under way at closing finishes; its minutes after closing are overtime.
                busy_open = s["cum_busy_open"][k1] - s["cum_busy_open"][k0]
                k[f"queue_mean_{gate}_{name}"] = (s["cum_wait"][k1] - s["cum_wait"][k0]) / span
                k[f"queue_max_{gate}_{name}"] = s["max_wait"][k0 + 1 : k1 + 1].max()
                k[f"utilisation_{gate}_{name}"] = float(busy_share(busy_open, s["lanes"][0] * open_min))
                k[f"overtime_h_per_day_{gate}_{name}"] = (
                    max(busy - busy_open, 0.0) / MIN_PER_H / (span / MIN_PER_DAY)
                )
        for direction in DIRECTIONS:
            k[f"road_queue_trucks_mean_{direction}"] = sum(
                v for (g, dd), v in road.items() if dd == direction
            )
        return k

    def bottlenecks(self, window: Window | None = None) -> pd.DataFrame:
        """Per gate and direction: the binding stage, how busy it is, and whether the queue grows.

        The binding stage is the one, among those the direction's trucks visit at that gate (its
        routes' checkpoints and crossings, the Vietnamese stages, the platform's review), whose
        utilisation over its open hours in the window is highest. Growth follows
        :data:`GROWTH_RULE`.
        """
        sc = self.scenario
        start, end = window_minutes(sc, window)
        k = self._monitor_kpis(start, end)
        days = np.arange(int(np.ceil(start / MIN_PER_DAY)), int(end // MIN_PER_DAY) + 1)
        at = days * MIN_PER_DAY
        rows = []
        for gate, g in sc.gates.items():
            for direction in DIRECTIONS:
                if not g.demand_trucks_per_day.get(direction) and not g.initial_backlog.get(direction):
                    continue
                candidates: dict[str, float] = {}
                for stage in LANE_STAGES:
                    key = f"utilisation_{gate}_{stage}"
                    if key in k:
                        candidates[stage] = k[key]
                for rname, route in g.routes.items():
                    if not any(route_share(route, direction, c) > 0 for c in sc.cargo_classes):
                        continue
                    for stage in ("china_check", "crossing"):
                        if stage == "crossing" and direction not in route.crossing.directions:
                            continue
                        key = f"utilisation_{gate}_{stage}_{rname}"
                        if key in k:
                            candidates[f"{stage}:{rname}"] = k[key]
                # The platform's review is province-wide: stated once, not as any gate's stage.
                valid = {s: u for s, u in candidates.items() if u == u}
                stage, util = max(valid.items(), key=lambda kv: kv[1]) if valid else ("", np.nan)
                counts = self.in_system(at, gate, direction).astype(float)
                growth, grows = _growth(days, counts)
                rows.append(
                    {
                        "gate": gate,
                        "direction": direction,
                        "stage": stage,
                        "utilisation": util,
                        "in_system_first": counts[0] if counts.size else np.nan,
                        "in_system_last": counts[-1] if counts.size else np.nan,
                        "growth_trucks": growth,
                        "grows": grows,
                    }
                )
        return pd.DataFrame(rows)

    def check_conservation(self) -> pd.DataFrame:
        """Per gate: generated, cleared, turned away, still inside; they must add up."""
        tr = self.truck_columns()
        rows = {}
        for gate in self.scenario.gates:
            at = tr["gate"] == gate
            counts = tr.loc[at, "outcome"].value_counts().reindex(list(OUTCOMES), fill_value=0)
            rows[gate] = {**counts.astype(int).to_dict(), "generated": int(at.sum())}
        return pd.DataFrame.from_dict(rows, orient="index")


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else np.nan


def _share_over(time_in_system_h: np.ndarray, sel: np.ndarray, threshold_h: float) -> float:
    x = time_in_system_h[sel]
    return float((x > threshold_h).mean()) if x.size else np.nan


def _clock_min(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * MIN_PER_H + int(mm)


def _clock_label(text: str) -> str:
    hh, mm = text.split(":")
    return f"{int(hh)}h" if mm == "00" else f"{int(hh)}h{mm}"


def theil_sen_slope(x: np.ndarray, y: np.ndarray) -> float:
    """The Theil-Sen slope of *y* on *x*: the median of the slopes between every two points with
    different x (as ``scipy.stats.theilslopes``, without importing scipy.stats, 40 MiB)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dx = x[:, None] - x
    dy = y[:, None] - y
    apart = dx > 0
    return float(np.median(dy[apart] / dx[apart]))


def growth_margin(level: float) -> float:
    """How far a count of trucks must move from *level* to count as moved: the growth rule's
    thresholds, more than :data:`GROWTH_MIN_TRUCKS` and :data:`GROWTH_MIN_SHARE` of it. The rise
    of a growing queue, the end that stays up, and the answer's recovery band all use it."""
    return max(GROWTH_MIN_TRUCKS, GROWTH_MIN_SHARE * level)


def _growth(days: np.ndarray, counts: np.ndarray) -> tuple[float, bool]:
    """Rise of *counts* over the window along a Theil-Sen line, and whether it counts as growth
    (:data:`GROWTH_RULE`): a rise, and an end still above the start. A hump in the window's
    second half tilts the line up although the queue is back where it began."""
    if counts.size < GROWTH_MIN_DAYS:
        return np.nan, False
    slope = theil_sen_slope(days, counts)
    rise = float(slope * (days[-1] - days[0]))
    start, end = counts[:GROWTH_END_DAYS].mean(), counts[-GROWTH_END_DAYS:].mean()
    return rise, bool(rise > growth_margin(counts.mean()) and end - start > growth_margin(start))


def unstable(grows: int, n: int = 1) -> bool:
    """Whether a gate and direction counts as unstable: its queue grows (:data:`GROWTH_RULE`) in
    the one replication, or in more than half of *n*."""
    return bool(grows) if n == 1 else 2 * grows > n
