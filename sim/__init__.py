"""bordersim: a discrete-event simulator of truck traffic at the Lang Son border gates.

The notebook surface: ``load_scenario`` -> ``Scenario.with_changes`` -> ``run`` -> ``Run``
(tables ``trucks``, ``queues``, ``daily`` and ``kpis()``), and ``sim.plots`` for figures.
"""

from importlib.metadata import PackageNotFoundError, version

from sim import plots
from sim.output import write_run
from sim.results import Run, run
from sim.scenario import Scenario, ScenarioError, load_scenario, validate_scenario

try:
    __version__ = version("bordersim")
except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
    __version__ = "unknown"

__all__ = [
    "Run",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "plots",
    "run",
    "validate_scenario",
    "write_run",
]
