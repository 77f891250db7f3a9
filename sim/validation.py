"""Validation against reported episodes: set up what a report describes, compare the outcome.

A case file (``validation/*.yaml``) names a scenario and the changes that recreate an episode, a
measure of the outcome, the reported figure, the range accepted as a match and the reasoning for
it. ``bordersim validate`` replicates every case and prints reported against simulated (with a
95% interval) and whether the simulated mean falls in the accepted range. A miss is shown as a
miss: it says where the model and the reports part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.calendar import MIN_PER_DAY, minute_of
from sim.experiment import Experiment
from sim.results import Run
from sim.scenario import Scenario, ScenarioError, _problems, load_scenario
from sim.stats import summarise


class Measure(BaseModel):
    """What is measured in each replication; *kind* picks the function below."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["kpi", "days_to_clear_backlog", "exports_inside_at", "cleared_on"]
    kpi: str | None = None
    gate: str | None = None
    hour: int = Field(default=20, ge=0, le=23)
    dates: list[dt.date] = Field(default_factory=list)
    date: dt.date | None = None


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    source: str = Field(description="where the reported figure comes from")
    question: str
    scenario: str = Field(description="scenario file, relative to the case file")
    changes: dict[str, Any] = Field(default_factory=dict)
    measure: Measure
    unit: str
    reported: str = Field(description="the reported outcome, as reported")
    accept: tuple[float, float] = Field(description="simulated mean in this range counts as a match")
    reasoning: str
    replications: int = Field(default=5, ge=2)


def _inside_at(run: Run, t_min: float, direction: str | None = None) -> int:
    tr = run.trucks
    sel = (tr["arrival_min"] <= t_min) & ~(tr["departure_min"] <= t_min)
    if direction:
        sel &= tr["direction"] == direction
    return int(sel.sum())


def _days_to_clear(run: Run, m: Measure) -> float:
    tr = run.trucks
    backlog = tr[(tr["arrival_min"] == 0) & (tr["gate"] == m.gate)]
    if backlog["departure_min"].isna().any():
        return float("inf")
    return float(backlog["departure_min"].max() / MIN_PER_DAY)


def _exports_inside_at(run: Run, m: Measure) -> float:
    days = range(run.scenario.run.warmup_days, run.scenario.run.days)
    if m.date is not None:
        days = [(m.date - run.scenario.run.start_date).days]
    return float(np.mean([_inside_at(run, d * MIN_PER_DAY + m.hour * 60, "export") for d in days]))


def _cleared_on(run: Run, m: Measure) -> float:
    d = run.daily
    on = d[d["date"].dt.date.isin(m.dates)]
    return float(on.groupby("date")["cleared"].sum().mean())


MEASURES: dict[str, Callable[[Run, Measure], float]] = {
    "kpi": lambda run, m: float(run.kpis()[m.kpi]),
    "days_to_clear_backlog": _days_to_clear,
    "exports_inside_at": _exports_inside_at,
    "cleared_on": _cleared_on,
}


def load_case(path: str | Path) -> tuple[Case, Scenario]:
    """Read a case file and build its scenario; errors name the file and key."""
    path = Path(path)
    try:
        case = Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as err:
        raise ScenarioError(str(path), _problems(err)) from None
    sc = load_scenario(path.parent / case.scenario, case.changes)
    if case.measure.date is not None:
        minute_of(sc, case.measure.date)  # a date outside the run shows up as a negative minute
    return case, sc


def measure(case: Case, exp: Experiment) -> pd.Series:
    """The case's measure in every replication kept in full."""
    fn = MEASURES[case.measure.kind]
    return pd.Series([fn(run, case.measure) for run in exp.runs], name=case.name)


def verdict_row(case: Case, values: pd.Series) -> dict[str, Any]:
    s = summarise(values.to_frame()).iloc[0]
    low, high = case.accept
    return {
        "case": case.name,
        "reported": case.reported,
        "simulated": s["mean"],
        "ci_low": s["ci_low"],
        "ci_high": s["ci_high"],
        "unit": case.unit,
        "accepted_range": f"{low:g} to {high:g}",
        "within": bool(low <= s["mean"] <= high),
        "n": int(s["n"]),
    }


def markdown(table: pd.DataFrame) -> str:
    lines = [
        "| case | reported | simulated [95% interval] | accepted | match |",
        "|---|---|---|---|---|",
    ]

    def num(x: float) -> str:
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

    for r in table.itertuples():
        sim = f"{num(r.simulated)} [{num(r.ci_low)}, {num(r.ci_high)}] {r.unit}"
        lines.append(
            f"| {r.case} | {r.reported} | {sim} | {r.accepted_range} {r.unit} | "
            f"{'yes' if r.within else '**no**'} |"
        )
    return "\n".join(lines)
