"""Time distributions a scenario can name, each turned into draws by inverse transform.

Every distribution maps uniform variates to values (``from_uniform``), so the model draws one
uniform per truck and stage from that stage's own stream: two scenarios that differ only in a
distribution's parameters still give each truck the same quantile (common random numbers).
A distribution carries no unit; the field that holds it does (``service_min``, ``lead_time_h``).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.world.numbers import Float

MAX_VALUE = 1e6
"""The largest value a distribution may take (a million minutes is about two years)."""
MAX_CV = 10.0
"""The largest coefficient of variation of a lognormal (service times are reported below 3)."""
MAX_VALUES = 100_000
"""The most observed values an empirical distribution may list."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def from_uniform(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean: the memoryless service of textbook queues."""

    dist: Literal["exponential"] = Field(description="the distribution's name")
    mean_value: Float = Field(gt=0, le=MAX_VALUE, alias="mean", description="mean")

    @property
    def mean(self) -> float:
        return self.mean_value

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_value * np.log1p(-u)


class Fixed(_Dist):
    """The same value every time (deterministic service, M/D/c)."""

    dist: Literal["fixed"] = Field(description="the distribution's name")
    value: Float = Field(ge=0, le=MAX_VALUE, description="the value every draw takes")

    @property
    def mean(self) -> float:
        return self.value

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return np.full(u.shape, self.value)


class Lognormal(_Dist):
    """Lognormal given by its mean and coefficient of variation, as service times are reported."""

    dist: Literal["lognormal"] = Field(description="the distribution's name")
    mean_value: Float = Field(gt=0, le=MAX_VALUE, alias="mean", description="mean")
    cv: Float = Field(ge=0, le=MAX_CV, description="coefficient of variation: standard deviation / mean")

    @property
    def mean(self) -> float:
        return self.mean_value

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_value) - sigma2 / 2
        from scipy.special import ndtri  # imported where drawn: a scenario check needs no scipy

        return np.exp(mu + math.sqrt(sigma2) * ndtri(u))


class Triangular(_Dist):
    """Triangular between *low* and *high* with its peak at *mode*: a three-point expert guess."""

    dist: Literal["triangular"] = Field(description="the distribution's name")
    low: Float = Field(ge=0, le=MAX_VALUE, description="smallest value")
    mode: Float = Field(ge=0, le=MAX_VALUE, description="most likely value")
    high: Float = Field(gt=0, le=MAX_VALUE, description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(
                f"needs low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        cut = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < cut, left, right)


class Empirical(_Dist):
    """Observed values; draws interpolate their empirical quantile function."""

    dist: Literal["empirical"] = Field(description="the distribution's name")
    values: list[Annotated[Float, Field(ge=0, le=MAX_VALUE)]] = Field(
        min_length=2, max_length=MAX_VALUES, description="observed values"
    )

    @property
    def mean(self) -> float:
        # The mean of the piecewise-linear quantile function over the sorted values.
        v = np.sort(np.asarray(self.values))
        return float(np.mean((v[:-1] + v[1:]) / 2))

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        v = np.sort(np.asarray(self.values))
        return np.interp(u, np.linspace(0.0, 1.0, v.size), v)


Distribution = Annotated[
    Exponential | Fixed | Lognormal | Triangular | Empirical, Field(discriminator="dist")
]
"""Any time distribution; YAML picks one with ``dist:``."""
