"""What the joint calibration writes: tables, its section of the docs, the fitted scenario, a figure."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.joint import RIDGE, VERDICT_RULE, JointFit, Target
from sim.world.yaml_guard import guarded_dump


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    a = abs(x)
    return f"{x:.3f}" if a < 1 else f"{x:.2f}" if a < 100 else f"{x:,.0f}"


def parameter_table(fit: JointFit) -> str:
    """Markdown: every candidate parameter, fitted (value and se) or fixed, and why."""
    lines = ["| parameter | value (se) | range | status | why |", "|---|---|---|---|---|"]
    for r in fit.values.itertuples():
        se = f" ({_num(r.se)})" if r.status == "fitted" else ""
        span = f"{_num(r.low)}-{_num(r.high)}"
        lines.append(f"| `{r.parameter}` | {_num(r.value)}{se} | {span} | {r.status} | {r.reason} |")
    return "\n".join(lines)


def screen_table(fit: JointFit) -> str:
    """Markdown: the screen's effect of each candidate (low to high end) on each target that steers
    the joint fit, in units of the target's scale, with its standard error over replications."""
    if fit.screen is None:
        return ""
    e = fit.screen.effects
    names = list(dict.fromkeys(e["target"]))
    lines = [
        "Screen (each candidate alone from the low to the high end of its range, same seeds; effect in "
        "target scales = half the band, +- se):",
        "",
        "| parameter | " + " | ".join(f"`{t}`" for t in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for p, g in e.groupby("parameter", sort=False):
        cells = [f"{r.effect:+.2f} +- {r.se:.2f}" for r in g.set_index("target").loc[names].itertuples()]
        lines.append(f"| `{p}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def design_table(fit: JointFit) -> pd.DataFrame:
    """The design points (natural values) and each target's mean and sd over replications."""
    out = pd.DataFrame({p.name: [p.natural(c) for c in fit.design_x[:, j]] for j, p in enumerate(fit.fitted)})
    for name, y in fit.design_y.items():
        out[f"{name}_mean"] = y.mean(axis=1)
        out[f"{name}_sd"] = y.std(axis=1, ddof=1) if y.shape[1] > 1 else np.nan
    return out


def target_markdown(fit: JointFit, targets: list[Target]) -> str:
    """Markdown: every fit target as simulated mean [95% interval] (n) against its band, and verdict."""
    by = {t.name: t for t in targets}
    lines = [
        "| target | reported | band | simulated [95% interval] | n | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in fit.table.itertuples():
        t = by[r.target]
        aim = f", aim {_num(r.aim)}" if r.aim is not None and r.aim == r.aim else ""
        lines.append(
            f"| `{r.target}` | {t.reported} | {_num(r.band_low)}-{_num(r.band_high)}{aim} | "
            f"{_num(r.simulated)} [{_num(r.ci_low)}, {_num(r.ci_high)}] | {r.n} | {r.verdict} |"
        )
    return "\n".join(lines)


def summary_markdown(
    fit: JointFit, targets: list[Target], n: int, demand_rows: pd.DataFrame | None, wall_min: float
) -> str:
    """Its section of docs/calibration.md: parameters, targets, conflicts, held-out figures, how run."""
    fitted = [p.name for p in fit.fitted]
    parts = [
        f"Joint calibration of `{fit.scenario.source or fit.scenario.name}` "
        f"({fit.scenario.run.days} days, {fit.scenario.run.warmup_days} of warm-up) to "
        "`scenarios/targets.yaml`. Every design point and the screen run on the same seeds "
        f"(common random numbers), {n} replications each; a quadratic surface per target by weighted "
        "least squares (of log(1 + value) for counts and hours); the fitted values minimise the sum of "
        f"squared tolerance-scaled misses plus {RIDGE:g} x the squared coded distance from the starting "
        "values (a target out of reach of every fitted value is reported, not chased); "
        "standard errors from refitting on bootstrap resamples of the replications. The check "
        f"replicates the fitted scenario on fresh seeds. Wall time {wall_min:.0f} min.",
        "",
    ]
    if demand_rows is not None and len(demand_rows):
        parts += ["Step 1, demand (base trucks per day per gate and direction, day-to-day cv):", ""]
        parts += ["| parameter | value (se) |", "|---|---|"]
        parts += [f"| {r.parameter} | {_num(r.value)} ({_num(r.se)}) |" for r in demand_rows.itertuples()]
        parts.append("")
    parts += [
        "Step 2, the ASSUMPTION parameters: "
        + (f"fitted {', '.join(f'`{f}`' for f in fitted)}." if fitted else "none fitted."),
        "",
        parameter_table(fit),
        "",
        screen_table(fit),
        "",
        f"Targets (role `fit`) against the calibrated model; verdict: {VERDICT_RULE}.",
        "",
        target_markdown(fit, targets),
        "",
    ]
    if fit.conflicts:
        parts += ["**The targets cannot all hold at once:**", ""]
        parts += [f"- {c}" for c in fit.conflicts]
    else:
        parts.append("The fitted surfaces meet every fit target's band at once.")
    held = [t for t in targets if t.role == "holdout"]
    if held:
        parts += [
            "",
            "Held out of the fit, for validation only: "
            + "; ".join(f"`{t.name}` ({t.reported})" for t in held)
            + ".",
        ]
    return "\n".join(parts)


def calibrated_yaml(fit: JointFit, demand_rows: pd.DataFrame | None = None) -> str:
    """The fitted scenario as a file, with every fitted value and its se in the header."""
    lines = [
        "# Calibrated by `bordersim calibrate` to scenarios/targets.yaml; fitted values (standard error):"
    ]
    if demand_rows is not None:
        lines += [f"#   {r.parameter}: {r.value:.4g} ({r.se:.2g})" for r in demand_rows.itertuples()]
    for r in fit.values.itertuples():
        if r.status == "fitted":
            lines.append(f"#   {r.parameter}: {r.value:.4g} ({r.se:.2g})")
        else:
            lines.append(f"#   {r.parameter}: {r.value:.4g}, fixed ({r.reason.removeprefix('fixed: ')})")
    for c in fit.conflicts:
        lines.append(f"# target missed: {c}")
    body = guarded_dump(fit.scenario.to_dict())
    return "\n".join(lines) + "\n" + body


def figure(fit: JointFit, targets: list[Target]) -> Any:
    """Response of each moved fit target to each fitted parameter: the surface through the fitted
    point (others held there), the design means, the band, and the fitted value."""
    import matplotlib.pyplot as plt

    by = {t.name: t for t in targets}
    k = len(fit.fitted)
    moved = [
        name for name, y in fit.design_y.items() if k and np.ptp(y.mean(axis=1)) >= 0.25 * by[name].spread
    ] or list(fit.design_y)[:1]
    if not k:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.set_title("no parameter fitted")
        ax.set_xlabel("")
        ax.axis("off")
        return fig
    x_opt = np.array([p.coded(v) for p, v in zip(fit.fitted, _fitted_values(fit), strict=True)])
    fig, axes = plt.subplots(len(moved), k, figsize=(4 * k, 2.8 * len(moved)), squeeze=False)
    for i, name in enumerate(moved):
        t = by[name]
        for j, p in enumerate(fit.fitted):
            ax = axes[i][j]
            grid = np.linspace(-1, 1, 41)
            pts = np.tile(x_opt, (grid.size, 1))
            pts[:, j] = grid
            ax.plot(
                [p.natural(g) for g in grid], t.surface(fit.coefs[name], pts, fit.degree), label="surface"
            )
            ax.plot(
                [p.natural(c) for c in fit.design_x[:, j]],
                fit.design_y[name].mean(axis=1),
                "o",
                ms=3,
                label="design means",
            )
            ax.axhspan(t.band[0], t.band[1], color="tab:green", alpha=0.15, label="band")
            ax.axvline(p.natural(x_opt[j]), color="k", lw=0.8, ls="--", label="fitted")
            ax.set_xlabel(p.name)
            ax.set_ylabel(name)
            ax.set_title(f"{name} vs {p.name}", fontsize=9)
            if i == 0 and j == 0:
                ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _fitted_values(fit: JointFit) -> list[float]:
    v = fit.values.set_index("parameter")["value"]
    return [float(v[p.name]) for p in fit.fitted]
