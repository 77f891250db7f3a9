"""The command line's shared options: one definition (name, type, bounds, help) per option.

Every subcommand adds ``--seed``, ``--jobs``, ``-n``, ``--confidence``, ``--window`` and the rest
through the functions here, so a value is parsed and bounded the same way wherever it is given
(``optimise --seed -1`` is refused in the words ``run --seed -1`` is) and a later split of the
command line into modules reuses the same definitions.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from sim.presentation.figure_names import DEFAULT_FIGURES, FIGURE_FAMILIES

MIN_REPLICATIONS = 10
"""The fewest replications --precision starts from."""
DEFAULT_PRECISION = 0.05
"""The half-width --precision asks for when neither -n nor --precision is given."""
MAX_SEED = 2**63 - 1
"""The largest seed: NumPy takes any non-negative integer; a 64-bit one stays readable in files."""
MAX_REPLICATIONS_ARG = 100_000
"""The most replications any option may ask for (a bound, so ``-n 10**30`` is refused at once)."""
MAX_JOBS_ARG = 100_000
"""The largest --jobs accepted at all; it is then capped at the machine's cores (see the command line)."""
CONFIDENCE_RANGE = (0.5, 1.0)
"""--confidence lies strictly between these."""
MAX_POINTS = 1000
"""The most points a sweep's or optimise's grid may have unless --max-points raises it: each point
is a scenario replicated several times, and 40 x 40 x 40 values would never finish."""
MAX_POINTS_ARG = 1_000_000
"""The most --max-points may raise the grid bound to."""

ArgType = Callable[[str], Any]
"""An argparse ``type=``: text in, the parsed value out, ``ArgumentTypeError`` when refused."""


def whole_number(low: int, high: int | None = None) -> ArgType:
    """An argparse type: a whole number from *low* to *high* (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:,}, got {value:,}")
        return value

    return parse


def number_between(low: float, high: float, what: str) -> ArgType:
    """An argparse type: a finite number strictly between *low* and *high*; *what* says what it is."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text[:40]!r}") from None
        if not (math.isfinite(value) and low < value < high):  # nan and inf fail too
            raise argparse.ArgumentTypeError(f"must be {what} between {low:g} and {high:g}, got {text[:40]}")
        return value

    return parse


fraction = number_between(0, 1, "a fraction of the mean")
"""An argparse type: a fraction of a mean strictly between 0 and 1 (--precision)."""
confidence = number_between(*CONFIDENCE_RANGE, "a confidence level")
"""An argparse type: a confidence level strictly between 0.5 and 1."""


def add_seed(p: argparse.ArgumentParser, help_text: str = "random seed, 0 or more (default 0)") -> None:
    """``--seed``: a whole number from 0, default 0."""
    p.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0, help=help_text)


def add_jobs(p: argparse.ArgumentParser) -> None:
    """``--jobs``: worker processes, 1 or more (capped at the cores when the command starts)."""
    p.add_argument(
        "--jobs",
        type=whole_number(1, MAX_JOBS_ARG),
        default=None,
        help="worker processes, 1 or more (default: all cores)",
    )


def add_dask(p: argparse.ArgumentParser) -> None:
    """``--dask ADDRESS``: run on a Dask scheduler."""
    p.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask scheduler, or 'local' for a local cluster"
    )


def add_replications(
    p: argparse.ArgumentParser, default: int | None, low: int = 1, help_text: str | None = None
) -> None:
    """``-n/--replications``: a whole number from *low*."""
    p.add_argument(
        "-n",
        "--replications",
        type=whole_number(low, MAX_REPLICATIONS_ARG),
        default=default,
        help=help_text or f"replications, {low} or more (default {default})",
    )


def add_max_replications(p: argparse.ArgumentParser, default: int, help_text: str) -> None:
    """``--max-replications``: a whole number from 2."""
    p.add_argument(
        "--max-replications", type=whole_number(2, MAX_REPLICATIONS_ARG), default=default, help=help_text
    )


def add_precision(p: argparse.ArgumentParser) -> None:
    """``--precision`` (a fraction of the mean) and ``--precision-kpi``."""
    p.add_argument(
        "--precision",
        type=fraction,
        default=None,
        help="add replications until the KPI's 95%% half-width is within this fraction of its "
        f"mean (default {DEFAULT_PRECISION:g} when -n is not given)",
    )
    p.add_argument(
        "--precision-kpi",
        action="append",
        default=None,
        metavar="KPI",
        help="a KPI --precision is about, besides the scenario's headline KPI; repeatable, "
        "every one must meet it (shares to 1 point at 5%%, means below 1 to precision x 1 unit)",
    )


def add_confidence(p: argparse.ArgumentParser) -> None:
    """``--confidence``: strictly between 0.5 and 1, default 0.95."""
    p.add_argument(
        "--confidence",
        type=confidence,
        default=0.95,
        help="confidence of each decision, between 0.5 and 1 (default 0.95)",
    )


def add_robust_n(p: argparse.ArgumentParser) -> None:
    """``--robust-n``: replications a robustness setting, 2 or more."""
    p.add_argument(
        "--robust-n",
        type=whole_number(2, MAX_REPLICATIONS_ARG),
        help="replications a robustness setting, 2 or more (default: -n)",
    )


def add_window(p: argparse.ArgumentParser) -> None:
    """``--window FIRST..LAST``: dates checked against every scenario the command builds."""
    p.add_argument(
        "--window",
        metavar="FIRST..LAST",
        help="KPIs over these dates, both included (e.g. 2025-10-01..2025-10-31); default: after the warm-up",
    )


def add_set(p: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` (repeatable)."""
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a key, e.g. --set gates.huu_nghi.customs_docs.lanes=6 (repeatable)",
    )


def add_vary(p: argparse.ArgumentParser) -> None:
    """``--vary KEY=V1,V2,...`` (repeatable)."""
    p.add_argument("--vary", action="append", metavar="KEY=V1,V2,...", help="values of a key (repeatable)")


def add_lever(p: argparse.ArgumentParser) -> None:
    """``--lever KEY=V1,V2,...`` (repeatable, required)."""
    p.add_argument(
        "--lever",
        action="append",
        required=True,
        metavar="KEY=V1,V2,...",
        help="values to try for a key, e.g. gates.huu_nghi.customs_docs.lanes=6,8 (repeatable)",
    )


def add_target(p: argparse.ArgumentParser) -> None:
    """``--target "KPI <= VALUE"`` (repeatable, required)."""
    p.add_argument(
        "--target",
        action="append",
        required=True,
        metavar='"KPI <= VALUE"',
        help='a bound on a KPI\'s mean, e.g. "time_in_system_h_mean_export <= 4" (repeatable)',
    )


def add_max_points(p: argparse.ArgumentParser) -> None:
    """``--max-points``: the grid bound, 1 or more."""
    p.add_argument(
        "--max-points",
        type=whole_number(1, MAX_POINTS_ARG),
        default=MAX_POINTS,
        help=f"the most points the grid may have (default {MAX_POINTS:,}); counted before any runs",
    )


def add_plots(p: argparse.ArgumentParser) -> None:
    """``--plots all|none|default|LIST``: which figures a run draws (checked against the run's gates
    before anything is simulated)."""
    p.add_argument(
        "--plots",
        metavar="default|all|none|LIST",
        default=None,
        help=f"which figures to draw: default ({', '.join(DEFAULT_FIGURES)}; the overview is the road, "
        "yard and park of every gate), all, none, or a comma-separated list of families "
        f"({', '.join(FIGURE_FAMILIES)}) and single figures (queues_huu_nghi)",
    )


def add_quiet(p: argparse.ArgumentParser) -> None:
    """``-q/--quiet``."""
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
