"""``bordersim calibrate``: fit demand (and the joint fit) to targets, or history match over ranges."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation.cli.common import (
    UsageError,
    add_scenario_args,
    at_least,
    between,
    check_readme,
    output_folder,
    scenario_from,
)
from sim.presentation.cli.replications import add_experiment_args, executor_of
from sim.presentation.figure_files import save_png

HISTORY_REPLICATIONS = 2
"""Replications of each history-matching point when -n is not given."""


CALIBRATE_REPLICATIONS = 6
"""Replications of each calibration point when -n is not given."""


def history_command(args: argparse.Namespace) -> int:
    """History matching over the ranges file's factors instead of the demand and joint fit."""
    import matplotlib.pyplot as plt

    from sim.presentation.history_output import figure, summary_markdown
    from sim.presentation.output import atomic_dir
    from sim.studies.calibrate import load_targets
    from sim.studies.ensemble import write_ensemble
    from sim.studies.history import history_match_scenario, provenance
    from sim.world.ranges import load_ranges

    sc = scenario_from(args.file, args.set)
    targets, _ = load_targets(args.targets)
    ranges = load_ranges(args.ranges)
    ranges.check(sc)  # every key of the ranges must be the scenario's, before anything runs
    from sim.studies.library import put_in_readme

    readme = Path(args.readme) if args.readme else None
    if readme is not None:  # before anything runs
        if not readme.is_file():
            raise UsageError(f"--readme {args.readme}: no such file")
        try:
            put_in_readme("", readme.read_text(encoding="utf-8"), "history-table")
        except ValueError as err:
            raise UsageError(f"--readme {args.readme}: {err}") from None
    n = args.replications or HISTORY_REPLICATIONS
    outdir = output_folder(args, f"history_{sc.name}")
    with claimed(outdir, args.force):
        with executor_of(args) as executor:
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
                save_png(fig, tmp / "history.png")
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


def command(args: argparse.Namespace) -> int:
    """Step 1 fits demand; with targets and parameters in the file, step 2 fits them jointly.
    With ``--ranges``, history matching over the ranges instead (:func:`history_command`)."""

    if args.ranges:
        return history_command(args)
    if args.replications is None:
        args.replications = CALIBRATE_REPLICATIONS

    import matplotlib.pyplot as plt

    from sim.presentation.joint_output import calibrated_yaml, design_table, figure, summary_markdown
    from sim.presentation.output import atomic_dir
    from sim.presentation.plots import calibration
    from sim.studies.calibrate import calibrate, fit_yaml, load_targets
    from sim.studies.joint import joint_fit
    from sim.studies.library import put_in_readme

    check_readme(args.readme, "calibration-table")
    started = time.monotonic()
    sc = scenario_from(args.file, args.set)
    targets, base_dir = load_targets(args.targets)
    if args.readme and not Path(args.readme).is_file():
        raise UsageError(f"--readme {args.readme}: no such file")
    outdir = output_folder(args, f"calibrate_{sc.name}")
    joint = None
    with claimed(outdir, args.force):
        with executor_of(args) as executor:
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
            save_png(fig, tmp / "calibration.png")
            plt.close(fig)
            if joint:
                joint.values.to_csv(tmp / "joint_fitted.csv", index=False)
                joint.table.to_csv(tmp / "targets_table.csv", index=False)
                if joint.screen is not None:
                    joint.screen.effects.to_csv(tmp / "screen.csv", index=False)
                design_table(joint).to_csv(tmp / "design.csv", index=False)
                (tmp / "calibration.md").write_text(text + "\n", encoding="utf-8")
                fig = figure(joint, targets.targets)
                save_png(fig, tmp / "response.png")
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


def add_parser(sub: Any) -> None:
    """Add the ``calibrate`` subcommand and its arguments to *sub*."""
    p = sub.add_parser(
        "calibrate", help="fit demand to targets or observed counts; write a calibrated scenario"
    )
    add_scenario_args(p)
    add_experiment_args(p, n=6, resumable=False)
    p.add_argument("--targets", required=True, help="targets YAML (see scenarios/targets.yaml)")
    p.add_argument(
        "--check-replications", type=at_least(2), default=10, help="replications of the fitted scenario"
    )
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also write the joint fit (with --ranges: the history match) between the "
        "calibration-table (history-table) markers of this Markdown file (docs/calibration.md, "
        "docs/uncertainty.md)",
    )
    p.add_argument(
        "--ranges",
        help="ranges YAML (see scenarios/ranges.yaml): history match the fit targets over these factors "
        "instead of the demand and joint fit; writes waves.csv, nroy.csv, ruled_out.csv, "
        "emulator_check.csv, history.md, history.png and the ensemble "
        f"(-n defaults to {HISTORY_REPLICATIONS})",
    )
    p.add_argument("--waves", type=between(1, 10), default=3, help="with --ranges: waves, 1-10 (default 3)")
    p.add_argument(
        "--runs-per-wave",
        type=between(4, 2000),
        default=40,
        help="with --ranges: design points per wave, 4-2000 (default 40)",
    )
    p.add_argument(
        "--days", type=between(2, 3650), default=35, help="with --ranges: days of each run (default 35)"
    )
    p.add_argument(
        "--check-runs",
        type=between(0, 500),
        default=10,
        help="with --ranges: fresh kept points that check the emulators, 0-500 (default 10)",
    )
    p.add_argument(
        "--ensemble-size",
        type=between(1, 100_000),
        default=200,
        help="with --ranges: kept parameter sets written to the ensemble, 1-100000 (default 200)",
    )
    p.set_defaults(func=command, replications=None)
