"""Shared fixtures: a scenario reduced to a textbook queue, and the baseline."""

from __future__ import annotations

import copy
import importlib.util
import shutil
import subprocess
import sys
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


def bordersim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``bordersim`` with *args* and capture what it says."""
    cmd = [*bordersim_command(), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600, check=False)


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
