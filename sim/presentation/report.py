"""A self-contained HTML report of a results folder, in English or Vietnamese.

The report of a run opens with a one-sentence answer to the scenario's question, derived from the
results, then the key figures against the reported ones, the bottleneck, the cost of waiting
(when the results carry it), every KPI, the parameters and the figures (PNG inlined as base64,
so the one file can be mailed or archived). Comparison and sweep folders get their own pages.

Each kind of folder is one function registered with :func:`folder_kind` under the file that marks
it; adding a kind (e.g. an optimisation folder marked by ``choice.json``) is one more function.
Every word comes from :mod:`sim.presentation.glossary`.

Longer than the ~600 lines a module here keeps to: one builder per kind of results folder (run,
comparison, sweep, optimisation), all filling the same page and its shared sections, which would
have to change together if they were split apart.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.experiments.answer import has_episode, references_apply
from sim.presentation.answer_text import answer_lines, bottleneck_lines, date_text, growth_sentence
from sim.presentation.figure_names import FIGURE_FAMILIES
from sim.presentation.glossary import (
    COST_KPIS,
    assumed_rates,
    assumption_text,
    effect_clause,
    effect_row_text,
    fmt,
    fmt_number,
    gate_name,
    gates_by_traffic,
    is_share,
    kpi_label,
    lanes_text,
    lever_label,
    median_text,
    question,
    reference,
    reference_shown,
    route_name,
    stage_name,
    tr,
    unit_of,
    verdict,
    with_statements,
)
from sim.world.csv_guard import read_csv_file
from sim.world.scenario import Scenario
from sim.world.scenario_files import load_scenario, read_guarded_bytes, read_yaml_file
from sim.world.schema.names import ScenarioError

CAPTIONS = (*FIGURE_FAMILIES, "comparison_queues", "comparison", "sweep")
"""Figure file stem prefixes in the order shown; each has its caption ``caption.<prefix>`` in the glossary."""

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { margin-bottom: 0.2em; } .question { font-size: 1.15em; color: #333; }
.answer { font-size: 1.05em; background: #eef5ee; padding: 0.6em 1em; border-left: 4px solid #2a7a2a; }
.answer p { margin: 0.2em 0; } .answer li { margin: 0.3em 0; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.95em; } pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
.meta, .method { color: #666; }
.unstable { border: 2px solid #b00; background: #fff0f0; padding: 0.5em 1em; margin: 1em 0; }
"""

KEY_ROWS = [
    "cleared_per_day_mean",
    "cleared_per_day_p95",
    "days_above_peak_ref",
    "procedure_h_mean_export",
    "procedure_h_mean_import",
    "time_in_system_h_mean_export",
    "time_in_system_h_mean_import",
    "held_at_20h_export_mean",
    "perishable_over_threshold_share",
    "backlog_end",
]
"""The key figures of a run, in order (road queues per gate are added after them)."""

DIFF_ROWS = [
    "time_in_system_h_mean",
    "procedure_h_mean_export",
    "procedure_h_mean_import",
    "cleared_per_day_mean",
    "held_at_20h_export_mean",
    "perishable_over_threshold_share",
    "backlog_end",
    *COST_KPIS,
]
"""The KPIs a comparison shows."""


@dataclass
class Page:
    """What a report shows: title, question, the answer, a line about the run, and the body."""

    title: str
    question: str
    answer: str
    meta: str
    body: str


Builder = Callable[[Path, str], Page]
_KINDS: list[tuple[str, str, Builder]] = []


def folder_kind(name: str, marker: str, first: bool = False) -> Callable[[Builder], Builder]:
    """Register a builder for folders holding the file *marker* (checked in order; *first* puts
    it ahead of the others, for a folder that also holds another kind's marker)."""

    def register(build: Builder) -> Builder:
        entry = (name, marker, build)
        _KINDS.insert(0, entry) if first else _KINDS.append(entry)
        return build

    return register


def kind_of(folder: Path) -> str | None:
    """The kind of results folder *folder* is (``run``, ``comparison``, ``sweep``...), or None."""
    return next((name for name, marker, _ in _KINDS if (folder / marker).exists()), None)


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(header: list[str], rows: list[list[str]], num_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td class=num>{c}</td>" if i >= num_from else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _method(n: int, lang: str, paired: bool = False) -> str:
    key = "report.method_paired" if paired else ("report.method_t" if n > 1 else "report.method_one")
    return f"<p class=method>{_e(tr('report.method', lang, n=n, method=tr(key, lang)))}</p>"


_EFFECT_NUMBERS = ("base_mean", "other_mean", "diff_mean", "diff_sd", "diff_ci_low", "diff_ci_high", "n")
_SUMMARY_NUMBERS = ("mean", "value", "sd", "ci_low", "ci_high", "n")
FOLDER_FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "summary.csv": (("kpi",), _SUMMARY_NUMBERS),
    "differences.csv": (("scenario", "kpi", "base_mean", "other_mean", "diff_mean"), _EFFECT_NUMBERS),
    "bottlenecks.csv": (
        ("gate", "direction", "stage", "utilisation", "grows_in", "n"),
        ("binding_share", "utilisation", "grows_in", "n"),
    ),
    "answer.csv": (("kind", "mean", "n"), ("mean", "ci_low", "ci_high", "n")),
    "growth.csv": (("gate", "direction", "where", "grows_in", "n"), ("grows_in", "n")),
    "sweep.csv": (("point", "label", "kpi", "mean", "n"), ("point", *_SUMMARY_NUMBERS)),
    "effects.csv": (("point", "label", "kpi", "n"), ("point", *_EFFECT_NUMBERS)),
    "options.csv": (("option", "n"), ("option", "n")),
    "forecast.csv": (
        ("time", "gate", "direction", "place", "quantity", "q50", "n"),
        ("q05", "q25", "q50", "q75", "q95", "n"),
    ),
    "started_with.csv": (("gate", "direction", "place", "trucks"), ("trucks",)),
    "ensemble.csv": (
        ("option", "kpi", "mean", "ci_low", "ci_high", "n", "p05", "p95", "m"),
        ("mean", "ci_low", "ci_high", "n", "p05", "p95", "m"),
    ),
    "ensemble_effects.csv": (("option", "kpi", "m"), ("m",)),
    "ensemble_choice.csv": (
        ("label", "cost", "sets_meeting", "m", "n_per_set"),
        ("cost", "sets_meeting", "m", "n_per_set"),
    ),
}
"""Each CSV file of a results folder that the report reads: the columns it must have, and the
columns whose cells must be finite numbers (or empty). A file that breaks this is refused by name,
never silently left out of the report."""


def _csv(folder: Path, name: str, rows_needed: bool = True) -> pd.DataFrame:
    """*name* of *folder* read through the CSV guard with its columns of :data:`FOLDER_FILES`."""
    required, numbers = FOLDER_FILES[name]
    return read_csv_file(
        folder / name,
        str(folder / name),
        what="results file",
        required=required,
        numbers=numbers,
        rows_needed=rows_needed,
        whole_lines=True,
    )


def _text(path: Path) -> str:
    """A text file of a results folder through the file guard (regular file, size cap, UTF-8)."""
    raw = read_guarded_bytes(path, str(path), "results file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(path), [("", "not UTF-8 text")], what="results file") from None


def _csv_if(folder: Path, name: str, rows_needed: bool = True) -> pd.DataFrame | None:
    """:func:`_csv`, or None when the folder has no such file."""
    path = folder / name
    if not os.path.lexists(path):
        return None
    return _csv(folder, name, rows_needed)


def _value(kpi: str, row: pd.Series, lang: str, sign: bool = False) -> str:
    text = fmt(kpi, row["mean"], lang, sign)
    if pd.notna(row.get("ci_low")):
        text += f" [{fmt(kpi, row['ci_low'], lang, sign)}, {fmt(kpi, row['ci_high'], lang, sign)}]"
    return _e(text)


def _summary(folder: Path) -> pd.DataFrame:
    s = _csv(folder, "summary.csv")
    if "mean" not in s.columns and "value" not in s.columns:
        raise ScenarioError(
            str(folder / "summary.csv"), [("mean", "column is missing (nor is value)")], what="results file"
        )
    s = s.set_index("kpi")
    if "mean" not in s.columns:  # a single run's summary: one value per KPI
        s = s.rename(columns={"value": "mean"})
    if "n" not in s.columns:
        s["n"] = 1
    return s


def _header_notes(text: str) -> dict[str, str]:
    notes = {}
    for line in text.splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(": ")
        notes[key] = value
    return notes


def _held_kpi(sc: Scenario) -> str:
    hh, mm = sc.kpi.held_clock.split(":")
    return f"held_at_{int(hh)}h{'' if mm == '00' else mm}_export_mean"


def _key_rows(sc: Scenario) -> list[str]:
    rows = [_held_kpi(sc) if k == "held_at_20h_export_mean" else k for k in KEY_ROWS]
    return rows + [f"road_queue_km_max_{g}_export" for g in gates_by_traffic(sc)]


def key_figures(summary: pd.DataFrame, sc: Scenario, lang: str, references: bool = True) -> str:
    """The key figures with their 95% intervals against the reported figures, n and the method.

    The reported figures are normal-day ones: they are set against the results only when
    *references* apply (a window without an event), and judged on the interval: within,
    overlaps, above or below.
    """
    rows = []
    for kpi in _key_rows(sc):
        if kpi not in summary.index:
            continue
        row = summary.loc[kpi]
        ref = reference(kpi, sc) if references else None
        shown = ref_text = judged = ""
        if ref is not None:
            low, high, ref_text = ref
            judged = verdict(
                row["mean"], low, high, lang, ci_low=row.get("ci_low"), ci_high=row.get("ci_high")
            )
            shown = _e(reference_shown(low, high, ref_text, lang))
            if lang == "vi" and low != high:
                shown = _e(ref_text.replace(" h", " " + tr("unit.h", lang)))
        rows.append([_e(kpi_label(kpi, sc, lang)), _value(kpi, row, lang), shown, _e(judged)])
    n = int(summary["n"].max())
    value = tr("report.value" if n > 1 else "report.value1", lang)
    header = [tr("report.figure", lang), value, tr("report.reference", lang), tr("report.verdict", lang)]
    note = "" if references else f"<p class=method>{_e(tr('report.no_references', lang))}</p>"
    return _table(header, rows) + note + _method(n, lang)


def bottleneck_section(
    table: pd.DataFrame, sc: Scenario, lang: str, summary: pd.DataFrame | None = None
) -> str:
    """Per gate and direction: the binding stage, how busy, in how many replications it binds
    and whether its queue grows; the province-wide platform once."""
    rows = []
    for r in table.itertuples():
        n = int(getattr(r, "n", 1))
        grows = int(getattr(r, "grows_in", int(bool(getattr(r, "grows", False)))))
        stage = r.stage if isinstance(r.stage, str) else ""
        binds = getattr(r, "binds_in", n)
        rows.append(
            [
                _e(gate_name(sc, r.gate, lang)),
                _e(tr(r.direction, lang)),
                _e(stage_name(sc, r.gate, stage, lang) if stage else tr("na", lang)),
                _e(fmt("utilisation_", r.utilisation, lang)),
                _e(tr("report.binds_in", lang, k=int(binds) if binds == binds else n, n=n)),
                _e(tr("report.grows_in", lang, k=grows, n=n)),
            ]
        )
    sentences = bottleneck_lines(table, summary, sc, lang)
    header = [tr(f"report.{k}", lang) for k in ("gate", "direction", "stage", "busy", "binds", "grows")]
    items = "".join(f"<li>{_e(s)}</li>" for s in sentences)
    rule = f"<p class=method>{_e(tr('report.bottleneck_rule', lang))}</p>"
    return f"<h2>{_e(tr('report.bottleneck', lang))}</h2>{_table(header, rows, 3)}<ul>{items}</ul>{rule}"


def cost_section(summary: pd.DataFrame, sc: Scenario, lang: str) -> str:
    """The cost of waiting and its impact, when the KPIs carry them; a note saying so otherwise."""
    present = [k for k in COST_KPIS if k in summary.index]
    title = f"<h2>{_e(tr('report.cost', lang))}</h2>"
    if not present:
        return title + f"<p class=method>{_e(tr('report.no_cost', lang))}</p>"
    rows = [[_e(kpi_label(k, sc, lang)), _value(k, summary.loc[k], lang)] for k in present]
    n = int(summary["n"].max())
    value = tr("report.value" if n > 1 else "report.value1", lang)
    rates = f"<p class=method>{_e(assumed_rates(sc, lang))}</p>"
    return title + _table([tr("report.figure", lang), value], rows) + rates + _method(n, lang)


def busiest_stage(summary: pd.DataFrame, sc: Scenario) -> tuple[str, str, float] | None:
    """The busiest stage of any gate over its open hours, from summary.csv's ``utilisation_*``
    means (the province-wide platform left out): (gate, stage, utilisation)."""
    best: tuple[str, str, float] | None = None
    for gate in sc.gates:
        prefix = f"utilisation_{gate}_"
        for kpi in summary.index:
            if not kpi.startswith(prefix):
                continue
            rest = kpi.removeprefix(prefix)
            for kind in ("china_check", "crossing"):
                if rest.startswith(kind + "_"):
                    rest = f"{kind}:{rest.removeprefix(kind + '_')}"
            u = float(summary.loc[kpi, "mean"])
            if u == u and (best is None or u > best[2]):
                best = (gate, rest, u)
    return best


def answer_run(
    summary: pd.DataFrame,
    bottlenecks: pd.DataFrame | None,
    sc: Scenario,
    lang: str,
    growth: str | None = None,
    references: bool = True,
    window: tuple[str, str] | None = None,
) -> str:
    """One sentence on the whole window from its results: throughput, times, the hold, the busiest
    stage (over its open hours) and the one growth verdict *growth*; the reported normal-day
    figures only when *references* apply (a window without an event), each with the verdict of
    its interval (within, overlaps, above, below)."""

    def value(kpi: str) -> float:
        return float(summary.loc[kpi, "mean"]) if kpi in summary.index else float("nan")

    def ref(kpi: str) -> str:
        r = reference(kpi, sc)
        if not references or r is None or kpi not in summary.index:
            return ""
        low, high, text = r
        row = summary.loc[kpi]
        judged = verdict(row["mean"], low, high, lang, ci_low=row.get("ci_low"), ci_high=row.get("ci_high"))
        return tr("answer.ref", lang, ref=reference_shown(low, high, text, lang), verdict=judged)

    stage = gate = util = tr("na", lang)
    busiest = busiest_stage(summary, sc)
    if busiest is not None:
        g, st, u = busiest
        gate, util, stage = gate_name(sc, g, lang), fmt("utilisation_", u, lang), stage_name(sc, g, st, lang)
    if growth is None:
        growth = tr("trend.short", lang)
    first, last = (date_text(d, lang) for d in (window or _window(sc)))  # dd/mm/yyyy in Vietnamese
    ref_h = ref("procedure_h_mean_export")
    return tr(
        "answer.run",
        lang,
        first=first,
        last=last,
        cleared=fmt("cleared_per_day_mean", value("cleared_per_day_mean"), lang),
        ref_cleared=ref("cleared_per_day_mean"),
        exp_h=fmt_number(value("procedure_h_mean_export"), ".1f", lang),
        imp_h=fmt_number(value("procedure_h_mean_import"), ".1f", lang),
        exp_all=fmt_number(value("time_in_system_h_mean_export"), ".1f", lang),
        imp_all=fmt_number(value("time_in_system_h_mean_import"), ".1f", lang),
        ref_h=ref_h,
        held=fmt("held_at_", value(_held_kpi(sc)), lang),
        reading=_held_reading(summary, sc, lang),
        clock=sc.kpi.held_clock,
        ref_held=ref(_held_kpi(sc)),
        stage=stage,
        gate=gate,
        util=util,
        growth=growth,
    )


def _held_reading(summary: pd.DataFrame, sc: Scenario, lang: str) -> str:
    """What the hold counts: the platform's reading with the gate area's beside it, or the area's."""
    area = _held_kpi(sc) + "_in_area"
    if set(sc.kpi.held_places) <= {"china_side", "park", "travel", "road", "yard", "to_china"}:
        return tr("held.area_only", lang)
    value = float(summary.loc[area, "mean"]) if area in summary.index else float("nan")
    return tr("held.declared", lang, area=fmt("held_at_", value, lang))


def _window(sc: Scenario) -> tuple[str, str]:
    first = sc.run.start_date + pd.Timedelta(days=sc.run.warmup_days)
    last = sc.run.start_date + pd.Timedelta(days=sc.run.days - 1)
    return str(first), str(last)


def all_kpis(summary: pd.DataFrame, sc: Scenario, lang: str) -> str:
    """Every KPI with its readable name, its key, mean and interval, in a folded table."""
    rows = [
        [_e(kpi_label(k, sc, lang)), f"<code>{_e(k)}</code>", _value(k, r, lang)]
        for k, r in summary.iterrows()
    ]
    header = [tr("report.figure", lang), tr("report.kpi_key", lang), tr("report.value", lang)]
    label = tr("report.all_kpis", lang, n=len(summary))
    return f"<details><summary>{_e(label)}</summary>{_table(header, rows, 2)}</details>"


def parameters(sc: Scenario, lang: str) -> str:
    """Lanes and hours of every stage of every gate (busiest gate first), the Chinese checkpoints
    and the crossings included."""
    rows = []
    for g in gates_by_traffic(sc):
        gate = sc.gates[g]
        label = gate_name(sc, g, lang)
        for stage in ("declaration_counter", "gate_control", "customs_docs", "inspection", "quarantine"):
            cfg = getattr(gate, stage)
            if cfg.enabled:
                h = cfg.hours or gate.hours
                rows.append(
                    [label, tr(f"stage.{stage}", lang), lanes_text(cfg.lanes, lang), f"{h.open}-{h.close}"]
                )
        for rname, route in gate.routes.items():
            where = route_name(sc, g, rname, lang)
            check = route.china_check
            if check.enabled:
                h = check.hours_china
                hours = f"{h.open}-{h.close} {tr('report.china_time', lang)}" + "".join(
                    f"; {tr(d, lang)} {x.open}-{x.close}" for d, x in check.hours_china_by_direction.items()
                )
                name = tr("stage_on_route", lang, stage=tr("stage.china_check", lang), route=where)
                rows.append([label, name, lanes_text(check.lanes, lang), hours])
            cross = route.crossing
            if cross.enabled:
                h = gate.crossing_hours(rname)
                name = tr("stage_on_route", lang, stage=tr("stage.crossing", lang), route=where)
                rows.append([label, name, lanes_text(cross.lanes, lang), f"{h.open}-{h.close}"])
    header = [tr(f"report.{k}", lang) for k in ("gate", "stage", "capacity", "hours")]
    return _table(header, [[_e(c) for c in r] for r in rows], 4)


def _figures(folder: Path, lang: str) -> str:
    parts = []
    order = list(CAPTIONS)

    def kind(png: Path) -> str | None:
        return next((k for k in order if png.stem.startswith(k)), None)

    def rank(png: Path) -> tuple[int, str]:
        k = kind(png)
        return (order.index(k) if k else len(order)), png.stem

    for png in sorted((folder / "plots").glob("*.png"), key=rank):
        data = base64.b64encode(png.read_bytes()).decode()
        k = kind(png)
        caption = f"<figcaption>{_e(tr(f'caption.{k}', lang))}</figcaption>" if k else ""
        parts.append(
            f'<figure><img alt="{_e(png.stem)}" src="data:image/png;base64,{data}">{caption}</figure>'
        )
    return "".join(parts)


def _scenario_of(path: Path) -> tuple[Scenario, str]:
    read_yaml_file(path, str(path), "results file")  # a FIFO, a device, a huge or non-UTF-8 file: refused
    text = path.read_text(encoding="utf-8")
    return load_scenario(path), text


def unstable_warning(bn: pd.DataFrame | None, sc: Scenario, lang: str) -> str:
    """A visible warning when bottlenecks.csv marks a gate and direction unstable (empty if none)."""
    if bn is None or "unstable" not in bn or not bn["unstable"].any():
        return ""
    rows = bn[bn["unstable"].astype(bool)]
    said = with_statements(rows, sc, lang)["statement"].tolist()
    items = "".join(f"<li>{_e(x)}</li>" for x in said)
    return (
        f"<div class=unstable role=alert><strong>{_e(tr('report.unstable_title', lang))}</strong> "
        f"{_e(tr('report.unstable_body', lang))}<ul>{items}</ul></div>"
    )


def _run_answer(folder: Path, sc: Scenario, summary: pd.DataFrame, bn: pd.DataFrame | None, lang: str) -> str:
    """The answer of a run folder: the episodes first (answer.csv), then the whole window."""
    notes = _header_notes(_scenario_of(folder / "scenario.yaml")[1])
    window = None
    if notes.get("window"):
        a, _, b = notes["window"].partition("..")
        window = (a, b)
    table = _csv_if(folder, "answer.csv", rows_needed=False)
    lines = answer_lines(table, sc, lang) if table is not None and len(table) else []
    growth = None
    g = _csv_if(folder, "growth.csv", rows_needed=False)
    if g is not None:
        findings = [(r.gate, r.direction, str(r.where), int(r.grows_in), int(r.n)) for r in g.itertuples()]
        judged = notes.get("growth_judged", "True") != "False"
        growth = growth_sentence(findings, sc, int(summary["n"].max()), lang) if judged else None
    refs = references_apply(sc, window)
    shown = window or _window(sc)
    whole = answer_run(summary, bn, sc, lang, growth, refs, (str(shown[0]), str(shown[1])))
    if lines and table is not None and (table["kind"] == "episode").any():
        return "\n".join([*lines, tr("answer.whole_run", lang, text=whole)])
    return "\n".join([whole, *lines[1:]])


def ensemble_section(folder: Path, sc: Scenario, lang: str) -> str:
    """Both spreads, when the folder holds ``ensemble.csv``: the replication interval and the
    spread across parameter sets, per option and KPI; then the effects or the choice across them."""
    from sim.presentation.ensemble_text import effect_lines

    spread = _csv_if(folder, "ensemble.csv")
    if spread is None:
        return ""
    rows = []
    for r in spread.itertuples(index=False):
        has_point = pd.notna(r.mean)
        point = "-"
        if has_point:
            low, high = fmt(r.kpi, r.ci_low, lang), fmt(r.kpi, r.ci_high, lang)
            point = f"{fmt(r.kpi, r.mean, lang)} [{low}, {high}] ({int(r.n)})"
        across = f"{fmt(r.kpi, r.p05, lang)} - {fmt(r.kpi, r.p95, lang)} ({int(r.m)})"
        rows.append([_e(r.option), _e(kpi_label(r.kpi, sc, lang)), _e(point), _e(across)])
    header = [tr("report.option", lang), tr("report.figure", lang), tr("report.from_randomness", lang),
              tr("report.across_sets", lang)]  # fmt: skip
    body = f"<h2>{_e(tr('report.ensemble', lang))}</h2><p>{_e(tr('report.ensemble_note', lang))}</p>"
    body += _table(header, rows, 2)
    effects = _csv_if(folder, "ensemble_effects.csv", rows_needed=False)
    if effects is not None:
        base = str(spread["option"].iloc[0])
        body += "".join(f"<p>{_e(line)}</p>" for line in effect_lines(effects, sc, base, lang))
    choice = _csv_if(folder, "ensemble_choice.csv", rows_needed=False)
    if choice is not None:
        from sim.presentation.ensemble_text import choice_lines

        body += "".join(f"<p>{_e(line)}</p>" for line in choice_lines(choice, sc, lang))
    return body


@folder_kind("run", "summary.csv")
def run_page(folder: Path, lang: str) -> Page:
    """The page of a run or experiment folder."""
    sc, text = _scenario_of(folder / "scenario.yaml")
    notes = _header_notes(text)
    summary = _summary(folder)
    if sc.kpi.headline not in summary.index:
        raise ScenarioError(
            str(folder / "summary.csv"),
            [("kpi", f"no row for the headline KPI {sc.kpi.headline!r} (the scenario's kpi.headline)")],
            what="results file",
        )
    bn = _csv_if(folder, "bottlenecks.csv", rows_needed=False)
    meta = tr(
        "report.meta",
        lang,
        days=sc.run.days,
        start=date_text(sc.run.start_date.isoformat(), lang),  # dd/mm/yyyy in Vietnamese
        warmup=sc.run.warmup_days,
        n=notes.get("replications", "1"),
        seed=notes.get("seed"),
        version=notes.get("bordersim_version"),
    )
    window = None
    if notes.get("window"):
        a, _, b = notes["window"].partition("..")
        window = (a, b)
    body = unstable_warning(bn, sc, lang)
    refs = references_apply(sc, window)
    body += f"<h2>{_e(tr('report.key_figures', lang))}</h2>{key_figures(summary, sc, lang, refs)}"
    if bn is not None:
        body += bottleneck_section(bn, sc, lang, summary)
    body += ensemble_section(folder, sc, lang)
    body += cost_section(summary, sc, lang) + all_kpis(summary, sc, lang)
    body += f"<h2>{_e(tr('report.parameters', lang))}</h2>{parameters(sc, lang)}"
    body += (
        f"<details><summary>{_e(tr('report.scenario_text', lang))}</summary><pre>{_e(text)}</pre></details>"
    )
    title = question(sc, lang) or sc.name
    subtitle = tr("report.scenario_named", lang, name=sc.name)
    return Page(title, subtitle, _run_answer(folder, sc, summary, bn, lang), meta, body)


@folder_kind("comparison", "differences.csv")
def comparison_page(folder: Path, lang: str) -> Page:
    """The page of a comparison folder: each scenario's question, the answers, the differences."""
    files = sorted((folder / "scenarios").glob("*.yaml"), key=lambda p: int(p.stem.split("_", 1)[0]))
    scenarios = [_scenario_of(p)[0] for p in files]
    base = scenarios[0]
    diffs = _csv(folder, "differences.csv")
    if not files:
        raise ScenarioError(
            str(folder / "scenarios"), [("", "no scenario files (NN_name.yaml)")], what="results folder"
        )
    n = int(diffs["n"].max()) if "n" in diffs else int(_header_notes(files[0].read_text())["replications"])
    rows = [
        [_e(sc.name + (f" ({tr('report.base', lang)})" if i == 0 else "")), _e(question(sc, lang))]
        for i, sc in enumerate(scenarios)
    ]
    body = f"<h2>{_e(tr('report.alternatives', lang))}</h2>"
    body += _table([tr("report.scenario", lang), tr("report.question", lang)], rows, 2)
    answers = [answer_compare(diffs, base, sc.name, lang) for sc in scenarios[1:]]
    body += f"<h2>{_e(tr('report.differences', lang))}</h2>"
    table_rows = []
    for r in diffs[diffs["kpi"].isin(DIFF_ROWS)].itertuples():
        table_rows.append(
            [
                _e(r.scenario),
                _e(kpi_label(r.kpi, base, lang)) + f" <code>{_e(r.kpi)}</code>",
                _e(fmt(r.kpi, r.base_mean, lang)),
                _e(fmt(r.kpi, r.other_mean, lang)),
                _e(effect_row_text(r, lang)),
            ]
        )
    header = [tr("report.scenario", lang), tr("report.figure", lang), tr("report.base_mean", lang),
              tr("report.other_mean", lang), tr("report.diff", lang)]  # fmt: skip
    body += _table(header, table_rows, 2) + _method(n, lang, paired=True)
    body += ensemble_section(folder, base, lang)
    bn = _csv_if(folder, "bottlenecks.csv", rows_needed=False)
    if bn is not None:
        if "scenario" not in bn.columns:
            raise ScenarioError(
                str(folder / "bottlenecks.csv"), [("scenario", "column is missing")], what="results file"
            )
        for sc in scenarios:
            part = bottleneck_section(bn[bn["scenario"] == sc.name], sc, lang)
            body += part.replace("</h2>", f": {_e(sc.name)}</h2>", 1)
    title = f"{tr('report.comparison', lang)}: " + ", ".join(sc.name for sc in scenarios)
    meta = tr("report.method_paired", lang)
    answer = "\n".join([" ".join(answers), *_episode_answers(folder, scenarios, lang)])
    return Page(title, question(base, lang), answer, meta, body)


def _episode_answers(folder: Path, scenarios: list[Scenario], lang: str) -> list[str]:
    """Each scenario's answer about the episode of a comparison (answer.csv), as the console says
    it: over the same days for every option, the first scenario with the event framing them, an
    option without the event said to be so. None when no scenario has an episode."""
    table = _csv_if(folder, "answer.csv", rows_needed=False)
    if table is None or "scenario" not in table.columns or not (table["kind"] == "episode").any():
        return []
    framing = next((sc for sc in scenarios if has_episode(sc)), scenarios[0])
    out: list[str] = []
    for sc in scenarios:
        mine = table[table["scenario"] == sc.name].drop(columns="scenario")
        if not (mine["kind"] == "episode").any():
            continue
        first, *rest = answer_lines(mine.reset_index(drop=True), framing, lang)
        name = sc.name if has_episode(sc) else tr("answer.without_event", lang, name=sc.name)
        out += [f"{name}: {first}", *rest]
    return out


def answer_compare(diffs: pd.DataFrame, base: Scenario, alt: str, lang: str) -> str:
    """One sentence on what *alt* changes against the base: the paired effect on the time in
    system and on trucks cleared a day, each with its interval and verdict (an effect, no effect
    within the margin, or too few replications to tell)."""
    d = diffs[diffs["scenario"] == alt].set_index("kpi")
    t, c = d.loc["time_in_system_h_mean"], d.loc["cleared_per_day_mean"]
    if "verdict" in d.columns:
        return tr(
            "answer.compare_paired",
            lang,
            base=base.name,
            alt=alt,
            time=effect_clause(t.to_dict() | {"kpi": t.name}, lang),
            cleared=effect_clause(c.to_dict() | {"kpi": c.name}, lang),
        )
    # A folder written before the verdict was kept: the numbers and whether the interval leaves out 0.
    real = t["diff_ci_low"] > 0 or t["diff_ci_high"] < 0 or c["diff_ci_low"] > 0 or c["diff_ci_high"] < 0
    return tr(
        "answer.compare",
        lang,
        base=base.name,
        alt=alt,
        d_time=fmt_number(t["diff_mean"], "+.2f", lang),
        lo_time=fmt_number(t["diff_ci_low"], "+.2f", lang),
        hi_time=fmt_number(t["diff_ci_high"], "+.2f", lang),
        d_cleared=fmt_number(c["diff_mean"], "+,.0f", lang),
        lo_cleared=fmt_number(c["diff_ci_low"], "+,.0f", lang),
        hi_cleared=fmt_number(c["diff_ci_high"], "+,.0f", lang),
        verdict=tr("verdict.real" if real else "verdict.none", lang),
    )


def sweep_answer(
    table: pd.DataFrame,
    bottlenecks: pd.DataFrame | None,
    sc: Scenario,
    kpi: str,
    lang: str,
    effects: pd.DataFrame | None = None,
) -> str:
    """One sentence on a sweep: how far *kpi* moves over the first lever, the paired effect of
    the last point against the first (from *effects*, ``Sweep.effects()``), and which stage binds
    (the busiest at the last point; at the levers' gate when every lever is one gate's). Without
    *effects* (an older folder) the two points' intervals are set side by side instead."""
    keys = _sweep_keys(table)
    rows = table[table["kpi"] == kpi].sort_values("point")
    first, last = rows.iloc[0], rows.iloc[-1]
    paired = None
    if effects is not None and len(effects):
        mine = effects[(effects["kpi"] == kpi) & (effects["point"] == last["point"])]
        paired = mine.iloc[0] if len(mine) else None
    apart = first["ci_high"] < last["ci_low"] or last["ci_high"] < first["ci_low"]
    if first["n"] < 2:
        apart = abs(last["mean"] - first["mean"]) > 0.05 * abs(first["mean"])
    stage = gate = util = tr("na", lang)
    if bottlenecks is not None and len(bottlenecks):
        at = bottlenecks[bottlenecks["point"] == last["point"]].sort_values("utilisation", ascending=False)
        gates = {k.split(".")[1] if k.startswith("gates.") and k.count(".") > 1 else None for k in keys}
        lever_gate = next(iter(gates)) if len(gates) == 1 else None
        if lever_gate in set(at["gate"]):
            at = at[at["gate"] == lever_gate]  # levers at one gate: what binds there
        top = at.iloc[0]
        stage, gate = stage_name(sc, top["gate"], top["stage"], lang), gate_name(sc, top["gate"], lang)
        util = fmt("utilisation_", top["utilisation"], lang)
    grows = ""
    if bottlenecks is not None and len(bottlenecks) and "grows_in" in bottlenecks:
        # The queue growth bottlenecks.csv shows, said here too: each point by all its values
        # (a grid's first lever alone names several points), with its k of n replications.
        per_point = bottlenecks.groupby("point")
        k = per_point["grows_in"].max()
        n = per_point["n"].max() if "n" in bottlenecks else pd.Series(1, index=k.index)
        said = [
            tr(
                "answer.sweep_grows_at",
                lang,
                point=str(r["label"] if "label" in r else r[keys[0]]),
                k=int(k[r["point"]]),
                n=int(n[r["point"]]),
            )
            for _, r in rows.iterrows()
            if k.get(r["point"], 0) > 0
        ]
        if said:
            grows = tr("answer.sweep_grows", lang, points="; ".join(said))
    return (
        tr(
            "answer.sweep" if paired is None else "answer.sweep_paired",
            lang,
            lever=lever_label(sc, keys[0], lang),
            first=first[keys[0]],
            last=last[keys[0]],
            kpi=kpi_label(kpi, sc, lang, unit=False),
            a=fmt(kpi, first["mean"], lang),
            b=fmt(kpi, last["mean"], lang),
            unit="" if is_share(kpi) else unit_of(kpi, lang),
            effect=tr("effect.some" if apart else "effect.none", lang)
            if paired is None
            else effect_row_text(paired, lang),
            stage=stage,
            gate=gate,
            util=util,
            grows=grows,
        )
        .replace("  ", " ")
        .replace(" ,", ",")
    )


def _sweep_keys(table: pd.DataFrame) -> list[str]:
    cols = list(table.columns)
    return cols[cols.index("label") + 1 : cols.index("kpi")]


@folder_kind("sweep", "sweep.csv")
def sweep_page(folder: Path, lang: str) -> Page:
    """The page of a sweep folder: each point by its values, the answer, the binding stage."""
    sc, text = _scenario_of(folder / "scenario.yaml")
    table = _csv(folder, "sweep.csv")
    bn = _csv_if(folder, "bottlenecks.csv", rows_needed=False)
    shown = json.loads(_header_notes(text).get("kpis", "[]")) or [
        "time_in_system_h_mean",
        "cleared_per_day_mean",
    ]
    shown = [k for k in shown if k in set(table["kpi"])]
    rows = []
    for point, g in table.groupby("point", sort=True):
        g = g.set_index("kpi")
        cells = [_e(g["label"].iloc[0])] + [_value(k, g.loc[k], lang) for k in shown]
        if bn is not None:
            if "point" not in bn.columns:
                raise ScenarioError(
                    str(folder / "bottlenecks.csv"), [("point", "column is missing")], what="results file"
                )
            at = bn[bn["point"] == point].sort_values("utilisation", ascending=False)
            if at.empty:
                raise ScenarioError(
                    str(folder / "bottlenecks.csv"),
                    [("point", f"no row for point {point}")],
                    what="results file",
                )
            cells.append(_e(with_statements(at.iloc[[0]], sc, lang)["statement"].iloc[0]))
        rows.append(cells)
    header = [tr("report.point", lang)] + [kpi_label(k, sc, lang) for k in shown]
    if bn is not None:
        header.append(tr("report.bottleneck", lang))
    n = int(table["n"].max())
    body = f"<h2>{_e(tr('report.sweep_table', lang))}</h2>{_table(header, rows)}{_method(n, lang)}"
    effects = _csv_if(folder, "effects.csv", rows_needed=False)
    if effects is not None and len(effects):
        effect_rows = []
        for _, g in effects[effects["kpi"].isin(shown)].groupby("point", sort=True):
            g = g.set_index("kpi")
            cells = [_e(g["label"].iloc[0])]
            cells += [_e(effect_row_text(g.loc[k].to_dict() | {"kpi": k}, lang)) for k in shown]
            effect_rows.append(cells)
        header = [tr("report.point", lang)] + [kpi_label(k, sc, lang) for k in shown]
        body += f"<h2>{_e(tr('report.effects_table', lang))}</h2>{_table(header, effect_rows)}"
        body += _method(int(effects["n"].max()), lang, paired=True)
    body += ensemble_section(folder, sc, lang)
    answer = " ".join(sweep_answer(table, bn, sc, k, lang, effects) for k in shown[:1])
    title = f"{tr('report.sweep', lang)}: {sc.name}"
    meta = ", ".join(lever_label(sc, k, lang) for k in _sweep_keys(table))
    return Page(title, question(sc, lang), answer, meta, body)


@folder_kind("optimise", "options.csv")
def optimise_page(folder: Path, lang: str) -> Page:
    """The page of an optimisation folder: the answer (the choice, or the closest option and the
    next step), the decision sheet, the evidence and the robustness check, numbers formatted for
    people and every table wrapping inside a 1280 px wide page."""

    def _cell(value: object, lang: str) -> str:
        """A table cell for people: no "nan" and no float repr (``49200000.0`` -> ``49,200,000``)."""
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, bool):
            return tr("yes" if value else "no", lang)
        if isinstance(value, int | float):
            if abs(value) >= 1000 or float(value).is_integer():
                return fmt_number(value, ",.0f", lang)
            return fmt_number(value, ",.4g", lang)
        return str(value)

    lines = _text(folder / "optimise.txt").splitlines()
    if not lines:
        raise ScenarioError(str(folder / "optimise.txt"), [("", "the file is empty")], what="results file")
    options = _csv(folder, "options.csv")
    chosen = options[options["chosen"].astype(bool)] if "chosen" in options else options.iloc[0:0]
    answer = next((ln.strip() for ln in lines if ln.lower().startswith(("chosen", "no option"))), lines[0])
    sheet = folder / "decision.json"
    # Fixed-layout tables and wrapped text: long option names and amounts never widen the page.
    style = (
        "<style>.opt table{table-layout:fixed;width:100%;font-size:0.85em}"
        ".opt td,.opt th{overflow-wrap:anywhere;word-break:break-word;vertical-align:top}"
        ".opt pre{white-space:pre-wrap;overflow-wrap:anywhere}"
        ".opt td.num{overflow-wrap:break-word;word-break:normal}"
        ".sheet th:first-child{width:6%}.sheet th:nth-child(2){width:24%}"
        ".sheet th:nth-last-child(-n+2){width:7%}"
        ".robust th:first-child{width:14%}.robust th:nth-child(2){width:30%}</style>"
    )
    body = '<div class="opt">' + style
    if sheet.exists():
        try:
            doc = json.loads(_text(sheet))
        except json.JSONDecodeError as err:
            raise ScenarioError(str(sheet), [("", f"not valid JSON: {err}")], what="results file") from None
        part = doc[lang]
        answer = part.get("answer", answer)
        rows = [[_e(c) for c in r] for r in part["rows"]]
        sheet_table = _table(part["columns"], rows, num_from=2)
        body += (
            f"<h2>{_e(tr('opt.sheet', lang))}</h2><p class=method>{_e(part['note'])}</p>"
            f'<div class="sheet">{sheet_table}</div>'
        )
        rob = part["robustness_rows"]
        if rob:
            rob_table = _table(part["robustness_columns"], [[_e(c) for c in r] for r in rob], num_from=2)
            body += f'<h2>{_e(tr("report.robustness", lang))}</h2><div class="robust">{rob_table}</div>'
    else:  # a folder written before the decision sheet: its tables, numbers formatted
        body += f"<h2>{_e(tr('report.options', lang))}</h2>" + _table(
            list(options.columns), [[_e(_cell(v, lang)) for v in r] for r in options.itertuples(index=False)]
        )
    if (folder / "ensemble.csv").exists() and (folder / "chosen.yaml").exists():
        body += ensemble_section(folder, _scenario_of(folder / "chosen.yaml")[0], lang)
    body += f"<h2>{_e(tr('report.evidence', lang))}</h2><pre>{_e(chr(10).join(lines))}</pre></div>"
    title = f"{tr('report.optimise', lang)}: {lines[0].split(':')[0].removeprefix('optimise ')}"
    meta = f"n = {int(options['n'].sum()):,} " + tr("report.replications_all", lang)
    if not chosen.empty:
        meta += f"; {tr('report.chosen', lang)}: {int(chosen['option'].iloc[0])}"
    return Page(title, "", answer, meta, body)


@folder_kind("forecast", "forecast.csv")
def forecast_page(folder: Path, lang: str) -> Page:
    """The report page of a forecast folder: the trucks held at the next evening count as the
    answer, what it started from, what it assumed; the figures follow."""
    table = _csv(folder, "forecast.csv")
    started = _csv(folder, "started_with.csv", rows_needed=False)
    head = dict(
        line.split(": ", 1) for line in _text(folder / "assumptions.txt").splitlines() if ": " in line
    )
    assumed = [ln[2:] for ln in _text(folder / "assumptions.txt").splitlines() if ln.startswith("- ")]
    try:  # said in the report's language where the folder keeps them as data (from the command's)
        data = json.loads(head.get("assumptions_data", "null"))
        if data:
            assumed = [assumption_text((key, fields), lang) for key, fields in data]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        pass
    try:  # the gates' names as the scenario gives them (a folder from before: their keys)
        names = json.loads(head.get("gate_names", "{}"))
    except json.JSONDecodeError:
        names = {}

    def gate(key: str) -> str:
        return str(names.get(key, {}).get(lang, key))

    held = table[(table["quantity"] == "held") & (table["place"] == "total")]
    evening = held[held["time"].astype(str).str.endswith(" " + head.get("held_clock", "20:00"))]
    first = evening["time"].iloc[0] if len(evening) else None
    lines = []
    for r in evening[evening["time"] == first].itertuples():
        lines.append(
            tr(
                "forecast.held_at",
                lang,
                gate=gate(r.gate),
                direction=tr(r.direction, lang),
                time=first,
                median=median_text(r.q50, lang),
                q05=r.q05,
                q95=r.q95,
                n=int(r.n),
            )
        )
    rows = [
        [_e(gate(r.gate)), _e(tr(r.direction, lang)), _e(tr(f"place.{r.place}", lang)), f"{int(r.trucks):,}"]
        for r in started.itertuples()
    ]
    header = [tr(f"report.{k}", lang) for k in ("gate", "direction", "place")] + [tr("forecast.trucks", lang)]
    body = f"<h2>{_e(tr('forecast.started_table', lang))}</h2>" + _table(header, rows, num_from=3)
    body += f"<h2>{_e(tr('forecast.assumed', lang))}</h2><ul>" + "".join(f"<li>{_e(a)}</li>" for a in assumed)
    body += "</ul>"
    title = tr("forecast.report", lang, as_of=head.get("as_of", ""), hours=head.get("hours", ""))
    meta = tr(
        "forecast.meta", lang, n=head.get("replications", ""), declared=head.get("declarations used", "")
    )
    return Page(title, "", "\n".join(lines) if lines else "", meta, body)


def build_report(folder: str | Path, lang: str = "en") -> str:
    """The HTML text of the report of a results folder of any registered kind, in *lang*."""
    folder = Path(folder)
    build = next((b for _, marker, b in _KINDS if (folder / marker).exists()), None)
    if build is None:
        markers = ", ".join(marker for _, marker, _ in _KINDS)
        raise FileNotFoundError(f"{folder} holds none of {markers}: not a results folder")
    page = build(folder, lang)
    answer = ""
    if page.answer:
        # The answer's first line leads; the lines after it (a gate and direction each, then the
        # whole run) are a list a board can read down.
        first, *rest = page.answer.split("\n")
        items = "".join(f"<li>{_e(line)}</li>" for line in rest)
        answer = (
            f"<div class=answer><p><b>{_e(tr('report.answer', lang))}:</b> {_e(first)}</p>"
            + (f"<ul>{items}</ul>" if items else "")
            + "</div>"
        )
    return (
        f"<!doctype html><html lang={tr('report.lang', lang)}><head><meta charset=utf-8>"
        f"<title>{_e(page.title)}</title><style>{STYLE}</style></head><body><h1>{_e(page.title)}</h1>"
        f"<p class=question>{_e(page.question)}</p>{answer}<p class=meta>{_e(page.meta)}</p>"
        f"{page.body}<h2>{_e(tr('report.figures', lang))}</h2>{_figures(folder, lang)}</body></html>"
    )


def write_report(folder: str | Path, lang: str = "en") -> Path:
    """Write ``report.html`` (``report.vi.html`` in Vietnamese) into *folder*, under a temporary
    name first, and return its path."""
    folder = Path(folder)
    target = folder / ("report.html" if lang == "en" else f"report.{lang}.html")
    tmp = folder / f".{target.name}.partial"
    tmp.write_text(build_report(folder, lang), encoding="utf-8")
    os.replace(tmp, target)
    return target


def sweep_kpis_note(kpis: list[str]) -> dict[str, str]:
    """The header note a sweep folder keeps of the KPIs it plots (read back by its report)."""
    return {"kpis": json.dumps(kpis)}
