"""Seeded fuzzing of scenario files and command lines on a CI budget (see ``tests/fuzzing.py``).

Every mutant must end in exit 0 with a sane result or exit 2 with a message naming the file and
key; never a traceback, a hang (over ``CASE_TIMEOUT_S``) or memory beyond ``MEMORY_LIMIT_BYTES``
(the worker runs under ``RLIMIT_AS``). ``python benchmarks/fuzz_inputs.py --legacy-n 500`` runs the same
generator at length. The planned families (``generate_planned``) carry their expected outcome
from the generator; CI judges 252 of them and the benchmark 2,000.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import (
    BASELINE,
    FAILURES,
    FAMILIES,
    PLANNED_FAILURES,
    Case,
    Expect,
    Planned,
    generate,
    generate_planned,
    judge,
    judge_planned,
    run_cases,
    run_planned,
    tally,
)

FUZZ_SEED = 20250901
FUZZ_CASES = 80
PLANNED_CASES = 36 * len(FAMILIES)
"""Planned cases CI judges: 36 of each family (252), in under a minute."""


def test_fuzzed_inputs_fail_cleanly_or_give_a_sane_result() -> None:
    outcomes = run_cases(FUZZ_SEED, FUZZ_CASES, run_share=0.04, timeout_s=300)
    counts = tally(outcomes)
    bad = [o for o in outcomes if o.outcome in FAILURES]
    assert len(outcomes) == FUZZ_CASES
    assert not bad, "\n\n".join(f"{o.case}: {o.outcome} ({o.status})\n{o.said}" for o in bad)
    assert counts["clean"] > FUZZ_CASES // 2  # the generator does produce bad input
    assert counts["ok"] > 0  # and some that is fine, judged sane


def test_the_generator_is_seeded() -> None:
    assert [c.name for c in generate(7, 30)] == [c.name for c in generate(7, 30)]
    assert [c.name for c in generate(7, 30)] != [c.name for c in generate(8, 30)]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check", "{dir}/s.yaml"], "ok"),
        (["check", "{dir}/s.yaml", "--set", "run.days=0"], "clean"),
        (["kpis", "--set"], "clean"),
    ],
)
def test_the_judge_tells_outcomes_apart(tmp_path: Path, argv: list[str], expected: str) -> None:
    good = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
    case = Case("judge", {"s.yaml": good.read_bytes()}, argv)
    assert judge(case, tmp_path).outcome == expected


def test_the_judge_catches_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.presentation.cli.check

    def broken(args: object) -> int:
        raise ZeroDivisionError

    monkeypatch.setattr(sim.presentation.cli.check, "command", broken)
    good = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
    case = Case("judge", {"s.yaml": good.read_bytes()}, ["check", "{dir}/s.yaml"])
    assert judge(case, tmp_path).outcome == "traceback"


def test_planned_inputs_end_as_the_generator_expects() -> None:
    outcomes = run_planned(FUZZ_SEED, PLANNED_CASES, timeout_s=300)
    assert len(outcomes) == PLANNED_CASES
    bad = [o for o in outcomes if o.outcome in PLANNED_FAILURES]
    assert not bad, "\n\n".join(f"{o.case}: {o.outcome} ({o.status}) {o.detail}\n{o.said}" for o in bad)
    families = {o.detail["family"] for o in outcomes}
    assert families == set(FAMILIES)
    counts = tally(outcomes)
    assert counts["refused"] > PLANNED_CASES // 2
    assert counts["accepted"] > 0
    assert counts["warned"] > 0


def test_the_planned_generator_is_seeded_and_carries_expectations() -> None:
    first, again, other = generate_planned(7, 70), generate_planned(7, 70), generate_planned(8, 70)
    assert [c.name for c in first] == [c.name for c in again]
    assert [c.name for c in first] != [c.name for c in other]
    assert {c.expect.kind for c in first} == {"refuse", "accept", "warn"}
    assert all(c.expect.says for c in first if c.expect.kind != "accept")


@pytest.mark.parametrize(
    ("argv", "expect", "outcome"),
    [
        (["check", str(BASELINE)], Expect("refuse", ("run.days",)), "wrong_acceptance"),
        (["check", str(BASELINE), "--set", "run.days=0"], Expect("accept"), "wrong_refusal"),
        (["check", str(BASELINE), "--set", "run.days=0"], Expect("refuse", ("run.weeks",)), "unclear"),
        (["check", str(BASELINE)], Expect("warn", ("overlapping",)), "missed_warning"),
        (["check", str(BASELINE), "--set", "run.days=0"], Expect("refuse", ("run.days",)), "refused"),
        (["check", str(BASELINE)], Expect("accept"), "accepted"),
    ],
)
def test_the_planned_judge_sets_outcome_against_expectation(
    tmp_path: Path, argv: list[str], expect: Expect, outcome: str
) -> None:
    case = Planned("judge", "scenario", {}, argv, expect)
    assert judge_planned(case, tmp_path).outcome == outcome
