"""Speed and memory of the model against a bare SimPy pipeline measured in the same run.

    python benchmarks/bench_model.py            # 90-day baseline vs bare pipeline, then 365 days
    python benchmarks/bench_model.py --quick    # 30 days, for a fast look

The bare pipeline has the same trucks count, Poisson arrivals and one ``simpy.Resource`` per stage
of the model (platform review, yard, gate control, customs documents, inspection, quarantine,
acceptance, crossing), every truck visiting every stage, with no monitoring at all. The ratio
"model / bare per truck" is the cost of everything the model adds (hours, schedules, monitoring,
the truck log, routing). Timings are best of three; memory is the peak resident size of a child
process that runs one 365-day replication.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
BARE_STAGES = 8


def bare_pipeline(n_trucks: int, horizon_min: float, seed: int = 0) -> float:
    """Seconds to push *n_trucks* Poisson arrivals through 8 resources with no bookkeeping."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    stages = [simpy.Resource(env, capacity=4) for _ in range(BARE_STAGES)]
    gaps = rng.exponential(horizon_min / n_trucks, n_trucks).tolist()
    services = rng.exponential(horizon_min / n_trucks * 2.4, (n_trucks, BARE_STAGES)).tolist()

    def truck(i: int):
        for stage, service in zip(stages, services[i], strict=True):
            with stage.request() as req:
                yield req
                yield env.timeout(service)

    def source():
        for i, gap in enumerate(gaps):
            yield env.timeout(gap)
            env.process(truck(i))

    env.process(source())
    started = time.perf_counter()
    env.run()
    return time.perf_counter() - started


def model_run(days: int, seed: int = 0) -> tuple[float, int, float]:
    """Seconds (build + run), trucks, and mean stage visits per truck for the baseline."""
    from sim import load_scenario
    from sim.model import Model

    sc = load_scenario(BASELINE, {"run.days": days, "run.warmup_days": min(7, days - 1)})
    started = time.perf_counter()
    data = Model(sc, seed).run()
    wall = time.perf_counter() - started
    starts = [v for k, v in data.times.items() if k.endswith("_start_min")]
    visits = sum(np.count_nonzero(~np.isnan(v)) for v in starts) / len(data.arrivals)
    # The yard and the platform review are stages too; starts above cover the lane stages.
    visits += 1 + float(np.mean(~np.isnan(data.times["approved_min"])))
    return wall, len(data.arrivals), visits


def child_year() -> None:
    wall, trucks, _ = model_run(365)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall_s": wall, "trucks": trucks, "peak_mib": peak_kib / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child-year", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_year:
        child_year()
        return
    days = 30 if args.quick else 90
    model = [model_run(days, seed) for seed in range(3)]
    wall, trucks, visits = min(model)
    bare = min(bare_pipeline(trucks, days * 1440, seed) for seed in range(3))
    per_model, per_bare = wall / trucks * 1e6, bare / trucks * 1e6
    print(f"baseline, {days} days: {trucks:,} trucks, {visits:.2f} stage visits per truck")
    print(f"  model : {wall:6.2f} s  {per_model:6.1f} us/truck")
    print(f"  bare  : {bare:6.2f} s  {per_bare:6.1f} us/truck ({BARE_STAGES} stage visits per truck)")
    print(f"  ratio model/bare per truck: {per_model / per_bare:.2f} (target <= 2)")
    print(f"  ratio per stage visit     : {(per_model / visits) / (per_bare / BARE_STAGES):.2f}")
    if args.quick:
        return
    out = subprocess.run(
        [sys.executable, __file__, "--child-year"], capture_output=True, text=True, check=True
    )
    year = json.loads(out.stdout)
    print(
        f"baseline, 365 days: {year['trucks']:,} trucks in {year['wall_s']:.1f} s (target < 60 s), "
        f"peak memory {year['peak_mib']:.0f} MiB (target < 1024 MiB)"
    )


if __name__ == "__main__":
    main()
