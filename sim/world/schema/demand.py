"""Demand: cargo classes and how base demand varies by weekday, month, day and hour."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from sim.world.numbers import Float
from sim.world.schema.names import MAX_DAY_TO_DAY_CV, MAX_DEMAND_FACTOR, Direction, Factor, StrictModel


class CargoClass(StrictModel):
    """A class of cargo; perishable classes are counted against the perishable threshold."""

    perishable: bool = Field(default=False, description="true: spoils when held too long (fresh fruit)")


class DemandPattern(StrictModel):
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
