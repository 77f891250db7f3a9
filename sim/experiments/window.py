"""Date windows of a run: the days a KPI is taken over, as dates and as model minutes."""

from __future__ import annotations

import datetime as dt

from sim.world.calendar import MIN_PER_DAY, minute_of
from sim.world.scenario import Scenario

Window = tuple[str | dt.date, str | dt.date]
"""First and last date of a window, both days included, e.g. ``("2025-10-01", "2025-10-31")``."""


def window_minutes(sc: Scenario, window: Window | None) -> tuple[float, float]:
    """Model minutes [start, end) of a date window; None = from the end of the warm-up to the end.

    Raises ValueError naming the dates when the window is not inside the run.
    """
    if window is None:
        return sc.run.warmup_days * MIN_PER_DAY, sc.run.days * MIN_PER_DAY
    first, last = (dt.date.fromisoformat(str(d)) for d in window)
    run_end = sc.run.start_date + dt.timedelta(days=sc.run.days - 1)
    if last < first:
        raise ValueError(f"window {first}..{last}: the last day is before the first")
    if first < sc.run.start_date or last > run_end:
        raise ValueError(f"window {first}..{last} is not inside the run ({sc.run.start_date}..{run_end})")
    return minute_of(sc, first), minute_of(sc, last) + MIN_PER_DAY


def parse_window(text: str) -> Window:
    """``2025-10-01..2025-10-31`` as a window; ValueError with what was expected otherwise."""
    first, sep, last = text.partition("..")
    try:
        if not sep:
            raise ValueError
        return (dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip()))
    except ValueError:
        expected = "expected FIRST..LAST dates like 2025-10-01..2025-10-31"
        raise ValueError(f"{expected}, got {text[:80]!r}") from None
