"""The real plan the product is built for: 鄂城区 2024 "三新三强" (service/demo/data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from service.plans import ParsedPlan, Target, UnitDirectory

TAIL = ("各镇街", "花湖开发区")  # every task ends its co-units with these two
STREETS_TOWNS = (
    "凤凰街道", "古楼街道", "西山街道", "樊口街道",
    "泽林镇", "杜山镇", "新庙镇", "碧石渡镇", "汀祖镇", "燕矶镇", "杨叶镇", "花湖镇", "长港镇",
    "沙窝乡",
)  # fmt: skip

# Written out by hand from the text of the plan: (number, title, lead units, co-units).
EXPECTED = [
    (1, "推行产业链长制", ["区发展改革和经济信息化局"],
     ["区招商和投资促进中心", "区农业农村局", "区住房和城乡建设局", "区文化和旅游局", "区卫健局",
      *TAIL]),
    (2, "推动老树发新芽", ["区发展改革和经济信息化局"], [*TAIL]),
    (3, "推进链式招商", ["区招商和投资促进中心"],
     ["区发展改革和经济信息化局", "区自然资源和规划分局", "区行政审批局", "区生态环境分局",
      "区城投公司", *TAIL]),
    (4, "加速重点项目建设", ["区发展改革和经济信息化局"],
     ["区自然资源和规划分局", "区财政局", "区住房和城乡建设局", "区生态环境分局", "区卫健局",
      "区教育局", "区招商和投资促进中心", "区农业农村局", "区民政局", "区人力资源和社会保障局",
      *TAIL]),
    (5, "培育经济增长点", ["区发展改革和经济信息化局", "区市场监督管理局", "区农业农村局"],
     ["区统计局", "区招商和投资促进中心", "区文化和旅游局", "区财政局", "区自然资源和规划分局",
      "区人力资源和社会保障局", "区住房和城乡建设局", "区城投公司", *TAIL]),
    (6, "打造美丽宜居城乡环境", ["区住房和城乡建设局", "区农业农村局", "区城投公司"],
     ["区城市管理执法局", "区发展改革和经济信息化局", "区自然资源和规划分局", "区乡村振兴局",
      "区文化和旅游局", "区市场监督管理局", "区招商和投资促进中心", *TAIL]),
    (7, "打造绿色低碳生态环境", ["区生态环境分局"],
     ["区发展改革和经济信息化局", "区农业农村局", "区住房和城乡建设局", "区自然资源和规划分局",
      "区城市管理执法局", *TAIL]),
    (8, "打造全省一流政务环境", ["区发展改革和经济信息化局", "区行政审批局"],
     ["区纪委监委机关", "区招商和投资促进中心", "区财政局", "区城投公司", "区自然资源和规划分局",
      "区金融办公室", *TAIL]),
    (9, "打造平安法治社会环境", ["区委政法委"],
     ["区信访局", "区司法局", "区市场监督管理局", "区应急管理局", "区发展改革和经济信息化局",
      "区民政局", "区住房和城乡建设局", "区文化和旅游局", "区公安分局", "区法院", "区检察院",
      "区消防救援大队", *TAIL]),
    (10, "打造健康向上人文环境", ["区委宣传部", "区文化和旅游局"],
     ["区文创中心", "区发展改革和经济信息化局", "区退役军人事务局", *TAIL]),
    (11, "打造人才发展创业环境", ["区委组织部", "区招才引智中心"],
     ["区发展改革和经济信息化局", "区招商和投资促进中心", "区行政审批局", "区农业农村局", *TAIL]),
    (12, "提升基层治理能力", ["区委组织部"],
     ["区总工会", "团区委", "区妇联", "区民政局", "区住房和城乡建设局", *TAIL]),
    (13, "凝聚共同精神力量", ["区文创中心"],
     ["区委政法委", "区妇联", "团区委", "区发展改革和经济信息化局", "区城市管理执法局",
      "区农业农村局", "区住房和城乡建设局", "区民政局", "区市场监督管理局", "区教育局", "区卫健局",
      "区文化和旅游局", "区公安分局", "区消防救援大队", *TAIL]),
    (14, "推进共建共治共享", ["区政府办公室"], ["区直各部门", *TAIL]),
]  # fmt: skip


def test_sections_and_titles(real_plan: ParsedPlan) -> None:
    assert [(s.number, s.title) for s in real_plan.sections] == [
        ("一", "构建新产业"),
        ("二", "打造新环境"),
        ("三", "推进新治理"),
    ]
    assert [(task.number, task.title) for task in real_plan.tasks] == [(n, title) for n, title, _, _ in EXPECTED]
    assert [task.section for task in real_plan.tasks] == ["构建新产业"] * 5 + ["打造新环境"] * 6 + ["推进新治理"] * 3
    assert [task.line for task in real_plan.tasks] == [5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20]


def test_lead_and_co_units_of_every_task(real_plan: ParsedPlan) -> None:
    for task, (number, _, lead, co) in zip(real_plan.tasks, EXPECTED, strict=True):
        assert task.number == number
        assert list(task.lead_units) == lead, number
        assert list(task.co_units) == co, number
    assert [task.number for task in real_plan.tasks if len(task.lead_units) > 1] == [5, 6, 8, 10, 11]


def test_unit_that_leads_is_not_also_a_co_unit(real_plan: ParsedPlan) -> None:
    task8 = real_plan.tasks[7]
    assert "区行政审批局" in task8.lead_units
    assert "区行政审批局" not in task8.co_units
    assert "区行政审批局" not in task8.co_units_resolved


def test_no_problems_and_no_unknown_units(real_plan: ParsedPlan) -> None:
    assert real_plan.problems == ()
    assert all(task.unknown_units == () for task in real_plan.tasks)
    # The plan names no completion times; "2024年全省县域文明指数" (task 13) is not one.
    assert all(task.deadline is None for task in real_plan.tasks)


def test_co_units_resolved_of_task_1(real_plan: ParsedPlan, directory: UnitDirectory) -> None:
    resolved = real_plan.tasks[0].co_units_resolved
    assert resolved == (
        "区招商和投资促进中心", "区农业农村局", "区住房和城乡建设局", "区文化和旅游局", "区卫健局",
        *STREETS_TOWNS,
        "花湖开发区",
    )  # fmt: skip
    assert len(set(resolved)) == len(resolved) == 20
    assert "区发展改革和经济信息化局" not in resolved
    assert directory.members("各镇街") == STREETS_TOWNS


def test_co_units_resolved_of_task_14(real_plan: ParsedPlan, directory: UnitDirectory) -> None:
    resolved = real_plan.tasks[13].co_units_resolved
    departments = directory.members("区直各部门")
    assert departments is not None and len(departments) == 37
    expected_departments = tuple(unit for unit in departments if unit != "区政府办公室")
    assert len(expected_departments) == 36
    assert resolved == (*expected_departments, *STREETS_TOWNS, "花湖开发区")
    assert "区政府办公室" not in resolved
    assert len(set(resolved)) == len(resolved) == 51


def test_targets(real_plan: ParsedPlan) -> None:
    task2 = real_plan.tasks[1]
    assert Target("力争完成技改项目20个以上", "技改项目", "≥", 20, "个") in task2.targets
    task5 = real_plan.tasks[4]
    registered = [target for target in task5.targets if target.indicator == "新登记市场主体"]
    assert [(t.value, t.unit, t.comparator) for t in registered] == [(20000, "户", "=")]
    assert isinstance(registered[0].value, int)
    by_indicator = {target.indicator: target for target in task5.targets}
    assert (by_indicator["四上企业"].comparator, by_indicator["四上企业"].value) == ("≥", 80)
    assert (by_indicator["院士工作站"].comparator, by_indicator["院士工作站"].value) == ("≥", 1)
    task3 = {target.indicator: target for target in real_plan.tasks[2].targets}
    assert (task3["企业"].comparator, task3["企业"].value, task3["企业"].text) == (
        "≥",
        1,
        "招引落地1-2家 企业",
    )
    assert (task3["总投资"].comparator, task3["总投资"].value, task3["总投资"].unit) == ("≥", 500, "亿元")
    task6 = {target.indicator: target for target in real_plan.tasks[5].targets}
    assert (task6["流转率"].value, task6["流转率"].unit) == (77, "%")
    assert (task6["耕地保护红线"].value, task6["耕地保护红线"].unit) == (169000, "亩")


def test_no_nonsense_targets(real_plan: ParsedPlan) -> None:
    every = [target for task in real_plan.tasks for target in task.targets]
    units = {target.unit for target in every}
    assert units <= {"个", "家", "户", "亩", "亿元", "%", "部", "处", "套"}
    texts = " ".join(target.text for target in every)
    for never in ("2024年", "7·22", "十个一", "黄金22条", "500强", "323", "12家区内"):
        assert never not in texts
    # Task 10 has no numbers but "十个一"; task 11 has "7·22" and one real target.
    assert real_plan.tasks[9].targets == ()
    assert [target.indicator for target in real_plan.tasks[10].targets] == ["重点项目"]


def test_bodies_drop_the_unit_parenthesis(real_plan: ParsedPlan) -> None:
    task1 = real_plan.tasks[0]
    assert task1.body.startswith("围绕新材料、大数据")
    assert task1.body.endswith("六大主导产业。")
    for task in real_plan.tasks:
        assert "牵头单位" not in task.body and "责任单位" not in task.body
        assert not task.body.startswith(task.title)
    assert "区镇(街)“一站式多元解纷”平台" in real_plan.tasks[8].body  # brackets inside the text stay


def test_footer_headings_and_closing_prose_are_not_tasks(real_plan: ParsedPlan) -> None:
    assert [task.number for task in real_plan.tasks] == list(range(1, 15))
    text = json.dumps(real_plan.to_json(), ensure_ascii=False)
    for never in ("ICP", "备案", "网站地图", "实施步骤", "组织保障", "要推进思想真解放", "政治路线确定之后"):
        assert never not in text
    assert real_plan.tasks[-1].body.endswith("历史遗留问题化解。")


def test_title_falls_back_to_the_file_name(real_plan: ParsedPlan) -> None:
    assert real_plan.title == "echeng-2024-sanxin-sanqiang"
    assert real_plan.source_name == "echeng-2024-sanxin-sanqiang.txt"
    assert len(real_plan.source_sha256) == 64


def test_to_json_shape(real_plan: ParsedPlan) -> None:
    data = real_plan.to_json()
    assert list(data) == ["title", "sections", "tasks", "problems", "year", "foreign"]
    assert (data["year"], data["foreign"]) == (2024, False)
    assert data["sections"][0] == {"number": "一", "title": "构建新产业", "level": 2}
    task = data["tasks"][1]
    assert list(task) == [
        "number", "section", "title", "body", "lead_units", "co_units", "co_units_resolved", "targets",
        "deadline", "line", "unknown_units", "leaders", "written_number",
    ]  # fmt: skip
    assert task["targets"][0] == {
        "text": "力争完成技改项目20个以上",
        "indicator": "技改项目",
        "comparator": "≥",
        "value": 20,
        "upper": None,
        "unit": "个",
    }
    assert task["deadline"] is None
    assert json.loads(json.dumps(data)) == data


def test_same_result_with_bom_and_in_gb18030(
    real_plan: ParsedPlan, real_plan_file: Path, parse: Callable[..., ParsedPlan]
) -> None:
    raw = real_plan_file.read_bytes()
    with_bom = parse(b"\xef\xbb\xbf" + raw, real_plan_file.name)
    gbk = parse(raw.decode("utf-8").encode("gb18030"), real_plan_file.name)
    utf16 = parse(raw.decode("utf-8").encode("utf-16"), real_plan_file.name)
    assert with_bom.to_json() == real_plan.to_json()
    assert gbk.to_json() == real_plan.to_json()
    assert utf16.to_json() == real_plan.to_json()
    assert gbk.source_sha256 != real_plan.source_sha256
