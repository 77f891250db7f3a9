"""Opening order is a rule: when export and import hours open at the same instant, the priority
classes decide who is served first, whichever opening SimPy processes first."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.world.stages import LanePool

EXPORT, IMPORT = 0, 1


def _first_served(export_opens_first: bool) -> int:
    env = simpy.Environment()
    # Trucks 0-2: general exports queued overnight (rank 1); truck 3: a fruit import (rank 0)
    # that arrived at 06:30. One lane; both directions open at 07:00.
    priority = np.array([1, 1, 1, 0])
    pool = LanePool(
        env, 1, np.full(4, 10.0), np.full(4, np.nan), np.full(4, np.nan), 2, priority=priority, groups=2
    )
    pool.set_state(False, 1.0, EXPORT)
    pool.set_state(False, 1.0, IMPORT)

    def arrive() -> simpy.events.ProcessGenerator:
        for i in range(3):
            pool.serve(i, EXPORT)
        yield env.timeout(390)
        pool.serve(3, IMPORT)

    def opens(group: int) -> simpy.events.ProcessGenerator:
        yield env.timeout(420)
        pool.set_state(True, 1.0, group)

    env.process(arrive())
    order = [EXPORT, IMPORT] if export_opens_first else [IMPORT, EXPORT]
    for g in order:
        env.process(opens(g))
    env.run(until=430)
    started = np.flatnonzero(~np.isnan(pool.start_log))
    assert started.size == 1
    return int(started[0])


@pytest.mark.parametrize("export_opens_first", [True, False])
def test_the_highest_priority_truck_goes_first_whatever_the_event_order(export_opens_first: bool) -> None:
    assert _first_served(export_opens_first) == 3


def test_one_group_opening_alone_starts_at_once() -> None:
    env = simpy.Environment()
    pool = LanePool(env, 1, np.full(1, 5.0), np.full(1, np.nan), np.full(1, np.nan), 2)
    pool.set_state(False, 1.0)
    pool.serve(0)

    def opens() -> simpy.events.ProcessGenerator:
        yield env.timeout(60)
        pool.set_state(True, 1.0)

    env.process(opens())
    env.run(until=61)
    assert pool.start_log[0] == 60
