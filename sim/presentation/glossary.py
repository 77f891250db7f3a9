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
    "report.binds": ("binds in", "nghẽn trong"),
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
        "day over the window.",
        "Với mỗi cửa khẩu và chiều hàng, trong các khâu xe đi qua tại đó, khâu có hệ số sử dụng "
        "cao nhất trong giờ làm việc ở nhiều lần chạy nhất; hàng chờ tăng khi số xe còn trong hệ "
        "thống lúc 00:00 tăng dần qua các ngày.",
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
        "{exp_h} h and imports {imp_h} h from yard entry to clearance{ref_h}; {held} export trucks "
        "are still held at {clock}{ref_held}; the busiest stage is the {stage} at {gate}, {util} busy "
        "in its open hours; {growth}.",
        "Trong giai đoạn {first} đến {last}, các cửa khẩu thông quan {cleared} phương tiện mỗi "
        "ngày{ref_cleared}; xe xuất khẩu mất {exp_h} giờ và xe nhập khẩu {imp_h} giờ từ khi vào bãi "
        "đến khi thông quan{ref_h}; {held} xe xuất khẩu còn tồn lúc {clock}{ref_held}; khâu bận nhất "
        "là {stage} tại cửa khẩu {gate}, bận {util} trong giờ làm việc; {growth}.",
    ),
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
        "back to the level before ({level} in the system at 00:00) {days} after the episode",
        "trở lại mức trước đó ({level} trong hệ thống lúc 00:00) sau {days} kể từ khi kết thúc đợt",
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
    "answer.whole_run": ("Over the whole run: {text}", "Trên toàn bộ thời gian mô phỏng: {text}"),
    "growth.none": (
        "no queue grows (in none of {n} replications, over the window or in any month)",
        "không có hàng chờ nào tăng (trong {n} lần chạy, trên cả giai đoạn và từng tháng)",
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
        "{lever} {first} to {last}: {kpi} goes from {a} to {b} {unit}, {effect}; the binding stage is "
        "the {stage} at {gate}, {util} busy.",
        "{lever} từ {first} đến {last}: {kpi} đi từ {a} đến {b} {unit}, {effect}; khâu nghẽn là "
        "{stage} tại cửa khẩu {gate}, bận {util}.",
    ),
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
        "{name}: {days} ngày, seed ngẫu nhiên {seed}, {span}; mất {took} giây ({wall} giây mô phỏng cộng "
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
    "summary.answer": ("answer: {text}", "trả lời: {text}"),
    "na": ("n/a", "không có"),
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
) -> str:
    """The bottleneck sentence of a gate and direction in *lang* (see ``sim.experiments.results.statement``).

    *judged* is false when the window is too short for the growth rule; *binds_in* counts the
    replications in which the stage binds; "unstable" is said only of a *steady* window (one
    without an episode of events); *both*: one sentence for exports and imports, which share the stage.
    """
    label = gate_name(sc, gate, lang)
    who = tr("both_directions", lang) if both else tr(direction, lang)
    if not isinstance(stage, str) or not stage:
        return tr("statement.none", lang, gate=label, direction=who)
    if not judged:
        trend = tr("statement.short", lang)
    elif grows == 0:
        trend = tr("statement.stable", lang)
    else:
        trend = tr("statement.grows_in", lang, k=grows, n=n)
        if steady and 2 * grows > n:
            trend += ": " + tr("statement.unstable", lang)
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


def lever_label(sc: Scenario, key: str, lang: str = "en") -> str:
    """A dotted key of a scenario as a lever a planner names: 'Chinese checkpoint lanes at ...'."""
    parts = key.split(".")
    if parts[0] == "gates" and len(parts) >= 3 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        where = gate_name(sc, parts[1], lang)
        rest = parts[2:]
        if rest[0] == "routes" and len(rest) >= 3 and rest[1] in gate.routes:
            where += ", " + tr("route", lang, route=route_name(sc, parts[1], rest[1], lang))
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
        return v, math.inf, f"> {v:,.0f}"
    if kpi.startswith("perishable_over_threshold_share"):
        return None
    return REFERENCES.get(kpi)


def verdict(
    value: float,
    low: float,
    high: float,
    lang: str = "en",
    tolerance: float = 0.05,
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
