"""What sharing the draws saves: a comparison of library options run with shared and with fresh
draws, in turns, in one process.

    python benchmarks/bench_shared_draws.py --days 30 -n 2 --rounds 3
    python benchmarks/bench_shared_draws.py --readme docs/speed.md   # the docs' block

The options are the baseline and three library scenarios that change only what the draws never
read (more gate-control lanes at Huu Nghi, round-the-clock hours, a Chinese slowdown), so all four
share one drawing per replication. Each round runs the same tasks serially with
``share_draws=True`` and ``False`` (``sim.experiments.replications.run_tasks``), times each in CPU
(``time.process_time``) and checks that every task's KPIs are identical. The drawing's own CPU
(``generate_arrivals`` and ``draw_trucks`` of one replication) is timed apart, so the saving can
be read against what it should be: (options - 1) drawings a replication.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

from sim import load_scenario
from sim.experiments import replications
from sim.experiments.replications import replication_seed, run_tasks
from sim.world.demand import generate_arrivals
from sim.world.model import draw_trucks, stream

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ("baseline", "more_lanes_huu_nghi", "round_the_clock", "chinese_slowdown")
START, END = "<!-- shared-draws:start -->", "<!-- shared-draws:end -->"


def measure(days: int, n: int, rounds: int, seed: int = 0) -> dict:
    """CPU of the same tasks with shared and fresh draws, round by round, and the checks."""
    changes = {"run.days": days, "run.warmup_days": min(7, days - 1)}
    options = [load_scenario(ROOT / "scenarios" / f"{name}.yaml", changes) for name in OPTIONS]
    tasks = [(k, i) for k in range(len(options)) for i in range(n)]
    cpu: dict[str, list[float]] = {"shared": [], "fresh": []}
    identical = True
    drawn = served = 0
    replications.forget_shared_draws = lambda: None  # keep the store after the run, to count
    for _ in range(rounds):
        out = {}
        for mode in ("shared", "fresh"):
            replications._LOCAL.store = None  # each round draws anew
            started = time.process_time()
            out[mode] = run_tasks(
                options, tasks, seed, jobs=1, keep_series=False, share_draws=mode == "shared"
            )
            cpu[mode].append(time.process_time() - started)
            if mode == "shared":
                drawn, served = replications._LOCAL.store.drawn, replications._LOCAL.store.served
        for task in tasks:
            a, b = out["shared"][task].kpis, out["fresh"][task].kpis
            identical &= bool(a.equals(b))
    draw_cpu = []
    for _ in range(rounds):
        root = replication_seed(seed, 0)
        started = time.process_time()
        draw_trucks(options[0], generate_arrivals(options[0], stream(root, "arrivals")), root)
        draw_cpu.append(time.process_time() - started)
    return {
        "days": days,
        "n": n,
        "rounds": rounds,
        "options": len(options),
        "cpu": cpu,
        "identical": identical,
        "drawn": drawn,
        "served": served,
        "draw_s": statistics.median(draw_cpu),
    }


def table(m: dict) -> str:
    """The measurement as the docs' markdown block."""
    pairs = list(zip(m["cpu"]["shared"], m["cpu"]["fresh"], strict=True))
    ratios = [s / f for s, f in pairs]
    saved = statistics.median(f - s for s, f in pairs)
    expected = (m["options"] - 1) * m["n"] * m["draw_s"]
    rows = [
        ("options (all drawing alike) x replications", f"{m['options']} x {m['n']}, {m['days']} days"),
        ("drawings made, shared (fresh: one a run)", f"{m['drawn']} of {m['served']}"),
        ("CPU s by round, shared", ", ".join(f"{v:.2f}" for v in m["cpu"]["shared"])),
        ("CPU s by round, fresh", ", ".join(f"{v:.2f}" for v in m["cpu"]["fresh"])),
        ("shared / fresh CPU, median (min)", f"{statistics.median(ratios):.3f} ({min(ratios):.3f})"),
        ("saved (fresh - shared), median of the rounds' differences", f"{saved:.2f} s"),
        ("one replication's drawing (arrivals and draws)", f"{m['draw_s']:.3f} s"),
        ("saving expected: (options - 1) x replications drawings", f"{expected:.2f} s"),
        ("KPIs of every task identical, shared and fresh", "yes" if m["identical"] else "NO"),
    ]
    lines = ["| quantity | value |", "| --- | --- |", *(f"| {a} | {b} |" for a, b in rows)]
    command = (
        f"python benchmarks/bench_shared_draws.py --days {m['days']} -n {m['n']} "
        f"--rounds {m['rounds']} --readme docs/speed.md"
    )
    return "\n".join([*lines, "", f"Written by `{command}`."])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("-n", type=int, default=2, help="replications per option")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readme", type=Path, help="write the block between the shared-draws markers")
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    text = table(measure(args.days, args.n, args.rounds))
    print(text)
    if args.readme:
        doc = args.readme.read_text("utf-8")
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        args.readme.write_text(f"{head}{START}\n{text}\n{END}{tail}", "utf-8")


if __name__ == "__main__":
    main()
