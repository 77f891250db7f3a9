"""The load check with the events applied per episode, against figures worked out by hand from the
scenario files, and ``check --diff`` telling events apart in words."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import BASELINE, ROOT, bordersim

from sim import load_scenario
from sim.world.episodes import episodes
from sim.world.event_diff import diff_events
from sim.world.load import episode_load_table, load_table

HARVEST = ROOT / "scenarios" / "fruit_harvest_peak.yaml"
OCT6, OCT26 = dt.date(2025, 10, 6), dt.date(2025, 10, 26)


def row(table, gate: str, stage: str):
    return table.set_index(["gate", "stage"]).loc[(gate, stage)]


def with_events(*events: dict):
    return load_scenario(BASELINE).with_changes({"events": list(events)})


def test_the_harvest_peak_puts_huu_nghi_quarantine_over_during_its_episode() -> None:
    sc = load_scenario(HARVEST)
    (ep,) = episodes(sc)
    assert (ep.first, ep.last) == (OCT6, OCT26)
    q = row(episode_load_table(sc, ep.first, ep.last), "huu_nghi", "quarantine")
    # Fruit 190 export + 71 import, half sampled, October fruit factor 1.10, three whole weeks
    # (weekday factors average 1), x1.6: 229.7 a day; 4 lanes x 16 h x 60 / 20 min = 192 a day.
    assert q["demand_per_day"] == pytest.approx(261 * 0.5 * 1.10 * 1.6, abs=0.05)
    assert q["capacity_per_day"] == pytest.approx(192)
    assert q["utilisation"] == pytest.approx(229.68 / 192, abs=1e-3)
    assert q["flag"] == "OVER"
    assert row(load_table(sc), "huu_nghi", "quarantine")["flag"] == ""  # the ordinary day
    # The same days without the event's factor: not over, so the flag comes from the factor.
    calm = row(episode_load_table(load_scenario(BASELINE), OCT6, OCT26), "huu_nghi", "quarantine")
    assert calm["utilisation"] == pytest.approx(q["utilisation"] / 1.6, abs=1e-3)
    assert calm["flag"] == ""


def test_a_closure_lowers_capacity_in_its_episode() -> None:
    closure = {
        "kind": "closure",
        "name": "quarantine lab shut",
        "start": "2025-10-06 00:00",
        "end": "2025-10-07 00:00",
        "gates": ["huu_nghi"],
        "stages": ["quarantine"],
    }
    marker = {"kind": "demand", "name": "marker", "start": "2025-10-06", "end": "2025-10-09", "factor": 1}
    sc = with_events(closure, marker)
    (ep,) = episodes(sc)
    assert ep.days == 4
    table = episode_load_table(sc, ep.first, ep.last)
    q = row(table, "huu_nghi", "quarantine")
    assert q["capacity_per_day"] == pytest.approx(192 * 3 / 4)  # one of four days shut
    assert q["open_h_per_day"] == pytest.approx(12)
    assert row(table, "huu_nghi", "gate_control")["capacity_per_day"] == pytest.approx(6 * 16 * 60 / 4)
    assert row(table, "tan_thanh", "quarantine")["capacity_per_day"] == pytest.approx(3 * 16 * 3)


def test_a_capacity_event_at_half_rate_doubles_utilisation() -> None:
    slow = {
        "kind": "capacity",
        "name": "half rate",
        "start": "2025-10-06 00:00",
        "end": "2025-10-13 00:00",
        "factor": 0.5,
        "gates": ["huu_nghi"],
        "stages": ["gate_control"],
    }
    sc = with_events(slow)
    (ep,) = episodes(sc)
    assert (ep.first, ep.last) == (OCT6, dt.date(2025, 10, 12))
    slowed = episode_load_table(sc, ep.first, ep.last)
    plain = episode_load_table(load_scenario(BASELINE), ep.first, ep.last)
    gc, gc0 = row(slowed, "huu_nghi", "gate_control"), row(plain, "huu_nghi", "gate_control")
    assert gc["utilisation"] == pytest.approx(2 * gc0["utilisation"], abs=2e-3)
    assert gc["capacity_per_day"] == pytest.approx(gc0["capacity_per_day"] / 2)
    assert row(slowed, "tan_thanh", "gate_control")["utilisation"] == pytest.approx(
        row(plain, "tan_thanh", "gate_control")["utilisation"]
    )


def test_one_direction_closed_at_the_chinese_checkpoint_shows_by_direction() -> None:
    closed = {
        "kind": "closure",
        "name": "exports stopped",
        "start": "2025-10-06 00:00",
        "end": "2025-10-09 00:00",
        "gates": ["huu_nghi"],
        "stages": ["china_check"],
        "directions": ["export"],
    }
    sc = with_events(closed)
    (ep,) = episodes(sc)
    table = episode_load_table(sc, ep.first, ep.last)
    both = row(table, "huu_nghi", "china_check:r1119_1120")
    assert both["flag"] == ""  # imports keep the lanes open
    export = row(table, "huu_nghi", "china_check:r1119_1120 (export)")
    assert export["capacity_per_day"] == 0
    assert export["flag"] == "CLOSED"  # demand and no capacity at all over the days
    assert row(table, "huu_nghi", "china_check:r1119_1120 (import)")["flag"] == ""
    plain = episode_load_table(load_scenario(BASELINE), ep.first, ep.last)
    assert "china_check:r1119_1120 (export)" not in set(plain["stage"])


def test_diff_lines_name_events_added_removed_and_changed() -> None:
    base = load_scenario(HARVEST)
    assert diff_events(base, base) == []
    bigger = base.with_changes({"events": [{**base.events[0].model_dump(mode="json"), "factor": 2.0}]})
    (line,) = diff_events(base, bigger)
    assert line == (
        "changed event: demand 'dragon-fruit peak' 2025-10-06..2025-10-26 x1.6 (cargo fruit)"
        " -> demand 'dragon-fruit peak' 2025-10-06..2025-10-26 x2 (cargo fruit)"
    )
    assert diff_events(bigger, load_scenario(BASELINE)) == [
        "removed event: demand 'dragon-fruit peak' 2025-10-06..2025-10-26 x2 (cargo fruit)"
    ]


def test_check_diff_shows_the_added_event_and_the_episode_load() -> None:
    done = bordersim("check", str(HARVEST), "--diff")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "added event: demand 'dragon-fruit peak' 2025-10-06..2025-10-26 x1.6 (cargo fruit)" in lines
    assert not any(line.startswith("events") for line in lines)
    assert "-> null" not in done.stdout
    assert "null ->" not in done.stdout
    assert "# load during dragon-fruit peak, 2025-10-06..2025-10-26 (21 days)" in done.stdout
    assert "warning: Huu Nghi plant quarantine 120% OVER during 2025-10-06..2025-10-26" in done.stdout
    q = next(line for line in lines if line.split()[:2] == ["huu_nghi", "quarantine"] and "OVER" in line)
    assert q.split()[-4:] == ["120%", "67%", "75%", "OVER"]  # episode, ordinary day, baseline those days


def test_check_diff_against_another_file_lists_its_events_as_removed() -> None:
    tet = ROOT / "scenarios" / "tet_closure.yaml"
    done = bordersim("check", str(HARVEST), "--diff", str(tet))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "removed event: closure 'Tet (China off)' 2026-02-15 00:00..2026-02-19 00:00" in lines
    assert "added event: demand 'dragon-fruit peak' 2025-10-06..2025-10-26 x1.6 (cargo fruit)" in lines
    assert "run.days: 56 -> 90" in lines
    assert "-> null" not in done.stdout


def test_extended_hours_raise_capacity_on_their_days() -> None:
    longer = {
        "kind": "extended_hours",
        "name": "round the clock quarantine",
        "start": "2025-10-06",
        "end": "2025-10-12",
        "hours": "always",
        "gates": ["huu_nghi"],
        "stages": ["quarantine"],
    }
    sc = with_events(longer)
    (ep,) = episodes(sc)
    table = episode_load_table(sc, ep.first, ep.last)
    q = row(table, "huu_nghi", "quarantine")
    assert q["open_h_per_day"] == pytest.approx(24)
    assert q["capacity_per_day"] == pytest.approx(4 * 24 * 3)  # 4 lanes x 24 h x 3 trucks an hour
    assert row(table, "huu_nghi", "customs_docs")["open_h_per_day"] == pytest.approx(16)


def test_a_stage_closed_throughout_its_episode_is_said_closed_not_infinitely_busy(tmp_path) -> None:
    """Demand and no capacity over the whole episode: the table says closed and flags CLOSED, the
    warning says the trucks wait for it to reopen; no 'inf%'."""
    path = tmp_path / "shut.yaml"
    path.write_text(
        f"extends: {BASELINE}\nevents:\n  - {{kind: closure, name: China closed, start: 2025-10-13 00:00, "
        "end: 2025-10-15 00:00, stages: [china_check]}\n",
        "utf-8",
    )
    sc = load_scenario(path)
    table = episode_load_table(sc, dt.date(2025, 10, 13), dt.date(2025, 10, 14))
    shut = table[table["stage"].str.startswith("china_check")]
    assert (shut["capacity_per_day"] == 0).all()
    assert (shut["flag"] == "CLOSED").all()
    done = bordersim("check", str(path), "--load")
    assert done.returncode == 0, done.stderr
    assert "inf" not in done.stdout
    assert "closed throughout 2025-10-13..2025-10-14" in done.stdout
    assert "they wait for it to reopen" in done.stdout


def test_a_load_below_a_flags_threshold_never_reads_as_the_threshold() -> None:
    """617.0 trucks against a capacity of 617.1 is 99.98%: printed "100%" it read as OVER beside no
    OVER flag; likewise just under HIGH's 85%."""
    from sim.presentation.cli.check import _pct
    from sim.world.load import HIGH

    assert _pct(617.0 / 617.1) == "99.9%"
    assert _pct(1.0) == "100%"
    assert _pct(1.004) == "100%"  # at or over: the flag says OVER
    assert _pct(HIGH - 0.0004) == "84.9%"
    assert _pct(HIGH) == "85%"
    assert _pct(0.5) == "50%"
    assert _pct(float("inf")) == "closed"


def test_check_load_shows_a_load_just_under_capacity_as_under_it(tmp_path) -> None:
    """Through the command: 342.8 trucks a day on one lane of 4.2 min round the clock is 99.98%
    of capacity, flagged HIGH; the table and the warning say 99.9%, never 100% beside HIGH (the
    table's value was rounded to 1.000 while the flag read the unrounded one)."""
    import yaml
    from conftest import TEXTBOOK

    data = {**TEXTBOOK, "name": "edge"}
    data["gates"] = {"g": {**TEXTBOOK["gates"]["g"], "demand_trucks_per_day": {"import": {"general": 342.8}}}}
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = bordersim("check", str(path), "--load")
    assert done.returncode == 0, done.stderr
    assert "99.9%" in done.stdout
    assert "HIGH" in done.stdout
    assert "100%" not in done.stdout.replace("OVER from 100%", "")
