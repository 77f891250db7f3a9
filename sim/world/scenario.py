"""A whole scenario: the model of every part together, the checks across parts, and validation.

The models are the one place where parameters, their units and their defaults are declared (the
parts in :mod:`sim.world.schema`). Units are in the field names (``_min``, ``_h``, ``_per_day``,
``_per_h``, ``_m``); clock times are "HH:MM" local time (Vietnam, UTC+7) unless the field says
``_china`` (UTC+8). Reading files is :mod:`sim.world.scenario_files`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError
from pydantic.functional_validators import field_validator

from sim.world.schema.demand import CargoClass, DemandPattern
from sim.world.schema.events import CapacityEvent, DemandEvent, Event, ParkUseEvent
from sim.world.schema.gates import Gate, Route
from sim.world.schema.names import (
    _KEY,
    _NAME,
    DEFAULT_KEY,
    LANE_STAGES,
    MAX_CARGO_CLASSES,
    MAX_EVENTS,
    MAX_GATES,
    ROUTE_STAGES,
    STAGES,
    ScenarioError,
    StrictModel,
)
from sim.world.schema.platform import Platform, Risk
from sim.world.schema.problems import free_text_problems, unknown_name, validation_problems
from sim.world.schema.runs import AnswerSettings, KpiSettings, RunSettings


class Scenario(StrictModel):
    """A whole scenario: what is simulated, for how long, and what is reported."""

    name: str = Field(description="short name; results go to results/<name> by default")
    question: str = Field(default="", description="the question the scenario answers, in one sentence")
    question_vi: str = Field(default="", description="the question in Vietnamese (reports with --lang vi)")
    run: RunSettings = Field(description="dates, horizon, warm-up and sampling")
    cargo_classes: dict[str, CargoClass] = Field(
        min_length=1, max_length=MAX_CARGO_CLASSES, description="cargo classes by name"
    )
    platform: Platform = Field(description="the Digital Border Gate Platform")
    risk: Risk = Field(description="customs risk channels and quarantine sampling")
    demand: DemandPattern = Field(description="how demand varies over weekdays, months and hours")
    gates: dict[str, Gate] = Field(min_length=1, max_length=MAX_GATES, description="the border gates by name")
    events: list[Event] = Field(
        default_factory=list,
        max_length=MAX_EVENTS,
        description="demand, capacity, closure, extended-hours and park-use events",
    )
    kpi: KpiSettings = Field(default=KpiSettings(), description="how some KPIs are measured")
    answer: AnswerSettings = Field(
        default=AnswerSettings(), description="which days the answer is about; default: each episode"
    )
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = Field(
        default=None,
        description="for `bordersim sweep`: dotted key -> values (one or more); every combination",
    )

    _source: str = PrivateAttr(default="<scenario>")
    _inherited: list[tuple[str, str]] = PrivateAttr(default_factory=list)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(
                "must be 1-80 letters, digits, '_', '-' or '.', not starting with '.' "
                "(it names the results folder, so it cannot be a path)"
            )
        return name

    @property
    def source(self) -> str:
        """The file the scenario came from, for messages."""
        return self._source

    @property
    def inherited_notes(self) -> list[tuple[str, str]]:
        """(key, note) about what its file did to what it extends that is probably not meant
        (events of the base left out by the file's own list), from :func:`load_scenario`."""
        return list(self._inherited)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`validate_scenario` turns back into the same scenario."""
        return self.model_dump(mode="json", by_alias=True)

    def with_changes(self, changes: Mapping[str, Any], name: str | None = None) -> Scenario:
        """A copy with dotted keys set, e.g. ``{"gates.huu_nghi.customs_docs.lanes": 5}``.

        *name* names the copy, so that variants compared side by side are told apart;
        :data:`DERIVED` makes a name from the changes (``baseline_customs_docs.lanes-8``, see
        :func:`derived_name`). Without it the name stays, unless the changes set ``name``. A new
        ``question`` without its ``question_vi`` drops the old translation (:func:`changes_set`).
        """
        data = self.to_dict()
        for key, value in changes.items():
            set_dotted(data, key, value, self.source)
        if name == DERIVED:
            name = derived_name(self.name, changes)
        if name is not None:
            data["name"] = name
        events_set = changes_set(data, changes)
        changed = validate_scenario(data, self.source)
        if not events_set:
            changed._inherited = list(self._inherited)  # what its file did still holds
        return changed

    def lookup(self, cargo_map: Mapping[str, Any], cargo: str) -> Any:
        """The entry of a by-cargo mapping for *cargo*, or its default."""
        return cargo_map[cargo] if cargo in cargo_map else cargo_map[DEFAULT_KEY]


def _cross_check(sc: Scenario) -> list[tuple[str, str]]:
    """Checks across sections: names used must exist, by-cargo maps must cover every class."""
    cargo = set(sc.cargo_classes)
    problems: list[tuple[str, str]] = []

    def by_cargo(path: str, mapping: Mapping[str, Any]) -> None:
        unknown = set(mapping) - cargo - {DEFAULT_KEY}
        if unknown:
            problems.append((path, f"unknown cargo class {sorted(unknown)}; known: {sorted(cargo)}"))
        if DEFAULT_KEY not in mapping and not cargo <= set(mapping):
            missing = sorted(cargo - set(mapping))
            problems.append((path, f"no entry for cargo class {missing} and no 'default'"))

    def known_classes(path: str, names: list[str]) -> None:
        unknown = [c for c in names if c not in cargo]
        if unknown:
            problems.append(
                (path, f"priority classes must be cargo classes: {unknown}; known: {sorted(cargo)}")
            )

    known = sorted(cargo)
    for c in sc.platform.min_lead_h:
        if c not in cargo:
            problems.append(("platform.min_lead_h", unknown_name("cargo class", c, cargo)))
    for key in ("reefer_classes", "unladen_classes"):
        unknown = sorted(set(getattr(sc.kpi, key) or []) - cargo)
        if unknown:
            problems.append((f"kpi.{key}", f"unknown cargo class {unknown}; known: {known}"))
    for path, names in [("cargo_classes", sc.cargo_classes), ("gates", sc.gates)] + [
        (f"gates.{g}.routes", gate.routes) for g, gate in sc.gates.items()
    ]:
        for name in names:
            if not _KEY.fullmatch(name) or name == DEFAULT_KEY:
                problems.append(
                    (
                        f"{path}.{name}",
                        "a name must be 1-40 letters, digits, '_' or '-', starting with a letter or "
                        f"digit, and not {DEFAULT_KEY!r} (it names files and KPIs)",
                    )
                )
    by_cargo("risk.channel_shares", sc.risk.channel_shares)
    by_cargo("risk.quarantine_share", sc.risk.quarantine_share)
    by_cargo("demand.month_factors", sc.demand.month_factors)
    for gname, gate in sc.gates.items():
        for stage in LANE_STAGES:
            by_cargo(f"gates.{gname}.{stage}.service_min", getattr(gate, stage).service_min)
            known_classes(f"gates.{gname}.{stage}.priority", getattr(gate, stage).priority)
        for rname, route in gate.routes.items():
            base = f"gates.{gname}.routes.{rname}"
            by_cargo(f"{base}.china_check.service_min", route.china_check.service_min)
            known_classes(f"{base}.china_check.priority", route.china_check.priority)
            known_classes(f"{base}.crossing.priority", route.crossing.priority)
            for direction, shares in route.share.items():
                unknown = set(shares) - cargo - {DEFAULT_KEY}
                if unknown:
                    problems.append(
                        (f"{base}.share.{direction}", unknown_name("cargo class", sorted(unknown)[0], cargo))
                    )
        for direction, flows in gate.demand_trucks_per_day.items():
            unknown = set(flows) - cargo
            if unknown:
                path = f"gates.{gname}.demand_trucks_per_day.{direction}"
                problems.append((path, unknown_name("cargo class", sorted(unknown)[0], cargo)))
            if direction not in gate.parking:
                problems.append((f"gates.{gname}.parking", f"no parking for {direction} trucks"))
            for c in sorted(set(flows) | set(gate.initial_backlog.get(direction, {}))):
                total = sum(route_share(r, direction, c) for r in gate.routes.values())
                if abs(total - 1) > 1e-6:
                    detail = ", ".join(
                        f"{rn}: {route_share(r, direction, c):g}" for rn, r in gate.routes.items()
                    )
                    problems.append(
                        (
                            f"gates.{gname}.routes",
                            f"{direction} shares of cargo class {c!r} must sum to 1 over the routes, "
                            f"got {total:g} ({detail})",
                        )
                    )
        for direction, flows in gate.initial_backlog.items():
            unknown = set(flows) - cargo
            if unknown:
                path = f"gates.{gname}.initial_backlog.{direction}"
                problems.append((path, unknown_name("cargo class", sorted(unknown)[0], cargo)))
        if "export" in gate.demand_trucks_per_day and "export" not in sc.demand.hourly_profile:
            problems.append(("demand.hourly_profile", "no profile for export trucks"))
        if "import" in gate.demand_trucks_per_day and "import" not in sc.demand.hourly_profile:
            problems.append(("demand.hourly_profile", "no profile for import trucks"))
        park = gate.park
        if park is not None:
            known_classes(f"gates.{gname}.park.priority", park.priority)
            yard = gate.parking.get("export")
            cap = yard.capacity if yard is not None else None
            if park.call_forward_below is not None and cap is not None and park.call_forward_below > cap:
                problems.append(
                    (
                        f"gates.{gname}.park.call_forward_below",
                        f"{park.call_forward_below} is above the export yard's size ({cap} places with "
                        "overflow): trucks would be called forward into a full yard",
                    )
                )
    problems += free_text_problems(sc.to_dict())
    if sc.answer.window not in (None, "whole_run"):
        first, _, last = sc.answer.window.partition("..")
        run_last = sc.run.start_date + dt.timedelta(days=sc.run.days - 1)
        if dt.date.fromisoformat(first) < sc.run.start_date or dt.date.fromisoformat(last) > run_last:
            problems.append(
                (
                    "answer.window",
                    f"{sc.answer.window} is not inside the run ({sc.run.start_date}..{run_last})",
                )
            )
    for i, ev in enumerate(sc.events):
        for g in ev.gates or []:
            if g not in sc.gates:
                problems.append((f"events.{i}.gates", unknown_name("gate", g, sc.gates)))
        if isinstance(ev, DemandEvent):
            for c in ev.cargo or []:
                if c not in cargo:
                    problems.append((f"events.{i}.cargo", unknown_name("cargo class", c, cargo)))
        elif isinstance(ev, ParkUseEvent):
            parked = [g for g, gate in sc.gates.items() if gate.park is not None]
            lacking = [g for g in ev.gates or [] if g in sc.gates and g not in parked]
            if lacking or not parked:
                what = f"gate(s) {lacking} have" if lacking else "no gate has"
                problems.append(
                    (
                        f"events.{i}.gates",
                        f"{what} no holding park (gates.<gate>.park) for a park_use event to share "
                        f"out; gates with one: {parked}",
                    )
                )
        else:
            if isinstance(ev, CapacityEvent) and ev.directions is not None:
                problems.append(
                    (
                        f"events.{i}.directions",
                        "a capacity event slows a whole stage; directions are for closure and "
                        "extended_hours events at the Chinese checkpoint",
                    )
                )
            named = [g for g in (ev.gates or list(sc.gates)) if g in sc.gates]
            known = sorted({r for g in named for r in sc.gates[g].routes})
            for r in ev.routes or []:
                if r not in known:
                    problems.append((f"events.{i}.routes", unknown_name("route", r, known)))
    if not problems:
        problems += _stacked_capacity_problems(sc)
    return problems


MAX_STACKED_FACTOR = 100.0
"""The most (and 1/this the least) the factors of capacity events at the same time may multiply to."""


def _capacity_places(sc: Scenario, ev: CapacityEvent) -> list[tuple[str, ...]]:
    """The (gate, stage[, route]) places a capacity event slows."""
    places: list[tuple[str, ...]] = []
    if ev.stages is not None and "platform" in ev.stages:
        places.append(("platform",))
    for g in ev.gates or list(sc.gates):
        for stage in ev.stages or STAGES:
            if stage in LANE_STAGES:
                places.append((g, stage))
            elif stage in ROUTE_STAGES:
                places += [(g, stage, r) for r in sc.gates[g].routes if ev.routes is None or r in ev.routes]
    return places


def _stacked_capacity_problems(sc: Scenario) -> list[tuple[str, str]]:
    """Capacity events in force at once on the same stage multiply; refuse a product beyond
    x :data:`MAX_STACKED_FACTOR` either way (200 events of x100 would make service instant, 200 of
    x0.01 would stop it), naming the events. Sums of logs over a sweep of the starts and ends."""
    timed = [(i, ev) for i, ev in enumerate(sc.events) if isinstance(ev, CapacityEvent)]
    if len(timed) < 2:
        return []
    edges = sorted(
        [(ev.start, 1, i) for i, ev in timed] + [(ev.end, 0, i) for i, ev in timed]
    )  # an end sorts before a start at the same moment: back-to-back events do not overlap
    events = dict(timed)
    places = {i: _capacity_places(sc, ev) for i, ev in timed}
    log_sum: dict[tuple[str, ...], float] = {}
    active: dict[tuple[str, ...], list[int]] = {}
    limit = math.log(MAX_STACKED_FACTOR) + 1e-9
    for when, starts, i in edges:
        sign = 1.0 if starts else -1.0
        for place in places[i]:
            log_sum[place] = log_sum.get(place, 0.0) + sign * math.log(events[i].factor)
            if starts:
                active.setdefault(place, []).append(i)
            else:
                active[place].remove(i)
        if not starts:
            continue
        for place in places[i]:
            if abs(log_sum[place]) > limit:
                names = [
                    f"events.{j}" + (f" ({events[j].name})" if events[j].name else "") for j in active[place]
                ]
                shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                product = math.exp(log_sum[place]) if log_sum[place] < 700 else math.inf
                return [
                    (
                        f"events.{i}.factor",
                        f"capacity events in force together at {'.'.join(place)} on {when:%Y-%m-%d %H:%M} "
                        f"multiply to x{product:.3g}, beyond x{MAX_STACKED_FACTOR:g} or "
                        f"x{1 / MAX_STACKED_FACTOR:g}: {shown}; merge them into one event",
                    )
                ]
    return []


DERIVED = "derived"
"""Pass as ``name`` to :meth:`Scenario.with_changes` to name the copy after its changes."""


def short_key(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else key


def derived_name(base: str, changes: Mapping[str, Any]) -> str:
    """A scenario name saying what *changes* do to *base*: ``baseline_customs_docs.lanes-8``."""
    text = "_".join(f"{short_key(k)}-{v}" for k, v in changes.items() if k != "name")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{base}_{text}" if text else base)
    return name[:80]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings (and lists of mappings) as ``{dotted.key: value}``; other lists are values."""
    out: dict[str, Any] = {}
    items: Any = None
    if isinstance(data, Mapping):
        items = data.items()
    elif isinstance(data, list) and any(isinstance(x, Mapping) for x in data):
        items = ((str(i), x) for i, x in enumerate(data))
    if items is None or (isinstance(data, Mapping) and not data and prefix):
        return {prefix: data}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def diff_scenarios(old: Scenario, new: Scenario) -> list[tuple[str, Any, Any]]:
    """Every dotted key whose value differs, as (key, old, new); a missing side is None."""
    a, b = flatten(old.to_dict()), flatten(new.to_dict())
    return [(k, a.get(k), b.get(k)) for k in list(a) + [k for k in b if k not in a] if a.get(k) != b.get(k)]


def label_apart(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, with any that repeats an earlier name renamed after what it changes
    against the first (:func:`derived_name`), so that tables and figures tell them apart."""
    out: list[Scenario] = []
    for sc in scenarios:
        if any(sc.name == o.name for o in out):
            changes = {k: v for k, _, v in diff_scenarios(scenarios[0], sc) if k != "name"}
            name = derived_name(sc.name, changes)
            while any(name == o.name for o in out):
                name = (name[:76] + f"-{len(out)}")[-80:]
            sc = sc.with_changes({}, name=name)
        out.append(sc)
    return out


def route_share(route: Route, direction: str, cargo: str) -> float:
    """The share of *cargo* trucks of *direction* that a route takes (0 where none is given)."""
    shares = route.share.get(direction, {})
    return shares.get(cargo, shares.get(DEFAULT_KEY, 0.0))


MAX_TRUCKS = 2_000_000
"""The most trucks one replication may expect: about 3.3 years of the baseline."""


def expected_trucks(sc: Scenario) -> float:
    """Trucks one replication is expected to generate: demand x days x factors, plus the backlog."""
    days = sc.run.days
    dates = np.array(sc.run.start_date, dtype="datetime64[D]") + np.arange(days)
    weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday
    month = dates.astype("datetime64[M]").astype("int64") % 12
    day_factor = np.asarray(sc.demand.weekday_factors)[weekday]
    total = 0.0
    for gname, gate in sc.gates.items():
        for direction, flows in gate.demand_trucks_per_day.items():
            for cargo, rate in flows.items():
                if rate == 0:
                    continue
                months = sc.demand.month_factors.get(cargo, sc.demand.month_factors.get(DEFAULT_KEY))
                per_day = rate * day_factor * np.asarray(months or [1.0] * 12)[month]
                for ev in sc.events:
                    if (
                        isinstance(ev, DemandEvent)
                        and (ev.gates is None or gname in ev.gates)
                        and (ev.directions is None or direction in ev.directions)
                        and (ev.cargo is None or cargo in ev.cargo)
                    ):
                        first = np.datetime64(ev.start, "D")
                        last = np.datetime64(ev.end, "D")
                        per_day = np.where((dates >= first) & (dates <= last), per_day * ev.factor, per_day)
                total += float(per_day.sum())
        total += sum(sum(flows.values()) for flows in gate.initial_backlog.values())
    return total


def size_problems(sc: Scenario) -> list[tuple[str, str]]:
    """A problem naming the bound when a replication would hold more trucks than supported."""
    trucks = expected_trucks(sc)
    if trucks <= MAX_TRUCKS:
        return []
    return [
        (
            "run.days",
            f"{sc.run.days} days at this demand make about {trucks:,.0f} trucks per replication; at most "
            f"{MAX_TRUCKS:,} are supported (memory): shorten run.days or lower demand_trucks_per_day",
        )
    ]


def validate_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate plain data as a scenario; raise :class:`ScenarioError` naming every problem."""
    try:
        sc = Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(source, validation_problems(err, Scenario)) from None
    problems = _cross_check(sc)
    if not problems:
        problems = size_problems(sc)
    if problems:
        raise ScenarioError(source, problems)
    sc._source = source
    return sc


def changes_set(data: dict[str, Any], changed: Any) -> bool:
    """After *changed* keys (a file's own top-level keys, or dotted changes) were applied to
    *data*: drop the base's Vietnamese question when the question changed without one (it is of
    another question), and say whether the events were set anew (then what a file left out of
    its base's events is no longer the point)."""
    keys = set(changed)
    if "question" in keys and "question_vi" not in keys:
        data.pop("question_vi", None)
    return any(key == "events" or key.startswith("events.") for key in keys)


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set ``a.b.0.c`` inside nested dicts and lists, creating mappings that are missing.

    A mapping set over a mapping is merged into it; any other value replaces what was there.
    """
    parts = key.split(".")
    node: Any = data
    _known_path(data, parts, key, source)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(source, [(key, f"{part!r} is not an index of a {len(node)}-item list")])
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                # A mapping laid over a mapping merges, as with extends: only what is named changes.
                old = node.get(part)
                both = isinstance(old, Mapping) and isinstance(value, Mapping) and "dist" not in value
                node[part] = deep_merge(old, value) if both else value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            done = ".".join(parts[:i])
            raise ScenarioError(source, [(key, f"{done} is a value, not a section")])


def _known_path(data: Mapping[str, Any], parts: list[str], key: str, source: str) -> None:
    """A key path into a gate or route the scenario lacks is a misspelling, named as such."""
    gates = data.get("gates")
    if parts[0] != "gates" or len(parts) < 3 or not isinstance(gates, Mapping):
        return
    if parts[1] not in gates:
        raise ScenarioError(source, [(key, unknown_name("gate", parts[1], gates))])
    routes = gates[parts[1]].get("routes") if isinstance(gates[parts[1]], Mapping) else None
    if len(parts) >= 5 and parts[2] == "routes" and isinstance(routes, Mapping) and parts[3] not in routes:
        msg = unknown_name(f"route of gate {parts[1]}", parts[3], routes)
        raise ScenarioError(source, [(key, msg)])


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """*base* with *override* laid over it: mappings merge key by key, anything else replaces.

    A mapping with a ``dist`` key (a whole distribution) replaces, too.
    """
    out = dict(base)
    for key, value in override.items():
        # A distribution named with `dist:` is given whole: switching lognormal -> fixed must not
        # keep the lognormal's mean and cv.
        whole = isinstance(value, Mapping) and "dist" in value
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not whole:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
