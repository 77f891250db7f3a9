"""A work folder that keeps each finished replication, so an interrupted experiment can resume.

It sits beside the results folder as ``.NAME.work`` and holds ``meta.json`` (what the run was,
for people) and one ``rep-KKK-NNNNN.zip`` per replication (scenario K, replication N), each
written under a temporary name and renamed, so a file that is there is whole. Nothing on disk can
run code: a replication is stored as data only, its tables as Parquet and the rest as JSON in an
uncompressed zip, with a SHA-256 of its contents bound to what it was made with (never a pickle:
unpickling a planted file would run its code). Each file records the command, the scenario (as a
hash of its resolved form), the seed and the version of bordersim; a resumed run takes only the
replications that match its own on all four and whose checksum holds; the others are left out
with a message and removed, never mixed in. A replication kept in full (the first, whose trucks
are written) is not stored with its run: a resumed run simulates it again from its seed, which
gives the same numbers. The folder is removed once the results are written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from sim.experiments.folders import (
    SIBLING_MARKER,
    is_ours,
    mark_sibling,
    package_version,
    refuse_foreign,
    sibling,
    writing_error,
)
from sim.experiments.replications import Replication, Task
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
        if os.path.lexists(self.path) and not is_ours(self.path, self.outdir):
            refuse_foreign([self.path])
        if self.path.is_dir():
            if resume:
                found = self._take_matching()
            else:
                found.discarded = len(list(self.path.glob("rep-*.zip")))
                shutil.rmtree(self.path, ignore_errors=True)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            mark_sibling(self.path, self.outdir)
            self._write(self.path / "meta.json", json.dumps({**meta, "identities": identities}).encode())
        except OSError as err:
            raise writing_error(err, self.outdir) from None
        return found

    def _take_matching(self) -> Resumed:
        found = Resumed()
        for f in sorted(self.path.iterdir()):
            if not (f.name.startswith("rep-") and f.name.endswith(".zip")) or f.is_symlink():
                if f.name not in ("meta.json", SIBLING_MARKER):
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
                if record.get("had_run"):
                    _remove(f)  # kept in full: simulated again from its seed, the same numbers
                    continue
                found.done[task] = record["replication"]
            else:
                found.ignored += 1
                _remove(f)
        return found

    def load(self) -> dict[Task, Replication]:
        """Every replication of the folder that matches the run it was started for."""
        return self._take_matching().done

    def save(self, task: Task, rep: Replication) -> None:
        data = _pack(task, self._identities[task[0]], rep)
        try:
            self._write(self.path / f"rep-{task[0]:03d}-{task[1]:05d}.zip", data)
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


TABLES = ("daily", "queues", "bottlenecks", "monthly", "days", "tis_hist")
"""The replication's tables, each stored as Parquet."""
MAX_MEMBER_BYTES = 256 << 20
"""The most one stored table may take when read back: a larger member is not a kept replication."""


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _digest(identity: dict[str, Any], members: dict[str, bytes]) -> str:
    """SHA-256 of the identity and every member, in name order: the record's checksum."""
    h = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    for name in sorted(members):
        h.update(name.encode() + b"\0" + hashlib.sha256(members[name]).digest())
    return h.hexdigest()


def _pack(task: Task, identity: dict[str, Any], rep: Replication) -> bytes:
    """A replication as data only: its tables as Parquet, the rest as JSON, in one zip."""
    members = {"kpis.parquet": _parquet(rep.kpis.rename("value").rename_axis("kpi").reset_index())}
    for name in TABLES:
        table = getattr(rep, name)
        if table is not None:
            members[f"{name}.parquet"] = _parquet(table)
    head = {
        "task": list(task),
        "identity": identity,
        "index": rep.index,
        "wall_s": rep.wall_s,
        "seed": rep.seed,
        "had_run": rep.run is not None,
        "sha256": _digest(identity, members),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("record.json", json.dumps(head))
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _read(f: Path) -> dict[str, Any] | None:
    """A replication record, or None for a file that is not one (cut short, altered, of an old
    version, or not data this tool wrote): nothing in it is ever executed."""
    try:
        with zipfile.ZipFile(f) as z:
            infos = {i.filename: i for i in z.infolist()}
            if "record.json" not in infos or any(i.file_size > MAX_MEMBER_BYTES for i in infos.values()):
                return None
            head = json.loads(z.read("record.json"))
            members = {n: z.read(n) for n in infos if n != "record.json"}
        if not isinstance(head, dict) or head.get("sha256") != _digest(head.get("identity"), members):
            return None
        kpis = pd.read_parquet(io.BytesIO(members["kpis.parquet"])).set_index("kpi")["value"]
        tables = {
            name: pd.read_parquet(io.BytesIO(members[f"{name}.parquet"]))
            for name in TABLES
            if f"{name}.parquet" in members
        }
        wall = float(head["wall_s"])
        rep = Replication(
            index=int(head["index"]),
            kpis=kpis.astype(float).rename("value"),
            daily=tables.pop("daily"),
            wall_s=wall if math.isfinite(wall) else 0.0,
            seed=None if head["seed"] is None else int(head["seed"]),
            **tables,
        )
        task = (int(head["task"][0]), int(head["task"][1]))
    except Exception:  # any unreadable or unexpected file is left out alike
        return None
    stem = f.name.removesuffix(".zip").split("-")
    try:
        named = (int(stem[1]), int(stem[2]))
    except (IndexError, ValueError):
        return None
    if task != named or rep.index != task[1]:
        return None
    return {"task": task, "identity": head["identity"], "replication": rep, "had_run": bool(head["had_run"])}


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
