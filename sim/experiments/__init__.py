"""The running machinery: replications, paired comparisons and sweeps; a run's tables and KPIs;
statistics over replications; date windows; checkpoints and results folders; costs; the answer
about an event.

Imports from the world layer only.
"""
