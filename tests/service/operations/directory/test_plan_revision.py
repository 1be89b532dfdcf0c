"""Revisions, not duplicates: a changed version of a plan already there updates the same key tasks
(matched by number, then by text), retires removed ones and cancels their running cycles, leaves
running cycles their units unless told to apply the change, replaces a draft; a racing confirm
gets 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Cycle, HumanTask, Indicator, KeyTask, Plan, PlanRevision
from service.errors import Conflict, Forbidden
from service.operations.common.actor import SYSTEM
from service.operations.directory.plan_diff import match_tasks
from service.operations.directory.plan_import import import_plan
from service.operations.year.indicators import IndicatorFields, add_indicator
from service.vocabulary import CycleStatus, HumanTaskState, TaskRevision
from tests.helpers import runtime_for_tests

TITLE = "鄂城区2024年“三新三强”行动方案"
REVISED = f"""{TITLE}
1.推行产业链长制。全面推行链长制。(牵头单位:区统计局;责任单位:区财政局、凤凰街道)
2.建设智慧园区。力争新增企业10家以上。(牵头单位:区财政局;责任单位:泽林镇)
"""


def test_matching_by_number_then_by_text():
    old = [(1, "推进一网通办 全面推行政务服务事项网上办理"), (2, "清理拖欠企业账款"), (3, "建设智慧社区")]
    # A task inserted first: every number shifts; the old ones are found by their text.
    new = [(1, "新建产业园区"), (2, "推进一网通办 全面推行政务服务网上办理"), (3, "清理拖欠企业账款工作")]
    pairs = match_tasks(old, new)
    assert (None, 0, 0.0) in pairs
    assert {(i, j) for i, j, _ in pairs if i is not None and j is not None} == {(0, 1), (1, 2)}
    assert (2, None, 0.0) in pairs  # 建设智慧社区 removed


def revise(runtime, actor=SYSTEM, text=REVISED, **options):
    with runtime.work() as work:
        return import_plan(work, actor, text.encode(), "v2.txt", **options)


def test_a_revision_of_a_published_plan_keeps_its_key_tasks_and_running_cycles(runtime, world, start, open_steps, act):
    cycle_id = start("2024-Q2")
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    (sign_for,) = open_steps(cycle_id, "sign_for")
    assert sign_for.unit_id == world.lead_unit.id

    preview = revise(runtime, dry_run=True)
    assert preview.ok and preview.revision is not None and preview.revision.recognised
    assert preview.revision.plan_id == world.plan.id
    first, added = preview.revision.tasks
    assert first.kind == TaskRevision.CHANGED and first.key_task_id == world.key_task.id
    assert first.leads_added == ("区统计局",) and first.leads_removed == (world.lead_unit.name,)
    assert first.co_removed == ("泽林镇",) and first.running_cycles == (cycle_id,)
    assert "body" in first.fields
    assert added.kind == TaskRevision.ADDED and added.new_number == 2
    assert preview.revision.running_affected == 1

    done = revise(runtime, expected_revision=1)
    assert done.revised and done.plan_id == world.plan.id
    with runtime.work(write=False) as work:
        assert work.session.scalar(select(func.count()).select_from(Plan)) == 1
        plan = work.session.get(Plan, world.plan.id)
        assert plan.revision == 2
        key_task = work.session.get(KeyTask, world.key_task.id)
        assert key_task.body == "全面推行链长制。"
        assert [u.name for u in key_task.lead_units] == ["区统计局"]
        assert [u.name for u in key_task.co_units] == ["区财政局", "凤凰街道"]
        assert work.session.scalar(select(func.count()).select_from(KeyTask).where(KeyTask.plan_id == plan.id)) == 2
        new_task = work.session.scalar(select(KeyTask).where(KeyTask.plan_id == plan.id, KeyTask.number == 2))
        assert work.session.scalar(select(Indicator.name).where(Indicator.key_task_id == new_task.id))
        # The running cycle keeps its units: the sign-for step still waits for the old lead unit.
        assert work.session.get(HumanTask, sign_for.id).state == HumanTaskState.OPEN
        assert work.session.get(Cycle, cycle_id).lead_unit_id == world.lead_unit.id
        revision = work.session.scalar(select(PlanRevision))
        assert revision.revision == 2 and revision.changes["counts"]["added"] == 1
        event = work.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan.revised"))
        assert event.data["revision"] == 2 and event.data["apply_to_running"] is False

    # The same preview confirmed again (another tab, another person) races and loses.
    with pytest.raises(Conflict, match="已被修订"):
        revise(runtime, text=REVISED.replace("10家", "12家"), expected_revision=1)


def test_applying_to_running_cycles_and_retiring_a_removed_task(runtime, world, start, open_steps, act, make):
    cycle_id = start("2024-Q2")
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    # An admin may revise a plan but not move running cycles (the office's 转办 and 撤销).
    with pytest.raises(Forbidden):
        revise(runtime, world.admin, apply_to_running=True)
    revise(runtime, world.supervisor, apply_to_running=True)
    (sign_for,) = open_steps(cycle_id, "sign_for")
    assert sign_for.unit_id == world.outsider.unit_id  # 区统计局 took over
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, cycle_id).lead_unit_id == world.outsider.unit_id

    # The next version drops key task 1: it is retired and its running cycle cancelled, with the reason.
    only_two = f"{TITLE}\n1.建设智慧园区。力争新增企业10家以上。(牵头单位:区财政局;责任单位:泽林镇)\n"
    preview = revise(runtime, world.supervisor, text=only_two, dry_run=True).revision
    assert [t.kind for t in preview.tasks] == [TaskRevision.CHANGED, TaskRevision.REMOVED]
    with runtime.work() as work:
        add_indicator(
            work,
            world.supervisor,
            IndicatorFields(name="链长", comparator="≥", target=5, measure="个"),
            key_task_id=world.key_task.id,
        )
    revise(runtime, world.supervisor, text=only_two)
    with runtime.work(write=False) as work:
        retired = work.session.get(KeyTask, world.key_task.id)
        assert retired.active is False and retired.number != 1
        gone = work.session.scalar(select(Indicator).where(Indicator.key_task_id == retired.id))
        assert gone.active is False and "删除了该重点任务" in gone.retire_reason
        assert work.session.get(Cycle, cycle_id).status == CycleStatus.CANCELLED
        cancelled = work.session.scalar(select(AuditEvent).where(AuditEvent.action == "cycle.cancelled"))
        assert "删除了重点任务1" in cancelled.data["comment"]
        moved = work.session.scalar(select(KeyTask).where(KeyTask.plan_id == world.plan.id, KeyTask.number == 1))
        assert moved.title == "建设智慧园区" and moved.active
        assert work.session.scalar(select(Indicator.active).where(Indicator.key_task_id == moved.id)) is True


def test_a_new_version_of_a_draft_replaces_it(runtime, world):
    draft = "2025年某区重点工作任务分解方案\n1.推进一网通办。(牵头单位:区财政局;责任单位:凤凰街道)\n"
    with runtime.work() as work:
        first = import_plan(work, SYSTEM, draft.encode(), "d1.txt")
    changed = draft.replace("推进一网通办", "推进一网通办和一窗通办") + "2.清理拖欠账款。(牵头单位:区统计局)\n"
    with runtime.work() as work:
        second = import_plan(work, SYSTEM, changed.encode(), "d2.txt")
    assert second.revised and second.plan_id == first.plan_id
    with runtime.work(write=False) as work:
        tasks = list(work.session.scalars(select(KeyTask).where(KeyTask.plan_id == first.plan_id)))
        assert sorted(t.title for t in tasks) == ["推进一网通办和一窗通办", "清理拖欠账款"]
        assert work.session.get(Plan, first.plan_id).revision == 2
    # Chosen as a new plan instead: a second plan.
    with runtime.work() as work:
        third = import_plan(work, SYSTEM, (changed + "\n").encode(), "d3.txt", as_new=True)
    assert not third.revised and third.plan_id != first.plan_id


def test_applied_to_a_running_cycle_the_steps_to_come_take_the_new_units(runtime, world, start, open_steps, act):
    cycle_id = start("2024-Q2")  # at 交办: no unit step open yet
    text = (
        f"{TITLE}\n1.推行产业链长制。全面推行链长制。"
        "(牵头单位:区发展改革和经济信息化局;责任单位:区财政局、凤凰街道、区统计局)\n"
    )
    revise(runtime, world.supervisor, text=text, apply_to_running=True)
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    inputs = {t.unit_id for t in open_steps(cycle_id, "co_input")}
    assert inputs == {world.co_units[0].id, world.co_units[1].id, world.outsider.unit_id}  # 泽林镇 left, 区统计局 came
    with runtime.work(write=False) as work:
        event = work.session.scalar(select(AuditEvent).where(AuditEvent.action == "cycle.units_changed"))
        assert event.cycle_id == cycle_id and world.outsider.unit_id in event.data["co_units"]


def test_two_confirms_at_once_have_one_winner_and_a_409(runtime, world, config, clock):
    """Two people confirm different revisions previewed against version 1, at the same moment, from
    two processes' worth of connections: one is applied, the other is refused and wrote nothing."""
    others = [runtime_for_tests(config, clock) for _ in range(2)]
    barrier = threading.Barrier(len(others))
    outcomes: list[object] = []

    def confirm(rt, text):
        barrier.wait()
        try:
            with rt.work() as work:
                outcomes.append(import_plan(work, world.supervisor, text.encode(), "v.txt", expected_revision=1))
        except Conflict as exc:
            outcomes.append(exc)

    texts = [REVISED, REVISED.replace("10家", "12家")]
    threads = [threading.Thread(target=confirm, args=pair) for pair in zip(others, texts, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for rt in others:
        rt.dispose()
    assert len(outcomes) == 2
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1, outcomes
    with runtime.work(write=False) as work:
        assert work.session.get(Plan, world.plan.id).revision == 2
        assert work.session.scalar(select(func.count()).select_from(PlanRevision)) == 1
        assert work.session.scalar(select(func.count()).select_from(KeyTask)) == 2
