"""Statistics over replications: Student-t intervals, paired differences, warm-up detection."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantiles (what t.ppf calls), a lighter import

from sim.experiments.kpis import is_share_kpi

LEVEL = 0.95


def t_half_width(sd: np.ndarray | float, n: int, level: float = LEVEL) -> np.ndarray | float:
    """Half-width of the Student-t interval of a mean of *n* values with standard deviation *sd*."""
    if n < 2:
        return np.nan * np.asarray(sd)
    return stdtrit(n - 1, 0.5 + level / 2) * np.asarray(sd) / math.sqrt(n)


FEW_NONZERO = 5
"""Below this many non-zero replications an interval of a mostly-zero KPI is not reliable: with 10
replications of a queue that forms in one replication in five, every method tried (Student-t,
percentile and BCa bootstrap) covers the true mean only about 70% of the time. Such intervals are
marked in the ``ci_note`` column (when some replication is zero: a KPI non-zero in every
replication is not mostly zero, whatever n)."""


def kpi_domain(name: str) -> str:
    """The possible range of a KPI: ``share`` (0 to 1) or ``nonnegative``.

    Shares and utilisations are fractions (:func:`sim.experiments.kpis.is_share_kpi`, from the
    KPI catalogue's unit); every other KPI the model reports (counts, trucks per day, hours,
    days, queues, backlogs, maxima, money) cannot be negative.
    """
    return "share" if is_share_kpi(name) else "nonnegative"


def bounded_interval(
    values: np.ndarray, domain: str, level: float = LEVEL
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval of the mean of each column of *values* (one row per replication), kept in range.

    Student-t, truncated to the possible range (0 to 1 for a share, at least 0 otherwise): the
    true mean lies in that range, so the truncated interval covers it exactly when the t interval
    does, and no bound is ever impossible. (Rescaling, e.g. on the logit scale, would give an
    interval for another quantity than the mean; a percentile bootstrap covers less often than t
    with ten replications.) Returns low, high and the method of each column; NaN with fewer than
    two replications.
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    n = np.sum(~np.isnan(x), axis=0)
    k = x.shape[1]
    with warnings.catch_warnings():  # a KPI that is NaN in every replication (e.g. no such trucks)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0) if x.shape[0] else np.full(k, np.nan)
        sd = np.nanstd(x, axis=0, ddof=1) if x.shape[0] > 1 else np.full(k, np.nan)
    # One t quantile per distinct n (a queue table has hundreds of thousands of columns).
    half = np.full(k, np.nan)
    for m in np.unique(n[n >= 2]):
        cols = n == m
        half[cols] = t_half_width(sd[cols], int(m), level)
    low, high = mean - half, mean + half
    top = 1.0 if domain == "share" else np.inf
    method = np.where(n >= 2, "t", "none").astype(object)
    cut_low, cut_high = low < 0, high > top
    method[cut_low | cut_high] = "t, truncated"
    return np.maximum(low, 0.0), np.minimum(high, top), method


def summarise(table: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per column of *table* (one row per replication): mean, sd, interval, its method and n.

    Each KPI's interval stays inside its possible range (see :func:`bounded_interval`).
    """
    n = table.notna().sum()
    mean = table.mean()
    sd = table.std(ddof=1)
    low = pd.Series(np.nan, index=table.columns)
    high = pd.Series(np.nan, index=table.columns)
    method = pd.Series("none", index=table.columns, dtype=object)
    for domain in ("share", "nonnegative"):
        cols = [c for c in table.columns if kpi_domain(str(c)) == domain]
        if cols:
            lo, hi, m = bounded_interval(table[cols].to_numpy(dtype=float), domain, level)
            low[cols], high[cols], method[cols] = lo, hi, m
    nonzero = (table.fillna(0) != 0).sum()
    # Mostly zero: some replications are zero and fewer than FEW_NONZERO are not. A KPI non-zero
    # in every replication is not mostly zero, however few the replications (n is shown beside).
    mostly_zero = (n >= 2) & (nonzero < FEW_NONZERO) & (nonzero < n)
    note = np.where(mostly_zero, f"fewer than {FEW_NONZERO} non-zero replications", "")
    out = pd.DataFrame(
        {"mean": mean, "sd": sd, "ci_low": low, "ci_high": high, "ci_method": method, "ci_note": note, "n": n}
    )
    out.index.name = "kpi"
    return out


def paired_differences(base: pd.DataFrame, other: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Mean of ``other - base`` replication by replication, with its interval (common random numbers).

    A difference may have either sign: Student-t, truncated to -1..1 for a difference of shares.
    """
    common = base.index.intersection(other.index)
    diff = other.loc[common] - base.loc[common]
    n = diff.notna().sum()
    mean = diff.mean()
    sd = diff.std(ddof=1)
    half = pd.Series(
        [float(t_half_width(s, int(k), level)) for s, k in zip(sd, n, strict=True)], index=diff.columns
    )
    low, high = mean - half, mean + half
    method = pd.Series(np.where(n >= 2, "t", "none"), index=diff.columns, dtype=object)
    shares = [c for c in diff.columns if kpi_domain(str(c)) == "share" and (low[c] < -1 or high[c] > 1)]
    if shares:
        low[shares], high[shares] = low[shares].clip(lower=-1), high[shares].clip(upper=1)
        method[shares] = "t, truncated"
    out = pd.DataFrame({"mean": mean, "sd": sd, "ci_low": low, "ci_high": high, "ci_method": method, "n": n})
    out.index.name = "kpi"
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


EFFECT = "effect"
NO_EFFECT = "no effect"
NEGLIGIBLE = "negligible effect"
"""A real difference (its interval leaves out zero) too small to matter: inside the margin."""
UNDECIDED = "too few replications to tell"
NOT_MEASURED = "not measured"
"""No pair of replications measured the KPI (e.g. a wait at a counter no truck used): nothing
to judge, and more replications would not help."""
SHARE_MARGIN = 0.01
"""Default equivalence margin of a share: one percentage point."""
MAX_NEEDED = 10**6
"""The largest replication count an undecided verdict names (beyond it: far more than can be run)."""
RELATIVE_MARGIN = 0.01
"""Default equivalence margin of a count, hours or money: 1% of the base mean."""


def equivalence_margin(kpi: str, base_mean: float, overrides: dict[str, float] | None = None) -> float:
    """The change in *kpi* (in its unit; a fraction for shares) below which an effect counts as none.

    ``kpi.equivalence`` in a scenario (*overrides*) names it per KPI; otherwise 1 percentage point
    for a share and 1% of the base mean for anything else.
    """
    if overrides and kpi in overrides:
        return float(overrides[kpi])
    if kpi_domain(kpi) == "share":
        return SHARE_MARGIN
    return RELATIVE_MARGIN * abs(base_mean) if base_mean == base_mean else math.nan


@dataclass(frozen=True)
class Effect:
    """A paired effect on common random numbers: ``other - base`` in the KPI's unit, and its verdict.

    *verdict* is :data:`EFFECT` when the interval leaves out zero and is not wholly within
    +-*margin* (its words say when it reaches inside it), :data:`NO_EFFECT` when the whole
    interval lies within +-*margin* and holds zero, :data:`NEGLIGIBLE` when it lies
    within +-*margin* and leaves out zero (a real difference too small to matter: never called
    "no effect" beside an interval that excludes zero), and :data:`UNDECIDED` otherwise, with
    *n_needed* the replications that would about tell (:func:`replications_to_decide`).
    """

    kpi: str
    base_mean: float
    other_mean: float
    diff: float
    ci_low: float
    ci_high: float
    n: int
    margin: float
    verdict: str
    n_needed: int | None = None

    @property
    def is_share(self) -> bool:
        """Whether the KPI is a share: its change is in percentage points."""
        return kpi_domain(self.kpi) == "share"


def replications_to_decide(sd: float, diff: float, margin: float, level: float = LEVEL) -> float:
    """About how many replications would decide an undecided paired effect, its mean difference
    *diff* and the differences' standard deviation *sd* held: the interval's half-width
    ``t(n-1) sd / sqrt(n)`` must shrink below the difference's distance from zero (then it leaves
    out zero: an effect) or, for a difference inside the margin, below its distance to the
    margin's edge (then it lies within the margin: no effect, or a negligible one), whichever
    needs fewer. Student's t is taken at the count it names (the smallest that decides, found by
    bisection), not at the replications run: t at n = 4 (3.18) named 88 where 36 would tell. NaN
    when neither can be reached; infinite beyond :data:`MAX_NEEDED`.

    ``(t s_d / margin)^2`` alone, the count that shows "no effect" for a difference of zero,
    asked for 10,326 replications where 4 would show a difference of 1.8 h clear of zero."""
    distance = abs(diff)
    gaps = [distance] if distance > 0 else []
    if margin and margin == margin and distance < margin:
        gaps.append(margin - distance)
    if not gaps or not sd > 0:
        return math.nan
    return replications_for_half_width(sd, max(gaps), 0.5 + level / 2)  # the larger gap needs fewer


def replications_for_half_width(sd: float, gap: float, q: float) -> float:
    """The fewest replications whose t interval's half-width ``t(n-1; q) sd / sqrt(n)`` is below
    *gap*, Student's t taken at that count (found by bisection: ``t(n-1)/sqrt(n)`` falls as n
    grows); infinite beyond :data:`MAX_NEEDED`, NaN for no spread or no gap. *q* is the t quantile:
    ``0.5 + level / 2`` for a two-sided interval, ``1 - alpha`` for a one-sided bound."""
    if not (sd > 0 and gap > 0):
        return math.nan

    def decides(n: int) -> bool:  # the half-width at n replications, t at n - 1 degrees of freedom
        return float(stdtrit(n - 1, q)) * sd / math.sqrt(n) < gap

    if not decides(MAX_NEEDED):
        return math.inf
    low, high = 2, MAX_NEEDED
    while low < high:
        mid = (low + high) // 2
        if decides(mid):
            high = mid
        else:
            low = mid + 1
    return float(low)


def paired_effect(
    kpi: str,
    base: np.ndarray | pd.Series,
    other: np.ndarray | pd.Series,
    margin: float | None = None,
    overrides: dict[str, float] | None = None,
    level: float = LEVEL,
) -> Effect:
    """The effect of going from *base* to *other* on *kpi*, judged on paired replications.

    *base* and *other* hold one value per replication, replication i of one paired with
    replication i of the other (same random numbers); pairs with a NaN are left out. The
    interval is the Student-t interval of the mean difference (truncated to -1..1 for shares).
    This one function decides "an effect", "no effect", "a negligible effect" or "too few
    replications" everywhere:
    compare, sweep, optimise's robustness and the notebook.
    """
    b = np.asarray(base, dtype=float)
    o = np.asarray(other, dtype=float)
    ok = ~(np.isnan(b) | np.isnan(o))
    b, o = b[ok], o[ok]
    n = int(b.size)
    base_mean = float(b.mean()) if n else math.nan
    other_mean = float(o.mean()) if n else math.nan
    if margin is None:
        margin = equivalence_margin(kpi, base_mean, overrides)
    if n == 0:
        return Effect(kpi, math.nan, math.nan, math.nan, math.nan, math.nan, 0, margin, NOT_MEASURED)
    if n < 2:
        return Effect(
            kpi, base_mean, other_mean, other_mean - base_mean, math.nan, math.nan, n, margin, UNDECIDED, 2
        )
    d = o - b
    diff = float(d.mean())
    sd = float(d.std(ddof=1))
    t = float(stdtrit(n - 1, 0.5 + level / 2))
    half = t * sd / math.sqrt(n)
    low, high = diff - half, diff + half
    if kpi_domain(kpi) == "share":
        low, high = max(low, -1.0), min(high, 1.0)
    needed = None
    if margin == margin and -margin <= low and high <= margin:
        verdict = NEGLIGIBLE if low > 0 or high < 0 else NO_EFFECT
    elif low > 0 or high < 0:
        verdict = EFFECT
    else:
        verdict = UNDECIDED
        ratio = replications_to_decide(sd, diff, margin, level)
        # A margin near zero (a KPI whose base mean is ~0) would ask for astronomically many:
        # capped, it still says "far more than can be run".
        if ratio != ratio:
            needed = None
        else:
            needed = max(n + 1, MAX_NEEDED if math.isinf(ratio) else min(math.ceil(ratio), MAX_NEEDED))
    return Effect(kpi, base_mean, other_mean, diff, low, high, n, margin, verdict, needed)
