"""The model's flow as a SimPy user would write it from the SimPy documentation.

    python benchmarks/simpy_reference.py --days 14          # match against the model
    python benchmarks/simpy_reference.py --case turn_away   # one of heap_reference.CASES

A process per truck; a ``simpy.PriorityResource`` per lane pool, requested with the truck's cargo
class rank (lower first; SimPy orders equal ranks by the time of the request, then by the order
in which requests were made) and held for ``service / factor`` minutes; a process per schedule
that sets the pool's rate factor and, while the pool is closed, holds every lane with requests of
a higher priority than any truck's (a service under way when it closes finishes; nothing starts
until it opens). The Chinese checkpoint shares its lanes between exports and imports, which keep
different hours: a truck waits for its direction's opening, then requests a lane, and gives its
request up if its direction closes first (the reneging pattern ``yield req | event`` of the
SimPy examples). The yards are ``simpy.Resource`` objects (the road queue is the resource's
queue; a full yard that turns trucks away is seen in its ``count``); the platform's officers are a
``PriorityResource`` with the platform's hours, and each declaration is a process (automatic
check, review, correction and resubmission) that succeeds the truck's approval event; the holding
park is a ``Resource`` of places (its road queue in front) and a heap of held trucks called forward
by priority class while the yard's trucks, its road queue and the trucks on their way number fewer
than the threshold.

It shares with the model only the scenario loader and the draws made before the run
(:func:`~sim.world.demand.generate_arrivals`, :func:`~sim.world.model.draw_trucks`,
:func:`~sim.world.calendar.build_schedule`, :func:`~sim.world.model.route_keys`,
:func:`~sim.world.model.priority_ranks`, :func:`~sim.world.model.stream`), as
``heap_reference.py`` does, and never the model's classes.

It does not replay the model exactly. A lane freed in SimPy passes to the next request through the
release event, processed after the releasing truck's step, where the model starts the next service
in the same callback; a checkpoint's trucks request again at each opening of their direction, and
directions opening together are not made to compete by priority class first. Ties at one instant
are broken differently, and a truck overtaken once shifts the trucks behind it. On the 14-day
baseline (seed 0, 23,884 trucks) 13,627 departures (57%) are identical to the model's; the mean
departure difference is -0.12 minutes (mean absolute 1.28 minutes, among the trucks gone in both);
23,795 trucks are cleared and 89 still inside in both, none turned away. On the ``turn_away`` case
(3 days, yards that turn trucks away) 939 are turned away against the model's 947 (0.8% fewer)
and 4,766 cleared against 4,757. ``--days`` or ``--case`` prints these statistics for any run.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from heap_reference import BASELINE, CASES, CLEARED, INSIDE, TURNED_AWAY, load_case, run_model

from sim.world.calendar import CHINA_AHEAD_MIN, build_schedule, horizon_min
from sim.world.demand import Arrivals, generate_arrivals
from sim.world.model import draw_trucks, priority_ranks, route_keys, stream
from sim.world.scenario import Scenario, route_share
from sim.world.scenario_files import load_scenario
from sim.world.schema.names import DIRECTIONS, LANE_STAGES

EXPORT, IMPORT = DIRECTIONS.index("export"), DIRECTIONS.index("import")
GREEN, RED = 0, 2
CLOSED = -1
"""Priority of the requests that hold a closed pool's lanes: ahead of every truck."""


class Pool:
    """A lane pool: a PriorityResource, the rate factor, and per-direction opening state."""

    def __init__(
        self, env: simpy.Environment, lanes: int, service: list[float], rank: list[int] | None
    ) -> None:
        self.env = env
        self.lanes = lanes
        self.res = simpy.PriorityResource(env, capacity=lanes)
        self.service = service
        self.rank = rank
        self.factor = 1.0
        self.trucks = 0
        """Trucks waiting or served here (the load that route choice compares)."""
        self.open = [True, True]
        self.opened = [env.event(), env.event()]
        self.closed = [env.event(), env.event()]


class Park:
    """A holding park: places (None: unlimited) and the trucks held until called forward."""

    def __init__(
        self,
        env: simpy.Environment,
        places: int | None,
        yard: simpy.Resource | None,
        threshold: int | None,
        rank: list[int] | None,
    ) -> None:
        self.places = None if places is None else simpy.Resource(env, capacity=places)
        self.yard = yard
        self.threshold = threshold
        self.rank = rank
        self.held: list[tuple[int, int, simpy.Event]] = []
        self.seq = itertools.count()
        self.in_transit = 0

    def call_forward(self) -> None:
        """Call held trucks, best priority class first, while the yard has room for them."""
        yard = self.yard
        while self.held and (
            self.threshold is None
            or yard is None
            or yard.count + len(yard.queue) + self.in_transit < self.threshold
        ):
            self.in_transit += 1
            heapq.heappop(self.held)[2].succeed()


def _ranks(order: list[str], cargos: list[str], cargo: np.ndarray) -> list[int] | None:
    rank = priority_ranks(order, cargos, cargo) if cargo.size else None
    return None if rank is None else rank.tolist()


def hours(env: simpy.Environment, pool: Pool, schedule: Any) -> Generator:
    """Follow a one-direction schedule: set the factor; hold every lane while closed."""
    holders: list[simpy.Event] = []
    for t, is_open, factor in zip(schedule.times, schedule.open, schedule.factor, strict=True):
        t = float(t)
        if t > env.now:
            yield env.timeout(t - env.now)
        pool.factor = float(factor)
        if not is_open and not holders:
            holders = [pool.res.request(priority=CLOSED) for _ in range(pool.lanes)]
        elif is_open and holders:
            for req in holders:  # the ones still queueing go first: a release would grant them
                if not req.triggered:
                    req.cancel()
            for req in holders:
                if req.triggered:
                    pool.res.release(req)
            holders = []


def direction_hours(env: simpy.Environment, pool: Pool, schedule: Any, group: int) -> Generator:
    """Follow one direction's schedule at a checkpoint whose lanes both directions share."""
    for t, is_open, factor in zip(schedule.times, schedule.open, schedule.factor, strict=True):
        t = float(t)
        if t > env.now:
            yield env.timeout(t - env.now)
        pool.factor = float(factor)
        if is_open != pool.open[group]:
            pool.open[group] = is_open
            changed = pool.opened if is_open else pool.closed
            changed[group].succeed()
            changed[group] = env.event()


def build(sc: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None) -> dict:
    """The SimPy world of *sc* for *seed*, ready to run: ``run(world)`` runs it to the horizon."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    arr = arrivals if arrivals is not None else generate_arrivals(sc, stream(root, "arrivals"))
    draws = draw_trucks(sc, arr, root)
    n = len(arr)
    env = simpy.Environment()
    cargos = list(sc.cargo_classes)
    keys = route_keys(sc)
    service = {stage: values.tolist() for stage, values in draws.service_min.items()}
    arrival = arr.time_min.tolist()
    direction, gate_of, cargo_of = arr.direction.tolist(), arr.gate.tolist(), arr.cargo.tolist()
    channel, quarantined = draws.channel.tolist(), draws.quarantined.tolist()
    parked, travel, route = draws.parked.tolist(), draws.travel_min.tolist(), draws.route.tolist()
    departure = np.full(n, np.nan)
    outcome = np.zeros(n, dtype=np.int8)
    stats = {"redrawn": 0, "resubmitted": 0}

    gates = []
    for gname, gate in sc.gates.items():
        pools: dict[str, Pool | None] = {}
        for stage in LANE_STAGES:
            cfg = getattr(gate, stage)
            pools[stage] = None
            if cfg.enabled:
                pool = Pool(env, cfg.lanes, service[stage], _ranks(cfg.priority, cargos, arr.cargo))
                env.process(hours(env, pool, build_schedule(sc, gate.stage_hours(stage), gname, stage)))
                pools[stage] = pool
        yards = []
        for d in DIRECTIONS:
            spec = gate.parking.get(d)
            cap = spec.capacity if spec else None
            yards.append(
                (
                    None if cap is None else simpy.Resource(env, capacity=cap),
                    bool(spec and spec.when_full == "turn_away"),
                )
            )
        park = None
        if gate.park is not None and gate.park.enabled:
            cfg = gate.park
            yard = yards[EXPORT][0]
            below = cfg.call_forward_below
            if below is None and yard is not None:
                below = yard.capacity
            rank = _ranks(cfg.priority if cfg.order == "priority" else [], cargos, arr.cargo)
            park = Park(env, cfg.places, yard, below, rank)
        mine = [r for r, key in enumerate(keys) if key[0] == gname]
        candidates = [
            [k for k, rr in zip(mine, gate.routes.values(), strict=True) if route_share(rr, "export", c) > 0]
            for c in cargos
        ]
        gates.append((pools, yards, park, gate.route_choice == "shorter_queue", candidates))

    routes = []
    for gname, gate in sc.gates.items():
        for rname, rt in gate.routes.items():
            check = cross = None
            if rt.china_check.enabled:
                cfg = rt.china_check
                check = Pool(env, cfg.lanes, service["china_check"], _ranks(cfg.priority, cargos, arr.cargo))
                for d, dname in enumerate(DIRECTIONS):
                    schedule = build_schedule(
                        sc, cfg.hours_for(dname), gname, "china_check", CHINA_AHEAD_MIN, rname, dname
                    )
                    env.process(direction_hours(env, check, schedule, d))
            cfg = rt.crossing
            if cfg.enabled:
                cross = Pool(env, cfg.lanes, service["crossing"], _ranks(cfg.priority, cargos, arr.cargo))
                schedule = build_schedule(sc, gate.crossing_hours(rname), gname, "crossing", 0, rname)
                env.process(hours(env, cross, schedule))
            routes.append((check, cross, "export" in cfg.directions, "import" in cfg.directions))

    review = None
    if sc.platform.enabled:
        review = Pool(env, sc.platform.officers, [], None)
        env.process(hours(env, review, build_schedule(sc, sc.platform.hours, None, "platform")))
    pre = (draws.predeclared if review is not None else np.zeros(n, bool)).tolist()
    approved = [env.event() for _ in range(n)] if review is not None else []

    def serve(pool: Pool, i: int) -> Generator:
        """Wait for a lane by priority class and hold it for the truck's service."""
        pool.trucks += 1
        with pool.res.request(priority=0 if pool.rank is None else pool.rank[i]) as req:
            yield req
            yield env.timeout(pool.service[i] / pool.factor)
        pool.trucks -= 1

    def check(pool: Pool, i: int, group: int) -> Generator:
        """A lane of a checkpoint in *group*'s hours: give the request up if they end first."""
        pool.trucks += 1
        rank = 0 if pool.rank is None else pool.rank[i]
        while True:
            if not pool.open[group]:
                yield pool.opened[group]
            req = pool.res.request(priority=rank)
            yield req | pool.closed[group]
            if req.triggered:
                break
            req.cancel()
        yield env.timeout(pool.service[i] / pool.factor)
        pool.res.release(req)
        pool.trucks -= 1

    def declare(i: int) -> Generator:
        """A declaration on the platform: checks and reviews until approved."""
        for k in range(int(draws.returns[i]) + 1):
            if k == 0:
                auto, minutes, correction = (
                    draws.auto_check_min[i],
                    draws.review_min[i],
                    draws.correction_min[i],
                )
            else:
                auto, minutes, correction = draws.later_visits[k - 1][i]
            yield env.timeout(float(auto))
            with review.res.request(priority=0) as req:
                yield req
                yield env.timeout(float(minutes) / review.factor)
            if k < draws.returns[i]:
                yield env.timeout(float(correction))
                stats["resubmitted"] += 1
        approved[i].succeed()

    def redraw(i: int, r: int) -> None:
        gname, rname = keys[r]
        rt = sc.gates[gname].routes[rname]
        u_check, u_cross, u_mode = draws.route_uniforms[:, i : i + 1]
        stats["redrawn"] += 1
        service["china_check"][i] = sc.lookup(rt.china_check.service_min, cargos[cargo_of[i]]).from_uniform(
            u_check
        )[0]
        direct = bool(u_mode[0] < rt.crossing.direct_share.get("export", 0.0))
        dist = rt.crossing.direct_min if direct else rt.crossing.trailer_swap_min
        service["crossing"][i] = dist.from_uniform(u_cross)[0]

    def load(r: int) -> float:
        pool = routes[r][0]
        return 0.0 if pool is None else pool.trucks / pool.lanes

    def truck(i: int) -> Generator:
        """One truck from its declaration (or arrival) to its departure."""
        if pre[i]:
            env.process(declare(i))
            if arrival[i] > env.now:
                yield env.timeout(arrival[i] - env.now)
        pools, yards, park, shorter, candidates = gates[gate_of[i]]
        d = direction[i]
        if d == IMPORT:
            chk, cross, _, cross_import = routes[route[i]]
            if chk is not None:
                yield from check(chk, i, IMPORT)
            if cross is not None and cross_import:
                yield from serve(cross, i)
        elif park is not None and parked[i]:
            place = None
            if park.places is not None:
                place = park.places.request()
                yield place
            called = env.event()
            heapq.heappush(park.held, (0 if park.rank is None else park.rank[i], next(park.seq), called))
            park.call_forward()
            yield called
            if place is not None:
                park.places.release(place)
            if travel[i] > 0:
                yield env.timeout(travel[i])
            park.in_transit -= 1
        yard, turn_away = yards[d]
        place = None
        if yard is not None:
            if turn_away and yard.count >= yard.capacity:
                departure[i] = env.now
                outcome[i] = TURNED_AWAY
                return
            place = yard.request()
            yield place
        if review is not None:
            if not pre[i]:
                if pools["declaration_counter"] is not None:
                    yield from serve(pools["declaration_counter"], i)
            else:
                yield approved[i]
        for stage in ("gate_control", "customs_docs", "inspection", "quarantine"):
            pool = pools[stage]
            if pool is None:
                continue
            if (
                stage == "gate_control"
                or (stage == "customs_docs" and channel[i] != GREEN)
                or (stage == "inspection" and channel[i] == RED)
                or (stage == "quarantine" and quarantined[i])
            ):
                yield from serve(pool, i)
        if d == EXPORT:
            r = route[i]
            if shorter:
                best = min(candidates[cargo_of[i]], key=load, default=r)
                if load(best) < load(r):
                    redraw(i, best)
                    r = route[i] = best
            chk, cross, cross_export, _ = routes[r]
            if chk is not None:
                yield from check(chk, i, EXPORT)
            if cross is not None and cross_export:
                yield from serve(cross, i)
        if place is not None:
            yard.release(place)
        if park is not None and d == EXPORT:
            park.call_forward()
        departure[i] = env.now
        outcome[i] = CLEARED

    arrival_np = arr.time_min
    start = np.where(pre, np.maximum(arrival_np - draws.lead_min, 0.0), arrival_np)
    starts = start.tolist()

    def source() -> Generator:
        """Start each truck's process at its start (declaration, or arrival)."""
        for i in np.argsort(start, kind="stable").tolist():
            if starts[i] > env.now:
                yield env.timeout(starts[i] - env.now)
            env.process(truck(i))

    env.process(source())
    return {
        "env": env,
        "horizon": horizon_min(sc),
        "departure_min": departure,
        "outcome": outcome,
        "trucks": n,
        "stats": stats,
    }


def run(world: dict) -> dict[str, Any]:
    """Run a built world to the horizon: departures, outcomes and SimPy events scheduled."""
    env = world["env"]
    env.run(until=world["horizon"])
    return {
        "departure_min": world["departure_min"],
        "outcome": world["outcome"],
        "trucks": world["trucks"],
        "simpy_events": next(env._eid),
        **world["stats"],
    }


def simulate(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
) -> dict[str, Any]:
    """Build and run *scenario* for *seed* (see :func:`run`)."""
    return run(build(scenario, seed, arrivals))


def match(model_departure: np.ndarray, model_outcome: np.ndarray, ref: dict[str, Any]) -> dict[str, Any]:
    """How close the reference's trucks are to the model's: identical departures, mean differences
    (minutes, among trucks gone in both), and both runs' counts cleared, turned away and inside."""
    a, b = model_departure, ref["departure_min"]
    same = ((a == b) | (np.isnan(a) & np.isnan(b))) & (model_outcome == ref["outcome"])
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = b[both] - a[both]
    out = {
        "trucks": int(a.size),
        "identical": int(same.sum()),
        "mean_difference_min": float(diff.mean()) if diff.size else 0.0,
        "mean_abs_difference_min": float(np.abs(diff).mean()) if diff.size else 0.0,
    }
    for name, code in (("cleared", CLEARED), ("turned_away", TURNED_AWAY), ("inside", INSIDE)):
        out[f"model_{name}"] = int((model_outcome == code).sum())
        out[f"reference_{name}"] = int((ref["outcome"] == code).sum())
    return out


def compare(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
) -> dict[str, Any]:
    """Run the model and this reference on *scenario*; the statistics of :func:`match`."""
    data, _, _ = run_model(scenario, seed, arrivals)
    ref = simulate(scenario, seed, arrivals)
    return {
        **match(data.times["departure_min"], data.outcome, ref),
        "redrawn": ref["redrawn"],
        "resubmitted": ref["resubmitted"],
    }


def main() -> None:
    """Command line: compare the model and this reference on a baseline run or a case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument("--case", choices=list(CASES), help="a case of heap_reference instead")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    if args.case:
        sc = load_case(args.case)
    else:
        sc = load_scenario(args.scenario, {"run.days": args.days, "run.warmup_days": min(7, args.days - 1)})
    started = time.perf_counter()
    res = {**compare(sc, args.seed), "wall_s": time.perf_counter() - started}
    if args.json:
        print(json.dumps(res, indent=2))
        return
    for key, value in res.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
