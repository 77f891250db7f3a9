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
    UsageError,
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


def snapshot_minute(sc: Any, when: str | None) -> float | None:
    """The model minute of ``--snapshot`` *when*, checked before anything runs (None: not asked)."""
    from sim.world.calendar import horizon_min
    from sim.world.state_files import clock_text, parse_time

    if when is None:
        return None
    try:
        at = parse_time(sc, when)
    except ValueError as err:
        raise UsageError(f"--snapshot {when[:40]}: {err}") from None
    if not 0 < at < horizon_min(sc):
        end = clock_text(sc, horizon_min(sc))
        raise UsageError(f"--snapshot {when[:40]}: outside the run ({clock_text(sc, 0)} to {end})")
    return at


def snapshot_of(sc: Any, at_min: float, seed: int) -> dict[str, Any]:
    """STATE and DECLARED of replication 0 at *at_min*, as tables."""
    from sim.experiments.replications import replication_seed
    from sim.world.model import Model
    from sim.world.restart import capture
    from sim.world.snapshots import past_declarations, snapshot_tables

    model = Model(sc, replication_seed(seed, 0))
    model.env.run(until=at_min)
    state, declared = snapshot_tables(model, capture(model), seed, 0)
    return {
        "state": state,
        "declared": declared,
        "past_declarations": past_declarations(model),
        "recent": recent_held(model),
    }


def recent_held(model: Any, hours: int = 24) -> Any:
    """Trucks held (the scenario's held places) by gate and direction, hour by hour over the
    *hours* before the paused *model*'s clock: the recent past a forecast's figure starts from."""
    import numpy as np
    import pandas as pd

    from sim.experiments.results import Run
    from sim.world.model import RunData, kept_draws
    from sim.world.state_files import clock_text

    sc, now = model.sc, float(model.env.now)
    data = RunData(
        sc, None, model.arr, kept_draws(model.draws), model.times, model.outcome, model.sample_min, {}
    )
    grid = np.arange(max(now - hours * 60.0, 0.0), now + 1e-9, 60.0)
    rows = []
    for (gate, direction), places in Run(data).places_at(grid).items():
        held = sum(places[p] for p in sc.kpi.held_places)
        rows += [(clock_text(sc, t), gate, direction, int(h)) for t, h in zip(grid, held, strict=True)]
    return pd.DataFrame(rows, columns=["time", "gate", "direction", "held"])


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
    snapshot = snapshot_minute(sc, args.snapshot)
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
        kpis = ensemble_kpis(sc, precision_kpis) if ensemble is not None else []  # read only across one
        runs, tables = across(args, ensemble, [sc], [exp], kpis, executor, window, effects=False)
        if snapshot is not None:
            tables = {**(tables or {}), **snapshot_of(sc, snapshot, args.seed)}
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
    p.add_argument(
        "--snapshot",
        metavar="TIME",
        help="also write state.csv, declared.csv, past_declarations.csv and recent.csv: where every "
        "truck of replication 0 is at TIME ('YYYY-MM-DD HH:MM'), the declarations of those on their way "
        "and of those due before then, and the trucks held hour by hour over the day before, as the "
        "platform would have seen them (input for bordersim forecast and fit-declarations; the "
        "snapshot-only columns let sim.continue_snapshot continue the run exactly)",
    )
    add_ensemble_args(p)
    add_lang(p)
    p.set_defaults(func=command)
