"""Shared fixtures: a scenario reduced to a textbook queue, and the baseline."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import os
import shutil
import signal
import subprocess
import sys
import traceback
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from sim import Scenario, load_scenario, validate_scenario
from sim.world.demand import Arrivals

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

_OFF = {"enabled": False, "lanes": 1, "service_min": {"default": {"dist": "fixed", "value": 1}}}

TEXTBOOK: dict[str, Any] = {
    "name": "textbook",
    "run": {"start_date": "2025-01-06", "days": 30, "warmup_days": 1, "sample_interval_min": 60},
    "cargo_classes": {"general": {}},
    "platform": {
        "enabled": False,
        "lead_time_h": {"dist": "fixed", "value": 1},
        "auto_check_min": {"dist": "fixed", "value": 1},
        "officers": 1,
        "review_min": {"dist": "fixed", "value": 1},
        "returned_share": 0,
        "correction_h": {"dist": "fixed", "value": 1},
    },
    "risk": {
        "channel_shares": {"default": {"green": 1, "yellow": 0, "red": 0}},
        "quarantine_share": {"default": 0},
    },
    "demand": {
        "weekday_factors": [1] * 7,
        "month_factors": {"default": [1] * 12},
        "day_to_day_cv": 0,
        "hourly_profile": {"export": [1] * 24, "import": [1] * 24},
    },
    "gates": {
        "g": {
            "label": "Test gate",
            "demand_trucks_per_day": {"import": {"general": 240}},
            "parking": {"export": {"places": None}, "import": {"places": None}},
            "hours": "always",
            "declaration_counter": dict(_OFF),
            "gate_control": {"lanes": 1, "service_min": {"default": {"dist": "exponential", "mean": 4.2}}},
            "customs_docs": dict(_OFF),
            "inspection": dict(_OFF),
            "quarantine": dict(_OFF),
            "routes": {
                "main": {
                    "share": {"export": {"default": 1}, "import": {"default": 1}},
                    "china_check": {
                        "enabled": False,
                        "lanes": 1,
                        "service_min": {"default": {"dist": "fixed", "value": 1}},
                    },
                    "crossing": {
                        "enabled": False,
                        "lanes": 1,
                        "trailer_swap_min": {"dist": "fixed", "value": 1},
                        "direct_min": {"dist": "fixed", "value": 1},
                    },
                }
            },
        }
    },
}
"""One gate, imports only, Poisson arrivals at a constant rate, one stage with exponential service."""


def textbook(changes: dict[str, Any] | None = None) -> Scenario:
    """The textbook scenario with dotted-key *changes* applied."""
    sc = validate_scenario(copy.deepcopy(TEXTBOOK), "textbook")
    return sc.with_changes(changes or {})


def hand_made(times_min: list[float], direction: int = 1, gate: int = 0, cargo: int = 0) -> Arrivals:
    """Arrivals at exact minutes, for timeline tests."""
    n = len(times_min)
    return Arrivals(
        np.asarray(times_min, dtype=float),
        np.full(n, gate, dtype=np.int8),
        np.full(n, direction, dtype=np.int8),
        np.full(n, cargo, dtype=np.int8),
    )


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


def bordersim_command() -> list[str]:
    """The installed ``bordersim`` command (or the module, from a bare source tree)."""
    exe = shutil.which("bordersim")
    return [exe] if exe else [sys.executable, "-m", "sim.presentation.cli"]


def bordersim_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``bordersim`` with *args* in a process of its own and capture what it says."""
    cmd = [*bordersim_command(), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600, check=False)


# The warning filters of a fresh interpreter, read before any test changes them: a command run in
# this process shows the warnings a process of its own would print.
_FRESH_FILTERS = list(warnings.filters)


def bordersim_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``bordersim`` with *args* through the command line's ``main`` in this process, as the
    installed script does, and capture what it says: its standard output and error, its exit
    status (argparse's exits included) and, for an exception ``main`` lets through, the traceback
    a process would print with status 1. The working folder, the signal handlers ``main`` sets,
    the warning filters and figures left open are put back as they were."""
    from sim.experiments.replications import forget_shared_draws
    from sim.presentation.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        err.write(warnings.formatwarning(message, category, filename, lineno, line))

    argv = sys.argv
    try:
        sys.argv = ["bordersim", *args]  # what a process would see (a README block records it)
        if cwd is not None:
            os.chdir(cwd)
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),
        ):
            warnings.filters[:] = _FRESH_FILTERS
            warnings.showwarning = show
            try:
                code = main(list(args)) or 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
                if isinstance(stop.code, str):
                    err.write(stop.code + "\n")
            except Exception:  # a process would print it and exit 1
                traceback.print_exc(file=err)
                code = 1
    finally:
        sys.argv = argv
        os.chdir(here)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        forget_shared_draws()
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    return subprocess.CompletedProcess(["bordersim", *args], code, out.getvalue(), err.getvalue())


def bordersim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``bordersim`` with *args* and capture what it says: in this process (what a test of the
    command's words, files and exit status needs, without a second interpreter's start and imports
    each time), or in a process of its own when ``BORDERSIM_TEST_PROCESS=1`` and for a command on
    a Dask cluster (whose threads and logging would stay behind in this process).
    ``tests/test_command_line.py`` holds the two to the same output on commands of every kind."""
    if os.environ.get("BORDERSIM_TEST_PROCESS") == "1" or "--dask" in args:
        return bordersim_process(*args, cwd=cwd)
    return bordersim_in_process(*args, cwd=cwd)


MECHANISM_CASES = (
    "baseline_14d",
    "returned_declarations",
    "shorter_queue",
    "turn_away",
    "park_call_forward",
    "closure",
)
"""Cases of benchmarks/heap_reference.py (``load_case``), one per mechanism a truck can meet: the
cases that run a change both ways and ask for the same trucks."""


def load_benchmark(name: str) -> ModuleType:
    """A module of benchmarks/ under its own name (the references import each other by name)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def china_hours_event(direction: str, close: str, start: str = "2025-10-06", end: str = "2025-10-12") -> dict:
    """Other hours (08:00 to *close*) at Huu Nghi's Chinese checkpoints for one direction."""
    return {
        "kind": "extended_hours",
        "start": start,
        "end": end,
        "gates": ["huu_nghi"],
        "stages": ["china_check"],
        "directions": [direction],
        "hours": {"open": "08:00", "close": close},
    }
