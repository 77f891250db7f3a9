"""Is there a hidden jam in the baseline? The 2025 year, month by month.

Runs scenarios/baseline_2025.yaml (the baseline over the 365 days of 2025, with Tet, the
holidays and that year's changes of hours, park and road lanes) and applies issue 6's "no hidden
jam" criterion (:func:`sim.studies.baseline_checks.hidden_jam`): no queue grows in any month, the export
backlog returns to its normal level after each disruption, and the busiest Chinese checkpoint
stays below 90% busy in its open hours in the busiest month. Writes a markdown report:

    nice -n 10 python analysis/baseline_2025.py -n 10 --seed 0 \
        --monthly-csv analysis/baseline_2025_monthly.csv > analysis/baseline_2025.md

The criteria and their thresholds were committed before the first result (sim/studies/baseline_checks.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import sim
from sim.experiments.designs import replicate
from sim.experiments.results import GROWTH_RULE
from sim.studies.baseline_checks import (
    CHECKPOINT_BUSY_MAX,
    EXPORT_PER_DAY,
    EXPORT_PROCEDURE_H,
    FRUIT_TO_CHINA_RATIO_MAX,
    IMPORT_PER_DAY,
    IMPORT_PROCEDURE_H_MAX,
    NORMAL_QUANTILE,
    RETURN_DAYS,
    JamCheck,
    hidden_jam,
    month_failures,
)

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline_2025.yaml"


def _cell(value: object, digits: int = 0) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.{digits}f}"
    return "" if value is None else str(value)


def month_section(failures: list[str], months: list[str]) -> list[str]:
    """The baseline's month checks (tests/test_baseline.py runs them on October) on every month."""
    lines = [
        "",
        "## The baseline checks, month by month",
        "",
        "The checks tests/test_baseline.py runs on October (sim/studies/baseline_checks.py, "
        "bands written "
        f"before the first result): exports cleared {EXPORT_PER_DAY[0]:g}-{EXPORT_PER_DAY[1]:g} a day, "
        f"imports {IMPORT_PER_DAY[0]:g}-{IMPORT_PER_DAY[1]:g} a day, export procedure time "
        f"{EXPORT_PROCEDURE_H[0]:g}-{EXPORT_PROCEDURE_H[1]:g} h, import procedure time at most "
        f"{IMPORT_PROCEDURE_H_MAX:g} h, fruit exports' time to China at most "
        f"{FRUIT_TO_CHINA_RATIO_MAX:g} of general cargo's, no queue growing; means over the replications.",
        "",
        "| month | misses |",
        "|---|---|",
    ]
    for month in months:
        mine = [f.split(": ", 1)[1] for f in failures if f.startswith(f"{month}: ")]
        lines.append(f"| {month} | {'; '.join(mine) if mine else 'none'} |")
    return lines


def report(check: JamCheck, wall_s: float, seed: int, command: str, failures: list[str] | None = None) -> str:
    """The markdown report of one :class:`JamCheck` (and the month checks' *failures*)."""
    mean, low, high = check.busiest_utilisation
    lines = [
        "# No hidden jam? The baseline over 2025, month by month",
        "",
        f"n = {check.n} replications of scenarios/baseline_2025.yaml (seed {seed}; 7 warm-up days "
        f"from 25 Dec 2024, then the 365 days of 2025), means over the replications. "
        f"Wall time {wall_s / 60:.1f} min on one core (`{command}`).",
        "",
        "## Verdict",
        "",
    ]
    for name, ok in check.verdicts.items():
        lines.append(f"- {name}: **{'PASS' if ok else 'FAIL'}**")
    lines += [
        "",
        f"Overall: **{'no hidden jam' if check.passed else 'the baseline fails the no-hidden-jam check'}**.",
        "",
        "## Criteria (written before the first result)",
        "",
        f"1. No queue grows in any month: {GROWTH_RULE}; a gate and direction counts when its queue "
        "grows in more than half of the replications.",
        f"2. The export backlog returns to its normal level: H = exports held at 20:00 (province "
        f"total, mean over the replications). Normal days are the days after the warm-up outside "
        f"every disruption (closure, capacity cut, demand change) and the {RETURN_DAYS} days after "
        f"it; normal level = median of H on normal days, its upper edge the "
        f"{NORMAL_QUANTILE:.0%} quantile. A disruption returns when H is at or below that edge on "
        f"some day within {RETURN_DAYS} days after its last day.",
        f"3. The busiest Chinese checkpoint (highest mean utilisation in its open hours) in the "
        f"busiest month (highest mean trucks cleared a day): the upper end of the 95% interval "
        f"of its utilisation is below {CHECKPOINT_BUSY_MAX:.0%}. The reported route capacities "
        "(~800 and ~400 a day) are nominal capacities, not flows, and are not compared here.",
        "",
        "## Month by month",
        "",
        "| month | cleared a day | exports | imports | export procedure (h) | exports held at 20:00 "
        "| busiest Chinese checkpoint | busy | queue grows |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in check.months.itertuples():
        growing = r.growing if r.judged else "not judged (short month)"
        lines.append(
            f"| {r.month} | {_cell(r.cleared_per_day)} | {_cell(r.exports_per_day)} | "
            f"{_cell(r.imports_per_day)} | {_cell(r.export_procedure_h, 2)} | {_cell(r.exports_held)} | "
            f"{r.busiest_checkpoint} | {r.checkpoint_busy:.0%} | {growing} |"
        )
    lines += [
        "",
        f"Busiest month: {check.busiest_month}; busiest checkpoint there: {check.busiest_checkpoint}, "
        f"{mean:.1%} [{low:.1%}, {high:.1%}] busy in its open hours (95% interval, n = {check.n}).",
        "",
        "## After each disruption",
        "",
        f"Normal level of exports held at 20:00: median {check.normal_level:,.0f}, upper edge "
        f"({NORMAL_QUANTILE:.0%} quantile) {check.normal_upper:,.0f}.",
        "",
        "| from | to | events | peak held | back at normal on | days after | returns |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in check.returns.itertuples():
        verdict = "not judged (run ends)" if r.returns is None else ("yes" if r.returns else "NO")
        lines.append(
            f"| {r._1} | {r.to} | {r.events} | {_cell(r.peak_held)} | {_cell(r.back_on)} | "
            f"{_cell(r.days_after)} | {verdict} |"
        )
    if failures is not None:
        lines += month_section(failures, [str(m) for m in check.months["month"]])
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the year and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--days", type=int, default=None, help="shorter run, for trying the script")
    parser.add_argument("--monthly-csv", default=None, help="also write the month-by-month summary here")
    args = parser.parse_args()
    changes = {"run.days": args.days} if args.days else {}
    sc = sim.load_scenario(SCENARIO, changes)
    started = time.perf_counter()
    exp = replicate(sc, args.replications, args.seed, jobs=1, keep_series=False, keep_runs=0)
    wall = time.perf_counter() - started
    command = f"python analysis/baseline_2025.py -n {args.replications} --seed {args.seed}"
    if args.days:
        command += f" --days {args.days}"
    pd.set_option("display.width", 200)
    if args.monthly_csv:
        exp.monthly_summary().to_csv(args.monthly_csv, index=False)
    print(report(hidden_jam(exp), wall, args.seed, command, month_failures(exp)), end="")


if __name__ == "__main__":
    main()
