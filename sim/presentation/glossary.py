"""Every word the report, the console summary and the figures show, in English and Vietnamese, in one place.

:data:`TERMS` holds each text once in both languages (the Vietnamese uses the terms of the
Vietnamese sources: cửa khẩu, phương tiện, thông quan, tờ khai, xuất khẩu, nhập khẩu, bãi, hàng
chờ, thời gian thông quan); :func:`tr` picks one and fills it in. :func:`kpi_label` names any KPI
of ``run.kpis()`` with its unit, :func:`fmt` writes a value the way a reader expects (shares in
%, counts with thousands separators, Vietnamese separators in Vietnamese), and
:data:`REFERENCES` gives the reported figures KPIs are set against.

Longer than the ~600 lines a module here keeps to, on purpose: it is the one table of every
word the tool prints or draws, in both languages, so that a translator reviews one file.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from sim.experiments.kpis import catalogue_unit, is_share_kpi
from sim.world.scenario import Scenario
from sim.world.schema.names import DIRECTIONS

if TYPE_CHECKING:
    import pandas as pd

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
    "place.enroute": ("declared and on the way", "đã khai báo, đang trên đường"),
    "place.outside": ("waiting outside the gate area", "chờ ngoài khu vực cửa khẩu"),
    "place.in_area": ("in the gate area", "trong khu vực cửa khẩu"),
    "place.declared": ("declared, not yet cleared", "đã khai báo, chưa thông quan"),
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
    "unit.lane": ("lane", "làn"),
    "unit.truck": ("truck", "xe"),
    "unit.day": ("day", "ngày"),
    # KPI families (see kpi_label).
    "kpi.cleared_per_day": ("Trucks cleared per day", "Phương tiện thông quan mỗi ngày"),
    "kpi.arrived_per_day": ("Trucks arriving per day", "Phương tiện đến mỗi ngày"),
    "kpi.days_above_peak_ref": ("Days above the reported peak", "Số ngày vượt mức cao điểm báo cáo"),
    "kpi.days_above_peak_ref_share": (
        "Share of days above the reported peak",
        "Tỷ lệ ngày vượt mức cao điểm báo cáo",
    ),
    "kpi.time_in_system_h": (
        "Time in system",
        "Thời gian trong hệ thống (từ lúc xe đến tới lúc rời cửa khẩu)",
    ),
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
    # Overtime
    "kpi.overtime_h_per_day": (
        "Service past closing (overtime)",
        "Thời gian làm việc ngoài giờ",
    ),
    "unit.h_per_day": ("h/day", "giờ/ngày"),
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
    "report.scenario_named": ("Scenario {name}", "Kịch bản {name}"),
    "report.no_references": (
        "The reported figures are for normal days: they are not set against a window with an event.",
        "Số liệu báo cáo là của ngày bình thường: không so sánh với giai đoạn có sự kiện.",
    ),
    "report.binds": ("Binds in", "Nghẽn trong"),
    "report.binds_in": ("{k} of {n}", "{k}/{n}"),
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
        "Per gate and direction, among the stages its trucks visit there, the one with the highest "
        "utilisation over its open hours (busy lane-minutes in open hours / open lane-minutes) in "
        "the most replications; a queue grows when the trucks in the system at 00:00 rise day by "
        "day over the window and are still up at its end (a queue that built up and came back down "
        "does not grow).",
        "Với mỗi cửa khẩu và chiều hàng, trong các khâu xe đi qua tại đó, khâu có hệ số sử dụng "
        "cao nhất trong giờ làm việc ở nhiều lần chạy nhất; hàng chờ tăng khi số xe còn trong hệ "
        "thống lúc 00:00 tăng dần qua các ngày và vẫn còn cao ở cuối giai đoạn (hàng chờ tăng lên "
        "rồi giảm trở lại thì không tính là tăng).",
    ),
    "report.gate": ("Gate", "Cửa khẩu"),
    "report.direction": ("Direction", "Chiều hàng"),
    "report.place": ("Place", "Vị trí"),
    "report.stage": ("Binding stage", "Khâu nghẽn"),
    "report.busy": ("Busy in open hours", "Mức bận trong giờ làm việc"),
    "report.grows": ("Queue grows over the window", "Hàng chờ tăng trên cả giai đoạn"),
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
        "{days} ngày từ {start} (bỏ {warmup} ngày khởi động), {n} lần chạy, giá trị khởi tạo ngẫu "
        "nhiên (seed) {seed}, "
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
    "caption.overview": (
        "Trucks on the road, in the yard and in the holding park at every gate (shaded: events).",
        "Số xe trên đường, trong bãi và trong bãi tập kết tại từng cửa khẩu (tô màu: các sự kiện).",
    ),
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
        "Over {first} to {last}, the gates clear {cleared} trucks a day{ref_cleared}; exports take "
        "{exp_h} h and imports {imp_h} h from yard entry to clearance{ref_h} ({exp_all} h and "
        "{imp_all} h in all, from arrival, every wait before the yard included); {held} export trucks "
        "are still held at {clock} ({reading}){ref_held}; the busiest stage is the {stage} at {gate}, "
        "{util} busy in its open hours; {growth}.",
        "Trong giai đoạn {first} đến {last}, các cửa khẩu thông quan {cleared} phương tiện mỗi "
        "ngày{ref_cleared}; xe xuất khẩu mất {exp_h} giờ và xe nhập khẩu {imp_h} giờ từ khi vào bãi "
        "đến khi thông quan{ref_h} (tổng cộng {exp_all} giờ và {imp_all} giờ kể từ khi đến, gồm mọi "
        "thời gian chờ trước khi vào bãi); {held} xe xuất khẩu còn tồn lúc {clock} ({reading}){ref_held}; "
        "khâu bận nhất là {stage} tại cửa khẩu {gate}, bận {util} trong giờ làm việc; {growth}.",
    ),
    "held.declared": (
        "declared on the platform and not yet cleared, wherever they are; {area} of them in the gate area",
        "đã khai báo trên nền tảng và chưa thông quan, ở bất cứ đâu; trong đó {area} xe trong khu vực "
        "cửa khẩu",
    ),
    "held.area_only": ("in the gate area", "trong khu vực cửa khẩu"),
    "answer.ref": (" (reported {ref}: {verdict})", " (báo cáo: {ref}; {verdict})"),
    # The answer about the event.
    "answer.episode_head": (
        "During {episode} and its recovery to {last} (n = {n} replications, 95% intervals):",
        "Trong đợt {episode} và thời gian phục hồi đến {last} (n = {n} lần chạy, khoảng tin cậy 95%):",
    ),
    "answer.window_head": (
        "Over {first} to {last} (n = {n} replications, 95% intervals):",
        "Trong giai đoạn {first} đến {last} (n = {n} lần chạy, khoảng tin cậy 95%):",
    ),
    "answer.peak": (
        "up to {peak} trucks waiting at the peak ({where}), road queue up to {km} km",
        "cao điểm có tới {peak} xe chờ ({where}), hàng chờ trên đường dài tới {km} km",
    ),
    "answer.recovered": (
        "back within {tol} of the level before ({level} in the system at 00:00) {days} after the "
        "episode's last day",
        "trở lại trong phạm vi {tol} so với mức trước đó ({level} trong hệ thống lúc 00:00) sau {days} kể "
        "từ ngày cuối của đợt",
    ),
    "answer.stayed": (
        "stayed within {tol} of the level before ({level} in the system at 00:00)",
        "giữ trong phạm vi {tol} so với mức trước đó ({level} trong hệ thống lúc 00:00)",
    ),
    "answer.recovered_during": (
        "back within {tol} of the level before ({level} in the system at 00:00) {days} before the "
        "episode ended",
        "trở lại trong phạm vi {tol} so với mức trước đó ({level} trong hệ thống lúc 00:00) {days} trước "
        "khi kết thúc đợt",
    ),
    "answer.recovered_at_end": (
        "back within {tol} of the level before ({level} in the system at 00:00) by the episode's last day",
        "trở lại trong phạm vi {tol} so với mức trước đó ({level} trong hệ thống lúc 00:00) vào ngày cuối "
        "của đợt",
    ),
    "answer.not_confirmed": (
        "back within the tolerance on the run's last day, too late to confirm over two days ({above} "
        "above the level before, {level} at 00:00)",
        "trở lại trong ngưỡng vào ngày cuối mô phỏng, quá muộn để xác nhận qua hai ngày (cao hơn mức "
        "trước đó {above}, {level} lúc 00:00)",
    ),
    "answer.not_recovered": (
        "NOT back to the level before ({level} at 00:00) by the end of the run ({above} above it)",
        "CHƯA trở lại mức trước đó ({level} lúc 00:00) khi kết thúc mô phỏng (cao hơn {above})",
    ),
    "answer.binding": (
        "binding stage the {stage} (in {k} of {n} replications), {util} busy on its busiest day",
        "khâu nghẽn là {stage} (trong {k}/{n} lần chạy), bận {util} vào ngày bận nhất",
    ),
    "answer.perishable": (
        "perishables over {thr} h {share}",
        "hàng dễ hỏng quá {thr} giờ {share}",
    ),
    "answer.cost": (
        "waiting cost {per_day} VND/day ({total} VND over the window)",
        "chi phí chờ {per_day} đồng/ngày ({total} đồng trong cả giai đoạn)",
    ),
    "answer.quiet": ("No queue built up at {where}.", "Không có hàng chờ tăng lên tại {where}."),
    "answer.province": (
        "Province-wide: the {stage}, {util} busy on its busiest day.",
        "Toàn tỉnh: {stage}, bận {util} vào ngày bận nhất.",
    ),
    "answer.whole_run": (
        "The whole window, after the warm-up and with the episode: {text}",
        "Toàn bộ khoảng thời gian, sau giai đoạn khởi động và cả đợt sự kiện: {text}",
    ),
    "growth.none": (
        "no queue grows (in none of {n} replications, over the window or in any month of at least "
        "{days} days in it)",
        "không có hàng chờ nào tăng (trong {n} lần chạy, trên cả giai đoạn và từng tháng có ít nhất "
        "{days} ngày trong đó)",
    ),
    "growth.some": ("a queue grows: {items}", "hàng chờ tăng: {items}"),
    "growth.item": ("{where}, {when}, in {k} of {n} replications", "{where}, {when}, trong {k}/{n} lần chạy"),
    "growth.over_window": ("over the window", "trên cả giai đoạn"),
    "verdict.overlaps": ("overlaps", "giao nhau"),
    "vs.about": ("about", "xấp xỉ"),
    "vs.above": ("above", "cao hơn"),
    "vs.below": ("below", "thấp hơn"),
    "trend.short": (
        "the window is too short to judge whether a queue grows",
        "giai đoạn quá ngắn để đánh giá hàng chờ có tăng hay không",
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
        "{lever} {first} to {last}: {kpi} goes from {a} to {b} {unit}, {effect}; at {last} the binding "
        "stage is the {stage} at {gate}, {util} busy{grows}.",
        "{lever} từ {first} đến {last}: {kpi} đi từ {a} đến {b} {unit}, {effect}; tại {last}, khâu nghẽn "
        "là {stage} tại cửa khẩu {gate}, bận {util}{grows}.",
    ),
    "answer.sweep_grows": (
        "; a queue grows at {points} (bottlenecks.csv)",
        "; hàng chờ tăng tại {points} (bottlenecks.csv)",
    ),
    "answer.sweep_grows_at": ("{point} (in {k} of {n} replications)", "{point} (trong {k}/{n} lần chạy)"),
    "effect.none": ("no effect the replications can tell apart", "không có tác động phân biệt được"),
    "effect.some": ("an effect beyond the intervals", "có tác động vượt ngoài khoảng tin cậy"),
    "statement": (
        "{gate} {direction}: binding stage is the {stage}, {util} busy in its open hours{binds}; {trend}",
        "{gate} {direction}: khâu nghẽn là {stage}, bận {util} trong giờ làm việc{binds}; {trend}",
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
    "statement.grows_by": (
        "the queue GROWS (+{trucks} trucks over the window)",
        "hàng chờ TĂNG (+{trucks} xe trong khoảng thời gian)",
    ),
    "statement.grows_months": (
        "the queue grows month by month in {months}",
        "hàng chờ tăng theo tháng trong {months}",
    ),
    "statement.binds_in": (", binding in {k} of {n} replications", ", là khâu nghẽn trong {k}/{n} lần chạy"),
    "both_directions": ("exports and imports", "xuất khẩu và nhập khẩu"),
    "statement.province": (
        "Province-wide: the {stage}, {util} busy in its open hours (shared by every gate).",
        "Toàn tỉnh: {stage}, bận {util} trong giờ làm việc (dùng chung cho mọi cửa khẩu).",
    ),
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
        "{name}: {days} ngày, giá trị khởi tạo ngẫu nhiên {seed}, {span}; mất {took} giây ({wall} giây "
        "mô phỏng cộng qua các lần chạy)",
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
        "{gate}: road queue of exports mean {road} trucks, longest {km} km{park}; inside at the "
        "end {backlog}",
        "{gate}: hàng chờ xe xuất khẩu trên đường trung bình {road} xe, dài nhất {km} km{park}; "
        "còn tồn khi kết thúc {backlog}",
    ),
    "cost.assumed": (
        "These money figures rest on assumed rates (kpi.* in the scenario): yard parking {parking} "
        "VND a truck-day, holding park {park} VND a truck-day, road and roadside 0, reefer fuel "
        "{fuel} VND a truck-day, the driver's living costs {driver} VND a truck-day wherever the "
        "truck waits, goods {goods} VND on a perishable truck of which {loss} counts as lost when it "
        "waits over {thr} h.",
        "Các số liệu tiền dựa trên các mức giả định (kpi.* trong kịch bản): phí đỗ xe trong bãi "
        "{parking} đồng/xe/ngày, bãi tập kết {park} đồng/xe/ngày, trên đường và lề đường 0, nhiên "
        "liệu xe lạnh {fuel} đồng/xe/ngày, chi phí sinh hoạt của tài xế {driver} đồng/xe/ngày ở bất "
        "cứ nơi nào xe chờ, hàng hóa {goods} đồng trên một xe hàng dễ hỏng, trong đó {loss} được "
        "tính là tổn thất khi xe chờ quá {thr} giờ.",
    ),
    "summary.park": ("; park mean {park}", "; bãi tập kết trung bình {park}"),
    "summary.bottlenecks": ("bottlenecks ({rule}):", "điểm nghẽn ({rule}):"),
    "summary.cost": ("cost of waiting: {items}", "chi phí chờ: {items}"),
    "summary.results": ("results in {folder}/", "kết quả tại {folder}/"),
    "ensemble.file_hint": (
        "FILE (from `bordersim calibrate --ranges`)",
        "TỆP (tạo bằng `bordersim calibrate --ranges`)",
    ),
    "answer.without_event": (
        "{name} (without the event, over the same days)",
        "{name} (không có sự kiện, trong cùng các ngày)",
    ),
    "compare.question": ("{name} asks: {question}", "{name} hỏi: {question}"),
    "compare.largest": (
        "largest other effects (up to {k} per option, by change against its margin; all in differences.csv):",
        "các tác động lớn nhất khác (tối đa {k} mỗi phương án, theo mức thay đổi so với ngưỡng; đầy đủ "
        "trong differences.csv):",
    ),
    "summary.answer": ("answer: {text}", "trả lời: {text}"),
    # What is unknown: the question across an ensemble of parameter sets
    "ensemble.head": (
        "what is unknown: {m} plausible parameter sets ({factors} factors) from {source} ({total} in "
        "the file), {k} replication(s) each on the same seeds for every set; {cpu} CPU",
        "phần chưa biết: {m} bộ tham số hợp lý ({factors} yếu tố) từ {source} ({total} bộ trong "
        "tệp), mỗi bộ {k} lần lặp trên cùng các hạt giống ngẫu nhiên; CPU {cpu}",
    ),
    "ensemble.line": (
        "{label}: {mean} [{lo}, {hi}] from randomness (n = {n}); {p05} to {p95} across the {m} "
        "plausible parameter sets (5th-95th percentile of the sets' means)",
        "{label}: {mean} [{lo}, {hi}] do ngẫu nhiên (n = {n}); {p05} đến {p95} trên {m} bộ tham số "
        "hợp lý (phân vị 5-95 của trung bình từng bộ)",
    ),
    "ensemble.line_only": (
        "{label}: {p05} to {p95} across the {m} plausible parameter sets (5th-95th percentile of "
        "the sets' means)",
        "{label}: {p05} đến {p95} trên {m} bộ tham số hợp lý (phân vị 5-95 của trung bình từng bộ)",
    ),
    "ensemble.effect": (
        "{option} against {base}, {label}: {p05} to {p95} across {m} sets (5th-95th percentile of "
        "the paired differences); up in {up}, down in {down}, none beyond the margin in {none}, too few "
        "replications to tell in {undecided} of the {m} sets",
        "{option} so với {base}, {label}: {p05} đến {p95} trên {m} bộ (phân vị 5-95 của chênh lệch "
        "ghép cặp); tăng ở {up}, giảm ở {down}, không vượt ngưỡng ở {none}, chưa đủ lần lặp để kết "
        "luận ở {undecided} trong {m} bộ",
    ),
    "ensemble.own": (
        "note: the option sets {keys} itself; in every set a number keeps its change as a ratio to "
        "the scenario the ranges describe, and a share split or a profile keeps the option's own "
        "value (the factor is not applied to it)",
        "lưu ý: phương án tự đặt {keys}; ở mọi bộ tham số, một con số giữ thay đổi của nó theo tỉ lệ "
        "so với kịch bản mà các khoảng mô tả, còn một phân chia tỉ lệ hay một phân bố theo giờ giữ "
        "giá trị riêng của phương án (yếu tố không áp dụng cho nó)",
    ),
    "ensemble.choice": (
        "{option} ({cost}) meets every target in {k} of the {m} plausible parameter sets "
        "(each set judged by its mean over {n} replications)",
        "{option} ({cost}) đạt mọi mục tiêu ở {k} trong {m} bộ tham số hợp lý (mỗi bộ "
        "được đánh giá theo trung bình của {n} lần lặp)",
    ),
    "ensemble.cost_vnd": ("VND {n} a day", "{n} VND/ngày"),
    "ensemble.cost_units": (
        "{n} units: no costs file, every added unit costs the same",
        "{n} đơn vị: không có tệp chi phí, mỗi đơn vị thêm có cùng giá",
    ),
    "ensemble.runner_up": (
        "in the {miss} set(s) where the choice misses, the runner-up meets every target in {k}",
        "ở {miss} bộ mà lựa chọn trượt, phương án xếp sau đạt mọi mục tiêu ở {k} bộ",
    ),
    "ensemble.validate": (
        "across {m} plausible parameter sets ({k} replication(s) each): {inside} with a mean in the band",
        "trên {m} bộ tham số hợp lý (mỗi bộ {k} lần lặp): {inside} bộ có trung bình nằm trong dải",
    ),
    "ensemble.holds": (
        "the choice holds across what is unknown: it meets the targets in every set run",
        "lựa chọn đứng vững trước những gì chưa biết: đạt mục tiêu ở mọi bộ tham số đã chạy",
    ),
    "ensemble.fails": (
        "the choice does NOT hold across what is unknown: it misses a target in {miss} of the {m} sets",
        "lựa chọn KHÔNG đứng vững trước những gì chưa biết: trượt một mục tiêu ở {miss} trong {m} bộ",
    ),
    "report.ensemble": (
        "What is unknown: the answer across plausible parameter sets",
        "Phần chưa biết: câu trả lời trên các bộ tham số hợp lý",
    ),
    "report.ensemble_note": (
        "Beside each figure's 95% interval from randomness (replications of the scenario as given), "
        "the 5th-95th percentile of its mean across m parameter sets that the calibration targets do "
        "not rule out (ensemble.csv): how much of the answer rests on what the model does not know.",
        "Bên cạnh khoảng tin cậy 95% do ngẫu nhiên (các lần lặp của kịch bản như đã cho), là phân vị "
        "5-95 của trung bình trên m bộ tham số mà các mục tiêu hiệu chỉnh không loại trừ "
        "(ensemble.csv): phần câu trả lời phụ thuộc vào những gì mô hình chưa biết.",
    ),
    "report.from_randomness": ("from randomness [95% interval] (n)", "do ngẫu nhiên [khoảng 95%] (n)"),
    "report.across_sets": (
        "across parameter sets, 5th-95th percentile (m)",
        "trên các bộ tham số, phân vị 5-95 (m)",
    ),
    "report.option": ("option", "phương án"),
    "ensemble.none": (
        "how sure: the intervals above are from randomness only (replications of the scenario as "
        "given); what the model does not know (service times, lanes, channel shares, arrival "
        "profiles: scenarios/ranges.yaml) is not in them; add --ensemble {file} for the spread "
        "across plausible parameter sets",
        "mức chắc chắn: các khoảng trên chỉ do ngẫu nhiên (các lần lặp của kịch bản như đã cho); "
        "những gì mô hình chưa biết (thời gian phục vụ, số làn, tỉ lệ luồng, phân bố giờ đến: "
        "scenarios/ranges.yaml) không nằm trong đó; thêm --ensemble {file} để thấy độ trải trên các "
        "bộ tham số hợp lý",
    ),
    "ensemble.decides": (
        "the unknown that decides it most: {factor} (rank correlation {rho} across the sets)",
        "yếu tố chưa biết quyết định nhiều nhất: {factor} (tương quan hạng {rho} trên các bộ)",
    ),
    "na": ("n/a", "không có"),
    # Optimise decision sheet
    "opt.gate": ("gate", "cổng"),
    "opt.park": ("holding park", "bãi tập kết"),
    "opt.any_cargo": ("any cargo", "mọi loại hàng"),
    "opt.where_route": ("{gate}, route {route}", "{gate}, tuyến {route}"),
    "opt.setting": ("{where}: {what}", "{where}: {what}"),
    "opt.lanes": ("{stage} {value} lanes", "{stage} {value} làn"),
    "opt.lane": ("{stage} 1 lane", "{stage} 1 làn"),
    "opt.open_to": ("{stage} open to {value}", "{stage} mở đến {value}"),
    "opt.opens_at": ("{stage} opens at {value}", "{stage} mở từ {value}"),
    "opt.weekdays": ("{stage} open on {value}", "{stage} mở các ngày {value}"),
    "opt.service": ("{stage} service {value} min ({detail})", "{stage} phục vụ {value} phút ({detail})"),
    "opt.priority": ("{stage} serves first: {value}", "{stage} ưu tiên: {value}"),
    "opt.fifo": ("{stage} first come, first served", "{stage} đến trước phục vụ trước"),
    "opt.places": ("{stage} {value} places", "{stage} {value} chỗ"),
    "opt.officers": ("{stage} {value} officers", "{stage} {value} công chức"),
    "opt.on": ("{stage} in use", "{stage} hoạt động"),
    "opt.off": ("{stage} not in use", "{stage} không hoạt động"),
    "opt.order": ("{stage} calls trucks forward by {value}", "{stage} gọi xe theo {value}"),
    "opt.order.fifo": ("arrival order", "thứ tự đến"),
    "opt.order.priority": ("priority class", "loại hàng ưu tiên"),
    "opt.call_forward": (
        "{stage} calls trucks forward below {value} in the yard",
        "{stage} gọi xe khi bãi còn dưới {value} xe",
    ),
    "opt.other": ("{name} = {value}", "{name} = {value}"),
    "opt.lever_service": (
        "{stage} service minutes ({detail}) at {where}",
        "số phút phục vụ {stage} ({detail}) tại {where}",
    ),
    "opt.lever_priority": ("{stage} priority classes at {where}", "loại hàng ưu tiên {stage} tại {where}"),
    "opt.lever_places": ("{stage} places at {where}", "số chỗ {stage} tại {where}"),
    "opt.lever_other": ("{name} at {where}", "{name} tại {where}"),
    "opt.sheet": ("Decision sheet", "Bảng quyết định"),
    "opt.sheet_note": (
        "Each option against each target: meets when its interval lies on the right side of the bound, "
        "fails when on the wrong side, else undecided with the replications it would about need. "
        "Intervals are the optimiser's one-sided {level} bounds; shares in %. The waiting cost saved "
        "is the scenario as given minus the option, paired on common random numbers (95%). Costs are "
        "against the scenario as given, over the {days}-day KPI window.",
        "Mỗi phương án so với từng mục tiêu: đạt khi khoảng tin cậy nằm đúng phía ngưỡng, không đạt khi "
        "nằm sai phía, còn lại là chưa kết luận kèm số lần chạy cần thêm. Khoảng tin cậy là các cận một "
        "phía {level} của bộ tối ưu; tỷ lệ tính bằng %. Chi phí chờ tiết kiệm là kịch bản gốc trừ phương "
        "án, theo cặp trên cùng chuỗi số ngẫu nhiên (95%). Chi phí so với kịch bản gốc, trong {days} ngày "
        "của giai đoạn tính chỉ tiêu.",
    ),
    "opt.col.option": ("Option", "Phương án"),
    "opt.col.setting": ("Assumption changed", "Giả định thay đổi"),
    "opt.vs_given": ("{change} against the assumptions as given", "{change} so với giả định ban đầu"),
    "opt.col.words": ("Option (gate, route: setting)", "Phương án (cửa khẩu, tuyến: thiết lập)"),
    "opt.col.cost_day": ("Cost (VND/day)", "Chi phí (đồng/ngày)"),
    "opt.col.cost_window": ("Cost over the window (VND)", "Chi phí trong giai đoạn (đồng)"),
    "opt.col.units_day": ("Cost (added units a day)", "Chi phí (đơn vị thêm mỗi ngày)"),
    "opt.col.units_window": ("Cost over the window (unit-days)", "Chi phí trong giai đoạn (đơn vị-ngày)"),
    "opt.col.saved": (
        "Waiting cost saved vs the base (VND/day)",
        "Chi phí chờ tiết kiệm so với gốc (đồng/ngày)",
    ),
    "opt.col.saved_low": ("Saved: 95% low (VND/day)", "Tiết kiệm: cận dưới 95% (đồng/ngày)"),
    "opt.col.saved_high": ("Saved: 95% high (VND/day)", "Tiết kiệm: cận trên 95% (đồng/ngày)"),
    "opt.col.saved_verdict": ("Saved: verdict", "Tiết kiệm: kết luận"),
    "opt.col.n": ("Replications", "Số lần chạy"),
    "opt.col.decision": ("Decision", "Kết luận"),
    "opt.col.note": ("Note", "Ghi chú"),
    "opt.col.mean": ("{kpi}: mean ({unit})", "{kpi}: trung bình ({unit})"),
    "opt.col.low": ("{kpi}: low bound ({unit})", "{kpi}: cận dưới ({unit})"),
    "opt.col.high": ("{kpi}: high bound ({unit})", "{kpi}: cận trên ({unit})"),
    "opt.col.verdict": ("{kpi} {op} {bound}: verdict", "{kpi} {op} {bound}: kết luận"),
    "opt.col.needed": ("{kpi}: replications needed", "{kpi}: số lần chạy cần"),
    "opt.meets": ("meets", "đạt"),
    "opt.fails": ("fails", "không đạt"),
    "opt.undecided": ("undecided", "chưa kết luận"),
    "opt.undecided_n": (
        "undecided at n = {n} (about {needed} needed)",
        "chưa kết luận với n = {n} (cần khoảng {needed})",
    ),
    "opt.on_bound": (
        "undecided at n = {n} (the mean sits on the bound)",
        "chưa kết luận với n = {n} (trung bình trùng ngưỡng)",
    ),
    "opt.v.effect": ("a real change", "thay đổi có ý nghĩa"),
    "opt.v.no_effect": ("no change", "không thay đổi"),
    "opt.v.negligible": ("a negligible change", "thay đổi không đáng kể"),
    "opt.v.too_few": ("too few replications to tell", "chưa đủ lần chạy để kết luận"),
    "opt.no_base": ("not run: the scenario as given was not replicated", "không có: chưa chạy kịch bản gốc"),
    "opt.chosen": ("chosen", "được chọn"),
    "opt.no_option": ("No option meets the targets.", "Không phương án nào đạt mục tiêu."),
    "opt.closest": ("Closest option", "Phương án gần đạt nhất"),
    "opt.binds": ("What binds it", "Điều kiện ràng buộc"),
    "opt.next": ("Next step", "Bước tiếp theo"),
    "opt.higher": ("higher", "cao hơn"),
    "opt.lower": ("lower", "thấp hơn"),
    "opt.later": ("later", "muộn hơn"),
    "opt.earlier": ("earlier", "sớm hơn"),
    "opt.pp": ("{value} percentage points", "{value} điểm phần trăm"),
    "opt.units": ("{value} units", "{value} đơn vị"),
    "opt.answer_chosen": (
        "the cheapest option shown to meet the targets is {option}, at {cost} a day ({window} over the "
        "{days}-day window): {targets}",
        "phương án rẻ nhất được chứng minh đạt mục tiêu là {option}, chi phí {cost} mỗi ngày ({window} "
        "trong {days} ngày): {targets}",
    ),
    "opt.answer_none": (
        "No option meets the targets. The closest is {option} ({cost} a day): {targets}; it misses {kpi} "
        "by {gap} in the mean. Next step: {step}.",
        "Không phương án nào đạt mục tiêu. Gần đạt nhất là {option} ({cost} mỗi ngày): {targets}; chỉ "
        "tiêu {kpi} còn thiếu {gap} (trung bình). Bước tiếp theo: {step}.",
    ),
    "opt.answer_undecided": (
        "No option is shown to meet the targets yet. The closest is {option} ({cost} a day): {targets}; "
        "its mean meets {kpi} but its interval does not yet. Next step: more replications (a larger "
        "--max-replications), not a wider lever.",
        "Chưa phương án nào được chứng minh đạt mục tiêu. Gần đạt nhất là {option} ({cost} mỗi ngày): "
        "{targets}; giá trị trung bình đạt chỉ tiêu {kpi} nhưng khoảng tin cậy thì chưa. Bước tiếp "
        "theo: chạy thêm lần (tăng --max-replications), không phải mở rộng thông số.",
    ),
    "opt.step_widen": (
        "widen the range of {lever} to {edge} values than {value}: of the levers tried it moved the target "
        "most, by {change}",
        "mở rộng dải giá trị của {lever} theo hướng {edge} {value}: trong các thông số đã thử, thông số này "
        "làm chỉ tiêu thay đổi nhiều nhất, {change}",
    ),
    "opt.step_add": (
        "add a lever on the binding stage (see the bottlenecks); of the levers tried, {lever} moved the "
        "target most, by {change}",
        "thêm một thông số tác động vào khâu nghẽn (xem điểm nghẽn); trong các thông số đã thử, {lever} "
        "làm chỉ tiêu thay đổi nhiều nhất, {change}",
    ),
    "opt.step_more": (
        "add a lever on the binding stage (see the bottlenecks)",
        "thêm một thông số tác động vào khâu nghẽn (xem điểm nghẽn)",
    ),
    "opt.robust_verdicts": (
        "Robustness: the chosen option at each setting",
        "Độ vững: phương án được chọn ở từng giả định",
    ),
    # Paired effects
    "unit.points": ("points", "điểm phần trăm"),
    "effect.no_effect": ("no effect (within ±{margin})", "không có tác động (trong phạm vi ±{margin})"),
    "effect.negligible": (
        "a real but negligible effect (inside ±{margin})",
        "tác động có thật nhưng không đáng kể (trong phạm vi ±{margin})",
    ),
    "effect.undecided": (
        "too few replications to tell (about {n} needed)",
        "chưa đủ lần chạy để kết luận (cần khoảng {n} lần)",
    ),
    "effect.undecided_bare": ("too few replications to tell", "chưa đủ lần chạy để kết luận"),
    "effect.real": ("a real effect", "tác động có thật"),
    "effect.real_maybe_small": (
        "a real effect, though its interval reaches inside ±{margin}: it may be too small to matter",
        "tác động có thật, nhưng khoảng tin cậy chạm vào phạm vi ±{margin}: có thể quá nhỏ để đáng kể",
    ),
    "answer.compare_paired": (
        "Against {base}, {alt} changes the mean time in system by {time}; and trucks cleared a day by "
        "{cleared}.",
        "So với {base}, {alt} làm thời gian trung bình trong hệ thống thay đổi {time}; và số phương tiện "
        "thông quan mỗi ngày thay đổi {cleared}.",
    ),
    "answer.sweep_paired": (
        "{lever} {first} to {last}: {kpi} goes from {a} to {b} {unit}, a paired change of {effect}; at "
        "{last} the binding stage is the {stage} at {gate}, {util} busy{grows}.",
        "{lever} từ {first} đến {last}: {kpi} đi từ {a} đến {b} {unit}, chênh lệch theo cặp {effect}; "
        "tại {last}, khâu nghẽn là {stage} tại cửa khẩu {gate}, bận {util}{grows}.",
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
    # Figures
    "fig.date": ("date", "ngày"),
    "fig.warmup": ("warm-up", "giai đoạn khởi động"),
    "fig.mean_of": ("mean of {n} replications", "trung bình của {n} lần chạy"),
    "fig.one_run": ("one run", "một lần chạy"),
    "fig.band_of": ("mean of {n} replications, 95% band", "trung bình của {n} lần chạy, dải tin cậy 95%"),
    "fig.one_run_no_band": ("one run, no band", "một lần chạy, không có dải tin cậy"),
    "fig.one_run_each": ("one run each, no band", "mỗi kịch bản một lần chạy, không có dải tin cậy"),
    "fig.first_rep": ("replication 1 of {n}", "lần chạy 1 trong {n} lần"),
    "fig.replication": ("replication", "lần chạy"),
    "fig.replications": ("replications", "lần chạy"),
    "fig.event.closure": ("closure", "đóng cửa"),
    "fig.event.capacity": ("capacity disruption", "sự cố giảm năng lực"),
    "fig.event.demand": ("demand event", "biến động lượng xe đến"),
    "fig.event.hours": ("other opening hours", "thay đổi giờ làm việc"),
    "fig.event.park": ("park use", "sử dụng bãi tập kết"),
    "fig.event_named": ("{kind}: {name}", "{kind}: {name}"),
    "fig.no_road_queue": (
        "no truck waited on the road: road panel left out",
        "không có xe chờ trên đường: bỏ khung hàng chờ trên đường",
    ),
    "fig.yard_empty": ("the yard stayed empty: panel left out", "bãi luôn trống: bỏ khung số xe trong bãi"),
    "fig.yard_park_empty": (
        "the yard and the park stayed empty: panel left out",
        "bãi và bãi tập kết luôn trống: bỏ khung số xe trong bãi",
    ),
    "fig.no_stage_queue": (
        "no stage had a queue: panel left out",
        "không khâu nào có hàng chờ: bỏ khung các khâu",
    ),
    "fig.overview_title": (
        "{name}: trucks on the road, in the yard and in the holding park at each gate",
        "{name}: số xe trên đường, trong bãi và trong bãi tập kết tại từng cửa khẩu",
    ),
    "fig.overview_title_no_park": (
        "{name}: trucks on the road and in the yard at each gate",
        "{name}: số xe trên đường và trong bãi tại từng cửa khẩu",
    ),
    "fig.hourly_means": ("(hourly means, {note})", "(trung bình theo giờ, {note})"),
    "fig.overview_more": (
        "each gate's stages, the Chinese checkpoint among them: figures queues_<gate> (--plots queues)",
        "từng khâu của mỗi cửa khẩu, trong đó có trạm kiểm soát phía Trung Quốc: "
        "hình queues_<gate> (--plots queues)",
    ),
    "fig.overview_panel_empty": (
        "{gate}: no truck on the road, in the yard or in the park",
        "{gate}: không có xe nào trên đường, trong bãi hay trong bãi tập kết",
    ),
    "fig.overview_panel_empty_no_park": (
        "{gate}: no truck on the road or in the yard",
        "{gate}: không có xe nào trên đường hay trong bãi",
    ),
    "fig.trucks": ("trucks", "số xe"),
    "fig.queues_title": (
        "{name}: queue lengths at {gate} (hourly means, {note})",
        "{name}: hàng chờ tại cửa khẩu {gate} (trung bình theo giờ, {note})",
    ),
    "fig.road_place": ("road {direction}", "{direction} trên đường"),
    "fig.yard_place": ("yard {direction}", "{direction} trong bãi"),
    "fig.park_place": ("park", "bãi tập kết"),
    "fig.road_km": ("road queue (km)", "hàng chờ trên đường (km)"),
    "fig.trucks_on_road": ("trucks waiting on the road", "số xe chờ trên đường"),
    "fig.road_title": ("{gate}: road queue", "{gate}: hàng chờ trên đường"),
    "fig.trucks_yard_park": ("trucks in the yard or park", "số xe trong bãi hoặc bãi tập kết"),
    "fig.yard_park_title": (
        "{gate}: yard occupancy (overflow included) and the holding park",
        "{gate}: số xe trong bãi (kể cả xe tràn bãi) và trong bãi tập kết",
    ),
    "fig.trucks_yard": ("trucks in the yard", "số xe trong bãi"),
    "fig.yard_title": (
        "{gate}: yard occupancy (overflow included)",
        "{gate}: số xe trong bãi (kể cả xe tràn bãi)",
    ),
    "fig.trucks_waiting": ("trucks waiting", "số xe chờ"),
    "fig.lower_peaks": ("{k} with lower peaks left out", "bỏ {k} khâu có đỉnh thấp hơn"),
    "fig.never_queue": ("{k} never had a queue", "{k} khâu chưa từng có hàng chờ"),
    "fig.no_truck": ("(no truck came)", "(không có xe đến)"),
    "fig.empty_throughout": ("{places}: empty throughout, not drawn", "{places}: luôn trống, không vẽ"),
    "fig.stages_title": (
        "{gate}: queues at the {k} stages with the highest peaks",
        "{gate}: hàng chờ tại {k} khâu có đỉnh cao nhất",
    ),
    "fig.interval": ("95% interval", "khoảng tin cậy 95%"),
    "fig.reported_mean": ("reported mean {v}/day", "trung bình báo cáo {v} xe/ngày"),
    "fig.reported_peak": ("reported peak {v}/day", "cao điểm báo cáo {v} xe/ngày"),
    "fig.cleared_per_day": ("trucks cleared per day", "số xe thông quan mỗi ngày"),
    "fig.daily_title": (
        "{name}: trucks cleared per day, both directions, {note}",
        "{name}: số xe thông quan mỗi ngày, cả hai chiều, {note}",
    ),
    "fig.tis_line": ("{cargo} ({n} trucks{more})", "{cargo} ({n} xe{more})"),
    "fig.tis_over": (", {n} over {top} h", ", {n} xe quá {top} giờ"),
    "fig.perishable_threshold": ("perishable threshold {thr} h", "ngưỡng hàng dễ hỏng {thr} giờ"),
    "fig.threshold": ("threshold {thr} h", "ngưỡng {thr} giờ"),
    "fig.tis_axis": (
        "time in system, arrival to departure (log scale)",
        "thời gian trong hệ thống, từ lúc xe đến tới lúc rời cửa khẩu (thang logarit)",
    ),
    "fig.share_within": ("share of trucks cleared within", "tỷ lệ xe thông quan trong vòng"),
    "fig.tis_panel": (
        "{direction} trucks: n = {n} {reps}, {total} trucks",
        "{direction}: n = {n} {reps}, {total} xe",
    ),
    "fig.tis_title": (
        "{name}: time in system by direction and cargo class, trucks that entered after the warm-up "
        "and were cleared, all {n} {reps}",
        "{name}: thời gian trong hệ thống theo chiều và loại hàng, xe vào sau giai đoạn khởi động và "
        "đã thông quan, cả {n} {reps}",
    ),
    "fig.tick_min": ("{n} min", "{n} phút"),
    "fig.tick_h": ("{n} h", "{n} giờ"),
    "fig.tick_d": ("{n} d", "{n} ngày"),
    "fig.tick_wk": ("{n} wk", "{n} tuần"),
    "fig.hour_of_day": ("hour of day (Vietnam time)", "giờ trong ngày (giờ Việt Nam)"),
    "fig.arrivals_per_hour": ("trucks arriving per hour", "số xe đến mỗi giờ"),
    "fig.arrivals_title": ("arrivals by hour of day", "xe đến theo giờ trong ngày"),
    "fig.waiting_or_yard": ("trucks waiting (or in the yard)", "số xe chờ (hoặc trong bãi)"),
    "fig.queues_by_hour": ("queues by hour of day ({note})", "hàng chờ theo giờ trong ngày ({note})"),
    "fig.hourly_title": ("{name}: {gate} by hour of day", "{name}: cửa khẩu {gate} theo giờ trong ngày"),
    "fig.heat_title": (
        "{name}: {what} at {gate}, hour by date ({note})",
        "{name}: {what} tại cửa khẩu {gate}, theo giờ và ngày ({note})",
    ),
    "fig.colour_hourly": ("colour: hourly mean", "màu: trung bình theo giờ"),
    "fig.util_colorbar": (
        "utilisation (share of open lane time busy)",
        "mức sử dụng làn (tỷ lệ thời gian mở làn có xe được phục vụ)",
    ),
    "fig.stage": ("stage", "khâu"),
    "fig.util_title": ("{name}: lane utilisation at {gate}", "{name}: mức sử dụng làn tại cửa khẩu {gate}"),
    "fig.colour_days": ("colour: mean over days", "màu: trung bình qua các ngày"),
    "fig.blank_closed": ("blank: closed", "ô trống: nghỉ"),
    "fig.mean_difference": ("mean difference, 95% interval", "chênh lệch trung bình, khoảng tin cậy 95%"),
    "fig.no_difference": ("no difference", "không chênh lệch"),
    "fig.points": ("percentage points", "điểm phần trăm"),
    "fig.difference_axis": (
        "difference, scenario minus {base} ({unit})",
        "chênh lệch, kịch bản trừ {base} ({unit})",
    ),
    "fig.scenario": ("scenario", "kịch bản"),
    "fig.base_title": ("{kpi} (base {base})", "{kpi} (gốc {base})"),
    "fig.comparison_title": (
        "Paired comparison with {base} ({n} replications, common random numbers)",
        "So sánh theo cặp với {base} ({n} lần chạy, cùng chuỗi số ngẫu nhiên)",
    ),
    "fig.road_yard_park": ("road, yard and park", "trên đường, trong bãi và bãi tập kết"),
    "fig.road_yard": ("road and yard", "trên đường và trong bãi"),
    "fig.road_yard_vn": (
        "road and yard on the Vietnamese side; those held on the Chinese side are not drawn",
        "trên đường và trong bãi phía Việt Nam; xe chờ phía Trung Quốc không được vẽ",
    ),
    "fig.waiting_title": (
        "{gate}: {direction} trucks waiting ({where})",
        "{gate}: {direction} đang chờ ({where})",
    ),
    "fig.comparison_queues_title": (
        "Queues of every scenario over time at {gate} (hourly means, {note})",
        "Hàng chờ của mọi kịch bản theo thời gian tại cửa khẩu {gate} (trung bình theo giờ, {note})",
    ),
    "fig.band": ("95% band", "dải tin cậy 95%"),
    "fig.target": ("target {v}", "mục tiêu {v}"),
    "fig.reported": ("reported {v}", "báo cáo {v}"),
    "fig.sweep_title": ("{name}: {kpi}", "{name}: {kpi}"),
    "fig.sweep_against": (
        "against {lever} ({n} replications a point)",
        "theo {lever} ({n} lần chạy mỗi điểm)",
    ),
    "fig.cal_simulated_n": ("simulated ({n} replications)", "mô phỏng ({n} lần chạy)"),
    "fig.cal_simulated": ("simulated", "mô phỏng"),
    "fig.cal_observed": ("observed", "số liệu quan sát"),
    "fig.cal_target_mean": ("target mean {v}", "trung bình mục tiêu {v}"),
    "fig.cal_peak": (
        "peak threshold {v} (target {share} of days)",
        "ngưỡng cao điểm {v} (mục tiêu {share} số ngày)",
    ),
    "fig.cal_cleared_axis": ("trucks cleared per day, all gates", "số xe thông quan mỗi ngày, mọi cửa khẩu"),
    "fig.cal_density": ("density", "mật độ"),
    "fig.cal_daily_title": (
        "daily trucks cleared: calibrated model",
        "số xe thông quan mỗi ngày: mô hình đã hiệu chỉnh",
    ),
    "fig.cal_target_share": ("target share", "tỷ lệ mục tiêu"),
    "fig.cal_fitted": ("fitted cv {v}", "hệ số biến thiên đã khớp {v}"),
    "fig.cal_cv_axis": ("day_to_day_cv", "hệ số biến thiên giữa các ngày (day_to_day_cv)"),
    "fig.cal_share_axis": ("share of days above {v}", "tỷ lệ ngày trên {v}"),
    "fig.cal_surface_title": (
        "response surface for the day-to-day variation",
        "bề mặt đáp ứng theo mức biến động giữa các ngày",
    ),
    "fig.cal_title": ("Calibration of {name}", "Hiệu chỉnh {name}"),
    "fig.opt_feasible": ("feasible", "đạt mục tiêu"),
    "fig.opt_infeasible": ("infeasible", "không đạt mục tiêu"),
    "fig.opt_status_n": ("{status} ({n})", "{status} ({n})"),
    "fig.opt_million_vnd": ("million VND a day", "triệu đồng mỗi ngày"),
    "fig.opt_units": ("added units of the levers", "đơn vị thêm của các thông số"),
    "fig.opt_target": ("target {op} {bound}", "mục tiêu {op} {bound}"),
    "fig.opt_chosen": ("chosen: {option}", "được chọn: {option}"),
    "fig.opt_point_labels": ("point labels: {keys}", "nhãn điểm: {keys}"),
    "fig.opt_log": ("{label}, log scale", "{label}, thang logarit"),
    "fig.opt_cost": ("cost ({unit})", "chi phí ({unit})"),
    "fig.opt_title": ("{name}: cost against {kpi}", "{name}: chi phí theo {kpi}"),
    "fig.opt_bars": (
        "bars: lower and upper one-sided {level} bounds over replications",
        "thanh sai số: cận dưới và cận trên một phía {level} qua các lần chạy",
    ),
    "forecast.title": ("Forecast for {gate} from {as_of}", "Dự báo cho {gate} từ {as_of}"),
    "forecast.held": ("trucks held (all places counted)", "số xe đang giữ (mọi nơi)"),
    "forecast.hour": ("time", "thời gian"),
    "forecast.band": ("{low:.0f}-{high:.0f}% of replications", "{low:.0f}-{high:.0f}% số lần lặp"),
    "forecast.median": ("median", "trung vị"),
    "forecast.recent": ("held before (observed)", "số xe đã giữ trước đó (quan sát)"),
    "forecast.heading": (
        "Forecast from {as_of}, {hours} h ahead ({n} replications), written to {out} in {secs:.0f} s",
        "Dự báo từ {as_of}, {hours} giờ tới ({n} lần lặp), ghi vào {out} trong {secs:.0f} giây",
    ),
    "forecast.started": (
        "Started from {trucks} trucks in the system and {declared} declarations of trucks not yet arrived "
        "(exports and imports; the exports among them are counted below as on the way or outside):",
        "Bắt đầu từ {trucks} xe trong hệ thống và {declared} tờ khai của xe chưa đến (xuất khẩu và nhập "
        "khẩu; các xe xuất khẩu trong số đó được đếm dưới đây là đang trên đường hoặc chờ bên ngoài):",
    ),
    "forecast.held_at": (
        "{gate} {direction} held at {time}: {median} (90% band {q05:.0f}-{q95:.0f}, n = {n})",
        "{gate} {direction} đang giữ lúc {time}: {median} (khoảng 90% {q05:.0f}-{q95:.0f}, n = {n})",
    ),
    "forecast.assumed": ("What the forecast assumes:", "Dự báo giả định:"),
    "forecast.assume.on_time": (
        "declared trucks arrive at their expected time, within the minute given (one already overdue "
        "arrives just after the state's time)",
        "xe đã khai báo đến đúng giờ dự kiến, trong phút đã khai (xe đã quá giờ đến ngay sau thời điểm "
        "của trạng thái)",
    ),
    "forecast.assume.late": (
        "declared trucks are late as in {n} past arrivals of the fitted declarations; "
        "{no_show:.0%} never come",
        "xe đã khai báo đến muộn như {n} lượt đến trước đây của tờ khai đã khớp; {no_show:.0%} không đến",
    ),
    "forecast.assume.undeclared": (
        "a truck not yet declared declares its lead time ahead ({dist}, mean {mean_h} h): the demand's "
        "trucks are kept only where they would declare after the state's time, so none is counted twice",
        "xe chưa khai báo sẽ khai trước một khoảng thời gian ({dist}, trung bình {mean_h} giờ): chỉ giữ "
        "các xe của nhu cầu sẽ khai sau thời điểm của trạng thái, nên không xe nào bị đếm hai lần",
    ),
    "forecast.assume.events": (
        "the scenario's events apply; no other disruption is modelled",
        "các sự kiện của kịch bản được áp dụng; không mô phỏng gián đoạn nào khác",
    ),
    "forecast.assume.service": (
        "a service under way lasts the rest of a draw from its stage's distribution, given how long it "
        "has run",
        "một lượt phục vụ đang diễn ra kéo dài phần còn lại của một lần rút từ phân phối của khâu đó, "
        "biết nó đã kéo dài bao lâu",
    ),
    "forecast.assume.review": (
        "a declaration not yet approved waits for an officer's review from the state's time",
        "tờ khai chưa được duyệt chờ cán bộ xét duyệt từ thời điểm của trạng thái",
    ),
    "forecast.assume.parameters": (
        "the scenario's parameters are the truth's: the bands hold randomness only (see --ensemble)",
        "các tham số của kịch bản là đúng: khoảng chỉ chứa yếu tố ngẫu nhiên (xem --ensemble)",
    ),
    "forecast.assume.ensemble": (
        "the replications run {m} plausible parameter sets in turn: the bands hold what the model does "
        "not know as well as randomness",
        "các lần lặp lần lượt chạy {m} bộ tham số hợp lý: khoảng chứa cả điều mô hình chưa biết lẫn yếu tố "
        "ngẫu nhiên",
    ),
    "forecast.report": ("Forecast from {as_of}, {hours} h ahead", "Dự báo từ {as_of}, {hours} giờ tới"),
    "forecast.started_table": ("What the forecast started from", "Dự báo bắt đầu từ"),
    "forecast.meta": (
        "n = {n} replications; {declared} declarations used",
        "n = {n} lần lặp; đã dùng {declared} tờ khai",
    ),
    "forecast.trucks": ("trucks", "số xe"),
    "forecast.queue": (
        "{gate} {direction} {place}: trucks forecast from {first} (median), most {peak} at {at}",
        "{gate} {direction} {place}: dự báo có xe từ {first} (trung vị), nhiều nhất {peak} lúc {at}",
    ),
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
    # Overtime
    ("overtime_h_per_day", "kpi.overtime_h_per_day", "unit.h_per_day"),
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
    """Whether *kpi* is a share (0-1), shown as a percentage (the catalogue's unit:
    :func:`sim.experiments.kpis.is_share_kpi`)."""
    return is_share_kpi(kpi)


def is_count(kpi: str) -> bool:
    """Whether *kpi* counts trucks or money (shown with thousands separators, no decimals); a
    measure in days (``backlog_end_share_of_day``: 0.42 days) is not a count."""
    return (
        not is_share(kpi)
        and catalogue_unit(kpi) != "days"
        and kpi.startswith(
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
    )


def fmt_number(value: float, spec: str, lang: str = "en") -> str:
    """*value* formatted with *spec* (e.g. ``",.0f"``); Vietnamese swaps ``,`` and ``.``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return tr("na", lang)
    text = format(value, spec)
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def median_text(value: float, lang: str = "en") -> str:
    """A median of counts as it is: whole, or (over an even number of replications) a half, shown
    as such (``26.5``), not rounded to the even neighbour as ``format(26.5, ".0f")`` does."""
    whole = value == round(value) if value == value else True
    return fmt_number(value, ",.0f" if whole else ",.1f", lang)


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


def assumed_rates(sc: Scenario, lang: str = "en") -> str:
    """The sentence naming every assumed rate that drives a money KPI, with its value."""
    k = sc.kpi
    return tr(
        "cost.assumed",
        lang,
        parking=fmt_number(k.parking_vnd_per_truck_day, ",.0f", lang),
        park=fmt_number(k.park_vnd_per_truck_day, ",.0f", lang),
        fuel=fmt_number(k.reefer_fuel_vnd_per_truck_day, ",.0f", lang),
        driver=fmt_number(k.driver_vnd_per_truck_day, ",.0f", lang),
        goods=fmt_number(k.goods_value_vnd_per_truck, ",.0f", lang),
        loss=fmt_number(100 * k.perishable_loss_share, ".0f", lang) + "%",
        thr=fmt_number(k.perishable_threshold_h, "g", lang),
    )


def gates_by_traffic(sc: Scenario) -> list[str]:
    """The gates in the order reports show them: by their trucks a day, busiest first."""
    return sorted(
        sc.gates,
        key=lambda g: -sum(sum(flows.values()) for flows in sc.gates[g].demand_trucks_per_day.values()),
    )


def trucks_text(n: float, lang: str = "en") -> str:
    """'1 truck', '1,234 trucks' ('1.234 xe' in Vietnamese), rounded to whole trucks."""
    word = tr("unit.truck" if round(n) == 1 else "unit.trucks", lang)
    return f"{fmt_number(n, ',.0f', lang)} {word}"


def days_text(n: float, lang: str = "en") -> str:
    """'1 day', '29 days' ('29 ngày')."""
    word = tr("unit.day" if round(n) == 1 else "unit.days", lang)
    return f"{fmt_number(n, ',.0f', lang)} {word}"


def lanes_text(n: int, lang: str = "en") -> str:
    """'1 lane', '4 lanes' ('4 làn' in Vietnamese)."""
    return f"{n} {tr('unit.lane' if n == 1 else 'unit.lanes', lang)}"


def gate_name(sc: Scenario, gate: str, lang: str = "en") -> str:
    """A gate's name in *lang*: its ``label_vi`` in Vietnamese when it has one, else its label."""
    g = sc.gates[gate]
    return g.label_vi if lang == "vi" and g.label_vi else g.label


def route_name(sc: Scenario, gate: str, route: str, lang: str = "en") -> str:
    """A route's name in *lang* (``label_vi`` in Vietnamese when given), else its key."""
    r = sc.gates[gate].routes[route]
    return (r.label_vi if lang == "vi" and r.label_vi else r.label) or route


def question(sc: Scenario, lang: str = "en") -> str:
    """The scenario's question in *lang* (``question_vi`` in Vietnamese when given)."""
    return sc.question_vi if lang == "vi" and sc.question_vi else sc.question


def _names(sc: Scenario, lang: str) -> dict[str, str]:
    """Name pieces that can follow a KPI family: gates, routes, directions, cargo, stages, places."""
    names: dict[str, str] = {}
    for g, gate in sc.gates.items():
        names[g] = gate_name(sc, g, lang)
        for r in gate.routes:
            names[r] = tr("route", lang, route=route_name(sc, g, r, lang))
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
        label = route_name(sc, gate, route, lang)
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
    binds_in: int | None = None,
    steady: bool = True,
    both: bool = False,
    months: str = "",
    growth: float | None = None,
) -> str:
    """The bottleneck sentence of a gate and direction in *lang*: the one function that says it,
    on the console, in the report and in ``bottlenecks.csv`` (:func:`with_statements`).

    *judged* is false when the window is too short for the growth rule; *binds_in* counts the
    replications in which the stage binds; "unstable" is said only of a *steady* window (one
    without an episode of events); *both*: one sentence for exports and imports, which share the
    stage; *growth*: for a single replication, its rise in trucks over the window.
    """
    label = gate_name(sc, gate, lang)
    who = tr("both_directions", lang) if both else tr(f"{direction}s", lang)
    if not isinstance(stage, str) or not stage:
        return tr("statement.none", lang, gate=label, direction=who)
    if not judged:
        trend = tr("statement.short", lang)
    elif grows == 0:
        trend = tr("statement.stable", lang)
    else:
        if n == 1 and growth is not None and growth == growth:
            trend = tr("statement.grows_by", lang, trucks=fmt_number(growth, ",.0f", lang))
        else:
            trend = tr("statement.grows_in", lang, k=grows, n=n)
        if steady and 2 * grows > n:
            trend += ": " + tr("statement.unstable", lang)
    if months:  # one verdict: a queue that grows in a month is never said not to grow
        grown = tr("statement.grows_months", lang, months=months)
        trend = grown if grows == 0 or not judged else f"{trend}; {grown}"
    binds = tr("statement.binds_in", lang, k=binds_in, n=n) if binds_in is not None and n > 1 else ""
    return tr(
        "statement",
        lang,
        gate=label,
        direction=who,
        stage=stage_name(sc, gate, stage, lang),
        util=fmt("utilisation_", utilisation, lang),
        binds=binds,
        trend=trend,
    )


def with_statements(table: pd.DataFrame, sc: Scenario, lang: str = "en") -> pd.DataFrame:
    """A ``bottlenecks()`` table of a run or an experiment of *sc* with its sentence per row (the
    column ``statement``, by :func:`statement`), as ``bottlenecks.csv`` holds it."""
    rows = []
    for r in table.to_dict("records"):
        many = "n" in r  # an experiment's row, over its replications; else one run's
        n = int(r["n"]) if many else 1
        growth = r.get("growth_trucks")
        judged = bool(r.get("judged", True)) if many else growth is None or growth == growth
        rows.append(
            statement(
                sc,
                r["gate"],
                r["direction"],
                r["stage"],
                r["utilisation"],
                int(r["grows_in"] if many else r["grows"]),
                n,
                lang,
                judged=judged,
                binds_in=r.get("binds_in"),
                steady=bool(r.get("steady", True)),
                months=_text_or_empty(r.get("grows_months")),
                growth=growth if n == 1 or not judged else None,
            )
        )
    return table.assign(statement=rows)


def _text_or_empty(value: object) -> str:
    """A text cell, "" for a missing one: NaN (a table read back, a row of another table
    concatenated) is truthy and printed as "nan"."""
    return value if isinstance(value, str) else ""


def _short_route(label: str) -> str:
    """A route's label cut to its road numbers (``1119-1120 dedicated cargo road`` -> ``1119-1120``);
    a label that does not start with a number stays whole."""
    first = label.split()[0] if label.split() else label
    return first if any(ch.isdigit() for ch in first) else label


def _where(sc: Scenario, parts: list[str], lang: str, short: bool) -> tuple[str, list[str]]:
    """The gate (and route) a dotted key is about, in words, and the parts left after them."""
    if parts[0] == "gates" and len(parts) >= 3 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        where, rest = gate_name(sc, parts[1], lang), parts[2:]
        if rest[0] == "routes" and len(rest) >= 3 and rest[1] in gate.routes:
            label = route_name(sc, parts[1], rest[1], lang)
            where = tr("opt.where_route", lang, gate=where, route=_short_route(label) if short else label)
            rest = rest[2:]
        return where, rest
    return "", parts


def _part_word(part: str, lang: str) -> str:
    """One part of a dotted key in words: a stage, the park, the gate's hours, or the part itself."""
    if f"stage.{part}" in TERMS:
        return tr(f"stage.{part}", lang)
    if part == "park":
        return tr("opt.park", lang)
    if part == "platform":
        return tr("stage.platform_review", lang)
    if part == "hours":
        return tr("opt.gate", lang)
    if f"cargo.{part}" in TERMS:
        return tr(f"cargo.{part}", lang)
    if part == "default":
        return tr("opt.any_cargo", lang)
    if f"stat.{part}" in TERMS:
        return tr(f"stat.{part}", lang)
    return part.replace("_", " ")


def value_words(value: Any, lang: str = "en") -> str:
    """A lever value as a reader writes it: ``10``, ``7.5``, ``24:00``, ``fruit, general cargo``, ``yes``."""
    if isinstance(value, bool):
        return tr("yes" if value else "no", lang)
    if isinstance(value, int):
        return fmt_number(value, ",d", lang)
    if isinstance(value, float):
        return fmt_number(value, ",.0f" if value == int(value) else ",.4g", lang)
    if isinstance(value, list | tuple):
        return ", ".join(value_words(v, lang) for v in value) if value else "[]"
    if isinstance(value, str) and f"cargo.{value}" in TERMS:
        return tr(f"cargo.{value}", lang)
    return str(value)


def lever_label(sc: Scenario, key: str, lang: str = "en") -> str:
    """A dotted key of a scenario as a lever a planner names: 'Chinese checkpoint lanes at ...'.

    Lanes, opening and closing hours (China time where the key is), service minutes, priority
    classes and places have their own wording; any other key is said part by part, still with its
    gate and route, so two gates' levers never read the same.
    """
    parts = key.split(".")
    where, rest = _where(sc, parts, lang, short=False)
    if where and rest:
        stage = _part_word(rest[0], lang)
        if rest[-1] == "lanes":
            return tr("lever.lanes", lang, stage=stage, where=where)
        if rest[-1] in ("open", "close") and len(rest) >= 2 and "hours" in rest[-2]:
            which = tr(f"lever.{rest[-1]}", lang)
            text = tr("lever.hours", lang, stage=stage, which=which, where=where)
            return text + (f" ({tr('report.china_time', lang)})" if "hours_china" in rest[-2] else "")
        if "service_min" in rest:
            detail = ", ".join(_part_word(p, lang) for p in rest[rest.index("service_min") + 1 :])
            return tr("opt.lever_service", lang, stage=stage, detail=detail, where=where)
        if rest[-1] == "priority":
            return tr("opt.lever_priority", lang, stage=stage, where=where)
        if rest[-1] == "places":
            return tr("opt.lever_places", lang, stage=stage, where=where)
        return tr("opt.lever_other", lang, name=" ".join(_part_word(p, lang) for p in rest), where=where)
    if parts[0] == "platform" or not where:
        return " ".join(_part_word(p, lang) for p in parts)
    return key


def lever_setting(sc: Scenario, key: str, value: Any, lang: str = "en") -> str:
    """One lever at one value in words, with its gate and route:
    'Huu Nghi, route 1119-1120: Chinese checkpoint open to 24:00 China time'.

    Keys with no wording of their own are said part by part (``Huu Nghi: park travel min mean = 20``).
    """
    parts = key.split(".")
    where, rest = _where(sc, parts, lang, short=True)
    rest = rest or parts
    stage = _part_word(rest[0], lang)
    v = value_words(value, lang)
    last = rest[-1]
    if last == "lanes":
        what = (
            tr("opt.lane", lang, stage=stage) if value == 1 else tr("opt.lanes", lang, stage=stage, value=v)
        )
    elif last in ("open", "close", "weekdays") and len(rest) >= 2 and "hours" in rest[-2]:
        name = {"open": "opt.opens_at", "close": "opt.open_to", "weekdays": "opt.weekdays"}[last]
        what = tr(name, lang, stage=stage, value=v)
        if "hours_china" in rest[-2]:
            what += " " + tr("report.china_time", lang)
    elif "service_min" in rest:
        detail = ", ".join(_part_word(p, lang) for p in rest[rest.index("service_min") + 1 :])
        what = tr("opt.service", lang, stage=stage, value=v, detail=detail)
    elif last == "priority":
        what = tr("opt.priority", lang, stage=stage, value=v) if value else tr("opt.fifo", lang, stage=stage)
    elif last == "places" and len(rest) == 2:
        what = tr("opt.places", lang, stage=stage, value=v)
    elif last == "officers":
        what = tr("opt.officers", lang, stage=stage, value=v)
    elif last == "enabled" and isinstance(value, bool):
        what = tr("opt.on" if value else "opt.off", lang, stage=stage)
    elif last == "order" and f"opt.order.{value}" in TERMS:
        what = tr("opt.order", lang, stage=stage, value=tr(f"opt.order.{value}", lang))
    elif last == "call_forward_below":
        what = tr("opt.call_forward", lang, stage=stage, value=v)
    else:
        what = tr("opt.other", lang, name=" ".join(_part_word(p, lang) for p in rest), value=v)
    return tr("opt.setting", lang, where=where, what=what) if where else what


def option_words(sc: Scenario, point: dict[str, Any], lang: str = "en") -> str:
    """An option (lever key -> value) in words, one lever after another (see :func:`lever_setting`)."""
    return "; ".join(lever_setting(sc, k, v, lang) for k, v in point.items())


def reference(kpi: str, sc: Scenario) -> tuple[float, float, str] | None:
    """The reported figure (low, high, as reported) *kpi* is set against, if any."""
    if kpi == "cleared_per_day_mean":
        v = sc.kpi.daily_mean_ref
        return v, v, f"{v:,.0f}"
    if kpi in ("cleared_per_day_p95", "cleared_per_day_max"):
        v = sc.kpi.daily_peak_ref
        return v, math.inf, f"> {v:,.0f}"
    if kpi.startswith("perishable_over_threshold_share"):
        return None
    return REFERENCES.get(kpi)


REFERENCE_TOLERANCE = 0.05
"""The band around a single reported figure (1,650 a day) that a result is judged against: +-5%."""


def reference_shown(low: float, high: float, text: str, lang: str = "en") -> str:
    """A reported figure as it is judged: a single figure with its +-5% band (``1,650 ±5%``), so
    that "overlaps" beside an interval wholly below 1,650 reads as what it is."""
    if low != high:
        return text
    return f"{fmt_number(low, ',.0f', lang)} ±{REFERENCE_TOLERANCE:.0%}"


def verdict(
    value: float,
    low: float,
    high: float,
    lang: str = "en",
    tolerance: float = REFERENCE_TOLERANCE,
    ci_low: float | None = None,
    ci_high: float | None = None,
) -> str:
    """A figure against a reported range: 'within', 'overlaps', 'above' or 'below'.

    With an interval (*ci_low*, *ci_high*) the verdict is about the interval: 'within' only when
    it lies inside the range, 'above'/'below' when it lies wholly outside, 'overlaps' otherwise;
    without one it is about *value*. A single reported figure gets +-*tolerance* around it; an
    upper bound of infinity reads "above X".
    """
    if low == high:
        low, high = low * (1 - tolerance), high * (1 + tolerance)
    if value != value:
        return tr("na", lang)
    lo = value if ci_low is None or ci_low != ci_low else ci_low
    hi = value if ci_high is None or ci_high != ci_high else ci_high
    if lo > high:
        return tr("report.above", lang)
    if hi < low:
        return tr("report.below", lang)
    if low <= lo and hi <= high:
        return tr("report.within", lang)
    return tr("verdict.overlaps", lang)


def fragments(lang: str) -> list[str]:
    """Every literal piece of every text in *lang* (fields cut out), longest first, for checks."""
    pieces: set[str] = set()
    for pair in TERMS.values():
        for piece in re.split(r"\{[^}]*\}", pair[_lang(lang)]):
            piece = piece.strip(" ,;:.()[]")
            if piece:
                pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


GLOSSARY_PREFIXES = ("stage.", "place.", "cargo.", "kpi.", "unit.")
"""The families of terms the docs' glossary table lists: the vocabulary of the border."""


def glossary_markdown() -> str:
    """The glossary as a Markdown table, English and Vietnamese side by side (docs/glossary.md)."""
    lines = [
        "# Glossary: the terms of the reports in English and Vietnamese",
        "",
        'Generated from `sim/presentation/glossary.py` (`python -c "from sim.presentation.glossary '
        "import glossary_markdown; print(glossary_markdown(), end='')\" > docs/glossary.md`); a test "
        "holds this page to the code.",
        "",
        "| key | English | Tiếng Việt |",
        "|---|---|---|",
    ]
    for key in sorted(k for k in TERMS if k.startswith(GLOSSARY_PREFIXES) or k in DIRECTIONS):
        en, vi = TERMS[key]
        lines.append(f"| `{key}` | {en} | {vi} |")
    return "\n".join(lines) + "\n"


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
    # An interval that leaves out zero never prints a bound as 0: its bound nearest zero gets the
    # decimals it needs (0.27 of [0.27, 40] would read "[0, +40]", as if it held zero).
    while decimals < 6 and ((lo > 0 and round(lo, decimals) <= 0) or (hi < 0 and round(hi, decimals) >= 0)):
        decimals += 1
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
    interval lies inside the margin and holds zero, "a real but negligible effect (inside
    ±margin)" when it lies inside the margin and leaves out zero, or by "too few replications to
    tell (about N needed)"."""
    numbers = effect_numbers(kpi, diff, low, high, lang)
    words = verdict_words(kpi, diff, verdict, margin, n_needed, lang, interval=(low, high))
    return numbers if words is None else f"{numbers}: {words}"


def verdict_words(
    kpi: str,
    diff: float,
    verdict: str,
    margin: float,
    n_needed: float | None,
    lang: str = "en",
    interval: tuple[float, float] | None = None,
) -> str | None:
    """The verdict of a paired effect in words, None for a real effect (its numbers say it),
    unless its *interval* reaches inside the margin: then the change is real but may be smaller
    than the margin, and the words say so."""
    from sim.experiments.stats import EFFECT, NEGLIGIBLE, NO_EFFECT

    if diff != diff:
        return None
    if verdict == EFFECT:
        low, high = interval if interval is not None else (math.nan, math.nan)
        nearest = low if low > 0 else -high if high < 0 else math.nan  # the bound nearest zero
        if margin == margin and 0 < nearest < margin:  # NaN compares false
            return tr("effect.real_maybe_small", lang, margin=margin_text(kpi, margin, lang))
        return None
    if verdict == NO_EFFECT:
        return tr("effect.no_effect", lang, margin=margin_text(kpi, margin, lang))
    if verdict == NEGLIGIBLE:
        return tr("effect.negligible", lang, margin=margin_text(kpi, margin, lang))
    if n_needed is not None and n_needed == n_needed:
        return tr("effect.undecided", lang, n=fmt_number(int(n_needed), ",d", lang))
    return tr("effect.undecided_bare", lang)


def effect_row_text(row: Any, lang: str = "en") -> str:
    """:func:`effect_text` of a row of ``Comparison.differences()`` or ``Sweep.effects()`` (or the
    CSV files written from them); a row without a verdict (an older folder) is judged on its
    interval alone: an effect when it leaves out zero, else too few replications."""
    numbers, words = _effect_parts(row, lang)
    return numbers if words is None else f"{numbers}: {words}"


def _effect_parts(row: Any, lang: str, say_real: bool = False) -> tuple[str, str | None]:
    """The numbers of a row's effect and its verdict in words (None for a real effect, unless
    *say_real*)."""
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
    kpi, diff = str(get("kpi")), float(get("diff_mean"))
    words = verdict_words(kpi, diff, verdict, margin, needed, lang, interval=(low, high))
    if words is None and say_real and diff == diff:
        words = tr("effect.real", lang)
    return effect_numbers(kpi, diff, low, high, lang), words


def effect_clause(row: Any, lang: str = "en") -> str:
    """:func:`effect_row_text` with its verdict after a comma whatever it is ("a real effect"
    included), for a sentence that gives two effects: each carries its own verdict, so that one
    said after the second is never read as the first's too."""
    numbers, words = _effect_parts(row, lang, say_real=True)
    return numbers if words is None else f"{numbers}, {words}"


def assumption_text(assumption: tuple[str, dict[str, Any]], lang: str = "en") -> str:
    """One of a forecast's assumptions in *lang* (here, beside the words, so that the forecast's
    folder and its report both say them)."""
    key, fields = assumption
    # Numbers in the reader's separators (12,7 giờ in Vietnamese), words in the reader's language.
    shown = {
        k: fmt_number(v, "g", lang) if k.endswith("_h") and isinstance(v, float) else v
        for k, v in fields.items()
    }
    return tr(f"forecast.assume.{key}", lang, **shown)
