"""Writing a figure to a PNG file: one draw instead of matplotlib's two, the same bytes.

A figure with a layout engine (every figure here uses the constrained layout) is drawn twice by
``savefig``: once with drawing switched off, so that the layout runs, then again into the image.
The first pass walks every artist only to trigger the layout. :func:`save_png` runs the layout
itself, at the dpi of the file, and then saves the laid-out figure without an engine, so it is
drawn once. The file's bytes are those ``savefig`` writes (``tests/test_figure_files.py`` holds
them to it, and counts the draws); docs/speed.md gives the time it saves. :func:`subplots` makes
a run's figures' axes with their titles set on top of them, which spares each layout and draw a
measurement of every axes' tick labels (:data:`FIGURE_RC`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PNG_DPI = 110
"""Dots per inch of the figures a command writes."""

PNG_COMPRESS_LEVEL = 3
"""zlib level of the PNGs: level 3 rather than matplotlib's 6 saves an eighth of the time for a
tenth more bytes."""

FIGURE_RC = {"axes.titley": 1.0}
"""Settings the axes of a run's figures are made under (:func:`subplots`). A title sits on top of
its axes, as matplotlib puts it when nothing is above the axes. Left to place it itself, matplotlib
would, at every layout and every draw, lay out the tick labels of each axes with a title, only to
find that no figure of a run has ticks, an axis label or a scale factor ("1e6") above an axes
(``tests/test_figure_files.py`` holds every figure of a run to that): a tenth of drawing the
default figures, the PNGs byte for byte the same. Figures whose values may need a scale factor
(comparisons and sweeps of costs in VND, the screen, the forecast) are made by pyplot as they
are, their titles placed by matplotlib."""

NO_AUTOMATIC_LAYOUT = {"figure.autolayout": False, "figure.constrained_layout.use": False}
"""The settings under which ``set_layout_engine(None)`` removes the engine: with either one on (a
user's matplotlibrc), matplotlib would put a tight or constrained engine back instead."""


def subplots(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``matplotlib.pyplot.subplots(*args, **kwargs)``, its axes made under :data:`FIGURE_RC`."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    # These settings alone are set and put back, not under rc_context: leaving that restores every
    # setting, among them the interactive mode a notebook switches on when pyplot first draws, and
    # the notebook would then show none of its later figures.
    before = {key: mpl.rcParams[key] for key in FIGURE_RC}
    mpl.rcParams.update(FIGURE_RC)
    try:
        return plt.subplots(*args, **kwargs)
    finally:
        mpl.rcParams.update(before)


def lay_out(fig: Any, dpi: int = PNG_DPI) -> None:
    """Run *fig*'s layout engine once, at *dpi*, and take the engine away, so that saving it draws
    it once. The figure keeps that layout: it is meant to be saved at *dpi* and closed."""
    import matplotlib as mpl

    fig.set_dpi(dpi)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        with mpl.rc_context(NO_AUTOMATIC_LAYOUT):
            fig.set_layout_engine(None)


def write_png(fig: Any, path: Any, dpi: int = PNG_DPI) -> None:
    """Write *fig* as it stands to *path* (a file name or a binary file) as a PNG at *dpi*, at
    :data:`PNG_COMPRESS_LEVEL`."""
    fig.savefig(path, dpi=dpi, format="png", pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})


def save_png(fig: Any, path: str | Path, dpi: int = PNG_DPI) -> None:
    """Write *fig* (a matplotlib Figure) to *path* as a PNG at *dpi*, laid out once and drawn once
    (:func:`lay_out`, then :func:`write_png`). The figure is left without a layout engine: it is
    meant to be closed after (a command's figures are)."""
    lay_out(fig, dpi)
    write_png(fig, path, dpi)
