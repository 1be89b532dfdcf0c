"""Who may see and do what. The one place that decides; the API and the web pages both go through
the operations, and the operations ask here.

- unit staff and unit heads see the key tasks (and their cycles) in which their unit takes part,
  and act only on their own unit's steps; some steps need the unit head (config).
- supervisors see everything and act on the supervisor's steps (dispatch, review).
- leaders see everything and act on the leader's steps (approve).
- admins see everything and manage users, units and plans; they do not act on steps.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.orm import Session

from db.models import HumanTask, KeyTask, KeyTaskUnit, Role

from ..config import Config
from ..errors import Forbidden, NotFound
from .actor import Actor

UNIT_ROLES = frozenset({Role.UNIT_STAFF.value, Role.UNIT_HEAD.value})
SEE_ALL_ROLES = frozenset({Role.SUPERVISOR.value, Role.LEADER.value, Role.ADMIN.value, "system"})
ROLE_NAMES = {
    "unit_staff": "单位经办人",
    "unit_head": "单位负责人",
    "supervisor": "督查室",
    "leader": "区领导",
    "admin": "系统管理员",
    "system": "系统",
}


def require_role(actor: Actor, *roles: str, doing: str) -> None:
    if actor.role not in roles:
        allowed = "、".join(ROLE_NAMES.get(r, r) for r in roles)
        raise Forbidden(f"{doing}需要以下角色之一: {allowed}")


def sees_everything(actor: Actor) -> bool:
    return actor.role in SEE_ALL_ROLES


def key_task_visible(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on KeyTask: the key tasks this actor may see."""
    if sees_everything(actor):
        return true()
    return exists().where(KeyTaskUnit.key_task_id == KeyTask.id, KeyTaskUnit.unit_id == actor.unit_id)


def ensure_sees_key_task(session: Session, actor: Actor, key_task_id: int) -> None:
    """NotFound rather than Forbidden for what one may not see: its existence is not disclosed."""
    visible = session.scalar(select(KeyTask.id).where(KeyTask.id == key_task_id, key_task_visible(actor)))
    if visible is None:
        raise NotFound(f"重点任务 {key_task_id} 不存在或无权查看")


def ensure_sees_human_task(session: Session, actor: Actor, task: HumanTask) -> None:
    """A step is seen by those who may act on it, and by the roles that see everything.

    A unit never sees another unit's step (a lead unit reads the co-units' inputs on its own
    consolidation step instead)."""
    if sees_everything(actor):
        return
    if actor.role in UNIT_ROLES and task.unit_id is not None and task.unit_id == actor.unit_id:
        return
    raise Forbidden(f"待办 {task.id} 不属于您所在的单位,无权查看")


class StepLike(Protocol):
    """What deciding about a step needs: a HumanTask, or a row read with its columns."""

    role: str
    unit_id: int | None
    step_id: str
    step_name: str


def ensure_can_act(actor: Actor, task: StepLike, config: Config) -> None:
    """Raises Forbidden unless this actor may complete this step."""
    if task.role == "supervisor":
        require_role(actor, Role.SUPERVISOR.value, doing=f"办理“{task.step_name}”")
        return
    if task.role == "leader":
        require_role(actor, Role.LEADER.value, doing=f"办理“{task.step_name}”")
        return
    if actor.role not in UNIT_ROLES:
        raise Forbidden(f"“{task.step_name}”由承办单位办理")
    if task.unit_id != actor.unit_id:
        raise Forbidden(f"“{task.step_name}”不是您所在单位的待办")
    if task.step_id in config.permissions.head_required_steps and actor.role != Role.UNIT_HEAD.value:
        raise Forbidden(f"“{task.step_name}”需要单位负责人办理")


def can_act(actor: Actor, task: StepLike, config: Config) -> bool:
    try:
        ensure_can_act(actor, task, config)
    except Forbidden:
        return False
    return True


def ensure_can_manage(actor: Actor, doing: str) -> None:
    require_role(actor, Role.ADMIN.value, "system", doing=doing)


def ensure_can_start_cycles(actor: Actor) -> None:
    require_role(actor, Role.SUPERVISOR.value, Role.ADMIN.value, "system", doing="启动办理周期")
