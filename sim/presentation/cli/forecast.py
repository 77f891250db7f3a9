"""``bordersim forecast``: the next hours from the state now (STATE) and the platform's
declarations (DECLARED), as bands over replications; ``bordersim run --snapshot`` writes both
from a simulated run."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from sim.experiments.folders import claimed
from sim.presentation import arguments
from sim.presentation.cli.common import add_output_args, add_scenario_args, output_folder, scenario_from
from sim.presentation.cli.ensembles import parameter_sets
from sim.presentation.glossary import gate_name, median_text, tr
from sim.world.calendar import MIN_PER_H

MAX_FORECAST_HOURS = 24 * 14
"""The longest forecast: two weeks (what is declared reaches a day or two ahead)."""


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim forecast`` with the parsed *args*; the exit status."""
    from sim.presentation.forecast_output import write_forecast
    from sim.studies.forecast import forecast
    from sim.world.state_files import read_state

    sc = scenario_from(args.file, args.set)
    state = read_state(sc, args.state, args.declared, args.at)
    recent = None
    if args.recent:
        from sim.world.state_files import read_recent

        recent = read_recent(sc, args.recent, state.at_min)
    started = time.perf_counter()
    outdir = output_folder(args, f"{sc.name}_forecast")
    lateness = None
    if args.lateness:
        from sim.presentation.cli.fit_declarations import read_lateness

        lateness = read_lateness(args.lateness)
    sets = parameter_sets(args.ensemble, sc, args.ensemble_sets, args.seed) if args.ensemble else None
    fc = forecast(
        sc,
        state,
        hours=args.hours,
        n=args.replications,
        seed=args.seed,
        lateness=lateness,
        parameter_sets=sets,
        jobs=args.jobs or os.cpu_count() or 1,
    )
    with claimed(outdir, args.force):
        write_forecast(fc, outdir, force=args.force, lang=args.lang, report=args.report, recent=recent)
    if not args.quiet:
        print_forecast(fc, Path(outdir), time.perf_counter() - started, args.lang)
    return 0


def print_forecast(fc: Any, outdir: Path, secs: float, lang: str = "en") -> None:
    """The forecast's heading, what it started from, trucks held at the next evening count and what
    it assumed."""
    from sim.presentation.forecast_output import assumption_text, held_total, next_clock

    sc = fc.scenario
    print(tr("forecast.heading", lang, as_of=fc.as_of, hours=fc.hours, n=fc.n, out=outdir, secs=secs))
    sw = fc.started_with
    trucks = int(sw.loc[~sw["place"].isin(["enroute", "outside"]), "trucks"].sum())
    print(tr("forecast.started", lang, trucks=trucks, declared=fc.declared_used))
    for r in sw.itertuples():
        where = f"{gate_name(sc, r.gate, lang)} {tr(r.direction, lang)} {tr('place.' + r.place, lang)}"
        print(f"  {where}: {r.trucks}")
    h, m = (int(x) for x in sc.kpi.held_clock.split(":"))
    when = next_clock(fc, h * MIN_PER_H + m)
    rows = held_total(fc)
    for r in rows[rows["time"] == when].itertuples():
        print(
            "  "
            + tr(
                "forecast.held_at",
                lang,
                gate=gate_name(sc, r.gate, lang),
                direction=tr(r.direction, lang),
                time=when,
                median=median_text(r.q50, lang),
                q05=r.q05,
                q95=r.q95,
                n=r.n,
            )
        )
    t = fc.table
    queues = t[(t["quantity"] == "held") & t["place"].isin(["road", "park"])]
    for (gate, direction, place), g in queues.groupby(["gate", "direction", "place"], sort=False):
        busy = g[g["q50"] >= 1]
        if busy.empty:
            continue
        peak = g.loc[g["q50"].idxmax()]
        words = {
            "gate": gate_name(sc, gate, lang),
            "direction": tr(direction, lang),
            "place": tr(f"place.{place}", lang),
        }
        print(
            "  "
            + tr(
                "forecast.queue",
                lang,
                **words,
                first=busy["time"].iloc[0],
                peak=median_text(peak["q50"], lang),
                at=peak["time"],
            )
        )
    print(tr("forecast.assumed", lang))
    for a in fc.assumptions:
        print(f"  - {assumption_text(a, lang)}")


def add_parser(sub: Any) -> None:
    """Add the ``forecast`` subcommand and its arguments to *sub*."""
    p = sub.add_parser(
        "forecast",
        help="forecast the next hours from the state now and the platform's declarations",
        description="Start every truck of STATE at its place, let the declared trucks of DECLARED "
        "arrive, add the trucks not yet declared from the scenario's demand, and run on: trucks held "
        "by place hour by hour, and the time a truck arriving at each coming hour needs, as bands "
        "over replications (forecast.csv, a figure per gate). The columns of both files: "
        "bordersim schema --state.",
    )
    add_scenario_args(p)
    p.add_argument("--state", required=True, metavar="STATE", help="CSV of the trucks in the system now")
    p.add_argument("--declared", metavar="DECLARED", help="CSV of the declarations of trucks not yet arrived")
    p.add_argument(
        "--at",
        metavar="TIME",
        help="the state's clock time 'YYYY-MM-DD HH:MM' where STATE has no as_of column "
        "(must agree with one)",
    )
    p.add_argument(
        "--hours",
        type=arguments.whole_number(1, MAX_FORECAST_HOURS),
        default=48,
        help=f"hours ahead, 1 to {MAX_FORECAST_HOURS} (default 48)",
    )
    p.add_argument(
        "--recent",
        metavar="FILE",
        help="CSV of trucks held before as_of (time, gate, direction, held; run --snapshot writes "
        "recent.csv): each gate's figure starts from it",
    )
    p.add_argument(
        "--lateness",
        metavar="FILE",
        help="how late declared trucks come and how many never do (bordersim fit-declarations -o FILE); "
        "default: on time, all come",
    )
    p.add_argument(
        "--ensemble",
        metavar="FILE",
        help="run the replications across plausible parameter sets (NAME.parquet from bordersim calibrate "
        "--ranges): the bands then hold what the model does not know as well as randomness",
    )
    p.add_argument(
        "--ensemble-sets",
        type=arguments.whole_number(1, 10_000),
        default=20,
        metavar="M",
        help="parameter sets drawn from the ensemble, used in turn by the replications (default 20)",
    )
    arguments.add_replications(p, 100)
    arguments.add_seed(p)
    arguments.add_jobs(p)
    add_output_args(p, "results/<name>_forecast")
    p.add_argument(
        "--lang", choices=["en", "vi"], default="en", help="language of the summary and the figures: en or vi"
    )
    p.add_argument(
        "--report", action="store_true", help="also write report.html (report.vi.html with --lang vi)"
    )
    arguments.add_quiet(p)
    p.set_defaults(func=command)
