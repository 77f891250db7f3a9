"""Figures render with content, and the public API is what the README promises."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import sim
from sim import plots


@pytest.fixture(scope="module")
def short_run(baseline):
    return sim.run(baseline.with_changes({"run.days": 6, "run.warmup_days": 1}), seed=1)


PER_GATE = {"queue_lengths", "hourly_profile", "queue_heatmap", "utilisation"}
FIGURES = [
    "queue_lengths",
    "daily_cleared",
    "time_in_system",
    "hourly_profile",
    "queue_heatmap",
    "utilisation",
]


@pytest.mark.parametrize("name", FIGURES)
def test_figures_render_with_titles_labels_and_data(short_run, name: str) -> None:
    fn = getattr(plots, name)
    fig = fn(short_run, "huu_nghi") if name in PER_GATE else fn(short_run)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_title()
        assert ax.get_ylabel()
        assert ax.get_legend() is not None
        assert ax.lines or ax.patches or ax.collections
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.tell() > 10_000
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
    }
    for name in sim.__all__:
        assert hasattr(sim, name)


def _check(fig) -> None:
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel()  # the colour scale says what it measures
            continue
        assert ax.get_title()
        assert ax.get_xlabel() or ax.get_ylabel()
        assert ax.get_legend() is not None
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.tell() > 10_000
    plt.close(fig)


def test_experiment_comparison_and_sweep_figures(baseline) -> None:
    sc = baseline.with_changes({"run.days": 5, "run.warmup_days": 1})
    exp = sim.replicate(sc, n=2, seed=0, jobs=1)
    fig = plots.queue_lengths(exp, "tan_thanh")
    assert any(ax.collections for ax in fig.axes)  # the confidence band
    _check(fig)
    _check(plots.daily_cleared(exp))
    _check(plots.time_in_system(exp))
    _check(plots.hourly_profile(exp, "huu_nghi"))
    _check(plots.queue_heatmap(exp, "huu_nghi", "road_export"))
    alt = sc.with_changes({"name": "fewer_lanes", "gates.tan_thanh.gate_control.lanes": 2})
    _check(plots.comparison(sim.compare([sc, alt], n=2, seed=0, jobs=1)))
    sw = sim.sweep(sc, {"gates.tan_thanh.gate_control.lanes": [2, 3]}, n=2, seed=0, jobs=1)
    _check(plots.sweep_curve(sw, "wait_min_mean_tan_thanh_gate_control"))
