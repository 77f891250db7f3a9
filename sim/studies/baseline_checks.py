"""Checks of the baseline that can fail: its figures month by month, and "no hidden jam" over a year.

Two families, both returning what failed so that a broken model is seen to fail them:

- :func:`month_failures`: each month's export and import figures against reported ranges, and
  the effect of fruit priority. Run on the baseline's busiest month, they hold for the baseline
  and fail when the Chinese checkpoint is switched off or halved, or fruit priority removed.
- :func:`hidden_jam`: over a long run (the 2025 year), month by month, no queue grows, the
  export backlog returns to its normal level after each disruption, and the busiest Chinese
  checkpoint stays below :data:`CHECKPOINT_BUSY_MAX` busy in its open hours in the busiest month.

Every band below was written down before the model's result was looked at, with its source
("FF x" = ../shared/field-facts.md, copied in docs/sources.md). Figures are means over the
replications, one observation per replication; n is reported with every verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.experiments.experiment import Experiment
from sim.experiments.results import GROWTH_MIN_DAYS, unstable
from sim.experiments.stats import bounded_interval
from sim.world.scenario import Scenario
from sim.world.schema.events import CapacityEvent, ClosureEvent, DemandEvent

EXPORT_PER_DAY = (350.0, 600.0)
"""Export trucks cleared a day. Reported: exports 22-30% of 1,600-1,700 a day = 352-510 (FF
targets 1-2); 451 on 29 May 2025, 526 a day in the week to 29 May 2025, ~570 on the 25-26 Apr
2025 record (FF 1a). Band: 350 to 600 (the record widened by 5%)."""
IMPORT_PER_DAY = (1100.0, 1400.0)
"""Import trucks cleared a day. Reported: imports 70-78% of 1,600-1,700 = 1,120-1,326 (FF
targets 1-2); 1,311 a day in the week to 29 May 2025, 1,336 on the record days (FF 1a). Band:
1,100 to 1,400 (the reported extremes widened by about 2% and 5%)."""
EXPORT_PROCEDURE_H = (2.7, 4.4)
"""Export procedure time (yard entry to clearance), hours. Reported: 3-4 h end to end in 2025
(FF 4, FF targets 9), read as the exports' procedure (analysis/overnight_hold.md). Band: the
reported range widened by 10% each side."""
IMPORT_PROCEDURE_H_MAX = 4.4
"""Import procedure time, hours: at most the reported 3-4 h widened by 10% (FF 4)."""
FRUIT_TO_CHINA_RATIO_MAX = 0.8
"""Fresh fruit goes first at the Chinese checkpoint (green lane, FF 5): fruit exports' mean time
from the end of their Vietnamese procedures to crossing is at most 0.8 of general cargo's."""

CHECKPOINT_BUSY_MAX = 0.90
"""The busiest Chinese checkpoint stays below 90% busy in its open hours in the busiest month
(issue 6's criterion): the upper end of the 95% interval of its utilisation is below this."""
RETURN_DAYS = 14
"""After a disruption the export backlog must be back at its normal level within this many days."""
NORMAL_QUANTILE = 0.9
"""The normal level's upper edge: this quantile of exports held on normal days (see :func:`hidden_jam`)."""


def _mean_by_month(exp: Experiment) -> pd.DataFrame:
    per_rep = exp.monthly
    if per_rep.empty:
        raise ValueError("the experiment kept no monthly figures")
    numeric = per_rep.drop(columns=["first"]).set_index(["month", "replication"]).astype(float)
    return numeric.groupby(level="month").mean()


def _grows(exp: Experiment) -> pd.DataFrame:
    """Per month and gate/direction: replications whose queue grows, and those judged."""
    per_rep = exp.monthly
    cols = [c for c in per_rep.columns if c.startswith("grows_")]
    judged = per_rep[["month", *cols]].groupby("month").count()
    grows = per_rep[["month", *cols]].groupby("month").sum(min_count=1)
    return pd.concat({"grows": grows, "judged": judged}, axis=1)


def growing_queues(exp: Experiment) -> dict[str, list[str]]:
    """Per month, the gates and directions whose queue grows (:data:`GROWTH_RULE`) in more than
    half of the replications (months of fewer than ``GROWTH_MIN_DAYS`` days are not judged)."""
    g = _grows(exp)
    out: dict[str, list[str]] = {}
    for month, row in g.iterrows():
        bad = []
        for col in g["grows"].columns:
            judged = int(row[("judged", col)])
            if judged and unstable(int(row[("grows", col)]), judged):
                gate, direction = col.removeprefix("grows_").rsplit("_", 1)
                bad.append(f"{gate} {direction}")
        out[str(month)] = bad
    return out


def _outside(name: str, value: float, band: tuple[float, float], month: str, unit: str) -> list[str]:
    low, high = band
    if value == value and low <= value <= high:
        return []
    return [f"{month}: {name} {value:,.2f} {unit} outside [{low:g}, {high:g}]"]


def month_failures(exp: Experiment, fruit: str = "fruit", other: str = "general") -> list[str]:
    """Every check the baseline's months fail, as sentences naming month, figure and band;
    empty when all hold. Exports and imports are checked apart, each month on its own."""
    means = _mean_by_month(exp)
    growing = growing_queues(exp)
    failed: list[str] = []
    for month, m in means.iterrows():
        failed += _outside(
            "exports cleared", m["cleared_per_day_mean_export"], EXPORT_PER_DAY, month, "a day"
        )
        failed += _outside(
            "imports cleared", m["cleared_per_day_mean_import"], IMPORT_PER_DAY, month, "a day"
        )
        failed += _outside(
            "export procedure time", m["procedure_h_mean_export"], EXPORT_PROCEDURE_H, month, "h"
        )
        failed += _outside(
            "import procedure time", m["procedure_h_mean_import"], (0.0, IMPORT_PROCEDURE_H_MAX), month, "h"
        )
        mine, theirs = m[f"time_h_mean_export_to_china_{fruit}"], m[f"time_h_mean_export_to_china_{other}"]
        ratio = mine / theirs if theirs > 0 else np.nan
        if not ratio <= FRUIT_TO_CHINA_RATIO_MAX:
            failed.append(
                f"{month}: {fruit} exports' time to China {mine:.2f} h is {ratio:.2f} of {other}'s "
                f"{theirs:.2f} h (at most {FRUIT_TO_CHINA_RATIO_MAX:g}: fruit is not served first)"
            )
        failed += [
            f"{month}: the {what} queue grows (sim.experiments.results.GROWTH_RULE)"
            for what in growing.get(str(month), [])
        ]
    return failed


def disruptions(sc: Scenario) -> list[tuple[dt.date, dt.date, str]]:
    """Spans of days that disrupt the gates (closures, capacity cuts, demand changes), those that
    touch merged into one, each with the names of its events."""
    spans = []
    for ev in sc.events:
        if isinstance(ev, ClosureEvent) or (isinstance(ev, CapacityEvent) and ev.factor < 1):
            end = (ev.end - dt.timedelta(minutes=1)).date()
            spans.append((ev.start.date(), end, ev.name or ev.kind))
        elif isinstance(ev, DemandEvent) and ev.factor != 1:
            spans.append((ev.start, ev.end, ev.name or ev.kind))
    spans.sort()
    merged: list[tuple[dt.date, dt.date, str]] = []
    for start, end, name in spans:
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            a, b, names = merged[-1]
            joined = names if name in names.split("; ") else f"{names}; {name}"
            merged[-1] = (a, max(b, end), joined)
        else:
            merged.append((start, end, name))
    return merged


@dataclass
class JamCheck:
    """The verdict of :func:`hidden_jam` with the tables it rests on."""

    n: int
    months: pd.DataFrame
    returns: pd.DataFrame
    normal_level: float
    normal_upper: float
    busiest_month: str
    busiest_checkpoint: str
    busiest_utilisation: tuple[float, float, float]
    verdicts: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every criterion holds."""
        return all(self.verdicts.values())


def _held_exports(exp: Experiment) -> pd.DataFrame:
    """Exports held at the clock time each day, province total: one column per replication."""
    d = exp.daily
    d = d[(d["direction"] == "export") & ~d["warmup"] & d["held"].notna()]  # none on the last evenings
    return d.pivot_table(index="date", columns="replication", values="held", aggfunc="sum")


def hidden_jam(exp: Experiment) -> JamCheck:
    """Issue 6's "no hidden jam" criterion over a long run, month by month.

    1. No queue grows over any month: no gate and direction grows (:data:`GROWTH_RULE`) in more
       than half of the replications, in any month of at least ``GROWTH_MIN_DAYS`` days.
    2. The export backlog returns to its normal level. H(day) = exports held at
       ``kpi.held_clock`` (province total), mean over the replications. Normal days: days after
       the warm-up outside every disruption (:func:`disruptions`) and the :data:`RETURN_DAYS`
       after it. Normal level = the median of H over normal days; its upper edge = the
       :data:`NORMAL_QUANTILE` quantile. A disruption "returns" when H is at or below that edge
       on some day within :data:`RETURN_DAYS` days after its last day.
    3. In the busiest month (highest mean trucks cleared a day) the busiest Chinese checkpoint
       (highest mean utilisation in its open hours) has the upper end of its 95% interval below
       :data:`CHECKPOINT_BUSY_MAX`.
    """
    sc = exp.scenario
    means = _mean_by_month(exp)
    growing = growing_queues(exp)
    held = _held_exports(exp)
    h = held.mean(axis=1)
    dates = h.index.date
    spans = disruptions(sc)
    normal = np.ones(len(h), dtype=bool)
    for start, end, _ in spans:
        normal &= ~((dates >= start) & (dates <= end + dt.timedelta(days=RETURN_DAYS)))
    level = float(np.median(h[normal])) if normal.any() else np.nan
    upper = float(np.quantile(h[normal], NORMAL_QUANTILE)) if normal.any() else np.nan
    rows = []
    for start, end, names in spans:
        after = (dates > end) & (dates <= end + dt.timedelta(days=RETURN_DAYS))
        inside = (dates >= start) & (dates <= end)
        back = [d for d, ok in zip(dates[after], (h[after] <= upper).to_numpy(), strict=True) if ok]
        last_day = h.index.max().date()
        judged = end + dt.timedelta(days=RETURN_DAYS) <= last_day or bool(back)
        rows.append(
            {
                "from": start,
                "to": end,
                "events": names,
                "peak_held": float(h[inside | after].max()) if (inside | after).any() else np.nan,
                "back_on": back[0] if back else None,
                "days_after": (back[0] - end).days if back else None,
                "returns": bool(back) if judged else None,
            }
        )
    returns = pd.DataFrame(rows)
    busiest = str(means["cleared_per_day_mean"].idxmax())
    util_cols = [c for c in means.columns if c.startswith("utilisation_") and "_china_check_" in c]
    top = _busiest(means.loc[busiest, util_cols])
    per_rep = exp.monthly
    values = (
        per_rep.loc[per_rep["month"] == busiest, top].to_numpy(dtype=float) if top else np.array([np.nan])
    )
    if values.size > 1:
        low, high, _ = bounded_interval(values[:, None], "share")
        interval = (float(values.mean()), float(low[0]), float(high[0]))
    else:
        interval = (float(values.mean()), float(values.mean()), float(values.mean()))
    month_rows = []
    for month, m in means.iterrows():
        busiest_here = _busiest(m[util_cols])
        month_rows.append(
            {
                "month": month,
                "days": int(m["days"]),
                "cleared_per_day": m["cleared_per_day_mean"],
                "exports_per_day": m["cleared_per_day_mean_export"],
                "imports_per_day": m["cleared_per_day_mean_import"],
                "export_procedure_h": m["procedure_h_mean_export"],
                "exports_held": m[f"held_at_{_label(sc)}_export_mean"],
                "busiest_checkpoint": _checkpoint(busiest_here),
                "checkpoint_busy": float(m[busiest_here]) if busiest_here else np.nan,
                "judged": int(m["days"]) >= GROWTH_MIN_DAYS,
                "growing": ", ".join(growing.get(str(month), [])) or "none",
            }
        )
    check = JamCheck(
        n=exp.n,
        months=pd.DataFrame(month_rows),
        returns=returns,
        normal_level=level,
        normal_upper=upper,
        busiest_month=busiest,
        busiest_checkpoint=_checkpoint(top),
        busiest_utilisation=interval,
    )
    check.verdicts["no queue grows in any month"] = not any(growing.values())
    check.verdicts["export backlog returns to normal"] = bool(
        returns.empty or returns["returns"].dropna().astype(bool).all()
    )
    # No Chinese checkpoint in use (all switched off): none can be busy.
    check.verdicts[f"busiest checkpoint below {CHECKPOINT_BUSY_MAX:.0%} busy"] = bool(
        not top or interval[2] < CHECKPOINT_BUSY_MAX
    )
    return check


def _label(sc: Scenario) -> str:
    hh, mm = sc.kpi.held_clock.split(":")
    return f"{int(hh)}h" if mm == "00" else f"{int(hh)}h{mm}"


def _busiest(utilisation: pd.Series) -> str:
    """The column of the highest utilisation; empty when no checkpoint has one."""
    values = utilisation.astype(float)
    return str(values.idxmax()) if values.notna().any() else ""


def _checkpoint(column: str) -> str:
    if not column:
        return "none"
    gate, route = column.removeprefix("utilisation_").split("_china_check_")
    return f"{gate} {route}"


__all__ = [
    "CHECKPOINT_BUSY_MAX",
    "JamCheck",
    "disruptions",
    "growing_queues",
    "hidden_jam",
    "month_failures",
]
