"""What the subcommands share: errors and exit codes, reading scenarios with ``--set``, outputs,
the markers of a docs page that ``--readme`` writes between, precision and windows.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from sim.presentation import arguments
from sim.world.checks import scenario_warnings
from sim.world.scenario import Scenario
from sim.world.scenario_files import (
    load_scenario,
    parse_assignment,
    read_yaml_file,
)
from sim.world.schema.names import ScenarioError

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


def scenario_from(file: str, sets: list[str] | None, warn: bool = True) -> Scenario:
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
            raise blame_arguments(err, {key: text for key, (text, _) in texts.items()}) from None
    if warn:
        for path, msg in scenario_warnings(sc):
            print(f"warning: {file}: {path}: {msg}", file=sys.stderr)
    return sc


def check_readme(readme: str | None, marker: str) -> None:
    """Refuse, before anything runs, a ``--readme`` that is no UTF-8 file of at most 1 MiB or has
    no ``<!-- marker:start -->`` ... ``<!-- marker:end -->`` to write between."""
    if not readme:
        return
    from sim.world.scenario_files import read_guarded_bytes

    raw = read_guarded_bytes(Path(readme), f"--readme {readme}", "Markdown file")
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


def blame_arguments(err: ScenarioError, texts: dict[str, str], option: str = "--set") -> ScenarioError:
    """*err* with its source replaced by the *option* arguments (``--set``, ``--vary``; *texts*:
    each argument's key and its text) its problems concern."""

    def related(path: str, key: str) -> bool:
        return not path or path == key or key.startswith(path + ".") or path.startswith(key + ".")

    blamed = [text for key, text in texts.items() if any(related(p, key) for p, _ in err.problems)]
    shown = blamed or list(texts.values())
    source = ", ".join(f"{option} {t[:100]}" for t in shown)
    if not blamed:
        source = f"{err.source} with {source}"
    return ScenarioError(source, err.problems)


at_least = arguments.whole_number
"""An argparse type: a whole number from *low* (see :func:`sim.presentation.arguments.whole_number`)."""


_fraction = arguments.fraction


def check_kpis(option: str, names: list[str], sc: Scenario) -> None:
    """Refuse, before anything runs, a KPI name the scenario does not define (with a did-you-mean)."""
    from sim.experiments.kpis import unknown_kpi_message

    for name in names:
        msg = unknown_kpi_message(name, sc)
        if msg:
            raise UsageError(f"{option} {name[:80]}: {msg}")


def replications_of(args: argparse.Namespace) -> tuple[int, float | None]:
    """Where replications start and the precision that adds more: ``-n`` alone runs exactly n;
    otherwise at least MIN_REPLICATIONS and as many as the precision needs (default 5%)."""
    if args.replications is not None and args.replications < 1:
        raise UsageError("-n must be at least 1")
    if args.precision is None and args.replications is not None:
        return args.replications, None
    precision = args.precision if args.precision is not None else DEFAULT_PRECISION
    return max(args.replications or MIN_REPLICATIONS, MIN_REPLICATIONS), precision


def kpis_for_precision(args: argparse.Namespace, sc: Scenario, answer: bool = True) -> list[str]:
    """The KPIs --precision is about: each --precision-kpi, then the headline KPI, then the
    answer's (:func:`sim.experiments.answer.answer_kpis`; with *answer* false, only those that are
    KPIs, for options judged on paired KPI differences), each once; refused before anything runs
    when the scenario does not define one."""
    from sim.experiments.answer import ANSWER, answer_kpis

    asked = list(dict.fromkeys([*(getattr(args, "precision_kpi", None) or []), sc.kpi.headline]))
    check_kpis("--precision-kpi", asked, sc)
    # Then the answer's own figures: replications follow the question, not only the headline.
    extra = [k for k in answer_kpis(sc, window_of(args, [sc])) if answer or k != ANSWER]
    return list(dict.fromkeys([*asked, *extra]))


def print_precision(found: list[tuple[str, str, Any]], precision: float, lang: str = "en") -> None:
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


def worst_precision(precisions: list[Any]) -> Any:
    """The precision furthest from its goal (the one that decides how many replications run)."""
    return max(precisions, key=lambda p: (not p.met, p.needed_n, p.half_width / p.goal if p.goal else 0))


def window_of(args: argparse.Namespace, scenarios: list[Scenario]) -> Any:
    """The --window as dates, checked against every scenario's run before anything is simulated."""
    text = getattr(args, "window", None)
    if not text:
        return None
    from sim.experiments.window import parse_window, window_minutes

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


def add_scenario_args(p: argparse.ArgumentParser, many: bool = False) -> None:
    """The scenario FILE (or FILES with *many*) and ``--set KEY=VALUE`` changes."""
    p.add_argument("file", nargs="+" if many else None, help="scenario YAML file" + ("s" if many else ""))
    arguments.add_set(p)


def add_output_args(p: argparse.ArgumentParser, default: str = "results/<name>") -> None:
    """``-o/--output`` (default *default*) and ``--force`` to replace a folder this tool wrote."""
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
            parent = parent_of(str(f))
        except (OSError, ValueError, yaml.YAMLError):
            parent = None
        if parent is not None:
            todo.append(parent)
    return seen


def output_folder(args: argparse.Namespace, folder: str) -> Path:
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


def add_lang(p: argparse.ArgumentParser, summary: bool = True) -> None:
    """``--lang en|vi``: the language of what is printed and written; *summary* False for a
    command whose console summary is in English whatever the language (its help says so)."""
    what = (
        "the summary, the figures and the report"
        if summary
        else (
            "the figures and the report's answer and tables (the console summary and the report's "
            "optimise.txt stay in English)"
        )
    )
    p.add_argument(
        "--lang",
        choices=["en", "vi"],
        default="en",
        help=f"language of {what}: en, or vi (tiếng Việt; report.vi.html)",
    )


between = arguments.whole_number


MAX_POINTS = arguments.MAX_POINTS


add_max_points = arguments.add_max_points


def check_grid(option: str, sizes: list[int], limit: int) -> None:
    """Refuse, before any point is built, a grid of more points than *limit*."""
    total = math.prod(sizes)
    if total > limit:
        shape = " x ".join(str(n) for n in sizes)
        raise UsageError(
            f"{option}: the grid has {total:,} points ({shape} values), more than {limit:,}; give fewer "
            "values per key, or raise the limit with --max-points if you mean it"
        )


def known_kpis(sc: Scenario) -> list[str]:
    """The KPI names a scenario's runs give (from a one-day run of it)."""
    from sim.experiments.results import run

    return list(run(sc.with_changes({"run.days": 1, "run.warmup_days": 0}), seed=0).kpis().index)


def safe_name(text: str) -> str:
    """*text* as a scenario name (letters, digits, '_', '-', '.')."""
    import re

    return (re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "option")[:80]


def parent_of(file: str) -> Path | None:
    """The file *file* extends, or None."""
    data = read_yaml_file(Path(file), file)
    parent = data.get("extends")
    return Path(file).parent / parent if isinstance(parent, str) else None


COMPARE_KPIS = ["time_in_system_h_mean", "cleared_per_day_mean", "perishable_over_threshold_share"]
"""The KPIs ``bordersim compare`` prints the paired effect of, after those precision is about."""
