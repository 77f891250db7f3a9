"""Replications from the command line: their arguments, the executor (serial, pool or Dask),
the checkpoint folder for ``--resume``, and what a finished experiment prints.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from sim.presentation import arguments
from sim.presentation.cli.common import DASK_TIMEOUT_S, MIN_REPLICATIONS, UsageError, add_output_args
from sim.world.scenario import Scenario


def add_experiment_args(p: argparse.ArgumentParser, n: int | None, resumable: bool = True) -> None:
    """Replications, precision, seed, workers, Dask, window, resume and output: what every
    experiment takes."""
    add_output_args(p)
    if n is None:
        arguments.add_replications(
            p,
            None,
            help_text="exactly this many replications (default: as many as --precision needs, at least "
            f"{MIN_REPLICATIONS})",
        )
        arguments.add_precision(p)
        arguments.add_max_replications(p, 100, "cap for --precision, 2 or more (default 100)")
    else:
        arguments.add_replications(p, n)
    arguments.add_seed(p)
    arguments.add_jobs(p)
    arguments.add_dask(p)
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    arguments.add_quiet(p)
    if resumable:
        p.add_argument("--resume", action="store_true", help="keep replications an interrupted run finished")
        arguments.add_window(p)


@contextlib.contextmanager
def executor_of(args: argparse.Namespace) -> Iterator[Executor | None]:
    """None (a process pool made per call) or a Dask cluster's executor, closed afterwards."""
    if not args.dask:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs dask[distributed]: pip install 'bordersim[dask]'") from None
    if args.dask == "local":
        workers = args.jobs or os.cpu_count() or 1
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(args.dask, timeout=DASK_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise UsageError(
                f"--dask {args.dask[:100]}: cannot reach a Dask scheduler there within "
                f"{DASK_TIMEOUT_S} s ({str(err)[:200]}); give tcp://HOST:PORT of a running scheduler, "
                "or 'local'"
            ) from None
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def progress_bar(args: argparse.Namespace, total: int, desc: str) -> Any:
    """A progress bar of *total* replications on stderr, or none when quiet or not a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit="rep", desc=desc, disable=args.quiet or not sys.stderr.isatty())


@contextlib.contextmanager
def checkpointed(
    args: argparse.Namespace,
    outdir: Path,
    scenarios: list[Scenario],
    total: int,
    seeds: list[int] | None = None,
) -> Iterator[Any]:
    """Finished replications saved beside *outdir* as they come; yields (done, on_done).

    Scenario *k* is replicated with ``seeds[k]`` (default: ``--seed``). With ``--resume`` only the
    kept replications made with the same command, scenario, seed and version are used. The work
    folder is removed only when the command finishes without error, so an interrupted command
    leaves it for ``--resume``.
    """
    from sim.experiments.checkpoint import WorkFolder, identity

    seeds = seeds or [args.seed] * len(scenarios)
    # KPIs are taken over the window, so a kept replication is reused only for the same window.
    command = args.command + (f" --window {args.window}" if getattr(args, "window", None) else "")
    ids = [identity(command, sc, s) for sc, s in zip(scenarios, seeds, strict=True)]
    work = WorkFolder(outdir)
    meta = {
        "command": args.command,
        "scenarios": [sc.to_dict() for sc in scenarios],
        "seed": args.seed,
        "window": getattr(args, "window", None),
    }
    found = work.start(meta, ids, resume=args.resume)
    done = found.done
    if found.ignored:
        print(
            f"resume: ignored {found.ignored} kept replications in {work.path} made with another "
            "command, scenario, seed or version of bordersim (or unreadable); they are not used",
            file=sys.stderr,
        )
    if found.discarded and not args.quiet:
        print(
            f"starting again: discarded {found.discarded} replications an interrupted run had kept "
            "(add --resume to use them)",
            file=sys.stderr,
        )
    if done and not args.quiet:
        print(f"resuming: {len(done)} replications already done in {work.path}", file=sys.stderr)
    with progress_bar(args, total, scenarios[0].name) as bar:
        bar.update(len(done))

        def on_done(task: Any, rep: Any) -> None:
            work.save(task, rep)
            bar.update(1)

        yield done, on_done
    work.remove()


def print_experiment(exp: Any, outdir: Path, elapsed_s: float, lang: str = "en") -> None:
    """Print what a finished experiment found: headline, answer, load, bottlenecks, costs and
    where the files are."""
    from sim.experiments.answer import answers_table, growth_findings, growth_judged, references_apply
    from sim.experiments.results import HELD_PLACES
    from sim.experiments.window import window_minutes
    from sim.presentation.answer_text import answer_lines, bottleneck_lines, growth_sentence
    from sim.presentation.glossary import (
        COST_KPIS,
        assumed_rates,
        fmt_number,
        gate_name,
        gates_by_traffic,
        kpi_label,
        tr,
    )
    from sim.presentation.report import answer_run

    sc = exp.scenario
    s = exp.summary()

    def fmt(kpi: str, spec: str = ",.0f") -> str:
        if kpi not in s.index:
            return tr("na", lang)
        row = s.loc[kpi]
        text = fmt_number(row["mean"], spec, lang)
        if exp.n > 1 and row["ci_low"] == row["ci_low"]:
            text += f" [{fmt_number(row['ci_low'], spec, lang)}, {fmt_number(row['ci_high'], spec, lang)}]"
        return text

    start, end = window_minutes(sc, exp.window)
    first = sc.run.start_date + dt.timedelta(days=int(start // 1440))
    last = sc.run.start_date + dt.timedelta(days=int(end // 1440) - 1)
    span = tr("summary.span_n", lang, n=exp.n) if exp.n > 1 else tr("summary.span_1", lang)
    wall = sum(r.wall_s for r in exp.replications)
    print(
        tr(
            "summary.head",
            lang,
            name=sc.name,
            days=sc.run.days,
            seed=exp.seed,
            span=span,
            took=fmt_number(elapsed_s, ".1f", lang),
            wall=fmt_number(wall, ".1f", lang),
        )
    )
    bottlenecks = exp.bottlenecks()
    table = answers_table(exp.answers())
    lines = answer_lines(table, sc, lang)
    growth = (
        growth_sentence(growth_findings(exp), sc, exp.n, lang)
        if growth_judged(exp)
        else tr("trend.short", lang)
    )
    shown = (str(first), str(last))
    whole = answer_run(s, bottlenecks, sc, lang, growth, references_apply(sc, exp.window), shown)
    if len(table) and (table["kind"] == "episode").any():
        print("  " + tr("summary.answer", lang, text=lines[0]))
        for line in lines[1:]:
            print("    " + line)
        print("  " + tr("answer.whole_run", lang, text=whole))
    else:
        print("  " + tr("summary.answer", lang, text=whole))
        for line in lines[1:]:
            print("    " + line)
    print("  " + tr("summary.window", lang, first=first, last=last, days=f"{(end - start) / 1440:.0f}"))
    print(
        "  "
        + tr(
            "summary.cleared",
            lang,
            mean=fmt("cleared_per_day_mean"),
            exp=fmt("cleared_per_day_mean_export"),
            imp=fmt("cleared_per_day_mean_import"),
            p95=fmt("cleared_per_day_p95"),
            max=fmt("cleared_per_day_max"),
            peak=fmt_number(sc.kpi.daily_peak_ref, ",.0f", lang),
            above=fmt("days_above_peak_ref", ".1f"),
        )
    )
    for direction in ("export", "import"):
        print(
            "  "
            + tr(
                "summary.direction",
                lang,
                dirs=tr(f"{direction}s", lang),
                mean=fmt(f"time_in_system_h_mean_{direction}", ".2f"),
                p95=fmt(f"time_in_system_h_p95_{direction}", ".1f"),
                proc=fmt(f"procedure_h_mean_{direction}", ".2f"),
                censored=fmt(f"censored_trucks_{direction}"),
            )
        )
    label = sc.kpi.held_clock.replace(":00", "h") if sc.kpi.held_clock.endswith(":00") else sc.kpi.held_clock
    key = f"held_at_{label.replace(':', 'h')}_export"
    places = ", ".join(
        f"{tr(f'place.{p}', lang)} {fmt(f'{key}_mean_{p}')}" for p in HELD_PLACES if p != "china_side"
    )
    print("  " + tr("summary.held", lang, clock=sc.kpi.held_clock, mean=fmt(key + "_mean"), places=places))
    share = fmt("perishable_over_threshold_share", ".1%")
    print("  " + tr("summary.perishable", lang, thr=f"{sc.kpi.perishable_threshold_h:g}", share=share))
    for gate in gates_by_traffic(sc):
        park = ""
        if f"park_occupancy_mean_{gate}" in s.index:
            park = tr("summary.park", lang, park=fmt(f"park_occupancy_mean_{gate}"))
        print(
            "  "
            + tr(
                "summary.gate",
                lang,
                gate=gate_name(sc, gate, lang),
                road=fmt(f"road_queue_trucks_mean_{gate}_export", ".1f"),
                km=fmt(f"road_queue_km_max_{gate}_export", ".2f"),
                park=park,
                backlog=fmt(f"backlog_end_{gate}"),
            )
        )
    costs = [k for k in COST_KPIS if k in s.index]
    if costs:
        items = "; ".join(f"{kpi_label(k, sc, lang)} {fmt(k)}" for k in costs)
        print("  " + tr("summary.cost", lang, items=items))
        print("    " + assumed_rates(sc, lang))
    print("  " + tr("summary.bottlenecks", lang, rule=tr("report.bottleneck_rule", lang)))
    for line in bottleneck_lines(bottlenecks, s, sc, lang):
        print("    " + line)
    print("  " + tr("summary.results", lang, folder=outdir))


def warn_unstable(exp: Any, quiet: bool) -> None:
    """Say loudly, on stdout and stderr, when a queue grows: the KPIs then describe no steady state.
    Where both go to one terminal it is said once, on stdout (with ``-q``, on stderr)."""
    from sim.experiments.results import GROWTH_RULE

    try:
        table = exp.bottlenecks()
    except ValueError:  # replications kept from an older version carry no bottlenecks
        return
    bad = table[table["unstable"]]
    if bad.empty:
        return
    lines = [
        f"WARNING: {exp.scenario.name} is UNSTABLE: a queue grows over the run ({GROWTH_RULE}); its "
        "averages depend on the horizon and describe no steady state:"
    ]
    from sim.presentation.glossary import with_statements

    lines += [f"  {row.statement}" for row in with_statements(bad, exp.scenario).itertuples()]
    lines.append("  (see bottlenecks.csv; add capacity or shorten the horizon to study the build-up)")
    text = "\n".join(lines)
    if not quiet:
        print(text)
    if quiet or not _one_terminal():  # on a terminal that shows both, once is enough
        print(text, file=sys.stderr)


def _one_terminal() -> bool:
    """Whether standard output and standard error both go to a terminal (the same screen, as a
    rule): a warning printed on both would show twice there."""
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def figures_of(args: argparse.Namespace, sc: Scenario) -> frozenset[str]:
    """The figure stems ``--plots`` (or ``--no-plots``) asks for; a name that is no figure of this
    scenario is a usage error before anything runs."""
    from sim.presentation.figure_names import figure_choice, has_lanes

    if args.no_plots:
        if args.plots is not None:
            raise UsageError("--no-plots and --plots: give one (--no-plots is --plots none)")
        return frozenset()
    text = "default" if args.plots is None else args.plots
    try:
        stems = figure_choice(text, list(sc.gates))
    except ValueError as err:
        raise UsageError(f"--plots {text[:100]}: {err}") from None
    no_lanes = [g for g, gate in sc.gates.items() if not has_lanes(gate) and f"utilisation_{g}" in stems]
    if no_lanes and text != "all" and "utilisation" not in text.split(","):
        raise UsageError(
            f"--plots {text[:100]}: gate {no_lanes[0]} has no stage with lanes: no utilisation to draw"
        )
    return stems


def warn_short_warmup(exp: Any) -> None:
    """Warn when the warm-up looks too short for the KPIs the run reports."""
    from sim.experiments.experiment import warmup_advice

    advice = warmup_advice(exp.scenario, exp.suggested_warmup_days(), exp.window)
    if advice:
        print(f"warning: {advice}", file=sys.stderr)
