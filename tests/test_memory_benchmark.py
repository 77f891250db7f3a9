"""The verdict of benchmarks/memory_growth.py on the goal "memory bounded by what is written"."""

from __future__ import annotations

from conftest import load_benchmark


def test_the_memory_goal_is_met_only_when_the_peak_grows_no_more_than_the_tables() -> None:
    # benchmarks/memory_growth.py: the whole command's peak may grow from one horizon to the next
    # by at most what its truck and queue tables grow by; a MiB more is NOT met.
    memory = load_benchmark("memory_growth")
    first = {"days": 365, "command_mib": 500.0, "truck_table_mib": 160.0, "queue_table_mib": 25.0}
    last = {"days": 730, "command_mib": 685.0, "truck_table_mib": 320.0, "queue_table_mib": 50.0}
    assert memory.bounded_by_written(first, last) == (185.0, 185.0, True)
    last["command_mib"] = 686.0
    assert memory.bounded_by_written(first, last)[2] is False
    keys = [key for key, *_ in memory.ROWS if key not in {*first, "trucks"}]  # the table's other rows
    rows = [
        {**first, "trucks": 600_000, **dict.fromkeys(keys, 100.0)},
        {**last, "trucks": 1_200_000, **dict.fromkeys(keys, 200.0)},
    ]
    assert memory.table(rows).endswith(
        "186.0 MiB for 185.0 MiB of truck and queue tables written, 1.005 times; "
        "the goal is at most 1: NOT met."
    )
