"""What waiting costs (against a hand-computed timeline) and what levers cost (costs files)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, bordersim, hand_made, textbook

from sim import ScenarioError, load_scenario, run
from sim.experiments.costs import CostsError, CostsFile, check_levers, load_costs, option_cost

COSTS = ROOT / "scenarios" / "costs.yaml"
RATES = {
    "parking_vnd_per_truck_day": 480_000,  # 20,000 an hour
    "reefer_fuel_vnd_per_truck_day": 240_000,  # 10,000 an hour
    "goods_value_vnd_per_truck": 1e9,
    "perishable_loss_share": 0.25,
    "perishable_threshold_h": 1.5,
    "tonnes_per_truck": 20,
    "idle_co2_kg_per_truck_h": 6,
}


def _two_trucks(cargo: int, kpi: dict) -> dict[str, float]:
    """Two imports at 01:00, one lane of 60 min, a yard of one place: A is served 01:00-02:00 in
    the yard; B waits on the road 01:00-02:00, then is served 02:00-03:00 in the yard."""
    sc = textbook(
        {
            "run.days": 2,
            "run.warmup_days": 0,
            "cargo_classes": {"general": {}, "fruit": {"perishable": True}},
            "gates.g.gate_control.service_min": {"default": {"dist": "fixed", "value": 60}},
            "gates.g.parking.import": {"places": 1},
            "kpi": {**RATES, **kpi},
        }
    )
    r = run(sc, arrivals=hand_made([60, 60], cargo=cargo))
    assert list(r.trucks["road_h"]) == [0, 1]
    assert list(r.trucks["time_in_system_h"]) == [1, 2]
    return r.kpis()


def test_a_reefer_pays_parking_in_the_yard_only_and_fuel_everywhere() -> None:
    k = _two_trucks(cargo=1, kpi={})  # fruit: perishable, refrigerated
    # Parking: 2 yard hours x 20,000; fuel: 3 hours at the border x 10,000; over 2 days.
    assert k["waiting_cost_vnd_per_day"] == pytest.approx((2 * 20_000 + 3 * 10_000) / 2)
    assert k["waiting_cost_vnd_per_day_import"] == pytest.approx(35_000)
    assert k["waiting_cost_vnd_per_day_export"] == 0
    assert k["goods_at_risk_vnd_per_day"] == pytest.approx(1e9 * 0.25 / 2)  # B: 2 h > 1.5 h
    assert k["tonnes_cleared_per_day"] == pytest.approx(2 * 20 / 2)
    assert k["idle_co2_t_per_day"] == pytest.approx(3 * 6 / 1000 / 2)  # a reefer idles all 3 h


def test_dry_cargo_burns_no_reefer_fuel_and_empty_trucks_carry_no_tonnes() -> None:
    k = _two_trucks(cargo=0, kpi={"unladen_classes": ["general"]})
    assert k["waiting_cost_vnd_per_day"] == pytest.approx(2 * 20_000 / 2)
    assert k["goods_at_risk_vnd_per_day"] == 0
    assert k["tonnes_cleared_per_day"] == 0
    assert k["idle_co2_t_per_day"] == pytest.approx(1 * 6 / 1000 / 2)  # only B's hour on the road


def test_the_drivers_living_costs_add_hours_at_the_border_times_the_rate_over_24() -> None:
    rate = 240_000  # 10,000 an hour
    for cargo in (0, 1):  # dry and refrigerated alike: every driver eats while waiting
        without = _two_trucks(cargo=cargo, kpi={})
        with_driver = _two_trucks(cargo=cargo, kpi={"driver_vnd_per_truck_day": rate})
        # A: 1 h in the yard; B: 1 h on the road + 1 h in the yard: 3 hours at the border over 2 days,
        # the road hour included (no parking there, but the driver still lives on the roadside)
        extra = with_driver["waiting_cost_vnd_per_day"] - without["waiting_cost_vnd_per_day"]
        assert extra == pytest.approx(3 * rate / 24 / 2)
        assert with_driver["waiting_cost_vnd_per_day_import"] - without[
            "waiting_cost_vnd_per_day_import"
        ] == pytest.approx(extra)


def test_the_baseline_counts_the_drivers_living_costs_and_nothing_for_the_road() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert 150_000 <= sc.kpi.driver_vnd_per_truck_day <= 300_000  # the ASSUMPTION's range
    assert sc.kpi.park_vnd_per_truck_day == 0


def test_an_unknown_reefer_class_is_named() -> None:
    with pytest.raises(ScenarioError, match=r"kpi.reefer_classes: unknown cargo class \['durian'\]"):
        textbook({"kpi.reefer_classes": ["durian"]})


def test_lever_costs_by_lane_hour_day_opening_hour_and_value(baseline) -> None:
    costs = load_costs(COSTS)
    point = {
        "gates.huu_nghi.customs_docs.lanes": 8,  # +2 lanes open 07:00-23:00
        "gates.huu_nghi.routes.r1119_1120.china_check.lanes": 10,  # +2 negotiated
        "gates.huu_nghi.routes.r1119_1120.china_check.hours_china.close": "23:00",  # +2 h
        "gates.huu_nghi.park.order": "fifo",
        "gates.huu_nghi.gate_control.priority": [],
    }
    option = baseline.with_changes(point)
    cost = option_cost(baseline, option, point, costs)
    assert cost["gates.huu_nghi.customs_docs.lanes"] == 2 * 16 * 150_000
    assert cost["gates.huu_nghi.routes.r1119_1120.china_check.lanes"] == 2 * 5_000_000
    assert cost["gates.huu_nghi.routes.r1119_1120.china_check.hours_china.close"] == pytest.approx(
        2 * 5_000_000
    )
    assert cost["gates.huu_nghi.park.order"] == 0
    assert cost["gates.huu_nghi.gate_control.priority"] == 0
    # Fewer lanes than the scenario has save their cost.
    fewer = {"gates.huu_nghi.customs_docs.lanes": 5}
    assert option_cost(baseline, baseline.with_changes(fewer), fewer, costs) == {
        "gates.huu_nghi.customs_docs.lanes": -16 * 150_000
    }
    # Without a costs file every unit costs the same: lanes, hours, a change of rule.
    units = option_cost(baseline, option, point, None)
    assert units["gates.huu_nghi.customs_docs.lanes"] == 2
    assert units["gates.huu_nghi.routes.r1119_1120.china_check.hours_china.close"] == pytest.approx(2)
    assert units["gates.huu_nghi.park.order"] == 1


def test_every_number_of_the_shipped_costs_is_cited_or_an_assumption() -> None:
    costs = load_costs(COSTS)
    for pattern, rule in costs.levers.items():
        assert "ASSUMPTION" in rule.source or "FF" in rule.source, pattern
    text = COSTS.read_text()
    assert text.lstrip().startswith("#")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"vnd_per_unit_hour": 1},
            r"levers\.gates\.\*\.gate_control\.lanes\.source: required key is missing",
        ),
        ({"vnd_per_unit_hour": 1, "vnd_per_unit_day": 2, "source": "x"}, "give exactly one of"),
        ({"vnd_per_unit_hour": -1, "source": "x"}, "greater than or equal to 0"),
        ({"vnd_per_lane": 1, "source": "x"}, r"vnd_per_lane: unknown key"),
    ],
    ids=["no source", "two rates", "negative", "unknown key"],
)
def test_a_bad_costs_file_names_the_file_and_the_key(tmp_path: Path, entry: dict, message: str) -> None:
    bad = tmp_path / "costs.yaml"
    bad.write_text(yaml.safe_dump({"levers": {"gates.*.gate_control.lanes": entry}}))
    with pytest.raises(CostsError, match=message) as err:
        load_costs(bad)
    assert str(bad) in str(err.value)
    assert "invalid costs file" in str(err.value)


def test_a_lever_without_a_cost_is_refused() -> None:
    costs = CostsFile.model_validate(
        {"levers": {"gates.*.customs_docs.lanes": {"vnd_per_unit_day": 0, "source": "x"}}}
    )
    check_levers(costs, {"gates.huu_nghi.customs_docs.lanes": [6, 8]}, "c.yaml")  # priced: fine
    with pytest.raises(CostsError, match=r"no cost for lever 'gates.huu_nghi.inspection.lanes'"):
        check_levers(costs, {"gates.huu_nghi.inspection.lanes": [4, 5]}, "c.yaml")
    by_value = CostsFile.model_validate(
        {"levers": {"gates.*.park.order": {"vnd_per_day_by_value": {"fifo": 0}, "source": "x"}}}
    )
    with pytest.raises(
        CostsError, match=r"park\.order: no price for value\(s\) 'priority' \(priced: 'fifo'\)"
    ):
        check_levers(by_value, {"gates.huu_nghi.park.order": ["fifo", "priority"]}, "c.yaml")


def test_the_command_refuses_a_bad_costs_file_before_running(tmp_path: Path) -> None:
    bad = tmp_path / "costs.yaml"
    bad.write_text("levers:\n  gates.*.customs_docs.lanes: {vnd_per_unit_hour: 1}\n")
    done = bordersim(
        "optimise", str(ROOT / "scenarios" / "baseline.yaml"), "--costs", str(bad),
        "--target", "time_in_system_h_mean_export <= 4", "--lever", "gates.huu_nghi.customs_docs.lanes=6,8",
        "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "levers.gates.*.customs_docs.lanes.source: required key is missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_baseline_rates_are_in_its_kpi_section() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert sc.kpi.parking_vnd_per_truck_day == 400_000
    assert sc.kpi.reefer_fuel_vnd_per_truck_day == 300_000
    assert 500e6 <= sc.kpi.goods_value_vnd_per_truck <= 900e6
    assert sc.kpi.reefer_classes == ["fruit"]


def test_any_lever_value_can_be_priced_by_value(tmp_path: Path, baseline) -> None:
    """Clock times, priority lists (as YAML or JSON text) and words each get their own price."""
    file = tmp_path / "costs.yaml"
    file.write_text(
        "levers:\n"
        "  gates.*.routes.*.china_check.hours_china.close:\n"
        "    vnd_per_day_by_value: {'21:00': 0, '24:00': 7000000}\n"
        "    source: x\n"
        "  gates.*.park.priority:\n"
        "    vnd_per_day_by_value: {'[fruit]': 0, '[\"fruit\", \"general\"]': 2500000, '[]': 100}\n"
        "    source: x\n"
        "  gates.*.park.order:\n"
        "    vnd_per_day_by_value: {fifo: 0, priority: 300}\n"
        "    source: x\n"
    )
    costs = load_costs(file)
    table = costs.levers["gates.*.park.priority"].vnd_per_day_by_value
    assert table == {"[fruit]": 0, "[fruit, general]": 2_500_000, "[]": 100}
    close = "gates.huu_nghi.routes.r1119_1120.china_check.hours_china.close"
    point = {
        close: "24:00",
        "gates.huu_nghi.park.priority": ["fruit", "general"],
        "gates.huu_nghi.park.order": "fifo",
    }
    levers = {k: [v] for k, v in point.items()}
    check_levers(costs, levers, str(file))
    cost = option_cost(baseline, baseline.with_changes(point), point, costs)
    # Against the scenario as given: 21:00 China time, [fruit] first, order by priority.
    assert cost == {
        close: 7_000_000,
        "gates.huu_nghi.park.priority": 2_500_000,
        "gates.huu_nghi.park.order": -300,
    }


def test_a_value_without_a_price_names_the_file_the_lever_and_the_value(tmp_path: Path) -> None:
    file = tmp_path / "costs.yaml"
    file.write_text(
        "levers:\n  gates.*.park.priority:\n    vnd_per_day_by_value: {'[fruit]': 0}\n    source: x\n"
    )
    costs = load_costs(file)
    with pytest.raises(CostsError) as err:
        check_levers(costs, {"gates.huu_nghi.park.priority": [["fruit"], ["fruit", "general"]]}, str(file))
    text = str(err.value)
    assert str(file) in text
    assert "lever gates.huu_nghi.park.priority: no price for value(s) '[fruit, general]'" in text
    assert "'[fruit]'" not in text.split("no price for value(s)")[1].split("(priced")[0]


def test_the_shipped_costs_price_chinese_priority_lists_by_value(baseline) -> None:
    costs = load_costs(COSTS)
    key = "gates.huu_nghi.routes.r1119_1120.china_check.priority"
    point = {key: ["fruit", "general"]}
    check_levers(costs, {key: [[], ["fruit"], ["fruit", "general"]]}, str(COSTS))
    assert option_cost(baseline, baseline.with_changes(point), point, costs) == {key: 1_000_000}


def test_a_lever_value_priced_twice_under_two_spellings_is_refused() -> None:
    """6 and "6" price the same lever value: one price would be dropped without a word."""
    data = {
        "levers": {
            "gates.*.customs_docs.lanes": {
                "vnd_per_day_by_value": {6: 0, "6": 5, 7: 1},
                "source": "ASSUMPTION: x",
            }
        }
    }
    with pytest.raises(ValueError, match="the value 6 is priced twice"):
        CostsFile.model_validate(data)
