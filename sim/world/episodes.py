"""Episodes: the events of a scenario grouped into the spells a what-if is about.

A scenario's question is about its events (a harvest surge, a closure), not about the average
over the whole run. Events whose days lie less than :data:`EPISODE_GAP_DAYS` apart form one
episode; an event marked ``background: true`` (a regime the run lives under, such as the year's
extended hours) starts none. The answer is then given per episode, over the episode and its
recovery (see :mod:`sim.experiments.answer`). ``answer.window`` in a scenario overrides this with
one window of its own, or ``whole_run``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.world.scenario import Scenario
from sim.world.schema.events import TimedEvent

EPISODE_GAP_DAYS = 7
"""Events whose days are fewer than this many days apart belong to one episode."""


@dataclass(frozen=True)
class Episode:
    """A spell of events: its first and last day (both included) and the events in it."""

    first: dt.date
    last: dt.date
    events: tuple[int, ...]
    """Indices into ``scenario.events``."""
    names: tuple[str, ...]
    names_vi: tuple[str, ...] = ()
    """The events' names in Vietnamese (empty where an event has none)."""

    @property
    def days(self) -> int:
        """Days from the first to the last, both included."""
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """'dragon-fruit peak, 2025-10-06..2025-10-26'."""
        return self.label_in("en")

    def label_in(self, lang: str) -> str:
        """The label in *lang*: Vietnamese names where the events have them, dates as dd/mm/yyyy."""
        if lang != "vi":
            names = ", ".join(dict.fromkeys(n for n in self.names if n)) or "events"
            return f"{names}, {self.first}..{self.last}"
        vi = [v or n for n, v in zip(self.names, self.names_vi or ("",) * len(self.names), strict=True)]
        names = ", ".join(dict.fromkeys(n for n in vi if n)) or "sự kiện"
        return f"{names}, {self.first:%d/%m/%Y}-{self.last:%d/%m/%Y}"


def event_days(event: object) -> tuple[dt.date, dt.date]:
    """The first and last day an event touches (a timed event ending at 00:00 ends the day before)."""
    if isinstance(event, TimedEvent):
        last = (event.end - dt.timedelta(minutes=1)).date()
        return event.start.date(), max(last, event.start.date())
    return event.start, event.end  # type: ignore[attr-defined]


def run_days(sc: Scenario) -> tuple[dt.date, dt.date]:
    """The first and last day of the run."""
    return sc.run.start_date, sc.run.start_date + dt.timedelta(days=sc.run.days - 1)


def episodes(sc: Scenario) -> list[Episode]:
    """The scenario's episodes in time order, clipped to the run.

    Background events and events wholly outside the run are left out; an event that spans the
    whole run (from its first day to its last) is a regime, not an episode, and is left out too.
    """
    first_day, last_day = run_days(sc)
    spans = []
    for i, ev in enumerate(sc.events):
        if ev.background:
            continue
        a, b = event_days(ev)
        if b < first_day or a > last_day:
            continue
        a, b = max(a, first_day), min(b, last_day)
        if a == first_day and b == last_day:
            continue
        spans.append((a, b, i, ev.name or ev.kind, ev.name_vi))
    spans.sort()
    out: list[Episode] = []
    for a, b, i, name, name_vi in spans:
        if out and (a - out[-1].last).days < EPISODE_GAP_DAYS:
            e = out[-1]
            out[-1] = Episode(
                e.first, max(e.last, b), (*e.events, i), (*e.names, name), (*e.names_vi, name_vi)
            )
        else:
            out.append(Episode(a, b, (i,), (name,), (name_vi,)))
    return out


def event_scope(sc: Scenario, episode: Episode) -> list[tuple[str, str]]:
    """The (gate, direction) pairs an episode's events reach, in the scenario's gate order."""
    from sim.world.schema.names import DIRECTIONS

    pairs: set[tuple[str, str]] = set()
    for i in episode.events:
        ev = sc.events[i]
        gates = ev.gates or list(sc.gates)
        directions = getattr(ev, "directions", None) or list(DIRECTIONS)
        pairs |= {(g, d) for g in gates for d in directions}
    return [(g, d) for g in sc.gates for d in DIRECTIONS if (g, d) in pairs]
