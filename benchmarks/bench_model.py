"""Speed and memory of the model against a bare SimPy replay of the same trucks, in the same run.

    python benchmarks/bench_model.py            # 90-day baseline vs bare replay, then 365 days
    python benchmarks/bench_model.py --quick    # 30 days, for a fast look

The bare replay takes the trucks the model simulated: the same arrival times, the same stage
visits in the same order and the same service times, each stage a ``simpy.Resource`` with the
model's lanes (one per gate and stage, and per route for the Chinese checkpoint and the crossing),
with no opening hours, priorities, yards, park, platform, monitoring or truck log. The ratio
"model / bare per truck" is the cost of everything the model adds. Timings are best of three;
memory is the peak resident size of a child process that runs one 365-day replication.
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


def visits_of(data) -> tuple[list[float], list[list[tuple[int, float]]], list[int]]:
    """Arrival times, each truck's (resource, service minutes) visits in order, resource sizes."""
    stages = [k.removesuffix("_start_min") for k in data.times if k.endswith("_start_min")]
    gates = list(data.scenario.gates)
    route = getattr(data.draws, "route", None)
    keys: dict[tuple, int] = {}
    sizes: list[int] = []
    lanes = {key: int(s["lanes"][0]) for key, s in data.series.items() if "lanes" in s}
    n = len(data.arrivals)
    per_truck: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    order = []
    for stage in stages:
        start, end = data.times[f"{stage}_start_min"], data.times[f"{stage}_end_min"]
        for i in np.flatnonzero(~np.isnan(end)).tolist():
            gate = gates[data.arrivals.gate[i]]
            rname = None
            if route is not None and stage in ("china_check", "crossing"):
                _, rname = _route_key(data, int(route[i]))
            key = (gate, stage, rname)
            if key not in keys:
                keys[key] = len(sizes)
                size = lanes.get((gate, f"{stage}:{rname}") if rname else (gate, stage), 1)
                sizes.append(size)
            order.append((i, start[i], keys[key], end[i] - start[i]))
    order.sort(key=lambda x: (x[0], x[1]))
    for i, _, res, service in order:
        per_truck[i].append((res, float(service)))
    return data.arrivals.time_min.tolist(), per_truck, sizes


def _route_key(data, r: int) -> tuple[str, str]:
    from sim.world.model import route_keys

    return route_keys(data.scenario)[r]


def bare_replay(arrivals: list[float], visits: list[list[tuple[int, float]]], sizes: list[int]) -> float:
    """Seconds to push the same trucks through the same visits on plain resources."""
    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=c) for c in sizes]

    def truck(i: int):
        for res, service in visits[i]:
            with resources[res].request() as req:
                yield req
                yield env.timeout(service)

    def source():
        for i in np.argsort(arrivals, kind="stable").tolist():
            t = arrivals[i]
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(truck(i))

    env.process(source())
    started = time.perf_counter()
    env.run()
    return time.perf_counter() - started


def model_run(days: int, seed: int = 0):
    """Seconds (build + run) and the run's data for the baseline."""
    from sim import load_scenario
    from sim.world.model import Model

    sc = load_scenario(BASELINE, {"run.days": days, "run.warmup_days": min(7, days - 1)})
    started = time.perf_counter()
    data = Model(sc, seed).run()
    return time.perf_counter() - started, data


def child_year() -> None:
    wall, data = model_run(365)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall_s": wall, "trucks": len(data.arrivals), "peak_mib": peak_kib / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child-year", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_year:
        child_year()
        return
    days = 30 if args.quick else 90
    ratios = []
    for seed in range(3):
        wall, data = model_run(days, seed)
        arrivals, visits, sizes = visits_of(data)
        bare = bare_replay(arrivals, visits, sizes)
        ratios.append((wall / bare, wall, bare, len(arrivals), sum(map(len, visits)) / len(arrivals)))
        del data
    ratio, wall, bare, trucks, per_truck = min(ratios)
    print(f"baseline, {days} days: {trucks:,} trucks, {per_truck:.2f} stage visits a truck (best ratio of 3)")
    print(f"  model : {wall:6.2f} s  {wall / trucks * 1e6:6.1f} us/truck")
    same = "same trucks, visits and service times"
    print(f"  bare  : {bare:6.2f} s  {bare / trucks * 1e6:6.1f} us/truck ({same})")
    print(f"  ratio model/bare per truck: {ratio:.2f}")
    if args.quick:
        return
    out = subprocess.run(
        [sys.executable, __file__, "--child-year"], capture_output=True, text=True, check=True
    )
    year = json.loads(out.stdout)
    print(
        f"baseline, 365 days: {year['trucks']:,} trucks in {year['wall_s']:.1f} s, "
        f"peak memory of the model process {year['peak_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
