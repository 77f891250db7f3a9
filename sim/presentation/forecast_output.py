"""What a forecast writes and prints: forecast.csv, what it started from, what it assumed, a fan
figure per gate and the same tables in a workbook; a short summary on the console."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.presentation.figure_files import save_png
from sim.presentation.glossary import LANGS, assumption_text, gate_name, tr
from sim.presentation.output import atomic_dir, write_workbook
from sim.studies.forecast import Forecast
from sim.world.calendar import MIN_PER_DAY
from sim.world.state_files import clock_text


def held_total(fc: Forecast) -> pd.DataFrame:
    """The rows of trucks held in all the places the scenario counts, by gate and direction."""
    t = fc.table
    return t[(t["quantity"] == "held") & (t["place"] == "total")]


def next_clock(fc: Forecast, clock_min: float) -> str:
    """The first time at *clock_min* past midnight at or after the forecast's start."""
    day = fc.at_min // MIN_PER_DAY
    at = day * MIN_PER_DAY + clock_min
    if at < fc.at_min:
        at += MIN_PER_DAY
    return clock_text(fc.scenario, at)


def forecast_figure(fc: Forecast, gate: str, lang: str = "en", recent: pd.DataFrame | None = None) -> Any:
    """Trucks held at *gate* hour by hour, one panel per direction: the median and the 50% and 90%
    bands over replications; the x axis is hours after the state's time. With *recent* (see
    :func:`sim.world.state_files.read_recent`) the held counts before it come first, in black."""
    import matplotlib.pyplot as plt

    rows = held_total(fc)
    rows = rows[rows["gate"] == gate]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    for ax, direction in zip(axes, ("export", "import"), strict=True):
        mine = rows[rows["direction"] == direction]
        hours = (pd.to_datetime(mine["time"]) - pd.Timestamp(fc.as_of)).dt.total_seconds() / 3600
        ax.fill_between(
            hours, mine["q05"], mine["q95"], alpha=0.2, label=tr("forecast.band", lang, low=5, high=95)
        )
        ax.fill_between(
            hours, mine["q25"], mine["q75"], alpha=0.35, label=tr("forecast.band", lang, low=25, high=75)
        )
        ax.plot(hours, mine["q50"], label=tr("forecast.median", lang))
        start = 0.0
        if recent is not None:
            past = recent[(recent["gate"] == gate) & (recent["direction"] == direction)].sort_values("hours")
            if len(past):
                ax.plot(past["hours"], past["held"], color="black", label=tr("forecast.recent", lang))
                start = min(float(past["hours"].min()), 0.0)
        ax.axvline(0, color="0.5", linewidth=0.8)
        ax.set_title(tr(direction, lang))
        ax.set_xlabel(f"h ({fc.as_of} = 0)")
        ax.set_xlim(start, fc.hours)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(tr("forecast.held", lang))
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(tr("forecast.title", lang, gate=gate_name(fc.scenario, gate, lang), as_of=fc.as_of))
    fig.tight_layout()
    return fig


def write_forecast(
    fc: Forecast,
    outdir: str | Path,
    force: bool = False,
    lang: str = "en",
    report: bool = False,
    recent: pd.DataFrame | None = None,
) -> Path:
    """Write forecast.csv, started_with.csv, assumptions.txt, forecast.xlsx, a figure per gate and,
    with *report*, the report in *lang*."""
    import matplotlib.pyplot as plt

    with atomic_dir(outdir, force) as tmp:
        fc.table.to_csv(tmp / "forecast.csv", index=False)
        fc.started_with.to_csv(tmp / "started_with.csv", index=False)
        lines = [
            f"as_of: {fc.as_of}",
            f"hours: {fc.hours}",
            f"replications: {fc.n}",
            f"declarations used: {fc.declared_used}",
            f"held_clock: {fc.scenario.kpi.held_clock}",
            # The gates' names in each language, for a report written from this folder alone.
            "gate_names: "
            + json.dumps({g: {lg: gate_name(fc.scenario, g, lg) for lg in LANGS} for g in fc.scenario.gates}),
            # The assumptions as data, so that a report in another language says them in its own.
            "assumptions_data: " + json.dumps([list(a) for a in fc.assumptions], default=float),
            "assumptions:",
        ]
        lines += [f"- {assumption_text(a, lang)}" for a in fc.assumptions]
        (tmp / "assumptions.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        write_workbook(tmp / "forecast.xlsx", {"forecast": fc.table, "started_with": fc.started_with})
        (tmp / "plots").mkdir()
        for gate in fc.scenario.gates:
            fig = forecast_figure(fc, gate, lang, recent)
            save_png(fig, tmp / "plots" / f"forecast_{gate}.png", dpi=100)
            plt.close(fig)
        if report:
            from sim.presentation.report import write_report

            write_report(tmp, lang)
    return Path(outdir)


def backtest_figure(bt: Any, lang: str = "en") -> Any:
    """Observed coverage of the 50% and 90% bands by horizon, each quantity a line, with the
    binomial 95% range for the number of cuts shaded around the nominal."""
    import matplotlib.pyplot as plt

    cov = bt.coverage
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    hourly = cov[cov["horizon_h"].map(lambda h: isinstance(h, (int, float)))]
    for ax, nominal in zip(axes, (0.5, 0.9), strict=True):
        mine = hourly[hourly["nominal"] == nominal]
        if len(mine):
            band = mine.groupby("horizon_h")[["low", "high"]].first()
            ax.fill_between(
                band.index.astype(float),
                band["low"],
                band["high"],
                color="0.85",
                label=f"binomial 95%, n = {int(mine['n'].max())}",
            )
        ax.axhline(nominal, color="0.4", linestyle="--", linewidth=1)
        for q, g in mine.groupby("quantity"):
            ax.plot(g["horizon_h"].astype(float), g["observed"], marker="o", markersize=3, label=q)
        ax.set_xscale("log")
        ax.set_xlabel("hours ahead")
        ax.set_title(f"{nominal:.0%} band")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("share of cuts inside the band")
    axes[1].legend(fontsize=7, loc="lower left", ncol=2)
    fig.suptitle(f"Backtest: {bt.cuts} cuts, {bt.n} replications each, {bt.truths} truths")
    fig.tight_layout()
    return fig


def write_backtest(bt: Any, outdir: str | Path, force: bool = False) -> Path:
    """Write coverage.csv, skill.csv, points.csv (every cut and quantity) and plots/coverage.png."""
    import matplotlib.pyplot as plt

    with atomic_dir(outdir, force) as tmp:
        bt.coverage.to_csv(tmp / "coverage.csv", index=False)
        bt.skill.to_csv(tmp / "skill.csv", index=False)
        bt.points.to_csv(tmp / "points.csv", index=False)
        (tmp / "notes.txt").write_text("\n".join(bt.notes) + "\n", encoding="utf-8")
        (tmp / "plots").mkdir()
        fig = backtest_figure(bt)
        save_png(fig, tmp / "plots" / "coverage.png", dpi=100)
        plt.close(fig)
    return Path(outdir)


def backtest_markdown(bt: Any, command: str) -> str:
    """The backtest's coverage and skill as Markdown tables, with the command that made them."""
    cov = bt.coverage
    lines = [f"Made by `{command}`: {bt.cuts} cuts of {bt.truths} truths, {bt.n} replications each.", ""]
    for note in bt.notes:
        lines.append(f"- {note}")
    lines += ["", "| quantity | hours ahead | 50% band | 90% band | n |", "|---|---:|---|---|---:|"]
    for (q, h), g in cov.groupby(["quantity", "horizon_h"], sort=False):
        cells = []
        for nominal in (0.5, 0.9):
            r = g[g["nominal"] == nominal].iloc[0]
            mark = "" if r["inside"] else " **outside**"
            cells.append(f"{r['observed']:.0%} ({r['low']:.0%}-{r['high']:.0%}){mark}")
        lines.append(f"| {q} | {h} | {cells[0]} | {cells[1]} | {int(g['n'].iloc[0])} |")
    lines += [
        "",
        "| quantity | hours ahead | MAE forecast | MAE naive-today | MAE naive-mean | better than both |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in bt.skill.itertuples():
        lines.append(
            f"| {r.quantity} | {r.horizon_h} | {r.mae_forecast:.2f} | {r.mae_naive_today:.2f} | "
            f"{r.mae_naive_mean:.2f} | {'yes' if r.beats_both else 'no'} |"
        )
    return "\n".join(lines)
