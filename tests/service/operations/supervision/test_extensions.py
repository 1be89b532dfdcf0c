"""Extensions (延期申请): who may ask and decide, what is refused and how, and races."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from db.models import AuditEvent, Extension, ExtensionStatus, HumanTask
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.operations.cycles.start import start_cycle
from service.operations.supervision.extensions import (
    decide_extension,
    get_extension,
    list_extensions,
    request_extension,
)
from tests.helpers import actions, count, local, notified, open_tasks, task_row


def ask(runtime, actor, task_id, at, new_due_date="2024-04-18", reason="需要补充统计数据"):
    with runtime.work(now=at) as work:
        return request_extension(work, actor, task_id, new_due_date=new_due_date, reason=reason)


def decide(runtime, actor, extension_id, at, decision="grant", comment=None):
    with runtime.work(now=at) as work:
        return decide_extension(work, actor, extension_id, decision=decision, comment=comment)


def test_a_short_extension_is_granted_by_the_supervisor_alone(runtime, world, consolidating):
    d = world
    asked = ask(runtime, d.lead_head, consolidating.id, local(2024, 4, 10))
    assert (asked.working_days, asked.needs_leader, asked.status, asked.stage) == (3, False, "pending", "supervisor")
    assert [n.kind for n in notified(runtime, "duchashi", "extension_requested")] == ["extension_requested"]
    with pytest.raises(Forbidden):
        decide(runtime, d.leader, asked.id, local(2024, 4, 11))  # not the leader's turn
    with pytest.raises(Forbidden):
        decide(runtime, d.lead_head, asked.id, local(2024, 4, 11))
    granted = decide(runtime, d.supervisor, asked.id, local(2024, 4, 11), comment="同意")
    assert (granted.status, granted.stage, granted.comment) == ("granted", None, "同意")
    moved = task_row(runtime, consolidating.id)
    assert moved.due_at.date().isoformat() == "2024-04-18" and moved.due_basis == "official"
    assert [n.kind for n in notified(runtime, "lead_staff", "extension_granted")] == ["extension_granted"]
    with pytest.raises(Conflict, match="已批准"):
        decide(runtime, d.supervisor, asked.id, local(2024, 4, 11, 10))
    # A second request for the same step is allowed once the first is decided.
    again = ask(runtime, d.lead_head, consolidating.id, local(2024, 4, 12), new_due_date="2024-04-19")
    assert again.working_days == 1


def test_a_refusal_needs_a_reason_and_changes_nothing(runtime, world, consolidating):
    d = world
    asked = ask(runtime, d.lead_head, consolidating.id, local(2024, 4, 10), new_due_date="2024-04-30")
    assert asked.needs_leader  # 16-19, 22-26, 28 (Sunday, make-up), 29, 30 April: 11 working days
    with pytest.raises(Invalid) as caught:
        decide(runtime, d.supervisor, asked.id, local(2024, 4, 11), decision="refuse")
    assert caught.value.field == "comment"
    refused = decide(runtime, d.supervisor, asked.id, local(2024, 4, 11), decision="refuse", comment="理由不充分")
    assert refused.status == "refused"
    assert task_row(runtime, consolidating.id).due_at == consolidating.due_at
    assert [n.title for n in notified(runtime, "lead_head", "extension_refused")] == [
        "重点任务1「推行产业链长制」2024年第二季度:汇总报送延期未批准"
    ]
    assert actions(runtime, "extension.") == ["extension.requested", "extension.refused"]


def test_the_leader_decides_beyond_the_configured_days(runtime, world, consolidating):
    d = world
    asked = ask(runtime, d.lead_head, consolidating.id, local(2024, 4, 10), new_due_date="2024-04-30")
    forwarded = decide(runtime, d.supervisor, asked.id, local(2024, 4, 11))
    assert (forwarded.status, forwarded.stage) == ("pending", "leader")
    assert [n.kind for n in notified(runtime, "lingdao", "extension_forwarded")] == ["extension_forwarded"]
    with pytest.raises(Forbidden):
        decide(runtime, d.supervisor, asked.id, local(2024, 4, 11, 10))
    refused = decide(runtime, d.leader, asked.id, local(2024, 4, 12), decision="refuse", comment="不同意延期")
    assert refused.status == "refused"
    assert task_row(runtime, consolidating.id).due_at == consolidating.due_at
    # Every event of the request names the step and the unit it concerns.
    with runtime.work(write=False) as work:
        events = work.session.execute(
            select(AuditEvent.action, AuditEvent.step_id, AuditEvent.unit_id)
            .where(AuditEvent.action.startswith("extension."))
            .order_by(AuditEvent.seq)
        ).all()
    assert [e.action for e in events] == ["extension.requested", "extension.forwarded", "extension.refused"]
    assert {(e.step_id, e.unit_id) for e in events} == {("consolidate", consolidating.unit_id)}


def test_who_may_ask(runtime, world, consolidating, make):
    d = world
    with pytest.raises(Forbidden, match="单位负责人"):
        ask(runtime, d.lead_staff, consolidating.id, local(2024, 4, 10))
    with pytest.raises(NotFound):  # the lead unit's step: a co-unit does not see it
        ask(runtime, d.co_heads[0], consolidating.id, local(2024, 4, 10))
    with pytest.raises(Forbidden):
        ask(runtime, d.supervisor, consolidating.id, local(2024, 4, 10))
    with pytest.raises(NotFound):
        ask(runtime, d.lead_head, 999_999, local(2024, 4, 10))
    assert count(runtime, Extension) == 0


def test_co_unit_and_supervisor_steps_cannot_be_extended(runtime, world, act):
    d = world
    with runtime.work(now=local(2024, 4, 1, 9)) as work:
        start_cycle(work, d.supervisor, d.key_task.id, "2024-Q2")
    (dispatch,) = open_tasks(runtime, step="dispatch")
    with pytest.raises(NotFound, match="无权查看"):  # the supervisor's step: not even visible to a unit
        ask(runtime, d.lead_head, dispatch.id, local(2024, 4, 1, 10))
    act(d.supervisor, dispatch.id, local(2024, 4, 1, 10))
    act(d.lead_head, open_tasks(runtime, step="sign_for")[0].id, local(2024, 4, 2, 10))
    co_input = next(t for t in open_tasks(runtime, step="co_input") if t.unit_id == d.co_units[0].id)
    with pytest.raises(Forbidden, match="牵头单位"):
        ask(runtime, d.co_heads[0], co_input.id, local(2024, 4, 3, 10))


def test_bad_requests_are_refused_with_the_field_and_write_nothing(runtime, world, consolidating):
    d = world
    cases = [
        ({"reason": "  "}, "reason", "延期理由"),
        ({"reason": "长" * 501}, "reason", "500"),
        ({"reason": None}, "reason", "延期理由"),
        ({"new_due_date": "下周五"}, "new_due_date", "格式如"),
        ({"new_due_date": 20240418}, "new_due_date", "格式如"),
        ({"new_due_date": "2024-04-15"}, "new_due_date", "应晚于"),
        ({"new_due_date": "2024-04-20"}, "new_due_date", "不是工作日"),  # a Saturday
        ({"new_due_date": "2024-05-03"}, "new_due_date", "不是工作日"),  # May Day holiday
        ({"new_due_date": "2024-07-01"}, "new_due_date", "不能超过 30 个工作日"),
    ]
    for change, field, words in cases:
        args = {"new_due_date": "2024-04-18", "reason": "需要补充统计数据", **change}
        with pytest.raises(Invalid) as caught:
            ask(runtime, d.lead_head, consolidating.id, local(2024, 4, 10), **args)
        assert caught.value.field == field and words in caught.value.detail, (change, caught.value.detail)
    assert count(runtime, Extension) == 0
    assert actions(runtime, "extension.") == []


def test_after_the_deadline_it_is_too_late(runtime, world, consolidating):
    with pytest.raises(Conflict) as caught:
        ask(runtime, world.lead_head, consolidating.id, local(2024, 4, 16, 9))
    assert "2024-04-15 到期" in caught.value.detail and "不能再申请延期" in caught.value.detail
    assert count(runtime, Extension) == 0


def test_one_pending_request_per_step(runtime, world, consolidating):
    first = ask(runtime, world.lead_head, consolidating.id, local(2024, 4, 10))
    with pytest.raises(Conflict, match=f"#{first.id}"):
        ask(runtime, world.lead_head, consolidating.id, local(2024, 4, 10, 10), new_due_date="2024-04-19")


def test_two_requests_at_once_one_wins(runtime, world, consolidating):
    results: list[object] = []
    barrier = threading.Barrier(2)

    def run(day):
        barrier.wait()
        try:
            results.append(ask(runtime, world.lead_head, consolidating.id, local(2024, 4, 10), new_due_date=day))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(day,)) for day in ("2024-04-18", "2024-04-19")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "ExtensionView"]
    assert count(runtime, Extension) == 1
    assert count(runtime, AuditEvent, AuditEvent.action == "extension.requested") == 1


def test_two_supervisors_deciding_at_once_one_wins(runtime, world, consolidating, make):
    from db.models import Role

    other = make.user(Role.SUPERVISOR, username="duchashi2")
    asked = ask(runtime, world.lead_head, consolidating.id, local(2024, 4, 10))
    results: list[object] = []
    barrier = threading.Barrier(2)

    def run(actor, decision, comment):
        barrier.wait()
        try:
            results.append(decide(runtime, actor, asked.id, local(2024, 4, 11), decision=decision, comment=comment))
        except Conflict as exc:
            results.append(exc)

    threads = [
        threading.Thread(target=run, args=(world.supervisor, "grant", None)),
        threading.Thread(target=run, args=(other, "refuse", "不同意")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "ExtensionView"]
    (winner,) = [r for r in results if not isinstance(r, Conflict)]
    moved = task_row(runtime, consolidating.id).due_at != consolidating.due_at
    assert moved == (winner.status == "granted")
    assert len(actions(runtime, "extension.granted") + actions(runtime, "extension.refused")) == 1


def test_a_step_done_meanwhile_is_not_extended(runtime, world, consolidating, act):
    """Its request ends with it (已失效, issue 11): no longer pending, and nobody can decide it."""
    asked = ask(runtime, world.lead_head, consolidating.id, local(2024, 4, 10))
    act(world.lead_head, consolidating.id, local(2024, 4, 11), data={"report": "报告"})
    with runtime.work(write=False) as work:
        assert work.session.get(Extension, asked.id).status == ExtensionStatus.EXPIRED
    for decision, comment in (("grant", None), ("refuse", "已办结")):
        with pytest.raises(Conflict, match="已失效,不能再次审批"):
            decide(runtime, world.supervisor, asked.id, local(2024, 4, 11, 10), decision, comment)
    with runtime.work(write=False) as work:
        assert work.session.get(HumanTask, consolidating.id).due_at == consolidating.due_at


def test_who_sees_which_requests(runtime, world, consolidating, make):
    d = world
    asked = ask(runtime, d.lead_head, consolidating.id, local(2024, 4, 10))
    with runtime.work(write=False) as work:
        assert [e.id for e in list_extensions(work, d.lead_staff).items] == [asked.id]
        assert list_extensions(work, d.co_heads[0]).total == 0
        assert [e.id for e in list_extensions(work, d.supervisor, awaiting_me=True).items] == [asked.id]
        assert list_extensions(work, d.leader, awaiting_me=True).total == 0
        assert list_extensions(work, d.supervisor, status="granted").total == 0
        view = get_extension(work, d.lead_staff, asked.id)
        assert (view.unit, view.step, view.reason) == ("区发展改革和经济信息化局", "consolidate", "需要补充统计数据")
        with pytest.raises(NotFound):
            get_extension(work, d.co_heads[0], asked.id)
        with pytest.raises(Invalid):
            list_extensions(work, d.supervisor, status="maybe")
