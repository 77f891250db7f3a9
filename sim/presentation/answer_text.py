"""The answer about the event in words, from the table it is computed in (``answer.csv``).

The console and the report both read the same table (:func:`sim.experiments.answer.answers_table`),
so every number a sentence says is the number written beside it.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.experiments.answer import PROVINCE, level_limit
from sim.experiments.results import GROWTH_MIN_DAYS, growth_margin
from sim.presentation.glossary import (
    days_text,
    fmt,
    fmt_number,
    gate_name,
    gates_by_traffic,
    stage_name,
    tr,
    trucks_text,
)
from sim.world.scenario import Scenario

PLACES_SHOWN = 3
"""Places named in "where the trucks wait", largest first."""


def _num(value: float, spec: str, lang: str) -> str:
    return fmt_number(value, spec, lang) if value == value else tr("na", lang)


def _figure(rows: pd.DataFrame, figure: str, kind: str, lang: str) -> str:
    """'1,341 [1,200, 1,480]' of one figure (shares in %), the interval only with n > 1."""
    row = rows[rows["figure"] == figure]
    if row.empty:
        return tr("na", lang)
    r = row.iloc[0]
    if kind == "share":
        text = fmt("x_share", r["mean"], lang)
        low, high = fmt("x_share", r["ci_low"], lang), fmt("x_share", r["ci_high"], lang)
    elif kind == "km":
        text, low, high = (_num(r[c], ".1f", lang) for c in ("mean", "ci_low", "ci_high"))
    else:
        text, low, high = (_num(r[c], ",.0f", lang) for c in ("mean", "ci_low", "ci_high"))
    if r["n"] > 1 and r["ci_low"] == r["ci_low"]:
        text += f" [{low}, {high}]"
    return text


def _single(rows: pd.DataFrame, figure: str) -> float:
    row = rows[rows["figure"] == figure]
    return float(row["mean"].iloc[0]) if len(row) else math.nan


def _recovery_text(rows: pd.DataFrame, lang: str) -> str:
    """How the gate's backlog came back to its level: it stayed near it; back during the
    episode, on its last day or N days after; not back by the end of the run; or back within the
    tolerance on the run's last day, too late to confirm over two days."""
    level = _single(rows, "level_before_trucks")
    days = _single(rows, "days_to_recover")
    left = _single(rows, "left_level")
    at = trucks_text(level, lang)
    # The band "back" and "near" mean (the growth rule's thresholds), said with them: 17 trucks
    # with 37 at 00:00 is back within 20 of that level, not back to it.
    tol = trucks_text(growth_margin(level), lang) if level == level else tr("na", lang)
    if left == left and left < 0.5 and days == days:
        return tr("answer.stayed", lang, level=at, tol=tol)
    if days == days:
        if days < 0:
            return tr("answer.recovered_during", lang, level=at, days=days_text(-days, lang), tol=tol)
        if days == 0:
            return tr("answer.recovered_at_end", lang, level=at, tol=tol)
        return tr("answer.recovered", lang, level=at, days=days_text(days, lang), tol=tol)
    above = _single(rows, "above_at_end_trucks")
    if above == above and level + above <= level_limit(level):
        return tr("answer.not_confirmed", lang, level=at, above=trucks_text(above, lang))
    return tr("answer.not_recovered", lang, level=at, above=trucks_text(above, lang))


def gate_line(rows: pd.DataFrame, sc: Scenario, lang: str, episode: bool) -> str:
    """One gate and direction's answer over the window."""
    gate, direction = rows["gate"].iloc[0], rows["direction"].iloc[0]
    who = f"{gate_name(sc, gate, lang)} {tr(f'{direction}s', lang)}"
    places = [
        (f.removeprefix("at_peak_").removesuffix("_trucks"), v)
        for f, v in zip(rows["figure"], rows["mean"], strict=True)
        if f.startswith("at_peak_") and round(v) >= 1
    ]
    places.sort(key=lambda pv: -pv[1])
    where = ", ".join(
        f"{fmt_number(v, ',.0f', lang)} {tr(f'place.{p}', lang)}" for p, v in places[:PLACES_SHOWN]
    )
    parts = [
        tr(
            "answer.peak",
            lang,
            peak=_figure(rows, "peak_trucks", "count", lang),
            where=where or tr("na", lang),
            km=_figure(rows, "road_queue_km_max", "km", lang),
        )
    ]
    if episode:
        parts.append(_recovery_text(rows, lang))
    stage = rows["stage"].iloc[0]
    if isinstance(stage, str) and stage:
        n = int(rows["n"].iloc[0])
        parts.append(
            tr(
                "answer.binding",
                lang,
                stage=stage_name(sc, gate, stage, lang),
                k=int(rows["binds_in"].iloc[0]),
                n=n,
                util=_figure(rows, "peak_utilisation_share", "share", lang),
            )
        )
    parts.append(
        tr(
            "answer.perishable",
            lang,
            thr=f"{sc.kpi.perishable_threshold_h:g}",
            share=_figure(rows, "perishable_over_threshold_share", "share", lang),
        )
    )
    parts.append(
        tr(
            "answer.cost",
            lang,
            per_day=_figure(rows, "waiting_cost_vnd_per_day", "count", lang),
            total=_figure(rows, "waiting_cost_vnd_total", "count", lang),
        )
    )
    return f"{who}: " + "; ".join(parts)


def date_text(text: object, lang: str) -> str:
    """A date of the table as the reader writes it: ISO in English, dd/mm/yyyy in Vietnamese."""
    value = str(text)
    if lang == "vi" and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value


def answer_lines(table: pd.DataFrame, sc: Scenario, lang: str = "en") -> list[str]:
    """The answer about each episode (or window) as lines: a heading, then a line per gate and
    direction where a queue built up (the rest named in one line), then province-wide stages."""
    lines: list[str] = []
    if table is None or table.empty:
        return lines
    for _, a in table.groupby("answer", sort=True):
        kind = a["kind"].iloc[0]
        n = int(a["n"].max())
        first, last = date_text(a["first"].iloc[0], lang), date_text(a["last"].iloc[0], lang)
        if kind == "episode":
            label = a["episode_vi"].iloc[0] if lang == "vi" and "episode_vi" in a else a["episode"].iloc[0]
            lines.append(tr("answer.episode_head", lang, episode=label, last=last, n=n))
        else:
            lines.append(tr("answer.window_head", lang, first=first, last=last, n=n))
        per_gate = a[a["gate"] != PROVINCE]
        quiet = []
        shown = []
        for (gate, direction), rows in per_gate.groupby(["gate", "direction"], sort=False):
            if kind == "episode" and _single(rows, "built_up") < 0.5:
                quiet.append(f"{gate_name(sc, gate, lang)} {tr(f'{direction}s', lang)}")
                continue
            shown.append((_single(rows, "peak_trucks"), gate_line(rows, sc, lang, kind == "episode")))
        lines += [text for _, text in sorted(shown, key=lambda x: -x[0] if x[0] == x[0] else 0)]
        if quiet:
            lines.append(tr("answer.quiet", lang, where=", ".join(quiet)))
        for r in a[a["gate"] == PROVINCE].itertuples():
            util = fmt("x_share", r.mean, lang)
            if r.n > 1 and r.ci_low == r.ci_low:
                util += f" [{fmt('x_share', r.ci_low, lang)}, {fmt('x_share', r.ci_high, lang)}]"
            lines.append(tr("answer.province", lang, stage=tr(f"stage.{r.stage}", lang), util=util))
    return lines


def growth_sentence(findings: list[tuple[str, str, str, int, int]], sc: Scenario, n: int, lang: str) -> str:
    """One verdict on growing queues, the same wherever it is said: where, when, in k of n."""
    if not findings:  # months shorter than GROWTH_MIN_DAYS in the window are not judged
        return tr("growth.none", lang, n=n, days=GROWTH_MIN_DAYS)
    items = []
    for gate, direction, where, k, total in findings:
        when = tr("growth.over_window", lang) if where == "window" else where
        items.append(
            tr(
                "growth.item",
                lang,
                where=f"{gate_name(sc, gate, lang)} {tr(f'{direction}s', lang)}",
                when=when,
                k=k,
                n=total,
            )
        )
    return tr("growth.some", lang, items="; ".join(items))


def _text(value: object) -> str:
    """A text cell of a table read back from CSV (NaN for an empty one) as a string."""
    return value if isinstance(value, str) else ""


def bottleneck_lines(table: pd.DataFrame, summary: pd.DataFrame | None, sc: Scenario, lang: str) -> list[str]:
    """The bottleneck statement: a sentence per gate and direction (one for both directions when
    they share the stage and its verdict), then the province-wide platform once, with the number
    summary.csv holds."""
    from sim.presentation.glossary import statement

    lines = []
    present = set(table["gate"]) if len(table) else set()
    for gate in [g for g in gates_by_traffic(sc) if g in present]:
        rows = list(table[table["gate"] == gate].itertuples())
        key = [
            (
                r.stage,
                int(r.grows_in),
                int(getattr(r, "binds_in", r.n)),
                _text(getattr(r, "grows_months", "")),
            )
            for r in rows
        ]
        both = len(rows) == 2 and key[0] == key[1]
        for r in rows[:1] if both else rows:
            lines.append(
                statement(
                    sc,
                    r.gate,
                    r.direction,
                    r.stage if isinstance(r.stage, str) else "",
                    r.utilisation,
                    int(r.grows_in),
                    int(r.n),
                    lang,
                    bool(getattr(r, "judged", True)),
                    binds_in=int(r.binds_in) if hasattr(r, "binds_in") and r.binds_in == r.binds_in else None,
                    steady=bool(getattr(r, "steady", True)),
                    both=both,
                    months=_text(getattr(r, "grows_months", "")),
                )
            )
    key = "utilisation_platform_review"
    if summary is not None and key in summary.index:
        util = fmt(key, float(summary.loc[key, "mean"]), lang)
        lines.append(tr("statement.province", lang, stage=tr("stage.platform_review", lang), util=util))
    return lines
