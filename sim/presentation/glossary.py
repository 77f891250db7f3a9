"""Every word the report and the console summary show, in English and Vietnamese, in one place.

:data:`TERMS` holds each text once in both languages (the Vietnamese uses the terms of the
Vietnamese sources: cửa khẩu, phương tiện, thông quan, tờ khai, xuất khẩu, nhập khẩu, bãi, hàng
chờ, thời gian thông quan); :func:`tr` picks one and fills it in. :func:`kpi_label` names any KPI
of ``run.kpis()`` with its unit, :func:`fmt` writes a value the way a reader expects (shares in
%, counts with thousands separators, Vietnamese separators in Vietnamese), and
:data:`REFERENCES` gives the reported figures KPIs are set against.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sim.world.scenario import DIRECTIONS, Scenario

LANGS = ("en", "vi")
"""Languages of the report and the console summary."""

TERMS: dict[str, tuple[str, str]] = {
    # Directions, places, stages and cargo classes.
    "export": ("export", "xuất khẩu"),
    "import": ("import", "nhập khẩu"),
    "exports": ("exports", "xe xuất khẩu"),
    "imports": ("imports", "xe nhập khẩu"),
    "stage.declaration_counter": ("declaration counter", "quầy khai tờ khai giấy"),
    "stage.gate_control": ("gate control", "kiểm soát cổng (biên phòng, cân xe)"),
    "stage.customs_docs": ("customs document check", "kiểm tra hồ sơ hải quan"),
    "stage.inspection": ("physical inspection", "kiểm tra thực tế hàng hóa"),
    "stage.quarantine": ("plant quarantine", "kiểm dịch thực vật"),
    "stage.china_check": ("Chinese checkpoint", "trạm kiểm soát phía Trung Quốc"),
    "stage.crossing": ("crossing", "chuyển tải qua biên giới"),
    "stage.platform_review": ("platform's review", "công chức duyệt tờ khai trên Nền tảng cửa khẩu số"),
    "stage.approval": ("waiting for approval", "chờ duyệt tờ khai"),
    "stage.road": ("road", "hàng chờ trên đường"),
    "place.road": ("on the road", "trên đường"),
    "place.yard": ("in the yard", "trong bãi"),
    "place.park": ("in the holding park", "trong bãi tập kết"),
    "place.travel": ("on the way from the park", "trên đường từ bãi tập kết"),
    "place.to_china": ("waiting for or crossing to China", "chờ hoặc đang sang Trung Quốc"),
    "place.china_side": ("on the Chinese side", "phía Trung Quốc"),
    "place.yard_wait": ("waiting in the yard", "chờ trong bãi"),
    "place.procedures": ("procedures", "làm thủ tục"),
    "cargo.fruit": ("fruit", "trái cây tươi"),
    "cargo.general": ("general cargo", "hàng tổng hợp"),
    "cargo.empty": ("empty trucks", "xe rỗng"),
    "route": ("route {route}", "tuyến {route}"),
    "stage_on_route": ("{stage} on route {route}", "{stage} tuyến {route}"),
    # Units.
    "unit.h": ("h", "giờ"),
    "unit.min": ("min", "phút"),
    "unit.trucks": ("trucks", "xe"),
    "unit.trucks_per_day": ("trucks/day", "xe/ngày"),
    "unit.km": ("km", "km"),
    "unit.pct": ("%", "%"),
    "unit.days": ("days", "ngày"),
    "unit.vnd_per_day": ("VND/day", "đồng/ngày"),
    "unit.t_per_day": ("t/day", "tấn/ngày"),
    "unit.t_co2_per_day": ("t CO2/day", "tấn CO2/ngày"),
    "unit.lanes": ("lanes", "làn"),
    # KPI families (see kpi_label).
    "kpi.cleared_per_day": ("Trucks cleared per day", "Phương tiện thông quan mỗi ngày"),
    "kpi.arrived_per_day": ("Trucks arriving per day", "Phương tiện đến mỗi ngày"),
    "kpi.days_above_peak_ref": ("Days above the reported peak", "Số ngày vượt mức cao điểm báo cáo"),
    "kpi.days_above_peak_ref_share": (
        "Share of days above the reported peak",
        "Tỷ lệ ngày vượt mức cao điểm báo cáo",
    ),
    "kpi.time_in_system_h": ("Time in system", "Thời gian từ khi đến đến khi rời cửa khẩu"),
    "kpi.procedure_h": ("Clearance time (yard entry to clearance)", "Thời gian thông quan (từ khi vào bãi)"),
    "kpi.time_h": ("Time spent", "Thời gian"),
    "kpi.wait_min": ("Wait", "Thời gian chờ"),
    "kpi.perishable_over_threshold_share": (
        "Perishable trucks over the threshold",
        "Tỷ lệ xe hàng dễ hỏng vượt ngưỡng thời gian",
    ),
    "kpi.held_at": ("Trucks not yet cleared at {clock}", "Xe chưa thông quan lúc {clock}"),
    "kpi.road_queue_trucks": ("Road queue", "Hàng chờ trên đường"),
    "kpi.road_queue_km": ("Road queue length", "Chiều dài hàng chờ trên đường"),
    "kpi.yard_occupancy": ("Trucks in the yard", "Số xe trong bãi"),
    "kpi.park_occupancy": ("Trucks in the holding park", "Số xe trong bãi tập kết"),
    "kpi.queue": ("Queue", "Hàng chờ"),
    "kpi.utilisation": ("Lane utilisation", "Mức sử dụng làn"),
    "kpi.backlog_end": ("Trucks still inside at the end", "Xe còn tồn khi kết thúc"),
    "kpi.backlog_end_share_of_day": (
        "Backlog at the end, in days of clearance",
        "Xe tồn cuối kỳ, tính theo ngày thông quan",
    ),
    "kpi.censored_trucks": ("Trucks not cleared by the end (censored)", "Xe chưa thông quan khi kết thúc"),
    "kpi.cleared_trucks": ("Trucks cleared", "Số xe đã thông quan"),
    "kpi.turned_away": ("Trucks turned away", "Xe phải quay đầu"),
    "kpi.arrived_before_approval_share": (
        "Arrived before their declaration was approved",
        "Tỷ lệ xe đến trước khi tờ khai được duyệt",
    ),
    "kpi.waiting_cost_vnd_per_day": ("Cost of waiting per day", "Chi phí chờ mỗi ngày"),
    "kpi.goods_at_risk_vnd_per_day": (
        "Value of goods at risk per day",
        "Giá trị hàng có nguy cơ hư hỏng mỗi ngày",
    ),
    "kpi.tonnes_cleared_per_day": ("Tonnes cleared per day", "Khối lượng hàng thông quan mỗi ngày"),
    "kpi.idle_co2_t_per_day": ("CO2 from idling per day", "CO2 do xe nổ máy chờ mỗi ngày"),
    "stat.mean": ("mean", "trung bình"),
    "stat.p50": ("median", "trung vị"),
    "stat.p95": ("95th percentile", "phân vị 95"),
    "stat.max": ("maximum", "lớn nhất"),
    "stat.min": ("minimum", "nhỏ nhất"),
    # The report.
    "report.lang": ("en", "vi"),
    "report.answer": ("Answer", "Trả lời"),
    "report.question": ("Question", "Câu hỏi"),
    "report.key_figures": (
        "Key figures against the reported figures",
        "Chỉ tiêu chính so với số liệu báo cáo",
    ),
    "report.figure": ("Figure", "Chỉ tiêu"),
    "report.value": ("Mean [95% interval]", "Trung bình [khoảng tin cậy 95%]"),
    "report.value1": ("Value (one run)", "Giá trị (một lần chạy)"),
    "report.reference": ("Reported", "Số liệu báo cáo"),
    "report.verdict": ("Against the reported figure", "So với báo cáo"),
    "report.within": ("within", "trong khoảng"),
    "report.above": ("above", "cao hơn"),
    "report.below": ("below", "thấp hơn"),
    "report.method": (
        "n = {n} replications; {method}.",
        "n = {n} lần chạy mô phỏng; {method}.",
    ),
    "report.method_t": (
        "intervals are 95% Student t intervals over replications",
        "khoảng tin cậy 95% theo phân phối Student t giữa các lần chạy",
    ),
    "report.method_one": (
        "one replication, so no interval can be given",
        "chỉ một lần chạy nên không có khoảng tin cậy",
    ),
    "report.method_paired": (
        "paired differences on common random numbers, 95% Student t intervals",
        "chênh lệch theo cặp trên cùng chuỗi số ngẫu nhiên, khoảng tin cậy 95% theo Student t",
    ),
    "report.bottleneck": ("The bottleneck", "Điểm nghẽn"),
    "report.bottleneck_rule": (
        "Per gate and direction, the stage busiest in its open hours; a queue grows when the trucks "
        "in the system at 00:00 rise day by day over the window.",
        "Với mỗi cửa khẩu và chiều hàng, khâu bận nhất trong giờ làm việc; hàng chờ tăng khi số xe "
        "còn trong hệ thống lúc 00:00 tăng dần qua các ngày.",
    ),
    "report.gate": ("Gate", "Cửa khẩu"),
    "report.direction": ("Direction", "Chiều hàng"),
    "report.stage": ("Binding stage", "Khâu nghẽn"),
    "report.busy": ("Busy in open hours", "Mức bận trong giờ làm việc"),
    "report.grows": ("Queue grows", "Hàng chờ tăng"),
    "report.grows_in": ("in {k} of {n} replications", "trong {k}/{n} lần chạy"),
    "report.cost": ("The cost of waiting", "Chi phí chờ"),
    "report.no_cost": (
        "No waiting-cost figures in these results.",
        "Kết quả này không có chỉ tiêu chi phí chờ.",
    ),
    "report.all_kpis": ("All {n} KPIs", "Toàn bộ {n} chỉ tiêu"),
    "report.kpi_key": ("Key", "Mã"),
    "report.parameters": ("Parameters", "Thông số"),
    "report.capacity": ("Capacity", "Năng lực"),
    "report.hours": ("Hours", "Giờ làm việc"),
    "report.china_time": ("China time", "giờ Trung Quốc"),
    "report.scenario_text": ("The whole scenario as run", "Toàn bộ kịch bản đã chạy"),
    "report.figures": ("Figures", "Biểu đồ"),
    "report.meta": (
        "{days} days from {start} ({warmup} warm-up days left out), {n} replications, seed {seed}, "
        "bordersim {version}",
        "{days} ngày từ {start} (bỏ {warmup} ngày khởi động), {n} lần chạy, hạt giống {seed}, "
        "bordersim {version}",
    ),
    "report.comparison": ("Comparison", "So sánh"),
    "report.alternatives": ("Scenarios and their questions", "Các kịch bản và câu hỏi"),
    "report.scenario": ("Scenario", "Kịch bản"),
    "report.base": ("base", "gốc"),
    "report.differences": ("Differences (scenario minus base)", "Chênh lệch (kịch bản trừ kịch bản gốc)"),
    "report.base_mean": ("Base", "Gốc"),
    "report.other_mean": ("Scenario", "Kịch bản"),
    "report.diff": ("Difference [95% interval]", "Chênh lệch [khoảng tin cậy 95%]"),
    "report.sweep": ("Sweep", "Quét thông số"),
    "report.point": ("Point", "Điểm"),
    "report.sweep_table": ("Each point of the sweep", "Từng điểm quét"),
    "yes": ("yes", "có"),
    "no": ("no", "không"),
    # Figure captions, by file stem prefix.
    "caption.queues": (
        "Queue lengths over time: road, yard and each stage (shaded: closures and disruptions).",
        "Hàng chờ theo thời gian: trên đường, trong bãi và tại từng khâu (tô màu: đóng cửa, sự cố).",
    ),
    "caption.daily_cleared": (
        "Trucks cleared per day against the reported mean and peak.",
        "Phương tiện thông quan mỗi ngày so với mức trung bình và cao điểm báo cáo.",
    ),
    "caption.time_in_system": (
        "Time in system by cargo class, with the perishable threshold.",
        "Thời gian trong hệ thống theo loại hàng, với ngưỡng hàng dễ hỏng.",
    ),
    "caption.hourly": ("Arrivals and queues by hour of day.", "Xe đến và hàng chờ theo giờ trong ngày."),
    "caption.utilisation": (
        "Lane utilisation by stage and hour of day (blank: closed).",
        "Mức sử dụng làn theo khâu và giờ trong ngày (ô trống: nghỉ).",
    ),
    "caption.heatmap": (
        "Export yard occupancy, hour by date.",
        "Số xe trong bãi xuất khẩu, theo giờ và ngày.",
    ),
    "caption.comparison_queues": (
        "Trucks waiting at the gate over time, every scenario.",
        "Số xe chờ tại cửa khẩu theo thời gian, mọi kịch bản.",
    ),
    "caption.comparison": (
        "Differences against the first scenario, with 95% intervals.",
        "Chênh lệch so với kịch bản đầu, với khoảng tin cậy 95%.",
    ),
    "caption.sweep": (
        "A KPI against the lever varied, with 95% bands and the reported figure.",
        "Chỉ tiêu theo thông số thay đổi, với khoảng tin cậy 95% và số liệu báo cáo.",
    ),
    # Answers and statements.
    "answer.run": (
        "Over {first} to {last}, the gates clear {cleared} trucks a day ({vs} the reported "
        "{ref}); exports take {exp_h} h and imports {imp_h} h from yard entry to clearance "
        "(reported 3-4 h), {held} export trucks are still held at {clock} (reported 350-500), "
        "and the busiest stage is the {stage} at {gate}, {util} busy, {trend}.",
        "Trong giai đoạn {first} đến {last}, các cửa khẩu thông quan {cleared} phương tiện mỗi ngày "
        "({vs} mức báo cáo {ref}); xe xuất khẩu mất {exp_h} giờ và xe nhập khẩu {imp_h} giờ từ khi vào "
        "bãi đến khi thông quan (báo cáo: 3-4 giờ), {held} xe xuất khẩu còn tồn lúc {clock} (báo cáo: "
        "350-500), và khâu bận nhất là {stage} tại cửa khẩu {gate}, bận {util}, {trend}.",
    ),
    "vs.about": ("about", "xấp xỉ"),
    "vs.above": ("above", "cao hơn"),
    "vs.below": ("below", "thấp hơn"),
    "trend.none": ("and no queue grows", "và không có hàng chờ nào tăng"),
    "trend.grows": ("and the queue grows at {where}", "và hàng chờ tăng tại {where}"),
    "trend.short": (
        "and the window is too short to judge whether a queue grows",
        "và giai đoạn quá ngắn để đánh giá hàng chờ có tăng hay không",
    ),
    "answer.compare": (
        "Against {base}, {alt} changes the mean time in system by {d_time} h [{lo_time}, {hi_time}] "
        "and trucks cleared a day by {d_cleared} [{lo_cleared}, {hi_cleared}]: {verdict}.",
        "So với {base}, {alt} làm thời gian trung bình trong hệ thống thay đổi {d_time} giờ "
        "[{lo_time}, {hi_time}] và số phương tiện thông quan mỗi ngày thay đổi {d_cleared} "
        "[{lo_cleared}, {hi_cleared}]: {verdict}.",
    ),
    "verdict.real": ("a real difference at this horizon", "khác biệt có ý nghĩa ở khoảng thời gian này"),
    "verdict.none": (
        "no difference the replications can tell apart",
        "các lần chạy không phân biệt được khác biệt",
    ),
    "answer.sweep": (
        "{lever} {first} to {last}: {kpi} goes from {a} to {b} {unit}, {effect}; the binding stage is "
        "the {stage} at {gate}, {util} busy.",
        "{lever} từ {first} đến {last}: {kpi} đi từ {a} đến {b} {unit}, {effect}; khâu nghẽn là "
        "{stage} tại cửa khẩu {gate}, bận {util}.",
    ),
    "effect.none": ("no effect the replications can tell apart", "không có tác động phân biệt được"),
    "effect.some": ("an effect beyond the intervals", "có tác động vượt ngoài khoảng tin cậy"),
    "statement": (
        "{gate} {direction}: binding stage is the {stage}, {util} busy in its open hours; {trend}",
        "{gate} {direction}: khâu nghẽn là {stage}, bận {util} trong giờ làm việc; {trend}",
    ),
    "statement.stable": ("the queue does not grow", "hàng chờ không tăng"),
    "report.options": ("Every option evaluated", "Mọi phương án đã đánh giá"),
    "report.evidence": ("The choice and its evidence", "Lựa chọn và bằng chứng"),
    "report.robustness": ("Robustness to the main assumptions", "Độ vững trước các giả định chính"),
    "report.optimise": ("Optimisation", "Tối ưu hóa"),
    "report.replications_all": ("replications over all options", "lần chạy trên mọi phương án"),
    "report.chosen": ("chosen option", "phương án được chọn"),
    "report.unstable_title": ("Warning: unstable scenario.", "Cảnh báo: kịch bản không ổn định."),
    "report.unstable_body": (
        "A queue grows over the run, so its averages depend on the horizon and describe no steady state:",
        "Hàng chờ tăng dần trong suốt thời gian mô phỏng, nên các giá trị trung bình phụ thuộc vào độ dài "
        "mô phỏng và không mô tả trạng thái ổn định:",
    ),
    "statement.short": (
        "the window is too short to judge whether the queue grows",
        "khoảng thời gian quá ngắn để đánh giá hàng chờ có tăng hay không",
    ),
    "statement.grows_in": (
        "the queue grows in {k} of {n} replications",
        "hàng chờ tăng trong {k}/{n} lần chạy",
    ),
    "statement.unstable": ("UNSTABLE", "KHÔNG ỔN ĐỊNH"),
    "statement.none": (
        "{gate} {direction}: no stage in use",
        "{gate} {direction}: không có khâu nào hoạt động",
    ),
    # Lever names (sweep axes).
    "lever.lanes": ("{stage} lanes at {where}", "số làn {stage} tại {where}"),
    "lever.hours": ("{stage} {which} hour at {where}", "giờ {which} của {stage} tại {where}"),
    "lever.open": ("opening", "mở cửa"),
    "lever.close": ("closing", "đóng cửa"),
    # The console summary.
    "summary.head": (
        "{name}: {days} days, seed {seed}, {span}; the command took {took} s from reading the scenario "
        "to writing the results; the simulations took {wall} s summed over the replications",
        "{name}: {days} ngày, hạt giống {seed}, {span}; mất {took} giây ({wall} giây mô phỏng cộng "
        "qua các lần chạy)",
    ),
    "summary.span_n": (
        "n = {n} replications, 95% intervals in brackets",
        "n = {n} lần chạy, khoảng tin cậy 95% trong ngoặc",
    ),
    "summary.span_1": ("n = 1 replication", "n = 1 lần chạy"),
    "summary.window": (
        "KPIs over {first}..{last} ({days} days)",
        "Chỉ tiêu trong giai đoạn {first}..{last} ({days} ngày)",
    ),
    "summary.cleared": (
        "cleared per day: mean {mean} (exports {exp}, imports {imp}), P95 {p95}, max {max}; days "
        "above {peak}: {above}",
        "thông quan mỗi ngày: trung bình {mean} (xuất khẩu {exp}, nhập khẩu {imp}), P95 {p95}, lớn "
        "nhất {max}; số ngày vượt {peak}: {above}",
    ),
    "summary.direction": (
        "{dirs}: time in system mean {mean} h, P95 {p95} h; procedure time (yard entry to clearance) "
        "mean {proc} h; still inside at the end (censored): {censored}",
        "{dirs}: thời gian trong hệ thống trung bình {mean} giờ, P95 {p95} giờ; thời gian thông quan "
        "(từ khi vào bãi) trung bình {proc} giờ; còn trong hệ thống khi kết thúc: {censored}",
    ),
    "summary.held": (
        "exports not yet crossed at {clock}: mean {mean} ({places})",
        "xe xuất khẩu chưa qua biên giới lúc {clock}: trung bình {mean} ({places})",
    ),
    "summary.perishable": ("perishables over {thr} h: {share}", "hàng dễ hỏng quá {thr} giờ: {share}"),
    "summary.gate": (
        "{gate}: road queue mean {road} trucks, max {km} km{park}; inside at the end {backlog}",
        "{gate}: hàng chờ trên đường trung bình {road} xe, dài nhất {km} km{park}; "
        "còn tồn khi kết thúc {backlog}",
    ),
    "summary.park": ("; park mean {park}", "; bãi tập kết trung bình {park}"),
    "summary.bottlenecks": ("bottlenecks ({rule}):", "điểm nghẽn ({rule}):"),
    "summary.cost": ("cost of waiting: {items}", "chi phí chờ: {items}"),
    "summary.results": ("results in {folder}/", "kết quả tại {folder}/"),
    "summary.answer": ("answer: {text}", "trả lời: {text}"),
    "na": ("n/a", "không có"),
    # Paired effects
    "unit.points": ("points", "điểm phần trăm"),
    "effect.no_effect": ("no effect (within ±{margin})", "không có tác động (trong phạm vi ±{margin})"),
    "effect.undecided": (
        "too few replications to tell (about {n} needed)",
        "chưa đủ lần chạy để kết luận (cần khoảng {n} lần)",
    ),
    "effect.undecided_bare": ("too few replications to tell", "chưa đủ lần chạy để kết luận"),
    "answer.compare_paired": (
        "Against {base}, {alt} changes the mean time in system by {time} and trucks cleared a day by "
        "{cleared}.",
        "So với {base}, {alt} làm thời gian trung bình trong hệ thống thay đổi {time} và số phương tiện "
        "thông quan mỗi ngày thay đổi {cleared}.",
    ),
    "answer.sweep_paired": (
        "{lever} {first} to {last}: {kpi} goes from {a} to {b} {unit}, a paired change of {effect}; the "
        "binding stage is the {stage} at {gate}, {util} busy.",
        "{lever} từ {first} đến {last}: {kpi} đi từ {a} đến {b} {unit}, chênh lệch theo cặp {effect}; "
        "khâu nghẽn là {stage} tại cửa khẩu {gate}, bận {util}.",
    ),
    "report.effects_table": (
        "Each point against the first (paired on common random numbers)",
        "Từng điểm so với điểm đầu (theo cặp trên cùng chuỗi số ngẫu nhiên)",
    ),
    "summary.effect": ("{label}: {kpi}: {effect}", "{label}: {kpi}: {effect}"),
    "precision.line": (
        "precision: {kpi} 95% half-width {half} after n = {n} (asked {goal}: {met})",
        "độ chính xác: {kpi} nửa khoảng tin cậy 95% {half} sau n = {n} lần chạy (yêu cầu {goal}: {met})",
    ),
    "precision.of_mean": ("{pct} of its mean", "{pct} giá trị trung bình"),
    "precision.paired": ("{kpi} (difference {alt} - {base})", "{kpi} (chênh lệch {alt} - {base})"),
    "precision.met": ("met", "đạt"),
    "precision.not_met": ("NOT met: raise --max-replications", "CHƯA đạt: tăng --max-replications"),
}
"""Text key -> (English, Vietnamese); ``{name}`` fields are filled in by :func:`tr`."""

REFERENCES: dict[str, tuple[float, float, str]] = {
    "procedure_h_mean_export": (3, 4, "3-4 h (2025)"),
    "procedure_h_mean_import": (3, 4, "3-4 h (2025)"),
    "held_at_20h_export_mean": (350, 500, "350-500 (2024-2026)"),
}
"""KPI -> (low, high, as reported) for reported ranges; cleared per day uses the scenario's
``kpi.daily_mean_ref`` and ``kpi.daily_peak_ref`` (see :func:`reference`)."""

COST_KPIS = (
    "waiting_cost_vnd_per_day",
    "waiting_cost_vnd_per_day_export",
    "waiting_cost_vnd_per_day_import",
    "goods_at_risk_vnd_per_day",
    "tonnes_cleared_per_day",
    "idle_co2_t_per_day",
)
"""Money and impact KPIs, shown when the results carry them."""

_STATS = ("mean", "p50", "p95", "max", "min")
_FAMILIES: list[tuple[str, str, str]] = [
    # (prefix of the KPI name, glossary key, unit key); longest prefixes are tried first.
    ("cleared_per_day", "kpi.cleared_per_day", "unit.trucks_per_day"),
    ("arrived_per_day", "kpi.arrived_per_day", "unit.trucks_per_day"),
    ("days_above_peak_ref_share", "kpi.days_above_peak_ref_share", "unit.pct"),
    ("days_above_peak_ref", "kpi.days_above_peak_ref", "unit.days"),
    ("time_in_system_h", "kpi.time_in_system_h", "unit.h"),
    ("procedure_h", "kpi.procedure_h", "unit.h"),
    ("time_h", "kpi.time_h", "unit.h"),
    ("wait_min", "kpi.wait_min", "unit.min"),
    ("perishable_over_threshold_share", "kpi.perishable_over_threshold_share", "unit.pct"),
    ("road_queue_trucks", "kpi.road_queue_trucks", "unit.trucks"),
    ("road_queue_km", "kpi.road_queue_km", "unit.km"),
    ("yard_occupancy", "kpi.yard_occupancy", "unit.trucks"),
    ("park_occupancy", "kpi.park_occupancy", "unit.trucks"),
    ("queue", "kpi.queue", "unit.trucks"),
    ("utilisation", "kpi.utilisation", "unit.pct"),
    ("backlog_end_share_of_day", "kpi.backlog_end_share_of_day", "unit.days"),
    ("backlog_end", "kpi.backlog_end", "unit.trucks"),
    ("censored_trucks", "kpi.censored_trucks", "unit.trucks"),
    ("cleared_trucks", "kpi.cleared_trucks", "unit.trucks"),
    ("turned_away", "kpi.turned_away", "unit.trucks"),
    ("arrived_before_approval_share", "kpi.arrived_before_approval_share", "unit.pct"),
    ("waiting_cost_vnd_per_day", "kpi.waiting_cost_vnd_per_day", "unit.vnd_per_day"),
    ("goods_at_risk_vnd_per_day", "kpi.goods_at_risk_vnd_per_day", "unit.vnd_per_day"),
    ("tonnes_cleared_per_day", "kpi.tonnes_cleared_per_day", "unit.t_per_day"),
    ("idle_co2_t_per_day", "kpi.idle_co2_t_per_day", "unit.t_co2_per_day"),
]
_FAMILIES.sort(key=lambda f: -len(f[0]))
_HELD = re.compile(r"^held_at_(\d+h(?:\d\d)?)_(export|import)_(mean|p95)(?:_(.+))?$")


def _lang(lang: str) -> int:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return LANGS.index(lang)


def tr(key: str, lang: str = "en", **fields: Any) -> str:
    """The text of *key* in *lang* with ``{fields}`` filled in.

    Raises KeyError naming the key when the glossary lacks it, so no text escapes it.
    """
    text = TERMS[key][_lang(lang)]
    return text.format(**fields) if fields else text


def is_share(kpi: str) -> bool:
    """Whether *kpi* is a share (0-1), shown as a percentage."""
    return kpi.endswith("_share") or "_share_" in kpi or kpi.startswith("utilisation_")


def is_count(kpi: str) -> bool:
    """Whether *kpi* counts trucks or money (shown with thousands separators, no decimals)."""
    return not is_share(kpi) and kpi.startswith(
        (
            "cleared_per_day",
            "arrived_per_day",
            "held_at_",
            "backlog_end",
            "censored_trucks",
            "cleared_trucks",
            "turned_away",
            "waiting_cost",
            "goods_at_risk",
        )
    )


def fmt_number(value: float, spec: str, lang: str = "en") -> str:
    """*value* formatted with *spec* (e.g. ``",.0f"``); Vietnamese swaps ``,`` and ``.``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return tr("na", lang)
    text = format(value, spec)
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def fmt(kpi: str, value: float, lang: str = "en", sign: bool = False) -> str:
    """*value* of *kpi* as a reader expects it: shares in %, counts with separators, hours to 0.01."""
    plus = "+" if sign else ""
    if is_share(kpi):
        return fmt_number(value * 100 if value == value else value, f"{plus}.1f", lang) + (
            "%" if value == value else ""
        )
    if kpi.startswith("days_above"):
        return fmt_number(value, f"{plus}.1f", lang)
    if is_count(kpi) or abs(value) >= 1000:
        return fmt_number(value, f"{plus},.0f", lang)
    return fmt_number(value, f"{plus}.2f", lang)


def unit_of(kpi: str, lang: str = "en") -> str:
    """The unit *kpi* is shown in (``%`` for shares)."""
    if _HELD.match(kpi):
        return tr("unit.trucks", lang)
    for prefix, _, unit in _FAMILIES:
        if kpi == prefix or kpi.startswith(prefix + "_"):
            return tr(unit, lang)
    return ""


def _names(sc: Scenario, lang: str) -> dict[str, str]:
    """Name pieces that can follow a KPI family: gates, routes, directions, cargo, stages, places."""
    names: dict[str, str] = {}
    for g, gate in sc.gates.items():
        names[g] = gate.label
        for r, route in gate.routes.items():
            names[r] = tr("route", lang, route=route.label or r)
    for d in DIRECTIONS:
        names[d] = tr(d, lang)
    for c in sc.cargo_classes:
        names[c] = tr(f"cargo.{c}", lang) if f"cargo.{c}" in TERMS else c
    for key in TERMS:
        if key.startswith(("stage.", "place.")):
            names.setdefault(key.split(".", 1)[1], tr(key, lang))
    for stat in _STATS:
        names[stat] = tr(f"stat.{stat}", lang)
    names["review"] = tr("stage.platform_review", lang)
    names["platform"] = ""
    return names


def _split(rest: str, names: dict[str, str]) -> list[str] | None:
    """*rest* (``huu_nghi_china_check_r1119_1120``) cut into known names, longest first."""
    out: list[str] = []
    order = sorted(names, key=len, reverse=True)
    while rest:
        for name in order:
            if rest == name or rest.startswith(name + "_"):
                out.append(name)
                rest = rest[len(name) + 1 :]
                break
        else:
            return None
    return out


def kpi_label(kpi: str, sc: Scenario, lang: str = "en", unit: bool = True) -> str:
    """A readable name of any KPI of ``run.kpis()``: 'Time in system (mean, export) (h)'.

    Unknown names come back as they are.
    """
    held = _HELD.match(kpi)
    if held:
        _, direction, stat, place = held.groups()
        parts = [tr(f"stat.{stat}", lang), tr(direction, lang)]
        if place:
            parts.append(tr(f"place.{place}", lang))
        text = tr("kpi.held_at", lang, clock=sc.kpi.held_clock) + f" ({', '.join(parts)})"
        return text + (f" ({tr('unit.trucks', lang)})" if unit else "")
    for prefix, key, unit_key in _FAMILIES:
        if kpi == prefix or kpi.startswith(prefix + "_"):
            rest = kpi[len(prefix) + 1 :]
            names = _names(sc, lang)
            pieces = _split(rest, names) if rest else []
            if pieces is None:
                continue
            words = [names[p] for p in pieces if names[p]]
            text = tr(key, lang) + (f" ({', '.join(words)})" if words else "")
            if prefix == "perishable_over_threshold_share":
                text += f" {fmt_number(sc.kpi.perishable_threshold_h, 'g', lang)} {tr('unit.h', lang)}"
            return text + (f" ({tr(unit_key, lang)})" if unit else "")
    return kpi


def stage_name(sc: Scenario, gate: str, stage: str, lang: str = "en") -> str:
    """A stage of ``bottlenecks()`` (``china_check:r1119_1120``) in words."""
    name, _, route = stage.partition(":")
    text = tr(f"stage.{name}", lang) if f"stage.{name}" in TERMS else name
    if route:
        label = sc.gates[gate].routes[route].label or route
        text = tr("stage_on_route", lang, stage=text, route=label)
    return text


def statement(
    sc: Scenario,
    gate: str,
    direction: str,
    stage: str,
    utilisation: float,
    grows: int,
    n: int,
    lang: str,
    judged: bool = True,
) -> str:
    """The bottleneck sentence of a gate and direction in *lang* (see ``sim.experiments.results.statement``).

    *judged* is false when the window is too short for the growth rule.
    """
    label = sc.gates[gate].label
    if not isinstance(stage, str) or not stage:
        return tr("statement.none", lang, gate=label, direction=tr(direction, lang))
    if not judged:
        trend = tr("statement.short", lang)
    elif grows == 0:
        trend = tr("statement.stable", lang)
    else:
        trend = tr("statement.grows_in", lang, k=grows, n=n)
        if 2 * grows > n:
            trend += ": " + tr("statement.unstable", lang)
    return tr(
        "statement",
        lang,
        gate=label,
        direction=tr(direction, lang),
        stage=stage_name(sc, gate, stage, lang),
        util=fmt("utilisation_", utilisation, lang),
        trend=trend,
    )


def lever_label(sc: Scenario, key: str, lang: str = "en") -> str:
    """A dotted key of a scenario as a lever a planner names: 'Chinese checkpoint lanes at ...'."""
    parts = key.split(".")
    if parts[0] == "gates" and len(parts) >= 3 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        where = gate.label
        rest = parts[2:]
        if rest[0] == "routes" and len(rest) >= 3 and rest[1] in gate.routes:
            where += ", " + tr("route", lang, route=gate.routes[rest[1]].label or rest[1])
            rest = rest[2:]
        stage = tr(f"stage.{rest[0]}", lang) if f"stage.{rest[0]}" in TERMS else rest[0]
        if rest[-1] == "lanes":
            return tr("lever.lanes", lang, stage=stage, where=where)
        if rest[-1] in ("open", "close") and "hours" in rest[-2]:
            which = tr(f"lever.{rest[-1]}", lang)
            return tr("lever.hours", lang, stage=stage if len(rest) > 2 else "", which=which, where=where)
    return key


def reference(kpi: str, sc: Scenario) -> tuple[float, float, str] | None:
    """The reported figure (low, high, as reported) *kpi* is set against, if any."""
    if kpi == "cleared_per_day_mean":
        v = sc.kpi.daily_mean_ref
        return v, v, f"{v:,.0f}"
    if kpi in ("cleared_per_day_p95", "cleared_per_day_max"):
        v = sc.kpi.daily_peak_ref
        return v, v, f"{v:,.0f}"
    if kpi.startswith("perishable_over_threshold_share"):
        return None
    return REFERENCES.get(kpi)


def verdict(value: float, low: float, high: float, lang: str = "en", tolerance: float = 0.05) -> str:
    """'within', 'above' or 'below' a reported range, with *tolerance* around a single figure."""
    if low == high:
        low, high = low * (1 - tolerance), high * (1 + tolerance)
    if value != value:
        return tr("na", lang)
    if value > high:
        return tr("report.above", lang)
    if value < low:
        return tr("report.below", lang)
    return tr("report.within", lang)


def fragments(lang: str) -> list[str]:
    """Every literal piece of every text in *lang* (fields cut out), longest first, for checks."""
    pieces: set[str] = set()
    for pair in TERMS.values():
        for piece in re.split(r"\{[^}]*\}", pair[_lang(lang)]):
            piece = piece.strip(" ,;:.()[]")
            if piece:
                pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


# Paired effects


def _decimals(width: float) -> int | None:
    """Decimals that show an interval *width* (in the unit shown) with two significant digits, so
    that a non-zero interval never prints as ``0 [0, 0]``; None for a width of zero or NaN."""
    if not (width == width and width > 0 and math.isfinite(width)):
        return None
    return int(min(6, max(0, 1 - math.floor(math.log10(width) + 1e-9))))


def _signed(value: float, decimals: int, lang: str) -> str:
    text = fmt_number(value, f"+,.{decimals}f", lang)
    return text[1:] if not any(c in "123456789" for c in text) else text  # a zero takes no sign


def _default_decimals(kpi: str, shown: float) -> int:
    if is_share(kpi) or kpi.startswith("days_above"):
        return 1
    return 0 if is_count(kpi) or abs(shown) >= 1000 else 2


def effect_numbers(kpi: str, diff: float, low: float, high: float, lang: str = "en") -> str:
    """A paired difference and its 95% interval in the KPI's unit: percentage points for a share
    (``-4.6 points [-5.1, -4.1]``), hours, trucks... otherwise; decimals follow the width of the
    interval."""
    if diff != diff:
        return tr("na", lang)
    scale = 100.0 if is_share(kpi) else 1.0
    unit = tr("unit.points", lang) if is_share(kpi) else unit_of(kpi, lang)
    d, lo, hi = diff * scale, low * scale, high * scale
    decimals = _decimals(hi - lo)
    if decimals is None:
        decimals = _default_decimals(kpi, d)
    text = _signed(d, decimals, lang) + (f" {unit}" if unit else "")
    if lo == lo and hi == hi:
        text += f" [{_signed(lo, decimals, lang)}, {_signed(hi, decimals, lang)}]"
    return text


def margin_text(kpi: str, margin: float, lang: str = "en") -> str:
    """An equivalence margin in the KPI's unit (points for a share), to two significant digits."""
    scale = 100.0 if is_share(kpi) else 1.0
    unit = tr("unit.points", lang) if is_share(kpi) else unit_of(kpi, lang)
    m = margin * scale
    decimals = _decimals(m)
    text = format(m, f",.{_default_decimals(kpi, m) if decimals is None else decimals}f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text + (f" {unit}" if unit else "")


def effect_text(
    kpi: str,
    diff: float,
    low: float,
    high: float,
    verdict: str,
    margin: float,
    n_needed: float | None,
    lang: str = "en",
) -> str:
    """What a paired effect says (see :func:`sim.experiments.stats.paired_effect`): the difference
    with its interval for an effect; followed by "no effect (within ±margin)" when the whole
    interval lies inside the margin, or by "too few replications to tell (about N needed)"."""
    from sim.experiments.stats import EFFECT, NO_EFFECT

    numbers = effect_numbers(kpi, diff, low, high, lang)
    if diff != diff or verdict == EFFECT:
        return numbers
    if verdict == NO_EFFECT:
        return f"{numbers}: {tr('effect.no_effect', lang, margin=margin_text(kpi, margin, lang))}"
    if n_needed is not None and n_needed == n_needed:
        return f"{numbers}: {tr('effect.undecided', lang, n=fmt_number(int(n_needed), ',d', lang))}"
    return f"{numbers}: {tr('effect.undecided_bare', lang)}"


def effect_row_text(row: Any, lang: str = "en") -> str:
    """:func:`effect_text` of a row of ``Comparison.differences()`` or ``Sweep.effects()`` (or the
    CSV files written from them); a row without a verdict (an older folder) is judged on its
    interval alone: an effect when it leaves out zero, else too few replications."""
    import pandas as pd

    from sim.experiments.stats import EFFECT, UNDECIDED

    get = row.get if hasattr(row, "get") else lambda k, default=None: getattr(row, k, default)
    low, high = float(get("diff_ci_low")), float(get("diff_ci_high"))
    verdict = get("verdict")
    if not isinstance(verdict, str):
        verdict = EFFECT if low > 0 or high < 0 else UNDECIDED
    needed = get("n_needed")
    needed = None if needed is None or pd.isna(needed) else float(needed)
    margin = get("margin")
    margin = math.nan if margin is None or pd.isna(margin) else float(margin)
    return effect_text(str(get("kpi")), float(get("diff_mean")), low, high, verdict, margin, needed, lang)
