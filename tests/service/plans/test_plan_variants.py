"""One test (or a few) per format variant, each on a small sample in tests/service/plans/samples."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from service.plans import ParsedPlan

Sample = Callable[[str], ParsedPlan]
Parse = Callable[..., ParsedPlan]
TOWNS = ("泽林镇", "杜山镇", "新庙镇", "碧石渡镇", "汀祖镇", "燕矶镇", "杨叶镇", "花湖镇", "长港镇")
STREETS = ("凤凰街道", "古楼街道", "西山街道", "樊口街道")


def units(plan: ParsedPlan) -> list[tuple[int, list[str], list[str]]]:
    return [(task.number, list(task.lead_units), list(task.co_units)) for task in plan.tasks]


def test_square_and_other_brackets(sample: Sample) -> None:
    plan = sample("square-brackets.txt")
    assert plan.title == "鄂城区2024年优化营商环境重点任务清单"
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "提升政务服务效能"),
        ("二", "优化要素保障"),
    ]
    assert units(plan) == [
        (1, ["区行政审批局"], ["区政府办公室", "区市场监管局"]),  # [ ]
        (2, ["区行政审批局"], ["区公安分局", "区人社局", "各镇街"]),  # 〔 〕
        (3, ["区自然资源和规划分局"], ["区财政局", "区发改局"]),  # 【 】
        (4, ["区金融办"], ["区财政局"]),  # full-width "４．", labels separated by a space only
    ]
    assert plan.tasks[0].co_units_resolved == ("区政府办公室", "区市场监督管理局")  # alias → canonical
    assert plan.tasks[3].body == "新增普惠小微贷款5亿元以上。"
    assert [(t.indicator, t.comparator, t.value, t.unit) for t in plan.tasks[3].targets] == [
        ("普惠小微贷款", "≥", 5, "亿元")
    ]
    assert plan.problems == ()


def test_labels_on_lines_of_their_own(sample: Sample) -> None:
    plan = sample("label-lines.txt")
    assert units(plan) == [
        (1, ["区农业农村局"], ["区乡村振兴局", "区财政局", "各乡镇"]),
        (2, ["区农业农村局", "区商务局"], ["各镇街"]),
        (3, ["区农业农村局"], []),
    ]
    assert plan.tasks[0].co_units_resolved == ("区乡村振兴局", "区财政局", *TOWNS, "沙窝乡")
    assert plan.tasks[0].deadline is not None
    assert (plan.tasks[0].deadline.text, plan.tasks[0].deadline.date) == (
        "2024年9月",
        datetime.date(2024, 9, 30),
    )
    # The prose line after task 2's labels is not part of task 2.
    assert plan.tasks[1].body == "新建村级电商服务站50个。"
    assert plan.tasks[1].unknown_units == ("区商务局",)
    messages = [(p.line, p.severity, p.message) for p in plan.problems]
    assert messages == [
        (
            11,
            "warning",
            "第11行的文字「各地各部门要高度重视,主动作为,确保各项任务落到实处。」写在任务的单位之后,不属于任何任务,已略过,请核对。",
        ),
        (13, "warning", "第13行:任务3「培育高素质农民」的责任单位为空。"),
        (8, "warning", "第8行:单位「区商务局」不在单位名录中。可更正名称,或在导入时选择新建该单位。"),
    ]


def test_table_flattened_to_one_cell_per_line(sample: Sample) -> None:
    plan = sample("flattened-table.txt")
    assert plan.title == "鄂城区2024年民生实事任务分解表"
    assert [task.number for task in plan.tasks] == [1, 2, 3, 4]
    assert [task.line for task in plan.tasks] == [7, 12, 17, 22]
    assert units(plan) == [
        (1, ["区人力资源和社会保障局"], ["区财政局", "各镇街"]),
        (2, ["区卫健局"], ["区财政局", "区农业农村局"]),
        (3, ["区民政局"], ["各镇街"]),
        (4, ["区住房和城乡建设局"], ["区城投公司"]),
    ]
    deadlines = [(t.deadline.text, t.deadline.date) if t.deadline else None for t in plan.tasks]
    assert deadlines == [
        ("2024年6月底前", datetime.date(2024, 6, 30)),
        ("2024年12月", datetime.date(2024, 12, 31)),
        ("全年", datetime.date(2024, 12, 31)),
        ("2024年底前", datetime.date(2024, 12, 31)),
    ]
    # The last row's task cell runs over two lines.
    assert plan.tasks[3].title == "完成既有住宅增设电梯40部以上"
    assert plan.tasks[3].body == "同步推进二次供水改造30处以上。"
    assert plan.problems == ()


def test_tab_separated_table(parse: Parse) -> None:
    text = (
        "鄂城区2024年重点任务台账\n"
        "序号\t重点任务\t牵头单位\t责任单位\t完成时限\n"
        "1\t推行产业链长制。\t区发改局\t各镇街\t2024年6月底前\n"
        "2\t推进链式招商。\t区招商中心\t区财政局、花湖开发区\t全年\n"
    )
    plan = parse(text, "tab.txt")
    assert units(plan) == [(1, ["区发改局"], ["各镇街"]), (2, ["区招商中心"], ["区财政局", "花湖开发区"])]
    assert plan.tasks[1].co_units_resolved == ("区财政局", "花湖开发区")


def test_cooperating_units_and_zhuban(sample: Sample) -> None:
    plan = sample("cooperating-units.txt")
    assert units(plan) == [
        (1, ["区文创中心"], ["区农业农村局", "区乡村振兴局", "各镇街"]),  # 主办单位 / 配合单位
        (2, ["区文创中心"], ["区妇联", "团区委"]),  # 协办单位
        (3, ["区教育局"], ["区文创中心", "团区委"]),  # 责任 + 配合, the repeated 区文创中心 once
    ]
    assert plan.problems == ()


def test_traditional_characters(sample: Sample) -> None:
    """Text and names stay as written; they are matched in simplified form."""
    plan = sample("traditional.txt")
    assert plan.title == "鄂城區2024年“三新三強”工作任務分解方案"
    assert [(s.number, s.title) for s in plan.sections] == [("一", "構建新產業"), ("二", "打造新環境")]
    assert units(plan) == [
        (1, ["區發展改革和經濟信息化局"], ["區招商和投資促進中心", "區農業農村局", "各鎮街", "花湖開發區"]),
        (2, ["區生態環境分局"], ["區城市管理執法局", "各鎮街"]),
    ]
    assert plan.tasks[0].title == "推行產業鏈長制"
    assert plan.tasks[0].targets[0].indicator == "技改項目"
    assert plan.tasks[0].co_units_resolved[:2] == ("区招商和投资促进中心", "区农业农村局")  # the directory's names
    assert len(plan.tasks[0].co_units_resolved) == 2 + 14 + 1
    assert plan.problems == ()


def test_x_qiantou_without_labels(sample: Sample) -> None:
    plan = sample("qiantou.txt")
    assert units(plan) == [
        (1, ["区委组织部", "区招才引智中心"], ["各镇街"]),  # a closing sentence "X、Y牵头,Z配合。"
        (2, ["区人社局"], ["区教育局"]),  # "(X牵头,Y配合)"
        (3, ["区住建局"], []),  # "(X负责)"
        (4, ["区委组织部"], ["区直各单位"]),  # "由X牵头,Y配合落实。"
    ]
    assert plan.tasks[0].body == "引进“乡村创客”100人以上。"
    assert plan.tasks[3].body == ""
    assert len(plan.tasks[3].co_units_resolved) == 36  # every department but 区委组织部, which leads
    assert "区委组织部" not in plan.tasks[3].co_units_resolved
    assert plan.problems == ()


def test_responsible_units_lead_when_the_plan_says_so(sample: Sample) -> None:
    plan = sample("responsible-lead.txt")
    assert units(plan) == [
        (1, ["区应急管理局", "区消防救援大队"], []),
        (2, ["区住房和城乡建设局"], ["区市场监督管理局"]),
    ]
    assert plan.problems == ()


def test_first_responsible_unit_leads_by_default_with_a_warning(parse: Parse) -> None:
    """Without a lead and without a rule in the plan, the usual reading: the first listed leads."""
    plan = parse("2024年工作要点\n1.开展安全隐患排查整治。(责任单位:区应急管理局、区消防救援大队)\n")
    assert units(plan) == [(1, ["区应急管理局"], ["区消防救援大队"])]
    assert [(p.severity, p.message) for p in plan.problems] == [
        (
            "warning",
            "第2行:任务1「开展安全隐患排查整治」未标明牵头单位,已按惯例将列第一位的「区应急管理局」作为牵头单位,"
            "其余作为配合单位,请核对。",
        )
    ]


def test_first_listed_unit_leads_when_the_plan_says_so(sample: Sample) -> None:
    plan = sample("first-listed-lead.txt")
    assert units(plan) == [
        (1, ["区城市管理执法局"], ["区住建局", "各街道"]),
        (2, ["区城管执法局"], ["区市场监管局"]),
    ]
    assert plan.tasks[0].co_units_resolved == ("区住房和城乡建设局", *STREETS)
    assert plan.problems == ()


def test_lead_marked_inside_the_responsible_list(parse: Parse) -> None:
    plan = parse("1.推进垃圾分类。(责任单位:区住建局、区城管执法局(牵头)、各街道)")
    assert units(plan) == [(1, ["区城管执法局"], ["区住建局", "各街道"])]


def test_inline_deadlines(sample: Sample) -> None:
    plan = sample("deadlines.txt")
    deadlines = [(t.number, t.deadline.text, t.deadline.date) if t.deadline else None for t in plan.tasks]
    assert deadlines == [
        (1, "2024年6月底前", datetime.date(2024, 6, 30)),  # "(2024年6月底前完成)" in the text
        (2, "2024年9月", datetime.date(2024, 9, 30)),  # 完成时限:2024年9月
        (3, "每季度", None),
        (4, "长期坚持", None),
        (5, "年底前", datetime.date(2024, 12, 31)),  # the year comes from the title
        (6, "全年", datetime.date(2024, 12, 31)),
        (7, "2024年底前", datetime.date(2024, 12, 31)),
    ]
    assert all("完成时限" not in task.body for task in plan.tasks)


def test_plan_year_argument_wins(sample: Sample, parse: Parse) -> None:
    text = "1.完成项目竣工验收。年底前完成验收。(牵头单位:区住建局)\n"
    assert parse(text, "plan.txt").tasks[0].deadline.date is None  # type: ignore[union-attr]
    dated = parse(text, "plan.txt", year=2025).tasks[0].deadline
    assert dated is not None and dated.date == datetime.date(2025, 12, 31)


def test_parts_and_numbers_restarting_in_each_section(sample: Sample) -> None:
    plan = sample("numbering-parts.txt")
    assert [(s.number, s.title) for s in plan.sections] == [("一", "污染防治"), ("二", "生态修复")]
    # Each section numbers from 1 again: four distinct tasks, numbered in order, each keeping its number as
    # written; said once, as a warning (nothing blocks the import).
    assert [(task.number, task.written_number, task.section) for task in plan.tasks] == [
        (1, "一.1", "污染防治"),
        (2, "一.2", "污染防治"),
        (3, "二.1", "生态修复"),
        (4, "二.2", "生态修复"),
    ]
    assert [(p.line, p.severity) for p in plan.problems] == [(3, "warning")]
    assert "各部分的任务编号分别从1开始(2 个部分):已按出现顺序连续编号为任务1至任务4" in plan.problems[0].message
    assert plan.tasks[2].co_units_resolved == TOWNS  # 各镇: the towns only


def test_parenthesised_arabic_task_numbers(sample: Sample) -> None:
    plan = sample("numbering-paren.txt")
    assert [(task.number, task.section, task.title) for task in plan.tasks] == [
        (1, "稳增长", "扩大有效投资"),
        (2, "稳增长", "促进消费升级"),
        (3, "促改革", "深化国企改革"),
    ]


def test_chinese_numbered_tasks_with_sub_items(sample: Sample) -> None:
    plan = sample("numbering-cn-tasks.txt")
    assert [(s.number, s.title) for s in plan.sections] == [("二", "重点任务")]
    assert [(task.number, task.title) for task in plan.tasks] == [(1, "推行河湖长制"), (2, "推进水环境治理")]
    assert plan.tasks[0].body == "压实各级河湖长责任。\n1.开展河湖巡查。\n2.建立问题清单。"
    assert units(plan) == [(1, ["区农业农村局"], ["各镇街"]), (2, ["区生态环境分局"], ["区住建局"])]


def test_sub_items_under_numbered_tasks_stay_in_the_task(parse: Parse) -> None:
    text = (
        "一、重点任务\n"
        "1.推进城市更新。\n(1)启动片区改造。\n(2)实施老旧小区改造120个。\n"
        "牵头单位:区住建局\n责任单位:各街道\n"
        "2.推进乡村振兴。\n(1)培育示范村10个。\n(2)建设美丽乡村。\n"
        "牵头单位:区农业农村局\n责任单位:各乡镇\n"
    )
    plan = parse(text)
    assert [(task.number, task.title) for task in plan.tasks] == [(1, "推进城市更新"), (2, "推进乡村振兴")]
    assert plan.tasks[0].body == "(1)启动片区改造。\n(2)实施老旧小区改造120个。"
    assert units(plan) == [(1, ["区住建局"], ["各街道"]), (2, ["区农业农村局"], ["各乡镇"])]


def test_one_task_per_section_still_reads_the_tasks(parse: Parse) -> None:
    text = (
        "(一)构建新产业\n1.推行产业链长制。(牵头单位:区发改局)\n"
        "(二)打造新环境\n2.打造绿色低碳生态环境。(牵头单位:区生态环境分局)\n"
    )
    plan = parse(text)
    assert [(task.number, task.section) for task in plan.tasks] == [(1, "构建新产业"), (2, "打造新环境")]


def test_problems_for_missing_and_empty_units_and_brackets(parse: Parse) -> None:
    text = (
        "1.推进甲项工作。(牵头单位:区财政局;责任单位:区教育局\n"
        "2.推进乙项工作。(配合单位:区教育局)\n"
        "3.推进丙项工作。\n"
        "4.推进丁项工作。(牵头单位:;责任单位:区教育局)\n"
    )
    plan = parse(text)
    assert units(plan) == [
        (1, ["区财政局"], ["区教育局"]),  # still read to the end of the line
        (2, [], ["区教育局"]),
        (3, [], []),
        (4, [], ["区教育局"]),
    ]
    assert [(p.line, p.severity, p.message) for p in plan.problems] == [
        (1, "warning", "第1行:任务1「推进甲项工作」括号不配对:“(”没有对应的右括号。"),
        (2, "error", "第2行:任务2「推进乙项工作」未标明牵头单位。"),
        (3, "error", "第3行:任务3「推进丙项工作」未标明牵头单位和责任单位。"),
        (4, "error", "第4行:任务4「推进丁项工作」的牵头单位为空。"),
        (4, "error", "第4行:任务4「推进丁项工作」未标明牵头单位。"),
    ]


def test_unknown_units_are_kept_and_reported(parse: Parse) -> None:
    plan = parse("1.建设智慧城市。(牵头单位:区大数据中心;责任单位:区财政局、区科技局,各镇街)")
    task = plan.tasks[0]
    assert task.lead_units == ("区大数据中心",)
    assert task.co_units == ("区财政局", "区科技局", "各镇街")
    assert task.co_units_resolved == ("区财政局", "区科技局", *STREETS, *TOWNS, "沙窝乡")
    assert task.unknown_units == ("区大数据中心", "区科技局")
    assert [p.message for p in plan.problems] == [
        "第1行:单位「区大数据中心」不在单位名录中。可更正名称,或在导入时选择新建该单位。",
        "第1行:单位「区科技局」不在单位名录中。可更正名称,或在导入时选择新建该单位。",
    ]


def test_group_word_with_brackets_and_district_prefix(parse: Parse) -> None:
    plan = parse("1.推进基层治理。(牵头单位:鄂城区民政局;责任单位:各镇(街)、区民政局)")
    task = plan.tasks[0]
    assert task.lead_units == ("鄂城区民政局",)
    # Names stay as written; the directory takes 区民政局 for the lead, so the units to involve leave it out,
    # and the reader is told.
    assert task.co_units == ("各镇(街)", "区民政局")
    assert task.co_units_resolved == (*STREETS, *TOWNS, "沙窝乡")
    assert [p.message for p in plan.problems] == [
        "第1行:任务1的「鄂城区民政局」与「区民政局」在单位名录中是同一单位「区民政局」,导入时合为一个单位,请核对。"
    ]


def test_plan_saved_as_a_web_page(sample: Sample) -> None:
    plan = sample("saved-page.html")
    assert plan.title == "鄂城区2024年“三新三强”行动方案"  # from <title>
    assert [(task.number, task.section, task.title) for task in plan.tasks] == [
        (1, "构建新产业", "推行产业链长制"),
        (2, "构建新产业", "推动老树发新芽"),  # units after a <br>
        (3, "构建新产业", "推进链式招商"),  # a row of an HTML table
    ]
    assert units(plan)[0] == (1, ["区发展改革和经济信息化局"], ["区招商和投资促进中心", "各镇街", "花湖开发区"])
    text = str(plan.to_json())
    assert "假任务" not in text and "color" not in text and "ICP" not in text  # scripts, styles, footer
    assert plan.problems == ()
