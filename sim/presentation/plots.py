"""Figures of a run: queue lengths over time, trucks cleared per day, time in system.

Every function takes a :class:`~sim.experiments.results.Run` or an
:class:`~sim.experiments.experiment.Experiment` (or a comparison or sweep) and returns a matplotlib
Figure with a title, axes labelled with units and a legend; saving or showing it is the caller's
choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

from sim.experiments.calibrate import Fit
from sim.experiments.experiment import Comparison, Experiment, Sweep
from sim.experiments.results import Run, place_label, stage_places
from sim.presentation.glossary import is_share, kpi_label, lever_label, reference, unit_of
from sim.world.calendar import MIN_PER_DAY, minute_of
from sim.world.scenario import LANE_STAGES, CapacityEvent, ClosureEvent, DemandEvent, Gate

Result = Run | Experiment

TIME_TICKS_H = {0.25: "15 min", 1: "1 h", 4: "4 h", 8: "8 h", 24: "1 d", 72: "3 d", 168: "1 wk", 720: "30 d"}
"""Ticks of time axes in the units planners read (hours -> label)."""

NO_ROAD_QUEUE = "no road queue"
"""What the road panel says when no truck waited on the road."""


def _legend_outside(ax: plt.Axes, **kw) -> None:
    """A legend to the right of the axes, where it hides no data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize="small", **kw)


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


def _line(ax: plt.Axes, s: pd.DataFrame, label: str, **kw) -> None:
    x = s["time_h"] / 24
    (line,) = ax.plot(x, s["queue_mean"], label=label, **kw)
    if s["ci_low"].notna().any():
        ax.fill_between(x, s["ci_low"].clip(lower=0), s["ci_high"], color=line.get_color(), alpha=0.25, lw=0)


def _shade_events(
    ax: plt.Axes,
    result: Result,
    gate: str,
    x: Callable[[float], float] = float,
    outline: bool = False,
) -> None:
    """Shade closures (grey), capacity disruptions (orange) and demand events (green) at *gate*.

    *x* maps a day of the run to the axis (e.g. to a date); *outline* draws frames instead of
    fills, for heat maps whose colours a fill would change.
    """
    sc = result.scenario
    styles = {
        ClosureEvent: ("0.8", "closure"),
        CapacityEvent: ("tab:orange", "capacity disruption"),
        DemandEvent: ("tab:green", "demand event"),
    }
    seen: set[str] = set()
    for ev in sc.events:
        style = styles.get(type(ev))
        if style is None or (ev.gates is not None and gate not in ev.gates):
            continue
        color, label = style
        if isinstance(ev, DemandEvent):
            a = minute_of(sc, ev.start) / MIN_PER_DAY
            b = minute_of(sc, ev.end) / MIN_PER_DAY + 1
        else:
            a, b = minute_of(sc, ev.start) / MIN_PER_DAY, minute_of(sc, ev.end) / MIN_PER_DAY
        name = None if label in seen else label
        if outline:
            ax.axvspan(x(a), x(b), facecolor="none", edgecolor=color, lw=2, label=name)
        else:
            ax.axvspan(x(a), x(b), color=color, alpha=0.25, lw=0, label=name)
        seen.add(label)


def queue_lengths(run: Result, gate: str) -> Figure:
    """Road queue, yard occupancy and stage queues at one gate over the run (hourly means).

    For an experiment of several replications, the lines are means with a 95% band. When no
    truck waited on the road, the top panel says so instead of drawing an empty band.
    """
    table = _queue_table(run)
    q = table[table["gate"] == gate]
    label = run.scenario.gates[gate].label
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, constrained_layout=True)
    ax = axes[0]
    road = q[q["place"].isin(["road_export", "road_import"])]
    if road["queue_mean"].max() > 0:
        for place in ("road_export", "road_import"):
            _line(ax, q[q["place"] == place], place.replace("_", " "))
        km_per_truck = run.scenario.gates[gate].road_m_per_truck / 1000
        sec = ax.secondary_yaxis("right", functions=(lambda x: x * km_per_truck, lambda k: k / km_per_truck))
        sec.set_ylabel("road queue (km)")
    else:
        ax.text(0.5, 0.5, NO_ROAD_QUEUE, transform=ax.transAxes, ha="center", va="center", fontsize="large")
        ax.yaxis.set_major_locator(NullLocator())
    ax.set_ylabel("trucks waiting on the road")
    ax.set_title(f"{label}: road queue")
    ax = axes[1]
    for place in ("yard_export", "yard_import", "park"):
        s = q[q["place"] == place]
        if not s.empty:
            _line(ax, s, place.replace("_", " "))
    ax.set_ylabel("trucks in the yard (or park)")
    ax.set_title(f"{label}: yard occupancy (overflow included) and the holding park")
    ax = axes[2]
    for stage in stage_places(run.scenario, gate):
        s = q[q["place"] == stage]
        if not s.empty and s["queue_mean"].max() > 0:
            _line(ax, s, place_label(run.scenario, gate, stage), lw=0.9)
    ax.set_ylabel("trucks waiting")
    ax.set_title(f"{label}: queues at each stage")
    ax.set_xlabel("day of the run")
    for ax in axes:
        _shade_events(ax, run, gate)
        ax.axvline(run.scenario.run.warmup_days, color="0.5", ls=":", lw=1, label="end of warm-up")
        if ax.get_legend_handles_labels()[0]:
            _legend_outside(ax)
        ax.set_ylim(bottom=0)
    fig.suptitle(f"{run.scenario.name}: queue lengths at {label} (hourly means, {_band_note(run)})")
    return fig


def daily_cleared(run: Result) -> Figure:
    """Trucks cleared per day by gate, stacked, against the reported mean and peak lines.

    For an experiment, bars are means over replications and the whiskers a 95% interval of the
    total. The warm-up is shaded over whole days, edge to edge of its bars.
    """
    d = run.daily
    n = _replications(run)
    table = d.groupby(["date", "gate"], observed=True)["cleared"].sum().unstack("gate") / n
    fig, ax = plt.subplots(figsize=(11, 4.5), constrained_layout=True)
    bottom = np.zeros(len(table))
    for gate in table.columns:
        ax.bar(table.index, table[gate], bottom=bottom, width=0.9, label=run.scenario.gates[gate].label)
        bottom += table[gate].to_numpy()
    if n > 1:
        from sim.experiments.stats import t_half_width

        per_rep = d.groupby(["date", "replication"])["cleared"].sum().unstack("replication")
        half = t_half_width(per_rep.std(axis=1, ddof=1).to_numpy(), n)
        ax.errorbar(table.index, bottom, yerr=half, fmt="none", ecolor="0.2", lw=0.8, label="95% interval")
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
    ax.set_ylabel("trucks cleared per day")
    ax.set_xlabel("date")
    what = f", mean of {n} replications" if n > 1 else ", one run"
    ax.set_title(f"{run.scenario.name}: trucks cleared per day, both directions{what}")
    _legend_outside(ax)
    return fig


def time_in_system(result: Result) -> Figure:
    """Cumulative distribution of time in system by cargo class, with the perishable threshold.

    The time axis is logarithmic with ticks planners read (15 min, 1 h, 4 h, 8 h, 1 d, 3 d).
    For an experiment, the first replication kept in full is shown.
    """
    run = _sample_run(result)
    tr = run.trucks
    done = tr[(tr["outcome"] == "cleared") & (tr["arrival_min"] >= run.warmup_min)]
    fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    for cargo in run.scenario.cargo_classes:
        x = np.sort(done.loc[done["cargo"] == cargo, "time_in_system_h"].to_numpy())
        if x.size:
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", label=f"{cargo} ({x.size:,} trucks)")
    thr = run.scenario.kpi.perishable_threshold_h
    ax.axvline(thr, color="firebrick", ls="--", lw=1.2, label=f"perishable threshold {thr:g} h")
    ax.text(thr, 0.02, f" threshold {thr:g} h", color="firebrick", fontsize="small", rotation=90, va="bottom")
    ax.set_xscale("log")
    times = done["time_in_system_h"].to_numpy()
    low = min(0.25, float(times.min())) * 0.8 if times.size else 0.2
    high = max(72.0, float(times.max())) * 1.1 if times.size else 80.0
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
    ax.set_title(f"{run.scenario.name}: time in system by cargo class")
    _legend_outside(ax)
    ax.grid(alpha=0.3)
    return fig


def _hour_of_day(table: pd.DataFrame) -> pd.Series:
    return (table["time_h"] % 24).astype(int)


def hourly_profile(result: Result, gate: str) -> Figure:
    """Arrivals and queues by hour of day at one gate (means over the days after the warm-up)."""
    run = _sample_run(result)
    tr = run.trucks[(run.trucks["gate"] == gate) & (run.trucks["arrival_min"] >= run.warmup_min)]
    days = run.scenario.run.days - run.scenario.run.warmup_days
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), constrained_layout=True)
    ax = axes[0]
    hour = (tr["arrival_min"] % MIN_PER_DAY // 60).astype(int)
    for direction, g in hour.groupby(tr["direction"], observed=True):
        counts = np.bincount(g, minlength=24) / days
        ax.step(np.arange(25), np.append(counts, counts[-1]), where="post", label=direction)
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("trucks arriving per hour")
    ax.set_title("arrivals by hour of day")
    ax.set_xlim(0, 24)
    _legend_outside(ax)
    ax = axes[1]
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["time_h"] >= run.warmup_min / 60)]
    by_hour = q.groupby([_hour_of_day(q), "place"])["queue_mean"].mean().unstack("place")
    for place in by_hour.columns:
        if by_hour[place].max() > 0.5:
            ax.plot(by_hour.index, by_hour[place], label=place_label(result.scenario, gate, place))
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("trucks waiting (or in the yard)")
    ax.set_title("queues by hour of day")
    ax.set_xlim(0, 23)
    _legend_outside(ax)
    fig.suptitle(f"{result.scenario.name}: {result.scenario.gates[gate].label} by hour of day")
    return fig


def _day_to_date(sc) -> Callable[[float], float]:
    """Day of the run (may be fractional) -> matplotlib date number."""
    start = mdates.date2num(dt.datetime.combine(sc.run.start_date, dt.time()))
    return lambda day: start + day


def _date_axis(ax: plt.Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


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
    if sc.run.warmup_days:
        ax.axvspan(
            to_date(0),
            to_date(sc.run.warmup_days),
            facecolor="none",
            hatch="//",
            edgecolor="white",
            label="warm-up",
        )
    _shade_events(ax, result, gate, x=to_date, outline=True)
    _date_axis(ax)
    ax.set_yticks(range(0, 25, 4))
    ax.set_xlabel("date")
    ax.set_ylabel("hour of day (Vietnam time)")
    ax.set_title(f"{sc.name}: {what} at {sc.gates[gate].label}, hour by date ({_mean_note(result)})")
    ax.plot([], [], color="none", label="colour: hourly mean")
    _legend_outside(ax)
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

    All 24 hours are drawn; the hours a stage is closed are left blank.
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
    ax.set_title(f"{run.scenario.name}: lane utilisation at {run.scenario.gates[gate].label}")
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
        ax.set_title(f"{name} (base {base:,.4g}{'%' if is_share(kpi) else ''})")
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


def comparison_queues(comp: Comparison, gate: str) -> Figure:
    """Trucks waiting at one gate over time, export and import, one line per scenario compared."""
    sc = comp.experiments[0].scenario
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, constrained_layout=True)
    for ax, direction in zip(axes, ("export", "import"), strict=True):
        for exp in comp.experiments:
            _line(ax, waiting_series(exp, gate, direction), exp.scenario.name)
        where = "road, yard and park" if direction == "export" else "road and yard"
        ax.set_ylabel("trucks waiting")
        ax.set_title(f"{sc.gates[gate].label}: {direction} trucks waiting ({where})")
        _shade_events(ax, comp.experiments[0], gate)
        ax.axvline(sc.run.warmup_days, color="0.5", ls=":", lw=1, label="end of warm-up")
        ax.set_ylim(bottom=0)
        _legend_outside(ax)
    axes[-1].set_xlabel("day of the run")
    n = comp.experiments[0].n
    note = f"mean of {n} replications, 95% band" if n > 1 else "one run each, no band"
    fig.suptitle(f"Queues of every scenario over time at {sc.gates[gate].label} (hourly means, {note})")
    return fig


def sweep_curve(sw: Sweep, kpi: str = "time_in_system_h_mean", target: float | None = None) -> Figure:
    """A KPI against the first varied key, one line per combination of the others, 95% band.

    Axes are named in words with units, shares in %; the reported figure (or *target*) is drawn.
    """
    table = sw.table()
    table = table[table["kpi"] == kpi]
    keys = list(sw.points[0])
    x_key, others = keys[0], keys[1:]
    sc = sw.base
    k = _scale(kpi)
    fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    groups = table.groupby(others, sort=False) if others else [((), table)]
    for values, g in groups:
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{lever_label(sc, o)} = {v}" for o, v in zip(others, values, strict=True))
        (line,) = ax.plot(g[x_key], g["mean"] * k, marker="o", label=label or "mean")
        ax.fill_between(
            g[x_key],
            g["ci_low"] * k,
            g["ci_high"] * k,
            color=line.get_color(),
            alpha=0.25,
            lw=0,
            label="95% band",
        )
    ref = reference(kpi, sc)
    if target is not None:
        ax.axhline(target * k, color="firebrick", ls="--", lw=1.2, label=f"target {target * k:,.4g}")
    elif ref is not None:
        low, high, text = ref
        if low == high:
            ax.axhline(low * k, color="firebrick", ls="--", lw=1.2, label=f"reported {text}")
        else:
            ax.axhspan(low * k, high * k, color="firebrick", alpha=0.12, label=f"reported {text}")
    ax.set_xlabel(lever_label(sc, x_key))
    ax.set_xticks(sorted(table[x_key].unique()))
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
    if isinstance(run, Run) or run.runs:
        figs["time_in_system"] = time_in_system(run)
        for gate in run.scenario.gates:
            figs[f"hourly_{gate}"] = hourly_profile(run, gate)
            if _has_lanes(run.scenario.gates[gate]):  # no stage enabled: no utilisation to draw
                figs[f"utilisation_{gate}"] = utilisation(run, gate)
    for gate in run.scenario.gates:
        figs[f"heatmap_yard_export_{gate}"] = queue_heatmap(run, gate, "yard_export")
    return figs
