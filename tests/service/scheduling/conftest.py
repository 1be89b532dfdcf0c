"""A small district for scheduler tests: a lead unit, two co-units, their people, the supervisor and
the leader (all with e-mail addresses), one key task; helpers to act, tick and read what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from db.models import AuditEvent, Escalation, HumanTask, HumanTaskState, KeyTask, Notification, Role, Unit, User
from service.operations.common.actor import Actor
from service.operations.cycles.complete import Completion, complete_human_task
from service.scheduling.jobs import TickReport, run_due_jobs

TZ = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@dataclass
class District:
    supervisor: Actor
    leader: Actor
    admin: Actor
    lead_unit: Unit
    lead_head: Actor
    lead_staff: Actor
    co_units: list[Unit]
    co_heads: list[Actor]
    co_staff: list[Actor]
    key_task: KeyTask


@pytest.fixture
def district(make: Any, runtime: Any) -> District:
    lead = make.unit("区发展改革和经济信息化局")
    co_units = [make.unit("区财政局"), make.unit("凤凰街道")]
    district = District(
        supervisor=make.user(Role.SUPERVISOR, username="duchashi"),
        leader=make.user(Role.LEADER, username="lingdao"),
        admin=make.user(Role.ADMIN, username="admin"),
        lead_unit=lead,
        lead_head=make.user(Role.UNIT_HEAD, lead, username="lead_head"),
        lead_staff=make.user(Role.UNIT_STAFF, lead, username="lead_staff"),
        co_units=co_units,
        co_heads=[make.user(Role.UNIT_HEAD, u, username=f"co_head_{i}") for i, u in enumerate(co_units)],
        co_staff=[make.user(Role.UNIT_STAFF, u, username=f"co_staff_{i}") for i, u in enumerate(co_units)],
        key_task=make.key_task([lead], co_units, title="推行产业链长制"),
    )
    with runtime.work() as work:
        work.session.execute(update(User).values(email=User.username + "@example.test"))
    return district


@pytest.fixture
def tick(runtime: Any) -> Any:
    def _tick(now: datetime) -> TickReport:
        report = run_due_jobs(runtime, now)
        assert report.failures == []
        return report

    return _tick


@pytest.fixture
def act(runtime: Any) -> Any:
    def _act(actor: Actor, task_id: int, now: datetime, **form: Any) -> Completion:
        with runtime.work(now=now) as work:
            return complete_human_task(
                work, actor, task_id, data=form.get("data"), decision=form.get("decision"), comment=form.get("comment")
            )

    return _act


def open_steps(runtime: Any, step: str | None = None) -> list[HumanTask]:
    with runtime.work(write=False) as work:
        query = select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)
        if step:
            query = query.where(HumanTask.step_id == step)
        return list(work.session.scalars(query.order_by(HumanTask.id)))


def task_row(runtime: Any, task_id: int) -> HumanTask:
    with runtime.work(write=False) as work:
        task = work.session.get(HumanTask, task_id)
        assert task is not None
        return task


def rungs_of(runtime: Any, task_id: int) -> list[tuple[int, datetime]]:
    """(level, fired_at) of a step's escalations, in order."""
    with runtime.work(write=False) as work:
        rows = work.session.execute(
            select(Escalation.level, Escalation.fired_at)
            .where(Escalation.human_task_id == task_id)
            .order_by(Escalation.level)
        ).all()
        return [(r.level, r.fired_at) for r in rows]


def count(runtime: Any, model: Any, *conditions: Any) -> int:
    with runtime.work(write=False) as work:
        return work.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def actions(runtime: Any, prefix: str = "") -> list[str]:
    with runtime.work(write=False) as work:
        found = work.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
        return [a for a in found if a.startswith(prefix)]


def notified(runtime: Any, username: str, kind: str | None = None) -> list[Notification]:
    with runtime.work(write=False) as work:
        query = select(Notification).join(User, User.id == Notification.user_id).where(User.username == username)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(work.session.scalars(query.order_by(Notification.id)))
