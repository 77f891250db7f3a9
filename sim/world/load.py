"""Demand against capacity per gate and stage, from a scenario alone, before anything is run.

For each stage: the trucks a day that visit it (base demand times the mean weekday and month
factors over the run, times the share that visits the stage: the channel shares, quarantine
sampling, undeclared trucks at the counter, each route's share of both directions at its
Chinese checkpoint), the capacity of its lanes per open hour (lanes x 60 / mean service minutes),
and the utilisation that demand implies over the open hours. Events are left out: this is the
ordinary day. A stage near or above 100% is where queues will build.

:func:`episode_load_table` gives the same per episode of the scenario's events (see
:mod:`sim.world.episodes`), with the events applied on the episode's days: demand events
multiply the demand of the gates, directions and cargo classes they name; closures, extended
hours and capacity events change each stage's open minutes and service rate exactly as the
model's schedule does (:func:`sim.world.calendar.build_schedule`). A Chinese checkpoint serves
both directions on the same lanes, so it is shown once with both directions' demand against the
minutes it is open to either; where the directions' open minutes differ during the episode and
one direction alone is HIGH, OVER or CLOSED, a row per direction follows (``china_check:ROUTE (export)``):
that direction's demand against all lanes in its own open minutes, a floor on how busy it is (a
closure of one direction shows there, not in the checkpoint's row). A stage with demand and no
capacity at all over the episode's days (closed throughout) is flagged CLOSED, its utilisation
infinite.
"""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.world.calendar import CHINA_AHEAD_MIN, MIN_PER_DAY, Schedule, build_schedule, horizon_min, minute_of
from sim.world.scenario import Scenario, route_share
from sim.world.schema.events import DemandEvent
from sim.world.schema.gates import Crossing
from sim.world.schema.names import DIRECTIONS, LANE_STAGES, Hours

HIGH = 0.85
"""Utilisation from which a stage is flagged HIGH (OVER from 1)."""


def _day_factors(sc: Scenario) -> dict[str, float]:
    """Mean of weekday x month factor over the run's days, by cargo class."""
    days = [sc.run.start_date + dt.timedelta(days=d) for d in range(sc.run.days)]
    out = {}
    for cargo in sc.cargo_classes:
        months = sc.lookup(sc.demand.month_factors, cargo)
        out[cargo] = float(
            np.mean([sc.demand.weekday_factors[d.weekday()] * months[d.month - 1] for d in days])
        )
    return out


def _open_hours(hours: list[Hours], shift_h: int = 0) -> set[int]:
    """Hours of the day (Vietnam time) open under any of *hours* (given *shift_h* ahead)."""
    out: set[int] = set()
    for h in hours:
        out |= {(m // 60 - shift_h) % 24 for m in range(h.open_min, h.close_min, 60)}
    return out


def demand_by_cargo(sc: Scenario, gate: str) -> dict[tuple[str, str], float]:
    """Expected trucks a day of *gate* by (direction, cargo), over the run."""
    factors = _day_factors(sc)
    g = sc.gates[gate]
    return {
        (d, c): g.demand_trucks_per_day.get(d, {}).get(c, 0.0) * factors[c]
        for d in DIRECTIONS
        for c in sc.cargo_classes
    }


def _visits(sc: Scenario, stage: str, direction: str, cargo: str) -> float:
    if stage == "declaration_counter":
        return 1 - sc.platform.predeclared_share if sc.platform.enabled else 1.0
    shares = sc.lookup(sc.risk.channel_shares, cargo)
    if stage == "customs_docs":
        return shares.yellow + shares.red
    if stage == "inspection":
        return shares.red
    if stage == "quarantine":
        q = sc.risk.quarantine_share
        return q.get(cargo, q.get("default", 0.0))
    return 1.0


def _row(
    gate: str, stage: str, lanes: int, demand: float, service: float, open_h: set[int], peak: float
) -> dict:
    hours = len(open_h)
    capacity = lanes * 60 / service if service > 0 else np.inf
    util = demand * service / (lanes * hours * 60) if hours else np.inf
    return {
        "gate": gate,
        "stage": stage,
        "lanes": lanes,
        "mean_service_min": round(service, 2),
        "open_h_per_day": hours,
        "capacity_per_open_h": round(capacity, 1),
        "demand_per_day": round(demand, 1),
        "demand_per_open_h": round(demand / hours, 1) if hours else np.inf,
        "peak_arrivals_per_h": round(peak, 1),
        "utilisation": util,  # unrounded: the flag and what is shown read the same value
        "flag": "OVER" if util >= 1 else ("HIGH" if util >= HIGH else ""),
    }


@dataclass(frozen=True)
class StageLoad:
    """One stage's demand at a gate: trucks a day by (direction, cargo), lanes and hours.

    ``clocks`` holds, per direction group of the stage's lanes (one group except at a Chinese
    checkpoint), the hours, the stage name, route and direction the schedule is built for, and
    the offset of its clock (China time is an hour ahead).
    """

    gate: str
    stage: str
    lanes: int
    weights: dict[tuple[str, str], float]
    service_min: float
    clocks: tuple[tuple[Hours, str, str | None, str | None, int], ...]

    @property
    def demand_per_day(self) -> float:
        """Trucks a day through the stage, all directions and cargo classes."""
        return sum(self.weights.values())


def _mean_service(weights: dict[tuple[str, str], float], service_of: Callable[[str, str], float]) -> float:
    total = sum(weights.values())
    if not total:
        return float("nan")
    return sum(w * service_of(d, c) for (d, c), w in weights.items()) / total


def stage_loads(sc: Scenario, gate: str, demand: dict[tuple[str, str], float]) -> list[StageLoad]:
    """The enabled stages of *gate* with the share of *demand* (by direction, cargo) each serves."""
    g = sc.gates[gate]
    out = []
    for stage in LANE_STAGES:
        cfg = getattr(g, stage)
        if not cfg.enabled:
            continue
        weights = {(d, c): v * _visits(sc, stage, d, c) for (d, c), v in demand.items()}
        service = _mean_service(weights, lambda _d, c, cfg=cfg: sc.lookup(cfg.service_min, c).mean)
        if service != service:
            service = sc.lookup(cfg.service_min, "default").mean
        clocks = ((g.stage_hours(stage), stage, None, None, 0),)
        out.append(StageLoad(gate, stage, cfg.lanes, weights, service, clocks))
    for rname, route in g.routes.items():
        check = route.china_check
        if check.enabled:
            weights = {(d, c): v * route_share(route, d, c) for (d, c), v in demand.items()}
            service = _mean_service(weights, lambda _d, c, check=check: sc.lookup(check.service_min, c).mean)
            clocks = tuple((check.hours_for(d), "china_check", rname, d, CHINA_AHEAD_MIN) for d in DIRECTIONS)
            out.append(
                StageLoad(gate, f"china_check:{rname}", check.lanes, weights, _or_one(service), clocks)
            )
        cross = route.crossing
        if cross.enabled:
            weights = {
                (d, c): v * route_share(route, d, c) for (d, c), v in demand.items() if d in cross.directions
            }

            def crossing_min(d: str, _c: str, cross: Crossing = cross) -> float:
                direct = cross.direct_share.get(d, 0.0)
                return direct * cross.direct_min.mean + (1 - direct) * cross.trailer_swap_min.mean

            service = _mean_service(weights, crossing_min)
            clocks = ((g.crossing_hours(rname), "crossing", rname, None, 0),)
            out.append(StageLoad(gate, f"crossing:{rname}", cross.lanes, weights, _or_one(service), clocks))
    return out


def _or_one(service: float) -> float:
    return service if service == service else 1.0


def load_table(sc: Scenario) -> pd.DataFrame:
    """Per gate and stage: demand, capacity per open hour and the utilisation they imply."""
    rows = []
    profile = {
        d: np.asarray(p, dtype=float) / sum(p) for d, p in sc.demand.hourly_profile.items() if sum(p) > 0
    }

    def peak(weights: dict[tuple[str, str], float]) -> float:
        per_hour = sum(v * profile.get(d, np.full(24, 1 / 24)) for (d, _), v in weights.items())
        return float(np.max(per_hour)) if weights else 0.0

    for gate in sc.gates:
        for st in stage_loads(sc, gate, demand_by_cargo(sc, gate)):
            shift_h = st.clocks[0][4] // 60
            open_h = _open_hours([c[0] for c in st.clocks], shift_h=shift_h)
            rows.append(
                _row(gate, st.stage, st.lanes, st.demand_per_day, st.service_min, open_h, peak(st.weights))
            )
    return pd.DataFrame(rows)


def demand_on_days(sc: Scenario, gate: str, first: dt.date, last: dt.date) -> dict[tuple[str, str], float]:
    """Expected trucks a day of *gate* by (direction, cargo) from *first* to *last* (both included),
    with the demand events of those days applied: the mean over the days of base x weekday x month
    x every demand event that covers the day and names the gate, direction and cargo class."""
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    g = sc.gates[gate]
    events = [e for e in sc.events if isinstance(e, DemandEvent) and (e.gates is None or gate in e.gates)]
    out = {}
    for d in DIRECTIONS:
        for c in sc.cargo_classes:
            base = g.demand_trucks_per_day.get(d, {}).get(c, 0.0)
            months = sc.lookup(sc.demand.month_factors, c)
            factors = []
            for day in days:
                f = sc.demand.weekday_factors[day.weekday()] * months[day.month - 1]
                for e in events:
                    if (
                        e.start <= day <= e.end
                        and (e.directions is None or d in e.directions)
                        and (e.cargo is None or c in e.cargo)
                    ):
                        f *= e.factor
                factors.append(f)
            out[(d, c)] = base * float(np.mean(factors)) if days else 0.0
    return out


def _state(schedule: Schedule, t: float) -> tuple[bool, float]:
    k = bisect_right(schedule.times, t) - 1
    return schedule.open[k], schedule.factor[k]


def _open_minutes(schedules: list[Schedule], a: float, b: float) -> tuple[float, float]:
    """Minutes in [a, b) that any of *schedules* is open, and those minutes weighted by the rate
    factor (the smallest of the open ones where they differ)."""
    points = sorted({a, b, *(t for s in schedules for t in s.times if a < t < b)})
    plain = weighted = 0.0
    for t0, t1 in itertools.pairwise(points):
        states = [_state(s, t0) for s in schedules]
        factors = [f for is_open, f in states if is_open]
        if factors:
            plain += t1 - t0
            weighted += (t1 - t0) * min(factors)
    return plain, weighted


def _episode_row(
    st: StageLoad, stage: str, demand: float, open_min: float, rate_min: float, days: int
) -> dict:
    """A row of :func:`episode_load_table`: open and rate-weighted minutes are over all *days*."""
    capacity = st.lanes * rate_min / days / st.service_min
    if demand <= 0:
        util = 0.0
    else:
        util = demand / capacity if capacity > 0 else np.inf
    return {
        "gate": st.gate,
        "stage": stage,
        "lanes": st.lanes,
        "mean_service_min": round(st.service_min, 2),
        "open_h_per_day": round(open_min / days / 60, 1),
        "capacity_per_day": round(capacity, 1),
        "demand_per_day": round(demand, 1),
        "utilisation": util,  # unrounded: the flag and what is shown read the same value
        "flag": "CLOSED" if util == np.inf else ("OVER" if util >= 1 else ("HIGH" if util >= HIGH else "")),
    }


def episode_load_table(sc: Scenario, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Per gate and stage, over the days *first* to *last* (both included, inside the run) with
    the scenario's events applied: open hours a day, capacity a day (lanes x rate-weighted open
    minutes / mean service minutes), demand a day, utilisation and flag (see the module's notes)."""
    run_first = sc.run.start_date
    run_last = run_first + dt.timedelta(days=sc.run.days - 1)
    if first < run_first or last > run_last or last < first:
        raise ValueError(f"days {first}..{last} are not inside the run ({run_first}..{run_last})")
    a = minute_of(sc, first)
    b = min(minute_of(sc, last) + MIN_PER_DAY, horizon_min(sc))
    days = (last - first).days + 1
    rows = []
    for gate in sc.gates:
        for st in stage_loads(sc, gate, demand_on_days(sc, gate, first, last)):
            schedules = [
                build_schedule(sc, hours, gate, stage, offset, route, direction)
                for hours, stage, route, direction, offset in st.clocks
            ]
            open_min, rate_min = _open_minutes(schedules, a, b)
            rows.append(_episode_row(st, st.stage, st.demand_per_day, open_min, rate_min, days))
            if len(schedules) < 2:
                continue
            own = [_open_minutes([s], a, b) for s in schedules]
            if len({o for o, _ in own}) < 2:
                continue
            by_direction = []
            for (_, _, _, direction, _), (d_open, d_rate) in zip(st.clocks, own, strict=True):
                demand = sum(v for (d, _), v in st.weights.items() if d == direction)
                by_direction.append(
                    _episode_row(st, f"{st.stage} ({direction})", demand, d_open, d_rate, days)
                )
            if any(r["flag"] for r in by_direction):
                rows += by_direction
    return pd.DataFrame(rows)
