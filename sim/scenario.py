"""What a scenario file may say: pydantic models, YAML loading with ``extends:``, and clear errors.

The models are the one place where parameters, their units and their defaults are declared.
Units are in the field names (``_min``, ``_h``, ``_per_day``, ``_per_h``, ``_m``); clock times are
"HH:MM" local time (Vietnam, UTC+7) unless the field says ``_china`` (UTC+8).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic.functional_validators import field_validator

from sim.distributions import Distribution

DIRECTIONS = ("export", "import")
LANE_STAGES = ("declaration_counter", "gate_control", "customs_docs", "inspection", "quarantine")
STAGES = (*LANE_STAGES, "acceptance", "crossing")
"""Every stage a truck may visit at a gate, in the order it visits them."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_KEY = "default"

Direction = Literal["export", "import"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
StageName = Literal[
    "declaration_counter",
    "gate_control",
    "customs_docs",
    "inspection",
    "quarantine",
    "acceptance",
    "crossing",
]
Probability = Annotated[float, Field(ge=0, le=1)]
Factor = Annotated[float, Field(ge=0)]
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,79}")
"""A scenario name names its results folder, so it is a plain folder name, never a path."""


class ScenarioError(Exception):
    """A scenario that cannot be used: names the file, each bad key path and what was expected."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: invalid scenario"]
        lines += [f"  {path or '<top level>'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _clock_to_min(text: str) -> int:
    m = _CLOCK.match(text)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"clock time must be 'HH:MM' between 00:00 and 24:00, got {text!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


class Hours(_Model):
    """Daily opening hours; ``always`` is shorthand for 00:00-24:00 every day."""

    open: str = Field(description="opening time, 'HH:MM'")
    close: str = Field(description="closing time, 'HH:MM' (24:00 = midnight), after open")
    weekdays: list[Weekday] = Field(default=list(WEEKDAYS), min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if data == "always":
            return {"open": "00:00", "close": "24:00"}
        return data

    @model_validator(mode="after")
    def _open_before_close(self) -> Hours:
        if _clock_to_min(self.close) <= _clock_to_min(self.open):
            raise ValueError(f"close ({self.close}) must be after open ({self.open})")
        return self

    @property
    def open_min(self) -> int:
        return _clock_to_min(self.open)

    @property
    def close_min(self) -> int:
        return _clock_to_min(self.close)


ALWAYS = Hours(open="00:00", close="24:00")


class LaneStage(_Model):
    """A pool of identical lanes (officers, bays) serving one truck each, first come first served."""

    enabled: bool = True
    lanes: int = Field(ge=1, description="lanes working in parallel")
    service_min: dict[str, Distribution] = Field(
        description="service time in minutes by cargo class; 'default' covers the others"
    )
    hours: Hours | None = Field(default=None, description="opening hours; default: the gate's")


class Acceptance(_Model):
    """The Chinese side's acceptance of export trucks, a rate in its own opening hours."""

    enabled: bool = True
    trucks_per_h: float = Field(gt=0, description="trucks accepted per open hour")
    service: Literal["fixed", "exponential"] = Field(
        default="fixed", description="spacing between acceptances: even, or Poisson"
    )
    hours_china: Hours = Field(default=ALWAYS, description="opening hours, China time (UTC+8)")


class Crossing(_Model):
    """The crossing itself, by trailer swap (transshipment) or direct transport."""

    enabled: bool = True
    lanes: int = Field(ge=1, description="swap bays or crossing lanes")
    direct_share: Probability = Field(description="share of export trucks crossing directly")
    trailer_swap_min: Distribution
    direct_min: Distribution
    hours: Hours | None = Field(default=None, description="opening hours; default: the gate's")


class Parking(_Model):
    """A holding area; when it is full trucks wait outside (on the road) or are turned away."""

    places: int | None = Field(ge=0, description="yard places; null = unlimited")
    overflow_places: int = Field(default=0, ge=0, description="extra places in an overflow area")
    when_full: Literal["road", "turn_away"] = "road"

    @property
    def capacity(self) -> int | None:
        return None if self.places is None else self.places + self.overflow_places


class Gate(_Model):
    """One border gate: its demand, holding areas and stages."""

    label: str
    demand_trucks_per_day: dict[Direction, dict[str, Factor]] = Field(
        description="base trucks per day by direction and cargo class"
    )
    parking: dict[Direction, Parking]
    initial_backlog: dict[Direction, dict[str, Annotated[int, Field(ge=0)]]] = Field(
        default_factory=dict,
        description="trucks already waiting at the start, by direction and cargo class",
    )
    road_m_per_truck: float = Field(default=18.0, gt=0, description="road length one truck takes")
    hours: Hours = Field(default=ALWAYS, description="default opening hours of every stage")
    declaration_counter: LaneStage
    gate_control: LaneStage
    customs_docs: LaneStage
    inspection: LaneStage
    quarantine: LaneStage
    acceptance: Acceptance
    crossing: Crossing

    def stage_hours(self, stage: str) -> Hours:
        """Opening hours of *stage* in Vietnam time, falling back to the gate's."""
        if stage == "acceptance":
            return self.acceptance.hours_china
        own = getattr(self, stage).hours
        return own if own is not None else self.hours


class CargoClass(_Model):
    perishable: bool = False


class ChannelShares(_Model):
    green: Probability
    yellow: Probability
    red: Probability

    @model_validator(mode="after")
    def _sum_to_one(self) -> ChannelShares:
        total = self.green + self.yellow + self.red
        if abs(total - 1) > 1e-6:
            raise ValueError(f"green + yellow + red must sum to 1, got {total:g}")
        return self


class Risk(_Model):
    """Risk-based customs channels and quarantine sampling, by cargo class."""

    channel_shares: dict[str, ChannelShares]
    quarantine_share: dict[str, Probability] = Field(
        description="share of trucks sent to quarantine, by cargo class"
    )


class Platform(_Model):
    """The Digital Border Gate Platform: pre-declaration, automatic check, officers' review."""

    enabled: bool = Field(default=True, description="false: every truck counts as approved")
    predeclared_share: Probability = Field(default=1.0, description="share declaring online")
    lead_time_h: Distribution = Field(description="hours between declaration and arrival")
    auto_check_min: Distribution
    officers: int = Field(ge=1)
    review_min: Distribution
    hours: Hours = Field(default=ALWAYS, description="officers' working hours")
    returned_share: float = Field(ge=0, lt=1, description="share returned for correction")
    correction_h: Distribution = Field(description="hours before a returned one is resubmitted")


class DemandPattern(_Model):
    """How base demand varies: weekday, month, a random day factor, and the hour of day."""

    weekday_factors: list[Factor] = Field(min_length=7, max_length=7, description="Mon..Sun")
    month_factors: dict[str, list[Factor]] = Field(
        description="Jan..Dec factors by cargo class; 'default' covers the others"
    )
    day_to_day_cv: float = Field(ge=0, description="cv of a gamma day factor with mean 1")
    hourly_profile: dict[Direction, list[Factor]] = Field(
        description="relative arrivals in each hour 0..23, by direction"
    )

    @model_validator(mode="after")
    def _shapes(self) -> DemandPattern:
        for key, factors in self.month_factors.items():
            if len(factors) != 12:
                raise ValueError(f"month_factors.{key} needs 12 values, got {len(factors)}")
        for key, profile in self.hourly_profile.items():
            if len(profile) != 24 or sum(profile) <= 0:
                raise ValueError(f"hourly_profile.{key} needs 24 values with a positive sum")
        return self


class _Event(_Model):
    name: str = ""
    gates: list[str] | None = Field(default=None, description="null = every gate")


class DemandEvent(_Event):
    """Demand multiplied by *factor* on the days from *start* to *end*, both included."""

    kind: Literal["demand"]
    start: dt.date
    end: dt.date
    factor: Factor
    directions: list[Direction] | None = None
    cargo: list[str] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DemandEvent:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self


class _TimedEvent(_Event):
    start: dt.datetime
    end: dt.datetime
    stages: list[StageName] | None = Field(default=None, description="null = every stage")

    @model_validator(mode="after")
    def _ordered(self) -> _TimedEvent:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class CapacityEvent(_TimedEvent):
    """Capacity (service rate) multiplied by *factor* between *start* and *end*."""

    kind: Literal["capacity"]
    factor: float = Field(gt=0)


class ClosureEvent(_TimedEvent):
    """Stages closed between *start* and *end*; services under way finish."""

    kind: Literal["closure"]


class ExtendedHoursEvent(_Event):
    """Other opening hours on the days from *start* to *end*, both included."""

    kind: Literal["extended_hours"]
    start: dt.date
    end: dt.date
    hours: Hours
    stages: list[StageName] | None = None


Event = Annotated[
    DemandEvent | CapacityEvent | ClosureEvent | ExtendedHoursEvent, Field(discriminator="kind")
]


class RunSettings(_Model):
    start_date: dt.date
    days: int = Field(ge=1)
    warmup_days: int = Field(default=0, ge=0, description="days left out of the KPIs")
    sample_interval_min: float = Field(default=60, gt=0, description="queue series resolution")

    @model_validator(mode="after")
    def _warmup_inside(self) -> RunSettings:
        if self.warmup_days >= self.days:
            raise ValueError(f"warmup_days ({self.warmup_days}) must be below days ({self.days})")
        return self


class KpiSettings(_Model):
    perishable_threshold_h: float = Field(default=8, gt=0)
    daily_mean_ref: float = Field(default=1650, description="reported mean cleared per day")
    daily_peak_ref: float = Field(default=2000, description="reported peak cleared per day")


class Scenario(_Model):
    """A whole scenario: what is simulated, for how long, and what is reported."""

    name: str
    question: str = ""
    run: RunSettings
    cargo_classes: dict[str, CargoClass] = Field(min_length=1)
    platform: Platform
    risk: Risk
    demand: DemandPattern
    gates: dict[str, Gate] = Field(min_length=1)
    events: list[Event] = Field(default_factory=list)
    kpi: KpiSettings = KpiSettings()
    sweep: dict[str, list[Any]] | None = Field(
        default=None,
        description="for `bordersim sweep`: dotted key -> values; the grid of all combinations",
    )

    _source: str = PrivateAttr(default="<scenario>")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(
                "must be 1-80 letters, digits, '_', '-' or '.', not starting with '.' "
                "(it names the results folder, so it cannot be a path)"
            )
        return name

    @property
    def source(self) -> str:
        """The file the scenario came from, for messages."""
        return self._source

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`validate_scenario` turns back into the same scenario."""
        return self.model_dump(mode="json", by_alias=True)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with dotted keys set, e.g. ``{"gates.huu_nghi.customs_docs.lanes": 5}``."""
        data = self.to_dict()
        for key, value in changes.items():
            set_dotted(data, key, value, self.source)
        return validate_scenario(data, self.source)

    def lookup(self, cargo_map: Mapping[str, Any], cargo: str) -> Any:
        """The entry of a by-cargo mapping for *cargo*, or its default."""
        return cargo_map[cargo] if cargo in cargo_map else cargo_map[DEFAULT_KEY]


_TAGS = {"exponential", "fixed", "lognormal", "triangular", "empirical"}
_EVENT_TAGS = {"demand", "capacity", "closure", "extended_hours"}


def _loc_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for i, p in enumerate(loc):
        after_index = i > 0 and isinstance(loc[i - 1], int)
        if p in _TAGS or (p in _EVENT_TAGS and after_index):
            continue  # a discriminator tag pydantic adds to the path; not a key in the file
        if isinstance(p, str) and p.startswith("function-"):
            continue
        parts.append(str(p))
    return ".".join(parts)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problems(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        kind = e["type"]
        if kind == "extra_forbidden":
            msg = "unknown key"
        elif kind == "missing":
            msg = "required key is missing"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            msg = f"{msg} (got {_short(e['input'])})"
        out.append((_loc_path(e["loc"]), msg))
    return out


def _cross_check(sc: Scenario) -> list[tuple[str, str]]:
    """Checks across sections: names used must exist, by-cargo maps must cover every class."""
    cargo = set(sc.cargo_classes)
    problems: list[tuple[str, str]] = []

    def by_cargo(path: str, mapping: Mapping[str, Any]) -> None:
        unknown = set(mapping) - cargo - {DEFAULT_KEY}
        if unknown:
            problems.append((path, f"unknown cargo class {sorted(unknown)}; known: {sorted(cargo)}"))
        if DEFAULT_KEY not in mapping and not cargo <= set(mapping):
            missing = sorted(cargo - set(mapping))
            problems.append((path, f"no entry for cargo class {missing} and no 'default'"))

    by_cargo("risk.channel_shares", sc.risk.channel_shares)
    by_cargo("risk.quarantine_share", sc.risk.quarantine_share)
    by_cargo("demand.month_factors", sc.demand.month_factors)
    for gname, gate in sc.gates.items():
        for stage in LANE_STAGES:
            by_cargo(f"gates.{gname}.{stage}.service_min", getattr(gate, stage).service_min)
        for direction, flows in gate.demand_trucks_per_day.items():
            unknown = set(flows) - cargo
            if unknown:
                path = f"gates.{gname}.demand_trucks_per_day.{direction}"
                problems.append((path, f"unknown cargo class {sorted(unknown)}"))
            if direction not in gate.parking:
                problems.append((f"gates.{gname}.parking", f"no parking for {direction} trucks"))
        for direction, flows in gate.initial_backlog.items():
            unknown = set(flows) - cargo
            if unknown:
                path = f"gates.{gname}.initial_backlog.{direction}"
                problems.append((path, f"unknown cargo class {sorted(unknown)}"))
        if "export" in gate.demand_trucks_per_day and "export" not in sc.demand.hourly_profile:
            problems.append(("demand.hourly_profile", "no profile for export trucks"))
        if "import" in gate.demand_trucks_per_day and "import" not in sc.demand.hourly_profile:
            problems.append(("demand.hourly_profile", "no profile for import trucks"))
    for i, ev in enumerate(sc.events):
        for g in ev.gates or []:
            if g not in sc.gates:
                problems.append((f"events.{i}.gates", f"unknown gate {g!r}; known: {list(sc.gates)}"))
        if isinstance(ev, DemandEvent):
            for c in ev.cargo or []:
                if c not in cargo:
                    problems.append((f"events.{i}.cargo", f"unknown cargo class {c!r}"))
    return problems


def validate_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate plain data as a scenario; raise :class:`ScenarioError` naming every problem."""
    try:
        sc = Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(source, _problems(err)) from None
    problems = _cross_check(sc)
    if problems:
        raise ScenarioError(source, problems)
    sc._source = source
    return sc


def _read_yaml(path: Path, source: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(source, [("", f"cannot read the file: {err.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ScenarioError(source, [("", f"not valid YAML{where}: {problem}")]) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, [("", f"must be a mapping of keys, got {type(data).__name__}")])
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """*base* with *override* laid over it: mappings merge key by key, anything else replaces.

    A mapping with a ``dist`` key (a whole distribution) replaces, too.
    """
    out = dict(base)
    for key, value in override.items():
        # A distribution named with `dist:` is given whole: switching lognormal -> fixed must not
        # keep the lognormal's mean and cv.
        whole = isinstance(value, Mapping) and "dist" in value
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not whole:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    source = str(path)
    if path.resolve() in chain:
        raise ScenarioError(source, [("extends", "circular: the file extends itself")])
    data = _read_yaml(path, source)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(source, [("extends", f"must be a file name, got {_short(parent)}")])
    parent_path = path.parent / parent
    if not parent_path.exists():
        raise ScenarioError(source, [("extends", f"no such file: {parent_path}")])
    base = _resolve(parent_path, (*chain, path.resolve()))
    return deep_merge(base, data)


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set ``a.b.0.c`` inside nested dicts and lists, creating mappings that are missing.

    A mapping set over a mapping is merged into it; any other value replaces what was there.
    """
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(source, [(key, f"{part!r} is not an index of a {len(node)}-item list")])
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                # A mapping laid over a mapping merges, as with extends: only what is named changes.
                old = node.get(part)
                both = isinstance(old, Mapping) and isinstance(value, Mapping) and "dist" not in value
                node[part] = deep_merge(old, value) if both else value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            done = ".".join(parts[:i])
            raise ScenarioError(source, [(key, f"{done} is a value, not a section")])


def parse_assignment(text: str, source: str = "--set") -> tuple[str, Any]:
    """Split ``key.path=value``; the value is read as YAML (so 5, 0.3, true, null work)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(source, [(text, "expected key.path=value")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def load_scenario(path: str | Path, changes: Mapping[str, Any] | None = None) -> Scenario:
    """Read a scenario YAML file, follow its ``extends:`` chain, apply *changes*, and validate."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, [("", "no such file")])
    data = _resolve(path, ())
    data.setdefault("name", path.stem)
    for key, value in (changes or {}).items():
        set_dotted(data, key, value, source)
    return validate_scenario(data, source)


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors and for the curious."""
    return Scenario.model_json_schema(by_alias=True)
