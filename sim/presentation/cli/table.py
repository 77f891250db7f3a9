"""``bordersim table``: key KPIs of many scenarios in one table and figure."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation.cli.common import (
    add_scenario_args,
    check_readme,
    kpis_for_precision,
    output_folder,
    replications_of,
    scenario_from,
)
from sim.presentation.cli.replications import add_experiment_args, executor_of, progress_bar
from sim.presentation.figure_files import PNG_DPI, save_png


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim table`` with the parsed *args*; the exit status."""
    import matplotlib.pyplot as plt

    from sim.experiments.designs import replicate_each
    from sim.presentation.output import atomic_dir
    from sim.studies.library import library_figure, library_table, markdown, put_in_readme

    check_readme(args.readme, "scenario-table")
    scenarios = [scenario_from(f, args.set) for f in args.file]
    outdir = output_folder(args, "scenario_table")
    n, precision = replications_of(args)
    with claimed(outdir, args.force):
        with executor_of(args) as executor, progress_bar(args, len(scenarios) * n, "scenarios") as bar:
            exps = replicate_each(
                scenarios,
                n,
                args.seed,
                args.jobs,
                executor,
                on_done=lambda task, rep: bar.update(1),
                precision=precision,
                precision_kpis=kpis_for_precision(args, scenarios[0], False) if args.precision_kpi else None,
                max_n=max(args.max_replications, n),
            )
        table = library_table(exps)
        text = markdown(table)
        with atomic_dir(outdir, args.force) as tmp:
            table.to_csv(tmp / "scenario_table.csv", index=False)
            (tmp / "scenario_table.md").write_text(text + "\n", encoding="utf-8")
            fig = library_figure(table)
            if args.figure:  # first: any format, laid out by savefig as it is saved
                fig.savefig(args.figure, dpi=PNG_DPI)
            save_png(fig, tmp / "scenario_table.png")
            plt.close(fig)
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(put_in_readme(text, readme.read_text(encoding="utf-8")), encoding="utf-8")
    if not args.quiet:
        print(text)
        print(f"results in {outdir}/")
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``table`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("table", help="key KPIs of many scenarios in one table and figure")
    add_scenario_args(p, many=True)
    add_experiment_args(p, n=None, resumable=False)
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also write the table between the scenario-table markers "
        "of this Markdown file (docs/scenarios.md)",
    )
    p.add_argument("--figure", help="also save the figure here (e.g. docs/scenario_table.png)")
    p.set_defaults(func=command)
