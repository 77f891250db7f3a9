"""The scenario library, the validation cases and the generated tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, bordersim, textbook

from sim import load_scenario, replicate
from sim.studies.library import library_table, markdown, put_in_readme
from sim.studies.validation import load_case

NOT_SCENARIOS = {"targets.yaml", "costs.yaml", "ranges.yaml"}
"""YAML files in scenarios/ that are not scenarios: targets, lever costs and the ranges of the unknowns."""
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p.name not in NOT_SCENARIOS)
CASES = sorted((ROOT / "validation").glob("*.yaml"))
LIBRARY = {
    "baseline",
    "fruit_harvest_peak",
    "tet_closure",
    "chinese_slowdown",
    "more_lanes_huu_nghi",
    "round_the_clock",
    "no_predeclaration",
    "smart_border_gate",
    "direct_transport",
}


def test_the_library_has_every_question_the_issue_names() -> None:
    names = {load_scenario(p).name for p in SCENARIOS}
    assert names >= LIBRARY


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_each_scenario_states_its_question_and_sources(path: Path) -> None:
    text = path.read_text()
    sc = load_scenario(path)
    assert sc.question
    assert text.lstrip().startswith("#")
    assert "Question:" in text or path.name == "baseline.yaml"
    assert "FF" in text or "field-facts" in text
    if path.name != "baseline.yaml":
        assert "extends: baseline.yaml" in text


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_validation_cases_load_with_reasons(path: Path) -> None:
    case, sc = load_case(path)
    assert case.reasoning
    assert case.source
    assert case.reported
    assert case.band[0] is None or case.band[1] is None or case.band[0] < case.band[1]
    assert sc.run.days >= 1


def test_validate_runs_a_case_and_shows_the_verdict(tmp_path: Path) -> None:
    case = ROOT / "validation" / "feb2022_huu_nghi_18_days.yaml"
    done = bordersim(
        "validate", str(case), "-n", "2", "--max-replications", "2", "--jobs", "1", "-o", str(tmp_path / "v")
    )
    assert done.returncode == 0, done.stderr
    assert "| feb2022_huu_nghi_18_days | illustration | at least 18 days" in done.stdout
    assert "0 of 0 validation cases match" in done.stdout


def test_a_bad_case_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "validation" / "feb2022_huu_nghi_18_days.yaml")
        .read_text()
        .replace("unit: days", "units: days")
    )
    done = bordersim("validate", str(bad))
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "units" in done.stderr


def test_table_markdown_and_readme_markers() -> None:
    a = textbook({"run.days": 3})
    b = a.with_changes({"name": "two_lanes", "gates.g.gate_control.lanes": 2})
    table = library_table([replicate(a, 2, 0, 1), replicate(b, 2, 0, 1)])
    text = markdown(table)
    assert text.count("\n") == 3  # header, rule, two rows
    assert "| two_lanes |" in text
    readme = "intro\n<!-- scenario-table:start -->\nSTALE\n<!-- scenario-table:end -->\nrest\n"
    out = put_in_readme(text, readme)
    assert "STALE" not in out
    assert "| two_lanes |" in out
    assert out.endswith("rest\n")
    with pytest.raises(ValueError, match="markers"):
        put_in_readme(text, "no markers here")
