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
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import stdtrit  # Student t quantiles (what t.ppf calls), a lighter import

from sim.experiments.costs import CostsFile, check_levers, option_cost, value_text
from sim.experiments.experiment import Experiment, Replication, Task, experiment_of, run_tasks, sweep_points
from sim.experiments.results import STAGE_NAMES, Window, window_minutes
from sim.experiments.stats import Effect, equivalence_margin, paired_effect
from sim.world.calendar import MIN_PER_DAY
from sim.world.scenario import DIRECTIONS, Scenario
from sim.world.yaml_guard import guarded_load

FEASIBLE, INFEASIBLE, UNDECIDED = "feasible", "infeasible", "undecided"
_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
_TARGET = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(<=|>=)\s*([-+]?[0-9][0-9_,]*\.?[0-9]*(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Target:
    """A bound on the mean of a KPI: ``kpi <= bound`` or ``kpi >= bound``."""

    kpi: str
    op: str
    bound: float

    def __str__(self) -> str:
        bound = f"{self.bound:,.0f}" if abs(self.bound) >= 1000 else f"{self.bound:,.6g}"
        return f"{self.kpi} {self.op} {bound}"


def parse_target(text: str) -> Target:
    """``"time_in_system_h_mean_export <= 4"`` as a :class:`Target`; ValueError says what was expected."""
    m = _TARGET.match(text)
    if not m:
        strict = (
            " ('<' and '>' are not targets: a bound is kept with '<=' or '>=')"
            if "<" in text or ">" in text
            else ""
        )
        raise ValueError(
            f"expected a target like 'time_in_system_h_mean_export <= 4' (the operators are <= and >=)"
            f"{strict}, got {text[:120]!r}"
        )
    bound = float(m.group(3).replace(",", "").replace("_", ""))
    if not math.isfinite(bound):
        raise ValueError(f"the bound of {text[:120]!r} is not a finite number; a target needs one")
    return Target(m.group(1), m.group(2), bound)


def parse_lever(text: str) -> tuple[str, list[Any]]:
    """``key.path=v1,v2,...`` as the key and its values, each read as YAML (commas inside [] kept)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip() or not raw.strip():
        raise ValueError(f"expected key.path=v1,v2,... got {text!r}")
    parts, depth, cur = [], 0, ""
    for ch in raw:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    try:
        # A clock time stays text (YAML 1.1 would read 21:00 as the number 1260).
        values = [
            p.strip() if _CLOCK.match(p.strip()) else guarded_load(p) if p.strip() else "" for p in parts
        ]
    except yaml.YAMLError as err:
        why = getattr(err, "problem", None) or "not YAML"
        shown = raw if len(raw) <= 80 else raw[:77] + "..."
        raise ValueError(f"{key.strip()[:100]}: values are not readable ({why}): {shown!r}") from None
    return key.strip(), values


@dataclass(frozen=True)
class TargetCheck:
    """Whether one option meets one target, judged on its replications (one-sample t).

    *status* is :data:`FEASIBLE` ("meets": the interval [*low*, *high*] lies on the right side of
    the bound), :data:`INFEASIBLE` ("fails": it lies on the wrong side) or :data:`UNDECIDED`, then
    with *n_needed* the replications that would about tell, ``(t s / |mean - bound|)^2``; None when
    the mean sits on the bound (no number of replications would tell).
    """

    target: Target
    status: str
    mean: float
    low: float
    high: float
    n: int
    n_needed: int | None = None

    @property
    def mean_meets(self) -> bool:
        """Whether the mean alone is on the right side of the bound."""
        t = self.target
        return self.mean <= t.bound if t.op == "<=" else self.mean >= t.bound

    @property
    def gap(self) -> float:
        """How far the mean is on the wrong side of the bound, in the KPI's unit (<= 0: it meets)."""
        t = self.target
        return self.mean - t.bound if t.op == "<=" else t.bound - self.mean


def check_target(values: np.ndarray, target: Target, alpha: float) -> TargetCheck:
    """Judge *target* on *values* (one per replication, NaN left out) with one-sided t bounds at
    level ``1 - alpha``: meets, fails or undecided with the replications it would need."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return TargetCheck(target, UNDECIDED, mean, math.nan, math.nan, n, 2)
    t = float(stdtrit(n - 1, 1 - alpha))
    sd = float(x.std(ddof=1))
    half = t * sd / math.sqrt(n)
    low, high = mean - half, mean + half
    if target.op == "<=":
        status = FEASIBLE if high <= target.bound else INFEASIBLE if low > target.bound else UNDECIDED
    else:
        status = FEASIBLE if low >= target.bound else INFEASIBLE if high < target.bound else UNDECIDED
    needed = None
    distance = abs(mean - target.bound)
    if status == UNDECIDED and distance > 0:
        needed = max(n + 1, math.ceil((t * sd / distance) ** 2))
    return TargetCheck(target, status, mean, low, high, n, needed)


def decide(values: np.ndarray, target: Target, alpha: float) -> tuple[str, float, float]:
    """Feasible, infeasible or undecided for *target*, with the one-sided lower and upper t bounds
    at level ``1 - alpha`` on the mean of *values* (NaN values are left out)."""
    c = check_target(values, target, alpha)
    return c.status, c.low, c.high


@dataclass
class Option:
    """One combination of lever values, its cost a day and what its replications showed."""

    index: int
    point: dict[str, Any]
    scenario: Scenario
    cost_by_lever: dict[str, float]
    include_waiting_cost: bool = False
    status: str = UNDECIDED
    by_target: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    checks: dict[str, TargetCheck] = field(default_factory=dict)
    """Each target's verdict at the last look, with the replications an undecided one needs."""
    reps: dict[int, Replication] = field(default_factory=dict)
    stopped: str = ""
    """Why replications stopped before a decision, if they did."""

    @property
    def n(self) -> int:
        """Replications run so far."""
        return len(self.reps)

    @property
    def label(self) -> str:
        """``key=value, ...`` with keys shortened but keeping their gate and route (two gates'
        levers of the same stage stay apart); :mod:`sim.presentation` says it in words."""
        return ", ".join(f"{short_key(k)}={value_text(v)}" for k, v in self.point.items())

    def values(self, kpi: str) -> np.ndarray:
        """The KPI in each replication, in replication order."""
        return np.array([self.reps[i].kpis.get(kpi, np.nan) for i in sorted(self.reps)], dtype=float)

    def mean(self, kpi: str) -> float:
        """The KPI's mean over the replications (NaN where none has it)."""
        x = self.values(kpi)
        return float(np.nanmean(x)) if np.any(~np.isnan(x)) else np.nan

    @property
    def cost(self) -> float:
        """VND a day (or units without a costs file); plus the mean waiting cost if asked for."""
        fixed = float(sum(self.cost_by_lever.values()))
        if self.include_waiting_cost and self.reps:
            fixed += self.mean("waiting_cost_vnd_per_day")
        return fixed


def short_key(key: str) -> str:
    """A dotted key without the ``gates.`` and ``routes.`` parts: the gate and the route stay, so
    ``gates.huu_nghi.routes.r1119_1120.china_check.lanes`` is ``huu_nghi.r1119_1120.china_check.lanes``."""
    parts = key.split(".")
    if parts[0] == "gates" and len(parts) > 2:
        parts = parts[1:]
        if len(parts) > 2 and parts[1] == "routes":
            parts = [parts[0], *parts[2:]]
    return ".".join(parts)


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
    from sim.experiments.stats import EFFECT, NEGLIGIBLE, NO_EFFECT, paired_effect

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


def _ordinal(value: Any) -> float | None:
    """A lever value on a scale where "more" means something: a number, or a clock time in minutes;
    None for anything else (a list, a word)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _CLOCK.match(value):
        hours, minutes = value.split(":")
        return int(hours) * 60.0 + int(minutes)
    return None


def _order(value: Any) -> Any:
    return (
        (0, value)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (1, value_text(value))
    )


@dataclass(frozen=True)
class LeverMove:
    """How much a lever moved a KPI over the values tried, and at which value it did best.

    *edge* is ``higher`` or ``lower`` (``later`` or ``earlier`` for clock times) when the best value
    is the highest or lowest tried (widening the range that way may help), else empty.
    """

    key: str
    kpi: str
    best_value: Any
    change: float
    edge: str


@dataclass
class Optimisation:
    """Every option evaluated, the decisions, the chosen option, and the robustness check."""

    base: Scenario
    targets: list[Target]
    levers: dict[str, list[Any]]
    options: list[Option]
    costs: CostsFile | None
    confidence: float
    alpha_per_test: float
    looks: int
    n0: int
    max_n: int
    seed: int
    window: Window | None = None
    joint: bool = False
    robustness: pd.DataFrame | None = None
    base_reps: dict[int, Replication] = field(default_factory=dict)
    """The scenario as given, on the same seeds: what each option's waiting cost is set against."""

    @property
    def window_days(self) -> float:
        """Days in the KPI window (the run's, after the warm-up unless a window is given): the
        window over which an option's cost a day is totalled."""
        start, end = window_minutes(self.base, self.window)
        return (end - start) / MIN_PER_DAY

    def base_experiment(self) -> Experiment | None:
        """The scenario as given, as an :class:`Experiment`; None when it was not run."""
        if not self.base_reps:
            return None
        return experiment_of(self.base, self.seed, self.base_reps, self.window)

    def waiting_cost_saved(self, option: Option) -> Effect | None:
        """The waiting cost a day the option saves against the scenario as given (base minus
        option, VND a day), paired replication by replication, with its three-way verdict.

        None without replications of the base. The margin is that of ``waiting_cost_vnd_per_day``
        (``kpi.equivalence`` or 1% of the base's mean).
        """
        kpi = "waiting_cost_vnd_per_day"
        common = sorted(set(option.reps) & set(self.base_reps))
        if not common:
            return None
        base = np.array([self.base_reps[i].kpis.get(kpi, np.nan) for i in common], dtype=float)
        other = np.array([option.reps[i].kpis.get(kpi, np.nan) for i in common], dtype=float)
        base_mean = float(np.nanmean(base)) if np.any(~np.isnan(base)) else math.nan
        margin = equivalence_margin(kpi, base_mean, self.base.kpi.equivalence)
        # "other" is the base: the difference is base minus option, the cost saved.
        return paired_effect(kpi, other, base, margin=margin)

    def check(self, option: Option, target: Target) -> TargetCheck:
        """The option's verdict on *target* at the optimiser's level a decision."""
        found = option.checks.get(target.kpi)
        if found is not None and found.target == target:
            return found
        return check_target(option.values(target.kpi), target, self.alpha_per_test)

    @property
    def undecided(self) -> list[Option]:
        """Options left undecided (stopped at the cap or as not needed), cheapest first."""
        return sorted((o for o in self.options if o.status == UNDECIDED and o.n), key=lambda o: o.cost)

    def closest(self) -> Option | None:
        """The option with the smallest shortfall (in units of each target's bound), cheapest on ties."""
        tried = [o for o in self.options if o.n]
        return min(tried, key=lambda o: (self.shortfall(o), o.cost, o.index), default=None)

    def binding_target(self, option: Option) -> TargetCheck | None:
        """The target the option misses most (in units of its bound): what holds it back."""
        checks = [self.check(option, t) for t in self.targets]
        missed = [c for c in checks if c.status != FEASIBLE]
        if not missed:
            return None
        return max(missed, key=lambda c: c.gap / abs(c.target.bound) if c.target.bound else c.gap)

    def lever_moves(self, kpi: str) -> list[LeverMove]:
        """How far each lever moved *kpi*: its means by value (over every option with that value),
        largest change first."""
        target = next((t for t in self.targets if t.kpi == kpi), None)
        moves = []
        for key, values in self.levers.items():
            means = {}
            for v in values:
                x = [o.mean(kpi) for o in self.options if o.n and value_text(o.point[key]) == value_text(v)]
                x = [m for m in x if m == m]
                if x:
                    means[value_text(v)] = (v, float(np.mean(x)))
            if len(means) < 2:
                continue
            ordered = list(means.values())
            down = target is None or target.op == "<="
            best = min(ordered, key=lambda p: p[1]) if down else max(ordered, key=lambda p: p[1])
            worst = max(ordered, key=lambda p: p[1]) if down else min(ordered, key=lambda p: p[1])
            edge = ""
            order = [_ordinal(v) for v in values]
            if all(x is not None for x in order):
                up, down_word = ("later", "earlier") if isinstance(values[0], str) else ("higher", "lower")
                at = _ordinal(best[0])
                if at == max(order):
                    edge = up
                elif at == min(order):
                    edge = down_word
                if isinstance(values[0], str) and (at >= 24 * 60 or at <= 0):
                    edge = ""  # a clock cannot go past midnight: no range left to widen
            moves.append(LeverMove(key, kpi, best[0], abs(best[1] - worst[1]), edge))
        return sorted(moves, key=lambda m: -m.change)

    @property
    def feasible(self) -> list[Option]:
        """Options shown feasible, cheapest first."""
        return sorted((o for o in self.options if o.status == FEASIBLE), key=lambda o: (o.cost, o.index))

    @property
    def chosen(self) -> Option | None:
        """The cheapest option shown feasible; None when none is."""
        return self.feasible[0] if self.feasible else None

    @property
    def runner_up(self) -> Option | None:
        """The next feasible option by cost; without one, the option closest to meeting the targets."""
        if len(self.feasible) > 1:
            return self.feasible[1]
        rest = [o for o in self.options if o is not self.chosen and o.n]
        return min(rest, key=lambda o: (self.shortfall(o), o.cost), default=None)

    @property
    def nearest_cheaper(self) -> Option | None:
        """The dearest option cheaper than the chosen one (it was not shown feasible)."""
        if self.chosen is None:
            return None
        cheaper = [o for o in self.options if o.cost < self.chosen.cost and o.n]
        return max(cheaper, key=lambda o: (o.cost, -self.shortfall(o)), default=None)

    def shortfall(self, option: Option) -> float:
        """How far the option's worst target mean is from its bound, relative to the bound."""
        worst = 0.0
        for t in self.targets:
            m = option.mean(t.kpi)
            gap = (m - t.bound) if t.op == "<=" else (t.bound - m)
            worst = max(worst, gap / abs(t.bound) if t.bound else gap)
        return worst if worst == worst else math.inf

    def experiment(self, option: Option) -> Experiment:
        """The option's replications as an :class:`~sim.experiments.experiment.Experiment`."""
        return experiment_of(option.scenario, self.seed, option.reps, self.window)

    def table(self) -> pd.DataFrame:
        """One row per option: lever values, cost a day and over the window, n, decision, per target
        mean, bounds, decision and replications needed, and the waiting cost saved (paired)."""
        rows = []
        for o in self.options:
            row: dict[str, Any] = {"option": o.index, **{k: value_text(v) for k, v in o.point.items()}}
            row["cost"] = o.cost
            row["cost_window"] = o.cost * self.window_days
            row["n"] = o.n
            row["decision"] = o.status
            row["stopped"] = o.stopped
            for t in self.targets:
                c = self.check(o, t)
                row[f"{t.kpi}_mean"] = o.mean(t.kpi)
                row[f"{t.kpi}_lower"] = c.low
                row[f"{t.kpi}_upper"] = c.high
                row[f"{t.kpi}_decision"] = c.status
                row[f"{t.kpi}_n_needed"] = c.n_needed if c.status == UNDECIDED else None
            row["waiting_cost_vnd_per_day_mean"] = o.mean("waiting_cost_vnd_per_day")
            saved = self.waiting_cost_saved(o)
            if saved is not None:
                row["waiting_cost_saved_vnd_per_day"] = saved.diff
                row["waiting_cost_saved_vnd_per_day_low"] = saved.ci_low
                row["waiting_cost_saved_vnd_per_day_high"] = saved.ci_high
                row["waiting_cost_saved_verdict"] = saved.verdict
            row["chosen"] = o is self.chosen
            rows.append(row)
        return pd.DataFrame(rows)

    def replications(self) -> pd.DataFrame:
        """One row per option and replication with the target KPIs and the waiting cost."""
        kpis = list(dict.fromkeys([t.kpi for t in self.targets] + ["waiting_cost_vnd_per_day"]))
        rows = [
            {"option": o.index, "replication": i, **{k: o.reps[i].kpis.get(k, np.nan) for k in kpis}}
            for o in self.options
            for i in sorted(o.reps)
        ]
        return pd.DataFrame(rows)


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
    assumptions (:data:`sim.experiments.robustness.ROBUSTNESS`). With *with_base* the scenario
    as given is replicated alongside on the same seeds, so each option's waiting cost saved is
    paired (:meth:`Optimisation.waiting_cost_saved`).
    """
    from sim.experiments.robustness import robustness_table

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

    active, n_target = list(options), n0
    while active:
        tasks = [(o.index, i) for o in active for i in range(n_target) if i not in o.reps]
        if with_base:  # the scenario as given, on the same seeds: the waiting cost saved
            tasks += [(base_index, i) for i in range(n_target) if i not in opt.base_reps]
        run_tasks(
            [*scenarios, scenario],
            tasks,
            seed,
            jobs=jobs,
            executor=executor,
            keep_series=False,
            keep_runs=0,
            on_done=store,
            window=window,
        )
        for o in active:
            _evaluate(o, parsed, alpha)
        feasible_costs = sorted(o.cost for o in options if o.status == FEASIBLE)
        for o in active:
            if o.status == UNDECIDED and len(feasible_costs) >= 2 and o.cost > feasible_costs[1]:
                o.stopped = "not needed: two cheaper options are feasible"
        active = [o for o in options if o.status == UNDECIDED and not o.stopped]
        if n_target >= max_n:
            for o in active:
                o.stopped = f"undecided at the cap of {max_n} replications"
            break
        n_target = min(max_n, n_target + step)
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
