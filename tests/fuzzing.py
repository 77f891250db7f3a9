"""A seeded generator of bad input for ``bordersim``, and a runner that judges what it does.

Mutants are made from ``scenarios/baseline.yaml`` and the textbook scenario of ``conftest``:
values replaced (booleans, infinities, NaN, huge, tiny, negative, wrong types, clock times,
dates at the ends of the calendar), keys deleted, misspelt or duplicated, and the text itself
damaged (cut, bytes that are not UTF-8, deep nesting, alias bombs, a very large file). Command
lines are mutated too (numbers out of range, unknown KPIs, unreachable Dask addresses).

Each case runs the command's ``main`` in a worker process (``python tests/fuzzing.py``) under
an address-space limit (``RLIMIT_AS``) and a per-case alarm. An outcome is

- ``ok``: exit 0 and a sane result (``check`` printed a valid scenario; ``run`` wrote a
  summary with a finite number of trucks cleared per day);
- ``clean``: exit 2 and a message that names the file (or the option) and a key;
- ``traceback``, ``hang``, ``memory`` or ``unclear`` (exit 2 without naming file and key, or any
  other exit status): each a failure.

Used by ``tests/test_fuzz.py`` on a small budget and by ``benchmarks/fuzz_inputs.py`` at length.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MEMORY_LIMIT_BYTES = 3 * 1024**3
"""The address space a worker may use: 3 GiB (imports alone take about 1 GiB of it)."""
CASE_TIMEOUT_S = 60
"""A case taking longer than this counts as a hang (a 2-day run takes a few seconds)."""
OUTCOMES = ("ok", "clean", "traceback", "hang", "memory", "unclear")
FAILURES = ("traceback", "hang", "memory", "unclear")

_VALUES: list[Any] = [
    True,
    False,
    None,
    float("inf"),
    float("-inf"),
    float("nan"),
    -1,
    0,
    1e-9,
    1e9,
    10**30,
    "",
    "x",
    "23:00",
    "24:30",
    "2025-02-30",
    "9999-12-31",
    "0001-01-01",
    [],
    [1, 2],
    {},
    {"a": 1},
    {"dist": "fixed", "value": 1e300},
    {"dist": "lognormal", "mean": 5, "cv": 1e200},
    "../escape",
    "a/b",
    3.5,
    129,
]
"""Replacement values: each has made some tool fall over somewhere."""


@dataclass
class Case:
    """One input: files to write (name -> bytes) and the command line ({dir} is their folder)."""

    name: str
    files: dict[str, bytes]
    argv: list[str]
    runs: bool = False


@dataclass
class Outcome:
    """What a case did: its class, exit status and the end of what it printed."""

    case: str
    outcome: str
    status: int | None
    said: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def _textbook() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import TEXTBOOK

    return copy.deepcopy(TEXTBOOK)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path[:-1]:
        data = data[p]
    return data


def _mutate_data(rng: random.Random, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    data = copy.deepcopy(data)
    paths = _paths(data)
    path = rng.choice(paths)
    parent, last = _parent(data, path), path[-1]
    op = rng.choice(["value", "value", "value", "delete", "rename", "gates"])
    label = ".".join(map(str, path))
    if op == "value":
        parent[last] = copy.deepcopy(rng.choice(_VALUES))
    elif op == "delete" and isinstance(parent, dict):
        del parent[last]
    elif op == "rename" and isinstance(parent, dict):
        parent[str(last)[:-1] + "x"] = parent.pop(last)
    else:
        op = "gates"
        gates = data["gates"]
        first = next(iter(gates.values()))
        count = rng.choice([0, 33, 129])
        label = f"{count} gates"
        data["gates"] = {f"g{i}": copy.deepcopy(first) for i in range(count)}
    return f"{op} {label}", data


def _text_mutants(rng: random.Random, text: str) -> tuple[str, bytes]:
    op = rng.choice(["cut", "bytes", "deep", "bomb", "duplicate", "tabs", "large", "clock", "tz"])
    raw = text.encode()
    if op == "cut":
        return op, raw[: rng.randrange(len(raw))]
    if op == "bytes":
        at = rng.randrange(len(raw))
        return op, raw[:at] + bytes([rng.randrange(128, 256)]) + raw[at:]
    if op == "deep":
        depth = rng.choice([50, 500, 5000])
        return op, raw + b"\nextra: " + b"[" * depth + b"]" * depth + b"\n"
    if op == "bomb":
        lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
        return op, raw + ("\n" + "\n".join(lines) + "\n").encode()
    if op == "duplicate":
        lines = text.splitlines()
        top = [i for i, line in enumerate(lines) if line and not line[0].isspace() and ":" in line]
        i = rng.choice(top)
        return op, (text + "\n" + lines[i].split(":")[0] + ": null\n").encode()
    if op == "tabs":
        return op, text.replace("  ", "\t", 3).encode()
    if op == "large":
        return op, raw + b"\n#" + b"x" * (2 * 1024 * 1024) + b"\n"
    if op == "clock":
        return op, text.replace("'", "").encode()  # unquoted clock times: 06:00 etc.
    return op, (
        text + "\nevents:\n  - {kind: closure, start: 2025-10-01 00:00:00+07:00, end: 2025-10-02}\n"
    ).encode()


_BAD_ARGS: list[list[str]] = [
    ["--jobs", "-1"],
    ["--jobs", "0"],
    ["--seed", "-1"],
    ["--precision", "0"],
    ["--precision", "nan"],
    ["--precision", "2"],
    ["--precision", "-0.1"],
    ["--max-replications", "0"],
    ["-n", "0"],
    ["-n", "x"],
    ["--precision-kpi", "fruit_p95"],
    ["--window", "2030-01-01..2030-01-02"],
    ["--window", "nonsense"],
    ["--set", "gates.huunghi.customs_docs.lanes=3"],
    ["--set", "gates.huu_nghi.customs_docs.lanes=true"],
    ["--set", "run.days=1e9"],
    ["--set", "run.sample_interval_min=0.000001"],
    ["--set", "gates.huu_nghi.hours.close=23:00"],
    ["--set", "name="],
    ["--set", "name=../x"],
    ["--set", "nokey"],
    ["--set", "x=[&a [1,1,1,1,1,1,1,1], *a]"],
]


def generate(seed: int, n: int, run_share: float = 0.05) -> list[Case]:
    """*n* cases from *seed*: mostly ``check`` of a mutated file, some command lines, a few runs."""
    rng = random.Random(seed)
    text = BASELINE.read_text(encoding="utf-8")
    sources = {"baseline": yaml.safe_load(text), "textbook": _textbook()}
    cases = []
    for k in range(n):
        kind = rng.random()
        if kind < 0.15:  # a bad command line on a good file
            extra = rng.choice(_BAD_ARGS)
            command = rng.choice(["run", "compare", "sweep", "check"])
            argv = {
                "run": ["run", "{dir}/s.yaml", "-o", "{dir}/out", "--no-plots", "-q", *extra],
                "compare": ["compare", "{dir}/s.yaml", "{dir}/s.yaml", "-o", "{dir}/out", "-q", *extra],
                "sweep": ["sweep", "{dir}/s.yaml", "--vary", "run.days=2,3", "-o", "{dir}/out", "-q", *extra],
                "check": ["check", "{dir}/s.yaml", *extra],
            }[command]
            if command != "check" and not any(a.startswith("--set") for a in extra):
                argv += ["--set", "run.days=2", "--set", "run.warmup_days=1", "--jobs", "1", "-n", "1"]
            if command == "check":
                argv = [a for a in argv if a not in ("-q",)]
            src = yaml.safe_dump(sources["textbook"] | {"name": "s"}).encode()
            cases.append(Case(f"{k}: {command} {' '.join(extra)}", {"s.yaml": src}, argv, runs=False))
            continue
        base = rng.choice(list(sources))
        if kind < 0.45:
            label, raw = _text_mutants(rng, text if base == "baseline" else yaml.safe_dump(sources[base]))
        else:
            label, data = _mutate_data(rng, sources[base])
            raw = yaml.safe_dump(data, allow_unicode=True).encode()
        runs = rng.random() < run_share
        if runs:
            argv = ["run", "{dir}/s.yaml", "-o", "{dir}/out", "--no-plots", "-q", "--jobs", "1"]
            argv += ["--set", "run.days=2", "--set", "run.warmup_days=1"]
        else:
            argv = ["check", "{dir}/s.yaml"]
        cases.append(Case(f"{k}: {base} {label}", {"s.yaml": raw}, argv, runs))
    return cases


class _Alarm(BaseException):
    """A case ran past its time limit (raised by the SIGALRM handler, never caught by the CLI)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Alarm


def judge(case: Case, folder: Path) -> Outcome:
    """Run *case* in this process (with its files in *folder*) and classify what happened."""
    from sim.presentation.cli import main

    for name, raw in case.files.items():
        (folder / name).write_bytes(raw)
    argv = [a.replace("{dir}", str(folder)) for a in case.argv]
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status: int | None = main(argv)
    except SystemExit as e:  # argparse refuses with exit 2
        status = e.code if isinstance(e.code, int) else 2
    except _Alarm:
        return Outcome(case.name, "hang", None)
    except MemoryError:
        return Outcome(case.name, "memory", None)
    except BaseException:
        return Outcome(case.name, "traceback", None, traceback.format_exc()[-2000:])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    said = err.getvalue()
    if "Traceback" in said:
        return Outcome(case.name, "traceback", status, said[-2000:])
    if status == 0:
        return Outcome(case.name, "ok" if _sane(argv, out.getvalue(), folder) else "unclear", 0, said[-500:])
    if status == 2 and _names_file_and_key(said, argv):
        return Outcome(case.name, "clean", 2, said[-300:])
    return Outcome(case.name, "unclear", status, said[-1000:])


def _sane(argv: list[str], stdout: str, folder: Path) -> bool:
    if argv[0] == "check":
        return "valid scenario" in stdout
    summary = folder / "out" / "summary.csv"
    if argv[0] != "run":
        return (folder / "out").is_dir()
    if not summary.exists():
        return False
    import pandas as pd

    s = pd.read_csv(summary, index_col="kpi")
    value = float(s.loc["cleared_per_day_mean", "mean"])
    return math.isfinite(value) and value >= 0


def _names_file_and_key(said: str, argv: list[str]) -> bool:
    if "error:" not in said:
        return False
    if "usage: bordersim" in said or "argument " in said or "--" in said.split("error:", 1)[1][:200]:
        return True  # an option named: --set KEY=VALUE, --jobs, --precision-kpi, --window, --dask
    files = [a for a in argv if a.endswith(".yaml")]
    names_file = any(f in said for f in files)
    names_key = any(line.startswith("  ") and ": " in line for line in said.splitlines())
    return names_file and names_key


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def run_cases(seed: int, n: int, run_share: float = 0.05, timeout_s: float = 1800) -> list[Outcome]:
    """Generate and judge *n* cases in a worker process under the memory limit; the outcomes."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env["OPENBLAS_NUM_THREADS"] = "1"  # each BLAS thread reserves address space
    cmd = [sys.executable, str(Path(__file__)), str(seed), str(n), str(run_share)]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, preexec_fn=_limit_memory, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the fuzz worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return [Outcome(**json.loads(line)) for line in done.stdout.splitlines() if line.startswith("{")]


def tally(outcomes: list[Outcome]) -> Counter[str]:
    """How many cases ended in each outcome."""
    return Counter(o.outcome for o in outcomes)


def _worker(seed: int, n: int, run_share: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    for case in generate(seed, n, run_share):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                outcome = judge(case, Path(tmp))
            except MemoryError:
                outcome = Outcome(case.name, "memory", None)
        print(json.dumps(outcome.__dict__), flush=True)


# --- Families with an expected outcome ------------------------------------------------------------
#
# Each case below carries what the generator expects, decided from the rule it breaks or keeps
# (the documented limits: 32 extends files, x100 for capacity events in force together, a cv of
# at most 2, finite numbers, each key once) and never from what the tool does: refuse naming
# given texts (the file, the key), accept, or accept with a warning holding a given text. None of
# them simulates: the report family reads copies of one results folder of a 2-day run made once.

PLANNED_OUTCOMES = (
    "refused",
    "accepted",
    "warned",
    "traceback",
    "hang",
    "memory",
    "wrong_acceptance",
    "wrong_refusal",
    "unclear",
    "missed_warning",
)
"""What a planned case may end in; all but the first three are failures."""
PLANNED_FAILURES = PLANNED_OUTCOMES[3:]
"""The planned outcomes that fail a case."""
FAMILIES = ("costs", "targets", "ranges", "report", "numbers", "extends", "scenario")
"""The families of planned cases, drawn in turn."""
MAX_EXTENDS_FILES = 32
"""The documented deepest chain of ``extends`` (docs/scenarios.md)."""
STACK_BOUND = 100.0
"""The documented bound on capacity events in force together: x100 either way."""
MAX_CV = 2.0
"""The documented largest ``demand.day_to_day_cv``."""

_BAD_NUMBERS: list[tuple[str, str]] = [
    ("true", "not true or false"),
    ("false", "not true or false"),
    (".inf", "finite"),
    ("-.inf", ""),
    (".nan", "finite"),
    ("1e999", "finite"),
    ("'many'", ""),
    ("[1, 2]", ""),
    ("{a: 1}", ""),
]
"""YAML texts that are no finite number, and a word the refusal should hold (or just the key)."""


@dataclass
class Expect:
    """What a case must do: ``refuse`` naming every text of *says*, ``accept``, or ``warn`` with *says*."""

    kind: str
    says: tuple[str, ...] = ()


@dataclass
class Planned:
    """A case with its expectation. *call* is ``cli`` (``main(argv)``) or a loader (``costs``,
    ``targets``, ``ranges``) given ``{dir}/FILE``; *setup* prepares the folder (a FIFO, a damaged
    copy of the results folder)."""

    name: str
    family: str
    files: dict[str, bytes]
    argv: list[str]
    expect: Expect
    call: str = "cli"
    setup: tuple[Any, ...] = ()


def _yaml_with(data: Any, slots: dict[str, str]) -> bytes:
    """*data* as YAML with each placeholder string replaced by its raw YAML text (``1e999``, ``.nan``)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    for slot, raw in slots.items():
        text = text.replace(f"'{slot}'", raw).replace(slot, raw)
    return text.encode()


def _guarded(path: Path) -> Any:
    from sim.world.yaml_guard import guarded_load

    return guarded_load(path.read_text(encoding="utf-8"))


def _file_damage(rng: random.Random, raw: bytes) -> tuple[str, bytes, tuple[str, ...]]:
    """Damage to any YAML file that each guard refuses: bytes not UTF-8, deep nesting, an alias bomb."""
    op = rng.choice(["bytes", "deep", "bomb", "large"])
    if op == "bytes":
        at = rng.randrange(len(raw))
        return op, raw[:at] + bytes([rng.randrange(0x80, 0xC0)]) + raw[at:], ("not UTF-8",)
    if op == "deep":
        depth = rng.choice([60, 600, 6000])
        return op, raw + b"\nextra: " + b"[" * depth + b"]" * depth + b"\n", ("nested more than",)
    if op == "bomb":
        lines = ['b0: &b0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        lines += [f"b{i}: &b{i} [" + ",".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, 9)]
        return op, raw + ("\n" + "\n".join(lines) + "\n").encode(), ("once its aliases",)
    return op, raw + b"\n#" + b"x" * (1024 * 1024 + 10) + b"\n", ("bytes",)


def _costs_case(rng: random.Random, k: int) -> Planned:
    data = _guarded(ROOT / "scenarios" / "costs.yaml")
    patterns = list(data["levers"])
    pattern = rng.choice(patterns)
    entry = data["levers"][pattern]
    rate = (
        next(r for r in entry if r.startswith("vnd_") and r != "vnd_per_day_by_value")
        if any(r.startswith("vnd_") and r != "vnd_per_day_by_value" for r in entry)
        else None
    )
    op = rng.choice(["bad", "bad", "good", "twice", "key_twice", "unknown", "file", "fifo"])
    raw = (ROOT / "scenarios" / "costs.yaml").read_bytes()
    where = f"levers.{pattern}"
    if op in ("bad", "good") and rate is None:
        op = "unknown"
    if op == "bad":
        text, word = rng.choice(_BAD_NUMBERS)
        entry[rate] = "@SLOT@"
        return Planned(
            f"{k}: costs {where}.{rate}={text}",
            "costs",
            {"c.yaml": _yaml_with(data, {"@SLOT@": text})},
            ["{dir}/c.yaml"],
            Expect("refuse", ("c.yaml", f"{where}.{rate}", word)),
            "costs",
        )
    if op == "good":
        entry[rate] = rng.choice([0, 1, 2.5, 150000, 10**7, round(rng.uniform(0, 1e6), 2)])
        return Planned(
            f"{k}: costs {where}.{rate}={entry[rate]}",
            "costs",
            {"c.yaml": _yaml_with(data, {})},
            ["{dir}/c.yaml"],
            Expect("accept"),
            "costs",
        )
    if op == "twice":  # the same pattern again, at the end of levers
        again = f"  {pattern}:\n    vnd_per_day_when_on: 1\n    source: 'ASSUMPTION: again'\n"
        text = raw.decode().rstrip("\n") + "\n" + again
        return Planned(
            f"{k}: costs {pattern} twice",
            "costs",
            {"c.yaml": text.encode()},
            ["{dir}/c.yaml"],
            Expect("refuse", ("c.yaml", "duplicate key", pattern[:60])),
            "costs",
        )
    if op == "key_twice":
        text = (
            raw.decode().rstrip("\n")
            + "\n  extra.lever.key:\n    source: a\n    source: b\n    vnd_per_unit_day: 1\n"
        )
        return Planned(
            f"{k}: costs a key twice in one entry",
            "costs",
            {"c.yaml": text.encode()},
            ["{dir}/c.yaml"],
            Expect("refuse", ("c.yaml", "duplicate key 'source'")),
            "costs",
        )
    if op == "unknown":
        entry["vnd_per_lane"] = 1
        return Planned(
            f"{k}: costs {where}.vnd_per_lane",
            "costs",
            {"c.yaml": _yaml_with(data, {})},
            ["{dir}/c.yaml"],
            Expect("refuse", ("c.yaml", f"{where}.vnd_per_lane")),
            "costs",
        )
    if op == "fifo":
        return Planned(
            f"{k}: costs FIFO",
            "costs",
            {},
            ["{dir}/c.yaml"],
            Expect("refuse", ("c.yaml", "not a regular file")),
            "costs",
            ("fifo", "c.yaml"),
        )
    label, damaged, says = _file_damage(rng, raw)
    return Planned(
        f"{k}: costs {label}",
        "costs",
        {"c.yaml": damaged},
        ["{dir}/c.yaml"],
        Expect("refuse", ("c.yaml", *says)),
        "costs",
    )


def _targets_case(rng: random.Random, k: int) -> Planned:
    raw = (ROOT / "scenarios" / "targets.yaml").read_bytes()
    data = _guarded(ROOT / "scenarios" / "targets.yaml")
    op = rng.choice(["top_bad", "top_good", "band_bad", "file"])
    if op == "top_bad":
        key = rng.choice(["mean_per_day", "peak_threshold_per_day", "peak_share"])
        text, word = rng.choice(_BAD_NUMBERS)
        data[key] = "@SLOT@"
        return Planned(
            f"{k}: targets {key}={text}",
            "targets",
            {"t.yaml": _yaml_with(data, {"@SLOT@": text})},
            ["{dir}/t.yaml"],
            Expect("refuse", ("t.yaml", key, word)),
            "targets",
        )
    if op == "top_good":
        data["mean_per_day"] = rng.choice([1, 1650, 1650.5, 10**5])
        data["peak_share"] = rng.choice([0.001, 0.03, 0.5, 0.999])
        return Planned(
            f"{k}: targets good numbers",
            "targets",
            {"t.yaml": _yaml_with(data, {})},
            ["{dir}/t.yaml"],
            Expect("accept"),
            "targets",
        )
    if op == "band_bad":
        i = rng.randrange(len(data["targets"]))
        j = rng.randrange(2)
        text, word = rng.choice(_BAD_NUMBERS)
        data["targets"][i]["band"][j] = "@SLOT@"
        return Planned(
            f"{k}: targets.{i}.band.{j}={text}",
            "targets",
            {"t.yaml": _yaml_with(data, {"@SLOT@": text})},
            ["{dir}/t.yaml"],
            Expect("refuse", ("t.yaml", f"targets.{i}.band", word)),
            "targets",
        )
    label, damaged, says = _file_damage(rng, raw)
    return Planned(
        f"{k}: targets {label}",
        "targets",
        {"t.yaml": damaged},
        ["{dir}/t.yaml"],
        Expect("refuse", ("t.yaml", *says)),
        "targets",
    )


def _ranges_case(rng: random.Random, k: int) -> Planned:
    raw = (ROOT / "scenarios" / "ranges.yaml").read_bytes()
    data = _guarded(ROOT / "scenarios" / "ranges.yaml")
    names = list(data["factors"])
    name = rng.choice(names)
    op = rng.choice(["bound_bad", "good", "toward", "long_name", "file"])
    if op == "bound_bad":
        key = rng.choice(["low", "high"])
        text, word = rng.choice(_BAD_NUMBERS)
        data["factors"][name][key] = "@SLOT@"
        return Planned(
            f"{k}: ranges {name}.{key}={text}",
            "ranges",
            {"r.yaml": _yaml_with(data, {"@SLOT@": text})},
            ["{dir}/r.yaml"],
            Expect("refuse", ("r.yaml", f"factors.{name}.{key}", word)),
            "ranges",
        )
    if op == "good":
        data["about"] = "".join(rng.choice("abc xyz") for _ in range(rng.randrange(0, 2000)))
        return Planned(
            f"{k}: ranges another about",
            "ranges",
            {"r.yaml": _yaml_with(data, {})},
            ["{dir}/r.yaml"],
            Expect("accept"),
            "ranges",
        )
    mixed = [n for n in names if "mix" in data["factors"][n]]
    if op == "toward" and mixed:
        name = rng.choice(mixed)
        data["factors"][name]["toward"] = ["@SLOT@"] * 24
        return Planned(
            f"{k}: ranges {name}.toward 1e308 x 24",
            "ranges",
            {"r.yaml": _yaml_with(data, {"@SLOT@": "1.0e+308"})},
            ["{dir}/r.yaml"],
            Expect("refuse", ("r.yaml", f"factors.{name}", "finite sum")),
            "ranges",
        )
    if op in ("toward", "long_name"):
        data["name"] = "n" * rng.choice([121, 500, 5000])
        return Planned(
            f"{k}: ranges a long name",
            "ranges",
            {"r.yaml": _yaml_with(data, {})},
            ["{dir}/r.yaml"],
            Expect("refuse", ("r.yaml", "name")),
            "ranges",
        )
    label, damaged, says = _file_damage(rng, raw)
    return Planned(
        f"{k}: ranges {label}",
        "ranges",
        {"r.yaml": damaged},
        ["{dir}/r.yaml"],
        Expect("refuse", ("r.yaml", *says)),
        "ranges",
    )


_REPORT_DAMAGE = (
    "intact",
    "no_bottlenecks",
    "empty",
    "cut",
    "text_in_number",
    "drop_column",
    "no_headline",
    "not_utf8",
    "fifo",
    "huge_yaml",
)


def _report_case(rng: random.Random, k: int) -> Planned:
    op = rng.choice(_REPORT_DAMAGE)
    argv = ["report", "{dir}/res", "-q"]
    expect = {
        "intact": Expect("accept"),
        "no_bottlenecks": Expect("accept"),
        "empty": Expect("refuse", ("summary.csv", "empty")),
        "cut": Expect("refuse", ("summary.csv", "truncated")),
        "text_in_number": Expect("refuse", ("summary.csv", "column mean", "not a finite number")),
        "drop_column": Expect("refuse", ("bottlenecks.csv",)),
        "no_headline": Expect("refuse", ("summary.csv", "cleared_per_day_mean")),
        "not_utf8": Expect("refuse", ("summary.csv", "not UTF-8")),
        "fifo": Expect("refuse", ("scenario.yaml", "not a regular file")),
        "huge_yaml": Expect("refuse", ("scenario.yaml", "bytes")),
    }[op]
    column = rng.choice(["gate", "direction", "stage", "utilisation", "grows_in", "n"])
    if op == "drop_column":
        expect = Expect("refuse", ("bottlenecks.csv", column))
    return Planned(
        f"{k}: report {op}" + (f" {column}" if op == "drop_column" else ""),
        "report",
        {},
        argv,
        expect,
        "cli",
        ("report", op, column, rng.random()),
    )


def _damage_folder(folder: Path, op: str, column: str, u: float) -> None:
    """Apply the damage *op* of :func:`_report_case` to the results folder copy *folder*."""
    summary = folder / "summary.csv"
    text = summary.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if op == "no_bottlenecks":
        (folder / "bottlenecks.csv").unlink()
    elif op == "empty":
        summary.write_text("")
    elif op == "cut":  # inside a line, never at a line end
        inside = [i for i in range(1, len(text)) if text[i - 1] != "\n" and text[i] != "\n"]
        summary.write_text(text[: inside[int(u * len(inside))]])
    elif op == "text_in_number":
        i = 1 + int(u * (len(lines) - 1))
        cells = lines[i].split(",")
        cells[1] = "lots"
        lines[i] = ",".join(cells)
        summary.write_text("".join(lines))
    elif op == "drop_column":
        bn = folder / "bottlenecks.csv"
        rows = [r.rstrip("\n").split(",") for r in bn.read_text(encoding="utf-8").splitlines()]
        at = rows[0].index(column)
        bn.write_text("".join(",".join(r[:at] + r[at + 1 :]) + "\n" for r in rows))
    elif op == "no_headline":
        summary.write_text("".join(ln for ln in lines if not ln.startswith("cleared_per_day_mean,")))
    elif op == "not_utf8":
        at = int(u * len(text))
        summary.write_bytes(text[:at].encode() + b"\xff\xfe" + text[at:].encode())
    elif op == "fifo":
        (folder / "scenario.yaml").unlink()
        os.mkfifo(folder / "scenario.yaml")
    elif op == "huge_yaml":
        with (folder / "scenario.yaml").open("a") as f:
            f.write("#" + "x" * (1024 * 1024 + 10) + "\n")


_OPTIONS: dict[str, tuple[list[str], list[str], list[str]]] = {
    # option: (subcommands, bad values, good values)
    "--seed": (
        ["run", "compare", "sweep", "optimise"],
        ["-1", "-5", "x", "1.5", str(2**64)],
        ["0", "7", str(2**40)],
    ),
    "--jobs": (
        ["run", "compare", "sweep", "optimise"],
        ["0", "-1", "x", "1000001"],
        ["1", "2", "64", "100000"],
    ),
    "-n": (["run", "compare", "sweep"], ["0", "-1", "x", "1e3", "1000000"], ["1", "2", "30"]),
    "--robust-n": (["optimise"], ["0", "1", "-2", "x"], ["2", "5"]),
    "--confidence": (["optimise"], ["0.5", "1", "2", "nan", "inf", "-0.9", "x"], ["0.8", "0.95", "0.999"]),
    "--max-replications": (["run", "compare", "sweep", "optimise"], ["0", "1", "-3", "x"], ["2", "40"]),
    "--precision": (["run", "compare", "sweep"], ["0", "1", "nan", "inf", "-0.1", "x"], ["0.05", "0.5"]),
    "--max-points": (["sweep", "optimise"], ["0", "-1", "x", str(10**7)], ["1", "5000"]),
}
_WINDOWS_BAD = [
    "nonsense",
    "2025-09-05..2025-09-01",
    "2030-01-01..2030-01-02",
    "2025-02-30..2025-03-01",
    "..",
]
_WINDOWS_GOOD = ["2025-09-02..2025-09-03", "2025-09-10..2025-10-10", "2025-09-08..2025-11-29"]


def _numbers_case(rng: random.Random, k: int) -> Planned:
    option = rng.choice([*_OPTIONS, "--window"])
    if option == "--window":
        command = rng.choice(["run", "compare", "sweep", "optimise"])
    else:
        command = rng.choice(_OPTIONS[option][0])
    base = {
        "run": ["run", str(BASELINE)],
        "compare": ["compare", str(BASELINE), str(BASELINE)],
        "sweep": ["sweep", str(BASELINE), "--vary", "gates.huu_nghi.customs_docs.lanes=4,5"],
        "optimise": [
            "optimise",
            str(BASELINE),
            "--target",
            "cleared_per_day_mean >= 1",
            "--lever",
            "gates.huu_nghi.customs_docs.lanes=4,5",
        ],
    }[command]
    base = [*base, "-o", "{dir}/out", "--no-plots", "-q"]
    good = rng.random() < 0.4
    if option == "--window":
        value = rng.choice(_WINDOWS_GOOD if good else _WINDOWS_BAD)
    else:
        value = rng.choice(_OPTIONS[option][2 if good else 1])
    if option == "-n" and command == "optimise":
        good = good and value != "1"
    argv = [
        *base,
        f"{option}={value}" if value.startswith("-") else option,
        *([] if value.startswith("-") else [value]),
    ]
    if good:  # accepted, as the refusal of a later, bad --set shows
        argv += ["--set", "gates.nogate.lanes=3"]
        expect = Expect("refuse", ("--set gates.nogate.lanes=3",))
    elif option == "--window":
        expect = Expect("refuse", ("--window",))
    else:
        shown = "-n/--replications" if option == "-n" else option
        expect = Expect("refuse", (f"argument {shown}",))
    return Planned(f"{k}: {command} {option} {value}", "numbers", {}, argv, expect)


def _extends_case(rng: random.Random, k: int) -> Planned:
    op = rng.choice(["chain", "chain", "cycle", "long_name", "missing"])
    files: dict[str, bytes] = {}
    if op == "chain":
        length = rng.choice([1, 2, 5, 20, 30, 31, 32, 33, 40, rng.randrange(1, 80)])
        for i in range(length):
            parent = str(BASELINE) if i == 0 else f"c{i - 1}.yaml"
            files[f"c{i}.yaml"] = f"extends: {parent}\nname: c{i}\n".encode()
        top = f"c{length - 1}.yaml"
        deep = length + 1 > MAX_EXTENDS_FILES  # the chain's files, the baseline included
        expect = Expect("refuse", (top, "deeper than")) if deep else Expect("accept")
        return Planned(
            f"{k}: extends chain of {length + 1} files", "extends", files, ["check", "{dir}/" + top], expect
        )
    if op == "cycle":
        n = rng.randrange(1, 6)
        for i in range(n):
            files[f"c{i}.yaml"] = f"extends: c{(i + 1) % n}.yaml\nname: c{i}\n".encode()
        return Planned(
            f"{k}: extends cycle of {n}",
            "extends",
            files,
            ["check", "{dir}/c0.yaml"],
            Expect("refuse", ("circular",)),
        )
    if op == "long_name":
        n = rng.choice([256, 1000, 5000])
        files["c.yaml"] = f"extends: {'a' * n}.yaml\nname: c\n".encode()
        return Planned(
            f"{k}: extends a name of {n + 5}",
            "extends",
            files,
            ["check", "{dir}/c.yaml"],
            Expect("refuse", ("c.yaml", "extends", "too long")),
        )
    files["c.yaml"] = b"extends: nowhere.yaml\nname: c\n"
    return Planned(
        f"{k}: extends a missing file",
        "extends",
        files,
        ["check", "{dir}/c.yaml"],
        Expect("refuse", ("c.yaml", "extends", "no such file")),
    )


_KPI_RATES = (
    "parking_vnd_per_truck_day",
    "park_vnd_per_truck_day",
    "reefer_fuel_vnd_per_truck_day",
    "driver_vnd_per_truck_day",
    "goods_value_vnd_per_truck",
    "tonnes_per_truck",
    "idle_co2_kg_per_truck_h",
)


def _scenario_case(rng: random.Random, k: int) -> Planned:
    op = rng.choice(["kpi_bad", "kpi_good", "cv", "profile", "stack", "warn"])
    argv = ["check", str(BASELINE)]
    if op == "kpi_bad":
        key = f"kpi.{rng.choice(_KPI_RATES)}"
        value = rng.choice(["true", "false", ".inf", ".nan", "1e308", "-1"])
        return Planned(
            f"{k}: {key}={value}",
            "scenario",
            {},
            [*argv, "--set", f"{key}={value}"],
            Expect("refuse", (key,)),
        )
    if op == "kpi_good":
        key = f"kpi.{rng.choice(_KPI_RATES)}"
        value = rng.choice(["0", "1", "20", "100"])
        return Planned(
            f"{k}: {key}={value}", "scenario", {}, [*argv, "--set", f"{key}={value}"], Expect("accept")
        )
    if op == "cv":
        cv = rng.choice([0, 0.1, 0.5, 1.99, 2, 2.01, 5, 1000, 1e308])
        expect = Expect("refuse", ("demand.day_to_day_cv",)) if cv > MAX_CV else Expect("accept")
        return Planned(
            f"{k}: day_to_day_cv={cv}", "scenario", {}, [*argv, "--set", f"demand.day_to_day_cv={cv}"], expect
        )
    if op == "profile":
        weight = rng.choice([1, 1e300, 1e307, 1e308])
        total = 24 * weight  # in exact arithmetic; the documented rule: the sum must be a finite float
        fits = total < 1.7976931348623157e308
        key = f"demand.hourly_profile.{rng.choice(['export', 'import'])}"
        change = f"{key}=[{','.join([repr(float(weight))] * 24)}]"
        return Planned(
            f"{k}: {key} of {weight:g} x 24",
            "scenario",
            {},
            [*argv, "--set", change],
            Expect("accept") if fits else Expect("refuse", (key.split(".", 1)[1], "sum")),
        )
    if op == "stack":
        count = rng.choice([2, 3, 5, 50, 200])
        factor = rng.choice([0.01, 0.2, 0.5, 0.9, 1.1, 2, 4, 9, 100])
        log_product = count * math.log(factor)
        expect = (
            Expect("refuse", ("s.yaml", "factor", "multiply to"))
            if abs(log_product) > math.log(STACK_BOUND) + 1e-9
            else Expect("accept")
        )
        events = [
            {
                "kind": "capacity",
                "name": f"e{i}",
                "start": "2025-09-10 06:00",
                "end": "2025-09-10 18:00",
                "factor": factor,
                "gates": ["tan_thanh"],
                "stages": ["customs_docs"],
            }
            for i in range(count)
        ]
        raw = yaml.safe_dump({"extends": str(BASELINE), "name": "s", "events": events}).encode()
        return Planned(
            f"{k}: {count} capacity events of x{factor}",
            "scenario",
            {"s.yaml": raw},
            ["check", "{dir}/s.yaml"],
            expect,
        )
    event = {"kind": "demand", "start": "2025-10-01", "end": "2025-10-02", "factor": 2, "gates": []}
    raw = yaml.safe_dump({"extends": str(BASELINE), "name": "s", "events": [event]}).encode()
    return Planned(
        f"{k}: a demand event with gates: []",
        "scenario",
        {"s.yaml": raw},
        ["check", "{dir}/s.yaml"],
        Expect("warn", ("events.0.gates", "an empty list is read as every gate")),
    )


_MAKERS = {
    "costs": _costs_case,
    "targets": _targets_case,
    "ranges": _ranges_case,
    "report": _report_case,
    "numbers": _numbers_case,
    "extends": _extends_case,
    "scenario": _scenario_case,
}


def generate_planned(seed: int, n: int, families: tuple[str, ...] = FAMILIES) -> list[Planned]:
    """*n* planned cases from *seed*, the families taken in turn."""
    rng = random.Random(seed)
    return [_MAKERS[families[k % len(families)]](rng, k) for k in range(n)]


def _call(case: Planned, folder: Path) -> tuple[int, str]:
    """Run *case*: the exit status and what was said (a loader's refusal is exit 2 with its message)."""
    from sim import ScenarioError
    from sim.presentation.cli import main

    argv = [a.replace("{dir}", str(folder)) for a in case.argv]
    if case.call == "cli":
        try:
            return main(argv), ""
        except SystemExit as e:  # argparse refuses with exit 2
            return (e.code if isinstance(e.code, int) else 2), ""
    from sim.experiments.costs import load_costs
    from sim.studies.calibrate import load_targets
    from sim.world.ranges import load_ranges

    loader = {"costs": load_costs, "targets": load_targets, "ranges": load_ranges}[case.call]
    try:
        loader(argv[0])
    except ScenarioError as err:
        return 2, f"error: {err}"
    return 0, ""


def judge_planned(case: Planned, folder: Path, results: Path | None = None) -> Outcome:
    """Run the planned *case* in this process, its files in *folder* (*results*: the results
    folder the report family damages a copy of), and set what it did against what was expected."""
    import shutil

    for name, raw in case.files.items():
        (folder / name).write_bytes(raw)
    if case.setup and case.setup[0] == "fifo":
        os.mkfifo(folder / case.setup[1])
    if case.setup and case.setup[0] == "report":
        assert results is not None, "the report family needs a results folder"
        shutil.copytree(results, folder / "res")
        _damage_folder(folder / "res", *case.setup[1:])
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(CASE_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status, said = _call(case, folder)
    except _Alarm:
        return Outcome(case.name, "hang", None)
    except MemoryError:
        return Outcome(case.name, "memory", None)
    except BaseException:
        return Outcome(case.name, "traceback", None, traceback.format_exc()[-2000:])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    said = (said + "\n" + err.getvalue()).replace(str(folder) + "/", "")
    detail = {"family": case.family, "expected": case.expect.kind, "says": list(case.expect.says)}
    if "Traceback" in said:
        return Outcome(case.name, "traceback", status, said[-2000:], detail)
    if status not in (0, 2):
        return Outcome(case.name, "unclear", status, said[-1000:], detail)
    refused = status == 2
    want = case.expect
    if want.kind == "refuse":
        if not refused:
            return Outcome(case.name, "wrong_acceptance", status, said[-1000:], detail)
        missing = [t for t in want.says if t and t not in said]
        return Outcome(case.name, "unclear" if missing else "refused", status, said[-600:], detail)
    if refused:
        return Outcome(case.name, "wrong_refusal", status, said[-1000:], detail)
    if want.kind == "warn":
        heard = all(t in said for t in want.says)
        return Outcome(case.name, "warned" if heard else "missed_warning", status, said[-600:], detail)
    return Outcome(case.name, "warned" if "warning:" in said else "accepted", status, said[-300:], detail)


def planned_results_folder(where: Path) -> Path:
    """One results folder of a 2-day run of the baseline (2 replications, no figures), for the
    report family: the only simulation the planned families make, once per worker."""
    from sim.presentation.cli import main

    out = where / "results"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = main(
            [
                "run",
                str(BASELINE),
                "-n",
                "2",
                "--set",
                "run.days=2",
                "--set",
                "run.warmup_days=1",
                "--jobs",
                "1",
                "--no-plots",
                "-q",
                "-o",
                str(out),
            ]
        )
    if status != 0:
        raise RuntimeError("the results folder for the report family could not be made")
    return out


def run_planned(seed: int, n: int, timeout_s: float = 1800) -> list[Outcome]:
    """Generate and judge *n* planned cases in a worker process under the memory limit."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "OPENBLAS_NUM_THREADS": "1",
    }
    cmd = [sys.executable, str(Path(__file__)), "planned", str(seed), str(n)]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, preexec_fn=_limit_memory, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the fuzz worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return [Outcome(**json.loads(line)) for line in done.stdout.splitlines() if line.startswith("{")]


def _planned_worker(seed: int, n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    cases = generate_planned(seed, n)
    with tempfile.TemporaryDirectory() as base:
        results = planned_results_folder(Path(base)) if any(c.family == "report" for c in cases) else None
        for case in cases:
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    outcome = judge_planned(case, Path(tmp), results)
                except MemoryError:
                    outcome = Outcome(case.name, "memory", None)
            print(json.dumps(outcome.__dict__), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "planned":
        _planned_worker(int(sys.argv[2]), int(sys.argv[3]))
    else:
        _worker(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
