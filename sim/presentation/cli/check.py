"""``bordersim check``: validate a scenario and print what it resolves to (``--diff``, ``--load``)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from sim.presentation.cli.common import add_scenario_args, parent_of, scenario_from
from sim.world.scenario import Scenario
from sim.world.scenario_files import (
    load_scenario,
)
from sim.world.yaml_guard import guarded_dump


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
        print(f"warning: {r.flag}: {r.gate} {r.stage} at {_pct(r.utilisation)} of its open-hour capacity")
    _print_episode_loads(sc, table.set_index(["gate", "stage"])["utilisation"], before)


def _pct(u: float | None) -> str:
    """A utilisation as a percentage that never reads as a flag's threshold it is below: 0.9998
    is "99.9%", not "100%" beside no OVER (likewise 85% for HIGH)."""
    from sim.world.load import HIGH

    if u == float("inf"):
        return "closed"  # demand and no capacity over the days
    if u is None or u != u:
        return ""
    text = f"{u:.0%}"
    if any(u < bound and text == f"{bound:.0%}" for bound in (HIGH, 1.0)):
        text = f"{math.floor(u * 1000) / 10:.1f}%"
    return text


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
            if r.flag == "CLOSED":
                print(
                    f"warning: {_stage_words(sc, r.gate, r.stage)} closed throughout {first}..{last} "
                    f"({r.demand_per_day:.0f} trucks a day and no capacity: they wait for it to reopen)"
                )
                continue
            print(
                f"warning: {_stage_words(sc, r.gate, r.stage)} {_pct(r.utilisation)} {r.flag} during "
                f"{first}..{last} ({r.demand_per_day:.0f} trucks a day against {r.capacity_per_day:.0f})"
            )


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim check`` with the parsed *args*; the exit status."""
    from sim.world.event_diff import diff_events
    from sim.world.scenario import diff_scenarios

    sc = scenario_from(args.file, args.set)
    if not (args.diff or args.load):
        print(f"# {args.file}: valid scenario {sc.name!r}, resolved:")
        print(guarded_dump(sc.to_dict()), end="")
        return 0
    before = None
    if args.diff:
        other = parent_of(args.file) if args.diff is True else Path(args.diff)
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


def add_parser(sub: Any) -> None:
    """Add the ``check`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("check", help="validate a scenario and print what it resolves to")
    add_scenario_args(p)
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
    p.set_defaults(func=command)
