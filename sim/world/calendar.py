"""The model clock and the opening schedule of every stage.

Model time is minutes since 00:00 Vietnam time (UTC+7) on the scenario's start date; every
other module uses that clock. China is one hour ahead, so 08:00 China time is minute 420 of a
Vietnamese day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.world.scenario import Scenario
from sim.world.schema.events import CapacityEvent, ClosureEvent, ExtendedHoursEvent
from sim.world.schema.names import WEEKDAYS, Hours

MIN_PER_DAY = 1440
MIN_PER_H = 60
CHINA_AHEAD_MIN = 60


def minute_of(sc: Scenario, when: dt.datetime | dt.date) -> float:
    """Model minute of a local date or date-time."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time())
    start = dt.datetime.combine(sc.run.start_date, dt.time())
    return (when - start).total_seconds() / 60


def horizon_min(sc: Scenario) -> float:
    """The run's end, in minutes from its start: its days, warm-up included."""
    return sc.run.days * MIN_PER_DAY


@dataclass(frozen=True)
class Schedule:
    """Piecewise-constant state of a stage: from ``times[k]`` on it is ``open[k]`` at ``factor[k]``."""

    times: tuple[float, ...]
    open: tuple[bool, ...]
    factor: tuple[float, ...]

    def state_at(self, t: float) -> tuple[bool, float]:
        k = max(i for i, s in enumerate(self.times) if s <= t)
        return self.open[k], self.factor[k]


def _applies(event: object, gate: str | None, stage: str, route: str | None, direction: str | None) -> bool:
    """Whether *event* reaches *stage* (of *route*, for *direction*) at *gate*.

    The platform (``gate=None``) is reached only by events that name it in ``stages``; an event
    naming routes reaches only those routes' stages; one naming directions only the Chinese
    checkpoint, the one stage with hours by direction.
    """
    stages = getattr(event, "stages", None)
    if gate is None:
        return stages is not None and stage in stages
    gates = getattr(event, "gates", None)
    routes = getattr(event, "routes", None)
    directions = getattr(event, "directions", None)
    if gates is not None and gate not in gates:
        return False
    if stages is not None and stage not in stages:
        return False
    if routes is not None and (route is None or route not in routes):
        return False
    return directions is None or (stage == "china_check" and direction in directions)


def build_schedule(
    sc: Scenario,
    hours: Hours,
    gate: str | None,
    stage: str,
    offset_min: float = 0,
    route: str | None = None,
    direction: str | None = None,
) -> Schedule:
    """Open/closed and capacity factor over the run for one stage at one gate.

    *offset_min* shifts the hours (``CHINA_AHEAD_MIN`` for hours given in China time).
    Extended-hours events replace the day's hours; closures shut the stage; capacity
    events multiply its rate. The platform (``gate=None``) is reached only by events naming it.
    """

    def applies(e: object) -> bool:
        return _applies(e, gate, stage, route, direction)

    horizon = horizon_min(sc)
    extended = [e for e in sc.events if isinstance(e, ExtendedHoursEvent) and applies(e)]
    open_spans: list[tuple[float, float]] = []
    # One extra day either side covers hours shifted across midnight by the China offset.
    for d in range(-1, sc.run.days + 1):
        date = sc.run.start_date + dt.timedelta(days=d)
        day_hours = hours
        for e in extended:
            if e.start <= date <= e.end:
                day_hours = e.hours
        if WEEKDAYS[date.weekday()] not in day_hours.weekdays:
            continue
        base = d * MIN_PER_DAY - offset_min
        open_spans.append((base + day_hours.open_min, base + day_hours.close_min))
    closed = [
        (minute_of(sc, e.start), minute_of(sc, e.end))
        for e in sc.events
        if isinstance(e, ClosureEvent) and applies(e)
    ]
    slowed = [
        (minute_of(sc, e.start), minute_of(sc, e.end), e.factor)
        for e in sc.events
        if isinstance(e, CapacityEvent) and applies(e)
    ]
    points = {0.0}
    for a, b in open_spans + closed + [(a, b) for a, b, _ in slowed]:
        points.update(p for p in (a, b) if 0 < p < horizon)
    times: list[float] = []
    opens: list[bool] = []
    factors: list[float] = []
    for t in sorted(points):
        is_open = any(a <= t < b for a, b in open_spans) and not any(a <= t < b for a, b in closed)
        factor = 1.0
        for a, b, f in slowed:
            if a <= t < b:
                factor *= f
        if times and opens[-1] == is_open and factors[-1] == factor:
            continue
        times.append(t)
        opens.append(is_open)
        factors.append(factor)
    return Schedule(tuple(times), tuple(opens), tuple(factors))
