"""The one loop of every design and study (:func:`sim.experiments.sequential.run_options`): what it
runs, when it stops, and that asking for replications in stages runs exactly the replications one
request would have run (common random numbers by index)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import textbook

from sim.experiments.folders import RunInterruptedError
from sim.experiments.sequential import Stage, StepLog, run_options


@pytest.fixture(scope="module")
def options() -> list:
    """Two cheap options: the textbook with one and with two servers."""
    base = textbook({"run.days": 2, "run.warmup_days": 0})
    return [base, base.with_changes({"gates.g.gate_control.lanes": 2}, name="two_lanes")]


def kpis(stage: Stage, k: int) -> pd.DataFrame:
    return pd.DataFrame({i: r.kpis for i, r in sorted(stage.replications[k].items())}).T


def test_stages_run_what_one_request_runs(options: list) -> None:
    asked: list[int] = []

    def two_more(stage: Stage) -> dict[int, int]:
        asked.append(stage.counts[0])
        return {0: 4, 1: 4} if stage.number == 0 else {}

    staged = run_options(options, 2, seed=3, rule=two_more, jobs=1)
    once = run_options(options, 4, seed=3, jobs=1)
    assert asked == [2, 4]
    assert staged.counts == once.counts == {0: 4, 1: 4}
    for k in (0, 1):
        pd.testing.assert_frame_equal(kpis(staged, k), kpis(once, k))
    # Common random numbers: both options meet the same trucks in replication i, others in i + 1.
    kept = run_options(options, 2, seed=3, jobs=1, keep_runs=2)
    arrivals = {
        (k, i): kept.replications[k][i].run.trucks["arrival_min"].to_numpy() for k in (0, 1) for i in (0, 1)
    }
    assert (arrivals[(0, 0)] == arrivals[(1, 0)]).all()
    assert len(arrivals[(0, 0)]) != len(arrivals[(0, 1)]) or (arrivals[(0, 0)] != arrivals[(0, 1)]).any()


def test_only_undecided_options_get_more_and_the_cap_holds(options: list) -> None:
    log = StepLog()

    def rule(stage: Stage) -> dict[int, int]:
        if stage.number >= 5:  # a bound of its own, so that a loop without the cap ends too
            return {}
        return {1: stage.counts[1] + 3, 0: stage.counts[0]}  # option 0: not more, so ignored

    last = run_options(options, {0: 2, 1: 2}, seed=0, rule=rule, jobs=1, max_n=6, observers=[log])
    assert last.counts == {0: 2, 1: 6}
    assert sorted(last.replications[0]) == [0, 1]
    assert sorted(last.replications[1]) == list(range(6))
    table = log.table()
    assert list(table.columns) == ["stage", "option", "scenario", "replications", "asked_next"]
    assert table[table.option == 1]["replications"].tolist() == [2, 5, 6]
    assert table[table.option == 1]["asked_next"].tolist() == [5, 6, 0]
    assert table[table.option == 0]["asked_next"].tolist() == [0, 0, 0]


def test_an_option_not_asked_for_is_not_run(options: list) -> None:
    last = run_options(options, {1: 2}, seed=0, jobs=1)
    assert last.replications[0] == {}
    assert last.counts == {1: 2}
    assert [e.scenario.name for e in last.experiments()] == ["two_lanes"]


def test_done_replications_are_not_run_again(options: list) -> None:
    first = run_options(options, 2, seed=1, jobs=1)
    done = {(k, i): r for k, reps in first.replications.items() for i, r in reps.items()}
    seen: list[tuple[int, int]] = []
    last = run_options(options, 3, seed=1, jobs=1, done=done, on_done=lambda t, r: seen.append(t))
    assert sorted(seen) == [(0, 2), (1, 2)]
    assert last.replications[0][0] is done[(0, 0)]


def test_an_interrupt_carries_every_finished_replication(options: list, monkeypatch) -> None:
    import sim.experiments.sequential as sequential

    first = run_options(options, 1, seed=0, jobs=1)
    done = {(k, 0): first.replications[k][0] for k in (0, 1)}

    def interrupted(scenarios, tasks, seed, **kwargs):  # the second task is never finished
        task = next(iter(tasks))
        kwargs["on_done"](task, first.replications[task[0]][0])
        raise RunInterruptedError({}, "interrupted")

    monkeypatch.setattr(sequential, "run_tasks", interrupted)
    with pytest.raises(RunInterruptedError) as err:
        run_options(options, 2, seed=0, done=done)
    assert set(err.value.done) == {(0, 0), (1, 0), (0, 1)}
