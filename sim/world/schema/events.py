"""Events: changes of demand, capacity, closures, extended hours and park use over a span of time."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic.functional_validators import field_validator

from sim.world.numbers import Float
from sim.world.schema.names import Direction, Factor, Hours, Probability, StageName, StrictModel


class EventBase(StrictModel):
    name: str = Field(default="", description="a label for figures and tables")
    name_vi: str = Field(default="", description="the label in Vietnamese (--lang vi)")
    gates: list[str] | None = Field(default=None, description="null = every gate")
    background: bool = Field(
        default=False,
        description="true: a regime the run lives under (e.g. the year's extended hours), not the "
        "what-if; it starts no episode and the answer is not about it",
    )


class DemandEvent(EventBase):
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


class TimedEvent(EventBase):
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
    def _ordered(self) -> TimedEvent:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class CapacityEvent(TimedEvent):
    """Capacity (service rate) multiplied by *factor* between *start* and *end*."""

    kind: Literal["capacity"] = Field(description="the kind of event")
    factor: Float = Field(
        ge=0.01, le=100, description="multiplies the service rate (0.5 = half as fast), 0.01 to 100"
    )


class ClosureEvent(TimedEvent):
    """Stages closed between *start* and *end*; services under way finish."""

    kind: Literal["closure"] = Field(description="the kind of event")


class ExtendedHoursEvent(EventBase):
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


class ParkUseEvent(EventBase):
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
