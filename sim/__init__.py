"""bordersim: a discrete-event simulator of truck traffic at the Lang Son border gates.

The notebook surface: ``load_scenario`` -> ``Scenario.with_changes`` -> ``run`` -> ``Run``
(tables ``trucks``, ``queues``, ``daily`` and ``kpis()``); ``replicate``, ``compare`` and
``sweep`` for replications with confidence intervals; ``morris_screen`` for which unknowns
matter; ``optimise`` for the cheapest change that meets a target; ``sim.plots`` for figures (the
layers: ``sim.world``, the model; ``sim.experiments``, replications and analysis;
``sim.presentation``, output, figures and the command line).
"""

from importlib.metadata import PackageNotFoundError, version

from sim.experiments.experiment import Comparison, Experiment, Sweep, compare, replicate, sweep
from sim.experiments.morris import MorrisScreen, morris_function, morris_screen
from sim.experiments.optimise import optimise
from sim.experiments.results import Run, run
from sim.presentation import plots
from sim.presentation.output import write_experiment, write_run
from sim.world.scenario import Scenario, ScenarioError, load_scenario, validate_scenario

try:
    __version__ = version("bordersim")
except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
    __version__ = "unknown"

__all__ = [
    "Comparison",
    "Experiment",
    "MorrisScreen",
    "Run",
    "Scenario",
    "ScenarioError",
    "Sweep",
    "__version__",
    "compare",
    "load_scenario",
    "morris_function",
    "morris_screen",
    "optimise",
    "plots",
    "replicate",
    "run",
    "sweep",
    "validate_scenario",
    "write_experiment",
    "write_run",
]
