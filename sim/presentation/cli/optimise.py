"""``bordersim optimise``: the cheapest combination of levers that meets targets."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.experiments.folders import (
    RunInterruptedError,
    claimed,
)
from sim.presentation import arguments
from sim.presentation.cli.common import (
    UsageError,
    add_lang,
    add_max_points,
    add_output_args,
    add_scenario_args,
    at_least,
    check_grid,
    known_kpis,
    output_folder,
    safe_name,
    scenario_from,
    window_of,
)
from sim.presentation.cli.ensembles import across, add_ensemble_args, ensemble_of, print_unknowns_hint
from sim.presentation.cli.replications import executor_of
from sim.presentation.cli.sweep import NOT_LEVERS, repeated_value
from sim.world.schema.names import ScenarioError


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim optimise`` with the parsed *args*; the exit status."""
    import difflib

    from tqdm import tqdm

    from sim.experiments.costs import check_levers, load_costs
    from sim.experiments.designs import sweep_points
    from sim.presentation.optimise_output import (
        EXIT_NO_OPTION,
        next_step_lines,
        summary_lines,
        write_optimisation,
    )
    from sim.studies.optimise import optimise
    from sim.studies.options import parse_lever, parse_target

    sc = scenario_from(args.file, args.set)
    try:
        targets = [parse_target(t) for t in args.target]
        parsed = [parse_lever(t) for t in args.lever]
        levers = dict(parsed)
        if len(levers) < len(parsed):
            twice = sorted({k for k, _ in parsed if [p for p, _ in parsed].count(k) > 1})
            raise ValueError(f"the same --lever key is given twice: {', '.join(twice)}; give each key once")
        for key, values in levers.items():
            if (again := repeated_value(values)) is not None:
                raise ValueError(f"{key}: {again} is given twice; each value makes an option, give it once")
            if key.split(".")[0] in NOT_LEVERS:
                raise ValueError(
                    f"{key} is not a policy to choose: a lever sets what is done (gates, platform, demand, "
                    f"risk, cargo classes, events), not {', '.join(sorted(NOT_LEVERS))}"
                )
        check_grid("--lever", [len(v) for v in levers.values()], args.max_points)
    except ValueError as err:
        raise UsageError(f"--target/--lever: {err}") from None
    if args.n0 is not None:
        raise UsageError(
            "--n0 is now -n/--replications (replications of every option in the first stage), and the "
            "cap that -n used to set is --max-replications: -n means replications on every command"
        )
    args.n0 = args.replications
    if args.max_replications < args.n0:
        raise UsageError(
            f"-n/--replications ({args.n0}) is above --max-replications ({args.max_replications}); "
            "-n now counts the first stage's replications and --max-replications is the cap"
        )
    costs = load_costs(args.costs) if args.costs else None
    if costs is not None:
        check_levers(costs, levers, args.costs)
    window = window_of(args, [sc])
    try:  # every option must be a valid scenario, its run holding the window, before anything runs
        for point in sweep_points(levers):
            option = sc.with_changes(point)
            if window is not None:
                window_of(args, [option])  # an option may change the run's dates (run.days)
    except ScenarioError as err:
        raise ScenarioError(err.source, [(f"--lever {p}", m) for p, m in err.problems]) from None
    known = known_kpis(sc)
    for t in targets:
        if t.kpi not in known:
            near = difflib.get_close_matches(t.kpi, known, n=4, cutoff=0.5)
            hint = (
                f"; did you mean {', '.join(near)}?"
                if near
                else "; `bordersim run` lists them in summary.csv"
            )
            raise UsageError(f"--target: unknown KPI {t.kpi!r}{hint}")
    ensemble = ensemble_of(args, [sc])
    outdir = output_folder(args, f"optimise_{sc.name}")
    disable = args.quiet or not sys.stderr.isatty()
    with (
        claimed(outdir, args.force),
        executor_of(args) as executor,
        tqdm(unit="rep", desc=f"optimise {sc.name}", disable=disable) as bar,
    ):
        try:
            opt = optimise(
                sc,
                targets,
                levers,
                costs,
                confidence=args.confidence,
                n0=args.n0,
                max_n=args.max_replications,
                joint=args.joint,
                seed=args.seed,
                jobs=args.jobs,
                executor=executor,
                window=window,
                robustness=not args.no_robustness,
                robust_n=args.robust_n,
                costs_source=args.costs or "costs",
                on_done=lambda task, rep: bar.update(1),
            )
        except RunInterruptedError:
            raise KeyboardInterrupt from None  # nothing to resume: say so, exit 130
        tables, notes = {}, []
        if ensemble is not None and opt.chosen is not None:
            tables, notes = _optimise_across(opt, ensemble, args, executor, window)
        write_optimisation(
            opt, outdir, plots=not args.no_plots, force=args.force, lang=args.lang, extra=tables, notes=notes
        )
    if args.report:
        from sim.presentation.report import write_report

        write_report(outdir, args.lang)
    if not args.quiet:
        print("\n".join(summary_lines(opt)))
        for line in notes:
            print(line)
        print_unknowns_hint(args)
        print(f"results in {outdir}/ (the decision sheet: results.xlsx, report: bordersim report {outdir})")
    if opt.chosen is None:
        step = next((ln.strip() for ln in next_step_lines(opt) if ln.strip().startswith("next step")), "")
        print(
            f"error: no option meets {'; '.join(map(str, targets))} at {args.confidence:.0%} confidence "
            f"with at most {args.max_replications} replications; every option is in {outdir}/options.csv"
            + (f"\n{step}" if step else ""),
            file=sys.stderr,
        )
        return EXIT_NO_OPTION
    return 0


MAX_ENSEMBLE_OPTIONS = 5
"""Optimise runs the ensemble on the chosen option, its runner-up and at most this many in all."""


def _optimise_across(
    opt: Any, ensemble: Any, args: argparse.Namespace, executor: Any, window: Any
) -> tuple[dict[str, Any], list[str]]:
    """The chosen option, its runner-up and the undecided options across the ensemble: in how many
    sets each meets the targets, whether the choice holds, and the unknown that decides it."""
    from sim.presentation.ensemble_text import choice_lines, head_line, own_keys_line
    from sim.presentation.glossary import tr
    from sim.studies.ensemble import choice_across, slack

    lang = args.lang
    picked = [opt.chosen, opt.runner_up, *opt.undecided]
    options = list({id(o): o for o in picked if o is not None}.values())[:MAX_ENSEMBLE_OPTIONS]
    names = [f"option {o.index}: {o.label}"[:80] if o.point else opt.base.name for o in options]
    scenarios = [
        o.scenario.with_changes({}, name=safe_name(nm)) for o, nm in zip(options, names, strict=True)
    ]
    kpis = list(dict.fromkeys(t.kpi for t in opt.targets))
    experiments = [opt.experiment(o) for o in options]
    runs, spread = across(
        args, ensemble, scenarios, experiments, kpis, executor, window, base=opt.base, effects=False
    )
    choice = choice_across(runs, opt.targets, [o.cost for o in options])
    choice.insert(1, "label", names)
    choice.insert(3, "cost_unit", "VND/day" if opt.costs is not None else "units")
    tables = {
        "ensemble": spread["ensemble"],
        "ensemble_choice": choice,
        "ensemble_sets": spread["ensemble_sets"],
    }
    lines = [head_line(runs, lang)]
    note = own_keys_line(runs.own_keys, lang)
    if note:
        lines.append("  " + note)
    lines += ["  " + line for line in choice_lines(choice, opt.base, lang, tables["ensemble"])]
    first = choice.iloc[0]
    if first["sets_meeting"] < first["m"]:
        decides = runs.deciding_factor(slack(runs, 0, opt.targets))
        if decides is not None:
            lines.append("  " + tr("ensemble.decides", lang, factor=decides[0], rho=f"{decides[1]:+.2f}"))
    return tables, lines


def add_parser(sub: Any) -> None:
    """Add the ``optimise`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("optimise", help="the cheapest combination of levers that meets targets")
    add_scenario_args(p)
    add_max_points(p)
    add_output_args(p, "results/optimise_<name>")
    arguments.add_target(p)
    arguments.add_lever(p)
    p.add_argument("--costs", help="costs YAML (see scenarios/costs.yaml); default: every unit costs 1")
    arguments.add_replications(
        p,
        5,
        low=2,
        help_text="replications of every option in the first stage, 2 or more (default 5); as on run, "
        "-n counts replications and --max-replications is the cap",
    )
    arguments.add_max_replications(p, 20, "replications an undecided option gets at most (default 20)")
    p.add_argument("--n0", type=at_least(2), default=None, help=argparse.SUPPRESS)
    arguments.add_confidence(p)
    p.add_argument("--joint", action="store_true", help="Bonferroni over options and targets too")
    arguments.add_seed(p)
    arguments.add_jobs(p)
    arguments.add_dask(p)
    arguments.add_window(p)
    arguments.add_robust_n(p)
    p.add_argument("--no-robustness", action="store_true", help="skip rerunning at low and high assumptions")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    arguments.add_quiet(p)
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    add_ensemble_args(p)
    add_lang(p, summary=False)
    p.set_defaults(func=command)
