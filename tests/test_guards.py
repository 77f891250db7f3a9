"""Bounds before work and outputs that are data: what a user gives never breaks the tool."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE, ROOT, bordersim

from sim.presentation.output import as_data

SHORT = ["--set", "run.days=2", "--set", "run.warmup_days=1"]
NO_GATES: dict = {"gates": []}


def test_a_formula_in_a_label_is_written_as_text() -> None:
    gates = ['=HYPERLINK("http://x")', "Huu Nghi", "-4.6 points", "-3"]
    table = pd.DataFrame({"gate": gates, "n": [1, 2, 3, 4]})
    safe = as_data(table)
    assert safe["gate"].tolist() == ["'" + gates[0], "Huu Nghi", "'-4.6 points", "-3"]
    assert as_data(pd.DataFrame({"a": ["ok\x07"]}))["a"].iloc[0] == "ok"


def test_a_grid_too_large_is_refused_before_any_run(tmp_path: Path) -> None:
    values = ",".join(str(v) for v in range(1, 41))
    vary = [f"--vary=gates.huu_nghi.customs_docs.lanes={values}"]
    vary.append(f"--vary=gates.tan_thanh.customs_docs.lanes={values}")
    done = bordersim("sweep", str(BASELINE), *vary, "-o", str(tmp_path / "s"))
    assert done.returncode == 2
    assert "the grid has 1,600 points (40 x 40 values), more than 1,000" in done.stderr
    assert not (tmp_path / "s").exists()


def test_the_same_key_twice_is_refused(tmp_path: Path) -> None:
    key = "gates.huu_nghi.customs_docs.lanes"
    twice = ["--vary", f"{key}=4,5", "--vary", f"{key}=6"]
    done = bordersim("sweep", str(BASELINE), *twice, "-o", str(tmp_path / "s"))
    assert done.returncode == 2
    assert "is given twice" in done.stderr
    done = bordersim("check", str(BASELINE), "--set", "run.days=3", "--set", "run.days=4")
    assert done.returncode == 2
    assert "'run.days' is given twice" in done.stderr
    lever = ["--target", "cleared_per_day_mean >= 1", "--lever", "run.days=3,4", "--lever", "run.days=5"]
    done = bordersim("optimise", str(BASELINE), *lever, "-o", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "the same --lever key is given twice: run.days" in done.stderr


@pytest.mark.parametrize("date", ["2025-10-32", "2025-02-29", "2025-13-01"])
def test_a_date_that_is_no_day_of_the_calendar_is_refused_at_its_line(tmp_path: Path, date: str) -> None:
    """YAML reads 2025-10-32 as a date and Python refuses to build it: the file and its line are
    named, exit 2, no traceback; the same through --set."""
    text = (
        f"extends: {BASELINE}\nname: bad_date\nevents:\n  - kind: closure\n    start: 2025-10-01\n"
        f"    end: {date}\n    gates: [huu_nghi]\n"
    )
    (tmp_path / "bad_date.yaml").write_text(text)
    done = bordersim("check", "bad_date.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error: bad_date.yaml: invalid scenario" in done.stderr
    assert "line 6" in done.stderr
    assert f"'{date}' is not a date of the calendar" in done.stderr
    done = bordersim("check", str(BASELINE), "--set", f"run.start_date={date}")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"--set run.start_date={date}: invalid scenario" in done.stderr
    assert "run.start_date" in done.stderr.splitlines()[1]


def test_o_may_not_hold_the_scenario_or_what_it_extends(tmp_path: Path) -> None:
    here = tmp_path / "work"
    here.mkdir()
    (here / "base.yaml").write_text(BASELINE.read_text())
    (here / "sub").mkdir()
    child = here / "sub" / "child.yaml"
    child.write_text("extends: ../base.yaml\nname: child\n")
    done = bordersim("run", str(child), "-o", str(here), "--force", "-n", "1", *SHORT)
    assert done.returncode == 2
    assert "it holds the scenario file" in done.stderr
    assert (here / "base.yaml").exists()
    assert child.exists()


def test_report_writes_only_into_a_marked_results_folder(tmp_path: Path) -> None:
    folder = tmp_path / "looks"
    folder.mkdir()
    (folder / "summary.csv").write_text("kpi,mean\nx,1\n")
    done = bordersim("report", str(folder))
    assert done.returncode == 2
    assert "no .bordersim-results marker" in done.stderr
    assert not (folder / "report.html").exists()


def test_jobs_are_capped_at_the_cores_with_a_note(tmp_path: Path) -> None:
    done = bordersim("run", str(BASELINE), "-n", "1", "--jobs", "100000", "--no-plots", "-q", *SHORT,
                     "-o", str(tmp_path / "r"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"--jobs 100000 capped at {min(os.cpu_count() or 1, 64)}" in done.stderr


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("gates.huu_nghi.label=Huu\tNghi", "holds a control character"),
        ("platform.returned_share=0.9999", "less than or equal to 0.9"),
    ],
)
def test_meaningless_values_are_refused_with_the_key(change: str, says: str) -> None:
    done = bordersim("check", str(BASELINE), "--set", change)
    assert done.returncode == 2
    assert says in done.stderr
    assert change.split("=")[0] in done.stderr


def test_the_shipped_scenarios_pass_the_free_text_checks() -> None:
    for f in sorted((ROOT / "scenarios").glob("*.yaml")):
        if f.name in ("costs.yaml", "targets.yaml", "ranges.yaml"):  # not scenarios
            continue
        assert bordersim("check", str(f)).returncode == 0, f


@pytest.mark.parametrize(
    ("changes", "key", "says"),
    [
        (
            {
                "events": [
                    {"kind": "demand", "start": "2025-10-01", "end": "2025-10-02", "factor": 2, "gates": []}
                ]
            },
            "events.0.gates",
            "an empty list is read as every gate",
        ),
        (
            {"gates.huu_nghi.park.priority": ["fruit"], "gates.huu_nghi.park.order": "fifo"},
            "gates.huu_nghi.park.priority",
            "arrival order (order: fifo): unused",
        ),
        (
            {"gates.huu_nghi.park.priority": [], "gates.huu_nghi.park.order": "priority"},
            "gates.huu_nghi.park.order",
            "no priority classes",
        ),
        (
            {
                "events": [
                    {"kind": "park_use", "start": "2025-10-01", "end": "2025-10-10", "share": 0.5},
                    {"kind": "park_use", "start": "2025-10-05", "end": "2025-10-12", "share": 0.2},
                ]
            },
            "events.1",
            "overlapping events.0 on the same gates, stages, routes and directions: the later one wins",
        ),
        (
            {
                "events": [
                    {
                        "kind": "extended_hours",
                        "start": "2025-10-01",
                        "end": "2025-10-10",
                        "gates": ["huu_nghi"],
                        "stages": ["china_check"],
                        "hours": {"open": "08:00", "close": "19:00"},
                    },
                    {
                        "kind": "extended_hours",
                        "start": "2025-10-05",
                        "end": "2025-10-12",
                        "gates": ["huu_nghi"],
                        "stages": ["china_check"],
                        "directions": ["import"],
                        "hours": {"open": "08:00", "close": "21:00"},
                    },
                ]
            },
            "events.1",
            "overlapping events.0 on the same gates, stages, routes and directions: the later one wins",
        ),
    ],
)
def test_meaningless_settings_are_warned_about(changes: dict, key: str, says: str) -> None:
    from sim.world.checks import scenario_warnings
    from sim.world.scenario_files import load_scenario

    warned = scenario_warnings(load_scenario(BASELINE).with_changes(changes))
    assert any(path == key and says in msg for path, msg in warned), warned


def test_a_quiet_scenario_is_not_warned_about() -> None:
    from sim.world.checks import scenario_warnings
    from sim.world.scenario_files import load_scenario

    assert scenario_warnings(load_scenario(BASELINE)) == []


def test_hours_for_each_direction_at_once_are_not_an_overlap() -> None:
    """Exports and imports given their own hours over the same days are two rules, both applied:
    no warning that one overrides the other (the same days for one direction twice are warned)."""
    from conftest import china_hours_event as hours

    from sim.world.checks import scenario_warnings
    from sim.world.scenario_files import load_scenario

    both = load_scenario(BASELINE).with_changes(
        {"events": [hours("export", "19:00"), hours("import", "21:00")]}
    )
    assert scenario_warnings(both) == []
    twice = load_scenario(BASELINE).with_changes(
        {"events": [hours("export", "19:00"), hours("export", "21:00")]}
    )
    assert [path for path, _ in scenario_warnings(twice)] == ["events.1"]


def test_a_problem_with_a_whole_event_is_said_without_its_python_repr(tmp_path: Path) -> None:
    """An event ending before it starts: the message names the event and the two dates, and does
    not repeat the event as Python prints it (datetime.date(...), braces)."""
    text = (
        f"extends: {BASELINE}\nname: backwards\nevents:\n  - kind: closure\n    start: 2025-10-12\n"
        "    end: 2025-10-06\n    gates: [huu_nghi]\n"
    )
    (tmp_path / "backwards.yaml").write_text(text)
    done = bordersim("check", "backwards.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "events.0: end (2025-10-06" in done.stderr
    assert "start (2025-10-12" in done.stderr
    assert "datetime.date(" not in done.stderr
    assert "(got {" not in done.stderr


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("010", 10),  # YAML 1.1: octal 8
        ("-012", -12),
        ("0o10", 8),
        ("0x1F", 31),
        ("1_000", 1000),
        ("no", "no"),  # YAML 1.1: False
        ("off", "off"),
        ("true", True),
        ("23:00", "23:00"),  # YAML 1.1: 1380
    ],
)
def test_values_are_read_as_written_not_as_yaml_1_1_would(text: str, value: object) -> None:
    """A person who writes 010 means ten and a cargo class named no means 'no': the files and
    --set read them as YAML 1.2 does."""
    from sim.world.scenario_files import parse_assignment
    from sim.world.yaml_guard import guarded_load

    assert guarded_load(f"x: {text}\n") == {"x": value}
    assert parse_assignment(f"a.b={text}") == ("a.b", value)


def test_a_leading_zero_reaches_the_scenario_as_the_number_written(tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").write_text(f"extends: {BASELINE}\nname: zero\nplatform:\n  officers: 010\n")
    for args in (["zero.yaml"], [str(BASELINE), "--set", "platform.officers=010"]):
        done = bordersim("check", *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "  officers: 10\n" in done.stdout


def test_an_unknown_key_in_a_costs_or_ranges_file_is_set_against_that_files_keys(tmp_path: Path) -> None:
    """A costs file with 'run:' was told 'did you mean run?' and shown the scenario's keys: the
    keys allowed are the costs file's own (and the ranges file's own)."""
    (tmp_path / "costs.yaml").write_text("levers: {}\nincluded_waiting_cost: true\n")
    lever = ["--lever", "gates.huu_nghi.customs_docs.lanes=6,7", "--target", "cleared_per_day_mean >= 1"]
    done = bordersim("optimise", str(BASELINE), *lever, "--costs", "costs.yaml", "-o", "o", cwd=tmp_path)
    assert done.returncode == 2
    assert "included_waiting_cost: unknown key; did you mean 'include_waiting_cost'?" in done.stderr
    assert "allowed here: include_waiting_cost, levers, name" in done.stderr
    from sim.world.ranges import load_ranges
    from sim.world.schema.names import ScenarioError

    (tmp_path / "ranges.yaml").write_text("factorz: []\n")
    with pytest.raises(ScenarioError) as err:
        load_ranges(tmp_path / "ranges.yaml")
    text = str(err.value)
    assert "factorz: unknown key; did you mean 'factors'?" in text
    assert "cargo_classes" not in text  # a scenario's key, not the ranges file's


@pytest.mark.parametrize("text", ["0x_", "0o_", "0b_", "!!int 12a", "!!bool maybe"])
def test_a_number_or_truth_that_is_none_is_refused_at_its_line(tmp_path: Path, text: str) -> None:
    (tmp_path / "odd.yaml").write_text(f"extends: {BASELINE}\nname: odd\nrun:\n  days: {text}\n")
    done = bordersim("check", "odd.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "odd.yaml" in done.stderr
    assert "line 4" in done.stderr


def test_what_the_project_writes_reads_back_the_same_in_either_yaml() -> None:
    """A results folder's scenario.yaml must run again as it is: texts that the loader (YAML 1.2
    numbers) or another tool (YAML 1.1: 23:00, yes) would take for something else are quoted."""
    import yaml

    from sim.world.yaml_guard import guarded_dump, guarded_load

    data = {"name": "09", "a": "0o10", "b": "0_8", "c": "yes", "d": "23:00", "e": 8, "f": "True",
            "g": "010", "h": "2025-10-01", "i": True, "j": None, "k": 1.5, "l": ["no", "08"]}  # fmt: skip
    text = guarded_dump(data)
    assert guarded_load(text) == data
    assert yaml.safe_load(text) == data
