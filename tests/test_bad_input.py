"""Every bad input is refused cleanly, before any simulation, with the file (or option) and key.

Most checks call ``load_scenario`` or the command's ``main`` in this process (refusals come
before any work); a few run small simulations: an unstable queue, every stage switched off.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import BASELINE, ROOT, TEXTBOOK, textbook

from sim import ScenarioError, load_scenario
from sim.experiments.kpis import CATALOGUE, kpi_names, markdown_table, unknown_kpi_message
from sim.experiments.results import run
from sim.presentation.cli import main
from sim.world.checks import scenario_warnings
from sim.world.demand import generate_arrivals
from sim.world.scenario import MAX_TRUCKS, expected_trucks, validate_scenario
from sim.world.scenario_files import parse_assignment
from sim.world.schema.events import Event
from sim.world.schema.names import MAX_FILE_BYTES, MAX_GATES
from sim.world.schema.problems import union_tags
from sim.world.yaml_guard import MAX_DEPTH, MAX_NODES


def cli(*args: str) -> int:
    """``bordersim ARGS`` in this process; argparse refusals come back as their exit status."""
    handler = signal.getsignal(signal.SIGTERM)
    try:
        return main(list(args))
    except SystemExit as err:
        return int(err.code)
    finally:
        signal.signal(signal.SIGTERM, handler)


def derived(tmp_path: Path, body: str, name: str = "whatif.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASELINE}\n{body}", encoding="utf-8")
    return path


def refused(path: Path, key: str, says: str, changes: dict[str, Any] | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, changes)
    text = str(err.value)
    assert any(p == key and says in m for p, m in err.value.problems), text
    return err.value


def textbook_data(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(TEXTBOOK)
    for key, value in changes.items():
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    return data


# --- files that cannot be read as YAML ------------------------------------------------------


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Lạng Sơn\n".encode("utf-16"))
    err = refused(path, "", "not UTF-8 text")
    assert str(path) in str(err)


def test_deep_nesting(tmp_path: Path) -> None:
    path = derived(tmp_path, "question: " + "[" * 5000 + "]" * 5000 + "\n")
    refused(path, "", f"nested more than {MAX_DEPTH} levels deep")


def test_alias_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size < 1024  # 9**10 = 3.5 billion values once expanded
    started = time.perf_counter()
    refused(path, "", f"more than {MAX_NODES:,} values once its aliases")
    assert time.perf_counter() - started < 2


def test_an_alias_that_contains_itself(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    hours = "hours: &h {open: '06:00', close: '22:00'}\n"
    path = derived(tmp_path, f"x-common:\n  {hours}platform:\n  hours: *h\n")
    with pytest.raises(ScenarioError, match="x-common: unknown key"):  # aliases resolve; the key is foreign
        load_scenario(path)


def test_duplicate_keys_name_the_key_and_file(tmp_path: Path) -> None:
    path = derived(tmp_path, "gates:\n  huu_nghi:\n    label: A\n  huu_nghi:\n    label: B\n")
    err = refused(path, "", "duplicate key 'huu_nghi' (also at line 3)")
    assert str(path) in str(err)
    assert "at line 5" in str(err)


def test_a_very_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = derived(tmp_path, "#" + "x" * (MAX_FILE_BYTES + 10) + "\n")
    started = time.perf_counter()
    refused(path, "", "scenario files of at most")
    assert time.perf_counter() - started < 1


def test_a_bad_extends_names_the_referring_file(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("name: [unclosed\n", encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\n", encoding="utf-8")
    err = refused(child, "", "not valid YAML")
    assert err.source == str(base)
    assert f"reached through 'extends' in {child}" in str(err)
    child.write_text("extends: ''\n", encoding="utf-8")
    refused(child, "extends", "must be a file name")
    child.write_text("extends: .\n", encoding="utf-8")
    refused(child, "extends", "not a file")
    child.write_text("extends: bse.yaml\n", encoding="utf-8")  # misspelt: the file beside it is named
    assert "did you mean 'base.yaml'?" in str(refused(child, "extends", "no such file"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.yaml").write_text("name: x\n", encoding="utf-8")
    child.write_text("extends: sub/bse.yaml\n", encoding="utf-8")  # as extends: would name it
    assert "did you mean 'sub/base.yaml'?" in str(refused(child, "extends", "no such file"))
    child.write_text("extends: chld.yaml\n", encoding="utf-8")  # never itself: that is a circle
    assert "did you mean 'child.yaml'" not in str(refused(child, "extends", "no such file"))


# --- values that cannot be simulated -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key", "says"),
    [
        ("platform:\n  officers: true\n", "platform.officers", "not true or false"),
        (
            "gates:\n  huu_nghi:\n    gate_control: {lanes: true}\n",
            "gates.huu_nghi.gate_control.lanes",
            "not true",
        ),
        ("kpi: {daily_peak_ref: false}\n", "kpi.daily_peak_ref", "not true or false"),
        ("road: 1\n", "road", "unknown key"),
        ("gates:\n  huu_nghi:\n    road_m_per_truck: .inf\n", "gates.huu_nghi.road_m_per_truck", "finite"),
        ("kpi: {daily_mean_ref: .nan}\n", "kpi.daily_mean_ref", "finite"),
        (
            "platform:\n  review_min: {dist: fixed, value: .inf}\n",
            "platform.review_min.value",
            "must be a finite number",
        ),
        ("demand: {day_to_day_cv: .inf}\n", "demand.day_to_day_cv", "finite"),
        (
            "gates:\n  huu_nghi:\n    demand_trucks_per_day: {export: {fruit: .nan}}\n",
            "gates.huu_nghi.demand_trucks_per_day.export.fruit",
            "finite",
        ),
        ("run: {start_date: 9999-12-31}\n", "run", "must lie between 2000-01-01 and 2099-12-31"),
        ("run: {start_date: 0001-01-01}\n", "run", "must lie between"),
        ("run: {days: 1000000}\n", "run.days", "less than or equal to 3660"),
        ("run: {sample_interval_min: 0.000001}\n", "run.sample_interval_min", "greater than or equal to 1"),
        ("run: {days: 3660, sample_interval_min: 1}\n", "run", "samples per queue series"),
        (
            "gates:\n  huu_nghi:\n    demand_trucks_per_day: {export: {fruit: 1000000000}}\n",
            "run.days",
            f"at most {MAX_TRUCKS:,} are supported",
        ),
        (
            "events:\n  - {kind: closure, start: 2025-10-01 00:00:00+07:00, end: 2025-10-02 00:00}\n",
            "events.0.start",
            "without a time zone",
        ),
        (
            "events:\n  - {kind: extended_hours, start: 2025-10-05, end: 2025-10-01, hours: always}\n",
            "events.0",
            "must not be before start",
        ),
        (
            "events:\n  - {kind: extended_hours, start: 2025-10-01, end: 2025-10-05, "
            "hours: {open: '22:00', close: '06:00'}}\n",
            "events.0.hours",
            "must be after open",
        ),
        (
            "gates:\n  huunghi:\n    gate_control: {lanes: 3}\n",
            "gates.huunghi",
            "unknown gate 'huunghi'; did you mean 'huu_nghi'? (known:",
        ),
        (
            "gates:\n  huu_nghi:\n    routes:\n      r1119:\n        crossing: {lanes: 2}\n",
            "gates.huu_nghi.routes.r1119",
            "unknown route 'r1119'",
        ),
    ],
)
def test_values_that_cannot_be_simulated_are_named(tmp_path: Path, body: str, key: str, says: str) -> None:
    refused(derived(tmp_path, body), key, says)


@pytest.mark.parametrize("kind", union_tags(Event))
def test_a_key_of_every_kind_of_event_is_named_where_the_file_writes_it(tmp_path: Path, kind: str) -> None:
    """A problem inside an event is named by the event's place in the list and its key
    (``events.0.bogus``), whatever the event's kind: never with the kind pydantic adds to its path
    (a park_use event's key read ``events.0.park_use.share``)."""
    body = f"events:\n  - {{kind: {kind}, start: 2025-10-01, end: 2025-10-02, bogus: 1}}\n"
    refused(derived(tmp_path, body), "events.0.bogus", "unknown key")


def test_an_unknown_key_in_a_distribution_lists_the_keys_in_the_files_words(tmp_path: Path) -> None:
    """Inside a distribution, as anywhere, an unknown key comes with the keys allowed there, as the
    file writes them (``mean``, not the model's ``mean_value``)."""
    body = "platform:\n  outside_h: {dist: lognormal, mean: 3, cv: 1, sd: 2}\n"
    refused(derived(tmp_path, body), "platform.outside_h.sd", "unknown key (allowed here: cv, dist, mean)")


def test_a_cargo_class_named_like_a_distribution_stays_in_the_path(tmp_path: Path) -> None:
    """Only the tags pydantic adds are left out of a problem's path: a cargo class called
    ``fixed`` is a key of the file and is named (it was dropped as a tag before)."""
    body = (
        "cargo_classes:\n  fixed: {perishable: false}\n"
        "gates:\n  huu_nghi:\n    demand_trucks_per_day: {export: {fixed: 5}}\n"
        "    gate_control:\n      service_min: {fixed: {dist: lognormal, mean: 4, cv: 50}}\n"
        "    routes:\n      r1119_1120:\n        crossing: {direct_min: {dist: fixed, value: -1}}\n"
    )
    err = refused(derived(tmp_path, body), "gates.huu_nghi.gate_control.service_min.fixed.cv", "less than")
    paths = [p for p, _ in err.problems]
    assert "gates.huu_nghi.routes.r1119_1120.crossing.direct_min.value" in paths, paths


@pytest.mark.parametrize(
    ("body", "key", "says"),
    [
        (
            "events:\n  - {type: closure, start: 2025-10-01, end: 2025-10-02}\n",
            "events.0",
            "says no kind: give 'kind:', one of demand, capacity, closure, extended_hours, park_use",
        ),
        (
            "gates:\n  huu_nghi:\n    gate_control:\n      service_min: {fruit: {mean: 4, cv: 0.5}}\n",
            "gates.huu_nghi.gate_control.service_min.fruit",
            "says no dist: give 'dist:', one of exponential, fixed, lognormal, triangular, empirical",
        ),
    ],
)
def test_an_event_or_a_distribution_without_its_kind_says_which_kinds_there_are(
    tmp_path: Path, body: str, key: str, says: str
) -> None:
    refused(derived(tmp_path, body), key, says)


@pytest.mark.parametrize("name", ["huu/nghi", "../up", "default", "a b", "x" * 41])
def test_gate_route_and_cargo_names_must_be_plain_words(name: str) -> None:
    data = textbook_data()
    data["gates"] = {name: data["gates"]["g"]}
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, "names")
    assert any(p == f"gates.{name}" and "a name must be" in m for p, m in err.value.problems)


def test_gate_count_is_bounded_and_codes_do_not_overflow() -> None:
    data = textbook_data()
    data["gates"] = {f"g{i}": copy.deepcopy(data["gates"]["g"]) for i in range(129)}
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, "many")
    assert any(p == "gates" and f"at most {MAX_GATES} items" in m for p, m in err.value.problems)
    data["gates"] = {f"g{i}": copy.deepcopy(data["gates"]["g0"]) for i in range(MAX_GATES)}
    data["run"]["days"] = 2
    sc = validate_scenario(data, "many")
    arr = generate_arrivals(sc, np.random.default_rng(0))
    assert set(np.unique(arr.gate)) == set(range(MAX_GATES))
    assert np.iinfo(arr.gate.dtype).max >= 128  # 129 gates once overflowed an int8


def test_expected_trucks_matches_what_a_run_draws(baseline) -> None:
    sc = baseline.with_changes({"run.days": 14, "run.warmup_days": 1})
    drawn = len(run(sc).data.arrivals)
    assert abs(drawn - expected_trucks(sc)) < 0.1 * expected_trucks(sc)


def test_clock_times_unquoted_in_a_file_and_on_the_command_line(tmp_path: Path, capsys) -> None:
    path = derived(tmp_path, "gates:\n  huu_nghi:\n    hours: {open: 06:00, close: 23:00}\n")
    assert load_scenario(path).gates["huu_nghi"].hours.close_min == 23 * 60
    key, value = parse_assignment("gates.huu_nghi.hours.close=23:00")
    assert value == "23:00"
    assert load_scenario(BASELINE, {key: value}).gates["huu_nghi"].hours.close == "23:00"
    assert cli("check", str(BASELINE), "--set", "gates.huu_nghi.hours.close=23:30") == 0
    assert "close: '23:30'" in capsys.readouterr().out
    from sim.presentation.cli.sweep import _parse_vary

    assert _parse_vary(["gates.huu_nghi.hours.close=22:00,23:00"]) == {
        "gates.huu_nghi.hours.close": ["22:00", "23:00"]
    }


def test_events_that_change_nothing_are_warned_about(tmp_path: Path, capsys) -> None:
    path = derived(
        tmp_path,
        "events:\n"
        "  - {kind: closure, start: 2030-01-01 00:00, end: 2030-01-02 00:00}\n"
        "  - {kind: capacity, start: 2025-10-01 00:00, end: 2025-10-02 00:00, factor: 0.5,"
        " stages: [declaration_counter], gates: [chi_ma]}\n"
        "  - {kind: demand, start: 2025-10-01, end: 2025-10-02, factor: 2, cargo: [durian_x]}\n",
    )
    with pytest.raises(ScenarioError, match="unknown cargo class"):
        load_scenario(path)
    path = derived(
        tmp_path,
        "gates:\n  chi_ma:\n    declaration_counter: {enabled: false}\n"
        "events:\n"
        "  - {kind: closure, start: 2030-01-01 00:00, end: 2030-01-02 00:00}\n"
        "  - {kind: capacity, start: 2025-10-01 00:00, end: 2025-10-02 00:00, factor: 0.5,"
        " stages: [declaration_counter], gates: [chi_ma]}\n"
        "  - {kind: closure, start: 2025-10-01 00:00, end: 2025-10-02 00:00, gates: [chi_ma]}\n"
        "  - {kind: closure, start: 2025-11-25 00:00, end: 2025-12-10 00:00, gates: [chi_ma]}\n"
        "  - {kind: closure, start: 2025-11-29 00:00, end: 2025-11-30 00:00, gates: [chi_ma]}\n",
    )
    warnings = dict(scenario_warnings(load_scenario(path)))
    assert "outside the run" in warnings["events.0"]
    assert "reaches no enabled stage" in warnings["events.1"]
    assert "events.2" not in warnings
    # partly outside: what is simulated is said; one ending at 00:00 after the last day is inside
    assert "only 2025-11-25..2025-11-29 is simulated" in warnings["events.3"]
    assert "events.4" not in warnings
    # ending at the run's first 00:00: wholly before it, said to change nothing
    early = load_scenario(path).with_changes(
        {"events": [{"kind": "closure", "start": "2025-08-31 00:00", "end": "2025-09-01 00:00"}]}
    )
    assert "outside the run" in dict(scenario_warnings(early))["events.0"]
    assert cli("check", str(path)) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}: events.0:" in err
    assert scenario_warnings(load_scenario(BASELINE)) == []


# --- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--jobs", "-1"], "argument --jobs: must be at least 1"),
        (["--jobs", "0"], "argument --jobs: must be at least 1"),
        (["--seed", "-1"], "argument --seed: must be at least 0"),
        (["--precision", "0"], "argument --precision: must be a fraction"),
        (["--precision", "nan"], "argument --precision: must be a fraction"),
        (["--precision", "2"], "argument --precision: must be a fraction"),
        (["--precision", "-0.5"], "argument --precision: must be a fraction"),
        (["--max-replications", "0"], "argument --max-replications: must be at least 2"),
        (["-n", "0"], "must be at least 1"),
        (["--precision-kpi", "fruit_p95"], "did you mean time_in_system_h_p95_fruit"),
        (
            ["--set", "gates.huunghi.customs_docs.lanes=5"],
            "unknown gate 'huunghi'; did you mean 'huu_nghi'? (known: chi_ma",
        ),
        (["--set", "platform.officers=true"], "--set platform.officers=true: invalid scenario"),
        (["--dask", "tcp://127.0.0.1:9"], "cannot reach a Dask scheduler"),
    ],
)
def test_run_refuses_nonsense_before_simulating(
    tmp_path: Path, capsys, monkeypatch, args: list[str], says: str
) -> None:
    # Nothing listens on port 9: the refusal comes when the wait for a scheduler ends, and the
    # check is of the refusal, not of how long the command waits (10 s), so it waits 1 s here.
    monkeypatch.setattr("sim.presentation.cli.replications.DASK_TIMEOUT_S", 1)
    out = tmp_path / "out"
    started = time.perf_counter()
    assert cli("run", str(BASELINE), "-o", str(out), "-q", *args) == 2
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.iterdir())
    assert time.perf_counter() - started < 30  # nothing was simulated


@pytest.mark.parametrize(
    "args",
    [
        ["compare", str(BASELINE), str(BASELINE), "-n", "0"],
        ["sweep", str(BASELINE), "-n", "0", "--vary", "run.days=20,30"],
        ["sweep", str(BASELINE), "--kpi", "fruit_p95", "--vary", "run.days=20,30"],
        ["table", str(BASELINE), "--jobs", "0"],
    ],
)
def test_other_commands_refuse_nonsense(tmp_path: Path, capsys, args: list[str]) -> None:
    assert cli(*args, "-o", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "must be at least" in err or "unknown KPI 'fruit_p95'; did you mean" in err
    assert not (tmp_path / "out").exists()


def test_an_error_in_a_set_names_the_argument_not_the_file(capsys) -> None:
    assert cli("check", str(BASELINE), "--set", "run.warmup_days=200") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set run.warmup_days=200: invalid scenario")
    assert f"{BASELINE}:" not in err


# --- KPIs: one list ---------------------------------------------------------------------------


def test_the_kpi_catalogue_is_exactly_what_a_run_reports(baseline) -> None:
    sc = baseline.with_changes({"run.days": 8, "run.warmup_days": 1})
    keys = list(run(sc).kpis().index)
    names = kpi_names(sc)
    assert len(keys) == len(set(keys))
    assert set(names) == set(keys)
    assert len(names) == len(keys) > 250


def test_the_kpi_catalogue_follows_disabled_stages() -> None:
    sc = textbook({"run.days": 3, "gates.g.customs_docs.enabled": True})
    assert set(kpi_names(sc)) == set(run(sc).kpis().index)
    assert "queue_mean_platform_review" not in kpi_names(sc)
    assert "queue_mean_g_customs_docs" in kpi_names(sc)
    assert "queue_mean_g_inspection" not in kpi_names(sc)


def test_unknown_kpis_get_a_did_you_mean(baseline) -> None:
    assert unknown_kpi_message("cleared_per_day_mean", baseline) is None
    msg = unknown_kpi_message("cleared_per_day_maen", baseline)
    assert msg is not None
    assert "did you mean cleared_per_day_mean" in msg


def test_kpis_command_and_readme_table(capsys) -> None:
    assert cli("kpis") == 0
    out = capsys.readouterr().out
    assert all(k.pattern in out for k in CATALOGUE)
    assert cli("kpis", str(BASELINE)) == 0
    out = capsys.readouterr().out
    assert re.search(r"^road_queue_km_max_huu_nghi_export +km +road queue length", out, re.M)
    readme = (ROOT / "docs" / "reference" / "kpis.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "run: bordersim kpis --readme docs/reference/kpis.md"


# --- results that are not an answer -----------------------------------------------------------


def _file(tmp_path: Path, data: dict[str, Any], name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**data, "name": name}), encoding="utf-8")
    return path


def test_an_unstable_scenario_says_so_everywhere(tmp_path: Path, capsys) -> None:
    # 420 trucks a day on one lane of 4.2 min: utilisation 1.2, the queue can only grow.
    data = textbook_data(**{"run.days": 20})
    data["gates"]["g"]["demand_trucks_per_day"]["import"]["general"] = 420
    out = tmp_path / "out"
    args = ["-n", "2", "--jobs", "1", "--no-plots", "--report", "-o", str(out)]
    assert cli("run", str(_file(tmp_path, data, "unstable")), *args) == 0
    said = capsys.readouterr()
    assert "WARNING: unstable is UNSTABLE" in said.err
    assert "WARNING: unstable is UNSTABLE" in said.out
    table = pd.read_csv(out / "bottlenecks.csv")
    assert table["unstable"].tolist() == [True]
    assert table["grows_in"].tolist() == [2]
    assert "class=unstable" in (out / "report.html").read_text(encoding="utf-8")


def test_the_unstable_warning_shows_once_on_a_terminal(tmp_path: Path, capsys, monkeypatch) -> None:
    """Printed on stdout and stderr so that a redirected answer still warns, but where both go to
    one terminal the reader would see it twice: once there."""
    import sys

    data = textbook_data(**{"run.days": 20})
    data["gates"]["g"]["demand_trucks_per_day"]["import"]["general"] = 420
    args = ["-n", "2", "--jobs", "1", "--no-plots", "-o", str(tmp_path / "out")]
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert cli("run", str(_file(tmp_path, data, "unstable")), *args) == 0
    said = capsys.readouterr()
    assert said.out.count("WARNING: unstable is UNSTABLE") == 1
    assert "UNSTABLE" not in said.err


def test_a_stable_scenario_carries_no_warning(tmp_path: Path, capsys) -> None:
    data = textbook_data(**{"run.days": 20})
    out = tmp_path / "out"
    args = ["-n", "2", "--jobs", "1", "--no-plots", "--report", "-o", str(out)]
    assert cli("run", str(_file(tmp_path, data, "stable")), *args) == 0
    assert "UNSTABLE" not in capsys.readouterr().err
    assert pd.read_csv(out / "bottlenecks.csv")["unstable"].tolist() == [False]
    assert "class=unstable" not in (out / "report.html").read_text(encoding="utf-8")


def test_every_stage_and_the_platform_off_still_plots(tmp_path: Path, capsys) -> None:
    data = textbook_data(**{"run.days": 3})
    data["gates"]["g"]["gate_control"]["enabled"] = False
    out = tmp_path / "out"
    assert cli("run", str(_file(tmp_path, data, "bare")), "-q", "-o", str(out)) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert (out / "plots" / "overview.png").exists()
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")
    assert summary.loc["cleared_per_day_mean", "mean"] > 200  # nothing holds the trucks up


def test_the_summary_line_says_what_its_times_measure(tmp_path: Path, capsys) -> None:
    data = textbook_data(**{"run.days": 3})
    assert cli("run", str(_file(tmp_path, data, "timed")), "--no-plots", "-o", str(tmp_path / "o")) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "the command took" in first
    assert "from reading the scenario to writing the results" in first
    assert "the simulations took" in first
    assert "summed over the replications" in first
    sc = textbook({"run.days": 3})
    started = time.perf_counter()
    r = run(sc)
    assert 0 < r.wall_s <= time.perf_counter() - started  # drawing, building and running, no more


def test_a_date_window_outside_the_calendar_is_refused(capsys) -> None:
    assert cli("run", str(BASELINE), "--window", f"{dt.date.max}..{dt.date.max}", "-q") == 2
    assert "--window" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "resumable"), [("screen", False), ("run", True)])
def test_an_interrupted_command_promises_resume_only_where_it_has_it(
    tmp_path: Path, capsys, monkeypatch, command: str, resumable: bool
) -> None:
    """screen has no --resume and keeps no partial work: after Ctrl-C it said "rerun with --resume"."""
    import importlib

    from sim.experiments.folders import RunInterruptedError

    def interrupted(args: Any) -> int:
        raise RunInterruptedError([object(), object()], "interrupted")

    monkeypatch.setattr(importlib.import_module(f"sim.presentation.cli.{command}"), "command", interrupted)
    ranges = ["--ranges", str(ROOT / "scenarios" / "ranges.yaml")] if command == "screen" else []
    assert cli(command, str(BASELINE), *ranges, "-o", str(tmp_path / "out")) == 130
    err = capsys.readouterr().err
    assert ("--resume" in err) is resumable, err
    assert "No results folder was written." in err


def test_an_interruption_in_the_ensembles_sets_says_those_are_not_kept(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """run, compare and sweep keep their own replications for --resume, not those of an
    ensemble's parameter sets: stopped there, the message said they 'were kept'."""
    from sim.experiments.folders import RunInterruptedError
    from sim.presentation.cli import run as run_module

    def interrupted(args: Any) -> int:
        raise RunInterruptedError([object()] * 3, "interrupted", kept=False)

    monkeypatch.setattr(run_module, "command", interrupted)
    assert cli("run", str(BASELINE), "-o", str(tmp_path / "out")) == 130
    err = capsys.readouterr().err
    assert "not kept" in err
    assert "were kept;" not in err
