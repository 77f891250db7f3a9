"""The designs of an experiment: one scenario replicated, scenarios compared in pairs, a sweep of a
grid, and several scenarios replicated each; with a precision, replications are added where it is
not met. Every design is :func:`sim.experiments.sequential.run_options` with its own rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.answer import (
    EpisodeAnswer,
    episode_answers,
    has_episode,
)
from sim.experiments.experiment import Experiment, Precision, precision_kpi_list, precision_met
from sim.experiments.folders import RunInterruptedError
from sim.experiments.replications import Replication, Task
from sim.experiments.sequential import Stage, run_options
from sim.experiments.stats import (
    paired_differences,
    paired_effect,
)
from sim.experiments.window import Window
from sim.world.scenario import Scenario, label_apart, short_key


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
    kpis = precision_kpi_list(scenario, precision_kpis, precision_kpi)

    def more(stage: Stage) -> dict[int, int]:
        exp = stage.experiment(0, every=True)
        table = exp.precision_table(kpis)
        needed = max(precision_met(table[k], k, precision).needed_n for k in table.columns)
        if needed <= exp.n or exp.n >= max_n:
            return {}
        return {0: min(max_n, needed)}

    last = run_options(
        [scenario],
        n,
        seed,
        more if precision is not None else None,
        jobs=jobs,
        executor=executor,
        keep_series=keep_series,
        keep_runs=keep_runs,
        done=done,
        on_done=on_done,
        window=window,
    )
    return last.experiment(0, every=True)


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

        def more(stage: Stage) -> dict[int, int]:
            target = stage.counts[0]
            if target >= max_n:
                return {}
            needed = max(p.needed_n for p in paired_precision(stage.experiments(), kpis, precision))
            if needed <= target:
                return {}
            return dict.fromkeys(stage.counts, min(max_n, needed))

        last = run_options(
            scenarios,
            n,
            seed,
            more if precision is not None else None,
            jobs=jobs,
            executor=executor,
            keep_series=keep_series,
            keep_runs=0,
            done=done,
            on_done=on_done,
            window=window,
        )
        return Comparison(last.experiments())
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

    def more(stage: Stage) -> dict[int, int]:
        wanted = {}
        for k, exp in enumerate(stage.experiments()):
            kpis = precision_kpi_list(exp.scenario, precision_kpis, precision_kpi)
            needed = min(max_n, max(precision_met(exp.kpis[x], x, precision).needed_n for x in kpis))
            if needed > stage.counts[k]:
                wanted[k] = needed
        return wanted

    last = run_options(
        scenarios,
        n,
        seed,
        more if precision is not None else None,
        jobs=jobs,
        executor=executor,
        keep_series=keep_series,
        keep_runs=keep_runs,
        done=done,
        on_done=on_done,
        window=window,
    )
    return last.experiments()
