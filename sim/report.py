"""A self-contained HTML report of a results folder, for people who will not open a notebook.

It reads what ``bordersim run`` or ``bordersim compare`` wrote (summary or differences, the
resolved scenario, the figures) and writes ``report.html`` beside them with every figure
embedded, so the one file can be mailed or archived.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import pandas as pd
import yaml

KEY_KPIS = {
    "cleared_per_day_mean": ("Trucks cleared per day, mean", "{:,.0f}"),
    "cleared_per_day_p95": ("Trucks cleared per day, 95th percentile", "{:,.0f}"),
    "days_above_peak_ref": ("Days above the peak reference", "{:.1f}"),
    "time_in_system_h_mean": ("Time in system, mean (h)", "{:.2f}"),
    "perishable_over_threshold_share": ("Perishables over the threshold", "{:.1%}"),
    "road_queue_km_max_huu_nghi_export": ("Road queue at Huu Nghi, max (km)", "{:.2f}"),
    "road_queue_km_max_tan_thanh_export": ("Road queue at Tan Thanh, max (km)", "{:.2f}"),
    "backlog_end": ("Trucks still inside at the end", "{:,.0f}"),
    "arrived_before_approval_share": ("Arrived before their declaration was approved", "{:.1%}"),
}
CAPTIONS = {
    "queues": "Queue lengths over time: road, yard and each stage (shaded: closures and disruptions).",
    "daily_cleared": "Trucks cleared per day against the reported mean (1,650) and peak (2,000).",
    "time_in_system": "Time in system by cargo class, with the perishable threshold.",
    "hourly": "Arrivals and queues by hour of day.",
    "utilisation": "Lane utilisation by stage and hour of day.",
    "heatmap": "Export yard occupancy, hour by day.",
    "comparison": "Differences against the first scenario, with 95% intervals.",
}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { margin-bottom: 0.2em; } .question { font-size: 1.15em; color: #333; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.95em; } pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
.meta { color: #666; }
.unstable { border: 2px solid #b00; background: #fff0f0; padding: 0.5em 1em; margin: 1em 0; }
"""


def _header_notes(text: str) -> dict[str, str]:
    notes = {}
    for line in text.splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(": ")
        notes[key] = value
    return notes


def _cell(row: pd.Series, spec: str) -> str:
    text = spec.format(row["mean"])
    if "ci_low" in row and pd.notna(row.get("ci_low")):
        text += f" [{spec.format(row['ci_low'])}, {spec.format(row['ci_high'])}]"
    return html.escape(text)


def _kpi_tables(summary: pd.DataFrame) -> str:
    rows = [
        f"<tr><td>{html.escape(label)}</td><td class=num>{_cell(summary.loc[k], spec)}</td></tr>"
        for k, (label, spec) in KEY_KPIS.items()
        if k in summary.index
    ]
    key = "<table><tr><th>Figure</th><th>Mean [95% interval]</th></tr>" + "".join(rows) + "</table>"
    full = summary.to_html(float_format=lambda x: f"{x:.4g}", na_rep="")
    return key + f"<details><summary>All {len(summary)} KPIs</summary>{full}</details>"


def _unstable_warning(folder: Path) -> str:
    """A visible warning block when bottlenecks.csv marks a gate and direction unstable."""
    path = folder / "bottlenecks.csv"
    if not path.exists():
        return ""
    table = pd.read_csv(path)
    if "unstable" not in table or not table["unstable"].any():
        return ""
    items = "".join(f"<li>{html.escape(str(s))}</li>" for s in table.loc[table["unstable"], "statement"])
    return (
        "<div class=unstable role=alert><strong>Warning: unstable scenario.</strong> A queue grows over "
        "the run, so its averages depend on the horizon and describe no steady state:"
        f"<ul>{items}</ul></div>"
    )


def _parameters(scenario: dict) -> str:
    rows = []
    for name, gate in scenario.get("gates", {}).items():
        for stage in ("gate_control", "customs_docs", "inspection", "quarantine"):
            cfg = gate.get(stage, {})
            if cfg.get("enabled", True):
                hours = cfg.get("hours") or gate.get("hours", {})
                rows.append(
                    (
                        gate.get("label", name),
                        stage.replace("_", " "),
                        f"{cfg.get('lanes')} lanes",
                        f"{hours.get('open', '')}-{hours.get('close', '')}",
                    )
                )
        for rname, route in gate.get("routes", {}).items():
            check = route.get("china_check", {})
            if not check.get("enabled", True):
                continue
            h = check.get("hours_china", {})
            by_dir = check.get("hours_china_by_direction") or {}
            hours = f"{h.get('open', '')}-{h.get('close', '')} China time" + "".join(
                f"; {d} {x.get('open', '')}-{x.get('close', '')}" for d, x in by_dir.items()
            )
            rows.append(
                (
                    gate.get("label", name),
                    f"Chinese checkpoint, route {route.get('label') or rname}",
                    f"{check.get('lanes')} lanes",
                    hours,
                )
            )
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return "<table><tr><th>Gate</th><th>Stage</th><th>Capacity</th><th>Hours</th></tr>" + body + "</table>"


def _figures(folder: Path) -> str:
    parts = []
    order = list(CAPTIONS)

    def rank(png: Path) -> tuple[int, str]:
        return next((i for i, k in enumerate(order) if png.stem.startswith(k)), len(order)), png.stem

    for png in sorted((folder / "plots").glob("*.png"), key=rank):
        data = base64.b64encode(png.read_bytes()).decode()
        caption = next((c for k, c in CAPTIONS.items() if png.stem.startswith(k)), png.stem)
        parts.append(
            f'<figure><img alt="{html.escape(png.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)} ({html.escape(png.stem)})</figcaption></figure>"
        )
    return "".join(parts)


def build_report(folder: str | Path) -> str:
    """The HTML text of the report of a run, experiment or comparison folder."""
    folder = Path(folder)
    if (folder / "summary.csv").exists():
        text = (folder / "scenario.yaml").read_text(encoding="utf-8")
        scenario = yaml.safe_load(text)
        notes = _header_notes(text)
        summary = pd.read_csv(folder / "summary.csv", index_col="kpi")
        title = scenario.get("name", folder.name)
        question = scenario.get("question", "")
        run = scenario.get("run", {})
        meta = (
            f"{run.get('days')} days from {run.get('start_date')} ({run.get('warmup_days')} warm-up days "
            f"left out), {notes.get('replications', '1')} replications, seed {notes.get('seed')}, "
            f"bordersim {notes.get('bordersim_version')}"
        )
        body = (
            f"{_unstable_warning(folder)}<h2>Key figures</h2>{_kpi_tables(summary)}"
            f"<h2>Parameters</h2>{_parameters(scenario)}"
            f"<details><summary>The whole scenario as run</summary><pre>{html.escape(text)}</pre></details>"
        )
    elif (folder / "differences.csv").exists():
        diffs = pd.read_csv(folder / "differences.csv")
        names = sorted(p.stem.split("_", 1)[1] for p in (folder / "scenarios").glob("*.yaml"))
        title = "Comparison: " + ", ".join(names)
        first = sorted((folder / "scenarios").glob("0_*.yaml"))[0]
        question = yaml.safe_load(first.read_text(encoding="utf-8")).get("question", "")
        meta = f"paired differences against {first.stem.split('_', 1)[1]}, common random numbers"
        key = diffs[diffs["kpi"].isin(list(KEY_KPIS))]
        body = "<h2>Differences (scenario minus base)</h2>" + key.to_html(
            index=False, float_format=lambda x: f"{x:.4g}"
        )
    else:
        raise FileNotFoundError(f"{folder} holds no summary.csv or differences.csv: not a results folder")
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p class=question>{html.escape(question)}</p><p class=meta>{html.escape(meta)}</p>"
        f"{body}<h2>Figures</h2>{_figures(folder)}</body></html>"
    )


def write_report(folder: str | Path) -> Path:
    """Write ``report.html`` into *folder* (under a temporary name first) and return its path."""
    folder = Path(folder)
    target = folder / "report.html"
    tmp = folder / ".report.html.partial"
    tmp.write_text(build_report(folder), encoding="utf-8")
    os.replace(tmp, target)
    return target
