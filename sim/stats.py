"""Statistics over replications: Student-t intervals, paired differences, warm-up detection."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95


def t_half_width(sd: np.ndarray | float, n: int, level: float = LEVEL) -> np.ndarray | float:
    """Half-width of the Student-t interval of a mean of *n* values with standard deviation *sd*."""
    if n < 2:
        return np.nan * np.asarray(sd)
    return stats.t.ppf(0.5 + level / 2, n - 1) * np.asarray(sd) / math.sqrt(n)


def summarise(table: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per column of *table* (one row per replication): mean, sd, interval and n."""
    n = table.notna().sum()
    mean = table.mean()
    sd = table.std(ddof=1)
    half = pd.Series(
        [float(t_half_width(s, int(k), level)) for s, k in zip(sd, n, strict=True)], index=table.columns
    )
    out = pd.DataFrame({"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": n})
    out.index.name = "kpi"
    return out


def paired_differences(base: pd.DataFrame, other: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Mean of ``other - base`` replication by replication, with its interval (common random numbers)."""
    common = base.index.intersection(other.index)
    diff = other.loc[common] - base.loc[common]
    out = summarise(diff, level)
    out.insert(0, "base_mean", base.loc[common].mean())
    out.insert(1, "other_mean", other.loc[common].mean())
    return out


def mser5(series: np.ndarray) -> int:
    """Warm-up to drop from *series* by MSER-5: the batch count minimising the marginal error.

    The series is averaged in batches of 5; for each cut d the mean squared error of what is left,
    divided by its length squared, is computed, and the d that minimises it (searched over the
    first half, as the method advises) is returned in observations of the original series.
    """
    x = np.asarray(series, dtype=float)
    batches = x[: x.size // 5 * 5].reshape(-1, 5).mean(axis=1)
    m = batches.size
    if m < 4:
        return 0
    best, best_d = np.inf, 0
    for d in range(m // 2):
        rest = batches[d:]
        score = rest.var() / rest.size
        if score < best:
            best, best_d = score, d
    return best_d * 5
