"""Writing a run's results folder so that only a finished write ever carries the folder's name.

Everything goes into a hidden sibling folder first and is renamed into place at the end; a run
interrupted half way leaves only that hidden ``.NAME.partial-*`` folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import yaml

from sim.plots import run_figures
from sim.results import Run


def package_version() -> str:
    try:
        return version("bordersim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a fresh folder to fill; on success it replaces *target*, on failure it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a results folder is for sharing
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def resolved_scenario_yaml(run: Run, notes: dict[str, Any] | None = None) -> str:
    """The scenario as run, as a file ``bordersim run`` takes again; seed and version on top."""
    info = {"bordersim_version": package_version(), "seed": run.seed, **(notes or {})}
    header = "".join(f"# {key}: {value}\n" for key, value in info.items())
    return header + yaml.safe_dump(run.scenario.to_dict(), sort_keys=False, allow_unicode=True)


def write_run(run: Run, outdir: str | Path, plots: bool = True) -> Path:
    """Write summary.csv, daily.csv, trucks.parquet, queues.parquet, scenario.yaml and plots."""
    with atomic_dir(outdir) as tmp:
        kpis = run.kpis()
        kpis.rename_axis("kpi").to_frame().to_csv(tmp / "summary.csv")
        run.daily.to_csv(tmp / "daily.csv", index=False)
        run.trucks.to_parquet(tmp / "trucks.parquet", index=False)
        run.queues.to_parquet(tmp / "queues.parquet", index=False)
        text = resolved_scenario_yaml(run, {"simulated_in_s": round(run.wall_s, 2)})
        (tmp / "scenario.yaml").write_text(text, encoding="utf-8")
        if plots:
            (tmp / "plots").mkdir()
            for stem, fig in run_figures(run).items():
                fig.savefig(tmp / "plots" / f"{stem}.png", dpi=110)
                plt.close(fig)
    return Path(outdir)


def read_summary(outdir: str | Path) -> pd.Series:
    """The KPIs a finished run folder holds."""
    return pd.read_csv(Path(outdir) / "summary.csv", index_col="kpi")["value"]
