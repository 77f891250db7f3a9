"""A work folder that keeps each finished replication, so an interrupted experiment can resume.

It sits beside the results folder as ``.NAME.work`` and holds ``meta.json`` (what the run was,
for people) and one ``rep-KKK-NNNNN.pkl`` per replication (scenario K, replication N), each
written under a temporary name and renamed, so a file that is there is whole. Each file records
what its replication was made with: the command, the scenario (as a hash of its resolved form),
the seed and the version of bordersim. A resumed run takes only the replications that match
its own on all four; the others are left out with a message and removed, never mixed in. The
folder is removed once the results are written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sim.experiments.experiment import Replication, Task
from sim.experiments.folders import package_version, sibling, writing_error
from sim.world.scenario import Scenario


def identity(command: str, scenario: Scenario, seed: int) -> dict[str, Any]:
    """What makes two replications of the same index interchangeable."""
    text = json.dumps(scenario.to_dict(), sort_keys=True)
    return {
        "command": command,
        "scenario": scenario.name,
        "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "seed": seed,
        "version": package_version(),
    }


@dataclass
class Resumed:
    """What :meth:`WorkFolder.start` found: the replications taken and how many it left out."""

    done: dict[Task, Replication] = field(default_factory=dict)
    ignored: int = 0
    discarded: int = 0


class WorkFolder:
    def __init__(self, outdir: str | Path) -> None:
        self.outdir = Path(os.path.abspath(outdir))
        self.path = sibling(self.outdir, ".work")

    def start(self, meta: dict[str, Any], identities: list[dict[str, Any]], resume: bool) -> Resumed:
        """Open the folder for a run whose scenario *k* has ``identities[k]``.

        With *resume*, return the replications already there that match; without, start empty
        (``discarded`` counts what an earlier run had kept).
        """
        self._identities = identities
        found = Resumed()
        if self.path.is_dir():
            if resume:
                found = self._take_matching()
            else:
                found.discarded = len(list(self.path.glob("rep-*.pkl")))
                shutil.rmtree(self.path, ignore_errors=True)
        elif self.path.exists() or self.path.is_symlink():
            self.path.unlink()  # not a folder: nothing of ours, only in the way
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._write(self.path / "meta.json", json.dumps({**meta, "identities": identities}).encode())
        except OSError as err:
            raise writing_error(err, self.outdir) from None
        return found

    def _take_matching(self) -> Resumed:
        found = Resumed()
        for f in sorted(self.path.iterdir()):
            if not (f.name.startswith("rep-") and f.name.endswith(".pkl")):
                if f.name != "meta.json":
                    _remove(f)  # a temporary file of a write that was cut short
                continue
            record = _read(f)
            if record is None:
                found.ignored += 1
                _remove(f)
                continue
            task = (int(record["task"][0]), int(record["task"][1]))
            k = task[0]
            if k < len(self._identities) and record["identity"] == self._identities[k]:
                found.done[task] = record["replication"]
            else:
                found.ignored += 1
                _remove(f)
        return found

    def load(self) -> dict[Task, Replication]:
        """Every replication of the folder that matches the run it was started for."""
        return self._take_matching().done

    def save(self, task: Task, rep: Replication) -> None:
        record = {"task": task, "identity": self._identities[task[0]], "replication": rep}
        try:
            # Streamed to the file: a kept run would otherwise sit in memory twice, once as bytes.
            self._write(
                self.path / f"rep-{task[0]:03d}-{task[1]:05d}.pkl", lambda fh: pickle.dump(record, fh)
            )
        except OSError as err:
            raise writing_error(err, self.outdir) from None

    def _write(self, path: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
        tmp = path.with_name(path.name + ".tmp")
        try:
            if isinstance(data, bytes):
                tmp.write_bytes(data)
            else:
                with tmp.open("wb") as fh:
                    data(fh)
            os.replace(tmp, path)
        except BaseException:
            _remove(tmp)
            raise

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _read(f: Path) -> dict[str, Any] | None:
    """A replication record, or None for a file that is not one (cut short, or of an old version)."""
    try:
        with f.open("rb") as fh:
            record = pickle.load(fh)
    except Exception:  # any unreadable file is left out alike
        return None
    if not isinstance(record, dict) or not {"task", "identity", "replication"} <= record.keys():
        return None
    if not isinstance(record["replication"], Replication):
        return None
    stem = f.name.removesuffix(".pkl").split("-")
    try:
        named = (int(stem[1]), int(stem[2]))
    except (IndexError, ValueError):
        return None
    return record if tuple(record["task"]) == named else None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
