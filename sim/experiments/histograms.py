"""Fixed-bin histograms of time in system that every replication returns, so that a figure can be
drawn over all replications of an experiment without keeping each replication's trucks.

The bins are the same for every replication and every scenario (:data:`TIS_BIN_EDGES_H`), so
histograms add up bin by bin.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sim.experiments.results import Run
from sim.experiments.window import Window, window_minutes
from sim.world.schema.names import DIRECTIONS

TIS_BIN_EDGES_H: tuple[float, ...] = (
    0.0,
    0.25,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    3.0,
    4.0,
    5.0,
    6.0,
    8.0,
    10.0,
    12.0,
    16.0,
    20.0,
    24.0,
    30.0,
    36.0,
    48.0,
    60.0,
    72.0,
    96.0,
    120.0,
    144.0,
    168.0,
    192.0,
    216.0,
    240.0,
    float("inf"),
)
"""Bin edges of time in system (hours): fine where most trucks are, the perishable threshold 8 h an
edge, up to 240 h (10 days); the last bin [240 h, inf) holds every longer stay."""

TIS_HIST_COLUMNS = ("direction", "cargo", "low_h", "high_h", "trucks")
"""Columns of a time-in-system histogram table, one row per direction, cargo class and bin."""


def time_in_system_histogram(run: Run, window: Window | None = None) -> pd.DataFrame:
    """Counts of trucks by time in system in :data:`TIS_BIN_EDGES_H`, by direction and cargo class.

    The trucks counted are those that entered the system in *window* (default: after the warm-up)
    and were cleared by the end of the run, as for the time-in-system KPIs. Every direction and
    cargo class of the scenario has all its bins, zero where no truck fell, so tables of several
    replications add up row by row.
    """
    start_min, end_min = window_minutes(run.scenario, window)
    tr = run.truck_columns()
    done = (tr["outcome"] == "cleared") & (tr["arrival_min"] >= start_min) & (tr["arrival_min"] < end_min)
    sel = tr.loc[done, ["direction", "cargo", "time_in_system_h"]]
    edges = np.asarray(TIS_BIN_EDGES_H)
    rows = []
    for direction in DIRECTIONS:
        for cargo in run.scenario.cargo_classes:
            times_h = sel.loc[(sel["direction"] == direction) & (sel["cargo"] == cargo), "time_in_system_h"]
            counts, _ = np.histogram(times_h.to_numpy(dtype=float), bins=edges)
            rows.append(
                pd.DataFrame(
                    {
                        "direction": direction,
                        "cargo": cargo,
                        "low_h": edges[:-1],
                        "high_h": edges[1:],
                        "trucks": counts.astype(np.int64),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)[list(TIS_HIST_COLUMNS)]


def sum_histograms(tables: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Bin-by-bin sum of time-in-system histograms (e.g. of every replication of an experiment)."""
    frames = list(tables)
    if not frames:
        return pd.DataFrame(columns=list(TIS_HIST_COLUMNS))
    keys = ["direction", "cargo", "low_h", "high_h"]
    return pd.concat(frames, ignore_index=True).groupby(keys, sort=False, as_index=False)["trucks"].sum()
