"""``bordersim backtest``: forecasts from cuts of simulated truths, compared with what the truths
did next (coverage of the bands, skill against two naive forecasts)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from sim.experiments.folders import claimed
from sim.presentation import arguments
from sim.presentation.cli.common import (
    UsageError,
    add_output_args,
    add_scenario_args,
    check_readme,
    output_folder,
    scenario_from,
)
from sim.presentation.cli.ensembles import parameter_sets

MARKER = "forecast-backtest"
BLOCKS = [
    MARKER,
    *(f"{MARKER}-{k}" for k in ("ensemble", "ensemble-forecast", "shock", "lead6", "lead12", "lead24")),
]
"""The generated blocks of the forecasting page: the scenario's own truths, an ensemble's, a
shock, and three declaration lead times."""


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim backtest`` with the parsed *args*; the exit status."""
    from sim.presentation.forecast_output import backtest_markdown, write_backtest
    from sim.studies.backtest import backtest

    sc = scenario_from(args.file, args.set)
    check_readme(args.readme, args.block)
    truth_scenarios = None
    if args.ensemble:  # the truths' parameter sets, one per truth
        truth_scenarios = parameter_sets(args.ensemble, sc, args.truths, args.seed, "truth")
    outdir = output_folder(args, f"{sc.name}_backtest")
    started = time.perf_counter()

    def progress(k: int, n: int) -> None:
        if not args.quiet and sys.stderr.isatty():
            print(f"\rcut {k}/{n}", end="", file=sys.stderr, flush=True)

    if args.forecast_ensemble and not truth_scenarios:
        raise UsageError("--forecast-ensemble needs --ensemble: the sets the forecast runs across")
    bt = backtest(
        sc,
        args.cuts,
        args.replications,
        args.truths,
        args.seed,
        args.hours,
        truth_scenarios,
        args.shock,
        progress,
        forecast_sets=args.forecast_ensemble,
        jobs=args.jobs or os.cpu_count() or 1,
    )
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    what = (
        "the scenario's own replications"
        if truth_scenarios is None
        else f"{len(truth_scenarios)} parameter sets of {args.ensemble}"
    )
    bt.notes.append(
        f"truths: {what}"
        + (
            f", every stage {args.shock:g} times as fast (a shock the forecast is not told of)"
            if args.shock
            else ""
        )
    )
    bt.notes.append(
        "a band's coverage is judged with the randomised PIT; inside: within the binomial 95% range "
        "for n cuts"
    )
    with claimed(outdir, args.force):
        write_backtest(bt, outdir, args.force)
    if args.readme:
        from sim.studies.library import put_in_readme

        readme = Path(args.readme)
        cmd = (
            "bordersim " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--quiet")
            if sys.argv
            else "bordersim backtest"
        )
        readme.write_text(
            put_in_readme(backtest_markdown(bt, cmd), readme.read_text(encoding="utf-8"), args.block),
            encoding="utf-8",
        )
    if not args.quiet:
        inside = bt.coverage["inside"]
        secs = time.perf_counter() - started
        print(f"Backtest of {bt.cuts} cuts ({bt.n} replications each) written to {outdir} in {secs:.0f} s")
        print(f"  bands whose coverage lies in the binomial 95% range: {int(inside.sum())} of {len(inside)}")
        beats = bt.skill["beats_both"]
        print(f"  quantity-horizons where it beats both naive forecasts: {int(beats.sum())} of {len(beats)}")
        for r in bt.coverage[~inside].itertuples():
            print(
                f"  outside: {r.quantity} at {r.horizon_h} h, {r.nominal:.0%} band covered {r.observed:.0%} "
                f"(range {r.low:.0%}-{r.high:.0%}, n = {r.n})"
            )
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``backtest`` subcommand and its arguments to *sub*."""
    p = sub.add_parser(
        "backtest",
        help="check the forecast on simulated truths: coverage of its bands, skill against naive forecasts",
    )
    add_scenario_args(p)
    p.add_argument(
        "--cuts", type=arguments.whole_number(1, 1000), default=30, help="cuts, 1-1000 (default 30)"
    )
    arguments.add_replications(p, 40, help_text="forecast replications per cut (default 40)")
    p.add_argument(
        "--truths",
        type=arguments.whole_number(1, 200),
        default=5,
        help="truth runs the cuts are spread over, 1-200 (default 5)",
    )
    p.add_argument(
        "--hours", type=arguments.whole_number(1, 96), default=48, help="hours ahead, 1-96 (default 48)"
    )
    p.add_argument(
        "--ensemble",
        metavar="FILE",
        help="truths from this ensemble's parameter sets (the forecast keeps the scenario's)",
    )
    p.add_argument(
        "--shock",
        type=arguments.number_between(0.05, 1.0, "--shock"),
        metavar="FACTOR",
        help="in the truths only, every stage's rate times FACTOR (0.7: 30%% slower), unannounced",
    )
    p.add_argument(
        "--forecast-ensemble",
        action="store_true",
        help="with --ensemble: the forecast runs the other parameter sets in turn (not the truth's own), "
        "as forecast --ensemble does",
    )
    arguments.add_seed(p)
    arguments.add_jobs(p)
    add_output_args(p, "results/<name>_backtest")
    p.add_argument(
        "--readme", metavar="FILE", help="also write the tables between the --block markers of FILE"
    )
    p.add_argument(
        "--block", choices=BLOCKS, default=MARKER, help=f"the markers --readme writes between ({MARKER})"
    )
    arguments.add_quiet(p)
    p.set_defaults(func=command)
