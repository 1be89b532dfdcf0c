"""A whole quarter (2024-Q2) on a moving clock: the round opens, and reminders, 催办 and 督办 fall on
the right working days around Qingming (4-6 April off, Sunday 7 April a workday) and May Day
(1-5 May off, Sunday 28 April and Saturday 11 May workdays); an extension moves everything; a
finished step stops escalating; the next round opens on 1 July."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from db.models import Cycle, CycleStatus, Escalation, Notification
from service.operations.common.lights import cycle_lights, key_task_lights, light_of
from service.operations.supervision.extensions import decide_extension, request_extension
from tests.helpers import TZ, actions, count, local, notified, open_tasks, rungs_of, task_row

END = (23, 59, 59)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, *END, tzinfo=TZ)


def cycles(runtime):
    with runtime.work(write=False) as work:
        return list(work.session.scalars(select(Cycle).order_by(Cycle.id)))


def levels(runtime, task_id):
    return [level for level, _ in rungs_of(runtime, task_id)]


def test_a_quarter_of_deadlines_and_escalations(runtime, world, tick, act):
    d = world

    # -- the round opens on the first working day of the quarter, at 08:30, once -----------------
    assert tick(local(2024, 4, 1, 8, 0)).cycles_started == []
    opened = tick(local(2024, 4, 1, 8, 30))
    assert opened.round == "2024-Q2" and len(opened.cycles_started) == 1
    assert tick(local(2024, 4, 1, 8, 31)).cycles_started == []
    (cycle,) = cycles(runtime)
    assert (cycle.key_task_id, cycle.round) == (d.key_task.id, "2024-Q2")
    # 20 July 2024 is a Saturday: the report is due on Monday 22 July.
    assert cycle.report_due_at == end_of(2024, 7, 22)
    assert [n.kind for n in notified(runtime, "duchashi")] == ["round_opened"]

    # -- dispatch: 1 working day; the reminder is due at 09:00 on the working day before ------------
    (dispatch,) = open_tasks(runtime, step="dispatch")
    assert dispatch.due_at == end_of(2024, 4, 2)
    assert levels(runtime, dispatch.id) == []
    tick(local(2024, 4, 1, 9, 0))
    assert rungs_of(runtime, dispatch.id) == [(1, local(2024, 4, 1, 9, 0))]
    act(d.supervisor, dispatch.id, local(2024, 4, 1, 10))

    # -- sign for: due Wednesday 3 April; 催办 on the make-up Sunday 7 April ----------------------
    (sign_for,) = open_tasks(runtime, step="sign_for")
    assert sign_for.due_at == end_of(2024, 4, 3)
    tick(local(2024, 4, 2, 8, 59))
    assert levels(runtime, sign_for.id) == []
    tick(local(2024, 4, 2, 9, 0))
    assert levels(runtime, sign_for.id) == [1]
    for day in (4, 5, 6):  # overdue, but 4-6 April are the Qingming holiday
        tick(local(2024, 4, day, 15))
    tick(local(2024, 4, 7, 8, 59))
    assert levels(runtime, sign_for.id) == [1]
    tick(local(2024, 4, 7, 9, 0))
    assert rungs_of(runtime, sign_for.id)[1] == (2, local(2024, 4, 7, 9, 0))
    assert task_row(runtime, sign_for.id).escalation_level == 2
    # 催办 goes to the unit head, copied to the supervisor; staff are not told.
    assert [n.kind for n in notified(runtime, "lead_head", "cuiban")] == ["cuiban"]
    assert len(notified(runtime, "duchashi", "cuiban")) == 1
    assert notified(runtime, "lead_staff", "cuiban") == []
    # 督办 five working days after 催办: 8, 9, 10, 11, 12 April.
    tick(local(2024, 4, 11, 17))
    tick(local(2024, 4, 12, 8, 59))
    assert levels(runtime, sign_for.id) == [1, 2]
    tick(local(2024, 4, 12, 9, 0))
    assert levels(runtime, sign_for.id) == [1, 2, 3]
    assert [n.kind for n in notified(runtime, "lingdao")] == ["duban"]
    with runtime.work(write=False) as work:
        duban = work.session.scalar(select(Notification).where(Notification.kind == "duban").limit(1))
        assert "逾期已达 6 个工作日" in duban.body and "重点任务" in duban.body
    assert light_of(local(2024, 4, 12, 9), sign_for.due_at, sign_for.yellow_at) == "red"
    with runtime.work(write=False, now=local(2024, 4, 12, 9)) as work:
        assert cycle_lights(work.session, work.now, [cycle.id]) == {cycle.id: "red"}
        assert key_task_lights(work.session, work.now, [d.key_task.id]) == {d.key_task.id: "red"}
    act(d.lead_head, sign_for.id, local(2024, 4, 12, 10))

    # -- co-unit input: due Friday 19 April; one unit finishes early and is never reminded -------
    early, *late = open_tasks(runtime, step="co_input")
    assert len(late) == 2
    assert {task.due_at for task in (early, *late)} == {end_of(2024, 4, 19)}
    head_of = {head.unit_id: head for head in d.co_heads}
    act(head_of[early.unit_id], early.id, local(2024, 4, 15, 10), data={"text": "已按要求推进"})
    tick(local(2024, 4, 18, 9, 0))
    assert levels(runtime, early.id) == [] and [levels(runtime, task.id) for task in late] == [[1], [1]]
    for task in late:
        act(head_of[task.unit_id], task.id, local(2024, 4, 18, 10), data={"text": "正在推进"})

    # -- consolidate: due Thursday 25 April; an extension to 7 May moves everything ---------------
    (consolidate,) = open_tasks(runtime, step="consolidate")
    assert consolidate.due_at == end_of(2024, 4, 25)
    assert consolidate.yellow_at == local(2024, 4, 23, 0, 0)
    with runtime.work(now=local(2024, 4, 23, 10)) as work:
        extension = request_extension(
            work, d.lead_head, consolidate.id, new_due_date="2024-05-07", reason="部分数据需待统计局四月底发布"
        )
    # 26 April, Sunday 28 April (make-up), 29, 30 April and 6, 7 May: six working days, beyond five.
    assert (extension.working_days, extension.needs_leader, extension.stage) == (6, True, "supervisor")
    with runtime.work(now=local(2024, 4, 24, 8, 0)) as work:
        forwarded = decide_extension(work, d.supervisor, extension.id, decision="grant", comment="同意")
    assert (forwarded.status, forwarded.stage) == ("pending", "leader")
    assert task_row(runtime, consolidate.id).due_at == end_of(2024, 4, 25), "not moved before the leader grants"
    with runtime.work(now=local(2024, 4, 24, 8, 30)) as work:
        granted = decide_extension(work, d.leader, extension.id, decision="grant")
    assert granted.status == "granted"
    moved = task_row(runtime, consolidate.id)
    assert moved.due_at == end_of(2024, 5, 7)
    # Yellow from the third working day back: 7 May, 6 May, (1-5 May off), 30 April.
    assert moved.yellow_at == local(2024, 4, 30, 0, 0)
    assert light_of(local(2024, 4, 24, 9), consolidate.due_at, consolidate.yellow_at) == "yellow"
    assert light_of(local(2024, 4, 24, 9), moved.due_at, moved.yellow_at) == "green"
    (running,) = [c for c in cycles(runtime) if c.status == CycleStatus.RUNNING]
    assert running.timer_due_at == end_of(2024, 5, 7), "the diagram's timer moved too"
    assert actions(runtime, "extension.") == ["extension.requested", "extension.forwarded", "extension.granted"]
    # The old reminder (24 April) and 催办 (26 April) do not come.
    tick(local(2024, 4, 24, 9, 0))
    tick(local(2024, 4, 26, 9, 0))
    tick(local(2024, 4, 28, 9, 0))
    assert levels(runtime, consolidate.id) == []
    tick(local(2024, 5, 6, 8, 59))
    assert levels(runtime, consolidate.id) == []
    tick(local(2024, 5, 6, 9, 0))  # the reminder: 09:00 on the working day before the new due day
    assert rungs_of(runtime, consolidate.id) == [(1, local(2024, 5, 6, 9, 0))]
    assert tick(local(2024, 5, 7, 10)).timers_fired == []  # the old timer (25 April) is gone
    early_morning = tick(local(2024, 5, 8, 8, 59))
    assert early_morning.timers_fired == [f"办理周期 #{running.id} consolidate 到期"]  # at the moved deadline
    assert levels(runtime, consolidate.id) == [1]
    assert [e.level for e in tick(local(2024, 5, 8, 9, 0)).escalations] == [2]
    # 督办 on the fifth working day after 8 May: 9, 10, Saturday 11 (make-up), 13, 14 May.
    tick(local(2024, 5, 13, 9, 0))
    assert levels(runtime, consolidate.id) == [1, 2]
    tick(local(2024, 5, 14, 9, 0))
    assert rungs_of(runtime, consolidate.id)[2] == (3, local(2024, 5, 14, 9, 0))
    act(d.lead_head, consolidate.id, local(2024, 5, 14, 10), data={"report": "二季度进展报告"})

    # -- review and approval on time close the cycle; nothing escalates afterwards -----------------
    (review,) = open_tasks(runtime, step="review")
    act(d.supervisor, review.id, local(2024, 5, 15, 10), decision="pass")
    (approve,) = open_tasks(runtime, step="approve")
    act(d.leader, approve.id, local(2024, 5, 16, 10), decision="approve")
    assert cycles(runtime)[0].status == CycleStatus.CLOSED
    with runtime.work(write=False, now=local(2024, 5, 16, 11)) as work:
        assert cycle_lights(work.session, work.now, [cycle.id]) == {cycle.id: None}

    before = count(runtime, Escalation)
    day = local(2024, 5, 16, 9, 0)
    while day < local(2024, 7, 1, 0, 0):
        tick(day)
        day += timedelta(days=1)
    assert count(runtime, Escalation) == before == 1 + 3 + 2 + 3

    # -- the next round opens on Monday 1 July -------------------------------------------------
    assert tick(local(2024, 7, 1, 8, 30)).round == "2024-Q3"
    assert [c.round for c in cycles(runtime)] == ["2024-Q2", "2024-Q3"]
    assert cycles(runtime)[1].report_due_at == end_of(2024, 10, 21)  # 20 October 2024 is a Sunday
    # Every rung reached has its audit event, once.
    assert len(actions(runtime, "step.reminder")) == 5
    assert len(actions(runtime, "step.cuiban")) == 2
    assert len(actions(runtime, "step.duban")) == 2
