"""Indicators: made from the targets an import finds (and the plan's 主要目标), then added to, corrected
and retired by the office, every change audited; refused clearly when a field is wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEvent, Indicator, KeyTask, Plan
from service.demo.seed import PLAN_FILE, load_demo
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.operations.common.actor import SYSTEM
from service.operations.directory.plan_import import import_plan
from service.operations.year.indicators import IndicatorFields, add_indicator, correct_indicator, retire_indicator

GOALS_PLAN = """2025年某区重点工作任务分解方案
一、总体要求
坚持稳中求进。
二、主要目标
全区地区生产总值增长7%左右,新登记市场主体2万户。
三、重点任务
1.推进一网通办。力争网办率达到90%以上。(牵头单位:区行政审批局;责任单位:区财政局)
2.清理拖欠账款。(牵头单位:区财政局)
"""


def indicators_of(runtime, **where):
    with runtime.work(write=False) as work:
        query = select(Indicator).order_by(Indicator.key_task_id, Indicator.position)
        for name, value in where.items():
            query = query.where(getattr(Indicator, name) == value)
        return list(work.session.scalars(query))


def test_the_real_plan_gives_task_2_its_technical_renovation_indicator(runtime):
    with runtime.work() as work:
        load_demo(work, with_plan=False)
    with runtime.work() as work:
        result = import_plan(work, SYSTEM, PLAN_FILE.read_bytes(), PLAN_FILE.name)
    with runtime.work(write=False) as work:
        task2 = work.session.scalar(select(KeyTask).where(KeyTask.plan_id == result.plan_id, KeyTask.number == 2))
        lead = task2.lead_units[0]
        found = [
            (i.name, i.comparator.value, i.target, i.measure, i.responsible_unit_id, i.source.value)
            for i in work.session.scalars(select(Indicator).where(Indicator.key_task_id == task2.id))
        ]
        total = len(list(work.session.scalars(select(Indicator).where(Indicator.plan_id == result.plan_id))))
        imported = [e for e in work.session.scalars(select(AuditEvent)) if e.action == "plan.imported"]
    assert ("技改项目", "≥", 20.0, "个", lead.id, "imported") in found
    assert lead.name == "区发展改革和经济信息化局"
    # Every target the parser found became an indicator, and the import's audit event counts them.
    assert total == sum(len(t.targets) for t in result.parsed.tasks) > 20
    assert imported[-1].data["indicators"] == total


def test_the_plans_main_goals_become_plan_indicators(runtime, make):
    make.unit("区行政审批局")
    make.unit("区财政局")
    with runtime.work() as work:
        result = import_plan(work, SYSTEM, GOALS_PLAN.encode(), "goals.txt")
    goals = indicators_of(runtime, plan_id=result.plan_id, key_task_id=None)
    assert [(g.name, g.comparator.value, g.target, g.measure) for g in goals] == [
        ("地区生产总值增长", "≈", 7.0, "%"),
        ("新登记市场主体", "=", 20000.0, "户"),
    ]
    assert all(g.responsible_unit_id is None for g in goals)


def test_the_office_adds_corrects_and_retires_and_every_change_is_audited(runtime, world):
    fields = IndicatorFields(name="技改项目", comparator="≥", target="20", measure="个")
    with runtime.work() as work:
        made = add_indicator(work, world.supervisor, fields, key_task_id=world.key_task.id)
        made_id = made.id
        assert made.responsible_unit_id == world.lead_unit.id  # the primary lead unit by default
    with runtime.work() as work:
        correct_indicator(
            work,
            world.admin,
            made_id,
            IndicatorFields(target=25, schedule=[{"by": "2024-06-30", "share": 40}, {"by": "2024-09-30", "share": 75}]),
        )
    with runtime.work() as work:
        retire_indicator(work, world.supervisor, made_id, "与任务3重复")
    (indicator,) = indicators_of(runtime, key_task_id=world.key_task.id)
    assert (indicator.target, indicator.active, indicator.retire_reason) == (25.0, False, "与任务3重复")
    assert indicator.schedule[1] == {"by": "2024-09-30", "share": 75.0}
    with runtime.work(write=False) as work:
        events = [e for e in work.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    actions = [(e.action, e.actor_role) for e in events if e.action.startswith("indicator.")]
    assert actions == [
        ("indicator.added", "supervisor"),
        ("indicator.corrected", "admin"),
        ("indicator.retired", "supervisor"),
    ]
    corrected = next(e for e in events if e.action == "indicator.corrected")
    assert corrected.data["changes"]["target"] == {"from": 20.0, "to": 25.0}
    with runtime.work() as work, pytest.raises(Conflict, match="已停用"):
        correct_indicator(work, world.supervisor, made_id, IndicatorFields(target=30))


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        (IndicatorFields(name=" ", comparator="≥", target=1), "name", "指标名称"),
        (IndicatorFields(name="项目", comparator=">=", target=1), "comparator", "比较方式"),
        (IndicatorFields(name="项目", comparator="≥", target="二十"), "target", "应为数字"),
        (IndicatorFields(name="项目", comparator="≥", target=-3), "target", "0 到"),
        (IndicatorFields(name="项目", comparator="≥", target=float("nan")), "target", "应为数字"),
        (
            IndicatorFields(name="项目", comparator="≥", target=1, schedule=[{"by": "2025-01-01", "share": 5}]),
            "schedule[0].by",
            "计划年度",
        ),
        (
            IndicatorFields(
                name="项目",
                comparator="≥",
                target=1,
                schedule=[{"by": "2024-09-30", "share": 50}, {"by": "2024-06-30", "share": 60}],
            ),
            "schedule[1]",
            "先后",
        ),
        (
            IndicatorFields(name="项目", comparator="≥", target=1, schedule=[{"by": "2024-06-30", "share": 120}]),
            "schedule[0].share",
            "0 到 100",
        ),
    ],
)
def test_bad_fields_are_refused_by_name(runtime, world, fields, field, says):
    with runtime.work() as work, pytest.raises(Invalid, match=says) as caught:
        add_indicator(work, world.supervisor, fields, key_task_id=world.key_task.id)
    assert caught.value.field == field
    assert indicators_of(runtime) == []


def test_units_and_leaders_may_not_change_indicators(runtime, world):
    fields = IndicatorFields(name="项目", comparator="≥", target=1)
    for actor in (world.lead_head, world.leader):
        with runtime.work() as work, pytest.raises(Forbidden):
            add_indicator(work, actor, fields, key_task_id=world.key_task.id)
    with runtime.work() as work, pytest.raises(NotFound):
        add_indicator(work, world.supervisor, fields, key_task_id=999_999)
    with runtime.work(write=False) as work:
        assert work.session.scalar(select(Plan.id)) is not None
