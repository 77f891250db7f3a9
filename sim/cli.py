"""The ``bordersim`` command: run, check and describe scenarios.

Bad input ends with a message naming the file, key and problem on stderr and exit status 2;
an interrupted run exits 130 and leaves no results folder under the requested name.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from sim.scenario import Scenario, ScenarioError, load_scenario, parse_assignment, scenario_schema

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _scenario_from(args: argparse.Namespace) -> Scenario:
    changes = dict(parse_assignment(text) for text in args.set or [])
    return load_scenario(args.file, changes)


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario YAML file")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a key, e.g. --set gates.huu_nghi.customs_docs.lanes=6 (repeatable)",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.output import write_run
    from sim.results import run

    sc = _scenario_from(args)
    outdir = Path(args.output or Path("results") / sc.name)
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=sc.run.days, unit="day", desc=sc.name, disable=not show) as bar:
        result = run(sc, seed=args.seed, progress=lambda day, days: bar.update(1))
    write_run(result, outdir, plots=not args.no_plots)
    k = result.kpis()
    if not args.quiet:
        days = sc.run.days - sc.run.warmup_days
        print(
            f"{sc.name}: {len(result.trucks):,} trucks over {sc.run.days} days, seed {args.seed}, "
            f"simulated in {result.wall_s:.1f} s"
        )
        print(
            f"  cleared per day (last {days} days): mean {k['cleared_per_day_mean']:,.0f}, "
            f"P95 {k['cleared_per_day_p95']:,.0f}, max {k['cleared_per_day_max']:,.0f}; "
            f"days above {sc.kpi.daily_peak_ref:,.0f}: {k['days_above_peak_ref']:.0f}"
        )
        print(
            f"  time in system: mean {k['time_in_system_h_mean']:.1f} h; "
            f"perishables over {sc.kpi.perishable_threshold_h:g} h: "
            f"{k['perishable_over_threshold_share']:.1%}"
        )
        for gate in sc.gates:
            print(
                f"  {sc.gates[gate].label}: road queue mean "
                f"{k[f'road_queue_trucks_mean_{gate}_export']:.0f} "
                f"trucks (max {k[f'road_queue_km_max_{gate}_export']:.1f} km); "
                f"backlog at the end {k[f'backlog_end_{gate}']:.0f}"
            )
        print(f"  results in {outdir}/")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    sc = _scenario_from(args)
    print(f"# {args.file}: valid scenario {sc.name!r}, resolved:")
    print(yaml.safe_dump(sc.to_dict(), sort_keys=False, allow_unicode=True), end="")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_schema(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bordersim",
        description="Discrete-event simulation of truck traffic at the Huu Nghi and Tan Thanh border gates.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="simulate a scenario and write results and plots")
    _add_scenario_args(p)
    p.add_argument("-o", "--output", help="results folder (default: results/<scenario name>)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("check", help="validate a scenario and print what it resolves to")
    _add_scenario_args(p)
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.set_defaults(func=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no results were written under the requested name", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
