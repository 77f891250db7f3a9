"""One replication of a scenario as a SimPy model of the gates, their routes and the platform.

Time inside the model is in minutes since 00:00 (Vietnam time) on the start date. A truck's
life, export: declare on the platform a lead time before arrival; arrive; if the gate has a
holding park, wait there until called forward and drive to the gate; wait on the road until a
yard place is free; (declare at the counter if it did not pre-declare; wait for approval);
gate control; customs by risk channel (green: none, yellow: documents, red: documents and
inspection); quarantine if sampled; the Chinese checkpoint of its route; cross by trailer swap
or directly, which frees its yard place. An import is generated on the Chinese side of its
route, waits there for the checkpoint (in China's hours for imports), crosses, and then does the
Vietnamese steps up to quarantine before leaving inland. Every random quantity of a truck is
drawn from its own stream (up front, or block by block as the run reaches the truck: the same
numbers), so scenarios run with one seed see the same trucks.

Longer than the ~600 lines a module here keeps to: the SimPy processes of one replication
(arrivals, platform, park, road, yard, stages, the Chinese side) share the model's state and its
per-truck arrays; the lane pools and their schedules are apart, in :mod:`sim.world.stages`.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT

from sim.world.calendar import CHINA_AHEAD_MIN, MIN_PER_DAY, MIN_PER_H, build_schedule, horizon_min
from sim.world.demand import Arrivals, generate_arrivals
from sim.world.draw_blocks import DrawBlocks
from sim.world.scenario import Scenario, route_share
from sim.world.schema.events import ParkUseEvent
from sim.world.schema.names import DIRECTIONS, LANE_STAGES, STAGES
from sim.world.stages import Holding, LanePool, Monitor, Park, small_ints

EXPORT, IMPORT = DIRECTIONS.index("export"), DIRECTIONS.index("import")
GREEN, YELLOW, RED = 0, 1, 2
INSIDE, CLEARED, TURNED_AWAY = 0, 1, 2
OUTCOMES = ("inside", "cleared", "turned_away")
CHANNELS = ("green", "yellow", "red")
CROSSING_MODES = ("trailer_swap", "direct")
STEPS = (
    "arrive",
    "import_check",
    "import_crossing",
    "park",
    "travel",
    "yard",
    "approval",
    "gate_control",
    "customs_docs",
    "inspection",
    "quarantine",
    "export_check",
    "export_crossing",
)
"""The steps of a truck's way, in order: a truck restarted from a state (:mod:`sim.world.restart`)
is in one of them. ``arrive``: declared, on its way; ``yard``: on the road for a yard place;
``approval``: in the yard, at the declaration counter or waiting for the platform's approval."""
(
    ARRIVE,
    IMPORT_CHECK,
    IMPORT_CROSS,
    PARK,
    TRAVEL,
    YARD,
    APPROVAL,
    GATE_CONTROL,
    CUSTOMS_DOCS,
    INSPECTION,
    QUARANTINE,
    EXPORT_CHECK,
    EXPORT_CROSS,
) = range(len(STEPS))

TIME_COLUMNS = (
    "submitted_min",
    "approved_min",
    "arrival_min",
    "park_in_min",
    "called_min",
    "gate_arrival_min",
    "yard_in_min",
    *[f"{s}_{edge}_min" for s in STAGES for edge in ("start", "end")],
    "procedures_end_min",
    "departure_min",
)
"""Every time the truck log records, in model minutes (NaN where it did not happen).

``arrival_min`` is when the truck enters the system: on the Chinese side of its route for an
import, on the way to the gate (or its park) for an export; ``gate_arrival_min`` is when it
reaches the gate's yard entrance; ``procedures_end_min`` when its Vietnamese steps are done.
"""


def route_keys(sc: Scenario) -> list[tuple[str, str]]:
    """Every (gate, route) of a scenario in a fixed order: a truck's route is an index into it."""
    return [(g, r) for g, gate in sc.gates.items() for r in gate.routes]


def priority_ranks(order: list[str], cargos: list[str], cargo: np.ndarray) -> np.ndarray | None:
    """Each truck's priority rank for a stage (0 first); None when the stage has no priority."""
    if not order:
        return None
    rank = np.array([order.index(c) if c in order else len(order) for c in cargos], dtype=np.int8)
    return rank[cargo]


def stream(root: np.random.SeedSequence, name: str) -> np.random.Generator:
    """The generator of one named source of randomness; independent of every other name."""
    key = (*root.spawn_key, zlib.crc32(name.encode()))
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=key))


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


@dataclass
class TruckDraws:
    """Everything random about each truck except its arrival: drawn before the run starts, or (the
    minutes a truck reads only while in the system) a block of trucks at a time as the run reaches
    them (:func:`draw_trucks_in_blocks`), the same numbers either way.

    A declaration returned for correction is reviewed again with fresh draws: visit 0 is in
    ``review_min`` (and ``auto_check_min``), visit k >= 1 in ``later_visits[k - 1]``, a mapping
    from truck to its (auto check, review, correction) minutes, drawn from the visit's own streams.
    """

    predeclared: np.ndarray
    lead_min: np.ndarray
    auto_check_min: np.ndarray
    review_min: np.ndarray
    returns: np.ndarray
    correction_min: np.ndarray
    channel: np.ndarray
    quarantined: np.ndarray
    crossing_mode: np.ndarray
    route: np.ndarray
    travel_min: np.ndarray
    parked: np.ndarray
    """Exports that go through their gate's holding park (see ``park_use`` events)."""
    later_visits: list[dict[int, tuple[float, float, float]]] = field(default_factory=list)
    service_min: dict[str, np.ndarray] = field(default_factory=dict)
    route_uniforms: np.ndarray | None = None
    """Check, crossing and mode uniforms, kept where a truck may change route when ready."""
    outside_min: np.ndarray | None = None
    """Minutes a declared export waits outside the gate area at the end of its lead time (None:
    not modelled; see ``platform.outside_h``)."""


def _draw_routes(sc: Scenario, arr: Arrivals, u: np.ndarray) -> np.ndarray:
    """Each truck's route (index into :func:`route_keys`) from its gate's shares."""
    keys = route_keys(sc)
    cargos = list(sc.cargo_classes)
    route = np.zeros(len(arr), dtype=np.int16)
    for g, (gname, gate) in enumerate(sc.gates.items()):
        first = keys.index((gname, next(iter(gate.routes))))
        for d, direction in enumerate(DIRECTIONS):
            for c, cargo in enumerate(cargos):
                at = (arr.gate == g) & (arr.direction == d) & (arr.cargo == c)
                if not at.any():
                    continue
                shares = [route_share(r, direction, cargo) for r in gate.routes.values()]
                cum = np.cumsum(shares)
                pick = np.searchsorted(cum / cum[-1], u[at], side="right")
                route[at] = first + np.minimum(pick, len(shares) - 1)
    return route


def park_share_by_day(sc: Scenario, gate: str) -> np.ndarray:
    """Share of *gate*'s exports arriving each day of the run that use its park: 1 unless a
    ``park_use`` event says otherwise (a later event in the list wins where two overlap)."""
    share = np.ones(sc.run.days)
    for ev in sc.events:
        if isinstance(ev, ParkUseEvent) and (ev.gates is None or gate in ev.gates):
            first = (ev.start - sc.run.start_date).days
            last = (ev.end - sc.run.start_date).days
            share[max(first, 0) : max(last + 1, 0)] = ev.share
    return share


def draw_trucks(sc: Scenario, arr: Arrivals, root: np.random.SeedSequence) -> TruckDraws:
    """Draw every truck's declarations, channel, route and service times from named streams."""
    n = len(arr)
    draws, fill = _draws(sc, arr, root, lambda rows=1: np.zeros(n) if rows == 1 else np.zeros((rows, n)))
    fill(0, n)
    return draws


def draw_trucks_in_blocks(
    sc: Scenario, arr: Arrivals, root: np.random.SeedSequence
) -> tuple[TruckDraws, DrawBlocks]:
    """:func:`draw_trucks`'s draws, the minutes a truck reads only while in the system drawn block
    by block as the run reaches them (:mod:`sim.world.draw_blocks`): the same numbers, in less
    memory. A truck is done with them when its process ends and, if it declared ahead on the
    platform, once more when its declaration is approved."""
    blocks = DrawBlocks(len(arr))
    draws, blocks.fill = _draws(sc, arr, root, blocks.floats)
    blocks.expect(1 + (draws.predeclared & sc.platform.enabled))
    return draws, blocks


def _draws(
    sc: Scenario, arr: Arrivals, root: np.random.SeedSequence, floats: Callable[..., np.ndarray]
) -> tuple[TruckDraws, Callable[[int, int], None]]:
    """The draws made for the whole run at once (declarations, channels, routes, lead times), and
    ``fill(a, b)``, which draws trucks ``a`` to ``b - 1``'s minutes into arrays made by *floats*
    (called on consecutive ranges, in order: each stream's uniforms come a range at a time)."""
    n = len(arr)
    gates = list(sc.gates)
    cargos = list(sc.cargo_classes)
    keys = route_keys(sc)

    def u(name: str) -> np.ndarray:
        return stream(root, name).random(n)

    pf = sc.platform
    u_channel = u("channel")
    shares = {c: sc.lookup(sc.risk.channel_shares, c) for c in cargos}
    green = np.array([shares[c].green for c in cargos])[arr.cargo]
    yellow = np.array([shares[c].yellow for c in cargos])[arr.cargo]
    channel = np.where(u_channel < green, GREEN, np.where(u_channel < green + yellow, YELLOW, RED))
    q_share = np.array([sc.lookup(sc.risk.quarantine_share, c) for c in cargos])[arr.cargo]
    p_ret = pf.returned_share
    # Number of returns before approval: geometric, by inverse transform of one uniform.
    u_ret = u("returns")
    returns = (
        np.floor(np.log1p(-u_ret) / np.log(p_ret)).astype(np.int64)
        if p_ret > 0
        else np.zeros(n, dtype=np.int64)
    )
    later: list[dict[int, tuple[float, float, float]]] = []
    for k in range(1, int(returns.max(initial=0)) + 1):
        who = np.flatnonzero(returns >= k)
        auto = pf.auto_check_min.from_uniform(u(f"auto_check:{k}")[who])
        review = pf.review_min.from_uniform(u(f"review:{k}")[who])
        correction = pf.correction_h.from_uniform(u(f"correction:{k}")[who]) * MIN_PER_H
        draws_k = zip(auto.tolist(), review.tolist(), correction.tolist(), strict=True)
        later.append(dict(zip(who.tolist(), draws_k, strict=True)))
    route = _draw_routes(sc, arr, u("route"))
    parked = np.zeros(n, dtype=bool)
    u_park = u("park_use")
    day = np.clip((arr.time_min // MIN_PER_DAY).astype(np.int64), 0, sc.run.days - 1)
    parks = []
    for g, (gname, gate) in enumerate(sc.gates.items()):
        if gate.park is not None and gate.park.enabled:
            parks.append((g, gate.park.travel_min))
            exports = (arr.gate == g) & (arr.direction == EXPORT)
            parked[exports] = u_park[exports] < park_share_by_day(sc, gname)[day[exports]]
    lead_min = pf.lead_time_h.from_uniform(u("lead_time")) * MIN_PER_H
    exporting = arr.direction == EXPORT
    for c, cargo in enumerate(cargos):
        if cargo in pf.min_lead_h:  # e.g. plant-quarantine registration >= 24 h before export
            at = exporting & (arr.cargo == c)
            lead_min[at] = np.maximum(lead_min[at], pf.min_lead_h[cargo] * MIN_PER_H)
    outside_min = None
    if pf.outside_h is not None:  # its own stream: every other draw stays as it was
        outside_min = np.where(
            exporting, np.minimum(pf.outside_h.from_uniform(u("outside")) * MIN_PER_H, lead_min), 0.0
        )
    draws = TruckDraws(
        predeclared=u("predeclared") < pf.predeclared_share,
        lead_min=lead_min,
        auto_check_min=floats(),
        review_min=floats(),
        returns=returns,
        correction_min=floats(),
        channel=channel.astype(np.int8),
        quarantined=u("quarantine") < q_share,
        crossing_mode=np.zeros(n, dtype=np.int8),
        route=route,
        travel_min=floats(),
        parked=parked,
        later_visits=later,
        service_min={stage: floats() for stage in (*LANE_STAGES, "china_check", "crossing")},
        outside_min=outside_min,
    )
    if any(g.route_choice == "shorter_queue" for g in sc.gates.values()):
        draws.route_uniforms = floats(3)
    names = ("park_travel", "auto_check", "review", "correction", "service:china_check", "service:crossing")
    gen = {name: stream(root, name) for name in (*names, "crossing_mode")}
    gen.update({stage: stream(root, f"service:{stage}") for stage in LANE_STAGES})

    def set_by_cargo(
        out: np.ndarray, values: np.ndarray, spec: dict, at: np.ndarray, cargo: np.ndarray
    ) -> None:
        for c, name in enumerate(cargos):
            mask = at & (cargo == c)
            if mask.any():
                out[mask] = sc.lookup(spec, name).from_uniform(values[mask])

    def fill(a: int, b: int) -> None:
        k = b - a
        gate, cargo, direction, rt_of = arr.gate[a:b], arr.cargo[a:b], arr.direction[a:b], route[a:b]
        u_travel = gen["park_travel"].random(k)
        travel = draws.travel_min[a:b]
        for g, dist in parks:
            at = gate == g
            travel[at] = dist.from_uniform(u_travel[at])
        draws.auto_check_min[a:b] = pf.auto_check_min.from_uniform(gen["auto_check"].random(k))
        draws.review_min[a:b] = pf.review_min.from_uniform(gen["review"].random(k))
        draws.correction_min[a:b] = pf.correction_h.from_uniform(gen["correction"].random(k)) * MIN_PER_H
        for stage in LANE_STAGES:
            values = gen[stage].random(k)
            out = draws.service_min[stage][a:b]
            for g, gname in enumerate(gates):
                set_by_cargo(out, values, getattr(sc.gates[gname], stage).service_min, gate == g, cargo)
        check_u = gen["service:china_check"].random(k)
        cross_u = gen["service:crossing"].random(k)
        mode_u = gen["crossing_mode"].random(k)
        check, cross = draws.service_min["china_check"][a:b], draws.service_min["crossing"][a:b]
        mode = draws.crossing_mode[a:b]
        for r, (gname, rname) in enumerate(keys):
            rt = sc.gates[gname].routes[rname]
            # A truck may move to another route of its gate (route_choice: shorter_queue), so its
            # draws are made for every route of its gate from the same uniforms; see Model._route_of.
            at = rt_of == r
            set_by_cargo(check, check_u, rt.china_check.service_min, at, cargo)
            for d, name in enumerate(DIRECTIONS):
                sel = at & (direction == d)
                direct = mode_u[sel] < rt.crossing.direct_share.get(name, 0.0)
                mode[sel] = direct
                swap = rt.crossing.trailer_swap_min.from_uniform(cross_u[sel])
                cross[sel] = np.where(direct, rt.crossing.direct_min.from_uniform(cross_u[sel]), swap)
        if draws.route_uniforms is not None:
            draws.route_uniforms[:, a:b] = (check_u, cross_u, mode_u)

    return draws, fill


def redraw_route(
    sc: Scenario, d: TruckDraws, cargo_code: int, i: int, r: int, direction: str = "export"
) -> None:
    """Give truck *i* (of cargo class *cargo_code*) route *r* and that route's check and crossing
    times, from the truck's own uniforms (``d.route_uniforms``): an export's change of route."""
    gname, rname = route_keys(sc)[r]
    rt = sc.gates[gname].routes[rname]
    cargo = list(sc.cargo_classes)[cargo_code]
    u_check, u_cross, u_mode = d.route_uniforms[:, i : i + 1]
    d.route[i] = r
    d.service_min["china_check"][i] = sc.lookup(rt.china_check.service_min, cargo).from_uniform(u_check)[0]
    direct = bool(u_mode[0] < rt.crossing.direct_share.get(direction, 0.0))
    d.crossing_mode[i] = direct
    dist = rt.crossing.direct_min if direct else rt.crossing.trailer_swap_min
    d.service_min["crossing"][i] = dist.from_uniform(u_cross)[0]


class Platform:
    """The Digital Border Gate Platform: automatic check, then officers' review, maybe returned.

    Each review of a returned declaration takes its own fresh draws (see :class:`TruckDraws`).
    """

    def __init__(
        self,
        env: simpy.Environment,
        review: LanePool,
        draws: TruckDraws,
        approved: np.ndarray,
        done: Callable[[int], None] | None = None,
    ) -> None:
        """*done(i)* is called when truck *i*'s declaration is approved (the platform reads its
        draws no more; the truck's own process may, until it reports itself done)."""
        self.env = env
        self._done = done or _nothing
        self.review = review
        self.draws = draws
        self.visit = np.zeros(draws.returns.size, dtype=np.int16)
        self.approved = approved
        # Read a few times a truck: memoryviews give Python numbers, faster than numpy scalars.
        self._visit = memoryview(self.visit)
        self._returns = memoryview(draws.returns)
        self._auto = memoryview(draws.auto_check_min)
        self._review = memoryview(draws.review_min)
        self._correction = memoryview(draws.correction_min)
        self._review_service = memoryview(review.service_min)
        self._approved = memoryview(approved)
        self._timeout = env.timeout
        self._on_checked, self._on_reviewed = self._checked, self._reviewed  # bound once
        self.waiting: dict[int, simpy.Event] = {}
        """Trucks in the yard waiting for their declaration's approval."""
        self.timed: dict[int, tuple[float, bool]] = {}
        """Declarations in their automatic check or (True) being corrected, with the minute that
        ends."""

    def submit(self, i: int) -> None:
        """Truck *i*'s declaration enters the automatic check (again, after a correction)."""
        k = self._visit[i]
        auto = self._auto[i] if k == 0 else float(self.draws.later_visits[k - 1][i][0])
        self.timed[i] = (self.env._now + auto, False)
        self._timeout(auto, i).callbacks.append(self._on_checked)

    def _checked(self, ev: simpy.Event) -> None:
        i = ev._value  # the value, without the property's check, as in LanePool._finish
        del self.timed[i]
        k = self._visit[i]
        self._review_service[i] = self._review[i] if k == 0 else self.draws.later_visits[k - 1][i][1]
        self.review.serve(i).callbacks.append(self._on_reviewed)

    def _reviewed(self, ev: simpy.Event) -> None:
        i = ev._value  # as in _checked
        k = self._visit[i]
        if k < self._returns[i]:
            correction = self._correction[i] if k == 0 else float(self.draws.later_visits[k - 1][i][2])
            self._visit[i] = k + 1
            self.timed[i] = (self.env._now + correction, True)
            self.env.timeout(correction, i).callbacks.append(self._resubmitted)
            return
        self._approved[i] = self.env._now
        self._done(i)
        waiter = self.waiting.pop(i, None)
        if waiter is not None:
            waiter.succeed()

    def _resubmitted(self, ev: simpy.Event) -> None:
        del self.timed[ev.value]
        self.submit(ev.value)  # a corrected declaration goes through the automatic check again

    def resume_timed(self, i: int, visit: int, end_min: float, correcting: bool) -> None:
        """Restart truck *i*'s declaration in its automatic check (or, *correcting*, in the
        correction after its visit *visit* - 1 was returned), ending at *end_min*."""
        self.visit[i] = visit
        self.timed[i] = (end_min, correcting)
        done = self._resubmitted if correcting else self._checked
        self.env.timeout(delay_to(self.env.now, end_min), i).callbacks.append(done)

    def resume_review(self, i: int, visit: int, event: simpy.Event) -> None:
        """Restart truck *i*'s declaration (visit *visit*) in the officers' review: *event* is
        its restored place in the review pool."""
        self.visit[i] = visit
        event.callbacks.append(self._reviewed)


def _nothing(i: int) -> None:
    """A truck done with draws that are not drawn block by block: nothing to give back."""


def delay_to(now: float, end_min: float) -> float:
    """The delay after which SimPy's clock (``now + delay``) reads exactly *end_min*: a restarted
    run ends each step at the very minute the run it continues would have."""
    delay = max(end_min - now, 0.0)
    for _ in range(4):
        if now + delay == end_min or delay == 0.0:
            break
        delay = float(np.nextafter(delay, np.inf if now + delay < end_min else -np.inf))
    return delay


@dataclass
class RoutePools:
    """The Chinese checkpoint and crossing of one route; a disabled one is None."""

    gate: int
    china_check: LanePool | None
    crossing: LanePool | None
    crossing_export: bool
    crossing_import: bool

    def load(self) -> float:
        """Trucks at the checkpoint per lane, waiting or in service (for route choice)."""
        pool = self.china_check
        return 0.0 if pool is None else (pool.waiting + pool.busy) / pool.lanes


@dataclass
class GatePools:
    """The lane pools of one gate; a disabled stage is None and trucks pass it by."""

    pools: dict[str, LanePool | None]
    yards: tuple[Holding, Holding]
    park: Park | None
    routes: list[int]
    shorter_queue: bool
    export_routes: list[list[int]] = field(default_factory=list)
    """By cargo class code: the routes with an export share for it (the candidates of shorter_queue)."""
    procedures: list[list[tuple[tuple[int, LanePool], ...]]] = field(init=False)
    """By channel code and then quarantined (0 or 1): the (step, pool) of each stage a truck of
    this gate visits after approval, in order; disabled stages left out. Worked out from ``pools``
    (see :func:`procedures`)."""

    def __post_init__(self) -> None:
        self.procedures = procedures(self.pools)


def procedures(pools: dict[str, LanePool | None]) -> list[list[tuple[tuple[int, LanePool], ...]]]:
    """A gate's stages after approval, by channel and quarantine: gate control for every truck,
    the documents for yellow and red, the inspection for red, quarantine if sampled."""
    table = []
    for channel in (GREEN, YELLOW, RED):
        row = []
        for quarantined in (0, 1):
            steps = [(GATE_CONTROL, "gate_control")]
            if channel != GREEN:
                steps.append((CUSTOMS_DOCS, "customs_docs"))
            if channel == RED:
                steps.append((INSPECTION, "inspection"))
            if quarantined:
                steps.append((QUARANTINE, "quarantine"))
            row.append(tuple((step, pools[name]) for step, name in steps if pools[name] is not None))
        table.append(row)
    return table


@dataclass
class RunData:
    """What one replication produced: the truck log, monitors' series and bookkeeping."""

    scenario: Scenario
    seed: int | None
    arrivals: Arrivals
    draws: TruckDraws
    """What the tables read of each truck's draws; the minutes the run consumed (services, the
    platform's steps, lead times, travel) and the route uniforms are left out (see
    :func:`kept_draws`)."""
    times: Mapping[str, np.ndarray]
    """The truck log's time columns: the model's own arrays as its run hands them on, a
    :class:`~sim.world.truck_log.TruckLog` (its mostly empty columns kept compact) once
    :func:`sim.experiments.results.run` has let the model go."""
    outcome: np.ndarray
    sample_min: np.ndarray
    series: dict[tuple[str, str], dict[str, np.ndarray]]
    wall_s: float = 0.0


SOURCE_SLICE = 8192
"""Trucks the source turns into Python numbers at a time (their ids, start times and whether they
declared ahead): a year's run would otherwise hold some 43 MiB of them until its last truck starts."""


def kept_draws(draws: TruckDraws) -> TruckDraws:
    """*draws* without the minutes a run consumes and no table reads again (service and platform
    minutes, lead times, travel, route uniforms): a tenth of a year's replication in memory. Every
    such minute the truck actually spent is in the truck log."""
    none = np.empty(0)
    return replace(
        draws,
        lead_min=none,
        auto_check_min=none,
        review_min=none,
        correction_min=none,
        travel_min=none,
        later_visits=[],
        service_min={},
        route_uniforms=None,
    )


class Model:
    """Builds the SimPy world of a scenario for one seed and runs it."""

    def __init__(
        self,
        sc: Scenario,
        seed: int | np.random.SeedSequence = 0,
        arrivals: Arrivals | None = None,
        start: Any = None,
        draws: TruckDraws | None = None,
    ) -> None:
        """*arrivals*, when given, replace the generated ones (e.g. observed or hand-made trucks);
        *draws* replace the trucks' drawn values (with *arrivals*). *start* (a
        :class:`sim.world.restart.Start`) starts the run at its clock time from the trucks it
        holds, each at its step; trucks that would have started before then are not run."""
        self.sc = sc
        root = as_seed_sequence(seed)
        self.seed = seed if isinstance(seed, int) else None
        self.start_min = 0.0 if start is None else float(start.at_min)
        self.restarted = start is not None
        self.env = env = simpy.Environment(initial_time=self.start_min)
        self.arr = arrivals if arrivals is not None else generate_arrivals(sc, stream(root, "arrivals"))
        self.blocks: DrawBlocks | None = None
        """The run's per-truck minutes, drawn block by block (None: drawn whole, as for draws
        given, and for a restarted run, whose trucks start at every step)."""
        if draws is not None:
            self.draws = draws
        elif start is None:
            self.draws, self.blocks = draw_trucks_in_blocks(sc, self.arr, root)
        else:
            self.draws = draw_trucks(sc, self.arr, root)
        self._done: Callable[[int], None] = self.blocks.done if self.blocks is not None else _nothing
        n = len(self.arr)
        self.times = {c: np.full(n, np.nan) for c in TIME_COLUMNS}
        self.times["arrival_min"][:] = self.arr.time_min
        self.outcome = np.zeros(n, dtype=np.int8)
        horizon = horizon_min(sc)
        step = sc.run.sample_interval_min
        self.sample_min = np.append(np.arange(0, horizon, step), horizon)
        self.monitors: dict[tuple[str, str], Monitor] = {}
        self._rank_bytes: dict[tuple[str, ...], bytes | None] = {}
        self.gates: list[GatePools] = []
        self.routes: list[RoutePools] = []
        cargos = list(sc.cargo_classes)
        keys = route_keys(sc)
        for g, (gname, gate) in enumerate(sc.gates.items()):
            pools: dict[str, LanePool | None] = {}
            for stage in LANE_STAGES:
                cfg = getattr(gate, stage)
                pools[stage] = None
                if cfg.enabled:
                    pool = self._pool(stage, cfg.lanes, cfg.priority)
                    self._schedule(pool, gate.stage_hours(stage), gname, stage)
                    pools[stage] = self.monitors[(gname, stage)] = pool
            yards = []
            for direction in DIRECTIONS:
                park = gate.parking.get(direction)
                cap = park.capacity if park else None
                turn_away = bool(park and park.when_full == "turn_away")
                yard = Holding(env, cap, turn_away, self.times["yard_in_min"], self.sample_min.size)
                self.monitors[(gname, f"parking_{direction}")] = yard
                yards.append(yard)
            park = None
            if gate.park is not None and gate.park.enabled:
                cfg = gate.park
                threshold = (
                    cfg.call_forward_below if cfg.call_forward_below is not None else yards[EXPORT].capacity
                )
                order = cfg.priority if cfg.order == "priority" else []
                park = Park(
                    env,
                    cfg.places,
                    yards[EXPORT],
                    threshold,
                    self.times["park_in_min"],
                    self.times["called_min"],
                    self._ranks(order),
                    self.sample_min.size,
                )
                self.monitors[(gname, "park")] = park
            mine = [r for r, key in enumerate(keys) if key[0] == gname]
            candidates = [
                [
                    k
                    for k, rr in zip(mine, gate.routes.values(), strict=True)
                    if route_share(rr, "export", c) > 0
                ]
                for c in cargos
            ]
            self.gates.append(
                GatePools(
                    pools,
                    (yards[0], yards[1]),
                    park,
                    mine,
                    gate.route_choice == "shorter_queue",
                    candidates,
                )
            )
            for rname, route in gate.routes.items():
                check = None
                cfg = route.china_check
                if cfg.enabled:
                    check = self._pool("china_check", cfg.lanes, cfg.priority, groups=len(DIRECTIONS))
                    for d, direction in enumerate(DIRECTIONS):
                        schedule = build_schedule(
                            sc,
                            cfg.hours_for(direction),
                            gname,
                            "china_check",
                            CHINA_AHEAD_MIN,
                            rname,
                            direction,
                        )
                        env.process(self._follow(check, schedule, d))
                    self.monitors[(gname, f"china_check:{rname}")] = check
                cross = None
                cfg = route.crossing
                if cfg.enabled:
                    cross = self._pool("crossing", cfg.lanes, cfg.priority)
                    schedule = build_schedule(sc, gate.crossing_hours(rname), gname, "crossing", 0, rname)
                    env.process(self._follow(cross, schedule))
                    self.monitors[(gname, f"crossing:{rname}")] = cross
                self.routes.append(
                    RoutePools(g, check, cross, "export" in cfg.directions, "import" in cfg.directions)
                )
        self.platform: Platform | None = None
        if sc.platform.enabled:
            # The officers' service minutes and log, read and written only while a declaration is
            # reviewed: block by block with the draws where they are drawn so.
            b = self.blocks
            review = LanePool(
                env,
                sc.platform.officers,
                np.zeros(n) if b is None else b.floats(),
                np.full(n, np.nan) if b is None else b.floats(initial=np.nan),
                np.full(n, np.nan) if b is None else b.floats(initial=np.nan),
                self.sample_min.size,
            )
            env.process(self._follow(review, build_schedule(sc, sc.platform.hours, None, "platform")))
            self.monitors[("platform", "review")] = review
            self.platform = Platform(env, review, self.draws, self.times["approved_min"], self._done)
        # What each truck's process reads, as bytes: an item reads as a Python int several times
        # faster than a numpy scalar, at one byte a truck.
        self._direction = small_ints(self.arr.direction)
        self._gate = small_ints(self.arr.gate)
        self._parked = small_ints(self.draws.parked)
        self._channel = small_ints(self.draws.channel)
        self._quarantined = small_ints(self.draws.quarantined)
        # The truck log and the draws a truck's process reads or writes, as memoryviews of the
        # same arrays: an item is a Python float or int, several times faster than numpy's scalar.
        written = ("arrival_min", "gate_arrival_min", "approved_min", "procedures_end_min", "departure_min")
        self._arrived, self._at_gate, self._approved, self._procedures_end, self._left = (
            memoryview(self.times[c]) for c in written
        )
        self._route = memoryview(self.draws.route)
        self._travel = memoryview(self.draws.travel_min)
        self._outcome = memoryview(self.outcome)
        self.live = np.zeros(n, dtype=bool)
        if start is not None:
            start.restore(self)  # marks the trucks it restarts in self.live
        env.process(self._source())
        env.process(self._sampler())

    def _ranks(self, order: list[str]) -> bytes | None:
        """Each truck's rank in *order* as bytes (:func:`priority_ranks`), made once per order: the
        pools and parks that share an order share its bytes (a byte a truck each: 13 MiB of a
        year's run when each of the baseline's 23 pools had its own)."""
        key = tuple(order)
        if key not in self._rank_bytes:
            ranks = priority_ranks(order, list(self.sc.cargo_classes), self.arr.cargo)
            self._rank_bytes[key] = small_ints(ranks)
        return self._rank_bytes[key]

    def _pool(self, stage: str, lanes: int, order: list[str], groups: int = 1) -> LanePool:
        n = len(self.arr)
        return LanePool(
            self.env,
            lanes,
            self.draws.service_min[stage],
            self.times[f"{stage}_start_min"],
            self.times[f"{stage}_end_min"],
            self.sample_min.size,
            self._ranks(order) if n else None,
            groups,
        )

    def _schedule(self, pool: LanePool, hours, gname: str, stage: str) -> None:
        self.env.process(self._follow(pool, build_schedule(self.sc, hours, gname, stage)))

    def _follow(self, pool: LanePool, schedule, group: int = 0) -> Generator:
        env = self.env
        first = 0
        if self.restarted:  # only the state in force at the start is set, once
            first = max(int(np.searchsorted(np.asarray(schedule.times), env.now, side="right")) - 1, 0)
        for t, is_open, factor in zip(
            schedule.times[first:], schedule.open[first:], schedule.factor[first:], strict=True
        ):
            t, factor = float(t), float(factor)  # Python floats: SimPy's heap compares them fastest
            if t > env.now:
                yield env.timeout(t - env.now)
            pool.set_state(is_open, factor, group)

    def _source(self) -> Generator:
        env = self.env
        arrival = self.arr.time_min
        pre = self.draws.predeclared if self.platform is not None else np.zeros(len(self.arr), bool)
        start = np.where(pre, np.maximum(arrival - self.draws.lead_min, 0.0), arrival)
        fresh = pre & ~self.live  # a restarted truck keeps the time it declared
        self.times["submitted_min"][fresh] = start[fresh]
        truck, process = self._truck, env.process
        order = np.argsort(start, kind="stable")
        if self.restarted:  # trucks that started before are gone or restored
            order = order[(start[order] >= self.start_min) & ~self.live[order]]
        # Python floats, not numpy scalars: every later time derives from them. Made a slice at a
        # time, so that a long run does not hold a Python number for every truck it will start.
        blocks = self.blocks
        drawn = len(self.arr) if blocks is None else blocks.filled  # trucks whose minutes are drawn
        for first in range(0, order.size, SOURCE_SLICE):
            ids = order[first : first + SOURCE_SLICE]
            for i, t, declared in zip(ids.tolist(), start[ids].tolist(), pre[ids].tolist(), strict=True):
                now = env._now
                if t > now:
                    yield env.timeout(t - now)
                if i >= drawn:
                    drawn = blocks.ensure(i)  # type: ignore[union-attr]
                process(truck(i, declared))

    def _sampler(self) -> Generator:
        env = self.env
        monitors = list(self.monitors.values())
        for k, t in enumerate(self.sample_min[:-1].tolist()):
            if t < self.start_min:
                continue
            now = env.now
            if t > now:
                yield env.timeout(t - now)
                now = env.now
            for m in monitors:
                m.sample(k, now)

    def _route_of(self, i: int, gate: GatePools) -> RoutePools:
        """The route an export takes when ready for the Chinese side (it may change, see Gate)."""
        r = self._route[i]
        if not gate.shorter_queue:
            return self.routes[r]
        best, best_load = r, self.routes[r].load()
        for k in gate.export_routes[self.arr.cargo[i]]:
            load = self.routes[k].load()
            if load < best_load:
                best, best_load = k, load
        if best != r:
            self._redraw(i, best)
        return self.routes[best]

    def _redraw(self, i: int, r: int) -> None:
        """Give truck *i* route *r* and that route's service times, from the truck's own uniforms."""
        redraw_route(self.sc, self.draws, int(self.arr.cargo[i]), i, r)

    def _truck(
        self, i: int, predeclared: bool, resume: int = -1, first: simpy.Event | None = None
    ) -> Generator:
        """Truck *i*'s way through the system; a truck restarted from a state is at step *resume*
        (see :data:`STEPS`) and goes on once *first* (the end of that step) succeeds."""
        env = self.env  # the clock read as env._now, as in sim.world.stages (a property call less)
        approved = self._approved
        if first is not None:
            yield first
        if resume < ARRIVE and predeclared:
            self.platform.submit(i)
            wait = self._arrived[i] - env._now
            if wait > 0:
                yield env.timeout(wait)
        direction = self._direction[i]
        gate = self.gates[self._gate[i]]
        if direction == IMPORT:
            route = self.routes[self._route[i]]
            if resume < IMPORT_CHECK and route.china_check is not None:
                yield route.china_check.serve(i, IMPORT)
            if resume < IMPORT_CROSS and route.crossing is not None and route.crossing_import:
                yield route.crossing.serve(i)
        elif gate.park is not None and self._parked[i]:
            if resume < PARK:
                yield gate.park.enter(i)
            if resume < TRAVEL:
                travel = self._travel[i]
                if travel > 0:
                    yield env.timeout(travel)
            if resume <= TRAVEL:
                gate.park.arrived()
        pools = gate.pools
        yard = gate.yards[direction]
        if resume < YARD:
            self._at_gate[i] = env._now
            entered = yard.enter(i)
            if entered is False:
                self._outcome[i] = TURNED_AWAY
                self._left[i] = env._now
                self._done(i)
                return
            if entered is not None:
                yield entered
        if self.platform is not None and resume < APPROVAL:
            if not predeclared:
                counter = pools["declaration_counter"]
                if counter is not None:
                    yield counter.serve(i)
                approved[i] = env._now
            elif approved[i] != approved[i]:  # NaN: not yet approved
                waiter = simpy.Event(env)
                self.platform.waiting[i] = waiter
                yield waiter
        elif resume == APPROVAL and not predeclared:
            approved[i] = env._now  # the counter's service just ended
        for step, pool in gate.procedures[self._channel[i]][self._quarantined[i]]:
            if step > resume:
                yield pool.serve(i)
        if resume <= QUARANTINE:
            self._procedures_end[i] = env._now
        if direction == EXPORT:
            route = self._route_of(i, gate) if resume < EXPORT_CHECK else self.routes[self._route[i]]
            if resume < EXPORT_CHECK and route.china_check is not None:
                yield route.china_check.serve(i, EXPORT)
            if resume < EXPORT_CROSS and route.crossing is not None and route.crossing_export:
                yield route.crossing.serve(i)
        yard.leave()
        self._left[i] = env._now
        self._outcome[i] = CLEARED
        self._done(i)

    def _report_daily(self, day: int, last: int, progress: Callable[[int, int], None]) -> None:
        """Call ``progress(day, days)`` at the end of *day*, and so on each day before *last*.

        The report is an event scheduled as ``env.run(until=...)`` schedules its stop, urgent,
        before any other event of that instant, so that a report reads the state a stop did."""

        def report(_: simpy.Event) -> None:
            progress(day, self.sc.run.days)
            if day + 1 < last:
                self._report_daily(day + 1, last, progress)

        end_of_day = simpy.Event(self.env)
        end_of_day._ok, end_of_day._value = True, None  # triggered, as SimPy's own stop event is
        end_of_day.callbacks.append(report)
        self.env.schedule(end_of_day, URGENT, day * MIN_PER_DAY - self.env._now)

    def run(
        self, progress: Callable[[int, int], None] | None = None, until_min: float | None = None
    ) -> RunData:
        """Run to the horizon (or to *until_min*), calling ``progress(day, days)`` after each
        simulated day.

        SimPy runs once, to the end: a day's report is the callback of one urgent event at the day's
        end (:meth:`_report_daily`), one event a day, and only when there is *progress* to call
        (stopping ``env.run`` at every day's end instead cost two events a day, the stop and SimPy's
        rescheduling of it).
        """
        started = time.perf_counter()
        days = self.sc.run.days
        end = horizon_min(self.sc) if until_min is None else min(until_min, horizon_min(self.sc))
        first = int(self.env.now // MIN_PER_DAY) + 1
        if first <= days:
            last = min(days, max(first, math.ceil(end / MIN_PER_DAY)))  # the day *end* falls in
            if progress is not None and first < last:
                self._report_daily(first, last, progress)
            self.env.run(until=end)
            if progress is not None:
                progress(last, days)
        last = self.sample_min.size - 1
        for m in self.monitors.values():
            m.sample(last, self.env.now)
        if self.blocks is not None:
            self.blocks.finish()
        return RunData(
            scenario=self.sc,
            seed=self.seed,
            # The arrival minutes as the truck log holds them (the same values): one array, not two.
            arrivals=replace(self.arr, time_min=self.times["arrival_min"]),
            draws=kept_draws(self.draws),
            times=self.times,
            outcome=self.outcome,
            sample_min=self.sample_min,
            series={key: m.export() for key, m in self.monitors.items()},
            wall_s=time.perf_counter() - started,
        )
