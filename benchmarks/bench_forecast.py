"""What a forecast and its backtest cost, against one 48-hour replication from the same state.

    python benchmarks/bench_forecast.py                       # 100 replications; backtest 30 x 40
    python benchmarks/bench_forecast.py --backtest-cuts 5     # a shorter backtest

A synthetic state of the baseline (every truck of replication 0 at 15:00 on 10 September, as the
platform would see it) is forecast 48 hours ahead for all four gates: once with one replication
(the reference, the same work per replication), then with 100. The backtest of the docs' size
(30 cuts of 5 truths, 40 replications each, 48 hours) follows. Each is timed in CPU time of this
process; the ratios to the reference are what count (these machines are noisy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "forecast-speed"
sys.path.insert(0, str(ROOT))


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=100, help="forecast replications (default 100)")
    parser.add_argument("--backtest-cuts", type=int, default=30)
    parser.add_argument("--backtest-n", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the one-replication reference")
    parser.add_argument("--readme", help="write the table between the file's forecast-speed markers")
    args = parser.parse_args()

    from sim import backtest, forecast, load_scenario, snapshot_state

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    state = snapshot_state(sc, "2025-09-10 15:00")
    one = statistics.median(
        cpu(lambda k=k: forecast(sc, state, hours=48, n=1, seed=k)) for k in range(args.rounds)
    )
    many = cpu(lambda: forecast(sc, state, hours=48, n=args.n, seed=0))
    bt = cpu(lambda: backtest(sc, cuts=args.backtest_cuts, n=args.backtest_n, truths=5, seed=0, hours=48))
    rows = [
        ("one 48-hour replication from the state (median of rounds)", one, 1.0, ""),
        (f"48-hour forecast, {args.n} replications, four gates", many, many / one, "under 30 s"),
        (
            f"backtest, {args.backtest_cuts} cuts x {args.backtest_n} replications",
            bt,
            bt / one,
            "under 15 min",
        ),
    ]
    lines = ["| what | CPU s | x one replication | aim |", "|---|---:|---:|---|"]
    lines += [f"| {w} | {s:.1f} | {r:.0f} | {aim} |" for w, s, r, aim in rows]
    table = "\n".join(lines)
    print(table)
    if args.readme:
        from doc_block import write_block  # beside this script

        made = (
            f"Made by `python benchmarks/bench_forecast.py --readme {args.readme}` on this machine's 2 cores."
        )
        write_block(args.readme, made + "\n\n" + table, MARKER)


if __name__ == "__main__":
    main()
