"""A table and a figure of key KPIs across many scenarios, each with its question.

``bordersim table FILES --readme docs/scenarios.md`` runs every scenario on common random
numbers and writes the table (and, with ``--readme``, puts it between that page's markers), so
the numbers shown are always the model's, never typed by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.experiment import Experiment

COLUMNS = {
    "cleared_per_day_mean": ("cleared/day", "{:,.0f}"),
    "time_in_system_h_mean_export": ("exports: time in system (h)", "{:.2f}"),
    "procedure_h_mean_export": ("exports: procedure (h)", "{:.2f}"),
    "time_in_system_h_mean_import": ("imports: time in system (h)", "{:.2f}"),
    "perishable_over_threshold_share": ("perishables > threshold", "{:.1%}"),
    "held_at_20h_export_mean": ("exports held at 20:00", "{:,.0f}"),
    "road_queue_km_max": ("max road queue (km)", "{:.1f}"),
    "backlog_end": ("inside at the end", "{:,.0f}"),
}


def _with_road_total(exp: Experiment) -> pd.DataFrame:
    k = exp.kpis.copy()
    cols = [c for c in k.columns if c.startswith("road_queue_km_max_")]
    k["road_queue_km_max"] = k[cols].max(axis=1)
    return k


def library_table(experiments: Sequence[Experiment]) -> pd.DataFrame:
    """One row per scenario and KPI: mean and 95% interval."""
    from sim.experiments.stats import summarise

    rows = []
    for exp in experiments:
        s = summarise(_with_road_total(exp).reindex(columns=list(COLUMNS))).reset_index()
        s.insert(0, "scenario", exp.scenario.name)
        s.insert(1, "question", exp.scenario.question)
        rows.append(s)
    return pd.concat(rows, ignore_index=True)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown, one row per scenario, ``mean [low, high]`` in each cell."""
    head = "| scenario | " + " | ".join(label for label, _ in COLUMNS.values()) + " | n |"
    lines = [head, "|---" * (len(COLUMNS) + 2) + "|"]
    for name, g in table.groupby("scenario", sort=False):
        g = g.set_index("kpi")
        cells = []
        for kpi, (_, spec) in COLUMNS.items():
            r = g.loc[kpi]
            if np.isnan(r["mean"]):
                cells.append("-")
                continue
            cell = spec.format(r["mean"])
            if r["n"] > 1 and not np.isnan(r["ci_low"]):
                cell += f" [{spec.format(r['ci_low'])}, {spec.format(r['ci_high'])}]"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {int(g['n'].max())} |")
    return "\n".join(lines)


def library_figure(table: pd.DataFrame) -> Figure:
    """Mean time in system and maximum road queue per scenario, with 95% intervals."""
    fig, axes = plt.subplots(
        1, 2, figsize=(12, 0.9 + 0.45 * table["scenario"].nunique()), constrained_layout=True
    )
    for ax, kpi, label in (
        (axes[0], "time_in_system_h_mean_export", "exports: mean time in system (h)"),
        (axes[1], "road_queue_km_max", "largest road queue at a gate, either direction (km)"),
    ):
        rows = table[table["kpi"] == kpi].iloc[::-1]
        y = np.arange(len(rows))
        err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
        ax.barh(y, rows["mean"], color="tab:blue", alpha=0.7, label="mean")
        ax.errorbar(
            rows["mean"], y, xerr=np.nan_to_num(err), fmt="none", ecolor="k", capsize=3, label="95% interval"
        )
        ax.set_yticks(y, rows["scenario"])
        ax.set_xlabel(label)
        ax.set_ylabel("scenario")
        ax.set_title(label)
        ax.legend(loc="lower right", fontsize="small")
    n = int(table["n"].max())
    fig.suptitle(f"Scenario library: {n} replications each, common random numbers")
    return fig


def put_in_readme(text: str, readme: str, marker: str = "scenario-table") -> str:
    """*readme* with *text* between its ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(readme):
        raise ValueError(f"the file has no {start} ... {end} markers")
    return pattern.sub(lambda _: f"{start}\n{text}\n{end}", readme)
