"""The Morris screen against queueing theory: a factor the model ignores has no effect, and the
others rank as the Erlang C formula says, first on the formula itself (with broken versions the
check must catch), then through the simulator on common random numbers; and the command refuses
bad ranges and unknown KPIs before anything runs, and writes a figure whose data can be read."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, TEXTBOOK, textbook
from test_theory import erlang_c_wait

from sim.presentation import cli, screen_output
from sim.studies.morris import morris_design, morris_function, morris_screen
from sim.world.ranges import Ranges, load_ranges, validate_ranges

KPI = "wait_min_mean_g_gate_control"
ARRIVALS = "gates.g.demand_trucks_per_day.import.general"
SERVICE = "gates.g.gate_control.service_min.default.mean"
LANES = "gates.g.gate_control.lanes"
ROAD = "gates.g.road_m_per_truck"


def factor(key: str, low: float, high: float, **more: Any) -> dict[str, Any]:
    """A ranges-file factor that sets *key* over *low*-*high*."""
    return {
        "what": f"the test's {key}",
        "set": [key],
        "low": low,
        "high": high,
        "source": "ASSUMPTION: a test",
        **more,
    }


# Offered load at most 310 x 8 / 1440 = 1.7 on 3 lanes or more: every point is stable. The ranges
# keep the effects apart (theory: lanes 0.80, service 0.33, arrivals 0.20, extra 0.03 min), so the
# ranking does not hinge on the seed of the design (it holds for seeds 0-39).
THEORY = validate_ranges(
    {
        "factors": {
            "arrivals_per_day": factor(ARRIVALS, 240, 300),
            "service_min": factor(SERVICE, 6, 8),
            "lanes": factor(LANES, 3, 5, integer=True),
            "extra_per_day": factor("demand.extra_per_day", 0, 10),
            "dummy": factor("demand.unused", 0, 1),
        }
    },
    "theory ranges",
)


def wait_min(values: np.ndarray) -> np.ndarray:
    """Erlang C mean wait (min) at each row of THEORY's factors; the dummy is not read."""
    return np.array(
        [erlang_c_wait((a + extra) / 1440, s, round(c)) for a, s, c, extra, _ in np.atleast_2d(values)]
    )


def theory_ranking(
    ranges: Ranges, w: Callable[[np.ndarray], np.ndarray], dummy: str, grid: int = 9
) -> list[str]:
    """Factors (the dummy left out) by the mean absolute change of *w* across each factor's whole
    range: finite differences between neighbours of a fine grid of the unit cube, no SALib."""
    k = len(ranges.names)
    axis = np.linspace(0.0, 1.0, grid)
    mesh = np.stack(np.meshgrid(*[axis] * k, indexing="ij"), axis=-1).reshape(-1, k)
    y = w(ranges.natural(mesh)).reshape([grid] * k)
    effect = {
        name: float(np.mean(np.abs(np.diff(y, axis=i)))) * (grid - 1) for i, name in enumerate(ranges.names)
    }
    assert effect[dummy] == 0
    ordered = sorted((n for n in ranges.names if n != dummy), key=lambda n: -effect[n])
    values = [effect[n] for n in ordered]
    assert all(a > 1.3 * b for a, b in itertools.pairwise(values)), f"effects too close: {effect}"
    return ordered


def check_screen(
    ranking: pd.DataFrame, expected: Sequence[str], dummy: str, dummy_bound: float = 0.0
) -> None:
    """The dummy's mu* is at most *dummy_bound*, and the other factors rank as *expected*."""
    mu = ranking.set_index("factor").mu_star
    assert mu[dummy] <= dummy_bound, f"the dummy {dummy} has mu* {mu[dummy]:.3g} > {dummy_bound:g}"
    order = [f for f in mu.sort_values(ascending=False, kind="stable").index if f != dummy]
    assert order == list(expected), f"ranking {order} is not the theory's {list(expected)}"


def dummy_used(values: np.ndarray) -> np.ndarray:
    """Broken: the wait grows with the dummy."""
    return wait_min(values) * (1 + 0.5 * values[:, THEORY.names.index("dummy")])


def swapped(values: np.ndarray) -> np.ndarray:
    """Broken: the service minutes and the lanes are read from each other's columns."""
    unit = THEORY.unit(values)
    i, j = THEORY.names.index("service_min"), THEORY.names.index("lanes")
    unit[:, [i, j]] = unit[:, [j, i]]
    return wait_min(THEORY.natural(unit))


def test_mu_star_is_in_kpi_units_per_full_range() -> None:
    ranges = validate_ranges({"factors": {"a": factor("x.a", 10, 30), "b": factor("x.b", 1, 2)}})
    screen = morris_function(ranges, lambda v: {"y": 2 * v[:, 0] - 5 * v[:, 1]}, r=5, seed=3)
    table = screen.of("y").set_index("factor")
    assert table.mu_star.to_dict() == pytest.approx({"a": 2 * 20, "b": 5 * 1})
    assert table.mu.to_dict() == pytest.approx({"a": 40, "b": -5})
    assert table.sigma.to_numpy() == pytest.approx([0, 0], abs=1e-9)
    assert screen.n_points == 5 * 3
    assert list(screen.points.columns) == ["point", "trajectory", "a", "b", "y"]


@pytest.mark.parametrize(
    ("model", "fails_on"), [(wait_min, None), (dummy_used, "the dummy"), (swapped, "ranking")]
)
def test_the_screen_of_erlang_c_ranks_as_theory_and_the_check_can_fail(
    model: Callable[[np.ndarray], np.ndarray], fails_on: str | None
) -> None:
    expected = theory_ranking(THEORY, wait_min, "dummy")
    assert expected == ["lanes", "service_min", "arrivals_per_day", "extra_per_day"]
    screen = morris_function(THEORY, lambda v: {"wait_min": model(v)}, r=20, seed=0)
    assert screen.n_points == 20 * (len(THEORY.names) + 1)
    ranking = screen.of("wait_min")
    if fails_on is None:
        check_screen(ranking, expected, "dummy")
        assert ranking.set_index("factor").mu_star["dummy"] == 0.0
    else:
        with pytest.raises(AssertionError, match=fails_on):
            check_screen(ranking, expected, "dummy")


SIM = validate_ranges(
    {
        "factors": {
            "arrivals_per_day": factor(ARRIVALS, 260, 280),
            "service_min": factor(SERVICE, 6.5, 8),
            "lanes": factor(LANES, 3, 5, integer=True),
            "road_m_per_truck": factor(ROAD, 10, 30),
        }
    },
    "simulator ranges",
)


def erlang_c_at(values: np.ndarray) -> dict[str, np.ndarray]:
    """The Erlang C wait at each row of SIM's factors (road length plays no part in it)."""
    return {KPI: np.array([erlang_c_wait(a / 1440, s, round(c)) for a, s, c, _ in values])}


def test_the_simulator_screen_ranks_as_erlang_c_on_the_same_points() -> None:
    sc = textbook({"run.days": 10})
    road = SIM.apply(sc, [270, 7, 4, 25]).to_dict()["gates"]["g"]["road_m_per_truck"]
    assert road == 25  # the dummy does reach the scenario: it moves a key the wait does not read
    screen = morris_screen(sc, SIM, r=4, n=1, seed=0, jobs=1, kpis=[KPI])
    theory = morris_function(SIM, erlang_c_at, r=4, seed=0)
    assert np.array_equal(screen.unit, theory.unit)
    assert screen.points.road_m_per_truck.nunique() > 1
    expected = [f for f in theory.of(KPI).factor if f != "road_m_per_truck"]
    # Common random numbers and no draw of its own: the road length changes no wait at all, to the
    # last bit, at every step of a trajectory that moves it alone.
    check_screen(screen.of(KPI), expected, "road_m_per_truck", dummy_bound=0.0)
    road = SIM.names.index("road_m_per_truck")
    y = screen.points[KPI].to_numpy()
    steps = [
        i
        for i in range(1, screen.n_points)
        if screen.points.trajectory[i] == screen.points.trajectory[i - 1]
        and np.flatnonzero(screen.unit[i] != screen.unit[i - 1]).tolist() == [road]
    ]
    assert len(steps) == screen.r
    assert all(y[i] == y[i - 1] for i in steps)
    assert screen.cpu_s > 0


def write_inputs(folder: Path, factors: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """The textbook scenario (3 days) and the simulator's ranges (or *factors*) as files."""
    data = copy.deepcopy(TEXTBOOK)
    data["run"]["days"] = 3
    scenario = folder / "textbook.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    ranges = folder / "ranges.yaml"
    body = factors if factors is not None else SIM.model_dump(mode="json", exclude_defaults=True)["factors"]
    ranges.write_text(yaml.safe_dump({"factors": body}, sort_keys=False), encoding="utf-8")
    return scenario, ranges


def good_factors() -> dict[str, Any]:
    return {
        "arrivals_per_day": factor(ARRIVALS, 260, 280),
        "lanes": factor(LANES, 3, 5, integer=True),
    }


@pytest.mark.parametrize(
    ("change", "factor_name", "says"),
    [
        ({"lanes": {**factor(LANES, 3, 5), "sett": [LANES]}}, "lanes", "sett"),
        ({"arrivals_per_day": factor(ARRIVALS, 290, 280)}, "arrivals_per_day", "above high"),
        ({"lanes": factor("gates.*.gate_kontrol.lanes", 3, 5)}, "lanes", "no number"),
    ],
)
def test_bad_ranges_are_refused_naming_the_file_and_factor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], factor_name: str, says: str
) -> None:
    scenario, ranges = write_inputs(tmp_path, {**good_factors(), **change})
    out = tmp_path / "out"
    before = sorted(tmp_path.iterdir())
    code = cli.main(
        ["screen", str(scenario), "--ranges", str(ranges), "-r", "2", "--jobs", "1", "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert str(ranges) in err
    assert f"factors.{factor_name}" in err
    assert says in err
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before


def test_an_unknown_kpi_a_readme_without_markers_or_too_few_days_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, ranges = write_inputs(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    base = [
        "screen",
        str(scenario),
        "--ranges",
        str(ranges),
        "-r",
        "2",
        "--jobs",
        "1",
        "-o",
        str(tmp_path / "o"),
    ]
    assert cli.main([*base, "--kpi", KPI, "--kpi", "wait_at_the_gate"]) == 2
    assert "--kpi wait_at_the_gate: unknown KPI" in capsys.readouterr().err
    assert cli.main([*base, "--readme", str(readme)]) == 2
    assert "screen-table:start" in capsys.readouterr().err
    assert cli.main([*base, "--days", "1"]) == 2  # the textbook's warm-up is 1 day
    assert "--days 1: a run must be longer than the scenario's warm-up" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == before
    assert readme.read_text(encoding="utf-8") == "# no markers\n"


def test_screen_command_writes_the_ranking_points_figure_and_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, ranges = write_inputs(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- screen-table:start -->\nold\n<!-- screen-table:end -->\nend\n", encoding="utf-8"
    )
    figures: list[Any] = []
    make = screen_output.screen_figure
    monkeypatch.setattr(screen_output, "screen_figure", lambda s: figures.append(make(s)) or figures[-1])
    out = tmp_path / "screen"
    args = ["screen", str(scenario), "--ranges", str(ranges), "-r", "2", "--days", "2", "--jobs", "1"]
    assert cli.main([*args, "-o", str(out), "--readme", str(readme)]) == 0
    printed = capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= {"screen.csv", "points.csv", "screen.md", "screen.png"}
    ranking = pd.read_csv(out / "screen.csv")
    points = pd.read_csv(out / "points.csv")
    kpis = list(dict.fromkeys(ranking.kpi))
    # The default KPIs: the headline and the largest utilisation; export KPIs are undefined here.
    assert kpis[0] == "cleared_per_day_mean"
    assert "utilisation_g_gate_control" in kpis
    assert "procedure_h_mean_export" not in kpis
    assert len(points) == 2 * (len(SIM.names) + 1)
    assert set(SIM.names) | set(kpis) <= set(points.columns)
    for kpi in kpis:
        table = ranking[ranking.kpi == kpi]
        assert sorted(table.factor) == sorted(SIM.names)
        assert table["rank"].min() == 1
    text = (out / "screen.md").read_text(encoding="utf-8")
    assert "10 points (r = 2" in text
    assert "2 days a run" in text
    assert "CPU time" in text
    assert text.strip() in printed
    assert text.strip() in readme.read_text(encoding="utf-8")
    assert "old" not in readme.read_text(encoding="utf-8")
    (fig,) = figures
    assert len(fig.axes) == len(kpis)
    for ax, kpi in zip(fig.axes, kpis, strict=True):
        assert ax.get_title() == kpi
        assert ax.get_xlim()[0] == 0
        assert ax.get_ylim()[0] == 0
        assert sorted(t.get_text() for t in ax.texts) == sorted(SIM.names)
        table = ranking[ranking.kpi == kpi].set_index("factor")
        xy = {t.get_text(): t.xy for t in ax.texts}
        for name, (x, y) in xy.items():
            assert x == pytest.approx(table.mu_star[name])
            assert y == pytest.approx(table.sigma[name])


def test_every_point_of_the_baseline_screen_is_a_scenario(baseline: Any) -> None:
    ranges = load_ranges(ROOT / "scenarios" / "ranges.yaml")
    ranges.check(baseline)
    values = ranges.natural(morris_design(len(ranges.names), 10, 4, seed=0))
    column = ranges.names.index("red_share_general")
    assert len(np.unique(values[:, column])) == 4  # every level, e.g. 0.173333 (shares rounded to 1e-6)
    for row in values:
        shares = ranges.apply(baseline, row).risk.channel_shares
        for name in ("general", "fruit"):
            s = shares[name]
            assert s.green + s.yellow + s.red == pytest.approx(1, abs=1e-9)


def test_the_order_sentence_names_only_what_the_intervals_resolve() -> None:
    import pandas as pd

    from sim.presentation.screen_output import order_sentence

    def table(mu: list[float], conf: list[float]) -> pd.DataFrame:
        return pd.DataFrame({"factor": ["a", "b", "c"], "mu_star": mu, "mu_star_conf": conf})

    clear = order_sentence("k", table([10, 3, 1], [1, 1, 0.5]), ["a", "b"])
    assert "`a` moves it more than any other" in clear
    overlapping = order_sentence("k", table([10, 9, 1], [2, 2, 0.5]), ["a", "b"])
    assert "`b` could move it as much as `a`" in overlapping
    assert "the other 1 move it less" in overlapping
    chain = order_sentence("k", table([10, 7, 4], [2, 2, 2]), ["a", "b"])  # c overlaps b, not a
    assert "`b` could move it as much" in chain
    assert "the other 1 move it less" in chain


def test_an_unmoving_factor_is_no_rival_of_a_top_one_whose_interval_reaches_zero() -> None:
    """mu* 0.511 ± 0.512 at the top: its interval's low end is 0, not -0.001, and factors with
    mu* 0 ± 0 (no effect on this design) could not move the KPI as much; with no factor left
    below, the sentence does not say "the other 0 move it less"."""
    import pandas as pd

    from sim.presentation.screen_output import order_sentence

    table = pd.DataFrame(
        {
            "factor": ["a", "b", "c", "d"],
            "mu_star": [0.511, 0.3, 0.0, 0.0],
            "mu_star_conf": [0.512, 0.2, 0.0, 0.0],
        }
    )
    said = order_sentence("k", table, ["a", "b"])
    assert "`b` could move it as much as `a`" in said
    assert "`c`" not in said.split("could move")[0].split("resolved at this r:")[1]
    assert "the other 2 move it less" in said
    both = pd.DataFrame({"factor": ["a", "b"], "mu_star": [0.5, 0.45], "mu_star_conf": [0.2, 0.2]})
    said = order_sentence("k", both, ["a", "b"])
    assert "the other 0" not in said
    assert "no other moves it less" in said


def test_a_top_factor_whose_interval_reaches_zero_is_not_said_to_lie_above_the_rest() -> None:
    import pandas as pd

    from sim.presentation.screen_output import order_sentence

    table = pd.DataFrame({"factor": ["a", "b"], "mu_star": [0.511, 0.0], "mu_star_conf": [0.512, 0.0]})
    said = order_sentence("k", table, ["a"])
    assert "lies above every other" not in said
    assert "its interval reaches 0" in said
