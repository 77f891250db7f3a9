"""Replications, intervals, comparisons, sweeps, executors, and interrupted experiments."""

from __future__ import annotations

import copy
import math
import signal
import subprocess
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TEXTBOOK, bordersim, bordersim_command, textbook
from scipy import stats

from sim.experiments.designs import compare, replicate, sweep
from sim.experiments.experiment import replications_needed
from sim.experiments.folders import RunInterruptedError
from sim.experiments.replications import run_tasks
from sim.experiments.stats import mser5, summarise


@pytest.fixture(scope="module")
def short_baseline(baseline):
    return baseline.with_changes({"run.days": 15, "run.warmup_days": 3})


def test_process_pool_gives_the_serial_results(short_baseline) -> None:
    serial = replicate(short_baseline, n=3, seed=5, jobs=1)
    pooled = replicate(short_baseline, n=3, seed=5, jobs=2)
    pd.testing.assert_frame_equal(serial.kpis, pooled.kpis)
    pd.testing.assert_frame_equal(serial.daily, pooled.daily)
    assert serial.kpis["cleared_per_day_mean"].nunique() == 3  # replications differ


def test_dask_local_cluster_gives_the_serial_results() -> None:
    distributed = pytest.importorskip("dask.distributed")
    sc = textbook({"run.days": 10})
    serial = replicate(sc, n=4, seed=2, jobs=1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = replicate(sc, n=4, seed=2, executor=client.get_executor())
    pd.testing.assert_frame_equal(serial.kpis, on_dask.kpis)


def test_summary_is_a_student_t_interval() -> None:
    table = pd.DataFrame({"x": [1.0, 2.0, 4.0, 7.0]})
    row = summarise(table).loc["x"]
    half = stats.t.ppf(0.975, 3) * np.std([1, 2, 4, 7], ddof=1) / 2
    assert row["mean"] == 3.5
    assert row["ci_high"] - row["mean"] == pytest.approx(half)
    assert row["n"] == 4


def test_paired_interval_is_narrower_than_with_independent_seeds(short_baseline) -> None:
    """One more customs lane at Huu Nghi: common random numbers sharpen the difference."""
    alt = short_baseline.with_changes({"name": "more_customs_lanes", "gates.huu_nghi.customs_docs.lanes": 7})
    kpi = "wait_min_mean_huu_nghi_customs_docs"
    paired = compare([short_baseline, alt], n=6, seed=1, jobs=2).differences().set_index("kpi").loc[kpi]
    indep = compare([short_baseline, alt], n=6, seed=1, jobs=2, common_random_numbers=False)
    indep = indep.differences().set_index("kpi").loc[kpi]
    assert paired["diff_mean"] < 0  # more lanes, shorter waits
    assert (paired["diff_ci_high"] - paired["diff_ci_low"]) < 0.5 * (
        indep["diff_ci_high"] - indep["diff_ci_low"]
    )


def test_precision_adds_replications_until_the_interval_is_tight() -> None:
    sc = textbook({"run.days": 10})
    kpi = "wait_min_mean_g_gate_control"
    exp = replicate(sc, n=3, seed=0, jobs=1, precision=0.05, precision_kpi=kpi, max_n=60)
    row = exp.summary().loc[kpi]
    assert exp.n > 3
    assert (row["ci_high"] - row["ci_low"]) / 2 <= 0.05 * row["mean"]
    capped = replicate(sc, n=3, seed=0, jobs=1, precision=0.001, precision_kpi=kpi, max_n=5)
    assert capped.n == 5


def test_replications_needed_follow_the_square_law() -> None:
    x = np.array([10.0, 12.0, 8.0, 11.0, 9.0, 10.0, 12.0, 8.0, 11.0, 9.0])
    half = stats.t.ppf(0.975, 9) * x.std(ddof=1) / np.sqrt(10)
    assert replications_needed(x, 10.0, half / 10 + 1e-9) == 10  # reached already
    assert replications_needed(x, 10.0, half / 20) == 40  # half as wide needs four times as many
    assert replications_needed(np.array([5.0]), 5.0, 0.05) == 2


def test_compare_adds_replications_until_the_paired_difference_is_tight() -> None:
    base = textbook({"run.days": 10})
    alt = base.with_changes({"name": "two_lanes", "gates.g.gate_control.lanes": 2})
    kpi = "wait_min_mean_g_gate_control"
    comp = compare([base, alt], n=3, seed=0, jobs=1, precision=0.05, precision_kpi=kpi, max_n=80)
    d = comp.differences().set_index("kpi").loc[kpi]
    assert comp.experiments[0].n == comp.experiments[1].n > 3
    half = (d["diff_ci_high"] - d["diff_ci_low"]) / 2
    assert half <= 0.05 * comp.experiments[0].kpis[kpi].mean()


def test_run_without_n_uses_the_precision_and_at_least_ten(tmp_path: Path) -> None:
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 4
    file = tmp_path / "tb.yaml"
    file.write_text(yaml.safe_dump(data))
    done = bordersim("run", str(file), "--no-plots", "--jobs", "2", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", index_col="kpi")
    assert summary.loc["cleared_per_day_mean", "n"] >= 10
    assert "precision: cleared_per_day_mean 95% half-width" in done.stdout
    assert "(asked 5%: met)" in done.stdout


def test_mser5_finds_an_initial_transient() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(400)
    x = 50 * np.exp(-t / 15) + rng.normal(0, 1, t.size)
    cut = mser5(x)
    assert 30 <= cut <= 120
    assert mser5(rng.normal(0, 1, 400)) <= 40  # no transient: little to drop


def test_sweep_keeps_kpis_only_and_covers_the_grid() -> None:
    sc = textbook({"run.days": 5})
    sw = sweep(
        sc,
        {"gates.g.gate_control.lanes": [1, 2], "gates.g.demand_trucks_per_day.import.general": [100, 200]},
        n=2,
        seed=0,
        jobs=1,
    )
    table = sw.table()
    assert table["point"].nunique() == 4
    assert set(table["gates.g.gate_control.lanes"]) == {1, 2}
    assert all(r.run is None and r.queues is None for e in sw.experiments for r in e.replications)
    waits = table[table["kpi"] == "wait_min_mean_g_gate_control"].set_index("point")["mean"]
    assert waits[0] > waits[2]  # at 100 a day, one lane waits longer than two


def test_sweep_and_compare_resume_from_finished_replications() -> None:
    sc = textbook({"run.days": 3})
    vary = {"gates.g.gate_control.lanes": [1, 2]}
    first = sweep(sc, vary, n=2, seed=0, jobs=1)
    kept = {(1, 0): first.experiments[1].replications[0]}
    ran = []
    again = sweep(sc, vary, n=2, seed=0, jobs=1, done=kept, on_done=lambda task, rep: ran.append(task))
    assert sorted(ran) == [(0, 0), (0, 1), (1, 1)]
    assert again.experiments[1].replications[0] is kept[(1, 0)]
    pd.testing.assert_frame_equal(first.table(), again.table())
    alt = sc.with_changes({"name": "two", "gates.g.gate_control.lanes": 2})
    ran.clear()
    compare([sc, alt], n=2, seed=0, jobs=1, done=kept, on_done=lambda task, rep: ran.append(task))
    assert (1, 0) not in ran


class _DiesAfter(Executor):
    """Runs the first *k* tasks, then behaves like a pool whose worker was killed."""

    def __init__(self, k: int) -> None:
        self.k = k

    def submit(self, fn, *args, **kwargs):
        fut: Future = Future()
        if self.k > 0:
            self.k -= 1
            fut.set_result(fn(*args, **kwargs))
        else:
            fut.set_exception(BrokenProcessPool("killed"))
        return fut


def test_a_killed_worker_keeps_the_finished_replications() -> None:
    sc = textbook({"run.days": 3})
    with pytest.raises(RunInterruptedError) as err:
        run_tasks([sc], [(0, i) for i in range(5)], 0, executor=_DiesAfter(2))
    assert len(err.value.done) == 2
    assert "died" in err.value.reason


def test_ctrl_c_then_resume_runs_only_the_missing(tmp_path: Path) -> None:
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 60
    file = tmp_path / "tb.yaml"
    file.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    work = tmp_path / ".out.work"
    cmd = ["run", str(file), "-n", "12", "--jobs", "1", "--no-plots", "-o", str(out)]
    proc = subprocess.Popen(
        [*bordersim_command(), *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test worker may ignore SIGINT, and a child inherits that; Ctrl-C must reach the command.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while len(list(work.glob("rep-*.zip"))) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err
    assert not out.exists()
    kept = len(list(work.glob("rep-*.zip")))
    assert 2 <= kept < 12

    done = bordersim(*cmd, "--resume")
    assert done.returncode == 0, done.stderr
    # Replication 0 is kept in full (its trucks are written): it is simulated again from its seed
    # rather than stored with its run, so one fewer is taken from the work folder.
    assert f"resuming: {kept - 1} replications" in done.stderr
    assert not work.exists()
    whole = bordersim(*cmd[:-1], str(tmp_path / "whole"))
    assert whole.returncode == 0
    resumed = pd.read_csv(out / "replications.csv", index_col=0)
    straight = pd.read_csv(tmp_path / "whole" / "replications.csv", index_col=0)
    pd.testing.assert_frame_equal(resumed, straight)
    assert len(resumed) == 12
    assert not math.isnan(
        pd.read_csv(out / "summary.csv", index_col="kpi").loc["cleared_per_day_mean", "ci_low"]
    )


def test_sweep_block_in_yaml_and_bad_keys(tmp_path: Path) -> None:
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 3
    data["sweep"] = {"gates.g.gate_control.lanes": [1, 2]}
    file = tmp_path / "sw.yaml"
    file.write_text(yaml.safe_dump(data))
    done = bordersim("sweep", str(file), "-n", "2", "--jobs", "1", "-o", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert set(table["gates.g.gate_control.lanes"]) == {1, 2}
    assert (tmp_path / "s" / "plots" / "sweep_time_in_system_h_mean.png").exists()
    # A bad value given with --vary is named by that argument, not as a key of the file's sweep block.
    bad = bordersim("sweep", str(file), "--vary", "gates.g.gate_control.lanes=0,2", "-o", str(tmp_path / "b"))
    assert bad.returncode == 2
    assert "--vary gates.g.gate_control.lanes=0,2: invalid scenario" in bad.stderr
    assert "sweep.gates" not in bad.stderr
    assert not (tmp_path / "b").exists()
    data["sweep"] = {"gates.g.gate_control.lanes": [0, 2]}  # the same value in the file's block
    file.write_text(yaml.safe_dump(data))
    bad = bordersim("sweep", str(file), "-o", str(tmp_path / "b"))
    assert bad.returncode == 2
    assert f"{file}: invalid scenario" in bad.stderr
    assert "sweep.gates.g.gate_control.lanes" in bad.stderr
    assert not (tmp_path / "b").exists()


def test_cli_on_a_local_dask_cluster_matches_local_processes(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 5
    file = tmp_path / "tb.yaml"
    file.write_text(yaml.safe_dump(data))
    common = ["run", str(file), "-n", "3", "--no-plots", "-q"]
    on_dask = bordersim(*common, "--dask", "local", "--jobs", "2", "-o", str(tmp_path / "dask"))
    assert on_dask.returncode == 0, on_dask.stderr
    local = bordersim(*common, "--jobs", "1", "-o", str(tmp_path / "local"))
    assert local.returncode == 0, local.stderr
    a = pd.read_csv(tmp_path / "dask" / "replications.csv", index_col=0)
    b = pd.read_csv(tmp_path / "local" / "replications.csv", index_col=0)
    pd.testing.assert_frame_equal(a, b)
