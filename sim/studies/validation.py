"""Validation against reported episodes: set up what a report describes, compare the outcome.

A case file (``validation/*.yaml``) names a scenario and the changes that recreate an episode, a
measure of the outcome, the reported figure as reported, the accepted band, the reasoning, a
kind (``validation`` or ``illustration``) and a broken twin: the same case with the mechanism it
checks removed, which must then miss (``tests/test_validation_cases.py``).

**The tolerance rule.** The accepted band is the reported figure widened by a share for the
precision the figure is given to, read from the figure itself, and nothing else:

- the share of a figure ``x`` is half a unit of its last significant digit over ``x``, with a floor
  of :data:`SHARE_FLOOR` (10%): "~2,000" (one significant digit: trailing zeros of a whole number
  are not significant) gives 500 / 2,000 = 25%, "tens of kilometres" read as 20 gives 5 / 20 = 25%,
  "44 days" gives 0.5 / 44 -> the floor 10%, "-50%" (0.5) gives 0.05 / 0.5 = 10%. The floor stands
  for what even an exact figure leaves open: a report does not say which places and which minute
  it covers (e.g. trucks that declared and are still on the road);
- ``precision: count`` (a tally given to the unit in a dated official report, e.g. 369 held at
  20:00) must be a whole number whose last digit is not zero, and its share is the same formula
  (the floor, for any count of 5 or more); ``precision: rounded`` is any other figure. The label is
  checked against the figure's form and the share is computed from the figure, so relabelling a
  figure cannot widen its band;
- a point ``value: x`` gives ``[x (1 - s), x (1 + s)]``; a range ``low: a, high: b`` gives
  ``[a (1 - s_a), b (1 + s_b)]``, each end with its own share; ``at_least: a`` gives
  ``[a, open]`` and ``at_most: b`` gives ``[open, b]``: the bounding side of a one-sided outcome is
  the report's own bound and is not widened ("at least 18 days" means 18 or more). An open lower
  side of a measure that cannot be negative is 0.

:func:`band_of` applies the rule. The band is also written in the case file, committed before the
case first ran, and :func:`load_case` refuses a file whose band is not the rule's to a relative
1e-3 (so a band widened by hand is an error).

**The verdict** uses the 95% interval of the mean over replications (one value per replication;
Student-t, truncated to the measure's possible range, :func:`sim.experiments.stats.bounded_interval`):
``clear match`` = the whole interval inside the band; ``match`` = the mean inside the band but
the interval reaching out of it; ``miss`` = the mean outside the band. Replications are added
(from the case's ``replications``, in steps, up to :data:`MAX_REPLICATIONS`) until the interval is narrower
than the band (a one-sided band: until the interval no longer straddles its finite bound); the
result says when the cap was reached first. Only ``validation`` cases count
in "k of m validation cases match": an ``illustration`` is a case whose outcome is set by its own
inputs (e.g. 1,082 trucks / 69 a day), shown for what the model adds to the arithmetic.

Longer than the ~600 lines a module here keeps to: one validation case from its file (the
schema and the tolerance rule that refuses any other band) to its verdict row and table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.experiments.experiment import Experiment
from sim.experiments.results import DECLARED_LOOKAHEAD_DAYS, HELD_PLACES, Run
from sim.experiments.sequential import Stage, run_options
from sim.experiments.stats import bounded_interval, t_half_width
from sim.world.calendar import MIN_PER_DAY, minute_of
from sim.world.scenario import Scenario, validate_scenario
from sim.world.scenario_files import load_scenario, read_yaml_file
from sim.world.schema.names import AREA_PLACES, DECLARED_PLACES, ScenarioError
from sim.world.schema.problems import validation_problems

SHARE_FLOOR = 0.10
"""Least share by which a reported figure is widened: what the report leaves open of its definition."""
MIN_REPLICATIONS = 10
"""Least replication count of a case: the floor of the power rule (:func:`replications_for`)."""
MAX_REPLICATIONS = 40
"""Cap of the precision-driven replications of one case (a larger power count is run in full)."""
POWER_SHARE = 0.25
"""The power rule: the 95% half-width at the pilot's SD is at most this share of the band's width."""
PILOT_REPLICATIONS = 5
"""Replications of the pilot a case's count is computed from."""
PILOT_SEED = 1
"""Seed of the pilots, apart from the full runs' seed 0, so that the count does not rest on the
replications it then judges."""
VERDICTS = ("clear match", "match", "miss")
NOT_TESTABLE = "not testable"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Measure(StrictModel):
    """What is measured in each replication; *kind* picks the function below.

        ``held_at``: trucks not yet cleared at *clock* (Vietnam time), mean over *dates*, summed over
        *places* (default the places in the system, ``AREA_PLACES``; the declared places
        ``enroute`` and ``outside`` only when named). ``cleared``: trucks cleared per day
        over *dates* (filtered by *cargo*). With *reference_dates* either is compared with the same
        figure over those dates: ``difference`` (dates minus reference), ``ratio`` (dates over
        reference) or ``shortfall`` (reference minus dates, per day, times the number of dates: the
        trucks that did not come). ``days_to_clear_backlog``: days until the last truck of the initial
        backlog has left. ``days_to_empty``: days until the trucks held at *clock* first fall to
        *level* or below. ``road_queue_km_max``: longest road queue for the yards of *directions* over
    *dates* (both directions: the two roads' queues added in each sampling interval).
        The days measures give the run's length when it does not happen within the run.
    """

    kind: Literal["held_at", "cleared", "days_to_clear_backlog", "days_to_empty", "road_queue_km_max"]
    gates: list[str] | None = Field(default=None, description="null = every gate of the case")
    directions: list[Literal["export", "import"]] = Field(default_factory=lambda: ["export"])
    cargo: list[str] | None = None
    places: list[str] | None = None
    clock: str = "20:00"
    dates: list[dt.date] = Field(default_factory=list)
    reference_dates: list[dt.date] = Field(default_factory=list)
    compare: Literal["difference", "ratio", "shortfall"] | None = None
    level: float = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        unknown = sorted(set(self.places or []) - set(HELD_PLACES))
        if unknown:
            raise ValueError(f"unknown places {unknown}; known: {list(HELD_PLACES)}")
        if bool(self.reference_dates) != (self.compare is not None):
            raise ValueError("reference_dates and compare go together")
        if self.kind in ("held_at", "cleared", "road_queue_km_max") and not self.dates:
            raise ValueError(f"a {self.kind} measure needs dates")
        return self

    @property
    def domain(self) -> str:
        """``real`` for a difference or shortfall (either sign), else ``nonnegative``."""
        return "real" if self.compare in ("difference", "shortfall") else "nonnegative"


class Reported(StrictModel):
    """The reported outcome: the words of the report and the figure the band is made from."""

    text: str = Field(description="the outcome as reported")
    value: float | None = None
    low: float | None = None
    high: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    precision: Literal["count", "rounded"]
    translation: str = Field(default="", description="how a qualitative statement becomes the figure")

    @model_validator(mode="after")
    def _one_form(self) -> Reported:
        forms = [
            self.value is not None,
            self.low is not None or self.high is not None,
            self.at_least is not None,
            self.at_most is not None,
        ]
        if sum(forms) != 1 or (forms[1] and (self.low is None or self.high is None)):
            raise ValueError("give exactly one of: value; low and high; at_least; at_most")
        if self.precision == "count":
            for x in self.figures:
                if x != int(x) or int(x) % 10 == 0:
                    raise ValueError(
                        f"precision: count needs a whole number given to the unit (last digit not 0); "
                        f"{x:g} is a rounded figure"
                    )
        return self

    @property
    def figures(self) -> list[float]:
        """The reported figures the band is made from."""
        xs = [self.value, self.low, self.high, self.at_least, self.at_most]
        return [float(x) for x in xs if x is not None]


class Twin(StrictModel):
    """The case with the mechanism it checks broken; its verdict must be a miss.

    *expect* is the way breaking the mechanism must move the measure (``lower`` or ``higher``);
    a twin that leaves the measure where it was shows that the case cannot fail.
    """

    breaks: str = Field(description="the mechanism removed, in words")
    expect: Literal["lower", "higher"] = Field(description="the way the broken mechanism moves the measure")
    changes: dict[str, Any] = Field(default_factory=dict)
    china_export_per_day: dict[str, float] | None = None


class Power(StrictModel):
    """Why a case runs its ``replications``: the pilot's SD against the band (:func:`replications_for`)."""

    pilot_n: int = Field(ge=2, description="replications of the pilot")
    pilot_seed: int = Field(ge=0)
    pilot_mean: float = Field(description="the pilot's mean, for the record (the count does not use it)")
    pilot_sd: float = Field(ge=0, description="SD of the measure over the pilot's replications")
    band_width: float = Field(gt=0, description="the band's width by band_width()")
    text: str = Field(description="the argument in words")


class Case(StrictModel):
    """One reported episode, recreated and compared (see the module docstring)."""

    name: str
    kind: Literal["validation", "illustration"]
    source: str = Field(description="where the reported figure comes from (docs/sources.md)")
    question: str
    scenario: str = Field(description="scenario file, relative to the case file")
    gates: list[str] | None = Field(default=None, description="simulate only these gates; null = all")
    china_export_per_day: dict[str, float] = Field(
        default_factory=dict,
        description="reported Chinese acceptance of exports by gate, trucks a day (see set_china_rate)",
    )
    changes: dict[str, Any] = Field(default_factory=dict)
    measure: Measure
    unit: str
    reported: Reported
    band: tuple[float | None, float | None]
    same_quantity: str = Field(description="why the simulated figure is the reported quantity")
    reasoning: str = Field(description="the tolerance and its reasoning")
    twin: Twin
    replications: int = Field(default=MIN_REPLICATIONS, ge=2)
    power: Power | None = Field(default=None, description="the pilot the replications come from")
    testable: bool = Field(default=True, description="false: the measure cannot move both ways")
    not_testable: str = Field(default="", description="why the case is not testable (with testable: false)")

    @model_validator(mode="after")
    def _testable_has_reason(self) -> Case:
        if not self.testable and not self.not_testable.strip():
            raise ValueError("testable: false needs its reason in not_testable")
        if self.testable and self.not_testable:
            raise ValueError("not_testable is the reason of a testable: false case")
        return self


def band_width(band: tuple[float | None, float | None]) -> float:
    """The width the power rule divides: high - low; open on one side, |the finite bound| (from 0)."""
    lo, hi = band
    if lo is not None and hi is not None:
        return float(hi - lo)
    bound = hi if hi is not None else lo
    if bound is None:
        raise ValueError("a band needs at least one finite bound")
    return abs(float(bound))


def replications_for(pilot_sd: float, band: tuple[float | None, float | None]) -> int:
    """Least n >= :data:`MIN_REPLICATIONS` whose 95% half-width at *pilot_sd* is <= a quarter of the band.

    The half-width is Student-t with n - 1 degrees of freedom (:func:`t_half_width`).
    """
    target = POWER_SHARE * band_width(band)
    n = MIN_REPLICATIONS
    while float(t_half_width(pilot_sd, n)) > target:
        n += 1
    return n


def share_of(x: float) -> float:
    """Half a unit of the last significant digit of *x* over *x*, at least :data:`SHARE_FLOOR`.

    Trailing zeros of a whole number are not significant ("2,000" is one digit: 500 / 2,000 = 25%).
    """
    if x == 0:
        return SHARE_FLOOR
    d = Decimal(repr(abs(float(x)))).normalize()
    unit = Decimal(1).scaleb(d.as_tuple().exponent)  # type: ignore[arg-type]
    return max(SHARE_FLOOR, float(unit / 2) / abs(float(x)))


def band_of(reported: Reported, domain: str = "nonnegative") -> tuple[float | None, float | None]:
    """The accepted band: the reported figure widened by its precision share (module docstring)."""
    low: float | None
    high: float | None
    if reported.value is not None:
        s = share_of(reported.value)
        low, high = reported.value * (1 - s), reported.value * (1 + s)
    elif reported.at_least is not None:
        low, high = float(reported.at_least), None
    elif reported.at_most is not None:
        low, high = None, float(reported.at_most)
    else:
        a, b = float(reported.low), float(reported.high)  # type: ignore[arg-type]
        low, high = a * (1 - share_of(a)), b * (1 + share_of(b))
    if low is None and domain == "nonnegative":
        low = 0.0
    return low, high


def _same_band(a: tuple[float | None, float | None], b: tuple[float | None, float | None]) -> bool:
    return all(
        (x is None and y is None) or (x is not None and y is not None and math.isclose(x, y, rel_tol=1e-3))
        for x, y in zip(a, b, strict=True)
    )


def set_china_rate(data: dict[str, Any], gate: str, per_day: float) -> None:
    """Make *gate*'s Chinese side accept *per_day* exports in its export hours, imports left out.

    Every export and import goes to the gate's first route, whose checkpoint gets one lane with
    lognormal service times (cv 0.5) of mean = open export minutes / *per_day*. The reported rate
    counts trucks that crossed, so the route's crossing step (trailer swap) is folded into it and
    switched off. The gate's imports are set to zero, because the reported rates are for exports
    and imports had their own lanes (ASSUMPTION): in the model they would share the one lane.
    """
    g = data["gates"][gate]
    routes = list(g["routes"])
    first = g["routes"][routes[0]]
    cc = first["china_check"]
    hours = cc.get("hours_china_by_direction", {}).get("export") or cc["hours_china"]
    open_min = _clock(hours["close"]) - _clock(hours["open"])
    cc["lanes"] = 1
    first["crossing"]["enabled"] = False
    cc["service_min"] = {"default": {"dist": "lognormal", "mean": open_min / per_day, "cv": 0.5}}
    for name in routes:
        share = 1.0 if name == routes[0] else 0.0
        g["routes"][name]["share"] = {"export": {"default": share}, "import": {"default": share}}
    g["demand_trucks_per_day"]["import"] = dict.fromkeys(g["demand_trucks_per_day"]["import"], 0)


def _clock(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _keep_gates(data: dict[str, Any], gates: list[str], source: str) -> None:
    unknown = sorted(set(gates) - set(data["gates"]))
    if unknown:
        raise ScenarioError(source, [("gates", f"unknown gates {unknown}; known: {sorted(data['gates'])}")])
    data["gates"] = {g: v for g, v in data["gates"].items() if g in gates}
    events = []
    for ev in data.get("events", []):
        named = ev.get("gates")
        if named is not None:
            ev["gates"] = [g for g in named if g in gates]
            if not ev["gates"]:
                continue
        events.append(ev)
    data["events"] = events


def build_scenario(case: Case, case_dir: Path, twin: bool = False) -> Scenario:
    """The case's scenario (or its broken twin's): base file, changes, gates kept, Chinese rates."""
    changes = dict(case.changes)
    rates = dict(case.china_export_per_day)
    if twin:
        changes.update(case.twin.changes)
        if case.twin.china_export_per_day is not None:
            rates = dict(case.twin.china_export_per_day)
    sc = load_scenario(case_dir / case.scenario, changes)
    data = sc.to_dict()
    if twin:
        data["name"] = f"{data['name']}_twin"
    if case.gates:
        _keep_gates(data, case.gates, sc.source)
    for gate, per_day in rates.items():
        if gate not in data["gates"]:
            raise ScenarioError(sc.source, [(f"china_export_per_day.{gate}", "not a simulated gate")])
        set_china_rate(data, gate, per_day)
    _room_for_declarations(data, case, sc)
    return validate_scenario(data, sc.source)


def _room_for_declarations(data: dict[str, Any], case: Case, sc: Scenario) -> None:
    """Extend the run past the measured days when the hold counts declared exports not yet in the
    area (a measure naming ``enroute`` or ``outside``). Trucks arriving after a day change
    nothing before it except the declarations they send ahead, which is what is measured."""
    if case.measure.kind != "held_at" or not set(case.measure.places or []) & set(DECLARED_PLACES):
        return
    last = max([*case.measure.dates, *case.measure.reference_dates], default=None)
    if last is None:
        return
    need = (last - sc.run.start_date).days + 1 + DECLARED_LOOKAHEAD_DAYS
    if data["run"]["days"] < need:
        data["run"]["days"] = need


def load_case(path: str | Path, twin: bool = False) -> tuple[Case, Scenario]:
    """Read a case file and build its scenario (or its twin's); errors name the file and key.

    A band that is not the tolerance rule's (:func:`band_of`) is refused.
    """
    path = Path(path)
    try:
        case = Case.model_validate(read_yaml_file(path, str(path), "validation case"))
    except ValidationError as err:
        raise ScenarioError(str(path), validation_problems(err, Case), what="validation case") from None
    rule = band_of(case.reported, case.measure.domain)
    if not _same_band(case.band, rule):
        msg = f"{list(case.band)} is not the tolerance rule's band {list(rule)} (see sim/validation.py)"
        raise ScenarioError(str(path), [("band", msg)])
    if case.power is not None:
        problems = []
        width = band_width(case.band)
        if not math.isclose(case.power.band_width, width, rel_tol=1e-3):
            problems.append(
                ("power.band_width", f"{case.power.band_width:g} is not the band's width {width:g}")
            )
        rule_n = replications_for(case.power.pilot_sd, case.band)
        if case.replications != rule_n:
            problems.append(
                (
                    "replications",
                    f"{case.replications} is not the power rule's {rule_n} for pilot SD "
                    f"{case.power.pilot_sd:g} and band width {width:g} (see replications_for)",
                )
            )
        if problems:
            raise ScenarioError(str(path), problems)
    sc = build_scenario(case, path.parent, twin)
    for d in [*case.measure.dates, *case.measure.reference_dates]:
        if minute_of(sc, d) < 0 or (d - sc.run.start_date).days >= sc.run.days:
            raise ScenarioError(str(path), [("measure.dates", f"{d} is outside the run")])
    return case, sc


def _gates(run: Run, m: Measure) -> list[str]:
    return m.gates or list(run.scenario.gates)


def _held(run: Run, m: Measure, days: list[int] | None) -> pd.Series:
    """Trucks held at the clock per day (all days of the run when *days* is None)."""
    window = (
        run.scenario.run.start_date,
        run.scenario.run.start_date + dt.timedelta(days=run.scenario.run.days - 1),
    )
    h = run.held_at(m.clock, window=window)
    h = h[h["gate"].isin(_gates(run, m)) & h["direction"].isin(m.directions)]
    # By default the trucks in the system (the gate area and the Chinese side), as the cases were
    # written; a case about the platform's count names the declared places too.
    places = m.places or AREA_PLACES
    per_day = h.groupby("day")[list(places)].sum().sum(axis=1)
    return per_day if days is None else per_day.reindex(days, fill_value=0)


def _cleared(run: Run, m: Measure, days: list[int]) -> pd.Series:
    tr = run.trucks
    sel = (tr["outcome"] == "cleared") & tr["gate"].isin(_gates(run, m)) & tr["direction"].isin(m.directions)
    if m.cargo:
        sel &= tr["cargo"].isin(m.cargo)
    day = (tr.loc[sel, "departure_min"] // MIN_PER_DAY).astype(int)
    return day.value_counts().reindex(days, fill_value=0)


def _day_index(run: Run, dates: list[dt.date]) -> list[int]:
    return [(d - run.scenario.run.start_date).days for d in dates]


def _compared(m: Measure, main: pd.Series, ref: pd.Series | None) -> float:
    if ref is None or m.compare is None:
        return float(main.mean())
    if m.compare == "difference":
        return float(main.mean() - ref.mean())
    if m.compare == "ratio":
        return float(main.mean() / ref.mean()) if ref.mean() > 0 else math.inf
    return float((ref.mean() - main.mean()) * len(main))


def _held_at(run: Run, m: Measure) -> float:
    ref = _held(run, m, _day_index(run, m.reference_dates)) if m.reference_dates else None
    return _compared(m, _held(run, m, _day_index(run, m.dates)), ref)


def _cleared_measure(run: Run, m: Measure) -> float:
    ref = _cleared(run, m, _day_index(run, m.reference_dates)) if m.reference_dates else None
    return _compared(m, _cleared(run, m, _day_index(run, m.dates)), ref)


def _days_to_clear(run: Run, m: Measure) -> float:
    tr = run.trucks
    backlog = tr[
        (tr["arrival_min"] == 0) & tr["gate"].isin(_gates(run, m)) & tr["direction"].isin(m.directions)
    ]
    if backlog.empty:
        return 0.0
    if backlog["departure_min"].isna().any():
        return float(run.scenario.run.days)
    return float(backlog["departure_min"].max() / MIN_PER_DAY)


def _days_to_empty(run: Run, m: Measure) -> float:
    per_day = _held(run, m, None)
    below = per_day[per_day <= m.level]
    if below.empty:
        return float(run.scenario.run.days)
    return float(below.index.min() + _clock(m.clock) / MIN_PER_DAY)


def _road_km_max(run: Run, m: Measure) -> float:
    """Longest road queue over the dates, km; with two directions, their sum in each interval.

    The sum of the two roads' longest queues in a sampling interval bounds the joint queue from
    above (the two peaks need not fall at the same minute); both queues stand on the same highway.
    """
    q = run.queues
    days = _day_index(run, m.dates)
    day = (q["time_h"] // 24).astype(int)
    places = [f"road_{d}" for d in m.directions]
    sel = q["gate"].isin(_gates(run, m)) & q["place"].isin(places) & day.isin(days)
    if not sel.any():
        return 0.0
    m_per_truck = q.loc[sel, "gate"].map({g: c.road_m_per_truck for g, c in run.scenario.gates.items()})
    km = (
        (q.loc[sel, "queue_max"] * m_per_truck / 1000)
        .groupby([q.loc[sel, "gate"], q.loc[sel, "time_h"]])
        .sum()
    )
    return float(km.max())


MEASURES: dict[str, Callable[[Run, Measure], float]] = {
    "held_at": _held_at,
    "cleared": _cleared_measure,
    "days_to_clear_backlog": _days_to_clear,
    "days_to_empty": _days_to_empty,
    "road_queue_km_max": _road_km_max,
}


def measure(case: Case, exp: Experiment) -> pd.Series:
    """The case's measure in every replication kept in full (one value per replication)."""
    fn = MEASURES[case.measure.kind]
    return pd.Series([fn(run, case.measure) for run in exp.runs], name=case.name, dtype=float)


def interval(values: pd.Series, domain: str) -> tuple[float, float, float]:
    """Mean and 95% interval of the mean over replications, kept inside the measure's range."""
    x = values.to_numpy(dtype=float)
    mean = float(np.mean(x))
    if domain == "real":
        half = float(t_half_width(float(np.std(x, ddof=1)), len(x))) if len(x) > 1 else math.nan
        return mean, mean - half, mean + half
    low, high, _ = bounded_interval(x.reshape(-1, 1), "nonnegative")
    return mean, float(low[0]), float(high[0])


def verdict(mean: float, low: float, high: float, band: tuple[float | None, float | None]) -> str:
    """``clear match``, ``match`` or ``miss`` by the rule in the module docstring."""
    lo = -math.inf if band[0] is None else band[0]
    hi = math.inf if band[1] is None else band[1]
    if not lo <= mean <= hi:
        return "miss"
    if not (math.isnan(low) or math.isnan(high)) and lo <= low and high <= hi:
        return "clear match"
    return "match"


def _narrow_enough(low: float, high: float, band: tuple[float | None, float | None]) -> bool:
    """Whether the interval is precise enough for the verdict.

    Two-sided band: the interval is narrower than the band. One-sided band (the other side open,
    or 0 for a measure that cannot be negative and an ``at most``): the interval does not straddle
    the finite bound, so it says on which side of the bound the mean lies.
    """
    if math.isnan(low) or math.isnan(high):
        return False
    lo, hi = band
    if lo is None or hi is None or lo == 0.0:
        bound = hi if hi is not None else lo
        return bound is None or not low <= bound <= high or low == high
    return high - low < hi - lo


def run_case(
    case: Case,
    sc: Scenario,
    n: int | None = None,
    seed: int = 0,
    jobs: int | None = 1,
    executor: Any = None,
    max_n: int = MAX_REPLICATIONS,
) -> dict[str, Any]:
    """Replicate a case until its interval is narrower than its band (or *max_n*); the verdict row."""
    n = n or case.replications
    if n < 2:  # no interval to make narrower: one replication, verdict on its value
        max_n = n
    series = case.measure.kind == "road_queue_km_max"
    seen: dict[str, Any] = {}

    def more(stage: Stage) -> dict[int, int]:
        values = measure(case, stage.experiment(0, every=True))
        mean, low, high = interval(values, case.measure.domain)
        narrow = _narrow_enough(low, high, case.band)
        seen.update(values=values, mean=mean, low=low, high=high, narrow=narrow)
        count = stage.counts[0]
        if narrow or count >= max_n:
            return {}
        return {0: min(max_n, count + max(5, count // 2))}

    # Every run is kept (the road-queue measure reads the series of each replication).
    run_options(
        [sc], n, seed, more, jobs=jobs, executor=executor, keep_series=series, keep_runs=max(n, max_n)
    )
    values, mean, low, high, narrow = (seen[k] for k in ("values", "mean", "low", "high", "narrow"))
    return verdict_row(case, values, mean, low, high, capped=not narrow)


def across_ensemble_case(
    case: Case,
    sc: Scenario,
    ensemble: Any,
    n: int = 2,
    seed: int = 0,
    jobs: int | None = 1,
    executor: Any = None,
) -> dict[str, Any]:
    """The case over the parameter sets of *ensemble*: each set's mean of the measure over *n*
    replications (common random numbers across sets), and the share of sets whose mean lies in
    the band, beside the point verdict. A case whose scenario the ranges do not fit says so."""
    from sim.studies.ensemble import run_sets
    from sim.world.schema.names import ScenarioError

    empty = {"ensemble_m": 0, "ensemble_k": n, "ensemble_matching": 0, "ensemble_share": math.nan,
             "ensemble_p05": math.nan, "ensemble_p95": math.nan, "ensemble_note": ""}  # fmt: skip
    try:
        ensemble.ranges.check(sc)
    except ScenarioError as err:
        return empty | {"ensemble_note": "ranges do not fit: " + "; ".join(m for _, m in err.problems)[:300]}
    series = case.measure.kind == "road_queue_km_max"
    exps = run_sets(
        sc, ensemble.ranges, ensemble.values(), n, seed, jobs, executor, keep_runs=n, keep_series=series
    )
    means = np.array([float(measure(case, e).mean()) for e in exps])
    lo = -math.inf if case.band[0] is None else case.band[0]
    hi = math.inf if case.band[1] is None else case.band[1]
    inside = (means >= lo) & (means <= hi)
    return {
        "ensemble_m": len(means),
        "ensemble_k": n,
        "ensemble_matching": int(inside.sum()),
        "ensemble_share": float(inside.mean()),
        "ensemble_p05": float(np.quantile(means, 0.05)),
        "ensemble_p95": float(np.quantile(means, 0.95)),
        "ensemble_note": "",
    }


def pilot(case: Case, sc: Scenario, executor: Any = None) -> Power:
    """A case's power block from its pilot: :data:`PILOT_REPLICATIONS` on :data:`PILOT_SEED`, one worker."""
    n = PILOT_REPLICATIONS
    r = run_case(case, sc, n=n, seed=PILOT_SEED, jobs=1, executor=executor, max_n=n)
    sd = 0.0 if math.isnan(r["sd"]) else float(r["sd"])
    width = band_width(case.band)
    need = replications_for(sd, case.band)
    half = float(t_half_width(sd, need))
    text = (
        f"pilot of {n} replications (seed {PILOT_SEED}, the case's own horizon): SD {sd:.3g} {case.unit}; "
        f"band width {width:.3g}; {need} replications give a 95% half-width of {half:.3g}, at most "
        f"a quarter of the width ({POWER_SHARE * width:.3g}); at least {MIN_REPLICATIONS}"
    )
    return Power(
        pilot_n=n,
        pilot_seed=PILOT_SEED,
        pilot_mean=float(r["simulated"]),
        pilot_sd=sd,
        band_width=width,
        text=text,
    )


def verdict_row(
    case: Case, values: pd.Series, mean: float, low: float, high: float, capped: bool = False
) -> dict[str, Any]:
    """One row of the validation table."""
    lo, hi = case.band
    judged = verdict(mean, low, high, case.band) if case.testable else NOT_TESTABLE
    return {
        "case": case.name,
        "kind": case.kind,
        "reported": case.reported.text,
        "simulated": mean,
        "ci_low": low,
        "ci_high": high,
        "unit": case.unit,
        "band_low": lo,
        "band_high": hi,
        "band": _band_text(case.band),
        "verdict": judged,
        "n": len(values),
        "sd": float(values.std(ddof=1)) if len(values) > 1 else math.nan,
        "cap_reached": capped,
        "twin_breaks": case.twin.breaks,
    }


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _band_text(band: tuple[float | None, float | None]) -> str:
    lo, hi = band
    if hi is None:
        return f"at least {_num(lo)}"
    if lo is None:
        return f"at most {_num(hi)}"
    return f"{_num(lo)} to {_num(hi)}"


def counted(table: pd.DataFrame) -> tuple[int, int]:
    """(validation cases that match, validation cases judged): illustrations and cases not testable
    are not counted."""
    v = table[(table["kind"] == "validation") & (table["verdict"] != NOT_TESTABLE)]
    return int(v["verdict"].isin(["clear match", "match"]).sum()), len(v)


def markdown(table: pd.DataFrame) -> str:
    """The validation table in Markdown, misses in bold, with the count of validation cases."""
    lines = [
        "| case | kind | reported | simulated [95% interval] | accepted band | verdict | n |",
        "|---|---|---|---|---|---|---|",
    ]
    across = "ensemble_m" in table.columns
    if across:
        k = int(table["ensemble_k"].max()) if "ensemble_k" in table else 0
        lines[0] += (
            f" across plausible parameter sets: sets whose mean of {k} run(s) is in the band (5th-95th "
            "percentile of the set means) |"
        )
        lines[1] += "---|"
    for r in table.itertuples():
        sim = f"{_num(r.simulated)} [{_num(r.ci_low)}, {_num(r.ci_high)}] {r.unit}"
        v = "**miss**" if r.verdict == "miss" else r.verdict
        n = f"{r.n} (cap)" if r.cap_reached else str(r.n)
        line = f"| {r.case} | {r.kind} | {r.reported} | {sim} | {r.band} {r.unit} | {v} | {n} |"
        if across:
            if r.ensemble_m:
                line += (
                    f" {r.ensemble_matching} of {r.ensemble_m} ({_num(r.ensemble_p05)} to"
                    f" {_num(r.ensemble_p95)} {r.unit}) |"
                )
            else:
                line += f" {r.ensemble_note or 'not run'} |"
        lines.append(line)
    k, m = counted(table)
    untestable = sorted(table.loc[table["verdict"] == NOT_TESTABLE, "case"])
    aside = (
        f"; not testable with the model's inputs, not counted: {', '.join(untestable)}" if untestable else ""
    )
    lines.append("")
    lines.append(f"{k} of {m} validation cases match (illustrations not counted{aside}).")
    return "\n".join(lines)
