"""Fuzz ``bordersim`` at length with the generator of the test suite; print the tally for the README.

    python benchmarks/fuzz_inputs.py [--n 500] [--seed 1] [--run-share 0.05]

Mutated scenario files (``bordersim check``, and a share run as 2-day simulations) and bad
command lines, each judged as in ``tests/test_fuzz.py``: exit 0 with a sane result, or exit 2
naming the file and key; never a traceback, a hang or memory beyond the stated limit. Exits 1 and
lists the failures if there is any.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import CASE_TIMEOUT_S, FAILURES, MEMORY_LIMIT_BYTES, OUTCOMES, run_cases, tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run-share", type=float, default=0.05)
    args = parser.parse_args()
    started = time.perf_counter()
    outcomes = run_cases(args.seed, args.n, args.run_share, timeout_s=args.n * CASE_TIMEOUT_S)
    counts = tally(outcomes)
    print(
        f"{len(outcomes)} inputs fuzzed (seed {args.seed}) in {time.perf_counter() - started:.0f} s, "
        f"memory limit {MEMORY_LIMIT_BYTES / 1024**3:.0f} GiB, {CASE_TIMEOUT_S} s a case\n"
    )
    print(
        "| inputs fuzzed | exit 0, sane result | clean errors (exit 2, file and key named) | "
        "tracebacks | hangs | out of memory | unclear |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {len(outcomes)} | {counts['ok']} | {counts['clean']} | {counts['traceback']} | "
        f"{counts['hang']} | {counts['memory']} | {counts['unclear']} |"
    )
    assert set(counts) <= set(OUTCOMES)
    bad = [o for o in outcomes if o.outcome in FAILURES]
    for o in bad:
        print(f"\n{o.case}: {o.outcome} ({o.status})\n{o.said}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
