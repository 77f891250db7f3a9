"""What waiting costs, and what a change costs.

:func:`cost_kpis` turns a run's per-truck time pieces into money and impact: the waiting cost a
day in VND (parking fees where trucks pay them, fuel where refrigerated trucks burn it), the value
of perishable goods at risk, tonnes cleared a day and CO2 from idling engines. The rates are the
scenario's ``kpi:`` section.

A costs file (``costs.yaml``, see ``scenarios/costs.yaml``) gives the cost of each lever of
``bordersim optimise``: per lane-hour, per hour of extended opening, per unit a day, per value,
or for switching a rule on; :func:`option_cost` prices an option against the scenario as given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.experiments.window import Window, window_minutes
from sim.world.calendar import MIN_PER_DAY
from sim.world.numbers import Float
from sim.world.scenario import Scenario
from sim.world.scenario_files import read_yaml_file
from sim.world.schema.names import DIRECTIONS, LANE_STAGES, Hours, ScenarioError
from sim.world.schema.problems import validation_problems
from sim.world.yaml_guard import guarded_load

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments.truck_table import TruckColumns

H_PER_DAY = 24.0
KG_PER_T = 1000.0
YARD_PIECES = ("yard_wait", "procedures", "to_china")
"""Pieces of a truck's time spent in the gate's yard, where parking fees are charged."""
WAITING_PIECES = ("china_side", "park", "road", "yard_wait", "procedures", "to_china")
"""Pieces of a truck's time at the border (all but ``travel``, driving from the park to the gate)."""
COST_KPIS = (
    "waiting_cost_vnd_per_day",
    "goods_at_risk_vnd_per_day",
    "tonnes_cleared_per_day",
    "idle_co2_t_per_day",
)
"""The money and impact KPIs (plus ``waiting_cost_vnd_per_day_<direction>``)."""


def truck_waiting_cost_vnd(sc: Scenario, trucks: pd.DataFrame | TruckColumns) -> np.ndarray:
    """What each cleared truck of a run of *sc* (its truck table *trucks*) paid while waiting (VND;
    0 for trucks not cleared), by the rates of :func:`cost_kpis`: parking in the yard and the park,
    reefer fuel and the driver's living costs at the border."""
    kp = sc.kpi
    tr = trucks
    perishable = [c for c, cc in sc.cargo_classes.items() if cc.perishable]
    reefer = is_in(tr["cargo"], perishable if kp.reefer_classes is None else kp.reefer_classes)

    # (yard + park + fuel + driver) / hours a day, summed in that order, in place: two arrays as
    # long as the trucks at a time instead of six.
    total = _hours(tr, *YARD_PIECES)
    total *= kp.parking_vnd_per_truck_day
    total += _hours(tr, "park") * kp.park_vnd_per_truck_day
    waiting = _hours(tr, *WAITING_PIECES)
    total += np.where(reefer, waiting, 0.0) * kp.reefer_fuel_vnd_per_truck_day
    waiting *= kp.driver_vnd_per_truck_day
    total += waiting
    total /= H_PER_DAY
    return total


def _hours(trucks: pd.DataFrame | TruckColumns, *pieces: str) -> np.ndarray:
    """Each truck's hours in *pieces* (``<piece>_h`` of the truck table), a missing piece as 0."""
    return sum(np.nan_to_num(trucks[f"{p}_h"].to_numpy()) for p in pieces)


def is_in(column: pd.Series, labels: Iterable[str]) -> np.ndarray:
    """Which rows of the categorical *column* hold one of *labels*, read from its codes (a byte a
    row) rather than from an array of its labels (eight bytes a row: 5 MiB a column of a year)."""
    wanted = set(labels)
    codes = [i for i, c in enumerate(column.cat.categories) if c in wanted]
    return np.isin(column.cat.codes.to_numpy(), codes)


def cost_kpis(
    sc: Scenario, trucks: pd.DataFrame | TruckColumns, window: Window | None = None
) -> dict[str, float]:
    """Money and impact KPIs of a run of *sc* (its truck table *trucks*) over *window* (default:
    after the warm-up).

    Trucks counted are those that entered the system in the window and were cleared (as for the
    time KPIs; ``censored_trucks`` says how many were left out). Per window day:

    - ``waiting_cost_vnd_per_day[_<direction>]``: parking at ``kpi.parking_vnd_per_truck_day``
      for the hours in the gate's yard (waiting, procedures, and for exports until they cross),
      at ``kpi.park_vnd_per_truck_day`` in the holding park, nothing on the road, in transit or
      on the Chinese side; plus fuel at ``kpi.reefer_fuel_vnd_per_truck_day`` for every hour a
      refrigerated truck is at the border (all pieces but the drive from the park); plus the
      driver's living costs (food, water, phone, sleeping in the cab) at
      ``kpi.driver_vnd_per_truck_day`` for every hour any truck is at the border (park, road, yard,
      procedures, and an import's wait on the Chinese side; the same pieces as the fuel). Waiting
      on the road or the roadside pays no parking: no source gives a roadside fee.
    - ``goods_at_risk_vnd_per_day``: perishable trucks over ``kpi.perishable_threshold_h`` x
      ``kpi.goods_value_vnd_per_truck`` x ``kpi.perishable_loss_share``.
    - ``tonnes_cleared_per_day``: laden trucks cleared in the window x ``kpi.tonnes_per_truck``.
    - ``idle_co2_t_per_day``: idling hours x ``kpi.idle_co2_kg_per_truck_h``; a refrigerated
      truck idles all its hours at the border, any other truck while it queues on the road.
    """
    kp = sc.kpi
    start, end = window_minutes(sc, window)
    days = (end - start) / MIN_PER_DAY
    tr = trucks
    arrival = tr["arrival_min"].to_numpy()
    cleared = (tr["outcome"] == "cleared").to_numpy()
    done = cleared & (arrival >= start) & (arrival < end)
    perishable = [c for c, cc in sc.cargo_classes.items() if cc.perishable]
    reefer = is_in(tr["cargo"], perishable if kp.reefer_classes is None else kp.reefer_classes)

    border_h = _hours(tr, *WAITING_PIECES)
    cost = truck_waiting_cost_vnd(sc, trucks)
    k: dict[str, float] = {"waiting_cost_vnd_per_day": float(cost[done].sum() / days)}
    for d in DIRECTIONS:
        k[f"waiting_cost_vnd_per_day_{d}"] = float(cost[done & is_in(tr["direction"], [d])].sum() / days)
    over = tr["time_in_system_h"].to_numpy() > kp.perishable_threshold_h
    late = done & is_in(tr["cargo"], perishable) & over
    k["goods_at_risk_vnd_per_day"] = float(
        late.sum() * kp.goods_value_vnd_per_truck * kp.perishable_loss_share / days
    )
    departure = tr["departure_min"].to_numpy()
    left = cleared & (departure >= start) & (departure < end) & ~is_in(tr["cargo"], kp.unladen_classes)
    k["tonnes_cleared_per_day"] = float(left.sum() * kp.tonnes_per_truck / days)
    idle_h = np.where(reefer, border_h, _hours(tr, "road"))
    k["idle_co2_t_per_day"] = float(idle_h[done].sum() * kp.idle_co2_kg_per_truck_h / KG_PER_T / days)
    return k


# --- The costs file ----------------------------------------------------------------------------

_RATES = (
    "vnd_per_unit_hour",
    "vnd_per_unit_day",
    "vnd_per_open_hour",
    "vnd_per_day_by_value",
    "vnd_per_day_when_on",
)


class CostsError(ScenarioError):
    """A costs file that cannot be used: names the file, each bad key and what was expected."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        super().__init__(source, problems)
        lines = [f"{source}: invalid costs file"]
        lines += [f"  {path or '<top level>'}: {msg}" for path, msg in problems]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


class LeverCost(BaseModel):
    """The cost of one lever (a dotted scenario key, ``*`` matching one part), by exactly one rate.

    All costs are VND a day, relative to the scenario as given (fewer units than the scenario
    has save money).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    vnd_per_unit_hour: Float | None = Field(
        default=None,
        ge=0,
        description="per unit-hour: (units x hours the stage is open a day) above the scenario's, "
        "e.g. a lane-hour of a stage, an officer-hour of the platform, a place-hour of the park",
    )
    vnd_per_unit_day: Float | None = Field(
        default=None, ge=0, description="per unit a day above the scenario's, e.g. a Chinese lane negotiated"
    )
    vnd_per_open_hour: Float | None = Field(
        default=None, ge=0, description="per hour a day of opening beyond the scenario's (an hours key)"
    )
    vnd_per_day_by_value: dict[str, Float] | None = Field(
        default=None,
        description="a day's cost of each value the lever may take, any kind: text (park order fifo / "
        "priority), a clock time ('24:00'), a list written as its YAML or JSON text ('[fruit, general]'), "
        "a number or true/false; the scenario's own value costs 0 unless listed",
    )
    vnd_per_day_when_on: Float | None = Field(
        default=None,
        ge=0,
        description="a day's cost while a rule is on (true, or a non-empty list such as priority: [fruit])",
    )
    source: str = Field(
        min_length=1, description="where the number comes from: a citation, or 'ASSUMPTION: ...'"
    )

    @field_validator("vnd_per_day_by_value", mode="before")
    @classmethod
    def _value_keys(cls, table: Any) -> Any:
        """Keys as :func:`value_text` writes lever values: ``[fruit,general]`` and
        ``["fruit", "general"]`` both become ``[fruit, general]``, ``true`` stays ``true``."""
        if not isinstance(table, dict):
            return table
        out: dict[str, Any] = {}
        for k, v in table.items():
            key = value_key(k)
            if key in out:  # 6 and "6" price one lever value: one of the two would be dropped
                raise ValueError(f"the value {key} is priced twice ({k!r} and an earlier key); give it once")
            out[key] = v
        return out

    @model_validator(mode="after")
    def _one_rate(self) -> LeverCost:
        given = [r for r in _RATES if getattr(self, r) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(_RATES)}; got {given or 'none'}")
        if self.vnd_per_day_by_value and any(v < 0 for v in self.vnd_per_day_by_value.values()):
            raise ValueError("vnd_per_day_by_value: costs must be >= 0")
        return self

    @property
    def rate_name(self) -> str:
        """Which rate this lever's cost uses."""
        return next(r for r in _RATES if getattr(self, r) is not None)


class CostsFile(BaseModel):
    """A cost for every lever an optimisation may move, each with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", description="a label for the costs")
    include_waiting_cost: bool = Field(
        default=False,
        description="true: an option's cost also counts its mean waiting_cost_vnd_per_day (a running cost)",
    )
    levers: dict[str, LeverCost] = Field(
        min_length=1, description="dotted key pattern ('*' = any one part) -> its cost; first match wins"
    )

    def rule_for(self, key: str) -> tuple[str, LeverCost] | None:
        """The first pattern that matches *key* part by part, and its cost; None when none does."""
        parts = key.split(".")
        for pattern, cost in self.levers.items():
            pat = pattern.split(".")
            if len(pat) == len(parts) and all(fnmatchcase(p, q) for p, q in zip(parts, pat, strict=True)):
                return pattern, cost
        return None


_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


def value_key(key: Any) -> str:
    """A key of a ``vnd_per_day_by_value`` table as the lever value it prices, in the text
    :func:`value_text` gives: a key written as YAML or JSON text (``[fruit, general]``) is read first."""
    if isinstance(key, str):
        text = key.strip()
        if _CLOCK.match(text):
            return text
        try:
            key = guarded_load(text) if text else text
        except yaml.YAMLError:
            return text
        if isinstance(key, dict) or key is None:
            return text
    return value_text(key)


def load_costs(path: str | Path) -> CostsFile:
    """Read and validate a costs file; :class:`CostsError` names the file and every bad key."""
    path = Path(path)
    source = str(path)
    try:
        data = read_yaml_file(path, source)
    except ScenarioError as err:
        raise CostsError(source, err.problems) from None
    try:
        return CostsFile.model_validate(data)
    except ValidationError as err:
        raise CostsError(source, validation_problems(err, CostsFile)) from None


def value_text(value: Any) -> str:
    """A lever value as it is written in a costs file and in tables (``fifo``, ``true``, ``[fruit]``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return json.dumps(value)


def check_levers(costs: CostsFile, levers: Mapping[str, Sequence[Any]], source: str) -> None:
    """Raise :class:`CostsError` unless every lever, and every value priced by value, has a cost."""
    problems = []
    for key, values in levers.items():
        found = costs.rule_for(key)
        if found is None:
            problems.append(
                ("levers", f"no cost for lever {key!r}; add a pattern that matches it (0 is allowed)")
            )
            continue
        pattern, rule = found
        if rule.vnd_per_day_by_value is not None:
            missing = [value_text(v) for v in values if value_text(v) not in rule.vnd_per_day_by_value]
            if missing:
                listed = ", ".join(repr(k) for k in rule.vnd_per_day_by_value) or "none"
                problems.append(
                    (
                        f"levers.{pattern}.vnd_per_day_by_value",
                        f"lever {key}: no price for value(s) {', '.join(repr(m) for m in missing)} "
                        f"(priced: {listed}); add each as a key (a list as its YAML text, e.g. "
                        "'[fruit, general]'; quote clock times, e.g. '24:00')",
                    )
                )
        elif rule.rate_name != "vnd_per_day_when_on":
            bad = [v for v in values if rule.rate_name != "vnd_per_open_hour" and not _is_number(v)]
            if bad:
                problems.append((f"levers.{pattern}", f"{rule.rate_name} needs numbers; {key} takes {bad}"))
    if problems:
        raise CostsError(source, problems)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _get(data: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _week_minutes(hours: Hours) -> np.ndarray:
    """A week of minutes, True where *hours* are open."""
    week = np.zeros((7, 1440), dtype=bool)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for d, day in enumerate(days):
        if day in hours.weekdays:
            week[d, hours.open_min : hours.close_min] = True
    return week.ravel()


def _open_h_per_day(*hours: Hours) -> float:
    """Hours a day (averaged over the week) when any of *hours* is open."""
    union = np.logical_or.reduce([_week_minutes(h) for h in hours])
    return float(union.sum() / 60 / 7)


def open_hours_per_day(sc: Scenario, key: str) -> float:
    """Hours a day the stage that owns *key* (its lanes, officers, places) is open; 24 otherwise.

    ``gates.G.<stage>.lanes``: the stage's hours; ``gates.G.routes.R.china_check.lanes``: the hours
    of either direction; ``gates.G.routes.R.crossing.lanes``: the crossing's; ``platform.officers``:
    the officers' hours.
    """
    parts = key.split(".")
    if parts[0] == "platform":
        return _open_h_per_day(sc.platform.hours)
    if parts[0] == "gates" and len(parts) >= 3 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        if parts[2] in LANE_STAGES:
            return _open_h_per_day(gate.stage_hours(parts[2]))
        if parts[2] == "routes" and len(parts) >= 5 and parts[3] in gate.routes:
            if parts[4] == "china_check":
                check = gate.routes[parts[3]].china_check
                return _open_h_per_day(check.hours_for("export"), check.hours_for("import"))
            if parts[4] == "crossing":
                return _open_h_per_day(gate.crossing_hours(parts[3]))
    return H_PER_DAY


def _hours_at(sc: Scenario, key: str) -> Hours:
    """The opening hours a key is about (``...hours``, ``...hours.close``), as they apply."""
    parts = key.split(".")
    if parts[-1] in ("open", "close", "weekdays"):
        parts = parts[:-1]
    data = _get(sc.to_dict(), parts)
    if data is None and parts[0] == "gates" and len(parts) >= 3 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        return gate.stage_hours(parts[2]) if parts[2] in LANE_STAGES else gate.hours
    if data is None:
        raise ValueError(f"{key}: no opening hours there")
    return Hours.model_validate(data)


def _on(value: Any) -> bool:
    return bool(value) and value not in ("false", "off", "none")


def option_cost(
    base: Scenario, option: Scenario, point: Mapping[str, Any], costs: CostsFile | None
) -> dict[str, float]:
    """The cost a day of each lever of *point* (option = base with *point* set), against *base*.

    Without *costs* every unit costs 1: a lane, an officer or a place (per unit, not per hour),
    an hour a day of opening, or any other change of value (a rule switched, a policy changed).
    """
    base_data = base.to_dict()
    out: dict[str, float] = {}
    for key, value in point.items():
        old = _get(base_data, key.split("."))
        is_hours = key.split(".")[-1] in ("open", "close", "weekdays") or key.endswith("hours")
        if costs is None:
            if _is_number(value) and _is_number(old):
                out[key] = float(value - old)
            elif is_hours:
                out[key] = _open_h_per_day(_hours_at(option, key)) - _open_h_per_day(_hours_at(base, key))
            else:
                out[key] = 0.0 if value == old else 1.0
            continue
        found = costs.rule_for(key)
        if found is None:
            raise CostsError("costs", [("levers", f"no cost for lever {key!r}")])
        rule = found[1]
        if rule.vnd_per_unit_hour is not None:
            units = value * open_hours_per_day(option, key) - (old or 0) * open_hours_per_day(base, key)
            out[key] = rule.vnd_per_unit_hour * units
        elif rule.vnd_per_unit_day is not None:
            out[key] = rule.vnd_per_unit_day * (value - (old or 0))
        elif rule.vnd_per_open_hour is not None:
            extra = _open_h_per_day(_hours_at(option, key)) - _open_h_per_day(_hours_at(base, key))
            out[key] = rule.vnd_per_open_hour * extra
        elif rule.vnd_per_day_by_value is not None:
            table = rule.vnd_per_day_by_value
            if value_text(value) not in table:
                raise CostsError(
                    costs.name or "costs",
                    [
                        (
                            f"levers.{found[0]}.vnd_per_day_by_value",
                            f"lever {key}: no price for value(s) {value_text(value)!r}",
                        )
                    ],
                )
            out[key] = table[value_text(value)] - table.get(value_text(old), 0.0)
        else:
            out[key] = (rule.vnd_per_day_when_on or 0.0) * (_on(value) - _on(old))
    return out
