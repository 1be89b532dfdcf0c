"""Cycles through the operations, on a real database."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Cycle, CycleStatus, HumanTask, HumanTaskState
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.operations.common.audit import verify_chain
from service.operations.cycles.timers import advance_timers, due_timer_cycles
from service.runtime import build_runtime

TZ = ZoneInfo("Asia/Shanghai")


def audit_actions(runtime, cycle_id):
    with runtime.work(write=False) as work:
        return list(
            work.session.scalars(
                select(AuditEvent.action).where(AuditEvent.cycle_id == cycle_id).order_by(AuditEvent.seq)
            )
        )


def cycle_row(runtime, cycle_id):
    with runtime.work(write=False) as work:
        return work.session.get(Cycle, cycle_id)


def test_a_full_cycle_with_a_return_and_a_reject(runtime, world, start, act, open_steps):
    cycle_id = start()
    (dispatch,) = open_steps(cycle_id)
    assert (dispatch.step_id, dispatch.role, dispatch.unit_id) == ("dispatch", "supervisor", None)
    act(world.supervisor, dispatch.id)
    (sign_for,) = open_steps(cycle_id)
    assert (sign_for.step_id, sign_for.unit_id) == ("sign_for", world.lead_unit.id)
    act(world.lead_head, sign_for.id)
    inputs = open_steps(cycle_id, "co_input")
    assert sorted(t.unit_id for t in inputs) == sorted(u.id for u in world.co_units)
    by_unit = {t.unit_id: t for t in inputs}
    for head in world.co_heads:
        act(head, by_unit[head.unit_id].id, data={"text": "同意"})
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "一稿"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="补充数据")
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "二稿"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="pass")
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="reject", comment="再核实")
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="pass")
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="approve")

    cycle = cycle_row(runtime, cycle_id)
    assert cycle.status == CycleStatus.CLOSED
    assert cycle.closed_at is not None and cycle.timer_due_at is None
    assert open_steps(cycle_id) == []
    actions = audit_actions(runtime, cycle_id)
    assert actions[0] == "cycle.started" and actions[-1] == "cycle.closed"
    assert actions.count("step.completed") == 2 + 3 + 7
    with runtime.work(write=False) as work:
        done = work.session.scalars(
            select(HumanTask)
            .where(HumanTask.cycle_id == cycle_id, HumanTask.step_id == "consolidate")
            .order_by(HumanTask.id)
        ).all()
        assert [t.data["report"] for t in done] == ["一稿", "二稿"]
        returned = work.session.scalar(
            select(HumanTask).where(HumanTask.cycle_id == cycle_id, HumanTask.decision == "return")
        )
        assert returned.comment == "补充数据" and returned.completed_by_id == world.supervisor.user_id
        assert verify_chain(work.session).ok


def test_only_the_assigned_unit_or_role_may_act(world, start, act, open_steps, make):
    cycle_id = start()
    dispatch = open_steps(cycle_id)[0]
    for onlooker in (world.leader, world.admin):
        with pytest.raises(Forbidden):
            act(onlooker, dispatch.id)
    # A unit does not even see the supervisor's step: it answers as a missing one would.
    for outsider in (world.lead_head, world.co_heads[0]):
        with pytest.raises(NotFound, match="不存在或无权查看"):
            act(outsider, dispatch.id)
    act(world.supervisor, dispatch.id)
    sign_for = open_steps(cycle_id)[0]
    with pytest.raises(Forbidden, match="单位负责人"):
        act(world.lead_staff, sign_for.id)  # config: sign_for needs the unit head
    with pytest.raises(NotFound):  # the lead unit's step: a co-unit does not see it
        act(world.co_heads[0], sign_for.id)
    with pytest.raises(Forbidden):
        act(world.supervisor, sign_for.id)
    act(world.lead_head, sign_for.id)
    mine, other = open_steps(cycle_id, "co_input")[:2]
    owner = next(h for h in world.co_heads if h.unit_id == mine.unit_id)
    with pytest.raises(NotFound, match="不存在或无权查看"):
        act(owner, other.id)
    staff = make.user("unit_staff", next(u for u in world.co_units if u.id == mine.unit_id))
    act(staff, mine.id, data={"text": "经办人也可以提交配合意见"})


def test_a_step_done_twice_is_a_conflict_and_changes_nothing(runtime, world, start, act, open_steps):
    cycle_id = start()
    dispatch = open_steps(cycle_id)[0]
    act(world.supervisor, dispatch.id)
    before = cycle_row(runtime, cycle_id)
    events = audit_actions(runtime, cycle_id)
    with pytest.raises(Conflict, match="已经办理过"):
        act(world.supervisor, dispatch.id)
    after = cycle_row(runtime, cycle_id)
    assert (after.version, after.timer_due_at) == (before.version, before.timer_due_at)
    assert audit_actions(runtime, cycle_id) == events


def test_bad_input_is_refused_with_the_field_and_nothing_is_written(runtime, world, act, open_steps, to_consolidate):
    cycle_id = to_consolidate()
    consolidate = open_steps(cycle_id, "consolidate")[0]
    version = cycle_row(runtime, cycle_id).version
    with pytest.raises(Invalid) as caught:
        act(world.lead_head, consolidate.id, data={"report": ""})
    assert caught.value.field == "data.report"
    act(world.lead_head, consolidate.id, data={"report": "报告"})
    review = open_steps(cycle_id, "review")[0]
    with pytest.raises(Invalid) as caught:
        act(world.supervisor, review.id, decision="return")
    assert caught.value.field == "comment"
    with pytest.raises(Invalid) as caught:
        act(world.supervisor, review.id, decision="approve")
    assert caught.value.field == "decision"
    assert cycle_row(runtime, cycle_id).version == version + 1  # only the consolidation changed it
    assert open_steps(cycle_id, "review")[0].id == review.id


def test_unknown_step(world, act):
    with pytest.raises(NotFound):
        act(world.supervisor, 999_999)


def test_starting_cycles(runtime, world, start, make):
    cycle_id = start("2024-Q2")
    with pytest.raises(Conflict, match="已有办理周期"):
        start("2024-Q2")
    assert start("2024-Q3") != cycle_id
    for bad in ("Q2", "2024-Q5", "2024-13", ""):
        with pytest.raises(Invalid) as caught:
            start(bad)
        assert caught.value.field == "round"
    with pytest.raises(Forbidden):
        start("2024-Q4", actor=world.lead_head)
    with pytest.raises(Forbidden):
        start("2024-Q4", actor=world.leader)
    headless = make.key_task([], [world.co_units[0]])
    with pytest.raises(Invalid, match="没有启用的牵头单位"):
        start("2024-Q2", key_task=headless)
    with pytest.raises(NotFound):
        from service.operations.cycles.start import start_cycle

        with runtime.work() as work:
            start_cycle(work, world.supervisor, 424242, "2024-Q2")


def test_several_lead_units_the_first_one_acts(world, start, act, open_steps, make):
    second = make.unit("区市场监督管理局")
    second_head = make.user("unit_head", second)
    key_task = make.key_task([world.lead_unit, second], world.co_units[:1])
    cycle_id = start(key_task=key_task)
    act(world.supervisor, open_steps(cycle_id)[0].id)
    sign_for = open_steps(cycle_id)[0]
    assert sign_for.unit_id == world.lead_unit.id
    with pytest.raises(NotFound):  # the primary lead's step, not the second lead's
        act(second_head, sign_for.id)
    act(world.lead_head, sign_for.id)
    # The other lead unit gives no co-unit input: only the listed co-unit does.
    assert [t.unit_id for t in open_steps(cycle_id, "co_input")] == [world.co_units[0].id]


def test_no_co_units_skips_the_parallel_step(world, start, act, open_steps, make):
    key_task = make.key_task([world.lead_unit], [])
    cycle_id = start(key_task=key_task)
    act(world.supervisor, open_steps(cycle_id)[0].id)
    act(world.lead_head, open_steps(cycle_id)[0].id)
    assert [t.step_id for t in open_steps(cycle_id)] == ["consolidate"]


def test_thirty_co_units_submitting_at_once_all_succeed(runtime, make, world, start, act, open_steps):
    units = [make.unit(f"区第{i}局") for i in range(30)]
    heads = {u.id: make.user("unit_head", u) for u in units}
    key_task = make.key_task([world.lead_unit], units)
    cycle_id = start(key_task=key_task)
    act(world.supervisor, open_steps(cycle_id)[0].id)
    act(world.lead_head, open_steps(cycle_id)[0].id)
    tasks = open_steps(cycle_id, "co_input")
    assert len(tasks) == 30
    barrier = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def submit(task):
        barrier.wait()
        try:
            act(heads[task.unit_id], task.id, data={"text": f"{task.unit_id} 同意"})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [t.step_id for t in open_steps(cycle_id)] == ["consolidate"]
    assert audit_actions(runtime, cycle_id).count("step.completed") == 32


def test_two_people_completing_the_same_step_one_wins(runtime, world, start, act, open_steps, make):
    second_supervisor = make.user("supervisor")
    for round_number in range(10):
        cycle_id = start(f"2024-M{round_number + 1:02d}")
        dispatch = open_steps(cycle_id)[0]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(actor, task_id=dispatch.id, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                act(actor, task_id)
                outcomes.append("ok")
            except Conflict as exc:
                # The loser waited for the lock and then read the step as the winner left it.
                outcomes.append("conflict" if "已经办理过" in exc.detail else exc.detail)

        threads = [threading.Thread(target=attempt, args=(a,)) for a in (world.supervisor, second_supervisor)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "ok"]
        assert audit_actions(runtime, cycle_id).count("step.completed") == 1


def test_a_new_process_continues_where_the_old_one_stopped(config, clock, world, open_steps, to_consolidate):
    cycle_id = to_consolidate()
    other = build_runtime(config, clock)  # a fresh engine: no cached diagrams, no live cycles
    try:
        from service.operations.cycles.complete import complete_human_task

        task_id = open_steps(cycle_id, "consolidate")[0].id
        with other.work() as work:
            complete_human_task(work, world.lead_head, task_id, data={"report": "新进程提交"})
        with other.work(write=False) as work:
            review = work.session.scalars(
                select(HumanTask).where(HumanTask.cycle_id == cycle_id, HumanTask.state == HumanTaskState.OPEN)
            ).one()
        assert review.step_id == "review"
    finally:
        other.dispose()


def test_deadlines_count_working_days_around_a_holiday(runtime, world, start, act, open_steps, clock):
    # Ready Monday 1 April 2024: Qingming is 4-6 April; Sunday 7 April is a make-up workday.
    cycle_id = start()
    dispatch = open_steps(cycle_id)[0]
    assert dispatch.due_at == datetime(2024, 4, 2, 23, 59, 59, tzinfo=TZ)  # 1 working day (diagram)
    assert dispatch.due_basis == "official"
    act(world.supervisor, dispatch.id)
    sign_for = open_steps(cycle_id)[0]
    assert sign_for.due_at == datetime(2024, 4, 3, 23, 59, 59, tzinfo=TZ)  # 2 working days (config)
    act(world.lead_head, sign_for.id)
    co_input = open_steps(cycle_id, "co_input")[0]
    # 5 working days: 2 Apr, 3 Apr, (4-6 holiday), 7 Apr (make-up Sunday), 8 Apr, 9 Apr.
    assert co_input.due_at == datetime(2024, 4, 9, 23, 59, 59, tzinfo=TZ)
    # Yellow for the last 3 working days: 7, 8 and 9 April.
    assert co_input.yellow_at == datetime(2024, 4, 7, 0, 0, tzinfo=TZ)


def test_diagram_timers_are_advanced_by_the_indexed_column(runtime, world, start, act, open_steps, clock):
    cycle_id = start()
    due = open_steps(cycle_id)[0].due_at
    assert cycle_row(runtime, cycle_id).timer_due_at == due
    with runtime.work(write=False, now=due - timedelta(minutes=1)) as work:
        assert due_timer_cycles(work) == []
    late = due + timedelta(minutes=1)
    with runtime.work(write=False, now=late) as work:
        assert due_timer_cycles(work) == [cycle_id]
    with runtime.work(now=late) as work:
        fired = advance_timers(work, cycle_id)
    assert [f.step_id for f in fired] == ["dispatch"]
    assert cycle_row(runtime, cycle_id).timer_due_at is None  # nothing else waits
    assert audit_actions(runtime, cycle_id)[-1] == "step.overdue"
    with runtime.work(now=late) as work:
        assert advance_timers(work, cycle_id) == ()  # a second run changes nothing
    assert audit_actions(runtime, cycle_id).count("step.overdue") == 1
    assert open_steps(cycle_id)[0].step_id == "dispatch", "a deadline does not take the step away"


def test_audit_chain_detects_edits_and_deletions(runtime, world, start, act, open_steps):
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id)[0].id)
    act(world.lead_head, open_steps(cycle_id)[0].id)
    with runtime.work() as work:
        assert verify_chain(work.session).ok
        event = work.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "step.completed").order_by(AuditEvent.seq)
        ).first()
        event.data = {**event.data, "comment": "篡改"}
        edited = event.seq
    with runtime.work(write=False) as work:
        report = verify_chain(work.session)
    assert (report.ok, report.broken_at) == (False, edited)
    with runtime.work() as work:
        total = work.session.scalar(select(func.count()).select_from(AuditEvent))
        work.session.delete(work.session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one())
    with runtime.work(write=False) as work:
        report = verify_chain(work.session)
    assert report.broken_at == 2 and total == 3


def test_a_cycle_can_be_sent_back_only_so_often(runtime, world, start, act, open_steps, make):
    key_task = make.key_task([world.lead_unit], [])
    cycle_id = start(key_task=key_task)
    act(world.supervisor, open_steps(cycle_id)[0].id)
    act(world.lead_head, open_steps(cycle_id)[0].id)
    limit = runtime.config.engine.max_returns
    # One reject and its return count as two...
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "初稿"})
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="pass")
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="reject", comment="驳回")
    act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="退回")
    # ...then returns up to the limit.
    for n in range(limit - 2):
        act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": f"第{n}稿"})
        act(world.supervisor, open_steps(cycle_id, "review")[0].id, decision="return", comment="退回")
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "终稿"})
    review = open_steps(cycle_id, "review")[0]
    with pytest.raises(Conflict, match="上限") as caught:
        act(world.supervisor, review.id, decision="return", comment="再退一次")
    assert caught.value.field == "decision"
    act(world.supervisor, review.id, decision="pass")  # going forward is always possible
    act(world.leader, open_steps(cycle_id, "approve")[0].id, decision="approve")
    assert cycle_row(runtime, cycle_id).status == CycleStatus.CLOSED
