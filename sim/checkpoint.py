"""A work folder that keeps each finished replication, so an interrupted experiment can resume.

It sits beside the results folder as ``.NAME.work`` and holds ``meta.json`` (the scenarios and
seed it belongs to) and one ``rep-KKK-NNNNN.pkl`` per replication (scenario K, replication N),
each written under a temporary name and renamed, so a file that is there is whole. It is
removed once the results are written.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from sim.experiment import Replication, Task


class WorkFolderMismatchError(Exception):
    """The work folder belongs to another scenario or seed."""


class WorkFolder:
    def __init__(self, outdir: str | Path) -> None:
        outdir = Path(outdir)
        self.path = outdir.parent / f".{outdir.name}.work"

    def start(self, meta: dict[str, Any], resume: bool) -> dict[Task, Replication]:
        """Open the folder; with *resume*, return the replications it already holds."""
        meta_file = self.path / "meta.json"
        if resume and meta_file.exists():
            if json.loads(meta_file.read_text()) != json.loads(json.dumps(meta)):
                raise WorkFolderMismatchError(
                    f"{self.path} holds replications of another scenario or seed; "
                    "run without --resume to start again"
                )
            return self.load()
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self._write(meta_file, json.dumps(meta).encode())
        return {}

    def load(self) -> dict[Task, Replication]:
        reps = {}
        for f in sorted(self.path.glob("rep-*.pkl")):
            _, k, i = f.stem.split("-")
            with f.open("rb") as fh:
                reps[(int(k), int(i))] = pickle.load(fh)
        return reps

    def save(self, task: Task, rep: Replication) -> None:
        self._write(self.path / f"rep-{task[0]:03d}-{task[1]:05d}.pkl", pickle.dumps(rep))

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
