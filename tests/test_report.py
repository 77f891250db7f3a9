"""The HTML report: self-contained, complete, and rendered by a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest
from conftest import BASELINE, ROOT, bordersim

from sim import load_scenario
from sim.presentation.glossary import fragments
from sim.presentation.report import sweep_answer

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "run"
    done = bordersim(
        "run",
        str(ROOT / "scenarios" / "chinese_slowdown.yaml"),
        "-n",
        "2",
        "--jobs",
        "2",
        "--set",
        "run.days=40",
        "--report",
        "--plots",
        "all",  # every kind of figure, so the report is checked to embed each
        "-q",
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    return out / "report.html"


class _Text(HTMLParser):
    """The visible text nodes of a page (not style; pre and code are scenario text and keys)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.nodes: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in ("meta", "img", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        # Close *tag* and anything left open inside it (HTML allows unclosed <p>, <li>, <td>).
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if data.strip() and not {"style", "pre", "code"} & set(self.stack):
            self.nodes.append(data.strip())


def visible_text(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    return parser.nodes


NUMBERS = re.compile(r"[-+]?\d[\d.,:/-]*%?|\bn\b|CO2|bordersim|P95")


def uncovered(node: str, lang: str, names: list[str]) -> str:
    """What is left of a text node once glossary texts, scenario names and numbers are cut out."""
    for piece in sorted([*names, *fragments(lang)], key=len, reverse=True):
        node = node.replace(piece, " ")
    node = NUMBERS.sub(" ", node)
    return re.sub(r"[\s,;:.()\[\]=+±-]+", " ", node).strip()  # ± is no word in either language


def scenario_names(*files: Path, lang: str = "en") -> list[str]:
    """Names a scenario provides: its name, question, gate and route labels, events, classes."""
    names: list[str] = []
    for f in files:
        sc = load_scenario(f)
        names += [sc.name, sc.question, sc.question_vi, *sc.cargo_classes]
        # In Vietnamese an event goes by its name_vi where it has one: its English name is caught.
        names += [(ev.name_vi if lang == "vi" and ev.name_vi else ev.name) for ev in sc.events if ev.name]
        for gate in sc.gates.values():
            names += [gate.label, gate.label_vi, *(r.label for r in gate.routes.values() if r.label)]
            names += [r.label_vi for r in gate.routes.values() if r.label_vi]
    return [n for n in names if n]


def test_report_is_self_contained_and_complete(report: Path) -> None:
    text = report.read_text()
    assert "What if the Chinese side checks trucks at 30% of its usual rate for five days?" in text
    assert "Trucks cleared per day (mean) (trucks/day)" in text
    assert "Chinese checkpoint on route 1119-1120 dedicated cargo road" in text
    assert "China time" in text
    assert text.count("data:image/png;base64,") >= 8
    assert 'src="http' not in text
    assert "src='http" not in text


def test_report_opens_with_the_answer_about_the_event_then_the_whole_run(report: Path) -> None:
    text = report.read_text()
    nodes = visible_text(text)
    at = nodes.index("Answer:")
    # The answer leads with the episode (the five days of the Chinese slowdown) and its recovery.
    assert nodes[at + 1].startswith("During Chinese slowdown, 2025-10-06..2025-10-10 and its recovery to ")
    answer = pd.read_csv(report.parent / "answer.csv")
    assert set(answer["kind"]) == {"episode"}
    head = "The whole window, after the warm-up and with the episode: "
    whole = next(n for n in nodes[at:] if n.startswith(head))
    summary = pd.read_csv(report.parent / "summary.csv", index_col="kpi")["mean"]
    # The sentence carries this run's numbers, not canned ones.
    assert whole.startswith(head + "Over 2025-09-08 to 2025-10-10, the gates clear ")
    assert f"clear {summary['cleared_per_day_mean']:,.0f} trucks a day" in whole
    assert f"exports take {summary['procedure_h_mean_export']:.1f} h" in whole
    assert f"{summary['held_at_20h_export_mean']:,.0f} export trucks are still held at 20:00" in whole
    bottlenecks = pd.read_csv(report.parent / "bottlenecks.csv")
    assert f"{bottlenecks['utilisation'].max():.1%} busy" in whole
    # Normal-day references do not apply to a window with an event: none is shown or judged.
    assert "reported" not in whole
    assert text.index("Answer:") < text.index("Key figures against the reported figures")
    key = nodes[nodes.index("Key figures against the reported figures") :]
    assert "The reported figures are for normal days: they are not set against a window with an event." in key
    for word in ("within", "overlaps"):
        assert word not in key
    share = summary["perishable_over_threshold_share"]
    assert any(n.startswith(f"{share:.1%} [") for n in key)  # shares in %
    assert "n = 2 replications; intervals are 95% Student t intervals over replications." in nodes
    assert "The bottleneck" in nodes
    assert any(n.startswith("Huu Nghi export") and "binding stage is the " in n for n in nodes)
    assert "Cost of waiting per day (VND/day)" in nodes  # the run's KPIs carry the cost of waiting
    assert "No waiting-cost figures in these results." not in nodes


def test_without_an_event_the_key_figures_are_judged_on_their_intervals(report: Path, tmp_path: Path) -> None:
    import yaml

    from sim.presentation.report import build_report

    folder = tmp_path / "no_event"
    shutil.copytree(report.parent, folder)
    text = (folder / "scenario.yaml").read_text()
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("# "))
    data = yaml.safe_load(text)
    data["events"] = []
    (folder / "scenario.yaml").write_text(header + yaml.safe_dump(data, sort_keys=False))
    nodes = visible_text(build_report(folder))
    key = nodes[nodes.index("Key figures against the reported figures") :]
    summary = pd.read_csv(folder / "summary.csv", index_col="kpi")
    for label, kpi, reported in (
        ("Trucks cleared per day (mean) (trucks/day)", "cleared_per_day_mean", "1,650 ±5%"),
        ("Trucks cleared per day (95th percentile) (trucks/day)", "cleared_per_day_p95", "> 2,000"),
        (
            "Clearance time (yard entry to clearance) (mean, export) (h)",
            "procedure_h_mean_export",
            "3-4 h (2025)",
        ),
        (
            "Trucks not yet cleared at 20:00 (mean, export) (trucks)",
            "held_at_20h_export_mean",
            "350-500 (2024-2026)",
        ),
    ):
        at = key.index(label)
        assert key[at + 2] == reported, label
        low, high = summary.loc[kpi, ["ci_low", "ci_high"]]
        band = {"1,650 ±5%": (1567.5, 1732.5), "> 2,000": (2000, float("inf")), "3-4 h (2025)": (3, 4)}.get(
            reported, (350, 500)
        )
        expected = (
            "above"
            if low > band[1]
            else "below"
            if high < band[0]
            else "within"
            if band[0] <= low and high <= band[1]
            else "overlaps"
        )
        assert key[at + 3] == expected, label


def test_report_shows_the_cost_of_waiting_when_the_kpis_carry_it(report: Path, tmp_path: Path) -> None:
    from sim.presentation.report import build_report

    folder = tmp_path / "with_costs"
    shutil.copytree(report.parent, folder)
    summary = pd.read_csv(folder / "summary.csv", index_col="kpi")
    summary.loc["waiting_cost_vnd_per_day", ["mean", "ci_low", "ci_high"]] = [1.234e9, 1.1e9, 1.4e9]
    summary.to_csv(folder / "summary.csv")
    nodes = visible_text(build_report(folder))
    at = nodes.index("Cost of waiting per day (VND/day)")
    assert nodes[at + 1] == "1,234,000,000 [1,100,000,000, 1,400,000,000]"
    assert "Value of goods at risk per day (VND/day)" in nodes
    assert "No waiting-cost figures in these results." not in nodes
    vi = visible_text(build_report(folder, "vi"))
    cost = vi[vi.index("Chi phí chờ mỗi ngày (đồng/ngày)") + 1]
    assert cost == "1.234.000.000 [1.100.000.000, 1.400.000.000]"
    # Results without cost KPIs (an older folder) say so instead of showing nothing.
    money = ("waiting_cost", "goods_at_risk", "tonnes_cleared", "idle_co2")
    costs = [k for k in summary.index if k.startswith(money)]
    summary.drop(index=costs).to_csv(folder / "summary.csv")
    assert "No waiting-cost figures in these results." in visible_text(build_report(folder))


@pytest.fixture(scope="module")
def report_vi(report: Path) -> Path:
    done = bordersim("report", str(report.parent), "--lang", "vi")
    assert done.returncode == 0, done.stderr
    return report.parent / "report.vi.html"


def test_vietnamese_report_draws_every_string_from_the_glossary(report_vi: Path) -> None:
    names = scenario_names(ROOT / "scenarios" / "chinese_slowdown.yaml", lang="vi")
    nodes = visible_text(report_vi.read_text())
    assert "Trả lời:" in nodes
    assert "Chỉ tiêu chính so với số liệu báo cáo" in nodes
    assert "Điểm nghẽn" in nodes
    left = {node: uncovered(node, "vi", names) for node in nodes}
    assert {node: rest for node, rest in left.items() if rest} == {}
    # The check can fail: an English phrase in a Vietnamese page is caught.
    assert uncovered("Trucks cleared per day", "vi", names)
    assert uncovered("bận 75% busy", "vi", names) == "busy"
    # Names in Vietnamese, with diacritics, and no banned rendering (a "seed" is not a plant seed).
    page = " ".join(nodes)
    for banned in BANNED_VI:
        assert banned not in page, banned
    assert "Hữu Nghị" in page
    assert "Điều gì xảy ra nếu phía Trung Quốc" in page  # the scenario's question_vi
    assert "phía Trung Quốc kiểm tra chậm" in page  # the event's name_vi, in the answer's heading
    assert "Chinese slowdown" not in page
    start = load_scenario(ROOT / "scenarios" / "chinese_slowdown.yaml").run.start_date
    assert f"40 ngày từ {start:%d/%m/%Y} (" in page  # the run's first day as the reader writes it


BANNED_VI = (
    "hạt giống",
    "Huu Nghi",
    "Tan Thanh",
    "Coc Nam",
    "dedicated cargo road",
    "main gate",
    "từ khi đến đến khi rời",
)
"""Renderings a Vietnamese reader must not meet: English names and word-for-word translations."""


def test_english_report_draws_every_string_from_the_glossary(report: Path) -> None:
    names = scenario_names(ROOT / "scenarios" / "chinese_slowdown.yaml")
    nodes = visible_text(report.read_text())
    assert {node: rest for node in nodes if (rest := uncovered(node, "en", names))} == {}


def test_report_command_on_a_comparison(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    alt = ROOT / "scenarios" / "more_lanes_huu_nghi.yaml"
    done = bordersim(
        "compare",
        str(BASELINE),
        str(alt),
        "-n",
        "2",
        "--jobs",
        "1",
        "--set",
        "run.days=8",
        "--set",
        "run.warmup_days=1",
        "-o",
        str(out),
        "-q",
    )
    assert done.returncode == 0, done.stderr
    done = bordersim("report", str(out))
    assert done.returncode == 0, done.stderr
    text = (out / "report.html").read_text()
    assert "Comparison: baseline, more_lanes_huu_nghi" in text
    assert "time_in_system_h_mean" in text
    nodes = visible_text(text)
    alt_question = load_scenario(alt).question
    assert alt_question in nodes  # each alternative's question, not only the base's
    assert load_scenario(BASELINE).question in nodes
    answer = nodes[nodes.index("Answer:") + 1]
    assert answer.startswith("Against baseline, more_lanes_huu_nghi changes the mean time in system by ")
    assert "n = 2 replications; paired differences on common random numbers" in " ".join(nodes)
    stems = {p.stem for p in (out / "plots").glob("*.png")}
    assert {"comparison", "comparison_queues_huu_nghi", "comparison_queues_tan_thanh"} <= stems
    assert text.count("data:image/png;base64,") == len(stems)
    bn = pd.read_csv(out / "bottlenecks.csv")
    assert set(bn["scenario"]) == {"baseline", "more_lanes_huu_nghi"}
    # The workbook's differences say what each row is and its unit.
    sheet = pd.read_excel(out / "results.xlsx", sheet_name="differences")
    row = sheet[sheet["kpi"] == "cleared_per_day_mean"].iloc[0]
    assert row["label"] == "Trucks cleared per day (mean) (trucks/day)"
    assert row["unit"] == "trucks/day"
    share = sheet[sheet["kpi"] == "perishable_over_threshold_share"].iloc[0]
    assert share["unit"].startswith("fraction (x 100 = percentage points)")
    vi = bordersim("report", str(out), "--lang", "vi")
    assert vi.returncode == 0, vi.stderr
    names = scenario_names(BASELINE, alt)
    nodes = visible_text((out / "report.vi.html").read_text())
    assert {node: rest for node in nodes if (rest := uncovered(node, "vi", names))} == {}
    bad = bordersim("report", str(tmp_path))
    assert bad.returncode == 2
    assert "not a results folder" in bad.stderr


def test_sweep_folders_get_a_report(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    done = bordersim(
        "sweep",
        str(BASELINE),
        "--vary",
        "gates.huu_nghi.customs_docs.lanes=4,8",
        "-n",
        "2",
        "--jobs",
        "1",
        "--set",
        "run.days=8",
        "--set",
        "run.warmup_days=1",
        "--no-plots",
        "-o",
        str(out),
        "-q",
    )
    assert done.returncode == 0, done.stderr
    assert not (out / "report.html").exists()
    done = bordersim("report", str(out))
    assert done.returncode == 0, done.stderr
    nodes = visible_text((out / "report.html").read_text())
    assert "Sweep: baseline" in nodes
    sheet = pd.read_excel(out / "results.xlsx", sheet_name="sweep")
    row = sheet[sheet["kpi"] == "cleared_per_day_mean"].iloc[0]
    assert (row["kpi_label"], row["unit"]) == ("Trucks cleared per day (mean) (trucks/day)", "trucks/day")
    assert "customs_docs.lanes=4" in nodes
    assert "customs_docs.lanes=8" in nodes
    answer = nodes[nodes.index("Answer:") + 1]
    assert answer.startswith("customs document check lanes at Huu Nghi 4 to 8: Time in system (mean) goes")
    assert "the binding stage is the " in answer
    assert "n = 2 replications; intervals are 95% Student t intervals over replications." in nodes
    bn = pd.read_csv(out / "bottlenecks.csv")
    # a lever at Huu Nghi: the binding stage said is Huu Nghi's busiest at the last point
    last = bn[(bn["label"] == "customs_docs.lanes=8") & (bn["gate"] == "huu_nghi")]
    top = last.sort_values("utilisation", ascending=False).iloc[0]
    assert f"at Huu Nghi, {top['utilisation']:.1%} busy" in answer
    assert sorted(set(bn["label"])) == ["customs_docs.lanes=4", "customs_docs.lanes=8"]


def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("REQUIRE_CHROMIUM"):
            pytest.fail("REQUIRE_CHROMIUM is set but no chromium is installed")
        pytest.skip("chromium is not installed (.ci/run installs it)")
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1200,2400",
                f"--screenshot={shot}",
                report.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        dom = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", report.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert "Key figures" in dom.stdout
    assert dom.stdout.count("<img") >= 8
    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 2000
    assert pixels[..., :3].std() > 0.05  # text and figures, not a blank page


def test_a_sweep_of_a_lever_at_one_gate_names_what_binds_at_that_gate() -> None:
    """Two lanes more at Tan Thanh: the sentence's binding stage is Tan Thanh's busiest, not the
    province's busiest (Huu Nghi's Chinese checkpoint), which the lever cannot touch."""
    key = "gates.tan_thanh.gate_control.lanes"
    table = pd.DataFrame(
        {
            "point": [0, 1],
            "label": ["lanes=3", "lanes=5"],
            key: [3, 5],
            "kpi": ["time_in_system_h_mean"] * 2,
            "mean": [5.0, 4.0],
            "ci_low": [4.5, 3.5],
            "ci_high": [5.5, 4.5],
            "n": [4, 4],
        }
    )
    bottlenecks = pd.DataFrame(
        {
            "point": [1, 1],
            "gate": ["huu_nghi", "tan_thanh"],
            "stage": ["china_check:r1116_1117", "customs_docs"],
            "utilisation": [0.735, 0.626],
        }
    )
    said = sweep_answer(table, bottlenecks, load_scenario(BASELINE), "time_in_system_h_mean", "en")
    assert "the binding stage is the customs document check at Tan Thanh, 62.6% busy" in said
    other = table.rename(columns={key: "platform.officers"})  # a lever of no gate: the busiest
    said = sweep_answer(other, bottlenecks, load_scenario(BASELINE), "time_in_system_h_mean", "en")
    assert "at Huu Nghi, 73.5% busy" in said
