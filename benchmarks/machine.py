"""The machine a benchmark ran on, in one line for its table.

Speed here is read as ratios measured in one run, but how far apart the rounds fall, and what a
whole suite takes, depend on the machine: its processor (numpy's SIMD code too, which can move a
seeded run's last bits, see ``seeded_hashes.py``), its cores, and how busy it was.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def processor() -> str:
    """The processor's model name, as the system reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def simd_features() -> list[str]:
    """numpy's SIMD features above its baseline that it uses on this processor (as
    ``numpy.show_runtime()`` lists them under "found")."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]


def describe() -> str:
    """Processor, cores, numpy's SIMD features, Python, and the load average when this was called."""
    simd = " ".join(simd_features()) or "baseline only"
    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"
    return (
        f"Machine: {processor()}, {os.cpu_count()} cores, numpy's SIMD {simd}, Python "
        f"{platform.python_version()}; load average {load} when the measurement began."
    )


if __name__ == "__main__":
    print(describe())
