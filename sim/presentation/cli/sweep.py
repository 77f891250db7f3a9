"""``bordersim sweep``: a grid of scenarios varying keys; KPIs against each value."""

from __future__ import annotations

import argparse
import re
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation import arguments
from sim.presentation.cli.common import (
    UsageError,
    add_lang,
    add_max_points,
    add_scenario_args,
    blame_arguments,
    check_grid,
    check_kpis,
    kpis_for_precision,
    output_folder,
    print_precision,
    replications_of,
    scenario_from,
    window_of,
    worst_precision,
)
from sim.presentation.cli.ensembles import (
    across,
    add_ensemble_args,
    ensemble_of,
    print_ensemble,
    print_unknowns_hint,
)
from sim.presentation.cli.replications import add_experiment_args, checkpointed, executor_of
from sim.world.scenario_files import (
    parse_assignment,
    parse_value,
)
from sim.world.schema.names import ScenarioError


def _parse_vary(texts: list[str]) -> dict[str, list[Any]]:
    vary = {}
    for text in texts:
        key, value = parse_assignment(text, "--vary")
        if key in vary:
            raise UsageError(f"--vary {text[:100]}: {key!r} is given twice; give each key once")
        values = value.split(",") if isinstance(value, str) else [value]
        vary[key] = (
            [parse_value(v, f"--vary {text[:100]}", key) for v in values]
            if isinstance(value, str)
            else values
        )
        twice = repeated_value(vary[key])
        if twice:
            raise UsageError(
                f"--vary {text[:100]}: {twice} is given twice for {key!r}; each value makes a point, "
                "give it once"
            )
    return vary


NOT_LEVERS = frozenset({"name", "question", "question_vi", "run", "kpi", "answer", "sweep"})
"""Top-level scenario keys that are no policy: what is measured and how, not what is done."""


def repeated_value(values: list[Any]) -> str | None:
    """The first value of *values* given again (as text), or None."""
    seen: list[Any] = []
    for v in values:
        if any(v == s and type(v) is type(s) for s in seen):
            return repr(v) if isinstance(v, str) else str(v)
        seen.append(v)
    return None


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim sweep`` with the parsed *args*; the exit status."""
    from sim.experiments.designs import sweep, sweep_points
    from sim.presentation.output import write_sweep

    sc = scenario_from(args.file, args.set)
    vary = _parse_vary(args.vary) if args.vary else sc.sweep
    if vary:
        check_grid(
            "--vary" if args.vary else f"{args.file}: sweep", [len(v) for v in vary.values()], args.max_points
        )
    if not vary:
        raise UsageError(f"{args.file}: nothing to vary: give --vary key=v1,v2 or a 'sweep:' block")
    try:  # fail before running anything
        for point in sweep_points(vary):
            sc.with_changes(point)
    except ScenarioError as err:
        if args.vary:  # the arguments that say it, not the file
            texts = {parse_assignment(t, "--vary")[0]: t for t in args.vary}
            raise blame_arguments(err, texts, "--vary") from None
        raise ScenarioError(err.source, [(f"sweep.{p}", m) for p, m in err.problems]) from None
    outdir = output_folder(args, f"sweep_{sc.name}")
    kpis = args.kpi or ["time_in_system_h_mean", "cleared_per_day_mean"]
    check_kpis("--kpi", kpis, sc)
    points = [sc.with_changes(p) for p in sweep_points(vary)]
    window = window_of(args, points)
    n, precision = replications_of(args)
    precision_kpis = kpis_for_precision(args, sc, answer=args.command == "run")
    ensemble = ensemble_of(args, points)
    if ensemble is not None:
        check_grid("--ensemble-sets x points", [len(points), ensemble.m], args.max_points)
    total = len(points) * n
    with (
        claimed(outdir, args.force, sc.name),
        executor_of(args) as executor,
        checkpointed(args, outdir, points, total) as (done, on_done),
    ):
        sw = sweep(
            sc,
            vary,
            n,
            args.seed,
            args.jobs,
            executor,
            done=done,
            on_done=on_done,
            window=window,
            precision=precision,
            precision_kpis=precision_kpis,
            max_n=max(args.max_replications, n),
        )
        # Each point named by its values (all share the scenario's name): the ensemble's tables
        # and sentences tell them apart, as the sweep's own tables do.
        options = [
            e.scenario.model_copy(update={"name": point_name(e.scenario.name, i, label)})
            for i, (e, label) in enumerate(zip(sw.experiments, sw.labels, strict=True))
        ]
        runs, tables = across(args, ensemble, options, sw.experiments, kpis, executor, window, base=sc)
        write_sweep(
            sw,
            outdir,
            kpis,
            plots=not args.no_plots,
            force=args.force,
            report=args.report,
            lang=args.lang,
            extra=tables,
        )
    if not args.quiet:
        import pandas as pd

        from sim.experiments.experiment import precision_met
        from sim.presentation.glossary import effect_row_text, kpi_label, tr
        from sim.presentation.report import sweep_answer

        table = sw.table()
        shown = table[table["kpi"].isin(kpis)][["label", "kpi", "mean", "ci_low", "ci_high", "n"]]
        print(shown.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
        bottlenecks = pd.concat(
            [e.bottlenecks().assign(point=p) for p, e in enumerate(sw.experiments)], ignore_index=True
        )
        effects = sw.effects(kpis)
        for kpi in kpis:
            print(sweep_answer(table, bottlenecks, sc, kpi, args.lang, effects))
        for row in effects.itertuples():
            label = kpi_label(row.kpi, sc, args.lang)
            print(
                "  "
                + tr(
                    "summary.effect",
                    args.lang,
                    label=row.label,
                    kpi=label,
                    effect=effect_row_text(row, args.lang),
                )
            )
        if precision:
            found = []
            for k in precision_kpis:
                ps = [precision_met(e.kpis[k], k, precision) for e in sw.experiments]
                worst = worst_precision(ps)
                found.append((k, f"{k} ({sw.labels[ps.index(worst)]})", worst))
            print_precision(found, precision, args.lang)
        if runs is not None:
            print_ensemble(runs, tables, sc, args.lang, base=options[0].name)
        print_unknowns_hint(args)
        print(tr("summary.results", args.lang, folder=outdir))
    return 0


def add_parser(sub: Any) -> None:
    """Add the ``sweep`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("sweep", help="a grid of scenarios varying keys; KPI against each value")
    add_scenario_args(p)
    add_experiment_args(p, n=None)
    arguments.add_vary(p)
    add_max_points(p)
    p.add_argument("--kpi", action="append", help="KPI to plot (repeatable)")
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    add_ensemble_args(p)
    add_lang(p)
    p.set_defaults(func=command)


def point_name(name: str, index: int, label: str) -> str:
    """A sweep point's scenario name: the scenario's, its number and its values, in the letters a
    name may hold (``baseline.1_gate_control.lanes_3``), at most 64 characters for the suffixes an
    ensemble adds. The number is always kept (two points never share a name); a long scenario
    name or label is cut, never the number."""
    head = f"{name[: 40 - len(str(index))]}.{index}"
    values = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_.")[: 64 - len(head) - 1].rstrip("_.")
    return f"{head}_{values}" if values else head
