"""The cheapest option that meets a target: sequential feasibility on common random numbers.

An *option* is one combination of lever values (dotted scenario keys). Every option is
replicated with the same seeds (common random numbers, so options see the same trucks), in
stages: *n0* replications each, then *step* more for each option still undecided, up to
*max_n*. After each stage every (option, target) pair gets a one-sided Student-t bound at level
``1 - alpha_per_test`` on the mean of the target KPI: the pair is *feasible* when the bound is on
the right side of the target, *infeasible* when the opposite bound is on the wrong side, else
undecided. An option is feasible when all its targets are, infeasible as soon as one is; only
undecided options get more replications, and not those that cost more than two options already
shown feasible. The answer is the cheapest feasible option.

``alpha_per_test = (1 - confidence) / looks``, looks = the number of stages possible (Bonferroni
over the looks), so each decision on one option and target is wrong with probability at most
``1 - confidence``; with ``joint=True`` it is further divided by options x targets, so that all
decisions are right together with probability at least ``confidence``. The t bound assumes
replication means that are about normal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
from scipy.special import stdtrit  # Student t quantiles (what t.ppf calls), a lighter import

from sim.experiments.costs import CostsFile, check_levers, option_cost, value_text
from sim.experiments.designs import sweep_points
from sim.experiments.experiment import Experiment
from sim.experiments.replications import Replication, Task
from sim.experiments.results import STAGE_NAMES
from sim.experiments.sequential import Stage, StepLog, run_options
from sim.experiments.stats import paired_effect
from sim.experiments.window import Window
from sim.studies.options import (
    FEASIBLE,
    INFEASIBLE,
    UNDECIDED,
    Optimisation,
    Option,
    Target,
    _order,
    check_target,
    parse_target,
)
from sim.world.scenario import Scenario
from sim.world.schema.names import DIRECTIONS


def lever_label(sc: Scenario, key: str) -> str:
    """A readable name of a lever, e.g. ``Huu Nghi 1119-1120 china check lanes``."""
    parts = key.split(".")
    words = []
    if parts[0] == "gates" and len(parts) > 1 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        words.append(gate.label)
        parts = parts[2:]
        if parts and parts[0] == "routes" and len(parts) > 1 and parts[1] in gate.routes:
            words.append((gate.routes[parts[1]].label or parts[1]).split()[0])
            parts = parts[2:]
    words += [p.replace("_", " ") for p in parts]
    return " ".join(words)


def _values_text(values: Sequence[Any]) -> str:
    if len(values) > 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return f"{min(values):g}-{max(values):g}"
    return ", ".join(value_text(v) for v in values)


def binding_phrase(exp: Experiment, kpi: str) -> str:
    """``the binding stage is the Chinese checkpoint on 1119-1120, 97% busy`` for the gate and
    direction *kpi* is about (the busiest of all when it names none)."""
    b = exp.bottlenecks()
    sc = exp.scenario
    name = f"_{kpi}_"
    named = [f"_{g}_" in name for g in b["gate"]]
    rows = b[named] if any(named) else b
    dirs = [d for d in DIRECTIONS if f"_{d}_" in name]
    if dirs and (rows["direction"] == dirs[0]).any():
        rows = rows[rows["direction"] == dirs[0]]
    rows = rows[rows["stage"] != ""]
    if rows.empty:
        return "no stage is in use"
    row = rows.loc[rows["utilisation"].idxmax()]
    stage, _, route = str(row["stage"]).partition(":")
    where = STAGE_NAMES.get(stage, stage.replace("_", " "))
    if route:
        where += f" on {(sc.gates[row['gate']].routes[route].label or route).split()[0]}"
    return f"the binding stage is the {where} at {sc.gates[row['gate']].label}, {row['utilisation']:.0%} busy"


def no_effect_lines(
    base: Scenario, points: Sequence[Mapping[str, Any]], experiments: Sequence[Experiment], kpi: str
) -> list[str]:
    """A sentence for each varied key whose values leave *kpi* unchanged, judged as every paired
    effect is (:func:`~sim.experiments.stats.paired_effect`): for every combination of the other
    keys, each value against the lowest, on the replications they share (common random numbers).

    "no effect" when every such effect lies within its margin; "too few replications to tell"
    when none is an effect and some interval is wider than the margin; nothing when any is an
    effect. Needs at least 2 replications a point.
    """
    from sim.experiments.stats import EFFECT, NEGLIGIBLE, NO_EFFECT, NOT_MEASURED

    if not points or min(e.n for e in experiments) < 2:
        return []
    lines = []
    for key in points[0]:
        values = list(dict.fromkeys(value_text(p[key]) for p in points))
        if len(values) < 2:
            continue
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, p in enumerate(points):
            rest = tuple(value_text(v) for k, v in p.items() if k != key)
            groups.setdefault(rest, []).append(i)
        verdicts = []
        for members in groups.values():
            members = sorted(members, key=lambda i: _order(points[i][key]))
            low = experiments[members[0]].kpis
            if kpi not in low.columns:
                continue
            for i in members[1:]:
                other = experiments[i].kpis
                if kpi not in other.columns:
                    continue
                common = low.index.intersection(other.index)
                effect = paired_effect(
                    kpi, low.loc[common, kpi], other.loc[common, kpi], None, base.kpi.equivalence
                )
                if effect.verdict != NOT_MEASURED:  # no replication measured it: nothing to say
                    verdicts.append(effect.verdict)
        if not verdicts or EFFECT in verdicts:
            continue
        last = experiments[max(range(len(points)), key=lambda i: _order(points[i][key]))]
        tried = list({value_text(p[key]): p[key] for p in points}.values())
        if all(v in (NO_EFFECT, NEGLIGIBLE) for v in verdicts):
            said = f"no effect on {kpi} (paired, within its margin)"
        else:
            said = (
                f"too few replications to tell whether it changes {kpi} "
                "(paired intervals wider than its margin)"
            )
        lines.append(
            f"{lever_label(base, key)} {_values_text(sorted(tried, key=_order))}: {said}; "
            f"{binding_phrase(last, kpi)}"
        )
    return lines


def optimise(
    scenario: Scenario,
    targets: Sequence[Target | str],
    levers: Mapping[str, Sequence[Any]],
    costs: CostsFile | None = None,
    *,
    confidence: float = 0.95,
    n0: int = 5,
    max_n: int = 20,
    step: int | None = None,
    joint: bool = False,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    window: Window | None = None,
    robustness: bool = True,
    robust_n: int | None = None,
    costs_source: str = "costs",
    on_done: Callable[[Task, Replication], None] | None = None,
    with_base: bool = True,
) -> Optimisation:
    """Find the cheapest combination of *levers* whose *targets* hold in the mean (see the module).

    *levers* maps dotted keys to the values to try; *costs* prices them (None: every added unit
    costs the same). Replications run on *jobs* processes or *executor* (e.g. Dask), all on
    *seed*. With *robustness*, the chosen option, the runner-up and the nearest cheaper option
    are rerun (*robust_n* replications, default *n0*) at the low and high values of the main
    assumptions (:data:`sim.studies.robustness.ROBUSTNESS`). With *with_base* the scenario
    as given is replicated alongside on the same seeds, so each option's waiting cost saved is
    paired (:meth:`Optimisation.waiting_cost_saved`).
    """
    from sim.studies.robustness import robustness_table

    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence must be between 0.5 and 1, got {confidence}")
    if n0 < 2 or max_n < n0:
        raise ValueError(f"need 2 <= n0 <= max_n, got n0={n0}, max_n={max_n}")
    parsed = [parse_target(t) if isinstance(t, str) else t for t in targets]
    levers = {k: list(v) for k, v in levers.items()}
    if costs is not None:
        check_levers(costs, levers, costs_source)
    points = sweep_points(levers)
    scenarios = [scenario.with_changes(p) for p in points]
    include = costs is not None and costs.include_waiting_cost
    options = [
        Option(k, p, sc, option_cost(scenario, sc, p, costs), include)
        for k, (p, sc) in enumerate(zip(points, scenarios, strict=True))
    ]
    step = step or n0
    looks = 1 + math.ceil((max_n - n0) / step)
    alpha = (1 - confidence) / looks / (len(options) * len(parsed) if joint else 1)
    opt = Optimisation(
        scenario, parsed, levers, options, costs, confidence, alpha, looks, n0, max_n, seed, window, joint
    )

    base_index = len(options)

    def store(task: Task, rep: Replication) -> None:
        if task[0] == base_index:
            opt.base_reps[task[1]] = rep
        else:
            options[task[0]].reps[task[1]] = rep
        if on_done is not None:
            on_done(task, rep)

    state = {"active": list(options), "n": n0}

    def more(stage: Stage) -> dict[int, int]:
        """Decide the active options; the undecided ones (and the base) get *step* more."""
        for o in state["active"]:
            _evaluate(o, parsed, alpha)
        feasible_costs = sorted(o.cost for o in options if o.status == FEASIBLE)
        for o in state["active"]:
            if o.status == UNDECIDED and len(feasible_costs) >= 2 and o.cost > feasible_costs[1]:
                o.stopped = "not needed: two cheaper options are feasible"
        active = state["active"] = [o for o in options if o.status == UNDECIDED and not o.stopped]
        if not active:
            return {}
        if state["n"] >= max_n:
            for o in active:
                o.stopped = f"undecided at the cap of {max_n} replications"
            return {}
        state["n"] = min(max_n, state["n"] + step)
        wanted = dict.fromkeys((o.index for o in active), state["n"])
        if with_base:
            wanted[base_index] = state["n"]
        return wanted

    # The scenario as given runs on the same seeds (with_base): the waiting cost saved.
    first = dict.fromkeys([o.index for o in options] + ([base_index] if with_base else []), n0)
    log = StepLog()
    run_options(
        [*scenarios, scenario],
        first,
        seed,
        more,
        jobs=jobs,
        executor=executor,
        on_done=store,
        window=window,
        observers=[log],
    )
    opt.steps = log.table()
    if robustness and opt.chosen is not None:
        opt.robustness = robustness_table(opt, robust_n or n0, jobs=jobs, executor=executor)
    return opt


def _evaluate(option: Option, targets: Sequence[Target], alpha: float) -> None:
    option.checks = {t.kpi: check_target(option.values(t.kpi), t, alpha) for t in targets}
    option.by_target = {k: (c.status, c.low, c.high) for k, c in option.checks.items()}
    states = [s for s, _, _ in option.by_target.values()]
    if INFEASIBLE in states:
        option.status = INFEASIBLE
    elif all(s == FEASIBLE for s in states):
        option.status = FEASIBLE
    else:
        option.status = UNDECIDED


def paired_difference(a: Option, b: Option, kpi: str, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of b - a over the replications both have (common random numbers), and its t interval."""
    common = sorted(set(a.reps) & set(b.reps))
    d = np.array([b.reps[i].kpis.get(kpi, np.nan) - a.reps[i].kpis.get(kpi, np.nan) for i in common])
    d = d[~np.isnan(d)]
    if d.size < 2:
        return (float(d.mean()) if d.size else np.nan), np.nan, np.nan
    half = stdtrit(d.size - 1, 0.5 + level / 2) * d.std(ddof=1) / math.sqrt(d.size)
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)
