"""The one judgement of a paired effect: an effect, no effect, a negligible effect, or too few
replications."""

import numpy as np

from sim.experiments.stats import (
    EFFECT,
    NEGLIGIBLE,
    NO_EFFECT,
    UNDECIDED,
    equivalence_margin,
    paired_effect,
)
from sim.presentation.glossary import effect_text


def test_a_small_effect_under_common_random_numbers_is_an_effect() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(0.60, 0.05, 10)  # replication-to-replication spread 5 points
    other = base - 0.045 + rng.normal(0, 0.004, 10)  # every pair falls 4-5 points
    e = paired_effect("utilisation_tan_thanh_quarantine", base, other)
    assert e.verdict == EFFECT
    assert e.ci_high < -0.03
    assert e.n == 10


def test_a_true_zero_with_a_narrow_interval_is_no_effect() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(1650, 40, 10)
    e = paired_effect("cleared_per_day_mean", base, base + rng.normal(0, 1, 10))
    assert e.verdict == NO_EFFECT
    assert -e.margin <= e.ci_low
    assert e.ci_high <= e.margin


def test_a_real_difference_inside_the_margin_is_negligible_never_no_effect() -> None:
    """7.5 fewer trucks a day of 1,690, every pair within a few trucks: the interval leaves out
    zero and lies inside the 1% margin (16.9): a real but negligible effect, and the sentence says
    so rather than "no effect" beside an interval that excludes zero."""
    rng = np.random.default_rng(4)
    base = rng.normal(1690, 40, 4)
    e = paired_effect("cleared_per_day_mean", base, base - 7.5 + rng.normal(0, 1.5, 4))
    assert e.ci_high < 0
    assert -e.margin <= e.ci_low
    assert e.verdict == NEGLIGIBLE
    text = effect_text(e.kpi, e.diff, e.ci_low, e.ci_high, e.verdict, e.margin, e.n_needed)
    assert "no effect" not in text
    assert "a real but negligible effect (inside ±" in text
    assert "không có tác động" not in effect_text(
        e.kpi, e.diff, e.ci_low, e.ci_high, e.verdict, e.margin, None, "vi"
    )


def test_a_wide_interval_is_too_few_replications_with_a_count_needed() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(1650, 40, 5)
    e = paired_effect("cleared_per_day_mean", base, base + rng.normal(0, 40, 5))
    assert e.verdict == UNDECIDED
    assert e.n_needed is not None
    assert e.n_needed > 5


def test_margins_are_a_point_for_shares_and_one_percent_otherwise() -> None:
    assert equivalence_margin("perishable_over_threshold_share_export", 0.3) == 0.01
    assert equivalence_margin("time_in_system_h_mean", 20.0) == 0.2
    assert equivalence_margin("time_in_system_h_mean", 20.0, {"time_in_system_h_mean": 1.0}) == 1.0


def test_a_share_interval_stays_within_minus_one_and_one() -> None:
    e = paired_effect("x_share", np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0]))
    assert -1 <= e.ci_low <= e.ci_high <= 1


def test_a_margin_near_zero_names_a_capped_count_and_never_overflows() -> None:
    """A difference of zero with a margin near zero: only "no effect" could decide it, and that
    would take far more than can be run."""
    e = paired_effect("queue_mean_x", np.array([1e-300, 1e-300, 1e-300]), np.array([-1.0, 1.0, 0.0]))
    assert e.verdict == UNDECIDED
    assert e.n_needed == 10**6


def test_the_count_needed_is_the_one_that_would_decide_the_difference_seen() -> None:
    """-1.8 h, s_d 0.79, 3 pairs: [-3.8, +0.2], undecided. 4 pairs would leave out zero (t at 3
    degrees of freedom); (t s_d / margin)^2, the count to show "no effect" against a 0.034 h
    margin, said 10,326."""
    from scipy import stats as scipy_stats

    def half(n: int, sd: float) -> float:
        return scipy_stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)

    base = np.array([3.4, 3.4, 3.4])
    e = paired_effect("time_in_system_h_mean", base, base - 1.8 + 0.79 * np.array([-1.0, 0.0, 1.0]))
    assert e.verdict == UNDECIDED
    assert e.ci_low < 0 < e.ci_high
    assert e.n_needed == 4
    assert half(4, 0.79) < 1.8 < half(3, 0.79)
    # A difference inside its margin: the count that puts the interval inside it or clear of 0,
    # whichever is first, with t at that count (t at the replications run named more than twice as many).
    near = paired_effect("time_in_system_h_mean", base, base + 0.02 + 0.05 * np.array([-1.0, 0.0, 1.0]))
    assert near.verdict == UNDECIDED
    gap = max(0.02, near.margin - 0.02)
    assert half(near.n_needed, 0.05) < gap <= half(near.n_needed - 1, 0.05)
    at_run = (scipy_stats.t.ppf(0.975, 2) * 0.05 / gap) ** 2
    assert near.n_needed < at_run / 2
