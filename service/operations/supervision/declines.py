"""退回交办 (issue 11, item 4): a unit says a step given to it (a 签收, an input) is not its
business; the supervision office decides in its inbox: 转办 to another unit, or 维持交办 with a
comment. The step stays open and its deadline runs until then. A decline whose step ends first
(done, waived, reassigned, cancelled) lapses (``cycles/projection.lapse_pending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from db.models import Decline, HumanTask, HumanTaskState, KeyTask, Unit, User

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ...vocabulary import DeclineStatus, Move, Role
from ..common import audit, authz
from ..common import notice_texts as texts
from ..common.actor import Actor
from ..common.notifications import Notice, Recipients, notify, subject_of
from ..cycles.moves import ensure_open, lock_task, reason_of
from .step_moves import reassign_locked

DECLINES = cast(Table, Decline.__table__)
DECISIONS = {"reassign": "转办", "insist": "维持交办"}


@dataclass(frozen=True)
class DeclineView:
    """A 退回交办 as the inbox and the API show it."""

    id: int
    human_task_id: int
    cycle_id: int
    key_task_id: int
    key_task_number: int
    key_task_title: str
    step_name: str
    unit_id: int
    unit: str
    requested_by: str
    requested_at: datetime
    reason: str
    status: str
    status_name: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None


def _views(work: Work, *conditions: object) -> list[DeclineView]:
    decider = aliased(User)
    requester = aliased(User)
    rows = work.session.execute(
        select(Decline, HumanTask.step_name, KeyTask.number, KeyTask.title, Unit.name, requester.display_name)
        .add_columns(decider.display_name)
        .join(HumanTask, HumanTask.id == Decline.human_task_id)
        .join(KeyTask, KeyTask.id == Decline.key_task_id)
        .join(Unit, Unit.id == Decline.unit_id)
        .join(requester, requester.id == Decline.requested_by_id)
        .outerjoin(decider, decider.id == Decline.decided_by_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(Decline.id.desc())
        .limit(200)
    ).all()
    return [
        DeclineView(
            id=d.id,
            human_task_id=d.human_task_id,
            cycle_id=d.cycle_id,
            key_task_id=d.key_task_id,
            key_task_number=number,
            key_task_title=title,
            step_name=step_name,
            unit_id=d.unit_id,
            unit=unit_name,
            requested_by=by,
            requested_at=d.requested_at,
            reason=d.reason,
            status=d.status.value,
            status_name=d.status.label,
            decided_by=decided_by,
            decided_at=d.decided_at,
            comment=d.comment,
        )
        for d, step_name, number, title, unit_name, by, decided_by in rows
    ]


def _view(work: Work, decline_id: int) -> DeclineView:
    (found,) = _views(work, Decline.id == decline_id)
    return found


def has_accepted(work: Work, task: HumanTask) -> bool:
    """A unit that already did a step of this cycle (signed for it, gave its input) has taken the
    work on: only the step it was first given (a 签收, an input) may be declined."""
    return (
        work.session.scalar(
            select(HumanTask.id)
            .where(
                HumanTask.cycle_id == task.cycle_id,
                HumanTask.unit_id == task.unit_id,
                HumanTask.state == HumanTaskState.DONE,
            )
            .limit(1)
        )
        is not None
    )


def list_declines(
    work: Work, actor: Actor, *, pending_only: bool = False, human_task_id: int | None = None
) -> list[DeclineView]:
    """退回交办, newest first (at most 200): the supervision office, the leaders and the admins see
    all; a unit its own. ``pending_only``: those waiting for the office's answer."""
    conditions: list[object] = [authz.unit_scoped(actor, Decline.unit_id)]
    if pending_only:
        conditions.append(Decline.status == DeclineStatus.PENDING)
    if human_task_id is not None:
        conditions.append(Decline.human_task_id == human_task_id)
    return _views(work, *conditions)


def decline_human_task(work: Work, actor: Actor, human_task_id: int, *, comment: object) -> DeclineView:
    """退回交办: the step's unit (who could do it) says it is not its business, with a reason
    (required ``comment``); only before the unit did any step of the cycle (``has_accepted``).
    The step stays open, its deadline running; the supervision office is notified and answers
    with ``decide_decline``. Audit: ``step.declined``.

    Raises ``NotFound`` (not visible), ``Forbidden`` (not who could do the step), ``Invalid`` (no
    reason), ``Conflict`` (the step is not open, or a decline of it is already pending)."""
    task, _cycle = lock_task(work, actor, human_task_id)
    authz.ensure_can_decline(actor, task, work.runtime.config)
    reason = reason_of(comment, required=True, doing=Move.DECLINE.label)
    ensure_open(task, Move.DECLINE.label)
    if actor.user_id is None or task.unit_id is None:
        raise Conflict("系统账号不能退回交办")
    if has_accepted(work, task):
        raise Conflict(f"本单位已在本轮办理过其他环节(已接受交办),“{task.step_name}”不能再退回交办")
    decline = Decline(
        human_task_id=task.id,
        cycle_id=task.cycle_id,
        key_task_id=task.key_task_id,
        unit_id=task.unit_id,
        requested_by_id=actor.user_id,
        requested_at=work.now,
        reason=reason or "",
        status=DeclineStatus.PENDING,
    )
    try:
        with work.session.begin_nested():  # a second decline meets the unique pending index
            work.session.add(decline)
            work.session.flush()
    except IntegrityError:
        raise Conflict(f"“{task.step_name}”已退回交办,正等待督查室处理") from None
    audit.record(
        work,
        actor,
        "step.declined",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"decline": decline.id, "comment": reason},
    )
    words = texts.declined(subject_of(work, cycle_id=task.cycle_id), task.step_name, actor.unit_name or "", reason)
    notify(
        work,
        Recipients(work).role(Role.SUPERVISOR),
        Notice.of(words, human_task_id=task.id, key_task_id=task.key_task_id),
    )
    return _view(work, decline.id)


def decide_decline(
    work: Work,
    actor: Actor,
    decline_id: int,
    *,
    decision: object,
    comment: object,
    unit_id: object = None,
    scope: object = "cycle",
) -> DeclineView:
    """The supervision office answers a pending 退回交办: ``reassign`` (转办 the step to ``unit_id``,
    ``scope`` cycle|key_task, as ``reassign_human_task``) or ``insist`` (维持交办: the step stays
    with the unit, whose people are told why). ``comment`` required. Audit:
    ``decline.decided`` (and ``step.reassigned``).

    Raises ``NotFound`` (no such decline; no such unit), ``Forbidden`` (not the supervisor),
    ``Invalid`` (decision, comment, unit, scope), ``Conflict`` (already decided or lapsed, or
    decided meanwhile by someone else)."""
    found = work.session.get(Decline, decline_id)
    if found is None:
        raise NotFound(f"退回交办 {decline_id} 不存在")
    authz.ensure_can_decide_decline(actor)
    if decision not in DECISIONS:
        raise Invalid("decision 应为 reassign(转办)或 insist(维持交办)", field="decision")
    reason = reason_of(comment, required=True, doing=DECISIONS[str(decision)])
    task, cycle = lock_task(work, actor, found.human_task_id)
    work.session.refresh(found)
    if found.status != DeclineStatus.PENDING:
        raise Conflict(f"退回交办 #{decline_id} {found.status.label},不能再处理")
    won = (
        work.session.connection()
        .execute(
            update(DECLINES)
            .where(DECLINES.c.id == decline_id, DECLINES.c.status == DeclineStatus.PENDING)
            .values(
                status=DeclineStatus.REASSIGNED if decision == "reassign" else DeclineStatus.INSISTED,
                decided_by_id=actor.user_id,
                decided_at=work.now,
                comment=reason,
            )
        )
        .rowcount
    )
    if won != 1:
        raise Conflict(f"退回交办 #{decline_id} 刚刚已被处理,请刷新后查看")
    work.session.expire(found)
    audit.record(
        work,
        actor,
        "decline.decided",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"decline": decline_id, "decision": decision, "comment": reason},
    )
    if decision == "reassign":
        reassign_locked(work, actor, task, cycle, unit_id=unit_id, comment=reason, scope=scope)
    else:
        ensure_open(task, DECISIONS["insist"])
        words = texts.decline_insisted(subject_of(work, cycle_id=task.cycle_id), task.step_name, reason)
        notify(
            work,
            Recipients(work).unit(found.unit_id),
            Notice.of(words, human_task_id=task.id, key_task_id=task.key_task_id, to_unit_id=found.unit_id),
        )
    return _view(work, decline_id)
