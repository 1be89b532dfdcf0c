"""Who may see and do what. The one place that decides; the API and the web pages both go through
the operations, and the operations ask here.

- unit staff and unit heads see the key tasks (and their cycles) in which their unit takes part,
  and act only on their own unit's steps; some steps need the unit head (config).
- supervisors see everything and act on the supervisor's steps (dispatch, review).
- leaders see everything and act on the leader's steps (approve).
- admins see everything and manage users, units and plans; they do not act on steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from db.models import AuditEvent, Cycle, HumanTask, KeyTask, KeyTaskUnit

from ...config import Config
from ...errors import Forbidden, NotFound
from ...vocabulary import PERSON_ROLES, UNIT_ROLES, Assignee, ExtensionStage, Party, Role
from .actor import Actor

SEE_ALL_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.SYSTEM})


def require_role(actor: Actor, *roles: Role, doing: str) -> None:
    """Forbidden unless the actor has one of the roles; the message names only roles people log in
    as (never the system's own actor, which no person can be)."""
    if actor.role not in roles:
        allowed = "、".join(r.label for r in roles if r in PERSON_ROLES)
        raise Forbidden(f"{doing}需要以下角色之一: {allowed}")


def sees_everything(actor: Actor) -> bool:
    return actor.role in SEE_ALL_ROLES


def key_task_visible(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on KeyTask: the key tasks this actor may see."""
    if sees_everything(actor):
        return true()
    # A unit given one step of it by 转办 (this round only) sees the key task too.
    return or_(
        exists().where(KeyTaskUnit.key_task_id == KeyTask.id, KeyTaskUnit.unit_id == actor.unit_id),
        exists().where(HumanTask.key_task_id == KeyTask.id, HumanTask.unit_id == actor.unit_id),
    )


def ensure_sees_key_task(session: Session, actor: Actor, key_task_id: int) -> None:
    """NotFound rather than Forbidden for what one may not see: its existence is not disclosed."""
    visible = session.scalar(select(KeyTask.id).where(KeyTask.id == key_task_id, key_task_visible(actor)))
    if visible is None:
        raise NotFound(f"重点任务 {key_task_id} 不存在或无权查看")


def sees_human_task(actor: Actor, unit_id: int | None) -> bool:
    """A step is seen by those who may act on it, and by the roles that see everything.

    A unit never sees another unit's step (a lead unit reads the co-units' inputs on its own
    consolidation step instead)."""
    if sees_everything(actor):
        return True
    return actor.role in UNIT_ROLES and unit_id is not None and unit_id == actor.unit_id


def step_not_found(human_task_id: int) -> NotFound:
    """What a missing step and a step one may not see both answer: the same 404, so that asking
    about ids discloses nothing of another unit's work."""
    return NotFound(f"待办 {human_task_id} 不存在或无权查看")


def human_task_visible(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on HumanTask: the steps this actor sees (``sees_human_task`` as SQL)."""
    if sees_everything(actor):
        return true()
    return HumanTask.unit_id == actor.unit_id if actor.role in UNIT_ROLES and actor.unit_id else false()


def ensure_sees_human_task(session: Session, actor: Actor, task: HumanTask) -> None:
    """``step_not_found`` (404) unless the actor sees the step (``sees_human_task``)."""
    if not sees_human_task(actor, task.unit_id):
        raise step_not_found(task.id)


class HumanTaskLike(Protocol):
    """What deciding about a step needs: a HumanTask, or a row read with its columns."""

    role: str
    unit_id: int | None
    step_id: str
    step_name: str


def ensure_can_act(actor: Actor, task: HumanTaskLike, config: Config) -> None:
    """Raises Forbidden unless this actor may complete this step."""
    if task.role == Assignee.SUPERVISOR:
        require_role(actor, Role.SUPERVISOR, doing=f"办理“{task.step_name}”")
        return
    if task.role == Assignee.LEADER:
        require_role(actor, Role.LEADER, doing=f"办理“{task.step_name}”")
        return
    if actor.role not in UNIT_ROLES:
        raise Forbidden(f"“{task.step_name}”由承办单位办理")
    if task.unit_id != actor.unit_id:
        raise Forbidden(f"“{task.step_name}”不是您所在单位的待办")
    if task.step_id in config.permissions.head_required_steps and actor.role != Role.UNIT_HEAD:
        raise Forbidden(f"“{task.step_name}”需要单位负责人办理")


def can_act(actor: Actor, task: HumanTaskLike, config: Config) -> bool:
    try:
        ensure_can_act(actor, task, config)
    except Forbidden:
        return False
    return True


def ensure_can_manage(actor: Actor, doing: str) -> None:
    require_role(actor, Role.ADMIN, Role.SYSTEM, doing=doing)


def ensure_can_start_cycles(actor: Actor) -> None:
    require_role(actor, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM, doing="启动办理周期")


# -- scheduling: extensions, escalations (issue 4) ---------------------------------------------


def ensure_can_request_extension(actor: Actor, task: HumanTaskLike, party: str) -> None:
    """The lead unit's head asks for more time on the lead unit's own steps (延期申请)."""
    if party != Party.LEAD_UNIT:
        raise Forbidden(f"“{task.step_name}”不能申请延期(只有牵头单位的办理环节可以申请)")
    if actor.role not in UNIT_ROLES or task.unit_id != actor.unit_id:
        raise Forbidden(f"“{task.step_name}”不是您所在单位的待办,不能为其申请延期")
    if actor.role != Role.UNIT_HEAD:
        raise Forbidden("延期申请需要由单位负责人提出")


def ensure_can_decide_extension(actor: Actor, stage: str) -> None:
    """The supervisor decides first; the leader decides requests beyond the configured days."""
    require_role(actor, ExtensionStage(stage).role, doing="审批该延期申请")


def unit_scoped(actor: Actor, unit_column: Any) -> ColumnElement[bool]:
    """A WHERE clause on a unit column: units see their own rows, the other roles everything."""
    if sees_everything(actor):
        return true()
    return unit_column == actor.unit_id


# -- reading cycles, step contents, the audit trail; managing users (issue 3) ------------------


def ensure_sees_cycle(session: Session, actor: Actor, cycle_id: int) -> None:
    """A cycle is seen by whoever sees its key task; NotFound otherwise (existence not disclosed)."""
    key_task_id = session.scalar(select(Cycle.key_task_id).where(Cycle.id == cycle_id))
    if key_task_id is None:
        raise NotFound(f"办理周期 {cycle_id} 不存在或无权查看")
    try:
        ensure_sees_key_task(session, actor, key_task_id)
    except NotFound:
        raise NotFound(f"办理周期 {cycle_id} 不存在或无权查看") from None


def sees_step_content(actor: Actor, step_unit_id: int | None, cycle_lead_unit_id: int) -> bool:
    """What was written on a step (its data, comment, attachments) is read by the roles that see
    everything, by the step's own unit, and by the cycle's lead unit (which consolidates the
    co-units' inputs and receives the review and approval). A co-unit never reads another's."""
    if sees_everything(actor):
        return True
    if actor.role not in UNIT_ROLES or actor.unit_id is None:
        return False
    return actor.unit_id in (step_unit_id, cycle_lead_unit_id)


AUDIT_READERS = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.SYSTEM})


def audit_scope(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on AuditEvent: supervisors, leaders and admins read every event; units read
    the events of cycles whose key task they take part in (never logins or administration)."""
    if actor.role in AUDIT_READERS:
        return true()
    if actor.role not in UNIT_ROLES:
        return AuditEvent.id.is_(None)
    return exists().where(
        Cycle.id == AuditEvent.cycle_id,
        KeyTaskUnit.key_task_id == Cycle.key_task_id,
        KeyTaskUnit.unit_id == actor.unit_id,
    )


def ensure_can_manage_users(actor: Actor) -> None:
    ensure_can_manage(actor, "管理用户")


# -- statistics and the league table (issue 5) -----------------------------------------------


def ensure_can_see_statistics(actor: Actor) -> None:
    """统计 and 打擂台 compare units with each other, in the open (the point of 打擂台): the office,
    the leaders, the admins, and each unit's head, who reads them (nothing there is an action).
    A unit head opens from them only its own unit's steps (``ensure_sees_human_task``)."""
    require_role(actor, Role.UNIT_HEAD, Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.SYSTEM, doing="查看统计和打擂台")


# -- plans ------------------------------------------------------------------------------------


def ensure_can_import_plans(actor: Actor, doing: str = "导入计划") -> None:
    """Plans are imported, published, archived and revised by the office and the admins (and the CLI)."""
    require_role(actor, Role.ADMIN, Role.SUPERVISOR, Role.SYSTEM, doing=doing)


# -- what an actor may do, as yes/no: the pages' menus and buttons ask here -----------------------
# Each is the ensure_… check above answered without raising, so a button is shown exactly when the
# action would be allowed.


def permits(check: Callable[..., None], *args: Any) -> bool:
    """Whether ``check(*args)`` lets the action through (it raises Forbidden when not)."""
    try:
        check(*args)
    except Forbidden:
        return False
    return True


def may_see_statistics(actor: Actor) -> bool:
    return permits(ensure_can_see_statistics, actor)


def ensure_may_batch_complete(actor: Actor) -> None:
    """批量办理 (the office, the leaders; each item still asks ``ensure_can_act``), before the body."""
    require_role(actor, Role.SUPERVISOR, Role.LEADER, doing="批量办理")


def ensure_may_issue_notices(actor: Actor) -> None:
    """督办通知单 (the paper notice of an overdue step) are drawn up by the office and the leaders."""
    require_role(actor, Role.SUPERVISOR, Role.LEADER, doing="出具督办通知单")


def may_issue_notices(actor: Actor) -> bool:
    return permits(ensure_may_issue_notices, actor)


def may_start_cycles(actor: Actor) -> bool:
    return permits(ensure_can_start_cycles, actor)


def may_import_plans(actor: Actor) -> bool:  # and 发布/归档 on the 计划 page: the same people
    return permits(ensure_can_import_plans, actor)


def may_manage(actor: Actor) -> bool:
    """Users, units and holiday calendars (the administration pages)."""
    return permits(ensure_can_manage, actor, "管理")


def may_decide_extensions(actor: Actor) -> bool:
    """The supervisor (first) and the leader (beyond the configured days) decide extension requests."""
    return any(permits(ensure_can_decide_extension, actor, stage) for stage in ExtensionStage)


def may_use_extensions(actor: Actor) -> bool:
    """Whoever asks for extensions (a unit's people, for their own steps) or decides them."""
    return actor.role in UNIT_ROLES or may_decide_extensions(actor)


def can_request_extension(actor: Actor, task: HumanTaskLike, party: str) -> bool:
    return permits(ensure_can_request_extension, actor, task, party)


def waits_for_unit_head(actor: Actor, task: HumanTaskLike, config: Config) -> bool:
    """The actor is staff of the step's own unit, and only the unit's head may do this step: the
    page tells them so instead of offering a form."""
    return (
        actor.role == Role.UNIT_STAFF
        and task.unit_id is not None
        and task.unit_id == actor.unit_id
        and task.step_id in config.permissions.head_required_steps
    )


# -- the year: indicators, progress, 销号, 考评 and 打擂台 (issue 12) -----------------------------


def ensure_can_manage_indicators(actor: Actor) -> None:
    """Indicators are added, corrected and retired by the supervision office and the admins."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM, doing="管理量化指标")


def sees_all_scores(actor: Actor) -> bool:
    """The office, the leaders and the admins read every round's scores, published or not, with
    every unit's breakdown; a unit reads published rounds only, and its own breakdown."""
    return actor.role in (Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.SYSTEM)


def ensure_can_adjust_scores(actor: Actor) -> None:
    """加减分 is the supervision office's."""
    require_role(actor, Role.SUPERVISOR, Role.SYSTEM, doing="考评加减分")


def ensure_can_publish_league(actor: Actor) -> None:
    """The supervision office publishes (发布) a round's league tables."""
    require_role(actor, Role.SUPERVISOR, Role.SYSTEM, doing="发布打擂台结果")


def ensure_can_apply_for_closing(session: Session, actor: Actor, key_task_id: int) -> None:
    """办结销号 is applied for by the key task's primary lead unit (its head: the application step
    needs one, see [permissions]), or opened on its behalf by the supervision office."""
    if actor.role in (Role.SUPERVISOR, Role.SYSTEM):
        return
    ensure_sees_key_task(session, actor, key_task_id)
    lead = session.scalar(
        select(KeyTaskUnit.unit_id)
        .where(KeyTaskUnit.key_task_id == key_task_id, KeyTaskUnit.part == "lead")
        .order_by(KeyTaskUnit.position)
        .limit(1)
    )
    if actor.role != Role.UNIT_HEAD or actor.unit_id != lead:
        raise Forbidden("办结销号由主牵头单位的负责人申请(或由督查室代为发起)")


def ensure_can_carry_over(actor: Actor) -> None:
    """挂账 at the year's end is the scheduler's (or, by hand, the office's and the admins')."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM, doing="年终挂账结转")


def may_manage_indicators(actor: Actor) -> bool:
    return permits(ensure_can_manage_indicators, actor)


def may_adjust_scores(actor: Actor) -> bool:
    return permits(ensure_can_adjust_scores, actor)


def may_publish_league(actor: Actor) -> bool:
    return permits(ensure_can_publish_league, actor)


def may_apply_for_closing(session: Session, actor: Actor, key_task_id: int) -> bool:
    """Whether the page offers 申请办结销号 (the key task's year must still be open, which the caller knows)."""
    try:
        ensure_can_apply_for_closing(session, actor, key_task_id)
    except (Forbidden, NotFound):
        return False
    return True


def applies_for_itself(actor: Actor) -> bool:
    """A unit's head who opened a 销号 goes on to fill in its application; the office does not."""
    return actor.role == Role.UNIT_HEAD


def ensure_can_draft_bulletin(actor: Actor) -> None:
    """The 督查通报 is the office's document (it carries scores before they are published): the office,
    the leaders and the admins draw it up; units read it once it is sent."""
    require_role(actor, Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.SYSTEM, doing="生成督查通报")


def may_draft_bulletin(actor: Actor) -> bool:
    return permits(ensure_can_draft_bulletin, actor)


# -- off the happy path: the moves of the supervision office and the units (issue 11) ----------


def ensure_can_urge(actor: Actor, task: HumanTaskLike, party: str, lead_unit_id: int) -> None:
    """催办 by hand: the supervisor on any open unit step; the lead unit's head on the open inputs
    of its own key task's co-units (it waits for them to consolidate)."""
    if task.role != Assignee.UNIT:
        raise Forbidden(f"“{task.step_name}”不是单位的待办,无需催办")
    if actor.role in (Role.SUPERVISOR, Role.SYSTEM):
        return
    if actor.role == Role.UNIT_HEAD and party == Party.CO_UNIT and actor.unit_id == lead_unit_id:
        return
    raise Forbidden("催办由督查室发出;牵头单位负责人可催办本任务责任单位的意见")


def ensure_can_waive(actor: Actor) -> None:
    """免报 (finishing a co-unit's input without it) is the supervision office's."""
    require_role(actor, Role.SUPERVISOR, Role.SYSTEM, doing="免报")


def ensure_can_reassign(actor: Actor) -> None:
    """转办 (giving an open step to another unit) is the supervision office's."""
    require_role(actor, Role.SUPERVISOR, Role.SYSTEM, doing="转办")


def ensure_can_decline(actor: Actor, task: HumanTaskLike, config: Config) -> None:
    """退回交办: whoever may do a unit's step may say it is not the unit's business."""
    if task.role != Assignee.UNIT:
        raise Forbidden(f"“{task.step_name}”不是单位的待办,不能退回交办")
    ensure_can_act(actor, task, config)


def ensure_can_decide_decline(actor: Actor) -> None:
    """The supervision office answers a 退回交办: 转办 to another unit, or 维持交办."""
    require_role(actor, Role.SUPERVISOR, Role.SYSTEM, doing="处理退回交办")


def ensure_can_close_inputs(actor: Actor, lead_unit_id: int) -> None:
    """截止汇总: the cycle's lead unit's head closes the round of co-unit inputs at their deadline."""
    if actor.role == Role.SYSTEM:
        return
    if actor.role != Role.UNIT_HEAD or actor.unit_id != lead_unit_id:
        raise Forbidden("截止汇总由牵头单位负责人操作")


def ensure_can_withdraw(actor: Actor, task: HumanTaskLike, config: Config) -> None:
    """撤回: who could do a unit's step may take its submission back (before the next step acted)."""
    if task.role != Assignee.UNIT:
        raise Forbidden(f"“{task.step_name}”不是单位的环节,不能撤回")
    ensure_can_act(actor, task, config)


def ensure_can_withdraw_extension(actor: Actor, unit_id: int) -> None:
    """A unit takes back its own pending extension request (its people, head or staff)."""
    if actor.role not in UNIT_ROLES or actor.unit_id != unit_id:
        raise Forbidden("只能撤回本单位的延期申请")


def ensure_can_cancel_cycle(actor: Actor) -> None:
    """撤销 (calling a cycle off) is the supervision office's."""
    require_role(actor, Role.SUPERVISOR, Role.SYSTEM, doing="撤销办理周期")


def may_urge(actor: Actor, task: HumanTaskLike, party: str, lead_unit_id: int) -> bool:
    return permits(ensure_can_urge, actor, task, party, lead_unit_id)


def may_decline(actor: Actor, task: HumanTaskLike, config: Config) -> bool:
    return permits(ensure_can_decline, actor, task, config)


def may_withdraw(actor: Actor, task: HumanTaskLike, config: Config) -> bool:
    return permits(ensure_can_withdraw, actor, task, config)


def may_supervise(actor: Actor) -> bool:
    """免报, 转办, 撤销 and the answers to 退回交办: the supervision office's buttons."""
    return permits(ensure_can_waive, actor)


def may_close_inputs(actor: Actor, lead_unit_id: int) -> bool:
    return permits(ensure_can_close_inputs, actor, lead_unit_id)
