"""Writing a run's results folder so that only a finished write ever carries the folder's name.

Everything goes into a hidden sibling folder first and is renamed into place at the end; a run
interrupted half way leaves only that hidden ``.NAME.partial-*`` folder behind, and a write that
fails (a full disk, a read-only folder) removes it and says which path failed and why. A path
that is not a results folder of this tool is replaced only with ``force`` (see
:mod:`sim.experiments.folders`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.answer import answers_table, growth_findings, growth_judged
from sim.experiments.designs import Comparison, Sweep
from sim.experiments.experiment import Experiment
from sim.experiments.folders import (
    SIBLING_MARKER,
    check_replaceable,
    mark_sibling,
    package_version,
    write_marker,
    writing_error,
)
from sim.experiments.results import GIVE_BACK_MIN_TRUCKS, Run, frame_slices, give_back_free_memory
from sim.presentation.figure_files import save_png
from sim.presentation.figure_names import figure_choice
from sim.presentation.glossary import kpi_label, with_statements
from sim.presentation.report import sweep_kpis_note, write_report
from sim.world.scenario import Scenario
from sim.world.yaml_guard import guarded_dump

WORKBOOK = "results.xlsx"
"""The Excel workbook written beside the CSV files, for readers without Parquet."""


def per_gate_kpis(summary: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """The KPIs of each gate (those whose name holds the gate), one row per gate and KPI."""
    frames = []
    for gate, cfg in sc.gates.items():
        own = [k for k in summary.index if f"_{gate}_" in k or k.endswith(f"_{gate}")]
        part = summary.loc[own].reset_index()
        part.insert(0, "gate", cfg.label)
        part.insert(2, "label", [kpi_label(k, sc) for k in own])
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def as_data(table: pd.DataFrame) -> pd.DataFrame:
    """*table* with every text cell safe to open in a spreadsheet: a text that a spreadsheet would
    read as a formula (starting with ``=``, ``+``, ``-`` or ``@`` and not a number) gets a leading
    apostrophe, and characters a workbook cannot hold are dropped. Outputs are data, never code."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def safe(value: object) -> object:
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@"):
            try:
                float(value)
            except ValueError:
                return "'" + value
        return value

    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe)
    out.columns = [safe(c) for c in out.columns]
    return out


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """One sheet per table (names cut to Excel's 31 characters), dates as dates, every text as data
    (:func:`as_data`)."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, table in sheets.items():
            as_data(table).to_excel(xl, sheet_name=name[:31], index=False)


def _labelled(summary: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    out = summary.rename_axis("kpi").reset_index()
    out.insert(1, "label", [kpi_label(k, sc) for k in out["kpi"]])
    return out


@contextlib.contextmanager
def atomic_dir(target: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a fresh folder to fill; on success it replaces *target*, on failure it is removed.

    Raises :class:`~sim.experiments.folders.OutputRefusedError` when *target* is a file or a folder this tool
    did not write, unless *force*; :class:`~sim.experiments.folders.OutputWriteError` when writing fails.
    """
    target = Path(target)
    check_replaceable(target, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        mark_sibling(tmp, target)
    except OSError as err:
        raise writing_error(err, target) from None
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a results folder is for sharing
        yield tmp
        write_marker(tmp, target)  # the results marker, with the run key, replaces the sibling one
        (tmp / SIBLING_MARKER).unlink()
        _put_in_place(tmp, target)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise writing_error(err, target) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _put_in_place(tmp: Path, target: Path) -> None:
    if not target.exists() and not target.is_symlink():
        os.replace(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    mark_sibling(old, target)
    os.replace(target, old / target.name)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old / target.name, target)  # put the previous results back
        old.rmdir()
        raise
    shutil.rmtree(old, ignore_errors=True)


PARQUET_ROWS = 100_000
"""Rows converted and written at a time: pandas' to_parquet of a whole 365-day truck table
(165 MiB) took 640 MiB more at its peak; in slices it takes a few tens."""


def write_parquet_slices(slices: Iterator[pd.DataFrame], path: Path, long: bool) -> None:
    """Write the frames *slices* (at least one, each with the first's columns) one after another
    as one parquet table without an index, a slice converted at a time; when *long*, the slices'
    scratch memory, which pyarrow's pool and glibc's heap would keep, goes back to the system."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    head = next(slices, None)
    if head is None:
        raise ValueError(f"{path}: no slice to write")
    first = pa.Table.from_pandas(head, preserve_index=False)
    del head
    with pq.ParquetWriter(path, first.schema) as writer:
        writer.write_table(first)
        del first
        for frame in slices:
            writer.write_table(pa.Table.from_pandas(frame, schema=writer.schema, preserve_index=False))
    if long:
        give_back_free_memory()


def write_trucks_parquet(run: Run, path: Path, rows: int = PARQUET_ROWS) -> None:
    """Write *run*'s truck table as parquet, *rows* rows at a time, each slice made from the truck
    log as it is written (:meth:`Run.truck_slices`): the whole table is never held for it."""
    write_parquet_slices(run.truck_slices(rows), path, len(run.data.arrivals) >= GIVE_BACK_MIN_TRUCKS)


QUEUE_GIVE_BACK_ROWS = 300_000
"""Queue tables of at least this many rows (250 days of the baseline's 1,200 a day) give back the
memory writing them freed: converted whole, a year's left some 50 MiB held in one reading; a
shorter one's is not worth a full collection."""


def write_queues_parquet(queues: pd.DataFrame, path: Path, rows: int = PARQUET_ROWS) -> None:
    """Write a queue table as parquet, *rows* rows at a time: converted whole, a year's took about
    twice its size again for a while."""
    write_parquet_slices(frame_slices(queues, rows), path, len(queues) >= QUEUE_GIVE_BACK_ROWS)


def resolved_scenario_yaml(result: Run | Experiment, notes: dict[str, Any] | None = None) -> str:
    """The scenario as run, as a file ``bordersim run`` takes again; seed and version on top."""
    info = {"bordersim_version": package_version(), "seed": result.seed, **(notes or {})}
    header = "".join(f"# {key}: {value}\n" for key, value in info.items())
    return header + guarded_dump(result.scenario.to_dict())


Plots = bool | str | Collection[str]
"""Which figures a writer draws: True the default set (:data:`~sim.presentation.plots.DEFAULT_FIGURES`),
False none, a ``--plots`` text (``all``, ``queues,daily_cleared``) or the figure stems themselves."""


def figure_stems(plots: Plots, gates: Sequence[str]) -> frozenset[str]:
    """The stems *plots* asks for (see :data:`Plots`); ValueError for a name that is no figure."""
    if plots is True:
        return figure_choice("default", gates)
    if plots is False:
        return frozenset()
    return figure_choice(plots if isinstance(plots, str) else ",".join(plots) or "none", gates)


# The figure functions, imported from sim.presentation.plots on first use: matplotlib is loaded
# when a figure is drawn, not while the replications run (and held in memory beside them).


def _from_plots(name: str) -> Callable[..., Any]:
    """:mod:`sim.presentation.plots`'s function *name*, imported when first called."""

    def draw(*args: Any, **kwargs: Any) -> Any:
        from sim.presentation import plots

        return getattr(plots, name)(*args, **kwargs)

    draw.__name__ = draw.__qualname__ = name
    draw.__doc__ = f":func:`sim.presentation.plots.{name}`, imported on first use."
    return draw


run_figures = _from_plots("run_figures")
comparison = _from_plots("comparison")
comparison_queues = _from_plots("comparison_queues")
sweep_curve = _from_plots("sweep_curve")


def _save_figures(figs: dict[str, Any], folder: Path) -> None:
    if not figs:
        return
    import matplotlib.pyplot as plt

    folder.mkdir(exist_ok=True)
    for stem, fig in figs.items():
        save_png(fig, folder / f"{stem}.png")
        plt.close(fig)


def _run_figures(result: Run | Experiment, plots: Plots, folder: Path, lang: str) -> None:
    """Draw and save the figures *plots* asks for of a run or an experiment."""
    stems = figure_stems(plots, list(result.scenario.gates))
    if stems:
        _save_figures(run_figures(result, lang, only=stems), folder)


def write_experiment(
    exp: Experiment,
    outdir: str | Path,
    plots: Plots = True,
    report: bool = False,
    force: bool = False,
    lang: str = "en",
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write an experiment: summary.csv with 95% intervals, replications.csv (with the seed of
    each replication), daily.csv, monthly.csv (figures month by month, mean and interval),
    bottlenecks.csv (binding stage and whether each gate and direction is unstable),
    queues.parquet (mean and band over replications), trucks.parquet of the first replication,
    scenario.yaml, the same tables in results.xlsx, the figures *plots* asks for (see
    :data:`Plots`), and with *report* the report in
    *lang*."""
    with atomic_dir(outdir, force) as tmp:
        summary = exp.summary()
        summary.to_csv(tmp / "summary.csv")
        bottlenecks = with_statements(exp.bottlenecks(), exp.scenario)
        bottlenecks.to_csv(tmp / "bottlenecks.csv", index=False)
        reps = exp.kpis
        seeds = {r.index: exp.seed if r.seed is None else r.seed for r in exp.replications}
        reps.insert(0, "seed", reps.index.map(seeds))  # what each replication was drawn from
        reps.to_csv(tmp / "replications.csv")
        exp.daily.to_csv(tmp / "daily.csv", index=False)
        monthly = exp.monthly_summary()  # a year is not stationary: its figures month by month
        monthly.to_csv(tmp / "monthly.csv", index=False)
        answer = answers_table(exp.answers())  # the answer about the event, per episode
        answer.to_csv(tmp / "answer.csv", index=False)
        growth = pd.DataFrame(growth_findings(exp), columns=["gate", "direction", "where", "grows_in", "n"])
        growth.to_csv(tmp / "growth.csv", index=False)
        write_queues_parquet(exp.queue_summary(), tmp / "queues.parquet")
        if exp.runs:
            write_trucks_parquet(exp.runs[0], tmp / "trucks.parquet")
        sheets = {
            "summary": _labelled(summary, exp.scenario),
            "daily": exp.daily,
            "per_gate": per_gate_kpis(summary, exp.scenario),
            "bottlenecks": bottlenecks,
            "monthly": monthly,
            "answer": answer,
        }
        _write_extra(tmp, extra, sheets)
        write_workbook(tmp / WORKBOOK, sheets)
        wall = sum(r.wall_s for r in exp.replications)
        notes: dict[str, Any] = {"replications": exp.n, "simulated_in_s": round(wall, 2)}
        if exp.window is not None:
            notes["window"] = f"{exp.window[0]}..{exp.window[1]}"
        notes["growth_judged"] = growth_judged(exp)  # a window too short for the growth rule
        (tmp / "scenario.yaml").write_text(resolved_scenario_yaml(exp, notes), encoding="utf-8")
        _run_figures(exp, plots, tmp / "plots", lang)
        if report:
            write_report(tmp, lang)
    return Path(outdir)


def _write_extra(
    tmp: Path, extra: Mapping[str, pd.DataFrame] | None, sheets: dict[str, pd.DataFrame]
) -> None:
    """Tables a command adds to its folder (e.g. ``ensemble.csv``), as CSV files and workbook sheets."""
    for name, table in (extra or {}).items():
        table.to_csv(tmp / f"{name}.csv", index=False)
        sheets[name[:31]] = table


def _unit(kpi: str) -> str:
    """The unit a KPI's value is in (shares as fractions)."""
    from sim.presentation.glossary import is_share, unit_of

    return "fraction (x 100 = %)" if is_share(kpi) else unit_of(kpi)


def _difference_unit(kpi: str) -> str:
    """The unit a paired difference of *kpi* is in: a share's in fractions (x100 = points)."""
    from sim.presentation.glossary import is_share, unit_of

    return "fraction (x 100 = percentage points)" if is_share(kpi) else unit_of(kpi)


def write_comparison(
    comp: Comparison,
    outdir: str | Path,
    plots: bool = True,
    report: bool = False,
    force: bool = False,
    lang: str = "en",
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write differences.csv (paired, against the first scenario, each with its verdict, margin
    and the replications an undecided one would need), summaries.csv,
    bottlenecks.csv (per scenario), results.xlsx, the scenarios, figures of the differences and
    of every scenario's queues over time, and with *report* the report in *lang*."""
    with atomic_dir(outdir, force) as tmp:
        differences = comp.differences()
        differences.to_csv(tmp / "differences.csv", index=False)
        summaries = pd.concat(
            [e.summary().reset_index().assign(scenario=e.scenario.name) for e in comp.experiments],
            ignore_index=True,
        )
        summaries.to_csv(tmp / "summaries.csv", index=False)
        bottlenecks = pd.concat(
            [
                with_statements(e.bottlenecks(), e.scenario).assign(scenario=e.scenario.name)
                for e in comp.experiments
            ],
            ignore_index=True,
        )
        bottlenecks.to_csv(tmp / "bottlenecks.csv", index=False)
        # Each option's answer about the same episodes (Comparison.answer_reference), over the same days.
        answer = pd.concat(
            [
                answers_table(a).assign(scenario=e.scenario.name)
                for e, a in zip(comp.experiments, comp.answers(), strict=True)
            ],
            ignore_index=True,
        )
        answer.to_csv(tmp / "answer.csv", index=False)
        labelled = differences.copy()  # the workbook's sheet says what each row is and its unit
        base_sc = comp.experiments[0].scenario
        labelled.insert(2, "label", [kpi_label(k, base_sc) for k in labelled["kpi"]])
        labelled.insert(3, "unit", [_difference_unit(k) for k in labelled["kpi"]])
        sheets = {
            "differences": labelled,
            "summaries": summaries,
            "bottlenecks": bottlenecks,
            "answer": answer,
        }
        _write_extra(tmp, extra, sheets)
        write_workbook(tmp / WORKBOOK, sheets)
        (tmp / "scenarios").mkdir()
        for i, e in enumerate(comp.experiments):
            text = resolved_scenario_yaml(e, {"replications": e.n})
            (tmp / "scenarios" / f"{i}_{e.scenario.name}.yaml").write_text(text, encoding="utf-8")
        if plots:
            figs = {"comparison": comparison(comp, lang=lang)}
            if all(r.queues is not None for e in comp.experiments for r in e.replications):
                for gate in comp.experiments[0].scenario.gates:
                    figs[f"comparison_queues_{gate}"] = comparison_queues(comp, gate, lang)
            _save_figures(figs, tmp / "plots")
        if report:
            write_report(tmp, lang)
    return Path(outdir)


def write_sweep(
    sw: Sweep,
    outdir: str | Path,
    kpis: list[str],
    plots: bool = True,
    force: bool = False,
    report: bool = False,
    lang: str = "en",
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write sweep.csv (one row per point and KPI, labelled by its values), effects.csv (each
    later point against the first, paired, with its verdict), bottlenecks.csv per point,
    results.xlsx, a capacity curve per KPI asked for, and with *report* the report."""
    with atomic_dir(outdir, force) as tmp:
        table = sw.table()
        table.to_csv(tmp / "sweep.csv", index=False)
        effects = sw.effects()
        effects.to_csv(tmp / "effects.csv", index=False)
        bottlenecks = pd.concat(
            [
                with_statements(e.bottlenecks(), e.scenario).assign(point=p, label=label)
                for p, (e, label) in enumerate(zip(sw.experiments, sw.labels, strict=True))
            ],
            ignore_index=True,
        )
        bottlenecks.to_csv(tmp / "bottlenecks.csv", index=False)
        labelled = table.copy()  # the workbook's sheet names each KPI and its unit
        labelled.insert(
            labelled.columns.get_loc("kpi") + 1, "kpi_label", [kpi_label(k, sw.base) for k in table["kpi"]]
        )
        labelled.insert(labelled.columns.get_loc("kpi_label") + 1, "unit", [_unit(k) for k in table["kpi"]])
        sheets = {"sweep": labelled, "effects": effects, "bottlenecks": bottlenecks}
        _write_extra(tmp, extra, sheets)
        write_workbook(tmp / WORKBOOK, sheets)
        notes = {"varied": json.dumps(sw.points), **sweep_kpis_note(kpis)}
        text = resolved_scenario_yaml(sw.experiments[0], notes)
        (tmp / "scenario.yaml").write_text(text, encoding="utf-8")
        if plots:
            _save_figures({f"sweep_{k}": sweep_curve(sw, k, lang=lang) for k in kpis}, tmp / "plots")
        if report:
            write_report(tmp, lang)
    return Path(outdir)


def write_run(
    run: Run, outdir: str | Path, plots: Plots = True, force: bool = False, lang: str = "en"
) -> Path:
    """Write summary.csv, daily.csv, monthly.csv, bottlenecks.csv, trucks.parquet, queues.parquet,
    scenario.yaml, results.xlsx and the figures *plots* asks for (their texts in *lang*)."""
    with atomic_dir(outdir, force) as tmp:
        kpis = run.kpis()
        kpis.rename_axis("kpi").to_frame().to_csv(tmp / "summary.csv")
        bottlenecks = with_statements(run.bottlenecks(), run.scenario)
        bottlenecks.to_csv(tmp / "bottlenecks.csv", index=False)
        summary = kpis.rename("mean").rename_axis("kpi").to_frame()
        sheets = {
            "summary": _labelled(summary, run.scenario),
            "daily": run.daily,
            "per_gate": per_gate_kpis(summary, run.scenario),
            "bottlenecks": bottlenecks,
            "monthly": run.monthly(),
        }
        write_workbook(tmp / WORKBOOK, sheets)
        sheets["monthly"].to_csv(tmp / "monthly.csv", index=False)
        run.daily.to_csv(tmp / "daily.csv", index=False)
        write_trucks_parquet(run, tmp / "trucks.parquet")
        write_queues_parquet(run.queues, tmp / "queues.parquet")
        text = resolved_scenario_yaml(run, {"simulated_in_s": round(run.wall_s, 2)})
        (tmp / "scenario.yaml").write_text(text, encoding="utf-8")
        _run_figures(run, plots, tmp / "plots", lang)
    return Path(outdir)
