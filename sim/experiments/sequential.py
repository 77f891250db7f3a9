"""Options on common random numbers, with more replications where a rule says undecided.

The one loop every study runs: replicate each option (a scenario) on the same seeds, look at what
the replications say, and give more replications to the options a *rule* says are still
undecided, until the rule asks for none. :func:`replicate`, :func:`compare` and
:func:`replicate_each` (and through them sweeps, the joint fit, the ensembles and validation's
precision) and the optimiser's sequential feasibility are this loop with their own rule; an
*observer* sees every look, and :class:`StepLog` keeps them as a table.

A replication is named by (option, index) and its random numbers by (seed, index) alone, so
option *k*'s replication *i* meets the same trucks as every other option's replication *i*, and
asking for more replications later runs exactly the ones a single larger request would have run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import pandas as pd

from sim.experiments.experiment import Experiment, experiment_of
from sim.experiments.folders import RunInterruptedError
from sim.experiments.replications import Replication, Task, run_tasks
from sim.experiments.window import Window
from sim.world.scenario import Scenario


@dataclass
class Stage:
    """One look of the loop: which options have how many replications, and the replications.

    *counts* maps each option asked for so far to the replications it was asked for in all (its
    indices ``0 .. count - 1``); *replications* holds every replication run or given, by option
    and index (a resumed run may hold more than an option's count).
    """

    number: int
    scenarios: Sequence[Scenario]
    seed: int
    window: Window | None
    counts: dict[int, int]
    replications: dict[int, dict[int, Replication]]

    def experiment(self, k: int, *, every: bool = False) -> Experiment:
        """Option *k*'s first ``counts[k]`` replications as an experiment (*every*: all it has)."""
        reps = self.replications[k]
        kept = reps if every else {i: reps[i] for i in range(self.counts[k])}
        return experiment_of(self.scenarios[k], self.seed, kept, self.window)

    def experiments(self) -> list[Experiment]:
        """Every option asked for, in option order (see :meth:`experiment`)."""
        return [self.experiment(k) for k in sorted(self.counts)]


Rule = Callable[[Stage], Mapping[int, int]]
"""What a study decides at a look: the options that need more replications, each with the count
it should have in all; an empty mapping ends the loop."""

Observer = Callable[[Stage, Mapping[int, int]], None]
"""Called at every look with the stage and what the rule asked for next (after the cap)."""


def run_options(
    scenarios: Sequence[Scenario],
    n: int | Mapping[int, int],
    seed: int,
    rule: Rule | None = None,
    *,
    jobs: int | None = None,
    executor: Executor | None = None,
    keep_series: bool = False,
    keep_runs: int = 0,
    done: Mapping[Task, Replication] | None = None,
    on_done: Callable[[Task, Replication], None] | None = None,
    window: Window | None = None,
    max_n: int | None = None,
    observers: Sequence[Observer] = (),
) -> Stage:
    """Replicate *scenarios* on common random numbers: *n* replications each (or the counts of a
    mapping option -> count: the options not in it are not run), then, while *rule* asks, the
    counts it asks for (capped at *max_n*; a count not above an option's present one is ignored).

    *done* holds replications already run, keyed (option, index), which are not run again;
    *on_done* sees each new replication as it finishes (a checkpoint). Full runs are kept for
    indices below *keep_runs*. On Ctrl-C or a dead worker, :class:`RunInterruptedError` carries
    every replication finished, those of *done* included. Returns the last stage.
    """
    counts = dict(n) if isinstance(n, Mapping) else dict.fromkeys(range(len(scenarios)), n)
    reps: dict[int, dict[int, Replication]] = {k: {} for k in range(len(scenarios))}
    for (k, i), rep in (done or {}).items():
        reps.setdefault(k, {})[i] = rep  # an option not in *scenarios* is kept, never run

    def store(task: Task, rep: Replication) -> None:
        if on_done is not None:
            on_done(task, rep)
        reps[task[0]][task[1]] = rep

    asked = dict(counts)
    number = 0
    while True:
        tasks = [(k, i) for k, c in asked.items() for i in range(c) if i not in reps[k]]
        try:
            run_tasks(
                scenarios,
                tasks,
                seed,
                jobs=jobs,
                executor=executor,
                keep_series=keep_series,
                keep_runs=keep_runs,
                on_done=store,
                window=window,
            )
        except RunInterruptedError as err:
            err.done = {(k, i): r for k, got in reps.items() for i, r in got.items()}
            raise
        stage = Stage(number, scenarios, seed, window, dict(counts), reps)
        wanted = dict(rule(stage)) if rule is not None else {}
        if max_n is not None:
            wanted = {k: min(max_n, c) for k, c in wanted.items()}
        wanted = {k: c for k, c in wanted.items() if c > counts.get(k, 0)}
        for observe in observers:
            observe(stage, wanted)
        if not wanted:
            return stage
        counts.update(wanted)
        asked = wanted
        number += 1


@dataclass
class StepLog:
    """An observer that keeps every look as rows: the stage, the option (and its scenario's name),
    the replications it had and the count asked for next (0 when none)."""

    rows: list[dict[str, object]] = field(default_factory=list)

    def __call__(self, stage: Stage, wanted: Mapping[int, int]) -> None:
        """Log *stage* and what was asked for next."""
        for k, count in sorted(stage.counts.items()):
            self.rows.append(
                {
                    "stage": stage.number,
                    "option": k,
                    "scenario": stage.scenarios[k].name,
                    "replications": count,
                    "asked_next": wanted.get(k, 0),
                }
            )

    def table(self) -> pd.DataFrame:
        """The rows as a table (columns stage, option, scenario, replications, asked_next)."""
        columns = ["stage", "option", "scenario", "replications", "asked_next"]
        return pd.DataFrame(self.rows, columns=columns)
