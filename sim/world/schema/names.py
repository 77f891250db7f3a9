"""Names, places, stages and limits every part of a scenario shares, the error a bad scenario raises,
the strict base of every model, and opening hours.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.world.numbers import Float

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
        lines += [f"  {path or '<top level>'}: {clip_text(msg)}" for path, msg in problems]
        lines += [f"  (reached through 'extends' in {v})" for v in via]
        super().__init__("\n".join(lines))


def clip_text(text: str, limit: int = 400) -> str:
    """A message line never longer than *limit* characters, however large the input it quotes."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


def clock_to_min(text: str) -> int:
    m = _CLOCK.match(text)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"clock time must be 'HH:MM' between 00:00 and 24:00, got {text[:80]!r}")
    return int(m.group(1)) * 60 + int(m.group(2))


class Hours(StrictModel):
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
        if clock_to_min(self.close) <= clock_to_min(self.open):
            raise ValueError(f"close ({self.close}) must be after open ({self.open})")
        return self

    @property
    def open_min(self) -> int:
        return clock_to_min(self.open)

    @property
    def close_min(self) -> int:
        return clock_to_min(self.close)


ALWAYS = Hours(open="00:00", close="24:00")
