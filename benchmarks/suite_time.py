"""How long the README's test command takes, and its ten slowest tests.

    python benchmarks/suite_time.py                     # run the suite, print the table
    python benchmarks/suite_time.py --readme docs/speed.md  # and write it between the slowest-tests markers

Runs ``python -m pytest -n 2 --dist loadfile --durations=0`` (the README's test command, with every
duration reported), shows pytest's own output as it goes, and then prints the wall time of the run,
the sum of the tests' durations over both workers and the ten slowest setups and calls. A fixture's
setup is counted with the first test that uses it. Exits with pytest's status: a table is only
written for a suite that passed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "slowest-tests"
COMMAND = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "--durations=0"]
LINE = re.compile(r"^([\d.]+)s (call|setup|teardown)\s+(tests/\S+)")
TOTAL = re.compile(r" in ([\d.]+)s")


def table(output: str) -> str:
    """The block of docs/speed.md: wall time, summed durations and the ten slowest, from pytest's *output*."""
    durations = sorted(
        ((float(m.group(1)), m.group(2), m.group(3)) for m in map(LINE.match, output.splitlines()) if m),
        reverse=True,
    )
    totals = TOTAL.findall(output)
    if not totals or not durations:
        raise ValueError("pytest printed no total time or no durations")
    wall_min = float(totals[-1]) / 60
    summed_min = sum(t for t, _, _ in durations) / 60
    rows = [
        f"The last full run took {wall_min:.1f} minutes ({summed_min:.1f} minutes of tests summed over both "
        "workers); the ten slowest setups and calls:",
        "",
        "| seconds | phase | test |",
        "|---:|---|---|",
        *(f"| {t:.1f} | {phase} | `{name}` |" for t, phase, name in durations[:10]),
        "",
        "Written by `python benchmarks/suite_time.py --readme docs/speed.md`.",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table, and with --readme write it when the suite passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", help="write the table between the file's slowest-tests markers")
    args = parser.parse_args(argv)
    from machine import describe  # beside this script

    machine = describe()
    proc = subprocess.Popen(COMMAND, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    status = proc.wait()
    text = table("".join(lines)) + "\n\n" + machine
    print(text)
    if args.readme and status == 0:
        from doc_block import write_block  # beside this script

        write_block(args.readme, text, MARKER)
    return status


if __name__ == "__main__":
    sys.exit(main())
