"""Truck arrivals for a whole run, drawn at once with numpy.

Arrivals form a doubly stochastic Poisson process: each day's rate for a flow (gate x direction
x cargo class) is its base rate times weekday, month, calendar-event and random day factors;
within the day, each hour gets a Poisson count in proportion to the hourly profile, and the
trucks of an hour arrive uniformly within it (which is exactly a Poisson process at that rate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.world.calendar import MIN_PER_DAY, MIN_PER_H
from sim.world.scenario import Scenario
from sim.world.schema.events import DemandEvent
from sim.world.schema.names import DIRECTIONS


@dataclass(frozen=True)
class Flow:
    gate: str
    direction: str
    cargo: str
    base_per_day: float


@dataclass(frozen=True)
class Arrivals:
    """Arrival minute, gate, direction and cargo class index of every truck, by arrival time."""

    time_min: np.ndarray
    gate: np.ndarray
    direction: np.ndarray
    cargo: np.ndarray

    def __len__(self) -> int:
        return int(self.time_min.size)


def flows_of(sc: Scenario) -> list[Flow]:
    """Every (gate, direction, cargo class) with demand, in a fixed order."""
    return [
        Flow(gate, direction, cargo, rate)
        for gate, g in sc.gates.items()
        for direction in DIRECTIONS
        for cargo, rate in g.demand_trucks_per_day.get(direction, {}).items()
    ]


def daily_rates(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Expected trucks per day for each day and flow, random day factor included."""
    flows = flows_of(sc)
    days = sc.run.days
    dates = [sc.run.start_date + dt.timedelta(days=d) for d in range(days)]
    weekday = np.array([sc.demand.weekday_factors[d.weekday()] for d in dates])
    rate = np.empty((days, len(flows)))
    for f, flow in enumerate(flows):
        months = np.asarray(sc.lookup(sc.demand.month_factors, flow.cargo))
        rate[:, f] = flow.base_per_day * weekday * months[[d.month - 1 for d in dates]]
    for ev in sc.events:
        if not isinstance(ev, DemandEvent):
            continue
        in_event = np.array([ev.start <= d <= ev.end for d in dates])
        for f, flow in enumerate(flows):
            if (
                (ev.gates is None or flow.gate in ev.gates)
                and (ev.directions is None or flow.direction in ev.directions)
                and (ev.cargo is None or flow.cargo in ev.cargo)
            ):
                rate[in_event, f] *= ev.factor
    cv = sc.demand.day_to_day_cv
    if cv > 0:
        rate *= rng.gamma(1 / cv**2, cv**2, size=days)[:, None]
    return rate


def generate_arrivals(sc: Scenario, rng: np.random.Generator) -> Arrivals:
    """All arrivals of the run, sorted by time."""
    flows = flows_of(sc)
    gates = list(sc.gates)
    cargos = list(sc.cargo_classes)
    rate = daily_rates(sc, rng)
    profiles = {}
    for direction, profile in sc.demand.hourly_profile.items():
        p = np.asarray(profile, dtype=float)
        profiles[direction] = p / p.sum()
    hourly = np.stack([profiles[f.direction] for f in flows]) if flows else np.zeros((0, 24))
    counts = rng.poisson(rate[:, :, None] * hourly[None, :, :])  # day x flow x hour
    flat = counts.ravel()
    day_idx, flow_idx, hour_idx = np.unravel_index(np.arange(flat.size), counts.shape)
    start = (day_idx * MIN_PER_DAY + hour_idx * MIN_PER_H).astype(float)
    time = np.repeat(start, flat) + rng.random(int(flat.sum())) * MIN_PER_H
    flow_of_truck = np.repeat(flow_idx, flat)
    order = np.argsort(time, kind="stable")
    gate_code = np.array([gates.index(f.gate) for f in flows], dtype=np.int16)
    dir_code = np.array([DIRECTIONS.index(f.direction) for f in flows], dtype=np.int16)
    cargo_code = np.array([cargos.index(f.cargo) for f in flows], dtype=np.int16)
    fo = flow_of_truck[order]
    arr = Arrivals(time[order], gate_code[fo], dir_code[fo], cargo_code[fo])
    return _with_initial_backlog(sc, arr)


def _with_initial_backlog(sc: Scenario, arr: Arrivals) -> Arrivals:
    """Trucks already waiting at the start arrive at minute 0, ahead of everyone else."""
    gates, cargos = list(sc.gates), list(sc.cargo_classes)
    rows = [
        (gates.index(g), DIRECTIONS.index(d), cargos.index(c), count)
        for g, gate in sc.gates.items()
        for d, flows in gate.initial_backlog.items()
        for c, count in flows.items()
    ]
    if not rows:
        return arr
    counts = np.array([r[3] for r in rows])

    def col(k: int) -> np.ndarray:
        return np.repeat(np.array([r[k] for r in rows], dtype=np.int16), counts)

    return Arrivals(
        np.concatenate([np.zeros(counts.sum()), arr.time_min]),
        np.concatenate([col(0), arr.gate]),
        np.concatenate([col(1), arr.direction]),
        np.concatenate([col(2), arr.cargo]),
    )
