"""The Digital Border Gate Platform: customs risk channels and the review of online declarations."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.world.distributions import Distribution
from sim.world.numbers import Float, Int
from sim.world.schema.names import ALWAYS, MAX_LANES, MAX_RETURNED_SHARE, Hours, Probability, StrictModel


class ChannelShares(StrictModel):
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


class Risk(StrictModel):
    """Risk-based customs channels and quarantine sampling, by cargo class."""

    channel_shares: dict[str, ChannelShares] = Field(
        description="channel shares by cargo class; 'default' covers the others"
    )
    quarantine_share: dict[str, Probability] = Field(
        description="share of trucks sent to quarantine, by cargo class"
    )


class Platform(StrictModel):
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
