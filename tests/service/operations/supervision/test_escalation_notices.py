"""The ladder's notices: one digest per person after a gap, and a ladder that restarts after an
extension (the light and the mark on the step never disagree). Time moves by moving the clock."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Escalation
from service.operations.common.lights import light_of
from service.operations.cycles.start import start_cycle
from service.operations.supervision.extensions import decide_extension, request_extension
from tests.helpers import local, notified, open_tasks, task_row


def test_a_pass_after_a_long_gap_sends_each_person_one_digest(runtime, world, make, act, tick):
    lead = world.lead_unit
    small = make.unit("区统计局二")
    make.user("unit_head", small, username="small_head")
    # The world's key task and seven more, led by the same unit (none left for the round to open).
    tasks = [world.key_task] + [make.key_task([lead], [], number=10 + n, title=f"任务{n}") for n in range(7)]
    tasks += [make.key_task([small], [], number=30 + n, title=f"小任务{n}") for n in range(2)]
    sign_for = []
    for key_task in tasks:
        with runtime.work(now=local(2024, 4, 1, 9)) as work:
            cycle_id = start_cycle(work, world.supervisor, key_task.id, "2024-Q2").id
        act(world.supervisor, open_tasks(runtime, cycle_id, "dispatch")[0].id, local(2024, 4, 1, 10))
        sign_for.append(open_tasks(runtime, cycle_id, "sign_for")[0])
    before = {name: len(notified(runtime, name)) for name in ("lead_head", "duchashi", "lingdao", "small_head")}

    # The scheduler was down for a month: one pass reaches 催办 and 督办 of all ten steps at once.
    report = tick(local(2024, 5, 6, 9, 30))
    assert sorted(e.level for e in report.escalations) == [2] * 10 + [3] * 10
    (digest,) = notified(runtime, "lead_head")[before["lead_head"] :]
    assert digest.kind == "digest" and digest.title == "您有 8 项催办、8 项督办"
    assert digest.body.count("→ /human-tasks/") == 16
    assert "催办:重点任务1「推行产业链长制」2024年第二季度:签收(区发展改革和经济信息化局)" in digest.body
    assert f"/human-tasks/{sign_for[0].id}" in digest.body
    (office,) = notified(runtime, "duchashi")[before["duchashi"] :]
    assert office.title == "您有 10 项催办、10 项督办"
    (leader,) = notified(runtime, "lingdao")[before["lingdao"] :]
    assert leader.title == "您有 10 项督办"
    # Four rungs are not "more than a few" (digest_above = 5): the small unit's head gets each.
    small = notified(runtime, "small_head")[before["small_head"] :]
    assert sorted(n.kind for n in small) == ["cuiban", "cuiban", "duban", "duban"]
    assert all(n.title.startswith("重点任务3") and n.human_task_id for n in small)
    # Every rung is notified once: the next pass writes nothing.
    tick(local(2024, 5, 6, 10, 30))
    assert len(notified(runtime, "duchashi")) == before["duchashi"] + 1
    with runtime.work(write=False) as work:
        assert None not in set(work.session.scalars(select(Escalation.notified_at)))


def test_an_extension_restarts_the_ladder_and_the_mark_follows_the_light(runtime, world, consolidating, tick):
    """Consolidation due Monday 15 April; the lead unit asks on the 12th for 30 April (beyond five
    working days: the leader decides, after the supervisor). The 催办 of the old deadline comes on
    the 16th; the leader grants that morning: the step is green and unmarked again, a reminder comes
    before the new deadline, and the missed extended deadline gets its own 催办 on 6 May (after May
    Day)."""
    step = consolidating.id
    with runtime.work(now=local(2024, 4, 12, 10)) as work:
        asked = request_extension(work, world.lead_head, step, new_due_date="2024-04-30", reason="等统计年报")
    with runtime.work(now=local(2024, 4, 12, 11)) as work:
        decide_extension(work, world.supervisor, asked.id, decision="grant")

    def seen(at):
        row = task_row(runtime, step)
        return light_of(at, row.due_at, row.yellow_at), row.escalation_level

    tick(local(2024, 4, 16, 9, 30))
    assert seen(local(2024, 4, 16, 9, 30)) == ("red", 2)
    with runtime.work(now=local(2024, 4, 16, 10)) as work:
        decide_extension(work, world.leader, asked.id, decision="grant")
    assert seen(local(2024, 4, 16, 10)) == ("green", 0)
    tick(local(2024, 4, 16, 10, 30))
    assert seen(local(2024, 4, 16, 10, 30)) == ("green", 0)  # the old deadline's rungs do not come back

    tick(local(2024, 4, 29, 9, 30))
    assert seen(local(2024, 4, 29, 9, 30))[1] == 1  # 提醒 the working day before the new deadline
    tick(local(2024, 5, 6, 9, 30))
    assert seen(local(2024, 5, 6, 9, 30)) == ("red", 2)
    with runtime.work(write=False) as work:
        rungs = work.session.execute(
            select(Escalation.level, Escalation.due_at).where(Escalation.human_task_id == step).order_by(Escalation.id)
        ).all()
    tz = runtime.config.tz
    assert [(level, due.astimezone(tz).date().isoformat()) for level, due in rungs] == [
        (2, "2024-04-15"),
        (1, "2024-04-30"),
        (2, "2024-04-30"),
    ]
    cuiban = notified(runtime, "lead_head", "cuiban")
    assert len(cuiban) == 2 and "已于 2024-04-30 到期" in cuiban[-1].body
    (granted,) = notified(runtime, "lead_head", "extension_granted")
    assert "重新计算" in granted.body
