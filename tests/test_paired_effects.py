"""Compare, sweep and the console judge effects on common random numbers with one function, and
replications follow every KPI the question is about."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TEXTBOOK, bordersim, textbook
from scipy import stats

from sim.experiments.designs import compare, replicate, sweep
from sim.experiments.experiment import precision_met
from sim.experiments.stats import (
    EFFECT,
    NEGLIGIBLE,
    NO_EFFECT,
    NOT_MEASURED,
    UNDECIDED,
    paired_effect,
    t_half_width,
)
from sim.presentation.glossary import effect_clause, effect_row_text, effect_text
from sim.presentation.report import answer_compare, build_report, sweep_answer

SERVICE = "gates.g.gate_control.service_min.default.mean"
TIME = "time_in_system_h_mean"
UTIL = "utilisation_g_gate_control"


@pytest.fixture(scope="module")
def small() -> object:
    """The textbook queue for 15 days: one gate, one stage, about 70% busy."""
    return textbook({"run.days": 15})


@pytest.fixture(scope="module")
def faster(small):
    """Service 4.2 -> 4.1 min: a change smaller than the spread between replications, swept."""
    return sweep(small, {SERVICE: [4.2, 4.1]}, n=5, seed=0, jobs=1)


def test_a_small_effect_is_an_effect_when_paired_but_not_when_judged_unpaired(small, faster) -> None:
    effects = faster.effects([TIME, UTIL]).set_index("kpi")
    base, other = (e.kpis for e in faster.experiments)
    for kpi in (TIME, UTIL):
        assert effects.loc[kpi, "verdict"] == EFFECT, kpi
        assert effects.loc[kpi, "diff_ci_high"] < 0  # faster service, shorter times, less busy
        # Unpaired, the same replications tell nothing: the two intervals overlap and Welch's
        # test of the two means does not reject equality.
        a, b = faster.experiments[0].summary().loc[kpi], faster.experiments[1].summary().loc[kpi]
        assert a["ci_low"] < b["ci_high"], kpi
        assert b["ci_low"] < a["ci_high"], kpi
        assert stats.ttest_ind(base[kpi], other[kpi], equal_var=False).pvalue > 0.05, kpi
    # compare on the same seeds gives the same judgement as the sweep.
    alt = small.with_changes({"name": "faster", SERVICE: 4.1})
    d = compare([small, alt], n=5, seed=0, jobs=1).differences().set_index("kpi")
    for col in ("diff_mean", "diff_ci_low", "diff_ci_high", "verdict"):
        assert d.loc[TIME, col] == effects.loc[TIME, col], col


def test_a_share_effect_is_in_points_with_decimals_that_show_the_interval(faster) -> None:
    row = faster.effects([UTIL]).iloc[0]
    text = effect_row_text(row)
    points = row["diff_mean"] * 100
    assert -3 < points < -1  # less than 2 points: relative to 70% it would read as about -2.4%
    assert text.split(" ", 1)[1].startswith("points [")
    assert float(text.split(" ", 1)[0]) == pytest.approx(points, abs=0.001)  # width 0.07: 3 decimals
    assert "%" not in text
    low, high = text[text.index("[") + 1 : text.index("]")].split(", ")
    assert low != high
    assert float(low) < float(high) < 0
    # Hours to as many decimals as the interval needs: never "+0.00 [-0.00, +0.00]".
    assert effect_text(TIME, 0.0012, -0.0003, 0.0027, EFFECT, 0.01, None) == "+0.0012 h [-0.0003, +0.0027]"
    assert effect_text(UTIL, -0.046, -0.051, -0.041, EFFECT, 0.01, None) == "-4.6 points [-5.1, -4.1]"


def test_the_sweep_sentence_and_the_console_give_the_paired_effect(small, faster, tmp_path: Path) -> None:
    table = faster.table()
    said = sweep_answer(table, None, small, TIME, "en", faster.effects())
    assert "a paired change of -0.0" in said
    assert " h [-0.0" in said
    assert "no effect" not in said
    assert "too few" not in said
    # The Vietnamese sentence says the same in Vietnamese.
    vi = sweep_answer(table, None, small, TIME, "vi", faster.effects())
    assert "chênh lệch theo cặp -0,0" in vi
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 6
    file = tmp_path / "tb.yaml"
    file.write_text(yaml.safe_dump(data))
    out = tmp_path / "sw"
    done = bordersim(
        "sweep", str(file), "--vary", f"{SERVICE}=4.2,3.0", "-n", "3", "--jobs", "1", "--no-plots",
        "--kpi", TIME, "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "a paired change of -0." in done.stdout
    assert "no effect on" not in done.stdout  # the unpaired judgement is gone from the sweep
    effects = pd.read_csv(out / "effects.csv")
    assert set(effects["verdict"]) <= {EFFECT, NO_EFFECT, NEGLIGIBLE, UNDECIDED, NOT_MEASURED}
    unmeasured = effects[effects["verdict"] == NOT_MEASURED]
    assert (unmeasured["n"] == 0).all()  # only what no replication measured
    assert effects.set_index("kpi").loc[TIME, "verdict"] == EFFECT
    page = build_report(out)
    assert "Each point against the first (paired on common random numbers)" in page
    assert "a paired change of -0." in page


def test_a_lever_that_changes_nothing_is_no_effect(small) -> None:
    """The customs stage is off in the textbook scenario: its lanes change no truck's path."""
    sw = sweep(
        small.with_changes({"run.days": 10}), {"gates.g.customs_docs.lanes": [1, 3]}, n=3, seed=0, jobs=1
    )
    row = sw.effects([TIME, "cleared_per_day_mean"]).set_index("kpi")
    assert (row["verdict"] == NO_EFFECT).all()
    text = effect_row_text(row.loc[TIME].to_dict() | {"kpi": TIME})
    assert "no effect (within ±" in text
    assert text.endswith(" h)")


def test_a_wide_interval_with_three_replications_is_too_few_to_tell() -> None:
    base = textbook({"run.days": 10})
    alt = base.with_changes({"name": "two_lanes", "gates.g.gate_control.lanes": 2})
    d = compare([base, alt], n=3, seed=0, jobs=1).differences()
    row = d.set_index("kpi").loc["cleared_per_day_max"]  # the busiest day: noisy, barely moved
    assert row["verdict"] == UNDECIDED
    assert row["n_needed"] > 3
    assert row["diff_ci_low"] < -row["margin"]
    assert row["diff_ci_high"] > row["margin"]
    text = effect_row_text(row.to_dict() | {"kpi": "cleared_per_day_max"})
    assert text.endswith(f"too few replications to tell (about {int(row['n_needed'])} needed)")
    # The answer sentence judges each KPI on its own: the time in system moves, in hours.
    said = answer_compare(d, base, "two_lanes", "en")
    assert said.startswith("Against textbook, two_lanes changes the mean time in system by -0.")
    assert "no difference the replications can tell apart" not in said
    # ... and each of the two effects carries its own verdict, a real effect included, so that the
    # second's is never read as the first's.
    rows = d.set_index("kpi")
    assert rows.loc[TIME, "verdict"] == EFFECT  # the case: a real effect first, then another verdict
    assert rows.loc["cleared_per_day_mean", "verdict"] != EFFECT
    time_clause = effect_clause(rows.loc[TIME].to_dict() | {"kpi": TIME})
    assert time_clause.endswith(", a real effect")
    assert f"by {time_clause}; and trucks cleared a day by " in said
    cleared = rows.loc["cleared_per_day_mean"].to_dict() | {"kpi": "cleared_per_day_mean"}
    numbers, _, words = effect_row_text(cleared).partition(": ")
    assert said.endswith(f"trucks cleared a day by {numbers}, {words}.")
    assert ", tác động có thật; và số phương tiện" in answer_compare(d, base, "two_lanes", "vi")
    vi = answer_compare(d, base, "two_lanes", "vi")
    assert "thay đổi -0," in vi


def test_precision_of_a_share_is_in_points() -> None:
    rng = np.random.default_rng(0)
    x = 0.02 + rng.normal(0, 0.01, 10)  # a 2% share, half-width about 0.7 points
    half = float(t_half_width(x.std(ddof=1), 10))
    p = precision_met(x, "perishable_over_threshold_share", 0.05)
    assert p.kind == "points"
    assert p.goal == pytest.approx(0.01)
    assert p.met
    assert p.half_width == pytest.approx(half)
    assert half > 0.05 * x.mean()  # judged relative to its mean it would not be met
    assert not precision_met(x, "perishable_over_threshold_share", 0.025).met  # 0.5 points asked


def test_precision_of_a_mean_below_one_is_absolute() -> None:
    x = np.array([0.10, 0.14, 0.06, 0.12, 0.08, 0.11, 0.09, 0.13, 0.07, 0.10])
    p = precision_met(x, "road_queue_trucks_mean_g_export", 0.05)
    assert p.kind == "absolute"
    assert p.goal == pytest.approx(0.05)
    assert p.met
    assert p.needed_n == 10
    relative = precision_met(x * 100, "road_queue_trucks_mean_g_export", 0.05)  # the same spread at 10
    assert relative.kind == "relative"
    assert not relative.met
    assert relative.needed_n > 10


def test_every_listed_kpi_must_meet_the_precision() -> None:
    sc = textbook({"run.days": 10})
    first, second = "cleared_per_day_mean", "wait_min_mean_g_gate_control"
    one = replicate(sc, n=3, seed=0, jobs=1, precision=0.05, precision_kpis=[first], max_n=60)
    assert one.n == 3
    assert precision_met(one.kpis[first], first, 0.05).met
    assert not precision_met(one.kpis[second], second, 0.05).met
    both = replicate(sc, n=3, seed=0, jobs=1, precision=0.05, precision_kpis=[first, second], max_n=60)
    assert both.n > 3
    assert all(precision_met(both.kpis[k], k, 0.05).met for k in (first, second))
    old = replicate(sc, n=3, seed=0, jobs=1, precision=0.05, precision_kpi=second, max_n=60)
    assert old.n == both.n  # the single-KPI argument is a one-element list


def test_the_console_says_how_precise_each_kpi_is(tmp_path: Path) -> None:
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 4
    file = tmp_path / "tb.yaml"
    file.write_text(yaml.safe_dump(data))
    done = bordersim(
        "run", str(file), "--no-plots", "--jobs", "1", "--max-replications", "12",
        "--precision-kpi", UTIL, "--precision-kpi", "cleared_per_day_mean", "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [ln.strip() for ln in done.stdout.splitlines() if ln.strip().startswith("precision:")]
    # The KPIs asked, the headline named once, then the answer's own (no event here: the whole-run
    # sentence's procedure time and hold at 20:00).
    assert len(lines) == 4
    assert lines[2].startswith("precision: procedure_h_mean_export 95% half-width ")
    assert lines[3].startswith("precision: held_at_20h_export_mean 95% half-width ")
    assert lines[0].startswith(f"precision: {UTIL} 95% half-width ")
    assert " points after n = " in lines[0]
    assert lines[0].endswith("(asked 1.0 points: NOT met: raise --max-replications)")  # 4 days, 12 runs
    assert lines[1].startswith("precision: cleared_per_day_mean 95% half-width ")
    assert "of its mean after n = " in lines[1]
    assert lines[1].endswith("(asked 5%: met)")
    bad = bordersim("run", str(file), "--precision-kpi", UTIL, "--precision-kpi", "nonsense_kpi")
    assert bad.returncode == 2
    assert "--precision-kpi nonsense_kpi" in bad.stderr


def test_compare_prints_each_paired_effect_in_its_unit(tmp_path: Path) -> None:
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 6
    base, alt = tmp_path / "tb.yaml", tmp_path / "alt.yaml"
    base.write_text(yaml.safe_dump(data))
    data["name"] = "two_lanes"
    data["gates"]["g"]["gate_control"]["lanes"] = 2
    alt.write_text(yaml.safe_dump(data))
    out = tmp_path / "cmp"
    args = ["compare", str(base), str(alt), "-n", "3", "--jobs", "1", "--no-plots", "-o", str(out)]
    done = bordersim(*args, "--precision-kpi", UTIL)
    assert done.returncode == 0, done.stderr
    util = next(ln for ln in done.stdout.splitlines() if "Lane utilisation" in ln)
    d = pd.read_csv(out / "differences.csv").set_index("kpi")
    assert d.loc[UTIL, "verdict"] == EFFECT
    points = d.loc[UTIL, "diff_mean"] * 100
    assert points < -20  # half the load on each lane
    assert float(util.split(" points [")[0].split()[-1]) == pytest.approx(points, abs=0.5)
    assert "%" not in util.split("(%)")[-1]  # the label's unit aside, the change is in points
    assert "Against textbook, two_lanes changes the mean time in system by -0." in done.stdout
    assert {"verdict", "margin", "n_needed"} <= set(d.columns)
    vi = bordersim(*args, "--force", "--lang", "vi", "--precision-kpi", UTIL)
    assert vi.returncode == 0, vi.stderr
    assert " điểm phần trăm [" in vi.stdout


def test_the_largest_effects_are_those_beyond_their_margin_ranked_by_it() -> None:
    """compare prints, per option, the effects largest against their margins: a question about one
    stage finds its answer there. No effect, a negligible one or too few are never listed."""
    from sim.presentation.cli.compare import largest_effects

    d = pd.DataFrame(
        {
            "scenario": ["a"] * 5 + ["b"] * 2,
            "kpi": ["k1", "k2", "k3", "k4", "shown", "k1", "k2"],
            "diff_mean": [-6.0, 50.0, 0.01, 9.0, 100.0, 1.0, -3.0],
            "margin": [1.0, 20.0, 0.1, 1.0, 1.0, 1.0, 1.0],
            "verdict": [EFFECT, EFFECT, NEGLIGIBLE, EFFECT, EFFECT, UNDECIDED, EFFECT],
        }
    )
    top = largest_effects(d, exclude=["shown"], k=2)
    assert list(zip(top["scenario"], top["kpi"], strict=True)) == [("a", "k4"), ("a", "k1"), ("b", "k2")]


def test_an_effect_whose_interval_reaches_inside_its_margin_says_it_may_be_too_small() -> None:
    """[+13, +27] trucks a day against a margin of 16.5 is a real change that may not matter;
    [+17, +27] is beyond the margin throughout and needs no words."""
    maybe = effect_text("cleared_per_day_mean", 20.0, 13.2, 27.1, EFFECT, 16.49, None)
    assert maybe.startswith("+20 trucks/day [+13, +27]: a real effect")
    assert "may be too small to matter" in maybe
    assert "±16 trucks/day" in maybe
    beyond = effect_text("cleared_per_day_mean", 20.0, 17.2, 27.1, EFFECT, 16.49, None)
    assert beyond == "+20.0 trucks/day [+17.2, +27.1]"
    below = effect_text("cleared_per_day_mean", -20.0, -27.1, -13.2, EFFECT, 16.49, None)
    assert "may be too small to matter" in below


def test_an_interval_that_leaves_out_zero_never_prints_a_bound_as_zero() -> None:
    kpi = "queue_max_tan_thanh_quarantine"
    text = effect_text(kpi, 20.1, 0.27, 40.0, EFFECT, 0.30, None)
    low = text[text.index("[") + 1 : text.index(",")]
    assert float(low) > 0, text
    text = effect_text(kpi, -12.0, -24.3, -0.4, EFFECT, 0.12, None)
    high = text[text.index(", ") + 2 : text.index("]")]
    assert float(high) < 0, text
    # An interval that holds zero keeps its plain decimals.
    assert effect_text(kpi, 20.1, -0.27, 40.0, "undecided", 0.30, 9).startswith("+20 trucks [0, +40]")


def test_a_kpi_no_replication_measured_is_not_measured_not_undecided() -> None:
    """A wait at a counter no truck used is NaN in every replication: more replications would not
    help, so the verdict is "not measured" with n = 0 and no count needed."""
    nan = np.full(5, np.nan)
    e = paired_effect("wait_min_mean_huu_nghi_declaration_counter", nan, nan)
    assert (e.verdict, e.n, e.n_needed) == (NOT_MEASURED, 0, None)
    assert effect_text(e.kpi, e.diff, e.ci_low, e.ci_high, e.verdict, e.margin, e.n_needed) == "n/a"
    one = paired_effect("cleared_per_day_mean", np.array([1.0, np.nan]), np.array([2.0, np.nan]))
    assert (one.verdict, one.n, one.n_needed) == (UNDECIDED, 1, 2)  # one pair: more would tell


def test_the_sweep_sentence_says_where_a_queue_grows_and_whose_binding_stage_it_names(small) -> None:
    """At 12 Chinese minutes bottlenecks.csv said the queue grows (UNSTABLE) while the sentence named
    only the last point's binding stage, without saying which point it was."""
    sw = sweep(small.with_changes({"run.days": 12}), {SERVICE: [4.2, 7.0]}, n=2, seed=0, jobs=1)
    table = sw.table()
    bottlenecks = pd.concat(  # as the sweep command builds it
        [e.bottlenecks().assign(point=p) for p, e in enumerate(sw.experiments)], ignore_index=True
    )
    grows = bottlenecks.set_index("point")["grows_in"]
    assert grows.iloc[-1] > 0  # 7 min a truck on one lane: about 1.2 times its capacity
    assert grows.iloc[0] == 0
    said = sweep_answer(table, bottlenecks, small, TIME, "en", sw.effects())
    assert "at 7.0 the binding stage is" in said or "at 7 the binding stage is" in said
    k, n = int(grows.iloc[-1]), int(bottlenecks.set_index("point")["n"].iloc[-1])
    label = table.set_index("point")["label"].iloc[-1]
    grows_at = f"a queue grows at {label} (in {k} of {n} replications) (bottlenecks.csv)"
    assert said.rstrip(".").endswith(grows_at)
    vi = sweep_answer(table, bottlenecks, small, TIME, "vi", sw.effects())
    assert f"hàng chờ tăng tại {label} (trong {k}/{n} lần chạy)" in vi
