"""What a run is and what it reports: run settings, KPI settings and the answer's settings."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator
from pydantic.functional_validators import field_validator

from sim.world.numbers import Float, Int
from sim.world.schema.names import (
    AREA_PLACES,
    FIRST_DATE,
    LAST_DATE,
    MAX_DAYS,
    MAX_GOODS_VND_PER_TRUCK,
    MAX_IDLE_CO2_KG_PER_TRUCK_H,
    MAX_SAMPLES,
    MAX_TONNES_PER_TRUCK,
    MAX_TRUCKS_PER_DAY,
    MAX_VND_PER_TRUCK_DAY,
    HeldPlace,
    Probability,
    StrictModel,
    clock_to_min,
)


class RunSettings(StrictModel):
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


class KpiSettings(StrictModel):
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
        if clock_to_min(self.held_clock) >= 24 * 60:
            raise ValueError(f"held_clock must be before 24:00, got {self.held_clock!r}")
        return self


class AnswerSettings(StrictModel):
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
