"""A user's data is never lost or mixed: end to end through the ``bordersim`` command.

Each test runs the command of this source tree (``python -m sim.presentation.cli`` with the tree on the path)
on tiny horizons, or its ``main`` in this process for refusals that come before any work, and
checks what is on disk afterwards, not only the exit status.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import BASELINE, ROOT, TEXTBOOK

from sim import ScenarioError, load_scenario
from sim.experiments.folders import MARKER, is_results_folder
from sim.presentation.cli import main

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
QUICK = ["--set", "run.days=3", "--set", "run.warmup_days=1", "-n", "2", "--no-plots", "-q"]
INTERRUPTED = (
    "interrupted: {n} replications finished and were kept; rerun the same command with --resume "
    "to run only the missing ones. No results folder was written."
)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim.presentation.cli", *args]


def bordersim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run this tree's ``bordersim`` in *cwd* and capture what it says."""
    return subprocess.run(
        command(*args), capture_output=True, text=True, cwd=cwd, env=ENV, timeout=180, check=False
    )


def in_process(*args: str) -> int:
    """The command's ``main`` in this process, for refusals that happen before anything runs."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        return main(list(args))
    finally:
        signal.signal(signal.SIGTERM, handler)


def _default_sigint() -> None:
    # A test run started in the background inherits an ignored SIGINT; Ctrl-C must reach the command.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=ENV,
        preexec_fn=_default_sigint,
    )


def textbook_file(folder: Path, days: int = 3, name: str = "tb", **changes: object) -> Path:
    data = copy.deepcopy(TEXTBOOK)
    data["name"] = name
    data["run"]["days"] = days
    for key, value in changes.items():
        data[key] = value
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the command ended early ({proc.returncode}): {proc.communicate()[1]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("timed out waiting for the command")
        time.sleep(0.05)


def kept(work: Path) -> int:
    return len(list(work.glob("rep-*.zip")))


def children(pid: int) -> list[int]:
    """Processes whose parent is *pid*, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    """The processes of *pids* still alive after *timeout*; those are killed, so none outlives a test."""
    deadline = time.monotonic() + timeout
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


def hidden_leftovers(folder: Path) -> list[str]:
    """Temporary files and folders a write may leave: partial, old, tmp, lock."""
    names = [p.name for p in folder.rglob("*")]
    return [n for n in names if ".partial-" in n or ".old-" in n or n.endswith((".tmp", ".lock"))]


# -- -o is never an existing file or a folder someone else made -----------------------------------


def test_an_existing_file_is_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    done = bordersim("run", str(textbook_file(tmp_path)), *QUICK, "-o", str(target), cwd=tmp_path)
    assert done.returncode == 2
    assert f"{target} is an existing file" in done.stderr
    assert "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert target.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "tb.yaml"]


def test_every_command_refuses_a_foreign_folder_and_keeps_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tb = str(textbook_file(tmp_path))
    alt = str(textbook_file(tmp_path, name="alt"))
    commands = {
        "run": ["run", tb],
        "compare": ["compare", tb, alt],
        "sweep": ["sweep", tb, "--vary", "gates.g.gate_control.lanes=1,2"],
        "table": ["table", tb],
        "validate": ["validate", str(ROOT / "validation" / "record_days_apr2025.yaml")],
        "calibrate": ["calibrate", str(BASELINE), "--targets", str(ROOT / "scenarios" / "targets.yaml")],
    }
    for name, args in commands.items():
        folder = tmp_path / f"mine_{name}"
        (folder / "sub").mkdir(parents=True)
        (folder / "thesis.docx").write_text("two years of work")
        (folder / "sub" / "data.csv").write_text("a,b\n1,2\n")
        assert in_process(*args, "-n", "1", "-q", "-o", str(folder)) == 2, name
        assert f"{folder} is a folder that bordersim did not write" in capsys.readouterr().err, name
        assert (folder / "thesis.docx").read_text() == "two years of work", name
        assert sorted(p.name for p in folder.rglob("*")) == ["data.csv", "sub", "thesis.docx"], name
    assert hidden_leftovers(tmp_path) == []


def test_force_replaces_and_a_results_folder_needs_no_force(tmp_path: Path) -> None:
    tb = str(textbook_file(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("replace me")
    refused = bordersim("run", tb, *QUICK, "-o", str(out), cwd=tmp_path)
    assert refused.returncode == 2
    assert f"{out} is a folder that bordersim did not write" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    forced = bordersim("run", tb, *QUICK, "-o", str(out), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert not (out / "old.txt").exists()
    assert (out / MARKER).is_file()
    assert len(pd.read_csv(out / "replications.csv")) == 2

    (out / MARKER).unlink()  # a results folder from before the marker: only its own files
    again = bordersim("run", tb, *QUICK, "-o", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tb.yaml"]


def test_an_output_under_a_file_says_the_file_is_no_folder(tmp_path: Path) -> None:
    """-o FILE/sub: mkdir's own words are "File exists", which names no problem the user has."""
    tb = str(textbook_file(tmp_path))
    (tmp_path / "afile").write_text("a file")
    refused = bordersim("run", tb, *QUICK, "-o", str(tmp_path / "afile" / "sub"), cwd=tmp_path)
    assert refused.returncode == 2
    assert f"{tmp_path / 'afile'}: it is a file, not a folder" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (tmp_path / "afile").read_text() == "a file"
    deeper = bordersim("run", tb, *QUICK, "-o", str(tmp_path / "afile" / "sub" / "out"), cwd=tmp_path)
    assert deeper.returncode == 2
    assert f"{tmp_path / 'afile'}: it is a file, not a folder" in deeper.stderr


def test_what_counts_as_a_results_folder(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "summary.csv").write_text("kpi,mean\n")
    (legacy / "scenario.yaml").write_text("name: x\n")
    assert is_results_folder(legacy)
    (legacy / "my_notes.txt").write_text("!")
    assert not is_results_folder(legacy)
    (legacy / MARKER).write_text('{"tool": "bordersim"}')
    assert is_results_folder(legacy)  # marked: the folder is ours, replaced whole
    (legacy / MARKER).write_text("not json")
    assert not is_results_folder(legacy)


# -- the scenario name is a folder name, never a path ---------------------------------------------


@pytest.mark.parametrize("name", ["", ".", "..", "../victim", "/abs/victim", "a/b", "x" * 81, ".hidden"])
def test_a_name_that_is_not_a_folder_name_is_refused(name: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, {"name": name})
    text = str(err.value)
    assert str(BASELINE) in text
    assert "  name: must be 1-80 letters, digits" in text
    assert repr(name)[:40] in text


def test_names_cannot_reach_outside_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    here = tmp_path / "project"
    (here / "results" / "earlier").mkdir(parents=True)
    (here / "results" / "earlier" / "summary.csv").write_text("kept")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("kept")
    tb = str(textbook_file(here))
    # `--set name=` used to delete all of results/: through the command itself.
    empty = bordersim("run", tb, *QUICK, "--set", "name=", cwd=here)
    assert empty.returncode == 2
    # The --set at fault is named, not the file it changes (issue 10).
    assert "--set name=: invalid scenario\n  name: must be 1-80 letters, digits" in empty.stderr
    assert "(got '')" in empty.stderr
    monkeypatch.chdir(here)
    for name in ("../victim", str(victim)):
        data = yaml.safe_load(Path(tb).read_text()) | {"name": name}
        file = here / "named.yaml"
        file.write_text(yaml.safe_dump(data))
        assert in_process("run", str(file), *QUICK) == 2
        err = capsys.readouterr().err
        assert f"{file}: invalid scenario\n  name: must be 1-80 letters, digits" in err
        assert f"(got '{name[:30]}" in err
    assert (here / "results" / "earlier" / "summary.csv").read_text() == "kept"
    assert sorted(p.name for p in (here / "results").iterdir()) == ["earlier"]
    assert (victim / "precious.txt").read_text() == "kept"
    assert sorted(p.name for p in victim.iterdir()) == ["precious.txt"]


def test_a_good_name_lands_inside_results(tmp_path: Path) -> None:
    done = bordersim("run", str(textbook_file(tmp_path, name="v1.2_ok-name")), *QUICK, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["v1.2_ok-name"]
    assert (tmp_path / "results" / "v1.2_ok-name" / MARKER).is_file()


# -- two runs on one output, and resuming only what matches ---------------------------------------


def test_a_second_run_on_the_same_output_is_refused_and_the_first_finishes(tmp_path: Path) -> None:
    tb = str(textbook_file(tmp_path, days=200))
    out = tmp_path / "out"
    args = ["run", tb, "-n", "4", "--jobs", "1", "--no-plots", "-q", "-o", str(out)]
    first = start(*args, cwd=tmp_path)
    wait_for(lambda: (tmp_path / ".out.work").is_dir(), first)
    second = bordersim(*args, "--seed", "9", cwd=tmp_path)
    assert first.poll() is None, "the first run must still be working for this test to mean anything"
    assert second.returncode == 2
    assert f"{out} is in use by another bordersim run (pid {first.pid}" in second.stderr
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    reps = pd.read_csv(out / "replications.csv")
    assert list(reps["replication"]) == [0, 1, 2, 3]
    assert set(reps["seed"]) == {0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tb.yaml"]


def test_resume_with_another_seed_uses_only_its_own_replications(tmp_path: Path) -> None:
    tb = str(textbook_file(tmp_path, days=80))
    out = tmp_path / "out"
    work = tmp_path / ".out.work"
    args = ["run", tb, "-n", "4", "--jobs", "1", "--no-plots", "-o", str(out)]
    first = start(*args, "--seed", "1", cwd=tmp_path)
    wait_for(lambda: kept(work) >= 1, first)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    n1 = kept(work)
    assert err.strip().splitlines()[-1] == INTERRUPTED.format(n=n1)
    # What a crash could leave: a cut-short write and a file that is not a replication.
    (work / "rep-000-00002.zip.tmp").write_bytes(b"half")
    (work / "rep-000-00007.zip").write_bytes(b"not a pickle")

    resumed = bordersim(*args, "--seed", "2", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"ignored {n1 + 1} kept replications" in resumed.stderr
    assert "resuming:" not in resumed.stderr
    reps = pd.read_csv(out / "replications.csv")
    assert list(reps["replication"]) == [0, 1, 2, 3]
    assert list(reps["seed"]) == [2, 2, 2, 2]
    assert "# seed: 2" in (out / "scenario.yaml").read_text()
    assert not work.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tb.yaml"]


# -- a killed or terminated run leaves no workers behind -----------------------------------------


def test_kill_9_ends_the_workers_and_compare_resumes(tmp_path: Path) -> None:
    tb = str(textbook_file(tmp_path, days=100))
    alt = str(textbook_file(tmp_path, days=100, name="alt"))
    out = tmp_path / "cmp"
    work = tmp_path / ".cmp.work"
    args = ["compare", tb, alt, "-n", "3", "--jobs", "2", "--seed", "1", "--no-plots", "-o", str(out)]
    proc = start(*args, cwd=tmp_path)
    wait_for(lambda: kept(work) >= 1 and len(children(proc.pid)) >= 2, proc)
    workers = children(proc.pid)
    proc.kill()
    proc.communicate(timeout=15)  # returns only once nothing holds the output pipes any more
    assert wait_gone(workers) == []
    assert not out.exists()

    n = kept(work)
    resumed = bordersim(*args, "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {n} replications already done" in resumed.stderr
    assert "ignored" not in resumed.stderr
    diffs = pd.read_csv(out / "differences.csv")
    assert set(diffs["scenario"]) == {"alt"}
    assert not work.exists()


def test_sigterm_stops_like_ctrl_c_and_sweep_resumes_only_matching(tmp_path: Path) -> None:
    tb = str(textbook_file(tmp_path, days=100))
    out = tmp_path / "sw"
    work = tmp_path / ".sw.work"
    args = ["sweep", tb, "--vary", "gates.g.gate_control.lanes=1,2", "-n", "2", "--no-plots", "-o", str(out)]
    proc = start(*args, "--jobs", "2", cwd=tmp_path)
    wait_for(lambda: kept(work) >= 1 and len(children(proc.pid)) >= 2, proc)
    workers = children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == INTERRUPTED.format(n=kept(work))
    assert "Traceback" not in err
    assert wait_gone(workers) == []
    assert not out.exists()

    n = kept(work)
    other = bordersim(*args, "--jobs", "1", "-q", "--seed", "5", "--resume", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert f"ignored {n} kept replications" in other.stderr
    assert len(pd.read_csv(out / "sweep.csv")["point"].unique()) == 2
    assert "# seed: 5" in (out / "scenario.yaml").read_text()


HALF_SENT = """
import os, struct, sys, time
from concurrent.futures import ProcessPoolExecutor
from sim.experiments.replications import _stop_workers

def half_a_result(fd, flag):
    os.write(fd, struct.pack("!i", 1_000_000) + b"x" * 1000)  # a result's header and its start
    open(flag, "w").close()
    time.sleep(600)

if __name__ == "__main__":
    pool = ProcessPoolExecutor(1)
    flag = sys.argv[2]
    pool.submit(half_a_result, pool._result_queue._writer.fileno(), flag)
    while not os.path.exists(flag):
        time.sleep(0.01)
    if sys.argv[1] == "stop_workers":
        _stop_workers(pool)
    else:  # what the stop did before: kill the workers, then shut the pool down
        for proc in pool._processes.values():
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
    print("stopped")
"""


@pytest.mark.parametrize("stop", ["stop_workers", "terminate_only"])
def test_a_worker_killed_while_sending_its_result_does_not_hang_the_stop(tmp_path: Path, stop: str) -> None:
    """A worker killed half-way through sending its result used to leave the pool waiting for the
    rest for ever, so an interrupted run hung instead of exiting (seen once in CI under load).
    The same half-sent result, written on purpose, shows the old stop hanging and the new one not."""
    script = tmp_path / "half_sent.py"
    script.write_text(HALF_SENT)
    flag = str(tmp_path / "written")
    proc = subprocess.Popen(
        [sys.executable, str(script), stop, flag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        out, err = proc.communicate(timeout=3 if stop == "terminate_only" else 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        assert stop == "terminate_only", "the stop hung on a half-sent result"
        return
    assert stop == "stop_workers", f"the old stop did not hang, so this test shows nothing: {out}{err}"
    assert proc.returncode == 0, err
    assert out.strip() == "stopped"


# -- a full disk or a read-only folder ------------------------------------------------------------


@contextlib.contextmanager
def mounted(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_read_only_folder_gives_a_clear_error(tmp_path: Path) -> None:
    tb = str(textbook_file(tmp_path))
    if os.geteuid() == 0:
        ctx = mounted(tmp_path / "ro", "ro,size=64k")
    else:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o555)
        ctx = contextlib.nullcontext(tmp_path / "ro")
    with ctx as ro:
        out = ro / "out"
        done = bordersim("run", tb, *QUICK, "-o", str(out), cwd=tmp_path)
        assert done.returncode == 2
        assert f"error: cannot write {ro}" in done.stderr
        assert "Read-only file system" in done.stderr or "Permission denied" in done.stderr
        assert "Traceback" not in done.stderr
        assert list(ro.iterdir()) == []


@pytest.mark.parametrize("size", ["64k", "600k"])
def test_a_full_disk_gives_a_clear_error_and_leaves_nothing_half_written(tmp_path: Path, size: str) -> None:
    """64k fills up with the first kept replication (about 67k of data, no run kept in it), 600k
    while writing the results folder (about 1 MB)."""
    with mounted(tmp_path / "small", f"size={size}") as disk:
        out = disk / "out"
        args = ["run", str(BASELINE), "--set", "run.days=3", "--set", "run.warmup_days=1", "-n", "1"]
        done = bordersim(*args, "--no-plots", "-q", "-o", str(out), cwd=tmp_path)
        assert done.returncode == 2
        assert "No space left on device" in done.stderr
        assert f"error: cannot write {disk}/" in done.stderr
        assert "Traceback" not in done.stderr
        assert not out.exists()
        assert hidden_leftovers(disk) == []
        left = sorted(p.name for p in disk.iterdir())
        assert left in ([], [".out.work"])  # finished replications are kept for --resume, nothing else


def test_resume_never_runs_code_that_lies_in_the_work_folder(tmp_path: Path) -> None:
    import pickle

    out = tmp_path / "out"
    work = tmp_path / ".out.work"
    work.mkdir()
    flag = tmp_path / "planted-code-ran"

    class Planted:
        def __reduce__(self):  # what a planted pickle would run on load
            return (os.system, (f"touch {flag}",))

    (work / "rep-000-00000.zip").write_bytes(pickle.dumps(Planted()))
    (work / "rep-000-00001.pkl").write_bytes(pickle.dumps(Planted()))
    args = ["run", str(BASELINE), "-o", str(out), "-n", "2", "--jobs", "1", "--no-plots", "-q"]
    args += ["--set", "run.days=3", "--set", "run.warmup_days=1", "--resume"]
    done = bordersim(*args, cwd=tmp_path)
    # Without the marker of this output's key the folder is not the tool's: named, left alone.
    assert done.returncode == 2, done.stderr
    assert f"{work}: beside the output but not made by bordersim for it" in done.stderr
    assert (work / "rep-000-00000.zip").exists()
    assert not flag.exists()
    # With the marker (anyone can write it) the planted files are read as data only, never run.
    from sim.experiments.folders import mark_sibling

    mark_sibling(work, out)
    done = bordersim(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not flag.exists()
    assert "ignored 1 kept replications" in done.stderr


def test_an_altered_kept_replication_is_left_out(tmp_path: Path) -> None:
    import io
    import zipfile

    from sim.experiments.checkpoint import _pack, _read
    from sim.experiments.replications import run_replication
    from sim.world.scenario_files import load_scenario

    sc = load_scenario(BASELINE).with_changes({"run.days": 3, "run.warmup_days": 1})
    rep = run_replication(sc, 0, 1, keep_series=False)
    good = tmp_path / "rep-000-00001.zip"
    good.write_bytes(_pack((0, 1), {"seed": 0}, rep))
    assert _read(good) is not None
    # Change one KPI inside the file: the checksum no longer holds and the record is refused.
    src = zipfile.ZipFile(good)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "kpis.parquet":
                table = pd.read_parquet(io.BytesIO(data))
                table.loc[0, "value"] += 1
                out = io.BytesIO()
                table.to_parquet(out, index=False)
                data = out.getvalue()
            z.writestr(name, data)
    (tmp_path / "b").mkdir()
    bad = tmp_path / "b" / "rep-000-00001.zip"
    bad.write_bytes(buf.getvalue())
    assert _read(bad) is None


def test_a_symlinked_lock_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (tmp_path / ".out.lock").symlink_to(victim)
    args = ["run", str(BASELINE), "-o", str(tmp_path / "out"), "-n", "1", "--jobs", "1", "--no-plots"]
    done = bordersim(*args, "--set", "run.days=2", "--set", "run.warmup_days=1", cwd=tmp_path)
    assert done.returncode == 2
    assert "is a link or not a plain file" in done.stderr
    assert victim.read_text() == "keep me\n"
    assert not (tmp_path / "out").exists()
