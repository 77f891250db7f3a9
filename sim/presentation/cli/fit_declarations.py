"""``bordersim fit-declarations``: how late declared trucks come and how many never do, from past
declarations; the fit the forecast draws declared arrivals from (``forecast --lateness``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sim.presentation.cli.common import UsageError, add_scenario_args, scenario_from

MAX_LATENESS_FILE_BYTES = 64 * 1024 * 1024


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim fit-declarations`` with the parsed *args*; the exit status."""
    from sim.studies.forecast import fit_declarations
    from sim.world.state_files import read_past_declarations

    sc = scenario_from(args.file, args.set)
    try:
        fit = fit_declarations(read_past_declarations(sc, args.past))
    except ValueError as err:
        raise UsageError(f"{args.past}: {err}") from None
    text = json.dumps(fit, indent=1)
    if args.output:
        out = Path(args.output)
        if out.exists() and not args.force:
            raise UsageError(f"-o {args.output}: exists; add --force to replace it")
        tmp = out.with_name(f".{out.name}.partial")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(out)
    if not args.quiet:
        q = {k: fit["late_min_quantiles"].get(k, float("nan")) for k in ("q10", "q50", "q90")}
        print(
            f"{fit['n']} past declarations: {fit['no_show_share']:.1%} never came; minutes late, median "
            f"{q['q50']:.1f} (10-90%: {q['q10']:.1f} to {q['q90']:.1f})"
            + (f"; written to {args.output}" if args.output else "")
        )
    return 0


def read_lateness(path: str) -> dict[str, Any]:
    """A fit written by ``fit-declarations``, checked; a problem is a :class:`UsageError`."""
    from sim.world.scenario_files import read_guarded_bytes

    raw = read_guarded_bytes(Path(path), f"--lateness {path}", "lateness file", MAX_LATENESS_FILE_BYTES)
    try:
        fit = json.loads(raw.decode("utf-8"))
        if not isinstance(fit["late_min"], list):
            raise TypeError("late_min must be a list of minutes")
        late = [float(x) for x in fit["late_min"]]
        share = float(fit["no_show_share"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise UsageError(
            f"--lateness {path}: not a fit written by bordersim fit-declarations ({err})"
        ) from None
    if not 0 <= share < 1 or any(x != x or abs(x) > 1e6 for x in late):
        raise UsageError(
            f"--lateness {path}: no_show_share must lie in [0, 1) and late_min be finite minutes"
        )
    return {"late_min": late, "no_show_share": share}


def add_parser(sub: Any) -> None:
    """Add the ``fit-declarations`` subcommand and its arguments to *sub*."""
    p = sub.add_parser(
        "fit-declarations",
        help="fit how late declared trucks come and how many never do, from past declarations",
    )
    add_scenario_args(p)
    p.add_argument(
        "past",
        metavar="PAST",
        help="CSV of past declarations: truck_id, gate, direction, cargo, declared_at, expected_at, "
        "arrived_at (empty: never came)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the fit as JSON (for forecast --lateness)")
    p.add_argument("--force", action="store_true", help="replace -o if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=command)
