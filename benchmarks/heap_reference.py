"""A minimal event loop on ``heapq`` that replays the model's flow exactly, truck by truck.

    python benchmarks/heap_reference.py --days 90     # departures equal at 90 days?
    python benchmarks/heap_reference.py --cases       # ... on every case of CASES

Its timing against the model (and against an idiomatic SimPy reference) is benchmarks/bench_loop.py.

The reference shares with the model only the scenario loader and the draws made before the run
(:func:`~sim.world.demand.generate_arrivals`, :func:`~sim.world.model.draw_trucks`,
:func:`~sim.world.calendar.build_schedule`, :func:`~sim.world.model.route_keys`,
:func:`~sim.world.model.priority_ranks`, :func:`~sim.world.model.stream`). Everything that happens
during the run is written again here on plain lists, tuples and one heap: the platform (automatic
check, officers' review on lanes with their own hours, returned declarations reviewed again with
the later visits' draws, resubmission after correction), arrival after the lead time, the holding
park with call-forward by priority class and the drive to the gate, the yards with the road queue
behind them and turn-away, the Vietnamese stages on lanes with priority by cargo class (lower rank
first, then first come first served, never preempting), opening hours, closures and capacity
factors as schedule changes (groups of the Chinese checkpoint opening together before any lane is
filled), the Chinese checkpoint of each route for both directions, the crossing, route choice by
the shorter checkpoint queue when an export is ready (with the truck's service times drawn again
for the new route from its own uniforms), imports generated on the Chinese side, and the horizon.

Equal times are broken as SimPy breaks them: the heap key is ``(time, priority, sequence)`` with
priority 0 for a process's first step and 1 for everything else, and every event that has an
effect is pushed at the point where the model's SimPy code schedules it (a service's end; for a
truck that queued, its resumption at the same time, pushed before the lane is handed on; a call
forward, a place freed on the road, an opening, a correction, an automatic check). A truck that
found its lane free goes on within the service's end, right after the lane is handed on, as the
model's truck does on the service's own timeout. Times are formed by the same float operations as the model
(``now + (t - now)``, ``service / factor``), so departures are compared with ``np.array_equal``
(NaN equal to NaN: trucks still inside at the horizon), not within a tolerance.

The horizon is handled as ``Model.run()`` handles it: SimPy's stop at ``days x 1440`` is an urgent
event, so no event at the horizon itself or later is processed; trucks not gone by then keep a
NaN departure and the outcome "inside".

Not covered, because none of it changes when a truck leaves or whether it is turned away:

- monitors and the sampler: no queue or busy areas, no series, no utilisation (``RunData.series``);
- the truck log: only ``departure_min`` and the outcome are kept, not the other times;
- events that SimPy schedules with no effect: a finished process's own event, ``run(until=...)``'s
  stop events, the sampler's timeouts (so the reference pushes fewer events than SimPy schedules);
- ``run.warmup_days``, costs and KPIs, which are read from the truck log after the run.

Every scenario key that the model reads during the run is covered. ``platform.outside_h``,
``park_use`` events, demand events and ``initial_backlog`` act through the pre-run draws, which
are shared; extended-hours, closure and capacity events act through :func:`build_schedule`, also
shared, and the reference follows the schedules itself.

Time measured (``time.process_time``) is the event loop only, for both: ``Model.run()`` (which
also takes the monitors' last sample and hands back their series, a negligible part) against
:func:`run_loop`. Building the model (arrivals, draws, schedules, SimPy objects) and the
reference's :func:`prepare` (the same arrivals, draws and schedules, and its plain tables) are
left out of both.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.world.calendar import CHINA_AHEAD_MIN, build_schedule, horizon_min
from sim.world.demand import Arrivals, generate_arrivals
from sim.world.model import TruckDraws, draw_trucks, priority_ranks, route_keys, stream
from sim.world.scenario import Scenario, route_share
from sim.world.scenario_files import load_scenario
from sim.world.schema.names import DIRECTIONS, LANE_STAGES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"

_SHORT = {"run.days": 3, "run.warmup_days": 1}
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "baseline_14d": ("baseline.yaml", {"run.days": 14}),
    "park_call_forward": (
        "baseline.yaml",
        {**_SHORT, "gates.huu_nghi.park.places": 40, "gates.huu_nghi.park.call_forward_below": 25},
    ),
    "shorter_queue": (
        "baseline.yaml",
        {
            **_SHORT,
            "gates.huu_nghi.route_choice": "shorter_queue",
            "gates.tan_thanh.route_choice": "shorter_queue",
        },
    ),
    "returned_declarations": ("baseline.yaml", {**_SHORT, "platform.returned_share": 0.6}),
    "turn_away": (
        "baseline.yaml",
        {
            **_SHORT,
            "gates.tan_thanh.parking.export": {"places": 15, "overflow_places": 0, "when_full": "turn_away"},
            "gates.huu_nghi.parking.import": {"places": 20, "overflow_places": 0, "when_full": "turn_away"},
        },
    ),
    "closure": ("tet_closure.yaml", {**_SHORT, "run.start_date": "2026-02-14"}),
    "closure_end_capacity": ("tet_closure.yaml", {**_SHORT, "run.start_date": "2026-02-18"}),
    "capacity_china_check": ("chinese_slowdown.yaml", {**_SHORT, "run.start_date": "2025-10-05"}),
    "paper_declarations": ("no_predeclaration.yaml", {**_SHORT, "run.days": 2}),
    "initial_backlog": (
        "baseline.yaml",
        {
            **_SHORT,
            "run.days": 2,
            "gates.tan_thanh.initial_backlog": {
                "export": {"fruit": 60, "general": 20},
                "import": {"general": 80},
            },
        },
    ),
    "suspensions_2025": ("baseline_2025.yaml", {**_SHORT, "run.start_date": "2025-04-15"}),
    "round_the_clock": ("round_the_clock.yaml", {**_SHORT, "run.days": 2}),
    "platform_off": ("baseline.yaml", {**_SHORT, "run.days": 2, "platform.enabled": False}),
}
"""Scenarios the reference is checked on: a library file and the changes made to it. Besides the
14-day baseline, one short case per mechanism: the park's call-forward binding (few places, a low
threshold), route choice by the shorter queue, many returned declarations, turn-away at full yards,
the Tet closure starting, the closure ending together with a capacity cut, a capacity cut at the
Chinese checkpoint, paper declarations at the counter, an initial backlog (many trucks at minute
0), the April 2025 suspensions at Huu Nghi (closures starting at the 07:00 opening, under
extended-hours events and a park used by half the exports), round-the-clock hours and the
platform switched off."""

EXPORT, IMPORT = DIRECTIONS.index("export"), DIRECTIONS.index("import")
GREEN, RED = 0, 2
INSIDE, CLEARED, TURNED_AWAY = 0, 1, 2
URGENT, NORMAL = 0, 1

# What an event does when it is taken from the heap.
_TRUCK, _FINISH, _CHECKED, _REVIEWED, _RESUBMIT, _FOLLOW, _OPENED, _SOURCE, _FINISH_QUEUED = range(9)

# Where a truck resumes.
(
    _START,
    _ARRIVED,
    _IMPORT_CHECKED,
    _CALLED,
    _TRAVELLED,
    _AT_GATE,
    _IN_YARD,
    _COUNTER_DONE,
    _PROCEDURES,
    _EXPORT_CHECKED,
    _CROSSED,
) = range(11)


class Lanes:
    """Lanes of one stage: counts, rate factor, open groups and a priority heap per group."""

    __slots__ = (
        "busy",
        "done",
        "factor",
        "group_open",
        "lanes",
        "opening",
        "queues",
        "rank",
        "seq",
        "service",
        "waiting",
    )

    def __init__(
        self, lanes: int, service: list[float], rank: list[int] | None, groups: int, done: int
    ) -> None:
        self.lanes = lanes
        self.service = service
        self.rank = rank
        self.busy = 0
        self.waiting = 0
        self.factor = 1.0
        self.group_open = [True] * groups
        self.opening = False
        self.queues: list[list[tuple[int, int, int]]] = [[] for _ in range(groups)]
        self.seq = itertools.count()
        self.done = done
        """Event kind pushed when a service ends: the truck resumes, or the platform's review ends."""


class Yard:
    """Places of a gate's yard for one direction with the road queue behind them."""

    __slots__ = ("busy", "capacity", "park", "road", "turn_away")

    def __init__(self, capacity: int | None, turn_away: bool) -> None:
        self.capacity = capacity
        self.turn_away = turn_away
        self.busy = 0
        self.road: deque[int] = deque()
        self.park: HoldingArea | None = None


class HoldingArea:
    """A gate's holding park: trucks held by priority class, called while the yard has room."""

    __slots__ = ("busy", "held", "in_transit", "places", "rank", "road", "seq", "threshold", "yard")

    def __init__(self, places: int | None, yard: Yard, threshold: int | None, rank: list[int] | None) -> None:
        self.places = places
        self.yard = yard
        self.threshold = threshold
        self.rank = rank
        self.busy = 0
        self.in_transit = 0
        self.held: list[tuple[int, int, int]] = []
        self.road: deque[int] = deque()
        self.seq = itertools.count()


@dataclass
class Prepared:
    """A scenario's trucks, draws, schedules and plain tables, ready for one :func:`run_loop`."""

    sc: Scenario
    arr: Arrivals
    draws: TruckDraws
    horizon: float
    followers: list[tuple[Lanes, tuple[float, ...], tuple[bool, ...], tuple[float, ...], int]]
    gate_pools: list[dict[str, Lanes | None]]
    yards: list[tuple[Yard, Yard]]
    parks: list[HoldingArea | None]
    routes: list[tuple[Lanes | None, Lanes | None, bool, bool]]
    shorter_queue: list[bool]
    export_routes: list[list[list[int]]]
    review: Lanes | None
    start: np.ndarray
    order: list[int]
    predeclared: list[bool]
    service: dict[str, list[float]] = field(default_factory=dict)
    tables: dict[str, list] = field(default_factory=dict)
    """Per-truck values as lists; ``route`` and the Chinese-side service times change during a run,
    and the lane pools, yards and park keep their state: a Prepared is run once."""


def _ranks(order: list[str], cargos: list[str], cargo: np.ndarray) -> list[int] | None:
    rank = priority_ranks(order, cargos, cargo) if cargo.size else None
    return None if rank is None else rank.tolist()


def prepare(
    sc: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
) -> Prepared:
    """Draw the scenario's trucks for *seed* as the model does and build the reference's tables.

    *arrivals*, when given, replace the generated ones, as ``Model(sc, seed, arrivals)`` does.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    arr = arrivals if arrivals is not None else generate_arrivals(sc, stream(root, "arrivals"))
    draws = draw_trucks(sc, arr, root)
    n = len(arr)
    cargos = list(sc.cargo_classes)
    keys = route_keys(sc)
    service = {stage: draws.service_min[stage].tolist() for stage in draws.service_min}
    service["review"] = [0.0] * n
    followers: list = []

    def follow(pool: Lanes, schedule: Any, group: int = 0) -> None:
        followers.append((pool, schedule.times, schedule.open, schedule.factor, group))

    gate_pools, yards, parks, routes, shorter, export_routes = [], [], [], [], [], []
    for gname, gate in sc.gates.items():
        pools: dict[str, Lanes | None] = {}
        for stage in LANE_STAGES:
            cfg = getattr(gate, stage)
            pools[stage] = None
            if cfg.enabled:
                pool = Lanes(cfg.lanes, service[stage], _ranks(cfg.priority, cargos, arr.cargo), 1, _TRUCK)
                follow(pool, build_schedule(sc, gate.stage_hours(stage), gname, stage))
                pools[stage] = pool
        gate_pools.append(pools)
        pair = []
        for direction in DIRECTIONS:
            spec = gate.parking.get(direction)
            pair.append(Yard(spec.capacity if spec else None, bool(spec and spec.when_full == "turn_away")))
        yards.append((pair[0], pair[1]))
        park = None
        if gate.park is not None and gate.park.enabled:
            cfg = gate.park
            below = cfg.call_forward_below if cfg.call_forward_below is not None else pair[EXPORT].capacity
            order = cfg.priority if cfg.order == "priority" else []
            park = HoldingArea(cfg.places, pair[EXPORT], below, _ranks(order, cargos, arr.cargo))
            pair[EXPORT].park = park
        parks.append(park)
        mine = [r for r, key in enumerate(keys) if key[0] == gname]
        export_routes.append(
            [
                [
                    k
                    for k, rr in zip(mine, gate.routes.values(), strict=True)
                    if route_share(rr, "export", c) > 0
                ]
                for c in cargos
            ]
        )
        shorter.append(gate.route_choice == "shorter_queue")
        for rname, route in gate.routes.items():
            check = None
            cfg = route.china_check
            if cfg.enabled:
                rank = _ranks(cfg.priority, cargos, arr.cargo)
                check = Lanes(cfg.lanes, service["china_check"], rank, len(DIRECTIONS), _TRUCK)
                for d, direction in enumerate(DIRECTIONS):
                    hours = cfg.hours_for(direction)
                    follow(
                        check,
                        build_schedule(sc, hours, gname, "china_check", CHINA_AHEAD_MIN, rname, direction),
                        d,
                    )
            cross = None
            cfg = route.crossing
            if cfg.enabled:
                cross = Lanes(
                    cfg.lanes, service["crossing"], _ranks(cfg.priority, cargos, arr.cargo), 1, _TRUCK
                )
                follow(cross, build_schedule(sc, gate.crossing_hours(rname), gname, "crossing", 0, rname))
            routes.append((check, cross, "export" in cfg.directions, "import" in cfg.directions))
    review = None
    if sc.platform.enabled:
        review = Lanes(sc.platform.officers, service["review"], None, 1, _REVIEWED)
        follow(review, build_schedule(sc, sc.platform.hours, None, "platform"))
    arrival = arr.time_min
    pre = draws.predeclared if review is not None else np.zeros(n, bool)
    start = np.where(pre, np.maximum(arrival - draws.lead_min, 0.0), arrival)
    gate_of, channel, quarantined = arr.gate.tolist(), draws.channel.tolist(), draws.quarantined.tolist()
    # Each truck's Vietnamese steps after approval, as lane pools in order.
    procedures = []
    for i in range(n):
        pools = gate_pools[gate_of[i]]
        steps = []
        if pools["gate_control"] is not None:
            steps.append(pools["gate_control"])
        if channel[i] != GREEN:
            if pools["customs_docs"] is not None:
                steps.append(pools["customs_docs"])
            if channel[i] == RED and pools["inspection"] is not None:
                steps.append(pools["inspection"])
        if quarantined[i] and pools["quarantine"] is not None:
            steps.append(pools["quarantine"])
        procedures.append(steps)
    tables = {
        "arrival": arrival.tolist(),
        "direction": arr.direction.tolist(),
        "gate": gate_of,
        "cargo": arr.cargo.tolist(),
        "parked": draws.parked.tolist(),
        "travel": draws.travel_min.tolist(),
        "route": draws.route.tolist(),
        "returns": draws.returns.tolist(),
        "auto_check": draws.auto_check_min.tolist(),
        "review": draws.review_min.tolist(),
        "correction": draws.correction_min.tolist(),
        "procedures": procedures,
    }
    return Prepared(
        sc=sc,
        arr=arr,
        draws=draws,
        horizon=horizon_min(sc),
        followers=followers,
        gate_pools=gate_pools,
        yards=yards,
        parks=parks,
        routes=routes,
        shorter_queue=shorter,
        export_routes=export_routes,
        review=review,
        start=start,
        order=np.argsort(start, kind="stable").tolist(),
        predeclared=pre.tolist(),
        service=service,
        tables=tables,
    )


def run_loop(p: Prepared) -> dict[str, Any]:
    """Run the prepared replay to the horizon: departures, outcomes and counts of heap events."""
    sc, arr, draws = p.sc, p.arr, p.draws
    n = len(arr)
    heap: list[tuple] = []
    push = heapq.heappush
    pop = heapq.heappop
    eid = itertools.count()
    now = 0.0
    visits = 0
    stats = {"redrawn": 0, "resubmitted": 0, "park_road": 0, "held_back": 0, "slowed": 0}

    t = p.tables
    arrival, direction, gate_of, cargo_of = t["arrival"], t["direction"], t["gate"], t["cargo"]
    parked, travel, route, returns = t["parked"], t["travel"], t["route"], t["returns"]
    auto_first, review_first, correction_first = t["auto_check"], t["review"], t["correction"]
    procedures = t["procedures"]
    later = draws.later_visits
    pre = p.predeclared
    review = p.review
    review_service = p.service["review"]
    check_service = p.service["china_check"]
    cross_service = p.service["crossing"]
    routes, yards, parks = p.routes, p.yards, p.parks
    counters = [pools["declaration_counter"] for pools in p.gate_pools]
    state = [_START] * n
    step = [0] * n
    visit = [0] * n
    approved = [False] * n
    waiting_approval = [False] * n
    chosen: list[tuple[Lanes | None, Lanes | None, bool, bool] | None] = [None] * n
    departure = np.full(n, np.nan)
    outcome = np.zeros(n, dtype=np.int8)
    shorter, export_routes = p.shorter_queue, p.export_routes
    keys = route_keys(sc)
    cargos = list(sc.cargo_classes)

    # -- lanes -------------------------------------------------------------------------------
    def start_service(pool: Lanes, i: int, kind: int = _FINISH) -> None:
        pool.busy += 1
        push(heap, (now + pool.service[i] / pool.factor, NORMAL, next(eid), kind, i, pool))

    def serve(pool: Lanes, i: int, group: int = 0) -> None:
        nonlocal visits
        visits += 1
        queue = pool.queues[group]
        if pool.group_open[group] and pool.busy < pool.lanes and not queue and not pool.opening:
            start_service(pool, i)
        else:
            rank = 0 if pool.rank is None else pool.rank[i]
            push(queue, (rank, next(pool.seq), i))
            pool.waiting += 1

    def start_waiting(pool: Lanes) -> None:
        while pool.busy < pool.lanes:
            best = None
            for queue, is_open in zip(pool.queues, pool.group_open, strict=True):
                if is_open and queue and (best is None or queue[0] < best[0]):
                    best = queue
            if best is None:
                return
            pool.waiting -= 1
            start_service(pool, pop(best)[2], _FINISH_QUEUED)

    def set_state(pool: Lanes, is_open: bool, factor: float, group: int) -> None:
        opens = is_open and not pool.group_open[group]
        pool.group_open[group] = is_open
        pool.factor = factor
        if factor != 1.0:
            stats["slowed"] += 1
        if opens and len(pool.group_open) > 1:
            if not pool.opening:
                pool.opening = True
                push(heap, (now, NORMAL, next(eid), _OPENED, 0, pool))
            return
        start_waiting(pool)

    # -- yard and park -----------------------------------------------------------------------
    def release(park: HoldingArea) -> None:
        yard = park.yard
        threshold = park.threshold
        while park.held and (threshold is None or yard.busy + len(yard.road) + park.in_transit < threshold):
            i = pop(park.held)[2]
            park.busy -= 1
            park.in_transit += 1
            push(heap, (now, NORMAL, next(eid), _TRUCK, i, None))
            if park.road:
                admit_park(park, park.road.popleft())
        if park.held:
            stats["held_back"] += 1

    def admit_park(park: HoldingArea, i: int) -> None:
        park.busy += 1
        push(park.held, (0 if park.rank is None else park.rank[i], next(park.seq), i))

    def leave(yard: Yard) -> None:
        yard.busy -= 1
        if yard.road:
            j = yard.road.popleft()
            yard.busy += 1
            push(heap, (now, NORMAL, next(eid), _TRUCK, j, None))
        if yard.park is not None:
            release(yard.park)

    # -- platform ----------------------------------------------------------------------------
    def submit(i: int) -> None:
        k = visit[i]
        auto = auto_first[i] if k == 0 else later[k - 1][i][0]
        push(heap, (now + auto, NORMAL, next(eid), _CHECKED, i, None))

    # -- route choice ------------------------------------------------------------------------
    def load(r: int) -> float:
        pool = routes[r][0]
        return 0.0 if pool is None else (pool.waiting + pool.busy) / pool.lanes

    def redraw(i: int, r: int) -> None:
        gname, rname = keys[r]
        rt = sc.gates[gname].routes[rname]
        cargo = cargos[cargo_of[i]]
        u_check, u_cross, u_mode = draws.route_uniforms[:, i : i + 1]
        stats["redrawn"] += 1
        route[i] = r
        check_service[i] = sc.lookup(rt.china_check.service_min, cargo).from_uniform(u_check)[0]
        direct = bool(u_mode[0] < rt.crossing.direct_share.get("export", 0.0))
        dist = rt.crossing.direct_min if direct else rt.crossing.trailer_swap_min
        cross_service[i] = dist.from_uniform(u_cross)[0]

    # -- a truck -----------------------------------------------------------------------------
    def truck(i: int) -> None:
        s = state[i]
        while True:
            if s >= _PROCEDURES:
                if s == _PROCEDURES:
                    seq = procedures[i]
                    k = step[i]
                    if k < len(seq):
                        step[i] = k + 1
                        state[i] = _PROCEDURES
                        serve(seq[k], i)
                        return
                    if direction[i] != EXPORT:
                        s = _CROSSED
                        continue
                    r = route[i]
                    g = gate_of[i]
                    if shorter[g]:
                        best, best_load = r, load(r)
                        for k in export_routes[g][cargo_of[i]]:
                            value = load(k)
                            if value < best_load:
                                best, best_load = k, value
                        if best != r:
                            redraw(i, best)
                        r = best
                    rp = chosen[i] = routes[r]
                    if rp[0] is not None:
                        serve(rp[0], i, EXPORT)
                        state[i] = _EXPORT_CHECKED
                        return
                    s = _EXPORT_CHECKED
                elif s == _EXPORT_CHECKED:
                    rp = chosen[i]
                    if rp[1] is not None and rp[2]:
                        serve(rp[1], i)
                        state[i] = _CROSSED
                        return
                    s = _CROSSED
                else:  # _CROSSED: leave the yard and the gate
                    leave(yards[gate_of[i]][direction[i]])
                    departure[i] = now
                    outcome[i] = CLEARED
                    return
            elif s == _START:
                if pre[i]:
                    submit(i)
                    wait = arrival[i] - now
                    if wait > 0:
                        push(heap, (now + wait, NORMAL, next(eid), _TRUCK, i, None))
                        state[i] = _ARRIVED
                        return
                s = _ARRIVED
            elif s == _ARRIVED:
                if direction[i] == IMPORT:
                    check = routes[route[i]][0]
                    if check is not None:
                        serve(check, i, IMPORT)
                        state[i] = _IMPORT_CHECKED
                        return
                    s = _IMPORT_CHECKED
                else:
                    park = parks[gate_of[i]]
                    if park is not None and parked[i]:
                        if park.places is None or (park.busy < park.places and not park.road):
                            admit_park(park, i)
                        else:
                            park.road.append(i)
                            stats["park_road"] += 1
                        release(park)
                        state[i] = _CALLED
                        return
                    s = _AT_GATE
            elif s == _IMPORT_CHECKED:
                rp = routes[route[i]]
                if rp[1] is not None and rp[3]:
                    serve(rp[1], i)
                    state[i] = _AT_GATE
                    return
                s = _AT_GATE
            elif s == _CALLED:
                minutes = travel[i]
                if minutes > 0:
                    push(heap, (now + minutes, NORMAL, next(eid), _TRUCK, i, None))
                    state[i] = _TRAVELLED
                    return
                s = _TRAVELLED
            elif s == _TRAVELLED:
                parks[gate_of[i]].in_transit -= 1
                s = _AT_GATE
            elif s == _AT_GATE:
                yard = yards[gate_of[i]][direction[i]]
                cap = yard.capacity
                if cap is None or (yard.busy < cap and not yard.road):
                    yard.busy += 1
                    s = _IN_YARD
                elif yard.turn_away:
                    outcome[i] = TURNED_AWAY
                    departure[i] = now
                    return
                else:
                    yard.road.append(i)
                    state[i] = _IN_YARD
                    return
            elif s == _IN_YARD:
                if review is not None:
                    if not pre[i]:
                        counter = counters[gate_of[i]]
                        if counter is not None:
                            serve(counter, i)
                            state[i] = _COUNTER_DONE
                            return
                        s = _COUNTER_DONE
                        continue
                    if not approved[i]:
                        waiting_approval[i] = True
                        state[i] = _PROCEDURES
                        return
                s = _PROCEDURES
            else:  # _COUNTER_DONE
                approved[i] = True
                s = _PROCEDURES

    def reviewed(i: int) -> None:
        k = visit[i]
        if k < returns[i]:
            correction = correction_first[i] if k == 0 else later[k - 1][i][2]
            visit[i] = k + 1
            push(heap, (now + correction, NORMAL, next(eid), _RESUBMIT, i, None))
        else:
            approved[i] = True
            if waiting_approval[i]:
                waiting_approval[i] = False
                push(heap, (now, NORMAL, next(eid), _TRUCK, i, None))

    # -- the loop ----------------------------------------------------------------------------
    followers = p.followers
    follow_at = [0] * len(followers)

    def follow(f: int, waited: bool) -> None:
        pool, times, opens, factors, group = followers[f]
        k = follow_at[f]
        if waited:
            set_state(pool, opens[k], factors[k], group)
            k += 1
        while k < len(times):
            t = times[k]
            if t > now:
                push(heap, (now + (t - now), NORMAL, next(eid), _FOLLOW, f, None))
                break
            set_state(pool, opens[k], factors[k], group)
            k += 1
        follow_at[f] = k

    start, order = p.start.tolist(), p.order
    source_at = 0

    def source(waited: bool) -> None:
        nonlocal source_at
        k = source_at
        if waited:
            push(heap, (now, URGENT, next(eid), _TRUCK, order[k], None))
            k += 1
        while k < n:
            t = start[order[k]]
            if t > now:
                push(heap, (now + (t - now), NORMAL, next(eid), _SOURCE, 0, None))
                break
            push(heap, (now, URGENT, next(eid), _TRUCK, order[k], None))
            k += 1
        source_at = k

    # A process's first step is an urgent event at 0, in the order the model starts them.
    for f in range(len(followers)):
        push(heap, (0.0, URGENT, next(eid), _FOLLOW, f, True))
    push(heap, (0.0, URGENT, next(eid), _SOURCE, 0, True))
    horizon = p.horizon
    processed = 0
    while heap and heap[0][0] < horizon:
        now, prio, _, kind, i, extra = pop(heap)
        processed += 1
        if kind == _TRUCK:
            truck(i)
        elif kind == _FINISH:  # a truck that found a lane free goes on once the lane is handed on
            pool = extra
            pool.busy -= 1
            if pool.waiting:
                start_waiting(pool)
            if pool.done == _TRUCK:
                truck(i)
            else:
                reviewed(i)
        elif kind == _FINISH_QUEUED:  # a truck that queued: an event of its own, first
            pool = extra
            pool.busy -= 1
            push(heap, (now, NORMAL, next(eid), pool.done, i, None))
            if pool.waiting:
                start_waiting(pool)
        elif kind == _CHECKED:
            k = visit[i]
            review_service[i] = review_first[i] if k == 0 else later[k - 1][i][1]
            serve(review, i)
        elif kind == _REVIEWED:
            reviewed(i)
        elif kind == _RESUBMIT:
            stats["resubmitted"] += 1
            submit(i)
        elif kind == _FOLLOW:
            follow(i, prio == NORMAL)
        elif kind == _SOURCE:
            source(prio == NORMAL)
        else:  # _OPENED
            extra.opening = False
            start_waiting(extra)
    pushed = next(eid)
    return {
        "departure_min": departure,
        "outcome": outcome,
        "trucks": n,
        "heap_events": pushed,
        "heap_events_processed": processed,
        "lane_visits": visits,
        **stats,
    }


def load_case(name: str) -> Scenario:
    """The scenario of one of :data:`CASES`."""
    path, changes = CASES[name]
    return load_scenario(SCENARIOS / path, changes)


def replay(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
) -> dict[str, Any]:
    """Replay *scenario* for *seed* without SimPy: per-truck departure minutes (NaN: still inside
    at the horizon) and outcomes (0 inside, 1 cleared, 2 turned away), and counts of heap events
    (pushed and processed), of lane-pool visits and of a few mechanisms at work (``redrawn``
    routes, ``resubmitted`` declarations, trucks queueing on the ``park_road``, call-forwards
    ``held_back`` by a full yard, schedule changes to a ``slowed`` rate)."""
    return run_loop(prepare(scenario, seed, arrivals))


def run_model(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
) -> tuple[Any, int, float]:
    """The model's run of *scenario*: its RunData, SimPy events scheduled, and the run's CPU seconds."""
    from sim.world.model import Model

    model = Model(scenario, seed, arrivals)
    started = time.process_time()
    data = model.run()
    cpu = time.process_time() - started
    return data, next(model.env._eid), cpu


def identical(data: Any, ref: dict[str, Any]) -> int:
    """How many trucks leave at the same minute (both NaN counts as the same) with the same outcome."""
    a, b = data.times["departure_min"], ref["departure_min"]
    same = ((a == b) | (np.isnan(a) & np.isnan(b))) & (data.outcome == ref["outcome"])
    return int(same.sum())


def compare(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
) -> dict[str, Any]:
    """Run the model and the reference on *scenario* and assert equal departures truck by truck.

    Equality is exact (``np.array_equal(..., equal_nan=True)``), outcomes too. Returns the counts.
    """
    data, simpy_events, _ = run_model(scenario, seed, arrivals)
    ref = replay(scenario, seed, arrivals)
    dep = data.times["departure_min"]
    assert dep.shape == ref["departure_min"].shape, "the model and the reference saw different trucks"
    same = identical(data, ref)
    assert np.array_equal(dep, ref["departure_min"], equal_nan=True), (
        f"departures differ: {same} of {dep.size} trucks identical"
    )
    assert np.array_equal(data.outcome, ref["outcome"]), "outcomes differ"
    return {
        "trucks": int(dep.size),
        "identical": same,
        "cleared": int((ref["outcome"] == CLEARED).sum()),
        "turned_away": int((ref["outcome"] == TURNED_AWAY).sum()),
        "inside": int((ref["outcome"] == INSIDE).sum()),
        "simpy_events": simpy_events,
        "heap_events": ref["heap_events"],
        **{k: ref[k] for k in ("redrawn", "resubmitted", "park_road", "held_back", "slowed")},
    }


def require_this_checkout() -> None:
    """Stop unless ``sim`` is imported from this checkout: a benchmark of an installed copy from
    elsewhere would time other code than the one beside it."""
    import sim

    where = Path(sim.__file__).resolve()
    if not where.is_relative_to(ROOT):
        raise SystemExit(f"sim is imported from {where.parent}, not from {ROOT}: run with PYTHONPATH={ROOT}")


def main() -> None:
    """Command line: check that the model's and the reference's departures are equal; exit 1 if not."""
    require_this_checkout()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--cases", action="store_true", help="check every case of CASES instead")
    args = parser.parse_args()
    if args.cases:
        scenarios = {name: load_case(name) for name in CASES}
    else:
        scenarios = {args.scenario.stem: load_scenario(args.scenario, {"run.days": args.days})}
    results = {}
    for name, sc in scenarios.items():
        started = time.perf_counter()
        results[name] = {**compare(sc, args.seed), "wall_s": time.perf_counter() - started}
        if not args.json:
            r = results[name]
            print(f"{name}: departures identical for {r['identical']:,} of {r['trucks']:,} trucks")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
