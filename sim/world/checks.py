"""Checks on a valid scenario beyond its types: what it would cost to run, and what it may not mean.

:func:`scenario_warnings` lists events that change nothing, because they fall outside the run or
reach no enabled stage or demand flow, events partly outside the run, and events of an extended
file that the scenario's own list leaves out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sim.world.scenario import Scenario
from sim.world.schema.events import DemandEvent, ExtendedHoursEvent, ParkUseEvent
from sim.world.schema.names import LANE_STAGES


def scenario_warnings(sc: Scenario) -> list[tuple[str, str]]:
    """Things that are allowed but probably not meant: events outside the run or partly outside it,
    events reaching nothing, and events of an extended file that the scenario's own list leaves out
    (:attr:`Scenario.inherited_notes`)."""
    first = sc.run.start_date
    last = first + dt.timedelta(days=sc.run.days - 1)
    out: list[tuple[str, str]] = []
    for i, ev in enumerate(sc.events):
        start = ev.start.date() if isinstance(ev.start, dt.datetime) else ev.start
        end = ev.end.date() if isinstance(ev.end, dt.datetime) else ev.end
        # A timed event ending at 00:00 ends with the day before (the run's own end is 00:00 too).
        end_day = (ev.end - dt.timedelta(microseconds=1)).date() if isinstance(ev.end, dt.datetime) else end
        if end_day < first or start > last:
            span = f"{start}..{end} is outside the run ({first}..{last})"
            out.append((f"events.{i}", f"{span}: it changes nothing"))
            continue
        if start < first or end_day > last:
            inside = f"{max(start, first)}..{min(end_day, last)}"
            out.append(
                (
                    f"events.{i}",
                    f"{start}..{end} reaches outside the run ({first}..{last}): only {inside} is "
                    "simulated (lengthen the run, run.days or run.start_date, to see the rest)",
                )
            )
        if not _event_reaches(sc, ev):
            out.append((f"events.{i}", "reaches no enabled stage or demand flow: it changes nothing"))
    out += _meaningless(sc)
    return sc.inherited_notes + out


def _meaningless(sc: Scenario) -> list[tuple[str, str]]:
    """Settings that are valid but say nothing, or less than they seem to."""
    out: list[tuple[str, str]] = []
    for i, ev in enumerate(sc.events):
        if ev.gates is not None and not ev.gates:
            out.append(
                (f"events.{i}.gates", "an empty list is read as every gate; name the gates or leave it out")
            )
    for g, gate in sc.gates.items():
        for r, route in gate.routes.items():
            if "import" in route.crossing.direct_share and "import" not in route.crossing.directions:
                out.append(
                    (
                        f"gates.{g}.routes.{r}.crossing.direct_share.import",
                        "imports do not take this crossing step (crossing.directions): it changes nothing",
                    )
                )
        park = gate.park
        if park is not None:
            if park.order == "fifo" and park.priority:
                out.append(
                    (f"gates.{g}.park.priority", "the park calls in arrival order (order: fifo): unused")
                )
            if park.order == "priority" and not park.priority:
                out.append(
                    (f"gates.{g}.park.order", "'priority' with no priority classes calls in arrival order")
                )
    kinds = {"park_use": ParkUseEvent, "extended_hours": ExtendedHoursEvent}
    for kind, cls in kinds.items():
        spans = [(i, ev) for i, ev in enumerate(sc.events) if isinstance(ev, cls)]
        for a, (i, e1) in enumerate(spans):
            for j, e2 in spans[a + 1 :]:
                # They meet only where every scope they both give meets: gates, stages, routes and
                # directions (hours for exports and hours for imports are two rules, not one).
                meet = all(
                    getattr(e1, key, None) is None
                    or getattr(e2, key, None) is None
                    or set(getattr(e1, key)) & set(getattr(e2, key))
                    for key in ("gates", "stages", "routes", "directions")
                )
                if meet and e1.start <= e2.end and e2.start <= e1.end:
                    out.append(
                        (
                            f"events.{j}",
                            f"a {kind} event overlapping events.{i} on the same gates, stages, routes "
                            "and directions: the later one wins",
                        )
                    )
    return out


def _event_reaches(sc: Scenario, ev: Any) -> bool:
    gates = [g for g in (ev.gates or list(sc.gates)) if g in sc.gates]
    if isinstance(ev, DemandEvent):
        return any(
            rate > 0
            for g in gates
            for d, flows in sc.gates[g].demand_trucks_per_day.items()
            if ev.directions is None or d in ev.directions
            for c, rate in flows.items()
            if ev.cargo is None or c in ev.cargo
        )
    if isinstance(ev, ParkUseEvent):
        return any(sc.gates[g].park is not None and sc.gates[g].park.enabled for g in gates)
    stages = ev.stages
    if stages is not None and "platform" in stages and sc.platform.enabled:
        return True
    for g in gates:
        gate = sc.gates[g]
        lane_stages = [st for st in LANE_STAGES if stages is None or st in stages]
        whole_gate = ev.routes is None and ev.directions is None
        if whole_gate and any(getattr(gate, st).enabled for st in lane_stages):
            return True
        for rname, route in gate.routes.items():
            if ev.routes is not None and rname not in ev.routes:
                continue
            if (stages is None or "china_check" in stages) and route.china_check.enabled:
                return True
            if ev.directions is None and (stages is None or "crossing" in stages) and route.crossing.enabled:
                return True
    return False
