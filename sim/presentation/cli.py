"""The ``bordersim`` command: run, compare and sweep scenarios; check and describe them.

Bad input ends with a message naming the file, key and problem on stderr and exit status 2;
an interrupted run (Ctrl-C or SIGTERM) exits 130, keeps the replications that finished for
``--resume``, and leaves no results folder under the requested name. A command never replaces a
file or a folder it did not write unless told ``--force``, never writes outside the folder asked
for, and refuses to start while another run works on the same output (see :mod:`sim.experiments.folders`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import yaml

from sim.experiments.folders import (
    OutputBusyError,
    OutputRefusedError,
    OutputWriteError,
    RunInterruptedError,
    claimed,
)
from sim.presentation import arguments
from sim.world.checks import scenario_warnings
from sim.world.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_assignment,
    parse_value,
    read_yaml_file,
    scenario_schema,
)
from sim.world.yaml_guard import guarded_dump

EXIT_BAD_INPUT = 2
MIN_REPLICATIONS = arguments.MIN_REPLICATIONS
DEFAULT_PRECISION = arguments.DEFAULT_PRECISION
EXIT_INTERRUPTED = 130
DASK_TIMEOUT_S = 10
"""How long ``--dask ADDRESS`` waits for the scheduler before giving up."""
RESULTS = Path("results")
"""Where results folders go unless ``-o`` says otherwise."""


class UsageError(Exception):
    """A command-line problem that is not about a scenario file."""


def _scenario_from(file: str, sets: list[str] | None, warn: bool = True) -> Scenario:
    """The scenario of *file* with the ``--set`` changes; an error in a change names that ``--set``."""
    texts = {}
    for text in sets or []:
        key, value = parse_assignment(text)
        if key in texts:
            raise UsageError(f"--set {text[:100]}: {key!r} is given twice; give each key once")
        texts[key] = (text, value)
    sc = load_scenario(file)  # an error here is the file's own
    _check_headline(sc, file)
    if texts:
        try:
            sc = load_scenario(file, {key: value for key, (_, value) in texts.items()})
            _check_headline(sc, file)
        except ScenarioError as err:
            raise _blame_sets(err, {key: text for key, (text, _) in texts.items()}) from None
    if warn:
        for path, msg in scenario_warnings(sc):
            print(f"warning: {file}: {path}: {msg}", file=sys.stderr)
    return sc


def _check_readme(readme: str | None, marker: str) -> None:
    """Refuse, before anything runs, a ``--readme`` that is no UTF-8 file of at most 1 MiB or has
    no ``<!-- marker:start -->`` ... ``<!-- marker:end -->`` to write between."""
    if not readme:
        return
    from sim.world.scenario import read_guarded_bytes

    raw = read_guarded_bytes(Path(readme), f"--readme {readme}", "README")
    marks = (f"<!-- {marker}:start -->", f"<!-- {marker}:end -->")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"--readme {readme}: not UTF-8 text") from None
    if not re.search(re.escape(marks[0]) + ".*?" + re.escape(marks[1]), text, re.S):
        raise UsageError(f"--readme {readme}: no {marks[0]} ... {marks[1]} markers to write between")


def _check_headline(sc: Scenario, file: str) -> None:
    """Refuse a ``kpi.headline`` the scenario does not define, naming that key (replications are
    added until the headline is precise enough, so a run would otherwise fail later)."""
    from sim.experiments.kpis import unknown_kpi_message

    msg = unknown_kpi_message(sc.kpi.headline, sc)
    if msg:
        raise ScenarioError(file, [("kpi.headline", msg)])


def _blame_sets(err: ScenarioError, texts: dict[str, str]) -> ScenarioError:
    """*err* with its source replaced by the ``--set`` arguments its problems concern."""

    def related(path: str, key: str) -> bool:
        return not path or path == key or key.startswith(path + ".") or path.startswith(key + ".")

    blamed = [text for key, text in texts.items() if any(related(p, key) for p, _ in err.problems)]
    shown = blamed or list(texts.values())
    source = ", ".join(f"--set {t[:100]}" for t in shown)
    if not blamed:
        source = f"{err.source} with {source}"
    return ScenarioError(source, err.problems)


_at_least = arguments.whole_number
"""An argparse type: a whole number from *low* (see :func:`sim.presentation.arguments.whole_number`)."""
_fraction = arguments.fraction


def _check_kpis(option: str, names: list[str], sc: Scenario) -> None:
    """Refuse, before anything runs, a KPI name the scenario does not define (with a did-you-mean)."""
    from sim.experiments.kpis import unknown_kpi_message

    for name in names:
        msg = unknown_kpi_message(name, sc)
        if msg:
            raise UsageError(f"{option} {name[:80]}: {msg}")


def _replications(args: argparse.Namespace) -> tuple[int, float | None]:
    """Where replications start and the precision that adds more: ``-n`` alone runs exactly n;
    otherwise at least MIN_REPLICATIONS and as many as the precision needs (default 5%)."""
    if args.replications is not None and args.replications < 1:
        raise UsageError("-n must be at least 1")
    if args.precision is None and args.replications is not None:
        return args.replications, None
    precision = args.precision if args.precision is not None else DEFAULT_PRECISION
    return max(args.replications or MIN_REPLICATIONS, MIN_REPLICATIONS), precision


def _precision_kpis(args: argparse.Namespace, sc: Scenario, answer: bool = True) -> list[str]:
    """The KPIs --precision is about: each --precision-kpi, then the headline KPI, then the
    answer's (:func:`sim.experiments.answer.answer_kpis`; with *answer* false, only those that are
    KPIs, for options judged on paired KPI differences), each once; refused before anything runs
    when the scenario does not define one."""
    from sim.experiments.answer import ANSWER, answer_kpis

    asked = list(dict.fromkeys([*(getattr(args, "precision_kpi", None) or []), sc.kpi.headline]))
    _check_kpis("--precision-kpi", asked, sc)
    # Then the answer's own figures: replications follow the question, not only the headline.
    extra = [k for k in answer_kpis(sc, _window(args, [sc])) if answer or k != ANSWER]
    return list(dict.fromkeys([*asked, *extra]))


def _print_precision(found: list[tuple[str, str, Any]], precision: float, lang: str = "en") -> None:
    """A line per KPI (*found*: KPI, how to name it, its :class:`~sim.experiments.experiment.Precision`):
    its 95% half-width (relative to its mean, in points for a share, or in its unit for a mean
    below 1), after how many replications, against what was asked."""
    from sim.presentation.glossary import fmt_number, tr, unit_of

    for kpi, name, p in found:

        def shown(value: float, p: Any = p, kpi: str = kpi) -> str:
            if p.kind == "points":
                return f"{fmt_number(value * 100, '.1f', lang)} {tr('unit.points', lang)}"
            if p.kind == "absolute":
                unit = unit_of(kpi, lang)
                return fmt_number(value, ".2g", lang) + (f" {unit}" if unit else "")
            rel = value / abs(p.reference) if p.reference else float("nan")
            return tr("precision.of_mean", lang, pct=fmt_number(rel, ".1%", lang))

        goal = fmt_number(precision * 100, "g", lang) + "%" if p.kind == "relative" else shown(p.goal)
        met = tr("precision.met" if p.met else "precision.not_met", lang) if p.n else tr("na", lang)
        line = tr("precision.line", lang, kpi=name, half=shown(p.half_width), n=p.n, goal=goal, met=met)
        print("  " + line)


def _worst(precisions: list[Any]) -> Any:
    """The precision furthest from its goal (the one that decides how many replications run)."""
    return max(precisions, key=lambda p: (not p.met, p.needed_n, p.half_width / p.goal if p.goal else 0))


def _window(args: argparse.Namespace, scenarios: list[Scenario]) -> Any:
    """The --window as dates, checked against every scenario's run before anything is simulated."""
    text = getattr(args, "window", None)
    if not text:
        return None
    from sim.experiments.results import parse_window, window_minutes

    try:
        window = parse_window(text)
    except ValueError as err:
        raise UsageError(f"--window: {err}") from None
    sc = None
    try:
        for sc in scenarios:
            window_minutes(sc, window)
    except ValueError as err:
        raise UsageError(f"--window: {sc.name if sc else ''}: {err}") from None
    return window


def _add_scenario_args(p: argparse.ArgumentParser, many: bool = False) -> None:
    p.add_argument("file", nargs="+" if many else None, help="scenario YAML file" + ("s" if many else ""))
    arguments.add_set(p)


def _add_output_args(p: argparse.ArgumentParser, default: str = "results/<name>") -> None:
    p.add_argument("-o", "--output", help=f"results folder (default: {default})")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace -o even when it is a file or a folder bordersim did not write",
    )


def _inputs_of(args: argparse.Namespace) -> list[Path]:
    """The scenario files a command reads and every file they extend, resolved."""
    files = getattr(args, "file", None) or []
    todo = [Path(f) for f in ([files] if isinstance(files, str) else files)]
    seen: list[Path] = []
    while todo and len(seen) < 100:
        f = todo.pop()
        if not f.is_file() or f.resolve() in seen:
            continue
        seen.append(f.resolve())
        try:
            parent = _parent_of(str(f))
        except (OSError, ValueError, yaml.YAMLError):
            parent = None
        if parent is not None:
            todo.append(parent)
    return seen


def _output(args: argparse.Namespace, folder: str) -> Path:
    """The folder to write: ``-o`` as given, or *folder* inside results/ (and never outside it).

    ``-o`` may never be, or hold, the scenario or a file it extends: replacing the results folder
    (even with ``--force``) would delete them.
    """
    if args.output:
        out = Path(os.path.abspath(args.output))
        for f in _inputs_of(args):
            if f == out or out in f.parents:
                raise UsageError(
                    f"-o {args.output}: it holds the scenario file {f}, which writing the results there "
                    "would delete; choose another -o"
                )
        return Path(args.output)
    if len(folder) > 120:  # e.g. compare_a_vs_b_vs_c of long names; a file name has 255 bytes
        folder = folder[:110] + "_" + hashlib.sha256(folder.encode()).hexdigest()[:8]
    path = RESULTS / folder
    if Path(os.path.abspath(path)).parent != Path(os.path.abspath(RESULTS)):
        raise UsageError(f"{folder!r} is not a folder name; the results would land outside {RESULTS}/")
    return path


def _add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        choices=["en", "vi"],
        default="en",
        help="language of the summary, the figures and the report: en, or vi (tiếng Việt; report.vi.html)",
    )


_between = arguments.whole_number


MAX_ENSEMBLE_SETS = 1000
"""The most parameter sets --ensemble-sets may draw (each is a scenario replicated K times)."""


def _add_ensemble_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ensemble",
        metavar="FILE",
        help="also ask the question across plausible parameter sets (NAME.parquet and NAME.yaml from "
        "`bordersim calibrate --ranges`): the spread from what is unknown beside the replication interval",
    )
    p.add_argument(
        "--ensemble-sets",
        type=_between(1, MAX_ENSEMBLE_SETS),
        default=20,
        metavar="M",
        help=f"parameter sets drawn from the ensemble, 1-{MAX_ENSEMBLE_SETS:,} (default 20)",
    )
    p.add_argument(
        "--ensemble-replications",
        type=_between(1, 100),
        default=2,
        metavar="K",
        help="replications per parameter set, on common random numbers, 1-100 (default 2)",
    )


def _ensemble(args: argparse.Namespace, scenarios: list[Scenario]) -> Any:
    """The ensemble --ensemble names, M sets drawn from it, checked against every scenario; or None."""
    if not getattr(args, "ensemble", None):
        return None
    from sim.experiments.ensemble import load_ensemble

    whole = load_ensemble(args.ensemble)
    for sc in scenarios:
        whole.ranges.check(sc)
    drawn = whole.draw(args.ensemble_sets, args.seed)
    drawn.provenance = {**whole.provenance, "sets_in_file": whole.m}
    return drawn


DEFAULT_ENSEMBLE = Path("calibration/history/ensemble.parquet")
"""The baseline's ensemble, written by ``analysis/regenerate.sh history``."""


def _print_unknowns_hint(args: argparse.Namespace) -> None:
    """Say that the intervals are from randomness only, and how to add what is unknown."""
    from sim.presentation.glossary import tr

    if getattr(args, "ensemble", None) or args.quiet:
        return
    where = str(DEFAULT_ENSEMBLE) if DEFAULT_ENSEMBLE.exists() else tr("ensemble.file_hint", args.lang)
    print(tr("ensemble.none", args.lang, file=where))


ENSEMBLE_KPIS = [
    "procedure_h_mean_export",
    "held_at_20h_export_mean",
    "perishable_over_threshold_share",
    "time_in_system_h_mean",
    "cleared_per_day_mean",
    "backlog_end",
]
"""The figures of an answer whose spread across the ensemble every command reports, after the
KPIs the question names (the headline, --precision-kpi)."""


def _ensemble_kpis(sc: Scenario, first: list[str]) -> list[str]:
    """The KPIs an ensemble's spread is reported for: those the question is about, then the usual."""
    known = set(_known_kpis(sc))
    headline = [sc.kpi.headline] if getattr(sc.kpi, "headline", None) else []
    return [k for k in dict.fromkeys([*headline, *first, *ENSEMBLE_KPIS, *COMPARE_KPIS]) if k in known]


def _print_ensemble(
    runs: Any, tables: dict[str, Any], sc: Scenario, lang: str, base: str | None = None
) -> None:
    from sim.presentation.ensemble_text import effect_lines, head_line, own_keys_line, spread_lines

    print(head_line(runs, lang))
    note = own_keys_line(runs.own_keys, lang)
    if note:
        print("  " + note)
    spread = tables["ensemble"]
    for option in dict.fromkeys(spread["option"]):
        if len(runs.options) > 1:
            print(f"  {option}:")
        for line in spread_lines(spread, sc, lang, option):
            print("    " + line)
    if base is not None and "ensemble_effects" in tables:
        for line in effect_lines(tables["ensemble_effects"], sc, base, lang):
            print("  " + line)


def _add_experiment_args(p: argparse.ArgumentParser, n: int | None, resumable: bool = True) -> None:
    _add_output_args(p)
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
def _executor(args: argparse.Namespace) -> Iterator[Executor | None]:
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


def _bar(args: argparse.Namespace, total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="rep", desc=desc, disable=args.quiet or not sys.stderr.isatty())


@contextlib.contextmanager
def _checkpointed(
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
    with _bar(args, total, scenarios[0].name) as bar:
        bar.update(len(done))

        def on_done(task: Any, rep: Any) -> None:
            work.save(task, rep)
            bar.update(1)

        yield done, on_done
    work.remove()


def _print_experiment(exp: Any, outdir: Path, elapsed_s: float, lang: str = "en") -> None:
    from sim.experiments.answer import answers_table, growth_findings, growth_judged, references_apply
    from sim.experiments.results import HELD_PLACES, window_minutes
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


def _warn_unstable(exp: Any, quiet: bool) -> None:
    """Say loudly, on stdout and stderr, when a queue grows: the KPIs then describe no steady state."""
    from sim.experiments.results import GROWTH_RULE

    try:
        table = exp.bottlenecks()
    except ValueError:  # replications kept from an older version carry no statement
        return
    bad = table[table["unstable"]]
    if bad.empty:
        return
    lines = [
        f"WARNING: {exp.scenario.name} is UNSTABLE: a queue grows over the run ({GROWTH_RULE}); its "
        "averages depend on the horizon and describe no steady state:"
    ]
    lines += [f"  {row.statement}" for row in bad.itertuples()]
    lines.append("  (see bottlenecks.csv; add capacity or shorten the horizon to study the build-up)")
    text = "\n".join(lines)
    if not quiet:
        print(text)
    print(text, file=sys.stderr)


def _figures(args: argparse.Namespace, sc: Scenario) -> frozenset[str]:
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


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.experiments.experiment import precision_met, replicate
    from sim.presentation.output import write_experiment

    sc = _scenario_from(args.file, args.set)
    figures = _figures(args, sc)
    n, precision = _replications(args)
    precision_kpis = _precision_kpis(args, sc, answer=args.command == "run")
    window = _window(args, [sc])
    ensemble = _ensemble(args, [sc])
    started = time.perf_counter()
    outdir = _output(args, sc.name)
    cap = max(args.max_replications, n) if precision else n
    with (
        claimed(outdir, args.force, sc.name),
        _executor(args) as executor,
        _checkpointed(args, outdir, [sc], cap) as (done, on_done),
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
        runs, tables = None, {}
        if ensemble is not None:
            from sim.experiments.ensemble import across_ensemble

            runs = across_ensemble(
                [sc], ensemble, args.ensemble_replications, args.seed, args.jobs, executor, window=window
            )
            kpis = _ensemble_kpis(sc, precision_kpis)
            tables = {"ensemble": runs.spread(kpis, [exp]), "ensemble_sets": runs.sets_table(kpis)}
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
        _print_experiment(exp, outdir, time.perf_counter() - started, args.lang)
        if runs is not None:
            _print_ensemble(runs, tables, sc, args.lang)
        _print_unknowns_hint(args)
        if precision:
            table = exp.precision_table(precision_kpis)
            found = [(k, k, precision_met(table[k], k, precision)) for k in table.columns]
            _print_precision(found, precision, args.lang)
    _warn_short_warmup(exp)
    _warn_unstable(exp, args.quiet)
    return 0


def _warn_short_warmup(exp: Any) -> None:
    from sim.experiments.experiment import warmup_advice

    advice = warmup_advice(exp.scenario, exp.suggested_warmup_days(), exp.window)
    if advice:
        print(f"warning: {advice}", file=sys.stderr)


def _check_same_days(files: list[str], scenarios: list[Scenario], window: Any) -> None:
    """Paired differences pair day with day: refuse scenarios whose start dates or horizons differ
    unless --window names dates inside all of them (checked by :func:`_window`), and warn when only
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


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.experiments.experiment import compare, scenario_seeds
    from sim.presentation.output import write_comparison

    scenarios = [_scenario_from(f, args.set) for f in args.file]
    if len(scenarios) < 2:
        raise UsageError("compare needs at least two scenario files")
    names = [s.name for s in scenarios]
    window = _window(args, scenarios)
    _check_same_days(args.file, scenarios, window)
    outdir = _output(args, "compare_" + "_vs_".join(names[:3]))
    seeds = scenario_seeds(args.seed, len(scenarios), not args.independent)
    n, precision = _replications(args)
    precision_kpis = _precision_kpis(args, scenarios[0], answer=False)
    ensemble = _ensemble(args, scenarios)
    total = len(scenarios) * n
    with (
        claimed(outdir, args.force),
        _executor(args) as executor,
        _checkpointed(args, outdir, scenarios, total, seeds) as (done, on_done),
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
        runs, tables = None, {}
        if ensemble is not None:
            from sim.experiments.ensemble import across_ensemble

            runs = across_ensemble(
                scenarios, ensemble, args.ensemble_replications, args.seed, args.jobs, executor, window=window
            )
            kpis = _ensemble_kpis(scenarios[0], precision_kpis)
            tables = {
                "ensemble": runs.spread(kpis, comp.experiments),
                "ensemble_effects": runs.effects(kpis),
                "ensemble_sets": runs.sets_table(kpis),
            }
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
        _warn_unstable(e, args.quiet)
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
            _print_precision(_compare_precision(comp, precision_kpis, precision, lang), precision, lang)
        if runs is not None:
            _print_ensemble(runs, tables, scenarios[0], lang, base=comp.names[0])
        _print_unknowns_hint(args)
        print("  " + tr("summary.results", lang, folder=outdir))
    return 0


COMPARE_KPIS = ["time_in_system_h_mean", "cleared_per_day_mean", "perishable_over_threshold_share"]
"""The KPIs ``bordersim compare`` prints the paired effect of, after those precision is about."""

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
    from sim.experiments.experiment import paired_precision, precision_met
    from sim.presentation.glossary import tr

    exps = comp.experiments
    found = []
    for k in kpis:
        if exps[0].seed == exps[1].seed:  # common random numbers: the differences
            ps = paired_precision(exps, [k], precision)
            worst = _worst(ps)
            alt = exps[1 + ps.index(worst)].scenario.name
            found.append((k, tr("precision.paired", lang, kpi=k, alt=alt, base=exps[0].scenario.name), worst))
        else:
            ps = [precision_met(e.kpis[k], k, precision) for e in exps]
            worst = _worst(ps)
            found.append((k, f"{k} ({exps[ps.index(worst)].scenario.name})", worst))
    return found


MAX_POINTS = arguments.MAX_POINTS
_add_max_points = arguments.add_max_points


def _check_grid(option: str, sizes: list[int], limit: int) -> None:
    """Refuse, before any point is built, a grid of more points than *limit*."""
    total = math.prod(sizes)
    if total > limit:
        shape = " x ".join(str(n) for n in sizes)
        raise UsageError(
            f"{option}: the grid has {total:,} points ({shape} values), more than {limit:,}; give fewer "
            "values per key, or raise the limit with --max-points if you mean it"
        )


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
        twice = _repeated(vary[key])
        if twice:
            raise UsageError(
                f"--vary {text[:100]}: {twice} is given twice for {key!r}; each value makes a point, "
                "give it once"
            )
    return vary


NOT_LEVERS = frozenset({"name", "question", "question_vi", "run", "kpi", "answer", "sweep"})
"""Top-level scenario keys that are no policy: what is measured and how, not what is done."""


def _repeated(values: list[Any]) -> str | None:
    """The first value of *values* given again (as text), or None."""
    seen: list[Any] = []
    for v in values:
        if any(v == s and type(v) is type(s) for s in seen):
            return repr(v) if isinstance(v, str) else str(v)
        seen.append(v)
    return None


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.experiment import sweep, sweep_points
    from sim.presentation.output import write_sweep

    sc = _scenario_from(args.file, args.set)
    vary = _parse_vary(args.vary) if args.vary else sc.sweep
    if vary:
        _check_grid(
            "--vary" if args.vary else f"{args.file}: sweep", [len(v) for v in vary.values()], args.max_points
        )
    if not vary:
        raise UsageError(f"{args.file}: nothing to vary: give --vary key=v1,v2 or a 'sweep:' block")
    try:  # fail before running anything
        for point in sweep_points(vary):
            sc.with_changes(point)
    except ScenarioError as err:
        raise ScenarioError(err.source, [(f"sweep.{p}", m) for p, m in err.problems]) from None
    outdir = _output(args, f"sweep_{sc.name}")
    kpis = args.kpi or ["time_in_system_h_mean", "cleared_per_day_mean"]
    _check_kpis("--kpi", kpis, sc)
    points = [sc.with_changes(p) for p in sweep_points(vary)]
    window = _window(args, points)
    n, precision = _replications(args)
    precision_kpis = _precision_kpis(args, sc, answer=args.command == "run")
    ensemble = _ensemble(args, points)
    if ensemble is not None:
        _check_grid("--ensemble-sets x points", [len(points), ensemble.m], args.max_points)
    total = len(points) * n
    with (
        claimed(outdir, args.force, sc.name),
        _executor(args) as executor,
        _checkpointed(args, outdir, points, total) as (done, on_done),
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
        runs, tables = None, {}
        if ensemble is not None:
            from sim.experiments.ensemble import across_ensemble

            options = [e.scenario for e in sw.experiments]
            runs = across_ensemble(
                options,
                ensemble,
                args.ensemble_replications,
                args.seed,
                args.jobs,
                executor,
                window=window,
                base=sc,
            )
            tables = {
                "ensemble": runs.spread(kpis, sw.experiments),
                "ensemble_effects": runs.effects(kpis),
                "ensemble_sets": runs.sets_table(kpis),
            }
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
                worst = _worst(ps)
                found.append((k, f"{k} ({sw.labels[ps.index(worst)]})", worst))
            _print_precision(found, precision, args.lang)
        if runs is not None:
            _print_ensemble(runs, tables, sc, args.lang, base=sw.experiments[0].scenario.name)
        _print_unknowns_hint(args)
        print(tr("summary.results", args.lang, folder=outdir))
    return 0


def _known_kpis(sc: Scenario) -> list[str]:
    """The KPI names a scenario's runs give (from a one-day run of it)."""
    from sim.experiments.results import run

    return list(run(sc.with_changes({"run.days": 1, "run.warmup_days": 0}), seed=0).kpis().index)


def _cmd_optimise(args: argparse.Namespace) -> int:
    import difflib

    from tqdm import tqdm

    from sim.experiments.costs import check_levers, load_costs
    from sim.experiments.experiment import sweep_points
    from sim.experiments.optimise import optimise, parse_lever, parse_target
    from sim.presentation.optimise_output import (
        EXIT_NO_OPTION,
        next_step_lines,
        summary_lines,
        write_optimisation,
    )

    sc = _scenario_from(args.file, args.set)
    try:
        targets = [parse_target(t) for t in args.target]
        parsed = [parse_lever(t) for t in args.lever]
        levers = dict(parsed)
        if len(levers) < len(parsed):
            twice = sorted({k for k, _ in parsed if [p for p, _ in parsed].count(k) > 1})
            raise ValueError(f"the same --lever key is given twice: {', '.join(twice)}; give each key once")
        for key, values in levers.items():
            if (again := _repeated(values)) is not None:
                raise ValueError(f"{key}: {again} is given twice; each value makes an option, give it once")
            if key.split(".")[0] in NOT_LEVERS:
                raise ValueError(
                    f"{key} is not a policy to choose: a lever sets what is done (gates, platform, demand, "
                    f"risk, cargo classes, events), not {', '.join(sorted(NOT_LEVERS))}"
                )
        _check_grid("--lever", [len(v) for v in levers.values()], args.max_points)
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
    window = _window(args, [sc])
    try:  # every option must be a valid scenario, its run holding the window, before anything runs
        for point in sweep_points(levers):
            option = sc.with_changes(point)
            if window is not None:
                _window(args, [option])  # an option may change the run's dates (run.days)
    except ScenarioError as err:
        raise ScenarioError(err.source, [(f"--lever {p}", m) for p, m in err.problems]) from None
    known = _known_kpis(sc)
    for t in targets:
        if t.kpi not in known:
            near = difflib.get_close_matches(t.kpi, known, n=4, cutoff=0.5)
            hint = (
                f"; did you mean {', '.join(near)}?"
                if near
                else "; `bordersim run` lists them in summary.csv"
            )
            raise UsageError(f"--target: unknown KPI {t.kpi!r}{hint}")
    ensemble = _ensemble(args, [sc])
    outdir = _output(args, f"optimise_{sc.name}")
    disable = args.quiet or not sys.stderr.isatty()
    with (
        claimed(outdir, args.force),
        _executor(args) as executor,
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
        _print_unknowns_hint(args)
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
    from sim.experiments.ensemble import across_ensemble, choice_across, slack
    from sim.presentation.ensemble_text import choice_lines, head_line, own_keys_line
    from sim.presentation.glossary import tr

    lang = args.lang
    picked = [opt.chosen, opt.runner_up, *opt.undecided]
    options = list({id(o): o for o in picked if o is not None}.values())[:MAX_ENSEMBLE_OPTIONS]
    names = [f"option {o.index}: {o.label}"[:80] if o.point else opt.base.name for o in options]
    scenarios = [
        o.scenario.with_changes({}, name=_safe_name(nm)) for o, nm in zip(options, names, strict=True)
    ]
    runs = across_ensemble(
        scenarios,
        ensemble,
        args.ensemble_replications,
        args.seed,
        args.jobs,
        executor,
        window=window,
        base=opt.base,
    )
    kpis = list(dict.fromkeys(t.kpi for t in opt.targets))
    choice = choice_across(runs, opt.targets, [o.cost for o in options])
    choice.insert(1, "label", names)
    choice.insert(3, "cost_unit", "VND/day" if opt.costs is not None else "units")
    tables = {
        "ensemble": runs.spread(kpis, [opt.experiment(o) for o in options]),
        "ensemble_choice": choice,
        "ensemble_sets": runs.sets_table(kpis),
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


def _safe_name(text: str) -> str:
    """*text* as a scenario name (letters, digits, '_', '-', '.')."""
    import re

    return (re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "option")[:80]


def _cmd_table(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt

    from sim.experiments.experiment import replicate_each
    from sim.experiments.library import library_figure, library_table, markdown, put_in_readme
    from sim.presentation.output import atomic_dir

    _check_readme(args.readme, "scenario-table")
    scenarios = [_scenario_from(f, args.set) for f in args.file]
    outdir = _output(args, "scenario_table")
    n, precision = _replications(args)
    with claimed(outdir, args.force):
        with _executor(args) as executor, _bar(args, len(scenarios) * n, "scenarios") as bar:
            exps = replicate_each(
                scenarios,
                n,
                args.seed,
                args.jobs,
                executor,
                on_done=lambda task, rep: bar.update(1),
                precision=precision,
                precision_kpis=_precision_kpis(args, scenarios[0], False) if args.precision_kpi else None,
                max_n=max(args.max_replications, n),
            )
        table = library_table(exps)
        text = markdown(table)
        with atomic_dir(outdir, args.force) as tmp:
            table.to_csv(tmp / "scenario_table.csv", index=False)
            (tmp / "scenario_table.md").write_text(text + "\n", encoding="utf-8")
            fig = library_figure(table)
            fig.savefig(tmp / "scenario_table.png", dpi=110)
            if args.figure:
                fig.savefig(args.figure, dpi=110)
            plt.close(fig)
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(put_in_readme(text, readme.read_text(encoding="utf-8")), encoding="utf-8")
    if not args.quiet:
        print(text)
        print(f"results in {outdir}/")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.experiments.library import put_in_readme
    from sim.experiments.validation import across_ensemble_case, counted, load_case, markdown, run_case
    from sim.presentation.output import atomic_dir

    _check_readme(args.readme, "validation-table")
    files = args.cases or sorted(str(p) for p in Path("validation").glob("*.yaml"))
    if not files:
        raise UsageError("no validation cases: name case files or run from the project folder")
    cases = [load_case(f) for f in files]  # every file checked before anything runs
    ensemble = _ensemble(args, [])
    outdir = _output(args, "validation")
    rows = []
    with claimed(outdir, args.force):
        with _executor(args) as executor:
            for case, sc in cases:
                n = args.replications or case.replications
                r = run_case(case, sc, n, args.seed, args.jobs, executor, max(args.max_replications, n))
                rows.append(r)
                if not args.quiet:
                    cap = ", cap reached" if r["cap_reached"] else ""
                    word = "MISS" if r["verdict"] == "miss" else r["verdict"]
                    print(
                        f"  {case.name} ({case.kind}): {r['simulated']:.3g} "
                        f"[{r['ci_low']:.3g}, {r['ci_high']:.3g}] {case.unit}, band {r['band']}: "
                        f"{word} (n={r['n']}{cap})",
                        file=sys.stderr,
                    )
                if ensemble is not None:
                    r |= across_ensemble_case(
                        case, sc, ensemble, args.ensemble_replications, args.seed, args.jobs, executor
                    )
                    if not args.quiet:
                        from sim.presentation.glossary import tr

                        m, k = r["ensemble_m"], r["ensemble_k"]
                        found = tr("ensemble.validate", "en", m=m, k=k, inside=r["ensemble_matching"])
                        print("    " + (found if m else r["ensemble_note"]), file=sys.stderr)
        table = pd.DataFrame(rows)
        text = markdown(table)
        with atomic_dir(outdir, args.force) as tmp:
            table.to_csv(tmp / "validation.csv", index=False)
            (tmp / "validation.md").write_text(text + "\n", encoding="utf-8")
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(
            put_in_readme(text, readme.read_text(encoding="utf-8"), "validation-table"), encoding="utf-8"
        )
    k, m = counted(table)
    if not args.quiet:
        print(text)
        print(f"results in {outdir}/")
    return 1 if args.strict and k < m else 0


HISTORY_REPLICATIONS = 2
"""Replications of each history-matching point when -n is not given."""
CALIBRATE_REPLICATIONS = 6
"""Replications of each calibration point when -n is not given."""


def _cmd_history(args: argparse.Namespace) -> int:
    """History matching over the ranges file's factors instead of the demand and joint fit."""
    import matplotlib.pyplot as plt

    from sim.experiments.calibrate import load_targets
    from sim.experiments.ensemble import write_ensemble
    from sim.experiments.history import history_match_scenario, provenance
    from sim.presentation.history_output import figure, summary_markdown
    from sim.presentation.output import atomic_dir
    from sim.world.ranges import load_ranges

    sc = _scenario_from(args.file, args.set)
    targets, _ = load_targets(args.targets)
    ranges = load_ranges(args.ranges)
    ranges.check(sc)  # every key of the ranges must be the scenario's, before anything runs
    from sim.experiments.library import put_in_readme

    readme = Path(args.readme) if args.readme else None
    if readme is not None:  # before anything runs
        if not readme.is_file():
            raise UsageError(f"--readme {args.readme}: no such file")
        try:
            put_in_readme("", readme.read_text(encoding="utf-8"), "history-table")
        except ValueError as err:
            raise UsageError(f"--readme {args.readme}: {err}") from None
    n = args.replications or HISTORY_REPLICATIONS
    outdir = _output(args, f"history_{sc.name}")
    with claimed(outdir, args.force):
        with _executor(args) as executor:
            hm = history_match_scenario(
                sc,
                ranges,
                targets.targets,
                waves=args.waves,
                runs_per_wave=args.runs_per_wave,
                n=n,
                days=args.days,
                seed=args.seed,
                check_runs=args.check_runs,
                jobs=args.jobs,
                executor=executor,
            )
        sets = None if hm.empty else hm.ensemble(args.ensemble_size, args.seed)
        text = summary_markdown(hm, sc.name, 0 if sets is None else len(sets))
        with atomic_dir(outdir, args.force) as tmp:
            hm.runs.to_csv(tmp / "waves.csv", index=False)
            hm.nroy_table().to_csv(tmp / "nroy.csv", index=False)
            hm.ruled_out.to_csv(tmp / "ruled_out.csv", index=False)
            hm.check.to_csv(tmp / "emulator_check.csv", index=False)
            (tmp / "history.md").write_text(text, encoding="utf-8")
            if not args.no_plots:
                fig = figure(hm)
                fig.savefig(tmp / "history.png", dpi=110)
                plt.close(fig)
            if sets is not None:
                meta = provenance(hm, sc, args.file, ranges, args.targets, args.seed, args.runs_per_wave)
                write_ensemble(tmp / "ensemble", ranges, sets, meta)
    if readme is not None:
        readme.write_text(
            put_in_readme(text.strip(), readme.read_text(encoding="utf-8"), "history-table"), encoding="utf-8"
        )
    if not args.quiet:
        print(text)
        print(f"results in {outdir}/")
    print(f"CPU time {hm.cpu_s / 60:.1f} min", file=sys.stderr)
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    """Step 1 fits demand; with targets and parameters in the file, step 2 fits them jointly.
    With ``--ranges``, history matching over the ranges instead (:func:`_cmd_history`)."""
    import time

    if args.ranges:
        return _cmd_history(args)
    if args.replications is None:
        args.replications = CALIBRATE_REPLICATIONS

    import matplotlib.pyplot as plt

    from sim.experiments.calibrate import calibrate, fit_yaml, load_targets
    from sim.experiments.joint import joint_fit
    from sim.experiments.library import put_in_readme
    from sim.presentation.joint_output import calibrated_yaml, design_table, figure, summary_markdown
    from sim.presentation.output import atomic_dir
    from sim.presentation.plots import calibration

    _check_readme(args.readme, "calibration-table")
    started = time.monotonic()
    sc = _scenario_from(args.file, args.set)
    targets, base_dir = load_targets(args.targets)
    if args.readme and not Path(args.readme).is_file():
        raise UsageError(f"--readme {args.readme}: no such file")
    outdir = _output(args, f"calibrate_{sc.name}")
    joint = None
    with claimed(outdir, args.force):
        with _executor(args) as executor:
            fit = calibrate(
                sc, targets, base_dir, n=args.replications, seed=args.seed, jobs=args.jobs, executor=executor
            )
            if targets.targets and targets.parameters:
                joint = joint_fit(
                    fit.scenario,
                    targets.targets,
                    targets.parameters,
                    targets.joint,
                    n=args.replications,
                    seed=args.seed,
                    jobs=args.jobs,
                    executor=executor,
                    n_check=args.check_replications,
                )
        wall = (time.monotonic() - started) / 60
        text = summary_markdown(joint, targets.targets, args.replications, fit.fitted, wall) if joint else ""
        with atomic_dir(outdir, args.force) as tmp:
            fit.fitted.to_csv(tmp / "fitted.csv", index=False)
            fit.comparison().to_csv(tmp / "targets_vs_simulated.csv", index=False)
            fit.cv_curve.to_csv(tmp / "cv_response.csv", index=False)
            (tmp / "calibrated.yaml").write_text(
                calibrated_yaml(joint, fit.fitted) if joint else fit_yaml(fit), encoding="utf-8"
            )
            fig = calibration(fit)
            fig.savefig(tmp / "calibration.png", dpi=110)
            plt.close(fig)
            if joint:
                joint.values.to_csv(tmp / "joint_fitted.csv", index=False)
                joint.table.to_csv(tmp / "targets_table.csv", index=False)
                if joint.screen is not None:
                    joint.screen.effects.to_csv(tmp / "screen.csv", index=False)
                design_table(joint).to_csv(tmp / "design.csv", index=False)
                (tmp / "calibration.md").write_text(text + "\n", encoding="utf-8")
                fig = figure(joint, targets.targets)
                fig.savefig(tmp / "response.png", dpi=110)
                plt.close(fig)
    if args.readme and joint:
        readme = Path(args.readme)
        readme.write_text(
            put_in_readme(text, readme.read_text(encoding="utf-8"), "calibration-table"), encoding="utf-8"
        )
    if not args.quiet:
        if joint:
            print(text)
        else:
            print("fitted (standard error):")
            for r in fit.fitted.itertuples():
                print(f"  {r.parameter:<36} {r.value:10.4g} ({r.se:.2g})")
            print("targets against the calibrated model (95% interval):")
            for r in fit.comparison().itertuples():
                print(
                    f"  {r.target:<36} target {r.value:10.4g}  simulated {r.simulated:10.4g} "
                    f"[{r.ci_low:.4g}, {r.ci_high:.4g}]"
                )
        print(f"calibrated scenario: {outdir}/calibrated.yaml")
    return 0


SCREEN_MARKER = "screen-table"
"""The README markers ``bordersim screen --readme`` writes between."""


def _cmd_screen(args: argparse.Namespace) -> int:
    """Morris screen of every factor of a ranges file: which unknowns move which KPIs."""

    import matplotlib.pyplot as plt

    from sim.experiments.kpis import kpi_names
    from sim.experiments.library import put_in_readme
    from sim.experiments.morris import morris_screen
    from sim.presentation.output import atomic_dir
    from sim.presentation.screen_output import screen_figure, screen_markdown
    from sim.world.ranges import load_ranges

    sc = _scenario_from(args.file, args.set)
    if args.days is not None:
        if args.days <= sc.run.warmup_days:
            raise UsageError(
                f"--days {args.days}: a run must be longer than the scenario's warm-up of "
                f"{sc.run.warmup_days} days (run.warmup_days), which --days does not change"
            )
        sc = sc.with_changes({"run.days": args.days})
    ranges = load_ranges(args.ranges)
    ranges.check(sc)
    _check_kpis("--kpi", args.kpi or [], sc)
    _check_readme(args.readme, SCREEN_MARKER)
    outdir = _output(args, f"screen_{sc.name}")
    with claimed(outdir, args.force):
        with _executor(args) as executor:
            screen = morris_screen(
                sc,
                ranges,
                r=args.trajectories,
                levels=args.levels,
                n=args.replications,
                seed=args.seed,
                jobs=args.jobs,
                executor=executor,
                kpis=args.kpi,
            )
        units = {name: kpi.unit for name, kpi in kpi_names(sc).items()}
        text = screen_markdown(screen, sc.run.days, units)
        with atomic_dir(outdir, args.force) as tmp:
            screen.ranking.to_csv(tmp / "screen.csv", index=False)
            screen.points.to_csv(tmp / "points.csv", index=False)
            (tmp / "screen.md").write_text(text + "\n", encoding="utf-8")
            fig = screen_figure(screen)
            fig.savefig(tmp / "screen.png", dpi=110)
            plt.close(fig)
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(
            put_in_readme(text, readme.read_text(encoding="utf-8"), SCREEN_MARKER), encoding="utf-8"
        )
    if not args.quiet:
        print(text)
        print(f"\nscreen: {outdir}/screen.md, screen.csv, points.csv, screen.png")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
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


def _parent_of(file: str) -> Path | None:
    """The file *file* extends, or None."""
    data = read_yaml_file(Path(file), file)
    parent = data.get("extends")
    return Path(file).parent / parent if isinstance(parent, str) else None


def _print_load(sc: Scenario, before: Scenario | None = None) -> None:
    """The ordinary-day load table (events left out), then one table per episode of the events."""
    from sim.world.load import HIGH, load_table

    table = load_table(sc)
    if before is not None:
        old = load_table(before).set_index(["gate", "stage"])["utilisation"]
        table.insert(
            len(table.columns) - 1,
            "utilisation_before",
            [old.get((g, st)) for g, st in zip(table["gate"], table["stage"], strict=True)],
        )
    print(
        f"# load: trucks a day through each stage against its lanes in open hours "
        f"(capacity = lanes x 60 / mean service min; events left out); HIGH from {HIGH:.0%}, OVER from 100%"
    )
    shown = table.copy()
    for col in ("utilisation", "utilisation_before"):
        if col in shown:
            shown[col] = shown[col].map(_pct)
    print(shown.to_string(index=False))
    flagged = table[table["flag"] != ""]
    for r in flagged.itertuples():
        print(f"warning: {r.flag}: {r.gate} {r.stage} at {r.utilisation:.0%} of its open-hour capacity")
    _print_episode_loads(sc, table.set_index(["gate", "stage"])["utilisation"], before)


def _pct(u: float | None) -> str:
    return f"{u:.0%}" if u is not None and u == u else ""


def _stage_words(sc: Scenario, gate: str, stage: str) -> str:
    """'Huu Nghi plant quarantine', 'Huu Nghi Chinese checkpoint ... (export)'."""
    from sim.presentation.glossary import stage_name

    name, _, direction = stage.partition(" (")
    words = stage_name(sc, gate, name)
    return f"{sc.gates[gate].label} {words}" + (f" ({direction}" if direction else "")


def _same_days(other: Scenario, sc: Scenario) -> Scenario:
    """*other* run over *sc*'s days, so that its load can be read on the days of *sc*'s episodes."""
    if (other.run.start_date, other.run.days) == (sc.run.start_date, sc.run.days):
        return other
    return other.with_changes(
        {
            "run.start_date": sc.run.start_date.isoformat(),
            "run.days": sc.run.days,
            "run.warmup_days": min(other.run.warmup_days, sc.run.days - 1),
        }
    )


def _print_episode_loads(sc: Scenario, ordinary: Any, before: Scenario | None = None) -> None:
    """Per episode: each stage's demand a day against its capacity a day with the events applied.

    *ordinary* is the ordinary-day utilisation by (gate, stage), shown alongside. With *before*,
    the same days in the other scenario (its own events applied) sit alongside, and the other
    scenario's episodes that this one lacks are shown too.
    """
    from sim.world.episodes import episodes
    from sim.world.load import episode_load_table

    spells = {(e.first, e.last): e.label for e in episodes(sc)}
    other = None
    if before is not None:
        other = _same_days(before, sc)
        for e in episodes(other):
            spells.setdefault((e.first, e.last), f"{e.label}, an episode of {before.name}")
    for (first, last), label in sorted(spells.items()):
        table = episode_load_table(sc, first, last)
        days = (last - first).days + 1
        table.insert(
            len(table.columns) - 1,
            "ordinary_day",
            [ordinary.get((g, st)) for g, st in zip(table["gate"], table["stage"], strict=True)],
        )
        if other is not None:
            old = episode_load_table(other, first, last).set_index(["gate", "stage"])["utilisation"]
            table.insert(
                len(table.columns) - 1,
                "utilisation_before",
                [old.get((g, st)) for g, st in zip(table["gate"], table["stage"], strict=True)],
            )
        print(
            f"\n# load during {label} ({days} days), events applied: demand a day (mean over the days) "
            "against capacity a day (lanes x open minutes x rate factor / mean service min)"
        )
        shown = table.copy()
        for col in ("utilisation", "ordinary_day", "utilisation_before"):
            if col in shown:
                shown[col] = shown[col].map(_pct)
        print(shown.to_string(index=False))
        for r in table[table["flag"] != ""].itertuples():
            print(
                f"warning: {_stage_words(sc, r.gate, r.stage)} {r.utilisation:.0%} {r.flag} during "
                f"{first}..{last} ({r.demand_per_day:.0f} trucks a day against {r.capacity_per_day:.0f})"
            )


def _cmd_check(args: argparse.Namespace) -> int:
    from sim.world.event_diff import diff_events
    from sim.world.scenario import diff_scenarios

    sc = _scenario_from(args.file, args.set)
    if not (args.diff or args.load):
        print(f"# {args.file}: valid scenario {sc.name!r}, resolved:")
        print(guarded_dump(sc.to_dict()), end="")
        return 0
    before = None
    if args.diff:
        other = _parent_of(args.file) if args.diff is True else Path(args.diff)
        if other is None:
            print(f"# {args.file} extends no file: nothing to compare with")
        else:
            before = load_scenario(other)
            changes = [
                c for c in diff_scenarios(before, sc) if c[0] != "events" and not c[0].startswith("events.")
            ]
            events = diff_events(before, sc)
            print(
                f"# {args.file} ({sc.name}) against {other} ({before.name}): {len(changes)} keys and "
                f"{len(events)} events differ"
            )
            for key, old, new in changes:
                print(
                    f"{key}: {json.dumps(old, ensure_ascii=False)} -> {json.dumps(new, ensure_ascii=False)}"
                )
            for line in events:
                print(line)
    _print_load(sc, before)
    return 0


def _cmd_kpis(args: argparse.Namespace) -> int:
    from sim.experiments.kpis import CATALOGUE, kpi_names, markdown_table

    if args.readme:
        from sim.experiments.library import put_in_readme

        _check_readme(args.readme, "kpi-table")
        readme = Path(args.readme)
        text = put_in_readme(markdown_table(), readme.read_text(encoding="utf-8"), "kpi-table")
        readme.write_text(text, encoding="utf-8")
    if args.file:
        sc = _scenario_from(args.file, args.set)
        names = kpi_names(sc)
        width = max(map(len, names))
        for name, kpi in names.items():
            print(f"{name:<{width}}  {kpi.unit:<10}  {kpi.meaning}")
        return 0
    width = max(len(k.pattern) for k in CATALOGUE)
    for kpi in CATALOGUE:
        print(f"{kpi.pattern:<{width}}  {kpi.unit:<10}  {kpi.meaning}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_schema(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bordersim",
        description="Discrete-event simulation of road-freight truck traffic at the four Lang Son border "
        "gates: Huu Nghi, Tan Thanh, Chi Ma and Coc Nam (Vietnam-China). Run a scenario file, compare "
        "or sweep what-ifs, find the cheapest change that meets a target, and check a file before running.",
        epilog="Example: bordersim run scenarios/baseline.yaml -o results/baseline. "
        "Every subcommand has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="simulate a scenario (one or more replications); write results and plots")
    _add_scenario_args(p)
    _add_experiment_args(p, n=None)
    arguments.add_plots(p)
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    _add_ensemble_args(p)
    _add_lang(p)
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("compare", help="paired comparison of scenarios against the first")
    _add_scenario_args(p, many=True)
    _add_experiment_args(p, n=None)
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    p.add_argument("--independent", action="store_true", help="independent seeds instead of common numbers")
    _add_ensemble_args(p)
    _add_lang(p)
    p.set_defaults(func=_cmd_compare)
    p = sub.add_parser("sweep", help="a grid of scenarios varying keys; KPI against each value")
    _add_scenario_args(p)
    _add_experiment_args(p, n=None)
    arguments.add_vary(p)
    _add_max_points(p)
    p.add_argument("--kpi", action="append", help="KPI to plot (repeatable)")
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained)")
    _add_ensemble_args(p)
    _add_lang(p)
    p.set_defaults(func=_cmd_sweep)
    p = sub.add_parser("optimise", help="the cheapest combination of levers that meets targets")
    _add_scenario_args(p)
    _add_max_points(p)
    _add_output_args(p, "results/optimise_<name>")
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
    p.add_argument("--n0", type=_at_least(2), default=None, help=argparse.SUPPRESS)
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
    _add_ensemble_args(p)
    _add_lang(p)
    p.set_defaults(func=_cmd_optimise)
    p = sub.add_parser("table", help="key KPIs of many scenarios in one table and figure")
    _add_scenario_args(p, many=True)
    _add_experiment_args(p, n=None, resumable=False)
    p.add_argument("--readme", help="also write the table between the README's scenario-table markers")
    p.add_argument("--figure", help="also save the figure here (e.g. docs/scenario_table.png)")
    p.set_defaults(func=_cmd_table)
    p = sub.add_parser(
        "calibrate", help="fit demand to targets or observed counts; write a calibrated scenario"
    )
    _add_scenario_args(p)
    _add_experiment_args(p, n=6, resumable=False)
    p.add_argument("--targets", required=True, help="targets YAML (see scenarios/targets.yaml)")
    p.add_argument(
        "--check-replications", type=_at_least(2), default=10, help="replications of the fitted scenario"
    )
    p.add_argument(
        "--readme",
        help="also write the joint fit (with --ranges: the history match) between the README's "
        "calibration-table (history-table) markers",
    )
    p.add_argument(
        "--ranges",
        help="ranges YAML (see scenarios/ranges.yaml): history match the fit targets over these factors "
        "instead of the demand and joint fit; writes waves.csv, nroy.csv, ruled_out.csv, "
        "emulator_check.csv, history.md, history.png and the ensemble "
        f"(-n defaults to {HISTORY_REPLICATIONS})",
    )
    p.add_argument("--waves", type=_between(1, 10), default=3, help="with --ranges: waves, 1-10 (default 3)")
    p.add_argument(
        "--runs-per-wave",
        type=_between(4, 2000),
        default=40,
        help="with --ranges: design points per wave, 4-2000 (default 40)",
    )
    p.add_argument(
        "--days", type=_between(2, 3650), default=35, help="with --ranges: days of each run (default 35)"
    )
    p.add_argument(
        "--check-runs",
        type=_between(0, 500),
        default=10,
        help="with --ranges: fresh kept points that check the emulators, 0-500 (default 10)",
    )
    p.add_argument(
        "--ensemble-size",
        type=_between(1, 100_000),
        default=200,
        help="with --ranges: kept parameter sets written to the ensemble, 1-100000 (default 200)",
    )
    p.set_defaults(func=_cmd_calibrate, replications=None)
    p = sub.add_parser(
        "screen", help="Morris screen: which unknowns of a ranges file move which KPIs, all at once"
    )
    _add_scenario_args(p)
    _add_output_args(p, "results/screen_<name>")
    p.add_argument("--ranges", required=True, help="ranges YAML of the unknowns (see scenarios/ranges.yaml)")
    p.add_argument(
        "-r",
        "--trajectories",
        type=_between(2, 100),
        default=10,
        help="Morris trajectories, 2-100 (default 10); the screen runs r x (factors + 1) points",
    )
    p.add_argument(
        "--levels", type=_between(2, 20), default=4, help="grid levels of each range, 2-20 (default 4)"
    )
    p.add_argument(
        "-n",
        "--replications",
        type=_between(1, 100),
        default=1,
        help="replications of each point, 1-100 (default 1)",
    )
    p.add_argument(
        "--days",
        type=_between(1, 3650),
        default=None,
        help="days a run simulates, warm-up included (sets run.days; run.warmup_days stays)",
    )
    p.add_argument(
        "--kpi",
        action="append",
        default=None,
        metavar="KPI",
        help="a KPI to rank the factors by (repeatable; default: the headline, the export procedure "
        "time, exports held at 20:00, the perishable share, trucks cleared a day, the largest utilisation)",
    )
    arguments.add_seed(p, "seed of the design and the runs, 0 or more (default 0)")
    arguments.add_jobs(p)
    arguments.add_dask(p)
    p.add_argument("--readme", help="also write the tables between the README's screen-table markers")
    arguments.add_quiet(p)
    p.set_defaults(func=_cmd_screen)
    p = sub.add_parser("validate", help="compare the model with reported episodes (validation/*.yaml)")
    p.add_argument("cases", nargs="*", help="case files (default: validation/*.yaml)")
    _add_output_args(p, "results/validation")
    arguments.add_replications(p, None, help_text="replications to start from (default: the case's, 10)")
    arguments.add_max_replications(
        p, 40, "add replications until the interval is narrower than the band, up to this many"
    )
    arguments.add_seed(p)
    arguments.add_jobs(p)
    arguments.add_dask(p)
    p.add_argument("--readme", help="also write the table between the README's validation-table markers")
    p.add_argument("--strict", action="store_true", help="exit 1 when a validation case misses")
    _add_ensemble_args(p)
    arguments.add_quiet(p)
    p.set_defaults(func=_cmd_validate)
    p = sub.add_parser("report", help="write a self-contained report.html of a results folder")
    p.add_argument("folder", help="a folder written by `bordersim run`, `compare`, `sweep` or `optimise`")
    arguments.add_quiet(p)
    _add_lang(p)
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("check", help="validate a scenario and print what it resolves to")
    _add_scenario_args(p)
    p.add_argument(
        "--diff",
        nargs="?",
        const=True,
        metavar="OTHER",
        help="show what the file changes against OTHER (default: the file it extends): dotted keys "
        "old -> new, events added, removed or changed, then the load tables of both",
    )
    p.add_argument(
        "--load", action="store_true", help="demand against capacity per gate and stage, before running"
    )
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("kpis", help="list every KPI with its unit and meaning (of FILE: expanded for it)")
    p.add_argument("file", nargs="?", help="a scenario: list the KPI names it defines")
    arguments.add_set(p)
    p.add_argument("--readme", help="write the table of KPI patterns between the README's kpi-table markers")
    p.set_defaults(func=_cmd_kpis)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.set_defaults(func=_cmd_schema)
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
        print(
            f"{err.reason}: {len(err.done)} replications finished and were kept; rerun the same "
            "command with --resume to run only the missing ones. No results folder was written.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted: no results were written under the requested name", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
