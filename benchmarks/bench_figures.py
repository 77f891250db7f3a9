"""Where the default figures' time goes: importing matplotlib, building, laying out, rendering.

    python benchmarks/bench_figures.py                  # 90 days, 3 rounds
    python benchmarks/bench_figures.py --days 30 --rounds 5

Runs replication 0 of seed 0 of the baseline once, then draws the default figure set of
``bordersim run`` round by round, timing each phase in CPU time of this process: building the
figures (``run_figures``: the data and the artists), the layout (matplotlib's constrained layout,
run once per figure at the file's dpi, as ``save_png`` runs it), and rendering and encoding the
PNG as ``save_png`` saves it (one draw, the layout already done). Importing matplotlib is timed
in a child process against ``python -c pass``. Each phase is printed with its median over the
rounds and as a share of the simulation's own CPU time in the same process, so that the table
reads as "what a run spends on figures, and on what".
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "figure-cost"
sys.path.insert(0, str(ROOT))


def child_cpu(code: str) -> float:
    """CPU seconds (user + system) of ``python -c code`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readme", help="write the table between the file's figure-cost markers")
    args = parser.parse_args()
    from machine import describe  # beside this script

    machine = describe()

    from sim import load_scenario
    from sim.experiments.designs import replicate
    from sim.presentation.figure_names import figure_choice

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml").with_changes({"run.days": args.days})
    started = time.process_time()
    exp = replicate(sc, 1, seed=0, jobs=1)
    simulation_s = time.process_time() - started
    stems = figure_choice("default", list(sc.gates))

    imports = []
    for _ in range(args.rounds):
        bare = child_cpu("import numpy, pandas")  # a run has these already when it draws
        imports.append(
            child_cpu("import numpy, pandas, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot")
            - bare
        )

    import matplotlib.pyplot as plt

    from sim.presentation import plots
    from sim.presentation.figure_files import PNG_COMPRESS_LEVEL, PNG_DPI, lay_out, write_png

    phases: dict[str, list[float]] = {"build": [], "layout": [], "render and encode": []}
    savefig_alone: list[float] = []
    for _ in range(args.rounds):
        t0 = time.process_time()
        figs = plots.run_figures(exp, "en", only=stems)
        t1 = time.process_time()
        for fig in figs.values():  # save_png's two halves, timed apart: the layout, once ...
            lay_out(fig)
        t2 = time.process_time()
        for fig in figs.values():  # ... then one draw into the PNG
            write_png(fig, io.BytesIO())
            plt.close(fig)
        t3 = time.process_time()
        phases["build"].append(t1 - t0)
        phases["layout"].append(t2 - t1)
        phases["render and encode"].append(t3 - t2)
        figs = plots.run_figures(exp, "en", only=stems)
        t4 = time.process_time()
        for fig in figs.values():  # for comparison: savefig alone, which draws twice
            fig.savefig(io.BytesIO(), dpi=PNG_DPI, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
            plt.close(fig)
        savefig_alone.append(time.process_time() - t4)

    rows = {"import matplotlib (over numpy and pandas)": imports, **phases}
    total = sum(statistics.median(v) for v in rows.values())
    names = ", ".join(sorted(stems))
    lines = [
        f"The {len(stems)} default figures of a {args.days}-day run ({names}), {args.rounds} rounds; "
        f"the simulation and its tables took {simulation_s:.2f} s CPU in the same process.",
        "",
        "| phase | CPU s, median (range) | share of the figures | over the simulation |",
        "|---|---|---|---|",
    ]
    for name, values in rows.items():
        med = statistics.median(values)
        lines.append(
            f"| {name} | {med:.2f} ({min(values):.2f}-{max(values):.2f}) | {med / total:.0%} "
            f"| {med / simulation_s:.1%} |"
        )
    saved = [
        a - (b + c)
        for a, b, c in zip(savefig_alone, phases["layout"], phases["render and encode"], strict=True)
    ]
    lines += [
        f"| all | {total:.2f} | 100% | {total / simulation_s:.1%} |",
        "",
        "Laying out and saving as matplotlib's `savefig` does alone (a draw with drawing off for the "
        f"layout, then the draw into the PNG) took {statistics.median(savefig_alone):.2f} s "
        f"({min(savefig_alone):.2f}-{max(savefig_alone):.2f}) in the same rounds; `save_png`'s one draw "
        f"saved {statistics.median(saved):.2f} s a round (median of the rounds' differences, "
        f"{min(saved):.2f} to {max(saved):.2f}).",
        "",
        "Written by `python benchmarks/bench_figures.py "
        f"--days {args.days} --rounds {args.rounds} --readme docs/speed.md`.",
        "",
        machine,
    ]
    text = "\n".join(lines)
    print(text)
    if args.readme:
        from doc_block import write_block  # beside this script

        write_block(args.readme, text, MARKER)


if __name__ == "__main__":
    main()
