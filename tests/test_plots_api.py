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


@pytest.mark.parametrize("name", ["queue_lengths", "daily_cleared", "time_in_system"])
def test_figures_render_with_titles_labels_and_data(short_run, name: str) -> None:
    fig = (
        getattr(plots, name)(short_run, "huu_nghi")
        if name == "queue_lengths"
        else getattr(plots, name)(short_run)
    )
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
        "Run",
        "Scenario",
        "ScenarioError",
        "__version__",
        "load_scenario",
        "plots",
        "run",
        "validate_scenario",
        "write_run",
    }
    for name in sim.__all__:
        assert hasattr(sim, name)
