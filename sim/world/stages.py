"""Lane pools and holding areas, with their own light queue bookkeeping.

A :class:`LanePool` serves trucks first come first served on a number of lanes that open, close
and slow down on a schedule; a :class:`Holding` is a yard of finite places with the road queue
behind it. Both keep time-weighted areas of their queue and occupancy, updated only when a count
changes, so that time averages are exact and cost O(1) per change; a sampler reads those areas at
fixed intervals to give series whose memory does not grow with the number of trucks.

Every step here runs a few times a truck, so the clock is read once a step and handed on as *now*
(in the steps every truck takes, a visit's start and end and a yard's entry and exit, as
``env._now``, the attribute SimPy's ``now`` property returns: the property is a function call,
and reading the attribute instead took 3% off the instructions of a run), and the truck log and
service minutes are read and written through memoryviews of their numpy arrays (an item is a
Python float, several times faster than numpy's scalar, and the arrays stay the ones every table
reads).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy


def small_ints(values: np.ndarray | bytes | None) -> bytes | None:
    """Per-truck small counts (0-255: a priority rank, a gate, a channel) as bytes: an item reads as
    a Python int several times faster than a numpy scalar, at one byte a truck. Bytes are taken as
    they are (e.g. one priority order's ranks, shared by every pool that has that order)."""
    if values is None or isinstance(values, bytes):
        return values
    if values.size and (values.min() < 0 or values.max() > 255):
        raise ValueError("small_ints holds 0-255 only")
    return values.astype(np.uint8).tobytes()


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
        self._bin_max_busy = 0
        self.cum_wait = np.zeros(n_samples)
        self.cum_busy = np.zeros(n_samples)
        self.max_wait = np.zeros(n_samples)
        self.max_busy = np.zeros(n_samples)
        self._series = tuple(map(memoryview, (self.cum_wait, self.cum_busy, self.max_wait, self.max_busy)))

    def _advance(self, now: float) -> None:
        """Bring the areas up to *now* (the caller's reading of the clock); written out, with
        :meth:`add_busy`, in :meth:`Holding._admit`: keep them alike."""
        dt = now - self._last
        if dt:
            self._wait_area += self.waiting * dt
            self._busy_area += self.busy * dt
            self._last = now

    def start_at(self, t_min: float) -> None:
        """Count areas from *t_min* on (a run restarted then from a state)."""
        self._last = t_min

    def add_waiting(self, delta: int, now: float | None = None) -> None:
        """Count *delta* more trucks waiting (another place's trucks that queue on this road) at
        *now* (None: read the clock)."""
        self._advance(self.env.now if now is None else now)
        self.waiting += delta
        if self.waiting > self._bin_max:
            self._bin_max = self.waiting

    def add_busy(self, delta: int, now: float | None = None) -> None:
        """Count *delta* more trucks held (in service, in a yard or in a park) at *now* (None:
        read the clock)."""
        self._advance(self.env.now if now is None else now)
        self.busy += delta
        if self.busy > self._bin_max_busy:
            self._bin_max_busy = self.busy

    def export(self) -> dict[str, np.ndarray]:
        """The sampled series as plain arrays (picklable, unlike the SimPy objects)."""
        return {
            "cum_wait": self.cum_wait,
            "cum_busy": self.cum_busy,
            "max_wait": self.max_wait,
            "max_busy": self.max_busy,
        }

    def sample(self, k: int, now: float) -> None:
        """Record cumulative areas at grid point *k*, at *now*, and the largest counts since the
        last one."""
        self._advance(now)
        cum_wait, cum_busy, max_wait, max_busy = self._series
        cum_wait[k] = self._wait_area
        cum_busy[k] = self._busy_area
        max_wait[k] = self._bin_max
        self._bin_max = self.waiting
        max_busy[k] = self._bin_max_busy
        self._bin_max_busy = self.busy


class LanePool(Monitor):
    """*lanes* parallel servers; service time of truck *i* is ``service_min[i] / factor``.

    ``serve(i, group)`` returns an event that succeeds with *i* when the service ends. Waiting
    trucks are taken by priority class (``priority[i]``, lower first; None = all equal) and first
    come first served within a class, never preempting a service. Each *group* (the direction,
    at a Chinese checkpoint) opens and closes on its own schedule: a free lane takes the best
    waiting truck of an open group. A lane never starts a service while its group is closed; a
    service under way when it closes finishes. Groups opening at the same instant are opened
    together before any lane is filled, so the priority classes, not the order in which the
    openings are processed, decide who goes first.

    Besides the busy area of every monitor it keeps the busy area while open (``cum_busy_open``;
    the pool is open while any group is), so that utilisation counts only the open hours and the
    service that runs on past closing (the rest of ``cum_busy``) is reported apart as overtime.
    """

    def __init__(
        self,
        env: simpy.Environment,
        lanes: int,
        service_min: np.ndarray,
        start_log: np.ndarray,
        end_log: np.ndarray,
        n_samples: int,
        priority: np.ndarray | bytes | None = None,
        groups: int = 1,
    ) -> None:
        super().__init__(env, n_samples)
        self.lanes = lanes
        self.service_min = service_min
        self.start_log = start_log
        self.end_log = end_log
        self._service = memoryview(service_min)
        self._starts = memoryview(start_log)
        self._ends = memoryview(end_log)
        self._timeout = env.timeout
        self._on_end = self._finish  # one bound method, not a new one a visit
        self.priority = small_ints(priority)
        self.group_open = [True] * groups
        self.is_open = True
        self.factor = 1.0
        self.queues: list[list[tuple[int, int, int, simpy.Event]]] = [[] for _ in range(groups)]
        self._seq = itertools.count()
        self._open_area = 0.0
        self._open_since = 0.0
        self._busy_open_area = 0.0
        self._opening = False
        self.cum_open = np.zeros(n_samples)
        self.cum_busy_open = np.zeros(n_samples)
        self.due: dict[int, float] = {}
        """Trucks in service, with the minute their service ends."""

    def _advance(self, now: float) -> None:
        # Written out in serve and _finish (every visit runs them): keep the three alike.
        dt = now - self._last
        if dt:
            self._wait_area += self.waiting * dt
            busy = self.busy * dt
            self._busy_area += busy
            if self.is_open:
                self._busy_open_area += busy
            self._last = now

    def serve(self, i: int, group: int = 0) -> simpy.Event:
        """Truck *i* asks for a lane of *group*: the event succeeds with *i* when its service ends.

        A truck that finds a lane free gets the service's own timeout back (one event for the
        visit: whoever waits on it goes on right after the lane is handed to the next truck); a
        truck that queues gets an event of its own, succeeded when its service ends.
        """
        queue = self.queues[group]
        now = self.env._now
        dt = now - self._last
        if dt:  # self._advance(now), written out: it runs at every visit
            self._wait_area += self.waiting * dt
            busy = self.busy * dt
            self._busy_area += busy
            if self.is_open:
                self._busy_open_area += busy
            self._last = now
        if self.group_open[group] and self.busy < self.lanes and not queue and not self._opening:
            # self._start(i, now), written out: most visits find a lane free
            self.busy += 1
            self._starts[i] = now
            service = self._service[i] / self.factor
            self.due[i] = now + service
            ends = self._timeout(service, i)
            ends.callbacks.append(self._on_end)
            return ends
        done = simpy.Event(self.env)
        rank = 0 if self.priority is None else self.priority[i]
        heapq.heappush(queue, (rank, next(self._seq), i, done))
        self.waiting += 1
        if self.waiting > self._bin_max:
            self._bin_max = self.waiting
        return done

    def _start(self, i: int, now: float, done: simpy.Event | None = None) -> simpy.Event:
        """Start truck *i*'s service at *now* (the caller has brought the areas up to it): the
        timeout that ends it, whose value is *i* (or, for a truck that queued, *i* and its own
        event *done*, succeeded first when the service ends). Written out in :meth:`serve` for a
        lane found free: keep the two alike."""
        self.busy += 1
        self._starts[i] = now
        service = self._service[i] / self.factor
        self.due[i] = now + service
        ends = self._timeout(service, i if done is None else (i, done))
        ends.callbacks.append(self._on_end)
        return ends

    def _finish(self, timeout: simpy.Event) -> None:
        # SimPy's attribute behind the value property, without its check (a processed event has
        # a value); tests/test_mechanisms.py holds SimPy to _now and _value meaning now and value.
        i = timeout._value
        if type(i) is tuple:  # a truck that queued: its own event
            i, done = i
            done.succeed(i)
        del self.due[i]
        now = self.env._now
        dt = now - self._last
        if dt:  # self._advance(now), written out: it runs at every visit's end
            self._wait_area += self.waiting * dt
            busy = self.busy * dt
            self._busy_area += busy
            if self.is_open:
                self._busy_open_area += busy
            self._last = now
        self.busy -= 1
        self._ends[i] = now
        if self.waiting:
            self._start_waiting(now)

    def start_at(self, t_min: float) -> None:
        """Count areas from *t_min* on, every group closed until its schedule's state at
        *t_min* is set (so that no lane starts a truck before every group's state is known)."""
        super().start_at(t_min)
        self._open_since = t_min
        self.group_open = [False] * len(self.group_open)
        self.is_open = False

    def resume_service(self, i: int, end_min: float, delay: float) -> simpy.Event:
        """Put truck *i* back in service, to end after *delay* (at *end_min*), in a restarted run;
        the event succeeds with *i* then, as :meth:`serve`'s for a truck that found a lane free."""
        self.busy += 1
        self.due[i] = end_min
        ends = self.env.timeout(delay, i)
        ends.callbacks.append(self._finish)
        return ends

    def resume_waiting(self, i: int, group: int = 0) -> simpy.Event:
        """Put truck *i* back in its group's queue, behind those put back before it, in a
        restarted run (its priority class still counts); see :meth:`serve`."""
        done = simpy.Event(self.env)
        rank = 0 if self.priority is None else self.priority[i]
        heapq.heappush(self.queues[group], (rank, next(self._seq), i, done))
        self.waiting += 1
        self._bin_max = max(self._bin_max, self.waiting)
        return done

    def queued(self) -> list[tuple[int, int, int]]:
        """The trucks waiting, as (order, group, truck), in the order they asked for a lane
        (within a priority class, the order they are served; across groups, too)."""
        return sorted((seq, g, i) for g, queue in enumerate(self.queues) for _, seq, i, _ in queue)

    def fill(self) -> None:
        """Start waiting trucks on free lanes of open groups (after a restart put them back)."""
        now = self.env.now
        self._advance(now)
        self._start_waiting(now)

    def _next_queue(self) -> list | None:
        """The open group's queue whose first truck goes next, or None (pools of several groups)."""
        best = None
        for queue, is_open in zip(self.queues, self.group_open, strict=True):
            if is_open and queue and (best is None or queue[0] < best[0]):
                best = queue
        return best

    def _start_waiting(self, now: float) -> None:
        # Every caller has brought the areas up to *now* (an opening's fill, at the instant of the
        # change, too): the counts change here at that instant.
        if len(self.queues) == 1:  # one group: most pools
            queue = self.queues[0]
            while self.busy < self.lanes and queue and self.group_open[0]:
                self.waiting -= 1
                _, _, i, done = heapq.heappop(queue)
                self._start(i, now, done)
            return
        while self.busy < self.lanes:
            queue = self._next_queue()
            if queue is None:
                return
            self.waiting -= 1
            _, _, i, done = heapq.heappop(queue)
            self._start(i, now, done)

    def set_state(self, is_open: bool, factor: float, group: int = 0) -> None:
        """Open or close one group and set the pool's rate factor (from a :class:`Schedule`)."""
        now = self.env.now
        self._advance(now)  # the busy time up to now belongs to the state before this change
        if self.is_open:
            self._open_area += now - self._open_since
        self._open_since = now
        opens = is_open and not self.group_open[group]
        self.group_open[group] = is_open
        self.is_open = any(self.group_open)
        self.factor = factor
        if opens and len(self.group_open) > 1:
            # Groups that open at the same instant (export and import hours at 07:00) must compete
            # by priority class, not by which opening SimPy happens to process first: the lanes
            # are filled once every change at this instant is in.
            if not self._opening:
                self._opening = True
                self.env.timeout(0).callbacks.append(self._opened)
            return
        self._start_waiting(now)

    def _opened(self, _: simpy.Event) -> None:
        self._opening = False
        self._start_waiting(self.env.now)

    def sample(self, k: int, now: float) -> None:
        super().sample(k, now)
        open_area = self._open_area + (now - self._open_since if self.is_open else 0.0)
        self.cum_open[k] = open_area
        self.cum_busy_open[k] = self._busy_open_area

    def export(self) -> dict[str, np.ndarray]:
        return {
            **super().export(),
            "cum_open": self.cum_open,
            "cum_busy_open": self.cum_busy_open,
            "lanes": np.array([self.lanes]),
        }


class Holding(Monitor):
    """A yard of *capacity* places (None = unlimited) with a first-come road queue behind it.

    ``waiting`` counts trucks on the road (a park's road queue adds to it, so that it counts
    every truck of this gate and direction queueing on the road), ``busy`` trucks in the yard.
    With ``turn_away`` a truck that finds the yard full leaves at once instead of queueing.
    ``on_leave`` is told whenever a place frees (a park's call-forward listens).
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
        self._enters = memoryview(enter_log)
        self.road: deque[tuple[int, simpy.Event]] = deque()
        self.on_leave: Callable[[float], None] | None = None

    def enter(self, i: int) -> simpy.Event | bool | None:
        """None: in the yard now; an event: wait for it on the road; False: turned away."""
        now = self.env._now
        if self.capacity is None or (self.busy < self.capacity and not self.road):
            self._admit(i, now)
            return None
        if self.turn_away:
            return False
        done = simpy.Event(self.env)
        self.road.append((i, done))
        self.add_waiting(1, now)
        return done

    def _admit(self, i: int, now: float) -> None:
        dt = now - self._last
        if dt:  # self.add_busy(1, now), written out: it runs at every truck's entry
            self._wait_area += self.waiting * dt
            self._busy_area += self.busy * dt
            self._last = now
        self.busy += 1
        if self.busy > self._bin_max_busy:
            self._bin_max_busy = self.busy
        self._enters[i] = now

    def admit_road(self) -> None:
        """Let trucks on the road into free places (after a restart put them back)."""
        now = self.env._now
        self._advance(now)
        while self.road and (self.capacity is None or self.busy < self.capacity):
            i, done = self.road.popleft()
            self.waiting -= 1
            self._admit(i, now)
            done.succeed(i)

    def resume_road(self, i: int) -> simpy.Event:
        """Put truck *i* back on the road, behind those put back before it (a restarted run)."""
        done = simpy.Event(self.env)
        self.road.append((i, done))
        self.add_waiting(1)
        return done

    def leave(self) -> None:
        """A truck leaves the yard: the first truck on the road takes its place."""
        now = self.env._now
        self._advance(now)
        self.busy -= 1
        if self.road:
            i, done = self.road.popleft()
            self.waiting -= 1
            self._admit(i, now)
            done.succeed(i)
        if self.on_leave is not None:
            self.on_leave(now)


class Park(Monitor):
    """A holding park upstream of a yard: trucks wait here until called forward to the gate.

    ``busy`` counts trucks in the park. A truck that finds the park full queues on the road,
    counted on the yard's road. Trucks are called while the yard's trucks, those queueing on
    its road and those on their way from the park number fewer than *threshold* (None: no
    limit), by priority class (``priority[i]``, lower first; None = arrival order).
    """

    def __init__(
        self,
        env: simpy.Environment,
        places: int | None,
        yard: Holding,
        threshold: int | None,
        in_log: np.ndarray,
        called_log: np.ndarray,
        priority: np.ndarray | bytes | None,
        n_samples: int,
    ) -> None:
        super().__init__(env, n_samples)
        self.places = places
        self.yard = yard
        self.threshold = threshold
        self.in_log = in_log
        self.called_log = called_log
        self._ins = memoryview(in_log)
        self._calls = memoryview(called_log)
        self.priority = small_ints(priority)
        self.in_transit = 0
        self.held: list[tuple[int, int, int, simpy.Event]] = []
        self.road: deque[tuple[int, simpy.Event]] = deque()
        self._seq = itertools.count()
        yard.on_leave = self.release

    def enter(self, i: int) -> simpy.Event:
        """An event that succeeds when truck *i* is called forward (from the park, or its road)."""
        called = simpy.Event(self.env)
        now = self.env.now
        if self.places is None or (self.busy < self.places and not self.road):
            self._admit(i, called, now)
        else:
            self.road.append((i, called))
            self.yard.add_waiting(1, now)
        self.release(now)
        return called

    def _admit(self, i: int, called: simpy.Event, now: float) -> None:
        self.add_busy(1, now)
        self._ins[i] = now
        rank = 0 if self.priority is None else self.priority[i]
        heapq.heappush(self.held, (rank, next(self._seq), i, called))

    def _room(self) -> bool:
        if self.threshold is None:
            return True
        yard = self.yard
        return yard.busy + len(yard.road) + self.in_transit < self.threshold

    def release(self, now: float) -> None:
        """Call trucks forward while the yard has room for them, at *now*."""
        while self.held and self._room():
            _, _, i, called = heapq.heappop(self.held)
            self._advance(now)
            self.busy -= 1
            self.in_transit += 1
            self._calls[i] = now
            called.succeed(i)
            if self.road:
                j, ev = self.road.popleft()
                self.yard.add_waiting(-1, now)
                self._admit(j, ev, now)

    def resume_held(self, i: int) -> simpy.Event:
        """Put truck *i* back in the park, behind those of its class put back before it."""
        called = simpy.Event(self.env)
        rank = 0 if self.priority is None else self.priority[i]
        heapq.heappush(self.held, (rank, next(self._seq), i, called))
        self.add_busy(1)
        return called

    def resume_road(self, i: int) -> simpy.Event:
        """Put truck *i* back on the road before the full park."""
        called = simpy.Event(self.env)
        self.road.append((i, called))
        self.yard.add_waiting(1)
        return called

    def admit_road(self) -> None:
        """Let trucks on the road before the park into free places (after a restart)."""
        now = self.env.now
        while self.road and (self.places is None or self.busy < self.places):
            j, ev = self.road.popleft()
            self.yard.add_waiting(-1, now)
            self._admit(j, ev, now)

    def queued(self) -> list[tuple[int, int]]:
        """The trucks in the park as (order, truck), the park's own order, first first."""
        return sorted((seq, i) for _, seq, i, _ in self.held)

    def arrived(self) -> None:
        """A called truck reached the gate."""
        self.in_transit -= 1
