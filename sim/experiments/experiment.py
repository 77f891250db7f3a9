"""An experiment: one scenario's replications, their KPIs with intervals, the bottlenecks and the
answer about the event; warm-up advice; how many replications a precision needs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.experiments.answer import (
    ANSWER,
    EpisodeAnswer,
    answer_figures,
    episode_answers,
)
from sim.experiments.replications import Replication
from sim.experiments.results import Run, unstable
from sim.experiments.stats import (
    kpi_domain,
    mser5,
    summarise,
    t_half_width,
)
from sim.experiments.window import Window
from sim.world.calendar import MIN_PER_DAY
from sim.world.scenario import Scenario


@dataclass
class Experiment:
    """Replications of one scenario: their KPIs, daily counts, series, and intervals."""

    scenario: Scenario
    seed: int
    replications: list[Replication] = field(default_factory=list)
    window: Window | None = None
    _answers: tuple[list[Replication], Window | None, list[EpisodeAnswer]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

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
                    "growth_trucks": float(g["growth_trucks"].iloc[0]) if n == 1 else np.nan,
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
        (:mod:`sim.experiments.answer`); empty when the replications kept none. Worked out once
        for the same replications and window (the console and the folder both say it)."""
        done = self._answers
        if (
            done is not None
            and done[1] == self.window
            and len(done[0]) == len(self.replications)
            and all(a is b for a, b in zip(done[0], self.replications, strict=True))
        ):
            return list(done[2])
        tables = [r.days for r in self.replications if r.days is not None]
        answers = []
        if len(tables) == len(self.replications):
            answers = episode_answers(self.scenario, tables, self.window)
        self._answers = (list(self.replications), self.window, answers)
        return list(answers)

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
        if day >= max(chosen, BASELINE_WARMUP_DAYS):  # a baseline's warm-up fits before the event
            keep = (
                f"the {chosen}-day warm-up ends before it, so keep it"
                if chosen >= BASELINE_WARMUP_DAYS
                else f"set run.warmup_days to the baseline's {BASELINE_WARMUP_DAYS}, which ends before it"
            )
            return (
                f"MSER-5 on the trucks at the gates suggests a warm-up of {suggested} days, past the "
                f"start of the period this scenario studies ({name!r} begins on {when}, day {day}): "
                f"that is the event's own build-up, not the model filling up; {keep}; the queues "
                "change over the run, so read the results month by month (monthly.csv) or over a "
                "window (--window)"
            )
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
