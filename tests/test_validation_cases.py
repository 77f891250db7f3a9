"""Validation cases that can fail: the tolerance rule, the interval verdict, and a broken twin per case.

Every case file in validation/ is run with 2 replications on a fixed seed through the case's own
code path (:func:`sim.validation.run_case`), and so is its broken twin (the mechanism the case
checks removed), whose verdict must be a miss.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, bordersim

from sim.scenario import ScenarioError
from sim.validation import (
    PRECISION_SHARE,
    Reported,
    band_of,
    counted,
    load_case,
    markdown,
    run_case,
    verdict,
)

CASES = sorted((ROOT / "validation").glob("*.yaml"))
FF_CASES = 12
HELD_OUT = {"normal_day_held_22aug2024", "normal_day_left_1feb2026"}
INPUT_SET = {
    "feb2022_huu_nghi_18_days",
    "dec2021_peak_jam",
    "jun2022_drain_day",
    "may2023_overflow",
    "feb2022_partial_ban",
    "apr2023_hours_extension",
    "durian_lab_halt_oct2025",
}
"""Illustrations whose outcome is set by their own inputs: cheap to assert the intact case matches."""


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
        assert c.twin.changes or c.twin.china_export_per_day
        assert "docs/sources.md" in c.source
        assert c.same_quantity
        assert c.reasoning
        assert c.reported.text
        assert c.replications >= 10


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_band_is_the_tolerance_rule_applied_to_the_reported_figure(path: Path) -> None:
    case, _ = load_case(path)
    rule = band_of(case.reported, case.measure.domain)
    for written, ruled in zip(case.band, rule, strict=True):
        assert (written is None) == (ruled is None)
        if written is not None:
            assert math.isclose(written, ruled, abs_tol=0.051)


def test_a_hand_widened_band_is_refused(tmp_path: Path) -> None:
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


def test_the_rule_widens_by_the_precision_share() -> None:
    s, c = PRECISION_SHARE["rounded"], PRECISION_SHARE["count"]
    assert band_of(Reported(text="369", value=369, precision="count")) == pytest.approx(
        (369 * (1 - c), 369 * (1 + c))
    )
    assert band_of(Reported(text="13-15", low=13, high=15, precision="rounded")) == pytest.approx(
        (13 * (1 - s), 15 * (1 + s))
    )
    assert band_of(Reported(text=">= 18", at_least=18, precision="rounded")) == (
        pytest.approx(18 * (1 - s)),
        None,
    )
    assert band_of(Reported(text="none", at_most=20, precision="rounded")) == (
        0.0,
        pytest.approx(20 * (1 + s)),
    )
    assert band_of(Reported(text="rise", at_most=129, precision="rounded"), "real") == (
        None,
        pytest.approx(129 * (1 + s)),
    )
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
    assert broken["verdict"] == "miss", (case.twin.breaks, broken)
    assert broken["simulated"] != pytest.approx(intact["simulated"]) or intact["verdict"] == "miss"
    if case.name in INPUT_SET:
        assert intact["verdict"] != "miss", intact


def test_validate_prints_kind_interval_band_verdict_and_counts_validation_cases_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- validation-table:start -->\nSTALE\n<!-- validation-table:end -->\ny\n")
    files = [str(ROOT / "validation" / f) for f in ("apr2023_hours_extension.yaml", "tet2024_restart.yaml")]
    done = bordersim(
        "validate", *files, "-n", "2", "--max-replications", "2", "--jobs", "1",
        "-o", str(tmp_path / "v"), "--readme", str(readme),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| apr2023_hours_extension | illustration |" in done.stdout
    assert "| tet2024_restart | validation |" in done.stdout
    assert "validation cases match (illustrations not counted)" in done.stdout
    assert " of 1 validation cases match" in done.stdout
    assert "(n=2, cap reached)" in done.stderr
    table = pd.read_csv(tmp_path / "v" / "validation.csv")
    assert list(table["n"]) == [2, 2]
    assert set(table["verdict"]) <= {"clear match", "match", "miss"}
    assert "STALE" not in readme.read_text()
    assert "tet2024_restart" in readme.read_text()


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
