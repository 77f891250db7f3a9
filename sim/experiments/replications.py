"""Running replications: serially, in a process pool or on any ``concurrent.futures`` executor
(a Dask cluster's beyond one machine).

Replication *i* of an experiment with seed *s* uses ``SeedSequence(s, spawn_key=(i,))`` as the
root of its named streams, so it is the same wherever and in whatever order it runs, and two
scenarios given the same seed see the same trucks (common random numbers); options that would draw
them alike share one drawing per replication (:mod:`sim.world.shared_draws`). Pool workers end with
the process that started them, even when it is killed outright, and an interrupted pool stops its
workers instead of waiting for them.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.answer import (
    day_figures,
)
from sim.experiments.folders import RunInterruptedError
from sim.experiments.histograms import time_in_system_histogram
from sim.experiments.results import GIVE_BACK_MIN_TRUCKS, Run, give_back_free_memory, run
from sim.experiments.window import Window
from sim.world.scenario import Scenario
from sim.world.shared_draws import DrawStore, shared_keys

Task = tuple[int, int]
"""(scenario number, replication index)."""


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The root seed of replication *index*: the *index*-th child of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


@dataclass
class Replication:
    """What one replication leaves behind: KPIs, daily counts, and optionally series and the run."""

    index: int
    kpis: pd.Series
    daily: pd.DataFrame
    queues: pd.DataFrame | None = None
    run: Run | None = None
    wall_s: float = 0.0
    bottlenecks: pd.DataFrame | None = None
    seed: int | None = None
    """The experiment seed it was drawn from (with *index*, its random numbers)."""
    monthly: pd.DataFrame | None = None
    """The replication's figures month by month (:meth:`sim.experiments.results.Run.monthly`)."""
    days: pd.DataFrame | None = None
    """The replication's figures day by day for the answer (:func:`sim.experiments.answer.day_figures`)."""
    tis_hist: pd.DataFrame | None = None
    """Trucks by time in system in fixed bins, by direction and cargo class, over the window
    (:func:`sim.experiments.histograms.time_in_system_histogram`), for figures over every replication."""


def run_replication(
    scenario: Scenario,
    seed: int,
    index: int,
    keep_series: bool = True,
    keep_run: bool = False,
    window: Window | None = None,
    shared: frozenset[str] = frozenset(),
) -> Replication:
    """Simulate replication *index*; keep only what is asked for, so that sweeps stay small.

    KPIs and the bottleneck statement are taken over *window* (default: after the warm-up).
    *shared* are the draw keys other options of the experiment share: those draws are made once
    per replication in this process and copied (the same numbers as drawing them again).
    """
    root = replication_seed(seed, index)
    arrivals = draws = None
    if shared:
        arrivals, draws = _draw_store(shared).get(scenario, root)
    r = run(scenario, seed=root, arrivals=arrivals, draws=draws)
    queues = None
    if keep_series:
        queues = r.queues[["time_h", "gate", "place", "queue_mean"]].copy()
        queues["queue_mean"] = queues["queue_mean"].astype(np.float32)
        r.forget("queues")  # a run kept whole makes its full table again if asked: 25 MiB a year
    rep = Replication(
        index,
        r.kpis(window),
        r.daily,
        queues,
        r if keep_run else None,
        r.wall_s,
        bottlenecks=r.bottlenecks(window),
        seed=seed,
        monthly=r.monthly(window),
        days=day_figures(r),
        tis_hist=time_in_system_histogram(r, window),
    )
    if len(r.data.arrivals) >= GIVE_BACK_MIN_TRUCKS:
        del r
        give_back_free_memory()  # the tables' scratch arrays, and a run not kept, are gone
    return rep


_LOCAL = threading.local()


def _draw_store(shared: frozenset[str]) -> DrawStore:
    """This thread's store of shared draws (one per thread: pool workers, and a Dask worker's
    threads, keep their own, so that no replication reads another's)."""
    store = getattr(_LOCAL, "store", None)
    if store is None or store.shared != shared:
        store = _LOCAL.store = DrawStore(set(shared))
    return store


def forget_shared_draws() -> None:
    """Let this thread's shared draws go (an experiment's end: they are of its last replication)."""
    _LOCAL.store = None


_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int, from_main_thread: bool) -> None:
    """Pool worker initializer: end this worker as soon as *parent* (the main process) ends.

    On Linux the kernel kills the worker when its parent dies (``prctl(PR_SET_PDEATHSIG)``; it
    fires when the *thread* that started the worker ends, so only for pools started from the
    main thread); otherwise a thread watches for the worker being handed to another parent.
    Without this, the workers of a killed run go on for minutes, holding its output pipe.
    """
    # The parent handles Ctrl-C and SIGTERM and then stops the workers itself (a worker hit by
    # Ctrl-C while idle would only print a traceback); the command line's handler is for it alone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ppid = os.getppid()
    if from_main_thread and sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != ppid or (ppid != parent and not _alive(parent)):
                os._exit(1)  # the parent died before the signal was armed
            return
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True, name="parent-watch").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(ppid: int) -> None:
    while os.getppid() == ppid:
        time.sleep(0.5)
    os._exit(1)


def _stop_workers(pool: ProcessPoolExecutor, timeout_s: float = 10.0) -> None:
    """Kill a pool's workers now: an interrupted run keeps nothing they would still finish.

    A worker killed while it sends its result leaves half a message in the pool's result pipe,
    and the pool's manager thread would wait for the rest for ever: ``shutdown(wait=True)`` and
    the interpreter's exit both join that thread, so the command would hang instead of stopping.
    Once the workers are gone, closing this process's own copy of the pipe's write end (the
    only one left) turns that wait into end-of-file, which the pool handles as a broken pool.
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
    else:
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
    sentinels = []
    for proc in procs:
        with contextlib.suppress(Exception):
            sentinels.append(proc.sentinel)
    if sentinels:
        multiprocessing.connection.wait(sentinels, timeout=timeout_s)
    for proc in procs:
        with contextlib.suppress(Exception):
            if proc.is_alive():
                proc.kill()
    if sentinels:
        multiprocessing.connection.wait(sentinels, timeout=timeout_s)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()


def run_tasks(
    scenarios: Sequence[Scenario],
    tasks: Iterable[Task],
    seed: int,
    *,
    jobs: int | None = None,
    executor: Executor | None = None,
    keep_series: bool = True,
    keep_runs: int = 1,
    on_done: Callable[[Task, Replication], None] | None = None,
    done: Mapping[Task, Replication] | None = None,
    window: Window | None = None,
    share_draws: bool = True,
) -> dict[Task, Replication]:
    """Run every (scenario, replication) task not in *done*; full runs are kept for replications
    below *keep_runs*. Returns every task's replication, those in *done* included. With
    *share_draws*, scenarios that draw their trucks alike share each replication's drawing (the
    same numbers; False draws every run's own, as a check).

    Raises :class:`RunInterruptedError` with the finished replications on Ctrl-C or a dead worker.
    """
    finished: dict[Task, Replication] = dict(done or {})
    tasks = [t for t in tasks if t not in finished]
    done = finished
    running = sorted({k for k, _ in tasks})
    share = share_draws and len(running) > 1
    shared = frozenset(shared_keys([scenarios[k] for k in running])) if share else frozenset()
    if shared:  # replication by replication, so that the options of one share its draws
        tasks.sort(key=lambda task: (task[1], task[0]))

    def finish(task: Task, rep: Replication) -> None:
        # Saved first, then counted: a Ctrl-C during the save must not count a replication as
        # kept that is not on disk (the harvest after the interrupt saves it again).
        if on_done is not None:
            on_done(task, rep)
        done[task] = rep

    def args(task: Task) -> tuple[Any, ...]:
        k, i = task
        return scenarios[k], seed, i, keep_series, i < keep_runs, window, shared

    jobs = jobs or os.cpu_count() or 1
    if executor is None and (jobs == 1 or len(tasks) <= 1):
        try:
            for task in tasks:
                finish(task, run_replication(*args(task)))
        except KeyboardInterrupt:
            raise RunInterruptedError(done, "interrupted") from None
        finally:
            forget_shared_draws()
        return done
    own = executor is None
    if executor is None:
        pool: Executor = ProcessPoolExecutor(
            max_workers=jobs,
            initializer=_end_with_parent,
            initargs=(os.getpid(), threading.current_thread() is threading.main_thread()),
        )
    else:
        pool = executor
    futures: dict[Future, Task] = {}
    finished_all = False
    try:
        futures = {pool.submit(run_replication, *args(t)): t for t in tasks}
        for fut in as_completed(futures):
            finish(futures[fut], fut.result())
        finished_all = True
    except KeyboardInterrupt:
        _harvest(futures, done, finish)
        raise RunInterruptedError(done, "interrupted") from None
    except BrokenProcessPool:
        _harvest(futures, done, finish)
        raise RunInterruptedError(done, "a worker process died") from None
    finally:
        for fut in futures:
            fut.cancel()
        if own:
            if not finished_all and isinstance(pool, ProcessPoolExecutor):
                _stop_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)
    return done


def _harvest(
    futures: dict[Future, Task], done: dict[Task, Replication], finish: Callable[[Task, Replication], None]
) -> None:
    """Keep every replication that finished, even if it was not yet collected when work stopped."""
    for fut, task in futures.items():
        if task not in done and fut.done() and not fut.cancelled() and fut.exception() is None:
            finish(task, fut.result())
