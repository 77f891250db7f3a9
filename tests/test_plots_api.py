"""Figures show the right data: axes extents, blank cells, labels, target lines, legends off the data.

Each figure is checked on what it draws (the artists' data), not only on rendering.
"""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import ROOT

import sim
from sim.presentation import plots


@pytest.fixture(scope="module")
def short_run(baseline):
    return sim.run(baseline.with_changes({"run.days": 6, "run.warmup_days": 1}), seed=1)


@pytest.fixture(scope="module")
def short(baseline):
    return baseline.with_changes({"run.days": 5, "run.warmup_days": 1})


@pytest.fixture(scope="module")
def exp(short):
    return sim.replicate(short, n=2, seed=0, jobs=1)


@pytest.fixture(scope="module")
def comp(short):
    alt = short.with_changes({"gates.tan_thanh.gate_control.lanes": 2}, name="fewer_lanes")
    return sim.compare([short, alt], n=2, seed=0, jobs=1)


@pytest.fixture(scope="module")
def sweep(short):
    return sim.sweep(short, {"gates.tan_thanh.gate_control.lanes": [2, 3]}, n=2, seed=0, jobs=1)


PER_GATE = {"queue_lengths", "hourly_profile", "queue_heatmap", "utilisation"}
FIGURES = [
    "queue_lengths",
    "daily_cleared",
    "time_in_system",
    "hourly_profile",
    "queue_heatmap",
    "utilisation",
]


def _data_axes(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_title()]


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _legend_off_the_data(fig) -> None:
    """Every legend lies outside its axes, so it hides no data."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = 0
    for ax in _data_axes(fig):
        legend = ax.get_legend()
        if legend is None:
            continue
        legends += 1
        box = legend.get_window_extent(renderer)
        assert box.x0 >= ax.get_window_extent(renderer).x1 - 1, ax.get_title()
    assert legends


def _xs(patch) -> tuple[float, float]:
    """A span's extent along x in data units."""
    box = patch.get_bbox()
    return box.x0, box.x1


def _ys(patch) -> tuple[float, float]:
    box = patch.get_bbox()
    return box.y0, box.y1


def _png(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.tell()


@pytest.mark.parametrize("name", FIGURES)
def test_figures_render_with_titles_labels_and_data(short_run, name: str) -> None:
    fn = getattr(plots, name)
    fig = fn(short_run, "huu_nghi") if name in PER_GATE else fn(short_run)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel()  # the colour scale says what it measures
            continue
        if not ax.get_title():
            continue  # a secondary axis
        assert ax.get_ylabel()
        assert ax.lines or ax.containers or ax.images  # data, not only shading
    assert "95%" not in fig.get_suptitle()  # one run promises no band
    assert _png(fig) > 10_000


def test_no_road_queue_leaves_the_road_panel_out_and_says_so(short_run) -> None:
    assert short_run.queues.query("place.str.startswith('road_')")["queue_mean"].max() == 0
    fig = plots.queue_lengths(short_run, "huu_nghi")
    titles = [ax.get_title() for ax in _data_axes(fig)]
    assert len(titles) == 2  # yard and stages, no empty road panel
    assert not any("road queue" in t for t in titles)
    assert plots.NO_ROAD_QUEUE in fig.get_suptitle()
    for ax in _data_axes(fig):
        assert max(line.get_ydata().max() for line in ax.lines) > 0  # no panel without data
    assert "one run, no band" in fig.get_suptitle()
    plt.close(fig)


def test_road_panel_draws_a_road_queue_when_there_is_one(baseline) -> None:
    tight = baseline.with_changes(
        {
            "run.days": 4,
            "run.warmup_days": 1,
            "gates.huu_nghi.park": None,
            "gates.huu_nghi.parking.export": {"places": 10, "overflow_places": 0},
        }
    )
    exp = sim.replicate(tight, n=2, seed=0, jobs=1)
    fig = plots.queue_lengths(exp, "huu_nghi")
    road = fig.axes[0]
    assert plots.NO_ROAD_QUEUE not in fig.get_suptitle()
    labels = [line.get_label() for line in road.lines]
    assert "road export" in labels
    peak = max(line.get_ydata().max() for line in road.lines if line.get_label() == "road export")
    assert peak > 1
    assert road.get_ylim()[1] >= peak  # scaled to the queue, not 0-0.05
    assert road.collections  # the 95% band of two replications
    assert "mean of 2 replications, 95% band" in fig.get_suptitle()
    plt.close(fig)


def test_daily_warmup_shades_whole_days_and_legend_is_off_the_bars(short_run) -> None:
    fig = plots.daily_cleared(short_run)
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_label() == "warm-up"]
    assert len(spans) == 1
    left, right = _xs(spans[0])
    # the bars: one collection a gate, a box a day (x from its left to its right edge)
    gates = {short_run.scenario.gates[g].label for g in short_run.scenario.gates}
    boxes = [
        (path.vertices[:, 0].min(), path.vertices[:, 0].max())
        for c in ax.collections
        if c.get_label() in gates
        for path in c.get_paths()
    ]
    assert boxes
    for a, b in boxes:
        assert b <= right or a >= right, "a bar is half in the warm-up shading"
        assert b <= right or a >= left
    covered = {round((a + b) / 2) for a, b in boxes if a < right}
    start = mdates.date2num(dt.datetime(2025, 9, 1))
    assert covered == {round(start)}  # exactly the one warm-up day
    labels = ax.get_legend_handles_labels()[1]
    assert "reported mean 1,650/day" in labels
    assert "reported peak 2,000/day" in labels
    assert [line.get_ydata()[0] for line in ax.lines[:2]] == [1650, 2000]
    _legend_off_the_data(fig)
    plt.close(fig)


def test_time_in_system_ticks_planners_read_and_the_threshold(short_run) -> None:
    fig = plots.time_in_system(short_run)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:6] == ["15 min", "1 h", "4 h", "8 h", "1 d", "3 d"]
    assert not any("10^" in t or "$" in t for t in labels)
    assert list(ax.get_xticks()[:6]) == [0.25, 1, 4, 8, 24, 72]
    threshold = [line for line in ax.lines if line.get_label().startswith("perishable threshold")]
    assert list(threshold[0].get_xdata()) == [8, 8]
    assert any("threshold 8 h" in t for t in _texts(ax))
    _legend_off_the_data(fig)
    plt.close(fig)


def test_hourly_profile_legends_hide_no_data(short_run) -> None:
    fig = plots.hourly_profile(short_run, "huu_nghi")
    assert fig.axes[0].get_xlim() == (0, 24)
    _legend_off_the_data(fig)
    plt.close(fig)


def test_heatmap_uses_dates_and_marks_warmup_and_events(baseline) -> None:
    slow = sim.load_scenario(
        baseline.source.replace("baseline.yaml", "chinese_slowdown.yaml"),
        {"run.start_date": "2025-10-01", "run.days": 14, "run.warmup_days": 2},
    )
    fig = plots.queue_heatmap(sim.run(slow, seed=0), "huu_nghi", "yard_export")
    ax = fig.axes[0]
    start = mdates.date2num(dt.datetime(2025, 10, 1))
    assert ax.get_xlim() == (start, start + 14)
    assert ax.get_ylim() == (0, 24)
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter)
    assert ax.images[0].get_array().shape == (24, 14)
    by_label = {p.get_label(): p for p in ax.patches}
    assert _xs(by_label["warm-up"]) == (start, start + 2)
    slowdown = by_label["capacity disruption: Chinese slowdown"]
    assert _xs(slowdown) == (start + 5, start + 10)  # 6 to 11 October
    assert slowdown.get_facecolor()[3] == 0  # a frame, the colours stay
    assert ax.get_xlabel() == "date"
    plt.close(fig)


def test_utilisation_shows_24_hours_with_closed_hours_blank(short_run) -> None:
    fig = plots.utilisation(short_run, "huu_nghi")
    ax = fig.axes[0]
    image = ax.images[0]
    data = image.get_array()
    assert data.shape[1] == 24
    assert image.get_extent()[:2] == [0, 24]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    gate = data[rows.index("gate control")]
    # Huu Nghi's Vietnamese stages work 07:00-23:00: blank before 7 and from 23.
    assert gate.mask[:7].all()
    assert gate.mask[23]
    assert not gate.mask[7:23].any()
    check = data[rows.index("Chinese checkpoint 1119-1120 dedicated cargo road")]
    # 08:00-21:00 China time for exports, to 23:00 for imports: 07:00-22:00 in Vietnam.
    assert check.mask[:7].all()
    assert check.mask[22:].all()
    assert not check.mask[7:22].any()
    assert "blank: closed" in ax.get_legend_handles_labels()[1]
    plt.close(fig)


def test_experiment_figures_render_with_a_band(exp) -> None:
    fig = plots.queue_lengths(exp, "tan_thanh")
    assert any(ax.collections for ax in fig.axes)  # the confidence band
    assert "mean of 2 replications, 95% band" in fig.get_suptitle()
    assert _png(fig) > 10_000
    fig = plots.daily_cleared(exp)
    assert any(c.get_label() == "95% interval" for c in fig.axes[0].containers)
    assert _png(fig) > 10_000
    for fig in (plots.time_in_system(exp), plots.queue_heatmap(exp, "huu_nghi", "road_export")):
        assert _png(fig) > 10_000


def test_comparison_axes_are_named_with_units_and_shares_in_points(comp) -> None:
    fig = plots.comparison(comp)
    titles = [ax.get_title() for ax in _data_axes(fig)]
    assert titles[0].startswith("Time in system (mean)")
    assert titles[1].startswith("Trucks cleared per day (mean)")
    assert titles[2].startswith("Perishable trucks over the threshold 8 h")
    xlabels = [ax.get_xlabel() for ax in _data_axes(fig)]
    assert xlabels[0] == "difference, scenario minus baseline (h)"
    assert xlabels[2] == "difference, scenario minus baseline (percentage points)"
    assert not any("_" in t for t in titles)
    share = _data_axes(fig)[2].lines[0].get_xdata()[0]
    raw = (
        comp.differences()
        .set_index(["scenario", "kpi"])
        .loc[("fewer_lanes", "perishable_over_threshold_share"), "diff_mean"]
    )
    assert share == pytest.approx(raw * 100)
    _legend_off_the_data(fig)
    plt.close(fig)


def test_comparison_queues_draw_every_scenario_over_time(comp) -> None:
    fig = plots.comparison_queues(comp, "tan_thanh")
    for ax in _data_axes(fig):
        labels = [line.get_label() for line in ax.lines]
        assert {"baseline", "fewer_lanes"} <= set(labels)
        series = next(line for line in ax.lines if line.get_label() == "fewer_lanes")
        start = mdates.date2num(dt.datetime(2025, 9, 1))
        assert series.get_xdata()[-1] == pytest.approx(start + 5 - 1 / 24)  # the whole run, hour by hour
    assert len(fig.axes[0].collections) >= 2  # a band per scenario
    _legend_off_the_data(fig)
    plt.close(fig)


def test_sweep_axes_name_the_lever_and_draw_the_reported_figure(sweep) -> None:
    fig = plots.sweep_curve(sweep, "cleared_per_day_mean")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "gate control lanes at Tan Thanh"
    assert ax.get_ylabel() == "Trucks cleared per day (mean) (trucks/day)"
    assert list(ax.get_xticks()) == [2, 3]
    ref = [line for line in ax.lines if line.get_label() == "reported 1,650 ±5%"]
    assert list(ref[0].get_ydata()) == [1650, 1650]
    plt.close(fig)
    fig = plots.sweep_curve(sweep, "perishable_over_threshold_share")
    ax = fig.axes[0]
    assert ax.get_ylabel().endswith("(%)")
    mean = sweep.table().query("kpi == 'perishable_over_threshold_share'")["mean"].to_numpy()
    assert np.allclose(ax.lines[0].get_ydata(), mean * 100)
    plt.close(fig)
    fig = plots.sweep_curve(sweep, "held_at_20h_export_mean")
    band = [p for p in fig.axes[0].patches if p.get_label().startswith("reported 350-500")]
    assert _ys(band[0]) == (350, 500)
    _legend_off_the_data(fig)
    plt.close(fig)


def test_public_api() -> None:
    assert set(sim.__all__) == {
        "Comparison",
        "Experiment",
        "Run",
        "Scenario",
        "ScenarioError",
        "Sweep",
        "__version__",
        "compare",
        "load_scenario",
        "optimise",
        "plots",
        "replicate",
        "run",
        "sweep",
        "validate_scenario",
        "write_experiment",
        "write_run",
        "MorrisScreen",
        "StepLog",
        "run_options",
        "morris_function",
        "morris_screen",
        "Ranges",
        "load_ranges",
        "Ensemble",
        "load_ensemble",
        "across_ensemble",
        "history_match_scenario",
        "Forecast",
        "forecast",
        "snapshot_state",
        "continue_snapshot",
        "read_state",
        "backtest",
    }
    for name in sim.__all__:
        assert hasattr(sim, name)


def test_importing_sim_and_a_scenario_leaves_the_heavy_libraries_unloaded() -> None:
    """The public names load on first use: a scenario check needs neither pandas, scipy.stats nor
    matplotlib (and this fails when sim/__init__ imports them eagerly again)."""
    import subprocess
    import sys

    code = (
        "import sys, sim, sim.world.scenario; "
        "print(sorted(m for m in ('pandas', 'scipy.stats', 'matplotlib.pyplot') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys, sim; sim.Run; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"  # the check above can fail: using a name loads its module


HEAVY = ("pandas", "scipy.stats", "matplotlib", "openpyxl", "pyarrow", "simpy")


def _heavy_after(argv: list[str]) -> list[str]:
    """The heavy libraries loaded by running ``bordersim ARGV`` in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import contextlib, io, sys\n"
        "from sim.presentation.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        rc = main({argv!r})\n"
        "    except SystemExit as done:  # --help ends this way\n"
        "        rc = done.code\n"
        f"print(rc, sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    rc, _, loaded = out.stdout.strip().splitlines()[-1].partition(" ")
    assert rc in ("0", "None"), f"bordersim {' '.join(argv)} failed: {out.stderr[-500:]}"
    return eval(loaded)  # a list of names printed by the child


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["schema"],
        ["kpis"],
        ["kpis", "scenarios/baseline.yaml"],
        ["check", "scenarios/baseline.yaml"],
    ],
)
def test_commands_that_describe_import_nothing_heavy(argv: list[str]) -> None:
    """check, kpis, schema and --help start at once: none of pandas, scipy.stats, matplotlib,
    openpyxl, pyarrow or SimPy is imported for them."""
    assert _heavy_after(argv) == []


def test_the_import_probe_sees_a_command_that_runs_the_model(tmp_path) -> None:
    """The probe above can fail: a command that simulates loads pandas and SimPy."""
    argv = ["run", "scenarios/baseline.yaml", "--set", "run.days=2", "--set", "run.warmup_days=0"]
    loaded = _heavy_after([*argv, "-n", "1", "-o", str(tmp_path / "out"), "--quiet"])
    assert {"pandas", "simpy"} <= set(loaded)


@pytest.mark.parametrize("days", [1, 2, 7, 14, 15, 30, 56, 90, 119, 120, 200, 365, 730, 1500])
def test_date_ticks_fit_any_run_length(days: int) -> None:
    """From 2 to MAX_DATE_TICKS date ticks inside the run, in order, for a day or four years; from four months
    on they fall on the first of a month."""
    from sim.presentation.plots import MAX_DATE_TICKS, date_tick_days

    start = dt.date(2025, 9, 14)
    ticks = date_tick_days(start, days)
    assert 2 <= len(ticks) <= MAX_DATE_TICKS, ticks
    assert ticks == sorted(set(ticks))
    assert ticks[0] >= 0
    assert ticks[-1] <= days
    if days // 14 + 1 > MAX_DATE_TICKS:
        assert all((start + dt.timedelta(days=d)).day == 1 for d in ticks)


def test_small_counts_refuse_what_a_byte_cannot_hold() -> None:
    """Per-truck counts kept as bytes read back as the same ints, and a value past 255 is refused
    rather than wrapped."""
    from sim.world.stages import small_ints

    values = np.array([0, 3, 255, 7])
    assert list(small_ints(values)) == [0, 3, 255, 7]
    assert small_ints(None) is None
    with pytest.raises(ValueError, match="0-255"):
        small_ints(np.array([256]))
    with pytest.raises(ValueError, match="0-255"):
        small_ints(np.array([-1]))


def test_the_user_guides_python_example_runs_its_figure_calls_from_import_sim_alone() -> None:
    """The guide's figures are called as ``sim.plots.<figure>`` after ``import sim`` alone: written as
    ``sim.presentation.plots`` they failed in a fresh interpreter (the subpackage is not loaded)."""
    import re
    import subprocess
    import sys

    from conftest import ROOT

    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    calls = set(re.findall(r"\bsim\.[a-z_.]+\.[a-z_]+(?=\()", guide))
    assert "sim.plots.queue_lengths" in calls
    code = "import sim\n" + "\n".join(f"assert callable({c.rsplit('(', 1)[0]})" for c in sorted(calls))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
