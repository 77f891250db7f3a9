"""Does the optimiser's choice hold when the main assumptions move?

The chosen option, the runner-up and the nearest cheaper option are rerun at a low and a high
value of each assumption in :data:`ROBUSTNESS` (numbers no report gives, marked ASSUMPTION in
the baseline), on common random numbers; at each setting each target of each option is judged
meets / fails / undecided by a one-sided t bound at the optimiser's confidence (one look), and its
change against the same option under the assumptions as given is judged by :func:`paired_effect`;
the choice there is the cheapest option that meets every target.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.experiments.sequential import run_options
from sim.experiments.stats import paired_effect
from sim.world.scenario import Scenario, validate_scenario
from sim.world.schema.names import LANE_STAGES

if TYPE_CHECKING:
    from sim.studies.options import Optimisation, Option, Target

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

    One row per assumption, level and option: per target the mean, one-sided bounds, the verdict
    (meets / fails / undecided, with the replications an undecided one would about need) and the
    paired change against the same option under the assumptions as given (:func:`paired_effect`,
    replication i against replication i); the option's overall status; the option chosen at that
    setting (the cheapest that meets every target, -1 when none is shown to) and whether the choice
    changes (a cheaper option meets, or the chosen one fails and another meets).
    """
    from sim.studies.options import FEASIBLE, INFEASIBLE, UNDECIDED, check_target

    chosen = opt.chosen
    assert chosen is not None
    options: list[Option] = []
    for o in (chosen, opt.runner_up, opt.nearest_cheaper):
        if o is not None and all(o is not p for p in options):
            options.append(o)
    settings = [(name, level) for name in ROBUSTNESS for level in (LOW, HIGH)]
    scenarios = [perturbed(o.scenario, name, level) for name, level in settings for o in options]
    last = run_options(scenarios, n, opt.seed, jobs=jobs, executor=executor, window=opt.window)
    done = {(k, i): rep for k, reps in last.replications.items() for i, rep in reps.items()}
    alpha = 1 - opt.confidence
    overrides = opt.base.kpi.equivalence
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
            states = []
            for t in opt.targets:
                values = np.array([done[(k, i)].kpis.get(t.kpi, np.nan) for i in range(n)])
                c = check_target(values, t, alpha)
                row |= {f"{t.kpi}_mean": c.mean, f"{t.kpi}_lower": c.low, f"{t.kpi}_upper": c.high}
                row[f"{t.kpi}_decision"] = c.status
                row[f"{t.kpi}_n_needed"] = c.n_needed if c.status == UNDECIDED else None
                common = [i for i in range(n) if i in o.reps]
                given = np.array([o.reps[i].kpis.get(t.kpi, np.nan) for i in common])
                eff = paired_effect(t.kpi, given, values[common], overrides=overrides)
                row[f"{t.kpi}_vs_given"] = eff.diff
                row[f"{t.kpi}_vs_given_low"] = eff.ci_low
                row[f"{t.kpi}_vs_given_high"] = eff.ci_high
                row[f"{t.kpi}_vs_given_verdict"] = eff.verdict
                states.append(c.status)
            row["status"] = (
                INFEASIBLE
                if INFEASIBLE in states
                else FEASIBLE
                if all(x == FEASIBLE for x in states)
                else UNDECIDED
            )
            row["feasible"] = row["status"] == FEASIBLE
            block.append(row)
        feasible = [r for r in block if r["feasible"]]
        pick = min(feasible, key=lambda r: (r["cost"], r["option"]))["option"] if feasible else -1
        own = next(r for r in block if r["option"] == chosen.index)
        cheaper = pick >= 0 and next(r for r in block if r["option"] == pick)["cost"] < chosen.cost
        changes = pick >= 0 and pick != chosen.index and (cheaper or own["status"] == INFEASIBLE)
        for r in block:
            r["chosen_here"] = pick
            r["choice_changes"] = changes
        rows += block
    return pd.DataFrame(rows)


def _needed(row: pd.Series, targets: list[Target]) -> int | None:
    """The most replications any undecided target of *row* would about need (None: cannot tell)."""
    needs = [row.get(f"{t.kpi}_n_needed") for t in targets if row[f"{t.kpi}_decision"] == "undecided"]
    needs = [int(x) for x in needs if x is not None and x == x]
    return max(needs) if needs else None


def robustness_lines(
    opt: Optimisation,
    label: Callable[[Option], str] | None = None,
    target_text: Callable[[Target, float], str] | None = None,
    change_text: Callable[[Target, float, float, float], str] | None = None,
) -> list[str]:
    """Sentences on whether the choice holds at each setting: the chosen option meets, fails or is
    undecided there (with the replications it would about need), and what the choice becomes.

    *label* names an option (default: its ``key=value`` label); *target_text* says a target and the
    mean it missed with (default: the target's text and the mean to 4 figures); *change_text* says
    the chosen option's paired change of a target KPI against the assumptions as given.
    """
    from sim.studies.options import FEASIBLE, INFEASIBLE

    table = opt.robustness
    if table is None or table.empty or opt.chosen is None:
        return []
    name_of = label or (lambda o: o.label)
    by_index = {o.index: o for o in opt.options}
    chosen = opt.chosen
    roles = {chosen.index: "the chosen"}
    if opt.runner_up is not None:
        roles.setdefault(opt.runner_up.index, "the runner-up")
    if opt.nearest_cheaper is not None:
        roles.setdefault(opt.nearest_cheaper.index, "the nearest cheaper")
    rerun = ", ".join(roles[i] for i in dict.fromkeys(table["option"]) if i in roles)
    n = int(table["n"].iloc[0])
    lines = [
        f"robustness: {rerun} rerun, {n} replications a setting, each target judged at one-sided "
        f"{opt.confidence:.0%}:"
    ]
    fails: list[str] = []
    undecided: list[str] = []
    needs: list[int] = []
    for (name, level), g in table.groupby(["assumption", "level"], sort=False):
        setting = ROBUSTNESS[name][0 if level == LOW else 1]
        own = g[g["option"] == chosen.index].iloc[0]
        pick = int(g["chosen_here"].iloc[0])
        status = own["status"]
        if status == FEASIBLE:
            verdict = "the chosen option meets the targets"
        elif status == INFEASIBLE:
            missed = [t for t in opt.targets if own[f"{t.kpi}_decision"] == INFEASIBLE]
            missed_text = target_text or (lambda t, m: f"{t} (mean {m:,.4g})")
            verdict = "the chosen option fails " + ", ".join(
                missed_text(t, own[f"{t.kpi}_mean"]) for t in missed
            )
            fails.append(setting)
        else:
            need = _needed(own, opt.targets)
            about = f"about {need:,} needed" if need is not None else "its mean sits on the bound"
            mean_meets = all(
                (own[f"{t.kpi}_mean"] <= t.bound) if t.op == "<=" else (own[f"{t.kpi}_mean"] >= t.bound)
                for t in opt.targets
            )
            verdict = f"undecided at n = {n} ({about}); the chosen option's mean " + (
                "meets the targets" if mean_meets else "misses a target"
            )
            undecided.append(setting)
            needs.append(need or 0)
        if status == INFEASIBLE and pick < 0:
            verdict += "; no option rerun meets them"
        say = change_text or (lambda t, d, lo, hi: f"{t.kpi} {d:+,.4g} [{lo:+,.4g}, {hi:+,.4g}]")
        paired = [
            say(t, own[f"{t.kpi}_vs_given"], own[f"{t.kpi}_vs_given_low"], own[f"{t.kpi}_vs_given_high"])
            + f" ({own[f'{t.kpi}_vs_given_verdict']})"
            for t in opt.targets
            if f"{t.kpi}_vs_given" in own
        ]
        if paired:
            verdict += "; against the assumptions as given (paired): " + "; ".join(paired)
        if bool(g["choice_changes"].iloc[0]):
            lines.append(f"  {setting}: the choice CHANGES to {name_of(by_index[pick])}; {verdict}")
        elif status == FEASIBLE:
            lines.append(f"  {setting}: the choice holds; {verdict}")
        elif pick >= 0 and pick != chosen.index:
            lines.append(f"  {setting}: {verdict}; {name_of(by_index[pick])} meets them")
        else:
            lines.append(f"  {setting}: {verdict}")
    if not fails and not undecided:
        lines.append("  the choice holds at every setting")
    else:
        if fails:
            lines.append(
                "  the chosen option fails under: " + "; ".join(fails) + ": read the choice with those "
                "assumptions in mind"
            )
        if undecided:
            more = f" {max(needs)}" if max(needs) else ""
            lines.append(f"  undecided under: {'; '.join(undecided)} (more replications: --robust-n{more})")
    return lines
