"""The real model, reduced to textbook queues, against queueing theory.

Each check runs independent replications and asks that the theoretical value lies inside a
99% Student-t confidence interval of the replication means, and that the interval is narrow
(a few percent), so that a wrong model would be caught rather than excused by noise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import textbook
from scipy import stats

from sim import run

REPS = 10
LAMBDA_PER_MIN = 240 / 1440  # the textbook demand: 240 trucks a day


def erlang_c_wait(lam: float, mean_service: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C), same time unit as *mean_service*."""
    a = lam * mean_service
    rho = a / c
    assert rho < 1
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait * mean_service / (c - a)


def mmck_blocking(lam: float, mean_service: float, c: int, k: int) -> float:
    """Probability that an arrival finds an M/M/c/K system full."""
    a = lam * mean_service
    weights = [
        a**n / math.factorial(n) if n <= c else a**n / (math.factorial(c) * c ** (n - c))
        for n in range(k + 1)
    ]
    return weights[-1] / sum(weights)


def interval(values: list[float], level: float = 0.99) -> tuple[float, float, float]:
    x = np.asarray(values)
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return x.mean(), x.mean() - half, x.mean() + half


def gate_control_waits(r) -> np.ndarray:
    tr = r.trucks
    after = tr[(tr["arrival_min"] >= r.warmup_min) & tr["gate_control_start_min"].notna()]
    return (after["gate_control_start_min"] - after["yard_in_min"]).to_numpy()


@pytest.mark.parametrize(
    ("lanes", "demand_per_day", "mean_service_min"),
    [(1, 240, 4.2), (3, 360, 9.0)],
    ids=["M/M/1 rho=0.7", "M/M/3 rho=0.75"],
)
def test_mean_wait_matches_erlang_c(lanes: int, demand_per_day: float, mean_service_min: float) -> None:
    sc = textbook(
        {
            "run.days": 90,
            "gates.g.gate_control.lanes": lanes,
            "gates.g.demand_trucks_per_day.import.general": demand_per_day,
            "gates.g.gate_control.service_min.default.mean": mean_service_min,
        }
    )
    theory = erlang_c_wait(demand_per_day / 1440, mean_service_min, lanes)
    means = [gate_control_waits(run(sc, seed=s)).mean() for s in range(REPS)]
    _mean, low, high = interval(means)
    assert low <= theory <= high, f"theory {theory:.2f} min outside [{low:.2f}, {high:.2f}]"
    assert high - low < 0.15 * theory, "interval too wide to catch a bug"


def test_littles_law_on_the_models_own_outputs() -> None:
    """Time-average queue from the monitors = arrival rate x mean wait from the truck log."""
    sc = textbook({"gates.g.gate_control.lanes": 2, "gates.g.gate_control.service_min.default.mean": 7.5})
    r = run(sc, seed=3)
    k = r.kpis()
    tr = r.trucks
    window_min = r.horizon_min - r.warmup_min
    waits = gate_control_waits(r)
    lam = waits.size / window_min
    assert k["queue_mean_g_gate_control"] == pytest.approx(lam * waits.mean(), rel=0.03)
    busy = (tr["gate_control_end_min"] - tr["gate_control_start_min"]).sum() / r.horizon_min
    assert k["utilisation_g_gate_control"] * 2 == pytest.approx(busy, rel=0.03)


def test_finite_yard_blocks_like_mmck() -> None:
    """A yard of K places that turns trucks away, c lanes inside: M/M/c/K blocking."""
    c, places = 2, 4
    sc = textbook(
        {
            "gates.g.gate_control.lanes": c,
            "gates.g.gate_control.service_min.default.mean": 9.0,
            "gates.g.parking.import": {"places": places, "when_full": "turn_away"},
        }
    )
    theory = mmck_blocking(LAMBDA_PER_MIN, 9.0, c, places)
    shares = []
    for s in range(REPS):
        tr = run(sc, seed=s).trucks
        tr = tr[tr["arrival_min"] >= 1440]
        shares.append((tr["outcome"] == "turned_away").mean())
    _mean, low, high = interval(shares)
    assert low <= theory <= high, f"theory {theory:.4f} outside [{low:.4f}, {high:.4f}]"
    assert high - low < 0.15 * theory


def test_road_queue_starts_where_erlang_c_says() -> None:
    """With a yard of K places and a road behind it, P(wait on the road) = P(N >= K) in M/M/c."""
    c, places, mean_s = 2, 4, 9.0
    sc = textbook(
        {
            "gates.g.gate_control.lanes": c,
            "gates.g.gate_control.service_min.default.mean": mean_s,
            "gates.g.parking.import": {"places": places},
        }
    )
    a = LAMBDA_PER_MIN * mean_s
    p = [a**n / math.factorial(n) for n in range(c)]
    tail = a**c / math.factorial(c) / (1 - a / c)
    p0 = 1 / (sum(p) + tail)
    below_k = p0 * (sum(p) + sum(a**n / (math.factorial(c) * c ** (n - c)) for n in range(c, places)))
    theory = 1 - below_k
    shares = []
    for s in range(REPS):
        tr = run(sc, seed=s).trucks
        tr = tr[tr["arrival_min"] >= 1440]
        shares.append((tr["yard_in_min"] > tr["arrival_min"]).mean())
    _mean, low, high = interval(shares)
    assert low <= theory <= high, f"theory {theory:.4f} outside [{low:.4f}, {high:.4f}]"
