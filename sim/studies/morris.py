"""A global screen of what the model does not know: Morris elementary effects over every factor.

Which of the unknowns in a ranges file (:mod:`sim.world.ranges`) move the answers, and which can
stay at their baseline values? A one-at-a-time screen around the baseline misses effects that only
show where other factors sit elsewhere; the Morris method (Morris 1991, with the *mu\\** of
Campolongo et al. 2007) moves one factor at a time along *r* trajectories that start at random
points of the whole range, so each factor's effect is averaged over the others' ranges too.

The design is drawn by SALib in the unit cube ``[0, 1]^k`` on a grid of *levels* levels, mapped to
natural values by each factor's kind (:meth:`sim.world.ranges.Ranges.natural`, log-uniform
aware), and every point is simulated through :func:`sim.studies.ensemble.run_sets`, on common
random numbers (every point uses the same seeds), so an elementary effect is the factor's and not
the random numbers'. A factor that touches no random draw and nothing the KPI depends on then has
an effect of exactly zero. Effects are analysed on the *unit-cube* inputs: *mu\\** is in the
KPI's own unit per full range of the factor (the mean absolute change of the KPI when the factor
moves from the low to the high end, read off a step of the grid), so factors with different units
rank on one scale.

:func:`morris_function` screens any function of the factor values (the theory tests use the
Erlang C formula on the very same design); :func:`morris_screen` is that function with the
simulator inside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.experiments.window import Window
from sim.studies.ensemble import cpu_seconds, run_sets, set_means
from sim.world.ranges import Ranges
from sim.world.scenario import Scenario

DEFAULT_TRAJECTORIES = 10
"""Trajectories (*r*) a screen draws unless told: r x (k + 1) points in all."""
DEFAULT_LEVELS = 4
"""Grid levels of each factor's range (an even number gives equal-probability steps)."""
SCREEN_KPIS = (
    "procedure_h_mean_export",
    "held_at_20h_export_mean",
    "held_at_20h_export_mean_in_area",
    "perishable_over_threshold_share",
    "cleared_per_day_mean",
)
"""KPIs screened by default, besides the scenario's headline KPI and the largest utilisation:
the export procedure time, exports held at 20:00, the perishable share over its threshold and the
trucks cleared a day (those the scenario defines and the runs give everywhere)."""
UTILISATION_PREFIX = "utilisation_"
"""The utilisation KPIs: the screen adds the one with the largest mean over the points."""
BOOTSTRAP_RESAMPLES = 1000
"""Bootstrap resamples of the elementary effects behind mu*'s 95% interval."""
ROUNDING = 1e-9
"""mu* at most this fraction of the KPI's largest absolute value is floating-point rounding: 0."""
RANKING_COLUMNS = ["kpi", "factor", "mu_star", "mu_star_conf", "mu", "sigma", "rank"]
"""Columns of :attr:`MorrisScreen.ranking`."""

Evaluate = Callable[[np.ndarray], Mapping[str, Sequence[float] | np.ndarray]]
"""A model of the factors: rows of values (points x factors, natural units) to KPI arrays."""


@dataclass
class MorrisScreen:
    """What a Morris screen found: the design, each point's KPIs and the factors ranked per KPI."""

    factors: list[str]
    """The factors, in the ranges' order."""
    unit: np.ndarray
    """The design in the unit cube (points x factors): what the effects are computed on."""
    points: pd.DataFrame
    """One row per point: ``point``, ``trajectory``, the factor values (natural units), the KPIs."""
    ranking: pd.DataFrame
    """Per KPI and factor: ``mu_star`` (mean absolute elementary effect, KPI units per full range),
    ``mu_star_conf`` (half-width of its bootstrap 95% interval), ``mu`` (mean signed effect),
    ``sigma`` (spread of the effects: interaction or curvature) and ``rank`` (1 = largest mu*)."""
    kpis: list[str]
    """The KPIs screened, in order."""
    r: int
    """Trajectories."""
    levels: int
    """Grid levels of each factor's range."""
    replications: int
    """Replications of each point (1 for a deterministic function)."""
    seed: int
    """The seed of the design and of the runs."""
    cpu_s: float = 0.0
    """Processor seconds of the evaluations: this process and the worker processes it waited for
    (on a Dask cluster the workers' time is not seen, only this process's)."""
    notes: list[str] = field(default_factory=list)
    """What the screen left out, and why (a KPI not defined at every point)."""

    @property
    def n_points(self) -> int:
        """How many points were evaluated: r x (k + 1)."""
        return len(self.points)

    def of(self, kpi: str) -> pd.DataFrame:
        """The ranking of one KPI, largest mu* first."""
        return self.ranking[self.ranking.kpi == kpi].sort_values("rank").reset_index(drop=True)

    def top(self, kpi: str, m: int = 3) -> list[str]:
        """The *m* factors with the largest mu* on *kpi* (only those that move it at all)."""
        table = self.of(kpi)
        return list(table[table.mu_star > 0].factor[:m])


def morris_design(
    k: int, r: int = DEFAULT_TRAJECTORIES, levels: int = DEFAULT_LEVELS, seed: int = 0
) -> np.ndarray:
    """*r* Morris trajectories of *k* factors in the unit cube (r x (k + 1) points x k), by SALib."""
    from SALib.sample import morris

    if k < 1 or r < 2 or levels < 2:
        raise ValueError(f"a Morris design needs k >= 1, r >= 2 and levels >= 2 (got {k}, {r}, {levels})")
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    return np.asarray(morris.sample(problem, r, num_levels=levels, seed=seed), dtype=float)


def morris_effects(
    factors: Sequence[str], unit: np.ndarray, y: np.ndarray, levels: int = DEFAULT_LEVELS, seed: int = 0
) -> pd.DataFrame:
    """Elementary-effect statistics of one output *y* on the unit design (SALib's analysis):
    ``factor, mu_star, mu_star_conf, mu, sigma, rank``; all NaN when *y* is not finite everywhere.
    An effect within :data:`ROUNDING` of nothing is set to 0 (rank ties)."""
    from SALib.analyze import morris

    y = np.asarray(y, dtype=float)
    k = len(factors)
    if not np.all(np.isfinite(y)):
        nan = np.full(k, np.nan)
        return pd.DataFrame(
            {
                "factor": list(factors),
                "mu_star": nan,
                "mu_star_conf": nan,
                "mu": nan,
                "sigma": nan,
                "rank": nan,
            }
        )
    problem = {"num_vars": k, "names": list(factors), "bounds": [[0.0, 1.0]] * k}
    res = morris.analyze(
        problem, unit, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=0.95, num_levels=levels, seed=seed
    )
    table = pd.DataFrame(
        {
            "factor": list(factors),
            "mu_star": np.asarray(res["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
            "mu": np.asarray(res["mu"], dtype=float),
            "sigma": np.asarray(res["sigma"], dtype=float),
        }
    )
    # Effects below a billionth of the KPI's size are rounding in sums over different points (a
    # utilisation 5e-15 apart), not effects: shown as 0 so they tie instead of ranking by noise.
    rounding = ROUNDING * float(np.max(np.abs(y)))
    table.loc[table.mu_star <= rounding, ["mu_star", "mu_star_conf", "mu", "sigma"]] = 0.0
    table["rank"] = table.mu_star.rank(ascending=False, method="min").astype(int)
    return table


def morris_function(
    ranges: Ranges,
    f: Evaluate,
    r: int = DEFAULT_TRAJECTORIES,
    levels: int = DEFAULT_LEVELS,
    seed: int = 0,
    *,
    replications: int = 1,
) -> MorrisScreen:
    """Screen *f* (rows of factor values in natural units -> KPI name -> one value per row) over
    every factor of *ranges* at once; every KPI *f* returns is ranked, in *f*'s order.

    mu* is computed on the unit-cube inputs, so it is in KPI units per full range of each factor.
    """
    unit = morris_design(len(ranges.names), r, levels, seed)
    values = ranges.natural(unit)
    before = cpu_seconds()
    outputs = {k: np.asarray(v, dtype=float) for k, v in f(values).items()}
    cpu_s = cpu_seconds() - before
    points = ranges.table(values)
    k1 = len(ranges.names) + 1
    points.insert(0, "trajectory", np.arange(len(unit)) // k1)
    points.insert(0, "point", np.arange(len(unit)))
    tables, notes = [], []
    for kpi, y in outputs.items():
        if y.shape != (len(unit),):
            raise ValueError(
                f"the model gave {kpi} {y.shape[0] if y.ndim else 1} values for {len(unit)} points"
            )
        points[kpi] = y
        table = morris_effects(ranges.names, unit, y, levels, seed)
        if table.mu_star.isna().all():
            bad = int(np.sum(~np.isfinite(y)))
            notes.append(f"{kpi} is not defined at {bad} of {len(y)} points, so it is not ranked")
        tables.append(table.assign(kpi=kpi))
    ranking = (
        pd.concat(tables, ignore_index=True)[RANKING_COLUMNS]
        if tables
        else pd.DataFrame(columns=RANKING_COLUMNS)
    )
    return MorrisScreen(
        factors=ranges.names,
        unit=unit,
        points=points,
        ranking=ranking,
        kpis=list(outputs),
        r=r,
        levels=levels,
        replications=replications,
        seed=seed,
        cpu_s=cpu_s,
        notes=notes,
    )


def screen_kpis(scenario: Scenario, means: pd.DataFrame) -> list[str]:
    """The KPIs a screen ranks by default: the scenario's headline, :data:`SCREEN_KPIS`, and the
    utilisation with the largest mean over the points; each only when the runs give it, finite,
    at every point (a KPI of a flow the scenario lacks is undefined)."""
    finite = [c for c in means.columns if np.all(np.isfinite(means[c].to_numpy(dtype=float)))]
    utilisations = [c for c in finite if c.startswith(UTILISATION_PREFIX)]
    largest = [max(utilisations, key=lambda c: float(means[c].mean()))] if utilisations else []
    wanted = [scenario.kpi.headline, *SCREEN_KPIS, *largest]
    return [k for k in dict.fromkeys(wanted) if k in finite]


def morris_screen(
    scenario: Scenario,
    ranges: Ranges,
    r: int = DEFAULT_TRAJECTORIES,
    levels: int = DEFAULT_LEVELS,
    n: int = 1,
    seed: int = 0,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    kpis: Sequence[str] | None = None,
    window: Window | None = None,
) -> MorrisScreen:
    """Morris screen of the simulator: every point of the design replicated *n* times on common
    random numbers (:func:`~sim.studies.ensemble.run_sets`), each KPI's mean over the
    replications ranked by :func:`morris_function`. *kpis* default to :func:`screen_kpis`.

    mu* is in KPI units per full range of each factor (the effects are taken on the unit cube).
    """
    ranges.check(scenario)

    def simulate(values: np.ndarray) -> dict[str, np.ndarray]:
        exps = run_sets(scenario, ranges, values, n, seed, jobs, executor, window=window, label="point")
        means = set_means(exps)
        chosen = list(kpis) if kpis else screen_kpis(scenario, means)
        missing = [k for k in chosen if k not in means.columns]
        if missing:
            raise ValueError(f"the runs give no KPI {', '.join(missing)}")
        return {k: means[k].to_numpy(dtype=float) for k in chosen}

    return morris_function(ranges, simulate, r, levels, seed, replications=n)
