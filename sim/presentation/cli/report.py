"""``bordersim report``: a self-contained report.html of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.presentation import arguments
from sim.presentation.cli.common import UsageError, add_lang


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim report`` with the parsed *args*; the exit status."""
    from sim.experiments.folders import MARKER
    from sim.presentation.report import kind_of, write_report

    folder = Path(args.folder)
    if folder.is_dir() and not (folder / MARKER).is_file():
        raise UsageError(
            f"{folder}: no {MARKER} marker, so it is not a results folder this tool wrote; the report "
            "is written only into one"
        )
    if kind_of(folder) is None:
        raise UsageError(
            f"{folder}: not a results folder of `bordersim run`, `compare`, `sweep` or `optimise`"
        )
    try:
        path = write_report(folder, args.lang)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError) as err:
        # A last line of defence: the files are checked column by column (report.FOLDER_FILES),
        # so this names what a hand-edited folder still got past them.
        raise UsageError(
            f"{folder}: a file of the results folder is damaged ({type(err).__name__}: {str(err)[:200]}); "
            "write the folder again with the command that made it"
        ) from None
    if not args.quiet:
        print(f"report: {path}")
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``report`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("report", help="write a self-contained report.html of a results folder")
    p.add_argument("folder", help="a folder written by `bordersim run`, `compare`, `sweep` or `optimise`")
    arguments.add_quiet(p)
    add_lang(p)
    p.set_defaults(func=command)
