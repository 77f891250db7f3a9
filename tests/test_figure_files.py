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
