"""``bordersim run``: simulate a scenario (one or more replications); write results and plots."""

from __future__ import annotations

import argparse
import time
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation import arguments
from sim.presentation.cli.common import (
    add_lang,
    add_scenario_args,
    kpis_for_precision,
    output_folder,
    print_precision,
    replications_of,
    scenario_from,
    window_of,
)
from sim.presentation.cli.ensembles import (
    across,
    add_ensemble_args,
    ensemble_kpis,
    ensemble_of,
    print_ensemble,
    print_unknowns_hint,
)
from sim.presentation.cli.replications import (
    add_experiment_args,
    checkpointed,
    executor_of,
    figures_of,
    print_experiment,
    warn_short_warmup,
    warn_unstable,
)


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim run`` with the parsed *args*; the exit status."""
    from sim.experiments.designs import replicate
    from sim.experiments.experiment import precision_met
    from sim.presentation.output import write_experiment

    sc = scenario_from(args.file, args.set)
    figures = figures_of(args, sc)
    n, precision = replications_of(args)
    precision_kpis = kpis_for_precision(args, sc, answer=args.command == "run")
    window = window_of(args, [sc])
    ensemble = ensemble_of(args, [sc])
    started = time.perf_counter()
    outdir = output_folder(args, sc.name)
    cap = max(args.max_replications, n) if precision else n
    with (
        claimed(outdir, args.force, sc.name),
        executor_of(args) as executor,
        checkpointed(args, outdir, [sc], cap) as (done, on_done),
    ):
        exp = replicate(
            sc,
            n,
            args.seed,
            args.jobs,
            executor,
            precision=precision,
            precision_kpis=precision_kpis,
            max_n=max(args.max_replications, n),
            done=done,
            on_done=on_done,
            window=window,
        )
        kpis = ensemble_kpis(sc, precision_kpis)
        runs, tables = across(args, ensemble, [sc], [exp], kpis, executor, window, effects=False)
        write_experiment(
            exp,
            outdir,
            plots=figures,
            report=args.report,
            force=args.force,
            lang=args.lang,
            extra=tables,
        )
    if not args.quiet:
        print_experiment(exp, outdir, time.perf_counter() - started, args.lang)
        if runs is not None:
            print_ensemble(runs, tables, sc, args.lang)
        print_unknowns_hint(args)
        if precision:
            table = exp.precision_table(precision_kpis)
            found = [(k, k, precision_met(table[k], k, precision)) for k in table.columns]
            print_precision(found, precision, args.lang)
    warn_short_warmup(exp)
    warn_unstable(exp, args.quiet)
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``run`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("run", help="simulate a scenario (one or more replications); write results and plots")
    add_scenario_args(p)
    add_experiment_args(p, n=None)
    arguments.add_plots(p)
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    add_ensemble_args(p)
    add_lang(p)
    p.set_defaults(func=command)
