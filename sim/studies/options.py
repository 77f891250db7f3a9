"""The options of an optimisation and their verdicts: targets, the one-sided check of a target on
an option's replications, each option evaluated, and the record of a whole optimisation.

Held apart from :mod:`sim.studies.optimise`, the search, so that the robustness check
(:mod:`sim.studies.robustness`), which reads these records, and the search, which calls it,
import in one direction.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import stdtrit  # Student t quantiles (what t.ppf calls), a lighter import

from sim.experiments.costs import CostsFile, value_text
from sim.experiments.experiment import Experiment, experiment_of
from sim.experiments.replications import Replication
from sim.experiments.stats import (
    Effect,
    equivalence_margin,
    kpi_domain,
    paired_effect,
    replications_for_half_width,
)
from sim.experiments.window import Window, window_minutes
from sim.world.calendar import MIN_PER_DAY
from sim.world.scenario import Scenario
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
    kpi, op = m.group(1), m.group(2)
    share = kpi_domain(kpi) == "share"
    if share and not 0 <= bound <= 1:
        hint = f" (for {bound:g}% write {bound / 100:g})" if 1 < bound <= 100 else ""
        raise ValueError(
            f"{text[:120]!r}: {kpi} is a share, from 0 to 1{hint}; the bound {bound:g} is outside it"
        )
    if share and bound == 1 and op == "<=":
        raise ValueError(
            f"{text[:120]!r}: {kpi} is a share, never above 1, so this target is met by every option"
        )
    if bound < 0 or (bound == 0 and op == ">="):
        # Every other KPI counts, times or costs: none is below 0, so "<= -1" can never be met
        # and ">= 0" always is.
        never = "can never be met" if op == "<=" else "is met by every option"
        raise ValueError(f"{text[:120]!r}: {kpi} cannot be below 0, so this target {never}")
    return Target(kpi, op, bound)


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
    with *n_needed* the replications that would about tell: the fewest whose one-sided bound
    ``t(n-1) s / sqrt(n)`` falls within ``|mean - bound|``, t taken at that count
    (:func:`sim.experiments.stats.replications_for_half_width`); None when the mean sits on the
    bound (no number of replications would tell).
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
        # Student's t at the count named, not at the n run (t at 3 degrees of freedom asked for
        # several times the replications that would tell); beyond the search, the old rough count.
        at = replications_for_half_width(sd, distance, 1 - alpha)
        rough = math.ceil((t * sd / distance) ** 2)
        needed = max(n + 1, int(at) if math.isfinite(at) else rough)
    return TargetCheck(target, status, mean, low, high, n, needed)


def decide(values: np.ndarray, target: Target, alpha: float) -> tuple[str, float, float]:
    """Feasible, infeasible or undecided for *target*, with the one-sided lower and upper t bounds
    at level ``1 - alpha`` on the mean of *values* (NaN values are left out)."""
    c = check_target(values, target, alpha)
    return c.status, c.low, c.high


def short_key(key: str) -> str:
    """A dotted key without the ``gates.`` and ``routes.`` parts: the gate and the route stay, so
    ``gates.huu_nghi.routes.r1119_1120.china_check.lanes`` is ``huu_nghi.r1119_1120.china_check.lanes``."""
    parts = key.split(".")
    if parts[0] == "gates" and len(parts) > 2:
        parts = parts[1:]
        if len(parts) > 2 and parts[1] == "routes":
            parts = [parts[0], *parts[2:]]
    return ".".join(parts)


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
    steps: pd.DataFrame | None = None
    """Every look of the search: per stage and option the replications it had and asked next."""
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
