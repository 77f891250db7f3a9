"""The answer about the event: per episode, per gate and direction, over the episode and its recovery.

A what-if is about its event (a harvest surge, a closure), so averages over a whole quarter hide
the jam it asks about. Each replication leaves a small table of figures day by day
(:func:`day_figures`); :func:`episode_answers` reads those tables over the replications:

- the window: from the episode's first day until every gate and direction it reaches has
  recovered, or the end of the run. Backlog = trucks of a gate and direction in the system at
  00:00; the level before = its mean over the 7 days before the episode; recovered = the first
  day after the episode when the mean backlog over the replications is at most that level plus
  ``max(GROWTH_MIN_TRUCKS, GROWTH_MIN_SHARE x level)`` (the growth rule's thresholds), two days
  running;
- per gate and direction: the peak of trucks waiting and where they wait at that peak, the
  longest road queue in km, days to recover, the binding stage (highest utilisation over its
  open hours in the window) and its highest daily utilisation, the perishables over the
  threshold, and the waiting cost.

A scenario's ``answer.window`` replaces the episodes with one window of its own, or the whole run.

Longer than the ~600 lines a module here keeps to: one answer, from the figures each replication
leaves day by day to the episode's answer and the findings about queues that grow.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.experiments.costs import is_in, truck_waiting_cost_vnd
from sim.experiments.results import KM_PER_M, Run, busy_share, growth_margin
from sim.experiments.stats import bounded_interval
from sim.experiments.window import Window
from sim.world.calendar import MIN_PER_DAY, MIN_PER_H
from sim.world.episodes import Episode, episodes, event_scope, run_days
from sim.world.scenario import Scenario, route_share
from sim.world.schema.names import AREA_PLACES, DIRECTIONS, LANE_STAGES

LEVEL_DAYS = 7
"""Days before an episode whose mean backlog is the level the gate must come back to."""
RECOVERY_RUN_DAYS = 2
"""Days running the backlog must stay back at its level to count as recovered."""
PROVINCE = "platform"
"""The gate name of province-wide stages (the platform's review) in the day table."""


def day_figures(run: Run) -> pd.DataFrame:
    """One replication's figures day by day, long form: day, gate, direction, figure, value.

    Per gate and direction (every day of the run): ``backlog`` (trucks in the system at 00:00),
    ``peak_trucks`` (most trucks in the system at a full hour of the day) and ``peak_<place>``
    where they were at that hour, ``road_km_max`` (longest road queue), ``perishable_n`` and
    ``perishable_over`` (perishable trucks arriving that day, and those over the threshold:
    cleared after more than it, or still inside at the end of the run having waited more),
    ``cost_vnd`` (what the trucks arriving that day paid while waiting). Per stage (direction
    ``""``; the platform's review under gate ``platform``): ``util:<stage>`` (busy lane-minutes
    in open hours / open lane-minutes, NaN on a day it is closed) and ``queue:<stage>`` (mean
    trucks waiting).
    """
    sc = run.scenario
    days = sc.run.days
    d = run.data
    frames: list[pd.DataFrame] = []
    day_index = np.arange(days)

    def add(gate: str, direction: str, figure: str, values: np.ndarray) -> None:
        frames.append(
            pd.DataFrame(
                {"day": day_index, "gate": gate, "direction": direction, "figure": figure, "value": values}
            )
        )

    # Trucks in the system at every full hour; 00:00 is the backlog.
    hours = np.arange(days * 24) * MIN_PER_H
    places = run.places_at(hours)
    for (gate, direction), counts in places.items():
        total = sum(counts[p] for p in AREA_PLACES).reshape(days, 24)  # in the system
        add(gate, direction, "backlog", total[:, 0].astype(float))
        peak_hour = total.argmax(axis=1)
        add(gate, direction, "peak_trucks", total[day_index, peak_hour].astype(float))
        for p in AREA_PLACES:
            add(gate, direction, f"peak_{p}", counts[p].reshape(days, 24)[day_index, peak_hour].astype(float))

    # Monitors: cumulative areas at the sampling grid; a day is the grid points between its 00:00s.
    grid = d.sample_min
    bounds = np.searchsorted(grid, np.arange(days + 1) * MIN_PER_DAY - 1e-6)
    bounds = np.minimum(bounds, grid.size - 1)

    def per_day(cum: np.ndarray) -> np.ndarray:
        return cum[bounds[1:]] - cum[bounds[:-1]]

    def day_max(values: np.ndarray) -> np.ndarray:
        out = np.zeros(days)
        for i in range(days):
            part = values[bounds[i] + 1 : bounds[i + 1] + 1]
            out[i] = part.max() if part.size else 0.0
        return out

    for (gate, kind), s in d.series.items():
        if kind.startswith("parking_"):
            direction = kind.removeprefix("parking_")
            m = sc.gates[gate].road_m_per_truck * KM_PER_M
            add(gate, direction, "road_km_max", day_max(s["max_wait"]) * m)
        elif kind == "park":
            continue
        else:
            name = "platform_review" if kind == "review" else kind
            busy = per_day(s.get("cum_busy_open", s["cum_busy"]))
            open_min = per_day(s["cum_open"]) * float(s["lanes"][0])
            util = busy_share(busy, open_min)
            where = gate if gate != "platform" else PROVINCE
            add(where, "", f"util:{name}", util)
            add(where, "", f"busy:{name}", busy)  # lane-minutes: a window's utilisation is their ratio
            add(where, "", f"open:{name}", open_min)
            add(
                gate if gate != "platform" else PROVINCE,
                "",
                f"queue:{name}",
                per_day(s["cum_wait"]) / MIN_PER_DAY,
            )

    # Perishables and waiting cost by the day the truck arrived.
    t = d.times
    arrival_day = np.clip((t["arrival_min"] // MIN_PER_DAY).astype(int), 0, days - 1)
    tr = run.truck_columns()
    cleared = (tr["outcome"] == "cleared").to_numpy()
    inside = (tr["outcome"] == "inside").to_numpy()
    threshold = sc.kpi.perishable_threshold_h
    waited_h = np.where(
        cleared, tr["time_in_system_h"].to_numpy(), (days * MIN_PER_DAY - t["arrival_min"]) / MIN_PER_H
    )
    over = (cleared | inside) & (np.nan_to_num(waited_h) > threshold)
    perishable_classes = [c for c, cc in sc.cargo_classes.items() if cc.perishable]
    perishable = is_in(tr["cargo"], perishable_classes)
    cost = truck_waiting_cost_vnd(run.scenario, tr)
    for g, gate in enumerate(sc.gates):
        for k, direction in enumerate(DIRECTIONS):
            sel = (d.arrivals.gate == g) & (d.arrivals.direction == k)
            per = sel & perishable & (cleared | inside)
            add(gate, direction, "perishable_n", np.bincount(arrival_day[per], minlength=days)[:days] * 1.0)
            add(
                gate,
                direction,
                "perishable_over",
                np.bincount(arrival_day[per & over], minlength=days)[:days] * 1.0,
            )
            add(
                gate,
                direction,
                "cost_vnd",
                np.bincount(arrival_day[sel], weights=cost[sel], minlength=days)[:days],
            )
    out = pd.concat(frames, ignore_index=True)
    out["value"] = out["value"].astype(np.float32)  # a 365-day run's table stays a few MiB
    return out


def stages_of(sc: Scenario, gate: str, direction: str) -> list[str]:
    """The stages the trucks of *gate* and *direction* visit there (not the province-wide platform)."""
    g = sc.gates[gate]
    out = [s for s in LANE_STAGES if getattr(g, s).enabled]
    for rname, route in g.routes.items():
        if not any(route_share(route, direction, c) > 0 for c in sc.cargo_classes):
            continue
        if route.china_check.enabled:
            out.append(f"china_check:{rname}")
        if route.crossing.enabled and direction in route.crossing.directions:
            out.append(f"crossing:{rname}")
    return out


def _interval(values: np.ndarray, domain: str) -> tuple[float, float, float, int]:
    """Mean, interval kept in range, and n of one figure's per-replication values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if not x.size:
        return math.nan, math.nan, math.nan, 0
    low, high, _ = bounded_interval(x.reshape(-1, 1), domain)
    return float(x.mean()), float(low[0]), float(high[0]), int(x.size)


@dataclass
class Figure:
    """One figure of the answer over the replications: mean, 95% interval kept in range, n, and
    the value of each replication (for the precision rule)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    values: np.ndarray | None = None


def _figure(values: np.ndarray, domain: str) -> Figure:
    x = np.asarray(values, dtype=float)
    return Figure(*_interval(x, domain), values=x)


@dataclass
class GateAnswer:
    """The answer for one gate and direction over an episode's window."""

    gate: str
    direction: str
    level_before: float
    recovered: dt.date | None
    """The first day back at the level before (two days running); None: not by the end."""
    days_to_recover: int | None
    """Days from the episode's last day to ``recovered``: 0 or fewer when back before it ended."""
    above_at_end: float
    """Mean backlog above the level before on the last day of the run (when not recovered)."""
    peak_trucks: Figure
    where: dict[str, float]
    """Mean trucks per place at each replication's peak hour, largest first."""
    road_km_max: Figure
    stage: str
    binds_in: int
    peak_utilisation: Figure
    perishable_over_share: Figure
    cost_vnd_per_day: Figure
    cost_vnd_total: Figure
    left_level: bool
    """Whether the backlog at 00:00 stood above its level's threshold at all, from the episode's
    first day to its recovery or the run's end (if not, it stayed near its level)."""
    built_up: bool
    """Whether a queue built up: over the window the peak of trucks waiting rose above the daily
    peak of the days before, or the backlog at 00:00 above its level, by more than the growth
    thresholds (so a backlog that stays above its level to the end of the run has built up)."""


@dataclass
class EpisodeAnswer:
    """The answer about one episode (or one window), per gate and direction."""

    kind: str
    """``episode``, ``window`` (``answer.window`` or ``--window``) or ``whole_run``."""
    first: dt.date
    last: dt.date
    """The window's last day: the episode's recovery, or the run's end."""
    n: int
    episode: Episode | None = None
    gates: list[GateAnswer] = field(default_factory=list)
    province: dict[str, Figure] = field(default_factory=dict)
    """Province-wide stages (the platform's review): peak daily utilisation."""


Split = dict[tuple[str, str, str], np.ndarray]
"""One replication's day table as arrays by (gate, direction, figure), in day order."""


def _split(t: pd.DataFrame) -> Split:
    """*t* split once by gate, direction and figure (instead of filtering the whole table for each
    of the 500-odd figures an answer reads)."""
    ordered = t.sort_values("day", kind="stable")
    values = ordered["value"].to_numpy(dtype=float)
    keys = zip(ordered["gate"], ordered["direction"], ordered["figure"], strict=True)
    rows: dict[tuple[str, str, str], list[int]] = {}
    for k, key in enumerate(keys):
        rows.setdefault(key, []).append(k)
    return {key: values[at] for key, at in rows.items()}


def _pivot(tables: Sequence[Split], gate: str, direction: str, figure: str) -> np.ndarray:
    """replications x days of one figure (NaN where a replication lacks it)."""
    empty = np.zeros(0)
    rows = [t.get((gate, direction, figure), empty) for t in tables]
    width = max((r.size for r in rows), default=0)
    return np.array([np.pad(r, (0, width - r.size), constant_values=np.nan) for r in rows])


def answer_windows(
    sc: Scenario, window: Window | None = None
) -> list[tuple[str, dt.date, dt.date, Episode | None]]:
    """What the answer is about: (kind, first, last, episode) in time order.

    *window* (``--window``) wins; then ``answer.window``; then the episodes (their last day is
    only where the recovery is looked for from); the whole run after its warm-up when there is none.
    """
    first_day, last_day = run_days(sc)
    after_warmup = first_day + dt.timedelta(days=sc.run.warmup_days)
    if window is not None:
        a, b = (dt.date.fromisoformat(str(x)) for x in window)
        return [("window", a, b, None)]
    if sc.answer.window == "whole_run":
        return [("whole_run", after_warmup, last_day, None)]
    if sc.answer.window:
        a, _, b = sc.answer.window.partition("..")
        return [("window", dt.date.fromisoformat(a), dt.date.fromisoformat(b), None)]
    eps = episodes(sc)
    if not eps:
        return [("whole_run", after_warmup, last_day, None)]
    return [("episode", e.first, e.last, e) for e in eps]


def has_episode(sc: Scenario, window: Window | None = None) -> bool:
    """Whether the answer about *sc* over *window* is about an episode (an event of the
    scenario), not about a plain window; read from the scenario alone, nothing is run."""
    return any(kind == "episode" for kind, *_ in answer_windows(sc, window))


def level_limit(level: float) -> float:
    """How high a count may stand and still be at *level*: the growth rule's thresholds above it
    (:func:`sim.experiments.results.growth_margin`). Recovery, "left its level" and "built up" are
    all judged against it."""
    return level + growth_margin(level)


def _recovery(
    backlog: np.ndarray, level: float, after: int, first: int | None = None
) -> tuple[int | None, float]:
    """The first day from which the mean backlog stays at most the level's threshold
    :data:`RECOVERY_RUN_DAYS` days running, looked for from the day after it last stood above it
    during the episode (days *first* to *after*; without *first*, from the day after *after*),
    and the excess on the run's last day. A queue back before the episode ends is back then, not
    a day after the episode."""
    mean = np.nanmean(backlog, axis=0)
    ok = mean <= level_limit(level)
    start = after + 1
    if first is not None:
        above = np.flatnonzero(~ok[first : after + 1])
        if above.size:
            start = first + int(above[-1]) + 1
    for day in range(start, mean.size - RECOVERY_RUN_DAYS + 1):
        if ok[day : day + RECOVERY_RUN_DAYS].all():
            return day, 0.0
    return None, float(mean[-1] - level) if mean.size else math.nan


def _left_level(backlog: np.ndarray, level: float, first: int, last: int) -> bool:
    """Whether the mean backlog stood above :func:`level_limit` on any day *first*..*last*."""
    mean = np.nanmean(backlog, axis=0)[first : last + 1]
    return bool(mean.size and np.nanmax(mean) > level_limit(level))


def episode_answers(
    sc: Scenario,
    tables: Sequence[pd.DataFrame],
    window: Window | None = None,
    like: Sequence[EpisodeAnswer] | None = None,
) -> list[EpisodeAnswer]:
    """The answer per episode (or window) from every replication's :func:`day_figures` table.

    *like* holds another option's answers (the base scenario's): their windows, ends included,
    are used as they are, so that options compared on common random numbers are judged over the
    same days and stay paired; each gate's recovery is still its own.
    """
    if not tables:
        return []
    split = [_split(t) for t in tables]
    start = sc.run.start_date
    n = len(split)
    out = []
    fixed = {a.first: a.last for a in like} if like is not None else None
    spans = (
        [(a.kind, a.first, a.episode.last if a.episode else a.last, a.episode) for a in like]
        if like is not None
        else answer_windows(sc, window)
    )
    for kind, first, last, ep in spans:
        i0 = (first - start).days
        scope = event_scope(sc, ep) if ep is not None else [(g, d) for g in sc.gates for d in DIRECTIONS]
        scope = [(g, d) for g, d in scope if _has_traffic(sc, g, d)]
        # The window's end: every gate and direction in scope back at its level, or the run's end.
        levels, recoveries = {}, {}
        end_index = (last - start).days
        if kind == "episode":
            for gate, direction in scope:
                backlog = _pivot(split, gate, direction, "backlog")
                before = backlog[:, max(0, i0 - LEVEL_DAYS) : i0] if i0 > 0 else backlog[:, :1]
                level = float(np.nanmean(before))
                day, excess = _recovery(backlog, level, end_index, i0)
                levels[(gate, direction)] = level
                recoveries[(gate, direction)] = (day, excess)
            days_run = sc.run.days
            ends = [d if d is not None else days_run - 1 for d, _ in recoveries.values()]
            last_index = max([end_index, *ends])
        else:
            last_index = end_index
        if fixed is not None:
            last_index = (fixed[first] - start).days
        last_day = start + dt.timedelta(days=last_index)
        answer = EpisodeAnswer(kind, first, last_day, n, ep)
        span = slice(i0, last_index + 1)
        for gate, direction in scope:
            answer.gates.append(
                _gate_answer(
                    sc,
                    split,
                    gate,
                    direction,
                    span,
                    levels.get((gate, direction)),
                    recoveries.get((gate, direction)),
                    end_index,
                    kind,
                )
            )
        for name in {
            f.split(":", 1)[1] for t in split for g, _, f in t if g == PROVINCE and f.startswith("util:")
        }:
            util = _pivot(split, PROVINCE, "", f"util:{name}")[:, span]
            answer.province[name] = _figure(np.nanmax(util, axis=1), "share")
        out.append(answer)
    return out


def _has_traffic(sc: Scenario, gate: str, direction: str) -> bool:
    g = sc.gates[gate]
    return bool(sum(g.demand_trucks_per_day.get(direction, {}).values()) or g.initial_backlog.get(direction))


def _gate_answer(
    sc: Scenario,
    tables: Sequence[Split],
    gate: str,
    direction: str,
    span: slice,
    level: float | None,
    recovery: tuple[int | None, float] | None,
    end_index: int,
    kind: str,
) -> GateAnswer:
    start = sc.run.start_date
    peak = _pivot(tables, gate, direction, "peak_trucks")[:, span]
    with np.errstate(all="ignore"):
        peak_day = np.nanargmax(np.nan_to_num(peak, nan=-1), axis=1)
    where = {}
    for p in AREA_PLACES:
        at_peak = _pivot(tables, gate, direction, f"peak_{p}")[:, span]
        where[p] = float(np.mean(at_peak[np.arange(len(tables)), peak_day]))
    where = dict(sorted(((p, v) for p, v in where.items() if v >= 0.5), key=lambda kv: -kv[1]))
    peak_max = np.nanmax(peak, axis=1)
    road = np.nanmax(_pivot(tables, gate, direction, "road_km_max")[:, span], axis=1)
    # The binding stage: highest utilisation over its open hours in the window, per replication.
    best: dict[str, np.ndarray] = {}
    over_window: dict[str, np.ndarray] = {}
    for stage in stages_of(sc, gate, direction):
        util = _pivot(tables, gate, "", f"util:{stage}")
        if util.size:
            best[stage] = util[:, span]
            busy = np.nansum(_pivot(tables, gate, "", f"busy:{stage}")[:, span], axis=1)
            open_min = np.nansum(_pivot(tables, gate, "", f"open:{stage}")[:, span], axis=1)
            with np.errstate(all="ignore"):
                # Over the window's open hours, as the bottleneck statement judges a window.
                over_window[stage] = np.where(open_min > 0, busy / open_min, np.nan)
    stage, binds, peak_util = "", 0, Figure(math.nan, math.nan, math.nan, 0)
    if best:
        names = list(best)
        with np.errstate(all="ignore"):
            window_util = np.array([over_window[s] for s in names])  # stages x reps
        winners = np.nanargmax(np.nan_to_num(window_util, nan=-1), axis=0)
        counts = np.bincount(winners, minlength=len(names))
        with np.errstate(all="ignore"):
            mean_util = np.nan_to_num(np.nanmean(window_util, axis=1), nan=-1)
        # Most often binding; a tie goes to the busier stage over the window, as in the statement.
        top = max(np.flatnonzero(counts == counts.max()), key=lambda i: mean_util[i])
        stage, binds = names[top], int(counts[top])
        peak_util = _figure(np.nanmax(best[stage], axis=1), "share")
    per_n = np.nansum(_pivot(tables, gate, direction, "perishable_n")[:, span], axis=1)
    per_over = np.nansum(_pivot(tables, gate, direction, "perishable_over")[:, span], axis=1)
    with np.errstate(all="ignore"):
        share = np.where(per_n > 0, per_over / per_n, np.nan)
    cost = np.nansum(_pivot(tables, gate, direction, "cost_vnd")[:, span], axis=1)
    days = span.stop - span.start
    recovered = days_to = None
    excess = math.nan
    if recovery is not None:
        day, excess = recovery
        if day is not None:
            recovered = start + dt.timedelta(days=day)
            days_to = day - end_index
    built_up = left = False
    if kind == "episode":
        # Against the same measure on the days before: the daily peak has its own rhythm.
        i0 = span.start
        all_peaks = _pivot(tables, gate, direction, "peak_trucks")
        before = all_peaks[:, max(0, i0 - LEVEL_DAYS) : i0] if i0 > 0 else all_peaks[:, :1]
        built_up = bool(np.nanmean(peak_max) > level_limit(float(np.nanmean(np.nanmax(before, axis=1)))))
        if level is not None:
            backlog = _pivot(tables, gate, direction, "backlog")
            end = recovery[0] if recovery is not None and recovery[0] is not None else sc.run.days - 1
            left = _left_level(backlog, level, i0, end)
            # Or the backlog left its level over the window, as recovery judges it: a backlog
            # above its level to the end of the run has built up, however its daily peak compares.
            built_up = built_up or _left_level(backlog, level, i0, span.stop - 1)
    return GateAnswer(
        gate=gate,
        direction=direction,
        level_before=float(level) if level is not None else math.nan,
        recovered=recovered,
        days_to_recover=days_to,
        above_at_end=excess,
        peak_trucks=_figure(peak_max, "nonnegative"),
        where=where,
        road_km_max=_figure(road, "nonnegative"),
        stage=stage,
        binds_in=binds,
        peak_utilisation=peak_util,
        perishable_over_share=_figure(share, "share"),
        cost_vnd_per_day=_figure(cost / max(days, 1), "nonnegative"),
        cost_vnd_total=_figure(cost, "nonnegative"),
        left_level=left,
        built_up=built_up,
    )


def answers_table(answers: Sequence[EpisodeAnswer]) -> pd.DataFrame:
    """The answers as a tidy table (``answer.csv``): one row per window, gate, direction and figure."""
    rows = []
    for k, a in enumerate(answers):
        head = {
            "answer": k,
            "kind": a.kind,
            "episode": a.episode.label if a.episode else "",
            "episode_vi": a.episode.label_in("vi") if a.episode else "",
            "first": a.first,
            "last": a.last,
        }
        for g in a.gates:
            base = {
                **head,
                "gate": g.gate,
                "direction": g.direction,
                "stage": g.stage,
                "binds_in": g.binds_in,
            }
            singles = {
                "level_before_trucks": g.level_before,
                "days_to_recover": g.days_to_recover if g.days_to_recover is not None else math.nan,
                "above_at_end_trucks": g.above_at_end,
                "left_level": float(g.left_level),
                "built_up": float(g.built_up),
                **{f"at_peak_{p}_trucks": v for p, v in g.where.items()},
            }
            for name, value in singles.items():
                rows.append(
                    {**base, "figure": name, "mean": value, "ci_low": math.nan, "ci_high": math.nan, "n": a.n}
                )
            for name, f in (
                ("peak_trucks", g.peak_trucks),
                ("road_queue_km_max", g.road_km_max),
                ("peak_utilisation_share", g.peak_utilisation),
                ("perishable_over_threshold_share", g.perishable_over_share),
                ("waiting_cost_vnd_per_day", g.cost_vnd_per_day),
                ("waiting_cost_vnd_total", g.cost_vnd_total),
            ):
                rows.append(
                    {
                        **base,
                        "figure": name,
                        "mean": f.mean,
                        "ci_low": f.ci_low,
                        "ci_high": f.ci_high,
                        "n": f.n,
                    }
                )
        for stage, f in a.province.items():
            rows.append(
                {
                    **head,
                    "gate": PROVINCE,
                    "direction": "",
                    "stage": stage,
                    "binds_in": math.nan,
                    "figure": "peak_utilisation_share",
                    "mean": f.mean,
                    "ci_low": f.ci_low,
                    "ci_high": f.ci_high,
                    "n": f.n,
                }
            )
    return pd.DataFrame(rows)


def growth_judged(exp: object) -> bool:
    """Whether the growth rule could judge anything: a window or a month of at least
    ``GROWTH_MIN_DAYS`` days. When not, no sentence may say that no queue grows."""
    try:
        bn = exp.bottlenecks()  # type: ignore[attr-defined]
    except ValueError:
        bn = None
    if bn is not None and "judged" in bn and bn["judged"].astype(bool).any():
        return True
    monthly = exp.monthly  # type: ignore[attr-defined]
    cols = [c for c in monthly.columns if c.startswith("grows_")] if len(monthly) else []
    return bool(cols) and bool(monthly[cols].notna().to_numpy().any())


def month_growth(exp: object) -> dict[tuple[str, str], list[tuple[str, int, int]]]:
    """Per (gate, direction), the months in which its queue grows: (month, k, n)."""
    out: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    monthly = exp.monthly  # type: ignore[attr-defined]
    if not len(monthly):
        return out
    for col in [c for c in monthly.columns if c.startswith("grows_")]:
        gate, _, direction = col.removeprefix("grows_").rpartition("_")
        for month, g in monthly.groupby("month", sort=True):
            judged = g[col].dropna()
            k = int((judged > 0).sum())
            if k:
                out.setdefault((gate, direction), []).append((str(month), k, int(judged.size)))
    return out


def growth_findings(exp: object) -> list[tuple[str, str, str, int, int]]:
    """Every place a queue grows by the growth rule: (gate, direction, where, k, n).

    *where* is ``window`` (over the experiment's window) or a month ``YYYY-MM`` (over that month,
    from ``monthly.csv``); *k* of *n* replications grow there. One verdict for every sentence:
    "no queue grows" is said only when this list is empty.
    """
    found: list[tuple[str, str, str, int, int]] = []
    try:
        bn = exp.bottlenecks()  # type: ignore[attr-defined]
    except ValueError:
        bn = None
    if bn is not None:
        for r in bn.itertuples():
            if int(r.grows_in) > 0:
                found.append((r.gate, r.direction, "window", int(r.grows_in), int(r.n)))
    for (gate, direction), months in month_growth(exp).items():
        found += [(gate, direction, month, k, n) for month, k, n in months]
    return found


def references_apply(sc: Scenario, window: Window | None = None) -> bool:
    """Whether normal-day references (1,650 a day, 3-4 h, the hold at 20:00) apply to the KPI
    window: only when no episode (a non-background event) falls in it."""
    from sim.experiments.window import window_minutes

    start, end = window_minutes(sc, window)
    first = sc.run.start_date + dt.timedelta(days=int(start // MIN_PER_DAY))
    last = sc.run.start_date + dt.timedelta(days=int(end // MIN_PER_DAY) - 1)
    return not any(e.first <= last and e.last >= first for e in episodes(sc))


ANSWER = "answer"
"""The name that stands, in a list of precision KPIs, for the figures of the answer itself."""


def answer_figures(answers: Sequence[EpisodeAnswer]) -> pd.DataFrame:
    """The answer's headline figures, one column per figure and one row per replication, for the
    precision rule: for each episode and each gate and direction where a queue built up, the peak
    of trucks waiting and the share of perishables over the threshold (``answer<k>_...``)."""
    cols: dict[str, np.ndarray] = {}
    for k, a in enumerate(answers):
        if a.kind != "episode":
            continue
        for g in a.gates:
            if not g.built_up:
                continue
            who = f"{g.gate}_{g.direction}"
            if g.peak_trucks.values is not None:
                cols[f"answer{k}_peak_trucks_{who}"] = g.peak_trucks.values
            if (
                g.perishable_over_share.values is not None
                and np.isfinite(g.perishable_over_share.values).any()
            ):
                cols[f"answer{k}_perishable_over_threshold_share_{who}"] = g.perishable_over_share.values
    return pd.DataFrame(cols)


def answer_kpis(sc: Scenario, window: Window | None = None) -> list[str]:
    """The KPIs of the answer for the precision rule: the whole-run sentence's figures (trucks
    cleared a day, the export procedure time, the hold at the clock) when the answer is about a
    window without an episode; :data:`ANSWER` (the episode's own figures) otherwise."""
    kinds = {k for k, *_ in answer_windows(sc, window)}
    if kinds == {"episode"}:
        return [ANSWER]
    hh, mm = sc.kpi.held_clock.split(":")
    held = f"held_at_{int(hh)}h{'' if mm == '00' else mm}_export_mean"
    return ["cleared_per_day_mean", "procedure_h_mean_export", held]
