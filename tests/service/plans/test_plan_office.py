"""Word and Excel plans, built in memory by make_samples.py."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from service.plans import ParsedPlan

Parse = Callable[..., ParsedPlan]


def units(plan: ParsedPlan) -> list[tuple[int, list[str], list[str]]]:
    return [(task.number, list(task.lead_units), list(task.co_units)) for task in plan.tasks]


def test_docx_paragraphs(parse: Parse, office_files: dict[str, bytes]) -> None:
    plan = parse(office_files["plan-paragraphs.docx"], "plan-paragraphs.docx")
    assert plan.title == "鄂城区2024年营商环境提升行动方案"
    assert [(s.number, s.title) for s in plan.sections] == [("一", "提升政务服务"), ("二", "强化要素保障")]
    assert units(plan) == [
        (1, ["区行政审批局"], ["区政务服务中心", "区市场监管局", "各镇街"]),
        (2, ["区市场监督管理局"], []),  # label after a soft line break in the same paragraph
        (3, ["区自然资源和规划分局"], ["区财政局", "区城投公司"]),  # label paragraphs
    ]
    assert [task.line for task in plan.tasks] == [6, 7, 9]  # paragraph numbers
    assert plan.tasks[2].body == "盘活批而未供土地500亩。"  # the closing prose paragraph is not task text
    deadline = plan.tasks[2].deadline
    assert deadline is not None and deadline.date == datetime.date(2024, 10, 31)
    assert plan.tasks[1].targets[0].comparator == "≤"
    assert [(p.line, p.message) for p in plan.problems] == [
        (13, "第13段的文字「各单位要加强协作,形成工作合力。」写在任务的单位之后,不属于任何任务,已略过,请核对。"),
        (6, "第6段:单位「区政务服务中心」不在单位名录中。可更正名称,或在导入时选择新建该单位。"),
    ]


def test_docx_task_table(parse: Parse, office_files: dict[str, bytes]) -> None:
    plan = parse(office_files["plan-table.docx"], "plan-table.docx")
    assert plan.title == "鄂城区2024年“三新三强”重点任务清单"
    assert [(s.number, s.title) for s in plan.sections] == [("一", "构建新产业"), ("二", "打造新环境")]
    assert [(task.number, task.section, task.title) for task in plan.tasks] == [
        (1, "构建新产业", "推动老树发新芽"),
        (2, "构建新产业", "推进链式招商"),
        (3, "打造新环境", "打造绿色低碳生态环境"),
    ]
    assert units(plan) == [
        (1, ["区发展改革和经济信息化局"], ["各镇街", "花湖开发区"]),
        (2, ["区招商和投资促进中心"], ["区发改局", "区财政局"]),
        (3, ["区生态环境分局"], ["区农业农村局", "区水利局"]),
    ]
    deadlines = [(t.deadline.text, t.deadline.date) if t.deadline else None for t in plan.tasks]
    assert deadlines == [
        ("2024年12月底前", datetime.date(2024, 12, 31)),
        ("全年", datetime.date(2024, 12, 31)),
        ("长期坚持", None),
    ]
    assert plan.tasks[0].targets[0].indicator == "技改项目"
    assert [task.line for task in plan.tasks] == [3, 4, 6]  # rows of the table: header, section, task…
    assert [(p.line, p.severity, p.message) for p in plan.problems] == [
        (6, "warning", "表格1第6行:单位「区水利局」不在单位名录中。可更正名称,或在导入时选择新建该单位。")
    ]


def test_docx_word_list_numbering(parse: Parse, office_files: dict[str, bytes]) -> None:
    plan = parse(office_files["plan-autonumber.docx"], "plan-autonumber.docx")
    assert [(task.number, task.section, task.title) for task in plan.tasks] == [
        (1, "重点任务", "开展文明村镇创建"),
        (2, "重点任务", "开展文明校园创建"),
        (3, "重点任务", "开展文明家庭评选"),
    ]
    assert units(plan)[2] == (3, ["区妇联"], ["各镇街"])


def test_docx_multilevel_list_numbering(parse: Parse, office_files: dict[str, bytes]) -> None:
    plan = parse(office_files["plan-multilevel.docx"], "plan-multilevel.docx")
    assert [(s.number, s.title) for s in plan.sections] == [("一", "构建新产业"), ("二", "打造新环境")]
    assert [(task.number, task.section, task.title) for task in plan.tasks] == [
        (1, "构建新产业", "推行产业链长制"),
        (2, "构建新产业", "推进链式招商"),
        (3, "打造新环境", "打造绿色低碳生态环境"),  # Word restarts the inner level under each heading
    ]
    assert [task.written_number for task in plan.tasks] == ["一.1", "一.2", "二.1"]
    assert [p.severity for p in plan.problems] == ["warning"]  # the tasks were numbered in order: said once


def test_xlsx_task_sheets(parse: Parse, office_files: dict[str, bytes]) -> None:
    plan = parse(office_files["plan-tasks.xlsx"], "plan-tasks.xlsx")
    assert plan.title == "鄂城区2024年重点任务分解表"
    assert [(s.number, s.title) for s in plan.sections] == [("一", "构建新产业"), ("二", "推进新治理")]
    assert [(task.number, task.line, task.section) for task in plan.tasks] == [
        (1, 4, "构建新产业"),
        (2, 5, "构建新产业"),
        (3, 7, "推进新治理"),
        (4, 8, "推进新治理"),
        (5, 2, None),  # the second sheet numbers from 1 again: numbered on, as written kept
        (6, 3, None),
    ]
    assert [task.written_number for task in plan.tasks][4:] == ["民生实事!1", "民生实事!2"]
    # The notes sheet says "排在第一位的为牵头单位" and the first sheet has only 责任单位/配合单位 columns.
    assert units(plan) == [
        (1, ["区发展改革和经济信息化局"], ["区招商中心", "各镇街"]),
        (2, ["区发改局"], ["区财政局", "区住建局"]),
        (3, ["区政府办公室"], ["区直各部门"]),
        (4, [], ["区民政局"]),
        (5, ["区人社局"], ["各镇街"]),
        (6, ["区民政局"], ["区残联"]),
    ]
    assert plan.tasks[4].title == "零工市场建设"  # a title column and a content column
    assert plan.tasks[4].body == "新改建零工市场(驿站)15家。"
    assert plan.tasks[1].deadline is not None and plan.tasks[1].deadline.date == datetime.date(2024, 9, 30)
    assert len(plan.tasks[2].co_units_resolved) == 36
    assert [(p.line, p.severity, p.message) for p in plan.problems] == [
        (8, "error", "任务表!8:任务4「强化基层治理」未标明牵头单位。"),
        (
            4,
            "warning",
            "各部分的任务编号分别从1开始(2 个部分):已按出现顺序连续编号为任务1至任务6,原编号保留在各任务中,请核对。",
        ),
        (3, "warning", "民生实事!3:单位「区残联」不在单位名录中。可更正名称,或在导入时选择新建该单位。"),
    ]


def test_dispatch_on_content_not_on_extension(parse: Parse, office_files: dict[str, bytes]) -> None:
    as_txt = parse(office_files["plan-table.docx"], "upload.txt")
    assert [task.title for task in as_txt.tasks] == ["推动老树发新芽", "推进链式招商", "打造绿色低碳生态环境"]
    as_xlsx = parse(office_files["plan-tasks.xlsx"], "upload.docx")
    assert len(as_xlsx.tasks) == 6
    text_named_docx = parse("1.推行产业链长制。(牵头单位:区发改局)", "plan.docx")
    assert [task.title for task in text_named_docx.tasks] == ["推行产业链长制"]
    assert [(p.severity, p.message) for p in text_named_docx.problems] == [
        ("warning", "文件名为 plan.docx,但内容不是 Word/Excel 文档,已按纯文本读取。")
    ]
