"""Figures of a run: queue lengths over time, trucks cleared per day, time in system.

Every function takes a :class:`~sim.experiments.results.Run` or an
:class:`~sim.experiments.experiment.Experiment` (or a comparison or sweep) and returns a matplotlib
Figure with a title, axes labelled with units and a legend; saving or showing it is the caller's
choice.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
from matplotlib.transforms import ScaledTranslation

from sim.experiments.calibrate import Fit
from sim.experiments.experiment import Comparison, Experiment, Sweep
from sim.experiments.histograms import sum_histograms, time_in_system_histogram
from sim.experiments.results import Run, place_label, stage_places
from sim.presentation.glossary import is_share, kpi_label, lever_label, reference, unit_of
from sim.world.calendar import MIN_PER_DAY, minute_of
from sim.world.scenario import (
    LANE_STAGES,
    CapacityEvent,
    ClosureEvent,
    DemandEvent,
    ExtendedHoursEvent,
    Gate,
    ParkUseEvent,
    Scenario,
)

Result = Run | Experiment

TIME_TICKS_H = {0.25: "15 min", 1: "1 h", 4: "4 h", 8: "8 h", 24: "1 d", 72: "3 d", 168: "1 wk", 720: "30 d"}
"""Ticks of time axes in the units planners read (hours -> label)."""

NO_ROAD_QUEUE = "no truck waited on the road: road panel left out"
"""What the queue figure's title says when no truck waited on the road (no empty panel is drawn)."""

MAX_STAGE_LINES = 5
"""At most this many stage queues in one panel (those with the highest peaks); more overlap unreadably."""

DATE_FORMAT = "%d %b %Y"
"""Tick labels of every time axis: a date planners read, with its year (``06 Oct 2025``)."""

_TAB20 = plt.get_cmap("tab20").colors
SERIES_COLOURS: tuple[tuple[float, float, float], ...] = tuple(
    _TAB20[i] for i in (*range(0, 20, 2), *range(1, 20, 2)) if i not in (14, 15)
)
"""Colours of lines, 18 of them, no grey: greys are kept for shading (warm-up, events), so no
series shares a colour with the shading or, up to 18 series, with another series."""

SCENARIO_LINESTYLES = ("-", "--", ":", "-.")
"""Line styles of the scenarios of a comparison, so that a scenario no different from another
still shows beside it instead of hiding under it."""

WARMUP_STYLE = {"facecolor": "0.9", "edgecolor": "none", "lw": 0, "zorder": 0}
"""The warm-up: a light grey band behind the data."""

EVENT_STYLES = {
    ClosureEvent: ("closure", {"facecolor": "0.7", "edgecolor": "none", "alpha": 0.5}),
    CapacityEvent: ("capacity disruption", {"facecolor": "none", "edgecolor": "0.35", "hatch": "xx"}),
    DemandEvent: ("demand event", {"facecolor": "none", "edgecolor": "0.55", "hatch": "//"}),
    ExtendedHoursEvent: ("other opening hours", {"facecolor": "none", "edgecolor": "0.45", "hatch": ".."}),
    ParkUseEvent: ("park use", {"facecolor": "none", "edgecolor": "0.45", "hatch": "\\\\"}),
}
"""How each kind of event is shaded over time: greys and hatches only, colours no series uses."""

OUTLINE_COLOURS = {
    ClosureEvent: "white",
    CapacityEvent: "tab:orange",
    DemandEvent: "tab:red",
    ExtendedHoursEvent: "tab:cyan",
    ParkUseEvent: "tab:pink",
}
"""Frames of events on heat maps, whose colours a fill would change."""


def _palette() -> Iterator[tuple[float, float, float]]:
    """A fresh colour cycle for one axes (see :data:`SERIES_COLOURS`)."""
    return itertools.cycle(SERIES_COLOURS)


def _legend_outside(ax: plt.Axes, right_axis_in: float = 0.0, **kw) -> None:
    """A legend to the right of the axes, where it hides no data.

    *right_axis_in* is the width (inches) of a right-hand axis (ticks, labels) the legend must
    clear; the legend starts beyond it.
    """
    shift = ScaledTranslation(right_axis_in + 0.1, 0, ax.figure.dpi_scale_trans)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        bbox_transform=ax.transAxes + shift,
        borderaxespad=0,
        fontsize="small",
        **kw,
    )


def _width_right_of(ax: plt.Axes, artist) -> float:
    """How far (inches) *artist* (e.g. a secondary y axis) reaches beyond the right edge of *ax*."""
    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    reach = artist.get_tightbbox(renderer).x1 - ax.get_window_extent(renderer).x1
    return max(reach, 0.0) / fig.dpi


def _replications(result: Result) -> int:
    return result.n if isinstance(result, Experiment) else 1


def _mean_note(result: Result) -> str:
    n = _replications(result)
    return f"mean of {n} replications" if n > 1 else "one run"


def _band_note(result: Result) -> str:
    """What the lines and bands of a figure are, without promising a band one run cannot give."""
    n = _replications(result)
    return f"mean of {n} replications, 95% band" if n > 1 else "one run, no band"


def _queue_table(result: Result) -> pd.DataFrame:
    """Queue series with a 95% band (NaN for a single run)."""
    if isinstance(result, Experiment):
        return result.queue_summary()
    q = result.queues[["time_h", "gate", "place", "queue_mean"]].copy()
    q["ci_low"] = q["ci_high"] = np.nan
    return q


def _sample_run(result: Result) -> Run:
    if isinstance(result, Run):
        return result
    if not result.runs:
        raise ValueError("this experiment kept no full run (keep_runs=0)")
    return result.runs[0]


def _line(ax: plt.Axes, s: pd.DataFrame, label: str, to_x: Callable[[np.ndarray], np.ndarray], **kw) -> None:
    """One queue series against *to_x* (day of the run -> axis, e.g. a date), its band if any."""
    x = to_x(s["time_h"].to_numpy() / 24)
    (line,) = ax.plot(x, s["queue_mean"], label=label, **kw)
    if s["ci_low"].notna().any():
        ax.fill_between(x, s["ci_low"].clip(lower=0), s["ci_high"], color=line.get_color(), alpha=0.25, lw=0)


def event_spans(sc: Scenario, gate: str | None = None) -> list[tuple[type, str, float, float]]:
    """The scenario's events at *gate* (None: any gate) as (kind, label, first day, end day) in days
    of the run, clipped to the run; events of whole days end at the end of their last day.

    Background events (regimes the run lives under) are left out: they are not what the figure
    is about and would shade the whole run.
    """
    spans = []
    for ev in sc.events:
        kind = type(ev)
        if (
            kind not in EVENT_STYLES
            or ev.background
            or (ev.gates is not None and gate is not None and gate not in ev.gates)
        ):
            continue
        a = minute_of(sc, ev.start) / MIN_PER_DAY
        b = minute_of(sc, ev.end) / MIN_PER_DAY
        if not isinstance(ev.end, dt.datetime):
            b += 1  # the last day is included
        a, b = max(a, 0.0), min(b, float(sc.run.days))
        if b <= a:
            continue
        what = EVENT_STYLES[kind][0]
        spans.append((kind, f"{what}: {ev.name}" if ev.name else what, a, b))
    return spans


def _shade_events(
    ax: plt.Axes,
    spans: list[tuple[type, str, float, float]],
    x: Callable[[float], float] = float,
    outline: bool = False,
) -> None:
    """Shade each event span (see :func:`event_spans`), labelled once by its name.

    *x* maps a day of the run to the axis (e.g. to a date); *outline* draws frames instead of
    fills, for heat maps whose colours a fill would change.
    """
    seen: set[str] = set()
    for kind, label, a, b in spans:
        name = None if label in seen else label
        seen.add(label)
        if outline:
            ax.axvspan(x(a), x(b), facecolor="none", edgecolor=OUTLINE_COLOURS[kind], lw=2, label=name)
        else:
            ax.axvspan(x(a), x(b), lw=0, label=name, zorder=0.5, **EVENT_STYLES[kind][1])


def _shade_warmup(ax: plt.Axes, sc: Scenario, x: Callable[[float], float]) -> None:
    """The warm-up as a light grey band from the start of the run."""
    if sc.run.warmup_days:
        ax.axvspan(x(0), x(sc.run.warmup_days), label="warm-up", **WARMUP_STYLE)


def _day_to_date(sc: Scenario) -> Callable[[float], float]:
    """Day of the run (may be fractional, or an array) -> matplotlib date number."""
    start = mdates.date2num(dt.datetime.combine(sc.run.start_date, dt.time()))
    return lambda day: start + day


def _date_axis(ax: plt.Axes, sc: Scenario | None = None) -> None:
    """Dates as tick labels (``06 Oct 2025``) and, with *sc*, the run's dates as x limits."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(DATE_FORMAT))
    if sc is not None:
        to_date = _day_to_date(sc)
        ax.set_xlim(to_date(0), to_date(sc.run.days))


def _stage_selection(q: pd.DataFrame, sc: Scenario, gate: str) -> tuple[list[str], int, int]:
    """The stages to draw (those that ever had a queue, at most :data:`MAX_STAGE_LINES` by their
    peak), how many with a queue were left out, and how many never had one."""
    peaks = {}
    for stage in stage_places(sc, gate):
        s = q[q["place"] == stage]
        if not s.empty:
            peaks[stage] = float(s["queue_mean"].max())
    queued = [st for st, p in sorted(peaks.items(), key=lambda kv: -kv[1]) if p > 0]
    shown = queued[:MAX_STAGE_LINES]
    order = [st for st in stage_places(sc, gate) if st in shown]  # the order a truck visits them
    return order, len(queued) - len(shown), len(peaks) - len(queued)


def queue_lengths(run: Result, gate: str) -> Figure:
    """Road queue, yard occupancy and stage queues at one gate over the run's dates (hourly means).

    For an experiment of several replications, the lines are means with a 95% band. A panel
    with nothing to draw (e.g. no truck waited on the road) is left out and the title says so;
    of the stages, only those that ever had a queue are drawn, at most :data:`MAX_STAGE_LINES`
    by their peak, and the title says how many were left out. Events and the warm-up are shaded
    in greys no line uses.
    """
    sc = run.scenario
    table = _queue_table(run)
    q = table[table["gate"] == gate]
    g = sc.gates[gate]
    label = g.label
    to_date = _day_to_date(sc)
    notes: list[str] = []
    panels: list[Callable[[plt.Axes], None]] = []

    road = q[q["place"].isin(["road_export", "road_import"])]
    if not road.empty and road["queue_mean"].max() > 0:
        panels.append(lambda ax: _road_panel(ax, q, run, gate, to_date))
    else:
        notes.append(NO_ROAD_QUEUE)
    yard_places = ["yard_export", "yard_import"] + (["park"] if g.park is not None else [])
    yard = q[q["place"].isin(yard_places)]
    if not yard.empty and yard["queue_mean"].max() > 0:
        panels.append(lambda ax: _yard_panel(ax, q, yard_places, g, to_date))
    else:
        notes.append(
            "the yard" + (" and the park" if g.park is not None else "") + " stayed empty: panel left out"
        )
    stages, dropped, never = _stage_selection(q, sc, gate)
    if stages:
        panels.append(lambda ax: _stage_panel(ax, q, sc, gate, stages, dropped, never, to_date))
    else:
        notes.append("no stage had a queue: panel left out")

    fig, axes = plt.subplots(
        max(len(panels), 1),
        1,
        figsize=(11, 1.5 + 2.6 * max(len(panels), 1)),
        sharex=True,
        constrained_layout=True,
        squeeze=False,
    )
    spans = event_spans(sc, gate)
    for ax, draw in zip(axes[:, 0], panels, strict=False):
        draw(ax)
        _shade_events(ax, spans, to_date)
        _shade_warmup(ax, sc, to_date)
        ax.set_ylim(bottom=0)
        _date_axis(ax, sc)
    if not panels:
        axes[0, 0].set_axis_off()
    axes[-1, 0].set_xlabel("date")
    for ax in axes[:, 0]:
        if not ax.get_legend_handles_labels()[0]:
            continue
        right = list(ax.child_axes)
        _legend_outside(ax, _width_right_of(ax, right[0]) if right else 0.0)
    title = f"{sc.name}: queue lengths at {label} (hourly means, {_band_note(run)})"
    fig.suptitle(title + ("\n" + "; ".join(notes) if notes else ""))
    return fig


def _road_panel(ax: plt.Axes, q: pd.DataFrame, run: Result, gate: str, to_date) -> None:
    """Trucks waiting on the road by direction, with the queue's length in km on the right."""
    colours = _palette()
    for place in ("road_export", "road_import"):
        s = q[q["place"] == place]
        if not s.empty:
            _line(ax, s, place.replace("_", " "), to_date, color=next(colours))
    km_per_truck = run.scenario.gates[gate].road_m_per_truck / 1000
    sec = ax.secondary_yaxis("right", functions=(lambda x: x * km_per_truck, lambda k: k / km_per_truck))
    sec.set_ylabel("road queue (km)")
    ax.set_ylabel("trucks waiting on the road")
    ax.set_title(f"{run.scenario.gates[gate].label}: road queue")


def _yard_panel(ax: plt.Axes, q: pd.DataFrame, places: list[str], g: Gate, to_date) -> None:
    """Trucks in the gate's yards and, for a gate that has one, its holding park."""
    colours = _palette()
    for place in places:
        s = q[q["place"] == place]
        if not s.empty:
            _line(ax, s, place.replace("_", " "), to_date, color=next(colours))
    if g.park is not None:
        ax.set_ylabel("trucks in the yard or park")
        ax.set_title(f"{g.label}: yard occupancy (overflow included) and the holding park")
    else:
        ax.set_ylabel("trucks in the yard")
        ax.set_title(f"{g.label}: yard occupancy (overflow included)")


def _stage_panel(
    ax: plt.Axes,
    q: pd.DataFrame,
    sc: Scenario,
    gate: str,
    stages: list[str],
    dropped: int,
    never: int,
    to_date,
) -> None:
    """Queues at the stages that had one, saying how many stages are not drawn and why."""
    colours = _palette()
    for stage in stages:
        _line(ax, q[q["place"] == stage], place_label(sc, gate, stage), to_date, lw=0.9, color=next(colours))
    ax.set_ylabel("trucks waiting")
    left_out = []
    if dropped:
        left_out.append(f"{dropped} with lower peaks left out")
    if never:
        left_out.append(f"{never} never had a queue")
    more = f"\n({'; '.join(left_out)})" if left_out else ""
    ax.set_title(f"{sc.gates[gate].label}: queues at the {len(stages)} stages with the highest peaks{more}")


def daily_cleared(run: Result) -> Figure:
    """Trucks cleared per day by gate, stacked, against the reported mean and peak lines.

    For an experiment, bars are means over replications and the whiskers a 95% interval of the
    total (its lower end at most down to 0). The warm-up is shaded over whole days, edge to edge
    of its bars; the x axis shows dates.
    """
    d = run.daily
    n = _replications(run)
    table = d.groupby(["date", "gate"], observed=True)["cleared"].sum().unstack("gate") / n
    fig, ax = plt.subplots(figsize=(11, 4.5), constrained_layout=True)
    bottom = np.zeros(len(table))
    colours = _palette()
    for gate in table.columns:
        ax.bar(
            table.index,
            table[gate],
            bottom=bottom,
            width=0.9,
            label=run.scenario.gates[gate].label,
            color=next(colours),
        )
        bottom += table[gate].to_numpy()
    if n > 1:
        from sim.experiments.stats import t_half_width

        per_rep = d.groupby(["date", "replication"])["cleared"].sum().unstack("replication")
        half = t_half_width(per_rep.std(axis=1, ddof=1).to_numpy(), n)
        # No day clears fewer than 0 trucks: the interval's lower end stops at 0.
        yerr = np.vstack([np.minimum(half, bottom), half])
        ax.errorbar(table.index, bottom, yerr=yerr, fmt="none", ecolor="0.2", lw=0.8, label="95% interval")
    ref = run.scenario.kpi
    ax.axhline(
        ref.daily_mean_ref, color="k", ls="--", lw=1, label=f"reported mean {ref.daily_mean_ref:,.0f}/day"
    )
    ax.axhline(
        ref.daily_peak_ref,
        color="firebrick",
        ls=":",
        lw=1.2,
        label=f"reported peak {ref.daily_peak_ref:,.0f}/day",
    )
    warmup = run.scenario.run.warmup_days
    if warmup:
        half_day = pd.Timedelta(hours=12)
        first = table.index[0]
        ax.axvspan(
            first - half_day,
            first + pd.Timedelta(days=warmup) - half_day,
            color="0.85",
            zorder=0,
            label="warm-up",
        )
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("trucks cleared per day")
    ax.set_xlabel("date")
    what = f", mean of {n} replications" if n > 1 else ", one run"
    ax.set_title(f"{run.scenario.name}: trucks cleared per day, both directions{what}")
    _legend_outside(ax)
    return fig


def tis_histograms(result: Result) -> tuple[pd.DataFrame, int]:
    """Time-in-system histogram summed over every replication (or of the one run) and how many
    replications it sums; replications that kept no histogram are taken from their full run."""
    if isinstance(result, Run):
        return time_in_system_histogram(result), 1
    hists = [r.tis_hist for r in result.replications if r.tis_hist is not None]
    if not hists:
        hists = [time_in_system_histogram(r, result.window) for r in result.runs]
    if not hists:
        raise ValueError("this experiment kept neither time-in-system histograms nor a full run")
    return sum_histograms(hists), len(hists)


def time_in_system(result: Result) -> Figure:
    """Cumulative distribution of time in system by cargo class, one panel per direction, over
    every replication, with the perishable threshold.

    Drawn from the fixed-bin histograms each replication returns, summed over replications
    (points at the bins' upper edges); the time axis is logarithmic with ticks planners read
    (15 min, 1 h, 4 h, 8 h, 1 d, 3 d). Trucks that entered after the warm-up (or in the
    experiment's window) and were cleared are counted.
    """
    sc = result.scenario
    hist, n_reps = tis_histograms(result)
    directions = [d for d in hist["direction"].unique() if hist.loc[hist["direction"] == d, "trucks"].sum()]
    fig, axes = plt.subplots(
        1, max(len(directions), 1), figsize=(13, 5), sharey=True, constrained_layout=True, squeeze=False
    )
    thr = sc.kpi.perishable_threshold_h
    finite = hist[np.isfinite(hist["high_h"])]
    top_h = float(finite["high_h"].max()) if not finite.empty else 240.0
    low, high = 0.2, top_h * 1.05
    for ax, direction in zip(axes[0], directions, strict=False):
        h = hist[hist["direction"] == direction]
        colours = _palette()
        total = int(h["trucks"].sum())
        for cargo, c in h.groupby("cargo", sort=False):
            n = int(c["trucks"].sum())
            if not n:
                continue
            c = c.sort_values("low_h")
            share = np.cumsum(c["trucks"].to_numpy()) / n
            edges = c["high_h"].to_numpy()
            keep = np.isfinite(edges)
            over = int(c.loc[~np.isfinite(c["high_h"]), "trucks"].sum())
            more = f", {over:,} over {top_h:g} h" if over else ""
            ax.plot(
                np.r_[c["low_h"].iloc[0] or low, edges[keep]],
                np.r_[0.0, share[keep]],
                marker=".",
                color=next(colours),
                label=f"{cargo} ({n:,} trucks{more})",
            )
        ax.axvline(thr, color="firebrick", ls="--", lw=1.2, label=f"perishable threshold {thr:g} h")
        ax.text(
            thr, 0.02, f" threshold {thr:g} h", color="firebrick", fontsize="small", rotation=90, va="bottom"
        )
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ticks = [t for t in TIME_TICKS_H if low <= t <= high]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xticks(ticks, [TIME_TICKS_H[t] for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("time in system, arrival to departure (log scale)")
        ax.set_ylabel("share of trucks cleared within")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_ylim(0, 1.02)
        reps = "replication" if n_reps == 1 else "replications"
        ax.set_title(f"{direction} trucks: n = {n_reps} {reps}, {total:,} trucks")
        ax.grid(alpha=0.3)
        _legend_outside(ax)
    if not directions:
        axes[0, 0].set_axis_off()
    fig.suptitle(
        f"{sc.name}: time in system by direction and cargo class, trucks that entered after the "
        f"warm-up and were cleared, all {n_reps} {'replication' if n_reps == 1 else 'replications'}"
    )
    return fig


def _hour_of_day(table: pd.DataFrame) -> pd.Series:
    return (table["time_h"] % 24).astype(int)


def hourly_profile(result: Result, gate: str) -> Figure:
    """Arrivals and queues by hour of day at one gate (means over the days after the warm-up).

    Every series of a panel has its own colour (:data:`SERIES_COLOURS`). Arrivals are counted in
    the first replication kept in full; queues are means over every replication.
    """
    run = _sample_run(result)
    tr = run.trucks[(run.trucks["gate"] == gate) & (run.trucks["arrival_min"] >= run.warmup_min)]
    days = run.scenario.run.days - run.scenario.run.warmup_days
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.8), constrained_layout=True)
    ax = axes[0]
    colours = _palette()
    hour = (tr["arrival_min"] % MIN_PER_DAY // 60).astype(int)
    for direction, g in hour.groupby(tr["direction"], observed=True):
        counts = np.bincount(g, minlength=24) / days
        ax.step(
            np.arange(25), np.append(counts, counts[-1]), where="post", label=direction, color=next(colours)
        )
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("trucks arriving per hour")
    which = "" if isinstance(result, Run) or result.n == 1 else f" (replication 1 of {result.n})"
    ax.set_title(f"arrivals by hour of day{which}")
    ax.set_xlim(0, 24)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    ax = axes[1]
    colours = _palette()
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["time_h"] >= run.warmup_min / 60)]
    by_hour = q.groupby([_hour_of_day(q), "place"])["queue_mean"].mean().unstack("place")
    for place in by_hour.columns:
        if by_hour[place].max() > 0.5:
            ax.plot(
                by_hour.index,
                by_hour[place],
                label=place_label(result.scenario, gate, place),
                color=next(colours),
            )
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("trucks waiting (or in the yard)")
    ax.set_title(f"queues by hour of day ({_mean_note(result)})")
    ax.set_xlim(0, 23)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    fig.suptitle(f"{result.scenario.name}: {result.scenario.gates[gate].label} by hour of day")
    return fig


def queue_heatmap(result: Result, gate: str, place: str = "yard_export") -> Figure:
    """Hour x date heat map of one queue at one gate (hourly means), warm-up and events marked."""
    sc = result.scenario
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["place"] == place)]
    days = (q["time_h"] // 24).astype(int)
    grid = q.pivot_table(index=_hour_of_day(q), columns=days, values="queue_mean", dropna=False)
    grid = grid.reindex(index=range(24), columns=range(sc.run.days))
    to_date = _day_to_date(sc)
    fig, ax = plt.subplots(figsize=(12, 4.5), constrained_layout=True)
    image = ax.imshow(
        grid.to_numpy(),
        aspect="auto",
        origin="lower",
        cmap="viridis",
        interpolation="nearest",
        extent=(to_date(0), to_date(sc.run.days), 0, 24),
    )
    what = place_label(sc, gate, place)
    fig.colorbar(image, ax=ax, label=f"{what} (trucks)")
    handles: list = []
    if sc.run.warmup_days:
        ax.axvspan(
            to_date(0),
            to_date(sc.run.warmup_days),
            facecolor="none",
            hatch="//",
            edgecolor="white",
            label="warm-up",
        )
        # The hatch is white over the image; the legend's swatch shows it on the map's grey.
        handles.append(Patch(facecolor="0.45", edgecolor="white", hatch="//", label="warm-up"))
    _shade_events(ax, event_spans(sc, gate), x=to_date, outline=True)
    _date_axis(ax, sc)
    ax.set_yticks(range(0, 25, 4))
    ax.set_xlabel("date")
    ax.set_ylabel("hour of day (Vietnam time)")
    ax.set_title(f"{sc.name}: {what} at {sc.gates[gate].label}, hour by date ({_mean_note(result)})")
    ax.plot([], [], color="none", label="colour: hourly mean")
    others = [(h, lab) for h, lab in zip(*ax.get_legend_handles_labels(), strict=True) if lab != "warm-up"]
    _legend_outside(
        ax,
        handles=handles + [h for h, _ in others],
        labels=[h.get_label() for h in handles] + [lab for _, lab in others],
    )
    return fig


def utilisation_table(result: Result, gate: str) -> pd.DataFrame:
    """Lane utilisation by stage (rows) and hour of day 0-23 (columns); NaN where a stage is closed."""
    run = _sample_run(result)
    q = run.queues
    q = q[(q["gate"] == gate) & q["utilisation"].notna() & (q["time_h"] >= run.warmup_min / 60)]
    grid = q.groupby(["place", _hour_of_day(q)])["utilisation"].mean().unstack()
    stages = [s for s in stage_places(run.scenario, gate) if s in grid.index]
    return grid.reindex(index=stages, columns=range(24))


def utilisation(result: Result, gate: str) -> Figure:
    """Lane utilisation (busy time over open time) by stage and hour of day at one gate.

    All 24 hours are drawn; the hours a stage is closed are left blank. For an experiment, the
    first replication kept in full is drawn, and the title says so.
    """
    run = _sample_run(result)
    grid = utilisation_table(result, gate)
    cmap = plt.get_cmap("magma").with_extremes(bad="white")
    fig, ax = plt.subplots(figsize=(13, 4), constrained_layout=True)
    image = ax.imshow(
        np.ma.masked_invalid(grid.to_numpy(dtype=float)),
        aspect="auto",
        cmap=cmap,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0, 24, len(grid) - 0.5, -0.5),
    )
    cbar = fig.colorbar(image, ax=ax, label="utilisation (share of open lane time busy)")
    cbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_yticks(range(len(grid)), [place_label(run.scenario, gate, s) for s in grid.index])
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("stage")
    which = "" if isinstance(result, Run) or result.n == 1 else f" (replication 1 of {result.n})"
    ax.set_title(f"{run.scenario.name}: lane utilisation at {run.scenario.gates[gate].label}{which}")
    ax.plot([], [], color="none", label="colour: mean over days")
    ax.fill_between([], [], color="white", ec="0.5", label="blank: closed")
    _legend_outside(ax)
    return fig


def _scale(kpi: str) -> float:
    return 100.0 if is_share(kpi) else 1.0


def comparison(comp: Comparison, kpis: list[str] | None = None) -> Figure:
    """Paired differences against the first scenario, with 95% intervals, one panel per KPI.

    KPIs are named in words with their units; shares are in percentage points.
    """
    d = comp.differences()
    sc = comp.experiments[0].scenario
    kpis = kpis or ["time_in_system_h_mean", "cleared_per_day_mean", "perishable_over_threshold_share"]
    fig, axes = plt.subplots(
        len(kpis),
        1,
        figsize=(10, 1.2 + 1.4 * len(kpis) * max(1, len(comp.names) - 1) / 2),
        constrained_layout=True,
        squeeze=False,
    )
    for ax, kpi in zip(axes[:, 0], kpis, strict=True):
        rows = d[d["kpi"] == kpi]
        k = _scale(kpi)
        y = np.arange(len(rows))
        mean = rows["diff_mean"] * k
        err = np.vstack([mean - rows["diff_ci_low"] * k, rows["diff_ci_high"] * k - mean])
        ax.errorbar(mean, y, xerr=err, fmt="o", capsize=4, label="mean difference, 95% interval")
        ax.axvline(0, color="k", lw=0.8, label="no difference")
        ax.set_yticks(y, rows["scenario"])
        name = kpi_label(kpi, sc, unit=False)
        unit = "percentage points" if is_share(kpi) else unit_of(kpi)
        ax.set_xlabel(f"difference, scenario minus {comp.names[0]} ({unit})")
        ax.set_ylabel("scenario")
        base = rows["base_mean"].iloc[0] * k if len(rows) else np.nan
        base_unit = "%" if is_share(kpi) else f" {unit}" if unit else ""
        ax.set_title(f"{name} (base {base:,.4g}{base_unit})")
        _legend_outside(ax)
    n = comp.experiments[0].n
    fig.suptitle(f"Paired comparison with {comp.names[0]} ({n} replications, common random numbers)")
    return fig


def waiting_series(exp: Experiment, gate: str, direction: str) -> pd.DataFrame:
    """Trucks waiting at *gate* in *direction* (road, yard and, for exports, the park) each hour:
    mean over replications and a 95% band (NaN with one replication)."""
    places = [f"road_{direction}", f"yard_{direction}"] + (["park"] if direction == "export" else [])
    reps = [r.queues for r in exp.replications if r.queues is not None]
    if not reps:
        raise ValueError("this experiment kept no queue series (keep_series=False)")
    per_rep = np.stack(
        [
            q[(q["gate"] == gate) & q["place"].isin(places)].groupby("time_h")["queue_mean"].sum().to_numpy()
            for q in reps
        ]
    )
    times = reps[0][(reps[0]["gate"] == gate) & reps[0]["place"].isin(places)]["time_h"].unique()
    out = pd.DataFrame({"time_h": np.sort(times), "queue_mean": per_rep.mean(axis=0)})
    if len(reps) > 1:
        from sim.experiments.stats import t_half_width

        half = t_half_width(per_rep.std(axis=0, ddof=1), len(reps))
        out["ci_low"], out["ci_high"] = out["queue_mean"] - half, out["queue_mean"] + half
    else:
        out["ci_low"] = out["ci_high"] = np.nan
    return out


def comparison_spans(comp: Comparison, gate: str) -> list[tuple[type, str, float, float]]:
    """The events at *gate* of every scenario compared, each once, labelled with the scenarios
    that have it when not all do (see :func:`event_spans`)."""
    owners: dict[tuple[type, str, float, float], list[str]] = {}
    for exp in comp.experiments:
        for span in event_spans(exp.scenario, gate):
            owners.setdefault(span, []).append(exp.scenario.name)
    out = []
    for (kind, label, a, b), names in owners.items():
        if len(names) < len(comp.experiments):
            label = f"{label} ({', '.join(names)})"
        out.append((kind, label, a, b))
    return out


def comparison_queues(comp: Comparison, gate: str) -> Figure:
    """Trucks waiting at one gate over the run's dates, export and import, one line per scenario
    compared; every event of every scenario and the warm-up shaded, events named in the legend."""
    sc = comp.experiments[0].scenario
    to_date = _day_to_date(sc)
    spans = comparison_spans(comp, gate)
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, constrained_layout=True)
    for ax, direction in zip(axes, ("export", "import"), strict=True):
        colours = _palette()
        styles = itertools.cycle(SCENARIO_LINESTYLES)
        for exp in comp.experiments:
            series = waiting_series(exp, gate, direction)
            _line(ax, series, exp.scenario.name, to_date, color=next(colours), ls=next(styles))
        where = "road, yard and park" if direction == "export" and sc.gates[gate].park else "road and yard"
        ax.set_ylabel("trucks waiting")
        ax.set_title(f"{sc.gates[gate].label}: {direction} trucks waiting ({where})")
        _shade_events(ax, spans, to_date)
        _shade_warmup(ax, sc, to_date)
        ax.set_ylim(bottom=0)
        _date_axis(ax, sc)
        _legend_outside(ax)
    axes[-1].set_xlabel("date")
    n = comp.experiments[0].n
    note = f"mean of {n} replications, 95% band" if n > 1 else "one run each, no band"
    fig.suptitle(f"Queues of every scenario over time at {sc.gates[gate].label} (hourly means, {note})")
    return fig


SWEEP_DODGE_PT = 6.0
"""How far apart (points on the page) the lines of a sweep's combinations are set, so that
combinations with the same results show side by side."""


def _share_lever(key: str) -> bool:
    """Whether a dotted scenario key is a share (0-1), shown in % on an axis."""
    parts = key.split(".")
    return any(p == "share" or p.endswith("_share") for p in parts)


def sweep_curve(sw: Sweep, kpi: str = "time_in_system_h_mean", target: float | None = None) -> Figure:
    """A KPI against the first varied key, one line per combination of the others, 95% band.

    Axes are named in words with units, shares (of the KPI or of the lever) in %, ticks 0-100 as
    the label says, y from 0; the reported figure (or *target*) is drawn. Lines of several
    combinations are set :data:`SWEEP_DODGE_PT` apart so that equal ones both show.
    """
    table = sw.table()
    table = table[table["kpi"] == kpi]
    keys = list(sw.points[0])
    x_key, others = keys[0], keys[1:]
    sc = sw.base
    k = _scale(kpi)
    x_k = 100.0 if _share_lever(x_key) and pd.api.types.is_numeric_dtype(table[x_key]) else 1.0
    fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    groups = list(table.groupby(others, sort=False)) if others else [((), table)]
    colours = _palette()
    for i, (values, g) in enumerate(groups):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{lever_label(sc, o)} = {v}" for o, v in zip(others, values, strict=True))
        # Lines of several combinations are set a few points apart, so equal ones do not hide.
        dodge = ScaledTranslation((i - (len(groups) - 1) / 2) * SWEEP_DODGE_PT / 72, 0, fig.dpi_scale_trans)
        colour = next(colours)
        xs = g[x_key] * x_k if x_k != 1 else g[x_key]
        (line,) = ax.plot(xs, g["mean"] * k, marker="o", label=label or "mean", color=colour)
        band = ax.fill_between(
            xs,
            g["ci_low"] * k,
            g["ci_high"] * k,
            color=colour,
            alpha=0.25,
            lw=0,
            label="95% band" if i == 0 else "_nolegend_",
        )
        for artist in (line, band):  # moved on the page only; the axes are scaled to the data
            artist.set_transform(ax.transData + dodge)
    ref = reference(kpi, sc)
    if target is not None:
        ax.axhline(target * k, color="firebrick", ls="--", lw=1.2, label=f"target {target * k:,.4g}")
    elif ref is not None:
        low, high, text = ref
        if low == high:
            ax.axhline(low * k, color="firebrick", ls="--", lw=1.2, label=f"reported {text}")
        else:
            ax.axhspan(low * k, high * k, color="firebrick", alpha=0.12, label=f"reported {text}")
    if (table["ci_low"].fillna(table["mean"]) >= 0).all():
        ax.set_ylim(bottom=0)  # a count, a time or a share: from 0
    if k != 1:
        ax.set_ylim(top=min(100.0, max(ax.get_ylim()[1], 1.0)))  # per cent, at most 100%
    ax.set_xlabel(lever_label(sc, x_key) + (" (%)" if x_k != 1 else ""))
    ax.set_xticks(sorted(table[x_key].unique() * x_k) if x_k != 1 else sorted(table[x_key].unique()))
    ax.set_ylabel(kpi_label(kpi, sc))
    ax.set_title(
        f"{sc.name}: {kpi_label(kpi, sc, unit=False)}\nagainst {lever_label(sc, x_key)} "
        f"({sw.experiments[0].n} replications a point)"
    )
    _legend_outside(ax)
    ax.grid(alpha=0.3)
    return fig


def calibration(fit: Fit) -> Figure:
    """Simulated trucks cleared per day against the targets (and the observed days, if any)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    ax = axes[0]
    daily = fit.check.daily
    daily = daily[~daily["warmup"]]
    totals = daily.groupby(["replication", "date"])["cleared"].sum().to_numpy()
    bins = np.linspace(min(totals.min(), 0.6 * fit.targets["mean_per_day"]), totals.max() * 1.05, 40)
    ax.hist(totals, bins=bins, density=True, alpha=0.6, label=f"simulated ({fit.check.n} replications)")
    if fit.observed is not None:
        ax.hist(
            fit.observed.daily_totals,
            bins=bins,
            density=True,
            histtype="step",
            lw=2,
            color="k",
            label="observed",
        )
    thr = fit.scenario.kpi.daily_peak_ref
    ax.axvline(
        fit.targets["mean_per_day"],
        color="k",
        ls="--",
        label=f"target mean {fit.targets['mean_per_day']:,.0f}",
    )
    ax.axvline(
        thr,
        color="firebrick",
        ls=":",
        label=f"peak threshold {thr:,.0f} (target {fit.targets['peak_share']:.1%} of days)",
    )
    ax.set_xlabel("trucks cleared per day, all gates")
    ax.set_ylabel("density")
    ax.set_title("daily trucks cleared: calibrated model")
    ax.legend(loc="upper left", fontsize="small")
    ax = axes[1]
    ax.plot(fit.cv_curve["day_to_day_cv"], fit.cv_curve["peak_share"], marker="o", label="simulated")
    ax.axhline(fit.targets["peak_share"], color="firebrick", ls=":", label="target share")
    cv = fit.scenario.demand.day_to_day_cv
    ax.axvline(cv, color="k", ls="--", label=f"fitted cv {cv:.3f}")
    ax.set_xlabel("day_to_day_cv")
    ax.set_ylabel(f"share of days above {thr:,.0f}")
    ax.set_title("response surface for the day-to-day variation")
    ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(f"Calibration of {fit.scenario.name}")
    return fig


def _has_lanes(gate: Gate) -> bool:
    """Whether *gate* has a stage whose lanes are simulated (any enabled stage)."""
    return any(getattr(gate, s).enabled for s in LANE_STAGES) or any(
        r.china_check.enabled or r.crossing.enabled for r in gate.routes.values()
    )


def run_figures(run: Result) -> dict[str, Figure]:
    """The standard figures of a run or an experiment, keyed by file stem."""
    figs = {f"queues_{gate}": queue_lengths(run, gate) for gate in run.scenario.gates}
    figs["daily_cleared"] = daily_cleared(run)
    if isinstance(run, Run) or any(r.tis_hist is not None for r in run.replications) or run.runs:
        figs["time_in_system"] = time_in_system(run)
    if isinstance(run, Run) or run.runs:
        for gate in run.scenario.gates:
            figs[f"hourly_{gate}"] = hourly_profile(run, gate)
            if _has_lanes(run.scenario.gates[gate]):  # no stage enabled: no utilisation to draw
                figs[f"utilisation_{gate}"] = utilisation(run, gate)
    for gate in run.scenario.gates:
        figs[f"heatmap_yard_export_{gate}"] = queue_heatmap(run, gate, "yard_export")
    return figs
