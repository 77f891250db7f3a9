"""Events told apart between two scenarios, one line each, for ``bordersim check --diff``.

A scenario's events are a list, and comparing the lists key by key reads as noise
(``events: [] -> null``, ``events.0.factor``). Here events are matched by kind and name (in
order where several share both) and each difference is one line a planner reads: the event
added, removed, or changed from one form to another, with its kind, name, days and factor.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sim.world.scenario import Scenario

_SCOPE = ("gates", "stages", "routes", "directions", "cargo")


def event_line(event: Any) -> str:
    """One event in words: ``demand 'dragon-fruit peak' 2025-10-06..2025-10-26 x1.6 (cargo fruit)``."""
    start, end = event.start, event.end
    when = f"{start:%Y-%m-%d %H:%M}..{end:%Y-%m-%d %H:%M}" if hasattr(start, "hour") else f"{start}..{end}"
    parts = [event.kind]
    if event.name:
        parts.append(repr(event.name))
    parts.append(when)
    factor = getattr(event, "factor", None)
    if factor is not None:
        parts.append(f"x{factor:g}")
    share = getattr(event, "share", None)
    if share is not None:
        parts.append(f"share {share:g}")
    hours = getattr(event, "hours", None)
    if hours is not None:
        parts.append(f"hours {hours.open}-{hours.close}")
    scope = [
        f"{key} {', '.join(getattr(event, key))}" for key in _SCOPE if getattr(event, key, None) is not None
    ]
    if getattr(event, "background", False):
        scope.append("background")
    text = " ".join(parts)
    return f"{text} ({'; '.join(scope)})" if scope else text


def _keyed(sc: Scenario) -> dict[tuple[str, str, int], Any]:
    seen: dict[tuple[str, str], int] = defaultdict(int)
    out = {}
    for ev in sc.events:
        key = (ev.kind, ev.name)
        out[(*key, seen[key])] = ev
        seen[key] += 1
    return out


def diff_events(old: Scenario, new: Scenario) -> list[str]:
    """Lines ``added event: ...``, ``removed event: ...``, ``changed event: OLD -> NEW``; [] when
    the events are the same."""
    a, b = _keyed(old), _keyed(new)
    lines = []
    for key, ev in a.items():
        if key not in b:
            lines.append(f"removed event: {event_line(ev)}")
        elif b[key].model_dump() != ev.model_dump():
            lines.append(f"changed event: {event_line(ev)} -> {event_line(b[key])}")
    lines += [f"added event: {event_line(ev)}" for key, ev in b.items() if key not in a]
    return lines
