"""Extensions (延期申请): the lead unit's head asks for more time on one of its steps before the
deadline, with a reason and a new date; the supervisor grants or refuses, and beyond
``[extensions] leader_above_days`` working days the leader decides after the supervisor.

Granting moves the step's ``due_at`` and ``yellow_at`` (so its light), the diagram's timer, and
with them every escalation rung not yet reached (rungs are computed from ``due_at``). Each decision
is one conditional UPDATE on the pending request, so of two people deciding at once one wins and
the other gets a clear conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.exc import IntegrityError

from db.models import Extension, ExtensionStatus, HumanTask, HumanTaskState, KeyTask, Unit, User

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ...vocabulary import ExtensionStage, Role
from ...workdays import END_OF_DAY
from ..common import audit, authz
from ..common import notice_texts as texts
from ..common.actor import Actor
from ..common.notifications import Notice, Recipients, notify, subject_of
from ..common.paging import decode_cursor, encode_cursor
from ..cycles.timers import move_deadline
from .escalations import schedule

EXTENSIONS = cast(Table, Extension.__table__)
TASKS = cast(Table, HumanTask.__table__)
MAX_LIMIT = 200


@dataclass(frozen=True)
class ExtensionView:
    id: int
    human_task_id: int
    cycle_id: int
    key_task_id: int
    key_task_number: int
    key_task_title: str
    step: str
    step_name: str
    step_state: str
    unit_id: int
    unit: str
    requested_by: str
    requested_at: datetime
    reason: str
    old_due_at: datetime
    new_due_at: datetime
    working_days: int
    status: str
    status_name: str
    stage: str | None  # who decides next while pending
    needs_leader: bool
    decided_at: datetime | None
    comment: str | None


def _view(work: Work, extension_id: int) -> ExtensionView:
    row = work.session.execute(_VIEW.where(Extension.id == extension_id)).first()
    if row is None:
        raise NotFound(f"延期申请 {extension_id} 不存在")
    return _to_view(row)


_VIEW = (
    select(Extension, HumanTask, KeyTask.number, KeyTask.title, Unit.name, User.display_name)
    .join(HumanTask, HumanTask.id == Extension.human_task_id)
    .join(KeyTask, KeyTask.id == Extension.key_task_id)
    .join(Unit, Unit.id == Extension.unit_id)
    .join(User, User.id == Extension.requested_by_id)
)


def _to_view(row: Any) -> ExtensionView:
    ext, task, number, title, unit_name, requester = row
    return ExtensionView(
        id=ext.id,
        human_task_id=ext.human_task_id,
        cycle_id=ext.cycle_id,
        key_task_id=ext.key_task_id,
        key_task_number=number,
        key_task_title=title,
        step=task.step_id,
        step_name=task.step_name,
        step_state=task.state.value,
        unit_id=ext.unit_id,
        unit=unit_name,
        requested_by=requester,
        requested_at=ext.requested_at,
        reason=ext.reason,
        old_due_at=ext.old_due_at,
        new_due_at=ext.new_due_at,
        working_days=ext.working_days,
        status=ext.status.value,
        status_name=ext.status.label,
        stage=ext.stage if ext.status == ExtensionStatus.PENDING else None,
        needs_leader=ext.needs_leader,
        decided_at=ext.decided_at,
        comment=ext.comment,
    )


def _local(work: Work, at: datetime) -> str:
    return f"{at.astimezone(work.runtime.config.tz):%Y-%m-%d}"


def _new_day(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise Invalid(f"new_due_date 应为日期,格式如 2024-04-15,收到 {value!r}", field="new_due_date")


def request_extension(
    work: Work, actor: Actor, human_task_id: int, *, new_due_date: object, reason: object
) -> ExtensionView:
    session = work.session
    config = work.runtime.config
    calendar = work.runtime.calendar
    task = session.get(HumanTask, human_task_id)
    if task is None:
        raise authz.step_not_found(human_task_id)
    authz.ensure_sees_human_task(session, actor, task)
    authz.ensure_can_request_extension(actor, task, task.party)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(f"“{task.step_name}”已经办理完毕,无需延期")
    if work.now > task.due_at:
        raise Conflict(
            f"“{task.step_name}”已于 {_local(work, task.due_at)} 到期,超过期限后不能再申请延期;"
            "请尽快办理,确有困难请联系督查室"
        )
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("请填写延期理由", field="reason")
    reason = reason.strip()
    if len(reason) > config.extensions.reason_max_length:
        raise Invalid(f"延期理由不能超过 {config.extensions.reason_max_length} 字", field="reason")
    day = _new_day(new_due_date)
    old_day = task.due_at.astimezone(config.tz).date()
    if day <= old_day:
        raise Invalid(f"新期限 {day} 应晚于现在的期限 {old_day}", field="new_due_date")
    if not calendar.is_workday(day):
        raise Invalid(f"新期限 {day} 不是工作日,请选择一个工作日", field="new_due_date")
    working_days = calendar.working_days_between(old_day, day)
    if working_days > config.extensions.max_working_days:
        raise Invalid(
            f"延期不能超过 {config.extensions.max_working_days} 个工作日(申请的是 {working_days} 个)",
            field="new_due_date",
        )
    pending = session.scalar(
        select(Extension.id).where(Extension.human_task_id == task.id, Extension.status == ExtensionStatus.PENDING)
    )
    if pending is not None:
        raise Conflict(f"“{task.step_name}”已有一份待审批的延期申请(#{pending}),请等待审批结果")
    if actor.user_id is None:
        raise Conflict("系统账号不能申请延期")
    needs_leader = working_days > config.extensions.leader_above_days
    extension = Extension(
        human_task_id=task.id,
        cycle_id=task.cycle_id,
        key_task_id=task.key_task_id,
        unit_id=actor.unit_id,
        requested_by_id=actor.user_id,
        requested_at=work.now,
        reason=reason,
        old_due_at=task.due_at,
        new_due_at=datetime.combine(day, END_OF_DAY, config.tz),
        working_days=working_days,
        status=ExtensionStatus.PENDING,
        stage=ExtensionStage.SUPERVISOR,
        needs_leader=needs_leader,
    )
    try:
        with session.begin_nested():  # a request racing this one meets the unique pending index
            session.add(extension)
            session.flush()
    except IntegrityError:
        raise Conflict(f"“{task.step_name}”刚刚已有人提交了延期申请,请刷新后查看") from None
    audit.record(
        work,
        actor,
        "extension.requested",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        data={
            "extension": extension.id,
            "old_due_at": task.due_at.isoformat(),
            "new_due_at": extension.new_due_at.isoformat(),
            "working_days": working_days,
            "reason": reason,
        },
    )
    notify(
        work,
        Recipients(work).role(Role.SUPERVISOR),
        Notice.of(
            texts.extension_requested(
                subject_of(work, cycle_id=task.cycle_id),
                task.step_name,
                actor.unit_name or "",
                str(old_day),
                str(day),
                working_days,
                needs_leader,
                reason,
            ),
            human_task_id=task.id,
            key_task_id=task.key_task_id,
            extension_id=extension.id,
        ),
    )
    return _view(work, extension.id)


def decide_extension(
    work: Work, actor: Actor, extension_id: int, *, decision: object, comment: object = None
) -> ExtensionView:
    """``grant`` or ``refuse`` (a refusal needs a comment saying why)."""
    session = work.session
    extension = session.get(Extension, extension_id)
    if extension is None:
        raise NotFound(f"延期申请 {extension_id} 不存在")
    if extension.status != ExtensionStatus.PENDING:
        said = extension.status.label
        raise Conflict(f"延期申请 #{extension_id} {said if said.startswith('已') else '已' + said},不能再次审批")
    stage = extension.stage
    authz.ensure_can_decide_extension(actor, stage)
    if decision not in ("grant", "refuse"):
        raise Invalid("decision 应为 grant(批准)或 refuse(不批准)", field="decision")
    text = comment.strip() if isinstance(comment, str) else ""
    if comment is not None and not isinstance(comment, str):
        raise Invalid("comment 应为文字", field="comment")
    if decision == "refuse" and not text:
        raise Invalid("不批准时请填写理由", field="comment")
    if len(text) > work.runtime.config.extensions.reason_max_length:
        raise Invalid(f"意见不能超过 {work.runtime.config.extensions.reason_max_length} 字", field="comment")
    task = session.get(HumanTask, extension.human_task_id)
    assert task is not None  # a foreign key
    forward = decision == "grant" and stage == ExtensionStage.SUPERVISOR and extension.needs_leader
    if decision == "grant" and not forward:
        if task.state != HumanTaskState.OPEN:
            raise Conflict(f"“{task.step_name}”已经办理完毕,无需延期(请选择不批准)")
        if extension.new_due_at <= work.now:
            raise Conflict(f"申请的新期限 {_local(work, extension.new_due_at)} 已过,不能批准")

    values: dict[str, Any] = {}
    if stage == ExtensionStage.SUPERVISOR:
        values.update(supervisor_id=actor.user_id, supervisor_at=work.now)
    else:
        values.update(leader_id=actor.user_id, leader_at=work.now)
    if forward:
        values.update(stage=ExtensionStage.LEADER)
    else:
        values.update(
            status=ExtensionStatus.GRANTED if decision == "grant" else ExtensionStatus.REFUSED,
            decided_at=work.now,
            comment=text or None,
        )
    won = session.connection().execute(
        update(EXTENSIONS)
        .where(
            EXTENSIONS.c.id == extension_id,
            EXTENSIONS.c.status == ExtensionStatus.PENDING,
            EXTENSIONS.c.stage == stage,
        )
        .values(**values)
    )
    if won.rowcount != 1:
        raise Conflict(f"延期申请 #{extension_id} 刚刚已被他人审批,请刷新后查看")
    session.expire(extension)

    recipients = Recipients(work)
    subject = subject_of(work, cycle_id=task.cycle_id)
    new_day, old_day = _local(work, extension.new_due_at), _local(work, extension.old_due_at)
    refs: dict[str, Any] = {"human_task_id": task.id, "key_task_id": task.key_task_id, "extension_id": extension_id}
    base = {"extension": extension_id, "stage": stage, "comment": text or None}

    def record(action: str, data: dict[str, Any]) -> None:
        """Every decision names the step and its unit, as every other event does."""
        audit.record(
            work,
            actor,
            action,
            cycle_id=task.cycle_id,
            human_task_id=task.id,
            step_id=task.step_id,
            unit_id=task.unit_id,
            data=data,
        )

    if forward:
        record("extension.forwarded", base)
        leader_above = work.runtime.config.extensions.leader_above_days
        words = texts.extension_forwarded(subject, task.step_name, new_day, extension.working_days, leader_above)
        notify(work, recipients.role(Role.LEADER), Notice.of(words, **refs))
    elif decision == "grant":
        before = schedule(work.runtime, task.due_at)
        move_deadline(work, task, extension.new_due_at)
        record(
            "extension.granted",
            {
                **base,
                "old_due_at": extension.old_due_at.isoformat(),
                "new_due_at": extension.new_due_at.isoformat(),
                # Rungs not yet reached were due at these times; they now follow the new deadline.
                "escalations_before": before,
                "escalations_after": schedule(work.runtime, extension.new_due_at),
            },
        )
        words = texts.extension_granted(subject, task.step_name, new_day, text or None)
        notify(work, recipients.unit(extension.unit_id), Notice.of(words, to_unit_id=extension.unit_id, **refs))
    else:
        record("extension.refused", base)
        words = texts.extension_refused(subject, task.step_name, new_day, old_day, text)
        notify(work, recipients.unit(extension.unit_id), Notice.of(words, to_unit_id=extension.unit_id, **refs))
    return _view(work, extension_id)


def get_extension(work: Work, actor: Actor, extension_id: int) -> ExtensionView:
    view = _view(work, extension_id)
    if not authz.sees_everything(actor) and view.unit_id != actor.unit_id:
        raise NotFound(f"延期申请 {extension_id} 不存在或无权查看")
    return view


@dataclass(frozen=True)
class ExtensionPage:
    items: tuple[ExtensionView, ...]
    total: int
    next_cursor: str | None


def list_extensions(
    work: Work,
    actor: Actor,
    *,
    status: str | None = None,
    awaiting_me: bool = False,
    human_task_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> ExtensionPage:
    """Requests, newest first: a unit sees its own; the supervisor and leaders see all."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1 到 {MAX_LIMIT} 之间", field="limit")
    if status is not None and status not in ExtensionStatus.labels():
        raise Invalid(f"status 应为 {'、'.join(ExtensionStatus.labels())} 之一", field="status")
    conditions: list[ColumnElement[bool]] = [authz.unit_scoped(actor, Extension.unit_id)]
    if status is not None:
        conditions.append(Extension.status == ExtensionStatus(status))
    if awaiting_me:
        stage = next((s for s in ExtensionStage if s.role == actor.role), None)
        if stage is None:
            return ExtensionPage(items=(), total=0, next_cursor=None)
        conditions += [Extension.status == ExtensionStatus.PENDING, Extension.stage == stage]
    if human_task_id is not None:
        conditions.append(Extension.human_task_id == human_task_id)
    total = work.session.scalar(select(func.count()).select_from(Extension).where(*conditions)) or 0
    if cursor:
        (after,) = decode_cursor(cursor, int)
        conditions.append(Extension.id < after)
    rows = work.session.execute(_VIEW.where(*conditions).order_by(Extension.id.desc()).limit(limit + 1)).all()
    items = tuple(_to_view(r) for r in rows[:limit])
    more = len(rows) > limit
    next_cursor = encode_cursor(items[-1].id) if more and items else None
    return ExtensionPage(items=items, total=total, next_cursor=next_cursor)


def withdraw_extension(work: Work, actor: Actor, extension_id: int) -> ExtensionView:
    """撤回: the requesting unit takes back its own pending extension request, at any stage.
    Audit: ``extension.withdrawn``. Raises ``NotFound`` (another unit's, as a missing one),
    ``Forbidden`` (not a unit's people), ``Conflict`` (already decided, lapsed or withdrawn)."""
    extension = work.session.get(Extension, extension_id)
    if extension is None or (not authz.sees_everything(actor) and extension.unit_id != actor.unit_id):
        raise NotFound(f"延期申请 {extension_id} 不存在或无权查看")
    authz.ensure_can_withdraw_extension(actor, extension.unit_id)
    won = work.session.connection().execute(
        update(EXTENSIONS)
        .where(EXTENSIONS.c.id == extension_id, EXTENSIONS.c.status == ExtensionStatus.PENDING)
        .values(status=ExtensionStatus.WITHDRAWN, decided_at=work.now)
    )
    if won.rowcount != 1:
        work.session.refresh(extension)
        raise Conflict(f"延期申请 #{extension_id} 的状态是“{extension.status.label}”,不能撤回")
    work.session.expire(extension)
    audit.record(
        work,
        actor,
        "extension.withdrawn",
        cycle_id=extension.cycle_id,
        human_task_id=extension.human_task_id,
        unit_id=extension.unit_id,
        data={"extension": extension_id},
    )
    return _view(work, extension_id)
