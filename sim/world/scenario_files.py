"""Scenario files: YAML read with guards, ``extends:`` chains, ``--set KEY=VALUE`` changes, and the
JSON Schema of a scenario file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from sim.world.scenario import Scenario, changes_set, deep_merge, set_dotted, validate_scenario
from sim.world.schema.gates import Gate, Route
from sim.world.schema.names import MAX_FILE_BYTES, ScenarioError
from sim.world.schema.problems import brief, unknown_name
from sim.world.yaml_guard import MAX_DEPTH, guarded_load


def parse_yaml(text: str, source: str, key: str = "") -> Any:
    """*text* read as YAML with the guards of this module; ScenarioError naming *source* if not."""
    try:
        return guarded_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ScenarioError(source, [(key, f"not valid YAML{where}: {problem}")]) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before
        raise ScenarioError(source, [(key, f"nested more than {MAX_DEPTH} levels deep")]) from None


def read_yaml_file(path: Path, source: str, what: str = "scenario") -> dict[str, Any]:
    """A YAML file of mappings read through every guard of a scenario file: a regular file (no FIFO,
    device or folder) of at most :data:`MAX_FILE_BYTES`, strict UTF-8, and :func:`parse_yaml`.

    Every YAML file the tool reads (scenarios, costs, targets, ranges, validation cases, the
    files of a results folder) comes through here, so each meets the same guards; *what* names
    the kind of file in the message.
    """
    raw = read_guarded_bytes(path, source, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ScenarioError(
            source,
            [("", f"not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}; save it as UTF-8")],
            what=what,
        ) from None
    try:
        data = parse_yaml(text, source)
    except ScenarioError as err:
        raise ScenarioError(source, err.problems, what=what) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [("", f"must be a mapping of keys, got {type(data).__name__}")], what=what
        )
    return data


def read_guarded_bytes(
    path: Path, source: str, what: str = "scenario", limit_bytes: int = MAX_FILE_BYTES
) -> bytes:
    """The bytes of *path* if it is a regular file of at most *limit_bytes*: a FIFO would block
    forever, a device such as /dev/zero never ends, a folder is no file. Checked on the opened
    file (``O_NONBLOCK``, so a FIFO does not block the open) so nothing is swapped in between."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise ScenarioError(source, [("", f"cannot read the file: {err.strerror}")], what=what) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(info.st_mode)
                else "a FIFO"
                if stat.S_ISFIFO(info.st_mode)
                else "a device or other special file"
            )
            raise ScenarioError(source, [("", f"not a regular file ({kind})")], what=what)
        if info.st_size > limit_bytes:
            limit = f"{what} files of at most {limit_bytes:,} bytes are read"
            raise ScenarioError(source, [("", f"{info.st_size:,} bytes; {limit}")], what=what)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limit_bytes + 1)
    except OSError as err:
        raise ScenarioError(source, [("", f"cannot read the file: {err.strerror}")], what=what) from None
    finally:
        os.close(fd)
    if len(raw) > limit_bytes:
        raise ScenarioError(
            source, [("", f"more than {limit_bytes:,} bytes; files of at most that are read")], what=what
        )
    return raw


MAX_EXTENDS = 32
"""The most files a chain of ``extends`` may hold (the shipped scenarios use at most a few)."""
MAX_NAME_CHARS = 1024
"""The longest file name ``extends`` may give (a file system allows 255 bytes a part, 4096 a path)."""


class _ChainTooDeepError(ScenarioError):
    """A chain of ``extends`` longer than :data:`MAX_EXTENDS`: said once, not once per file."""


Notes = list[tuple[str, str]]
"""(key, note) pairs about a file's extends chain (see :func:`_dropped_events`)."""


def _resolve(path: Path, chain: tuple[Path, ...], notes: Notes | None = None) -> dict[str, Any]:
    source = str(path)
    if path.resolve() in chain:
        raise ScenarioError(source, [("extends", "circular: the file extends itself")])
    if len(chain) >= MAX_EXTENDS:
        files = [str(p) for p in (*chain, path)]
        shown = ", ".join(files[:3]) + ", ..., " + ", ".join(files[-3:])
        raise _ChainTooDeepError(
            files[0],
            [("extends", f"the chain of extends is deeper than {MAX_EXTENDS} files: {shown}")],
        )
    data = read_yaml_file(path, source)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(source, [("extends", f"must be a file name, got {brief(parent)}")])
    if len(parent) > MAX_NAME_CHARS or any(len(part.encode()) > 255 for part in Path(parent).parts):
        raise ScenarioError(
            source,
            [
                (
                    "extends",
                    f"the file name is {len(parent):,} characters long ({brief(parent)}); too long a name",
                )
            ],
        )
    parent_path = path.parent / parent
    try:
        found, exists = parent_path.is_file(), parent_path.exists()
    except OSError as err:
        raise ScenarioError(source, [("extends", f"{err.strerror}: {brief(str(parent_path))}")]) from None
    if not found:
        what = "not a file" if exists else "no such file"
        hint = _near_files(parent_path, Path(parent), path)
        raise ScenarioError(source, [("extends", f"{what}: {brief(str(parent_path))}{hint}")])
    try:
        base = _resolve(parent_path, (*chain, path.resolve()), notes)
    except _ChainTooDeepError:
        raise
    except ScenarioError as err:
        raise ScenarioError(err.source, err.problems, (*err.via, source)) from None
    unknown = _unknown_names(base, data)
    if unknown:
        raise ScenarioError(source, unknown)
    merged = deep_merge(base, data)
    if notes is not None and not chain:  # what the file asked for, against all it extends
        notes += _dropped_events(base, data, parent)
    # A file is named after itself unless it says otherwise: an inherited name would give a
    # variant its base's results folder and labels.
    if "name" not in data:
        merged.pop("name", None)
    changes_set(merged, data)
    return merged


def _near_files(target: Path, written: Path, referring: Path) -> str:
    """'; did you mean 'baseline.yaml'?' for scenario files beside *target* whose names are close
    to its name (a misspelt ``extends:``), written as the ``extends:`` would name them (*written*'s
    folder kept), the referring file itself left out; or nothing."""
    import difflib

    try:
        names = sorted(
            p.name for p in target.parent.glob("*.y*ml") if p.is_file() and p.resolve() != referring.resolve()
        )
    except OSError:
        return ""
    near = difflib.get_close_matches(target.name, names, n=2, cutoff=0.6)
    shown = [str(written.parent / n) if written.parent != Path(".") else n for n in near]
    return f"; did you mean {', '.join(repr(n) for n in shown)}?" if shown else ""


def _dropped_events(base: Mapping[str, Any], data: Mapping[str, Any], parent: str) -> Notes:
    """A note when *data*'s ``events:`` leaves out events of its *base* (the whole chain it extends,
    resolved): a list is taken whole, so a what-if that lists its own events loses the base's (a
    harvest peak with a closure added would lose the peak) unless it lists them again. Events
    are compared as validated (so times written otherwise are the same times): one listed again
    with the same kind, name, start and end (its other fields changed or not) is kept; two alike
    in the base need two. Lists that do not validate are left to the scenario's own check."""
    import collections

    from pydantic import TypeAdapter, ValidationError

    from sim.world.event_diff import event_line
    from sim.world.schema.events import Event

    mine, theirs = data.get("events"), base.get("events")
    if not isinstance(mine, list) or not isinstance(theirs, list) or not theirs:
        return []
    try:
        mine, theirs = (TypeAdapter(list[Event]).validate_python(x) for x in (mine, theirs))
    except ValidationError:
        return []
    kept = collections.Counter((ev.kind, ev.name, ev.start, ev.end) for ev in mine)
    dropped = []
    for ev in theirs:
        key = (ev.kind, ev.name, ev.start, ev.end)
        if kept[key] > 0:
            kept[key] -= 1
        else:
            dropped.append(ev)
    if not dropped:
        return []
    listed = "; ".join(event_line(ev) for ev in dropped[:5]) + ("; ..." if len(dropped) > 5 else "")
    return [
        (
            "events",
            f"this file's events replace the {len(theirs)} event{'s' if len(theirs) > 1 else ''} of "
            f"{parent} (a list is taken whole, not added to), leaving out {len(dropped)}: {listed}; "
            "list them in the file too to keep them",
        )
    ]


def _required(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items() if f.is_required()]


def _unknown_names(base: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Gates and routes an extending file names that its base lacks, unless given whole.

    A misspelt gate (``huunghi``) would otherwise become a new gate with every key missing.
    """
    problems: list[tuple[str, str]] = []
    base_gates, gates = base.get("gates"), data.get("gates")
    if not isinstance(base_gates, Mapping) or not isinstance(gates, Mapping):
        return problems
    for g, gate in gates.items():
        if not isinstance(gate, Mapping):
            continue
        if g not in base_gates:
            missing = [k for k in _required(Gate) if k not in gate]
            if missing:
                problems.append((f"gates.{g}", unknown_name("gate", g, base_gates)))
            continue
        base_routes, routes = base_gates[g].get("routes"), gate.get("routes")
        if isinstance(base_routes, Mapping) and isinstance(routes, Mapping):
            for r, route in routes.items():
                new = r not in base_routes and isinstance(route, Mapping)
                if new and any(k not in route for k in _required(Route)):
                    problems.append((f"gates.{g}.routes.{r}", unknown_name("route", r, base_routes)))
    return problems


def parse_value(raw: str, source: str, key: str = "") -> Any:
    """A command-line value read as YAML (5, 0.3, true, null, 23:00 as text); text if not YAML."""
    if not raw.strip():
        return ""
    try:
        return parse_yaml(raw, source, key)
    except ScenarioError as err:
        if any("values once its aliases" in m or "levels deep" in m for _, m in err.problems):
            raise
        return raw


def parse_assignment(text: str, source: str = "--set") -> tuple[str, Any]:
    """Split ``key.path=value``; the value is read as YAML (so 5, 0.3, true, null work)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(source, [(brief(text), "expected key.path=value")])
    return key.strip(), parse_value(raw, f"{source} {brief(text)}", key.strip())


def load_scenario(path: str | Path, changes: Mapping[str, Any] | None = None) -> Scenario:
    """Read a scenario YAML file, follow its ``extends:`` chain, apply *changes*, and validate."""
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, [("", "no such file")])
    notes: Notes = []
    data = _resolve(path, (), notes)
    data.setdefault("name", path.stem)
    for key, value in (changes or {}).items():
        set_dotted(data, key, value, source)
    events_set = changes_set(data, changes or {})
    sc = validate_scenario(data, source)
    if not events_set:
        sc._inherited = notes  # a --set of the events says what they are: no note on the file's
    return sc


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors and for the curious."""
    return Scenario.model_json_schema(by_alias=True)
