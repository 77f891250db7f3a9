"""Figures of a run: queue lengths over time, trucks cleared per day, time in system.

Every function takes a :class:`~sim.results.Run` and returns a matplotlib Figure with a title,
axes labelled with units and a legend; saving or showing it is the caller's choice.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.calendar import MIN_PER_DAY, minute_of
from sim.results import Run
from sim.scenario import STAGES, ClosureEvent


def _shade_closures(ax: plt.Axes, run: Run, gate: str) -> None:
    """Grey bands where the scenario closes the gate (all stages or some)."""
    labelled = False
    for ev in run.scenario.events:
        if isinstance(ev, ClosureEvent) and (ev.gates is None or gate in ev.gates):
            a = minute_of(run.scenario, ev.start) / MIN_PER_DAY
            b = minute_of(run.scenario, ev.end) / MIN_PER_DAY
            ax.axvspan(a, b, color="0.85", label=None if labelled else "closure")
            labelled = True


def queue_lengths(run: Run, gate: str) -> Figure:
    """Road queue, yard occupancy and stage queues at one gate over the run (hourly means)."""
    q = run.queues[run.queues["gate"] == gate]
    label = run.scenario.gates[gate].label
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True, constrained_layout=True)
    days = lambda frame: frame["time_h"] / 24  # noqa: E731
    ax = axes[0]
    for place in ("road_export", "road_import"):
        s = q[q["place"] == place]
        ax.plot(days(s), s["queue_mean"], label=place.replace("_", " "))
    ax.set_ylabel("trucks waiting on the road")
    km_per_truck = run.scenario.gates[gate].road_m_per_truck / 1000
    sec = ax.secondary_yaxis("right", functions=(lambda x: x * km_per_truck, lambda k: k / km_per_truck))
    sec.set_ylabel("road queue (km)")
    ax.set_title(f"{label}: road queue")
    ax = axes[1]
    for place in ("yard_export", "yard_import"):
        s = q[q["place"] == place]
        ax.plot(days(s), s["queue_mean"], label=place.replace("_", " "))
    ax.set_ylabel("trucks in the yard")
    ax.set_title(f"{label}: yard occupancy (overflow included)")
    ax = axes[2]
    for stage in STAGES:
        s = q[q["place"] == stage]
        if not s.empty and s["queue_mean"].max() > 0:
            ax.plot(days(s), s["queue_mean"], label=stage.replace("_", " "), lw=0.9)
    ax.set_ylabel("trucks waiting")
    ax.set_title(f"{label}: queues at each stage")
    ax.set_xlabel("day of the run")
    for ax in axes:
        _shade_closures(ax, run, gate)
        ax.axvline(run.scenario.run.warmup_days, color="0.5", ls=":", lw=1)
        ax.legend(loc="upper right", fontsize="small")
        ax.set_ylim(bottom=0)
    fig.suptitle(f"{run.scenario.name}: queue lengths at {label} (hourly means; dotted: end of warm-up)")
    return fig


def daily_cleared(run: Run) -> Figure:
    """Trucks cleared per day by gate, stacked, against the reported mean and peak lines."""
    d = run.daily
    table = d.groupby(["date", "gate"], observed=True)["cleared"].sum().unstack("gate")
    fig, ax = plt.subplots(figsize=(11, 4.5), constrained_layout=True)
    bottom = np.zeros(len(table))
    for gate in table.columns:
        ax.bar(table.index, table[gate], bottom=bottom, width=0.9, label=run.scenario.gates[gate].label)
        bottom += table[gate].to_numpy()
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


def time_in_system(run: Run) -> Figure:
    """Cumulative distribution of time in system by cargo class, with the perishable threshold."""
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


def run_figures(run: Run) -> dict[str, Figure]:
    """The standard figures of a run, keyed by file stem."""
    figs = {f"queues_{gate}": queue_lengths(run, gate) for gate in run.scenario.gates}
    figs["daily_cleared"] = daily_cleared(run)
    figs["time_in_system"] = time_in_system(run)
    return figs
