"""The scenario schema by part: pydantic models, their units and their defaults.

The whole scenario (:class:`sim.world.scenario.Scenario`) is built from these parts; loading a file
is :mod:`sim.world.scenario_files`.
"""
