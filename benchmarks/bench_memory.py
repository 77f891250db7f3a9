"""Peak memory of ``bordersim run`` as a user runs it: the whole process, measured from outside.

    python benchmarks/bench_memory.py [--days 365] [-n 1] [--no-plots] [--jobs N]

Runs the installed ``bordersim run scenarios/baseline.yaml --set run.days=DAYS`` in a child
process (with plots unless told otherwise) and reads the child's peak resident set size from
``getrusage(RUSAGE_CHILDREN)`` after it ends. That is the largest of the processes it started and
waited for (the command itself, or a pool worker), so it is what the machine must hold at once
for one process. Target: a 365-day replication of the baseline under 1 GiB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
GIB = 1024**3
MIB = 1024**2
TARGET_BYTES = GIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("-n", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args()
    exe = shutil.which("bordersim")
    command = [exe] if exe else [sys.executable, "-m", "sim.presentation.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            *command,
            "run",
            str(BASELINE),
            "--set",
            f"run.days={args.days}",
            "-n",
            str(args.n),
            "-o",
            str(Path(tmp) / "out"),
            "-q",
        ]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        if args.no_plots:
            cmd.append("--no-plots")
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall_s = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"bordersim failed ({done.returncode}):\n{done.stderr}")
        trucks = _trucks(Path(tmp) / "out" / "trucks.parquet")
    peak_bytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    print(" ".join(cmd[len(command) :]))
    print(f"  wall time: {wall_s:.1f} s; trucks in replication 0: {trucks:,}")
    print(
        f"  peak RSS of the largest process: {peak_bytes / MIB:,.0f} MiB "
        f"({peak_bytes / TARGET_BYTES:.2f} of the 1 GiB target; {peak_bytes / max(trucks, 1):,.0f} "
        "bytes per truck)"
    )


def _trucks(path: Path) -> int:
    if not path.exists():
        return 0
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


if __name__ == "__main__":
    main()
