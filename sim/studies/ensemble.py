"""Parameter sets the targets allow, and the question asked across them.

An *ensemble* is what history matching (:mod:`sim.studies.history`) keeps: parameter sets
(one row each, one column per factor of a ranges file) that no target rules out. It is stored as
two files side by side: ``NAME.parquet`` (the sets) and ``NAME.yaml`` (provenance: the ranges
themselves and their hash, the targets' hash, the scenario, the seed, the version, and the
Parquet file's SHA-256, checked on loading so a damaged or swapped table is refused).

:func:`run_sets` is the one way the studies run parameter sets: every set is replicated on the
same seeds (common random numbers across sets), so differences between sets are the parameters'
and not the random numbers'. :func:`ensemble_spread` summarises a KPI across sets as the 5th-95th
percentile of the per-set means, beside the replication interval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.designs import replicate_each
from sim.experiments.experiment import Experiment
from sim.experiments.window import Window
from sim.world.ranges import Ranges, expand_keys, get_key, validate_ranges
from sim.world.scenario import Scenario
from sim.world.scenario_files import read_yaml_file
from sim.world.schema.names import ScenarioError
from sim.world.yaml_guard import guarded_dump

FORMAT = "bordersim-ensemble/1"
"""The provenance file's ``format``; another value is refused."""
MAX_SETS = 100_000
"""The most parameter sets an ensemble file may hold."""
MAX_PARQUET_BYTES = 64 * 1024 * 1024
"""The largest ensemble table read (64 MiB; 100,000 sets of 40 factors take about 32 MiB)."""
SPREAD_QUANTILES = (0.05, 0.95)
"""The spread from what is unknown: these quantiles of the per-set means."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensemble_paths(path: str | Path) -> tuple[Path, Path]:
    """The table and the provenance of the ensemble named by *path* (either file, or their stem)."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".parquet", ".yaml") else path
    return stem.with_suffix(".parquet"), stem.with_suffix(".yaml")


@dataclass
class Ensemble:
    """Parameter sets over the factors of *ranges*, with where they came from."""

    ranges: Ranges
    sets: pd.DataFrame
    """One row per set, one column per factor (natural units), plus any scores (implausibility)."""
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = "<ensemble>"

    @property
    def m(self) -> int:
        """How many parameter sets the ensemble holds."""
        return len(self.sets)

    def values(self) -> np.ndarray:
        """The sets as an array (sets x factors, in the ranges' order)."""
        return self.sets[self.ranges.names].to_numpy(dtype=float)

    def draw(self, m: int, seed: int) -> Ensemble:
        """*m* sets drawn from the ensemble without replacement (all of them when it has fewer)."""
        if m >= self.m:
            return self
        rows = np.sort(np.random.default_rng([seed, 4099]).choice(self.m, size=m, replace=False))
        return Ensemble(
            self.ranges, self.sets.iloc[rows].reset_index(drop=True), self.provenance, self.source
        )


def write_ensemble(path: str | Path, ranges: Ranges, sets: pd.DataFrame, provenance: dict[str, Any]) -> Path:
    """Write the sets as Parquet and the provenance as YAML beside it; return the Parquet path.

    Each file is written to a temporary name and renamed, the table first, so an interrupted
    write never leaves a provenance that vouches for a missing or partial table.
    """
    table_path, meta_path = ensemble_paths(path)
    missing = [n for n in ranges.names if n not in sets.columns]
    if missing:
        raise ValueError(f"the sets lack factors {missing}")
    table_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = table_path.with_name(f".{table_path.name}.partial")
    sets.reset_index(drop=True).to_parquet(tmp, index=False)
    tmp.replace(table_path)
    meta = {
        "format": FORMAT,
        **provenance,
        "sets": len(sets),
        "parquet_sha256": _sha256(table_path),
        "ranges_sha256": ranges.digest(),
        "ranges": ranges.model_dump(mode="json"),
    }
    tmp = meta_path.with_name(f".{meta_path.name}.partial")
    tmp.write_text(guarded_dump(meta), encoding="utf-8")
    tmp.replace(meta_path)
    return table_path


def point_ensemble(ranges: Ranges, values: Sequence[Sequence[float]], source: str = "<sets>") -> Ensemble:
    """An ensemble of the given sets (rows of factor values in the ranges' order), for notebooks."""
    sets = ranges.table(np.asarray(values, dtype=float))
    return Ensemble(ranges, sets, {"made_by": "given sets"}, source)


def load_ensemble(path: str | Path) -> Ensemble:
    """Read an ensemble through the guards: both files present, the provenance's format and hash,
    the table's size, its columns (every factor once), finite values inside the ranges."""
    table_path, meta_path = ensemble_paths(path)
    src = str(path)
    for p in (table_path, meta_path):
        if not p.exists():
            raise ScenarioError(
                src, [("", f"{p} is missing (an ensemble is NAME.parquet and NAME.yaml)")], what="ensemble"
            )
    try:
        meta = read_yaml_file(meta_path, str(meta_path))
    except ScenarioError as err:
        raise ScenarioError(err.source, err.problems, what="ensemble provenance") from None
    if meta.get("format") != FORMAT:
        raise ScenarioError(
            str(meta_path),
            [("format", f"expected {FORMAT!r}, got {meta.get('format')!r}")],
            what="ensemble provenance",
        )
    ranges = validate_ranges(meta.get("ranges"), f"{meta_path} ranges")
    if meta.get("ranges_sha256") != ranges.digest():
        raise ScenarioError(
            str(meta_path),
            [("ranges_sha256", "does not match the ranges it holds")],
            what="ensemble provenance",
        )
    if not table_path.is_file():
        raise ScenarioError(str(table_path), [("", "not a regular file")], what="ensemble table")
    size = table_path.stat().st_size
    if size > MAX_PARQUET_BYTES:
        raise ScenarioError(
            str(table_path),
            [("", f"{size:,} bytes; at most {MAX_PARQUET_BYTES:,} are read")],
            what="ensemble table",
        )
    if _sha256(table_path) != meta.get("parquet_sha256"):
        raise ScenarioError(
            str(table_path),
            [("", f"its SHA-256 differs from parquet_sha256 in {meta_path}: damaged or replaced")],
            what="ensemble table",
        )
    try:
        sets = pd.read_parquet(table_path)
    except Exception as err:  # pyarrow raises several kinds for a broken file
        raise ScenarioError(
            str(table_path), [("", f"not a readable Parquet table: {err}")], what="ensemble table"
        ) from None
    problems: list[tuple[str, str]] = []
    if not 1 <= len(sets) <= MAX_SETS:
        problems.append(("", f"{len(sets):,} sets; 1 to {MAX_SETS:,} are read"))
    for name, f in ranges.factors.items():
        if name not in sets.columns:
            problems.append((name, "factor of the ranges missing from the table"))
            continue
        col = pd.to_numeric(sets[name], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            problems.append((name, f"row {bad[0]}: not a finite number"))
            continue
        tol = 1e-9 * max(1.0, abs(f.high))
        out = np.flatnonzero((col < f.low - tol) | (col > f.high + tol))
        if out.size:
            problems.append(
                (name, f"row {out[0]}: {col[out[0]]:g} lies outside its range {f.low:g}-{f.high:g}")
            )
    if problems:
        raise ScenarioError(str(table_path), problems, what="ensemble table")
    return Ensemble(ranges, sets, meta, src)


def run_sets(
    scenario: Scenario,
    ranges: Ranges,
    values: np.ndarray,
    n: int,
    seed: int,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    window: Window | None = None,
    label: str = "set",
    keep_runs: int = 0,
    keep_series: bool = False,
) -> list[Experiment]:
    """Replicate *scenario* at each row of *values* (sets x factors), *n* times each, on common
    random numbers: every set uses replications ``seed``, 0..n-1 (*keep_runs* of each kept whole,
    for measures read from the truck log)."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    scenarios = [
        ranges.apply(scenario, row, name=f"{scenario.name}_{label}{i}"[:80]) for i, row in enumerate(values)
    ]
    return replicate_each(
        scenarios,
        n,
        seed,
        jobs=jobs,
        executor=executor,
        window=window,
        keep_runs=keep_runs,
        keep_series=keep_series,
    )


def set_means(exps: Sequence[Experiment], kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Each set's mean of each KPI over its replications (sets x KPIs)."""
    rows = [e.kpis.mean(numeric_only=True) for e in exps]
    table = pd.DataFrame(rows).reset_index(drop=True)
    return table if kpis is None else table[[k for k in kpis if k in table.columns]]


def ensemble_spread(exps: Sequence[Experiment], kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Per KPI: the 5th, 50th and 95th percentiles of the per-set means across the *m* sets, and
    the mean replication count per set (``kpi, m, n_per_set, p05, p50, p95``)."""
    means = set_means(exps, kpis)
    n = float(np.mean([e.n for e in exps])) if exps else 0.0
    lo, hi = SPREAD_QUANTILES
    rows = []
    for kpi in means.columns:
        col = means[kpi].to_numpy(dtype=float)
        col = col[np.isfinite(col)]
        if col.size == 0:
            continue
        rows.append(
            {
                "kpi": kpi,
                "m": int(col.size),
                "n_per_set": n,
                "p05": float(np.quantile(col, lo)),
                "p50": float(np.quantile(col, 0.5)),
                "p95": float(np.quantile(col, hi)),
            }
        )
    return pd.DataFrame(rows, columns=["kpi", "m", "n_per_set", "p05", "p50", "p95"])


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished worker processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def reference_values(ranges: Ranges, scenario: Scenario) -> dict[str, Any]:
    """The values *scenario* has at every key a factor sets outright (a ``set`` key, the shares a
    ``renormalise`` factor rewrites, a ``mix`` profile): the reference an option's own change of
    such a key is measured against. Keys a factor *scales* need none: scaling keeps an option's
    change by itself."""
    data = scenario.to_dict()
    out: dict[str, Any] = {}
    for f in ranges.factors.values():
        if f.mix is not None:
            out[f.mix] = get_key(data, f.mix)
        for pattern in f.set or []:
            for key in expand_keys(data, pattern):
                if f.renormalise:
                    parent = key.rpartition(".")[0]
                    out[parent] = dict(get_key(data, parent))
                else:
                    out[key] = get_key(data, key)
    return out


def option_changes(
    ranges: Ranges, reference: Mapping[str, Any], option: Scenario, values: Sequence[float]
) -> tuple[dict[str, Any], list[str]]:
    """The changes that put *option* at a parameter set, and the keys the option sets itself.

    A factor that *sets* a key the option changes itself (its value differs from *reference*, the
    scenario the ranges describe: e.g. an option with slower Chinese checks) would otherwise undo
    the option. A number keeps the option's change as a ratio to the reference (the set's value x
    option / reference); a share split or a profile keeps the option's own value, and the factor is
    not applied to it.
    """
    on_option = ranges.changes(option, values)
    option_data = option.to_dict()
    own: list[str] = []
    for key in list(on_option):
        if key not in reference:
            continue  # a scaled key: the factor multiplies the option's own value
        try:
            old_o = get_key(option_data, key)
        except (KeyError, TypeError, IndexError):
            continue
        old_r = reference[key]
        if old_o == old_r:
            continue
        own.append(key)
        if _number(old_r) and _number(old_o) and _number(on_option[key]) and old_r != 0:
            new = on_option[key] * old_o / old_r
            on_option[key] = round(new) if isinstance(old_o, int) else new
        else:
            del on_option[key]
    return on_option, own


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


@dataclass
class EnsembleRuns:
    """Options replicated at every parameter set of an ensemble, on common random numbers."""

    ensemble: Ensemble
    options: list[Scenario]
    experiments: list[list[Experiment]]
    """``experiments[k][i]``: option *k* at set *i*."""
    own_keys: list[str]
    """Keys an option sets itself that a factor also sets (kept as a ratio to the base)."""
    cpu_s: float

    @property
    def m(self) -> int:
        """Parameter sets run."""
        return self.ensemble.m

    @property
    def n_per_set(self) -> int:
        """Replications per set and option."""
        return min(e.n for exps in self.experiments for e in exps)

    def means(self, k: int, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Option *k*'s mean of each KPI at each set (sets x KPIs)."""
        return set_means(self.experiments[k], kpis)

    def spread(self, kpis: Sequence[str], points: Sequence[Experiment] | None = None) -> pd.DataFrame:
        """Per option and KPI: the spread across sets (``m, n_per_set, p05, p50, p95``) beside the
        replication interval of *points* (the option at the scenario's own values), when given."""
        rows = []
        for k, option in enumerate(self.options):
            spread = ensemble_spread(self.experiments[k], kpis)
            summary = points[k].summary() if points is not None else None
            for r in spread.itertuples(index=False):
                row = {"option": option.name, **r._asdict()}
                if summary is not None and r.kpi in summary.index:
                    s = summary.loc[r.kpi]
                    row |= {"mean": s["mean"], "ci_low": s["ci_low"], "ci_high": s["ci_high"], "n": s["n"]}
                rows.append(row)
        cols = ["option", "kpi", "mean", "ci_low", "ci_high", "n", "m", "n_per_set", "p05", "p50", "p95"]
        return pd.DataFrame(rows).reindex(columns=cols)

    def effects(self, kpis: Sequence[str], overrides: dict[str, float] | None = None) -> pd.DataFrame:
        """Per option (against the first) and KPI: the paired effect at each set judged with
        :func:`sim.experiments.stats.paired_effect`, summarised over the sets: the 5th-95th
        percentile of the per-set differences, and in how many sets the effect is up, down, none
        within the margin, or undecided."""
        from sim.experiments.stats import EFFECT, NEGLIGIBLE, NO_EFFECT, NOT_MEASURED, paired_effect

        rows = []
        for k in range(1, len(self.options)):
            for kpi in kpis:
                diffs, verdicts = [], []
                for base, other in zip(self.experiments[0], self.experiments[k], strict=True):
                    if kpi not in base.kpis or kpi not in other.kpis:
                        continue
                    e = paired_effect(
                        kpi, base.kpis[kpi].to_numpy(), other.kpis[kpi].to_numpy(), None, overrides
                    )
                    if e.verdict == NOT_MEASURED:
                        continue
                    diffs.append(e.diff)
                    if e.verdict == EFFECT:
                        verdicts.append("up" if e.diff > 0 else "down")
                    else:  # no effect or a negligible one: none that matters
                        verdicts.append("none" if e.verdict in (NO_EFFECT, NEGLIGIBLE) else "undecided")
                d = np.asarray(diffs, dtype=float)
                d = d[np.isfinite(d)]
                if not d.size:
                    continue
                lo, hi = SPREAD_QUANTILES
                rows.append(
                    {
                        "option": self.options[k].name,
                        "kpi": kpi,
                        "m": int(d.size),
                        "n_per_set": self.n_per_set,
                        "diff_p05": float(np.quantile(d, lo)),
                        "diff_p50": float(np.quantile(d, 0.5)),
                        "diff_p95": float(np.quantile(d, hi)),
                        "sets_up": verdicts.count("up"),
                        "sets_down": verdicts.count("down"),
                        "sets_no_effect": verdicts.count("none"),
                        "sets_undecided": verdicts.count("undecided"),
                    }
                )
        return pd.DataFrame(rows)

    def sets_table(self, kpis: Sequence[str]) -> pd.DataFrame:
        """Every option at every set: the factor values and the KPI means (for plots and checks)."""
        parts = []
        for k, option in enumerate(self.options):
            means = self.means(k, kpis)
            part = pd.concat(
                [self.ensemble.sets[self.ensemble.ranges.names].reset_index(drop=True), means], axis=1
            )
            part.insert(0, "set", range(len(part)))
            part.insert(0, "option", option.name)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def deciding_factor(self, values: np.ndarray) -> tuple[str, float] | None:
        """The factor whose values across the sets rank-correlate most with *values* (one per set),
        and Spearman's rho; None when nothing varies."""
        from scipy.stats import spearmanr

        v = np.asarray(values, dtype=float)
        best: tuple[str, float] | None = None
        if np.nanstd(v) == 0:
            return None
        for name in self.ensemble.ranges.names:
            x = self.ensemble.sets[name].to_numpy(dtype=float)
            if np.std(x) == 0:
                continue
            rho = float(spearmanr(x, v, nan_policy="omit").statistic)
            if rho == rho and (best is None or abs(rho) > abs(best[1])):
                best = (name, rho)
        return best


def across_ensemble(
    options: Sequence[Scenario],
    ensemble: Ensemble,
    n: int,
    seed: int,
    jobs: int | None = None,
    executor: Executor | None = None,
    *,
    window: Window | None = None,
    base: Scenario | None = None,
) -> EnsembleRuns:
    """Every option at every set of *ensemble*, *n* replications each, all on the same seeds (the
    options are paired within each set, and the sets share random numbers too).

    An option's own change of a key a factor sets is measured against the ensemble's reference
    (the values of the scenario it was made for, in its provenance), else against *base* (the
    scenario the options vary), else against the first option (:func:`option_changes`).
    """
    ranges = ensemble.ranges
    for option in options:
        ranges.check(option)
    reference = ensemble.provenance.get("reference")
    if not isinstance(reference, Mapping):
        reference = reference_values(ranges, base if base is not None else options[0])
    values = ensemble.values()
    scenarios, own = [], []
    for option in options:
        for i, row in enumerate(values):
            changes, keys = option_changes(ranges, reference, option, row)
            own += [key for key in keys if key not in own]
            scenarios.append(option.with_changes(changes, name=f"{option.name}_set{i}"[:80]))
    start = cpu_seconds()
    exps = replicate_each(scenarios, n, seed, jobs=jobs, executor=executor, window=window)
    m = len(values)
    grid = [exps[k * m : (k + 1) * m] for k in range(len(options))]
    return EnsembleRuns(ensemble, list(options), grid, own, cpu_seconds() - start)


def _meets(mean: float, op: str, bound: float) -> bool:
    return bool(mean <= bound) if op == "<=" else bool(mean >= bound)


def meets_by_set(runs: EnsembleRuns, k: int, targets: Sequence[Any]) -> np.ndarray:
    """Per set, whether option *k*'s mean meets every target (``kpi op bound``); a missing value
    does not meet."""
    means = runs.means(k, [t.kpi for t in targets])
    meets = np.ones(len(means), dtype=bool)
    for t in targets:
        col = means[t.kpi].to_numpy(dtype=float) if t.kpi in means else np.full(len(means), np.nan)
        meets &= np.array([_meets(x, t.op, t.bound) if x == x else False for x in col])
    return meets


def choice_across(runs: EnsembleRuns, targets: Sequence[Any], costs: Sequence[float]) -> pd.DataFrame:
    """Per option run across the ensemble: in how many sets its mean meets every target (each
    target ``kpi op bound``), and its cost; for the first option (the choice), in how many of the
    sets where it misses the second (the runner-up) meets them. A set's verdict is read from its
    mean over the replications run there (a point reading: the sets are many, their replications
    few), and the table says how many that was (``n_per_set``)."""
    rows = []
    first = meets_by_set(runs, 0, targets)
    second = meets_by_set(runs, 1, targets) if len(runs.options) > 1 else None
    for k, option in enumerate(runs.options):
        meets = meets_by_set(runs, k, targets)
        row = {
            "option": option.name,
            "cost": float(costs[k]),
            "m": len(meets),
            "n_per_set": runs.n_per_set,
            "sets_meeting": int(meets.sum()),
            "share_meeting": float(meets.mean()) if len(meets) else float("nan"),
            "runner_up_meets_where_first_misses": float("nan"),
        }
        if k == 0 and second is not None:
            row["runner_up_meets_where_first_misses"] = int((second & ~first).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def slack(runs: EnsembleRuns, k: int, targets: Sequence[Any]) -> np.ndarray:
    """Per set, option *k*'s smallest margin to its targets, as a fraction of each bound (negative
    where a target is missed): what decides whether the option holds in that set."""
    means = runs.means(k, [t.kpi for t in targets])
    out = np.full(len(means), np.inf)
    for t in targets:
        col = means[t.kpi].to_numpy(dtype=float)
        gap = (t.bound - col) if t.op == "<=" else (col - t.bound)
        out = np.minimum(out, gap / max(abs(t.bound), 1e-9))
    return out
