"""The one list of KPI names: every pattern ``run.kpis()`` fills, with its unit and meaning.

:data:`CATALOGUE` holds each pattern once, with placeholders such as ``{gate}`` or
``{direction}``; :func:`kpi_names` expands it for a scenario's gates, routes, directions, cargo
classes and enabled stages. A test checks that the expansion for the baseline is exactly the
keys of ``run(baseline).kpis()``, so the list cannot drift from the code. The command line checks
``--kpi`` and ``--precision-kpi`` against it before anything is simulated, and ``bordersim kpis``
prints it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from sim.world.scenario import Scenario
from sim.world.schema.names import DIRECTIONS, HELD_PLACES, LANE_STAGES, PIECES, ROUTE_STAGES

WAIT_PLACES = ("road", "declaration_counter", "approval", *LANE_STAGES[1:], *ROUTE_STAGES)
"""Where ``wait_min_mean_{gate}_{wait}`` measures a wait, in the order a truck meets them."""


@dataclass(frozen=True)
class Kpi:
    """A KPI name pattern, its unit and what it measures; *when* limits it to some scenarios."""

    pattern: str
    unit: str
    meaning: str
    when: str = ""
    """``park``: only gates with an enabled holding park; ``platform``: only with the platform."""


_D = "by direction (export, import)"
CATALOGUE: tuple[Kpi, ...] = (
    Kpi(
        "cleared_per_day_mean", "trucks/day", "trucks cleared per day, all gates, mean over the window's days"
    ),
    Kpi("cleared_per_day_p95", "trucks/day", "95th percentile of trucks cleared per day"),
    Kpi("cleared_per_day_max", "trucks/day", "most trucks cleared in a day"),
    Kpi("cleared_per_day_min", "trucks/day", "fewest trucks cleared in a day"),
    Kpi("days_above_peak_ref", "days", "days with more cleared than kpi.daily_peak_ref"),
    Kpi("days_above_peak_ref_share", "share", "share of the window's days above kpi.daily_peak_ref"),
    Kpi("arrived_per_day_mean", "trucks/day", "trucks arriving per day, mean"),
    Kpi("cleared_per_day_mean_{direction}", "trucks/day", f"trucks cleared per day, {_D}"),
    Kpi(
        "cleared_per_day_mean_{gate}_{direction}",
        "trucks/day",
        "trucks cleared per day by gate and direction",
    ),
    Kpi(
        "cleared_per_day_mean_{gate}_{route}_{direction}",
        "trucks/day",
        "trucks cleared per day by gate, route and direction",
    ),
    Kpi("time_in_system_h_mean", "h", "time in the system of the trucks cleared, mean"),
    Kpi("procedure_h_mean", "h", "yard entry to clearance, mean"),
    Kpi("censored_trucks", "trucks", "trucks that entered in the window and were still inside at the end"),
    Kpi("perishable_over_threshold_share", "share", "perishables longer than kpi.perishable_threshold_h"),
    Kpi("time_in_system_h_{stat}_{direction}", "h", f"time in the system (mean, p50, p95), {_D}"),
    Kpi("procedure_h_{stat}_{direction}", "h", f"yard entry to clearance (mean, p50, p95), {_D}"),
    Kpi("cleared_trucks_{direction}", "trucks", f"trucks that entered in the window and were cleared, {_D}"),
    Kpi(
        "time_h_mean_{direction}_{piece}",
        "h",
        "where the time goes: mean hours in each piece (see PIECES); the pieces add up",
    ),
    Kpi("censored_trucks_{direction}", "trucks", f"trucks still inside at the end, {_D}"),
    Kpi("perishable_over_threshold_share_{direction}", "share", f"perishables over the threshold, {_D}"),
    Kpi("time_in_system_h_mean_{gate}_{direction}", "h", "time in the system by gate and direction, mean"),
    Kpi("procedure_h_mean_{gate}_{direction}", "h", "yard entry to clearance by gate and direction, mean"),
    Kpi(
        "time_in_system_h_{cargostat}_{cargo}", "h", "time in the system by cargo class (mean, p50, p95, max)"
    ),
    Kpi("wait_min_mean_{gate}_{wait}", "min", "mean wait before each step (road, approval, each stage)"),
    Kpi(
        "queue_mean_{gate}_{stage}", "trucks", "trucks waiting for an enabled Vietnamese stage, time average"
    ),
    Kpi("queue_max_{gate}_{stage}", "trucks", "trucks waiting for an enabled Vietnamese stage, maximum"),
    Kpi("utilisation_{gate}_{stage}", "share", "busy share of an enabled stage's lanes over its open hours"),
    Kpi(
        "overtime_h_per_day_{gate}_{stage}",
        "h/day",
        "lane-hours of service run on past closing (a service under way at closing finishes), per day",
    ),
    Kpi("road_queue_trucks_mean_{gate}_{direction}", "trucks", "trucks queueing on the road, time average"),
    Kpi("road_queue_trucks_max_{gate}_{direction}", "trucks", "trucks queueing on the road, maximum"),
    Kpi("road_queue_km_mean_{gate}_{direction}", "km", "road queue length, time average (road_m_per_truck)"),
    Kpi("road_queue_km_max_{gate}_{direction}", "km", "road queue length, maximum"),
    Kpi("yard_occupancy_mean_{gate}_{direction}", "trucks", "trucks in the yard, time average"),
    Kpi("yard_occupancy_max_{gate}_{direction}", "trucks", "trucks in the yard, maximum"),
    Kpi("park_occupancy_mean_{gate}", "trucks", "trucks in the holding park, time average", "park"),
    Kpi("park_occupancy_max_{gate}", "trucks", "trucks in the holding park, maximum", "park"),
    Kpi(
        "queue_mean_{gate}_{check}", "trucks", "trucks waiting for a route's checkpoint or crossing, average"
    ),
    Kpi("queue_max_{gate}_{check}", "trucks", "trucks waiting for a route's checkpoint or crossing, maximum"),
    Kpi(
        "utilisation_{gate}_{check}",
        "share",
        "busy share of a route's checkpoint or crossing over open hours",
    ),
    Kpi(
        "overtime_h_per_day_{gate}_{check}",
        "h/day",
        "lane-hours a route's checkpoint or crossing serves past closing, per day",
    ),
    Kpi("queue_mean_platform_review", "trucks", "declarations waiting for an officer, average", "platform"),
    Kpi("queue_max_platform_review", "trucks", "declarations waiting for an officer, maximum", "platform"),
    Kpi("utilisation_platform_review", "share", "busy share of the platform's officers", "platform"),
    Kpi(
        "overtime_h_per_day_platform_review",
        "h/day",
        "officer-hours of review past the platform's closing, per day",
        "platform",
    ),
    Kpi("road_queue_trucks_mean_{direction}", "trucks", f"trucks on the road over all gates, average, {_D}"),
    Kpi(
        "held_at_{clock}_{direction}_mean",
        "trucks",
        "trucks not yet cleared at kpi.held_clock, mean over days, over the places of kpi.held_places "
        "(what the reports are taken to count)",
    ),
    Kpi(
        "held_at_{clock}_{direction}_mean_in_area",
        "trucks",
        "trucks in the system (gate area and Chinese side) at kpi.held_clock, mean over days",
    ),
    Kpi(
        "held_at_{clock}_{direction}_mean_declared",
        "trucks",
        "trucks declared and not yet cleared at kpi.held_clock (on their way, outside the area or in "
        "the system), mean over days: the platform's reading",
    ),
    Kpi(
        "held_at_{clock}_{direction}_p95",
        "trucks",
        "trucks not yet cleared at kpi.held_clock, 95th percentile",
    ),
    Kpi(
        "held_at_{clock}_{direction}_mean_{place}",
        "trucks",
        "trucks held at kpi.held_clock by where they are",
    ),
    Kpi("backlog_end", "trucks", "trucks inside when the window ends"),
    Kpi("backlog_end_{gate}", "trucks", "trucks inside when the window ends, by gate"),
    Kpi(
        "backlog_end_{gate}_{direction}",
        "trucks",
        "trucks inside when the window ends, by gate and direction",
    ),
    Kpi("backlog_end_share_of_day", "days", "backlog_end over cleared_per_day_mean"),
    Kpi("turned_away", "trucks", "trucks turned away by a full yard (when_full: turn_away)"),
    Kpi("arrived_before_approval_share", "share", "pre-declared trucks arriving before their approval"),
    Kpi(
        "waiting_cost_vnd_per_day",
        "VND/day",
        "parking in the yard (and park, if it charges), reefer fuel and the driver's living costs "
        "at the border, per day",
    ),
    Kpi("waiting_cost_vnd_per_day_{direction}", "VND/day", f"waiting cost per day, {_D}"),
    Kpi(
        "goods_at_risk_vnd_per_day",
        "VND/day",
        "value lost on perishable trucks over the threshold (kpi.perishable_loss_share of the load)",
    ),
    Kpi("tonnes_cleared_per_day", "t/day", "tonnes of goods cleared per day (kpi.tonnes_per_truck)"),
    Kpi("idle_co2_t_per_day", "t/day", "CO2 from engines idling while waiting (kpi.idle_co2_kg_per_truck_h)"),
)
"""Every KPI pattern, in the order ``run.kpis()`` fills them."""

_ORDER = ("clock", "direction", "stat", "gate", "route", "stage", "check", "piece", "cargostat", "cargo")
_ORDER += ("wait", "place")


@cache
def _unit_rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each catalogue pattern as a regular expression, with its unit: patterns with more fixed
    text first, so that ``backlog_end_share_of_day`` is read as itself before ``backlog_end_{gate}``."""
    rules = [(re.sub(r"\\\{\w+\\\}", ".+", re.escape(k.pattern)), k.unit, k.pattern) for k in CATALOGUE]
    rules.sort(key=lambda r: -len(re.sub(r"\{\w+\}", "", r[2])))
    return tuple((re.compile(rx), unit) for rx, unit, _ in rules)


@cache
def catalogue_unit(name: str) -> str | None:
    """The unit of KPI *name* in :data:`CATALOGUE` (``share``, ``trucks``, ``days``...), or None
    for a name no pattern holds."""
    for rx, unit in _unit_rules():
        if rx.fullmatch(name):
            return unit
    return None


def is_share_kpi(name: str) -> bool:
    """Whether KPI *name* is a share (a fraction, 0 to 1): the catalogue's unit says so. A name the
    catalogue does not hold (a summary's ``growing_share_...``, a bottleneck's ``binding_share``)
    is a share when its name says ``share`` or it is a utilisation. The one rule for the intervals'
    range, the paired differences' margins and how a value is shown (``backlog_end_share_of_day``
    is in days, not a share)."""
    unit = catalogue_unit(name)
    if unit is not None:
        return unit == "share"
    return "share" in name or name.startswith("utilisation")


def held_label(clock: str) -> str:
    """The ``{clock}`` of the ``held_at`` KPIs: ``20:00`` -> ``20h``, ``20:30`` -> ``20h30``."""
    hh, mm = clock.split(":")
    return f"{int(hh)}h" if mm == "00" else f"{int(hh)}h{mm}"


def _choices(sc: Scenario, name: str, bound: dict[str, str], when: str) -> list[str]:
    gate = sc.gates.get(bound.get("gate", ""))
    if name == "gate":
        return [
            g for g, gg in sc.gates.items() if when != "park" or (gg.park is not None and gg.park.enabled)
        ]
    if name == "route":
        return list(gate.routes) if gate else []
    if name == "stage":
        return [s for s in LANE_STAGES if gate and getattr(gate, s).enabled]
    if name == "check":
        return [
            f"{s}_{r}"
            for r, route in (gate.routes.items() if gate else [])
            for s in ROUTE_STAGES
            if getattr(route, s).enabled
        ]
    fixed = {
        "direction": list(DIRECTIONS),
        "stat": ["mean", "p50", "p95"],
        "cargostat": ["mean", "p50", "p95", "max"],
        "cargo": list(sc.cargo_classes),
        "piece": list(PIECES.get(bound.get("direction", ""), ())),
        "wait": list(WAIT_PLACES),
        "place": list(HELD_PLACES),
        "clock": [held_label(sc.kpi.held_clock)],
    }
    return fixed[name]


def expand(kpi: Kpi, sc: Scenario) -> list[str]:
    """The names *kpi*'s pattern takes for scenario *sc*."""
    if kpi.when == "platform" and not sc.platform.enabled:
        return []
    names = sorted(set(re.findall(r"\{(\w+)\}", kpi.pattern)), key=_ORDER.index)
    out: list[str] = []

    def fill(bound: dict[str, str], rest: list[str]) -> None:
        if not rest:
            out.append(kpi.pattern.format(**bound))
            return
        for value in _choices(sc, rest[0], bound, kpi.when):
            fill({**bound, rest[0]: value}, rest[1:])

    fill({}, names)
    return out


def kpi_names(sc: Scenario) -> dict[str, Kpi]:
    """Every KPI name *sc* defines, with the catalogue entry it comes from."""
    return {name: kpi for kpi in CATALOGUE for name in expand(kpi, sc)}


def unknown_kpi_message(name: str, sc: Scenario) -> str | None:
    """None when *sc* defines KPI *name*; otherwise a message with the closest names."""
    names = kpi_names(sc)
    if name in names:
        return None
    words = [w for w in name.lower().split("_") if w]
    close = [n for n in names if words and all(w in n.split("_") for w in words)][:3]
    close = close or difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown KPI {name[:80]!r}{hint} (`bordersim kpis {sc.source}` lists all {len(names)})"


def markdown_table() -> str:
    """The catalogue as a markdown table, for the KPI catalogue page (docs/reference/kpis.md)."""
    lines = ["| KPI | unit | what it measures |", "|---|---|---|"]
    for kpi in CATALOGUE:
        extra = {"park": " (gates with a park)", "platform": " (with the platform)"}.get(kpi.when, "")
        lines.append(f"| `{kpi.pattern}` | {kpi.unit} | {kpi.meaning}{extra} |")
    return "\n".join(lines)
