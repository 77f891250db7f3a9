"""Every file and argument through one guard: costs, targets, results folders, numbers, extends.

Each refusal is checked through the command line (``main`` in this process, as ``bordersim``
runs it): exit 2, a message naming the file or argument, the key and the problem, and nothing
written. The few report tests build one small results folder of each kind first.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import BASELINE

from sim.presentation.cli import main

SHORT = ["--set", "run.days=2", "--set", "run.warmup_days=1", "--jobs", "1", "--no-plots", "-q"]
LEVER = ["--target", "cleared_per_day_mean >= 1", "--lever", "gates.huu_nghi.customs_docs.lanes=4,5"]


def cli(*args: str) -> int:
    """``bordersim ARGS`` in this process; argparse refusals come back as their exit status."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        return main(list(args))
    except SystemExit as err:
        return int(err.code or 0)
    finally:
        signal.signal(signal.SIGTERM, handler)


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run *args*, assert exit 2, and return what was said on stderr."""
    code = cli(*args)
    err = capsys.readouterr().err
    assert code == 2, err
    return err


def costs_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "costs.yaml"
    path.write_text(body, encoding="utf-8")
    return path


ENTRY = '  gates.*.customs_docs.lanes:\n    vnd_per_unit_hour: {rate}\n    source: "ASSUMPTION: x"\n'
AGAIN = "    vnd_per_unit_hour: 3\n"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("levers:\n" + ENTRY.format(rate="true"), "must be a number, not true or false"),
        ("levers:\n" + ENTRY.format(rate=".inf"), "finite"),
        ("levers:\n" + ENTRY.format(rate=".nan"), "finite"),
        ("levers:\n" + ENTRY.format(rate=1) * 2, "duplicate key 'gates.*.customs_docs.lanes'"),
        ("levers:\n" + ENTRY.format(rate=1) + AGAIN, "duplicate key 'vnd_per_unit_hour'"),
        ("levers: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    ],
)  # fmt: skip
def test_a_bad_costs_file_is_refused_by_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, says: str
) -> None:
    path = costs_file(tmp_path, body)
    out = tmp_path / "o"
    err = refused(capsys, "optimise", str(BASELINE), *LEVER, "--costs", str(path), "-o", str(out))
    assert f"{path}: invalid costs file" in err
    assert says in err
    assert not out.exists()


def test_a_costs_file_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "costs.yaml"
    os.mkfifo(fifo)
    err = refused(capsys, "optimise", str(BASELINE), *LEVER, "--costs", str(fifo))
    assert "not a regular file (a FIFO)" in err
    err = refused(capsys, "optimise", str(BASELINE), *LEVER, "--costs", "/dev/zero")
    assert "/dev/zero: invalid costs file" in err
    assert "not a regular file" in err
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    err = refused(capsys, "optimise", str(BASELINE), *LEVER, "--costs", str(latin))
    assert "not UTF-8 text: byte 0xe9 at line 1" in err


@pytest.mark.parametrize(
    ("targets", "key", "says"),
    [
        ({"mean_per_day": True}, "mean_per_day", "not true or false"),
        ({"mean_per_day": 1650, "peak_share": ".nan"}, "peak_share", "finite"),
        ({"mean_per_day": 1650, "peak_threshold_per_day": "1e999"}, "peak_threshold_per_day", "finite"),
        # found by benchmarks/fuzz_inputs.py (seed 20261202): a NaN was refused as "not greater than 0"
        ({"mean_per_day": 1650, "peak_threshold_per_day": ".nan"}, "peak_threshold_per_day", "finite"),
    ],
)
def test_a_bad_targets_file_is_refused_by_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], targets: dict, key: str, says: str
) -> None:
    path = tmp_path / "targets.yaml"
    text = yaml.safe_dump(targets).replace("'.nan'", ".nan").replace("'1e999'", "1e999")
    path.write_text(text, encoding="utf-8")
    err = refused(capsys, "calibrate", str(BASELINE), "--targets", str(path), "-o", str(tmp_path / "c"))
    assert f"{path}: invalid targets file" in err
    assert key in err
    assert says in err
    assert not (tmp_path / "c").exists()


def test_a_target_band_of_1e999_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = {
        "name": "t", "reported": "x", "source": "x", "definition": "x", "tolerance": "x",
        "role": "fit", "kpi": "cleared_per_day_mean", "band": [0, "BIG"],
    }  # fmt: skip
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"mean_per_day": 1650, "targets": [target]}).replace("BIG", "1e999"))
    err = refused(capsys, "calibrate", str(BASELINE), "--targets", str(path))
    assert "targets.0.band" in err
    assert "finite" in err


@pytest.mark.parametrize(
    ("change", "key", "says"),
    [
        ("kpi.parking_vnd_per_truck_day=true", "kpi.parking_vnd_per_truck_day", "not true or false"),
        ("kpi.goods_value_vnd_per_truck=1e308", "kpi.goods_value_vnd_per_truck", "less than or equal to"),
        ("kpi.tonnes_per_truck=.inf", "kpi.tonnes_per_truck", "finite"),
        ("demand.day_to_day_cv=1e308", "demand.day_to_day_cv", "less than or equal to 2"),
        ("demand.day_to_day_cv=1000", "demand.day_to_day_cv", "less than or equal to 2"),
        ("demand.hourly_profile.export=[" + ",".join(["1e308"] * 24) + "]", "hourly_profile.export",
         "sum past the largest number"),
        ("kpi.headline=nonexistent_kpi", "kpi.headline", "unknown KPI 'nonexistent_kpi'"),
    ],
)  # fmt: skip
def test_numbers_that_overflow_are_refused_with_the_key(
    capsys: pytest.CaptureFixture[str], change: str, key: str, says: str
) -> None:
    err = refused(capsys, "check", str(BASELINE), "--set", change)
    assert key in err
    assert says in err
    assert "--precision-kpi" not in err


def test_capacity_events_that_multiply_past_the_bound_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def event(i: int, factor: float) -> dict:
        when = {"start": "2025-09-10 00:00", "end": "2025-09-11 00:00"}
        return {"kind": "capacity", "name": f"slow{i}", **when, "factor": factor, "gates": ["huu_nghi"],
                "stages": ["gate_control"]}  # fmt: skip

    for factor in (100, 0.01):
        path = tmp_path / f"stack{factor}.yaml"
        path.write_text(
            yaml.safe_dump({"extends": str(BASELINE), "events": [event(i, factor) for i in range(200)]})
        )
        err = refused(capsys, "check", str(path))
        assert "events.1.factor" in err
        assert "huu_nghi.gate_control" in err
        assert "events.0 (slow0), events.1 (slow1)" in err
    # Back to back, or at different stages, they do not multiply.
    apart = [event(0, 100), {**event(1, 100), "start": "2025-09-11 00:00", "end": "2025-09-12 00:00"},
             {**event(2, 100), "stages": ["customs_docs"]}]  # fmt: skip
    path = tmp_path / "apart.yaml"
    path.write_text(yaml.safe_dump({"extends": str(BASELINE), "events": apart}))
    assert cli("check", str(path)) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["optimise", "--seed", "-1", *LEVER], "argument --seed: must be at least 0, got -1"),
        (["run", "--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["optimise", "--jobs", "0", *LEVER], "argument --jobs: must be at least 1, got 0"),
        (["sweep", "--jobs", "0"], "argument --jobs: must be at least 1, got 0"),
        (["optimise", "--robust-n", "0", *LEVER], "argument --robust-n: must be at least 2, got 0"),
        (["optimise", "--robust-n", "-2", *LEVER], "argument --robust-n: must be at least 2, got -2"),
        (["optimise", "--confidence", "2", *LEVER], "argument --confidence: must be a confidence level"),
        (["optimise", "--confidence", "nan", *LEVER], "argument --confidence: must be a confidence level"),
        (["sweep", "-n", "0"], "argument -n/--replications: must be at least 1, got 0"),
        (["compare", "-n", "x"], "argument -n/--replications: expected a whole number, got 'x'"),
        (["run", "--precision", "inf"], "argument --precision: must be a fraction of the mean between 0"),
    ],
)  # fmt: skip
def test_numbers_on_the_command_line_are_refused_the_same_way_everywhere(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    err = refused(capsys, args[0], str(BASELINE), *args[1:])
    assert says in err


def test_every_subcommand_takes_its_shared_options_from_one_place() -> None:
    from sim.presentation.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "run" in a.choices).choices
    seeds = {name: p for name, p in sub.items() if any("--seed" in a.option_strings for a in p._actions)}
    assert {"run", "compare", "sweep", "optimise", "validate", "screen"} <= set(seeds)
    helps = {next(a for a in p._actions if "--jobs" in a.option_strings).help for p in seeds.values()}
    assert helps == {"worker processes, 1 or more (default: all cores)"}


def test_a_too_long_extends_name_and_a_too_deep_chain_are_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = tmp_path / "long.yaml"
    long.write_text(f"extends: {'a' * 5000}.yaml\nname: x\n")
    err = refused(capsys, "check", str(long))
    assert f"{long}: invalid scenario" in err
    assert "extends: the file name is 5,005 characters long" in err
    prev = str(BASELINE)
    for i in range(1200):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: {prev}\nname: c{i}\n")
        prev = f"c{i}.yaml"
    err = refused(capsys, "check", str(tmp_path / "c1199.yaml"))
    assert "the chain of extends is deeper than 32 files" in err
    assert "c1199.yaml" in err
    assert "c1198.yaml" in err
    assert len(err.splitlines()) < 5


def test_kpis_readme_without_markers_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers here\n")
    err = refused(capsys, "kpis", "--readme", str(readme))
    assert f"--readme {readme}: no <!-- kpi-table:start --> ... <!-- kpi-table:end --> markers" in err
    assert readme.read_text() == "# no markers here\n"


def test_optimise_checks_the_window_against_every_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--set", "run.days=10", "--lever", "gates.huu_nghi.customs_docs.lanes=6,7"]
    args += ["--window", "2025-09-20..2025-09-25", "-o", str(tmp_path / "o")]
    err = refused(capsys, "optimise", str(BASELINE), "--target", "cleared_per_day_mean >= 1", *args)
    assert "--window:" in err
    assert "is not inside the run (2025-09-01..2025-09-10)" in err
    assert not (tmp_path / "o").exists()


def test_compare_refuses_runs_over_different_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = tmp_path / "later.yaml"
    later.write_text(f"extends: {BASELINE}\nname: later\nrun:\n  start_date: 2025-09-15\n")
    out = tmp_path / "c"
    err = refused(capsys, "compare", str(BASELINE), str(later), "-n", "2", "-o", str(out))
    assert "start dates or horizons differ" in err
    assert "(baseline): 2025-09-01 for 90 days" in err
    assert "(later): 2025-09-15 for 90 days" in err
    assert not out.exists()
    # A --window inside both runs pairs the same dates: the dates pass (the unknown KPI stops it).
    window = ["--window", "2025-09-20..2025-10-20", "--precision-kpi", "nonexistent_kpi"]
    err = refused(capsys, "compare", str(BASELINE), str(later), *window, "-o", str(out))
    assert "start dates or horizons differ" not in err
    assert "--precision-kpi nonexistent_kpi" in err


# --- report on a damaged folder ----------------------------------------------------------------


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One small results folder of a run, a comparison and a sweep (2 days, 2 replications)."""
    root = tmp_path_factory.mktemp("folders")
    made = {"run": root / "run", "compare": root / "compare", "sweep": root / "sweep"}
    assert cli("run", str(BASELINE), "-n", "2", *SHORT, "-o", str(made["run"])) == 0
    assert cli("compare", str(BASELINE), str(BASELINE), "-n", "2", *SHORT, "-o", str(made["compare"])) == 0
    vary = "gates.huu_nghi.gate_control.priority=[fruit],[]"
    assert cli("sweep", str(BASELINE), "--vary", vary, "-n", "1", *SHORT, "-o", str(made["sweep"])) == 0
    return made


def damaged(folders: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    copy = tmp_path / kind
    shutil.copytree(folders[kind], copy)
    return copy


def test_a_sweep_of_list_values_writes_them_as_text(folders: dict[str, Path]) -> None:
    text = (folders["sweep"] / "sweep.csv").read_text()
    assert "gate_control.priority=[fruit]" in text
    assert "gate_control.priority=[]" in text


@pytest.mark.parametrize(
    ("kind", "file", "damage", "says"),
    [
        ("run", "summary.csv", lambda t: "", "the file is empty"),
        ("run", "summary.csv", lambda t: t[:300], "is cut off (no line end): the file is truncated"),
        ("run", "summary.csv", lambda t: t.replace(t.splitlines()[1].split(",")[1], "lots", 1),
         "column mean: 'lots' is not a finite number"),
        ("run", "summary.csv", lambda t: "\n".join(ln for ln in t.splitlines() if not ln.startswith(
            "cleared_per_day_mean,")) + "\n", "no row for the headline KPI 'cleared_per_day_mean'"),
        ("run", "bottlenecks.csv", lambda t: "a,b\n1,2\n", "gate: column is missing"),
        ("compare", "differences.csv", lambda t: "\x00\xff garbage", "invalid results file"),
        ("compare", "differences.csv", lambda t: "x,y\n1,2\n", "scenario: column is missing"),
        ("sweep", "sweep.csv", lambda t: t.replace(",1\n", ",one\n", 1), "column n: 'one' is not a finite"),
    ],
)  # fmt: skip
def test_report_refuses_a_damaged_folder_naming_the_file(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, file: str,
    damage: object, says: str,
) -> None:  # fmt: skip
    folder = damaged(folders, kind, tmp_path)
    path = folder / file
    path.write_text(damage(path.read_text()))  # type: ignore[operator]
    err = refused(capsys, "report", str(folder))
    assert f"{path}: invalid results file" in err
    assert says in err
    assert not (folder / "report.html").exists()


def test_report_refuses_a_scenario_yaml_that_is_a_fifo(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = damaged(folders, "run", tmp_path)
    (folder / "scenario.yaml").unlink()
    os.mkfifo(folder / "scenario.yaml")
    err = refused(capsys, "report", str(folder))
    assert "scenario.yaml: invalid results file" in err
    assert "not a regular file (a FIFO)" in err


def test_report_of_an_intact_folder_is_written(folders: dict[str, Path], tmp_path: Path) -> None:
    for kind in folders:
        folder = damaged(folders, kind, tmp_path)
        assert cli("report", str(folder), "-q") == 0
        assert (folder / "report.html").exists()


def test_observed_counts_with_text_for_a_number_are_refused_by_row_and_column(tmp_path: Path) -> None:
    from sim import ScenarioError
    from sim.studies.calibrate import read_counts

    path = tmp_path / "counts.csv"
    path.write_text(
        "date,gate,direction,trucks\n2025-01-01,huu_nghi,export,12\n2025-01-02,huu_nghi,export,many\n"
    )
    with pytest.raises(ScenarioError) as err:
        read_counts(path, ["date", "gate", "direction", "trucks"])
    assert "row 2, column trucks: 'many' is not a finite number" in str(err.value)


# --- hidden files beside -o ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [".out.lock", ".out.work", ".out.partial-mine", ".out.old-mine"])
def test_hidden_files_beside_o_that_are_not_the_tools_are_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / "out"
    theirs = tmp_path / name
    if name.endswith(".lock"):
        theirs.write_text("my notes\n")
    else:
        theirs.mkdir()
        (theirs / "notes.txt").write_text("mine\n")
    err = refused(capsys, "run", str(BASELINE), "-n", "1", *SHORT, "-o", str(out))
    assert str(theirs) in err
    assert "not made by bordersim for it" in err or "not a lock bordersim made for it" in err
    assert not out.exists()
    assert theirs.exists()
    assert (theirs.read_text() if theirs.is_file() else (theirs / "notes.txt").read_text()) in (
        "my notes\n",
        "mine\n",
    )


def test_the_tools_own_leftovers_beside_o_are_cleared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.experiments.folders import mark_sibling

    out = tmp_path / "out"
    left = tmp_path / ".out.partial-killed"
    left.mkdir()
    mark_sibling(left, out)
    (left / "summary.csv").write_text("half")
    other = tmp_path / ".out.partial-other"
    other.mkdir()
    mark_sibling(other, tmp_path / "another")  # the tool's, but for another output
    (other / "summary.csv").write_text("half")
    err = refused(capsys, "run", str(BASELINE), "-n", "1", *SHORT, "-o", str(out))
    assert str(other) in err
    assert str(left) not in err
    other.rename(tmp_path / "elsewhere")
    assert cli("run", str(BASELINE), "-n", "1", *SHORT, "-o", str(out)) == 0
    assert not left.exists()
    assert (out / "summary.csv").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_a_sweep_block_with_an_empty_list_is_refused_by_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {BASELINE}\nname: s\nsweep:\n  gates.huu_nghi.customs_docs.lanes: []\n")
    err = refused(capsys, "sweep", str(path), "-o", str(tmp_path / "o"))
    assert "sweep.gates.huu_nghi.customs_docs.lanes" in err
    assert "at least 1 item" in err
    assert not (tmp_path / "o").exists()


def test_a_lever_nested_thousands_deep_is_refused_in_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 5000 + "]" * 5000
    err = refused(capsys, "optimise", str(BASELINE), "--target", "cleared_per_day_mean >= 1", "--lever",
                  f"run.days={deep}")  # fmt: skip
    assert "run.days: values are not readable (nested more than 40 levels deep)" in err
    assert len(err) < 400


def test_compare_warns_when_only_the_warm_ups_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    longer = tmp_path / "longer.yaml"
    longer.write_text(f"extends: {BASELINE}\nname: longer\nrun:\n  warmup_days: 14\n")
    # An unknown --precision-kpi stops the command after the dates are checked, before any run.
    err = refused(capsys, "compare", str(BASELINE), str(longer), "--precision-kpi", "nonexistent_kpi")
    assert "warning: compare: the scenarios' warm-ups differ" in err
    assert "warm-up 7" in err
    assert "warm-up 14" in err
    assert "start dates or horizons differ" not in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [
                "optimise",
                "--target",
                "cleared_per_day_mean >= 1",
                "--lever",
                "gates.huu_nghi.customs_docs.lanes=6,6",
            ],
            "gates.huu_nghi.customs_docs.lanes: 6 is given twice; each value makes an option",
        ),
        (
            ["optimise", "--target", "cleared_per_day_mean >= 1", "--lever", "run.days=20,30"],
            "run.days is not a policy to choose",
        ),
        (
            ["optimise", "--target", "cleared_per_day_mean >= 1", "--lever", "name=a,b"],
            "name is not a policy to choose",
        ),
        (
            [
                "optimise",
                "--target",
                "time_in_system_h_mean <= 1e309",
                "--lever",
                "gates.huu_nghi.customs_docs.lanes=6,7",
            ],
            "is not a finite number; a target needs one",
        ),
        (["sweep", "--vary", "platform.officers=8,8"], "8 is given twice for 'platform.officers'"),
    ],
)
def test_a_lever_or_point_that_means_nothing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    """The same value twice (two identical options), a key that is no policy (the run's length,
    its name) and an infinite bound are refused before anything runs, naming the argument."""
    command, *rest = args
    err = refused(capsys, command, str(BASELINE), *rest, "-o", str(tmp_path / "o"))
    assert says in err
    assert not (tmp_path / "o").exists()
