"""Demand against capacity per gate and stage, from a scenario alone, before anything is run.

For each stage: the trucks a day that visit it (base demand times the mean weekday and month
factors over the run, times the share that visits the stage: the channel shares, quarantine
sampling, undeclared trucks at the counter, each route's share of both directions at its
Chinese checkpoint), the capacity of its lanes per open hour (lanes x 60 / mean service minutes),
and the utilisation that demand implies over the open hours. Events are left out: this is the
ordinary day. A stage near or above 100% is where queues will build.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.world.scenario import DIRECTIONS, LANE_STAGES, Hours, Scenario, route_share

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
        "utilisation": round(util, 3),
        "flag": "OVER" if util >= 1 else ("HIGH" if util >= HIGH else ""),
    }


def load_table(sc: Scenario) -> pd.DataFrame:
    """Per gate and stage: demand, capacity per open hour and the utilisation they imply."""
    rows = []
    profile = {
        d: np.asarray(p, dtype=float) / sum(p) for d, p in sc.demand.hourly_profile.items() if sum(p) > 0
    }
    for gate, g in sc.gates.items():
        demand = demand_by_cargo(sc, gate)

        def peak(weights: dict[tuple[str, str], float]) -> float:
            per_hour = sum(v * profile.get(d, np.full(24, 1 / 24)) for (d, _), v in weights.items())
            return float(np.max(per_hour)) if weights else 0.0

        for stage in LANE_STAGES:
            cfg = getattr(g, stage)
            if not cfg.enabled:
                continue
            weights = {(d, c): v * _visits(sc, stage, d, c) for (d, c), v in demand.items()}
            total = sum(weights.values())
            service = sum(w * sc.lookup(cfg.service_min, c).mean for (_, c), w in weights.items())
            service = service / total if total else sc.lookup(cfg.service_min, "default").mean
            open_h = _open_hours([g.stage_hours(stage)])
            rows.append(_row(gate, stage, cfg.lanes, total, service, open_h, peak(weights)))
        for rname, route in g.routes.items():
            check = route.china_check
            if check.enabled:
                weights = {(d, c): v * route_share(route, d, c) for (d, c), v in demand.items()}
                total = sum(weights.values())
                service = sum(w * sc.lookup(check.service_min, c).mean for (_, c), w in weights.items())
                service = service / total if total else 1.0
                # China time is one hour ahead of Vietnam time.
                open_h = _open_hours([check.hours_for(d) for d in DIRECTIONS], shift_h=1)
                rows.append(
                    _row(gate, f"china_check:{rname}", check.lanes, total, service, open_h, peak(weights))
                )
            cross = route.crossing
            if cross.enabled:
                weights = {
                    (d, c): v * route_share(route, d, c)
                    for (d, c), v in demand.items()
                    if d in cross.directions
                }
                total = sum(weights.values())
                service = 0.0
                for (d, _), w in weights.items():
                    direct = cross.direct_share.get(d, 0.0)
                    service += w * (
                        direct * cross.direct_min.mean + (1 - direct) * cross.trailer_swap_min.mean
                    )
                service = service / total if total else 1.0
                open_h = _open_hours([g.crossing_hours(rname)])
                rows.append(
                    _row(gate, f"crossing:{rname}", cross.lanes, total, service, open_h, peak(weights))
                )
    return pd.DataFrame(rows)
