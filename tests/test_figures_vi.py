"""Vietnamese figures: with ``lang="vi"`` every text of every figure (titles, axis labels, tick
labels, legends, annotations) comes from the glossary's Vietnamese side, the scenario's own
names, numbers or dates written day/month/year; no English text, no English month and no banned
rendering is left. The same check run on the English figures finds English, so it can fail.
"""

from __future__ import annotations

import datetime as dt
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import matplotlib.text
import pytest
from conftest import BASELINE, ROOT, textbook
from matplotlib.figure import Figure
from test_report import BANNED_VI, scenario_names, uncovered

import sim
from sim.presentation import output, plots
from sim.presentation.optimise_output import cost_figure

START = dt.date(2025, 10, 1)
DAYS = 20
WARMUP_DAYS = 3
SETTINGS = {"run.start_date": str(START), "run.days": DAYS, "run.warmup_days": WARMUP_DAYS}
HARVEST = ROOT / "scenarios" / "fruit_harvest_peak.yaml"
MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
"""English month abbreviations, which a Vietnamese date must not hold."""

NAMES = {lang: scenario_names(HARVEST, BASELINE, lang=lang) for lang in ("en", "vi")}
"""What the scenarios name themselves in each language (names, questions, gate and route labels,
events by their Vietnamese names where they have one: an English event name in a Vietnamese
figure is caught)."""


@pytest.fixture(scope="module")
def harvest() -> sim.Scenario:
    return sim.load_scenario(HARVEST, SETTINGS)


@pytest.fixture(scope="module")
def harvest_exp(harvest):
    return sim.replicate(harvest, n=2, seed=0, jobs=1, keep_runs=1)


@pytest.fixture(scope="module")
def harvest_comp(harvest):
    quiet = sim.load_scenario(BASELINE, SETTINGS)
    return sim.compare([quiet, harvest], n=2, seed=0, jobs=1)


@pytest.fixture(scope="module")
def lanes_sweep():
    short = sim.load_scenario(BASELINE, SETTINGS)
    return sim.sweep(short, {"gates.tan_thanh.gate_control.lanes": [2, 3]}, n=2, seed=0, jobs=1)


def figure_texts(fig: Figure) -> list[str]:
    """Every visible, non-empty text of *fig* once drawn (so that tick labels are set)."""
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible()]
    # Matplotlib's minus sign is a minus; lines wrapped at spaces are read as one text.
    return [t.replace("\u2212", "-").replace("\n", " ") for t in texts if t.strip()]


def leftovers(fig: Figure, lang: str = "vi") -> dict[str, str]:
    """Texts of *fig* with something left once glossary texts, scenario names and numbers are cut
    out, with what is left; plus every text holding a banned rendering or an English month."""
    found = {}
    for text in figure_texts(fig):
        rest = uncovered(text, lang, NAMES[lang])
        if lang == "vi":
            banned = [b for b in BANNED_VI if b in text] + MONTHS.findall(text)
            rest = " ".join([rest, *banned]).strip()
        if rest:
            found[text] = rest
    return found


def _all_vietnamese(figs: dict[str, Figure]) -> None:
    for stem, fig in figs.items():
        assert leftovers(fig) == {}, stem
        plt.close(fig)


def test_run_figures_are_vietnamese(harvest_exp) -> None:
    figs = plots.run_figures(harvest_exp, lang="vi")
    assert {"daily_cleared", "time_in_system", "queues_huu_nghi", "hourly_huu_nghi"} <= set(figs)
    queues = figs["queues_huu_nghi"]
    texts = " ".join(figure_texts(queues))
    assert "Hữu Nghị" in texts
    assert "giai đoạn khởi động" in texts  # the warm-up
    # The event's kind, then its Vietnamese name (name_vi), never its English one.
    assert "biến động lượng xe đến: cao điểm thu hoạch thanh long" in texts
    assert "dragon-fruit peak" not in texts
    # Dates day/month/year, inside the run.
    ax = queues.axes[-1]
    dates = [dt.datetime.strptime(t.get_text(), plots.DATE_FORMAT_VI).date() for t in ax.get_xticklabels()]
    assert dates
    assert all(START <= d <= START + dt.timedelta(days=DAYS) for d in dates)
    assert "1 ngày" in figure_texts(figs["time_in_system"])  # time ticks in Vietnamese units
    _all_vietnamese(figs)


def test_comparison_and_sweep_figures_are_vietnamese(harvest_comp, lanes_sweep) -> None:
    figs = {"comparison": plots.comparison(harvest_comp, lang="vi")}
    figs |= {f"queues_{g}": plots.comparison_queues(harvest_comp, g, "vi") for g in ("huu_nghi", "chi_ma")}
    kpis = ("time_in_system_h_mean", "cleared_per_day_mean", "perishable_over_threshold_share")
    figs |= {f"sweep_{k}": plots.sweep_curve(lanes_sweep, k, lang="vi") for k in kpis}
    assert "So sánh theo cặp với" in figs["comparison"].get_suptitle()
    assert "báo cáo" in " ".join(figure_texts(figs["sweep_cleared_per_day_mean"]))  # the reported figure
    _all_vietnamese(figs)


def test_the_check_finds_english_in_a_figure(harvest_exp, harvest_comp) -> None:
    # English figures are full of English: the same check run on them finds it.
    english = plots.queue_lengths(harvest_exp, "huu_nghi")
    assert "date" in leftovers(english).values()
    plt.close(english)
    # One English phrase or an English date planted in a Vietnamese figure is caught.
    fig = plots.comparison_queues(harvest_comp, "huu_nghi", "vi")
    assert leftovers(fig) == {}
    fig.axes[0].annotate("trucks waiting", (0.5, 0.5), xycoords="axes fraction")
    fig.text(0.1, 0.1, "06 Oct 2025")
    fig.axes[1].set_title("Huu Nghi: xuất khẩu")
    assert leftovers(fig) == {
        "trucks waiting": "trucks waiting",
        "06 Oct 2025": "Oct Oct",
        "Huu Nghi: xuất khẩu": "Huu Nghi",  # a name of the scenario, but banned in Vietnamese
    }
    plt.close(fig)


def test_the_english_figures_keep_their_english(harvest_exp) -> None:
    fig = plots.daily_cleared(harvest_exp)
    texts = figure_texts(fig)
    assert "trucks cleared per day" in texts
    assert "date" in texts
    assert any(MONTHS.search(t) for t in texts)  # 06 Oct 2025
    # In English only the month names of the dates are left: all else is the glossary's English.
    assert {text: rest for text, rest in leftovers(fig, "en").items() if not MONTHS.fullmatch(rest)} == {}
    plt.close(fig)


def test_every_writer_passes_its_language_to_the_figures(
    harvest_exp, harvest_comp, lanes_sweep, tmp_path, monkeypatch
) -> None:
    asked: list[tuple[str, str]] = []

    def recorder(name: str):
        def draw(*args, lang: str = "en", **kw) -> dict[str, Figure]:
            asked.append((name, args[-1] if args and args[-1] in ("en", "vi") else lang))
            return {} if name == "run_figures" else plt.figure()

        return draw

    for name in ("run_figures", "comparison", "comparison_queues", "sweep_curve"):
        monkeypatch.setattr(output, name, recorder(name))
    output.write_experiment(harvest_exp, tmp_path / "exp", lang="vi")
    output.write_run(harvest_exp.runs[0], tmp_path / "run", lang="vi")
    output.write_comparison(harvest_comp, tmp_path / "cmp", lang="vi")
    output.write_sweep(lanes_sweep, tmp_path / "sweep", ["cleared_per_day_mean"], lang="vi")
    output.write_experiment(harvest_exp, tmp_path / "exp_en")
    figures = ["comparison", *["comparison_queues"] * len(harvest_comp.experiments[0].scenario.gates)]
    called = ["run_figures", "run_figures", *figures, "sweep_curve", "run_figures"]
    assert [name for name, _ in asked] == called
    assert [lang for _, lang in asked] == ["vi"] * (len(called) - 1) + ["en"]


def test_number_ticks_use_the_decimal_comma_in_vietnamese(harvest_comp) -> None:
    ticks = {}
    for lang in ("vi", "en"):
        fig = plots.comparison(harvest_comp, lang=lang)
        ax = fig.axes[0]
        ax.set_xticks([0, 0.5, 1, 1.5])  # ticks at halves, labelled by the figure's own formatter
        fig.canvas.draw()
        ticks[lang] = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        plt.close(fig)
    assert "0,5" in ticks["vi"]
    assert not any("." in t for t in ticks["vi"])
    assert "0.5" in ticks["en"]  # English keeps its point: the check tells the two apart


@pytest.fixture(scope="module")
def small_optimisation():
    """An optimisation over two lanes levers of the one-gate textbook scenario, quick to run."""
    return sim.optimise(
        textbook({"run.days": 3}),
        ["backlog_end_share_of_day <= 0.5"],
        {"gates.g.customs_docs.lanes": [1, 2], "gates.g.inspection.lanes": [1, 2]},
        n0=2,
        max_n=2,
        jobs=1,
        robustness=False,
    )


def test_optimise_figure_is_vietnamese(small_optimisation) -> None:
    sc = small_optimisation.base
    names = [sc.name, *(g.label for g in sc.gates.values())]
    kpi = "backlog_end_share_of_day"
    fig = cost_figure(small_optimisation, kpi, "vi")
    texts = figure_texts(fig)
    assert fig.axes[0].get_xlabel().startswith("Xe tồn cuối kỳ, tính theo ngày thông quan (ngày)")
    # The target's operator (<=) is the user's own notation, as they wrote it.
    left = {t: uncovered(re.sub(r"[<>]=?", " ", t), "vi", names) for t in texts}
    assert {t: rest for t, rest in left.items() if rest} == {}
    plt.close(fig)
    english = cost_figure(small_optimisation, kpi)
    assert {t for t in figure_texts(english) if uncovered(re.sub(r"[<>]=?", " ", t), "vi", names)}  # can fail
    plt.close(english)


def test_an_events_vietnamese_name_labels_its_shading_in_a_vietnamese_figure() -> None:
    """An event with a name and a name_vi: the Vietnamese figure's legend says name_vi, never the
    English name (the Tet scenario's legends said 'Tet (China off)' in Vietnamese figures)."""
    sc = textbook(
        {
            "run.days": 10,
            "events": [
                {
                    "kind": "closure",
                    "start": "2025-01-09",
                    "end": "2025-01-10",
                    "gates": ["g"],
                    "name": "closed for works",
                    "name_vi": "đóng cửa sửa chữa",
                }
            ],
        }
    )
    exp = sim.replicate(sc, n=2, seed=0, jobs=1)
    for fig in (plots.queue_lengths(exp, "g", "vi"), plots.daily_cleared(exp, "vi")):
        labels = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert any("đóng cửa sửa chữa" in label for label in labels), labels
        assert not any("closed for works" in label for label in labels), labels
        plt.close(fig)


def _texts_outside_the_canvas(fig: Figure) -> list[str]:
    """Titles, axis labels (colour bars' included) and legend texts that reach past the figure's
    edges once drawn: what a saved PNG would cut off."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        if ax.get_legend() is not None:
            texts += list(ax.get_legend().get_texts())
    out = []
    for t in texts:
        if t.get_visible() and t.get_text().strip():
            box = t.get_window_extent(renderer)
            inside_x = box.x0 >= -0.5 and box.x1 <= fig.bbox.width + 0.5
            inside_y = box.y0 >= -0.5 and box.y1 <= fig.bbox.height + 0.5
            if not (inside_x and inside_y):
                out.append(t.get_text()[:60])
    return out


def test_no_text_of_any_figure_is_cut_off_in_either_language() -> None:
    """Every figure a run can draw, in English and Vietnamese: no title, axis or colour-bar label or
    legend text reaches past the figure's edges (the Vietnamese hourly title and utilisation
    colour-bar label did)."""
    short = sim.load_scenario(BASELINE, {"run.days": 6, "run.warmup_days": 1})
    exp = sim.replicate(short, n=2, seed=0, jobs=1)
    for lang in ("en", "vi"):
        for stem, fig in plots.run_figures(exp, lang).items():
            assert _texts_outside_the_canvas(fig) == [], (lang, stem)
            plt.close(fig)
