"""``bordersim compare``: paired comparison of scenarios against the first, on common random
numbers, with the largest other effects beyond their margins.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation.cli.common import (
    COMPARE_KPIS,
    UsageError,
    add_lang,
    add_scenario_args,
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
    ensemble_kpis,
    ensemble_of,
    print_ensemble,
    print_unknowns_hint,
)
from sim.presentation.cli.replications import add_experiment_args, checkpointed, executor_of, warn_unstable
from sim.world.scenario import Scenario


def _check_same_days(files: list[str], scenarios: list[Scenario], window: Any) -> None:
    """Paired differences pair day with day: refuse scenarios whose start dates or horizons differ
    unless --window names dates inside all of them (checked by :func:`window_of`), and warn when only
    their warm-ups differ (each is then measured over its own days after the warm-up)."""
    spans = [(sc.run.start_date, sc.run.days) for sc in scenarios]
    listed = "; ".join(
        f"{f} ({sc.name}): {sc.run.start_date} for {sc.run.days} days, warm-up {sc.run.warmup_days}"
        for f, sc in zip(files, scenarios, strict=True)
    )
    if len(set(spans)) > 1 and window is None:
        raise UsageError(
            "compare: the scenarios' start dates or horizons differ, so their days cannot be paired: "
            f"{listed}; give them the same run.start_date and run.days, or --window FIRST..LAST with "
            "dates inside all of them"
        )
    if window is None and len({sc.run.warmup_days for sc in scenarios}) > 1:
        print(
            f"warning: compare: the scenarios' warm-ups differ ({listed}); each is measured after its own "
            "warm-up, so the paired days are not the same days; give --window to measure the same dates",
            file=sys.stderr,
        )


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim compare`` with the parsed *args*; the exit status."""
    from sim.experiments.designs import compare, scenario_seeds
    from sim.presentation.output import write_comparison

    scenarios = [scenario_from(f, args.set) for f in args.file]
    if len(scenarios) < 2:
        raise UsageError("compare needs at least two scenario files")
    names = [s.name for s in scenarios]
    window = window_of(args, scenarios)
    _check_same_days(args.file, scenarios, window)
    outdir = output_folder(args, "compare_" + "_vs_".join(names[:3]))
    seeds = scenario_seeds(args.seed, len(scenarios), not args.independent)
    n, precision = replications_of(args)
    precision_kpis = kpis_for_precision(args, scenarios[0], answer=False)
    ensemble = ensemble_of(args, scenarios)
    total = len(scenarios) * n
    with (
        claimed(outdir, args.force),
        executor_of(args) as executor,
        checkpointed(args, outdir, scenarios, total, seeds) as (done, on_done),
    ):
        comp = compare(
            scenarios,
            n,
            args.seed,
            args.jobs,
            executor,
            common_random_numbers=not args.independent,
            done=done,
            on_done=on_done,
            window=window,
            precision=precision,
            precision_kpis=precision_kpis,
            max_n=max(args.max_replications, n),
        )
        kpis = ensemble_kpis(scenarios[0], precision_kpis) if ensemble is not None else []
        runs, tables = across(args, ensemble, scenarios, comp.experiments, kpis, executor, window)
        write_comparison(
            comp,
            outdir,
            plots=not args.no_plots,
            report=args.report,
            force=args.force,
            lang=args.lang,
            extra=tables,
        )
    for e in comp.experiments:
        warn_unstable(e, args.quiet)
    if not args.quiet:
        from sim.presentation.glossary import effect_row_text, kpi_label, tr
        from sim.presentation.report import answer_compare

        lang = args.lang
        d = comp.differences()
        shown = list(dict.fromkeys([*precision_kpis, *COMPARE_KPIS]))
        key = d[d["kpi"].isin(shown)]
        print(tr("report.method", lang, n=comp.experiments[0].n, method=tr("report.method_paired", lang)))
        from sim.presentation.glossary import question as question_of

        base_q = question_of(comp.experiments[0].scenario, lang)
        for exp in comp.experiments[1:]:
            question = question_of(exp.scenario, lang)
            if question and question != base_q:  # what the option was written to answer
                print("  " + tr("compare.question", lang, name=exp.scenario.name, question=question))
        for name in comp.names[1:]:
            print("  " + answer_compare(d, comp.experiments[0].scenario, name, lang))
        from sim.experiments.answer import answers_table, has_episode
        from sim.presentation.answer_text import answer_lines

        # Every option's answer about the same episodes, over the same days (the pairing holds).
        framing = comp.experiments[comp.answer_reference].scenario
        for exp, answers in zip(comp.experiments, comp.answers(), strict=True):
            if any(a.kind == "episode" for a in answers):
                lines = answer_lines(answers_table(answers), framing, lang)
                # An option without the event is answered over the same days, for the pairing:
                # say so, so that its queues are not read as the event's.
                own = has_episode(exp.scenario, exp.window)
                name = exp.scenario.name if own else tr("answer.without_event", lang, name=exp.scenario.name)
                print(f"  {name}: " + lines[0])
                for line in lines[1:]:
                    print("    " + line)
        for row in key.itertuples():
            label = kpi_label(row.kpi, comp.experiments[0].scenario, lang)
            print(f"  {row.scenario:>24} {label:<48} {effect_row_text(row, lang)}")
        # Where each option changes most, beyond the KPIs above: a question about one gate or
        # stage finds its answer here rather than in a table of hundreds of rows.
        largest = largest_effects(d, exclude=shown)
        if len(largest):
            print("  " + tr("compare.largest", lang, k=LARGEST_EFFECTS))
            for row in largest.itertuples():
                label = kpi_label(row.kpi, comp.experiments[0].scenario, lang)
                print(f"  {row.scenario:>24} {label:<48} {effect_row_text(row, lang)}")
        if precision:
            print_precision(_compare_precision(comp, precision_kpis, precision, lang), precision, lang)
        if runs is not None:
            print_ensemble(runs, tables, scenarios[0], lang, base=comp.names[0])
        print_unknowns_hint(args)
        print("  " + tr("summary.results", lang, folder=outdir))
    return 0


LARGEST_EFFECTS = 5
"""How many of each option's largest other effects ``bordersim compare`` prints."""


def largest_effects(differences: Any, exclude: Sequence[str] = (), k: int = LARGEST_EFFECTS) -> Any:
    """Per option, the *k* rows of *differences* judged an effect (the interval leaves out zero
    and reaches beyond the margin) whose mean change is largest against its margin, the KPIs of
    *exclude* left out; in the order of the options, largest first."""
    from sim.experiments.stats import EFFECT

    d = differences[(differences["verdict"] == EFFECT) & ~differences["kpi"].isin(list(exclude))].copy()
    d = d[d["margin"] > 0]
    d["_size"] = (d["diff_mean"] / d["margin"]).abs()
    order = {name: i for i, name in enumerate(dict.fromkeys(differences["scenario"]))}
    d["_option"] = d["scenario"].map(order)
    d = d.sort_values(["_option", "_size"], ascending=[True, False]).groupby("scenario", sort=False).head(k)
    return d.drop(columns=["_size", "_option"])


def _compare_precision(comp: Any, kpis: list[str], precision: float, lang: str) -> list[tuple[str, str, Any]]:
    """Per KPI the precision that decided the replications: of the paired differences on common
    random numbers (the alternative furthest from it), of each scenario's mean otherwise."""
    from sim.experiments.designs import paired_precision
    from sim.experiments.experiment import precision_met
    from sim.presentation.glossary import tr

    exps = comp.experiments
    found = []
    for k in kpis:
        if exps[0].seed == exps[1].seed:  # common random numbers: the differences
            ps = paired_precision(exps, [k], precision)
            worst = worst_precision(ps)
            alt = exps[1 + ps.index(worst)].scenario.name
            found.append((k, tr("precision.paired", lang, kpi=k, alt=alt, base=exps[0].scenario.name), worst))
        else:
            ps = [precision_met(e.kpis[k], k, precision) for e in exps]
            worst = worst_precision(ps)
            found.append((k, f"{k} ({exps[ps.index(worst)].scenario.name})", worst))
    return found


def add_parser(sub: Any) -> None:
    """Add the ``compare`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("compare", help="paired comparison of scenarios against the first")
    add_scenario_args(p, many=True)
    add_experiment_args(p, n=None)
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    p.add_argument("--independent", action="store_true", help="independent seeds instead of common numbers")
    add_ensemble_args(p)
    add_lang(p)
    p.set_defaults(func=command)
