"""Is the forecast right? Forecasts from cuts of simulated truths, compared with what the truth
did next.

Truths are runs of the scenario (from their own seeds, never the forecast's) or, with an
ensemble, of its parameter sets, so that the forecast's parameters are not the truth's; with a
shock, the truth alone runs slower than the forecast believes. Each truth is cut at times the
forecast's hours plus 3 h apart, so that no two cuts of a truth are compared over the same hours;
at each cut STATE and DECLARED are taken as the platform would have seen them (without the
snapshot-only columns: the forecast draws what it does not know), the forecast runs
from them, and each quantity at each horizon is compared with the truth's:

- ``coverage``: the share of cuts whose truth lies in the forecast's 50% and 90% bands, with the
  binomial 95% interval of that share around the nominal for the number of cuts (taken as
  independent: the cuts of a truth compare disjoint hours, though one truth's day-to-day demand
  links them a little); ``inside`` says whether it lies in it.
- ``skill``: the mean absolute error of the forecast's median, of naive-today (the truth's value
  at the same clock time on the last day at or before the cut) and of naive-mean (the truth's
  mean at that weekday and hour over its past before the cut), on the cuts where all three exist;
  a wait known at the cut counts only the time spent by then.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.replications import replication_seed
from sim.world.calendar import MIN_PER_DAY, MIN_PER_H
from sim.world.model import TURNED_AWAY, Model
from sim.world.restart import capture
from sim.world.scenario import Scenario
from sim.world.schema.names import DIRECTIONS
from sim.world.snapshots import snapshot_tables
from sim.world.state_files import SNAPSHOT_COLUMNS, state_from_tables

HORIZONS_H = (1, 3, 6, 12, 24, 48)
"""Hours after the cut at which each quantity is compared."""
WAIT_HORIZON_MAX_H = 24
"""The wait of trucks arriving an hour before the horizon is compared up to 24 h ahead: a
48-hour forecast has then a day in which they can leave."""
CUT_STEP_EXTRA_H = 3
"""Cuts of one truth are the forecast's hours plus 3 h apart (51 h for 48 h forecasts): what one
cut's forecast is compared with ends before the next cut, and each cut falls three hours later on
the clock than the one before."""
PAST_DAYS = 8
"""Days of a truth before its first cut: a week of past for naive-mean, and a day's warm-up."""
NOMINALS = (0.5, 0.9)
PLACES = {"export": ("road", "yard", "park", "to_china"), "import": ("china_side", "road", "yard")}
"""The places compared as queues, by direction (summed over the gates)."""


def series(run: Any, times_min: np.ndarray, end_min: float | None = None) -> dict[str, np.ndarray]:
    """Each backtest quantity at *times_min* in *run* (every gate together): trucks held in the
    scenario's held places and in each place of :data:`PLACES` by direction, and the median hours
    a truck of each direction arriving in the hour before spends until it leaves (censored at
    *end_min*, default the run's end: what it had spent by then; a truck turned away is left out)."""
    sc = run.scenario
    out: dict[str, np.ndarray] = {}
    counts = run.places_at(times_min)
    for direction in DIRECTIONS:
        mine = [places for (_, d), places in counts.items() if d == direction]
        out[f"held_{direction}"] = sum(sum(p[k] for k in sc.kpi.held_places) for p in mine)
        for place in PLACES[direction]:
            out[f"{place}_{direction}"] = sum(p[place] for p in mine)
    t = run.data.times
    arrival, gone = t["arrival_min"], t["departure_min"]
    end = float(run.data.sample_min[-1]) if end_min is None else end_min
    spent = (np.fmin(np.where(np.isnan(gone), end, gone), end) - arrival) / MIN_PER_H
    spent[run.data.outcome == TURNED_AWAY] = np.nan
    order = np.argsort(arrival)
    sorted_arrival = arrival[order]
    for d, direction in enumerate(DIRECTIONS):
        values = np.full(times_min.size, np.nan)
        for k, t_min in enumerate(times_min):
            lo, hi = np.searchsorted(sorted_arrival, [t_min - MIN_PER_H, t_min])
            idx = order[lo:hi]
            idx = idx[run.data.arrivals.direction[idx] == d]
            if idx.size and np.any(~np.isnan(spent[idx])):
                values[k] = float(np.nanmedian(spent[idx]))
        out[f"wait_h_{direction}"] = values
    return out


@dataclass
class Backtest:
    """The comparison of forecasts with truths: per cut and quantity, and the two summary tables."""

    scenario: Scenario
    cuts: int
    n: int
    truths: int
    points: pd.DataFrame
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    skill: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def _binomial_band(n: int, p: float) -> tuple[float, float]:
    """The central 95% range of a binomial(n, p) share."""
    from scipy.stats import binom

    return float(binom.ppf(0.025, n, p)) / n, float(binom.ppf(0.975, n, p)) / n


def backtest(
    sc: Scenario,
    cuts: int = 30,
    n: int = 40,
    truths: int = 5,
    seed: int = 0,
    hours: int = 48,
    truth_scenarios: list[Scenario] | None = None,
    shock_factor: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    forecast_sets: bool = False,
    jobs: int = 1,
) -> Backtest:
    """Forecast from *cuts* cuts of *truths* truth runs with *n* replications each and compare.

    *truth_scenarios* (e.g. an ensemble's parameter sets) give each truth its own parameters, in
    turn; *shock_factor* multiplies every stage's service rate in the truths only (0.7: 30%
    slower), a disruption the forecast is not told about. With *forecast_sets* the forecast runs
    the truth scenarios' parameter sets too, all but the truth's own (it does not know which
    set is true).
    """
    from sim.experiments.results import Run
    from sim.studies.forecast import forecast_map

    truths = max(truths, 1)
    per_truth = math.ceil(cuts / truths)
    step_h = max(hours, 24) + CUT_STEP_EXTRA_H
    days = PAST_DAYS + math.ceil((per_truth * step_h + hours) / 24) + 2
    base = sc.with_changes({"run.days": days, "run.warmup_days": 0})
    rows = []
    done = 0
    pit_rng = np.random.default_rng([seed, 104729])
    for r in range(truths):
        mine = min(per_truth, cuts - done)
        if mine <= 0:
            break
        truth_sc = (
            base
            if not truth_scenarios
            else truth_scenarios[r % len(truth_scenarios)].with_changes(
                {"run.days": days, "run.warmup_days": 0, "run.start_date": base.run.start_date.isoformat()}
            )
        )
        if shock_factor is not None:
            truth_sc = _with_shock(truth_sc, shock_factor)
        cut_times = [PAST_DAYS * MIN_PER_DAY + 6 * MIN_PER_H + k * step_h * MIN_PER_H for k in range(mine)]
        model = Model(truth_sc, replication_seed(seed + 7919, r))  # never a forecast's seed
        states = []
        for at in cut_times:
            model.env.run(until=at)
            table, dtable = snapshot_tables(model, capture(model), 0, 0)
            drop = [c for c in SNAPSHOT_COLUMNS if c in table.columns]
            states.append(state_from_tables(base, table.drop(columns=drop), dtable.drop(columns=drop)))
        truth = Run(model.run())
        for k, (at, state) in enumerate(zip(cut_times, states, strict=True)):
            targets = _targets(base, at, hours)
            # The truth's waits censored where the forecast's are: at the forecast's end.
            want = series(truth, np.array([t for _, _, t in targets]), at + hours * MIN_PER_H)
            past = _past(base, truth, at, targets)
            got: dict[str, list[np.ndarray]] = {}
            others = None
            if forecast_sets and truth_scenarios and len(truth_scenarios) > 1:
                own = r % len(truth_scenarios)
                others = [
                    t.with_changes(
                        {
                            "run.days": days,
                            "run.warmup_days": 0,
                            "run.start_date": base.run.start_date.isoformat(),
                        }
                    )
                    for j, t in enumerate(truth_scenarios)
                    if j != own
                ]
            measure = partial(_measure, targets=[t for _, _, t in targets], at=at, hours=hours)
            seed_k = seed + 1 + done + k
            for vals in forecast_map(base, state, hours, n, measure, seed_k, None, others, jobs):
                for q, v in vals.items():
                    got.setdefault(q, []).append(v)
            for j, (label, horizon, _) in enumerate(targets):
                for q in want:
                    if label != "hourly" and not q.startswith("held_"):
                        continue
                    if q.startswith("wait_") and horizon > WAIT_HORIZON_MAX_H:
                        continue
                    draws = np.array([g[j] for g in got[q]], dtype=float)
                    truth_value = float(want[q][j])
                    if np.isnan(truth_value) or np.all(np.isnan(draws)):
                        continue
                    quantity = q if label == "hourly" else f"{q}_at_{sc.kpi.held_clock.replace(':', '')}"
                    draws = draws[~np.isnan(draws)]
                    pit = _pit(draws, truth_value, pit_rng)
                    rows.append(
                        {
                            "truth": r,
                            "cut": done + k,
                            "cut_time": at,
                            "quantity": quantity,
                            "horizon_h": horizon if label == "hourly" else "to " + sc.kpi.held_clock,
                            "truth_value": truth_value,
                            "median": float(np.median(draws)),
                            "spread": float(np.ptp(draws)),
                            "pit": pit,
                            "in50": 0.25 <= pit <= 0.75,
                            "in90": 0.05 <= pit <= 0.95,
                            "naive_today": past[q][0][j],
                            "naive_mean": past[q][1][j],
                        }
                    )
            if progress is not None:
                progress(done + k + 1, cuts)
        done += mine
    points = pd.DataFrame(rows)
    bt = Backtest(sc, done, n, min(truths, math.ceil(cuts / per_truth)), points)
    bt.coverage, bt.skill = _summaries(points)
    return bt


def _measure(run: Any, start: Any, targets: list[float], at: float, hours: int) -> dict[str, np.ndarray]:
    """A forecast replication's quantities at the *targets* (model minutes of the truth's frame)."""
    shift = at - start.at_min
    return series(run, np.array(targets) - shift, start.at_min + hours * MIN_PER_H)


def _pit(draws: np.ndarray, y: float, rng: np.random.Generator) -> float:
    """The randomised probability integral transform of *y* under the forecast's draws:
    P(X < y) + U P(X = y). Counts are whole numbers and often tie with the draws, where a
    quantile band would count a tie as inside every time; the randomised transform is uniform
    when the forecast is right, ties or not (Czado, Gneiting and Held 2009)."""
    below = float(np.mean(draws < y))
    equal = float(np.mean(draws == y))
    return below + float(rng.random()) * equal


def _with_shock(sc: Scenario, factor: float) -> Scenario:
    start = f"{sc.run.start_date.isoformat()} 00:00"
    end = (pd.Timestamp(sc.run.start_date) + pd.Timedelta(days=sc.run.days)).strftime("%Y-%m-%d %H:%M")
    events = [e.model_dump(mode="json", by_alias=True, exclude_defaults=True) for e in sc.events]
    shock = {"kind": "capacity", "name": "unannounced slowdown", "start": start, "end": end, "factor": factor}
    return sc.with_changes({"events": [*events, shock]})


def _targets(sc: Scenario, at: float, hours: int) -> list[tuple[str, int, float]]:
    """(label, horizon in hours, model minute) of each comparison: the hourly horizons and the
    next held-count clock time (e.g. 20:00) within the forecast."""
    out = [("hourly", h, at + h * MIN_PER_H) for h in HORIZONS_H if h <= hours]
    hh, mm = (int(x) for x in sc.kpi.held_clock.split(":"))
    clock = (at // MIN_PER_DAY) * MIN_PER_DAY + hh * MIN_PER_H + mm
    if clock <= at:
        clock += MIN_PER_DAY
    if clock <= at + hours * MIN_PER_H:
        out.append(("clock", math.ceil((clock - at) / MIN_PER_H), clock))
    return out


def _past(sc: Scenario, truth: Any, at: float, targets: list) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Naive-today and naive-mean of each quantity for each target, from the truth before *at*."""
    today_t, mean_ts = [], []
    for _, _, t in targets:
        back = math.ceil((t - at) / MIN_PER_DAY) * MIN_PER_DAY
        today_t.append(t - back)
        weeks = [t - 7 * MIN_PER_DAY * w for w in range(1, 60) if t - 7 * MIN_PER_DAY * w >= MIN_PER_DAY]
        same = [x for x in weeks if x <= at]
        if not same:  # less than a week of past: every earlier day at that hour
            same = [t - MIN_PER_DAY * k for k in range(1, 60) if MIN_PER_DAY <= t - MIN_PER_DAY * k <= at]
        mean_ts.append(same)
    today = series(truth, np.array(today_t), at)  # what was known at the cut: waits censored there
    flat = np.array([x for ts in mean_ts for x in ts])
    values = series(truth, flat, at)
    out = {}
    for q in today:
        means, k = [], 0
        for ts in mean_ts:
            seen = values[q][k : k + len(ts)]
            means.append(float(np.nanmean(seen)) if np.any(~np.isnan(seen)) else math.nan)
            k += len(ts)
        out[q] = (today[q], np.array(means))
    return out


def _summaries(points: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage and skill per quantity and horizon; a quantity that was zero in every truth and
    every forecast (a place no truck queued in) is left out of both: it tests nothing."""
    if points.empty:
        return pd.DataFrame(), pd.DataFrame()
    cov, skill = [], []
    for (q, h), g in points.groupby(["quantity", "horizon_h"], sort=False):
        if not (g["truth_value"].abs().sum() or g["spread"].sum() or g["median"].abs().sum()):
            continue
        n = len(g)
        for nominal in NOMINALS:
            observed = float(g["in50" if nominal == 0.5 else "in90"].mean())
            low, high = _binomial_band(n, nominal)
            cov.append(
                {
                    "quantity": q,
                    "horizon_h": h,
                    "nominal": nominal,
                    "observed": observed,
                    "n": n,
                    "low": low,
                    "high": high,
                    "inside": low <= observed <= high,
                }
            )
        g = g.dropna(subset=["naive_today", "naive_mean"])  # the three errors on the same cuts
        f = float((g["median"] - g["truth_value"]).abs().mean())
        t = float((g["naive_today"] - g["truth_value"]).abs().mean())
        m = float((g["naive_mean"] - g["truth_value"]).abs().mean())
        skill.append(
            {
                "quantity": q,
                "horizon_h": h,
                "mae_forecast": f,
                "mae_naive_today": t,
                "mae_naive_mean": m,
                "n": len(g),
                "beats_both": f < t and f < m,
            }
        )
    return pd.DataFrame(cov), pd.DataFrame(skill)
