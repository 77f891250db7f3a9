"""Does the optimiser's choice hold when the main assumptions move?

The chosen option, the runner-up and the nearest cheaper option are rerun at a low and a high
value of each assumption in :data:`ROBUSTNESS` (numbers no report gives, marked ASSUMPTION in
the baseline), on common random numbers; at each setting the choice is the cheapest of them whose
targets hold by a one-sided t bound at the optimiser's confidence (one look).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.experiments.experiment import run_tasks
from sim.world.scenario import LANE_STAGES, Scenario, validate_scenario

if TYPE_CHECKING:
    from sim.experiments.optimise import Optimisation, Option

LOW, HIGH = "low", "high"
SERVICE_FACTORS = {LOW: 0.75, HIGH: 1.25}
"""Service-time means are scaled by these factors at the low and high settings."""


def _scale_dist(dist: dict[str, Any], factor: float) -> dict[str, Any]:
    """A distribution (as scenario data) with its mean scaled by *factor*; its shape kept."""
    out = dict(dist)
    for key in ("mean", "value", "low", "mode", "high"):
        if key in out:
            out[key] = out[key] * factor
    if "values" in out:
        out["values"] = [v * factor for v in out["values"]]
    return out


def _scale_service(data: dict[str, Any], factor: float, china: bool) -> None:
    for gate in data["gates"].values():
        stages = (
            [route["china_check"] for route in gate["routes"].values()]
            if china
            else [gate[s] for s in LANE_STAGES]
        )
        for stage in stages:
            stage["service_min"] = {c: _scale_dist(d, factor) for c, d in stage["service_min"].items()}


def _china_check_min(data: dict[str, Any], level: str) -> None:
    _scale_service(data, SERVICE_FACTORS[level], china=True)


def _vietnamese_service_min(data: dict[str, Any], level: str) -> None:
    _scale_service(data, SERVICE_FACTORS[level], china=False)


def _export_hourly_profile(data: dict[str, Any], level: str) -> None:
    """Low: halfway to a flat day; high: each hour's weight squared (peaks sharper), same total."""
    profile = data["demand"]["hourly_profile"]
    if "export" not in profile:
        return
    p = np.asarray(profile["export"], dtype=float)
    shaped = 0.5 * p + 0.5 * p.mean() if level == LOW else p**2
    profile["export"] = [float(v) for v in shaped * p.sum() / shaped.sum()]


ROBUSTNESS: dict[str, tuple[str, str, Callable[[dict[str, Any], str], None]]] = {
    "china_check_min": (
        "Chinese checkpoint minutes x0.75",
        "Chinese checkpoint minutes x1.25",
        _china_check_min,
    ),
    "vietnamese_service_min": (
        "Vietnamese stages' minutes x0.75",
        "Vietnamese stages' minutes x1.25",
        _vietnamese_service_min,
    ),
    "export_hourly_profile": (
        "export arrivals by hour halfway to flat",
        "export arrivals by hour more peaked (weights squared)",
        _export_hourly_profile,
    ),
}
"""Name -> (the low setting, the high setting, how they change scenario data)."""


def perturbed(sc: Scenario, name: str, level: str) -> Scenario:
    """*sc* with assumption *name* (a key of :data:`ROBUSTNESS`) at its *level* (low or high)."""
    data = sc.to_dict()
    ROBUSTNESS[name][2](data, level)
    return validate_scenario(data, sc.source)


def robustness_table(
    opt: Optimisation, n: int, *, jobs: int | None = None, executor: Executor | None = None
) -> pd.DataFrame:
    """Rerun the chosen option, the runner-up and the nearest cheaper option at every setting.

    One row per assumption, level and option: the target means, one-sided bounds and decisions,
    the option chosen at that setting, and whether it differs from the optimiser's choice.
    """
    from sim.experiments.optimise import FEASIBLE, decide

    chosen = opt.chosen
    assert chosen is not None
    options: list[Option] = []
    for o in (chosen, opt.runner_up, opt.nearest_cheaper):
        if o is not None and all(o is not p for p in options):
            options.append(o)
    settings = [(name, level) for name in ROBUSTNESS for level in (LOW, HIGH)]
    scenarios = [perturbed(o.scenario, name, level) for name, level in settings for o in options]
    tasks = [(k, i) for k in range(len(scenarios)) for i in range(n)]
    done = run_tasks(
        scenarios,
        tasks,
        opt.seed,
        jobs=jobs,
        executor=executor,
        keep_series=False,
        keep_runs=0,
        window=opt.window,
    )
    alpha = 1 - opt.confidence
    rows = []
    for s, (name, level) in enumerate(settings):
        block = []
        for j, o in enumerate(options):
            k = s * len(options) + j
            row: dict[str, Any] = {
                "assumption": name,
                "level": level,
                "setting": ROBUSTNESS[name][0 if level == LOW else 1],
                "option": o.index,
                "label": o.label,
                "cost": o.cost,
                "n": n,
            }
            ok = True
            for t in opt.targets:
                values = np.array([done[(k, i)].kpis.get(t.kpi, np.nan) for i in range(n)])
                status, low, high = decide(values, t, alpha)
                row |= {f"{t.kpi}_mean": np.nanmean(values), f"{t.kpi}_lower": low, f"{t.kpi}_upper": high}
                row[f"{t.kpi}_decision"] = status
                ok &= status == FEASIBLE
            row["feasible"] = ok
            block.append(row)
        feasible = [r for r in block if r["feasible"]]
        pick = min(feasible, key=lambda r: (r["cost"], r["option"]))["option"] if feasible else -1
        for r in block:
            r["chosen_here"] = pick
            r["choice_changes"] = pick != chosen.index
        rows += block
    return pd.DataFrame(rows)


def robustness_lines(opt: Optimisation) -> list[str]:
    """Sentences on whether the choice holds at each setting."""
    table = opt.robustness
    if table is None or table.empty or opt.chosen is None:
        return []
    by_index = {o.index: o for o in opt.options}
    roles = {opt.chosen.index: "the chosen"}
    if opt.runner_up is not None:
        roles.setdefault(opt.runner_up.index, "the runner-up")
    if opt.nearest_cheaper is not None:
        roles.setdefault(opt.nearest_cheaper.index, "the nearest cheaper")
    rerun = ", ".join(roles[i] for i in dict.fromkeys(table["option"]) if i in roles)
    lines = [f"robustness: {rerun} rerun, {table['n'].iloc[0]} replications a setting:"]
    for (name, level), g in table.groupby(["assumption", "level"], sort=False):
        pick = int(g["chosen_here"].iloc[0])
        setting = ROBUSTNESS[name][0 if level == LOW else 1]
        if not g["choice_changes"].iloc[0]:
            lines.append(f"  {setting}: the choice holds")
        elif pick < 0:
            lines.append(f"  {setting}: none of them is shown to meet the targets")
        else:
            lines.append(f"  {setting}: the choice CHANGES to {by_index[pick].label}")
    changed = bool(table["choice_changes"].any())
    lines.append(
        "  the choice changes under some settings: read it with those assumptions in mind"
        if changed
        else "  the choice holds at every setting"
    )
    return lines
