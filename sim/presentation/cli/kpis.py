"""``bordersim kpis``: every KPI with its unit and meaning."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.presentation import arguments
from sim.presentation.cli.common import check_readme, scenario_from


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim kpis`` with the parsed *args*; the exit status."""
    from sim.experiments.kpis import CATALOGUE, kpi_names, markdown_table

    if args.readme:
        from sim.studies.library import put_in_readme

        check_readme(args.readme, "kpi-table")
        readme = Path(args.readme)
        text = put_in_readme(markdown_table(), readme.read_text(encoding="utf-8"), "kpi-table")
        readme.write_text(text, encoding="utf-8")
    if args.file:
        sc = scenario_from(args.file, args.set)
        names = kpi_names(sc)
        width = max(map(len, names))
        for name, kpi in names.items():
            print(f"{name:<{width}}  {kpi.unit:<10}  {kpi.meaning}")
        return 0
    width = max(len(k.pattern) for k in CATALOGUE)
    for kpi in CATALOGUE:
        print(f"{kpi.pattern:<{width}}  {kpi.unit:<10}  {kpi.meaning}")
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``kpis`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("kpis", help="list every KPI with its unit and meaning (of FILE: expanded for it)")
    p.add_argument("file", nargs="?", help="a scenario: list the KPI names it defines")
    arguments.add_set(p)
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="write the table of KPI patterns between the kpi-table markers "
        "of this Markdown file (docs/reference/kpis.md)",
    )
    p.set_defaults(func=command)
