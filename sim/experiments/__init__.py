"""Experiments and analysis: results and KPIs, replications, statistics, calibration,
validation and optimisation.

Imports from the world layer only.
"""
