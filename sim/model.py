"""One replication of a scenario as a SimPy model of the gates and the platform.

Time inside the model is in minutes since 00:00 (Vietnam time) on the start date. A truck's
life, export: declare on the platform a lead time before arrival; arrive; wait on the road until
a yard place is free; (declare at the counter if it did not pre-declare; wait for approval);
gate control; customs by risk channel (green: none, yellow: documents, red: documents and
inspection); quarantine if sampled; acceptance by the Chinese side; cross by trailer swap or
directly, which frees its yard place. An import arrives from the Chinese side and does the
same up to quarantine, then leaves inland. Every random quantity of a truck is drawn up front
from its own stream, so scenarios run with one seed see the same trucks.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.calendar import CHINA_AHEAD_MIN, MIN_PER_DAY, MIN_PER_H, build_schedule, horizon_min
from sim.demand import Arrivals, generate_arrivals
from sim.scenario import DIRECTIONS, LANE_STAGES, STAGES, Scenario
from sim.stages import Holding, LanePool, Monitor

EXPORT, IMPORT = DIRECTIONS.index("export"), DIRECTIONS.index("import")
GREEN, YELLOW, RED = 0, 1, 2
INSIDE, CLEARED, TURNED_AWAY = 0, 1, 2
OUTCOMES = ("inside", "cleared", "turned_away")
CHANNELS = ("green", "yellow", "red")
CROSSING_MODES = ("trailer_swap", "direct")

TIME_COLUMNS = (
    "submitted_min",
    "approved_min",
    "arrival_min",
    "yard_in_min",
    *[f"{s}_{edge}_min" for s in STAGES for edge in ("start", "end")],
    "departure_min",
)
"""Every time the truck log records, in model minutes (NaN where it did not happen)."""


def stream(root: np.random.SeedSequence, name: str) -> np.random.Generator:
    """The generator of one named source of randomness; independent of every other name."""
    key = (*root.spawn_key, zlib.crc32(name.encode()))
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=key))


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


@dataclass
class TruckDraws:
    """Everything random about each truck except its arrival, drawn before the run starts."""

    predeclared: np.ndarray
    lead_min: np.ndarray
    auto_check_min: np.ndarray
    review_min: np.ndarray
    returns: np.ndarray
    correction_min: np.ndarray
    channel: np.ndarray
    quarantined: np.ndarray
    crossing_mode: np.ndarray
    service_min: dict[str, np.ndarray] = field(default_factory=dict)


def draw_trucks(sc: Scenario, arr: Arrivals, root: np.random.SeedSequence) -> TruckDraws:
    n = len(arr)
    gates = list(sc.gates)
    cargos = list(sc.cargo_classes)

    def u(name: str) -> np.ndarray:
        return stream(root, name).random(n)

    def by_cargo(values: np.ndarray, pick: Callable[[str], object], fn: Callable) -> np.ndarray:
        out = np.empty(n)
        for c, cargo in enumerate(cargos):
            mask = arr.cargo == c
            out[mask] = fn(pick(cargo), values[mask])
        return out

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
    draws = TruckDraws(
        predeclared=u("predeclared") < pf.predeclared_share,
        lead_min=pf.lead_time_h.from_uniform(u("lead_time")) * MIN_PER_H,
        auto_check_min=pf.auto_check_min.from_uniform(u("auto_check")),
        review_min=pf.review_min.from_uniform(u("review")),
        returns=returns,
        correction_min=pf.correction_h.from_uniform(u("correction")) * MIN_PER_H,
        channel=channel.astype(np.int8),
        quarantined=u("quarantine") < q_share,
        crossing_mode=np.zeros(n, dtype=np.int8),
    )
    u_mode = u("crossing_mode")
    for stage in STAGES:
        values = u(f"service:{stage}")
        out = np.zeros(n)
        for g, gname in enumerate(gates):
            gate = sc.gates[gname]
            at = arr.gate == g
            if stage in LANE_STAGES:
                spec = getattr(gate, stage).service_min
                out[at] = by_cargo(values, lambda c, s=spec: sc.lookup(s, c), lambda d, x: d.from_uniform(x))[
                    at
                ]
            elif stage == "acceptance":
                mean = MIN_PER_H / gate.acceptance.trucks_per_h
                exp = -mean * np.log1p(-values[at])
                out[at] = mean if gate.acceptance.service == "fixed" else exp
            else:
                direct = u_mode[at] < gate.crossing.direct_share
                draws.crossing_mode[at] = direct
                swap = gate.crossing.trailer_swap_min.from_uniform(values[at])
                out[at] = np.where(direct, gate.crossing.direct_min.from_uniform(values[at]), swap)
        draws.service_min[stage] = out
    return draws


class Platform:
    """The Digital Border Gate Platform: automatic check, then officers' review, maybe returned."""

    def __init__(
        self, env: simpy.Environment, review: LanePool, draws: TruckDraws, approved: np.ndarray
    ) -> None:
        self.env = env
        self.review = review
        self.draws = draws
        self.returns_left = draws.returns.copy()
        self.approved = approved
        self.waiting: dict[int, simpy.Event] = {}

    def submit(self, i: int) -> None:
        self.env.timeout(self.draws.auto_check_min[i], i).callbacks.append(self._checked)

    def _resubmitted(self, ev: simpy.Event) -> None:
        self.submit(ev.value)  # a corrected declaration goes through the automatic check again

    def _checked(self, ev: simpy.Event) -> None:
        self.review.serve(ev.value).callbacks.append(self._reviewed)

    def _reviewed(self, ev: simpy.Event) -> None:
        i = ev.value
        if self.returns_left[i] > 0:
            self.returns_left[i] -= 1
            self.env.timeout(self.draws.correction_min[i], i).callbacks.append(self._resubmitted)
            return
        self.approved[i] = self.env.now
        waiter = self.waiting.pop(i, None)
        if waiter is not None:
            waiter.succeed()


@dataclass
class GatePools:
    """The lane pools of one gate; a disabled stage is None and trucks pass it by."""

    pools: dict[str, LanePool | None]
    yards: tuple[Holding, Holding]


@dataclass
class RunData:
    """What one replication produced: the truck log, monitors' series and bookkeeping."""

    scenario: Scenario
    seed: int | None
    arrivals: Arrivals
    draws: TruckDraws
    times: dict[str, np.ndarray]
    outcome: np.ndarray
    sample_min: np.ndarray
    series: dict[tuple[str, str], dict[str, np.ndarray]]
    wall_s: float = 0.0


class Model:
    """Builds the SimPy world of a scenario for one seed and runs it."""

    def __init__(
        self, sc: Scenario, seed: int | np.random.SeedSequence = 0, arrivals: Arrivals | None = None
    ) -> None:
        """*arrivals*, when given, replace the generated ones (e.g. observed or hand-made trucks)."""
        self.sc = sc
        root = as_seed_sequence(seed)
        self.seed = seed if isinstance(seed, int) else None
        self.env = env = simpy.Environment()
        self.arr = arrivals if arrivals is not None else generate_arrivals(sc, stream(root, "arrivals"))
        self.draws = draw_trucks(sc, self.arr, root)
        n = len(self.arr)
        self.times = {c: np.full(n, np.nan) for c in TIME_COLUMNS}
        self.times["arrival_min"][:] = self.arr.time_min
        self.outcome = np.zeros(n, dtype=np.int8)
        horizon = horizon_min(sc)
        step = sc.run.sample_interval_min
        self.sample_min = np.append(np.arange(0, horizon, step), horizon)
        ns = self.sample_min.size
        self.monitors: dict[tuple[str, str], Monitor] = {}
        self.gates: list[GatePools] = []
        for gname, gate in sc.gates.items():
            pools: dict[str, LanePool | None] = {}
            for stage in STAGES:
                cfg = getattr(gate, stage)
                if not cfg.enabled:
                    pools[stage] = None
                    continue
                lanes = cfg.lanes if hasattr(cfg, "lanes") else 1
                pool = LanePool(
                    env,
                    lanes,
                    self.draws.service_min[stage],
                    self.times[f"{stage}_start_min"],
                    self.times[f"{stage}_end_min"],
                    ns,
                )
                offset = CHINA_AHEAD_MIN if stage == "acceptance" else 0
                schedule = build_schedule(sc, gate.stage_hours(stage), gname, stage, offset)
                env.process(self._follow(pool, schedule))
                pools[stage] = self.monitors[(gname, stage)] = pool
            yards = []
            for direction in DIRECTIONS:
                park = gate.parking.get(direction)
                cap = park.capacity if park else None
                yard = Holding(
                    env, cap, bool(park and park.when_full == "turn_away"), self.times["yard_in_min"], ns
                )
                self.monitors[(gname, f"parking_{direction}")] = yard
                yards.append(yard)
            self.gates.append(GatePools(pools, (yards[0], yards[1])))
        self.platform: Platform | None = None
        if sc.platform.enabled:
            review = LanePool(
                env,
                sc.platform.officers,
                self.draws.review_min,
                np.full(n, np.nan),
                np.full(n, np.nan),
                ns,
            )
            env.process(self._follow(review, build_schedule(sc, sc.platform.hours, None, "platform")))
            self.monitors[("platform", "review")] = review
            self.platform = Platform(env, review, self.draws, self.times["approved_min"])
        env.process(self._source())
        env.process(self._sampler())

    def _follow(self, pool: LanePool, schedule) -> Generator:
        env = self.env
        for t, is_open, factor in zip(schedule.times, schedule.open, schedule.factor, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            pool.set_state(is_open, factor)

    def _source(self) -> Generator:
        env = self.env
        arrival = self.arr.time_min
        pre = self.draws.predeclared if self.platform is not None else np.zeros(len(self.arr), bool)
        start = np.where(pre, np.maximum(arrival - self.draws.lead_min, 0.0), arrival)
        self.times["submitted_min"][pre] = start[pre]
        truck = self._truck
        for i in np.argsort(start, kind="stable").tolist():
            t = start[i]
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(truck(i, bool(pre[i])))

    def _sampler(self) -> Generator:
        env = self.env
        monitors = list(self.monitors.values())
        for k, t in enumerate(self.sample_min[:-1]):
            if t > env.now:
                yield env.timeout(t - env.now)
            for m in monitors:
                m.sample(k)

    def _truck(self, i: int, predeclared: bool) -> Generator:
        env = self.env
        times = self.times
        if predeclared:
            self.platform.submit(i)
            wait = times["arrival_min"][i] - env.now
            if wait > 0:
                yield env.timeout(wait)
        direction = self.arr.direction[i]
        gate = self.gates[self.arr.gate[i]]
        pools = gate.pools
        yard = gate.yards[direction]
        entered = yard.enter(i)
        if entered is False:
            self.outcome[i] = TURNED_AWAY
            times["departure_min"][i] = env.now
            return
        if entered is not None:
            yield entered
        if self.platform is not None:
            if not predeclared:
                counter = pools["declaration_counter"]
                if counter is not None:
                    yield counter.serve(i)
                times["approved_min"][i] = env.now
            elif times["approved_min"][i] != times["approved_min"][i]:  # NaN: not yet approved
                waiter = simpy.Event(env)
                self.platform.waiting[i] = waiter
                yield waiter
        pool = pools["gate_control"]
        if pool is not None:
            yield pool.serve(i)
        channel = self.draws.channel[i]
        if channel != GREEN:
            pool = pools["customs_docs"]
            if pool is not None:
                yield pool.serve(i)
            pool = pools["inspection"]
            if channel == RED and pool is not None:
                yield pool.serve(i)
        pool = pools["quarantine"]
        if self.draws.quarantined[i] and pool is not None:
            yield pool.serve(i)
        if direction == EXPORT:
            pool = pools["acceptance"]
            if pool is not None:
                yield pool.serve(i)
            pool = pools["crossing"]
            if pool is not None:
                yield pool.serve(i)
        yard.leave()
        times["departure_min"][i] = env.now
        self.outcome[i] = CLEARED

    def run(self, progress: Callable[[int, int], None] | None = None) -> RunData:
        """Run to the horizon, calling ``progress(day, days)`` after each simulated day."""
        started = time.perf_counter()
        days = self.sc.run.days
        for day in range(1, days + 1):
            self.env.run(until=day * MIN_PER_DAY)
            if progress is not None:
                progress(day, days)
        last = self.sample_min.size - 1
        for m in self.monitors.values():
            m.sample(last)
        return RunData(
            scenario=self.sc,
            seed=self.seed,
            arrivals=self.arr,
            draws=self.draws,
            times=self.times,
            outcome=self.outcome,
            sample_min=self.sample_min,
            series={key: m.export() for key, m in self.monitors.items()},
            wall_s=time.perf_counter() - started,
        )
