"""进展报送 on the 汇总报送 and co-unit inputs: values kept as rows, checked in the indicator's measure,
corrected after a 退回 with the earlier value kept; the progress light moves with what is reported."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, HumanTask, IndicatorValue, ProgressReport
from service.errors import Invalid
from service.operations.cycles.complete import complete_human_task
from service.operations.queries.progress import key_task_indicators

from .conftest import open_step


def view(runtime, world, round_name=None):
    with runtime.work(write=False) as work:
        return key_task_indicators(work, world.supervisor, world.key_task.id, round_name=round_name)


def test_a_rounds_report_moves_the_progress_light(runtime, world, start, walk, report, indicator):
    projects = indicator("技改项目", 20, "个")
    q2 = start("2024-Q2")
    report(walk(q2), {"percent": 20, "values": {str(projects): 4}, "problems": "资金紧张", "next_steps": "加快审批"})
    at_q2 = view(runtime, world, "2024-Q2")
    (item,) = at_q2.indicators
    # Q2's reports are due on 22 July 2024 (the 20th is a Saturday): 序时 ≈ 55 %, 4 of 20 is 20 %.
    assert (item.value, item.completion, item.light) == (4.0, 20.0, "red")
    assert 54 < item.expected < 57
    assert (at_q2.progress.percent, at_q2.progress.light, at_q2.progress.problems) == (20.0, "red", "资金紧张")

    q3 = start("2024-Q3")
    report(walk(q3), {"percent": 75, "values": {str(projects): 15}})
    at_q3 = view(runtime, world, "2024-Q3")
    (item,) = at_q3.indicators
    assert (item.value, item.completion, item.light) == (15.0, 75.0, "green")  # 序时 ≈ 79 % on 21 October
    assert [(p.round, p.value) for p in item.points] == [("2024-Q2", 4.0), ("2024-Q3", 15.0)]
    # The earlier round still reads as it was.
    assert view(runtime, world, "2024-Q2").indicators[0].light == "red"


def test_a_staged_schedule_overrides_the_working_day_line(runtime, world, start, walk, report, indicator):
    staged = indicator(
        "招引项目", 100, "个", schedule=[{"by": "2024-06-30", "share": 10}, {"by": "2024-12-31", "share": 100}]
    )
    report(walk(start("2024-Q2")), {"values": {str(staged): 12}})
    (item,) = view(runtime, world, "2024-Q2").indicators
    assert (item.expected, item.completion, item.light) == (10.0, 12.0, "green")


def test_a_value_corrected_after_a_return_replaces_the_earlier_one(runtime, world, start, walk, report, indicator):
    projects = indicator("技改项目", 20, "个")
    cycle = start("2024-Q2")
    report(walk(cycle), {"percent": 30, "values": {str(projects): 4}})
    with runtime.work() as work:
        complete_human_task(
            work, world.supervisor, open_step(runtime, cycle, "review"), decision="return", comment="数字有误"
        )
    report(open_step(runtime, cycle, "consolidate"), {"percent": 60, "values": {str(projects): 12}})
    (item,) = view(runtime, world, "2024-Q2").indicators
    assert item.value == 12.0
    assert [r.value for r in item.points[0].replaced] == [4.0]
    with runtime.work(write=False) as work:
        reports = list(work.session.scalars(select(ProgressReport).order_by(ProgressReport.id)))
    assert [(r.percent, r.superseded_at is None) for r in reports] == [(30.0, False), (60.0, True)]
    assert reports[0].superseded_by_id == reports[1].id


def test_co_units_report_their_share_with_their_input(runtime, world, start, walk, report, indicator):
    projects = indicator("技改项目", 20, "个")
    shares = {
        world.co_units[0].id: {"values": {str(projects): 3}},
        world.co_units[2].id: {"values": {str(projects): 2}},
    }
    cycle = start("2024-Q2")
    consolidate = walk(cycle, shares=shares)
    (item,) = view(runtime, world, "2024-Q2").indicators
    assert sorted(item.shares) == [(world.co_units[0].name, 3.0), (world.co_units[2].name, 2.0)]
    assert item.value is None  # a share is not the lead unit's total
    report(consolidate, {"values": {str(projects): 5}})
    assert view(runtime, world, "2024-Q2").indicators[0].value == 5.0
    with runtime.work(write=False) as work:
        events = [e.data for e in work.session.scalars(select(AuditEvent)) if e.action == "step.completed"]
    assert {"part": "share", "values": {str(projects): 3.0}} in [e.get("progress") for e in events]


@pytest.mark.parametrize(
    ("progress", "field", "says"),
    [
        ({"values": {"{projects}": -1}}, "progress.values.{projects}", "不小于 0 的整数"),
        ({"values": {"{projects}": 2.5}}, "progress.values.{projects}", "整数"),
        ({"values": {"{projects}": "五个"}}, "progress.values.{projects}", "应为数字"),
        ({"values": {"{money}": -3}}, "progress.values.{money}", "不能为负数"),
        ({"values": {"999999": 1}}, "progress.values.999999", "不是本任务"),
        ({"percent": 120}, "progress.percent", "0 到 100"),
        ({"percent": 50, "mood": "好"}, "progress.mood", "没有字段"),
        ({"problems": 7}, "progress.problems", "应为文本"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(runtime, world, start, walk, indicator, progress, field, says):
    ids = {"projects": indicator("技改项目", 20, "个"), "money": indicator("总投资", 500, "亿元")}
    consolidate = walk(start("2024-Q2"))
    given = _fill(progress, ids)
    with runtime.work() as work, pytest.raises(Invalid, match=says) as caught:
        complete_human_task(work, world.lead_head, consolidate, data={"report": "报告"}, progress=given)
    assert caught.value.field == field.format(**ids)
    with runtime.work(write=False) as work:
        assert work.session.get(HumanTask, consolidate).state == "open"
        assert work.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0


def test_a_step_without_a_progress_report_refuses_one(runtime, world, start, walk):
    sign_for = walk(start("2024-Q2"), to="sign_for")
    with runtime.work() as work, pytest.raises(Invalid, match="不报送进展") as caught:
        complete_human_task(work, world.lead_head, sign_for, progress={"percent": 10})
    assert caught.value.field == "progress"


def _fill(progress, ids):
    def fill(value):
        if isinstance(value, dict):
            return {k.format(**ids): fill(v) for k, v in value.items()}
        return value

    return fill(progress)


def test_the_diagram_declares_which_steps_carry_a_progress_report(runtime):
    from service.operations.cycles.diagrams import current_diagram, diagram_for_version

    with runtime.work() as work:
        version_id, _digest = current_diagram(work)
        diagram = diagram_for_version(work, version_id)
    assert {s.step_id: s.progress for s in diagram.steps if s.progress} == {"consolidate": "total", "co_input": "share"}
