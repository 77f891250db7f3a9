"""The state of the gates at a clock time, as files: STATE (every truck in the system: where, since
when, in service since when) and DECLARED (the declarations of trucks not yet arrived).

A board exports both from its own systems (the platform's declarations; the yards' and gates'
logs); ``bordersim run --snapshot TIME`` writes them from a simulated run, as the platform would
have seen them then. Every cell is checked against the scenario: a problem names the file, the row
and the column (exit 2 at the command line), and no row is dropped.

Columns marked *snapshot only* (``SNAPSHOT_COLUMNS``) are written by a snapshot so that a run can
be continued exactly (its seed, each truck's index, step, exact end minute and queue order); a
board's files leave them out, and the forecast then draws what they would have said.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.world.calendar import CHINA_AHEAD_MIN, MIN_PER_DAY, build_schedule, horizon_min, minute_of
from sim.world.csv_guard import read_csv_file
from sim.world.model import STEPS
from sim.world.scenario import Scenario
from sim.world.schema.names import AREA_PLACES, DIRECTIONS, LANE_STAGES, ScenarioError

TIME_FORMAT = "%Y-%m-%d %H:%M"
"""How every clock time in these files is written (Vietnam time)."""
STAGES_IN = {
    "china_side": ("china_check", "crossing"),
    "park": ("",),
    "travel": ("",),
    "road": ("", "park"),
    "yard": ("approval", *LANE_STAGES),
    "to_china": ("china_check", "crossing"),
}
"""The stages a truck may be at in each place (empty: the place itself). ``road`` + ``park``: on
the road before a full park; ``yard`` + ``approval``: in the yard, its declaration not yet
approved."""
STATE_COLUMNS = {
    "as_of": "the state's clock time, the same on every row (YYYY-MM-DD HH:MM)",
    "truck_id": "the truck's identifier, unique in the state and the declarations",
    "gate": "the gate's key in the scenario",
    "route": "the route's key (empty: the gate's usual route for its cargo, drawn)",
    "direction": "export or import",
    "cargo": "the cargo class's key",
    "place": "where it is: " + ", ".join(AREA_PLACES),
    "stage": "where in that place (see the table of stages by place; empty: the place itself)",
    "since": "when it came to its place and stage (at or before as_of)",
    "service_start": "when its service there began (empty: it waits); for travel, when it left the park",
    "channel": "optional: green, yellow or red, when the risk channel is known (empty: drawn)",
    "quarantined": "optional: 1 when quarantine will sample it, 0 when not (empty: drawn)",
    "approved": "optional: 1 when its declaration was approved by as_of, 0 when still under review "
    "(empty: approved, unless it waits at the declaration counter)",
    "declared": "optional: 0 when it did not declare on the platform and declares at the counter "
    "(empty: 1, it declared online)",
}
DECLARED_COLUMNS = {
    "as_of": "the state's clock time",
    "truck_id": "the declared truck's identifier",
    "gate": "the gate it declared for",
    "route": "optional: the route's key (empty: drawn)",
    "direction": "export or import",
    "cargo": "the cargo class's key",
    "declared_at": "when the declaration was submitted (at or before as_of)",
    "expected_at": "the arrival it declared (after declared_at)",
    "approved": "optional: 1 when the platform had approved it by as_of, 0 when still under review",
}
SNAPSHOT_COLUMNS = {
    "seed": "the run's seed",
    "replication": "the replication of that seed the snapshot was taken of (0 first)",
    "index": "the truck's index among the run's trucks",
    "step": "its step (" + ", ".join(STEPS) + ")",
    "end_min": "the model minute its step under way ends (empty: waiting)",
    "order": "its place in the queue it waits in",
    "review_phase": "its declaration's phase if not approved: check, review_queue, review, correction",
    "review_visit": "the declaration's review visit (0 first)",
    "review_end_min": "the model minute that phase ends",
    "review_order": "its place in the officers' queue",
}
"""Written by a snapshot (snapshot only) so that the run it was taken of continues exactly."""
_NUMBERS = (
    "seed",
    "replication",
    "index",
    "step",
    "end_min",
    "order",
    "review_visit",
    "review_end_min",
    "review_order",
)


@dataclass
class Row:
    """One truck of STATE or DECLARED, checked; times are model minutes of the scenario."""

    row: int
    truck_id: str
    gate: str
    route: str | None
    direction: str
    cargo: str
    place: str = ""
    stage: str = ""
    since_min: float = math.nan
    service_start_min: float = math.nan
    channel: str | None = None
    quarantined: bool | None = None
    declared_min: float = math.nan
    expected_min: float = math.nan
    approved: bool | None = None
    declared: bool = True
    """False: it did not declare on the platform and declares at the counter (STATE only)."""
    snapshot: dict[str, object] = field(default_factory=dict)


@dataclass
class State:
    """STATE and DECLARED read together: the clock time and every truck, checked."""

    at_min: float
    trucks: list[Row]
    declared: list[Row]
    seed: int | None = None
    """The seed of the run a snapshot was taken of (every row said so), else None."""
    replication: int = 0
    """The replication of that seed the snapshot was taken of."""

    def started_with(self) -> pd.DataFrame:
        """How many trucks the state holds per gate, direction and place, and the declarations."""
        rows = [(r.gate, r.direction, r.place) for r in self.trucks]
        rows += [(r.gate, r.direction, "declared") for r in self.declared]
        df = pd.DataFrame(rows, columns=["gate", "direction", "place"])
        return df.value_counts().rename("trucks").reset_index().sort_values(["gate", "direction", "place"])


def clock_text(sc: Scenario, minute: float) -> str:
    """A model minute as the files write it."""
    when = dt.datetime.combine(sc.run.start_date, dt.time()) + dt.timedelta(minutes=float(minute))
    return when.strftime(TIME_FORMAT)


def parse_time(sc: Scenario, text: object) -> float:
    """*text* ('YYYY-MM-DD HH:MM') as a model minute of *sc*; ValueError when malformed."""
    try:
        when = _clock(str(text).strip())
    except ValueError:
        raise ValueError(f"{str(text)[:40]!r} is not a clock time 'YYYY-MM-DD HH:MM'") from None
    return minute_of(sc, when)


def read_state(
    sc: Scenario, state_path: Path | str, declared_path: Path | str | None = None, at: str | None = None
) -> State:
    """Read and check STATE (and DECLARED) against *sc*; *at* fills a missing ``as_of`` and must
    agree with one given. A problem raises :class:`ScenarioError` naming file, row and column."""
    table = _read_table(
        Path(state_path), "state file", ["truck_id", "gate", "direction", "cargo", "place", "since"], "trucks"
    )
    dtable = None
    if declared_path is not None:
        dtable = _read_table(
            Path(declared_path),
            "declarations file",
            ["truck_id", "gate", "direction", "cargo", "declared_at", "expected_at"],
            "declarations",
        )
    return state_from_tables(sc, table, dtable, at, (str(state_path), str(declared_path)))


def _read_table(path: Path, what: str, required: list[str], key: str) -> pd.DataFrame:
    """A CSV file, or a JSON file ``{"as_of": ..., "<key>": [{column: value, ...}, ...]}`` (a
    top-level ``as_of`` fills the rows'), with the same guards."""
    if path.suffix.lower() != ".json":
        return read_csv_file(path, what=what, required=required, numbers=_NUMBERS, rows_needed=False)
    import json

    from sim.world.csv_guard import MAX_CSV_BYTES
    from sim.world.scenario_files import read_guarded_bytes

    source = str(path)
    raw = read_guarded_bytes(path, source, what, MAX_CSV_BYTES)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ScenarioError(source, [("", f"not UTF-8 JSON: {str(err)[:200]}")], what=what) from None
    rows = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ScenarioError(source, [(key, f"expected a list of objects under {key!r}")], what=what)
    for k, r in enumerate(rows):
        bad = [
            c
            for c, v in r.items()
            if not isinstance(v, str | int | float | type(None)) or isinstance(v, bool)
        ]
        if bad:
            raise ScenarioError(
                source, [(f"row {k + 1}, column {bad[0]}", "expected a text or a number")], what=what
            )
    table = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(columns=required, dtype=object)
    if "as_of" in doc:
        if not isinstance(doc["as_of"], str):
            raise ScenarioError(
                source, [("as_of", "expected a clock time 'YYYY-MM-DD HH:MM' as text")], what=what
            )
        if "as_of" in table.columns and len(rows):
            raise ScenarioError(source, [("as_of", "given at the top and in rows: give it once")], what=what)
        table["as_of"] = [doc["as_of"]] * len(table)
        table.attrs["as_of"] = doc["as_of"]  # an empty list still has its time
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ScenarioError(source, [(c, "column is missing") for c in missing], what=what)
    for column in _NUMBERS:
        if column in table.columns:
            values = pd.to_numeric(table[column], errors="coerce").astype(float)
            if (table[column].notna() & values.isna()).any() or np.isinf(values).any():
                k = int(
                    ((table[column].notna() & values.isna()) | np.isinf(values)).to_numpy().nonzero()[0][0]
                )
                raise ScenarioError(
                    source, [(f"row {k + 1}, column {column}", "not a finite number")], what=what
                )
            table[column] = values
    return table


def state_from_tables(
    sc: Scenario,
    table: pd.DataFrame,
    dtable: pd.DataFrame | None = None,
    at: str | None = None,
    sources: tuple[str, str] = ("STATE", "DECLARED"),
) -> State:
    """Check STATE's and DECLARED's tables against *sc* (see :func:`read_state`); *sources* name
    them in messages."""
    if table.empty and table.attrs.get("as_of"):  # no truck, but a time (JSON)
        given = table.attrs["as_of"]
        if at is not None and at != given:
            raise ScenarioError(sources[0], [("as_of", f"is {given}, but --at says {at}")], what="state file")
        at = given
    cells = _Cells(table, sources[0], "state file")
    at_min = _as_of(sc, cells, sources[0], at, "state file")
    seen: dict[str, str] = {}
    trucks = [_state_row(sc, cells, k, sources[0], at_min, seen) for k in range(len(table))]
    declared: list[Row] = []
    if dtable is not None:
        dcells = _Cells(dtable, sources[1], "declarations file")
        if "as_of" in dtable.columns and len(dtable):
            _as_of(sc, dcells, sources[1], clock_text(sc, at_min), "declarations file", "the state's as_of")
        declared = [_declared_row(sc, dcells, k, sources[1], at_min, seen) for k in range(len(dtable))]
    seeds = {r.snapshot.get("seed") for r in [*trucks, *declared]}
    reps = {r.snapshot.get("replication", 0) for r in [*trucks, *declared]}
    seed = None
    if len(seeds) == 1 and None not in seeds and len(reps) == 1:
        seed = int(seeds.pop())  # type: ignore[arg-type]
    return State(at_min, trucks, declared, seed, int(reps.pop()) if len(reps) == 1 else 0)


def _refuse(source: str, k: int | None, column: str, msg: str, what: str) -> ScenarioError:
    where = column if k is None else f"row {k + 1}, column {column}"
    return ScenarioError(source, [(where, msg)], what=what)


def _as_of(
    sc: Scenario, table: _Cells, source: str, at: str | None, what: str, at_name: str = "--at"
) -> float:
    given = None
    if "as_of" in table.columns and len(table):
        cells = [_cell(table, k, "as_of") for k in range(len(table))]
        values = sorted(set(cells))
        if len(values) > 1:
            k = next(k for k, c in enumerate(cells) if c != cells[0])
            shown = ", ".join(repr(v[:40]) for v in values[:3])
            raise _refuse(source, k, "as_of", f"differs between rows ({shown}): one state has one time", what)
        given = values[0] or None
    if given is None and at is None:
        raise _refuse(source, None, "as_of", "no clock time: give an as_of column or --at", what)
    try:
        at_min = parse_time(sc, given if given is not None else at)
        if given is not None and at is not None and parse_time(sc, at) != at_min:
            raise ValueError(f"is {given}, but {at_name} says {at}")
    except ValueError as err:
        raise _refuse(source, 0 if given is not None else None, "as_of", str(err), what) from None
    if not 0 < at_min < horizon_min(sc):
        raise _refuse(
            source,
            0 if given is not None else None,
            "as_of",
            f"{clock_text(sc, at_min)} is outside the scenario's run "
            f"({sc.run.start_date} for {sc.run.days} days)",
            what,
        )
    return at_min


class _Cells:
    """A table's cells by row and column, each column read into a list once.

    The readers below look at a state's cells one by one, about twenty a truck; pandas' indexing
    for each cell (``table[column].iloc[k]``) made reading a state of 4,000 trucks take seconds.
    A cell is the same object ``iloc`` gives (iterating a column's array yields each item as
    indexing it does)."""

    def __init__(self, table: pd.DataFrame, source: str, what: str) -> None:
        twice = table.columns[table.columns.duplicated()]
        if len(twice):  # a table built in Python can have them; a file read here cannot
            raise _refuse(source, None, str(twice[0]), "appears twice: give each column once", what)
        self.table = table
        self.columns = frozenset(table.columns)
        self._lists: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self.table)

    def value(self, k: int, column: str) -> object:
        """The cell of row *k* (0 first) in *column*, as ``table[column].iloc[k]`` gives it."""
        values = self._lists.get(column)
        if values is None:
            values = self._lists[column] = list(self.table[column].array)
        return values[k]


@functools.lru_cache(maxsize=4096)
def _clock(text: str) -> dt.datetime:
    """*text* parsed with TIME_FORMAT: a state's times repeat (trucks of one minute), and
    ``strptime`` is slow."""
    return dt.datetime.strptime(text, TIME_FORMAT)


def _cell(table: _Cells, k: int, column: str) -> str:
    if column not in table.columns:
        return ""
    v = table.value(k, column)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _common(sc: Scenario, table: _Cells, k: int, source: str, what: str, seen: dict[str, str]) -> Row:
    def bad(column: str, msg: str) -> ScenarioError:
        return _refuse(source, k, column, msg, what)

    truck_id = _cell(table, k, "truck_id")
    if not truck_id:
        raise bad("truck_id", "is empty: every truck needs an identifier")
    if truck_id in seen:
        raise bad("truck_id", f"{truck_id!r} appears twice (first at {seen[truck_id]})")
    seen[truck_id] = f"{Path(source).name} row {k + 1}"
    gate = _cell(table, k, "gate")
    if gate not in sc.gates:
        raise bad("gate", f"{gate!r} is not a gate of the scenario ({', '.join(sc.gates)})")
    direction = _cell(table, k, "direction")
    if direction not in DIRECTIONS:
        raise bad("direction", f"{direction!r} is not export or import")
    cargo = _cell(table, k, "cargo")
    if cargo not in sc.cargo_classes:
        raise bad("cargo", f"{cargo!r} is not a cargo class of the scenario ({', '.join(sc.cargo_classes)})")
    route = _cell(table, k, "route") or None
    if route is not None and route not in sc.gates[gate].routes:
        raise bad("route", f"{route!r} is not a route of {gate} ({', '.join(sc.gates[gate].routes)})")
    snapshot = {c: table.value(k, c) for c in SNAPSHOT_COLUMNS if c in table.columns and _cell(table, k, c)}
    for c in (
        "seed",
        "replication",
        "index",
        "step",
        "order",
        "review_visit",
        "review_order",
        "end_min",
        "review_end_min",
    ):
        if c in snapshot:
            snapshot[c] = float(snapshot[c])
    return Row(k + 1, truck_id, gate, route, direction, cargo, snapshot=snapshot)


def _time(sc: Scenario, table: _Cells, k: int, column: str, source: str, what: str) -> float:
    text = _cell(table, k, column)
    if not text:
        return math.nan
    try:
        return parse_time(sc, text)
    except ValueError as err:
        raise _refuse(source, k, column, str(err), what) from None


def _state_row(sc: Scenario, table: _Cells, k: int, source: str, at_min: float, seen: dict[str, str]) -> Row:
    what = "state file"

    def bad(column: str, msg: str) -> ScenarioError:
        return _refuse(source, k, column, msg, what)

    row = _common(sc, table, k, source, what, seen)
    place, stage = _cell(table, k, "place"), _cell(table, k, "stage")
    if place not in STAGES_IN:
        raise bad("place", f"{place!r} is not a place of the gate area ({', '.join(STAGES_IN)})")
    if (place, row.direction) in (("china_side", "export"), ("to_china", "import")):
        raise bad(
            "place",
            f"an {row.direction} cannot be at {place}: 'china_side' is where an import "
            "waits before crossing, 'to_china' where an export waits after its procedures",
        )
    if (place in ("park", "travel") or stage == "park") and row.direction != "export":
        raise bad("place", f"only exports use a park; an import cannot be at {place}")
    if stage and stage not in STAGES_IN[place]:
        raise bad(
            "stage",
            f"{stage!r} is not a stage of {place} ({', '.join(s or '(empty)' for s in STAGES_IN[place])})",
        )
    gate = sc.gates[row.gate]
    if (place in ("park", "travel") or stage == "park") and (gate.park is None or not gate.park.enabled):
        raise bad("place", f"{row.gate} has no holding park in the scenario")
    stage = stage or {"china_side": "china_check", "to_china": "china_check", "yard": "approval"}.get(
        place, ""
    )
    if stage == "approval" and not sc.platform.enabled:
        stage = next((s for s in LANE_STAGES[1:] if getattr(gate, s).enabled), "gate_control")
    if stage in ("china_check", "crossing"):
        routes = [row.route] if row.route else list(gate.routes)
        off = [r for r in routes if not getattr(gate.routes[r], stage).enabled]
        if off:
            column = "route" if row.route else "stage"
            raise bad(
                column,
                f"{stage} is not open on route {off[0]} of {row.gate} in the scenario (enabled: false)"
                + ("" if row.route else "; name the route the truck is on"),
            )
    if stage in LANE_STAGES and not getattr(gate, stage).enabled:
        raise bad("stage", f"{stage} is not open at {row.gate} in the scenario (enabled: false)")
    row.place, row.stage = place, stage
    row.since_min = _time(sc, table, k, "since", source, what)
    if math.isnan(row.since_min):
        raise bad("since", "is empty: when did the truck come to its place?")
    if row.since_min > at_min:
        raise bad("since", f"{clock_text(sc, row.since_min)} is after as_of {clock_text(sc, at_min)}")
    row.service_start_min = _time(sc, table, k, "service_start", source, what)
    start = row.service_start_min
    if not math.isnan(start):
        if stage in ("", "approval", "park") and place != "travel":
            raise bad(
                "service_start", f"a truck at {place} {stage or ''} is not in a service".replace("  ", " ")
            )
        if start > at_min or start < row.since_min:
            raise bad("service_start", f"{clock_text(sc, start)} must lie between since and as_of")
        if not _open_at(sc, row, stage, start):
            raise bad(
                "service_start",
                f"{stage} at {row.gate} is closed at {clock_text(sc, start)}: no service starts then",
            )
    channel = _cell(table, k, "channel")
    if channel and channel not in ("green", "yellow", "red"):
        raise bad("channel", f"{channel!r} is not green, yellow or red")
    row.channel = channel or None
    q = _cell(table, k, "quarantined")
    if q and q not in ("0", "1"):
        raise bad("quarantined", f"{q!r} is not 0 or 1")
    row.quarantined = None if not q else q == "1"
    a = _cell(table, k, "approved")
    if a and a not in ("0", "1"):
        raise bad("approved", f"{a!r} is not 0 or 1")
    row.approved = None if not a else a == "1"
    dcl = _cell(table, k, "declared")
    if dcl and dcl not in ("0", "1"):
        raise bad("declared", f"{dcl!r} is not 0 or 1")
    row.declared = dcl != "0"
    if not row.declared and row.approved is not None:
        raise bad("approved", "a truck that did not declare online has no platform approval: leave it empty")
    return row


def _open_at(sc: Scenario, row: Row, stage: str, t: float) -> bool:
    """Whether *stage* of the truck's gate (and route, direction) is open at minute *t*."""
    gate = sc.gates[row.gate]
    if stage in LANE_STAGES:
        schedules = [build_schedule(sc, gate.stage_hours(stage), row.gate, stage)]
    elif stage in ("china_check", "crossing"):
        schedules = []
        for route in [row.route] if row.route else list(gate.routes):  # no route given: any of them
            if stage == "china_check":
                hours = gate.routes[route].china_check.hours_for(row.direction)
                schedules.append(
                    build_schedule(sc, hours, row.gate, "china_check", CHINA_AHEAD_MIN, route, row.direction)
                )
            else:
                schedules.append(
                    build_schedule(sc, gate.crossing_hours(route), row.gate, "crossing", 0, route)
                )
    else:
        return True
    for schedule in schedules:
        k = int(np.searchsorted(np.asarray(schedule.times), t, side="right")) - 1
        if schedule.open[max(k, 0)]:
            return True
    return False


def _declared_row(
    sc: Scenario, table: _Cells, k: int, source: str, at_min: float, seen: dict[str, str]
) -> Row:
    what = "declarations file"

    def bad(column: str, msg: str) -> ScenarioError:
        return _refuse(source, k, column, msg, what)

    row = _common(sc, table, k, source, what, seen)
    row.declared_min = _time(sc, table, k, "declared_at", source, what)
    row.expected_min = _time(sc, table, k, "expected_at", source, what)
    for column, value in (("declared_at", row.declared_min), ("expected_at", row.expected_min)):
        if math.isnan(value):
            raise bad(column, "is empty")
    if row.declared_min > at_min:
        raise bad(
            "declared_at", f"{clock_text(sc, row.declared_min)} is after as_of {clock_text(sc, at_min)}"
        )
    if row.expected_min < row.declared_min:
        raise bad(
            "expected_at",
            f"{clock_text(sc, row.expected_min)} is before its declaration "
            f"({clock_text(sc, row.declared_min)})",
        )
    if row.expected_min >= horizon_min(sc) + MIN_PER_DAY:
        raise bad("expected_at", f"{clock_text(sc, row.expected_min)} is past the scenario's run")
    a = _cell(table, k, "approved")
    if a and a not in ("0", "1"):
        raise bad("approved", f"{a!r} is not 0 or 1")
    row.approved = None if not a else a == "1"
    return row


def state_schema() -> str:
    """The columns of STATE and DECLARED, and the stages of each place, as Markdown."""
    out = [
        '# STATE (CSV, or JSON {"as_of": ..., "trucks": [...]}): every truck in the system at as_of',
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    out += [f"| `{c}` | {m} |" for c, m in STATE_COLUMNS.items()]
    out += ["", "Stages by place (empty: the place itself):", "", "| place | stages |", "|---|---|"]
    out += [f"| `{p}` | {', '.join(s or '(empty)' for s in stages)} |" for p, stages in STAGES_IN.items()]
    out += [
        "",
        "# DECLARED (CSV): declarations of trucks not yet arrived",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    out += [f"| `{c}` | {m} |" for c, m in DECLARED_COLUMNS.items()]
    out += [
        "",
        "# Snapshot only (written by `bordersim run --snapshot`, to continue that run exactly)",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    out += [f"| `{c}` | {m} |" for c, m in SNAPSHOT_COLUMNS.items()]
    out += ["", "Times are 'YYYY-MM-DD HH:MM', Vietnam time."]
    return "\n".join(out)


PAST_COLUMNS = ("truck_id", "gate", "direction", "cargo", "declared_at", "expected_at", "arrived_at")
"""Columns of past declarations (``bordersim fit-declarations``): ``arrived_at`` empty = no-show."""


def read_past_declarations(sc: Scenario, path: Path | str) -> pd.DataFrame:
    """Past declarations checked against *sc*: one row each with ``declared_min``,
    ``expected_min`` and ``arrived_min`` (NaN: never came). A bad cell names file, row and column."""
    source, what = str(path), "past declarations file"
    table = _Cells(read_csv_file(Path(path), what=what, required=list(PAST_COLUMNS)), source, what)
    rows = []
    for k in range(len(table)):

        def bad(column: str, msg: str, k: int = k) -> ScenarioError:
            return _refuse(source, k, column, msg, what)

        gate, direction, cargo = (_cell(table, k, c) for c in ("gate", "direction", "cargo"))
        if gate not in sc.gates:
            raise bad("gate", f"{gate!r} is not a gate of the scenario ({', '.join(sc.gates)})")
        if direction not in DIRECTIONS:
            raise bad("direction", f"{direction!r} is not export or import")
        if cargo not in sc.cargo_classes:
            raise bad("cargo", f"{cargo!r} is not a cargo class of the scenario")
        declared, expected, arrived = (
            _time(sc, table, k, c, source, what) for c in ("declared_at", "expected_at", "arrived_at")
        )
        for column, value in (("declared_at", declared), ("expected_at", expected)):
            if math.isnan(value):
                raise bad(column, "is empty")
        if expected < declared:
            raise bad("expected_at", "is before its declaration")
        if arrived < declared:
            raise bad("arrived_at", "is before its declaration")
        rows.append((_cell(table, k, "truck_id"), gate, direction, cargo, declared, expected, arrived))
    return pd.DataFrame(
        rows,
        columns=["truck_id", "gate", "direction", "cargo", "declared_min", "expected_min", "arrived_min"],
    )


def read_recent(sc: Scenario, path: Path | str, at_min: float) -> pd.DataFrame:
    """Trucks held by gate and direction before the state's time (columns time, gate, direction,
    held), checked: the recent past a forecast's figure starts from. Times become hours before
    *at_min* (``hours``, at most 0)."""
    source, what = str(path), "recent past file"
    table = read_csv_file(
        Path(path), what=what, required=["time", "gate", "direction", "held"], numbers=["held"]
    )
    hours = []
    cells = _Cells(table, source, what)
    for k in range(len(table)):
        gate, direction = _cell(cells, k, "gate"), _cell(cells, k, "direction")
        if gate not in sc.gates:
            raise _refuse(source, k, "gate", f"{gate!r} is not a gate of the scenario", what)
        if direction not in DIRECTIONS:
            raise _refuse(source, k, "direction", f"{direction!r} is not export or import", what)
        t = _time(sc, cells, k, "time", source, what)
        if math.isnan(t) or t > at_min:
            raise _refuse(source, k, "time", "must be a time at or before the state's as_of", what)
        held = cells.value(k, "held")
        if not (held >= 0):
            raise _refuse(source, k, "held", "must be a count of 0 or more", what)
        hours.append((t - at_min) / 60.0)
    out = table[["gate", "direction", "held"]].copy()
    out["hours"] = hours
    return out
