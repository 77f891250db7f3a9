"""``bordersim screen``: the Morris screen of which unknowns move which KPIs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation import arguments
from sim.presentation.cli.common import (
    UsageError,
    add_output_args,
    add_scenario_args,
    between,
    check_kpis,
    check_readme,
    output_folder,
    scenario_from,
)
from sim.presentation.cli.replications import executor_of
from sim.presentation.figure_files import save_png

SCREEN_MARKER = "screen-table"
"""The markers ``bordersim screen --readme`` writes between."""


def command(args: argparse.Namespace) -> int:
    """Morris screen of every factor of a ranges file: which unknowns move which KPIs."""

    import matplotlib.pyplot as plt

    from sim.experiments.kpis import kpi_names
    from sim.presentation.output import atomic_dir
    from sim.presentation.screen_output import screen_figure, screen_markdown
    from sim.studies.library import put_in_readme
    from sim.studies.morris import morris_screen
    from sim.world.ranges import load_ranges

    sc = scenario_from(args.file, args.set)
    if args.days is not None:
        if args.days <= sc.run.warmup_days:
            raise UsageError(
                f"--days {args.days}: a run must be longer than the scenario's warm-up of "
                f"{sc.run.warmup_days} days (run.warmup_days), which --days does not change"
            )
        sc = sc.with_changes({"run.days": args.days})
    ranges = load_ranges(args.ranges)
    ranges.check(sc)
    check_kpis("--kpi", args.kpi or [], sc)
    check_readme(args.readme, SCREEN_MARKER)
    outdir = output_folder(args, f"screen_{sc.name}")
    with claimed(outdir, args.force):
        with executor_of(args) as executor:
            screen = morris_screen(
                sc,
                ranges,
                r=args.trajectories,
                levels=args.levels,
                n=args.replications,
                seed=args.seed,
                jobs=args.jobs,
                executor=executor,
                kpis=args.kpi,
            )
        units = {name: kpi.unit for name, kpi in kpi_names(sc).items()}
        text = screen_markdown(screen, sc.run.days, units)
        with atomic_dir(outdir, args.force) as tmp:
            screen.ranking.to_csv(tmp / "screen.csv", index=False)
            screen.points.to_csv(tmp / "points.csv", index=False)
            (tmp / "screen.md").write_text(text + "\n", encoding="utf-8")
            fig = screen_figure(screen)
            save_png(fig, tmp / "screen.png")
            plt.close(fig)
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(
            put_in_readme(text, readme.read_text(encoding="utf-8"), SCREEN_MARKER), encoding="utf-8"
        )
    if not args.quiet:
        print(text)
        print(f"\nscreen: {outdir}/screen.md, screen.csv, points.csv, screen.png")
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``screen`` subcommand and its arguments to *sub*."""
    p = sub.add_parser(
        "screen", help="Morris screen: which unknowns of a ranges file move which KPIs, all at once"
    )
    add_scenario_args(p)
    add_output_args(p, "results/screen_<name>")
    p.add_argument("--ranges", required=True, help="ranges YAML of the unknowns (see scenarios/ranges.yaml)")
    p.add_argument(
        "-r",
        "--trajectories",
        type=between(2, 100),
        default=10,
        help="Morris trajectories, 2-100 (default 10); the screen runs r x (factors + 1) points",
    )
    p.add_argument(
        "--levels", type=between(2, 20), default=4, help="grid levels of each range, 2-20 (default 4)"
    )
    p.add_argument(
        "-n",
        "--replications",
        type=between(1, 100),
        default=1,
        help="replications of each point, 1-100 (default 1)",
    )
    p.add_argument(
        "--days",
        type=between(1, 3650),
        default=None,
        help="days a run simulates, warm-up included (sets run.days; run.warmup_days stays)",
    )
    p.add_argument(
        "--kpi",
        action="append",
        default=None,
        metavar="KPI",
        help="a KPI to rank the factors by (repeatable; default: the headline, the export procedure "
        "time, exports held at 20:00, the perishable share, trucks cleared a day, the largest utilisation)",
    )
    arguments.add_seed(p, "seed of the design and the runs, 0 or more (default 0)")
    arguments.add_jobs(p)
    arguments.add_dask(p)
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also write the tables between the screen-table markers "
        "of this Markdown file (docs/uncertainty.md)",
    )
    arguments.add_quiet(p)
    p.set_defaults(func=command)
