"""History matching: the parameter sets of the ranges that no fit target rules out.

The unknowns of a ranges file (:mod:`sim.world.ranges`) are not fitted to one point; instead the
parts of their space where the model cannot reproduce what is reported are ruled out, wave by
wave, and what is left (the *not ruled out yet* space, NROY) is kept as an ensemble
(:mod:`sim.studies.ensemble`) for the questions asked of the model.

1. *Design*: wave 1 is a Latin hypercube of design points over the unit cube of the ranges, each
   replicated *n* times on common random numbers (:func:`sim.studies.ensemble.run_sets`). Each
   fit target gives a per-point mean and the variance of that mean (replication variance / n).
2. *Emulators*: per target, a Gaussian process (scikit-learn, constant x anisotropic RBF kernel)
   on the unit-cube inputs, with each point's own replication variance as its noise.
3. *Implausibility* at many candidate points: ``I_t(x) = |z_t - E[f_t(x)]| / sqrt(Var_em(x) +
   Var_rep + Var_band)`` with ``z_t`` the middle of the band (:data:`BAND_SD_PER_HALF_WIDTH`) and
   ``Var_rep`` the variance of one run's value (the reported figure is one realisation of the
   world, set against one run; :attr:`Emulator.var_rep`). A candidate is ruled out when the
   largest ``I_t`` over the targets used exceeds :data:`CUTOFF`.
4. *Waves*: the next wave's design points are drawn, spread out, from the candidates still kept;
   the emulators are refitted on every run so far and the kept set can only shrink.
5. *Reach*: a target that no candidate of the whole ranges meets is reported as out of reach
   (with the closest emulated value) and left out of the cut from that wave on, so one target the
   ranges cannot reach does not empty the space; when the others together rule out everything,
   that is reported instead.
6. *Check*: fresh points of the final NROY, not used in fitting, are run and each target's
   standardised emulator error is reported, with a verdict (:data:`CHECK_WITHIN_3`).

The core (:func:`history_match`) takes any *evaluator* of unit-cube points, so it can be tested on
a function with a known answer; the simulator's evaluator (:func:`simulator_evaluator`) wraps
:func:`~sim.studies.ensemble.run_sets`, and :func:`history_match_scenario` joins the two.

Longer than the ~600 lines a module here keeps to: one method from its design to its record
(the waves, the emulators and their check, implausibility, the ensemble and its provenance).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.ensemble import cpu_seconds, reference_values, run_sets
from sim.studies.joint import Target, check_names
from sim.world.ranges import Ranges
from sim.world.scenario import Scenario
from sim.world.schema.names import ScenarioError

CHECK_WITHIN_3 = 0.9
"""An emulator is called consistent with the fresh runs when at least this share of them lie
within 3 of its standard deviations (Pukelsheim's three-sigma rule gives 95% for any unimodal
error; 0.9 leaves room for the few check runs)."""
CUTOFF = 3.0
"""A candidate is ruled out when an implausibility exceeds this (Pukelsheim's three-sigma rule:
at least 95% of any unimodal distribution lies within three standard deviations)."""
BAND_SD_PER_HALF_WIDTH = 0.5
"""A band is read as the 95% range of what is reported: its half-width is two standard
deviations, so the band's variance is ``(half-width / 2)^2``. A band of zero width uses the
target's ``scale`` as its half-width."""
CANDIDATES = 20_000
"""Candidate points (a Latin hypercube of the unit cube) on which implausibility is judged."""
BINS = 4
"""Each factor's range is cut into this many equal bins (of the unit cube) for the table of what
each target rules out."""
SHRINK_MIN = 0.02
"""The waves stop when the kept share shrinks by less than this fraction of itself."""
GP_RESTARTS = 2
"""Restarts of the kernel's hyperparameter optimiser from random starts."""
LENGTH_SCALE_BOUNDS = (0.05, 100.0)
"""Length scales of the RBF kernel, in unit-cube widths: from a twentieth of a range (a sharp
response) to far beyond it (a factor that does not matter)."""
REPEATED_POINTS = 3
"""With one replication per point, a point's replication variance cannot be measured there: the
first this many design points of wave 1 are also run with two replications, and the mean of their
sample variances (the pooled variance of a single run) is given to every single-run point."""
POINT_NOISE_FLOOR = 0.25
"""A point's noise is at least this share of the pooled (mean) variance over the design: with few
replications a point's own variance is itself uncertain (one degree of freedom with n = 2), and
a point whose replications agree by chance would otherwise pin the emulator to its mean."""
NOISE_FLOOR = 1e-9
"""The least replication variance given to a point, relative to the variance of the targets'
means over the design (a point whose replications agree exactly still gets a little noise)."""
MAXIMIN_POOL = 5_000
"""At most this many kept candidates are searched when a wave's points are spread out."""

Evaluator = Callable[[np.ndarray, int], dict[str, list[np.ndarray]]]
"""Runs unit-cube points (rows), each with the given number of replications, and returns, per
target name, one array of replication values per point."""


@dataclass(frozen=True)
class Aim:
    """What a target asks of the model, as history matching reads it: a band and its spread."""

    name: str
    low: float
    high: float
    scale: float | None = None

    @classmethod
    def of(cls, target: Target) -> Aim:
        """The aim of a targets-file :class:`~sim.studies.joint.Target`."""
        return cls(target.name, float(target.band[0]), float(target.band[1]), target.scale)

    @property
    def middle(self) -> float:
        """The point the implausibility is measured from (the middle of the band)."""
        return (self.low + self.high) / 2

    @property
    def var_band(self) -> float:
        """The variance the band allows (:data:`BAND_SD_PER_HALF_WIDTH`)."""
        half = (self.high - self.low) / 2
        if half <= 0:
            if self.scale is None:
                raise ValueError(f"target {self.name}: a band of zero width needs a scale")
            half = self.scale
        return (BAND_SD_PER_HALF_WIDTH * half) ** 2


@dataclass
class Emulator:
    """A Gaussian-process emulator of one target's mean over the unit cube."""

    name: str
    gp: Any | None
    constant: float
    var_rep: float
    """The variance of one run's value (the world is one realisation, compared with one run):
    the median over the design points of each point's run-to-run variance (the median, because the
    jammed corners of the ranges have variances far above the plausible region's)."""

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The emulated mean and the emulator's variance at unit-cube points (rows)."""
        unit = np.atleast_2d(unit)
        if self.gp is None:
            return np.full(len(unit), self.constant), np.zeros(len(unit))
        mean, sd = self.gp.predict(unit, return_std=True)
        return np.asarray(mean, dtype=float), np.asarray(sd, dtype=float) ** 2


def fit_emulator(
    name: str, unit: np.ndarray, mean: np.ndarray, var: np.ndarray, seed: int, n: int = 1
) -> Emulator:
    """A GP of *mean* over the points *unit* with per-point noise *var* (the variance of each mean).

    ``normalize_y`` scales the means by their standard deviation before fitting, and scikit-learn
    adds ``alpha`` to the kernel in those scaled units, so the noise is scaled the same way.
    """
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    ok = np.isfinite(mean) & np.isfinite(var)
    unit, mean, var = unit[ok], mean[ok], var[ok]
    if len(mean) == 0:
        raise ValueError(f"target {name}: no design point gave a finite value")
    pooled = float(np.mean(var))
    one_run = float(np.median(var)) * n  # var holds each point's variance of a mean of n runs
    sd_y = float(np.std(mean))
    if len(mean) < 3 or sd_y <= 1e-12 * max(1.0, abs(float(np.mean(mean)))):
        return Emulator(name, None, float(np.mean(mean)), one_run)
    alpha = np.maximum(np.maximum(var, POINT_NOISE_FLOOR * pooled), NOISE_FLOOR * sd_y**2) / sd_y**2
    k = unit.shape[1]
    kernel = ConstantKernel(1.0, (1e-2, 1e2)) * RBF(np.full(k, 0.5), LENGTH_SCALE_BOUNDS)
    gp = GaussianProcessRegressor(
        kernel=kernel, alpha=alpha, normalize_y=True, n_restarts_optimizer=GP_RESTARTS, random_state=seed
    )
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(unit, mean)
    return Emulator(name, gp, float(np.mean(mean)), one_run)


def implausibility(aim: Aim, em: Emulator, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``I_t`` at unit-cube points, and the emulated mean there."""
    mean, var_em = em.predict(unit)
    return np.abs(aim.middle - mean) / np.sqrt(var_em + em.var_rep + aim.var_band), mean


def spread_out(pool: np.ndarray, m: int, seed: int, away_from: np.ndarray | None = None) -> np.ndarray:
    """Row numbers of *m* rows of *pool*, chosen one by one as far as possible from those chosen
    before and from *away_from* (greedy maximin), among at most :data:`MAXIMIN_POOL` rows drawn at
    random."""
    rng = np.random.default_rng([seed, 7919])
    rows = np.arange(len(pool))
    if len(pool) > MAXIMIN_POOL:
        rows = np.sort(rng.choice(len(pool), MAXIMIN_POOL, replace=False))
    if m >= len(rows):
        return rows
    sub = pool[rows]
    if away_from is not None and len(away_from):
        dist = np.min(((sub[:, None, :] - away_from[None, :, :]) ** 2).sum(-1), axis=1)
        first = int(np.argmax(dist))
    else:
        first = int(rng.integers(len(sub)))
        dist = np.full(len(sub), np.inf)
    chosen = [first]
    dist = np.minimum(dist, ((sub - sub[first]) ** 2).sum(1))
    while len(chosen) < m:
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, ((sub - sub[nxt]) ** 2).sum(1))
    return rows[chosen]


def latin_hypercube(m: int, k: int, seed: int) -> np.ndarray:
    """*m* points of the unit cube ``[0, 1]^k``, a Latin hypercube."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=k, seed=np.random.default_rng(seed)).random(m)


@dataclass
class HistoryMatch:
    """What history matching found: the runs, the kept space wave by wave, and why."""

    factors: list[str]
    aims: list[Aim]
    runs: pd.DataFrame
    """One row per design point: wave, point, unit position ``u_<factor>`` and value of each factor,
    and per target ``<target>_mean`` and ``<target>_var`` (the variance of the mean)."""
    candidates: np.ndarray
    """The candidate points (unit cube, rows)."""
    kept: list[np.ndarray]
    """Per wave, which candidates are not ruled out (boolean masks; each within the one before)."""
    implausibility: pd.DataFrame
    """The final implausibility of every candidate per target (columns: target names)."""
    emulated: pd.DataFrame
    """The final emulated mean of every candidate per target."""
    used: list[str]
    unreachable: dict[str, dict[str, float]]
    """Targets no candidate reaches: closest emulated value, its implausibility and the wave."""
    findings: list[str]
    check: pd.DataFrame
    """Fresh NROY points against the emulators: target, point, simulated_mean, emulated_mean,
    emulated_sd, standardised_error."""
    ruled_out: pd.DataFrame
    by_target: pd.DataFrame
    n: int
    natural: Callable[[np.ndarray], np.ndarray]
    emulators: dict[str, Emulator] = field(default_factory=dict)
    """The final emulators, one per target."""
    cpu_s: float = 0.0
    wall_s: float = 0.0
    days: int | None = None
    cutoff: float = CUTOFF
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def nroy(self) -> np.ndarray:
        """The final kept candidates (unit cube, rows)."""
        return self.candidates[self.kept[-1]] if self.kept else self.candidates[:0]

    @property
    def empty(self) -> bool:
        """Whether every candidate is ruled out."""
        return not self.kept or not self.kept[-1].any()

    def max_implausibility(self, unit: np.ndarray) -> np.ndarray:
        """The largest implausibility over the targets used at unit-cube points (rows), by the
        final emulators: a point is kept when this is at most the cut-off."""
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        aims = {a.name: a for a in self.aims}
        out = np.zeros(len(unit))
        for t in self.used:
            out = np.maximum(out, implausibility(aims[t], self.emulators[t], unit)[0])
        return out

    def nroy_table(self) -> pd.DataFrame:
        """The kept share of the candidates after each wave (``wave, runs, kept_share``)."""
        runs = self.runs.groupby("wave").size()
        return pd.DataFrame(
            {
                "wave": np.arange(1, len(self.kept) + 1),
                "runs": [int(runs.get(w, 0)) for w in range(1, len(self.kept) + 1)],
                "kept_share": [float(k.mean()) for k in self.kept],
            }
        )

    def budget(self) -> dict[str, Any]:
        """Runs spent: design points per wave, the check points, replications each and days each."""
        per_wave = self.nroy_table()["runs"].tolist()
        points = int(sum(per_wave)) + int(self.check["point"].nunique() if len(self.check) else 0)
        repeated = min(REPEATED_POINTS, per_wave[0]) if self.n == 1 and per_wave else 0
        points = points * self.n + 2 * repeated
        return {
            "runs_per_wave": per_wave,
            "repeated_points": repeated,
            "check_points": int(self.check["point"].nunique()) if len(self.check) else 0,
            "replications": self.n,
            "days": self.days,
            "simulations": points,
            "simulated_days": None if self.days is None else points * self.days,
        }

    def check_verdict(self) -> list[str]:
        """One sentence per target on the emulator check (:data:`CHECK_WITHIN_3`): the emulator is
        consistent with the fresh runs, or it is NOT, and the kept space rests on it anyway."""
        out = []
        for r in self.check_summary().itertuples():
            if r.points == 0:
                continue
            ok = r.within_3 >= CHECK_WITHIN_3
            word = "consistent with the fresh runs" if ok else "NOT consistent with the fresh runs"
            out.append(
                f"{r.target}: {r.within_3:.0%} of {r.points} fresh runs within 3 standard deviations of "
                f"the emulator (rule: at least {CHECK_WITHIN_3:.0%}): {word}"
                + ("" if ok else "; what it rules out is in doubt")
            )
        return out

    def check_summary(self) -> pd.DataFrame:
        """Per target: how many fresh points, the share of standardised errors within 2 and 3."""
        rows = []
        for name, g in self.check.groupby("target", sort=False):
            e = g["standardised_error"].to_numpy(dtype=float)
            e = e[np.isfinite(e)]
            rows.append(
                {
                    "target": name,
                    "points": int(e.size),
                    "within_2": float(np.mean(np.abs(e) <= 2)) if e.size else float("nan"),
                    "within_3": float(np.mean(np.abs(e) <= 3)) if e.size else float("nan"),
                    "largest_abs": float(np.max(np.abs(e))) if e.size else float("nan"),
                }
            )
        return pd.DataFrame(rows, columns=["target", "points", "within_2", "within_3", "largest_abs"])

    def kept_ranges(self) -> pd.DataFrame:
        """Per factor: the full range against the 5th-95th percentile of the kept candidates;
        ``width_vs_full`` is the kept 5th-95th width over the full range's (1: nothing learnt)."""
        full = self.natural(np.array([np.zeros(len(self.factors)), np.ones(len(self.factors))]))
        nroy = self.natural(self.nroy) if len(self.nroy) else None
        rows = []
        for j, name in enumerate(self.factors):
            lo, hi = np.nanquantile(nroy[:, j], [0.05, 0.95]) if nroy is not None else (np.nan, np.nan)
            u = self.nroy[:, j]
            width = float(np.quantile(u, 0.95) - np.quantile(u, 0.05)) if len(u) else float("nan")
            rows.append(
                {
                    "factor": name,
                    "low": float(full[0, j]),
                    "high": float(full[1, j]),
                    "kept_p05": float(lo),
                    "kept_p95": float(hi),
                    "width_vs_full": width / 0.9,
                }
            )
        return pd.DataFrame(rows)

    def ensemble(self, size: int, seed: int) -> pd.DataFrame:
        """Up to *size* kept candidates (drawn at random) as factor values, with ``implausibility``
        (the largest over the targets used); empty when nothing is kept."""
        idx = np.flatnonzero(self.kept[-1]) if self.kept else np.array([], dtype=int)
        if idx.size > size:
            idx = np.sort(np.random.default_rng([seed, 104729]).choice(idx, size, replace=False))
        sets = pd.DataFrame(
            self.natural(self.candidates[idx]).reshape(-1, len(self.factors)), columns=self.factors
        )
        imp = self.implausibility[self.used].to_numpy()[idx] if self.used else np.zeros((idx.size, 0))
        sets["implausibility"] = imp.max(axis=1) if imp.shape[1] else 0.0
        return sets


def _summaries(
    values: dict[str, list[np.ndarray]], names: Sequence[str], single: dict[str, float] | None = None
) -> dict[str, Any]:
    """Per target: per-point mean and variance of the mean (*single*, the pooled variance of one
    run, when a point has one value)."""
    out: dict[str, Any] = {}
    for name in names:
        rows = values[name]
        means, var = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
        for i, r in enumerate(rows):
            r = np.asarray(r, dtype=float)
            r = r[np.isfinite(r)]
            if r.size == 0:
                continue
            means[i] = r.mean()
            var[i] = r.var(ddof=1) / r.size if r.size > 1 else (single or {}).get(name, np.nan)
        out[name] = (means, var)
    return out


def _ruled_out(
    factors: Sequence[str], cand: np.ndarray, kept: np.ndarray, imp: pd.DataFrame, cutoff: float
) -> pd.DataFrame:
    """Per factor and bin of its range: the share kept, and per target the share that target alone
    rules out."""
    rows = []
    edges = np.linspace(0, 1, BINS + 1)
    out = imp.to_numpy() > cutoff
    for j, name in enumerate(factors):
        b = np.minimum((cand[:, j] * BINS).astype(int), BINS - 1)
        for i in range(BINS):
            sel = b == i
            row: dict[str, Any] = {
                "factor": name,
                "bin_low": float(edges[i]),
                "bin_high": float(edges[i + 1]),
                "kept_share": float(kept[sel].mean()) if sel.any() else float("nan"),
            }
            for t, col in enumerate(imp.columns):
                row[col] = float(out[sel, t].mean()) if sel.any() else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


def history_match(
    factors: Sequence[str],
    evaluate: Evaluator,
    aims: Sequence[Aim],
    *,
    waves: int = 3,
    runs_per_wave: int = 40,
    n: int = 2,
    seed: int = 0,
    check_runs: int = 10,
    candidates: int = CANDIDATES,
    cutoff: float = CUTOFF,
    natural: Callable[[np.ndarray], np.ndarray] | None = None,
    days: int | None = None,
) -> HistoryMatch:
    """History match *aims* over the unit cube of *factors*, running points with *evaluate*.

    *natural* turns unit points into factor values for the tables (default: as they are). The
    waves stop after *waves*, when nothing is kept, or when the kept share stops shrinking
    (:data:`SHRINK_MIN`).
    """
    if waves < 1:
        raise ValueError("waves must be at least 1")
    if runs_per_wave < 2:
        raise ValueError("runs_per_wave must be at least 2")
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    k = len(factors)
    names = [a.name for a in aims]
    by_name = {a.name: a for a in aims}
    natural = natural or (lambda u: np.asarray(u, dtype=float))
    design = latin_hypercube(runs_per_wave, k, seed)
    cand = np.vstack([latin_hypercube(candidates, k, seed + 1), design])
    keep = np.ones(len(cand), dtype=bool)
    in_design = np.zeros(len(cand), dtype=bool)
    in_design[candidates:] = True
    kept: list[np.ndarray] = []
    unreachable: dict[str, dict[str, float]] = {}
    findings: list[str] = []
    units: list[np.ndarray] = []
    stats: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {t: [] for t in names}
    wave_of: list[int] = []
    emulators: dict[str, Emulator] = {}
    single: dict[str, float] | None = None
    imp = pd.DataFrame(index=range(len(cand)))
    emu = pd.DataFrame(index=range(len(cand)))
    for w in range(1, waves + 1):
        if n == 1 and single is None:
            twice = _summaries(evaluate(design[:REPEATED_POINTS], 2), names)
            single = {t: float(np.nanmean(twice[t][1] * 2)) for t in names}
        summ = _summaries(evaluate(design, n), names, single)
        units.append(design)
        wave_of += [w] * len(design)
        for t in names:
            stats[t].append(summ[t])
        x = np.vstack(units)
        emulators = {}
        for t in names:
            mean = np.concatenate([s[0] for s in stats[t]])
            var = np.concatenate([s[1] for s in stats[t]])
            emulators[t] = fit_emulator(t, x, mean, var, seed + w, n)
            imp[t], emu[t] = implausibility(by_name[t], emulators[t], cand)
        for t in names:
            if t in unreachable or not keep.any():
                continue
            i_t = imp[t].to_numpy()
            best = int(np.argmin(i_t))  # over the whole ranges, not only what other targets keep
            if i_t[best] > cutoff:
                a = by_name[t]
                unreachable[t] = {
                    "closest": float(emu[t].iloc[best]),
                    "implausibility": float(i_t[best]),
                    "wave": w,
                }
                findings.append(
                    f"no parameter set in the ranges reaches {t} (closest: emulated value "
                    f"{emu[t].iloc[best]:.4g} against band [{a.low:g}, {a.high:g}]); "
                    f"it is left out of the cut from wave {w} on"
                )
        used = [t for t in names if t not in unreachable]
        worst = imp[used].to_numpy().max(axis=1) if used else np.zeros(len(cand))
        before = keep.copy()
        keep = keep & (worst <= cutoff)
        kept.append(keep.copy())
        if not keep.any():
            alone = {t: float((imp[t].to_numpy()[before] > cutoff).mean()) for t in used}
            top = sorted(alone, key=alone.get, reverse=True)[:3]
            findings.append(
                f"NROY is empty after wave {w}: the targets used rule out every candidate together; "
                "ruling out the most alone: " + ", ".join(f"{t} ({alone[t]:.0%})" for t in top)
            )
            break
        if w == waves:
            break
        if keep.mean() > before.mean() * (1 - SHRINK_MIN):
            findings.append(
                f"the kept share stopped shrinking at wave {w} ({keep.mean():.1%}); no further wave"
            )
            break
        pool = np.flatnonzero(keep & ~in_design)
        pick = pool[spread_out(cand[pool], runs_per_wave, seed + w, away_from=x)]
        in_design[pick] = True
        design = cand[pick]
    used = [t for t in names if t not in unreachable]
    x = np.vstack(units)
    table = pd.DataFrame({"wave": wave_of, "point": np.arange(len(x))})
    values = natural(x)
    for j, f in enumerate(factors):
        table[f"u_{f}"] = x[:, j]
        table[f] = values[:, j]
    for t in names:
        table[f"{t}_mean"] = np.concatenate([s[0] for s in stats[t]])
        table[f"{t}_var"] = np.concatenate([s[1] for s in stats[t]])
    check = _check(cand, keep & ~in_design, check_runs, evaluate, n, names, single, emulators, seed)
    alone = {t: float((imp[t].to_numpy() > cutoff).mean()) for t in names}
    by_target = pd.DataFrame(
        [
            {
                "target": t,
                "used": t in used,
                "band_low": by_name[t].low,
                "band_high": by_name[t].high,
                "ruled_out_share": alone[t],
                "closest": float(emu[t].iloc[int(np.argmin(imp[t].to_numpy()))]),
                "least_implausibility": float(imp[t].min()),
            }
            for t in names
        ]
    )
    return HistoryMatch(
        factors=list(factors),
        aims=list(aims),
        runs=table,
        candidates=cand,
        kept=kept,
        implausibility=imp,
        emulated=emu,
        used=used,
        unreachable=unreachable,
        findings=findings,
        check=check,
        ruled_out=_ruled_out(factors, cand, keep, imp[names], cutoff),
        by_target=by_target,
        n=n,
        natural=natural,
        emulators=emulators,
        cpu_s=cpu_seconds() - cpu0,
        wall_s=time.monotonic() - wall0,
        days=days,
        cutoff=cutoff,
    )


def _check(
    cand: np.ndarray,
    fresh: np.ndarray,
    m: int,
    evaluate: Evaluator,
    n: int,
    names: Sequence[str],
    single: dict[str, float] | None,
    emulators: dict[str, Emulator],
    seed: int,
) -> pd.DataFrame:
    """Kept candidates that were not design points (*fresh*), run and compared with the emulators."""
    cols = ["target", "point", "simulated_mean", "emulated_mean", "emulated_sd", "standardised_error"]
    pool = cand[fresh]
    if m <= 0 or len(pool) == 0:
        return pd.DataFrame(columns=cols)
    rng = np.random.default_rng([seed, 15485863])
    pts = pool[rng.choice(len(pool), min(m, len(pool)), replace=False)]
    summ = _summaries(evaluate(pts, n), names, single)
    rows = []
    for t in names:
        mean, var = summ[t]
        mu, var_em = emulators[t].predict(pts)
        # a point's own variance from n = 2 runs can be near 0 by chance: at least the pooled one
        sd = np.sqrt(var_em + np.maximum(var, emulators[t].var_rep / n))
        miss = mean - mu
        # an exact emulator of a target that does not vary (sd 0) is right only when it is exact
        err = np.divide(miss, sd, out=np.where(miss == 0, 0.0, np.inf * np.sign(miss)), where=sd > 0)
        for i in range(len(pts)):
            rows.append(
                {
                    "target": t,
                    "point": i,
                    "simulated_mean": float(mean[i]),
                    "emulated_mean": float(mu[i]),
                    "emulated_sd": float(np.sqrt(var_em[i])),
                    "standardised_error": float(err[i]),
                }
            )
    return pd.DataFrame(rows, columns=cols)


# --- the simulator ------------------------------------------------------------------------


def fit_targets(targets: Sequence[Target]) -> list[Target]:
    """The targets with ``role: fit`` (holdouts are never matched)."""
    return [t for t in targets if t.role == "fit"]


def simulator_evaluator(
    scenario: Scenario,
    ranges: Ranges,
    targets: Sequence[Target],
    seed: int,
    jobs: int | None = None,
    executor: Executor | None = None,
) -> Evaluator:
    """An evaluator that runs unit-cube points through the simulator with
    :func:`~sim.studies.ensemble.run_sets` (replications on common random numbers)."""
    calls = [0]

    def evaluate(unit: np.ndarray, n: int) -> dict[str, list[np.ndarray]]:
        calls[0] += 1
        exps = run_sets(
            scenario, ranges, ranges.natural(unit), n, seed, jobs, executor, label=f"hm{calls[0]}_"
        )
        return {t.name: [np.asarray(t.values(e), dtype=float) for e in exps] for t in targets}

    return evaluate


def over_days(scenario: Scenario, days: int) -> Scenario:
    """*scenario* run over *days* days; refused when they do not exceed its warm-up."""
    if days <= scenario.run.warmup_days:
        raise ScenarioError(
            "--days",
            [("run.days", f"{days} days leave nothing after the warm-up of {scenario.run.warmup_days} days")],
        )
    return scenario.with_changes({"run.days": days})


def history_match_scenario(
    scenario: Scenario,
    ranges: Ranges,
    targets: Sequence[Target],
    *,
    waves: int = 3,
    runs_per_wave: int = 40,
    n: int = 2,
    days: int | None = None,
    seed: int = 0,
    check_runs: int = 10,
    candidates: int = CANDIDATES,
    jobs: int | None = None,
    executor: Executor | None = None,
) -> HistoryMatch:
    """History match the fit targets of *targets* over *ranges* with the simulator.

    Every key of the ranges must match the scenario and every KPI a target names must exist, or a
    :class:`ScenarioError` names the file and key before anything runs.
    """
    ranges.check(scenario)
    sc = over_days(scenario, days) if days is not None else scenario
    used = fit_targets(targets)
    if not used:
        raise ScenarioError("targets", [("targets", "no target has role: fit")])
    check_names(sc, used)
    evaluate = simulator_evaluator(sc, ranges, used, seed, jobs, executor)
    return history_match(
        ranges.names,
        evaluate,
        [Aim.of(t) for t in used],
        waves=waves,
        runs_per_wave=runs_per_wave,
        n=n,
        seed=seed,
        check_runs=check_runs,
        candidates=candidates,
        natural=ranges.natural,
        days=sc.run.days,
    )


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance(
    hm: HistoryMatch,
    scenario: Scenario,
    scenario_file: str | Path,
    ranges: Ranges,
    targets_file: str | Path,
    seed: int,
    runs_per_wave: int,
) -> dict[str, Any]:
    """Where an ensemble from *hm* came from, for :func:`~sim.studies.ensemble.write_ensemble`."""
    import sim

    return {
        "made_by": "history matching (sim.studies.history)",
        "scenario": scenario.name,
        "scenario_file": str(scenario_file),
        "scenario_sha256": file_sha256(scenario_file),
        "ranges_digest": ranges.digest(),
        "targets_file": str(targets_file),
        "targets_sha256": file_sha256(targets_file),
        "seed": seed,
        "bordersim_version": sim.__version__,
        "waves": len(hm.kept),
        "runs_per_wave": runs_per_wave,
        "replications": hm.n,
        "days": hm.days,
        "cutoff": hm.cutoff,
        "targets_used": list(hm.used),
        "targets_unreachable": sorted(hm.unreachable),
        "nroy_share": float(hm.kept[-1].mean()) if hm.kept else 0.0,
        # the scenario's values at the keys a factor sets: an option that changes one of them
        # itself keeps its change against these (sim.studies.ensemble.option_changes)
        "reference": reference_values(ranges, scenario),
    }
