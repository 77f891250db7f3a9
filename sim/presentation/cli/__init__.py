"""The ``bordersim`` command: run, compare and sweep scenarios; check and describe them.

Bad input ends with a message naming the file, key and problem on stderr and exit status 2;
an interrupted run (Ctrl-C or SIGTERM) exits 130, keeps the replications that finished for
``--resume``, and leaves no results folder under the requested name. A command never replaces a
file or a folder it did not write unless told ``--force``, never writes outside the folder asked
for, and refuses to start while another run works on the same output (see :mod:`sim.experiments.folders`).

One module per subcommand (each adds its parser with ``add_parser`` and holds its handler,
``command``); what they share is in :mod:`sim.presentation.cli.common` and the argument
definitions in :mod:`sim.presentation.arguments`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from sim.experiments.folders import OutputBusyError, OutputRefusedError, OutputWriteError, RunInterruptedError
from sim.presentation.cli import (
    backtest,
    calibrate,
    check,
    compare,
    fit_declarations,
    forecast,
    kpis,
    optimise,
    report,
    run,
    schema,
    screen,
    sweep,
    table,
    validate,
)
from sim.presentation.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, UsageError
from sim.world.schema.names import ScenarioError


def build_parser() -> argparse.ArgumentParser:
    """The ``bordersim`` parser: every subcommand's module adds its own."""
    parser = argparse.ArgumentParser(
        prog="bordersim",
        description="Discrete-event simulation of road-freight truck traffic at the four Lang Son border "
        "gates: Huu Nghi, Tan Thanh, Chi Ma and Coc Nam (Vietnam-China). Run a scenario file, compare "
        "or sweep what-ifs, find the cheapest change that meets a target, and check a file before running.",
        epilog="Example: bordersim run scenarios/baseline.yaml -o results/baseline. "
        "Every subcommand has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run.add_parser(sub)
    compare.add_parser(sub)
    sweep.add_parser(sub)
    optimise.add_parser(sub)
    forecast.add_parser(sub)
    backtest.add_parser(sub)
    fit_declarations.add_parser(sub)
    table.add_parser(sub)
    calibrate.add_parser(sub)
    screen.add_parser(sub)
    validate.add_parser(sub)
    report.add_parser(sub)
    check.add_parser(sub)
    kpis.add_parser(sub)
    schema.add_parser(sub)
    return parser


MAX_JOBS = 64
"""The most worker processes a command starts, whatever --jobs says."""


def _cap_jobs(args: argparse.Namespace) -> None:
    """``--jobs`` at most the machine's cores and :data:`MAX_JOBS` (a note when capped): more
    workers than cores only add processes (``--jobs 100000`` would try to start that many)."""
    jobs = getattr(args, "jobs", None)
    if not isinstance(jobs, int) or getattr(args, "dask", None):
        return
    cap = min(os.cpu_count() or 1, MAX_JOBS)
    if jobs > cap:
        print(
            f"note: --jobs {jobs} capped at {cap} (the machine's cores, at most {MAX_JOBS})", file=sys.stderr
        )
        args.jobs = cap


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    """``kill PID`` ends a run as Ctrl-C does: replications kept, the same message, exit 130."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bordersim`` command line on *argv*; the exit status (0; 1 where a check fails;
    2 for bad input; 130 when interrupted)."""
    args = build_parser().parse_args(argv)
    _cap_jobs(args)
    if threading.current_thread() is threading.main_thread():  # handlers can only be set there
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return args.func(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UsageError, OutputRefusedError, OutputBusyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`bordersim schema | head`): end quietly, as other tools do.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as err:  # a full disk, a read-only folder: say where and why, no traceback
        where = "" if isinstance(err, OutputWriteError) or not err.filename else f"{err.filename}: "
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunInterruptedError as err:
        if hasattr(args, "resume") and err.kept:
            said = (
                f"{len(err.done)} replications finished and were kept; rerun the same command with "
                "--resume to run only the missing ones"
            )
        elif hasattr(args, "resume"):  # stopped in the ensemble's parameter sets: those are not kept
            said = (
                f"{len(err.done)} replications of the ensemble's parameter sets had finished and are "
                "not kept; rerun the same command with --resume: the scenarios' own replications were "
                "kept, the sets run again"
            )
        else:  # a command that keeps no partial work (screen): say so, promise nothing
            said = (
                f"{len(err.done)} replications had finished; `bordersim {args.command}` keeps no partial "
                "work, so run it again to start over"
            )
        print(f"{err.reason}: {said}. No results folder was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted: no results were written under the requested name", file=sys.stderr)
        return EXIT_INTERRUPTED
