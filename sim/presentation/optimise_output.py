"""What an optimisation says and writes: the summary, the figure of cost against each target KPI,
and the results folder (options.csv, replications.csv, robustness.csv, optimise.txt, the chosen
scenario and the figures).

Longer than the ~600 lines a module here keeps to: everything an optimisation says, in both
languages (the summary, the decision sheet, the robustness lines, the figure and the folder).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.stats import EFFECT, NEGLIGIBLE, NO_EFFECT, NOT_MEASURED
from sim.experiments.stats import UNDECIDED as EFFECT_UNDECIDED
from sim.presentation.figure_files import save_png
from sim.presentation.glossary import (
    LANGS,
    fmt,
    fmt_number,
    is_share,
    kpi_label,
    lever_label,
    option_words,
    tr,
    unit_of,
    value_words,
    verdict_words,
    with_statements,
)
from sim.studies.optimise import binding_phrase, no_effect_lines, paired_difference
from sim.studies.options import (
    FEASIBLE,
    INFEASIBLE,
    UNDECIDED,
    LeverMove,
    Optimisation,
    Option,
    Target,
    TargetCheck,
)
from sim.studies.robustness import robustness_lines
from sim.world.yaml_guard import guarded_dump

UNITS = (
    ("_vnd_", "VND"),
    ("_h_", "h"),
    ("_min_", "min"),
    ("_km_", "km"),
    ("_t_", "t"),
    ("per_day", "trucks a day"),
    ("trucks", "trucks"),
)
"""Units read from KPI names (units are in the names), first match wins."""

EXIT_NO_OPTION = 3
"""``bordersim optimise`` exit status when no option is shown to meet the targets."""


def kpi_unit(kpi: str) -> str:
    """The unit of a KPI in English: ``%`` for a share (the catalogue's unit,
    :func:`~sim.presentation.glossary.is_share`), the glossary's unit where it names one (``days``),
    else the unit its name carries (``time_in_system_h_mean_export`` -> ``h``)."""
    if is_share(kpi):
        return "%"
    if unit_of(kpi, "en") == tr("unit.days", "en"):
        return "days"
    name = f"_{kpi}_"
    return next((unit for key, unit in UNITS if key in name), "")


def kpi_axis_label(kpi: str) -> str:
    """An axis label with the unit: ``time in system h mean export (h)``."""
    unit = kpi_unit(kpi)
    return kpi.replace("_", " ") + (f" ({unit})" if unit else "")


def _fmt(kpi: str, value: float, lang: str = "en", sign: bool = False) -> str:
    """A value of *kpi* for people: shares in %, money and counts with separators, "n/a" for none."""
    if value is None or value != value:
        return tr("na", lang)
    text = fmt(kpi, value, lang, sign=sign)
    unit = unit_of(kpi, lang)
    if is_share(kpi) or not unit:
        return text
    if unit == tr("unit.vnd_per_day", lang):
        return f"VND {text}" if lang == "en" else f"{text} đồng"
    return f"{text} {unit}"


def money(value: float, lang: str = "en") -> str:
    """VND with thousands separators and no decimals (``VND 49,200,000``); "n/a" for none."""
    if value is None or value != value:
        return tr("na", lang)
    text = fmt_number(round(value), ",.0f", lang)
    return f"VND {text}" if lang == "en" else f"{text} đồng"


def cost_text(opt: Optimisation, cost: float, lang: str = "en") -> str:
    """``VND 1,200,000 a day, VND 25,200,000 over the 21-day window`` with a costs file; ``3 units``
    without."""
    if opt.costs is None:
        return f"{fmt_number(cost, ',.4g', lang)} units"
    days = opt.window_days
    return f"{money(cost, lang)} a day, {money(cost * days, lang)} over the {days:g}-day window"


def words(opt: Optimisation, o: Option, lang: str = "en") -> str:
    """The option in words, each lever with its gate and route (see :func:`option_words`)."""
    return option_words(opt.base, o.point, lang)


def verdict_text(check: TargetCheck, lang: str = "en") -> str:
    """``meets``, ``fails`` or ``undecided at n = 3 (about 12 needed)``."""
    if check.status == FEASIBLE:
        return tr("opt.meets", lang)
    if check.status == INFEASIBLE:
        return tr("opt.fails", lang)
    if check.n_needed is None:
        return tr("opt.on_bound", lang, n=check.n)
    return tr("opt.undecided_n", lang, n=check.n, needed=fmt_number(check.n_needed, ",d", lang))


def _bound_text(t: Target, lang: str = "en") -> str:
    """``<= 25.0%``, ``<= 0.001 min``, ``>= 1,650 trucks/day``: the bound as given, for people."""
    if is_share(t.kpi):
        return f"{t.op} {_fmt(t.kpi, t.bound, lang)}"
    text = fmt_number(t.bound, ",.0f" if abs(t.bound) >= 1000 else ",.6g", lang)
    unit = unit_of(t.kpi, lang)
    if unit == tr("unit.vnd_per_day", lang):
        return f"{t.op} " + (f"VND {text}" if lang == "en" else f"{text} đồng")
    return f"{t.op} {text} {unit}".strip()


def _missed_text(opt: Optimisation, t: Target, mean: float) -> str:
    return f"{kpi_label(t.kpi, opt.base)} {_bound_text(t)} (mean {_fmt(t.kpi, mean)})"


def _target_lines(opt: Optimisation, o: Option, indent: str = "    ") -> list[str]:
    lines = []
    for t in opt.targets:
        c = opt.check(o, t)
        lines.append(
            f"{indent}{kpi_label(t.kpi, opt.base)}: {_fmt(t.kpi, c.mean)} "
            f"[{_fmt(t.kpi, c.low)}, {_fmt(t.kpi, c.high)}] against {_bound_text(t)}: "
            f"{verdict_text(c)}" + ("" if c.status == UNDECIDED else f" (n = {o.n})")
        )
    return lines


_EFFECT_KEYS = {
    EFFECT: "opt.v.effect",
    NO_EFFECT: "opt.v.no_effect",
    NEGLIGIBLE: "opt.v.negligible",
    EFFECT_UNDECIDED: "opt.v.too_few",
    NOT_MEASURED: "na",
}


def _effect_words(e: Any, lang: str = "en") -> str:
    """A paired effect's verdict in the decision sheet's words; a real change whose interval
    reaches inside its margin says it may be too small to matter, as every paired effect does
    (:func:`~sim.presentation.glossary.verdict_words`)."""
    if e.verdict == EFFECT:
        caveat = verdict_words(e.kpi, e.diff, e.verdict, e.margin, None, lang, interval=(e.ci_low, e.ci_high))
        if caveat is not None:
            return caveat
    return tr(_EFFECT_KEYS[e.verdict], lang)


def _saved_text(opt: Optimisation, o: Option, lang: str = "en") -> str:
    saved = opt.waiting_cost_saved(o)
    if saved is None:
        return tr("opt.no_base", lang)
    kpi = "waiting_cost_vnd_per_day"
    return (
        f"{_fmt(kpi, saved.diff, lang, sign=True)} [{_fmt(kpi, saved.ci_low, lang, sign=True)}, "
        f"{_fmt(kpi, saved.ci_high, lang, sign=True)}] ({_effect_words(saved, lang)})"
    )


def _option_lines(opt: Optimisation, o: Option, head: str) -> list[str]:
    lines = [f"{head}: {words(opt, o)}: {cost_text(opt, o.cost)}"]
    lines += _target_lines(opt, o)
    lines.append(f"    waiting cost saved against the scenario as given, a day: {_saved_text(opt, o)}")
    return lines


def _change(kpi: str, value: float) -> str:
    """A change of *kpi*: percentage points for a share, the KPI's unit otherwise."""
    if is_share(kpi) and value == value:
        return f"{value * 100:,.1f} percentage points"
    return _fmt(kpi, value)


def _lever_text(opt: Optimisation, move: LeverMove) -> str:
    return lever_label(opt.base, move.key)


def next_step_lines(opt: Optimisation) -> list[str]:
    """When no option meets the targets: the closest option with its interval, the target that binds
    it and by how much, and the next step (widen the lever that moved that target most, in the
    direction it helped, or add a lever on the binding stage)."""
    best = opt.closest()
    if best is None:
        return ["  no option has replications to judge"]
    lines = [
        f"  closest option (smallest shortfall in units of the bound): {words(opt, best)}: "
        f"{cost_text(opt, best.cost)}"
    ]
    lines += _target_lines(opt, best)
    binds = opt.binding_target(best)
    if binds is None:
        return lines
    t = binds.target
    need = max(((c.n_needed or 0) for o in opt.undecided for c in o.checks.values()), default=0)
    if binds.mean_meets:  # nothing measured (NaN) does not meet it: the lines below
        # Its mean already meets the bound; only its interval does not yet: more replications
        # decide it, not a wider lever.
        lines.append(
            f"  what binds it: {kpi_label(t.kpi, opt.base)} {_bound_text(t)}: its mean meets the bound "
            f"(by {_change(t.kpi, -binds.gap)}) but its interval does not yet: undecided, not missed"
        )
        more = f"--max-replications {need}" if need else "a larger --max-replications"
        lines.append(
            f"  next step: more replications: {more} may settle the {len(opt.undecided)} undecided options"
        )
        return lines
    relative = f" ({binds.gap / abs(t.bound):.0%} of the bound)" if t.bound else ""
    lines.append(
        f"  what binds it: {kpi_label(t.kpi, opt.base)} {_bound_text(t)}, missed by "
        f"{_change(t.kpi, binds.gap)}{relative} in the mean"
    )
    moves = opt.lever_moves(t.kpi)
    if not moves:
        lines.append(
            f"  next step: add a lever on the binding stage: {binding_phrase(opt.experiment(best), t.kpi)}"
        )
        return lines
    top = moves[0]
    change = _change(t.kpi, top.change)
    name = kpi_label(t.kpi, opt.base, unit=False)
    if top.edge and top.change > 0:
        lines.append(
            f"  next step: widen the range of {_lever_text(opt, top)} to {top.edge} values than "
            f"{value_words(top.best_value)}: of the levers tried it moved {name} "
            f"most, by {change}, and did best at the edge of its range"
        )
    else:
        lines.append(
            f"  next step: add a lever on the binding stage ({binding_phrase(opt.experiment(best), t.kpi)}): "
            f"of the levers tried, {_lever_text(opt, top)} moved {name} most, "
            f"by {change}, and did best inside its range ({value_words(top.best_value)})"
        )
    if opt.undecided and need:
        undecided = len(opt.undecided)
        lines.append(
            f"  or more replications: --max-replications {need} may settle the {undecided} undecided options"
        )
    return lines


def summary_lines(opt: Optimisation) -> list[str]:
    """The optimisation in sentences: chosen option, runner-up and evidence, every undecided option
    with the replications it needs, options shown not to meet, the closest option and a next step
    when none meets, levers with no effect, robustness."""
    sc = opt.base
    total = sum(o.n for o in opt.options) + len(opt.base_reps)
    lines = [
        f"optimise {sc.name}: {len(opt.options)} options of "
        f"{'; '.join(lever_label(sc, k) for k in opt.levers)}; targets: "
        + "; ".join(f"{kpi_label(t.kpi, sc)} {_bound_text(t)}" for t in opt.targets),
        f"  procedure: sequential feasibility on common random numbers, {opt.n0} to {opt.max_n} replications "
        f"an option in {opt.looks} looks; each decision at one-sided {1 - opt.alpha_per_test:.3%} "
        f"(= {opt.confidence:.0%} with Bonferroni over the looks"
        + (" and over options x targets: a joint guarantee" if opt.joint else "")
        + f"); {total:,} replications run"
        + (f", the scenario as given among them ({len(opt.base_reps)})" if opt.base_reps else ""),
        f"  KPI window: {opt.window_days:g} days",
    ]
    if opt.costs is None:
        lines.append(
            "  costs: none given (--costs): every added unit of a lever costs the same (1 a lane, an "
            "officer, a place, an hour a day of opening, or a change of rule)"
        )
    else:
        lines.append(
            "  costs: VND a day against the scenario as given"
            + (", plus each option's mean waiting cost" if opt.costs.include_waiting_cost else "")
        )
    chosen = opt.chosen
    if chosen is None:
        lines.append("NO OPTION MEETS THE TARGETS: none was shown to meet them.")
        lines += next_step_lines(opt)
    else:
        lines += _option_lines(opt, chosen, "chosen")
        lines += _runner_up_lines(opt, chosen)
    undecided = opt.undecided
    if undecided:
        lines.append(
            f"undecided ({len(undecided)} of {len(opt.options)} options), with the replications each needs:"
        )
        for o in undecided:
            why = f"; {o.stopped}" if o.stopped else ""
            lines.append(f"  {words(opt, o)} ({cost_text(opt, o.cost)}, n = {o.n}{why}):")
            lines += _target_lines(opt, o, indent="    ")
    infeasible = [o for o in opt.options if o.status == INFEASIBLE]
    if infeasible:
        lines.append(f"shown not to meet the targets ({len(infeasible)} of {len(opt.options)} options):")
        for o in sorted(infeasible, key=lambda o: o.cost)[:8]:
            lines.append(f"  {words(opt, o)} ({cost_text(opt, o.cost)}, n = {o.n})")
        if len(infeasible) > 8:
            lines.append(f"  ... and {len(infeasible) - 8} more (options.csv, results.xlsx)")
    exps = [opt.experiment(o) for o in opt.options if o.n]
    points = [o.point for o in opt.options if o.n]
    for t in opt.targets:
        lines += [f"why: {s}" for s in no_effect_lines(sc, points, exps, t.kpi)]
        if chosen is None and opt.closest() is not None:
            why = f"why: at the closest option, {binding_phrase(opt.experiment(opt.closest()), t.kpi)}"
            if why not in lines:  # two targets bound by the same stage: said once
                lines.append(why)
    lines += robustness_lines(
        opt,
        label=lambda o: words(opt, o),
        target_text=lambda t, m: _missed_text(opt, t, m),
        change_text=lambda t, d, lo, hi: (
            f"{kpi_label(t.kpi, opt.base, unit=False)} {_fmt(t.kpi, d, sign=True)} "
            f"[{_fmt(t.kpi, lo, sign=True)}, {_fmt(t.kpi, hi, sign=True)}]"
        ),
    )
    return lines


def _runner_up_lines(opt: Optimisation, chosen: Option) -> list[str]:
    lines = []
    ru = opt.runner_up
    if ru is not None:
        kind = "next to meet the targets" if ru.status == FEASIBLE else "closest to meeting the targets"
        lines += _option_lines(opt, ru, f"runner-up ({kind})")
        more = ru.cost - chosen.cost
        extra = f"{money(abs(more))} a day" if opt.costs is not None else f"{abs(more):,.4g} units"
        dearer = f"costs {extra} " + ("more" if more >= 0 else "less")
        lines.append(
            f"  what separates them: both meet the targets; the runner-up {dearer}"
            if ru.status == FEASIBLE
            else f"  what separates them: the runner-up {dearer} but is not shown to meet the targets"
        )
        for t in opt.targets:
            d, lo, hi = paired_difference(chosen, ru, t.kpi)
            lines.append(
                f"    {kpi_label(t.kpi, opt.base)}: runner-up minus chosen {_fmt(t.kpi, d, sign=True)} "
                f"[{_fmt(t.kpi, lo, sign=True)}, {_fmt(t.kpi, hi, sign=True)}] "
                "(paired on common random numbers, 95%)"
            )
    cheaper = opt.nearest_cheaper
    if cheaper is not None and cheaper is not ru:
        lines += _option_lines(opt, cheaper, f"nearest cheaper option ({STATUS_WORDS[cheaper.status]})")
    return lines


STATUS_WORDS = {FEASIBLE: "meets the targets", INFEASIBLE: "fails a target", UNDECIDED: "undecided"}
"""An option's overall status in words."""


def decision_rows(opt: Optimisation, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """The decision sheet for people: a header and one row of formatted text per option (cheapest
    first): the option in words, cost a day and over the window, each target's mean [interval] and
    verdict, the waiting cost saved, replications and the decision."""
    priced = opt.costs is not None
    header = [
        tr("opt.col.option", lang),
        tr("opt.col.words", lang),
        tr("opt.col.cost_day" if priced else "opt.col.units_day", lang),
        tr("opt.col.cost_window" if priced else "opt.col.units_window", lang),
    ]
    for t in opt.targets:
        header.append(f"{kpi_label(t.kpi, opt.base, lang)} {_bound_text(t, lang)}")
    header += [tr("opt.col.saved", lang), tr("opt.col.n", lang), tr("opt.col.decision", lang)]
    rows = []
    for o in sorted(opt.options, key=lambda o: (o.cost, o.index)):
        mark = f" ({tr('opt.chosen', lang)})" if o is opt.chosen else ""
        row = [
            f"{o.index}{mark}",
            option_words(opt.base, o.point, lang),
            _cost_cell(opt, o.cost, lang),
            _cost_cell(opt, o.cost * opt.window_days, lang),
        ]
        for t in opt.targets:
            c = opt.check(o, t)
            row.append(
                f"{_fmt(t.kpi, c.mean, lang)} [{_fmt(t.kpi, c.low, lang)}, {_fmt(t.kpi, c.high, lang)}]: "
                f"{verdict_text(c, lang)}"
            )
        row += [_saved_text(opt, o, lang), fmt_number(o.n, ",d", lang), _decision_word(o, lang)]
        rows.append(row)
    return header, rows


def _cost_cell(opt: Optimisation, cost: float, lang: str) -> str:
    return money(cost, lang) if opt.costs is not None else f"{fmt_number(cost, ',.4g', lang)}"


def _decision_word(o: Option, lang: str) -> str:
    key = {FEASIBLE: "opt.meets", INFEASIBLE: "opt.fails"}.get(o.status, "opt.undecided")
    return tr(key, lang)


def decision_table(opt: Optimisation) -> pd.DataFrame:
    """The decision sheet as numbers for a workbook: labelled columns with units (shares in %,
    VND a day and over the window), verdicts in words, one row per option, cheapest first."""
    priced = opt.costs is not None
    window_head = tr("opt.col.cost_window" if priced else "opt.col.units_window")
    rows = []
    for o in sorted(opt.options, key=lambda o: (o.cost, o.index)):
        row: dict[str, Any] = {
            tr("opt.col.option"): o.index,
            tr("opt.col.words"): words(opt, o),
            tr("opt.chosen"): "yes" if o is opt.chosen else "",
            tr("opt.col.cost_day" if priced else "opt.col.units_day"): round(o.cost, 2),
            f"{window_head}, {opt.window_days:g} days": round(o.cost * opt.window_days, 2),
        }
        for t in opt.targets:
            c = opt.check(o, t)
            scale, unit = (100.0, "%") if is_share(t.kpi) else (1.0, unit_of(t.kpi) or "value")
            name = kpi_label(t.kpi, opt.base, unit=False)
            row[tr("opt.col.mean", kpi=name, unit=unit)] = c.mean * scale
            row[tr("opt.col.low", kpi=name, unit=unit)] = c.low * scale
            row[tr("opt.col.high", kpi=name, unit=unit)] = c.high * scale
            bound = _bound_text(t).removeprefix(t.op).strip()
            row[tr("opt.col.verdict", kpi=name, op=t.op, bound=bound)] = tr(
                {FEASIBLE: "opt.meets", INFEASIBLE: "opt.fails"}.get(c.status, "opt.undecided")
            )
            row[tr("opt.col.needed", kpi=name)] = c.n_needed if c.status == UNDECIDED else None
        saved = opt.waiting_cost_saved(o)
        row[tr("opt.col.saved")] = round(saved.diff) if saved and saved.diff == saved.diff else None
        row[tr("opt.col.saved_low")] = round(saved.ci_low) if saved and saved.ci_low == saved.ci_low else None
        row[tr("opt.col.saved_high")] = (
            round(saved.ci_high) if saved and saved.ci_high == saved.ci_high else None
        )
        row[tr("opt.col.saved_verdict")] = _effect_words(saved) if saved else tr("opt.no_base")
        row[tr("opt.col.n")] = o.n
        row[tr("opt.col.decision")] = _decision_word(o, "en")
        row[tr("opt.col.note")] = o.stopped
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_rows(opt: Optimisation, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """The robustness check for people: per setting and option rerun, each target's mean and
    verdict, and its change against the assumptions as given (paired)."""
    table = opt.robustness
    header = [tr("opt.col.setting", lang), tr("opt.col.words", lang)]
    header += [f"{kpi_label(t.kpi, opt.base, lang)} {_bound_text(t, lang)}" for t in opt.targets]
    if table is None or table.empty:
        return header, []
    by_index = {o.index: o for o in opt.options}
    rows = []
    for _, r in table.iterrows():
        o = by_index[int(r["option"])]
        mark = f" ({tr('opt.chosen', lang)})" if o is opt.chosen else ""
        row = [str(r["setting"]), option_words(opt.base, o.point, lang) + mark]
        for t in opt.targets:
            c = TargetCheck(
                t,
                r[f"{t.kpi}_decision"],
                r[f"{t.kpi}_mean"],
                r[f"{t.kpi}_lower"],
                r[f"{t.kpi}_upper"],
                int(r["n"]),
                None
                if r[f"{t.kpi}_n_needed"] != r[f"{t.kpi}_n_needed"] or r[f"{t.kpi}_n_needed"] is None
                else int(r[f"{t.kpi}_n_needed"]),
            )
            change = _fmt(t.kpi, r[f"{t.kpi}_vs_given"], lang, sign=True)
            row.append(
                f"{_fmt(t.kpi, c.mean, lang)} [{_fmt(t.kpi, c.low, lang)}, {_fmt(t.kpi, c.high, lang)}]: "
                f"{verdict_text(c, lang)}; {tr('opt.vs_given', lang, change=change)} "
                f"({tr(_EFFECT_KEYS[r[f'{t.kpi}_vs_given_verdict']], lang)})"
            )
        rows.append(row)
    return header, rows


def answer_text(opt: Optimisation, lang: str = "en") -> str:
    """The answer in one paragraph in *lang*: the chosen option with its cost and target intervals,
    or, when none meets, the closest option, what it misses by how much, and the next step."""
    days = fmt_number(opt.window_days, "g", lang)

    def cost(value: float) -> str:
        text = _cost_cell(opt, value, lang)
        return text if opt.costs is not None else tr("opt.units", lang, value=text)

    def targets(o: Option) -> str:
        parts = []
        for t in opt.targets:
            c = opt.check(o, t)
            parts.append(
                f"{kpi_label(t.kpi, opt.base, lang, unit=False)} {_fmt(t.kpi, c.mean, lang)} "
                f"[{_fmt(t.kpi, c.low, lang)}, {_fmt(t.kpi, c.high, lang)}] {_bound_text(t, lang)}: "
                f"{verdict_text(c, lang)}"
            )
        return "; ".join(parts)

    def change(kpi: str, value: float) -> str:
        if is_share(kpi) and value == value:
            return tr("opt.pp", lang, value=fmt_number(value * 100, ",.1f", lang))
        return _fmt(kpi, value, lang)

    if opt.chosen is not None:
        o = opt.chosen
        return tr(
            "opt.answer_chosen",
            lang,
            option=option_words(opt.base, o.point, lang),
            cost=cost(o.cost),
            window=cost(o.cost * opt.window_days),
            days=days,
            targets=targets(o),
        )
    best = opt.closest()
    if best is None:
        return tr("opt.no_option", lang)
    binds = opt.binding_target(best)
    if binds is None:
        return tr("opt.no_option", lang)
    closest = {  # what both answers say of the closest option
        "option": option_words(opt.base, best.point, lang),
        "cost": cost(best.cost),
        "targets": targets(best),
        "kpi": kpi_label(binds.target.kpi, opt.base, lang, unit=False),
    }
    if binds.mean_meets:  # its mean meets the bound, its interval not yet
        return tr("opt.answer_undecided", lang, **closest)
    moves = opt.lever_moves(binds.target.kpi)
    if not moves:
        step = tr("opt.step_more", lang)
    elif moves[0].edge and moves[0].change > 0:
        step = tr(
            "opt.step_widen",
            lang,
            lever=lever_label(opt.base, moves[0].key, lang),
            edge=tr(f"opt.{moves[0].edge}", lang),
            value=value_words(moves[0].best_value, lang),
            change=change(binds.target.kpi, moves[0].change),
        )
    else:
        step = tr(
            "opt.step_add",
            lang,
            lever=lever_label(opt.base, moves[0].key, lang),
            change=change(binds.target.kpi, moves[0].change),
        )
    return tr("opt.answer_none", lang, **closest, gap=change(binds.target.kpi, binds.gap), step=step)


def sheet_document(opt: Optimisation) -> dict[str, Any]:
    """What the report shows of the optimisation, in every language: the answer (the choice, or the
    closest option and the next step), the decision sheet, the robustness table and the note on how
    both were judged."""
    doc: dict[str, Any] = {}
    level = f"{1 - opt.alpha_per_test:.2%}"
    for lang in LANGS:
        header, rows = decision_rows(opt, lang)
        rob_header, rob_rows = robustness_rows(opt, lang)
        doc[lang] = {
            "answer": answer_text(opt, lang),
            "columns": header,
            "rows": rows,
            "note": tr("opt.sheet_note", lang, level=level, days=fmt_number(opt.window_days, "g", lang)),
            "robustness_columns": rob_header,
            "robustness_rows": rob_rows,
        }
    return doc


def cost_figure(opt: Optimisation, kpi: str, lang: str = "en") -> Figure:
    """Cost a day against the mean of target *kpi* for every option evaluated: feasible, infeasible
    and undecided marked, the interval at the test level, the target line and the chosen option.

    Shares are drawn in % (the axis says "(%)"). Every point is labelled with its lever values;
    points that would sit on each other (same cost, nearly the same KPI) are moved apart
    vertically by a few points on the page, so none hides another. Every text is in *lang*.
    """
    from matplotlib.transforms import ScaledTranslation

    from sim.experiments.costs import value_text
    from sim.presentation.plots import in_language

    def point_text(value: Any) -> str:
        return value_text(value) if lang == "en" else value_words(value, lang)

    target = next(t for t in opt.targets if t.kpi == kpi)
    fig, ax = plt.subplots(figsize=(10, 5), layout="constrained")
    scale = 1e6 if opt.costs is not None else 1.0
    unit = tr("fig.opt_million_vnd" if opt.costs is not None else "fig.opt_units", lang)
    k = 100.0 if is_share(kpi) else 1.0  # shares in %, as the axis label says
    names = {
        FEASIBLE: tr("fig.opt_feasible", lang),
        INFEASIBLE: tr("fig.opt_infeasible", lang),
        "undecided": tr("opt.undecided", lang),
    }
    styles = {
        FEASIBLE: {"marker": "o", "color": "tab:green"},
        INFEASIBLE: {"marker": "x", "color": "tab:red"},
        "undecided": {"marker": "s", "color": "tab:grey"},
    }
    shown = [o for o in opt.options if o.n and o.status in styles]
    means = np.array([o.mean(kpi) * k for o in shown] + [target.bound * k])
    log_x = bool(np.all(means > 0) and np.nanmax(means) > 20 * np.nanmin(means))
    # Points closer than 1% of the axis in x and of equal cost coincide: the k-th moves up k steps.
    xs = np.log10(means[:-1]) if log_x else means[:-1]
    span = float(np.nanmax(xs) - np.nanmin(xs)) if len(xs) and np.isfinite(xs).any() else 0.0
    step_pt = 9.0
    lift_pt: dict[int, float] = {}
    placed: list[tuple[float, float]] = []
    for o, x in zip(shown, xs, strict=True):
        near = [1 for px, py in placed if py == o.cost and abs(px - x) <= 0.01 * max(span, 1e-12)]
        lift_pt[o.index] = step_pt * len(near)
        placed.append((x, o.cost))
    for status, style in styles.items():
        sel = [o for o in shown if o.status == status]
        for j, o in enumerate(sel):
            x = o.mean(kpi) * k
            low, high = o.by_target[kpi][1] * k, o.by_target[kpi][2] * k
            err = np.array([[np.nan_to_num(x - low)], [np.nan_to_num(high - x)]])
            bars = ax.errorbar(
                [x],
                [o.cost / scale],
                xerr=err,
                linestyle="none",
                capsize=3,
                label=tr("fig.opt_status_n", lang, status=names[status], n=len(sel))
                if j == 0
                else "_nolegend_",
                **style,
            )
            shift = ScaledTranslation(0, lift_pt[o.index] / 72, fig.dpi_scale_trans)
            for artist in bars.get_children():
                artist.set_transform(ax.transData + shift)
            ax.annotate(
                ", ".join(point_text(v) for v in o.point.values()),
                (x, o.cost / scale),
                xytext=(6, 2 + lift_pt[o.index]),
                textcoords="offset points",
                fontsize=7,
            )
    bound = target.bound * k
    bound_text = fmt_number(bound, "g", lang) + ("%" if k != 1 else "")
    ax.axvline(
        bound, color="black", linestyle="--", label=tr("fig.opt_target", lang, op=target.op, bound=bound_text)
    )
    if opt.chosen is not None:
        c = opt.chosen
        (star,) = ax.plot(
            c.mean(kpi) * k,
            c.cost / scale,
            marker="*",
            markersize=18,
            color="gold",
            mec="black",
            linestyle="none",
            label=textwrap.fill(tr("fig.opt_chosen", lang, option=words(opt, c, lang)), 40),
        )
        star.set_transform(
            ax.transData + ScaledTranslation(0, lift_pt.get(c.index, 0) / 72, fig.dpi_scale_trans)
        )
    if shown:
        if lang == "en":
            keys = ", ".join(".".join(key.split(".")[-3:]) for key in shown[0].point)
        else:
            keys = ", ".join(lever_label(opt.base, key, lang) for key in shown[0].point)
        ax.plot(
            [], [], linestyle="none", label=textwrap.fill(tr("fig.opt_point_labels", lang, keys=keys), 40)
        )
    if log_x:
        # An unstable option's wait would squeeze every other option into one column.
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: fmt_number(v, "g", lang)))
        ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    if lang == "en":
        axis_label = kpi_axis_label(kpi)
    else:
        shown_unit = "%" if k != 1 else unit_of(kpi, lang)
        axis_label = kpi_label(kpi, opt.base, lang, unit=False) + (f" ({shown_unit})" if shown_unit else "")
    ax.set_xlabel(tr("fig.opt_log", lang, label=axis_label) if ax.get_xscale() == "log" else axis_label)
    ax.set_ylabel(tr("fig.opt_cost", lang, unit=unit))
    what = kpi.replace("_", " ") if lang == "en" else kpi_label(kpi, opt.base, lang, unit=False)
    title = tr("fig.opt_title", lang, name=opt.base.name, kpi=what)
    bars = tr("fig.opt_bars", lang, level=fmt_number(1 - opt.alpha_per_test, ".2%", lang))
    ax.set_title(f"{title}\n{bars}")  # two glossary texts, one a line
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # outside: never over data
    return in_language(fig, lang)


def write_optimisation(
    opt: Optimisation,
    outdir: str | Path,
    plots: bool = True,
    force: bool = False,
    lang: str = "en",
    extra: dict[str, pd.DataFrame] | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write options.csv, replications.csv, steps.csv (every look of the search), robustness.csv,
    optimise.txt, decision.json (the decision sheet for the report, in every language),
    results.xlsx (the decision sheet with units, the options, the robustness check and the base's
    bottlenecks), bottlenecks.csv (of the scenario as given, when it was run), chosen.yaml (the
    chosen option's scenario), costs.yaml (the costs used) and a figure per target KPI, its texts
    in *lang*."""
    from sim.presentation.output import WORKBOOK, atomic_dir, resolved_scenario_yaml, write_workbook

    with atomic_dir(outdir, force) as tmp:
        options = opt.table()
        options.to_csv(tmp / "options.csv", index=False)
        opt.replications().to_csv(tmp / "replications.csv", index=False)
        if opt.steps is not None:  # every look of the search: replications per option and stage
            opt.steps.to_csv(tmp / "steps.csv", index=False)
        sheets = {"decision sheet": decision_table(opt), "options": options}
        if opt.robustness is not None:
            opt.robustness.to_csv(tmp / "robustness.csv", index=False)
            sheets["robustness"] = opt.robustness
        base = opt.base_experiment()
        if base is not None:
            bottlenecks = with_statements(base.bottlenecks(), base.scenario)
            bottlenecks.to_csv(tmp / "bottlenecks.csv", index=False)
            sheets["bottlenecks (as given)"] = bottlenecks
        for name, table in (extra or {}).items():  # e.g. the choice across an ensemble
            table.to_csv(tmp / f"{name}.csv", index=False)
            sheets[name[:31]] = table
        write_workbook(tmp / WORKBOOK, sheets)
        text = "\n".join([*summary_lines(opt), *(notes or [])]) + "\n"
        (tmp / "optimise.txt").write_text(text, encoding="utf-8")
        (tmp / "decision.json").write_text(
            json.dumps(sheet_document(opt), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        if opt.chosen is not None:
            exp = opt.experiment(opt.chosen)
            text = resolved_scenario_yaml(exp, {"replications": exp.n, "chosen": opt.chosen.label})
            (tmp / "chosen.yaml").write_text(text, encoding="utf-8")
        costs = (
            opt.costs.model_dump(exclude_none=True)
            if opt.costs is not None
            else {"note": "no costs: every unit costs 1"}
        )
        (tmp / "costs.yaml").write_text(guarded_dump(costs), encoding="utf-8")
        if plots:
            (tmp / "plots").mkdir()
            for t in opt.targets:
                fig = cost_figure(opt, t.kpi, lang)
                save_png(fig, tmp / "plots" / f"optimise_{t.kpi}.png")
                plt.close(fig)
    return Path(outdir)
