"""What a scenario file may say: pydantic models, YAML loading with ``extends:``, and clear errors.

The models are the one place where parameters, their units and their defaults are declared.
Units are in the field names (``_min``, ``_h``, ``_per_day``, ``_per_h``, ``_m``); clock times are
"HH:MM" local time (Vietnam, UTC+7) unless the field says ``_china`` (UTC+8).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import stat
import types
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic.functional_validators import field_validator

from sim.world.distributions import Distribution
from sim.world.numbers import Float, Int
from sim.world.yaml_guard import MAX_DEPTH, guarded_load

DIRECTIONS = ("export", "import")
MAX_RETURNED_SHARE = 0.9
"""The highest share of declarations returned for correction: the returns of a truck are
geometric, so a share near 1 would draw a truck's returns, and memory, without bound."""
MAX_TEXT = {"question": 1000, "question_vi": 1000, "label": 120, "label_vi": 120, "name": 120, "name_vi": 120}
"""The longest free text each such key may hold (labels name files, figures and tables)."""
AREA_PLACES = ("china_side", "park", "travel", "road", "yard", "to_china")
"""Where a truck in the system (arrived, not yet gone) is: the gate area and the Chinese side."""
DECLARED_PLACES = ("enroute", "outside")
"""Where a declared export is before it enters the gate area: on its way, or waiting outside."""
HELD_PLACES = (*DECLARED_PLACES, *AREA_PLACES)
"""Where a truck not yet cleared can be at a clock time (see :meth:`Run.held_at`): declared and on
its way (``enroute``), waiting outside the gate area (``outside``), or in the system
(:data:`AREA_PLACES`: on the Chinese side, in the park, on the way from it, on
the road, in the yard, waiting for or crossing to China)."""

PIECES = {
    "export": ("park", "travel", "road", "yard_wait", "procedures", "to_china"),
    "import": ("china_side", "road", "yard_wait", "procedures"),
}
"""Where a truck's time goes, in order, by direction; the pieces add up to its time in system.

``china_side``: an import's wait for and passage through its route's Chinese checkpoint and
crossing; ``park``: in the holding park (and on the road before it when it is full);
``travel``: from the park to the gate; ``road``: queueing on the road for a yard place;
``yard_wait``: in the yard before the first Vietnamese procedure (waiting for approval
included); ``procedures``: from the start of the first Vietnamese procedure to the end of the
last, waits between them included; ``to_china``: an export's wait for and passage through the
Chinese checkpoint and the crossing.
"""

HeldPlace = Literal["enroute", "outside", "china_side", "park", "travel", "road", "yard", "to_china"]
LANE_STAGES = ("declaration_counter", "gate_control", "customs_docs", "inspection", "quarantine")
"""The Vietnamese stages of a gate, shared by its routes, in the order a truck visits them."""
ROUTE_STAGES = ("china_check", "crossing")
"""The stages of each route: the Chinese-side checkpoint and the crossing itself."""
STAGES = (*LANE_STAGES, *ROUTE_STAGES)
"""Every stage a truck may visit, in the order an export truck visits them."""
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
    "china_check",
    "crossing",
    "platform",
]
Probability = Annotated[Float, Field(ge=0, le=1)]
Factor = Annotated[Float, Field(ge=0)]
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,79}")
"""A scenario name names its results folder, so it is a plain folder name, never a path."""
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
"""Gate, route and cargo class names name files and KPIs, so they are plain words too."""

MAX_FILE_BYTES = 1024 * 1024
MAX_DAY_TO_DAY_CV = 2.0
"""The largest cv of the day factor: at 2 already over 40% of days fall below a tenth of the mean."""
MAX_DEMAND_FACTOR = 1000.0
"""The largest weekday or month factor (factors are relative to an ordinary day)."""
MAX_VND_PER_TRUCK_DAY = 1e10
"""The largest daily rate (fee, fuel, living costs) a kpi section may give a truck: 10 billion VND."""
MAX_GOODS_VND_PER_TRUCK = 1e12
"""The largest value of one truck's goods a kpi section may give: a trillion VND."""
MAX_TONNES_PER_TRUCK = 100.0
"""The most tonnes a loaded truck may carry in a kpi section."""
MAX_IDLE_CO2_KG_PER_TRUCK_H = 1000.0
"""The most CO2 a truck idling for an hour may emit in a kpi section (kg)."""
MAX_TRUCKS_PER_DAY = 1e7
"""The largest reported trucks-a-day figure a kpi section may give."""
"""The largest scenario file read (1 MiB; the baseline, the largest shipped, is 16 KB)."""
MAX_GATES = 32
MAX_ROUTES = 16
MAX_CARGO_CLASSES = 32
MAX_EVENTS = 1000
MAX_LANES = 10_000
MAX_DAYS = 3660
"""The longest run: ten years."""
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2099, 12, 31)
"""Runs must start and end between these dates."""
MAX_SAMPLES = 200_000
"""The most queue samples per series: days x 1440 / sample_interval_min (365 days at 5 min: 105,120)."""


class ScenarioError(Exception):
    """A scenario that cannot be used: names the file, each bad key path and what was expected.

    *via* names the file (and its ``extends`` key) through which a faulty base file was reached.
    """

    def __init__(
        self, source: str, problems: list[tuple[str, str]], via: tuple[str, ...] = (), what: str = "scenario"
    ) -> None:
        self.source = source
        self.problems = problems
        self.via = via
        lines = [f"{source}: invalid {what}"]
        lines += [f"  {path or '<top level>'}: {_clip(msg)}" for path, msg in problems]
        lines += [f"  (reached through 'extends' in {v})" for v in via]
        super().__init__("\n".join(lines))


def _clip(text: str, limit: int = 400) -> str:
    """A message line never longer than *limit* characters, however large the input it quotes."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


def _clock_to_min(text: str) -> int:
    m = _CLOCK.match(text)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"clock time must be 'HH:MM' between 00:00 and 24:00, got {text[:80]!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


class Hours(_Model):
    """Daily opening hours; ``always`` is shorthand for 00:00-24:00 every day."""

    open: str = Field(description="opening time, 'HH:MM'")
    close: str = Field(description="closing time, 'HH:MM' (24:00 = midnight), after open")
    weekdays: list[Weekday] = Field(default=list(WEEKDAYS), min_length=1, description="days it opens")

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


_PRIORITY = (
    "cargo classes served first, highest first; the others after them. Non-preemptive, first come "
    "first served within a class; empty = first come first served for all"
)


class LaneStage(_Model):
    """A pool of identical lanes (officers, bays) serving one truck each, by priority class."""

    enabled: bool = Field(default=True, description="false: trucks pass the stage by")
    lanes: Int = Field(ge=1, le=MAX_LANES, description="lanes working in parallel")
    service_min: dict[str, Distribution] = Field(
        description="service time in minutes by cargo class; 'default' covers the others"
    )
    hours: Hours | None = Field(default=None, description="opening hours; default: the gate's")
    priority: list[str] = Field(default_factory=list, description=_PRIORITY)


class ChinaCheck(_Model):
    """The Chinese-side checkpoint of a route: lanes serving trucks of both directions.

    Exports are accepted into China here; imports are released from China here. Each direction
    has its own opening hours (China time); a free lane takes the next truck of an open direction.
    """

    enabled: bool = Field(default=True, description="false: no Chinese-side check on this route")
    lanes: Int = Field(ge=1, le=MAX_LANES, description="inspection lanes (booths) working in parallel")
    service_min: dict[str, Distribution] = Field(
        description="minutes per truck by cargo class; 'default' covers the others"
    )
    hours_china: Hours = Field(default=ALWAYS, description="opening hours, China time (UTC+8)")
    hours_china_by_direction: dict[Direction, Hours] = Field(
        default_factory=dict,
        description="opening hours of one direction, China time, where they differ from hours_china",
    )
    priority: list[str] = Field(default_factory=list, description=_PRIORITY)

    def hours_for(self, direction: str) -> Hours:
        """Opening hours of *direction* in China time."""
        return self.hours_china_by_direction.get(direction, self.hours_china)


class Crossing(_Model):
    """The crossing itself, by trailer swap (transshipment) or direct transport."""

    enabled: bool = Field(default=True, description="false: no crossing step on this route")
    directions: list[Direction] = Field(
        default_factory=lambda: ["export"],
        min_length=1,
        description="directions that go through this step (imports cross before reaching the yard)",
    )
    lanes: Int = Field(ge=1, le=MAX_LANES, description="swap bays or crossing lanes")
    direct_share: dict[Direction, Probability] = Field(
        default_factory=dict,
        description="share of trucks crossing directly (no swap), by direction; missing = 0",
    )
    trailer_swap_min: Distribution = Field(description="minutes for a trailer swap")
    direct_min: Distribution = Field(description="minutes for a direct crossing")
    hours: Hours | None = Field(default=None, description="opening hours; default: the gate's")
    priority: list[str] = Field(default_factory=list, description=_PRIORITY)


class Route(_Model):
    """A crossing road of a gate with its own Chinese-side checkpoint and crossing step."""

    label: str = Field(default="", description="name shown in tables, e.g. '1119-1120'")
    label_vi: str = Field(default="", description="the name in Vietnamese (reports with --lang vi)")
    share: dict[Direction, dict[str, Probability]] = Field(
        description="share of the gate's trucks on this route, by direction and cargo class "
        "('default' covers the others); over a gate's routes the shares sum to 1"
    )
    china_check: ChinaCheck = Field(description="the route's Chinese-side checkpoint, both directions")
    crossing: Crossing = Field(description="the crossing step (trailer swap or direct)")


class Parking(_Model):
    """A yard at the gate; when it is full trucks wait outside (on the road) or are turned away."""

    places: Int | None = Field(ge=0, description="yard places; null = unlimited")
    overflow_places: Int = Field(default=0, ge=0, description="extra places in an overflow area")
    when_full: Literal["road", "turn_away"] = Field(
        default="road", description="what a truck does when the yard is full: queue on the road, or leave"
    )

    @property
    def capacity(self) -> int | None:
        return None if self.places is None else self.places + self.overflow_places


class HoldingPark(_Model):
    """A holding park upstream of a gate for export trucks, with call-forward to the gate's yard.

    Trucks wait in the park (not on the road) and are called forward while the export yard,
    counting trucks already on their way and on the road, holds fewer than *call_forward_below*.
    """

    enabled: bool = Field(default=True, description="false: trucks drive straight to the gate")
    places: Int | None = Field(default=None, ge=1, description="park places; null = unlimited")
    travel_min: Distribution = Field(description="minutes from the park to the gate")
    call_forward_below: Int | None = Field(
        default=None,
        ge=1,
        description="call a truck forward while the export yard (with trucks on the way) holds fewer; "
        "null = the yard's size (places + overflow)",
    )
    order: Literal["fifo", "priority"] = Field(
        default="fifo", description="who is called first: arrival order, or by priority class"
    )
    priority: list[str] = Field(default_factory=list, description="with order: priority; " + _PRIORITY)


_LEGACY = {
    "acceptance": "replaced by routes.<route>.china_check (lanes and service_min per truck)",
    "crossing": "moved into routes.<route>.crossing",
}


class Gate(_Model):
    """One border gate: its demand, yards, Vietnamese stages, routes and an optional park."""

    label: str = Field(description="name shown in tables and figures")
    label_vi: str = Field(default="", description="the name in Vietnamese, e.g. 'Hữu Nghị' (--lang vi)")
    demand_trucks_per_day: dict[Direction, dict[str, Factor]] = Field(
        description="base trucks per day by direction and cargo class"
    )
    parking: dict[Direction, Parking] = Field(description="the gate's yard for each direction")
    initial_backlog: dict[Direction, dict[str, Annotated[Int, Field(ge=0)]]] = Field(
        default_factory=dict,
        description="trucks already waiting at the start, by direction and cargo class",
    )
    road_m_per_truck: Float = Field(default=18.0, gt=0, description="road length one truck takes")
    hours: Hours = Field(default=ALWAYS, description="default opening hours of every Vietnamese stage")
    declaration_counter: LaneStage = Field(
        description="paper declaration at the gate, for trucks that did not declare online"
    )
    gate_control: LaneStage = Field(description="border guard, gate management and weighbridge")
    customs_docs: LaneStage = Field(description="customs document check (yellow and red channels)")
    inspection: LaneStage = Field(description="physical or X-ray inspection (red channel)")
    quarantine: LaneStage = Field(description="plant quarantine for the sampled trucks")
    routes: dict[str, Route] = Field(
        min_length=1, max_length=MAX_ROUTES, description="crossing roads, each with its checkpoint"
    )
    route_choice: Literal["shares", "shorter_queue"] = Field(
        default="shares",
        description="exports: keep the route drawn from the shares, or take the route (among those "
        "with a share for the cargo) whose checkpoint has the fewest trucks per lane when ready",
    )
    park: HoldingPark | None = Field(default=None, description="holding park upstream; null = none")

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, msg in _LEGACY.items():
                if key in data:
                    raise ValueError(f"'{key}' is no longer a gate key: {msg}")
        return data

    def stage_hours(self, stage: str) -> Hours:
        """Opening hours of a Vietnamese *stage* in Vietnam time, falling back to the gate's."""
        own = getattr(self, stage).hours
        return own if own is not None else self.hours

    def crossing_hours(self, route: str) -> Hours:
        """Opening hours of *route*'s crossing in Vietnam time, falling back to the gate's."""
        own = self.routes[route].crossing.hours
        return own if own is not None else self.hours


class CargoClass(_Model):
    """A class of cargo; perishable classes are counted against the perishable threshold."""

    perishable: bool = Field(default=False, description="true: spoils when held too long (fresh fruit)")


class ChannelShares(_Model):
    """Shares of declarations by customs risk channel; they sum to 1."""

    green: Probability = Field(description="share with no document or physical check")
    yellow: Probability = Field(description="share with a document check (customs_docs)")
    red: Probability = Field(description="share with documents and a physical or X-ray check (inspection)")

    @model_validator(mode="after")
    def _sum_to_one(self) -> ChannelShares:
        total = self.green + self.yellow + self.red
        if abs(total - 1) > 1e-6:
            raise ValueError(f"green + yellow + red must sum to 1, got {total:g}")
        return self


class Risk(_Model):
    """Risk-based customs channels and quarantine sampling, by cargo class."""

    channel_shares: dict[str, ChannelShares] = Field(
        description="channel shares by cargo class; 'default' covers the others"
    )
    quarantine_share: dict[str, Probability] = Field(
        description="share of trucks sent to quarantine, by cargo class"
    )


class Platform(_Model):
    """The Digital Border Gate Platform: pre-declaration, automatic check, officers' review."""

    enabled: bool = Field(default=True, description="false: every truck counts as approved")
    predeclared_share: Probability = Field(default=1.0, description="share declaring online")
    lead_time_h: Distribution = Field(description="hours between declaration and arrival")
    auto_check_min: Distribution = Field(description="minutes of the automatic data check")
    officers: Int = Field(ge=1, le=MAX_LANES, description="officers reviewing declarations at once")
    review_min: Distribution = Field(description="minutes of an officer's review")
    hours: Hours = Field(default=ALWAYS, description="officers' working hours")
    returned_share: Float = Field(
        ge=0,
        le=MAX_RETURNED_SHARE,
        description=f"share returned for correction, at most {MAX_RETURNED_SHARE} (each return is "
        "drawn again: a share near 1 would return a truck without end)",
    )
    min_lead_h: dict[str, Float] = Field(
        default_factory=dict,
        description="by cargo class: the fewest hours an export is declared before it enters the gate "
        "area (e.g. plant-quarantine registration at least 24 h before export); {} = no minimum",
    )
    outside_h: Distribution | None = Field(
        default=None,
        description="hours a declared export waits outside the gate area (private lots, roadside away "
        "from the gate road) at the end of its lead time, for documents, registration, buyer or turn; "
        "null = not modelled",
    )
    correction_h: Distribution = Field(description="hours before a returned one is resubmitted")


class DemandPattern(_Model):
    """How base demand varies: weekday, month, a random day factor, and the hour of day."""

    weekday_factors: list[Annotated[Factor, Field(le=MAX_DEMAND_FACTOR)]] = Field(
        min_length=7, max_length=7, description="Mon..Sun"
    )
    month_factors: dict[str, list[Annotated[Factor, Field(le=MAX_DEMAND_FACTOR)]]] = Field(
        description="Jan..Dec factors by cargo class; 'default' covers the others"
    )
    day_to_day_cv: Float = Field(
        ge=0,
        le=MAX_DAY_TO_DAY_CV,
        description=f"cv of a gamma day factor with mean 1, at most {MAX_DAY_TO_DAY_CV:g} (a larger cv "
        "puts nearly all days at zero trucks)",
    )
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
            if not math.isfinite(sum(profile)):
                raise ValueError(
                    f"hourly_profile.{key}: its 24 weights sum past the largest number (they are "
                    "relative: give e.g. shares of the day or trucks an hour)"
                )
        return self


class _Event(_Model):
    name: str = Field(default="", description="a label for figures and tables")
    name_vi: str = Field(default="", description="the label in Vietnamese (--lang vi)")
    gates: list[str] | None = Field(default=None, description="null = every gate")
    background: bool = Field(
        default=False,
        description="true: a regime the run lives under (e.g. the year's extended hours), not the "
        "what-if; it starts no episode and the answer is not about it",
    )


class DemandEvent(_Event):
    """Demand multiplied by *factor* on the days from *start* to *end*, both included."""

    kind: Literal["demand"] = Field(description="the kind of event")
    start: dt.date = Field(description="first day, YYYY-MM-DD")
    end: dt.date = Field(description="last day, included")
    factor: Factor = Field(le=1000, description="multiplies the day's demand, at most 1000")
    directions: list[Direction] | None = Field(default=None, description="null = both directions")
    cargo: list[str] | None = Field(default=None, description="cargo classes; null = every class")

    @model_validator(mode="after")
    def _ordered(self) -> DemandEvent:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self


_STAGES_DOC = (
    "stages it applies to (Vietnamese stages, china_check, crossing, or platform); null = every "
    "stage of the gates named (the platform only when named)"
)
_ROUTES_DOC = "routes it applies to (china_check and crossing); null = every route of the gates named"
_DIRS_DOC = "directions at the Chinese checkpoint (the one stage with hours by direction); null = both"


class _TimedEvent(_Event):
    start: dt.datetime = Field(description="start, 'YYYY-MM-DD HH:MM' Vietnam time")
    end: dt.datetime = Field(description="end, after start")
    stages: list[StageName] | None = Field(default=None, description=_STAGES_DOC)
    routes: list[str] | None = Field(default=None, description=_ROUTES_DOC)
    directions: list[Direction] | None = Field(default=None, description=_DIRS_DOC)

    @field_validator("start", "end")
    @classmethod
    def _local(cls, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is not None:
            raise ValueError("give Vietnam local time without a time zone, e.g. 2025-10-01 06:00")
        return when

    @model_validator(mode="after")
    def _ordered(self) -> _TimedEvent:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class CapacityEvent(_TimedEvent):
    """Capacity (service rate) multiplied by *factor* between *start* and *end*."""

    kind: Literal["capacity"] = Field(description="the kind of event")
    factor: Float = Field(
        ge=0.01, le=100, description="multiplies the service rate (0.5 = half as fast), 0.01 to 100"
    )


class ClosureEvent(_TimedEvent):
    """Stages closed between *start* and *end*; services under way finish."""

    kind: Literal["closure"] = Field(description="the kind of event")


class ExtendedHoursEvent(_Event):
    """Other opening hours on the days from *start* to *end*, both included.

    The hours are read in the stage's own clock: China time for ``china_check``, Vietnam time
    for the others.
    """

    kind: Literal["extended_hours"] = Field(description="the kind of event")
    start: dt.date = Field(description="first day, YYYY-MM-DD")
    end: dt.date = Field(description="last day, included")
    hours: Hours = Field(description="the hours on those days")
    stages: list[StageName] | None = Field(default=None, description=_STAGES_DOC)
    routes: list[str] | None = Field(default=None, description=_ROUTES_DOC)
    directions: list[Direction] | None = Field(default=None, description=_DIRS_DOC)

    @model_validator(mode="after")
    def _ordered(self) -> ExtendedHoursEvent:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self


class ParkUseEvent(_Event):
    """The share of a gate's exports that go through its holding park, for the trucks arriving
    on the days from *start* to *end*, both included (outside such events: all of them).

    A park that came into use, or became mandatory, on a date is a park with a share below 1
    before that date; trucks not sent to the park drive straight to the gate.
    """

    kind: Literal["park_use"] = Field(description="the kind of event")
    start: dt.date = Field(description="first day of arrival, YYYY-MM-DD")
    end: dt.date = Field(description="last day of arrival, included")
    share: Probability = Field(description="share of the exports arriving then that use the park, 0 to 1")

    @model_validator(mode="after")
    def _ordered(self) -> ParkUseEvent:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self


Event = Annotated[
    DemandEvent | CapacityEvent | ClosureEvent | ExtendedHoursEvent | ParkUseEvent,
    Field(discriminator="kind"),
]


class RunSettings(_Model):
    """What is simulated: from when, for how long, and what is left out as warm-up."""

    start_date: dt.date = Field(description="first simulated day, YYYY-MM-DD (2000-01-01 to 2099-12-31)")
    days: Int = Field(ge=1, le=MAX_DAYS, description="days simulated, at most 3660 (ten years)")
    warmup_days: Int = Field(default=0, ge=0, description="days left out of the KPIs")
    sample_interval_min: Float = Field(
        default=60, ge=1, description="queue series resolution, at least 1 minute"
    )

    @model_validator(mode="after")
    def _warmup_inside(self) -> RunSettings:
        if self.warmup_days >= self.days:
            raise ValueError(f"warmup_days ({self.warmup_days}) must be below days ({self.days})")
        end = (
            self.start_date + dt.timedelta(days=self.days - 1) if self.start_date <= LAST_DATE else LAST_DATE
        )
        if self.start_date < FIRST_DATE or self.start_date > LAST_DATE or end > LAST_DATE:
            raise ValueError(
                f"the run ({self.start_date}, {self.days} days) must lie between {FIRST_DATE} and {LAST_DATE}"
            )
        samples = self.days * 1440 / self.sample_interval_min
        if samples > MAX_SAMPLES:
            raise ValueError(
                f"{self.days} days sampled every {self.sample_interval_min:g} min make {samples:,.0f} "
                f"samples per queue series; at most {MAX_SAMPLES:,} are supported "
                "(raise sample_interval_min)"
            )
        return self


class KpiSettings(_Model):
    """How some KPIs are measured and the reported figures they are set against."""

    perishable_threshold_h: Float = Field(
        default=8, gt=0, description="hours in the system above which a perishable truck counts as late"
    )
    daily_mean_ref: Float = Field(
        default=1650, ge=0, le=MAX_TRUCKS_PER_DAY, description="reported mean cleared per day"
    )
    daily_peak_ref: Float = Field(
        default=2000, ge=0, le=MAX_TRUCKS_PER_DAY, description="reported peak cleared per day"
    )
    held_clock: str = Field(
        default="20:00", description="clock time, 'HH:MM' Vietnam time, at which trucks held are counted"
    )
    headline: str = Field(
        default="cleared_per_day_mean",
        description="the KPI the scenario's question is about: replications are added until its "
        "95% half-width is within the precision asked for",
    )
    parking_vnd_per_truck_day: Float = Field(
        default=400_000,
        ge=0,
        le=MAX_VND_PER_TRUCK_DAY,
        description="parking fee a truck pays per day in the gate's yard (VND; 400k reported, Dec 2021)",
    )
    park_vnd_per_truck_day: Float = Field(
        default=0,
        ge=0,
        le=MAX_VND_PER_TRUCK_DAY,
        description="fee a truck pays per day in the holding park (VND; 0 = a free park)",
    )
    reefer_fuel_vnd_per_truck_day: Float = Field(
        default=300_000,
        ge=0,
        le=MAX_VND_PER_TRUCK_DAY,
        description="fuel a refrigerated truck burns per day waiting, to keep cool (VND; 300k reported, "
        "Dec 2021)",
    )
    reefer_classes: list[str] | None = Field(
        default=None, description="cargo classes carried in refrigerated trucks; null = the perishable ones"
    )
    driver_vnd_per_truck_day: Float = Field(
        default=0,
        ge=0,
        le=MAX_VND_PER_TRUCK_DAY,
        description="a driver's living costs per day of waiting at the border: food, water, phone, "
        "sleeping in the cab (VND; no figure reported; 0 = not counted)",
    )
    goods_value_vnd_per_truck: Float = Field(
        default=700_000_000,
        ge=0,
        le=MAX_GOODS_VND_PER_TRUCK,
        description="value of the goods on a perishable truck (VND; 500-900 m reported, Dec 2021)",
    )
    perishable_loss_share: Probability = Field(
        default=0.1,
        description="share of a perishable load's value lost when the truck is over the threshold",
    )
    tonnes_per_truck: Float = Field(
        default=20, ge=0, le=MAX_TONNES_PER_TRUCK, description="tonnes of goods on a loaded truck"
    )
    unladen_classes: list[str] = Field(
        default_factory=list, description="cargo classes that carry no goods (empty returns)"
    )
    held_places: list[HeldPlace] = Field(
        default_factory=lambda: list(AREA_PLACES),
        min_length=1,
        description="the places held_at_<clock>_<direction>_mean adds up: the gate area's (default) or "
        "also 'outside' and 'enroute' (declared exports not yet in the area), as the reports count",
    )
    idle_co2_kg_per_truck_h: Float = Field(
        default=5.0,
        ge=0,
        le=MAX_IDLE_CO2_KG_PER_TRUCK_H,
        description="CO2 a truck emits per hour with its engine idling (kg)",
    )
    equivalence: dict[str, Float] = Field(
        default_factory=dict,
        description="KPI -> the change in its unit (a fraction for shares) below which a paired "
        "effect counts as none; default 1% of the base mean, 1 percentage point for shares",
    )

    @model_validator(mode="after")
    def _clock(self) -> KpiSettings:
        if _clock_to_min(self.held_clock) >= 24 * 60:
            raise ValueError(f"held_clock must be before 24:00, got {self.held_clock!r}")
        return self


class AnswerSettings(_Model):
    """Which days the answer is about (see :mod:`sim.world.episodes`)."""

    window: str | None = Field(
        default=None,
        description="'FIRST..LAST' dates, or 'whole_run'; null = each episode of events and its "
        "recovery, or the whole run when the scenario has no event",
    )

    @field_validator("window")
    @classmethod
    def _window(cls, text: str | None) -> str | None:
        if text is None or text == "whole_run":
            return text
        first, sep, last = text.partition("..")
        try:
            a, b = dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip())
        except ValueError:
            a = b = None
        if not sep or a is None or b is None:
            raise ValueError(
                f"expected 'whole_run' or FIRST..LAST dates like 2025-10-01..2025-10-31, got {text!r}"
            )
        if b < a:
            raise ValueError(f"the last day ({b}) is before the first ({a})")
        return f"{a}..{b}"


class Scenario(_Model):
    """A whole scenario: what is simulated, for how long, and what is reported."""

    name: str = Field(description="short name; results go to results/<name> by default")
    question: str = Field(default="", description="the question the scenario answers, in one sentence")
    question_vi: str = Field(default="", description="the question in Vietnamese (reports with --lang vi)")
    run: RunSettings = Field(description="dates, horizon, warm-up and sampling")
    cargo_classes: dict[str, CargoClass] = Field(
        min_length=1, max_length=MAX_CARGO_CLASSES, description="cargo classes by name"
    )
    platform: Platform = Field(description="the Digital Border Gate Platform")
    risk: Risk = Field(description="customs risk channels and quarantine sampling")
    demand: DemandPattern = Field(description="how demand varies over weekdays, months and hours")
    gates: dict[str, Gate] = Field(min_length=1, max_length=MAX_GATES, description="the border gates by name")
    events: list[Event] = Field(
        default_factory=list,
        max_length=MAX_EVENTS,
        description="demand, capacity, closure, extended-hours and park-use events",
    )
    kpi: KpiSettings = Field(default=KpiSettings(), description="how some KPIs are measured")
    answer: AnswerSettings = Field(
        default=AnswerSettings(), description="which days the answer is about; default: each episode"
    )
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = Field(
        default=None,
        description="for `bordersim sweep`: dotted key -> values (one or more); every combination",
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

    def with_changes(self, changes: Mapping[str, Any], name: str | None = None) -> Scenario:
        """A copy with dotted keys set, e.g. ``{"gates.huu_nghi.customs_docs.lanes": 5}``.

        *name* names the copy, so that variants compared side by side are told apart;
        :data:`DERIVED` makes a name from the changes (``baseline_customs_docs.lanes-8``, see
        :func:`derived_name`). Without it the name stays, unless the changes set ``name``.
        """
        data = self.to_dict()
        for key, value in changes.items():
            set_dotted(data, key, value, self.source)
        if name == DERIVED:
            name = derived_name(self.name, changes)
        if name is not None:
            data["name"] = name
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


def _model_at(loc: tuple[Any, ...], root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The model class whose keys are allowed at *loc* (a pydantic error's path, without its last
    part) under *root* (default: the scenario), or None where the path leads to no model."""
    import typing

    def models_in(tp: Any) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for a in typing.get_args(tp) for m in models_in(a)]

    def step(tp: Any, part: Any) -> Any:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            return step(typing.get_args(tp)[0], part)
        if origin in (dict, list) or (isinstance(origin, type) and issubclass(origin, (dict, list))):
            return typing.get_args(tp)[-1]
        if origin in (typing.Union, types.UnionType):
            for m in models_in(tp):
                if part in m.model_fields:
                    return m.model_fields[part].annotation
                tag = m.model_fields.get("kind")
                if tag is not None and part in typing.get_args(tag.annotation):
                    return m
            return None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part in tp.model_fields:
                return tp.model_fields[part].annotation
            return None
        return None

    tp: Any = root or Scenario
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.startswith("function-")):
            origin = typing.get_origin(tp)
            if origin is typing.Annotated:
                tp = typing.get_args(tp)[0]
            if typing.get_origin(tp) in (list,):
                tp = typing.get_args(tp)[0]
            continue
        nxt = step(tp, part)
        if nxt is None:
            return None
        tp = nxt
    found = models_in(tp)
    return found[0] if len(found) == 1 else None


def unknown_name(kind: str, name: Any, known: Any) -> str:
    """'unknown cargo class 'fruits'; did you mean 'fruit'? (known: empty, fruit, general)'."""
    known = sorted(str(k) for k in known)
    near = difflib.get_close_matches(str(name), known, n=2, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(k) for k in near)}?" if near else ""
    return f"unknown {kind} {_short(name)}{hint} (known: {', '.join(known)})"


def _unknown_key(loc: tuple[Any, ...], root: type[BaseModel] | None = None) -> str:
    """'unknown key' with a did-you-mean and the keys allowed there (in *root*'s file)."""
    key = str(loc[-1])
    model = _model_at(loc[:-1], root)
    if model is None:
        return "unknown key"
    known = sorted(model.model_fields)
    near = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(k) for k in near)}?" if near else ""
    return f"unknown key{hint} (allowed here: {', '.join(known)})"


def _problems(err: ValidationError, root: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """(key, what is wrong) for each error of *err*, a validation of *root* (default: the
    scenario; a costs, ranges, targets or case file passes its own model, so that an unknown key
    is set against that file's keys, not a scenario's)."""
    out = []
    for e in err.errors():
        kind = e["type"]
        if kind == "extra_forbidden":
            msg = _unknown_key(e["loc"], root)
        elif kind == "missing":
            msg = "required key is missing"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            # The value given, unless the message names it already or it is a whole mapping or
            # list (an event, the hours): its repr would only repeat the file in Python's words.
            if not isinstance(e["input"], (dict, list)) and ", got " not in msg:
                msg = f"{msg} (got {_short(e['input'])})"
        out.append((_loc_path(e["loc"]), msg))
    return out


def _free_text_problems(data: Any, path: str = "") -> list[tuple[str, str]]:
    """Free text (questions, labels, event names) with a control character, or longer than
    :data:`MAX_TEXT` allows: refused, since they reach file names, figures and workbooks."""
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and key in MAX_TEXT:
                bad = [c for c in value if unicodedata.category(c) == "Cc" and c not in "\n"]
                if bad:
                    out.append((where, f"holds a control character ({bad[0]!r}); write plain text"))
                if len(value) > MAX_TEXT[key]:
                    out.append((where, f"is {len(value):,} characters long; at most {MAX_TEXT[key]}"))
            else:
                out += _free_text_problems(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _free_text_problems(value, f"{path}.{i}")
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

    def known_classes(path: str, names: list[str]) -> None:
        unknown = [c for c in names if c not in cargo]
        if unknown:
            problems.append(
                (path, f"priority classes must be cargo classes: {unknown}; known: {sorted(cargo)}")
            )

    known = sorted(cargo)
    for c in sc.platform.min_lead_h:
        if c not in cargo:
            problems.append(("platform.min_lead_h", unknown_name("cargo class", c, cargo)))
    for key in ("reefer_classes", "unladen_classes"):
        unknown = sorted(set(getattr(sc.kpi, key) or []) - cargo)
        if unknown:
            problems.append((f"kpi.{key}", f"unknown cargo class {unknown}; known: {known}"))
    for path, names in [("cargo_classes", sc.cargo_classes), ("gates", sc.gates)] + [
        (f"gates.{g}.routes", gate.routes) for g, gate in sc.gates.items()
    ]:
        for name in names:
            if not _KEY.fullmatch(name) or name == DEFAULT_KEY:
                problems.append(
                    (
                        f"{path}.{name}",
                        "a name must be 1-40 letters, digits, '_' or '-', starting with a letter or "
                        f"digit, and not {DEFAULT_KEY!r} (it names files and KPIs)",
                    )
                )
    by_cargo("risk.channel_shares", sc.risk.channel_shares)
    by_cargo("risk.quarantine_share", sc.risk.quarantine_share)
    by_cargo("demand.month_factors", sc.demand.month_factors)
    for gname, gate in sc.gates.items():
        for stage in LANE_STAGES:
            by_cargo(f"gates.{gname}.{stage}.service_min", getattr(gate, stage).service_min)
            known_classes(f"gates.{gname}.{stage}.priority", getattr(gate, stage).priority)
        for rname, route in gate.routes.items():
            base = f"gates.{gname}.routes.{rname}"
            by_cargo(f"{base}.china_check.service_min", route.china_check.service_min)
            known_classes(f"{base}.china_check.priority", route.china_check.priority)
            known_classes(f"{base}.crossing.priority", route.crossing.priority)
            for direction, shares in route.share.items():
                unknown = set(shares) - cargo - {DEFAULT_KEY}
                if unknown:
                    problems.append(
                        (f"{base}.share.{direction}", unknown_name("cargo class", sorted(unknown)[0], cargo))
                    )
        for direction, flows in gate.demand_trucks_per_day.items():
            unknown = set(flows) - cargo
            if unknown:
                path = f"gates.{gname}.demand_trucks_per_day.{direction}"
                problems.append((path, unknown_name("cargo class", sorted(unknown)[0], cargo)))
            if direction not in gate.parking:
                problems.append((f"gates.{gname}.parking", f"no parking for {direction} trucks"))
            for c in sorted(set(flows) | set(gate.initial_backlog.get(direction, {}))):
                total = sum(route_share(r, direction, c) for r in gate.routes.values())
                if abs(total - 1) > 1e-6:
                    detail = ", ".join(
                        f"{rn}: {route_share(r, direction, c):g}" for rn, r in gate.routes.items()
                    )
                    problems.append(
                        (
                            f"gates.{gname}.routes",
                            f"{direction} shares of cargo class {c!r} must sum to 1 over the routes, "
                            f"got {total:g} ({detail})",
                        )
                    )
        for direction, flows in gate.initial_backlog.items():
            unknown = set(flows) - cargo
            if unknown:
                path = f"gates.{gname}.initial_backlog.{direction}"
                problems.append((path, unknown_name("cargo class", sorted(unknown)[0], cargo)))
        if "export" in gate.demand_trucks_per_day and "export" not in sc.demand.hourly_profile:
            problems.append(("demand.hourly_profile", "no profile for export trucks"))
        if "import" in gate.demand_trucks_per_day and "import" not in sc.demand.hourly_profile:
            problems.append(("demand.hourly_profile", "no profile for import trucks"))
        park = gate.park
        if park is not None:
            known_classes(f"gates.{gname}.park.priority", park.priority)
            yard = gate.parking.get("export")
            cap = yard.capacity if yard is not None else None
            if park.call_forward_below is not None and cap is not None and park.call_forward_below > cap:
                problems.append(
                    (
                        f"gates.{gname}.park.call_forward_below",
                        f"{park.call_forward_below} is above the export yard's size ({cap} places with "
                        "overflow): trucks would be called forward into a full yard",
                    )
                )
    problems += _free_text_problems(sc.to_dict())
    if sc.answer.window not in (None, "whole_run"):
        first, _, last = sc.answer.window.partition("..")
        run_last = sc.run.start_date + dt.timedelta(days=sc.run.days - 1)
        if dt.date.fromisoformat(first) < sc.run.start_date or dt.date.fromisoformat(last) > run_last:
            problems.append(
                (
                    "answer.window",
                    f"{sc.answer.window} is not inside the run ({sc.run.start_date}..{run_last})",
                )
            )
    for i, ev in enumerate(sc.events):
        for g in ev.gates or []:
            if g not in sc.gates:
                problems.append((f"events.{i}.gates", unknown_name("gate", g, sc.gates)))
        if isinstance(ev, DemandEvent):
            for c in ev.cargo or []:
                if c not in cargo:
                    problems.append((f"events.{i}.cargo", unknown_name("cargo class", c, cargo)))
        elif isinstance(ev, ParkUseEvent):
            parked = [g for g, gate in sc.gates.items() if gate.park is not None]
            lacking = [g for g in ev.gates or [] if g in sc.gates and g not in parked]
            if lacking or not parked:
                what = f"gate(s) {lacking} have" if lacking else "no gate has"
                problems.append(
                    (
                        f"events.{i}.gates",
                        f"{what} no holding park (gates.<gate>.park) for a park_use event to share "
                        f"out; gates with one: {parked}",
                    )
                )
        else:
            if isinstance(ev, CapacityEvent) and ev.directions is not None:
                problems.append(
                    (
                        f"events.{i}.directions",
                        "a capacity event slows a whole stage; directions are for closure and "
                        "extended_hours events at the Chinese checkpoint",
                    )
                )
            named = [g for g in (ev.gates or list(sc.gates)) if g in sc.gates]
            known = sorted({r for g in named for r in sc.gates[g].routes})
            for r in ev.routes or []:
                if r not in known:
                    problems.append((f"events.{i}.routes", unknown_name("route", r, known)))
    if not problems:
        problems += _stacked_capacity_problems(sc)
    return problems


MAX_STACKED_FACTOR = 100.0
"""The most (and 1/this the least) the factors of capacity events at the same time may multiply to."""


def _capacity_places(sc: Scenario, ev: CapacityEvent) -> list[tuple[str, ...]]:
    """The (gate, stage[, route]) places a capacity event slows."""
    places: list[tuple[str, ...]] = []
    if ev.stages is not None and "platform" in ev.stages:
        places.append(("platform",))
    for g in ev.gates or list(sc.gates):
        for stage in ev.stages or STAGES:
            if stage in LANE_STAGES:
                places.append((g, stage))
            elif stage in ROUTE_STAGES:
                places += [(g, stage, r) for r in sc.gates[g].routes if ev.routes is None or r in ev.routes]
    return places


def _stacked_capacity_problems(sc: Scenario) -> list[tuple[str, str]]:
    """Capacity events in force at once on the same stage multiply; refuse a product beyond
    x :data:`MAX_STACKED_FACTOR` either way (200 events of x100 would make service instant, 200 of
    x0.01 would stop it), naming the events. Sums of logs over a sweep of the starts and ends."""
    timed = [(i, ev) for i, ev in enumerate(sc.events) if isinstance(ev, CapacityEvent)]
    if len(timed) < 2:
        return []
    edges = sorted(
        [(ev.start, 1, i) for i, ev in timed] + [(ev.end, 0, i) for i, ev in timed]
    )  # an end sorts before a start at the same moment: back-to-back events do not overlap
    events = dict(timed)
    places = {i: _capacity_places(sc, ev) for i, ev in timed}
    log_sum: dict[tuple[str, ...], float] = {}
    active: dict[tuple[str, ...], list[int]] = {}
    limit = math.log(MAX_STACKED_FACTOR) + 1e-9
    for when, starts, i in edges:
        sign = 1.0 if starts else -1.0
        for place in places[i]:
            log_sum[place] = log_sum.get(place, 0.0) + sign * math.log(events[i].factor)
            if starts:
                active.setdefault(place, []).append(i)
            else:
                active[place].remove(i)
        if not starts:
            continue
        for place in places[i]:
            if abs(log_sum[place]) > limit:
                names = [
                    f"events.{j}" + (f" ({events[j].name})" if events[j].name else "") for j in active[place]
                ]
                shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                product = math.exp(log_sum[place]) if log_sum[place] < 700 else math.inf
                return [
                    (
                        f"events.{i}.factor",
                        f"capacity events in force together at {'.'.join(place)} on {when:%Y-%m-%d %H:%M} "
                        f"multiply to x{product:.3g}, beyond x{MAX_STACKED_FACTOR:g} or "
                        f"x{1 / MAX_STACKED_FACTOR:g}: {shown}; merge them into one event",
                    )
                ]
    return []


DERIVED = "derived"
"""Pass as ``name`` to :meth:`Scenario.with_changes` to name the copy after its changes."""


def short_key(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else key


def derived_name(base: str, changes: Mapping[str, Any]) -> str:
    """A scenario name saying what *changes* do to *base*: ``baseline_customs_docs.lanes-8``."""
    text = "_".join(f"{short_key(k)}-{v}" for k, v in changes.items() if k != "name")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{base}_{text}" if text else base)
    return name[:80]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings (and lists of mappings) as ``{dotted.key: value}``; other lists are values."""
    out: dict[str, Any] = {}
    items: Any = None
    if isinstance(data, Mapping):
        items = data.items()
    elif isinstance(data, list) and any(isinstance(x, Mapping) for x in data):
        items = ((str(i), x) for i, x in enumerate(data))
    if items is None or (isinstance(data, Mapping) and not data and prefix):
        return {prefix: data}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def diff_scenarios(old: Scenario, new: Scenario) -> list[tuple[str, Any, Any]]:
    """Every dotted key whose value differs, as (key, old, new); a missing side is None."""
    a, b = flatten(old.to_dict()), flatten(new.to_dict())
    return [(k, a.get(k), b.get(k)) for k in list(a) + [k for k in b if k not in a] if a.get(k) != b.get(k)]


def label_apart(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, with any that repeats an earlier name renamed after what it changes
    against the first (:func:`derived_name`), so that tables and figures tell them apart."""
    out: list[Scenario] = []
    for sc in scenarios:
        if any(sc.name == o.name for o in out):
            changes = {k: v for k, _, v in diff_scenarios(scenarios[0], sc) if k != "name"}
            name = derived_name(sc.name, changes)
            while any(name == o.name for o in out):
                name = (name[:76] + f"-{len(out)}")[-80:]
            sc = sc.with_changes({}, name=name)
        out.append(sc)
    return out


def route_share(route: Route, direction: str, cargo: str) -> float:
    """The share of *cargo* trucks of *direction* that a route takes (0 where none is given)."""
    shares = route.share.get(direction, {})
    return shares.get(cargo, shares.get(DEFAULT_KEY, 0.0))


def validate_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate plain data as a scenario; raise :class:`ScenarioError` naming every problem."""
    try:
        sc = Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(source, _problems(err)) from None
    problems = _cross_check(sc)
    if not problems:
        from sim.world.checks import size_problems  # it reads the models defined here

        problems = size_problems(sc)
    if problems:
        raise ScenarioError(source, problems)
    sc._source = source
    return sc


def parse_yaml(text: str, source: str, key: str = "") -> Any:
    """*text* read as YAML with the guards of this module; ScenarioError naming *source* if not."""
    try:
        return guarded_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ScenarioError(source, [(key, f"not valid YAML{where}: {problem}")]) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before
        raise ScenarioError(source, [(key, f"nested more than {MAX_DEPTH} levels deep")]) from None


def read_yaml_file(path: Path, source: str, what: str = "scenario") -> dict[str, Any]:
    """A YAML file of mappings read through every guard of a scenario file: a regular file (no FIFO,
    device or folder) of at most :data:`MAX_FILE_BYTES`, strict UTF-8, and :func:`parse_yaml`.

    Every YAML file the tool reads (scenarios, costs, targets, ranges, validation cases, the
    files of a results folder) comes through here, so each meets the same guards; *what* names
    the kind of file in the message.
    """
    raw = read_guarded_bytes(path, source, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ScenarioError(
            source,
            [("", f"not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}; save it as UTF-8")],
            what=what,
        ) from None
    try:
        data = parse_yaml(text, source)
    except ScenarioError as err:
        raise ScenarioError(source, err.problems, what=what) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [("", f"must be a mapping of keys, got {type(data).__name__}")], what=what
        )
    return data


def read_guarded_bytes(
    path: Path, source: str, what: str = "scenario", limit_bytes: int = MAX_FILE_BYTES
) -> bytes:
    """The bytes of *path* if it is a regular file of at most *limit_bytes*: a FIFO would block
    forever, a device such as /dev/zero never ends, a folder is no file. Checked on the opened
    file (``O_NONBLOCK``, so a FIFO does not block the open) so nothing is swapped in between."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise ScenarioError(source, [("", f"cannot read the file: {err.strerror}")], what=what) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(info.st_mode)
                else "a FIFO"
                if stat.S_ISFIFO(info.st_mode)
                else "a device or other special file"
            )
            raise ScenarioError(source, [("", f"not a regular file ({kind})")], what=what)
        if info.st_size > limit_bytes:
            limit = f"{what} files of at most {limit_bytes:,} bytes are read"
            raise ScenarioError(source, [("", f"{info.st_size:,} bytes; {limit}")], what=what)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limit_bytes + 1)
    except OSError as err:
        raise ScenarioError(source, [("", f"cannot read the file: {err.strerror}")], what=what) from None
    finally:
        os.close(fd)
    if len(raw) > limit_bytes:
        raise ScenarioError(
            source, [("", f"more than {limit_bytes:,} bytes; files of at most that are read")], what=what
        )
    return raw


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


MAX_EXTENDS = 32
"""The most files a chain of ``extends`` may hold (the shipped scenarios use at most a few)."""
MAX_NAME_CHARS = 1024
"""The longest file name ``extends`` may give (a file system allows 255 bytes a part, 4096 a path)."""


class _ChainTooDeepError(ScenarioError):
    """A chain of ``extends`` longer than :data:`MAX_EXTENDS`: said once, not once per file."""


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    source = str(path)
    if path.resolve() in chain:
        raise ScenarioError(source, [("extends", "circular: the file extends itself")])
    if len(chain) >= MAX_EXTENDS:
        files = [str(p) for p in (*chain, path)]
        shown = ", ".join(files[:3]) + ", ..., " + ", ".join(files[-3:])
        raise _ChainTooDeepError(
            files[0],
            [("extends", f"the chain of extends is deeper than {MAX_EXTENDS} files: {shown}")],
        )
    data = read_yaml_file(path, source)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(source, [("extends", f"must be a file name, got {_short(parent)}")])
    if len(parent) > MAX_NAME_CHARS or any(len(part.encode()) > 255 for part in Path(parent).parts):
        raise ScenarioError(
            source,
            [
                (
                    "extends",
                    f"the file name is {len(parent):,} characters long ({_short(parent)}); too long a name",
                )
            ],
        )
    parent_path = path.parent / parent
    try:
        found, exists = parent_path.is_file(), parent_path.exists()
    except OSError as err:
        raise ScenarioError(source, [("extends", f"{err.strerror}: {_short(str(parent_path))}")]) from None
    if not found:
        what = "not a file" if exists else "no such file"
        raise ScenarioError(source, [("extends", f"{what}: {_short(str(parent_path))}")])
    try:
        base = _resolve(parent_path, (*chain, path.resolve()))
    except _ChainTooDeepError:
        raise
    except ScenarioError as err:
        raise ScenarioError(err.source, err.problems, (*err.via, source)) from None
    unknown = _unknown_names(base, data)
    if unknown:
        raise ScenarioError(source, unknown)
    merged = deep_merge(base, data)
    # A file is named after itself unless it says otherwise: an inherited name would give a
    # variant its base's results folder and labels.
    if "name" not in data:
        merged.pop("name", None)
    return merged


def _required(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items() if f.is_required()]


def _unknown_names(base: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Gates and routes an extending file names that its base lacks, unless given whole.

    A misspelt gate (``huunghi``) would otherwise become a new gate with every key missing.
    """
    problems: list[tuple[str, str]] = []
    base_gates, gates = base.get("gates"), data.get("gates")
    if not isinstance(base_gates, Mapping) or not isinstance(gates, Mapping):
        return problems
    for g, gate in gates.items():
        if not isinstance(gate, Mapping):
            continue
        if g not in base_gates:
            missing = [k for k in _required(Gate) if k not in gate]
            if missing:
                problems.append((f"gates.{g}", unknown_name("gate", g, base_gates)))
            continue
        base_routes, routes = base_gates[g].get("routes"), gate.get("routes")
        if isinstance(base_routes, Mapping) and isinstance(routes, Mapping):
            for r, route in routes.items():
                new = r not in base_routes and isinstance(route, Mapping)
                if new and any(k not in route for k in _required(Route)):
                    problems.append((f"gates.{g}.routes.{r}", unknown_name("route", r, base_routes)))
    return problems


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set ``a.b.0.c`` inside nested dicts and lists, creating mappings that are missing.

    A mapping set over a mapping is merged into it; any other value replaces what was there.
    """
    parts = key.split(".")
    node: Any = data
    _known_path(data, parts, key, source)
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


def _known_path(data: Mapping[str, Any], parts: list[str], key: str, source: str) -> None:
    """A key path into a gate or route the scenario lacks is a misspelling, named as such."""
    gates = data.get("gates")
    if parts[0] != "gates" or len(parts) < 3 or not isinstance(gates, Mapping):
        return
    if parts[1] not in gates:
        raise ScenarioError(source, [(key, unknown_name("gate", parts[1], gates))])
    routes = gates[parts[1]].get("routes") if isinstance(gates[parts[1]], Mapping) else None
    if len(parts) >= 5 and parts[2] == "routes" and isinstance(routes, Mapping) and parts[3] not in routes:
        msg = unknown_name(f"route of gate {parts[1]}", parts[3], routes)
        raise ScenarioError(source, [(key, msg)])


def parse_value(raw: str, source: str, key: str = "") -> Any:
    """A command-line value read as YAML (5, 0.3, true, null, 23:00 as text); text if not YAML."""
    if not raw.strip():
        return ""
    try:
        return parse_yaml(raw, source, key)
    except ScenarioError as err:
        if any("values once its aliases" in m or "levels deep" in m for _, m in err.problems):
            raise
        return raw


def parse_assignment(text: str, source: str = "--set") -> tuple[str, Any]:
    """Split ``key.path=value``; the value is read as YAML (so 5, 0.3, true, null work)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(source, [(_short(text), "expected key.path=value")])
    return key.strip(), parse_value(raw, f"{source} {_short(text)}", key.strip())


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
