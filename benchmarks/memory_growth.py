"""How a run's memory grows with its horizon, and what it is made of.

    python benchmarks/memory_growth.py                                  # 365 and 730 days
    python benchmarks/memory_growth.py --days 365 730 --readme docs/speed.md

For each horizon, in a fresh process of its own (``--child``), replication 0 of seed 0 of the
baseline (the trucks the command's first replication has), its model's memory given back after
the run as a replication's is: the resident peak (``ru_maxrss``) after the imports a run has
(pandas, pyarrow), after the model is built, after it has run, and after the whole truck table
(as ``run.trucks`` makes it for a notebook: the command reads it a column at a time and writes it
a slice at a time) and the queue table are built, to weigh them; beside it the bytes (numpy's
``nbytes``) of the per-truck arrays at those points: the trucks and all their draws, the truck
log the model fills, and what the run hands to its tables (the truck log, the draws the tables read, the queue
series). Then the whole command as a user runs it (``bordersim run ... -n 1 --jobs 1``, default
figures), its peak read in a process that waits for it alone.

The growth from the first horizon to the last, set beside the growth of those arrays, says what
the memory is made of: what the results folder writes (the truck log of replication 0, for
``trucks.parquet``, and the queue series), or what a replication needs only while it runs (the
draws in full, the model's own state; every replication reads its truck table a column at a time
for its KPIs and lets its log go, only the first's is kept). Resident peaks are of the whole
process and include what the allocator keeps, so the arrays are a lower bound of what each part holds.

The line after the table gives the verdict on the goal "memory bounded by what is written, not by
the truck log": from the first horizon to the last, the whole command's peak may grow by at most what the
truck and queue tables it writes grow by (their pandas memory): a ratio of at most 1
(:func:`bounded_by_written`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MARKER = "memory-growth"
MIB = 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def array_mib(obj: Any, depth: int = 3) -> float:
    """MiB of the numpy arrays in *obj*: an array, or arrays in its dicts, lists, tuples and
    dataclass or object fields, *depth* levels down (an array met twice is counted twice)."""
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.nbytes / MIB
    if depth == 0 or obj is None or isinstance(obj, (str, bytes, int, float)):
        return 0.0
    if isinstance(obj, dict):
        return sum(array_mib(v, depth - 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(array_mib(v, depth - 1) for v in obj)
    if hasattr(obj, "__dict__"):
        return sum(array_mib(v, depth - 1) for v in vars(obj).values())
    return 0.0


def child(days: int) -> dict[str, Any]:
    """The measurements of one horizon, in this process (which must be fresh)."""
    import pandas  # noqa: F401  (a run's process has them before it simulates)
    import pyarrow  # noqa: F401

    from sim.experiments.replications import replication_seed
    from sim.experiments.results import Run, give_back_free_memory
    from sim.world.draw_blocks import BLOCK_TRUCKS
    from sim.world.model import Model
    from sim.world.scenario_files import load_scenario
    from sim.world.truck_log import TruckLog

    # The baseline's own warm-up (7 days), shortened only for a horizon shorter than it.
    sc = load_scenario(BASELINE, {"run.days": days, "run.warmup_days": min(7, days - 1)})
    res: dict[str, Any] = {"days": days, "imports_mib": _peak_mib()}
    model = Model(sc, replication_seed(0, 0))  # the command's replication 0 of seed 0
    res["built_mib"] = _peak_mib()
    res["trucks"] = len(model.arr)
    res["arrivals_arrays_mib"] = array_mib(model.arr)
    blocked = model.blocks.arrays if model.blocks is not None else []
    d = model.draws
    of_draws = [d.auto_check_min, d.review_min, d.correction_min, d.travel_min, *d.service_min.values()]
    of_draws += [d.route_uniforms] if d.route_uniforms is not None else []
    in_draws = sum(a.nbytes for a in blocked if any(a is b for b in of_draws)) / MIB
    res["draws_arrays_mib"] = array_mib(d) - in_draws
    res["block_arrays_mib"] = sum(a.nbytes for a in blocked) / MIB
    res["truck_log_arrays_mib"] = array_mib(model.times) + array_mib(model.outcome)
    data = model.run()
    res["run_mib"] = _peak_mib()
    if model.blocks is not None:
        res["blocks_given_back"] = f"{model.blocks.given_back:,} of {-(-len(model.arr) // BLOCK_TRUCKS):,}"
    del model
    give_back_free_memory()  # as a replication does when its model has run (sim.run)
    data.times = TruckLog(data.times, consume=True)  # and then keeps its log (sim.run)
    res["kept_arrays_mib"] = sum(
        array_mib(getattr(data, k)) for k in ("arrivals", "draws", "times", "outcome", "series", "sample_min")
    )
    res["log_kept_mib"] = data.times.nbytes() / MIB
    run = Run(data)
    trucks, queues = run.trucks, run.queues
    res["tables_mib"] = _peak_mib()
    res["truck_table_mib"] = float(trucks.memory_usage(deep=True).sum()) / MIB
    res["queue_table_mib"] = float(queues.memory_usage(deep=True).sum()) / MIB
    return res


def command_peak_mib(days: int, out: Path) -> float:
    """Peak resident MiB of ``bordersim run`` of the baseline at *days*, one replication."""
    from bench_command import _peak, run_command  # beside this script

    return _peak(run_command(days, "default", out))


def benchmark(horizons: list[int]) -> list[dict[str, Any]]:
    """Each horizon's measurements, each in processes of its own."""
    import tempfile

    rows = []
    for days in horizons:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(days)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        row = json.loads(done.stdout.splitlines()[-1])
        with tempfile.TemporaryDirectory() as tmp:
            row["command_mib"] = command_peak_mib(days, Path(tmp) / "out")
        rows.append(row)
    return rows


ROWS = (
    ("trucks", "trucks", "{:,.0f}"),
    ("imports_mib", "peak after the imports (pandas, pyarrow, the model), MiB", "{:,.0f}"),
    ("built_mib", "peak after the model is built, MiB", "{:,.0f}"),
    ("run_mib", "peak after it has run, MiB", "{:,.0f}"),
    (
        "tables_mib",
        "peak after the whole truck table (as `run.trucks` makes it; the command does not) "
        "and the queue table, MiB",
        "{:,.0f}",
    ),
    ("command_mib", "peak of the whole `bordersim run -n 1` (default figures), MiB", "{:,.0f}"),
    ("arrivals_arrays_mib", "arrays: the trucks (arrival times, gates, directions, cargo), MiB", "{:,.1f}"),
    ("draws_arrays_mib", "arrays: their draws made whole (lead times, routes, channels...), MiB", "{:,.1f}"),
    (
        "block_arrays_mib",
        "arrays: drawn block by block (service, platform, travel minutes; review log), reserved, MiB",
        "{:,.1f}",
    ),
    ("blocks_given_back", "blocks of those minutes given back by the run's end", "{}"),
    ("truck_log_arrays_mib", "arrays: the truck log the model fills, MiB", "{:,.1f}"),
    (
        "kept_arrays_mib",
        "arrays handed to the tables (truck log, draws read, queue series), MiB",
        "{:,.1f}",
    ),
    (
        "log_kept_mib",
        "of which the truck log, its mostly empty columns kept compact (TruckLog), MiB",
        "{:,.1f}",
    ),
    ("truck_table_mib", "the truck table (written to trucks.parquet), MiB", "{:,.1f}"),
    ("queue_table_mib", "the queue table (written to queues.parquet), MiB", "{:,.1f}"),
)


def bounded_by_written(first: dict[str, Any], last: dict[str, Any]) -> tuple[float, float, bool]:
    """The whole command's peak growth and the written tables' growth from *first* to *last*
    (MiB), and whether the peak grew by no more than the tables: the goal "memory bounded by what
    is written"."""
    if last["days"] <= first["days"]:
        raise ValueError("the horizons must grow from the first to the last")
    command = last["command_mib"] - first["command_mib"]
    written = (last["truck_table_mib"] + last["queue_table_mib"]) - (
        first["truck_table_mib"] + first["queue_table_mib"]
    )
    return command, written, command <= written


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as markdown: a column a horizon and one for the growth from the first to the last."""
    first, last = rows[0], rows[-1]
    head = " | ".join(f"{r['days']} days" for r in rows)
    lines = [
        f"| quantity | {head} | growth, {first['days']} to {last['days']} days |",
        "|---|" + "---:|" * (len(rows) + 1),
    ]
    for key, label, fmt in ROWS:
        values = " | ".join(fmt.format(r.get(key, "")) for r in rows)
        text = isinstance(last.get(key, ""), str)  # a count in words: no growth to give
        growth = "" if text else fmt.format(last[key] - first[key])
        if growth and float(growth.replace(",", "")) == 0:
            growth = fmt.format(0.0)  # a change that rounds to nothing, not "-0"
        lines.append(f"| {label} | {values} | {growth} |")
    grown = last["run_mib"] - last["imports_mib"] - (first["run_mib"] - first["imports_mib"])
    kept = last["kept_arrays_mib"] - first["kept_arrays_mib"]
    per_truck = grown * MIB / (last["trucks"] - first["trucks"])
    lines += [
        "",
        f"From {first['days']} to {last['days']} days the simulation's peak above the imports grew by "
        f"{grown:,.0f} MiB ({per_truck:,.0f} bytes a truck more); the arrays it hands to its tables grew by "
        f"{kept:,.0f} MiB of it.",
    ]
    command, written, met = bounded_by_written(first, last)
    lines += [
        "",
        f"Memory bounded by what is written: the whole command's peak grew by {command:,.1f} MiB for "
        f"{written:,.1f} MiB of truck and queue tables written, {command / written:.3f} times; the goal "
        f"is at most 1: {'met' if met else 'NOT met'}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure each horizon, print the table, and with --readme write it between the markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[365, 730])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--readme", help="write the table between the file's memory-growth markers")
    args = parser.parse_args(argv)
    if args.child is not None:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(args.child)))
        return 0
    if len(args.days) < 2 or args.days != sorted(set(args.days)):
        parser.error("--days: two or more horizons, shortest first, each longer than the one before")
    from machine import describe  # beside this script

    machine = describe()
    text = table(benchmark(args.days))
    days = " ".join(map(str, args.days))
    text += (
        f"\n\nWritten by `python benchmarks/memory_growth.py --days {days} --readme docs/speed.md`."
        f"\n\n{machine}"
    )
    print(text)
    if args.readme:
        from doc_block import write_block  # beside this script

        write_block(args.readme, text, MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
