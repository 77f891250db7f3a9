"""Figures of a run: queue lengths over time, trucks cleared per day, time in system.

Every function takes a :class:`~sim.experiments.results.Run` or an
:class:`~sim.experiments.experiment.Experiment` (or a comparison or sweep) and returns a matplotlib
Figure with a title, axes labelled with units and a legend; saving or showing it is the caller's
choice. Each takes ``lang`` ("en" or "vi"): every text comes from the glossary in that language,
gates and routes by their names in it, dates on time axes as ``06 Oct 2025`` in English and
``06/10/2025`` in Vietnamese, numbers with the language's separators.

Longer than the ~600 lines a module here keeps to: it is the public surface ``sim.plots``, one
function per figure (each tested on its data), kept in one module so that ``sim.plots`` lists
every figure; the axes, dates, languages and event shading they share are private to it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING

import matplotlib.axis
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter
from matplotlib.transforms import ScaledTranslation

from sim.experiments.designs import Comparison, Sweep
from sim.experiments.experiment import Experiment
from sim.experiments.histograms import sum_histograms, time_in_system_histogram
from sim.experiments.results import Run, place_label, stage_places
from sim.presentation.figure_files import subplots
from sim.presentation.figure_names import has_lanes
from sim.presentation.glossary import (
    REFERENCE_TOLERANCE,
    TERMS,
    fmt_number,
    gate_name,
    is_share,
    kpi_label,
    lever_label,
    reference,
    reference_shown,
    stage_name,
    tr,
    unit_of,
    value_words,
)
from sim.world.calendar import MIN_PER_DAY, minute_of
from sim.world.scenario import Scenario
from sim.world.schema.events import CapacityEvent, ClosureEvent, DemandEvent, ExtendedHoursEvent, ParkUseEvent

if TYPE_CHECKING:  # a calibration's fit: its module imports scipy.optimize, not needed to draw a run
    from sim.studies.calibrate import Fit

Result = Run | Experiment

TIME_TICK_UNITS_H = {
    0.25: (15, "fig.tick_min"),
    1: (1, "fig.tick_h"),
    4: (4, "fig.tick_h"),
    8: (8, "fig.tick_h"),
    24: (1, "fig.tick_d"),
    72: (3, "fig.tick_d"),
    168: (1, "fig.tick_wk"),
    720: (30, "fig.tick_d"),
}
"""Ticks of time axes in the units planners read: hours -> (number, glossary key of its unit)."""


def time_tick_labels(lang: str = "en") -> dict[float, str]:
    """The labels of :data:`TIME_TICK_UNITS_H` in *lang* (``{1: "1 h"}``, ``{1: "1 giờ"}`` in Vietnamese)."""
    return {h: tr(key, lang, n=n) for h, (n, key) in TIME_TICK_UNITS_H.items()}


TIME_TICKS_H = time_tick_labels("en")
"""Ticks of time axes in English (hours -> label), e.g. ``{24: "1 d"}``."""

NO_ROAD_QUEUE = tr("fig.no_road_queue")
"""What the queue figure's title says when no truck waited on the road (no empty panel is drawn)."""

MAX_STAGE_LINES = 5
"""At most this many stage queues in one panel (those with the highest peaks); more overlap unreadably."""

DATE_FORMAT = "%d %b %Y"
"""Tick labels of every time axis in English: a date planners read, with its year (``06 Oct 2025``)."""

DATE_FORMAT_VI = "%d/%m/%Y"
"""Tick labels of every time axis in Vietnamese: day/month/year as Vietnamese writes dates
(``06/10/2025``), with no month name to translate."""

DATE_FORMATS = {"en": DATE_FORMAT, "vi": DATE_FORMAT_VI}
"""The date format of time axes by language."""

_TAB20 = plt.get_cmap("tab20").colors
SERIES_COLOURS: tuple[tuple[float, float, float], ...] = tuple(
    _TAB20[i] for i in (*range(0, 20, 2), *range(1, 20, 2)) if i not in (14, 15)
)
"""Colours of lines, 18 of them, no grey: greys are kept for shading (warm-up, events), so no
series shares a colour with the shading or, up to 18 series, with another series."""

SCENARIO_LINESTYLES = ("-", "--", ":", "-.")
"""Line styles of the scenarios of a comparison, so that a scenario no different from another
still shows beside it instead of hiding under it."""

WARMUP_STYLE = {"facecolor": "0.9", "edgecolor": "none", "lw": 0, "zorder": 0}
"""The warm-up: a light grey band behind the data."""

EVENT_STYLES = {
    ClosureEvent: ("fig.event.closure", {"facecolor": "0.7", "edgecolor": "none", "alpha": 0.5}),
    CapacityEvent: ("fig.event.capacity", {"facecolor": "none", "edgecolor": "0.35", "hatch": "xx"}),
    DemandEvent: ("fig.event.demand", {"facecolor": "none", "edgecolor": "0.55", "hatch": "//"}),
    ExtendedHoursEvent: ("fig.event.hours", {"facecolor": "none", "edgecolor": "0.45", "hatch": ".."}),
    ParkUseEvent: ("fig.event.park", {"facecolor": "none", "edgecolor": "0.45", "hatch": "\\\\"}),
}
"""How each kind of event is shaded over time (greys and hatches only, colours no series uses),
with the glossary key of the kind's name."""

OUTLINE_COLOURS = {
    ClosureEvent: "white",
    CapacityEvent: "tab:orange",
    DemandEvent: "tab:red",
    ExtendedHoursEvent: "tab:cyan",
    ParkUseEvent: "tab:pink",
}
"""Frames of events on heat maps, whose colours a fill would change."""


def _palette() -> Iterator[tuple[float, float, float]]:
    """A fresh colour cycle for one axes (see :data:`SERIES_COLOURS`)."""
    return itertools.cycle(SERIES_COLOURS)


def _legend_outside(ax: plt.Axes, right_axis_in: float = 0.0, **kw) -> None:
    """A legend to the right of the axes, where it hides no data.

    *right_axis_in* is the width (inches) of a right-hand axis (ticks, labels) the legend must
    clear; the legend starts beyond it.
    """
    shift = ScaledTranslation(right_axis_in + 0.1, 0, ax.figure.dpi_scale_trans)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        bbox_transform=ax.transAxes + shift,
        borderaxespad=0,
        fontsize="small",
        **kw,
    )


def _width_right_of(ax: plt.Axes, artist) -> float:
    """How far (inches) *artist* (e.g. a secondary y axis) reaches beyond the right edge of *ax*."""
    fig = ax.figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    reach = artist.get_tightbbox(renderer).x1 - ax.get_window_extent(renderer).x1
    return max(reach, 0.0) / fig.dpi


_VI_SEPARATORS = str.maketrans({",": ".", ".": ","})


class VietnameseScalarFormatter(ScalarFormatter):
    """Matplotlib's plain number ticks with Vietnamese separators (``0,5``; ``1.000``), so that a
    Vietnamese figure writes its numbers as its text does (see ``fmt_number``)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The tick label of *x*, separators swapped."""
        return super().__call__(x, pos).translate(_VI_SEPARATORS)


def in_language(fig: Figure, lang: str) -> Figure:
    """*fig* with its plain number ticks (every axis, colour bars and secondary axes included)
    written with the separators of *lang*; dates, percentages and named ticks are left as drawn."""
    if lang != "en":
        for axis in fig.findobj(matplotlib.axis.Axis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(VietnameseScalarFormatter())
    return fig


def _replications(result: Result) -> int:
    return result.n if isinstance(result, Experiment) else 1


def _mean_note(result: Result, lang: str = "en") -> str:
    n = _replications(result)
    return tr("fig.mean_of", lang, n=n) if n > 1 else tr("fig.one_run", lang)


def _band_note(result: Result, lang: str = "en") -> str:
    """What the lines and bands of a figure are, without promising a band one run cannot give."""
    n = _replications(result)
    return tr("fig.band_of", lang, n=n) if n > 1 else tr("fig.one_run_no_band", lang)


def _first_rep(result: Result, lang: str) -> str:
    """`` (replication 1 of n)`` for an experiment of several replications drawn from its first."""
    return "" if isinstance(result, Run) or result.n == 1 else f" ({tr('fig.first_rep', lang, n=result.n)})"


def _reps_word(n: int, lang: str) -> str:
    return tr("fig.replication" if n == 1 else "fig.replications", lang)


def figure_place(sc: Scenario, gate: str, place: str, lang: str = "en") -> str:
    """A place of ``run.queues`` named in *lang*: ``road export``, a stage with its route, the park.

    English keeps the names the figures always had (:func:`~sim.experiments.results.place_label`);
    Vietnamese takes stages and routes from the glossary and the scenario's ``label_vi``.
    """
    kind, _, direction = place.partition("_")
    if kind in ("road", "yard") and direction in ("export", "import"):
        which = tr(direction, lang) if lang == "en" else tr(f"{direction}s", lang)
        return tr(f"fig.{kind}_place", lang, direction=which)
    if place == "park":
        return tr("fig.park_place", lang)
    if lang == "en":
        return place_label(sc, gate, place)
    return stage_name(sc, gate, place, lang)


def _queue_table(result: Result) -> pd.DataFrame:
    """Queue series with a 95% band (NaN for a single run)."""
    if isinstance(result, Experiment):
        return result.queue_summary()
    q = result.queues[["time_h", "gate", "place", "queue_mean"]].copy()
    q["ci_low"] = q["ci_high"] = np.nan
    return q


def _sample_run(result: Result) -> Run:
    if isinstance(result, Run):
        return result
    if not result.runs:
        raise ValueError("this experiment kept no full run (keep_runs=0)")
    return result.runs[0]


def _line(ax: plt.Axes, s: pd.DataFrame, label: str, to_x: Callable[[np.ndarray], np.ndarray], **kw) -> None:
    """One queue series against *to_x* (day of the run -> axis, e.g. a date), its band if any."""
    x = to_x(s["time_h"].to_numpy() / 24)
    (line,) = ax.plot(x, s["queue_mean"], label=label, **kw)
    if s["ci_low"].notna().any():
        ax.fill_between(x, s["ci_low"].clip(lower=0), s["ci_high"], color=line.get_color(), alpha=0.25, lw=0)


def event_spans(
    sc: Scenario, gate: str | None = None, lang: str = "en"
) -> list[tuple[type, str, float, float]]:
    """The scenario's events at *gate* (None: any gate) as (kind, label, first day, end day) in days
    of the run, clipped to the run; events of whole days end at the end of their last day.

    Background events (regimes the run lives under) are left out: they are not what the figure
    is about and would shade the whole run.
    """
    spans = []
    for ev in sc.events:
        kind = type(ev)
        if (
            kind not in EVENT_STYLES
            or ev.background
            or (ev.gates is not None and gate is not None and gate not in ev.gates)
        ):
            continue
        a = minute_of(sc, ev.start) / MIN_PER_DAY
        b = minute_of(sc, ev.end) / MIN_PER_DAY
        if not isinstance(ev.end, dt.datetime):
            b += 1  # the last day is included
        a, b = max(a, 0.0), min(b, float(sc.run.days))
        if b <= a:
            continue
        what = tr(EVENT_STYLES[kind][0], lang)
        name = ev.name_vi if lang == "vi" and ev.name_vi else ev.name
        spans.append((kind, tr("fig.event_named", lang, kind=what, name=name) if name else what, a, b))
    return spans


def _shade_events(
    ax: plt.Axes,
    spans: list[tuple[type, str, float, float]],
    x: Callable[[float], float] = float,
    outline: bool = False,
) -> None:
    """Shade each event span (see :func:`event_spans`), labelled once by its name.

    *x* maps a day of the run to the axis (e.g. to a date); *outline* draws frames instead of
    fills, for heat maps whose colours a fill would change.
    """
    seen: set[str] = set()
    for kind, label, a, b in spans:
        name = None if label in seen else label
        seen.add(label)
        if outline:
            ax.axvspan(x(a), x(b), facecolor="none", edgecolor=OUTLINE_COLOURS[kind], lw=2, label=name)
        else:
            ax.axvspan(x(a), x(b), lw=0, label=name, zorder=0.5, **EVENT_STYLES[kind][1])


def _shade_warmup(ax: plt.Axes, sc: Scenario, x: Callable[[float], float], lang: str = "en") -> None:
    """The warm-up as a light grey band from the start of the run."""
    if sc.run.warmup_days:
        ax.axvspan(x(0), x(sc.run.warmup_days), label=tr("fig.warmup", lang), **WARMUP_STYLE)


def _day_to_date(sc: Scenario) -> Callable[[float], float]:
    """Day of the run (may be fractional, or an array) -> matplotlib date number."""
    start = mdates.date2num(dt.datetime.combine(sc.run.start_date, dt.time()))
    return lambda day: start + day


def _date_axis(
    ax: plt.Axes, sc: Scenario | None = None, lang: str = "en", days_shown: pd.DatetimeIndex | None = None
) -> None:
    """Dates as tick labels (``06 Oct 2025``; ``06/10/2025`` in Vietnamese) and, with *sc*, the
    run's dates as x limits; with *days_shown* instead (e.g. the days of a bar chart), ticks on
    those days only."""
    ax.xaxis.set_major_formatter(mdates.DateFormatter(DATE_FORMATS[lang]))
    if days_shown is not None:
        # The same rule as a run's axis, over the days shown (matplotlib's own date locator puts
        # ticks on fixed days of the month, so 29 Sep and 01 Oct can collide).
        first = float(mdates.date2num(days_shown[0]))
        count = len(days_shown) - 1
        ticks = [first + d for d in date_tick_days(days_shown[0].date(), count)]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        return
    if sc is None:
        raise ValueError("a date axis needs the scenario or the days shown")
    to_date = _day_to_date(sc)
    ax.set_xlim(to_date(0), to_date(sc.run.days))
    # Ticks computed once from the run's dates: the automatic date locator walks calendar rules
    # on every draw, a third of the time a queue figure takes to save.
    ax.xaxis.set_major_locator(
        FixedLocator([to_date(d) for d in date_tick_days(sc.run.start_date, sc.run.days)])
    )


DATE_TICK_STEPS_DAYS = (1, 2, 3, 4, 7, 14)
"""Day steps between date ticks, the smallest that keeps at most :data:`MAX_DATE_TICKS`."""
MAX_DATE_TICKS = 6
"""Six dates (``25 Sep 2025``, about 0.85 in each) fit the narrowest time axis the figures draw, a
queue panel beside its legend (about 6 in); eight ran into one another there."""


def date_tick_days(start: dt.date, days: int) -> list[int]:
    """Days of the run (0 = *start*) that carry a date tick: every 1, 2, 3, 4, 7 or 14 days from
    the start, or beyond six 14-day steps the first day of every 1, 2, 3 or 6 months, so that a
    run of any length has from 2 to :data:`MAX_DATE_TICKS` ticks inside it."""
    for step in DATE_TICK_STEPS_DAYS:
        if days // step + 1 <= MAX_DATE_TICKS:
            return list(range(0, days + 1, step))
    firsts = []
    month = dt.date(start.year, start.month, 1)
    while month <= start + dt.timedelta(days=days):
        if month >= start:
            firsts.append((month - start).days)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for every in (1, 2, 3, 6, 12):
        if len(firsts[::every]) <= MAX_DATE_TICKS:
            return firsts[::every]
    return firsts[:: len(firsts) // MAX_DATE_TICKS + 1]


def _stage_selection(q: pd.DataFrame, sc: Scenario, gate: str) -> tuple[list[str], int, int]:
    """The stages to draw (those that ever had a queue, at most :data:`MAX_STAGE_LINES` by their
    peak), how many with a queue were left out, and how many never had one."""
    peaks = {}
    for stage in stage_places(sc, gate):
        s = q[q["place"] == stage]
        if not s.empty:
            peaks[stage] = float(s["queue_mean"].max())
    queued = [st for st, p in sorted(peaks.items(), key=lambda kv: -kv[1]) if p > 0]
    shown = queued[:MAX_STAGE_LINES]
    order = [st for st in stage_places(sc, gate) if st in shown]  # the order a truck visits them
    return order, len(queued) - len(shown), len(peaks) - len(queued)


def queue_lengths(run: Result, gate: str, lang: str = "en") -> Figure:
    """Road queue, yard occupancy and stage queues at one gate over the run's dates (hourly means).

    For an experiment of several replications, the lines are means with a 95% band. A panel
    with nothing to draw (e.g. no truck waited on the road) is left out and the title says so;
    of the stages, only those that ever had a queue are drawn, at most :data:`MAX_STAGE_LINES`
    by their peak, and the title says how many were left out. Events and the warm-up are shaded
    in greys no line uses. Every text is in *lang*.
    """
    sc = run.scenario
    table = _queue_table(run)
    q = table[table["gate"] == gate]
    g = sc.gates[gate]
    label = gate_name(sc, gate, lang)
    to_date = _day_to_date(sc)
    notes: list[str] = []
    panels: list[Callable[[plt.Axes], None]] = []

    road = q[q["place"].isin(["road_export", "road_import"])]
    if not road.empty and road["queue_mean"].max() > 0:
        panels.append(lambda ax: _road_panel(ax, q, run, gate, to_date, lang))
    else:
        notes.append(tr("fig.no_road_queue", lang))
    yard_places = ["yard_export", "yard_import"] + (["park"] if g.park is not None else [])
    yard = q[q["place"].isin(yard_places)]
    if not yard.empty and yard["queue_mean"].max() > 0:
        panels.append(lambda ax: _yard_panel(ax, q, yard_places, sc, gate, to_date, lang))
    else:
        notes.append(tr("fig.yard_park_empty" if g.park is not None else "fig.yard_empty", lang))
    stages, dropped, never = _stage_selection(q, sc, gate)
    if stages:
        panels.append(lambda ax: _stage_panel(ax, q, sc, gate, stages, dropped, never, to_date, lang))
    else:
        notes.append(tr("fig.no_stage_queue", lang))

    fig, axes = subplots(
        max(len(panels), 1),
        1,
        figsize=(11, 1.5 + 2.6 * max(len(panels), 1)),
        sharex=True,
        constrained_layout=True,
        squeeze=False,
    )
    spans = event_spans(sc, gate, lang)
    for ax, draw in zip(axes[:, 0], panels, strict=False):
        draw(ax)
        _shade_events(ax, spans, to_date)
        _shade_warmup(ax, sc, to_date, lang)
        ax.set_ylim(bottom=0)
        _date_axis(ax, sc, lang)
    if not panels:
        axes[0, 0].set_axis_off()
    axes[-1, 0].set_xlabel(tr("fig.date", lang))
    for ax in axes[:, 0]:
        if not ax.get_legend_handles_labels()[0]:
            continue
        right = list(ax.child_axes)
        _legend_outside(ax, _width_right_of(ax, right[0]) if right else 0.0)
    title = tr("fig.queues_title", lang, name=sc.name, gate=label, note=_band_note(run, lang))
    fig.suptitle(title + ("\n" + "; ".join(notes) if notes else ""))
    return in_language(fig, lang)


OVERVIEW_PLACES = ("road_export", "road_import", "yard_export", "yard_import", "park")
"""The places of :func:`queues_overview`, each in the same colour at every gate."""


def queues_overview(run: Result, lang: str = "en") -> Figure:
    """Trucks on the road, in the yard (overflow included) and in the holding park at every gate,
    a panel a gate on one time axis (hourly means; for an experiment, means with a 95% band).

    The first figure a reader opens: which gate fills up, when, and against which event. The yard
    counts every truck in it, those in their procedures and exports waiting for or crossing to
    China too, as the per-gate figure's yard panel does. Each place keeps its colour at every gate;
    a place empty throughout is not drawn and a gate with no truck in any of them says so in its
    panel's title. The queues stage by stage, the Chinese checkpoint and the crossing among them,
    are each gate's :func:`queue_lengths`. Events and the warm-up are shaded as there. Every text
    is in *lang*.
    """
    sc = run.scenario
    table = _queue_table(run)
    to_date = _day_to_date(sc)
    gates = list(sc.gates)
    colours = dict(zip(OVERVIEW_PLACES, SERIES_COLOURS, strict=False))
    size = (11, 1.3 + 1.9 * len(gates))
    fig, axes = subplots(len(gates), 1, figsize=size, sharex=True, constrained_layout=True, squeeze=False)
    for ax, gate in zip(axes[:, 0], gates, strict=True):
        q = table[table["gate"] == gate]
        drawn = 0
        for place in OVERVIEW_PLACES:
            s = q[q["place"] == place]
            if s.empty or not s["queue_mean"].max() > 0:
                continue
            _line(ax, s, figure_place(sc, gate, place, lang), to_date, lw=0.9, color=colours[place])
            drawn += 1
        _shade_events(ax, event_spans(sc, gate, lang), to_date)
        _shade_warmup(ax, sc, to_date, lang)
        ax.set_ylim(bottom=0)
        _date_axis(ax, sc, lang)
        ax.set_ylabel(tr("fig.trucks", lang))
        label = gate_name(sc, gate, lang)
        empty = "fig.overview_panel_empty" + ("" if sc.gates[gate].park is not None else "_no_park")
        ax.set_title(label if drawn else tr(empty, lang, gate=label))
        if ax.get_legend_handles_labels()[0]:
            _legend_outside(ax)
    axes[-1, 0].set_xlabel(tr("fig.date", lang))
    parks = any(g.park is not None for g in sc.gates.values())
    key = "fig.overview_title" if parks else "fig.overview_title_no_park"
    lines = (
        tr(key, lang, name=sc.name),
        tr("fig.hourly_means", lang, note=_band_note(run, lang)),
        tr("fig.overview_more", lang),
    )
    fig.suptitle("\n".join(lines))
    return in_language(fig, lang)


def _road_panel(ax: plt.Axes, q: pd.DataFrame, run: Result, gate: str, to_date, lang: str) -> None:
    """Trucks waiting on the road by direction, with the queue's length in km on the right."""
    sc = run.scenario
    colours = _palette()
    for place in ("road_export", "road_import"):
        s = q[q["place"] == place]
        if not s.empty:
            _line(ax, s, figure_place(sc, gate, place, lang), to_date, color=next(colours))
    km_per_truck = sc.gates[gate].road_m_per_truck / 1000
    sec = ax.secondary_yaxis("right", functions=(lambda x: x * km_per_truck, lambda k: k / km_per_truck))
    sec.set_ylabel(tr("fig.road_km", lang))
    ax.set_ylabel(tr("fig.trucks_on_road", lang))
    ax.set_title(tr("fig.road_title", lang, gate=gate_name(sc, gate, lang)))


def _yard_panel(
    ax: plt.Axes, q: pd.DataFrame, places: list[str], sc: Scenario, gate: str, to_date, lang: str
) -> None:
    """Trucks in the gate's yards and, for a gate that has one, its holding park; a place empty
    throughout (a park no event sends trucks to) is named in the title, not drawn as a flat line."""
    colours = _palette()
    empty = []
    for place in places:
        s = q[q["place"] == place]
        if s.empty:
            continue
        if not s["queue_mean"].max() > 0:
            empty.append(figure_place(sc, gate, place, lang))
            continue
        _line(ax, s, figure_place(sc, gate, place, lang), to_date, color=next(colours))
    label = gate_name(sc, gate, lang)
    more = f"\n({tr('fig.empty_throughout', lang, places=', '.join(empty))})" if empty else ""
    if sc.gates[gate].park is not None:
        ax.set_ylabel(tr("fig.trucks_yard_park", lang))
        ax.set_title(tr("fig.yard_park_title", lang, gate=label) + more)
    else:
        ax.set_ylabel(tr("fig.trucks_yard", lang))
        ax.set_title(tr("fig.yard_title", lang, gate=label) + more)


def _stage_panel(
    ax: plt.Axes,
    q: pd.DataFrame,
    sc: Scenario,
    gate: str,
    stages: list[str],
    dropped: int,
    never: int,
    to_date,
    lang: str = "en",
) -> None:
    """Queues at the stages that had one, saying how many stages are not drawn and why."""
    colours = _palette()
    for stage in stages:
        label = figure_place(sc, gate, stage, lang)
        _line(ax, q[q["place"] == stage], label, to_date, lw=0.9, color=next(colours))
    ax.set_ylabel(tr("fig.trucks_waiting", lang))
    left_out = []
    if dropped:
        left_out.append(tr("fig.lower_peaks", lang, k=dropped))
    if never:
        left_out.append(tr("fig.never_queue", lang, k=never))
    more = f"\n({'; '.join(left_out)})" if left_out else ""
    title = tr("fig.stages_title", lang, gate=gate_name(sc, gate, lang), k=len(stages))
    ax.set_title(title + more)


def daily_cleared(run: Result, lang: str = "en") -> Figure:
    """Trucks cleared per day by gate, stacked, against the reported mean and peak lines.

    For an experiment, bars are means over replications and the whiskers a 95% interval of the
    total (its lower end at most down to 0). The warm-up and the events are shaded over their
    days (whole-day events edge to edge of their bars); the x axis shows dates. Every text is in
    *lang*.
    """
    d = run.daily
    n = _replications(run)
    table = d.groupby(["date", "gate"], observed=True)["cleared"].sum().unstack("gate") / n
    fig, ax = subplots(figsize=(11, 4.5), constrained_layout=True)
    bottom = np.zeros(len(table))
    colours = _palette()
    days = mdates.date2num(pd.DatetimeIndex(table.index).to_pydatetime())
    for gate in table.columns:
        height = table[gate].to_numpy(dtype=float)
        _bars(ax, days, height, bottom, gate_name(run.scenario, gate, lang), next(colours))
        bottom += height
    if n > 1:
        from sim.experiments.stats import t_half_width

        per_rep = d.groupby(["date", "replication"])["cleared"].sum().unstack("replication")
        half = t_half_width(per_rep.std(axis=1, ddof=1).to_numpy(), n)
        # No day clears fewer than 0 trucks: the interval's lower end stops at 0.
        yerr = np.vstack([np.minimum(half, bottom), half])
        ax.errorbar(
            table.index, bottom, yerr=yerr, fmt="none", ecolor="0.2", lw=0.8, label=tr("fig.interval", lang)
        )
    ref = run.scenario.kpi
    mean_text = tr("fig.reported_mean", lang, v=fmt_number(ref.daily_mean_ref, ",.0f", lang))
    ax.axhline(ref.daily_mean_ref, color="k", ls="--", lw=1, label=mean_text)
    ax.axhline(
        ref.daily_peak_ref,
        color="firebrick",
        ls=":",
        lw=1.2,
        label=tr("fig.reported_peak", lang, v=fmt_number(ref.daily_peak_ref, ",.0f", lang)),
    )
    # Events over whole days, edge to edge of their bars, as on every other time axis.
    to_date = _day_to_date(run.scenario)
    _shade_events(ax, event_spans(run.scenario, None, lang), lambda day: to_date(day) - 0.5)
    warmup = run.scenario.run.warmup_days
    if warmup:
        half_day = pd.Timedelta(hours=12)
        first = table.index[0]
        ax.axvspan(
            first - half_day,
            first + pd.Timedelta(days=warmup) - half_day,
            color="0.85",
            zorder=0,
            label=tr("fig.warmup", lang),
        )
    _date_axis(ax, lang=lang, days_shown=pd.DatetimeIndex(table.index))
    ax.set_ylim(bottom=0)
    ax.set_ylabel(tr("fig.cleared_per_day", lang))
    ax.set_xlabel(tr("fig.date", lang))
    ax.set_title(tr("fig.daily_title", lang, name=run.scenario.name, note=_mean_note(run, lang)))
    _legend_outside(ax)
    return in_language(fig, lang)


DAY_BAR_WIDTH = 0.9
"""Width of a day's bar, in days: a gap between days."""


def _bars(
    ax: plt.Axes, x: np.ndarray, height: np.ndarray, bottom: np.ndarray, label: str, color: tuple
) -> None:
    """Bars of *height* on *bottom* at *x* (date numbers), as one collection: what ``ax.bar``
    draws, without an artist and a limits update for every bar (a 90-day run's four gates made
    360 of them, a fifth of a run's default figures' building)."""
    from matplotlib.collections import PolyCollection

    left, right = x - DAY_BAR_WIDTH / 2, x + DAY_BAR_WIDTH / 2
    top = bottom + height
    verts = np.stack(
        [np.column_stack(c) for c in ((left, bottom), (left, top), (right, top), (right, bottom))], axis=1
    )
    ax.add_collection(PolyCollection(verts, facecolors=color, edgecolors="none", label=label), autolim=True)
    ax.autoscale_view()


def tis_histograms(result: Result) -> tuple[pd.DataFrame, int]:
    """Time-in-system histogram summed over every replication (or of the one run) and how many
    replications it sums; replications that kept no histogram are taken from their full run."""
    if isinstance(result, Run):
        return time_in_system_histogram(result), 1
    hists = [r.tis_hist for r in result.replications if r.tis_hist is not None]
    if not hists:
        hists = [time_in_system_histogram(r, result.window) for r in result.runs]
    if not hists:
        raise ValueError("this experiment kept neither time-in-system histograms nor a full run")
    return sum_histograms(hists), len(hists)


def time_in_system(result: Result, lang: str = "en") -> Figure:
    """Cumulative distribution of time in system by cargo class, one panel per direction, over
    every replication, with the perishable threshold.

    Drawn from the fixed-bin histograms each replication returns, summed over replications
    (points at the bins' upper edges); the time axis is logarithmic with ticks planners read
    (15 min, 1 h, 4 h, 8 h, 1 d, 3 d). Trucks that entered after the warm-up (or in the
    experiment's window) and were cleared are counted. Every text is in *lang*.
    """
    sc = result.scenario
    hist, n_reps = tis_histograms(result)
    directions = [d for d in hist["direction"].unique() if hist.loc[hist["direction"] == d, "trucks"].sum()]
    fig, axes = subplots(
        1, max(len(directions), 1), figsize=(13, 5), sharey=True, constrained_layout=True, squeeze=False
    )
    thr = sc.kpi.perishable_threshold_h
    finite = hist[np.isfinite(hist["high_h"])]
    top_h = float(finite["high_h"].max()) if not finite.empty else 240.0
    low, high = 0.2, top_h * 1.05
    for ax, direction in zip(axes[0], directions, strict=False):
        h = hist[hist["direction"] == direction]
        colours = _palette()
        total = int(h["trucks"].sum())
        for cargo, c in h.groupby("cargo", sort=False):
            n = int(c["trucks"].sum())
            if not n:
                continue
            c = c.sort_values("low_h")
            share = np.cumsum(c["trucks"].to_numpy()) / n
            edges = c["high_h"].to_numpy()
            keep = np.isfinite(edges)
            over = int(c.loc[~np.isfinite(c["high_h"]), "trucks"].sum())
            top = fmt_number(top_h, "g", lang)
            more = tr("fig.tis_over", lang, n=fmt_number(over, ",d", lang), top=top) if over else ""
            name = tr(f"cargo.{cargo}", lang) if lang != "en" and f"cargo.{cargo}" in TERMS else cargo
            ax.plot(
                np.r_[c["low_h"].iloc[0] or low, edges[keep]],
                np.r_[0.0, share[keep]],
                marker=".",
                color=next(colours),
                label=tr("fig.tis_line", lang, cargo=name, n=fmt_number(n, ",d", lang), more=more),
            )
        thr_text = fmt_number(thr, "g", lang)
        ax.axvline(
            thr, color="firebrick", ls="--", lw=1.2, label=tr("fig.perishable_threshold", lang, thr=thr_text)
        )
        ax.text(
            thr,
            0.02,
            " " + tr("fig.threshold", lang, thr=thr_text),
            color="firebrick",
            fontsize="small",
            rotation=90,
            va="bottom",
        )
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ticks = [t for t in TIME_TICKS_H if low <= t <= high]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xticks(ticks, [time_tick_labels(lang)[t] for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(tr("fig.tis_axis", lang))
        ax.set_ylabel(tr("fig.share_within", lang))
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_ylim(0, 1.02)
        who = tr(direction, lang) if lang == "en" else tr(f"{direction}s", lang)
        total_text = fmt_number(total, ",d", lang)
        reps = _reps_word(n_reps, lang)
        ax.set_title(tr("fig.tis_panel", lang, direction=who, n=n_reps, reps=reps, total=total_text))
        ax.grid(alpha=0.3)
        _legend_outside(ax)
    if not directions:
        axes[0, 0].set_axis_off()
    fig.suptitle(tr("fig.tis_title", lang, name=sc.name, n=n_reps, reps=_reps_word(n_reps, lang)))
    return in_language(fig, lang)


def _hour_of_day(table: pd.DataFrame) -> pd.Series:
    return (table["time_h"] % 24).astype(int)


def hourly_profile(result: Result, gate: str, lang: str = "en") -> Figure:
    """Arrivals and queues by hour of day at one gate (means over the days after the warm-up).

    Every series of a panel has its own colour (:data:`SERIES_COLOURS`). Arrivals are counted in
    the first replication kept in full; queues are means over every replication. Every text is
    in *lang*.
    """
    run = _sample_run(result)
    columns = run.truck_columns()  # two columns, not the whole truck table
    at = (columns["gate"] == gate) & (columns["arrival_min"] >= run.warmup_min)
    trucks = columns.loc[at, ["arrival_min", "direction"]]
    days = run.scenario.run.days - run.scenario.run.warmup_days
    fig, axes = subplots(1, 2, figsize=(14, 4.8), constrained_layout=True)
    ax = axes[0]
    colours = _palette()
    hour = (trucks["arrival_min"] % MIN_PER_DAY // 60).astype(int)
    for direction, g in hour.groupby(trucks["direction"], observed=True):
        counts = np.bincount(g, minlength=24) / days
        ax.step(
            np.arange(25),
            np.append(counts, counts[-1]),
            where="post",
            label=tr(direction, lang),
            color=next(colours),
        )
    ax.set_xlabel(tr("fig.hour_of_day", lang))
    ax.set_ylabel(tr("fig.arrivals_per_hour", lang))
    # The replication on a line of its own: the Vietnamese title is longer than the panel is wide.
    rep = _first_rep(result, lang).strip()
    ax.set_title(tr("fig.arrivals_title", lang) + (f"\n{rep}" if rep else ""))
    ax.set_xlim(0, 24)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    ax = axes[1]
    colours = _palette()
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["time_h"] >= run.warmup_min / 60)]
    by_hour = q.groupby([_hour_of_day(q), "place"])["queue_mean"].mean().unstack("place")
    for place in by_hour.columns:
        if by_hour[place].max() > 0.5:
            ax.plot(
                by_hour.index,
                by_hour[place],
                label=figure_place(result.scenario, gate, place, lang),
                color=next(colours),
            )
    ax.set_xlabel(tr("fig.hour_of_day", lang))
    ax.set_ylabel(tr("fig.waiting_or_yard", lang))
    ax.set_title(tr("fig.queues_by_hour", lang, note=_mean_note(result, lang)))
    ax.set_xlim(0, 23)
    ax.set_ylim(bottom=0)
    _legend_outside(ax)
    sc = result.scenario
    fig.suptitle(tr("fig.hourly_title", lang, name=sc.name, gate=gate_name(sc, gate, lang)))
    return in_language(fig, lang)


def queue_heatmap(result: Result, gate: str, place: str = "yard_export", lang: str = "en") -> Figure:
    """Hour x date heat map of one queue at one gate (hourly means), warm-up and events marked;
    every text in *lang*."""
    sc = result.scenario
    q = _queue_table(result)
    q = q[(q["gate"] == gate) & (q["place"] == place)]
    days = (q["time_h"] // 24).astype(int)
    grid = q.pivot_table(index=_hour_of_day(q), columns=days, values="queue_mean", dropna=False)
    grid = grid.reindex(index=range(24), columns=range(sc.run.days))
    to_date = _day_to_date(sc)
    fig, ax = subplots(figsize=(12, 4.5), constrained_layout=True)
    image = ax.imshow(
        grid.to_numpy(),
        aspect="auto",
        origin="lower",
        cmap="viridis",
        interpolation="nearest",
        extent=(to_date(0), to_date(sc.run.days), 0, 24),
    )
    what = figure_place(sc, gate, place, lang)
    fig.colorbar(image, ax=ax, label=f"{what} ({tr('unit.trucks', lang)})")
    warmup = tr("fig.warmup", lang)
    handles: list = []
    if sc.run.warmup_days:
        ax.axvspan(
            to_date(0),
            to_date(sc.run.warmup_days),
            facecolor="none",
            hatch="//",
            edgecolor="white",
            label=warmup,
        )
        # The hatch is white over the image; the legend's swatch shows it on the map's grey.
        handles.append(Patch(facecolor="0.45", edgecolor="white", hatch="//", label=warmup))
    _shade_events(ax, event_spans(sc, gate, lang), x=to_date, outline=True)
    _date_axis(ax, sc, lang)
    ax.set_yticks(range(0, 25, 4))
    ax.set_xlabel(tr("fig.date", lang))
    ax.set_ylabel(tr("fig.hour_of_day", lang))
    label = gate_name(sc, gate, lang)
    ax.set_title(
        tr("fig.heat_title", lang, name=sc.name, what=what, gate=label, note=_mean_note(result, lang))
    )
    ax.plot([], [], color="none", label=tr("fig.colour_hourly", lang))
    others = [(h, lab) for h, lab in zip(*ax.get_legend_handles_labels(), strict=True) if lab != warmup]
    _legend_outside(
        ax,
        handles=handles + [h for h, _ in others],
        labels=[h.get_label() for h in handles] + [lab for _, lab in others],
    )
    return in_language(fig, lang)


def utilisation_table(result: Result, gate: str) -> pd.DataFrame:
    """Lane utilisation by stage (rows) and hour of day 0-23 (columns); NaN where a stage is closed."""
    run = _sample_run(result)
    q = run.queues
    q = q[(q["gate"] == gate) & q["utilisation"].notna() & (q["time_h"] >= run.warmup_min / 60)]
    grid = q.groupby(["place", _hour_of_day(q)])["utilisation"].mean().unstack()
    stages = [s for s in stage_places(run.scenario, gate) if s in grid.index]
    return grid.reindex(index=stages, columns=range(24))


def utilisation(result: Result, gate: str, lang: str = "en") -> Figure:
    """Lane utilisation (busy time over open time) by stage and hour of day at one gate.

    All 24 hours are drawn; the hours a stage is closed are left blank. For an experiment, the
    first replication kept in full is drawn, and the title says so. Every text is in *lang*.
    """
    run = _sample_run(result)
    grid = utilisation_table(result, gate)
    cmap = plt.get_cmap("magma").with_extremes(bad="white")
    fig, ax = subplots(figsize=(13, 4), constrained_layout=True)
    image = ax.imshow(
        np.ma.masked_invalid(grid.to_numpy(dtype=float)),
        aspect="auto",
        cmap=cmap,
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0, 24, len(grid) - 0.5, -0.5),
    )
    # Wrapped: the Vietnamese label is longer than the figure is tall.
    cbar = fig.colorbar(image, ax=ax, label=textwrap.fill(tr("fig.util_colorbar", lang), 40))
    cbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    sc = run.scenario
    # A stage no truck came to (the paper-declaration counter when every truck declares online)
    # would read as an idle 0%: its row says so.
    idle = {st for st in grid.index if not (grid.loc[st] > 0).any()}
    names = [
        figure_place(sc, gate, st, lang) + (f" {tr('fig.no_truck', lang)}" if st in idle else "")
        for st in grid.index
    ]
    ax.set_yticks(range(len(grid)), names)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel(tr("fig.hour_of_day", lang))
    ax.set_ylabel(tr("fig.stage", lang))
    title = tr("fig.util_title", lang, name=sc.name, gate=gate_name(sc, gate, lang))
    ax.set_title(title + _first_rep(result, lang))
    ax.plot([], [], color="none", label=tr("fig.colour_days", lang))
    ax.fill_between([], [], color="white", ec="0.5", label=tr("fig.blank_closed", lang))
    _legend_outside(ax)
    return in_language(fig, lang)


def _scale(kpi: str) -> float:
    return 100.0 if is_share(kpi) else 1.0


def comparison(comp: Comparison, kpis: list[str] | None = None, lang: str = "en") -> Figure:
    """Paired differences against the first scenario, with 95% intervals, one panel per KPI.

    KPIs are named in words with their units; shares are in percentage points; every text is in
    *lang*.
    """
    d = comp.differences()
    sc = comp.experiments[0].scenario
    kpis = kpis or ["time_in_system_h_mean", "cleared_per_day_mean", "perishable_over_threshold_share"]
    fig, axes = plt.subplots(
        len(kpis),
        1,
        figsize=(10, 1.2 + 1.4 * len(kpis) * max(1, len(comp.names) - 1) / 2),
        constrained_layout=True,
        squeeze=False,
    )
    for ax, kpi in zip(axes[:, 0], kpis, strict=True):
        rows = d[d["kpi"] == kpi]
        k = _scale(kpi)
        y = np.arange(len(rows))
        mean = rows["diff_mean"] * k
        err = np.vstack([mean - rows["diff_ci_low"] * k, rows["diff_ci_high"] * k - mean])
        ax.errorbar(mean, y, xerr=err, fmt="o", capsize=4, label=tr("fig.mean_difference", lang))
        ax.axvline(0, color="k", lw=0.8, label=tr("fig.no_difference", lang))
        ax.set_yticks(y, rows["scenario"])
        name = kpi_label(kpi, sc, lang, unit=False)
        unit = tr("fig.points", lang) if is_share(kpi) else unit_of(kpi, lang)
        ax.set_xlabel(tr("fig.difference_axis", lang, base=comp.names[0], unit=unit))
        ax.set_ylabel(tr("fig.scenario", lang))
        base = rows["base_mean"].iloc[0] * k if len(rows) else np.nan
        base_unit = "%" if is_share(kpi) else f" {unit_of(kpi, lang)}" if unit else ""
        ax.set_title(tr("fig.base_title", lang, kpi=name, base=fmt_number(base, ",.4g", lang) + base_unit))
        _legend_outside(ax)
    n = comp.experiments[0].n
    fig.suptitle(tr("fig.comparison_title", lang, base=comp.names[0], n=n))
    return in_language(fig, lang)


def waiting_series(exp: Experiment, gate: str, direction: str) -> pd.DataFrame:
    """Trucks waiting at *gate* in *direction* (road, yard and, for exports, the park) each hour:
    mean over replications and a 95% band (NaN with one replication)."""
    places = [f"road_{direction}", f"yard_{direction}"] + (["park"] if direction == "export" else [])
    reps = [r.queues for r in exp.replications if r.queues is not None]
    if not reps:
        raise ValueError("this experiment kept no queue series (keep_series=False)")
    per_rep = np.stack(
        [
            q[(q["gate"] == gate) & q["place"].isin(places)].groupby("time_h")["queue_mean"].sum().to_numpy()
            for q in reps
        ]
    )
    times = reps[0][(reps[0]["gate"] == gate) & reps[0]["place"].isin(places)]["time_h"].unique()
    out = pd.DataFrame({"time_h": np.sort(times), "queue_mean": per_rep.mean(axis=0)})
    if len(reps) > 1:
        from sim.experiments.stats import t_half_width

        half = t_half_width(per_rep.std(axis=0, ddof=1), len(reps))
        out["ci_low"], out["ci_high"] = out["queue_mean"] - half, out["queue_mean"] + half
    else:
        out["ci_low"] = out["ci_high"] = np.nan
    return out


def comparison_spans(comp: Comparison, gate: str, lang: str = "en") -> list[tuple[type, str, float, float]]:
    """The events at *gate* of every scenario compared, each once, labelled with the scenarios
    that have it when not all do (see :func:`event_spans`)."""
    owners: dict[tuple[type, str, float, float], list[str]] = {}
    for exp in comp.experiments:
        for span in event_spans(exp.scenario, gate, lang):
            owners.setdefault(span, []).append(exp.scenario.name)
    out = []
    for (kind, label, a, b), names in owners.items():
        if len(names) < len(comp.experiments):
            label = f"{label} ({', '.join(names)})"
        out.append((kind, label, a, b))
    return out


def comparison_queues(comp: Comparison, gate: str, lang: str = "en") -> Figure:
    """Trucks waiting at one gate over the run's dates, export and import, one line per scenario
    compared; every event of every scenario and the warm-up shaded, events named in the legend;
    every text in *lang*."""
    sc = comp.experiments[0].scenario
    label = gate_name(sc, gate, lang)
    to_date = _day_to_date(sc)
    spans = comparison_spans(comp, gate, lang)
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, constrained_layout=True)
    for ax, direction in zip(axes, ("export", "import"), strict=True):
        colours = _palette()
        styles = itertools.cycle(SCENARIO_LINESTYLES)
        for exp in comp.experiments:
            series = waiting_series(exp, gate, direction)
            _line(ax, series, exp.scenario.name, to_date, color=next(colours), ls=next(styles))
        park = direction == "export" and sc.gates[gate].park
        # Imports wait for the Chinese checkpoint on the Chinese side before they reach the road:
        # the panel says it leaves them out (a closure there empties it while they pile up).
        where = tr("fig.road_yard_park" if park else f"fig.road_yard{'_vn' * (direction == 'import')}", lang)
        who = tr(direction, lang) if lang == "en" else tr(f"{direction}s", lang)
        ax.set_ylabel(tr("fig.trucks_waiting", lang))
        ax.set_title(tr("fig.waiting_title", lang, gate=label, direction=who, where=where))
        _shade_events(ax, spans, to_date)
        _shade_warmup(ax, sc, to_date, lang)
        ax.set_ylim(bottom=0)
        _date_axis(ax, sc, lang)
        _legend_outside(ax)
    axes[-1].set_xlabel(tr("fig.date", lang))
    n = comp.experiments[0].n
    note = tr("fig.band_of", lang, n=n) if n > 1 else tr("fig.one_run_each", lang)
    fig.suptitle(tr("fig.comparison_queues_title", lang, gate=label, note=note))
    return in_language(fig, lang)


SWEEP_DODGE_PT = 6.0
"""How far apart (points on the page) the lines of a sweep's combinations are set, so that
combinations with the same results show side by side."""


def _share_lever(key: str) -> bool:
    """Whether a dotted scenario key is a share (0-1), shown in % on an axis."""
    parts = key.split(".")
    return any(p == "share" or p.endswith("_share") for p in parts)


def sweep_curve(
    sw: Sweep, kpi: str = "time_in_system_h_mean", target: float | None = None, lang: str = "en"
) -> Figure:
    """A KPI against the first varied key, one line per combination of the others, 95% band.

    Axes are named in words with units, shares (of the KPI or of the lever) in %, ticks 0-100 as
    the label says, y from 0; the reported figure (or *target*) is drawn. Lines of several
    combinations are set :data:`SWEEP_DODGE_PT` apart so that equal ones both show. Every text
    is in *lang*.
    """
    table = sw.table()
    table = table[table["kpi"] == kpi]
    keys = list(sw.points[0])
    x_key, others = keys[0], keys[1:]
    sc = sw.base
    k = _scale(kpi)
    x_k = 100.0 if _share_lever(x_key) and pd.api.types.is_numeric_dtype(table[x_key]) else 1.0
    fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    groups = list(table.groupby(others, sort=False)) if others else [((), table)]
    colours = _palette()
    for i, (values, g) in enumerate(groups):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(
            f"{lever_label(sc, o, lang)} = {v if lang == 'en' else value_words(v, lang)}"
            for o, v in zip(others, values, strict=True)
        )
        # Lines of several combinations are set a few points apart, so equal ones do not hide.
        dodge = ScaledTranslation((i - (len(groups) - 1) / 2) * SWEEP_DODGE_PT / 72, 0, fig.dpi_scale_trans)
        colour = next(colours)
        xs = g[x_key] * x_k if x_k != 1 else g[x_key]
        (line,) = ax.plot(xs, g["mean"] * k, marker="o", label=label or tr("stat.mean", lang), color=colour)
        band = ax.fill_between(
            xs,
            g["ci_low"] * k,
            g["ci_high"] * k,
            color=colour,
            alpha=0.25,
            lw=0,
            label=tr("fig.band", lang) if i == 0 else "_nolegend_",
        )
        for artist in (line, band):  # moved on the page only; the axes are scaled to the data
            artist.set_transform(ax.transData + dodge)
    ref = reference(kpi, sc)
    if target is not None:
        target_text = tr("fig.target", lang, v=fmt_number(target * k, ",.4g", lang))
        ax.axhline(target * k, color="firebrick", ls="--", lw=1.2, label=target_text)
    elif ref is not None:
        low, high, text = ref
        if lang != "en":
            text = text.translate(str.maketrans({",": ".", ".": ","})).replace(
                " h ", f" {tr('unit.h', lang)} "
            )
        if low == high:  # a single figure: judged with its +-5% band, drawn with it
            reported = tr("fig.reported", lang, v=reference_shown(low, high, text, lang))
            ax.axhline(low * k, color="firebrick", ls="--", lw=1.2, label=reported)
            band = (low * (1 - REFERENCE_TOLERANCE) * k, high * (1 + REFERENCE_TOLERANCE) * k)
            ax.axhspan(*band, color="firebrick", alpha=0.08, lw=0)
        else:
            reported = tr("fig.reported", lang, v=text)
            ax.axhspan(low * k, high * k, color="firebrick", alpha=0.12, label=reported)
    if (table["ci_low"].fillna(table["mean"]) >= 0).all():
        ax.set_ylim(bottom=0)  # a count, a time or a share: from 0
    if k != 1:
        ax.set_ylim(top=min(100.0, max(ax.get_ylim()[1], 1.0)))  # per cent, at most 100%
    ax.set_xlabel(lever_label(sc, x_key, lang) + (" (%)" if x_k != 1 else ""))
    ax.set_xticks(sorted(table[x_key].unique() * x_k) if x_k != 1 else sorted(table[x_key].unique()))
    ax.set_ylabel(kpi_label(kpi, sc, lang))
    # Two glossary texts, one a line: no text of the glossary is cut by a line break.
    title = tr("fig.sweep_title", lang, name=sc.name, kpi=kpi_label(kpi, sc, lang, unit=False))
    against = tr("fig.sweep_against", lang, lever=lever_label(sc, x_key, lang), n=sw.experiments[0].n)
    ax.set_title(f"{title}\n{against}")
    _legend_outside(ax)
    ax.grid(alpha=0.3)
    return in_language(fig, lang)


def calibration(fit: Fit, lang: str = "en") -> Figure:
    """Simulated trucks cleared per day against the targets (and the observed days, if any);
    every text in *lang*."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    ax = axes[0]
    daily = fit.check.daily
    daily = daily[~daily["warmup"]]
    totals = daily.groupby(["replication", "date"])["cleared"].sum().to_numpy()
    bins = np.linspace(min(totals.min(), 0.6 * fit.targets["mean_per_day"]), totals.max() * 1.05, 40)
    ax.hist(totals, bins=bins, density=True, alpha=0.6, label=tr("fig.cal_simulated_n", lang, n=fit.check.n))
    if fit.observed is not None:
        ax.hist(
            fit.observed.daily_totals,
            bins=bins,
            density=True,
            histtype="step",
            lw=2,
            color="k",
            label=tr("fig.cal_observed", lang),
        )
    thr = fit.scenario.kpi.daily_peak_ref
    ax.axvline(
        fit.targets["mean_per_day"],
        color="k",
        ls="--",
        label=tr("fig.cal_target_mean", lang, v=fmt_number(fit.targets["mean_per_day"], ",.0f", lang)),
    )
    ax.axvline(
        thr,
        color="firebrick",
        ls=":",
        label=tr(
            "fig.cal_peak",
            lang,
            v=fmt_number(thr, ",.0f", lang),
            share=fmt_number(fit.targets["peak_share"], ".1%", lang),
        ),
    )
    ax.set_xlabel(tr("fig.cal_cleared_axis", lang))
    ax.set_ylabel(tr("fig.cal_density", lang))
    ax.set_title(tr("fig.cal_daily_title", lang))
    ax.legend(loc="upper left", fontsize="small")
    ax = axes[1]
    ax.plot(
        fit.cv_curve["day_to_day_cv"],
        fit.cv_curve["peak_share"],
        marker="o",
        label=tr("fig.cal_simulated", lang),
    )
    ax.axhline(fit.targets["peak_share"], color="firebrick", ls=":", label=tr("fig.cal_target_share", lang))
    cv = fit.scenario.demand.day_to_day_cv
    ax.axvline(cv, color="k", ls="--", label=tr("fig.cal_fitted", lang, v=fmt_number(cv, ".3f", lang)))
    ax.set_xlabel(tr("fig.cal_cv_axis", lang))
    ax.set_ylabel(tr("fig.cal_share_axis", lang, v=fmt_number(thr, ",.0f", lang)))
    ax.set_title(tr("fig.cal_surface_title", lang))
    ax.legend(loc="upper left", fontsize="small")
    fig.suptitle(tr("fig.cal_title", lang, name=fit.scenario.name))
    return in_language(fig, lang)


def run_figures(run: Result, lang: str = "en", only: Collection[str] | None = None) -> dict[str, Figure]:
    """The standard figures of a run or an experiment, keyed by file stem, every text in *lang*.

    *only* (stems, see :func:`figure_choice`) draws those alone; None draws every figure. A
    figure the run has nothing for (no replication kept its trucks for the hourly profile, no
    stage for utilisation) is left out whether asked for or not.
    """

    def wanted(stem: str) -> bool:
        return only is None or stem in only

    gates = list(run.scenario.gates)
    figs = {"overview": queues_overview(run, lang)} if wanted("overview") else {}
    figs.update({f"queues_{g}": queue_lengths(run, g, lang) for g in gates if wanted(f"queues_{g}")})
    if wanted("daily_cleared"):
        figs["daily_cleared"] = daily_cleared(run, lang)
    has_hist = isinstance(run, Run) or any(r.tis_hist is not None for r in run.replications) or run.runs
    if wanted("time_in_system") and has_hist:
        figs["time_in_system"] = time_in_system(run, lang)
    if isinstance(run, Run) or run.runs:
        for gate in gates:
            if wanted(f"hourly_{gate}"):
                figs[f"hourly_{gate}"] = hourly_profile(run, gate, lang)
            # no stage enabled: no utilisation to draw
            if wanted(f"utilisation_{gate}") and has_lanes(run.scenario.gates[gate]):
                figs[f"utilisation_{gate}"] = utilisation(run, gate, lang)
    for gate in gates:
        if wanted(f"heatmap_yard_export_{gate}"):
            figs[f"heatmap_yard_export_{gate}"] = queue_heatmap(run, gate, "yard_export", lang)
    return figs
