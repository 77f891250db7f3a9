"""What ``bordersim screen`` writes: the Morris ranking as markdown and a mu*-sigma figure per KPI."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.studies.morris import MorrisScreen

TOP_FACTORS = 3
"""How many factors the sentence under each KPI's table names."""


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    a = abs(x)
    if a == 0:
        return "0"
    return f"{x:.3g}" if a < 100 else f"{x:,.0f}"


def _cpu(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def screen_markdown(screen: MorrisScreen, days: int, units: Mapping[str, str] | None = None) -> str:
    """The screen as markdown: a header with its size and cost, then per KPI a table (factor, mu*,
    its 95% half-width, sigma, rank) and a sentence naming the unknowns that move it most."""
    units = units or {}
    k = len(screen.factors)
    lines = [
        f"Morris screen of {k} unknowns: {screen.n_points} points (r = {screen.r} trajectories x "
        f"{k + 1}), {screen.levels} levels, {screen.replications} replication"
        f"{'s' if screen.replications != 1 else ''} a point on common random numbers, {days} days a run, "
        f"{_cpu(screen.cpu_s)} of CPU time (seed {screen.seed}). mu* is the mean absolute elementary "
        "effect, in the KPI's unit per the factor's whole range (each step moves a factor by 2/3 of "
        "its range at 4 levels and the change is scaled to the whole range, so for a share it can "
        "exceed 1); ± 95% is SALib's bootstrap interval of mu*, whose low end is 0 where mu* less "
        "the half-width would fall below it (mu* is never negative); sigma is the spread of the effects "
        "(large against mu*: the effect depends on where the other factors are).",
    ]
    for note in screen.notes:
        lines += ["", f"Note: {note}."]
    for kpi in screen.kpis:
        table = screen.of(kpi)
        if table.mu_star.isna().all():
            continue
        unit = units.get(kpi, "")
        shown = f" ({unit})" if unit else ""
        lines += [
            "",
            f"**{kpi}**{shown}",
            "",
            "| factor | mu* | ± 95% | sigma | rank |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in table.itertuples():
            lines.append(
                f"| `{r.factor}` | {_num(r.mu_star)} | {_num(r.mu_star_conf)} | {_num(r.sigma)} | {r.rank} |"
            )
        top = screen.top(kpi, TOP_FACTORS)
        if not top:
            lines += ["", f"No unknown moves {kpi} on this design."]
            continue
        lines += ["", order_sentence(kpi, table, top)]
    return "\n".join(lines)


def order_sentence(kpi: str, table: Any, top: list[str]) -> str:
    """The largest mu* of *kpi*, and how far the ranking is resolved: which factors could move the
    KPI as much as the largest (their interval reaches the largest one's low end) and how many
    move it less (their interval lies below it)."""
    by = table.set_index("factor")
    named = ", ".join(f"`{f}` ({_num(float(by.mu_star[f]))})" for f in top)
    text = f"{kpi}: the largest mu* are {named}."
    ranked = table.sort_values("mu_star", ascending=False)
    mu = ranked["mu_star"].to_numpy(dtype=float)
    conf = ranked["mu_star_conf"].fillna(0).to_numpy(dtype=float)
    factors = list(ranked["factor"])
    floor = max(mu[0] - conf[0], 0.0)  # mu* is never negative: nor is its interval's low end
    # A factor whose mu* is 0 (no effect on this design) moves nothing, whatever the top one's interval.
    rivals = [f for f, m, c in zip(factors[1:], mu[1:], conf[1:], strict=True) if m > 0 and m + c >= floor]
    below = len(factors) - 1 - len(rivals)
    if not rivals:
        if mu[0] - conf[0] <= 0:  # the others do not move it, and its own interval reaches 0
            return text + (
                f" `{factors[0]}` alone moves it on this design, though its interval reaches 0: more "
                "trajectories would tell whether it does."
            )
        return (
            text
            + f" `{factors[0]}` moves it more than any other (its interval lies above every other one's)."
        )
    shown = ", ".join(f"`{f}`" for f in rivals[:5]) + (
        f" and {len(rivals) - 5} more" if len(rivals) > 5 else ""
    )
    rest = f"the other {below} move it less" if below else "no other moves it less"
    return (
        text + f" The order at the top is not resolved at this r: {shown} could move it as much as "
        f"`{factors[0]}` (their intervals reach its interval); {rest}."
    )


def screen_figure(screen: MorrisScreen) -> Any:
    """One panel per KPI: mu* (x) against sigma (y), both from 0, each factor labelled."""
    import matplotlib.pyplot as plt

    kpis = [k for k in screen.kpis if not screen.of(k).mu_star.isna().all()]
    cols = min(3, max(1, len(kpis)))
    rows = max(1, math.ceil(len(kpis) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(kpis) :]:
        fig.delaxes(ax)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        table = screen.of(kpi)
        ax.scatter(table.mu_star, table.sigma, s=18, color="tab:blue")
        for r in table.itertuples():
            ax.annotate(r.factor, (r.mu_star, r.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points")
        top_x = float(table.mu_star.max()) or 1.0
        top_y = float(table.sigma.max()) or 1.0
        ax.set_xlim(0, top_x * 1.25)
        ax.set_ylim(0, top_y * 1.2)
        ax.set_title(kpi, fontsize=9)
        ax.set_xlabel("mu* (KPI units per full range)")
        ax.set_ylabel("sigma")
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"Morris screen: {screen.n_points} points, r = {screen.r}, {screen.levels} levels", fontsize=10
    )
    fig.tight_layout()
    return fig
