"""Arrivals and per-truck draws made once per seed and shared by the options that would draw them
alike.

Every option of a comparison, a sweep or an optimisation runs on common random numbers: its
replication *i* uses the same seed as every other option's. The trucks' arrivals and draws
(:func:`~sim.world.demand.generate_arrivals`, :func:`~sim.world.model.draw_trucks`) are
deterministic functions of that seed and of the parts of the scenario they read, so options that
differ only in what the draws never read (lanes, opening hours, closures and capacity events,
priorities, yard and park places, officers) get the very same arrays. Drawing them once and
handing each run its own copy saves the drawing (about 2% of the CPU of a run of the baseline)
for every option after the first, and moves no number: a run given shared draws is identical to
one that draws its own (``tests/test_shared_draws.py``).

:func:`draws_key` and :func:`arrivals_key` say what the draws read: the scenario with every part
they never read left out (in the scenario's own order: the order of gates, cargo classes and
routes numbers them). :class:`DrawStore` keeps the draws of one seed for the keys that more than
one option shares, and the arrivals of that seed (so memory holds one replication's draws per
shared key, in each process or thread that runs options, not a cache that grows), and gives each
run a copy, since a run changes some of its draws (a route redrawn, a review's time).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import numpy as np

from sim.world.demand import Arrivals, generate_arrivals
from sim.world.model import TruckDraws, as_seed_sequence, draw_trucks, stream
from sim.world.scenario import Scenario
from sim.world.schema.names import LANE_STAGES

DRAW_FREE_TOP = ("name", "question", "question_vi", "kpi", "answer", "sweep")
"""Top-level parts of a scenario no draw reads (names, the question, KPI and answer settings)."""
DRAW_FREE_RUN = ("warmup_days", "sample_interval_min")
DRAW_FREE_GATE = ("label", "label_vi", "road_m_per_truck", "hours", "parking", "route_choice")
"""A gate's parts no draw reads (``route_choice`` is read once, as whether any gate chooses)."""
DRAW_FREE_STAGE = ("enabled", "lanes", "hours", "priority")
DRAW_FREE_CHINA_CHECK = ("enabled", "lanes", "hours_china", "hours_china_by_direction", "priority")
DRAW_FREE_CROSSING = ("enabled", "directions", "lanes", "hours", "priority")
DRAW_FREE_PARK = ("places", "call_forward_below", "order", "priority")
DRAW_FREE_PLATFORM = ("enabled", "officers", "hours")
DRAWN_EVENTS = ("demand", "park_use")
"""The kinds of event the draws read (demand through the arrivals, park use through who parks);
closures, capacity changes and extended hours act during the run only."""
ARRIVAL_PARTS = ("run", "cargo_classes", "demand")
"""The top-level parts the arrivals read, besides the gates' demand and backlog and the demand
events."""


def _digest(data: Any) -> str:
    # Keys in their own order, not sorted: the order of gates, cargo classes, routes and flows
    # numbers them and orders the draws, so two scenarios listing them otherwise draw otherwise.
    return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:20]


def _drop(mapping: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        mapping.pop(key, None)


def draws_key(sc: Scenario) -> str:
    """A digest of every part of *sc* that the arrivals and the per-truck draws read: two
    scenarios with the same key draw the same trucks for the same seed."""
    data = sc.model_dump(mode="json")
    _drop(data, DRAW_FREE_TOP)
    _drop(data["run"], DRAW_FREE_RUN)
    _drop(data["platform"], DRAW_FREE_PLATFORM)
    for gate in data["gates"].values():
        _drop(gate, DRAW_FREE_GATE)
        for stage in LANE_STAGES:
            _drop(gate[stage], DRAW_FREE_STAGE)
        for route in gate["routes"].values():
            _drop(route, ("label", "label_vi"))
            _drop(route["china_check"], DRAW_FREE_CHINA_CHECK)
            _drop(route["crossing"], DRAW_FREE_CROSSING)
        if gate.get("park"):
            _drop(gate["park"], DRAW_FREE_PARK)
    data["events"] = [ev for ev in data["events"] if ev.get("kind") in DRAWN_EVENTS]
    data["any_shorter_queue"] = any(g.route_choice == "shorter_queue" for g in sc.gates.values())
    return _digest(data)


def arrivals_key(sc: Scenario) -> str:
    """A digest of every part of *sc* that the arrivals read (a narrower key than
    :func:`draws_key`: options that change a service time still share their arrivals)."""
    data = sc.model_dump(mode="json")
    kept = {part: data[part] for part in ARRIVAL_PARTS}
    _drop(kept["run"], DRAW_FREE_RUN)
    kept["gates"] = {
        name: {"demand": g["demand_trucks_per_day"], "backlog": g["initial_backlog"]}
        for name, g in data["gates"].items()
    }
    kept["events"] = [ev for ev in data["events"] if ev.get("kind") == "demand"]
    return _digest(kept)


def copy_draws(draws: TruckDraws) -> TruckDraws:
    """A copy of *draws* a run may change without changing the original."""
    return copy.deepcopy(draws)


class DrawStore:
    """The arrivals and draws of one seed, kept for the keys in *shared* (see the module)."""

    def __init__(self, shared: set[str] | None = None) -> None:
        self.shared = shared
        """Draw keys worth keeping (None: every key)."""
        self._seed: tuple | None = None
        self._arrivals: dict[str, Arrivals] = {}
        self._draws: dict[str, TruckDraws] = {}
        self.drawn = 0
        """Draws made, as against runs served."""
        self.served = 0

    def get(self, sc: Scenario, seed: int | np.random.SeedSequence) -> tuple[Arrivals, TruckDraws]:
        """The arrivals and draws of *sc* for *seed*, exactly as ``Model(sc, seed)`` would draw
        them; the draws are the caller's own copy."""
        root = as_seed_sequence(seed)
        at = (root.entropy, tuple(root.spawn_key))
        if at != self._seed:  # one replication at a time: the last seed's draws are let go
            self._seed, self._arrivals, self._draws = at, {}, {}
        self.served += 1
        key = draws_key(sc)
        keep = self.shared is None or key in self.shared
        if key in self._draws:
            return self._arrivals[arrivals_key(sc)], copy_draws(self._draws[key])
        a_key = arrivals_key(sc)
        arrivals = self._arrivals.get(a_key)
        if arrivals is None:  # arrivals are small and never changed by a run: always kept
            arrivals = self._arrivals[a_key] = generate_arrivals(sc, stream(root, "arrivals"))
        draws = draw_trucks(sc, arrivals, root)
        self.drawn += 1
        if keep:
            self._draws[key] = draws
            return arrivals, copy_draws(draws)
        return arrivals, draws


def shared_keys(scenarios: list[Scenario]) -> set[str]:
    """The draw keys that more than one of *scenarios* has: the draws worth sharing."""
    keys = [draws_key(sc) for sc in scenarios]
    return {k for k in keys if keys.count(k) > 1}
