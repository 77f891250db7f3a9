"""Sentences about what is unknown: the spread of an answer across plausible parameter sets.

Every line is read from the tables :class:`sim.studies.ensemble.EnsembleRuns` writes
(``ensemble.csv``, ``ensemble_effects.csv``), so the console, the report and the files say the same.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.presentation.glossary import fmt, fmt_number, kpi_label, tr
from sim.world.scenario import Scenario


def head_line(runs: Any, lang: str = "en") -> str:
    """Which ensemble, how many sets and replications, and what it cost."""
    ens = runs.ensemble
    total = ens.provenance.get("sets_in_file", ens.m)
    return tr(
        "ensemble.head",
        lang,
        m=runs.m,
        factors=len(ens.ranges.factors),
        source=ens.source,
        total=total,
        k=runs.n_per_set,
        cpu=fmt_number(runs.cpu_s, ",.0f", lang) + " s",
    )


def spread_lines(
    spread: pd.DataFrame, sc: Scenario, lang: str = "en", option: str | None = None
) -> list[str]:
    """One line per KPI of *spread* (``ensemble.csv``): the replication interval beside the
    spread across sets, both in the KPI's unit."""
    lines = []
    rows = spread if option is None else spread[spread["option"] == option]
    for r in rows.itertuples(index=False):
        label = kpi_label(r.kpi, sc, lang)
        fields = {
            "label": label,
            "m": int(r.m),
            "p05": fmt(r.kpi, r.p05, lang),
            "p95": fmt(r.kpi, r.p95, lang),
        }
        if pd.notna(getattr(r, "mean", float("nan"))):
            fields |= {
                "mean": fmt(r.kpi, r.mean, lang),
                "lo": fmt(r.kpi, r.ci_low, lang),
                "hi": fmt(r.kpi, r.ci_high, lang),
                "n": int(r.n),
            }
            lines.append(tr("ensemble.line", lang, **fields))
        else:
            lines.append(tr("ensemble.line_only", lang, **fields))
    return lines


def effect_lines(effects: pd.DataFrame, sc: Scenario, base: str, lang: str = "en") -> list[str]:
    """One line per option and KPI of *effects* (``ensemble_effects.csv``)."""
    lines = []
    for r in effects.itertuples(index=False):
        lines.append(
            tr(
                "ensemble.effect",
                lang,
                option=r.option,
                base=base,
                label=kpi_label(r.kpi, sc, lang),
                p05=fmt(r.kpi, r.diff_p05, lang, sign=True),
                p95=fmt(r.kpi, r.diff_p95, lang, sign=True),
                m=int(r.m),
                up=int(r.sets_up),
                down=int(r.sets_down),
                none=int(r.sets_no_effect),
                undecided=int(r.sets_undecided),
            )
        )
    return lines


def own_keys_line(keys: list[str], lang: str = "en") -> str | None:
    """The note on keys an option sets itself that a factor also sets, or None."""
    if not keys:
        return None
    shown = ", ".join(keys[:4]) + (f" (+{len(keys) - 4})" if len(keys) > 4 else "")
    return tr("ensemble.own", lang, keys=shown)


def choice_lines(
    choice: pd.DataFrame, sc: Scenario, lang: str = "en", spread: pd.DataFrame | None = None
) -> list[str]:
    """Optimise across the ensemble (``ensemble_choice.csv``): in how many sets each option meets
    every target, with its spreads, then whether the choice holds and, where it does not, how often
    the runner-up meets the targets instead."""
    lines = []
    for r in choice.itertuples(index=False):
        number = fmt_number(r.cost, ",.0f", lang)
        money = getattr(r, "cost_unit", "VND/day") == "VND/day"
        cost = tr("ensemble.cost_vnd" if money else "ensemble.cost_units", lang, n=number)
        lines.append(
            tr("ensemble.choice", lang, option=r.label, cost=cost, k=int(r.sets_meeting), m=int(r.m),
               n=int(r.n_per_set))
        )  # fmt: skip
        if spread is not None:
            lines += ["  " + line for line in spread_lines(spread, sc, lang, r.option)]
    first = choice.iloc[0]
    miss = int(first["m"] - first["sets_meeting"])
    if miss == 0:
        lines.append(tr("ensemble.holds", lang))
    else:
        lines.append(tr("ensemble.fails", lang, miss=miss, m=int(first["m"])))
        runner = first.get("runner_up_meets_where_first_misses")
        if runner is not None and runner == runner:
            lines.append(tr("ensemble.runner_up", lang, miss=miss, k=int(runner)))
    return lines
