"""A gate and what it holds: lane stages, the Chinese checkpoint, the crossing, routes, parking and
the holding park.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.world.distributions import Distribution
from sim.world.numbers import Float, Int
from sim.world.schema.names import (
    ALWAYS,
    MAX_LANES,
    MAX_ROUTES,
    Direction,
    Factor,
    Hours,
    Probability,
    StrictModel,
)

_PRIORITY = (
    "cargo classes served first, highest first; the others after them. Non-preemptive, first come "
    "first served within a class; empty = first come first served for all"
)


class LaneStage(StrictModel):
    """A pool of identical lanes (officers, bays) serving one truck each, by priority class."""

    enabled: bool = Field(default=True, description="false: trucks pass the stage by")
    lanes: Int = Field(ge=1, le=MAX_LANES, description="lanes working in parallel")
    service_min: dict[str, Distribution] = Field(
        description="service time in minutes by cargo class; 'default' covers the others"
    )
    hours: Hours | None = Field(default=None, description="opening hours; default: the gate's")
    priority: list[str] = Field(default_factory=list, description=_PRIORITY)


class ChinaCheck(StrictModel):
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


class Crossing(StrictModel):
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


class Route(StrictModel):
    """A crossing road of a gate with its own Chinese-side checkpoint and crossing step."""

    label: str = Field(default="", description="name shown in tables, e.g. '1119-1120'")
    label_vi: str = Field(default="", description="the name in Vietnamese (reports with --lang vi)")
    share: dict[Direction, dict[str, Probability]] = Field(
        description="share of the gate's trucks on this route, by direction and cargo class "
        "('default' covers the others); over a gate's routes the shares sum to 1"
    )
    china_check: ChinaCheck = Field(description="the route's Chinese-side checkpoint, both directions")
    crossing: Crossing = Field(description="the crossing step (trailer swap or direct)")


class Parking(StrictModel):
    """A yard at the gate; when it is full trucks wait outside (on the road) or are turned away."""

    places: Int | None = Field(ge=0, description="yard places; null = unlimited")
    overflow_places: Int = Field(default=0, ge=0, description="extra places in an overflow area")
    when_full: Literal["road", "turn_away"] = Field(
        default="road", description="what a truck does when the yard is full: queue on the road, or leave"
    )

    @property
    def capacity(self) -> int | None:
        return None if self.places is None else self.places + self.overflow_places


class HoldingPark(StrictModel):
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


class Gate(StrictModel):
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
