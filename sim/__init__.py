"""bordersim: a discrete-event simulator of truck traffic at the Lang Son border gates.

The notebook surface: ``load_scenario`` -> ``Scenario.with_changes`` -> ``run`` -> ``Run``
(tables ``trucks``, ``queues``, ``daily`` and ``kpis()``); ``replicate``, ``compare`` and
``sweep`` for replications with confidence intervals; ``morris_screen`` for which unknowns
matter; ``optimise`` for the cheapest change that meets a target; ``read_state`` (or
``snapshot_state``) -> ``forecast`` for the next hours from the state now, and ``backtest`` to check
it; ``sim.plots`` for figures (the
layers: ``sim.world``, the model; ``sim.experiments``, replications and analysis;
``sim.presentation``, output, figures and the command line).
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

# Where each public name lives. They are imported on first use (PEP 562), so that
# ``import sim.world.scenario`` or ``bordersim check`` does not pay for pandas, scipy.stats and
# matplotlib, which the model's runs and the figures need and a scenario check does not.
_WHERE = {
    "Comparison": "sim.experiments.designs",
    "Experiment": "sim.experiments.experiment",
    "Sweep": "sim.experiments.designs",
    "compare": "sim.experiments.designs",
    "replicate": "sim.experiments.designs",
    "sweep": "sim.experiments.designs",
    "run_options": "sim.experiments.sequential",
    "StepLog": "sim.experiments.sequential",
    "optimise": "sim.studies.optimise",
    "Run": "sim.experiments.results",
    "run": "sim.experiments.results",
    "plots": "sim.presentation.plots",
    "write_experiment": "sim.presentation.output",
    "write_run": "sim.presentation.output",
    "Scenario": "sim.world.scenario",
    "ScenarioError": "sim.world.schema.names",
    "load_scenario": "sim.world.scenario_files",
    "validate_scenario": "sim.world.scenario",
    "MorrisScreen": "sim.studies.morris",
    "morris_function": "sim.studies.morris",
    "morris_screen": "sim.studies.morris",
    "Ranges": "sim.world.ranges",
    "load_ranges": "sim.world.ranges",
    "Ensemble": "sim.studies.ensemble",
    "load_ensemble": "sim.studies.ensemble",
    "across_ensemble": "sim.studies.ensemble",
    "history_match_scenario": "sim.studies.history",
    "forecast": "sim.studies.forecast",
    "Forecast": "sim.studies.forecast",
    "snapshot_state": "sim.studies.forecast",
    "continue_snapshot": "sim.studies.forecast",
    "backtest": "sim.studies.backtest",
    "read_state": "sim.world.state_files",
}

try:
    __version__ = version("bordersim")
except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
    __version__ = "unknown"


def __getattr__(name: str) -> Any:
    """The public name *name*, imported from its module on first use."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    module = import_module(where)
    value = module if name == "plots" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = ["__version__", *sorted(_WHERE)]
