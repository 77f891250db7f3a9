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


def _short_route(label: str) -> str:
    """A route's label cut to its road numbers (``1119-1120 dedicated cargo road`` -> ``1119-1120``);
    a label that does not start with a number stays whole."""
    first = label.split()[0] if label.split() else label
    return first if any(ch.isdigit() for ch in first) else label


def _where(sc: Scenario, parts: list[str], lang: str, short: bool) -> tuple[str, list[str]]:
    """The gate (and route) a dotted key is about, in words, and the parts left after them."""
    if parts[0] == "gates" and len(parts) >= 3 and parts[1] in sc.gates:
        gate = sc.gates[parts[1]]
        where, rest = gate.label, parts[2:]
        if rest[0] == "routes" and len(rest) >= 3 and rest[1] in gate.routes:
            label = gate.routes[rest[1]].label or rest[1]
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
