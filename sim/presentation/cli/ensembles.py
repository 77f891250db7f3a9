"""The ``--ensemble`` option every experiment subcommand takes: its arguments, loading the
ensemble, and printing the question across its parameter sets.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.experiments.folders import RunInterruptedError
from sim.presentation.cli.common import COMPARE_KPIS, between, known_kpis
from sim.world.scenario import Scenario

MAX_ENSEMBLE_SETS = 1000
"""The most parameter sets --ensemble-sets may draw (each is a scenario replicated K times)."""


def add_ensemble_args(p: argparse.ArgumentParser) -> None:
    """``--ensemble FILE`` and how many of its parameter sets to run the question across."""
    p.add_argument(
        "--ensemble",
        metavar="FILE",
        help="also ask the question across plausible parameter sets (NAME.parquet and NAME.yaml from "
        "`bordersim calibrate --ranges`): the spread from what is unknown beside the replication interval",
    )
    p.add_argument(
        "--ensemble-sets",
        type=between(1, MAX_ENSEMBLE_SETS),
        default=20,
        metavar="M",
        help=f"parameter sets drawn from the ensemble, 1-{MAX_ENSEMBLE_SETS:,} (default 20)",
    )
    p.add_argument(
        "--ensemble-replications",
        type=between(1, 100),
        default=2,
        metavar="K",
        help="replications per parameter set, on common random numbers, 1-100 (default 2)",
    )


def ensemble_of(args: argparse.Namespace, scenarios: list[Scenario]) -> Any:
    """The ensemble --ensemble names, M sets drawn from it, checked against every scenario; or None."""
    if not getattr(args, "ensemble", None):
        return None
    return drawn_ensemble(args.ensemble, scenarios, args.ensemble_sets, args.seed)


def drawn_ensemble(path: str, scenarios: list[Scenario], m: int, seed: int) -> Any:
    """*m* sets drawn with *seed* from the ensemble at *path*, checked against every scenario."""
    from sim.studies.ensemble import load_ensemble

    whole = load_ensemble(path)
    for sc in scenarios:
        whole.ranges.check(sc)
    drawn = whole.draw(m, seed)
    drawn.provenance = {**whole.provenance, "sets_in_file": whole.m}
    return drawn


def parameter_sets(path: str, sc: Scenario, m: int, seed: int, label: str = "set") -> list[Scenario]:
    """*sc* at each of *m* sets drawn from the ensemble at *path* (named ``<name>_<label><i>``)."""
    drawn = drawn_ensemble(path, [sc], m, seed)
    return [drawn.ranges.apply(sc, row, name=f"{sc.name}_{label}{i}") for i, row in enumerate(drawn.values())]


DEFAULT_ENSEMBLE = Path("calibration/history/ensemble.parquet")
"""The baseline's ensemble, written by ``analysis/regenerate.sh history``."""


def print_unknowns_hint(args: argparse.Namespace) -> None:
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


def ensemble_kpis(sc: Scenario, first: list[str]) -> list[str]:
    """The KPIs an ensemble's spread is reported for: those the question is about, then the usual."""
    known = set(known_kpis(sc))
    headline = [sc.kpi.headline] if getattr(sc.kpi, "headline", None) else []
    return [k for k in dict.fromkeys([*headline, *first, *ENSEMBLE_KPIS, *COMPARE_KPIS]) if k in known]


def print_ensemble(
    runs: Any, tables: dict[str, Any], sc: Scenario, lang: str, base: str | None = None
) -> None:
    """Print the spread of the answer across the ensemble's parameter sets, beside the answer itself."""
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


def across(
    args: argparse.Namespace,
    ensemble: Any,
    options: list[Scenario],
    experiments: list[Any],
    kpis: list[str],
    executor: Any,
    window: Any,
    *,
    base: Scenario | None = None,
    effects: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Every option at every parameter set of *ensemble* (``--ensemble-replications`` each, on
    common random numbers) and the tables written beside the answer: the spread of *kpis* beside
    *experiments*, the paired effects (with *effects*) and the sets; ``(None, {})`` without an
    ensemble."""
    if ensemble is None:
        return None, {}
    from sim.studies.ensemble import across_ensemble

    try:
        runs = across_ensemble(
            options,
            ensemble,
            args.ensemble_replications,
            args.seed,
            args.jobs,
            executor,
            window=window,
            base=base,
        )
    except RunInterruptedError as err:  # the sets' replications are not saved for --resume
        raise RunInterruptedError(err.done, err.reason, kept=False) from None
    tables = {"ensemble": runs.spread(kpis, experiments)}
    if effects:
        tables["ensemble_effects"] = runs.effects(kpis)
    tables["ensemble_sets"] = runs.sets_table(kpis)
    return runs, tables
