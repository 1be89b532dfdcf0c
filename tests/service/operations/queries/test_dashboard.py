"""统计 and 打擂台: figures computed by the database, checked against cycles played for real."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.models import KeyTask, Plan
from service.errors import Forbidden
from service.operations.queries.dashboard import dashboard, league

TZ = ZoneInfo("Asia/Shanghai")


def plan_of(runtime, world):
    with runtime.work(write=False) as work:
        return work.session.get(Plan, work.session.get(KeyTask, world.key_task.id).plan_id)


def test_unit_heads_read_statistics_and_unit_staff_do_not(runtime, clock, world, start, act, open_steps):
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    clock.advance(timedelta(days=10))  # every co-unit's input is overdue
    with runtime.work(write=False) as work:
        board = dashboard(work, world.co_heads[0])
        assert [(o.unit, o.openable) for o in board.overdue] == [("区发展改革和经济信息化局", False)]
        assert league(work, world.co_heads[0]).standings
        assert all(o.openable for o in dashboard(work, world.supervisor).overdue)
    with runtime.work(write=False) as work, pytest.raises(Forbidden):
        dashboard(work, world.lead_staff)


def test_progress_by_section_and_key_task_and_the_overdue_list(runtime, clock, world, make, start, act, open_steps):
    plan = plan_of(runtime, world)
    idle = make.key_task([world.co_units[0]], [], plan=plan, number=50, title="尚未启动的任务")
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    act(world.co_heads[0], open_steps(cycle_id, "co_input")[0].id, data={"text": "好"})
    clock.advance(timedelta(days=20))
    with runtime.work(write=False) as work:
        board = dashboard(work, world.supervisor, plan_id=plan.id)
    by_number = {k.number: k for k in board.key_tasks}
    running = by_number[world.key_task.number]
    assert running.status == "running" and running.light == "red"
    assert running.stage == "配合单位意见(1/3)"
    assert 0 < running.percent < 100
    assert by_number[idle.number].status == "none" and by_number[idle.number].percent == 0
    (section,) = board.sections
    assert (section.key_tasks, section.running, section.not_started, section.red) == (2, 1, 1, 1)
    assert board.lights == {"red": 2, "yellow": 0, "green": 0}
    assert board.overdue_total == 2
    assert {o.unit for o in board.overdue} == {u.name for u in world.co_units[1:]}
    # Due on 9 April (five working days after 1 April, across the Qingming holiday and its
    # make-up Sunday); on Sunday 21 April that is eight working days late.
    assert [o.working_days_late for o in board.overdue] == [8, 8]
    assert all(o.due_at.astimezone(TZ).date() == date(2024, 4, 9) for o in board.overdue)


def test_the_league_ranks_units_by_on_time_rate_returns_and_escalations(runtime, clock, world, start, act, open_steps):
    plan = plan_of(runtime, world)
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    clock.advance(timedelta(days=1))
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    inputs = {t.unit_id: t for t in open_steps(cycle_id, "co_input")}
    # Two co-units answer in time; the third only after its deadline.
    act(world.co_heads[0], inputs[world.co_units[0].id].id, data={"text": "好"})
    act(world.co_heads[1], inputs[world.co_units[1].id].id, data={"text": "好"})
    clock.advance(timedelta(days=20))
    act(world.co_heads[2], inputs[world.co_units[2].id].id, data={"text": "迟到的意见"})
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "一稿"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="补充")

    with runtime.work(write=False) as work:
        table = league(work, world.leader, plan_id=plan.id)
    by_unit = {s.unit: s for s in table.standings}
    lead = by_unit[world.lead_unit.name]
    late = by_unit[world.co_units[2].name]
    assert late.on_time_rate == 0.0 and late.done == 1 and late.avg_days is not None and late.avg_days > 19
    assert by_unit[world.co_units[0].name].on_time_rate == 1.0
    assert lead.returns == 1 and lead.steps == 3 and lead.done == 2
    ranks = [s.unit for s in table.standings]
    assert ranks.index(world.co_units[0].name) < ranks.index(late.unit)
    assert ranks.index(world.lead_unit.name) < ranks.index(late.unit)
    assert table.standings[0].rank == 1


def test_a_whole_cycle_counts_as_closed(runtime, world, act, open_steps, to_consolidate):
    plan = plan_of(runtime, world)
    cycle_id = to_consolidate()
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "报告"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="pass")
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="approve")
    with runtime.work(write=False) as work:
        board = dashboard(work, world.admin, plan_id=plan.id)
    assert [(k.status, k.percent) for k in board.key_tasks] == [("closed", 100)]
    assert board.sections[0].closed == 1 and board.overdue == ()
