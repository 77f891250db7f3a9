"""What an optimisation says and writes: the summary, the figure of cost against each target KPI,
and the results folder (options.csv, replications.csv, robustness.csv, optimise.txt, the chosen
scenario and the figures)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import yaml
from matplotlib.figure import Figure

from sim.experiments.optimise import (
    FEASIBLE,
    INFEASIBLE,
    Optimisation,
    Option,
    binding_phrase,
    no_effect_lines,
    paired_difference,
)
from sim.experiments.robustness import robustness_lines

UNITS = (
    ("_vnd_", "VND"),
    ("_share", "%"),
    ("_h_", "h"),
    ("_min_", "min"),
    ("_km_", "km"),
    ("_t_", "t"),
    ("per_day", "trucks a day"),
    ("trucks", "trucks"),
)
"""Units read from KPI names (units are in the names), first match wins."""

EXIT_NO_OPTION = 3
"""``bordersim optimise`` exit status when no option is shown to meet the targets."""


def kpi_unit(kpi: str) -> str:
    """The unit a KPI name carries: ``time_in_system_h_mean_export`` -> ``h``."""
    name = f"_{kpi}_"
    return next((unit for key, unit in UNITS if key in name), "")


def kpi_axis_label(kpi: str) -> str:
    """An axis label with the unit: ``time in system h mean export (h)``."""
    unit = kpi_unit(kpi)
    return kpi.replace("_", " ") + (f" ({unit})" if unit else "")


def _fmt(kpi: str, value: float) -> str:
    unit = kpi_unit(kpi)
    if value != value:
        return "n/a"
    if unit == "%":
        return f"{value:.1%}"
    if unit == "VND":
        return f"VND {value:,.0f}"
    if unit in ("trucks a day", "trucks", "t"):
        return f"{value:,.1f} {unit}"
    return f"{value:,.3g} {unit}".strip()


def cost_text(opt: Optimisation, cost: float) -> str:
    """``VND 1,200,000 a day`` with a costs file; ``3 units`` without."""
    return f"VND {cost:,.0f} a day" if opt.costs is not None else f"{cost:g} units"


def _target_lines(opt: Optimisation, o: Option, indent: str = "    ") -> list[str]:
    lines = []
    level = 1 - opt.alpha_per_test
    for t in opt.targets:
        status, low, high = o.by_target.get(t.kpi, ("undecided", np.nan, np.nan))
        side, bound = ("upper", high) if t.op == "<=" else ("lower", low)
        lines.append(
            f"{indent}{t.kpi} mean {_fmt(t.kpi, o.mean(t.kpi))}, one-sided {level:.2%} {side} bound "
            f"{_fmt(t.kpi, bound)} against {t.op} {_fmt(t.kpi, t.bound)}: {status} (n = {o.n})"
        )
    return lines


def summary_lines(opt: Optimisation) -> list[str]:
    """The optimisation in sentences: chosen option, runner-up and evidence, infeasible options,
    levers with no effect, robustness."""
    sc = opt.base
    total = sum(o.n for o in opt.options)
    lines = [
        f"optimise {sc.name}: {len(opt.options)} options of {', '.join(opt.levers)}; targets: "
        + "; ".join(map(str, opt.targets)),
        f"  procedure: sequential feasibility on common random numbers, {opt.n0} to {opt.max_n} replications "
        f"an option in {opt.looks} looks; each decision at one-sided {1 - opt.alpha_per_test:.3%} "
        f"(= {opt.confidence:.0%} with Bonferroni over the looks"
        + (" and over options x targets: a joint guarantee" if opt.joint else "")
        + f"); {total} replications run",
    ]
    if opt.costs is None:
        lines.append(
            "  costs: none given (--costs): every added unit of a lever costs the same (1 a lane, an "
            "officer, a place, an hour a day of opening, or a change of rule)"
        )
    else:
        lines.append(
            "  costs: VND a day against the scenario as given"
            + (", plus each option's mean waiting cost" if opt.costs.include_waiting_cost else "")
        )
    chosen = opt.chosen
    if chosen is None:
        lines.append("NO OPTION MEETS THE TARGETS: none was shown feasible.")
        best = opt.runner_up
        if best is not None:
            lines.append(f"  closest: {best.label} ({cost_text(opt, best.cost)})")
            lines += _target_lines(opt, best)
        undecided = [o for o in opt.options if o.status not in (FEASIBLE, INFEASIBLE)]
        if undecided:
            lines.append(
                f"  {len(undecided)} options stayed undecided at {opt.max_n} replications: more "
                "replications (-n) may settle them"
            )
    else:
        lines.append(f"chosen: {chosen.label}: {cost_text(opt, chosen.cost)}")
        lines += _target_lines(opt, chosen)
        w = chosen.mean("waiting_cost_vnd_per_day")
        lines.append(f"    waiting cost {_fmt('waiting_cost_vnd_per_day', w)} a day")
        lines += _runner_up_lines(opt, chosen)
    infeasible = [o for o in opt.options if o.status == INFEASIBLE]
    if infeasible:
        lines.append(f"shown not to meet the targets ({len(infeasible)} of {len(opt.options)} options):")
        for o in sorted(infeasible, key=lambda o: o.cost)[:8]:
            lines.append(f"  {o.label} ({cost_text(opt, o.cost)}, n = {o.n})")
        if len(infeasible) > 8:
            lines.append(f"  ... and {len(infeasible) - 8} more (options.csv)")
    exps = [opt.experiment(o) for o in opt.options if o.n]
    points = [o.point for o in opt.options if o.n]
    for t in opt.targets:
        lines += [f"why: {s}" for s in no_effect_lines(sc, points, exps, t.kpi)]
        if chosen is None and opt.runner_up is not None:
            lines.append(
                f"why: at the closest option, {binding_phrase(opt.experiment(opt.runner_up), t.kpi)}"
            )
    lines += robustness_lines(opt)
    return lines


def _runner_up_lines(opt: Optimisation, chosen: Option) -> list[str]:
    lines = []
    ru = opt.runner_up
    if ru is not None:
        kind = "next feasible" if ru.status == FEASIBLE else "closest to meeting the targets"
        lines.append(f"runner-up ({kind}): {ru.label}: {cost_text(opt, ru.cost)}")
        lines += _target_lines(opt, ru)
        more = ru.cost - chosen.cost
        dearer = f"costs {cost_text(opt, abs(more))} " + ("more" if more >= 0 else "less")
        lines.append(
            f"  what separates them: both meet the targets; the runner-up {dearer}"
            if ru.status == FEASIBLE
            else f"  what separates them: the runner-up {dearer} but is not shown to meet the targets"
        )
        for t in opt.targets:
            d, lo, hi = paired_difference(chosen, ru, t.kpi)
            lines.append(
                f"    {t.kpi}: runner-up minus chosen {d:+.3g} [{lo:+.3g}, {hi:+.3g}] "
                "(paired on common random numbers, 95%)"
            )
    cheaper = opt.nearest_cheaper
    if cheaper is not None and cheaper is not ru:
        lines.append(
            f"nearest cheaper option: {cheaper.label}: {cost_text(opt, cheaper.cost)}, {cheaper.status}"
        )
        lines += _target_lines(opt, cheaper)
    return lines


def cost_figure(opt: Optimisation, kpi: str) -> Figure:
    """Cost a day against the mean of target *kpi* for every option evaluated: feasible, infeasible
    and undecided marked, the interval at the test level, the target line and the chosen option.

    Shares are drawn in % (the axis says "(%)"). Every point is labelled with its lever values;
    points that would sit on each other (same cost, nearly the same KPI) are moved apart
    vertically by a few points on the page, so none hides another.
    """
    from matplotlib.transforms import ScaledTranslation

    from sim.experiments.costs import value_text

    target = next(t for t in opt.targets if t.kpi == kpi)
    fig, ax = plt.subplots(figsize=(10, 5), layout="constrained")
    scale, unit = (1e6, "million VND a day") if opt.costs is not None else (1.0, "added units of the levers")
    k = 100.0 if kpi_unit(kpi) == "%" else 1.0  # shares in %, as the axis label says
    styles = {
        FEASIBLE: {"marker": "o", "color": "tab:green"},
        INFEASIBLE: {"marker": "x", "color": "tab:red"},
        "undecided": {"marker": "s", "color": "tab:grey"},
    }
    shown = [o for o in opt.options if o.n and o.status in styles]
    means = np.array([o.mean(kpi) * k for o in shown] + [target.bound * k])
    log_x = bool(np.all(means > 0) and np.nanmax(means) > 20 * np.nanmin(means))
    # Points closer than 1% of the axis in x and of equal cost coincide: the k-th moves up k steps.
    xs = np.log10(means[:-1]) if log_x else means[:-1]
    span = float(np.nanmax(xs) - np.nanmin(xs)) if len(xs) and np.isfinite(xs).any() else 0.0
    step_pt = 9.0
    lift_pt: dict[int, float] = {}
    placed: list[tuple[float, float]] = []
    for o, x in zip(shown, xs, strict=True):
        near = [1 for px, py in placed if py == o.cost and abs(px - x) <= 0.01 * max(span, 1e-12)]
        lift_pt[o.index] = step_pt * len(near)
        placed.append((x, o.cost))
    for status, style in styles.items():
        sel = [o for o in shown if o.status == status]
        for j, o in enumerate(sel):
            x = o.mean(kpi) * k
            low, high = o.by_target[kpi][1] * k, o.by_target[kpi][2] * k
            err = np.array([[np.nan_to_num(x - low)], [np.nan_to_num(high - x)]])
            bars = ax.errorbar(
                [x],
                [o.cost / scale],
                xerr=err,
                linestyle="none",
                capsize=3,
                label=f"{status} ({len(sel)})" if j == 0 else "_nolegend_",
                **style,
            )
            shift = ScaledTranslation(0, lift_pt[o.index] / 72, fig.dpi_scale_trans)
            for artist in bars.get_children():
                artist.set_transform(ax.transData + shift)
            ax.annotate(
                ", ".join(value_text(v) for v in o.point.values()),
                (x, o.cost / scale),
                xytext=(6, 2 + lift_pt[o.index]),
                textcoords="offset points",
                fontsize=7,
            )
    bound = target.bound * k
    bound_text = f"{bound:g}%" if k != 1 else f"{bound:g}"
    ax.axvline(bound, color="black", linestyle="--", label=f"target {target.op} {bound_text}")
    if opt.chosen is not None:
        c = opt.chosen
        (star,) = ax.plot(
            c.mean(kpi) * k,
            c.cost / scale,
            marker="*",
            markersize=18,
            color="gold",
            mec="black",
            linestyle="none",
            label=textwrap.fill(f"chosen: {c.label}", 40),
        )
        star.set_transform(
            ax.transData + ScaledTranslation(0, lift_pt.get(c.index, 0) / 72, fig.dpi_scale_trans)
        )
    if shown:
        keys = ", ".join(".".join(key.split(".")[-3:]) for key in shown[0].point)
        ax.plot([], [], linestyle="none", label=textwrap.fill(f"point labels: {keys}", 40))
    if log_x:
        # An unstable option's wait would squeeze every other option into one column.
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_xlabel(kpi_axis_label(kpi) + (", log scale" if ax.get_xscale() == "log" else ""))
    ax.set_ylabel(f"cost ({unit})")
    ax.set_title(
        f"{opt.base.name}: cost against {kpi.replace('_', ' ')}\n"
        f"bars: lower and upper one-sided {1 - opt.alpha_per_test:.2%} bounds over replications"
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # outside: never over data
    return fig


def write_optimisation(
    opt: Optimisation, outdir: str | Path, plots: bool = True, force: bool = False
) -> Path:
    """Write options.csv, replications.csv, robustness.csv, optimise.txt, chosen.yaml (the chosen
    option's scenario), costs.yaml (the costs used) and a figure per target KPI."""
    from sim.presentation.output import atomic_dir, resolved_scenario_yaml

    with atomic_dir(outdir, force) as tmp:
        opt.table().to_csv(tmp / "options.csv", index=False)
        opt.replications().to_csv(tmp / "replications.csv", index=False)
        if opt.robustness is not None:
            opt.robustness.to_csv(tmp / "robustness.csv", index=False)
        (tmp / "optimise.txt").write_text("\n".join(summary_lines(opt)) + "\n", encoding="utf-8")
        if opt.chosen is not None:
            exp = opt.experiment(opt.chosen)
            text = resolved_scenario_yaml(exp, {"replications": exp.n, "chosen": opt.chosen.label})
            (tmp / "chosen.yaml").write_text(text, encoding="utf-8")
        costs = (
            opt.costs.model_dump(exclude_none=True)
            if opt.costs is not None
            else {"note": "no costs: every unit costs 1"}
        )
        (tmp / "costs.yaml").write_text(yaml.safe_dump(costs, sort_keys=False), encoding="utf-8")
        if plots:
            (tmp / "plots").mkdir()
            for t in opt.targets:
                fig = cost_figure(opt, t.kpi)
                fig.savefig(tmp / "plots" / f"optimise_{t.kpi}.png", dpi=110)
                plt.close(fig)
    return Path(outdir)
