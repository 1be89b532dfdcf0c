"""Plans are drafts until published: no rounds for drafts or archived plans; publishing checks that
every lead unit has someone to sign, unless forced with a reason; every move is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEvent, Cycle, KeyTask, Plan, User
from service.demo.seed import load_demo
from service.errors import Conflict, Forbidden, Invalid
from service.operations.common.actor import SYSTEM
from service.operations.cycles.start import start_cycle
from service.operations.directory.plan_import import import_plan
from service.operations.directory.plan_status import archive_plan, list_plans, publish_plan
from service.scheduling.loops import open_rounds
from service.vocabulary import PlanStatus
from tests.helpers import local

PLAN = """2024年某区重点工作任务分解方案
一、优化营商环境
1.推进一网通办。(牵头单位:区行政审批局;责任单位:区财政局)
2.新建园区。(牵头单位:区新园区服务中心;责任单位:区财政局)
"""


@pytest.fixture
def district(runtime):
    with runtime.work() as work:
        load_demo(work, with_plan=False)


def imported(runtime) -> int:
    with runtime.work() as work:
        result = import_plan(work, SYSTEM, PLAN.encode(), "plan.txt", create_units=True)
    assert result.ok and result.plan_id is not None
    return result.plan_id


def cycles_of(runtime, plan_id: int) -> list[int]:
    with runtime.work(write=False) as work:
        return list(
            work.session.scalars(
                select(Cycle.id).join(KeyTask, KeyTask.id == Cycle.key_task_id).where(KeyTask.plan_id == plan_id)
            )
        )


def actions(runtime, action: str) -> list[dict]:
    with runtime.work(write=False) as work:
        return [e.data for e in work.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_an_import_is_a_draft_that_opens_no_round_until_published(runtime, district):
    plan_id = imported(runtime)
    with runtime.work(write=False) as work:
        assert work.session.get(Plan, plan_id).status == PlanStatus.DRAFT
    assert open_rounds(runtime, local(2024, 4, 1, 9)).started == []
    assert cycles_of(runtime, plan_id) == []
    # Nor by hand: a draft is not in force yet.
    with runtime.work(write=False) as work:
        key_task = work.session.scalar(select(KeyTask.id).where(KeyTask.plan_id == plan_id, KeyTask.number == 1))
    with pytest.raises(Conflict, match="尚未发布"), runtime.work() as work:
        start_cycle(work, SYSTEM, key_task, "2024-Q2")

    # The lead unit the import just created has no account: publishing names it and refuses.
    with pytest.raises(Conflict) as refused, runtime.work() as work:
        publish_plan(work, SYSTEM, plan_id)
    assert refused.value.extra == {"units": ["区新园区服务中心"]}
    with pytest.raises(Invalid) as no_reason, runtime.work() as work:
        publish_plan(work, SYSTEM, plan_id, force=True)
    assert no_reason.value.field == "reason"
    with runtime.work() as work:
        row = publish_plan(work, SYSTEM, plan_id, force=True, reason="账号本周开设")
    assert row.status == PlanStatus.PUBLISHED and row.published_at is not None
    assert actions(runtime, "plan.published")[-1]["units_without_signers"] == ["区新园区服务中心"]
    assert actions(runtime, "plan.published")[-1]["reason"] == "账号本周开设"

    assert len(open_rounds(runtime, local(2024, 4, 1, 9)).started) == 2
    with pytest.raises(Conflict, match="已发布"), runtime.work() as work:
        publish_plan(work, SYSTEM, plan_id)


def test_a_plan_whose_lead_units_all_have_heads_publishes_without_force(runtime, district):
    plan_id = imported(runtime)
    with runtime.work() as work:
        unit_id = (
            work.session.scalar(select(KeyTask).where(KeyTask.plan_id == plan_id, KeyTask.number == 2)).lead_units[0].id
        )
        staff = User(
            username="xyq",
            display_name="新园区",
            password_hash="x",
            role="unit_staff",
            unit_id=unit_id,
            created_at=work.now,
        )
        work.session.add(staff)
    # A staff account cannot sign (签收 needs the unit head by default): still refused.
    with pytest.raises(Conflict), runtime.work() as work:
        publish_plan(work, SYSTEM, plan_id)
    with runtime.work() as work:
        work.session.add(
            User(
                username="xyqh",
                display_name="新园区负责人",
                password_hash="x",
                role="unit_head",
                unit_id=unit_id,
                created_at=work.now,
            )
        )
    with runtime.work() as work:
        assert publish_plan(work, SYSTEM, plan_id).status == PlanStatus.PUBLISHED
    assert actions(runtime, "plan.published")[-1]["forced"] is False


def test_an_archived_plan_opens_no_rounds_and_stays_readable(runtime, world):
    plan_id = world.key_task.plan_id
    with runtime.work() as work:
        row = archive_plan(work, world.by_role["supervisor"], plan_id, reason="年度结束")
    assert row.status == PlanStatus.ARCHIVED
    assert open_rounds(runtime, local(2024, 4, 1, 9)).started == []
    with pytest.raises(Conflict, match="已归档"), runtime.work() as work:
        start_cycle(work, SYSTEM, world.key_task.id, "2024-Q2")
    with runtime.work(write=False) as work:
        assert [r.status for r in list_plans(work.session) if r.id == plan_id] == [PlanStatus.ARCHIVED]
    assert actions(runtime, "plan.archived")[-1]["reason"] == "年度结束"
    with pytest.raises(Conflict), runtime.work() as work:
        archive_plan(work, SYSTEM, plan_id)


def test_only_the_office_and_admins_publish(runtime, world):
    for actor in (world.lead_head, world.leader, world.outsider):
        with pytest.raises(Forbidden), runtime.work() as work:
            publish_plan(work, actor, world.key_task.plan_id)
