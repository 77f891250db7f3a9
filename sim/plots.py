"""Figures of a run: queue lengths over time, trucks cleared per day, time in system.

Every function takes a :class:`~sim.results.Run` or an :class:`~sim.experiment.Experiment` (or a
comparison or sweep) and returns a matplotlib Figure with a title, axes labelled with units and a
legend; saving or showing it is the caller's choice.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.calendar import MIN_PER_DAY, minute_of
from sim.calibrate import Fit
from sim.experiment import Comparison, Experiment, Sweep
from sim.results import Run, place_label, stage_places
from sim.scenario import LANE_STAGES, CapacityEvent, ClosureEvent, DemandEvent, Gate

Result = Run | Experiment


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


def _shade_events(ax: plt.Axes, result: Result, gate: str) -> None:
    """Shade closures (grey), capacity disruptions (orange) and demand events (green) at *gate*."""
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
        ax.axvspan(a, b, color=color, alpha=0.25, lw=0, label=None if label in seen else label)
        seen.add(label)


def queue_lengths(run: Result, gate: str) -> Figure:
    """Road queue, yard occupancy and stage queues at one gate over the run (hourly means).

    For an experiment, the lines are means over replications with a 95% band.
    """
    table = _queue_table(run)
    q = table[table["gate"] == gate]
    label = run.scenario.gates[gate].label
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, constrained_layout=True)
    ax = axes[0]
    for place in ("road_export", "road_import"):
        _line(ax, q[q["place"] == place], place.replace("_", " "))
    ax.set_ylabel("trucks waiting on the road")
    km_per_truck = run.scenario.gates[gate].road_m_per_truck / 1000
    sec = ax.secondary_yaxis("right", functions=(lambda x: x * km_per_truck, lambda k: k / km_per_truck))
    sec.set_ylabel("road queue (km)")
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
        ax.axvline(run.scenario.run.warmup_days, color="0.5", ls=":", lw=1)
        ax.legend(loc="upper right", fontsize="small")
        ax.set_ylim(bottom=0)
    what = f"mean of {run.n} replications, 95% band" if isinstance(run, Experiment) else "one run"
    fig.suptitle(f"{run.scenario.name}: queue lengths at {label} (hourly means, {what}; dotted: warm-up end)")
    return fig


def daily_cleared(run: Result) -> Figure:
    """Trucks cleared per day by gate, stacked, against the reported mean and peak lines.

    For an experiment, bars are means over replications and the whiskers a 95% interval of the total.
    """
    d = run.daily
    n = run.n if isinstance(run, Experiment) else 1
    table = d.groupby(["date", "gate"], observed=True)["cleared"].sum().unstack("gate") / n
    fig, ax = plt.subplots(figsize=(11, 4.5), constrained_layout=True)
    bottom = np.zeros(len(table))
    for gate in table.columns:
        ax.bar(table.index, table[gate], bottom=bottom, width=0.9, label=run.scenario.gates[gate].label)
        bottom += table[gate].to_numpy()
    if n > 1:
        from sim.stats import t_half_width

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
    warm_end = table.index[0] + np.timedelta64(run.scenario.run.warmup_days, "D")
    ax.axvspan(table.index[0], warm_end, color="0.9", label="warm-up")
    ax.set_ylabel("trucks cleared per day")
    ax.set_xlabel("date")
    ax.set_title(f"{run.scenario.name}: trucks cleared per day, both directions")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def time_in_system(result: Result) -> Figure:
    """Cumulative distribution of time in system by cargo class, with the perishable threshold.

    For an experiment, the first replication kept in full is shown.
    """
    run = _sample_run(result)
    tr = run.trucks
    done = tr[(tr["outcome"] == "cleared") & (tr["arrival_min"] >= run.warmup_min)]
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    for cargo in run.scenario.cargo_classes:
        x = np.sort(done.loc[done["cargo"] == cargo, "time_in_system_h"].to_numpy())
        if x.size:
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", label=f"{cargo} ({x.size:,} trucks)")
    thr = run.scenario.kpi.perishable_threshold_h
    ax.axvline(thr, color="firebrick", ls="--", lw=1, label=f"perishable threshold {thr:g} h")
    ax.set_xscale("log")
    ax.set_xlabel("time in system, arrival to departure (h, log scale)")
    ax.set_ylabel("share of trucks cleared within")
    ax.set_title(f"{run.scenario.name}: time in system by cargo class")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def _hour_of_day(table: pd.DataFrame) -> pd.Series:
    return (table["time_h"] % 24).astype(int)


def hourly_profile(result: Result, gate: str) -> Figure:
    """Arrivals and queues by hour of day at one gate (means over the days after the warm-up)."""
    run = _sample_run(result)
    tr = run.trucks[(run.trucks["gate"] == gate) & (run.trucks["arrival_min"] >= run.warmup_min)]
    days = run.scenario.run.days - run.scenario.run.warmup_days
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    ax = axes[0]
    hour = (tr["arrival_min"] % MIN_PER_DAY // 60).astype(int)
    for direction, g in hour.groupby(tr["direction"], observed=True):
        counts = np.bincount(g, minlength=24) / days
        ax.step(np.arange(25), np.append(counts, counts[-1]), where="post", label=direction)
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("trucks arriving per hour")
    ax.set_title("arrivals by hour of day")
    ax.legend(loc="upper left", fontsize="small")
    ax = axes[1]
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["time_h"] >= run.warmup_min / 60)]
    by_hour = q.groupby([_hour_of_day(q), "place"])["queue_mean"].mean().unstack("place")
    for place in by_hour.columns:
        if by_hour[place].max() > 0.5:
            ax.plot(by_hour.index, by_hour[place], label=place.replace("_", " "))
    ax.set_xlabel("hour of day (Vietnam time)")
    ax.set_ylabel("trucks waiting (or in the yard)")
    ax.set_title("queues by hour of day")
    ax.legend(loc="upper left", fontsize="small", ncol=2)
    fig.suptitle(f"{result.scenario.name}: {result.scenario.gates[gate].label} by hour of day")
    return fig


def queue_heatmap(result: Result, gate: str, place: str = "yard_export") -> Figure:
    """Hour x day heat map of one queue at one gate (hourly means)."""
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["place"] == place)]
    grid = q.pivot_table(index=_hour_of_day(q), columns=(q["time_h"] // 24).astype(int), values="queue_mean")
    fig, ax = plt.subplots(figsize=(12, 4.5), constrained_layout=True)
    image = ax.imshow(
        grid.to_numpy(),
        aspect="auto",
        origin="lower",
        cmap="viridis",
        extent=(grid.columns.min() - 0.5, grid.columns.max() + 0.5, -0.5, 23.5),
    )
    fig.colorbar(image, ax=ax, label=f"{place.replace('_', ' ')} (trucks)")
    ax.set_xlabel("day of the run")
    ax.set_ylabel("hour of day (Vietnam time)")
    label = result.scenario.gates[gate].label
    ax.set_title(f"{result.scenario.name}: {place.replace('_', ' ')} at {label}, hour by day")
    ax.plot([], [], color="none", label="colour: hourly mean")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def utilisation(result: Result, gate: str) -> Figure:
    """Lane utilisation (busy time over open time) by stage and hour of day at one gate."""
    run = _sample_run(result)
    q = run.queues
    q = q[(q["gate"] == gate) & q["utilisation"].notna() & (q["time_h"] >= run.warmup_min / 60)]
    grid = q.groupby(["place", _hour_of_day(q)])["utilisation"].mean().unstack()
    grid = grid.reindex([s for s in stage_places(run.scenario, gate) if s in grid.index])
    fig, ax = plt.subplots(figsize=(12, 4), constrained_layout=True)
    image = ax.imshow(
        grid.to_numpy(),
        aspect="auto",
        cmap="magma",
        vmin=0,
        vmax=1,
        extent=(-0.5, 23.5, len(grid) - 0.5, -0.5),
    )
    fig.colorbar(image, ax=ax, label="utilisation (share of open lane time busy)")
    ax.set_yticks(range(len(grid)), [place_label(run.scenario, gate, s) for s in grid.index])
    ax.set_xlabel("hour of day (Vietnam time; blank: closed)")
    ax.set_ylabel("stage")
    ax.set_title(f"{run.scenario.name}: lane utilisation at {run.scenario.gates[gate].label}")
    ax.plot([], [], color="none", label="colour: mean over days")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def comparison(comp: Comparison, kpis: list[str] | None = None) -> Figure:
    """Paired differences against the first scenario, with 95% intervals, one panel per KPI."""
    d = comp.differences()
    kpis = kpis or ["time_in_system_h_mean", "cleared_per_day_mean", "perishable_over_threshold_share"]
    fig, axes = plt.subplots(
        len(kpis),
        1,
        figsize=(8, 1.2 + 1.4 * len(kpis) * max(1, len(comp.names) - 1) / 2),
        constrained_layout=True,
        squeeze=False,
    )
    for ax, kpi in zip(axes[:, 0], kpis, strict=True):
        rows = d[d["kpi"] == kpi]
        y = np.arange(len(rows))
        err = np.vstack([rows["diff_mean"] - rows["diff_ci_low"], rows["diff_ci_high"] - rows["diff_mean"]])
        ax.errorbar(rows["diff_mean"], y, xerr=err, fmt="o", capsize=4, label="mean difference, 95% interval")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, rows["scenario"])
        ax.set_xlabel(f"{kpi}: scenario minus {comp.names[0]}")
        ax.set_ylabel("scenario")
        ax.set_title(f"{kpi} (base {rows['base_mean'].iloc[0]:.4g})" if len(rows) else kpi)
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(
        f"Paired comparison with {comp.names[0]} "
        f"({comp.experiments[0].n} replications, common random numbers)"
    )
    return fig


def sweep_curve(sw: Sweep, kpi: str = "time_in_system_h_mean") -> Figure:
    """A KPI against the first varied key, one line per combination of the others, 95% band."""
    table = sw.table()
    table = table[table["kpi"] == kpi]
    keys = list(sw.points[0])
    x_key, others = keys[0], keys[1:]
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    groups = table.groupby(others, sort=False) if others else [((), table)]
    for values, g in groups:
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k}={v}" for k, v in zip(others, values, strict=True)) or kpi
        (line,) = ax.plot(g[x_key], g["mean"], marker="o", label=label)
        ax.fill_between(g[x_key], g["ci_low"], g["ci_high"], color=line.get_color(), alpha=0.25, lw=0)
    ax.set_xlabel(x_key)
    ax.set_ylabel(f"{kpi} (mean, 95% band)")
    ax.set_title(f"{sw.base.name}: {kpi}\nagainst {x_key} ({sw.experiments[0].n} replications a point)")
    ax.legend(loc="best", fontsize="small")
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
