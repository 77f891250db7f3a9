"""The figures a run can draw, by name, without importing matplotlib.

The command line checks ``--plots`` against these names before anything runs, and the writers
choose what to draw with them; :mod:`sim.presentation.plots` draws them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.world.schema.gates import Gate
from sim.world.schema.names import LANE_STAGES


def has_lanes(gate: Gate) -> bool:
    """Whether *gate* has a stage whose lanes are simulated (any enabled stage)."""
    return any(getattr(gate, s).enabled for s in LANE_STAGES) or any(
        r.china_check.enabled or r.crossing.enabled for r in gate.routes.values()
    )


FIGURE_FAMILIES = (
    "overview",
    "queues",
    "daily_cleared",
    "time_in_system",
    "hourly",
    "utilisation",
    "heatmap",
)
"""The figures of a run or an experiment, by family; a per-gate family writes one file a gate
(``queues_huu_nghi.png``). ``--plots`` names families, single files, ``all`` or ``none``."""

DEFAULT_FIGURES = ("overview", "daily_cleared", "time_in_system")
"""What ``bordersim run`` draws unless told: the trucks on the road, in the yard and in the park
at every gate (one figure, a panel a gate), the trucks cleared day by day and the time in system,
the three a reader of the answer looks at first. The others (each gate's queues stage by stage,
hour of day, utilisation, yard heatmaps) are asked for by name or with ``all``: the six figures
drawn before, the four gates' own queue figures among them, took 2.41 s of CPU for a 90-day run
against 1.50 s for these three (docs/speed.md)."""


def figure_choice(text: str, gates: Sequence[str]) -> frozenset[str]:
    """The figure stems a ``--plots`` value asks for: ``all``, ``none``, ``default`` or a
    comma-separated LIST of families (:data:`FIGURE_FAMILIES`) and single figures
    (``queues_huu_nghi``). Raises ValueError naming what is not a figure, and the choices."""
    per_gate = {"queues", "hourly", "utilisation", "heatmap"}

    def stems(family: str) -> set[str]:
        if family not in per_gate:
            return {family}
        prefix = "heatmap_yard_export" if family == "heatmap" else family
        return {f"{prefix}_{g}" for g in gates}

    every = set().union(*(stems(f) for f in FIGURE_FAMILIES))
    words = [w.strip() for w in text.split(",") if w.strip()]
    if not words:
        raise ValueError("no figure named; give all, none, default or a list such as queues,daily_cleared")
    if "none" in words and len(words) > 1:
        raise ValueError("none draws no figure: give it alone, or name the figures wanted")
    chosen: set[str] = set()
    for word in words:
        if word == "all":
            chosen |= every
        elif word == "none":
            continue
        elif word == "default":
            chosen |= set().union(*(stems(f) for f in DEFAULT_FIGURES))
        elif word in FIGURE_FAMILIES:
            chosen |= stems(word)
        elif word in every:
            chosen.add(word)
        else:
            raise ValueError(
                f"{word!r} is not a figure; choose all, none, default, families "
                f"({', '.join(FIGURE_FAMILIES)}) or single figures such as queues_{gates[0]}"
            )
    return frozenset(chosen)
