"""Validation cases that can fail: the tolerance rule, the interval verdict, and a broken twin per case.

Every case file in validation/ is run with 2 replications on a fixed seed through the case's own
code path (:func:`sim.studies.validation.run_case`), and so is its broken twin (the mechanism the case
checks removed), whose verdict must be a miss and whose measure must move the way the case file
says (``twin.expect``) by more than the spread of the two replications.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, bordersim

from sim.experiments.stats import t_half_width
from sim.studies.validation import (
    MIN_REPLICATIONS,
    NOT_TESTABLE,
    SHARE_FLOOR,
    Case,
    Reported,
    _narrow_enough,
    band_of,
    band_width,
    counted,
    load_case,
    markdown,
    pilot,
    replications_for,
    run_case,
    share_of,
    verdict,
)
from sim.world.schema.names import ScenarioError

CASES = sorted((ROOT / "validation").glob("*.yaml"))
FF_CASES = 12
HELD_OUT = {"normal_day_held_22aug2024", "normal_day_left_1feb2026"}
COMMITTED = pd.read_csv(ROOT / "validation" / "results" / "validation.csv")
MATCHED = set(COMMITTED.loc[COMMITTED["verdict"] != "miss", "case"])
"""Cases that match in the committed table: their intact run must not miss on the test's seed."""
CANNOT_MOVE = {"holiday_may2025_queue"}
"""Cases marked ``testable: false``: the intact run sits at the floor of the measure (0 km of road
queue), so no twin can move it further; the test asserts that they still sit there, so that a
model change that moves them brings them back under the sign test."""


def test_validation_holds_the_twelve_episodes_and_the_two_held_out_days() -> None:
    cases = [load_case(p)[0] for p in CASES]
    names = {c.name for c in cases}
    assert len(cases) == FF_CASES + len(HELD_OUT)
    assert names >= HELD_OUT
    assert "clearance_time_2025" not in names
    assert "residual_exports_at_20h" not in names
    assert {c.kind for c in cases if c.name in HELD_OUT} == {"validation"}
    for c in cases:
        assert c.twin.breaks
        assert c.twin.expect in ("lower", "higher")
        assert c.twin.changes or c.twin.china_export_per_day
        assert "docs/sources.md" in c.source
        assert c.same_quantity
        assert c.reasoning
        assert c.reported.text
        assert c.replications >= 10
        # the count comes from the case's pilot by the power rule (load_case refuses another)
        assert c.power is not None
        assert c.power.pilot_n == 5
        assert c.replications == replications_for(c.power.pilot_sd, c.band)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_band_is_the_tolerance_rule_applied_to_the_reported_figure(path: Path) -> None:
    case, _ = load_case(path)
    rule = band_of(case.reported, case.measure.domain)
    for written, ruled in zip(case.band, rule, strict=True):
        assert (written is None) == (ruled is None)
        if written is not None:
            assert math.isclose(written, ruled, rel_tol=1e-3)


def _write_case(tmp_path: Path, path: Path, data: dict) -> Path:
    """The case file rewritten into tmp_path/validation, with the scenario folders it points at."""
    folder = tmp_path / "validation"
    folder.mkdir(exist_ok=True)
    if not (folder / "era").exists():
        (folder / "era").symlink_to(ROOT / "validation" / "era")
        (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    out = folder / path.name
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_band_widened_by_5_percent_is_refused(path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    lo, hi = data["band"]
    data["band"] = [None if lo is None else lo * 0.95, None if hi is None else hi * 1.05]
    if lo == 0.0:  # a band from 0 widens only on its upper side
        data["band"][0] = 0.0
    bad = _write_case(tmp_path, path, data)
    with pytest.raises(ScenarioError, match="tolerance rule"):
        load_case(bad)


def test_a_hand_widened_band_is_refused_by_the_command(tmp_path: Path) -> None:
    src = ROOT / "validation" / "jun2022_drain_day.yaml"
    bad = tmp_path / "jun2022_drain_day.yaml"
    bad.write_text(src.read_text().replace("band: [700.2, 855.8]", "band: [650, 900]"))
    (tmp_path / "era").symlink_to(ROOT / "validation" / "era")
    with pytest.raises(ScenarioError, match="tolerance rule"):
        load_case(bad)
    done = bordersim("validate", str(bad), "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "band" in done.stderr
    assert str(bad) in done.stderr


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_relabelling_the_precision_cannot_widen_a_band(path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    case, _ = load_case(path)
    flipped = "rounded" if data["reported"]["precision"] == "count" else "count"
    data["reported"]["precision"] = flipped
    try:
        other = Reported.model_validate(data["reported"])
    except ValueError:
        assert flipped == "count"  # a rounded figure cannot pass as a count to the unit
        return
    assert band_of(other, case.measure.domain) == pytest.approx(case.band)


def test_a_rounded_figure_labelled_a_count_is_refused() -> None:
    for x in (2000, 0.5, 20):
        with pytest.raises(ValueError, match="given to the unit"):
            Reported(text="x", value=x, precision="count")
    Reported(text="369", value=369, precision="count")


def test_the_rule_widens_by_the_precision_of_the_figure() -> None:
    assert share_of(2000) == pytest.approx(0.25)  # "~2,000": one significant digit
    assert share_of(20) == pytest.approx(0.25)
    assert share_of(0.5) == pytest.approx(0.10)  # half of a tenth
    assert share_of(44) == SHARE_FLOOR  # 0.5 / 44 is below the floor
    assert share_of(1) == pytest.approx(0.5)
    assert band_of(Reported(text="369", value=369, precision="count")) == pytest.approx((332.1, 405.9))
    assert band_of(Reported(text="~2,000", value=2000, precision="rounded")) == pytest.approx((1500, 2500))
    assert band_of(Reported(text="13-15", low=13, high=15, precision="rounded")) == pytest.approx(
        (11.7, 16.5)
    )
    assert band_of(Reported(text="20-99", low=20, high=99, precision="rounded")) == pytest.approx((15, 108.9))
    # the bounding side of a one-sided outcome is the report's own bound
    assert band_of(Reported(text=">= 18", at_least=18, precision="rounded")) == (18.0, None)
    assert band_of(Reported(text="<= 20", at_most=20, precision="rounded")) == (0.0, 20.0)
    assert band_of(Reported(text="rise", at_most=129, precision="rounded"), "real") == (None, 129.0)
    with pytest.raises(ValueError, match="exactly one"):
        Reported(text="x", value=1, at_least=1, precision="count")


def test_the_verdict_reads_the_interval_not_only_the_mean() -> None:
    band = (10.0, 20.0)
    assert verdict(15, 12, 18, band) == "clear match"
    assert verdict(15, 5, 25, band) == "match"
    assert verdict(21, 15, 27, band) == "miss"  # the interval overlaps, the mean does not
    assert verdict(30, 29, 31, (None, 20.0)) == "miss"
    assert verdict(14, 13.6, 16, (13.5, None)) == "clear match"


def test_replications_are_added_until_the_interval_is_narrower_than_the_band() -> None:
    case, sc = load_case(ROOT / "validation" / "apr2023_hours_extension.yaml")
    r = run_case(case, sc, n=2, seed=0, max_n=4)
    assert r["n"] == 4  # 2 replications give an interval wider than the band
    wide = r["ci_high"] - r["ci_low"] >= case.band[1] - case.band[0]
    assert r["cap_reached"] == wide
    assert r["ci_low"] >= 0  # a ratio of counts: the interval stays in its range


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_case_misses_when_its_mechanism_is_broken(path: Path) -> None:
    case, sc = load_case(path)
    _, twin_sc = load_case(path, twin=True)
    intact = run_case(case, sc, n=2, seed=0, max_n=2)
    broken = run_case(case, twin_sc, n=2, seed=0, max_n=2)
    assert (case.name in CANNOT_MOVE) == (not case.testable)
    if not case.testable:
        assert intact["verdict"] == broken["verdict"] == NOT_TESTABLE
        assert intact["simulated"] == broken["simulated"] == 0.0
        for r in (intact, broken):  # on the band alone both would miss
            assert verdict(r["simulated"], r["ci_low"], r["ci_high"], case.band) == "miss"
        return
    assert broken["verdict"] == "miss", (case.twin.breaks, broken)
    # the twin moves the measure the stated way, and its two replications lie beyond both intact
    # ones (for n = 2: the effect exceeds half the sum of the two ranges, range = sd x sqrt 2), so
    # a case that already misses cannot pass by standing still
    effect = broken["simulated"] - intact["simulated"]
    spread = math.sqrt(2) * (intact["sd"] + broken["sd"]) / 2
    sign = 1 if case.twin.expect == "higher" else -1
    assert sign * effect > spread, (case.twin.expect, effect, spread, intact, broken)
    if case.name in MATCHED:
        n = int(COMMITTED.set_index("case").loc[case.name, "n"])
        if intact["verdict"] == "miss":  # two replications are noisier than the committed verdict's n
            intact = run_case(case, sc, n=n, seed=0, max_n=n)
        assert intact["verdict"] != "miss", intact


def test_one_sided_bands_add_replications_until_the_interval_leaves_the_bound() -> None:
    assert not _narrow_enough(0.9, 1.6, (0.0, 1.35))  # straddles the bound: not yet
    assert _narrow_enough(0.9, 1.2, (0.0, 1.35))
    assert _narrow_enough(0.0, 0.0, (1.0, None))
    assert not _narrow_enough(0.5, 1.5, (1.0, None))
    assert not _narrow_enough(math.nan, math.nan, (1.0, None))
    assert _narrow_enough(12, 15, (11.7, 16.5))
    assert not _narrow_enough(10, 17, (11.7, 16.5))


def test_validate_prints_kind_interval_band_verdict_and_counts_validation_cases_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- validation-table:start -->\nSTALE\n<!-- validation-table:end -->\ny\n")
    files = [
        str(ROOT / "validation" / f) for f in ("apr2023_hours_extension.yaml", "holiday_may2025_queue.yaml")
    ]
    done = bordersim(
        "validate", *files, "-n", "2", "--max-replications", "2", "--jobs", "1",
        "-o", str(tmp_path / "v"), "--readme", str(readme),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| apr2023_hours_extension | illustration |" in done.stdout
    assert "| holiday_may2025_queue | validation |" in done.stdout
    assert "validation cases match (illustrations not counted" in done.stdout
    assert "| holiday_may2025_queue | validation |" in done.stdout
    assert "| not testable |" in done.stdout  # the holiday case: not counted as match or miss
    assert "0 of 0 validation cases match" in done.stdout
    assert "not counted: holiday_may2025_queue" in done.stdout
    assert "(n=2, cap reached)" in done.stderr
    table = pd.read_csv(tmp_path / "v" / "validation.csv")
    assert list(table["n"]) == [2, 2]
    assert set(table["verdict"]) <= {"clear match", "match", "miss", NOT_TESTABLE}
    assert "STALE" not in readme.read_text()
    assert "holiday_may2025_queue" in readme.read_text()


def test_misses_are_shown_and_counted() -> None:
    def row(case: str, kind: str, sim: float, verdict: str, n: int = 10, cap: bool = False) -> dict:
        return {
            "case": case, "kind": kind, "reported": "r", "simulated": sim, "ci_low": sim - 0.5,
            "ci_high": sim + 0.5, "unit": "u", "band": "5 to 6", "verdict": verdict, "n": n,
            "cap_reached": cap,
        }  # fmt: skip

    rows = pd.DataFrame(
        [
            row("a", "validation", 1.0, "miss"),
            row("b", "validation", 5.5, "clear match"),
            row("c", "illustration", 5.5, "match", 40, True),
        ]
    )
    assert counted(rows) == (1, 2)
    text = markdown(rows)
    assert "| a | validation | r | 1 [0.5, 1.5] u | 5 to 6 u | **miss** | 10 |" in text
    assert "| 40 (cap) |" in text
    assert "1 of 2 validation cases match" in text


def test_the_power_rule_gives_the_least_n_with_a_half_width_of_a_quarter_band() -> None:
    assert band_width((332.1, 405.9)) == pytest.approx(73.8)
    assert band_width((18.0, None)) == 18.0  # one-sided: from 0 to the finite bound
    assert band_width((None, 102.0)) == 102.0
    assert band_width((0.0, 1.35)) == 1.35
    band = (10.0, 20.0)  # a quarter of the width: 2.5
    for sd in (0.5, 3.0, 5.0, 12.0):
        n = replications_for(sd, band)
        assert n >= MIN_REPLICATIONS
        assert t_half_width(sd, n) <= 2.5
        if n > MIN_REPLICATIONS:
            assert t_half_width(sd, n - 1) > 2.5  # the least such n
    assert replications_for(0.0, band) == MIN_REPLICATIONS
    assert replications_for(5.0, band) == 18  # t(0.975, 17) x 5 / sqrt(18) = 2.49; 17 give 2.57
    assert replications_for(12.0, band) > replications_for(5.0, band)


def test_a_count_that_is_not_the_power_rules_is_refused(tmp_path: Path) -> None:
    path = ROOT / "validation" / "jun2022_drain_day.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    width = band_width(tuple(data["band"]))
    data["power"] = {
        "pilot_n": 5, "pilot_seed": 1, "pilot_mean": 770.0, "pilot_sd": 60.0, "band_width": width,
        "text": "t",
    }  # fmt: skip
    data["replications"] = replications_for(60.0, tuple(data["band"]))
    load_case(_write_case(tmp_path, path, data))  # the rule's count loads
    data["replications"] += 5
    with pytest.raises(ScenarioError, match="power rule"):
        load_case(_write_case(tmp_path, path, data))
    data["replications"] -= 5
    data["power"]["band_width"] = width * 2
    with pytest.raises(ScenarioError, match="band's width"):
        load_case(_write_case(tmp_path, path, data))


def test_a_case_not_testable_needs_its_reason_and_is_not_counted() -> None:
    data = yaml.safe_load((ROOT / "validation" / "jun2022_drain_day.yaml").read_text(encoding="utf-8"))
    data["testable"] = False
    with pytest.raises(ValueError, match="not_testable"):
        Case.model_validate(data)
    data["not_testable"] = "the inputs leave the measure at its floor"
    assert not Case.model_validate(data).testable
    rows = pd.DataFrame(
        [
            {"case": "a", "kind": "validation", "reported": "r", "simulated": 0.0, "ci_low": 0.0,
             "ci_high": 0.0, "unit": "km", "band": "at least 1", "verdict": NOT_TESTABLE, "n": 10,
             "cap_reached": False},
            {"case": "b", "kind": "validation", "reported": "r", "simulated": 5.5, "ci_low": 5.0,
             "ci_high": 6.0, "unit": "u", "band": "5 to 6", "verdict": "clear match", "n": 10,
             "cap_reached": False},
        ]
    )  # fmt: skip
    assert counted(rows) == (1, 1)
    text = markdown(rows)
    assert f"| {NOT_TESTABLE} |" in text
    assert "1 of 1 validation cases match" in text
    assert "not testable with the model's inputs, not counted: a" in text


def test_the_pilot_sd_written_in_a_case_file_is_reproduced_by_its_pilot() -> None:
    case, sc = load_case(ROOT / "validation" / "jun2022_drain_day.yaml")
    again = pilot(case, sc)
    assert case.power is not None
    assert again.pilot_sd == pytest.approx(case.power.pilot_sd, rel=1e-9)
    assert again.pilot_mean == pytest.approx(case.power.pilot_mean, rel=1e-9)
    assert replications_for(again.pilot_sd, case.band) == case.replications
