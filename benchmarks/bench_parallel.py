"""Speed-up of replications on a process pool: 20 replications of the baseline, --jobs 2 vs 1.

    python benchmarks/bench_parallel.py [--n 20] [--days 90]

Both runs happen here, one after the other, with the same seed; the results must be identical
(checked), so the speed-up compares the same work. Target: at least 1.8 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim import load_scenario
from sim.experiments.designs import replicate

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    sc = load_scenario(BASELINE, {"run.days": args.days})
    walls = {}
    results = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        results[jobs] = replicate(sc, n=args.n, seed=0, jobs=jobs, keep_series=False, keep_runs=0)
        walls[jobs] = time.perf_counter() - started
        print(f"--jobs {jobs}: {args.n} replications of {args.days} days in {walls[jobs]:.1f} s")
    pd.testing.assert_frame_equal(results[1].kpis, results[2].kpis)
    print(f"speed-up --jobs 2 over --jobs 1: {walls[1] / walls[2]:.2f} (target >= 1.8); results identical")


if __name__ == "__main__":
    main()
