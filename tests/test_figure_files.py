"""A figure saved with one draw is the figure matplotlib's savefig writes, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from conftest import textbook

import sim
from sim.presentation import figure_files, plots
from sim.presentation.figure_files import PNG_COMPRESS_LEVEL, PNG_DPI, save_png, subplots
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


def titles_blocked(fig) -> list[str]:
    """Titles of *fig*'s axes with something above the axes that matplotlib, left to place the
    title itself, would move it over: tick labels or an axis label on top, or a scale factor
    ("1e6") on the y axis. Read after the figure is drawn (the scale factor is set then)."""
    blocked = []
    for ax in fig.axes:
        title = " ".join(t.get_text() for t in (ax.title, ax._left_title, ax._right_title)).strip()
        if not title:
            continue
        top_ticks = any(tick.label2.get_visible() for tick in ax.xaxis.get_major_ticks())
        offset = ax.yaxis.offsetText
        scale = offset.get_visible() and offset.get_text()
        if top_ticks or ax.xaxis.get_label_position() == "top" or scale:
            blocked.append(title)
    return blocked


def test_no_figure_of_a_run_has_anything_above_a_titled_axes(short_run, tmp_path: Path) -> None:
    """What FIGURE_RC rests on: with nothing above any titled axes, the title placed on top of
    its axes is where matplotlib would have put it."""
    figs = plots.run_figures(short_run, "en")
    for stem, fig in figs.items():
        save_png(fig, tmp_path / f"{stem}.png")
        assert titles_blocked(fig) == [], stem
        plt.close(fig)


def test_the_title_check_finds_ticks_and_a_scale_factor_above_an_axes(tmp_path: Path) -> None:
    """The check above can fail: ticks moved to the top, or values that need a scale factor."""
    fig, ax = subplots()
    ax.plot([0, 1], [0, 1])
    ax.xaxis.tick_top()
    ax.set_title("ticks on top")
    fig2, ax2 = subplots()
    ax2.plot([0, 1], [1e9, 1e9 + 1])  # a scale factor and an offset above the y axis
    ax2.set_title("a scale factor")
    for f in (fig, fig2):
        save_png(f, tmp_path / "f.png")
    assert titles_blocked(fig) == ["ticks on top"]
    assert titles_blocked(fig2) == ["a scale factor"]
    plt.close(fig)
    plt.close(fig2)


def test_titles_set_on_top_draw_the_bytes_matplotlib_places_them_at(
    short_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every figure of a run is byte for byte the figure drawn with matplotlib placing its titles."""
    ours = {}
    for stem, fig in plots.run_figures(short_run, "en").items():
        save_png(fig, tmp_path / f"{stem}.png")
        ours[stem] = (tmp_path / f"{stem}.png").read_bytes()
        assert all(not ax._autotitlepos for ax in fig.axes if ax.get_title()), stem
        plt.close(fig)
    monkeypatch.setattr(figure_files, "FIGURE_RC", {})
    for stem, fig in plots.run_figures(short_run, "en").items():
        assert any(ax._autotitlepos for ax in fig.axes), stem  # matplotlib places them this time
        save_png(fig, tmp_path / f"{stem}_auto.png")
        assert (tmp_path / f"{stem}_auto.png").read_bytes() == ours[stem], stem
        plt.close(fig)


def test_subplots_puts_back_its_own_settings_and_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook switches interactive mode on when pyplot first draws, which may happen inside
    the helper: putting every setting back (as rc_context does) switched it off again, and the
    notebook showed none of its later figures."""
    import matplotlib as mpl

    inner = plt.subplots

    def first_draw_in_a_notebook(*args, **kwargs):
        assert mpl.rcParams["axes.titley"] == 1.0  # the helper's own setting, while it makes the axes
        mpl.rcParams["interactive"] = True  # as IPython does on pyplot's first use
        return inner(*args, **kwargs)

    monkeypatch.setattr(plt, "subplots", first_draw_in_a_notebook)
    with mpl.rc_context({"interactive": False, "axes.titley": None}):
        fig, _ = subplots()
        assert mpl.rcParams["interactive"] is True
        assert mpl.rcParams["axes.titley"] is None
    plt.close(fig)
