"""Every figure a user opens after ``bordersim run`` and ``bordersim compare``, checked on its data:
dates on every time axis within the run, y from 0, no panel without data, no two series of an
axes in one colour and no series in the shading's greys, every event and the warm-up shaded
over their dates, legends clear of every axes and of the km axis, time in system over every
replication, shares in % or percentage points as their axes say.
"""

from __future__ import annotations

import datetime as dt
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, textbook
from matplotlib.patches import Patch

import sim
from sim.experiments.histograms import TIS_BIN_EDGES_H, sum_histograms, time_in_system_histogram
from sim.experiments.results import stage_places
from sim.presentation import plots
from sim.presentation.optimise_output import cost_figure

START = dt.date(2025, 10, 1)
DAYS = 30
WARMUP_DAYS = 3
PEAK = (dt.date(2025, 10, 6), dt.date(2025, 10, 26))  # fruit_harvest_peak's event, both days included


def _num(day: dt.date) -> float:
    return float(mdates.date2num(dt.datetime.combine(day, dt.time())))


@pytest.fixture(scope="module")
def harvest(baseline):
    """The harvest peak over a month that holds its whole event."""
    path = baseline.source.replace("baseline.yaml", "fruit_harvest_peak.yaml")
    return sim.load_scenario(
        path, {"run.start_date": str(START), "run.days": DAYS, "run.warmup_days": WARMUP_DAYS}
    )


@pytest.fixture(scope="module")
def harvest_exp(harvest):
    return sim.replicate(harvest, n=2, seed=0, jobs=1, keep_runs=2)


@pytest.fixture(scope="module")
def harvest_comp(harvest, baseline):
    quiet = baseline.with_changes(
        {"run.start_date": str(START), "run.days": DAYS, "run.warmup_days": WARMUP_DAYS}
    )
    return sim.compare([quiet, harvest], n=2, seed=0, jobs=1)


def _data_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_title() and ax.get_visible()]


def _overlap_px(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0) * max(h, 0)


def _legends_clear(fig) -> int:
    """Every legend overlaps no axes' data area (colour bars included) and no secondary axis'
    ticks and labels; returns how many legends were checked."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert _overlap_px(box, ax.get_window_extent(renderer)) == 0, ax.get_title()
            for child in ax.child_axes:
                assert _overlap_px(box, child.get_tightbbox(renderer)) == 0, f"{ax.get_title()}: right axis"
    return len(legends)


def _series(ax) -> list:
    """Lines that are data series (not reference lines of two points, not invisible legend rows)."""
    return [
        line
        for line in ax.lines
        if len(line.get_xdata()) > 2 and not line.get_label().startswith("_") and line.get_color() != "none"
    ]


def _is_grey(colour) -> bool:
    r, g, b, a = mcolors.to_rgba(colour)
    return a == 0 or (r == g == b)


def _dates_on_axis(fig, ax) -> list[dt.date]:
    """The visible x tick labels of *ax* (or of the axes it shares x with), read as dates."""
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    assert labels, ax.get_title()
    return [dt.datetime.strptime(text, plots.DATE_FORMAT).date() for text in labels]


def _spans(ax, label: str) -> list[tuple[float, float]]:
    return [(p.get_bbox().x0, p.get_bbox().x1) for p in ax.patches if p.get_label() == label]


def test_queue_figure_dates_extents_shading_and_colours(harvest_exp) -> None:
    fig = plots.queue_lengths(harvest_exp, "huu_nghi")
    axes = _data_axes(fig)
    assert axes
    bottom = axes[-1]
    dates = _dates_on_axis(fig, bottom)
    assert all(START <= d <= START + dt.timedelta(days=DAYS) for d in dates)
    assert fig.axes[0].xaxis.get_offset_text().get_text() == ""  # no stray text under the axis
    for ax in axes:
        assert ax.get_xlim() == (_num(START), _num(START) + DAYS)
        assert ax.get_ylim()[0] == 0
        series = _series(ax)
        assert series
        assert max(line.get_ydata().max() for line in series) > 0  # no blank panel
        colours = [mcolors.to_hex(line.get_color()) for line in series]
        assert len(set(colours)) == len(colours), ax.get_title()
        assert not any(_is_grey(c) for c in colours)  # greys are the shading's
        assert _spans(ax, "demand event: dragon-fruit peak") == [(_num(PEAK[0]), _num(PEAK[1]) + 1)]
        assert _spans(ax, "warm-up") == [(_num(START), _num(START) + WARMUP_DAYS)]
        for patch in ax.patches:
            assert _is_grey(patch.get_facecolor())
            assert _is_grey(patch.get_edgecolor())
    assert _legends_clear(fig) == len(axes)
    plt.close(fig)


def test_overview_draws_every_gates_road_yard_and_park_as_the_queue_table_has_them(harvest_exp) -> None:
    """A panel a gate in the scenario's order; each line is the queue table's series of its place
    (hourly means over the replications) on the run's dates; a place keeps its colour at every gate
    and no two places share one; the peak and the warm-up shaded at every gate."""
    sc = harvest_exp.scenario
    fig = plots.queues_overview(harvest_exp)
    axes = _data_axes(fig)
    assert [ax.get_title() for ax in axes] == [plots.gate_name(sc, g) for g in sc.gates]
    table = harvest_exp.queue_summary()
    colour_of: dict[str, str] = {}
    for ax, gate in zip(axes, sc.gates, strict=True):
        q = table[table["gate"] == gate]
        expected = {
            plots.figure_place(sc, gate, place): q[q["place"] == place]
            for place in plots.OVERVIEW_PLACES
            if (q["place"] == place).any() and q.loc[q["place"] == place, "queue_mean"].max() > 0
        }
        series = {line.get_label(): line for line in _series(ax)}
        assert set(series) == set(expected), gate
        for label, line in series.items():
            s = expected[label]
            assert np.allclose(line.get_xdata(), _num(START) + s["time_h"].to_numpy() / 24)
            assert np.array_equal(line.get_ydata(), s["queue_mean"].to_numpy())
            colour = mcolors.to_hex(line.get_color())
            assert colour_of.setdefault(label, colour) == colour, (gate, label)
            assert not _is_grey(colour)
        assert len({mcolors.to_hex(line.get_color()) for line in series.values()}) == len(series)
        assert ax.get_xlim() == (_num(START), _num(START) + DAYS)
        assert ax.get_ylim()[0] == 0
        assert _spans(ax, "demand event: dragon-fruit peak") == [(_num(PEAK[0]), _num(PEAK[1]) + 1)]
        assert _spans(ax, "warm-up") == [(_num(START), _num(START) + WARMUP_DAYS)]
    assert "yard export" in colour_of
    assert _legends_clear(fig) == len(axes)
    plt.close(fig)


def test_overview_says_which_gate_had_nothing_waiting(harvest) -> None:
    """A gate no truck comes to keeps its panel, with no line, no legend and a title that says
    why (naming a park only where the gate has one)."""
    quiet = harvest.with_changes(
        {
            "run.days": 6,
            "run.warmup_days": 1,
            **{
                f"gates.coc_nam.demand_trucks_per_day.{d}.{c}": 0
                for d, by_cargo in harvest.gates["coc_nam"].demand_trucks_per_day.items()
                for c in by_cargo
            },
        }
    )
    fig = plots.queues_overview(sim.run(quiet, seed=0))
    axes = _data_axes(fig)
    assert len(axes) == len(quiet.gates)
    empty = axes[list(quiet.gates).index("coc_nam")]
    assert empty.get_title() == "Coc Nam: no truck on the road or in the yard"  # Coc Nam has no park
    assert _series(empty) == []
    assert all(_series(ax) for ax in axes if ax is not empty)
    plt.close(fig)


def test_every_event_is_shaded_over_its_dates(baseline) -> None:
    """Tet: a closure and a capacity cut (times) and three demand events (whole days)."""
    tet = sim.load_scenario(
        baseline.source.replace("baseline.yaml", "tet_closure.yaml"),
        {"run.start_date": "2026-02-10", "run.days": 21, "run.warmup_days": 2},
    )
    day = dt.date(2026, 2, 10)
    expected = {
        "closure: Tet (China off)": (dt.date(2026, 2, 15), dt.date(2026, 2, 19)),
        "capacity disruption: pre-registered goods only": (dt.date(2026, 2, 19), dt.date(2026, 2, 23)),
        "demand event: Tet lull": (dt.date(2026, 2, 15), dt.date(2026, 2, 19)),
        "demand event: pre-registered goods only": (dt.date(2026, 2, 19), dt.date(2026, 2, 23)),
        "demand event: restart surge": (dt.date(2026, 2, 23), dt.date(2026, 3, 1)),
    }
    assert len(tet.events) == len(expected)
    fig = plots.queue_lengths(sim.run(tet, seed=0), "huu_nghi")
    for ax in _data_axes(fig):
        for label, (first, end) in expected.items():
            assert _spans(ax, label) == [(_num(first), _num(end))], label
        assert _spans(ax, "warm-up") == [(_num(day), _num(day) + 2)]
        labels = ax.get_legend_handles_labels()[1]
        assert set(expected) <= set(labels)
        assert ax.get_xlim() == (_num(day), _num(day) + 21)
    assert _legends_clear(fig) == len(_data_axes(fig))
    plt.close(fig)


def test_stage_panel_draws_at_most_five_stages_with_a_queue_and_says_what_it_left_out(harvest_exp) -> None:
    sc = harvest_exp.scenario
    q = harvest_exp.queue_summary().query("gate == 'huu_nghi'")
    peaks = q.groupby("place")["queue_mean"].max()
    queued = [s for s in stage_places(sc, "huu_nghi") if peaks.get(s, 0) > 0]
    assert len(queued) > plots.MAX_STAGE_LINES  # the case the panel must trim
    fig = plots.queue_lengths(harvest_exp, "huu_nghi")
    stages = next(ax for ax in _data_axes(fig) if "stages" in ax.get_title())
    drawn = {line.get_label() for line in _series(stages)}
    assert len(drawn) == plots.MAX_STAGE_LINES
    top = sorted(queued, key=lambda s: -peaks[s])[: plots.MAX_STAGE_LINES]
    assert drawn == {sim.experiments.results.place_label(sc, "huu_nghi", s) for s in top}
    assert f"{len(queued) - plots.MAX_STAGE_LINES} with lower peaks left out" in stages.get_title()
    plt.close(fig)


def test_a_road_queue_panel_keeps_its_legend_clear_of_the_km_axis(baseline) -> None:
    tight = baseline.with_changes(
        {
            "run.days": 4,
            "run.warmup_days": 1,
            "gates.huu_nghi.park": None,
            "gates.huu_nghi.parking.export": {"places": 10, "overflow_places": 0},
        }
    )
    fig = plots.queue_lengths(sim.run(tight, seed=0), "huu_nghi")
    road = fig.axes[0]
    assert road.get_title().endswith("road queue")
    assert road.child_axes  # the km axis
    assert road.child_axes[0].get_ylabel() == "road queue (km)"
    assert _legends_clear(fig) >= 3
    plt.close(fig)


def test_park_only_where_a_gate_has_one(harvest_exp) -> None:
    sc = harvest_exp.scenario
    assert sc.gates["huu_nghi"].park is not None
    assert sc.gates["coc_nam"].park is None
    for gate, has_park in (("huu_nghi", True), ("coc_nam", False)):
        fig = plots.queue_lengths(harvest_exp, gate)
        yard = next(ax for ax in _data_axes(fig) if "yard occupancy" in ax.get_title())
        words = [yard.get_title(), yard.get_ylabel(), *(line.get_label() for line in yard.lines)]
        assert any("park" in w for w in words) == has_park, gate
        plt.close(fig)


def test_hourly_profile_gives_every_series_its_own_colour(harvest_exp) -> None:
    fig = plots.hourly_profile(harvest_exp, "huu_nghi")
    queues = fig.axes[1]
    colours = [mcolors.to_hex(line.get_color()) for line in _series(queues)]
    assert len(colours) > 10  # more series than a ten-colour cycle has
    assert len(set(colours)) == len(colours)
    assert queues.get_ylim()[0] == 0
    assert fig.axes[0].get_ylim()[0] == 0  # arrivals
    assert fig.axes[0].get_title().endswith("(replication 1 of 2)")  # it says it is one replication
    assert queues.get_title().endswith("(mean of 2 replications)")
    assert _legends_clear(fig) == 2
    plt.close(fig)


def test_daily_cleared_on_dates_from_zero(harvest_exp) -> None:
    fig = plots.daily_cleared(harvest_exp)
    ax = fig.axes[0]
    dates = _dates_on_axis(fig, ax)
    assert all(START <= d < START + dt.timedelta(days=DAYS) for d in dates)
    assert ax.get_ylim()[0] == 0
    interval = next(c for c in ax.containers if c.get_label() == "95% interval")
    lows = [seg[0][1] for seg in interval.lines[2][0].get_segments()]
    assert min(lows) >= 0  # no day's interval reaches below 0 trucks
    gates = [harvest_exp.scenario.gates[g].label for g in harvest_exp.scenario.gates]
    bars = {c.get_label(): c for c in ax.collections if c.get_label() in gates}
    colours = [mcolors.to_hex(c.get_facecolor()[0]) for c in bars.values()]
    assert len(set(colours)) == len(colours) == len(gates)
    # the bars stack the day's cleared trucks gate by gate, each day from the last gate's top
    daily = harvest_exp.daily.groupby(["date", "gate"], observed=True)["cleared"].sum().unstack("gate")
    daily = daily / harvest_exp.n
    tops = np.zeros(len(daily))
    for gate in daily.columns:
        boxes = [path.vertices for path in bars[harvest_exp.scenario.gates[gate].label].get_paths()]
        assert len(boxes) == len(daily)
        lows = np.array([v[:, 1].min() for v in boxes])
        highs = np.array([v[:, 1].max() for v in boxes])
        assert np.allclose(lows, tops)
        tops = tops + daily[gate].to_numpy()
        assert np.allclose(highs, tops)
        widths = np.array([np.ptp(v[:, 0]) for v in boxes])
        assert np.allclose(widths, 0.9)  # a day's bar, a gap between days
        centres = np.array([v[:, 0].mean() for v in boxes])
        assert np.allclose(centres, mdates.date2num(pd.DatetimeIndex(daily.index).to_pydatetime()))
    plt.close(fig)


def test_heatmap_warmup_swatch_and_date_ticks(harvest_exp) -> None:
    fig = plots.queue_heatmap(harvest_exp, "huu_nghi", "yard_export")
    ax = fig.axes[0]
    legend = ax.get_legend()
    swatch = next(
        h for h, t in zip(legend.legend_handles, legend.get_texts(), strict=True) if t.get_text() == "warm-up"
    )
    assert isinstance(swatch, Patch)
    assert swatch.get_hatch() == "//"
    face = mcolors.to_rgba(swatch.get_facecolor())
    assert face[3] > 0
    assert face[:3] != (1.0, 1.0, 1.0)  # white hatch on a visible swatch
    dates = _dates_on_axis(fig, ax)
    assert all(START <= d <= START + dt.timedelta(days=DAYS) for d in dates)
    assert ax.xaxis.get_offset_text().get_text() == ""  # no stray "2025-Nov"
    assert _spans(ax, "demand event: dragon-fruit peak") == [(_num(PEAK[0]), _num(PEAK[1]) + 1)]
    assert _legends_clear(fig) == 1
    plt.close(fig)


def test_time_in_system_sums_every_replication_by_direction(harvest_exp) -> None:
    assert len(harvest_exp.runs) == harvest_exp.n == 2
    expected = {}
    for run in harvest_exp.runs:
        tr = run.trucks
        done = (tr["outcome"] == "cleared") & (tr["arrival_min"] >= run.warmup_min)
        for direction, n in tr[done].groupby("direction", observed=True).size().items():
            expected[direction] = expected.get(direction, 0) + int(n)
    fig = plots.time_in_system(harvest_exp)
    titles = {ax.get_title() for ax in _data_axes(fig)}
    assert titles == {f"{d} trucks: n = 2 replications, {n:,} trucks" for d, n in expected.items()}
    for ax in _data_axes(fig):
        for line in _series(ax):
            assert line.get_ydata()[-1] == pytest.approx(1.0, abs=0.01) or "over 240 h" in line.get_label()
    assert _legends_clear(fig) == len(expected)
    plt.close(fig)


def test_histogram_counts_the_trucks_cleared_in_the_window_in_fixed_bins(harvest_exp) -> None:
    run = harvest_exp.runs[0]
    hist = time_in_system_histogram(run)
    assert list(np.unique(hist["low_h"])) == list(TIS_BIN_EDGES_H[:-1])
    tr = run.trucks
    done = tr[(tr["outcome"] == "cleared") & (tr["arrival_min"] >= run.warmup_min)]
    assert hist["trucks"].sum() == len(done)
    over_8h = hist.loc[hist["low_h"] >= 8, "trucks"].sum()
    assert over_8h == (done["time_in_system_h"] >= 8).sum()
    assert harvest_exp.replications[0].tis_hist.equals(hist)  # what the replication returned
    both = sum_histograms(r.tis_hist for r in harvest_exp.replications)
    assert both["trucks"].sum() == sum(r.tis_hist["trucks"].sum() for r in harvest_exp.replications)
    assert len(both) == len(hist)


def test_comparison_queues_shade_every_event_of_every_scenario_on_dates(harvest_comp) -> None:
    fig = plots.comparison_queues(harvest_comp, "huu_nghi")
    for ax in _data_axes(fig):
        assert _spans(ax, "demand event: dragon-fruit peak (fruit_harvest_peak)") == [
            (_num(PEAK[0]), _num(PEAK[1]) + 1)
        ]
        assert _spans(ax, "warm-up") == [(_num(START), _num(START) + WARMUP_DAYS)]
        assert ax.get_xlim() == (_num(START), _num(START) + DAYS)
        assert ax.get_ylim()[0] == 0
        colours = [mcolors.to_hex(line.get_color()) for line in _series(ax)]
        assert len(set(colours)) == len(colours) == 2
        assert len({line.get_linestyle() for line in _series(ax)}) == 2  # equal series stay apart
        assert "demand event: dragon-fruit peak (fruit_harvest_peak)" in ax.get_legend_handles_labels()[1]
    _dates_on_axis(fig, _data_axes(fig)[-1])
    assert _legends_clear(fig) == 2
    # imports waiting on the Chinese side are not in the import panel, and its title says so
    export, imports = _data_axes(fig)
    assert "Chinese side" not in export.get_title()
    assert "on the Vietnamese side; those held on the Chinese side are not drawn" in imports.get_title()
    # ... and its lines are the road and yard on the Vietnamese side, replication by replication
    for exp, line in zip(harvest_comp.experiments, _series(imports), strict=True):
        per_rep = [
            q[(q["gate"] == "huu_nghi") & q["place"].isin(["road_import", "yard_import"])]
            .groupby("time_h")["queue_mean"]
            .sum()
            .to_numpy()
            for q in (r.queues for r in exp.replications)
        ]
        assert np.allclose(line.get_ydata(), np.mean(per_rep, axis=0), equal_nan=True)
    plt.close(fig)


def test_comparison_shares_in_percentage_points(harvest_comp) -> None:
    fig = plots.comparison(harvest_comp)
    d = harvest_comp.differences().set_index(["scenario", "kpi"])
    share = _data_axes(fig)[2]
    assert share.get_xlabel().endswith("(percentage points)")
    raw = d.loc[("fruit_harvest_peak", "perishable_over_threshold_share")]
    assert share.lines[0].get_xdata()[0] == pytest.approx(raw["diff_mean"] * 100)
    assert f"base {raw['base_mean'] * 100:,.4g}%" in share.get_title()
    fig.canvas.draw()
    assert not any("%" in t.get_text() for t in share.get_xticklabels())  # points, not per cent
    hours = _data_axes(fig)[0]
    base_h = d.loc[("fruit_harvest_peak", "time_in_system_h_mean"), "base_mean"]
    assert hours.get_title().endswith(f"(base {base_h:,.4g} h)")
    assert hours.lines[0].get_xdata()[0] == pytest.approx(
        d.loc[("fruit_harvest_peak", "time_in_system_h_mean"), "diff_mean"]
    )
    plt.close(fig)


@pytest.fixture(scope="module")
def equal_costs():
    """Two levers that change nothing (their stages are off): options of equal cost coincide."""
    return sim.optimise(
        textbook({"run.days": 3}),
        ["backlog_end_share_of_day <= 0.5", "utilisation_g_gate_control <= 0.99"],
        {"gates.g.customs_docs.lanes": [1, 2], "gates.g.inspection.lanes": [1, 2]},
        n0=2,
        max_n=2,
        jobs=1,
        robustness=False,
    )


def test_optimise_figure_shows_each_kpi_in_its_unit_and_labels_every_point(equal_costs) -> None:
    """The backlog over a day's clearances is in days (a name with "share" in it, not a share);
    a share is drawn in per cent."""
    from sim.presentation.optimise_output import kpi_axis_label

    kpi = "backlog_end_share_of_day"
    fig = cost_figure(equal_costs, kpi)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("backlog end share of day (days)")
    means = sorted(o.mean(kpi) for o in equal_costs.options)
    assert means[0] > 0
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(points) == len(equal_costs.options) == 4
    assert sorted(float(p.get_xdata()[0]) for p in points) == pytest.approx(means)
    target = next(line for line in ax.lines if line.get_linestyle() == "--")
    assert list(target.get_xdata()) == [0.5, 0.5]
    assert kpi_axis_label("perishable_over_threshold_share").endswith("(%)")
    share = cost_figure(equal_costs, "utilisation_g_gate_control")  # a share: drawn in per cent
    sax = share.axes[0]
    assert sax.get_xlabel().startswith("utilisation g gate control (%)")
    util = sorted(o.mean("utilisation_g_gate_control") for o in equal_costs.options)
    dots = [line for line in sax.lines if line.get_marker() == "o"]
    assert sorted(float(p.get_xdata()[0]) for p in dots) == pytest.approx([u * 100 for u in util])
    assert list(next(x for x in sax.lines if x.get_linestyle() == "--").get_xdata()) == [99.0, 99.0]
    plt.close(share)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1, 1", "1, 2", "2, 1", "2, 2"]  # every point labelled
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    same_cost = [p for p in points if p.get_ydata()[0] == 1.0]
    assert len(same_cost) == 2
    a, b = (p.get_window_extent(renderer) for p in same_cost)
    assert abs(a.y0 - b.y0) >= 5  # moved apart on the page, not drawn on each other
    labels = [t.get_window_extent(renderer) for t in ax.texts]
    assert all(_overlap_px(x, y) == 0 for i, x in enumerate(labels) for y in labels[i + 1 :])
    plt.close(fig)


def test_sweep_share_axis_ticks_match_its_percent_label(baseline) -> None:
    short = baseline.with_changes({"run.days": 5, "run.warmup_days": 1})
    sw = sim.sweep(short, {"gates.tan_thanh.gate_control.lanes": [2, 3]}, n=2, seed=0, jobs=1)
    for kpi in ("perishable_over_threshold_share", "days_above_peak_ref_share"):
        fig = plots.sweep_curve(sw, kpi)
        ax = fig.axes[0]
        assert ax.get_ylabel().endswith("(%)")
        mean = sw.table().query("kpi == @kpi")["mean"].to_numpy()
        assert np.allclose(ax.lines[0].get_ydata(), mean * 100)
        low, high = ax.get_ylim()
        assert low == 0  # no negative share
        assert high >= max(1.0, mean.max() * 100)  # ticks in per cent, over the data
        assert high <= 100
        plt.close(fig)
    assert sw.table().query("kpi == 'perishable_over_threshold_share'")["mean"].max() > 0.01


def test_sweep_lines_of_equal_results_are_set_apart(baseline) -> None:
    """A fee changes no time: both fee lines have the same means and must both show."""
    short = baseline.with_changes({"run.days": 4, "run.warmup_days": 1})
    sw = sim.sweep(
        short,
        {"gates.tan_thanh.gate_control.lanes": [2, 3], "kpi.parking_vnd_per_truck_day": [0, 400000]},
        n=2,
        seed=0,
        jobs=1,
    )
    fig = plots.sweep_curve(sw, "time_in_system_h_mean")
    ax = fig.axes[0]
    lines = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(lines) == 2
    cleared = plots.sweep_curve(sw, "cleared_per_day_mean")  # the reported 1,650, with its band
    reported = [t.get_text() for t in cleared.axes[0].get_legend().get_texts() if "reported" in t.get_text()]
    assert reported == ["reported 1,650 ±5%"]
    bands = [p for p in cleared.axes[0].patches if p.get_alpha() == 0.08]
    assert len(bands) == 1
    y = bands[0].get_transform().transform(bands[0].get_path().vertices)[:, 1]
    ylo, yhi = cleared.axes[0].transData.inverted().transform([[0, y.min()], [0, y.max()]])[:, 1]
    assert (ylo, yhi) == pytest.approx((1567.5, 1732.5))
    plt.close(cleared)
    assert np.allclose(lines[0].get_ydata(), lines[1].get_ydata())  # the same results
    fig.canvas.draw()
    a, b = (line.get_transform().transform(line.get_xydata()) for line in lines)
    assert np.allclose(np.abs(a[:, 0] - b[:, 0]), plots.SWEEP_DODGE_PT * fig.dpi / 72)
    assert np.allclose(a[:, 1], b[:, 1])
    assert mcolors.to_hex(lines[0].get_color()) != mcolors.to_hex(lines[1].get_color())
    assert [t.get_text() for t in ax.get_legend().get_texts()].count("95% band") == 1
    plt.close(fig)


def _tick_labels_overlap(fig) -> list[tuple[str, str]]:
    """Pairs of neighbouring x tick labels (dates) whose boxes overlap, on any axes, once drawn."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        boxes = sorted(
            (box.x0, box.x1, t.get_text()) for t in labels for box in [t.get_window_extent(renderer)]
        )
        found += [(a[2], b[2]) for a, b in itertools.pairwise(boxes) if b[0] < a[1]]
    return found


def test_date_labels_never_run_into_one_another_on_a_three_week_run() -> None:
    """Three weeks, a queue panel beside its legend and the daily bars: the dates a new user saw
    run together ('29 Sep 202501 Oct 2025') are apart, in English and in Vietnamese."""
    short = textbook({"run.start_date": "2025-09-25", "run.days": 21, "run.warmup_days": 5})
    wider = short.with_changes({"gates.g.gate_control.lanes": 2}, name="two_lanes_at_the_gate_control")
    comp = sim.compare([short, wider], n=2, seed=0, jobs=1)
    exp = comp.experiments[0]
    for lang in ("en", "vi"):
        for fig in (plots.comparison_queues(comp, "g", lang), plots.daily_cleared(exp, lang)):
            assert _tick_labels_overlap(fig) == []
            assert len([t for t in fig.axes[-1].get_xticklabels() if t.get_text()]) >= 2
            plt.close(fig)


def test_daily_cleared_shades_the_events_edge_to_edge_of_their_days(harvest_exp) -> None:
    """The harvest peak (6-26 Oct) is shaded on the daily bars too, from the left edge of its
    first day's bar to the right edge of its last, labelled by its name."""
    fig = plots.daily_cleared(harvest_exp)
    ax = fig.axes[0]
    label = next(name for kind, name, _, _ in plots.event_spans(harvest_exp.scenario) if kind)
    spans = _spans(ax, label)
    assert spans == [(pytest.approx(_num(PEAK[0]) - 0.5), pytest.approx(_num(PEAK[1]) + 0.5))]
    plt.close(fig)


def test_a_place_empty_throughout_is_named_not_drawn_flat() -> None:
    """The yard panel draws no flat line at zero (the holding park where no event sends trucks):
    every line drawn has trucks in it, and a place left out is named in the panel's title."""
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml", {"run.days": 6, "run.warmup_days": 1})
    exp = sim.replicate(sc, n=2, seed=0, jobs=1)
    fig = plots.queue_lengths(exp, "huu_nghi")
    yard = next(ax for ax in fig.axes if "yard" in ax.get_title().lower())
    lines = [ln for ln in yard.get_lines() if not ln.get_label().startswith("_")]
    assert lines
    assert all(np.nanmax(ln.get_ydata()) > 0 for ln in lines)
    park = exp.queue_summary()
    park = park[(park["gate"] == "huu_nghi") & (park["place"] == "park")]
    assert not park["queue_mean"].max() > 0  # the case: no event sends trucks to the park
    assert "empty throughout, not drawn" in yard.get_title()
    assert not any("park" in ln.get_label().lower() for ln in lines)
    plt.close(fig)


def test_a_stage_no_truck_came_to_says_so_on_the_utilisation_map() -> None:
    """Every truck declares online, so none comes to the paper-declaration counter: its row says
    so instead of reading as an idle 0%, and only rows with no busy hour say it."""
    sc = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml", {"run.days": 6, "run.warmup_days": 1})
    exp = sim.replicate(sc, n=2, seed=0, jobs=1)
    grid = plots.utilisation_table(exp, "huu_nghi")
    fig = plots.utilisation(exp, "huu_nghi")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "declaration counter (no truck came)"
    for stage, label in zip(grid.index, labels, strict=True):
        assert label.endswith("(no truck came)") == (not (grid.loc[stage] > 0).any()), stage
    plt.close(fig)
