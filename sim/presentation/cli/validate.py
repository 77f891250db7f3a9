"""``bordersim validate``: compare the model with reported episodes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.experiments.folders import (
    claimed,
)
from sim.presentation import arguments
from sim.presentation.cli.common import UsageError, add_output_args, check_readme, output_folder
from sim.presentation.cli.ensembles import add_ensemble_args, ensemble_of
from sim.presentation.cli.replications import executor_of


def command(args: argparse.Namespace) -> int:
    """Run ``bordersim validate`` with the parsed *args*; the exit status."""
    import pandas as pd

    from sim.presentation.output import atomic_dir
    from sim.studies.library import put_in_readme
    from sim.studies.validation import across_ensemble_case, counted, load_case, markdown, run_case

    check_readme(args.readme, "validation-table")
    files = args.cases or sorted(str(p) for p in Path("validation").glob("*.yaml"))
    if not files:
        raise UsageError("no validation cases: name case files or run from the project folder")
    cases = [load_case(f) for f in files]  # every file checked before anything runs
    ensemble = ensemble_of(args, [])
    outdir = output_folder(args, "validation")
    rows = []
    with claimed(outdir, args.force):
        with executor_of(args) as executor:
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


def add_parser(sub: Any) -> None:
    """Add the ``validate`` subcommand and its arguments to *sub*."""
    p = sub.add_parser("validate", help="compare the model with reported episodes (validation/*.yaml)")
    p.add_argument("cases", nargs="*", help="case files (default: validation/*.yaml)")
    add_output_args(p, "results/validation")
    arguments.add_replications(p, None, help_text="replications to start from (default: the case's, 10)")
    arguments.add_max_replications(
        p, 40, "add replications until the interval is narrower than the band, up to this many"
    )
    arguments.add_seed(p)
    arguments.add_jobs(p)
    arguments.add_dask(p)
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also write the table between the validation-table markers "
        "of this Markdown file (docs/validation.md)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when a validation case misses")
    add_ensemble_args(p)
    arguments.add_quiet(p)
    p.set_defaults(func=command)
