"""督办通知单: what the paper notice for an overdue step says (the .docx is ``exports/notice_docx.py``).

A notice is addressed to the unit the step waits for (the directory's full name), names the key
task, its plan, the round, the step, the deadline, how many working days it is late, and how far up
the escalation ladder it has gone. Who may draw one up: ``authz.may_issue_notices`` (the office, the
leaders). Only an open step past its deadline has one (issue 14 item 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.models import Cycle, Escalation, HumanTask, HumanTaskState, KeyTask, Plan, Unit

from ...errors import Conflict
from ...runtime import Work
from ...vocabulary import EscalationLevel, Party, round_label
from ..common import authz
from ..common.actor import Actor
from ..common.timing import working_days_late


@dataclass(frozen=True)
class OverdueNotice:
    """One overdue step as its notice states it; instants are aware (shown in local time)."""

    human_task_id: int
    number: str  # 督办〔2024〕第 N 号 (the year issued and the step's id)
    addressee: str  # the unit's full name (or the party's name for the office's or leaders' steps)
    plan_title: str
    key_task_number: int
    key_task_title: str
    round_label: str
    step_name: str
    due_at: datetime
    working_days_late: int
    level: int  # 0: no rung reached yet; 1 提醒, 2 催办, 3 督办
    level_label: str
    since: datetime | None  # when that rung was reached
    issued_at: datetime


def overdue_notice(work: Work, actor: Actor, human_task_id: int) -> OverdueNotice:
    """The notice of an overdue open step at ``work.now``. Raises ``Forbidden`` (not the office or a
    leader, on a step they see), ``NotFound`` (no such step, or one the actor may not see: the
    step's own answer), ``Conflict`` (the step is done, or not yet overdue)."""
    row = work.session.execute(
        select(HumanTask, Unit.name, KeyTask.number, KeyTask.title, Plan.title, Cycle.round)
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .where(HumanTask.id == human_task_id)
    ).first()
    if row is None:
        raise authz.step_not_found(human_task_id)
    task, unit_name, number, title, plan_title, round_name = row
    authz.ensure_sees_human_task(work.session, actor, task)
    authz.ensure_may_issue_notices(actor)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(f"“{task.step_name}”已不在办理中,不需要督办通知单")
    if work.now <= task.due_at:
        raise Conflict(f"“{task.step_name}”尚未逾期,不需要督办通知单")
    reached = work.session.execute(
        select(Escalation.level, Escalation.fired_at)
        .where(Escalation.human_task_id == task.id)
        .order_by(Escalation.level.desc(), Escalation.fired_at.desc())
        .limit(1)
    ).first()
    level, since = (int(reached[0]), reached[1]) if reached else (0, None)
    try:
        level_label = EscalationLevel(level).label if level else ""
    except ValueError:
        level_label = f"{level} 级"
    rt = work.runtime
    return OverdueNotice(
        human_task_id=task.id,
        number=f"督办〔{work.now.astimezone(rt.config.tz).year}〕第 {task.id} 号",
        addressee=unit_name or Party.label_of(task.party),
        plan_title=plan_title,
        key_task_number=number,
        key_task_title=title,
        round_label=round_label(round_name),
        step_name=task.step_name,
        due_at=task.due_at,
        working_days_late=working_days_late(rt.calendar, rt.config.tz, task.due_at, work.now),
        level=level,
        level_label=level_label,
        since=since,
        issued_at=work.now,
    )
