"""Studies made with the running machinery: calibration and the joint fit, validation against
reported episodes, baseline checks, history matching and the ensemble, the Morris screen,
optimisation and its robustness check, and the library table.

Imports from the world and experiments layers.
"""
