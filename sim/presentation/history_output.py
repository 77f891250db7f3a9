"""What history matching found, for people: a short Markdown summary and a figure of the kept space."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.studies.history import HistoryMatch


def _table(df: pd.DataFrame) -> str:
    """A Markdown table of *df* (numbers to 4 significant digits)."""

    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.4g}"
        return str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def summary_markdown(hm: HistoryMatch, scenario: str, ensemble_sets: int) -> str:
    """The summary: budget, CPU time, kept share per wave, targets used and out of reach, what
    each target rules out, each factor's kept range and the emulator check."""
    b = hm.budget()
    lines = [
        f"# History matching: {scenario}",
        "",
        f"Budget: waves of {', '.join(map(str, b['runs_per_wave']))} design points "
        f"and {b['check_points']} check points, {b['replications']} replications each"
        + (f" (and {b['repeated_points']} points run twice for the noise)" if b["repeated_points"] else "")
        + ", "
        f"{b['days']} days a run: {b['simulations']} simulations ({b['simulated_days']} simulated days). "
        f"CPU time {hm.cpu_s / 60:.1f} min (wall {hm.wall_s / 60:.1f} min).",
        "",
        f"A candidate is ruled out when a target's implausibility exceeds {hm.cutoff:g} "
        f"({len(hm.candidates):,} candidates).",
        "",
        "## Kept share per wave",
        "",
        _table(hm.nroy_table()),
        "",
        "## Targets",
        "",
        f"Used in the cut: {', '.join(hm.used) or 'none'}.",
        "",
    ]
    for t, info in hm.unreachable.items():
        a = next(x for x in hm.aims if x.name == t)
        lines.append(
            f"- out of reach: no parameter set in the ranges reaches {t} (closest: emulated value "
            f"{info['closest']:.4g} against band [{a.low:g}, {a.high:g}]); left out of the cut"
        )
    lines += [f"- {f}" for f in hm.findings if not f.startswith("no parameter set")]
    if hm.empty:
        lines.append("- NROY is empty: no ensemble is written")
    else:
        lines.append(f"- ensemble: {ensemble_sets} kept parameter sets written")
    shown = hm.by_target.copy()
    shown["ruled_out_share"] = shown["ruled_out_share"].map(lambda v: f"{v:.0%}")
    lines += [
        "",
        "Share of the whole space each target alone rules out, and the closest emulated value:",
        "",
        _table(shown),
        "",
        "## Kept range of each factor (5th-95th percentile of the kept candidates)",
        "",
    ]
    if hm.empty:
        lines.append("Nothing is kept.")
    else:
        lines.append(_table(hm.kept_ranges()))
    lines += ["", "## Emulator check on fresh runs of the kept space", ""]
    summ = hm.check_summary()
    if len(summ):
        lines += [
            "Standardised error (simulated - emulated) / sqrt(emulator variance + replication variance):",
            "",
            _table(summ),
            "",
            *[f"- {line}" for line in hm.check_verdict()],
        ]
    else:
        lines.append("No check runs.")
    return "\n".join(lines) + "\n"


def figure(hm: HistoryMatch) -> Any:
    """Per factor, the full range against the kept candidates (histograms over the unit range),
    and the kept candidates over the two most constrained factors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(hm.factors)
    cols = 4
    rows = (k + cols - 1) // cols + 1
    fig = plt.figure(figsize=(3.2 * cols, 2.4 * rows))
    nroy = hm.nroy
    bins = np.linspace(0, 1, 21)
    for j, name in enumerate(hm.factors):
        ax = fig.add_subplot(rows, cols, j + 1)
        ax.hist(hm.candidates[:, j], bins=bins, color="0.85", label="full range", density=True)
        if len(nroy):
            ax.hist(nroy[:, j], bins=bins, color="tab:blue", alpha=0.7, label="kept", density=True)
        lo, hi = hm.natural(np.array([np.zeros(k), np.ones(k)]))[:, j]
        ax.set_title(name, fontsize=8)
        ax.set_xticks([0, 1], [f"{lo:.3g}", f"{hi:.3g}"], fontsize=7)
        ax.set_yticks([])
        if j == 0:
            ax.legend(fontsize=6)
    ax = fig.add_subplot(rows, 2, 2 * rows - 1)
    if len(nroy) and k >= 2:
        width = np.quantile(nroy, 0.95, axis=0) - np.quantile(nroy, 0.05, axis=0)
        a, b = np.argsort(width)[:2]
        ax.scatter(nroy[:, a], nroy[:, b], s=2, alpha=0.4)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel(f"{hm.factors[a]} (unit range)", fontsize=8)
        ax.set_ylabel(f"{hm.factors[b]} (unit range)", fontsize=8)
        ax.set_title("kept candidates, two most constrained factors", fontsize=8)
    else:
        ax.axis("off")
    ax = fig.add_subplot(rows, 2, 2 * rows)
    table = hm.nroy_table()
    ax.plot(table["wave"], table["kept_share"], marker="o")
    ax.set_xlabel("wave", fontsize=8)
    ax.set_ylabel("kept share", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_xticks(table["wave"])
    fig.tight_layout()
    return fig
