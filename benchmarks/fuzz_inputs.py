"""Fuzz ``bordersim`` at length with the generators of the test suite; print the tally (docs/reliability.md).

    python benchmarks/fuzz_inputs.py [--n 2000] [--seed S] [--legacy-n 0] [--run-share 0.05]

The planned families (costs, targets and ranges files, damaged results folders for ``report``,
command-line numbers, ``extends`` chains, scenario numbers that overflow) carry their expected
outcome from the generator: refuse naming a key, accept, or warn with a given text. None of them
simulates, apart from one 2-day run whose results folder the report family damages copies of.
The seed is a new one each day unless given (``YYYYMMDD``), and printed, so a failure can be
replayed. ``--legacy-n`` adds cases of the older generator of mutated scenario files (a share of
them run as 2-day simulations). Exits 1 and lists the failures if there is any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import (
    CASE_TIMEOUT_S,
    FAILURES,
    MEMORY_LIMIT_BYTES,
    PLANNED_FAILURES,
    run_cases,
    run_planned,
    tally,
)


def main() -> None:
    """Run the planned families (and optionally the older generator) and print the tally."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="planned cases (default 2000)")
    parser.add_argument("--seed", type=int, default=None, help="default: today's date as YYYYMMDD")
    parser.add_argument("--legacy-n", type=int, default=0, help="cases of the older generator (default 0)")
    parser.add_argument("--run-share", type=float, default=0.05, help="share of older cases simulated")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(dt.date.today().strftime("%Y%m%d"))
    started = time.perf_counter()
    outcomes = run_planned(seed, args.n, timeout_s=max(600, args.n * CASE_TIMEOUT_S))
    counts = tally(outcomes)
    print(
        f"{len(outcomes)} planned inputs fuzzed (seed {seed}) in {time.perf_counter() - started:.0f} s, "
        f"memory limit {MEMORY_LIMIT_BYTES / 1024**3:.0f} GiB, {CASE_TIMEOUT_S} s a case\n"
    )
    print(
        "| inputs | refused as expected | accepted as expected | warned as expected | tracebacks | hangs "
        "| out of memory | wrong acceptances | wrong refusals | unclear messages | missed warnings |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(outcomes)} | {counts['refused']} | {counts['accepted']} | {counts['warned']} | "
        f"{counts['traceback']} | {counts['hang']} | {counts['memory']} | {counts['wrong_acceptance']} | "
        f"{counts['wrong_refusal']} | {counts['unclear']} | {counts['missed_warning']} |"
    )
    by_family = Counter(o.detail.get("family", "?") for o in outcomes)
    print("\nby family: " + ", ".join(f"{f} {n}" for f, n in sorted(by_family.items())))
    bad = [o for o in outcomes if o.outcome in PLANNED_FAILURES]
    if args.legacy_n:
        legacy = run_cases(seed, args.legacy_n, args.run_share, timeout_s=args.legacy_n * CASE_TIMEOUT_S)
        old = tally(legacy)
        print(
            f"\nolder generator: {len(legacy)} cases: {old['ok']} ok, {old['clean']} clean errors, "
            f"{old['traceback']} tracebacks, {old['hang']} hangs, {old['memory']} out of memory, "
            f"{old['unclear']} unclear"
        )
        bad += [o for o in legacy if o.outcome in FAILURES]
    for o in bad:
        print(f"\n{o.case}: {o.outcome} ({o.status}) {o.detail}\n{o.said}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
