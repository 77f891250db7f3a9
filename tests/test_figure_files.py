"""A figure saved with one draw is the figure matplotlib's savefig writes, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from conftest import textbook

import sim
from sim.presentation import plots
from sim.presentation.figure_files import PNG_COMPRESS_LEVEL, PNG_DPI, save_png
from sim.presentation.figure_names import DEFAULT_FIGURES


@pytest.fixture(scope="module")
def short_run():
    return sim.run(textbook({"run.days": 3, "run.warmup_days": 1}), seed=0)


def _savefig_bytes(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, dpi=PNG_DPI, format="png", pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return out.getvalue()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_save_png_writes_the_bytes_savefig_writes(short_run, tmp_path: Path, lang: str) -> None:
    """Every figure of a run in English, the default set in Vietnamese."""
    only = None if lang == "en" else set(DEFAULT_FIGURES)
    figs = plots.run_figures(short_run, lang, only=only)
    assert len(figs) >= (5 if lang == "en" else len(DEFAULT_FIGURES))
    for stem, fig in figs.items():
        assert fig.get_layout_engine() is not None  # the case save_png draws once instead of twice
        want = _savefig_bytes(fig)
        again = plots.run_figures(short_run, lang, only={stem})[stem]
        save_png(again, tmp_path / f"{stem}.png")
        assert (tmp_path / f"{stem}.png").read_bytes() == want, stem
        plt.close(fig)
        plt.close(again)


def test_the_comparison_fails_for_a_figure_not_laid_out(short_run, tmp_path: Path) -> None:
    """The check above can fail: a figure saved without running its layout differs."""
    fig = plots.daily_cleared(short_run)
    want = _savefig_bytes(fig)
    plt.close(fig)
    fig = plots.daily_cleared(short_run)
    fig.set_layout_engine(None)  # the layout never runs
    save_png(fig, tmp_path / "daily_cleared.png")
    plt.close(fig)
    assert (tmp_path / "daily_cleared.png").read_bytes() != want


def _draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of Figure.draw calls (the layout pass with drawing off is one)."""
    from matplotlib.figure import Figure

    calls: list[int] = []
    inner = Figure.draw

    def counted(self, renderer):
        calls.append(1)
        return inner(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    return calls


def test_save_png_draws_once_and_leaves_no_engine(short_run, tmp_path: Path, monkeypatch) -> None:
    """What the module is for: one draw where savefig makes two (so the count can tell them)."""
    calls = _draws(monkeypatch)
    fig = plots.daily_cleared(short_run)
    _savefig_bytes(fig)
    assert len(calls) == 2  # savefig: the layout pass, then the image
    plt.close(fig)
    calls.clear()
    fig = plots.daily_cleared(short_run)
    save_png(fig, tmp_path / "once.png")
    assert len(calls) == 1
    assert fig.get_layout_engine() is None
    plt.close(fig)


@pytest.mark.parametrize("setting", ["figure.autolayout", "figure.constrained_layout.use"])
def test_a_users_automatic_layout_setting_changes_nothing(short_run, tmp_path: Path, setting: str) -> None:
    """With matplotlib set to lay figures out by itself (a user's matplotlibrc), removing the engine
    must not bring one back: a figure with a colorbar would refuse a tight engine, another would
    be laid out anew."""
    import matplotlib as mpl

    gate = next(iter(short_run.scenario.gates))
    with mpl.rc_context({setting: True}):
        for make in (lambda: plots.queue_heatmap(short_run, gate), lambda: plots.daily_cleared(short_run)):
            fig = make()
            want = _savefig_bytes(fig)
            plt.close(fig)
            fig = make()
            save_png(fig, tmp_path / "fig.png")
            assert (tmp_path / "fig.png").read_bytes() == want
            plt.close(fig)


def test_a_figure_laid_out_by_tight_layout_is_saved_alike(tmp_path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [1, 3, 2], label="a line")
    ax.set_xlabel("a long label on the x axis")
    ax.legend()
    fig.tight_layout()
    want = _savefig_bytes(fig)
    save_png(fig, tmp_path / "tight.png", dpi=PNG_DPI)
    assert (tmp_path / "tight.png").read_bytes() == want
    plt.close(fig)
