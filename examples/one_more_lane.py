"""One more gate-control lane at Tan Thanh: a paired what-if in a few lines of Python.

Run from the repository's root: ``python examples/one_more_lane.py``. What it prints is
``examples/one_more_lane.out``, checked by ``tests/test_examples.py``; the user guide shows both.
Eight days (one of warm-up) and four replications keep it quick: enough to show the calls, not
a run to decide on (the command line's ``compare`` adds replications until its precision is met).
"""

import sim
from sim.experiments.stats import paired_effect

base = sim.load_scenario("scenarios/baseline.yaml", {"run.days": 8, "run.warmup_days": 1})
lanes = base.gates["tan_thanh"].gate_control.lanes
option = base.with_changes({"gates.tan_thanh.gate_control.lanes": lanes + 1}, name="one_more_lane")
comparison = sim.compare([base, option], n=4, seed=0, jobs=1)  # paired: the same trucks in both
before, after = (e.kpis for e in comparison.experiments)
print(f"Tan Thanh gate control: {lanes} lanes -> {lanes + 1}")
for kpi in ("wait_min_mean_tan_thanh_gate_control", "procedure_h_mean_export", "cleared_per_day_mean"):
    e = paired_effect(kpi, before[kpi], after[kpi])
    print(
        f"  {kpi}: {e.base_mean:.2f} -> {e.other_mean:.2f}, "
        f"change {e.diff:+.2f} [{e.ci_low:+.2f}, {e.ci_high:+.2f}] (n = {e.n}): {e.verdict}"
    )
