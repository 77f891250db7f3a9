"""A run started from a state rather than from empty: the trucks in the system at a clock time,
each at its step, and the declarations the platform is working on.

:func:`capture` reads that state off a model paused at a clock time (a run's snapshot);
:class:`Start` puts it back into a new model (``Model(..., start=...)``), which then runs on from
that time. Fed the same trucks and draws, the new run continues the old one exactly: every step
under way ends at the minute it would have (:func:`sim.world.model.delay_to`) and every queue keeps
its order. A state read from a file (:mod:`sim.world.state_files`) fills the same structures.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.world.demand import Arrivals
from sim.world.model import (
    APPROVAL,
    ARRIVE,
    EXPORT,
    EXPORT_CHECK,
    EXPORT_CROSS,
    GATE_CONTROL,
    IMPORT,
    IMPORT_CHECK,
    IMPORT_CROSS,
    INSIDE,
    PARK,
    STEPS,
    TIME_COLUMNS,
    TRAVEL,
    YARD,
    Model,
    TruckDraws,
    delay_to,
)
from sim.world.schema.names import DIRECTIONS, LANE_STAGES
from sim.world.stages import LanePool

STAGE_STEPS = {stage: GATE_CONTROL + k for k, stage in enumerate(LANE_STAGES[1:])}
"""The step of each Vietnamese lane stage but the counter (which is the ``approval`` step)."""
PHASES = ("check", "review_queue", "review", "correction")
"""Where a declaration not yet approved is on the platform: its automatic check, waiting for an
officer, in review, or returned and being corrected by the firm."""


@dataclass
class LiveTruck:
    """A truck in the system (or declared and on its way) at the start: its step and since when.

    ``end_min``: when the step under way ends (a service, the drive from the park, the arrival
    of a declared truck); NaN when the truck waits. ``order``: its place in the queue it waits
    in (lower first; ties keep the list's order). ``in_park``: at the ``park`` step, in the park
    (False: on the road before the full park). ``times``: the truck log's times known by then.
    """

    truck: int
    step: int
    since_min: float
    end_min: float = math.nan
    order: float = 0.0
    in_park: bool = True
    times: dict[str, float] = field(default_factory=dict)
    route: int | None = None
    """Its route (index into :func:`sim.world.model.route_keys`) where it may differ from the drawn
    one: an export that moved to the shorter queue keeps that route."""

    @property
    def in_service(self) -> bool:
        return not math.isnan(self.end_min)


@dataclass
class LiveDeclaration:
    """A declaration not yet approved at the start: its phase (:data:`PHASES`), its review visit
    (0 first; a returned one is reviewed again), when the phase under way ends (NaN: waiting) and
    its place in the officers' queue."""

    truck: int
    phase: str
    visit: int = 0
    end_min: float = math.nan
    order: float = 0.0


@dataclass
class Start:
    """Where every truck and declaration is at ``at_min`` (model minutes): a run's starting state."""

    at_min: float
    trucks: list[LiveTruck] = field(default_factory=list)
    declarations: list[LiveDeclaration] = field(default_factory=list)

    def restore(self, model: Model) -> None:
        """Put the state into *model*, built but not yet run (called by ``Model.__init__``)."""
        env, t = model.env, self.at_min
        for m in model.monitors.values():
            m.start_at(t)
        waits: dict[int, list[tuple[float, int, int, LiveTruck]]] = {}
        pools: dict[int, LanePool] = {}
        for lt in self.trucks:
            i = lt.truck
            model.live[i] = True
            if lt.route is not None and lt.route != int(model.draws.route[i]):
                if model.draws.route_uniforms is None:
                    raise ValueError(
                        f"truck {i}: its route differs from the drawn one and the gate has no route choice"
                    )
                model._redraw(i, lt.route)
            for col, v in lt.times.items():
                model.times[col][i] = v
        yard_in: dict[tuple[int, int], int] = {}
        for k, lt in enumerate(sorted(self.trucks, key=lambda x: (x.order, x.since_min))):
            i, step = lt.truck, lt.step
            direction, gate = int(model.arr.direction[i]), model.gates[int(model.arr.gate[i])]
            if step > YARD:
                yard_in[(int(model.arr.gate[i]), direction)] = (
                    yard_in.get((int(model.arr.gate[i]), direction), 0) + 1
                )
            pre = bool(model.platform is not None and model.draws.predeclared[i])
            first: simpy.Event | None = None
            if step in (ARRIVE, TRAVEL):
                if step == TRAVEL:
                    gate.park.in_transit += 1
                first = env.timeout(delay_to(t, lt.end_min))
            elif step == PARK:
                first = gate.park.resume_held(i) if lt.in_park else gate.park.resume_road(i)
            elif step == YARD:
                first = gate.yards[direction].resume_road(i)
            elif step == APPROVAL and pre:
                if math.isnan(model.times["approved_min"][i]):
                    first = simpy.Event(env)
                    model.platform.waiting[i] = first
                else:  # approved already: on to gate control
                    first = env.timeout(0)
            else:
                pool, group = _pool_of(model, i, step)
                pools[id(pool)] = pool
                if lt.in_service:
                    first = pool.resume_service(i, lt.end_min, delay_to(t, lt.end_min))
                    if math.isnan(pool.start_log[i]):
                        pool.start_log[i] = lt.since_min
                else:
                    waits.setdefault(id(pool), []).append((lt.order, k, group, lt))
            if first is not None:
                env.process(model._truck(i, pre, step, first))
        for pid, queue in waits.items():  # every group of a pool in one order: they compete
            for _, _, group, lt in sorted(queue, key=lambda x: (x[0], x[1])):
                first = pools[pid].resume_waiting(lt.truck, group)
                pre = bool(model.platform is not None and model.draws.predeclared[lt.truck])
                env.process(model._truck(lt.truck, pre, lt.step, first))
        for (g, direction), count in yard_in.items():
            model.gates[g].yards[direction].add_busy(count)
        self._restore_declarations(model)
        env.process(_fill(model))

    def _restore_declarations(self, model: Model) -> None:
        platform = model.platform
        if platform is None:
            if self.declarations:
                raise ValueError("the state has declarations under review but the platform is off")
            return
        t, draws, review = self.at_min, model.draws, platform.review
        waiting = []
        for dec in self.declarations:
            i, k = dec.truck, dec.visit
            review.service_min[i] = draws.review_min[i] if k == 0 else draws.later_visits[k - 1][i][1]
            if dec.phase in ("check", "correction"):
                platform.resume_timed(i, k, dec.end_min, dec.phase == "correction")
            elif dec.phase == "review":
                platform.resume_review(i, k, review.resume_service(i, dec.end_min, delay_to(t, dec.end_min)))
            else:
                waiting.append(dec)
        for dec in sorted(waiting, key=lambda d: d.order):
            platform.resume_review(dec.truck, dec.visit, review.resume_waiting(dec.truck))


PLACE_OF_STEP = {
    IMPORT_CHECK: "china_side",
    IMPORT_CROSS: "china_side",
    TRAVEL: "travel",
    YARD: "road",
    EXPORT_CHECK: "to_china",
    EXPORT_CROSS: "to_china",
}
"""The place (:data:`sim.world.schema.names.HELD_PLACES`) of a truck at each step; the others:
``arrive`` is ``enroute`` or ``outside``, ``park`` is the park or the road before it, and the
steps from ``approval`` to ``quarantine`` are in the yard."""


def place_of(lt: LiveTruck, export: bool, outside_min: float, at_min: float) -> str | None:
    """Where truck *lt* is at *at_min*, as the tables name places; None for a declared import on
    its way, which no place counts until it reaches the Chinese side. An export on its way is
    ``outside`` for the last *outside_min* before it arrives."""
    if lt.step == ARRIVE:
        if not export:
            return None
        return "outside" if outside_min > 0 and lt.end_min - outside_min <= at_min else "enroute"
    if lt.step == PARK:
        return "park" if lt.in_park else "road"
    return PLACE_OF_STEP.get(lt.step, "yard")


def places_of(start: Start, arrivals: Arrivals, draws: TruckDraws) -> dict[tuple[int, str, str], int]:
    """Trucks of *start* per (gate index, direction, place): what the run holds at its start."""
    out: dict[tuple[int, str, str], int] = {}
    outside = draws.outside_min
    for lt in start.trucks:
        i = lt.truck
        direction = int(arrivals.direction[i])
        o = 0.0 if outside is None else float(outside[i])
        place = place_of(lt, direction == EXPORT, o, start.at_min)
        if place is not None:
            key = (int(arrivals.gate[i]), DIRECTIONS[direction], place)
            out[key] = out.get(key, 0) + 1
    return out


def _fill(model: Model) -> Generator:
    """Once the opening hours are set at the start, start waiting trucks on free lanes, let trucks
    on a road into free places and call trucks forward from parks with room: nothing, when the
    state is a run's own."""
    yield model.env.timeout(0)
    for m in model.monitors.values():
        if isinstance(m, LanePool):
            m.fill()
    for gate in model.gates:
        for yard in gate.yards:
            yard.admit_road()
        if gate.park is not None:
            gate.park.admit_road()
            gate.park.release(model.env.now)


def stage_of_step(step: int) -> str:
    """The stage (its key in the truck log's ``<stage>_start_min``) a truck is served at in *step*."""
    if step in (IMPORT_CHECK, EXPORT_CHECK):
        return "china_check"
    if step in (IMPORT_CROSS, EXPORT_CROSS):
        return "crossing"
    if step == APPROVAL:
        return "declaration_counter"
    return STEPS[step]


def _pool_of(model: Model, i: int, step: int) -> tuple[LanePool, int]:
    """The lane pool truck *i* is in at *step*, and its group there."""
    gate = model.gates[int(model.arr.gate[i])]
    if step in (IMPORT_CHECK, IMPORT_CROSS, EXPORT_CHECK, EXPORT_CROSS):
        route = model.routes[int(model.draws.route[i])]
        if step in (IMPORT_CHECK, EXPORT_CHECK):
            pool, group = route.china_check, IMPORT if step == IMPORT_CHECK else EXPORT
        else:
            pool, group = route.crossing, 0
    else:
        pool, group = gate.pools[stage_of_step(step)], 0
    if pool is None:
        raise ValueError(f"truck {i} is at the {STEPS[step]} step, which its gate or route does not have")
    return pool, group


def capture(model: Model) -> Start:
    """The state of *model*, run up to a clock time and paused there (``model.env.run(until=t)``):
    every truck not gone, at its step, and every declaration not yet approved."""
    t = float(model.env.now)
    times, arr = model.times, model.arr
    found: dict[int, LiveTruck] = {}

    def add(i: int, step: int, since: float, end: float = math.nan, order: float = 0.0, in_park: bool = True):
        known = {c: float(times[c][i]) for c in TIME_COLUMNS if not math.isnan(times[c][i])}
        if math.isnan(since):  # waiting: since its last step ended
            since = max((v for v in known.values() if v <= t), default=t)
        route = int(model.draws.route[i])
        found[i] = LiveTruck(i, step, since, end, order, in_park, known, route)

    for gate in model.gates:
        for stage, pool in gate.pools.items():
            if pool is None:
                continue
            step = APPROVAL if stage == "declaration_counter" else STAGE_STEPS[stage]
            _add_pool(add, pool, step, step, times, stage)
        for yard in gate.yards:
            for k, (i, _) in enumerate(yard.road):
                add(i, YARD, float(times["gate_arrival_min"][i]), order=k)
        if gate.park is not None:
            for k, (_, i) in enumerate(gate.park.queued()):
                add(i, PARK, float(times["park_in_min"][i]), order=k)
            for k, (i, _) in enumerate(gate.park.road):
                add(i, PARK, float(times["arrival_min"][i]), order=k, in_park=False)
    for route in model.routes:
        if route.china_check is not None:
            _add_pool(add, route.china_check, IMPORT_CHECK, EXPORT_CHECK, times, "china_check", arr.direction)
        if route.crossing is not None:
            _add_pool(add, route.crossing, IMPORT_CROSS, EXPORT_CROSS, times, "crossing", arr.direction)
    parked = model.draws.parked
    travel = (model.outcome == INSIDE) & ~np.isnan(times["called_min"]) & np.isnan(times["gate_arrival_min"])
    for i in np.flatnonzero(travel & parked).tolist():
        called = float(times["called_min"][i])
        add(i, TRAVEL, called, called + float(model.draws.travel_min[i]))
    if model.platform is not None:
        for i in model.platform.waiting:
            add(i, APPROVAL, float(times["yard_in_min"][i]))
        submitted = times["submitted_min"]
        on_way = np.flatnonzero((submitted < t) & (times["arrival_min"] >= t))
        for i in on_way.tolist():
            s = float(submitted[i])
            add(i, ARRIVE, s, s + (float(times["arrival_min"][i]) - s))
    missing = np.flatnonzero(
        (model.outcome == INSIDE) & (np.fmin(times["submitted_min"], times["arrival_min"]) < t)
    )
    lost = sorted(set(missing.tolist()) - set(found))
    if lost:
        raise RuntimeError(f"{len(lost)} trucks in the system were found at no step (first: {lost[:5]})")
    return Start(t, [found[i] for i in sorted(found)], _declarations(model))


def _add_pool(
    add, pool: LanePool, import_step: int, export_step: int, times, stage: str, direction=None
) -> None:
    for i, end in pool.due.items():
        step = export_step if direction is None or direction[i] == EXPORT else import_step
        add(i, step, float(times[f"{stage}_start_min"][i]), end)
    for k, (_, _, i) in enumerate(pool.queued()):
        step = export_step if direction is None or direction[i] == EXPORT else import_step
        add(i, step, math.nan, order=k)


def _declarations(model: Model) -> list[LiveDeclaration]:
    platform = model.platform
    if platform is None:
        return []
    out = []
    for i, (end, correcting) in platform.timed.items():
        out.append(LiveDeclaration(i, "correction" if correcting else "check", int(platform.visit[i]), end))
    for i, end in platform.review.due.items():
        out.append(LiveDeclaration(i, "review", int(platform.visit[i]), end))
    for k, (_, _, i) in enumerate(platform.review.queued()):
        out.append(LiveDeclaration(i, "review_queue", int(platform.visit[i]), order=k))
    return sorted(out, key=lambda d: d.truck)
