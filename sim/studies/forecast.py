"""The next hours from the state now: replications started from STATE and DECLARED.

Each replication starts every truck of the state at its place (a service under way goes on for
the rest of its drawn time, given how long it has run), lets each declared truck arrive at its
expected time, and adds the trucks not yet declared from the scenario's demand: a truck of the
demand arriving at t is kept only when it would not have declared by the state's time (its own
drawn lead time is shorter than t - as_of), so that none is counted twice. The scenario's events
apply (a closure tomorrow is a what-if); no other disruption is modelled.

A state that a snapshot wrote with its snapshot-only columns is continued exactly instead
(:func:`continue_snapshot`): the run it was taken of, from that minute on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.replications import replication_seed
from sim.world.calendar import MIN_PER_DAY, MIN_PER_H, minute_of
from sim.world.demand import Arrivals, generate_arrivals
from sim.world.model import (
    APPROVAL,
    ARRIVE,
    PARK,
    STEPS,
    TRAVEL,
    TURNED_AWAY,
    YARD,
    Model,
    RunData,
    TruckDraws,
    draw_trucks,
    redraw_route,
    route_keys,
    stream,
)
from sim.world.restart import LiveDeclaration, LiveTruck, Start, places_of, stage_of_step
from sim.world.scenario import Scenario
from sim.world.schema.names import DIRECTIONS
from sim.world.state_files import State, clock_text

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
STEP_OF_STAGE = {
    ("china_side", "china_check"): "import_check",
    ("china_side", "crossing"): "import_crossing",
    ("to_china", "china_check"): "export_check",
    ("to_china", "crossing"): "export_crossing",
    ("park", ""): "park",
    ("road", "park"): "park",
    ("travel", ""): "travel",
    ("road", ""): "yard",
    ("yard", "approval"): "approval",
    ("yard", "declaration_counter"): "approval",
}
"""The model's step (:data:`sim.world.model.STEPS`) of a truck at each place and stage; a yard
stage of lanes is its own step."""


@dataclass
class Forecast:
    """What a forecast says: ``table`` (forecast.csv), what it started from and what it assumed."""

    scenario: Scenario
    at_min: float
    hours: int
    n: int
    table: pd.DataFrame
    started_with: pd.DataFrame
    declared_used: int
    assumptions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """What it assumed, as (key, fields): the words are the glossary's ``forecast.assume.<key>``."""

    @property
    def as_of(self) -> str:
        return clock_text(self.scenario, self.at_min)


def remaining_min(dist: Any, elapsed_min: float, u: float) -> float:
    """The rest of a service that has run *elapsed_min*, drawn by inverse transform from its
    distribution given that it lasts longer than that (*u* uniform): a quantile is found by
    bisection, so any distribution of the scenario serves."""
    if elapsed_min <= 0:
        return float(dist.from_uniform(np.array([u]))[0])
    lo, hi = 0.0, 1.0
    for _ in range(40):  # F(elapsed): the share of services shorter than what has run
        mid = (lo + hi) / 2
        if float(dist.from_uniform(np.array([mid]))[0]) < elapsed_min:
            lo = mid
        else:
            hi = mid
    if lo >= 1.0 - 1e-12:
        return 0.0
    q = lo + (1.0 - lo) * u
    return max(float(dist.from_uniform(np.array([min(q, 1 - 1e-12)]))[0]) - elapsed_min, 0.0)


def snapshot_state(sc: Scenario, when: str, seed: int = 0, exact: bool = False) -> State:
    """A state to try the forecast on: where every truck of *sc*'s replication 0 (of *seed*) is at
    *when* ('YYYY-MM-DD HH:MM') and the declarations of those on their way, as the platform would
    have seen them. Without *exact* the snapshot-only columns are left out, as in a board's files:
    the forecast then draws what they would have said."""
    from sim.world.restart import capture
    from sim.world.snapshots import snapshot_tables
    from sim.world.state_files import SNAPSHOT_COLUMNS, parse_time, state_from_tables

    model = Model(sc, replication_seed(seed, 0))
    model.env.run(until=parse_time(sc, when))
    table, dtable = snapshot_tables(model, capture(model), seed, 0)
    if not exact:
        table = table.drop(columns=[c for c in SNAPSHOT_COLUMNS if c in table.columns])
        dtable = dtable.drop(columns=[c for c in SNAPSHOT_COLUMNS if c in dtable.columns])
    return state_from_tables(sc, table, dtable, sources=(f"snapshot at {when}", f"declared at {when}"))


def continue_snapshot(sc: Scenario, state: State, until_min: float | None = None) -> RunData:
    """The run a snapshot was taken of, continued exactly from the state's time (the state must
    hold the snapshot-only columns and the seed the run had)."""
    if state.seed is None:
        raise ValueError(
            "the state has no snapshot-only columns (seed, index, step): it cannot be continued exactly"
        )
    keys = route_keys(sc)
    trucks, decs = [], []
    for row in [*state.trucks, *state.declared]:
        s = row.snapshot
        i = int(s["index"])
        trucks.append(
            LiveTruck(
                i,
                int(s["step"]),
                row.since_min if not math.isnan(row.since_min) else row.declared_min,
                float(s.get("end_min", math.nan)),
                float(s.get("order", 0.0)),
                row.stage != "park",
                {"approved_min": row.since_min if math.isnan(row.declared_min) else row.declared_min}
                if row.approved
                else {},
                route=keys.index((row.gate, row.route)) if row.route else None,
            )
        )
        if "review_phase" in s:
            decs.append(
                LiveDeclaration(
                    i,
                    str(s["review_phase"]),
                    int(s.get("review_visit", 0)),
                    float(s.get("review_end_min", math.nan)),
                    float(s.get("review_order", 0.0)),
                )
            )
    root = replication_seed(state.seed, state.replication)
    return Model(sc, root, start=Start(state.at_min, trucks, decs)).run(until_min=until_min)


def fit_declarations(past: pd.DataFrame) -> dict[str, Any]:
    """The lateness and no-show model of past declarations (see
    :func:`sim.world.state_files.read_past_declarations`): every observed lateness in minutes
    (arrived - expected, drawn from as they are), the share that never came, and the lead times
    (expected - declared) they were declared with, in hours."""
    came = past["arrived_min"].notna()
    if len(past) and not came.any():
        raise ValueError("every past declaration is a no-show: there is no lateness to fit")
    late = (past.loc[came, "arrived_min"] - past.loc[came, "expected_min"]).to_numpy(dtype=float)
    lead_h = (past["expected_min"] - past["declared_min"]).to_numpy(dtype=float) / MIN_PER_H
    qs = (0.1, 0.25, 0.5, 0.75, 0.9)
    return {
        "n": len(past),
        "no_show_share": float(1 - came.mean()) if len(past) else 0.0,
        "late_min": [round(float(x), 3) for x in late],
        "late_min_quantiles": {f"q{int(q * 100):02d}": float(np.quantile(late, q)) for q in qs}
        if late.size
        else {},
        "lead_h_quantiles": {f"q{int(q * 100):02d}": float(np.quantile(lead_h, q)) for q in qs}
        if lead_h.size
        else {},
    }


def _frame(sc: Scenario, at_min: float, hours: int) -> tuple[Scenario, float]:
    """The scenario cut to the days a forecast needs, starting at midnight before *at_min*: the
    same calendar (weekday, month, events), far fewer trucks to draw."""
    first = sc.run.start_date + dt.timedelta(days=int(at_min // MIN_PER_DAY))
    shift = minute_of(sc, first)
    days = math.ceil((at_min - shift + hours * MIN_PER_H) / MIN_PER_DAY) + 1
    fc = sc.with_changes({"run.start_date": first.isoformat(), "run.days": days, "run.warmup_days": 0})
    return fc, shift


def _lateness(n: int, rng: np.random.Generator, lateness: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Minutes late and no-shows of *n* declared trucks: from a fitted model, else on time."""
    if not lateness:
        return np.zeros(n), np.zeros(n, dtype=bool)
    late = np.asarray(lateness["late_min"], dtype=float)
    pick = late[rng.integers(0, late.size, n)] if late.size else np.zeros(n)
    return pick, rng.random(n) < float(lateness.get("no_show_share", 0.0))


PER_TRUCK = (
    "predeclared",
    "lead_min",
    "auto_check_min",
    "review_min",
    "returns",
    "correction_min",
    "channel",
    "quarantined",
    "crossing_mode",
    "route",
    "travel_min",
    "parked",
)
"""The fields of :class:`TruckDraws` that hold one value per truck (taken and joined alike)."""


def _take(d: TruckDraws, idx: np.ndarray) -> TruckDraws:
    """The draws of trucks *idx* of *d*, numbered 0.. in that order."""
    pos = {int(i): k for k, i in enumerate(idx.tolist())}
    return TruckDraws(
        **{f: getattr(d, f)[idx] for f in PER_TRUCK},
        later_visits=[{pos[i]: v for i, v in visits.items() if i in pos} for visits in d.later_visits],
        service_min={s: v[idx] for s, v in d.service_min.items()},
        route_uniforms=None if d.route_uniforms is None else d.route_uniforms[:, idx],
        outside_min=None if d.outside_min is None else d.outside_min[idx],
    )


def _join(a: TruckDraws, b: TruckDraws, n_a: int) -> TruckDraws:
    """The draws of *a*'s trucks followed by *b*'s (numbered from *n_a*)."""
    depth = max(len(a.later_visits), len(b.later_visits))
    later = []
    for k in range(depth):
        merged = dict(a.later_visits[k]) if k < len(a.later_visits) else {}
        if k < len(b.later_visits):
            merged.update({i + n_a: v for i, v in b.later_visits[k].items()})
        later.append(merged)

    def cat(x: np.ndarray | None, y: np.ndarray | None, axis: int = 0) -> np.ndarray | None:
        return None if x is None or y is None else np.concatenate([x, y], axis=axis)

    arrays = {f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in PER_TRUCK}
    return TruckDraws(
        **arrays,
        later_visits=later,
        service_min={s: np.concatenate([a.service_min[s], b.service_min[s]]) for s in a.service_min},
        route_uniforms=cat(a.route_uniforms, b.route_uniforms, axis=1),
        outside_min=cat(a.outside_min, b.outside_min),
    )


def one_start(
    sc: Scenario, state: State, hours: int, root: np.random.SeedSequence, lateness: dict | None = None
) -> tuple[Scenario, Arrivals, TruckDraws, Start, int]:
    """One replication's trucks and starting state, in the forecast's own frame; also how many
    trucks the state and the declarations gave (the first that many trucks)."""
    fc, shift = _frame(sc, state.at_min, hours)
    at = state.at_min - shift
    gates, cargos = list(fc.gates), list(fc.cargo_classes)
    rng = np.random.default_rng(stream(root, "forecast"))
    late, no_show = _lateness(len(state.declared), rng, lateness)
    declared = [r for r, gone in zip(state.declared, no_show, strict=True) if not gone]
    late = late[~no_show]
    rows = [*state.trucks, *declared]
    k = len(rows)
    times = np.array(
        [r.since_min - shift for r in state.trucks]
        # A declared truck not yet arrived arrives after as_of, however late it already is, and
        # within the minute it gave (expected_at is written to the minute).
        + [
            max(r.expected_min - shift + lt + u, float(np.nextafter(at, np.inf)))
            for r, lt, u in zip(declared, late, rng.random(len(declared)), strict=True)
        ]
    )
    known = Arrivals(
        times,
        np.array([gates.index(r.gate) for r in rows], dtype=np.int8),
        np.array([DIRECTIONS.index(r.direction) for r in rows], dtype=np.int8),
        np.array([cargos.index(r.cargo) for r in rows], dtype=np.int8),
    )
    kd = draw_trucks(fc, known, np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1)))
    if kd.route_uniforms is None:
        kd.route_uniforms = rng.random((3, k))
    # The trucks not yet declared: the demand's, kept where they would declare after as_of.
    gen = generate_arrivals(fc, stream(root, "arrivals"))
    gd = draw_trucks(fc, gen, root)
    pre = gd.predeclared & fc.platform.enabled
    begins = np.where(pre, gen.time_min - gd.lead_min, gen.time_min)
    keep = np.flatnonzero(begins >= at)
    later = Arrivals(*(getattr(gen, f)[keep] for f in ("time_min", "gate", "direction", "cargo")))
    draws = _join(kd, _take(gd, keep), k)  # route uniforms only where a gate has route choice
    arrivals = Arrivals(
        *(
            np.concatenate([getattr(known, f), getattr(later, f)])
            for f in ("time_min", "gate", "direction", "cargo")
        )
    )
    live = _live_trucks(fc, state, rows, arrivals, draws, at, shift, rng, kd)
    return fc, arrivals, draws, Start(at, live[0], live[1]), k


def _live_trucks(fc, state, rows, arrivals, draws, at, shift, rng, kd) -> tuple[list, list]:
    keys = route_keys(fc)
    trucks: list[LiveTruck] = []
    decs: list[LiveDeclaration] = []
    n_state = len(state.trucks)
    for i, r in enumerate(rows):
        export = r.direction == "export"
        if r.route is not None:
            ri = keys.index((r.gate, r.route))
            if ri != int(draws.route[i]):
                uni = draws.route_uniforms if draws.route_uniforms is not None else kd.route_uniforms
                saved = draws.route_uniforms
                draws.route_uniforms = uni
                redraw_route(fc, draws, int(arrivals.cargo[i]), i, ri, r.direction)
                draws.route_uniforms = saved
        if r.channel is not None:
            draws.channel[i] = ("green", "yellow", "red").index(r.channel)
        if r.quarantined is not None:
            draws.quarantined[i] = r.quarantined
        if i >= n_state:  # declared, on its way
            draws.predeclared[i] = True
            draws.parked[i] = draws.parked[i] and export
            trucks.append(
                LiveTruck(
                    i,
                    ARRIVE,
                    r.declared_min - shift,
                    float(arrivals.time_min[i]),
                    times={"submitted_min": r.declared_min - shift},
                )
            )
            if r.approved is False and fc.platform.enabled:
                decs.append(LiveDeclaration(i, "review_queue", order=r.declared_min))
            else:
                trucks[-1].times["approved_min"] = r.declared_min - shift
            continue
        step = STEPS.index(STEP_OF_STAGE.get((r.place, r.stage), r.stage))
        draws.predeclared[i] = r.declared and r.stage != "declaration_counter"
        # At the park or on its way from it; past the park, its spans there are before as_of.
        draws.parked[i] = export and (r.place in ("park", "travel") or r.stage == "park")
        since = r.since_min - shift
        end = math.nan
        if step == TRAVEL:
            left = r.service_start_min if not math.isnan(r.service_start_min) else r.since_min
            end = at + remaining_min(
                fc.gates[r.gate].park.travel_min, at - (left - shift), float(rng.random())
            )
        elif not math.isnan(r.service_start_min):
            elapsed = at - (r.service_start_min - shift)
            end = at + remaining_min(_service_dist(fc, r, step, draws, i), elapsed, float(rng.random()))
        known = _known_times(since, step, r, export)
        if not math.isnan(r.service_start_min) and step != TRAVEL:
            known[f"{stage_of_step(step)}_start_min"] = r.service_start_min - shift
        if draws.predeclared[i] and fc.platform.enabled and step <= APPROVAL:
            if r.approved is False or (step == APPROVAL and r.approved is None):
                decs.append(LiveDeclaration(i, "review_queue", order=since))
            else:
                known["approved_min"] = since
        trucks.append(LiveTruck(i, step, since, end, since, r.stage != "park", known))
    return trucks, decs


def _service_dist(fc: Scenario, r, step: int, draws: TruckDraws, i: int) -> Any:
    gate = fc.gates[r.gate]
    route = gate.routes[route_keys(fc)[int(draws.route[i])][1]]
    name = STEPS[step]
    if name.endswith("check"):
        return fc.lookup(route.china_check.service_min, r.cargo)
    if name.endswith("crossing"):
        return route.crossing.direct_min if draws.crossing_mode[i] else route.crossing.trailer_swap_min
    stage = "declaration_counter" if step == APPROVAL else name
    return fc.lookup(getattr(gate, stage).service_min, r.cargo)


def _known_times(since: float, step: int, r, export: bool) -> dict[str, float]:
    """The truck log's times a state row implies: each step before its own began at ``since``."""
    t = {"arrival_min": since}
    if step >= PARK and export and (r.place in ("park", "travel") or r.stage == "park"):
        t["park_in_min"] = since
    if step == TRAVEL:
        t["called_min"] = since
    if step >= YARD:
        t["gate_arrival_min"] = since
    if step > YARD:
        t["yard_in_min"] = since
    if step > APPROVAL:
        t["approved_min"] = since
    if r.place == "to_china":
        t["procedures_end_min"] = since
    return t


def _replication(task: tuple) -> Any:
    """One replication of a forecast (in a worker or not): its start, its run, its *measure*."""
    from sim.experiments.results import Run

    sc, state, hours, child, lateness, measure = task
    fc, arrivals, draws, start, _ = one_start(sc, state, hours, child, lateness)
    data = Model(fc, child, arrivals, start=start, draws=draws).run(
        until_min=start.at_min + hours * MIN_PER_H
    )
    return measure(Run(data), start)


def forecast_map(
    sc: Scenario,
    state: State,
    hours: int,
    n: int,
    measure: Callable[[Any, Start], Any],
    seed: int = 0,
    lateness: dict | None = None,
    parameter_sets: list[Scenario] | None = None,
    jobs: int = 1,
) -> list[Any]:
    """``measure(run, start)`` of each of *n* replications from *state*, run *hours* on, in order:
    the :class:`~sim.experiments.results.Run` is in the forecast's frame (a scenario cut to the
    days needed), *start* what it started from. On *jobs* worker processes the results are the
    same, replication by replication (each has its own seed); *measure* must then be a
    module-level function (or a partial of one).

    With *parameter_sets* (e.g. an ensemble's plausible sets applied to *sc*), replication i runs
    set i mod m: the bands then hold what the model does not know as well as randomness."""
    children = np.random.SeedSequence(seed).spawn(n)
    tasks = [
        (
            sc if not parameter_sets else parameter_sets[i % len(parameter_sets)],
            state,
            hours,
            child,
            lateness,
            measure,
        )
        for i, child in enumerate(children)
    ]
    if jobs <= 1 or n <= 1:
        return [_replication(t) for t in tasks]
    import os
    import threading
    from concurrent.futures import ProcessPoolExecutor

    from sim.experiments.replications import _end_with_parent

    workers = min(jobs, n)
    main = threading.current_thread() is threading.main_thread()
    with ProcessPoolExecutor(workers, initializer=_end_with_parent, initargs=(os.getpid(), main)) as pool:
        return list(pool.map(_replication, tasks, chunksize=max(1, n // (4 * workers))))


def _forecast_measure(run: Any, start: Start, hours: int, known: int) -> tuple[pd.DataFrame, dict, float]:
    return (
        _quantities(run, start.at_min, hours, known),
        places_of(start, run.data.arrivals, run.data.draws),
        start.at_min,
    )


def forecast(
    sc: Scenario,
    state: State,
    hours: int = 48,
    n: int = 100,
    seed: int = 0,
    lateness: dict | None = None,
    parameter_sets: list[Scenario] | None = None,
    jobs: int = 1,
) -> Forecast:
    """Forecast the next *hours* from *state* with *n* replications: trucks held by place hour
    by hour, and the time a truck arriving at each coming hour spends until it leaves. With
    *parameter_sets* the replications run those sets in turn, on *jobs* worker processes (see
    :func:`forecast_map`)."""
    measure = partial(_forecast_measure, hours=hours, known=len(state.trucks))
    results = forecast_map(sc, state, hours, n, measure, seed, lateness, parameter_sets, jobs)
    per_rep = [r[0] for r in results]
    started, start_min = results[0][1], results[0][2]
    shift = state.at_min - start_min
    table = _bands(pd.concat(per_rep, keys=range(n), names=["rep"]).reset_index(level=0), n)
    table.insert(0, "time", [clock_text(sc, float(m) + shift) for m in table.pop("minute")])
    gates = list(sc.gates)
    started_with = pd.DataFrame(
        [(gates[g], d, p, c) for (g, d, p), c in sorted((started or {}).items())],
        columns=["gate", "direction", "place", "trucks"],
    )
    lead = sc.platform.lead_time_h
    assumptions: list[tuple[str, dict[str, Any]]] = [
        ("on_time", {})
        if not lateness
        else ("late", {"n": len(lateness["late_min"]), "no_show": lateness.get("no_show_share", 0.0)}),
        ("undeclared", {"dist": lead.dist, "mean_h": float(lead.mean)}),
        ("events", {}),
        ("service", {}),
        ("review", {}),
        ("parameters", {}) if not parameter_sets else ("ensemble", {"m": len(parameter_sets)}),
    ]
    return Forecast(sc, state.at_min, hours, n, table, started_with, len(state.declared), assumptions)


def hour_grid(at_min: float, hours: int) -> np.ndarray:
    """The forecast's times: the state's own, then every whole hour up to *hours* after it (so
    that a clock time such as 20:00 is always among them)."""
    first = math.floor(at_min / MIN_PER_H) * MIN_PER_H + MIN_PER_H
    return np.concatenate([[at_min], np.arange(first, at_min + hours * MIN_PER_H + 1e-9, MIN_PER_H)])


def _quantities(run, at_min: float, hours: int, known: int = 0) -> pd.DataFrame:
    """One replication's held trucks by place hour by hour, and the waits of each hour's arrivals
    (the first *known* trucks, those of the state, arrived before and are left out)."""
    sc = run.scenario
    grid = hour_grid(at_min, hours)
    series: list[tuple[str, str, str, np.ndarray]] = []
    for (gate, direction), places in run.places_at(grid).items():
        total = sum(places[p] for p in sc.kpi.held_places)
        series += [(gate, direction, place, values) for place, values in [*places.items(), ("total", total)]]
    k = grid.size
    rows = [
        pd.DataFrame(  # one frame for every series: a frame per series cost a fifth of a replication
            {
                "minute": np.tile(grid, len(series)),
                "gate": np.repeat([x[0] for x in series], k),
                "direction": np.repeat([x[1] for x in series], k),
                "place": np.repeat([x[2] for x in series], k),
                "cargo": "",
                "quantity": "held",
                "value": np.concatenate([np.asarray(x[3], dtype=float) for x in series]),
            }
        )
    ]
    t = run.data.times
    arrival, gone = t["arrival_min"], t["departure_min"]
    end = at_min + hours * MIN_PER_H
    censored = np.isnan(gone)
    waited = (np.where(censored, end, gone) - arrival) / MIN_PER_H  # a lower bound if not gone
    hour = np.floor((arrival - at_min) / MIN_PER_H)
    gates, cargos = list(sc.gates), list(sc.cargo_classes)
    arr = run.data.arrivals
    df = pd.DataFrame(
        {
            "hour": hour,
            "gate": arr.gate,
            "direction": arr.direction,
            "cargo": arr.cargo,
            "w": waited,
            "c": censored.astype(float),
        }
    )
    keep = (df["hour"] >= 0) & (df["hour"] < hours) & (run.data.outcome != TURNED_AWAY)
    keep &= np.arange(len(df)) >= known
    df = df[keep]
    if len(df):
        g = df.groupby(["hour", "gate", "direction", "cargo"])
        for name, values in (
            ("wait_h_median", g["w"].median()),
            ("wait_h_p90", g["w"].quantile(0.9)),
            ("wait_censored_share", g["c"].mean()),
        ):
            v = values.reset_index()
            rows.append(
                pd.DataFrame(
                    {
                        "minute": at_min + MIN_PER_H * v["hour"].to_numpy(),
                        "gate": [gates[x] for x in v["gate"]],
                        "direction": [DIRECTIONS[x] for x in v["direction"]],
                        "place": "arriving",
                        "cargo": [cargos[x] for x in v["cargo"]],
                        "quantity": name,
                        "value": v[v.columns[-1]].to_numpy(),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def _bands(df: pd.DataFrame, n: int) -> pd.DataFrame:
    keys = ["minute", "gate", "direction", "place", "cargo", "quantity"]
    g = df.groupby(keys, sort=True)["value"]
    out = g.quantile(list(QUANTILES)).unstack()
    out.columns = [f"q{round(q * 100):02d}" for q in QUANTILES]
    out["n"] = g.size()
    out = out.reset_index()
    out.insert(2, "route", "")
    return out
