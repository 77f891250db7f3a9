"""Replications, paired comparisons and sweeps, run serially, in a process pool or on Dask.

Replication *i* of an experiment with seed *s* uses ``SeedSequence(s, spawn_key=(i,))`` as the
root of its named streams, so it is the same wherever and in whatever order it runs, and two
scenarios given the same seed see the same trucks (common random numbers). Any
``concurrent.futures.Executor`` runs the replications: a process pool here, or a Dask cluster's
executor beyond one machine. Pool workers end with the process that started them, even when it
is killed outright, and an interrupted pool stops its workers instead of waiting for them.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import itertools
import math
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.experiments.answer import (
    ANSWER,
    EpisodeAnswer,
    answer_figures,
    day_figures,
    episode_answers,
    has_episode,
)
from sim.experiments.folders import RunInterruptedError
from sim.experiments.histograms import time_in_system_histogram
from sim.experiments.results import (
    GIVE_BACK_MIN_TRUCKS,
    Run,
    Window,
    give_back_free_memory,
    run,
    statement,
    unstable,
)
from sim.experiments.stats import (
    kpi_domain,
    mser5,
    paired_differences,
    paired_effect,
    summarise,
    t_half_width,
)
from sim.world.calendar import MIN_PER_DAY
from sim.world.scenario import Scenario, label_apart, short_key

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
) -> Replication:
    """Simulate replication *index*; keep only what is asked for, so that sweeps stay small.

    KPIs and the bottleneck statement are taken over *window* (default: after the warm-up).
    """
    r = run(scenario, seed=replication_seed(seed, index))
    queues = None
    if keep_series:
        queues = r.queues[["time_h", "gate", "place", "queue_mean"]].copy()
        queues["queue_mean"] = queues["queue_mean"].astype(np.float32)
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
) -> dict[Task, Replication]:
    """Run every (scenario, replication) task not in *done*; full runs are kept for replications
    below *keep_runs*. Returns every task's replication, those in *done* included.

    Raises :class:`RunInterruptedError` with the finished replications on Ctrl-C or a dead worker.
    """
    finished: dict[Task, Replication] = dict(done or {})
    tasks = [t for t in tasks if t not in finished]
    done = finished

    def finish(task: Task, rep: Replication) -> None:
        # Saved first, then counted: a Ctrl-C during the save must not count a replication as
        # kept that is not on disk (the harvest after the interrupt saves it again).
        if on_done is not None:
            on_done(task, rep)
        done[task] = rep

    def args(task: Task) -> tuple[Any, ...]:
        k, i = task
        return scenarios[k], seed, i, keep_series, i < keep_runs, window

    jobs = jobs or os.cpu_count() or 1
    if executor is None and (jobs == 1 or len(tasks) <= 1):
        try:
            for task in tasks:
                finish(task, run_replication(*args(task)))
        except KeyboardInterrupt:
            raise RunInterruptedError(done, "interrupted") from None
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


@dataclass
class Experiment:
    """Replications of one scenario: their KPIs, daily counts, series, and intervals."""

    scenario: Scenario
    seed: int
    replications: list[Replication] = field(default_factory=list)
    window: Window | None = None

    @property
    def n(self) -> int:
        return len(self.replications)

    @property
    def kpis(self) -> pd.DataFrame:
        """One row per replication, one column per KPI."""
        table = pd.DataFrame({r.index: r.kpis for r in self.replications}).T.sort_index()
        table.index.name = "replication"
        return table

    def summary(self) -> pd.DataFrame:
        """Per KPI: mean, standard deviation, 95% Student-t interval and number of replications."""
        return summarise(self.kpis)

    @property
    def daily(self) -> pd.DataFrame:
        return pd.concat([r.daily.assign(replication=r.index) for r in self.replications], ignore_index=True)

    @property
    def monthly(self) -> pd.DataFrame:
        """Every replication's figures month by month (:meth:`sim.experiments.results.Run.monthly`), with a
        ``replication`` column; empty when the replications kept none."""
        frames = [r.monthly.assign(replication=r.index) for r in self.replications if r.monthly is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def monthly_summary(self) -> pd.DataFrame:
        """Per month and figure: mean over the replications, 95% interval kept in range, and n
        (one observation per replication, as for the KPIs). ``growing_share_<gate>_<direction>``
        is the share of replications whose queue grows over the month."""
        per_rep = self.monthly
        if per_rep.empty:
            return pd.DataFrame()
        frames = []
        for month, g in per_rep.groupby("month", sort=True):
            values = g.drop(columns=["month", "first", "replication"]).astype(float)
            # A rise in trucks may be negative: no interval kept to a range fits it, so it stays in
            # the per-replication table; whether the queue grows (0 or 1) becomes a share.
            values = values.drop(columns=[c for c in values.columns if c.startswith("growth_trucks_")])
            values = values.rename(columns=lambda c: c.replace("grows_", "growing_share_", 1))
            s = summarise(values.reset_index(drop=True)).rename_axis("figure").reset_index()
            s.insert(0, "month", month)
            frames.append(s)
        return pd.concat(frames, ignore_index=True)

    @property
    def runs(self) -> list[Run]:
        """The replications kept in full (see ``keep_runs``)."""
        return [r.run for r in self.replications if r.run is not None]

    def queue_summary(self) -> pd.DataFrame:
        """Queue length per interval, gate and place: mean over replications and a 95% band."""
        reps = [r.queues for r in self.replications if r.queues is not None]
        if not reps:
            raise ValueError("this experiment kept no queue series (keep_series=False)")
        keys = reps[0][["time_h", "gate", "place"]].reset_index(drop=True)
        values = np.stack([q["queue_mean"].to_numpy(dtype=float) for q in reps])
        out = keys.copy()
        out["queue_mean"] = values.mean(axis=0)
        if len(reps) > 1:
            from sim.experiments.stats import bounded_interval

            out["ci_low"], out["ci_high"], _ = bounded_interval(values, "nonnegative")
        else:
            out["ci_low"] = out["ci_high"] = np.nan
        return out

    def bottlenecks(self) -> pd.DataFrame:
        """Per gate and direction over the replications: the stage most often binding and in how
        many replications it binds, its utilisation over open hours (the mean over every
        replication of its ``utilisation_*`` KPI, the number summary.csv shows), in how many
        replications the queue grows (see ``sim.experiments.results.GROWTH_RULE``), and whether
        that makes it unstable (:func:`sim.experiments.results.unstable`), which is said only of a
        steady state: a window without an episode of events."""
        from sim.experiments.answer import month_growth, references_apply

        frames = [
            r.bottlenecks.assign(replication=r.index) for r in self.replications if r.bottlenecks is not None
        ]
        if not frames:
            raise ValueError("these replications kept no bottleneck statement")
        df = pd.concat(frames, ignore_index=True)
        kpis = self.kpis
        steady = references_apply(self.scenario, self.window)
        by_month = month_growth(self)
        rows = []
        for (gate, direction), g in df.groupby(["gate", "direction"], sort=False):
            counts = g["stage"].value_counts()
            tied = [st for st, c in counts.items() if c == counts.max()]

            def mean_util(st: object, gate: str = gate) -> float:
                key = f"utilisation_{gate}_{st.replace(':', '_')}" if isinstance(st, str) else ""
                return float(kpis[key].mean()) if key in kpis else -1.0

            # Most often binding; a tie goes to the busier stage over the window, as in the answer.
            stage = max(tied, key=mean_util)
            key = f"utilisation_{gate}_{stage.replace(':', '_')}" if isinstance(stage, str) else ""
            if key in kpis:
                util = float(kpis[key].mean())
            else:
                util = g.loc[g["stage"] == stage, "utilisation"].mean()
            grows = int(g["grows"].sum())
            n = len(g)
            binds = int((g["stage"] == stage).sum())
            judged = bool(g["growth_trucks"].notna().any())
            months = "; ".join(f"{m} ({k}/{t})" for m, k, t in by_month.get((gate, direction), []))
            rows.append(
                {
                    "gate": gate,
                    "direction": direction,
                    "stage": stage,
                    "binding_share": binds / n,
                    "binds_in": binds,
                    "utilisation": util,
                    "grows_in": grows,
                    "judged": judged,
                    "n": n,
                    "unstable": steady and unstable(grows, n),
                    "steady": steady,
                    "grows_months": months,
                    # One replication: its own rise in trucks says how much the queue grows.
                    "statement": statement(
                        self.scenario,
                        gate,
                        direction,
                        stage,
                        util,
                        grows,
                        n,
                        float(g["growth_trucks"].iloc[0]) if n == 1 or not judged else None,
                        binds_in=binds,
                        steady=steady,
                        months=months,
                    ),
                }
            )
        return pd.DataFrame(rows)

    def precision_table(self, kpis: Sequence[str]) -> pd.DataFrame:
        """The per-replication values the precision rule judges: the KPIs named, and in place of
        :data:`~sim.experiments.answer.ANSWER` the answer's own figures
        (:func:`~sim.experiments.answer.answer_figures`)."""
        table = self.kpis
        named = [k for k in kpis if k != ANSWER and k in table.columns]
        out = table[named].reset_index(drop=True)
        if ANSWER in kpis:
            out = pd.concat([out, answer_figures(self.answers()).reset_index(drop=True)], axis=1)
        return out

    def answers(self) -> list[EpisodeAnswer]:
        """The answer about each episode (or the window), from the replications' day tables
        (:mod:`sim.experiments.answer`); empty when the replications kept none."""
        tables = [r.days for r in self.replications if r.days is not None]
        if len(tables) < len(self.replications):
            return []
        return episode_answers(self.scenario, tables, self.window)

    def suggested_warmup_days(self) -> int:
        """MSER-5 on the daily mean number of trucks at the gates, averaged over replications."""
        q = self.queue_summary()
        held = (q["gate"] != "platform") & q["place"].str.startswith(("road_", "yard_", "park"))
        per_hour = q.loc[held, ["time_h", "queue_mean"]].groupby("time_h")["queue_mean"].sum()  # 2 columns
        per_day = per_hour.groupby((per_hour.index * 60 // MIN_PER_DAY).astype(int)).mean()
        return mser5(per_day.to_numpy())


BASELINE_WARMUP_DAYS = 7
"""The baseline's warm-up (scenarios/baseline.yaml): a week fills the yards and queues."""


def first_event_day(scenario: Scenario) -> tuple[int, str] | None:
    """The first day of the run (counted from 0) on which an event begins, and its name; events
    that begin on or before the run's first day (a regime over the whole run) are left out."""
    found: list[tuple[int, int, str]] = []
    for i, ev in enumerate(scenario.events):
        start = ev.start.date() if isinstance(ev.start, dt.datetime) else ev.start
        day = (start - scenario.run.start_date).days
        if 0 < day < scenario.run.days:
            found.append((day, i, ev.name or ev.kind))
    if not found:
        return None
    day, _, name = min(found)  # the earliest; on one day, the first in the file
    return day, name


def warmup_advice(scenario: Scenario, suggested: int, window: Window | None = None) -> str | None:
    """What to say about the warm-up, given the *suggested* days (MSER-5); None if nothing.

    A warm-up is never advised to reach into the period the scenario exists to study: its
    window, or its first event (a Tet closure, a surge). There the advice is to start the run
    earlier, with the baseline's warm-up, and to read non-stationary results month by month
    (monthly.csv) or over a window.
    """
    chosen = scenario.run.warmup_days
    if window is not None:
        first_day = (dt.date.fromisoformat(str(window[0])) - scenario.run.start_date).days
        if suggested > first_day:
            return (
                f"the window starts on day {first_day} of the run, before the {suggested} days MSER-5 "
                "suggests the model needs to fill up: start the run earlier (run.start_date) rather "
                "than shortening the window"
            )
        return None
    if suggested <= chosen:
        return None
    event = first_event_day(scenario)
    if event is not None and suggested > event[0]:
        day, name = event
        when = scenario.run.start_date + dt.timedelta(days=day)
        return (
            f"MSER-5 on the trucks at the gates suggests a warm-up of {suggested} days, but that would "
            f"cut out the period this scenario studies ({name!r} begins on {when}, day {day}): keep "
            f"run.warmup_days and start the run earlier (run.start_date) so that the baseline's "
            f"{BASELINE_WARMUP_DAYS}-day warm-up ends before it; the queues change over the run, so "
            "read the results month by month (monthly.csv) or over a window (--window)"
        )
    return (
        f"a warm-up of {chosen} days looks short; MSER-5 on the trucks at the gates suggests "
        f"{suggested} days (set run.warmup_days)"
    )


def experiment_of(
    scenario: Scenario, seed: int, reps: dict[int, Replication], window: Window | None = None
) -> Experiment:
    """An :class:`Experiment` of the replications *reps* (by index)."""
    return Experiment(scenario, seed, [reps[i] for i in sorted(reps)], window)


MIN_REPLICATIONS = 10
"""The fewest replications a precision-driven experiment runs: fewer give intervals too unreliable."""
DEFAULT_PRECISION = 0.05
"""Default precision: the 95% half-width of the headline KPI within 5% of its mean."""


def headline(scenario: Scenario, kpi: str | None) -> str:
    """The KPI precision is about: the one named, or the scenario's headline KPI."""
    return kpi or scenario.kpi.headline


def precision_kpi_list(
    scenario: Scenario, kpis: Sequence[str] | None = None, kpi: str | None = None
) -> list[str]:
    """The KPIs precision is about, in order and each once: *kpis*, else the single *kpi* (the
    older one-KPI argument), else the scenario's headline KPI."""
    named = list(kpis) if kpis else ([kpi] if kpi else [scenario.kpi.headline])
    return list(dict.fromkeys(named))


SHARE_PRECISION_POINTS = 0.01
"""Half-width asked of a share at the default precision (5%): one percentage point. A share's
relative half-width means little (5% of a 2% share is 0.1 points; of a 90% share, 4.5 points)."""
SMALL_MEAN = 1.0
"""Below this absolute mean a KPI's precision is an absolute half-width (precision x 1 unit): a
relative one would chase a mean near zero (a queue that rarely forms) without end."""


class Precision(NamedTuple):
    """Whether the 95% half-width of a mean meets the precision asked, and what it would take.

    *goal* and *half_width* are in the KPI's unit (a fraction for shares); *kind* says how the
    goal was set: ``relative`` (a fraction of the mean), ``points`` (a share) or ``absolute``
    (a mean below :data:`SMALL_MEAN`). *needed_n* is the replications that would about meet it
    (the count already run when it is met; 2 with fewer than two values).
    """

    met: bool
    half_width: float
    goal: float
    needed_n: int
    kind: str
    n: int
    reference: float


def precision_met(
    values: np.ndarray | pd.Series, kpi: str, precision: float, reference: float | None = None
) -> Precision:
    """Whether the 95% half-width of the mean of *values* (one per replication) meets *precision*.

    Shares need a half-width of at most 1 percentage point x (precision / 0.05); KPIs whose mean
    (*reference*, default the mean of *values*; the base scenario's mean for paired differences)
    is below 1 in absolute value need at most precision x 1 unit; every other KPI, precision x
    its mean. The replications needed scale with the square of the half-width still to gain.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    ref = float(np.mean(x)) if reference is None and n else (math.nan if reference is None else reference)
    if kpi_domain(kpi) == "share":
        kind, goal = "points", SHARE_PRECISION_POINTS * precision / DEFAULT_PRECISION
    elif ref == ref and abs(ref) < SMALL_MEAN:
        kind, goal = "absolute", precision * SMALL_MEAN
    else:
        kind, goal = "relative", precision * abs(ref) if ref == ref else math.nan
    if n < 2:
        return Precision(False, math.nan, goal, 2, kind, n, ref)
    half = float(t_half_width(x.std(ddof=1), n))
    if half <= goal:
        return Precision(True, half, goal, n, kind, n, ref)
    if not goal > 0:
        return Precision(False, half, goal, n + 1, kind, n, ref)  # nothing to reach: one at a time
    return Precision(False, half, goal, max(n + 1, math.ceil(n * (half / goal) ** 2)), kind, n, ref)


def replications_needed(values: np.ndarray, reference: float, precision: float) -> int:
    """How many replications bring the 95% half-width of the mean of *values* within
    ``precision x |reference|`` (the count already run when it is there)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n < 2:
        return 2
    half = float(t_half_width(x.std(ddof=1), n))
    goal = precision * abs(reference)
    if half <= goal:
        return n
    if goal == 0:
        return n + 1  # a zero mean: no relative precision to reach; add one at a time up to the cap
    # Replications needed scale with the square of the half-width still to be gained.
    return max(n + 1, math.ceil(n * (half / goal) ** 2))


def replicate(
    scenario: Scenario,
    n: int = 20,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    keep_series: bool = True,
    keep_runs: int = 1,
    precision: float | None = None,
    precision_kpi: str | None = None,
    max_n: int = 200,
    done: Mapping[Task, Replication] | None = None,
    on_done: Callable[[Task, Replication], None] | None = None,
    window: Window | None = None,
    precision_kpis: Sequence[str] | None = None,
) -> Experiment:
    """Run *n* replications; with *precision*, keep adding until the 95% half-width of every KPI
    of *precision_kpis* (default: *precision_kpi*, else the scenario's headline KPI) meets it
    (:func:`precision_met`), or *max_n* is reached.

    *done* holds replications already run, keyed ``(0, index)`` (for resuming); only the
    missing ones are run.
    """
    reps: dict[int, Replication] = {i: r for (_, i), r in (done or {}).items()}
    kpis = precision_kpi_list(scenario, precision_kpis, precision_kpi)

    def callback(task: Task, rep: Replication) -> None:
        reps[task[1]] = rep
        if on_done is not None:
            on_done(task, rep)

    target = n
    while True:
        missing = [(0, i) for i in range(target) if i not in reps]
        try:
            run_tasks(
                [scenario],
                missing,
                seed,
                jobs=jobs,
                executor=executor,
                keep_series=keep_series,
                keep_runs=keep_runs,
                on_done=callback,
                window=window,
            )
        except RunInterruptedError as err:
            err.done = {(0, i): r for i, r in reps.items()}
            raise
        exp = experiment_of(scenario, seed, reps, window)
        if precision is None:
            return exp
        table = exp.precision_table(kpis)
        needed = max(precision_met(table[k], k, precision).needed_n for k in table.columns)
        if needed <= exp.n or exp.n >= max_n:
            return exp
        target = min(max_n, needed)


def independent_seed(seed: int, k: int) -> int:
    """A seed unrelated to *seed* for scenario *k*, for comparisons without common numbers."""
    return int(np.random.SeedSequence([seed, k, 7919]).generate_state(1)[0])


def scenario_seeds(seed: int, count: int, common_random_numbers: bool = True) -> list[int]:
    """The seed each of *count* compared scenarios is replicated with."""
    return [seed if common_random_numbers else independent_seed(seed, k) for k in range(count)]


@dataclass
class Comparison:
    """Scenarios replicated on common random numbers; differences are against the first."""

    experiments: list[Experiment]

    @property
    def names(self) -> list[str]:
        return [e.scenario.name for e in self.experiments]

    @property
    def answer_reference(self) -> int:
        """The scenario whose episodes frame every option's answer: the base when it has an
        episode, else the first option that has one (the base as it is against an option that
        adds the event: the question is about that event), else the base."""
        for k, exp in enumerate(self.experiments):
            if has_episode(exp.scenario, exp.window):
                return k
        return 0

    def answers(self) -> list[list[EpisodeAnswer]]:
        """Each scenario's answer about the reference scenario's episodes (:attr:`answer_reference`),
        over its windows (its recovery included): one window for every option, so the pairing
        holds."""
        ref = self.answer_reference
        reference = self.experiments[ref].answers()
        out = []
        for k, exp in enumerate(self.experiments):
            if k == ref:
                out.append(reference)
                continue
            tables = [r.days for r in exp.replications if r.days is not None]
            ok = len(tables) == len(exp.replications)
            sc = self.experiments[ref].scenario
            out.append(episode_answers(sc, tables, exp.window, reference) if ok else [])
        return out

    def differences(self) -> pd.DataFrame:
        """Tidy table: scenario, kpi, base and scenario means, paired mean difference, its interval
        and its verdict (:func:`paired_effects`: ``verdict``, ``margin``, ``n_needed``)."""
        base = self.experiments[0]
        frames = []
        for exp in self.experiments[1:]:
            d = paired_effects(base.kpis, exp.kpis, base.scenario.kpi.equivalence)
            d.insert(0, "scenario", exp.scenario.name)
            frames.append(d)
        return pd.concat(frames, ignore_index=True)


def paired_effects(
    base: pd.DataFrame, other: pd.DataFrame, overrides: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Per KPI (one row each): base and other means, the paired mean difference ``other - base``
    with its sd and 95% interval (``diff_*``), n, and the verdict of
    :func:`sim.experiments.stats.paired_effect` with its equivalence margin (*overrides*: the
    scenario's ``kpi.equivalence``) and the replications it would take when undecided.

    *base* and *other* hold one row per replication, paired by their index (the replication).
    """
    d = paired_differences(base, other)
    common = base.index.intersection(other.index)
    b = base.reindex(index=common, columns=d.index)
    o = other.reindex(index=common, columns=d.index)
    margins = dict(overrides or {})
    effects = [paired_effect(str(k), b[k], o[k], overrides=margins) for k in d.index]
    d["ci_low"] = [e.ci_low for e in effects]
    d["ci_high"] = [e.ci_high for e in effects]
    d["margin"] = [e.margin for e in effects]
    d["verdict"] = [e.verdict for e in effects]
    d["n_needed"] = pd.array([e.n_needed for e in effects], dtype="Int64")
    return d.reset_index().rename(
        columns={"mean": "diff_mean", "sd": "diff_sd", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"}
    )


def paired_precision(
    experiments: Sequence[Experiment], kpis: Sequence[str], precision: float
) -> list[Precision]:
    """The precision of each paired difference (every alternative against the first experiment,
    replication by replication) of each of *kpis*, judged against the base mean."""
    base = experiments[0].kpis
    out = []
    for kpi in kpis:
        for e in experiments[1:]:
            other = e.kpis
            common = base.index.intersection(other.index)
            diff = other.loc[common, kpi] - base.loc[common, kpi]
            out.append(precision_met(diff, kpi, precision, float(base.loc[common, kpi].mean())))
    return out


def compare(
    scenarios: Sequence[Scenario],
    n: int = 20,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    common_random_numbers: bool = True,
    keep_series: bool = True,
    done: Mapping[Task, Replication] | None = None,
    on_done: Callable[[Task, Replication], None] | None = None,
    window: Window | None = None,
    precision: float | None = None,
    precision_kpi: str | None = None,
    max_n: int = 200,
    precision_kpis: Sequence[str] | None = None,
) -> Comparison:
    """Replicate every scenario with the same seeds and pair them with the first.

    With *precision*, replications are added (to every scenario alike) until the 95% half-width
    of each paired difference of every KPI of *precision_kpis* (default: *precision_kpi*, else
    the base scenario's headline KPI) meets it against the base scenario's mean
    (:func:`precision_met`), or *max_n* is reached.
    *done* holds replications already run, keyed (scenario number, replication), for resuming.
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    scenarios = label_apart(list(scenarios))
    seeds = scenario_seeds(seed, len(scenarios), common_random_numbers)
    experiments: list[Experiment] = []
    if common_random_numbers:
        kpis = precision_kpi_list(scenarios[0], precision_kpis, precision_kpi)
        target = n
        while True:
            tasks = [(k, i) for k in range(len(scenarios)) for i in range(target)]
            done = run_tasks(
                scenarios,
                tasks,
                seed,
                jobs=jobs,
                executor=executor,
                keep_series=keep_series,
                keep_runs=0,
                done=done,
                on_done=on_done,
                window=window,
            )
            experiments = [
                experiment_of(sc, seed, {i: done[(k, i)] for i in range(target)}, window)
                for k, sc in enumerate(scenarios)
            ]
            if precision is None or target >= max_n:
                return Comparison(experiments)
            needed = max(p.needed_n for p in paired_precision(experiments, kpis, precision))
            if needed <= target:
                return Comparison(experiments)
            target = min(max_n, needed)
    for k, (sc, s) in enumerate(zip(scenarios, seeds, strict=True)):
        mine = {(0, i): r for (j, i), r in (done or {}).items() if j == k}

        def report(task: Task, rep: Replication, k: int = k) -> None:
            if on_done is not None:
                on_done((k, task[1]), rep)

        try:
            exp = replicate(
                sc,
                n,
                s,
                jobs,
                executor,
                keep_series=keep_series,
                keep_runs=0,
                done=mine,
                on_done=report,
                window=window,
                precision=precision,
                precision_kpi=precision_kpi,
                precision_kpis=precision_kpis,
                max_n=max_n,
            )
        except RunInterruptedError as err:
            kept = {(j, r.index): r for j, e in enumerate(experiments) for r in e.replications}
            err.done = kept | {(k, i): r for (_, i), r in err.done.items()}
            raise
        experiments.append(exp)
    return Comparison(experiments)


def sweep_points(vary: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The full grid of dotted-key assignments, in the order the values are given."""
    keys = list(vary)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(vary[k] for k in keys))]


@dataclass
class Sweep:
    """A grid of scenarios, each replicated; KPIs and intervals per point, no trucks kept."""

    base: Scenario
    points: list[dict[str, Any]]
    experiments: list[Experiment]

    @property
    def labels(self) -> list[str]:
        """Each point named by its values: ``customs_docs.lanes=8, hours.close=24:00``."""
        from sim.experiments.costs import value_text

        return [
            ", ".join(f"{short_key(k)}={value_text(v)}" for k, v in point.items()) for point in self.points
        ]

    def effects(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Each point against the first, paired replication by replication (the same seeds): one
        row per later point and KPI (*kpis*, default all), its label, and the columns of
        :func:`paired_effects` (difference, interval, verdict)."""
        base = self.experiments[0].kpis
        if kpis is not None:
            base = base.reindex(columns=list(kpis))
        frames = []
        for p in range(1, len(self.experiments)):
            other = self.experiments[p].kpis.reindex(columns=base.columns)
            d = paired_effects(base, other, self.base.kpi.equivalence)
            d.insert(0, "point", p)
            d.insert(1, "label", self.labels[p])
            frames.append(d)
        if not frames:
            return pd.DataFrame(columns=["point", "label", "kpi", "diff_mean", "verdict"])
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """Tidy: one row per point and KPI, its label, varied values as columns, mean and 95% interval."""
        from sim.experiments.costs import value_text

        frames = []
        for p, (point, exp) in enumerate(zip(self.points, self.experiments, strict=True)):
            s = exp.summary().reset_index()
            s.insert(0, "point", p)
            s.insert(1, "label", self.labels[p])
            for i, (key, value) in enumerate(point.items()):
                # A list or mapping (priority: [fruit, general]) is one value: written as its text.
                s.insert(2 + i, key, value_text(value) if isinstance(value, list | dict) else value)
            frames.append(s)
        return pd.concat(frames, ignore_index=True)


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]],
    n: int = 10,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    done: Mapping[Task, Replication] | None = None,
    on_done: Callable[[Task, Replication], None] | None = None,
    window: Window | None = None,
    precision: float | None = None,
    precision_kpi: str | None = None,
    max_n: int = 200,
    precision_kpis: Sequence[str] | None = None,
) -> Sweep:
    """Replicate every point of the grid *vary* (dotted key -> values) on common random numbers.

    With *precision*, each point gets replications until its own half-width of every KPI of
    *precision_kpis* (default: *precision_kpi*, else the scenario's headline KPI) meets it
    (:func:`precision_met`), or *max_n*.
    *done* holds replications already run, keyed (point number, replication), for resuming.
    """
    points = sweep_points(vary)
    scenarios = [scenario.with_changes(p) for p in points]
    reps = replicate_each(
        scenarios,
        n,
        seed,
        jobs,
        executor,
        done=done,
        on_done=on_done,
        window=window,
        precision=precision,
        precision_kpi=precision_kpi,
        precision_kpis=precision_kpis,
        max_n=max_n,
    )
    return Sweep(scenario, points, reps)


def replicate_each(
    scenarios: Sequence[Scenario],
    n: int,
    seed: int,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    done: Mapping[Task, Replication] | None = None,
    on_done: Callable[[Task, Replication], None] | None = None,
    window: Window | None = None,
    precision: float | None = None,
    precision_kpi: str | None = None,
    max_n: int = 200,
    keep_series: bool = False,
    precision_kpis: Sequence[str] | None = None,
    keep_runs: int = 0,
) -> list[Experiment]:
    """Replicate each scenario on common random numbers, *n* times or, with *precision*, until
    each one's half-width of every KPI of *precision_kpis* (default: *precision_kpi*, else its
    headline KPI) meets it (:func:`precision_met`; at most *max_n*)."""
    targets = dict.fromkeys(range(len(scenarios)), n)
    finished: dict[Task, Replication] = dict(done or {})
    while True:
        tasks = [(k, i) for k, t in targets.items() for i in range(t)]
        finished = run_tasks(
            scenarios,
            tasks,
            seed,
            jobs=jobs,
            executor=executor,
            keep_series=keep_series,
            keep_runs=keep_runs,
            done=finished,
            on_done=on_done,
            window=window,
        )
        exps = [
            experiment_of(sc, seed, {i: finished[(k, i)] for i in range(targets[k])}, window)
            for k, sc in enumerate(scenarios)
        ]
        if precision is None:
            return exps
        more = {}
        for k, exp in enumerate(exps):
            table = exp.kpis
            kpis = precision_kpi_list(exp.scenario, precision_kpis, precision_kpi)
            needed = min(max_n, max(precision_met(table[k], k, precision).needed_n for k in kpis))
            if needed > targets[k]:
                more[k] = needed
        if not more:
            return exps
        targets.update(more)
