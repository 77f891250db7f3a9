"""A run's results as pandas tables and named KPIs.

``run.trucks`` has a row per truck generated, ``run.queues`` the queue series per gate and place,
``run.daily`` trucks arrived and cleared per day, and ``run.kpis()`` the named figures, all taken
over the days after the warm-up. Nothing is filtered out of ``run.trucks``: cleared + turned
away + still inside = generated, per gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cached_property

import numpy as np
import pandas as pd

from sim.calendar import MIN_PER_DAY, MIN_PER_H
from sim.demand import Arrivals
from sim.model import (
    CHANNELS,
    CROSSING_MODES,
    OUTCOMES,
    TIME_COLUMNS,
    Model,
    RunData,
)
from sim.scenario import DIRECTIONS, STAGES, Scenario

KM_PER_M = 1e-3
PLACES = tuple(f"{kind}_{d}" for d in DIRECTIONS for kind in ("road", "yard")) + STAGES


def run(
    scenario: Scenario,
    seed: int | np.random.SeedSequence = 0,
    progress: Callable[[int, int], None] | None = None,
    arrivals: Arrivals | None = None,
) -> Run:
    """Simulate *scenario* once with *seed*; ``progress(day, days)`` is called every day.

    *arrivals* replaces the generated trucks, e.g. to replay observed traffic.
    """
    return Run(Model(scenario, seed, arrivals).run(progress))


def _stage_waits(times: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Minutes each truck waited before each stage it visited (NaN where it did not)."""
    ready = times["yard_in_min"].copy()
    waits = {"road": times["yard_in_min"] - times["arrival_min"]}
    for stage in STAGES:
        start = times[f"{stage}_start_min"]
        if stage == "gate_control":
            # Gate control waits for the approved declaration as well as for the truck.
            approved = times["approved_min"]
            approval_wait = np.where(approved > ready, approved - ready, 0.0)
            waits["approval"] = np.where(np.isnan(ready), np.nan, approval_wait)
            ready = np.fmax(ready, approved)
        visited = ~np.isnan(start)
        waits[stage] = np.where(visited, start - ready, np.nan)
        ready = np.where(visited, times[f"{stage}_end_min"], ready)
    return waits


class Run:
    """One simulated replication: tables, KPIs and the scenario and seed that made them."""

    def __init__(self, data: RunData) -> None:
        self.data = data
        self.scenario: Scenario = data.scenario
        self.seed = data.seed

    @property
    def wall_s(self) -> float:
        return self.data.wall_s

    @property
    def warmup_min(self) -> float:
        return self.scenario.run.warmup_days * MIN_PER_DAY

    @property
    def horizon_min(self) -> float:
        return self.scenario.run.days * MIN_PER_DAY

    @cached_property
    def trucks(self) -> pd.DataFrame:
        """One row per truck generated, times in model minutes, NaN where a step did not happen."""
        d = self.data
        gates = pd.Categorical.from_codes(d.arrivals.gate, list(self.scenario.gates))
        cols: dict[str, object] = {
            "truck": np.arange(len(d.arrivals)),
            "gate": gates,
            "direction": pd.Categorical.from_codes(d.arrivals.direction, DIRECTIONS),
            "cargo": pd.Categorical.from_codes(d.arrivals.cargo, list(self.scenario.cargo_classes)),
            "predeclared": d.draws.predeclared & self.scenario.platform.enabled,
            "returns": d.draws.returns if self.scenario.platform.enabled else 0,
            "channel": pd.Categorical.from_codes(d.draws.channel, CHANNELS),
            "quarantined": d.draws.quarantined,
            "crossing_mode": pd.Categorical.from_codes(d.draws.crossing_mode, CROSSING_MODES),
            "outcome": pd.Categorical.from_codes(d.outcome, OUTCOMES),
        }
        cols.update({c: d.times[c] for c in TIME_COLUMNS})
        df = pd.DataFrame(cols)
        df["time_in_system_h"] = (df["departure_min"] - df["arrival_min"]) / MIN_PER_H
        df.loc[df["outcome"] != "cleared", "time_in_system_h"] = np.nan
        return df

    @cached_property
    def queues(self) -> pd.DataFrame:
        """Queue length per gate and place in each sampling interval: time-average and maximum.

        Places: ``road_<direction>`` trucks waiting outside the yard, ``yard_<direction>``
        trucks in the yard (overflow included), and each stage's queue with its lanes in service
        and their utilisation over the interval's open time.
        """
        d = self.data
        t = d.sample_min
        dt_min = np.diff(t)
        start = dt.datetime.combine(self.scenario.run.start_date, dt.time())
        frames = []
        for (gate, kind), s in d.series.items():
            wait = np.diff(s["cum_wait"]) / dt_min
            busy = np.diff(s["cum_busy"]) / dt_min
            base = {"time_h": t[:-1] / MIN_PER_H, "gate": gate}
            if kind.startswith("parking_"):
                direction = kind.removeprefix("parking_")
                frames.append(
                    pd.DataFrame(
                        {
                            **base,
                            "place": f"road_{direction}",
                            "queue_mean": wait,
                            "queue_max": s["max_wait"][1:],
                        }
                    )
                )
                frames.append(
                    pd.DataFrame(
                        {
                            **base,
                            "place": f"yard_{direction}",
                            "queue_mean": busy,
                            "queue_max": s["max_busy"][1:],
                        }
                    )
                )
            else:
                open_min = np.diff(s["cum_open"])
                with np.errstate(invalid="ignore", divide="ignore"):
                    util = np.where(open_min > 0, np.diff(s["cum_busy"]) / (s["lanes"][0] * open_min), np.nan)
                frames.append(
                    pd.DataFrame(
                        {
                            **base,
                            "place": kind,
                            "queue_mean": wait,
                            "queue_max": s["max_wait"][1:],
                            "in_service_mean": busy,
                            "utilisation": util,
                        }
                    )
                )
        df = pd.concat(frames, ignore_index=True)
        df["time"] = pd.Timestamp(start) + pd.to_timedelta(df["time_h"], unit="h")
        road = df["place"].str.startswith("road_")
        m_per_truck = df["gate"].map({g: c.road_m_per_truck for g, c in self.scenario.gates.items()})
        df["queue_km_mean"] = np.where(road, df["queue_mean"] * m_per_truck * KM_PER_M, np.nan)
        return df

    @cached_property
    def daily(self) -> pd.DataFrame:
        """Trucks arrived, cleared and turned away per day, gate and direction."""
        tr = self.trucks
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
        return df

    def cleared_per_day(self) -> pd.Series:
        """Trucks cleared per day across every gate and direction, after the warm-up."""
        d = self.daily[~self.daily["warmup"]]
        return d.groupby("date")["cleared"].sum()

    def kpis(self) -> pd.Series:
        """Named figures over the days after the warm-up, units in the names."""
        sc = self.scenario
        k: dict[str, float] = {}
        total = self.cleared_per_day()
        k["cleared_per_day_mean"] = total.mean()
        k["cleared_per_day_p95"] = total.quantile(0.95)
        k["cleared_per_day_max"] = total.max()
        k["cleared_per_day_min"] = total.min()
        k["days_above_peak_ref"] = float((total > sc.kpi.daily_peak_ref).sum())
        daily = self.daily[~self.daily["warmup"]]
        k["arrived_per_day_mean"] = daily.groupby("date")["arrived"].sum().mean()
        by_gate_dir = daily.groupby(["gate", "direction"], observed=True)["cleared"].sum() / total.size
        for (gate, direction), v in by_gate_dir.items():
            k[f"cleared_per_day_mean_{gate}_{direction}"] = v

        tr = self.trucks
        window = tr["arrival_min"] >= self.warmup_min
        done = window & (tr["outcome"] == "cleared")
        tis = tr.loc[done, "time_in_system_h"]
        k["time_in_system_h_mean"] = tis.mean()
        for cargo in sc.cargo_classes:
            x = tr.loc[done & (tr["cargo"] == cargo), "time_in_system_h"]
            k[f"time_in_system_h_mean_{cargo}"] = x.mean()
            k[f"time_in_system_h_p50_{cargo}"] = x.quantile(0.5)
            k[f"time_in_system_h_p95_{cargo}"] = x.quantile(0.95)
            k[f"time_in_system_h_max_{cargo}"] = x.max()
        perishable = [c for c, cc in sc.cargo_classes.items() if cc.perishable]
        per = done & tr["cargo"].isin(perishable)
        k["perishable_over_threshold_share"] = (
            (tr.loc[per, "time_in_system_h"] > sc.kpi.perishable_threshold_h).mean() if per.any() else np.nan
        )

        waits = _stage_waits(self.data.times)
        w = window.to_numpy()
        for gi, gate in enumerate(sc.gates):
            at = w & (self.data.arrivals.gate == gi)
            for place, v in waits.items():
                x = v[at]
                k[f"wait_min_mean_{gate}_{place}"] = float(np.nanmean(x)) if np.any(~np.isnan(x)) else np.nan

        k.update(self._monitor_kpis())

        inside = tr["outcome"] == "inside"
        k["backlog_end"] = float(inside.sum())
        for gate in sc.gates:
            k[f"backlog_end_{gate}"] = float((inside & (tr["gate"] == gate)).sum())
        k["backlog_end_share_of_day"] = (
            k["backlog_end"] / k["cleared_per_day_mean"] if k["cleared_per_day_mean"] else np.nan
        )
        k["turned_away"] = float((window & (tr["outcome"] == "turned_away")).sum())
        pre = window & tr["predeclared"]
        late = tr["approved_min"] > tr["arrival_min"]
        k["arrived_before_approval_share"] = float((late & pre).sum() / pre.sum()) if pre.any() else np.nan
        return pd.Series(k, name="value", dtype=float)

    def _monitor_kpis(self) -> dict[str, float]:
        d = self.data
        t = d.sample_min
        kw = int(np.searchsorted(t, self.warmup_min))
        span = t[-1] - t[kw]
        k: dict[str, float] = {}
        for (gate, kind), s in d.series.items():
            if kind.startswith("parking_"):
                direction = kind.removeprefix("parking_")
                m = self.scenario.gates[gate].road_m_per_truck * KM_PER_M
                road_mean = (s["cum_wait"][-1] - s["cum_wait"][kw]) / span
                road_max = s["max_wait"][kw + 1 :].max()
                k[f"road_queue_trucks_mean_{gate}_{direction}"] = road_mean
                k[f"road_queue_trucks_max_{gate}_{direction}"] = road_max
                k[f"road_queue_km_mean_{gate}_{direction}"] = road_mean * m
                k[f"road_queue_km_max_{gate}_{direction}"] = road_max * m
                k[f"yard_occupancy_mean_{gate}_{direction}"] = (s["cum_busy"][-1] - s["cum_busy"][kw]) / span
                k[f"yard_occupancy_max_{gate}_{direction}"] = s["max_busy"][kw + 1 :].max()
            else:
                open_min = s["cum_open"][-1] - s["cum_open"][kw]
                busy = s["cum_busy"][-1] - s["cum_busy"][kw]
                k[f"queue_mean_{gate}_{kind}"] = (s["cum_wait"][-1] - s["cum_wait"][kw]) / span
                k[f"queue_max_{gate}_{kind}"] = s["max_wait"][kw + 1 :].max()
                k[f"utilisation_{gate}_{kind}"] = (
                    busy / (s["lanes"][0] * open_min) if open_min > 0 else np.nan
                )
        return k

    def check_conservation(self) -> pd.DataFrame:
        """Per gate: generated, cleared, turned away, still inside; they must add up."""
        tr = self.trucks
        rows = {}
        for gate in self.scenario.gates:
            at = tr["gate"] == gate
            counts = tr.loc[at, "outcome"].value_counts().reindex(list(OUTCOMES), fill_value=0)
            rows[gate] = {**counts.astype(int).to_dict(), "generated": int(at.sum())}
        return pd.DataFrame.from_dict(rows, orient="index")
