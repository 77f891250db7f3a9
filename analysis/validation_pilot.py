"""Pilot each validation case and write its replication count and power argument into the case file.

    PYTHONPATH=. python analysis/validation_pilot.py [validation/CASE.yaml ...]

For each case: 5 replications on seed 1 (the full runs use seed 0), one worker, the case's own
horizon; the SD of the measure over them gives the count by the power rule
(:func:`sim.studies.validation.replications_for`: the 95% half-width at most a quarter of the
band's width, at least 10). The count and the pilot are appended to the file as ``replications:``
and ``power:``; a file that already has a ``power:`` block is left alone (the count is fixed
before the case's first full run and not redone after it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from sim.studies.validation import load_case, pilot, replications_for


def main(files: list[str]) -> None:
    paths = [Path(f) for f in files] or sorted(Path("validation").glob("*.yaml"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if "\npower:" in text or "\nreplications:" in text:
            print(f"{path}: has its count already, left alone", file=sys.stderr)
            continue
        case, sc = load_case(path)
        pw = pilot(case, sc)
        n = replications_for(pw.pilot_sd, case.band)
        block = {"replications": n, "power": pw.model_dump()}
        dumped = yaml.safe_dump(block, sort_keys=False, width=100, allow_unicode=True)
        head = "# The replication count from a pilot of this case, written before its first full run\n"
        head += (
            "# (analysis/validation_pilot.py; the rule is sim/studies/validation.py replications_for).\n"
        )
        path.write_text(text.rstrip("\n") + "\n" + head + dumped, encoding="utf-8")
        load_case(path)  # the written count is the rule's
        print(f"{path}: mean {pw.pilot_mean:.4g}, SD {pw.pilot_sd:.4g}, width {pw.band_width:.4g}: n = {n}")


if __name__ == "__main__":
    main(sys.argv[1:])
