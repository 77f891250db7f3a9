"""Scenario files: validation messages, ``extends:``, overrides, and the CLI's handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import BASELINE, bordersim, textbook

from sim import ScenarioError, load_scenario
from sim.world.scenario_files import parse_assignment, scenario_schema


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def derived(tmp_path: Path, body: str) -> Path:
    """A what-if file extending the baseline."""
    return write(tmp_path, "whatif.yaml", f"extends: {BASELINE}\n{body}")


@pytest.mark.parametrize(
    ("body", "key", "says"),
    [
        ("gates:\n  huu_nghi:\n    gate_contrl: {lanes: 3}\n", "gates.huu_nghi.gate_contrl", "unknown key"),
        (
            "gates:\n  huu_nghi:\n    gate_control: {lanes: three}\n",
            "gates.huu_nghi.gate_control.lanes",
            "integer",
        ),
        (
            "gates:\n  huu_nghi:\n    gate_control: {lanes: 0}\n",
            "gates.huu_nghi.gate_control.lanes",
            "greater than or equal to 1",
        ),
        (
            "gates:\n  tan_thanh:\n    demand_trucks_per_day: {export: {fruit: -5}}\n",
            "gates.tan_thanh.demand_trucks_per_day.export.fruit",
            "greater than or equal to 0",
        ),
        ("platform: {predeclared_share: 1.3}\n", "platform.predeclared_share", "less than or equal to 1"),
        (
            "risk:\n  channel_shares:\n    fruit: {green: 0.5, yellow: 0.2, red: 0.2}\n",
            "risk.channel_shares.fruit",
            "sum to 1",
        ),
        ("platform:\n  hours: {open: '18:00', close: '07:00'}\n", "platform.hours", "must be after open"),
        ("platform:\n  hours: {open: '7am', close: '18:00'}\n", "platform.hours", "HH:MM"),
        (
            "platform:\n  review_min: {dist: lognormal, mean: -3, cv: 0.5}\n",
            "platform.review_min.mean",
            "greater than 0",
        ),
        ("platform:\n  review_min: {dist: gamma, mean: 3}\n", "platform.review_min", "dist"),
        ("run: {warmup_days: 200}\n", "run", "warmup_days"),
        (
            "events:\n  - {kind: closure, start: 2025-09-05 00:00, end: 2025-09-04 00:00}\n",
            "events.0",
            "after start",
        ),
        (
            "events:\n  - {kind: capacity, start: 2025-09-05, end: 2025-09-06,"
            " factor: 0.3, gates: [mong_cai]}\n",
            "events.0.gates",
            "unknown gate",
        ),
        ("risk:\n  quarantine_share: {durian: 1.0}\n", "risk.quarantine_share", "unknown cargo class"),
    ],
)
def test_bad_values_are_named_with_their_key(tmp_path: Path, body: str, key: str, says: str) -> None:
    path = derived(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert str(path) in text
    assert any(p == key and says in m for p, m in err.value.problems), text


def test_cli_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    path = derived(tmp_path, "gates:\n  huu_nghi:\n    gate_control: {lanes: -2}\n")
    for command in (["check", str(path)], ["run", str(path), "-o", str(tmp_path / "out")]):
        done = bordersim(*command)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert str(path) in done.stderr
        assert "gates.huu_nghi.gate_control.lanes" in done.stderr
        assert "-2" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("gates: [unclosed\n", "not valid YAML at line"),
        ("- just\n- a list\n", "must be a mapping"),
        ("extends: nowhere.yaml\n", "no such file"),
    ],
)
def test_cli_reports_unreadable_files(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    done = bordersim("check", str(path))
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_file_and_bad_set(tmp_path: Path) -> None:
    done = bordersim("check", str(tmp_path / "absent.yaml"))
    assert done.returncode == 2
    assert "no such file" in done.stderr
    done = bordersim("check", str(BASELINE), "--set", "gates.huu_nghi.gate_control.lanes")
    assert done.returncode == 2
    assert "expected key.path=value" in done.stderr


def test_extends_overrides_only_what_changes(tmp_path: Path) -> None:
    path = derived(tmp_path, "name: more_lanes\ngates:\n  huu_nghi:\n    customs_docs: {lanes: 9}\n")
    base, alt = load_scenario(BASELINE), load_scenario(path)
    assert alt.gates["huu_nghi"].customs_docs.lanes == 9
    assert alt.gates["huu_nghi"].customs_docs.service_min == base.gates["huu_nghi"].customs_docs.service_min
    assert alt.gates["tan_thanh"] == base.gates["tan_thanh"]
    assert alt.name == "more_lanes"


def test_a_new_distribution_replaces_the_old_one(tmp_path: Path) -> None:
    path = derived(tmp_path, "platform:\n  review_min: {dist: fixed, value: 2}\n")
    sc = load_scenario(path)
    assert sc.platform.review_min.dist == "fixed"
    assert sc.platform.review_min.mean == 2
    again = load_scenario(BASELINE).with_changes({"platform.review_min": {"dist": "exponential", "mean": 5}})
    assert again.platform.review_min.mean == 5
    merged = load_scenario(BASELINE).with_changes({"platform.hours": {"close": "22:00"}})
    assert merged.platform.hours.open == "06:00"  # other mappings merge key by key


def test_circular_extends_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(tmp_path / "a.yaml")


def test_set_on_the_command_line_and_in_python_agree() -> None:
    key, value = parse_assignment("gates.huu_nghi.routes.r1119_1120.china_check.lanes=12")
    assert value == 12
    a = load_scenario(BASELINE, {key: value})
    b = load_scenario(BASELINE).with_changes({key: value})
    assert a == b
    assert a.gates["huu_nghi"].routes["r1119_1120"].china_check.lanes == 12
    done = bordersim("check", str(BASELINE), "--set", "gates.huu_nghi.routes.r1119_1120.china_check.lanes=12")
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert resolved["gates"]["huu_nghi"]["routes"]["r1119_1120"]["china_check"]["lanes"] == 12


def test_resolved_scenario_round_trips(baseline) -> None:
    again = baseline.with_changes({})
    assert again == baseline


def test_schema_is_json_and_documents_units() -> None:
    done = bordersim("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    text = json.dumps(schema)
    assert "demand_trucks_per_day" in text
    assert "travel_min" in text
    assert "China time" in text


def test_textbook_reduction_is_valid() -> None:
    sc = textbook({"gates.g.hours": "always"})
    assert sc.gates["g"].hours.open_min == 0
    assert sc.gates["g"].hours.close_min == 1440


def test_every_field_of_the_schema_says_what_it_is() -> None:
    schema = scenario_schema()
    fields = [(n, f, s) for n, d in schema["$defs"].items() for f, s in d.get("properties", {}).items()]
    fields += [("Scenario", f, s) for f, s in schema["properties"].items()]
    missing = [f"{n}.{f}" for n, f, s in fields if not s.get("description")]
    assert len(fields) > 100
    assert missing == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("gates.huu_nghi.routes.r1119_1120.share.export", {"default": 0.5}, "export shares of cargo class"),
        ("gates.huu_nghi.gate_control.priority", ["durian"], "priority classes must be cargo classes"),
        ("gates.huu_nghi.park.call_forward_below", 5000, "above the export yard's size"),
        (
            "events",
            [{"kind": "closure", "start": "2025-10-01 00:00", "end": "2025-10-02 00:00", "routes": ["r9"]}],
            "unknown route 'r9'",
        ),
        ("gates.huu_nghi.acceptance", {"trucks_per_h": 20}, "'acceptance' is no longer a gate key"),
        (
            "events",
            [
                {
                    "kind": "capacity",
                    "start": "2025-10-01 00:00",
                    "end": "2025-10-02 00:00",
                    "factor": 0.5,
                    "directions": ["import"],
                }
            ],
            "a capacity event slows a whole stage",
        ),
    ],
)
def test_route_park_and_priority_mistakes_are_named(key: str, value, expected: str, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(BASELINE, {key: value})
    bad = write(tmp_path, "bad.yaml", f"extends: {BASELINE}\n" + yaml.safe_dump(_nested(key, value)))
    done = bordersim("check", str(bad))
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert expected.split("'")[0] in done.stderr
    assert "Traceback" not in done.stderr


def _nested(key: str, value):
    out = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def test_a_variant_without_a_name_is_named_after_its_own_file(tmp_path) -> None:
    """A file that extends the baseline and gives no name is not called 'baseline' (it would
    write into the baseline's results folder): it takes its own file's name; one that gives a
    name keeps it, and a file two steps down is named after itself too."""
    from conftest import BASELINE

    (tmp_path / "slower.yaml").write_text(f"extends: {BASELINE}\nplatform:\n  officers: 6\n")
    (tmp_path / "named.yaml").write_text(f"extends: {BASELINE}\nname: my_name\n")
    (tmp_path / "deeper.yaml").write_text("extends: slower.yaml\nplatform:\n  officers: 5\n")
    assert load_scenario(tmp_path / "slower.yaml").name == "slower"
    assert load_scenario(tmp_path / "named.yaml").name == "my_name"
    assert load_scenario(tmp_path / "deeper.yaml").name == "deeper"
    assert load_scenario(BASELINE).name == "baseline"


PEAK = BASELINE.parent / "fruit_harvest_peak.yaml"
CLOSURE = "  - {kind: closure, name: China closed, start: 2025-10-13 00:00, end: 2025-10-15 00:00}\n"


def test_events_of_the_base_left_out_by_an_extending_file_are_warned_of(tmp_path: Path) -> None:
    """A list is taken whole: a what-if that lists a closure loses its base's harvest peak unless
    it lists the peak again. The check warns, naming the event left out; a file that lists it
    again (changed or not), or lists no events, gets no such warning."""
    from sim.world.checks import scenario_warnings

    alone = tmp_path / "alone.yaml"
    alone.write_text(f"extends: {PEAK}\nevents:\n{CLOSURE}", "utf-8")
    notes = [msg for key, msg in scenario_warnings(load_scenario(alone)) if key == "events"]
    assert len(notes) == 1
    assert "leaving out 1: demand 'dragon-fruit peak' 2025-10-06..2025-10-26" in notes[0]
    peak = yaml.safe_load(PEAK.read_text("utf-8"))["events"][0]
    peak["factor"] = 1.8  # listed again, changed
    both = tmp_path / "both.yaml"
    both.write_text(f"extends: {PEAK}\nevents:\n  - {json.dumps(peak, default=str)}\n{CLOSURE}", "utf-8")
    assert not [k for k, _ in scenario_warnings(load_scenario(both)) if k == "events"]
    lanes = tmp_path / "lanes.yaml"
    lanes.write_text(f"extends: {PEAK}\ngates:\n  huu_nghi:\n    customs_docs: {{lanes: 9}}\n", "utf-8")
    assert not [k for k, _ in scenario_warnings(load_scenario(lanes)) if k == "events"]
    done = bordersim("check", str(alone))
    assert done.returncode == 0
    assert "events: this file's events replace the 1 event of" in done.stderr
    # times written otherwise are the same times; a --set of the events leaves no note on the file's
    closed = tmp_path / "closed.yaml"
    closed.write_text(f"extends: {PEAK}\nevents:\n{CLOSURE}", "utf-8")
    spelt = tmp_path / "spelt.yaml"
    again = "  - {kind: closure, name: China closed, start: '2025-10-13T00:00:00', end: 2025-10-15 00:00}\n"
    spelt.write_text(f"extends: {closed.name}\nevents:\n{again}", "utf-8")
    assert not [k for k, _ in scenario_warnings(load_scenario(spelt)) if k == "events"]
    assert not [k for k, _ in scenario_warnings(load_scenario(alone, {"events": []})) if k == "events"]
    # kept through with_changes of other keys
    assert load_scenario(alone).with_changes({"run.days": 60}).inherited_notes


def test_a_new_question_does_not_keep_the_bases_translation(tmp_path: Path) -> None:
    """The Vietnamese question of the file extended is of its own question: a what-if that asks
    another one (in the file or with --set) and gives no translation has none (reports fall back
    to the question as written)."""
    base = load_scenario(PEAK)
    assert base.question_vi
    asked = tmp_path / "asked.yaml"
    asked.write_text(f"extends: {PEAK}\nquestion: what if China closes for two days?\n", "utf-8")
    assert load_scenario(asked).question_vi == ""
    assert load_scenario(PEAK, {"question": "another?"}).question_vi == ""
    translated = tmp_path / "translated.yaml"
    translated.write_text(f"extends: {PEAK}\nquestion: what if?\nquestion_vi: nếu thì sao?\n", "utf-8")
    assert load_scenario(translated).question_vi == "nếu thì sao?"
    kept = tmp_path / "kept.yaml"
    kept.write_text(f"extends: {PEAK}\ngates:\n  huu_nghi:\n    customs_docs: {{lanes: 9}}\n", "utf-8")
    assert load_scenario(kept).question_vi == base.question_vi
