"""Results folders: the marker that identifies them, the check before one replaces a path, and the
lock that keeps two runs off the same folder.

Every results folder holds a small ``.bordersim-results`` file. A path is replaced only when it
does not exist, is an empty folder, or is a results folder (marked, or one written before the
marker existed, holding only files this tool writes); anything else needs ``force``. A run holds an
exclusive lock on ``.NAME.lock`` beside its output for as long as it works on it, so a second run
on the same output stops at once instead of deleting the first one's files.

Light on imports: the command line checks its output before it loads the simulator.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

MARKER = ".bordersim-results"
"""The file inside every results folder that says this tool wrote it."""

_RESULT_NAMES = {
    "summary.csv",
    "replications.csv",
    "daily.csv",
    "bottlenecks.csv",
    "monthly.csv",
    "queues.parquet",
    "trucks.parquet",
    "scenario.yaml",
    "plots",
    "report.html",
    "report.vi.html",
    "results.xlsx",
    "options.csv",
    "robustness.csv",
    "optimise.txt",
    "chosen.yaml",
    "costs.yaml",
    "differences.csv",
    "answer.csv",
    "growth.csv",
    "effects.csv",
    "decision.json",
    "summaries.csv",
    "scenarios",
    "sweep.csv",
    "scenario_table.csv",
    "scenario_table.md",
    "scenario_table.png",
    "validation.csv",
    "validation.md",
    "fitted.csv",
    "targets_vs_simulated.csv",
    "cv_response.csv",
    "calibrated.yaml",
    "calibration.png",
}
"""Everything a results folder written before the marker existed may hold."""


class RunInterruptedError(Exception):
    """Raised when replications stop early; carries those that finished (task -> replication).

    It lives here, beside the other reasons a command writes no results folder, so the command
    line can catch it without importing the running machinery.
    """

    def __init__(self, done: dict[Any, Any], reason: str, kept: bool = True) -> None:
        self.done = done
        self.reason = reason
        self.kept = kept
        """Whether the finished replications were saved for ``--resume`` (those of an ensemble's
        parameter sets are not)."""
        super().__init__(reason)


class OutputRefusedError(Exception):
    """The output path holds something that is not a results folder of this tool."""


class OutputBusyError(Exception):
    """Another run is working on the same output."""


class OutputWriteError(OSError):
    """Writing the output failed (full disk, read-only folder ...); names the path and the reason."""


def package_version() -> str:
    try:
        return version("bordersim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def write_marker(folder: Path, target: str | Path | None = None) -> None:
    """Mark *folder* as a results folder of this tool (to become *target*: its run key is kept)."""
    info = {
        "tool": "bordersim",
        **({"output_key": output_key(target)} if target is not None else {}),
        "version": package_version(),
        "written_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (folder / MARKER).write_text(json.dumps(info) + "\n", encoding="utf-8")


def is_results_folder(path: Path) -> bool:
    """True for a folder this tool wrote: marked, or holding only files a results folder holds."""
    marker = path / MARKER
    if marker.is_file():
        try:
            return json.loads(marker.read_text(encoding="utf-8")).get("tool") == "bordersim"
        except (OSError, ValueError, AttributeError):
            return False
    names = {p.name for p in path.iterdir()}
    return bool(names) and names <= _RESULT_NAMES and bool(names & {"scenario.yaml", "summary.csv"})


def check_replaceable(target: str | Path, force: bool = False) -> None:
    """Raise :class:`OutputRefusedError` unless writing a results folder at *target* loses nothing
    the user made; *force* allows replacing any file or folder, but never one holding the current
    folder."""
    target = Path(os.path.abspath(target))
    here = Path.cwd().resolve()
    if not target.name or target.resolve() == here or target.resolve() in here.parents:
        raise OutputRefusedError(
            f"{target}: a results folder cannot replace a folder that holds the current one"
        )
    hint = "choose another -o, or add --force to replace it"
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        if not force:
            raise OutputRefusedError(f"{target} is an existing file, not a results folder; {hint}")
        return
    if target.is_dir() and not force and any(target.iterdir()) and not is_results_folder(target):
        raise OutputRefusedError(
            f"{target} is a folder that bordersim did not write (its files would be deleted); {hint}"
        )


def sibling(target: Path, suffix: str) -> Path:
    """A hidden path beside *target*: ``.NAME<suffix>``."""
    return target.parent / f".{target.name}{suffix}"


SIBLING_MARKER = ".bordersim-sibling"
"""The file inside a hidden ``.NAME.work``, ``.NAME.partial-*`` or ``.NAME.old-*`` folder that says
this tool made it for the output NAME (with :func:`output_key`); only such folders are removed."""


def output_key(target: str | Path) -> str:
    """The run key of an output: a hash of its absolute path, kept in the hidden files beside it."""
    return hashlib.sha256(os.path.abspath(target).encode()).hexdigest()[:32]


def sibling_mark(target: str | Path) -> str:
    """The text of the marker (and of the lock) that says a hidden file belongs to *target*."""
    return json.dumps({"tool": "bordersim", "output_key": output_key(target)})


def mark_sibling(folder: Path, target: str | Path) -> None:
    """Mark the hidden *folder* as made by this tool for *target*."""
    (folder / SIBLING_MARKER).write_text(sibling_mark(target) + "\n", encoding="utf-8")


def _holds_mark(text: str, target: Path) -> bool:
    try:
        data = json.loads(text.splitlines()[0]) if text.strip() else None
    except ValueError:
        return False
    return (
        isinstance(data, dict)
        and data.get("tool") == "bordersim"
        and data.get("output_key") == output_key(target)
    )


def is_ours(path: Path, target: Path) -> bool:
    """True when the hidden *path* beside *target* was made by this tool for *target*: a folder
    holding the marker (or empty: a write killed before it marked it), a lock holding the mark."""
    try:
        if path.is_symlink():
            return False
        if path.is_dir():
            if not any(path.iterdir()):
                return True
            return any(
                m.is_file()
                and not m.is_symlink()
                and _holds_mark(m.read_text("utf-8", "replace")[:1000], target)
                for m in (path / SIBLING_MARKER, path / MARKER)
            )
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as f:
                return _holds_mark(f.read(1000), target)
    except OSError:
        return False
    return False


def foreign_siblings(target: Path) -> list[Path]:
    """The hidden paths beside *target* this tool would remove or reuse (``.NAME.work``,
    ``.NAME.partial-*``, ``.NAME.old-*``) that it did not make for *target*."""
    parent = target.parent
    if not parent.is_dir():
        return []
    found = [sibling(target, ".work")] if os.path.lexists(sibling(target, ".work")) else []
    found += sorted(parent.glob(f".{glob_escape(target.name)}.partial-*"))
    found += sorted(parent.glob(f".{glob_escape(target.name)}.old-*"))
    return [p for p in found if not is_ours(p, target)]


def glob_escape(name: str) -> str:
    """*name* with the characters glob reads as patterns escaped."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def refuse_foreign(paths: list[Path]) -> None:
    """Refuse to go on while hidden paths beside the output are not this tool's: they are named
    and left alone (only files marked with this output's key are ever removed)."""
    if paths:
        shown = ", ".join(str(p) for p in paths[:5]) + (
            f" and {len(paths) - 5} more" if len(paths) > 5 else ""
        )
        raise OutputRefusedError(
            f"{shown}: beside the output but not made by bordersim for it (no marker with this output's "
            "key), so they are left alone; move or remove them, or choose another -o"
        )


def clear_leftovers(target: Path) -> None:
    """Remove what a killed write left beside *target*; only call it while holding the lock.

    A write killed between moving the old folder aside and putting the new one in place leaves
    the old one under ``.NAME.old-*``: it is put back rather than deleted.
    """
    refuse_foreign(foreign_siblings(target))
    for old in sorted(target.parent.glob(f".{glob_escape(target.name)}.old-*")):
        inside = old / target.name
        if not target.exists() and not target.is_symlink() and (inside.exists() or inside.is_symlink()):
            os.replace(inside, target)
        shutil.rmtree(old, ignore_errors=True)
    for partial in target.parent.glob(f".{glob_escape(target.name)}.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)


def writing_error(err: OSError, target: Path) -> OutputWriteError:
    """*err* as an error naming the path that failed and, when that is not *target*, the output."""
    where = err.filename or target
    reason = err.strerror or str(err) or errno.errorcode.get(err.errno or 0, "error")
    if err.errno in (errno.EEXIST, errno.ENOTDIR):  # mkdir under a file: "File exists" or "Not a directory"
        path = Path(str(where))
        in_the_way = next((p for p in (path, *path.parents) if p.is_file()), None)
        if in_the_way is not None:
            where, reason = in_the_way, "it is a file, not a folder"
    text = f"cannot write {where}: {reason}"
    if Path(str(where)) != target:
        text += f" (writing {target})"
    out = OutputWriteError(err.errno, text)
    out.filename = str(where)
    return out


class OutputLock:
    """An exclusive ``flock`` on ``.NAME.lock`` beside *target*, released when the process ends,
    however it ends."""

    def __init__(self, target: str | Path) -> None:
        self.target = Path(os.path.abspath(target))
        self.path = sibling(self.target, ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # not a POSIX system: no lock, as before
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise writing_error(err, self.target) from None
        while True:
            if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
                # Never follow a link: its target would be overwritten with our pid.
                raise OutputRefusedError(
                    f"{self.path} is a link or not a plain file, so it is not a lock of this tool; "
                    "remove it or choose another -o"
                )
            nofollow = getattr(os, "O_NOFOLLOW", 0)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | nofollow, 0o644)
                made = True
            except FileExistsError:
                made = False
                try:
                    fd = os.open(self.path, os.O_RDWR | nofollow)
                except FileNotFoundError:
                    continue  # its holder removed it just now: try again
                except OSError as err:
                    raise writing_error(err, self.target) from None
            except OSError as err:
                raise writing_error(err, self.target) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                said = os.read(fd, 400).decode(errors="replace").splitlines()
                holder = next((ln.strip() for ln in said if ln.startswith("pid")), "another process")
                os.close(fd)
                raise OutputBusyError(
                    f"{self.target} is in use by another bordersim run ({holder}); wait for it to "
                    "finish or choose another -o"
                ) from None
            except OSError:  # a file system without locks (some network mounts): go on unlocked
                os.close(fd)
                return
            # The holder before us may have removed the file between our open and our lock.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same and not made and not is_ours(self.path, self.target):
                os.close(fd)
                raise OutputRefusedError(
                    f"{self.path}: beside the output but not a lock bordersim made for it (no marker with "
                    "this output's key), so it is left alone; move or remove it, or choose another -o"
                )
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        since = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        os.write(fd, f"{sibling_mark(self.target)}\npid {os.getpid()}, since {since}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def results_owner(target: str | Path) -> str | None:
    """The scenario ``name`` whose results a results folder holds (from its scenario.yaml), or None."""
    path = Path(target) / "scenario.yaml"
    try:
        if not path.is_file() or path.stat().st_size > 1 << 20:
            return None
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("name:"):
                    return line.removeprefix("name:").strip().strip("'\"") or None
    except OSError:
        return None
    return None


def check_owner(target: str | Path, name: str | None, force: bool = False) -> None:
    """Refuse to replace another scenario's results (a different ``name`` in its scenario.yaml)
    unless *force*: ``-o results/fruit`` with another scenario would silently lose the fruit results."""
    if name is None or force:
        return
    owner = results_owner(target)
    if owner is not None and owner != name and is_results_folder(Path(target)):
        raise OutputRefusedError(
            f"{target} holds the results of scenario {owner!r}, not {name!r}; choose another -o, or "
            "add --force to replace them"
        )


@contextlib.contextmanager
def claimed(target: str | Path, force: bool = False, name: str | None = None) -> Iterator[Path]:
    """Check *target* may be replaced (and, with *name*, that it holds no other scenario's
    results), lock it, and clear what a killed run left beside it."""
    target = Path(target)
    check_replaceable(target, force)
    check_owner(target, name, force)
    with OutputLock(target):
        check_replaceable(target, force)  # again: another run may have written it meanwhile
        check_owner(target, name, force)
        clear_leftovers(Path(os.path.abspath(target)))
        yield target
