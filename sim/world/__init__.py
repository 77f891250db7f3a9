"""The world being modelled: scenario files, the clock, demand, stages and the SimPy model.

Imports nothing from the other layers.
"""
