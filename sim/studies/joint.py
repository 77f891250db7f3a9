"""Joint calibration of the parameters no report gives, to every normal-day target at once.

The targets file (``scenarios/targets.yaml``) lists each target with its source, its definition
in model terms, its band and its role (``fit`` or ``holdout``), and the ASSUMPTION parameters that
may be fitted. The method is built for a noisy simulator on common random numbers (CRN):

1. *Screen*: each candidate parameter is moved alone from the low to the high end of its range,
   every point replicated on the same seeds; the paired difference of each target, in units of
   its scale (half its band), says which targets a parameter moves. Only parameters that move
   some target clearly are fitted, no more than the number of targets they move, and never two
   whose effects point the same way (they could not be told apart).
2. *Design*: a face-centred central composite design over the fitted parameters (a five-point
   line for one), every point replicated on the same seeds.
3. *Surface*: per target, a quadratic in the coded parameters (-1 to 1), fitted by weighted least
   squares with weights one over the variance of each point's mean across replications.
4. *Fit*: the parameters that minimise the sum of squared tolerance-scaled misses (distance from
   the aim, or outside the band when a target has no aim), over the box of the ranges.
5. *Uncertainty*: the whole fit repeated on bootstrap resamples of the replications (the same
   replications at every design point, so CRN is kept); the standard deviation of the refitted
   values is each value's standard error.
6. *Conflicts*: a fit target the optimum misses is either out of reach of the fitted parameters
   (its own best is outside its band) or in conflict with named other targets (reachable alone,
   but only where they miss), with the correlation of their responses over the design.
7. *Check*: the fitted scenario is replicated on fresh seeds and each target reported as
   simulated mean [95% interval] (one value per replication) against its band, with a verdict.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import optimize

from sim.experiments.designs import replicate, replicate_each
from sim.experiments.experiment import Experiment
from sim.experiments.stats import bounded_interval, kpi_domain
from sim.world.numbers import Float, Int
from sim.world.ranges import ParameterChange
from sim.world.scenario import Scenario
from sim.world.schema.names import ScenarioError

RIDGE = 1e-3
"""Weight of the squared coded distance from the starting values in the fit's objective."""

VERDICT_RULE = (
    "met: the 95% interval lies inside the band; MISS: the mean lies outside it; "
    "borderline: the mean is inside but the interval crosses a bound"
)
"""How a target's verdict is read from the simulated interval and the band."""


class Target(BaseModel):
    """One reported figure, what it is in model terms, and how close the model must come."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    reported: str = Field(min_length=1, description="the reported figure(s), as reported")
    source: str = Field(min_length=1, description="citation to docs/sources.md (FF section)")
    definition: str = Field(min_length=1, description="the quantity in model terms, and why")
    tolerance: str = Field(min_length=1, description="why the band is what it is")
    role: Literal["fit", "holdout"]
    step: Literal["demand", "joint"] = Field(
        default="joint",
        description="demand: matched by the demand step (base demand and cv) and only checked after the "
        "joint fit, so no ASSUMPTION parameter is moved to hit it; joint: in the joint objective",
    )
    kpi: str | list[str] | None = Field(default=None, description="a KPI, or KPIs summed")
    over: str | list[str] | None = Field(default=None, description="divide by this KPI (or sum)")
    max_of: str | None = Field(default=None, description="regex: the largest of the matching KPIs")
    queues_growing: bool = Field(default=False, description="count of queues that grow (GROWTH_RULE)")
    band: tuple[Float, Float]
    aim: Float | None = Field(default=None, description="the point the fit aims at (else: the band)")
    scale: Float | None = Field(default=None, gt=0, description="unit of a miss (default: half the band)")

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        kinds = [self.kpi is not None, self.max_of is not None, self.queues_growing]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of kpi, max_of, queues_growing")
        if self.over is not None and self.kpi is None:
            raise ValueError("over needs kpi")
        lo, hi = self.band
        if lo > hi:
            raise ValueError(f"band {self.band} runs backwards")
        if self.aim is not None and not lo <= self.aim <= hi:
            raise ValueError(f"aim {self.aim} lies outside the band {self.band}")
        if self.scale is None and hi == lo:
            raise ValueError("a band of zero width needs a scale")
        return self

    @property
    def spread(self) -> float:
        """The unit a miss is measured in: *scale*, or half the band."""
        return self.scale if self.scale is not None else (self.band[1] - self.band[0]) / 2

    @property
    def domain(self) -> str:
        """``share`` when the quantity is a fraction (a ratio or utilisation), else ``nonnegative``."""
        if self.over is not None or (self.max_of or "").startswith("utilisation"):
            return "share"
        if isinstance(self.kpi, str):
            return kpi_domain(self.kpi)
        return "nonnegative"

    def kpi_list(self, key: str) -> list[str]:
        """*kpi* or *over* as a list of names."""
        value = getattr(self, key)
        return [] if value is None else [value] if isinstance(value, str) else list(value)

    def values(self, exp: Experiment) -> np.ndarray:
        """One value per replication of *exp*."""
        if self.queues_growing:
            return np.array(
                [float(r.bottlenecks["grows"].sum()) for r in exp.replications if r.bottlenecks is not None]
            )
        k = exp.kpis
        if self.max_of is not None:
            cols = [c for c in k.columns if re.fullmatch(self.max_of, c)]
            return k[cols].astype(float).max(axis=1).to_numpy()
        x = k[self.kpi_list("kpi")].astype(float).sum(axis=1).to_numpy()
        if self.over is not None:
            x = x / k[self.kpi_list("over")].astype(float).sum(axis=1).to_numpy()
        return x

    def miss(self, value: np.ndarray | float) -> np.ndarray:
        """Tolerance-scaled miss: distance from the aim, or outside the band, over *spread*."""
        v = np.asarray(value, dtype=float)
        if self.aim is not None:
            return (v - self.aim) / self.spread
        lo, hi = self.band
        return (np.maximum(lo - v, 0) + np.maximum(v - hi, 0)) / self.spread

    def inside(self, value: float) -> bool:
        """Whether *value* lies in the band."""
        return bool(self.band[0] <= value <= self.band[1])

    def near(self, value: float) -> bool:
        """Whether a surface value lies in the band, to a tenth of the scale (a surface's own error)."""
        return bool(self.band[0] - 0.1 * self.spread <= value <= self.band[1] + 0.1 * self.spread)

    @property
    def logged(self) -> bool:
        """Whether its surface is fitted to log(1 + value): counts and hours grow steeply near a
        jam, and a quadratic follows the logarithm of such a response much better than the value."""
        return self.domain == "nonnegative"

    def surface(self, coef: np.ndarray, x: np.ndarray, degree: int = 2) -> np.ndarray:
        """The surface's value of this target at coded points *x*, on its own scale and in range."""
        v = predict(coef, x, degree)
        return self.clip(np.expm1(v) if self.logged else v)

    def clip(self, value: np.ndarray | float) -> np.ndarray:
        """*value* kept in the quantity's possible range (a surface can stray below 0)."""
        return np.clip(value, 0.0, 1.0 if self.domain == "share" else np.inf)


class Parameter(ParameterChange):
    """An ASSUMPTION parameter the joint fit may move, and how a value changes the scenario."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    what: str = Field(min_length=1)
    range: tuple[Float, Float]
    start: Float

    @model_validator(mode="after")
    def _consistent(self) -> Parameter:
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"range {self.range} must run from low to high")
        if not lo <= self.start <= hi:
            raise ValueError(f"start {self.start} lies outside the range {self.range}")
        return self

    def coded(self, value: float) -> float:
        """*value* on the -1 to 1 scale of the range."""
        lo, hi = self.range
        return (2 * value - lo - hi) / (hi - lo)

    def natural(self, x: float) -> float:
        """The value at coded *x*."""
        lo, hi = self.range
        return lo + (x + 1) / 2 * (hi - lo)


class JointSettings(BaseModel):
    """The screen's rules for which parameters are fitted."""

    model_config = ConfigDict(extra="forbid")
    min_effect: Float = Field(default=0.5, gt=0, description="effect, in target scales, to count")
    max_fitted: Int = Field(default=3, ge=1, le=4)


def at_values(sc: Scenario, params: Sequence[Parameter], values: Sequence[float]) -> Scenario:
    """*sc* with each of *params* at its value."""
    base = sc.to_dict()
    changes: dict[str, Any] = {}
    for p, v in zip(params, values, strict=True):
        changes.update(p.changes(base, float(v)))
    return sc.with_changes(changes)


def target_matrix(exps: Sequence[Experiment], targets: Sequence[Target]) -> dict[str, np.ndarray]:
    """Per target, values as an array of points x replications."""
    return {t.name: np.vstack([t.values(e) for e in exps]) for t in targets}


def check_names(sc: Scenario, targets: Sequence[Target]) -> None:
    """Every KPI a target names must exist for *sc*; errors name the target and the key."""
    from sim.experiments.kpis import kpi_names

    names = kpi_names(sc)
    problems = []
    for i, t in enumerate(targets):
        for key in ("kpi", "over"):
            problems += [
                (f"targets.{i}.{key}", f"unknown KPI {k!r}") for k in t.kpi_list(key) if k not in names
            ]
        if t.max_of is not None and not any(re.fullmatch(t.max_of, n) for n in names):
            problems.append((f"targets.{i}.max_of", f"no KPI matches {t.max_of!r}"))
    if problems:
        raise ScenarioError("targets", problems)


# --- the screen ---------------------------------------------------------------------------


@dataclass
class Screen:
    """Effects of each candidate on each target, and which candidates are fitted and why."""

    effects: pd.DataFrame
    """parameter, target, effect (in target scales, high minus low), se."""
    chosen: list[str]
    reasons: dict[str, str]


def screen(
    sc: Scenario,
    params: Sequence[Parameter],
    targets: Sequence[Target],
    settings: JointSettings,
    n: int,
    seed: int,
    jobs: int | None = None,
    executor: Executor | None = None,
) -> Screen:
    """Move each candidate alone to each end of its range on CRN; choose the ones to fit."""
    starts = [p.start for p in params]
    scenarios = []
    for i, p in enumerate(params):
        for end in p.range:
            values = list(starts)
            values[i] = end
            scenarios.append(at_values(sc, params, values))
    exps = replicate_each(scenarios, n, seed, jobs, executor)
    y = target_matrix(exps, targets)
    rows = []
    for i, p in enumerate(params):
        for t in targets:
            d = (y[t.name][2 * i + 1] - y[t.name][2 * i]) / t.spread
            se = float(np.std(d, ddof=1) / math.sqrt(n)) if n > 1 else np.nan
            rows.append({"parameter": p.name, "target": t.name, "effect": float(np.mean(d)), "se": se})
    effects = pd.DataFrame(rows)
    clear = effects[
        (effects["effect"].abs() >= settings.min_effect) & (effects["effect"].abs() > 2 * effects["se"])
    ]
    moved = sorted(set(clear["target"]))
    cap = min(settings.max_fitted, len(moved))
    table = effects.pivot(index="parameter", columns="target", values="effect").reindex(
        [p.name for p in params]
    )
    strength = table.abs().max(axis=1)
    chosen: list[str] = []
    reasons: dict[str, str] = {}
    for name in strength.sort_values(ascending=False).index:
        mine = clear[clear["parameter"] == name]
        if mine.empty:
            reasons[name] = (
                f"fixed: moves no fit target by {settings.min_effect:g} of its scale "
                f"(largest {strength[name]:.2f}), so no target can pin it down"
            )
            continue
        vec = table.loc[name].to_numpy()
        twin = next(
            (
                c
                for c in chosen
                if abs(
                    np.dot(vec, table.loc[c]) / (np.linalg.norm(vec) * np.linalg.norm(table.loc[c]) + 1e-12)
                )
                > 0.95
            ),
            None,
        )
        if twin is not None:
            reasons[name] = f"fixed: its effects point the same way as {twin}'s (|cos| > 0.95), not separable"
        elif len(chosen) >= cap:
            reasons[name] = (
                f"fixed: the {len(moved)} target(s) moved ({', '.join(moved)}) pin down at most {cap} "
                "parameters, taken by larger effects"
            )
        else:
            chosen.append(name)
            moves = ", ".join(f"{r.target} {r.effect:+.2f}" for r in mine.itertuples())
            reasons[name] = f"fitted: moves {moves} (target scales, low to high end)"
    return Screen(effects, chosen, reasons)


# --- design, surface, fit ------------------------------------------------------------------


def design(k: int) -> np.ndarray:
    """Coded points: five on a line for one parameter, a face-centred composite design for more."""
    if k == 1:
        return np.linspace(-1, 1, 5)[:, None]
    corners = np.array(list(itertools.product((-1.0, 1.0), repeat=k)))
    faces = np.vstack([s * np.eye(k)[i] for i in range(k) for s in (-1.0, 1.0)])
    return np.vstack([corners, faces, np.zeros(k)])


def basis(x: np.ndarray, degree: int = 2) -> np.ndarray:
    """Columns of a polynomial in the coded parameters: 1, then (degree >= 1) linear terms, then
    (degree 2) squares and products."""
    x = np.atleast_2d(x)
    cols = [np.ones(len(x))] + (list(x.T) if degree >= 1 else [])
    if degree >= 2:
        k = x.shape[1]
        cols += [x[:, i] ** 2 for i in range(k)] if len(x) > 0 else []
        cols += [x[:, i] * x[:, j] for i in range(k) for j in range(i + 1, k)]
    return np.column_stack(cols)


def _band(t: Target) -> Target:
    """*t* with its aim dropped: any value in its band will do."""
    return t.model_copy(update={"aim": None})


def _scaled(t: Target, y: np.ndarray) -> np.ndarray:
    """Replication values on the scale *t*'s surface is fitted on (see :attr:`Target.logged`)."""
    return np.log1p(np.maximum(y, 0.0)) if t.logged else y


def fit_surface(x: np.ndarray, y: np.ndarray, degree: int = 2, weighted: bool = True) -> np.ndarray:
    """Coefficients of the polynomial through the point means of *y* (points x replications), by
    least squares weighted with one over the variance of each point's mean."""
    n = y.shape[1]
    mean = y.mean(axis=1)
    var = y.var(axis=1, ddof=1) / n if n > 1 else np.ones(len(y))
    floor = 1e-3 * float(np.mean(var)) + 1e-12  # a point with no spread must not take all the weight
    w = 1 / np.maximum(var, floor) if weighted else np.ones(len(y))
    a = basis(x, degree)
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(a * sw[:, None], mean * sw, rcond=None)
    return coef


def predict(coef: np.ndarray, x: np.ndarray, degree: int = 2) -> np.ndarray:
    """The surface's value at coded points *x*."""
    return basis(np.atleast_2d(x), degree) @ coef


def _minimise(objective: Any, k: int, starts: np.ndarray | None = None) -> np.ndarray:
    if starts is None:
        starts = np.array(list(itertools.product((-0.7, 0.0, 0.7), repeat=k)))
    best, best_f = None, np.inf
    for s in starts:
        r = optimize.minimize(objective, s, method="L-BFGS-B", bounds=[(-1, 1)] * k)
        if r.fun < best_f - 1e-12:
            best, best_f = r.x, r.fun
    return np.asarray(best)


def solve(
    coefs: dict[str, np.ndarray],
    targets: Sequence[Target],
    k: int,
    degree: int = 2,
    aims: dict[str, float] | None = None,
    starts: np.ndarray | None = None,
    x0: np.ndarray | None = None,
) -> np.ndarray:
    """Coded parameters minimising the sum of squared tolerance-scaled misses on the surfaces.

    With *x0* (the parameters' starting values, coded), a small penalty RIDGE x squared distance
    from it is added: where several values meet the bands equally well, the fit keeps the
    assumption it started from and moves it only as far as the targets demand.
    """

    def objective(x: np.ndarray) -> float:
        total = 0.0 if x0 is None else RIDGE * float(np.sum((x - x0) ** 2))
        for t in targets:
            v = float(t.surface(coefs[t.name], x, degree)[0])
            if aims and t.name in aims:
                total += ((v - aims[t.name]) / t.spread) ** 2
            else:
                total += float(t.miss(v)) ** 2
        return total

    return _minimise(objective, k, starts)


@dataclass
class JointFit:
    """What the joint fit found: the screen, the design, the fitted values, targets, conflicts."""

    scenario: Scenario
    params: list[Parameter]
    fitted: list[Parameter]
    screen: Screen | None
    design_x: np.ndarray
    design_y: dict[str, np.ndarray]
    coefs: dict[str, np.ndarray]
    values: pd.DataFrame
    """parameter, value, se, low, high, status (fitted or fixed), reason."""
    predicted: dict[str, float]
    table: pd.DataFrame
    """target, role, band, aim, simulated mean, ci_low, ci_high, n, verdict."""
    conflicts: list[str] = field(default_factory=list)
    degree: int = 2


def verdict(t: Target, mean: float, low: float, high: float) -> str:
    """:data:`VERDICT_RULE` applied to one target."""
    if not t.inside(mean):
        return "MISS"
    if t.inside(low) and t.inside(high):
        return "met"
    return "borderline"


def target_table(exp: Experiment, targets: Sequence[Target]) -> pd.DataFrame:
    """Each fit target as simulated mean [95% interval] (n replications) against its band."""
    rows = []
    for t in targets:
        x = t.values(exp)
        low, high, _ = bounded_interval(x[:, None], t.domain)
        mean = float(np.mean(x))
        rows.append(
            {
                "target": t.name,
                "role": t.role,
                "band_low": t.band[0],
                "band_high": t.band[1],
                "aim": t.aim,
                "simulated": mean,
                "ci_low": float(low[0]),
                "ci_high": float(high[0]),
                "n": len(x),
                "verdict": verdict(t, mean, float(low[0]), float(high[0])),
            }
        )
    return pd.DataFrame(rows)


def _conflicts(
    coefs: dict[str, np.ndarray],
    targets: Sequence[Target],
    x_opt: np.ndarray,
    design_y: dict[str, np.ndarray],
    fitted: Sequence[Parameter],
    degree: int,
) -> list[str]:
    """Why each target the optimum misses cannot be met with the others, read off the surfaces."""
    k = len(fitted)

    def value(t: Target, x: np.ndarray) -> float:
        return float(t.surface(coefs[t.name], x, degree)[0])

    out = []
    for t in targets:
        v = value(t, x_opt)
        if t.near(v):
            continue
        alone = solve(coefs, [_band(t)], k, degree)
        best = value(t, alone)
        at = ", ".join(f"{p.name} {p.natural(c):.3g}" for p, c in zip(fitted, alone, strict=True))
        head = f"{t.name}: {v:.4g} on the fitted surface, band [{t.band[0]:g}, {t.band[1]:g}]"
        if not t.near(best):
            there = [
                f"{u.name} {value(u, alone):.4g} (band [{u.band[0]:g}, {u.band[1]:g}])"
                for u in targets
                if u.name != t.name and not u.near(value(u, alone))
            ]
            out.append(
                f"{head}; out of reach of the fitted parameters: its best within their ranges is "
                f"{best:.4g} ({at})" + (f", where {'; '.join(there)}" if there else "")
            )
            continue
        against = []
        for u in targets:
            if u.name == t.name:
                continue
            before, after = abs(float(u.miss(value(u, x_opt)))), abs(float(u.miss(value(u, alone))))
            if after > before + 0.5:
                r = np.corrcoef(design_y[t.name].mean(axis=1), design_y[u.name].mean(axis=1))[0, 1]
                against.append(
                    f"{u.name} (would be {value(u, alone):.4g}, band [{u.band[0]:g}, {u.band[1]:g}]; "
                    f"r = {r:+.2f} over the design)"
                )
        out.append(
            f"{head}; reachable alone ({best:.4g} at {at}) but only where "
            + ("; ".join(against) if against else "the other targets' misses add up to more")
        )
    return out


def joint_fit(
    sc: Scenario,
    targets: Sequence[Target],
    params: Sequence[Parameter],
    settings: JointSettings | None = None,
    n: int = 4,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    n_screen: int | None = None,
    n_check: int = 10,
    boot: int = 200,
    do_screen: bool = True,
    degree: int = 2,
    weighted: bool = True,
    aim_se: dict[str, float] | None = None,
) -> JointFit:
    """Screen, design, surface, fit, bootstrap and check (see the module docstring).

    Targets of role ``fit`` and step ``joint`` steer the fit; every ``fit`` target is checked.
    *aim_se* gives the standard error of an aim that is itself estimated (e.g. from a simulated
    truth); the bootstrap then redraws the aim too.
    *degree* and *weighted* exist to show that a wrong surface misses.
    """
    settings = settings or JointSettings()
    checked = [t for t in targets if t.role == "fit"]
    check_names(sc, checked)
    fit_targets = [t for t in checked if t.step == "joint"]
    params = list(params)
    if do_screen:
        scr = screen(sc, params, fit_targets, settings, n_screen or n, seed, jobs, executor)
        chosen = [p for p in params if p.name in scr.chosen]
    else:
        scr, chosen = None, params
    fixed_values = [p.start for p in params]
    k = len(chosen)
    coefs: dict[str, np.ndarray] = {}
    x = np.zeros((0, k))
    y: dict[str, np.ndarray] = {}
    boots = np.zeros((0, k))
    x_opt = np.zeros(k)
    if k:
        x = design(k)
        idx = [params.index(p) for p in chosen]

        def natural(row: np.ndarray) -> list[float]:
            v = list(fixed_values)
            for j, c in zip(idx, row, strict=True):
                v[j] = params[j].natural(float(c))
            return v

        exps = replicate_each([at_values(sc, params, natural(row)) for row in x], n, seed, jobs, executor)
        y = target_matrix(exps, fit_targets)

        def surfaces(pick: np.ndarray) -> dict[str, np.ndarray]:
            return {
                t.name: fit_surface(x, _scaled(t, y[t.name][:, pick]), degree, weighted) for t in fit_targets
            }

        coefs = surfaces(np.arange(n))
        x0 = np.array([p.coded(p.start) for p in chosen])
        # A target no fitted value can bring into its band is reported, not chased: left in the
        # objective it would drag the fit to a range bound and push reachable targets out of band.
        steer = [
            t
            for t in fit_targets
            if t.near(t.surface(coefs[t.name], solve(coefs, [_band(t)], k, degree), degree)[0])
        ]
        x_opt = solve(coefs, steer, k, degree, x0=x0)
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(boot):
            bc = surfaces(rng.integers(0, n, n))
            aims = {
                t.name: rng.normal(t.aim, aim_se[t.name])
                for t in steer
                if aim_se and t.name in aim_se and t.aim is not None
            }
            out.append(solve(bc, steer, k, degree, aims, starts=np.vstack([x_opt, x0]), x0=x0))
        boots = np.array(out)
        fixed_values = natural(x_opt)
    fitted_sc = at_values(sc, params, fixed_values)
    rows = []
    for j, p in enumerate(params):
        value = round(fixed_values[j]) if p.integer else fixed_values[j]
        if p in chosen:
            c = chosen.index(p)
            se = float(np.std([p.natural(b[c]) for b in boots], ddof=1)) if len(boots) > 1 else np.nan
            status = "fitted"
        else:
            se, status = np.nan, "fixed"
        reason = scr.reasons.get(p.name, "") if scr else "fitted (no screen)"
        rows.append(
            {
                "parameter": p.name,
                "value": value,
                "se": se,
                "low": p.range[0],
                "high": p.range[1],
                "status": status,
                "reason": reason,
            }
        )
    predicted = {t.name: float(t.surface(coefs[t.name], x_opt, degree)[0]) for t in fit_targets} if k else {}
    conflicts = _conflicts(coefs, fit_targets, x_opt, y, chosen, degree) if k else []
    check = replicate(fitted_sc, n_check, seed + 1, jobs, executor, keep_series=False, keep_runs=0)
    table = target_table(check, checked)
    steps = {t.name: t.step for t in checked}
    conflicts += [
        f"{r.target}: {r.simulated:.4g} in the check, band [{r.band_low:g}, {r.band_high:g}]; "
        + (
            "missed by the demand step, which sets it"
            if steps[r.target] == "demand"
            else "no parameter is fitted"
        )
        for r in table.itertuples()
        if r.verdict == "MISS" and (steps[r.target] == "demand" or not k)
    ]
    return JointFit(
        fitted_sc, params, chosen, scr, x, y, coefs, pd.DataFrame(rows), predicted, table, conflicts, degree
    )
