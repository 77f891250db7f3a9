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


if __name__ == "__main__":
    _worker(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
