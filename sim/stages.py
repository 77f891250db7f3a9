"""Lane pools and holding areas, with their own light queue bookkeeping.

A :class:`LanePool` serves trucks first come first served on a number of lanes that open, close
and slow down on a schedule; a :class:`Holding` is a yard of finite places with the road queue
behind it. Both keep time-weighted areas of their queue and occupancy, updated only when a count
changes, so that time averages are exact and cost O(1) per change; a sampler reads those areas at
fixed intervals to give series whose memory does not grow with the number of trucks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import simpy


class Monitor:
    """Time-weighted area of a waiting count and a busy count, sampled on a fixed grid."""

    def __init__(self, env: simpy.Environment, n_samples: int) -> None:
        self.env = env
        self.waiting = 0
        self.busy = 0
        self._last = 0.0
        self._wait_area = 0.0
        self._busy_area = 0.0
        self._bin_max = 0
        self.cum_wait = np.zeros(n_samples)
        self.cum_busy = np.zeros(n_samples)
        self.max_wait = np.zeros(n_samples)

    def _advance(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt:
            self._wait_area += self.waiting * dt
            self._busy_area += self.busy * dt
            self._last = now

    def export(self) -> dict[str, np.ndarray]:
        """The sampled series as plain arrays (picklable, unlike the SimPy objects)."""
        return {"cum_wait": self.cum_wait, "cum_busy": self.cum_busy, "max_wait": self.max_wait}

    def sample(self, k: int) -> None:
        """Record cumulative areas at grid point *k* and the largest queue since the last one."""
        self._advance()
        self.cum_wait[k] = self._wait_area
        self.cum_busy[k] = self._busy_area
        self.max_wait[k] = self._bin_max
        self._bin_max = self.waiting


class LanePool(Monitor):
    """*lanes* parallel servers; service time of truck *i* is ``service_min[i] / factor``.

    ``serve(i)`` returns an event that succeeds with *i* when the service ends. A lane never
    starts a service while the pool is closed; a service under way when it closes finishes.
    """

    def __init__(
        self,
        env: simpy.Environment,
        lanes: int,
        service_min: np.ndarray,
        start_log: np.ndarray,
        end_log: np.ndarray,
        n_samples: int,
    ) -> None:
        super().__init__(env, n_samples)
        self.lanes = lanes
        self.service_min = service_min
        self.start_log = start_log
        self.end_log = end_log
        self.is_open = True
        self.factor = 1.0
        self.queue: deque[tuple[int, simpy.Event]] = deque()
        self._open_area = 0.0
        self._open_since = 0.0
        self.cum_open = np.zeros(n_samples)

    def serve(self, i: int) -> simpy.Event:
        done = simpy.Event(self.env)
        if self.is_open and self.busy < self.lanes and not self.queue:
            self._start(i, done)
        else:
            self._advance()
            self.queue.append((i, done))
            self.waiting += 1
            if self.waiting > self._bin_max:
                self._bin_max = self.waiting
        return done

    def _start(self, i: int, done: simpy.Event) -> None:
        self._advance()
        self.busy += 1
        env = self.env
        self.start_log[i] = env.now
        env.timeout(self.service_min[i] / self.factor, (i, done)).callbacks.append(self._finish)

    def _finish(self, timeout: simpy.Event) -> None:
        i, done = timeout.value
        self._advance()
        self.busy -= 1
        self.end_log[i] = self.env.now
        done.succeed(i)
        self._start_waiting()

    def _start_waiting(self) -> None:
        queue = self.queue
        while queue and self.is_open and self.busy < self.lanes:
            self._advance()
            self.waiting -= 1
            self._start(*queue.popleft())

    def set_state(self, is_open: bool, factor: float) -> None:
        """Open or close the pool and set its rate factor (from its :class:`Schedule`)."""
        now = self.env.now
        if self.is_open:
            self._open_area += now - self._open_since
        self._open_since = now
        self.is_open = is_open
        self.factor = factor
        self._start_waiting()

    def sample(self, k: int) -> None:
        super().sample(k)
        open_area = self._open_area + (self.env.now - self._open_since if self.is_open else 0.0)
        self.cum_open[k] = open_area

    def export(self) -> dict[str, np.ndarray]:
        return {**super().export(), "cum_open": self.cum_open, "lanes": np.array([self.lanes])}


class Holding(Monitor):
    """A yard of *capacity* places (None = unlimited) with a first-come road queue behind it.

    ``waiting`` counts trucks on the road, ``busy`` trucks in the yard. With ``turn_away`` a
    truck that finds the yard full leaves at once instead of queueing; ``on_turn_away`` is told.
    """

    def __init__(
        self,
        env: simpy.Environment,
        capacity: int | None,
        turn_away: bool,
        enter_log: np.ndarray,
        n_samples: int,
    ) -> None:
        super().__init__(env, n_samples)
        self.capacity = capacity
        self.turn_away = turn_away
        self.enter_log = enter_log
        self.road: deque[tuple[int, simpy.Event]] = deque()
        self.max_busy = np.zeros(n_samples)
        self._bin_max_busy = 0
        self.on_turn_away: Callable[[int], None] | None = None

    def enter(self, i: int) -> simpy.Event | bool | None:
        """None: in the yard now; an event: wait for it on the road; False: turned away."""
        self._advance()
        if self.capacity is None or (self.busy < self.capacity and not self.road):
            self._admit(i)
            return None
        if self.turn_away:
            return False
        done = simpy.Event(self.env)
        self.road.append((i, done))
        self.waiting += 1
        if self.waiting > self._bin_max:
            self._bin_max = self.waiting
        return done

    def _admit(self, i: int) -> None:
        self.busy += 1
        if self.busy > self._bin_max_busy:
            self._bin_max_busy = self.busy
        self.enter_log[i] = self.env.now

    def leave(self) -> None:
        self._advance()
        self.busy -= 1
        if self.road:
            i, done = self.road.popleft()
            self.waiting -= 1
            self._admit(i)
            done.succeed(i)

    def sample(self, k: int) -> None:
        super().sample(k)
        self.max_busy[k] = self._bin_max_busy
        self._bin_max_busy = self.busy

    def export(self) -> dict[str, np.ndarray]:
        return {**super().export(), "max_busy": self.max_busy}
