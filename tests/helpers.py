"""What tests import (not fixtures): the time zone and local instants, the password every test user
has, and reads of what happened (open human tasks, escalations, audit actions, notifications, counts).

Each read runs in a read-only unit of work of its own, so it sees what committed transactions wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from db.models import AuditEvent, Escalation, HumanTask, HumanTaskState, Notification, User

TZ = ZoneInfo("Asia/Shanghai")
# A Monday. The Qingming holiday (4-6 April 2024) and its make-up workday (Sunday 7 April) follow.
T0 = datetime(2024, 4, 1, 9, 0, tzinfo=TZ)
# The password tests/conftest.py's factory gives every user.
PASSWORD = "correct-horse-9"


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant on the wall clock of the district (Asia/Shanghai)."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def open_tasks(runtime: Any, cycle_id: int | None = None, step: str | None = None) -> list[HumanTask]:
    """The open human tasks, oldest first: of one cycle or of all, of one step or of all."""
    with runtime.work(write=False) as work:
        query = select(HumanTask).where(HumanTask.state == HumanTaskState.OPEN)
        if cycle_id is not None:
            query = query.where(HumanTask.cycle_id == cycle_id)
        if step:
            query = query.where(HumanTask.step_id == step)
        return list(work.session.scalars(query.order_by(HumanTask.id)))


def task_row(runtime: Any, task_id: int) -> HumanTask:
    """One human task's row as stored now."""
    with runtime.work(write=False) as work:
        task = work.session.get(HumanTask, task_id)
        assert task is not None
        return task


def rungs_of(runtime: Any, task_id: int) -> list[tuple[int, datetime]]:
    """(level, fired_at) of a human task's escalations, in order."""
    with runtime.work(write=False) as work:
        rows = work.session.execute(
            select(Escalation.level, Escalation.fired_at)
            .where(Escalation.human_task_id == task_id)
            .order_by(Escalation.level)
        ).all()
        return [(r.level, r.fired_at) for r in rows]


def count(runtime: Any, model: Any, *conditions: Any) -> int:
    """How many rows of a model meet the conditions."""
    with runtime.work(write=False) as work:
        return work.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def actions(runtime: Any, prefix: str = "") -> list[str]:
    """The audit trail's actions in order, those starting with ``prefix``."""
    with runtime.work(write=False) as work:
        found = work.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
        return [a for a in found if a.startswith(prefix)]


def notified(runtime: Any, username: str, kind: str | None = None) -> list[Notification]:
    """The in-app notices one person got, oldest first (of one kind, or all)."""
    with runtime.work(write=False) as work:
        query = select(Notification).join(User, User.id == Notification.user_id).where(User.username == username)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(work.session.scalars(query.order_by(Notification.id)))


def new_process(runtime: Any, *, live_cycles: int | None = None) -> None:
    """Makes ``runtime`` what another process (a second gunicorn worker, a restart) would hold: a
    new engine that has parsed no diagram and keeps no cycle live (``live_cycles`` as configured
    unless given), and no memory of deployed versions; the next step deploys from the database
    and reads the stored state."""
    from workflows import Engine

    limit = runtime.config.engine.live_cycles if live_cycles is None else live_cycles
    runtime.engine = Engine(runtime._engine_deadline, live_cycles=limit)
    runtime.diagram_digests.clear()
    runtime.diagram_files.clear()


@contextmanager
def unfixed_engine(runtime: Any) -> Iterator[None]:
    """Inside, ``runtime`` is another process running the engine as it was before issue 9's fix:
    its parse leaves multi-instance merges unwired, so completions of co-unit inputs that process
    did not open are accepted but never merged (the state such databases hold). Afterwards the
    runtime is a new process with the fixed engine."""
    import workflows.diagram as diagram_module

    wire = diagram_module.wire_loop_children
    diagram_module.wire_loop_children = lambda _spec: None
    new_process(runtime, live_cycles=0)
    try:
        yield
    finally:
        diagram_module.wire_loop_children = wire
        new_process(runtime)
