"""Fitting demand to what is reported or observed.

Two steps, both on common random numbers so that the noise of the model does not hide the
effect of a parameter:

1. *Demand scale* per gate and direction, by stochastic root finding: in a stable system trucks
   cleared per day respond linearly to base demand, so each iteration replicates the scenario,
   measures cleared / base demand per replication, and sets base demand to target / mean ratio
   (a Newton step on a linear response). The spread of the ratio over replications gives the
   standard error of the fitted base.
2. *Day-to-day variation* (``day_to_day_cv``), by a response surface: the share of days above
   the peak threshold is measured on a grid of cv values (same seeds at every point), the grid is
   refined inside the interval that brackets the target, and the cv that gives the target share
   is read off the logit of the share, interpolated locally. Refitting on bootstrap resamples of
   the replications gives its standard error.

Observed counts (a CSV of date, gate, direction, trucks) set the targets and the patterns first:
weekday and month factors, base demand by gate and direction, the day-to-day cv (variance beyond
Poisson) and, from an hourly CSV, the hourly profile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.experiments.designs import replicate
from sim.experiments.experiment import Experiment
from sim.studies.joint import JointSettings, Parameter, Target
from sim.world.csv_guard import read_csv_file
from sim.world.numbers import Float
from sim.world.scenario import Scenario
from sim.world.scenario_files import read_yaml_file
from sim.world.schema.names import DIRECTIONS, ScenarioError
from sim.world.schema.problems import unknown_name, validation_problems
from sim.world.yaml_guard import guarded_dump

CV_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


class Targets(BaseModel):
    """What the calibrated scenario should reproduce."""

    model_config = ConfigDict(extra="forbid")
    mean_per_day: Float | None = Field(default=None, gt=0, description="trucks cleared a day, all gates")
    peak_threshold_per_day: Float = Field(default=2000, gt=0)
    peak_share: Float | None = Field(
        default=None, gt=0, lt=1, description="share of days above the threshold"
    )
    shares: dict[str, dict[str, Float]] | None = Field(
        default=None, description="gate -> direction -> share of all trucks cleared"
    )
    observed_csv: str | None = Field(default=None, description="daily counts: date,gate,direction,trucks")
    observed_hourly_csv: str | None = Field(
        default=None, description="trucks arriving per hour: date,hour,gate,direction,trucks"
    )
    targets: list[Target] = Field(default_factory=list, description="reported figures (see joint.py)")
    joint: JointSettings = Field(default_factory=JointSettings)
    parameters: list[Parameter] = Field(default_factory=list, description="ASSUMPTION candidates")

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Targets:
        if self.shares is not None:
            total = sum(v for d in self.shares.values() for v in d.values())
            if abs(total - 1) > 1e-3:
                raise ValueError(f"shares must sum to 1, got {total:g}")
        if self.observed_csv is None and self.mean_per_day is None:
            raise ValueError("give mean_per_day or observed_csv")
        for kind, items in (("target", self.targets), ("parameter", self.parameters)):
            names = [x.name for x in items]
            twice = sorted({x for x in names if names.count(x) > 1})
            if twice:
                raise ValueError(f"{kind} names must be unique: {', '.join(twice)}")
        return self


def load_targets(path: str | Path) -> tuple[Targets, Path]:
    """The targets file and its folder (for relative CSV paths); errors name the file and key."""
    path = Path(path)
    data = read_yaml_file(path, str(path), "targets file")
    try:
        return Targets.model_validate(data), path.parent
    except ValidationError as err:
        raise ScenarioError(str(path), validation_problems(err, Targets), what="targets file") from None


@dataclass
class Observed:
    """Patterns estimated from observed counts."""

    mean_per_day: float
    shares: dict[str, dict[str, float]]
    weekday_factors: list[float]
    month_factors: list[float]
    day_to_day_cv: float
    peak_share: float
    daily_totals: pd.Series
    hourly_profile: dict[str, list[float]] | None = None


def read_counts(path: str | Path, columns: list[str]) -> pd.DataFrame:
    """A counts CSV with the columns checked; errors name the file and the column."""
    numbers = [c for c in ("trucks", "hour") if c in columns]
    df = read_csv_file(Path(path), what="counts file", required=columns, numbers=numbers, comment="#")
    for c in numbers:
        if df[c].isna().any():
            row = int(df[c].isna().to_numpy().nonzero()[0][0]) + 1
            raise ScenarioError(str(path), [(f"row {row}, column {c}", "is empty")], what="counts file")
    if (df["trucks"] < 0).any():
        raise ScenarioError(str(path), [("trucks", "counts must not be negative")])
    try:
        df["date"] = pd.to_datetime(df["date"])
    except (ValueError, TypeError) as err:
        raise ScenarioError(str(path), [("date", f"not dates YYYY-MM-DD: {str(err)[:120]}")]) from None
    return df


def check_counts_places(df: pd.DataFrame, sc: Scenario, path: str | Path) -> None:
    """Every row of a counts file names a gate and direction of *sc* that has demand; else a
    ScenarioError naming the file, the first row and its column."""
    for column, known in (("gate", list(sc.gates)), ("direction", list(DIRECTIONS))):
        bad = np.flatnonzero(~df[column].astype(str).isin(known).to_numpy())
        if bad.size:
            row = int(bad[0])
            problem = unknown_name(column, df[column].iloc[row], known)
            raise ScenarioError(str(path), [(f"row {row + 1}, column {column}", problem)], what="counts file")
    flows = {(g, d) for g in sc.gates for d in DIRECTIONS if _base(sc, g, d) > 0}
    for row, (g, d) in enumerate(zip(df["gate"].astype(str), df["direction"].astype(str), strict=True)):
        if (g, d) not in flows:
            raise ScenarioError(
                str(path),
                [(f"row {row + 1}", f"the scenario has no {d} demand at {g} to fit these counts to")],
                what="counts file",
            )


def estimate_patterns(daily: pd.DataFrame, threshold: float, hourly: pd.DataFrame | None = None) -> Observed:
    """Weekday and month factors (mean 1), split, day-to-day cv and peak share from counts."""
    per_day = daily.groupby("date")["trucks"].sum()
    wd_idx, m_idx = per_day.index.day_of_week.to_numpy(), per_day.index.month.to_numpy() - 1
    y = per_day.to_numpy(dtype=float)
    weekday, month = np.ones(7), np.ones(12)
    # Backfitting of the multiplicative model count = mean x weekday x month: each factor is the
    # mean ratio given the other, normalised to mean 1 over the weekdays or months seen.
    for _ in range(50):
        for factor, idx, other in ((month, m_idx, weekday[wd_idx]), (weekday, wd_idx, month[m_idx])):
            seen = np.unique(idx)
            ratio = y / other
            factor[seen] = [ratio[idx == k].mean() for k in seen]
            factor[seen] /= factor[seen].mean()
    expected = per_day.mean() * weekday[wd_idx] * month[m_idx]
    ratio = per_day / expected
    # Var(count / expected) = cv^2 + 1 / expected for a Poisson count with a gamma day factor.
    cv2 = ratio.var(ddof=1) - float(np.mean(1 / expected))
    totals = daily.groupby(["gate", "direction"])["trucks"].sum()
    shares: dict[str, dict[str, float]] = {}
    for (gate, direction), v in totals.items():
        shares.setdefault(gate, {})[direction] = float(v / totals.sum())
    profile = None
    if hourly is not None:
        by_hour = hourly.groupby(["direction", "hour"])["trucks"].sum()
        profile = {
            d: [float(by_hour.get((d, h), 0.0)) for h in range(24)]
            for d in by_hour.index.get_level_values(0).unique()
        }
    return Observed(
        mean_per_day=float(per_day.mean()),
        shares=shares,
        weekday_factors=[round(float(x), 4) for x in weekday],
        month_factors=[round(float(x), 4) for x in month],
        day_to_day_cv=math.sqrt(max(cv2, 0.0)),
        peak_share=float((per_day > threshold).mean()),
        daily_totals=per_day,
        hourly_profile=profile,
    )


def _base(sc: Scenario, gate: str, direction: str) -> float:
    return sum(sc.gates[gate].demand_trucks_per_day.get(direction, {}).values())


def _scaled(sc: Scenario, factors: Mapping[tuple[str, str], float]) -> Scenario:
    changes = {}
    for (gate, direction), f in factors.items():
        for cargo, rate in sc.gates[gate].demand_trucks_per_day[direction].items():
            changes[f"gates.{gate}.demand_trucks_per_day.{direction}.{cargo}"] = round(rate * f, 3)
    return sc.with_changes(changes)


@dataclass
class Fit:
    """A calibrated scenario, the fitted values with standard errors, and the check run."""

    scenario: Scenario
    targets: dict[str, float]
    fitted: pd.DataFrame
    check: Experiment
    cv_curve: pd.DataFrame
    observed: Observed | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def comparison(self) -> pd.DataFrame:
        """Targets against the calibrated model's mean and 95% interval."""
        s = self.check.summary()
        rows = [("mean_per_day", self.targets["mean_per_day"], s.loc["cleared_per_day_mean"])]
        k = self.check.kpis
        share = k["days_above_peak_ref"] / (self.scenario.run.days - self.scenario.run.warmup_days)
        from sim.experiments.stats import summarise

        rows.append(("peak_share", self.targets["peak_share"], summarise(share.to_frame("x")).loc["x"]))
        for (gate, direction), t in self.targets["flows"].items():
            rows.append(
                (f"cleared_per_day_{gate}_{direction}", t, s.loc[f"cleared_per_day_mean_{gate}_{direction}"])
            )
        return pd.DataFrame(
            [
                {
                    "target": name,
                    "value": t,
                    "simulated": r["mean"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                }
                for name, t, r in rows
            ]
        )


def _peak_shares(exp: Experiment) -> np.ndarray:
    days = exp.scenario.run.days - exp.scenario.run.warmup_days
    return (exp.kpis["days_above_peak_ref"] / days).to_numpy()


def _solve_cv(cvs: np.ndarray, shares: np.ndarray, target: float) -> float:
    """cv where logit(share), interpolated between the grid points around *target*, reaches it.

    The share of days above a threshold is a tail probability: nearly flat at small cv, then
    steep. A line through the whole grid misses it; locally, between two neighbouring points,
    logit(share) is close to linear in cv.
    """
    order = np.argsort(cvs)
    cvs, shares = cvs[order], np.maximum.accumulate(shares[order])  # the share cannot fall with cv
    if target <= shares[0]:
        return float(cvs[0])
    if target >= shares[-1]:
        return float(cvs[-1])
    k = int(np.searchsorted(shares, target))  # shares[k - 1] < target <= shares[k]
    eps = 0.5 / 1e4  # keeps logit finite where a share is 0
    lo, hi = np.clip(shares[[k - 1, k]], eps, 1 - eps)
    logit = np.log(np.array([lo, hi, target]) / (1 - np.array([lo, hi, target])))
    if logit[1] == logit[0]:
        return float(cvs[k])
    frac = (logit[2] - logit[0]) / (logit[1] - logit[0])
    return float(cvs[k - 1] + frac * (cvs[k] - cvs[k - 1]))


def calibrate(
    sc: Scenario,
    targets: Targets,
    base_dir: Path = Path("."),
    n: int = 6,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    iterations: int = 2,
    cv_grid: tuple[float, ...] = CV_GRID,
    boot: int = 200,
) -> Fit:
    """Fit base demand by gate and direction and the day-to-day cv to *targets*."""
    observed = None
    changes: dict[str, Any] = {"kpi.daily_peak_ref": targets.peak_threshold_per_day}
    mean, peak_share, shares = targets.mean_per_day, targets.peak_share, targets.shares
    if targets.observed_csv:
        daily = read_counts(base_dir / targets.observed_csv, ["date", "gate", "direction", "trucks"])
        hourly = None
        if targets.observed_hourly_csv:
            hourly = read_counts(
                base_dir / targets.observed_hourly_csv, ["date", "hour", "gate", "direction", "trucks"]
            )
        for path, counts in ((targets.observed_csv, daily), (targets.observed_hourly_csv, hourly)):
            if counts is not None:
                check_counts_places(counts, sc, base_dir / path)
        observed = estimate_patterns(daily, targets.peak_threshold_per_day, hourly)
        mean = mean or observed.mean_per_day
        peak_share = peak_share or observed.peak_share
        shares = shares or observed.shares
        changes["demand.weekday_factors"] = observed.weekday_factors
        changes["demand.month_factors"] = {"default": observed.month_factors}
        changes["demand.day_to_day_cv"] = round(observed.day_to_day_cv, 4)
        if observed.hourly_profile:
            for direction, profile in observed.hourly_profile.items():
                changes[f"demand.hourly_profile.{direction}"] = profile
    flows = [(g, d) for g in sc.gates for d in DIRECTIONS if _base(sc, g, d) > 0]
    if shares is None:
        total = sum(_base(sc, g, d) for g, d in flows)
        shares = {}
        for g, d in flows:
            shares.setdefault(g, {})[d] = _base(sc, g, d) / total
    unknown = [(g, d) for g, ds in shares.items() for d in ds if (g, d) not in flows]
    if unknown:
        raise ScenarioError("targets", [("shares", f"no demand in the scenario for {unknown}")])
    goal = {(g, d): mean * shares.get(g, {}).get(d, 0.0) for g, d in flows}
    sc = sc.with_changes(changes)
    history: list[dict[str, Any]] = []

    def fit_scales(sc: Scenario) -> tuple[Scenario, dict[tuple[str, str], tuple[float, float]]]:
        se: dict[tuple[str, str], tuple[float, float]] = {}
        for it in range(iterations):
            exp = replicate(sc, n, seed, jobs, executor, keep_series=False, keep_runs=0)
            factors = {}
            for g, d in flows:
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = exp.kpis[f"cleared_per_day_mean_{g}_{d}"].to_numpy() / _base(sc, g, d)
                if not (np.isfinite(ratio).all() and ratio.mean() > 0):
                    # Nothing to scale from: a run too short to clear trucks after its warm-up.
                    raise ScenarioError(
                        sc.source or sc.name,
                        [
                            (
                                "run.days",
                                f"the runs clear no {d} trucks a day at {g} after the warm-up "
                                f"({sc.run.days} days, {sc.run.warmup_days} of warm-up): the demand "
                                "cannot be scaled to the counts; give longer runs",
                            )
                        ],
                    )
                new = goal[(g, d)] / ratio.mean()
                factors[(g, d)] = new / _base(sc, g, d)
                se[(g, d)] = (new, goal[(g, d)] / ratio.mean() ** 2 * ratio.std(ddof=1) / math.sqrt(n))
            history.append(
                {"step": f"scale {it + 1}", "cleared_per_day_mean": exp.kpis["cleared_per_day_mean"].mean()}
            )
            sc = _scaled(sc, factors)
        return sc, se

    sc, _ = fit_scales(sc)

    def shares_at(grid: Sequence[float]) -> np.ndarray:
        out = []
        for cv in grid:
            exp = replicate(
                sc.with_changes({"demand.day_to_day_cv": float(cv)}),
                n,
                seed,
                jobs,
                executor,
                keep_series=False,
                keep_runs=0,
            )
            out.append(_peak_shares(exp))
        return np.array(out)  # grid point x replication

    # A coarse grid, then three more points inside the interval that brackets the target.
    cvs = np.array(cv_grid, dtype=float)
    per_rep = shares_at(cvs)
    mean_share = np.maximum.accumulate(per_rep.mean(axis=1))
    k = int(np.clip(np.searchsorted(mean_share, peak_share), 1, cvs.size - 1))
    finer = np.linspace(cvs[k - 1], cvs[k], 5)[1:-1]
    cvs = np.concatenate([cvs, finer])
    per_rep = np.vstack([per_rep, shares_at(finer)])
    order = np.argsort(cvs)
    cvs, per_rep = cvs[order], per_rep[order]
    cv_fit = _solve_cv(cvs, per_rep.mean(axis=1), peak_share)
    rng = np.random.default_rng(seed)
    boots = [_solve_cv(cvs, per_rep[:, rng.integers(0, n, n)].mean(axis=1), peak_share) for _ in range(boot)]
    cv_curve = pd.DataFrame({"day_to_day_cv": cvs, "peak_share": per_rep.mean(axis=1)})
    sc, se = fit_scales(sc.with_changes({"demand.day_to_day_cv": round(cv_fit, 4)}))
    check = replicate(sc, n, seed + 1, jobs, executor, keep_series=False, keep_runs=0)
    rows = [{"parameter": "demand.day_to_day_cv", "value": cv_fit, "se": float(np.std(boots, ddof=1))}]
    for (g, d), (value, err) in se.items():
        rows.append({"parameter": f"base trucks/day {g} {d}", "value": value, "se": err})
    t = {"mean_per_day": mean, "peak_share": peak_share, "flows": goal}
    return Fit(sc, t, pd.DataFrame(rows), check, cv_curve, observed, history)


def fit_yaml(fit: Fit) -> str:
    """The calibrated scenario as a file, with the fitted values and targets in its header."""
    lines = ["# Calibrated by `bordersim calibrate`; fitted values (standard error):"]
    lines += [f"#   {r.parameter}: {r.value:.4g} ({r.se:.2g})" for r in fit.fitted.itertuples()]
    lines.append(
        f"# targets: mean {fit.targets['mean_per_day']:.6g}/day, "
        f"share of days above the threshold {fit.targets['peak_share']:.4g}"
    )
    return "\n".join(lines) + "\n" + guarded_dump(fit.scenario.to_dict())
