"""Whole commands as a user runs them: start-up, a run with and without its figures, memory.

    python benchmarks/bench_command.py                   # 90-day runs, 3 rounds, and 365 days once
    python benchmarks/bench_command.py --days 30 --rounds 3 --no-year    # a fast look
    python benchmarks/bench_command.py --readme docs/speed.md   # also write the speed page's table

Every figure is the CPU time (user + system) of a child process, read from the system with
``getrusage(RUSAGE_CHILDREN)`` after it ends, so it is the whole command: the interpreter, its
imports, the simulation and the files. Commands are run in turns, round by round (A B C, A B C,
...), and each is reported as a ratio to a reference of the same work measured in the same round,
median and smallest over the rounds; these machines are shared and noisy, the ratios are what
compare. References: ``python -c pass`` for start-up; for a run, the heap loop of
``benchmarks/heap_reference.py`` replaying the same flow (the same trucks: replication 0 of seed
0) in its own process, from loading the scenario to the last departure. Peak memory is the
child's peak resident set (``ru_maxrss``).

The figures' share of a run is measured two ways. The first is the difference of two processes,
``--plots default`` against ``--plots none`` in the same round; the two vary by more than the
figures cost, so its range is wide. The second, which the goal (at most 10%) is judged on, is
measured inside one process of ``--plots default``: the CPU spent from the start of the figure
step (choosing the figures, importing matplotlib and the plotting module, building, laying out,
drawing and saving each PNG) to its end, over the whole process's CPU read when the command has
returned. It compares no two processes, so this machine's drift between them does not enter it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MARKER = "speed-table"
MIB = 1024**2


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
"""Every child imports ``sim`` from this checkout, whatever else is installed."""


def _bordersim() -> list[str]:
    """The command line of this checkout (``bordersim`` installed elsewhere may be other code)."""
    return [sys.executable, "-m", "sim.presentation.cli"]


def measure(cmd: list[str]) -> tuple[float, float]:
    """CPU seconds (user + system) and peak resident MiB of *cmd* run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, env=ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_maxrss / 1024  # kB on Linux; the largest child so far, see _peak


def _peak(cmd: list[str]) -> float:
    """Peak resident MiB of *cmd* alone, in a fresh measuring process (ru_maxrss is a maximum over
    every child waited for, so it is read in a process that waits for this one only)."""
    code = (
        "import resource, subprocess, sys; "
        f"subprocess.run({cmd!r}, capture_output=True, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=ENV
    )
    return int(out.stdout.split()[-1]) / 1024


def heap_loop_command(days: int) -> list[str]:
    """The heap loop replaying replication 0 of seed 0 of the baseline at *days*, as a process."""
    code = (
        "import sys; sys.path.insert(0, 'benchmarks'); import heap_reference as h; "
        "from sim.experiments.replications import replication_seed; "
        f"sc = h.load_scenario(h.BASELINE, {{'run.days': {days}}}); "
        "h.replay(sc, replication_seed(0, 0))"
    )
    return [sys.executable, "-c", code]


def run_command(days: int, plots: str, out: Path) -> list[str]:
    """``bordersim run`` of the baseline at *days*, one replication, with ``--plots PLOTS``."""
    return [
        *_bordersim(),
        "run",
        str(BASELINE),
        "--set",
        f"run.days={days}",
        "-n",
        "1",
        "--jobs",
        "1",
        "--plots",
        plots,
        "-o",
        str(out),
        "--force",
        "-q",
    ]


def attributed_command(days: int, out: Path) -> list[str]:
    """``bordersim run --plots default`` that prints, when it has returned, the CPU seconds of its
    figure step and of its whole process (``{"figures_s": ..., "process_s": ...}``, the last line).
    The figure step is ``sim.presentation.output._run_figures``, timed by wrapping it."""
    code = (
        "import json, resource, sys, time\n"
        "import sim.presentation.output as output\n"
        "inner, spent = output._run_figures, [0.0]\n"
        "def timed(*args, **kwargs):\n"
        "    start = time.process_time()\n"
        "    try:\n"
        "        return inner(*args, **kwargs)\n"
        "    finally:\n"
        "        spent[0] += time.process_time() - start\n"
        "output._run_figures = timed\n"
        "from sim.presentation.cli import main\n"
        f"code = main({run_command(days, 'default', out)[3:]!r})\n"
        "use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'figures_s': spent[0], 'process_s': use.ru_utime + use.ru_stime}))\n"
        "sys.exit(code)\n"
    )
    return [sys.executable, "-c", code]


def attributed(cmd: list[str]) -> tuple[float, float]:
    """The figure step's and the whole process's CPU seconds, as *cmd* (see
    :func:`attributed_command`) prints them."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT, env=ENV)
    if done.returncode != 0:
        sys.exit(f"the attributed run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return last["figures_s"], last["process_s"]


def _ratios(a: list[float], b: list[float]) -> dict[str, float]:
    r = [x / y for x, y in zip(a, b, strict=True)]
    return {
        "median": statistics.median(r),
        "min": min(r),
        "a_s": statistics.median(a),
        "b_s": statistics.median(b),
    }


def benchmark(days: int, rounds: int, year: bool) -> dict[str, object]:
    """Every measure of the table, in turns over *rounds* rounds."""
    startup = {
        "check": [*_bordersim(), "check", str(BASELINE)],
        "--help": [*_bordersim(), "--help"],
        "kpis": [*_bordersim(), "kpis"],
    }
    bare = [sys.executable, "-c", "pass"]
    cpu: dict[str, list[float]] = {
        k: [] for k in [*startup, "python -c pass", "none", "default", "all", "heap"]
    }
    inside: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        for _ in range(rounds):
            cpu["python -c pass"].append(measure(bare)[0])
            for name, cmd in startup.items():
                cpu[name].append(measure(cmd)[0])
            cpu["heap"].append(measure(heap_loop_command(days))[0])
            for plots in ("none", "default", "all"):
                cpu[plots].append(measure(run_command(days, plots, out))[0])
            inside.append(attributed(attributed_command(days, out)))
        result: dict[str, object] = {"days": days, "rounds": rounds, "cpu_s": cpu}
        result["startup"] = {k: _ratios(cpu[k], cpu["python -c pass"]) for k in startup}
        result["run_over_heap"] = {p: _ratios(cpu[p], cpu["heap"]) for p in ("none", "default", "all")}
        shares = {}
        for plots in ("default", "all"):
            s = [(w - n) / w for w, n in zip(cpu[plots], cpu["none"], strict=True)]
            shares[plots] = {"median": statistics.median(s), "min": min(s), "max": max(s)}
        result["figure_share"] = shares
        own = [f / p for f, p in inside]
        result["figure_share_inside"] = {
            "median": statistics.median(own),
            "min": min(own),
            "max": max(own),
            "figures_s": statistics.median(f for f, _ in inside),
            "process_s": statistics.median(p for _, p in inside),
        }
        if year:
            result["year_peak_mib"] = _peak(run_command(365, "default", out))
            result["year_peak_none_mib"] = _peak(run_command(365, "none", out))
    return result


def _verdict(value: float, goal: float, unit: str) -> str:
    return f"<= {goal:g}{unit}: {'met' if value <= goal else 'NOT met'}"


def table(res: dict) -> str:
    """The README's speed table, each goal with whether the median meets it."""
    d, n = res["days"], res["rounds"]
    rows = ["| what | measured: median (smallest or range over the rounds) | goal |", "|---|---|---|"]
    for name, r in res["startup"].items():
        rows.append(
            f"| `bordersim {name}{' scenarios/baseline.yaml' if name == 'check' else ''}`, CPU over "
            f"`python -c pass` | {r['median']:.1f}x ({r['min']:.1f}x; {r['a_s']:.2f} s) | "
            f"{_verdict(r['median'], 20, 'x')} |"
        )
    for plots, r in res["run_over_heap"].items():
        goal = _verdict(r["median"], 3, "x") if plots == "default" else ""
        rows.append(
            f"| `bordersim run scenarios/baseline.yaml -n 1 --plots {plots}`, {d} days, CPU over the heap "
            f"loop of the same flow | {r['median']:.2f}x ({r['min']:.2f}x; {r['a_s']:.1f} s against "
            f"{r['b_s']:.1f} s) | {goal} |"
        )
    for plots, s in res["figure_share"].items():
        rows.append(
            f"| figures' share of the whole run, `--plots {plots}` against `none` in the same round, {d} "
            f"days | {s['median']:.0%} (from {s['min']:.0%} to {s['max']:.0%}) |  |"
        )
    s = res["figure_share_inside"]
    rows.append(
        f"| figures' share of the whole run, `--plots default`, inside its own process (the figure step's "
        f"CPU over the process's), {d} days | {s['median']:.1%} (from {s['min']:.1%} to {s['max']:.1%}; "
        f"{s['figures_s']:.2f} s of {s['process_s']:.1f} s) | "
        f"{_verdict(round(s['median'] * 100, 1), 10, '%')} |"
    )
    if "year_peak_mib" in res:
        rows.append(
            f"| peak memory of `bordersim run` of 365 days with the default figures (in brackets: "
            f"`--plots none`) | {res['year_peak_mib']:,.0f} MiB ({res['year_peak_none_mib']:,.0f} MiB) | "
            f"{_verdict(res['year_peak_mib'], 600, ' MiB')} |"
        )
    rows.append("")
    rows.append(
        f"{n} rounds; written by `python benchmarks/bench_command.py --days {d} --rounds {n} "
        "--readme docs/speed.md`. Separate processes of the same command vary from round to round in "
        "CPU on this machine (the ranges show how much), so each verdict is read from the median."
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table (or JSON), and with --readme write it between the markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-year", action="store_true", help="skip the 365-day memory run")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--readme", help="write the table between the file's speed-table markers")
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds: at least 3, for a median")
    from machine import describe  # beside this script

    machine = describe()
    res = benchmark(args.days, args.rounds, not args.no_year)
    text = table(res) + "\n\n" + machine
    print(json.dumps(res, indent=1) if args.json else text)
    if args.readme:
        from doc_block import write_block  # beside this script

        write_block(args.readme, text, MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
