"""The loop's accounting in instructions counted by valgrind, free of a shared machine's noise.

    python benchmarks/loop_instructions.py --days 30                         # markdown table
    python benchmarks/loop_instructions.py --days 30 --readme docs/speed.md  # and write it there

``bench_loop.py`` measures CPU time, which on a shared 2-core machine moves by a third from one
round to the next (the neighbours' load, not the code). This script counts the instructions the
same work executes instead: each part runs in a Python of its own under ``valgrind
--tool=callgrind --dump-before=getppid``, and calls ``os.getppid()`` right before and right after
the code measured, so callgrind's second dump holds that code's instructions alone (none of
building the model, preparing the heap loop or importing is counted). The parts:

- ``model``: ``Model.run()`` of the baseline;
- ``heap``: ``heap_reference.run_loop`` of the same flow (its departures are checked equal);
- ``callback`` and ``resume``: ``bench_loop``'s two micro loops of bare SimPy, with as many events
  pending as the model has on average (counted natively, as ``bench_loop`` counts them).

The verdicts are ``bench_loop``'s, read on instructions instead of CPU: the model within
``GOAL`` of the heap loop, or its instructions a truck less SimPy's floor (the micro loops'
instructions an event times the model's events a truck of each kind) within ``GOAL`` of the heap
loop's. Instructions are not time (a cache miss costs more than an addition), so this is set
beside the CPU measurement, which judges the goal, and does not replace it. It needs valgrind;
two parts run at once.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import bench_loop as bench
import heap_reference as heap
import numpy as np

from sim.world.model import Model
from sim.world.scenario_files import load_scenario

HERE = Path(__file__).resolve().parent
SUMMARY = re.compile(r"^summary:\s*(\d+)", re.MULTILINE)


def _scenario(days: int) -> Any:
    return load_scenario(heap.BASELINE, {"run.days": days, "run.warmup_days": min(7, days - 1)})


def _child(part: str, days: int, seed: int, chains: int, events: int) -> None:
    """In the valgrind child: set up *part*, then run it between two calls of ``os.getppid``."""
    sc = _scenario(days)
    if part == "model":
        model = Model(sc, seed)
        os.getppid()
        model.run()
        os.getppid()
    elif part == "heap":
        prepared = heap.prepare(sc, seed)
        os.getppid()
        heap.run_loop(prepared)
        os.getppid()
    else:
        delays = np.random.default_rng(seed).exponential(10.0, events).tolist()
        micro = bench.micro_callbacks if part == "callback" else bench.micro_resumes
        micro(delays, chains, mark=os.getppid)


def _command(part: str, days: int, seed: int, chains: int, events: int, out: Path) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--dump-before=getppid",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--part",
        part,
        "--days",
        str(days),
        "--seed",
        str(seed),
        "--chains",
        str(chains),
        "--events",
        str(events),
    ]


def count_parts(days: int, seed: int, chains: int, events: int) -> dict[str, int]:
    """Each part's instructions between its two marks, two valgrind children at a time."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), str(HERE), env.get("PYTHONPATH", "")])
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        parts = ["model", "heap", "callback", "resume"]
        for pair in (parts[:2], parts[2:]):
            running: dict[str, subprocess.Popen] = {}
            try:
                for p in pair:
                    running[p] = subprocess.Popen(
                        _command(p, days, seed, chains, events, Path(tmp) / f"{p}.out"),
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                for p, proc in running.items():
                    _, err = proc.communicate()
                    if proc.returncode != 0:
                        raise SystemExit(f"valgrind part {p} failed:\n{err[-2000:]}")
                    counts[p] = _between_marks(Path(tmp), p)
            finally:  # a failed part stops its partner before the folder goes
                for proc in running.values():
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
    return counts


def _between_marks(folder: Path, part: str) -> int:
    """The instructions of callgrind's dump between the two marks: ``.out.1`` is dumped at the
    first ``getppid``, ``.out.2`` at the second and ``.out`` at the end; any other dump means a
    ``getppid`` elsewhere, and the segment could not be told."""
    dumps = sorted(q.name for q in folder.glob(f"{part}.out*"))
    expected = [f"{part}.out", f"{part}.out.1", f"{part}.out.2"]
    if dumps != expected:
        raise SystemExit(f"part {part}: callgrind wrote {dumps}, not {expected}: the marks were not alone")
    found = SUMMARY.search((folder / f"{part}.out.2").read_text(errors="replace"))
    if found is None:
        raise SystemExit(f"part {part}: no 'summary:' line in callgrind's dump between the marks")
    return int(found.group(1))


def benchmark(days: int, seed: int = 0, events: int = 50_000) -> dict[str, Any]:
    """Events per truck natively, then each part's instructions under valgrind; the accounting."""
    sc = _scenario(days)
    model = Model(sc, seed)
    kinds = bench.count_events(model.env, model.run)
    n = len(model.arr)
    model_events = next(model.env._eid)
    grid_events = bench.grid_events(model, days)
    ref = heap.run_loop(heap.prepare(sc, seed))
    same = heap.identical(SimpleNamespace(times=model.times, outcome=model.outcome), ref)
    chains = max(1, round(kinds["mean_pending"]))
    counts = count_parts(days, seed, chains, events)
    per_callback = counts["callback"] / events
    per_resume = counts["resume"] / (events + chains)
    floor = bench.simpy_floor(kinds, n, per_resume, per_callback)
    model_pt, heap_pt = counts["model"] / n, counts["heap"] / n
    res = {
        "days": days,
        "seed": seed,
        "trucks": n,
        "heap_identical": same,
        "model_events": model_events,
        "heap_events": ref["heap_events"],
        "model_grid_events": grid_events,
        "model_sampler_events": bench.sampler_events(model),
        "model_events_per_truck": model_events / n,
        "heap_events_per_truck": ref["heap_events"] / n,
        "model_grid_events_per_truck": grid_events / n,
        "mean_pending": kinds["mean_pending"],
        "instructions": counts,
        "model_per_truck": model_pt,
        "heap_per_truck": heap_pt,
        "per_callback_event": per_callback,
        "per_resume_event": per_resume,
        "floor_per_truck": floor,
        # One count, no rounds: named as bench_loop's medians so that its verdicts read them.
        "model_heap_ratio_median": model_pt / heap_pt,
        "accounting": {"model_less_floor_over_heap_median": (model_pt - floor) / heap_pt},
    }
    res["verdicts"] = bench.loop_verdicts(res)
    return res


def table(res: dict[str, Any]) -> str:
    """The result as markdown."""
    v = res["verdicts"]
    rows = [
        ("trucks", f"{res['trucks']:,}"),
        ("heap loop departures identical to the model's", f"{res['heap_identical']:,}"),
        ("events per truck: model (SimPy, scheduled)", f"{res['model_events_per_truck']:.2f}"),
        ("events per truck: heap loop (pushes)", f"{res['heap_events_per_truck']:.2f}"),
        (
            "events per truck: the model's sampler and daily stops, as the goal's allowance counts them",
            f"{res['model_grid_events_per_truck']:.3f}",
        ),
        (
            "model events beyond the heap loop's pushes, one a truck and the sampler's (no daily stop)",
            f"{bench.events_beyond(res):,}",
        ),
        ("instructions per truck: model", f"{res['model_per_truck']:,.0f}"),
        ("instructions per truck: heap loop", f"{res['heap_per_truck']:,.0f}"),
        (
            f"SimPy instructions per callback event / process resume ({res['mean_pending']:.0f} pending)",
            f"{res['per_callback_event']:,.0f} / {res['per_resume_event']:,.0f}",
        ),
        ("SimPy's floor for the model's events, instructions per truck", f"{res['floor_per_truck']:,.0f}"),
        ("model / heap loop", f"{res['model_heap_ratio_median']:.2f}"),
        (
            "(model - SimPy's floor) / heap loop",
            f"{res['accounting']['model_less_floor_over_heap_median']:.2f}",
        ),
        (f"in instructions: model / heap loop <= {bench.GOAL}", v["direct"]),
        (
            f"in instructions: (model - floor) / heap loop <= {bench.GOAL}, events at the floor",
            v["accounted"],
        ),
    ]
    head = (
        f"baseline, {res['days']} days, seed {res['seed']}: instructions counted by valgrind (callgrind); "
        "set beside the CPU table, which judges the goal"
    )
    lines = [head, "", "| quantity | value |", "| --- | --- |"]
    return "\n".join(lines + [f"| {k} | {x} |" for k, x in rows])


def main() -> None:
    """Command line: count the parts' instructions and print (or write) the accounting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--events", type=int, default=50_000, help="events of each micro loop")
    parser.add_argument("--readme", help="also write the table between the file's loop-instructions markers")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--chains", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        _child(args.part, args.days, args.seed, args.chains, args.events)
        return
    heap.require_this_checkout()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: this benchmark counts instructions with it")
    res = benchmark(args.days, args.seed, args.events)
    text = table(res)
    print(text)
    if args.readme:
        command = (
            f"python benchmarks/loop_instructions.py --days {args.days} --seed {args.seed} "
            f"--readme {args.readme}"
        )
        from doc_block import write_block  # beside this script

        write_block(args.readme, f"{text}\n\nWritten by `{command}`.", "loop-instructions")


if __name__ == "__main__":
    main()
