"""Hashes of seeded runs of every library scenario, to show a change to the loop moves no number.

    python benchmarks/seeded_hashes.py                  # print the table and compare with the file
    python benchmarks/seeded_hashes.py --write          # rewrite benchmarks/seeded_hashes.json

Each scenario of scenarios/ (not ranges, targets or costs, which are not scenarios) runs 14 days,
one replication, seed 0, no warm-up; a scenario with events starts 3 days before its first event,
so the 14 days hold its mechanism. The truck table (every column and row, by pandas' row hashes)
and the KPIs of the run are hashed with SHA-256. The committed file holds the hashes from before a
change; a change that is said to move numbers rewrites it in the same commit and says why. Hashes
are of this machine's numpy: another numpy may draw the same streams differently, so the
comparison is for one machine, before and after, not a test run everywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
HASHES = Path(__file__).with_suffix(".json")
NOT_SCENARIOS = {"ranges", "targets", "costs"}
DAYS = 14
SEED = 0
LEAD_DAYS = 3


def library() -> list[Path]:
    """The library's scenario files, in name order."""
    return sorted(p for p in SCENARIOS.glob("*.yaml") if p.stem not in NOT_SCENARIOS)


def hashes_of(path: Path) -> dict[str, str | int]:
    """SHA-256 of the truck table and of the KPIs of a 14-day seeded run of *path*."""
    from sim.experiments.results import run
    from sim.world.scenario import load_scenario

    changes: dict[str, object] = {"run.days": DAYS, "run.warmup_days": 0}
    starts = [getattr(e.start, "date", lambda e=e: e.start)() for e in load_scenario(path).events]
    if starts:
        changes["run.start_date"] = (min(starts) - dt.timedelta(days=LEAD_DAYS)).isoformat()
    sc = load_scenario(path, changes)
    result = run(sc, SEED)
    trucks = result.trucks
    digest = hashlib.sha256()
    digest.update(",".join(map(str, trucks.columns)).encode())
    digest.update(pd.util.hash_pandas_object(trucks, index=True).to_numpy().tobytes())
    kpis = result.kpis()
    kpi_digest = hashlib.sha256(json.dumps({k: float(v) for k, v in kpis.items()}, sort_keys=True).encode())
    return {
        "trucks": len(trucks),
        "truck_table": digest.hexdigest()[:16],
        "kpis": kpi_digest.hexdigest()[:16],
    }


def main(argv: list[str] | None = None) -> int:
    """Print every scenario's hashes; say which differ from the committed file."""
    from heap_reference import require_this_checkout  # beside this script

    require_this_checkout()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the committed hashes")
    args = parser.parse_args(argv)
    now = {p.stem: hashes_of(p) for p in library()}
    before = json.loads(HASHES.read_text()) if HASHES.exists() else {}
    print("| scenario | trucks | truck table | KPIs | same as committed |")
    print("|---|---:|---|---|---|")
    differ = 0
    for name, h in now.items():
        same = before.get(name) == h
        differ += not same
        print(f"| {name} | {h['trucks']:,} | {h['truck_table']} | {h['kpis']} | {'yes' if same else 'NO'} |")
    if args.write:
        HASHES.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"wrote {HASHES.relative_to(ROOT)}")
        return 0
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
