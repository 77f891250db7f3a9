"""Hashes of seeded runs of every library scenario, to show a change to the loop moves no number.

    python benchmarks/seeded_hashes.py                  # print the table and compare with the file
    python benchmarks/seeded_hashes.py --write          # rewrite benchmarks/seeded_hashes.json
    python benchmarks/seeded_hashes.py --this-processor # with all of this processor's SIMD code

Each scenario of scenarios/ (not ranges, targets or costs, which are not scenarios) runs 14 days,
one replication, seed 0, no warm-up; a scenario with events starts 3 days before its first event,
so the 14 days hold its mechanism. The truck table (every column and row, by pandas' row hashes)
and the KPIs of the run are hashed with SHA-256. The committed file holds the hashes from before a
change; a change that is said to move numbers rewrites it in the same commit and says why. Hashes
are of this machine's numpy: another numpy may draw the same streams differently, and so may the
same numpy on another processor (numpy picks its SIMD code for the processor it runs on, and its
AVX-512 functions can round a last bit otherwise than its AVX2 ones), so the comparison is for one
machine, before and after, not a test run everywhere. The file records the versions of numpy,
pandas and simpy and numpy's SIMD features it was written with, and the table says when they
differ. On a processor with more features than the file's, the script runs itself again with
numpy told to leave the others off (``NPY_DISABLE_CPU_FEATURES``), so that it compares like with
like; ``--this-processor`` keeps them all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from machine import simd_features  # beside this script

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
HASHES = Path(__file__).with_suffix(".json")
NOT_SCENARIOS = {"ranges", "targets", "costs"}
DAYS = 14
SEED = 0
LEAD_DAYS = 3


VERSIONS_KEY = "_versions"


def versions() -> dict[str, str]:
    """The versions of the libraries whose draws and hashes the file's numbers depend on."""
    import numpy
    import simpy

    return {
        "numpy": numpy.__version__,
        "numpy_simd": simd_features(),
        "pandas": pd.__version__,
        "simpy": simpy.__version__,
    }


def like_the_file(recorded: dict) -> list[str] | None:
    """The SIMD features to switch off so that numpy runs as when the file was written: those this
    processor has beyond the file's, or None when there are none or the file has the others on."""
    wanted = recorded.get("numpy_simd")
    if wanted is None:
        return None
    found = simd_features()
    extra = [f for f in found if f not in wanted]
    if not extra or any(f not in found for f in wanted):
        return None
    return extra


def library() -> list[Path]:
    """The library's scenario files, in name order."""
    return sorted(p for p in SCENARIOS.glob("*.yaml") if p.stem not in NOT_SCENARIOS)


def hashes_of(path: Path) -> dict[str, str | int]:
    """SHA-256 of the truck table and of the KPIs of a 14-day seeded run of *path*."""
    from sim import load_scenario, run  # the public names, which a move of modules keeps

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
    parser.add_argument(
        "--this-processor",
        action="store_true",
        help="use every SIMD feature of this processor, even those the file was written without",
    )
    args = parser.parse_args(argv)
    before = json.loads(HASHES.read_text()) if HASHES.exists() else {}
    # Rewritten hashes keep the file's features too, so that the file stays comparable on the
    # processors it was comparable on (unless --this-processor asks otherwise).
    extra = None if args.this_processor else like_the_file(before.get(VERSIONS_KEY, {}))
    if extra and "NPY_DISABLE_CPU_FEATURES" not in os.environ:
        print(
            f"numpy's {' '.join(extra)} switched off, as on the processor the file was written on", flush=True
        )
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(extra)}
        again = [sys.executable, __file__, *(sys.argv[1:] if argv is None else argv)]
        return subprocess.run(again, env=env, check=False).returncode
    now = {p.stem: hashes_of(p) for p in library()}
    if before.get(VERSIONS_KEY, {}) != versions():
        print(
            f"written with {before.get(VERSIONS_KEY, 'unrecorded versions')}, run with {versions()}: "
            "hashes may differ for that alone"
        )
    print("| scenario | trucks | truck table | KPIs | same as committed |")
    print("|---|---:|---|---|---|")
    differ = 0
    for name, h in now.items():
        if name == VERSIONS_KEY:
            continue
        same = before.get(name) == h
        differ += not same
        print(f"| {name} | {h['trucks']:,} | {h['truck_table']} | {h['kpis']} | {'yes' if same else 'NO'} |")
    if args.write:
        HASHES.write_text(json.dumps({**now, VERSIONS_KEY: versions()}, indent=1, sort_keys=True) + "\n")
        print(f"wrote {HASHES.relative_to(ROOT)}")
        return 0
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
