"""Managing the unit directory (admins): add a unit, switch it on or off, give it other names
(aliases), and edit the groups plans name by one word (各镇街, 区直各部门).

Every change is an audit event. Units are never deleted: cycles, users and audit events refer to
them; a unit no longer in use is made inactive, which keeps it out of new plans.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import delete, select

from db.models import Cycle, HumanTask, HumanTaskState, KeyTask, Unit, UnitAlias, UnitGroup, UnitGroupMember, UnitKind

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ..common import audit, authz
from ..common.actor import Actor
from ..cycles.moves import lock_task
from ..supervision.step_moves import reassign_locked, waivable, waive_locked

MAX_NAME = 100


def _name(value: object, field: str, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"请填写{label}", field=field)
    text = " ".join(value.split())
    if len(text) > MAX_NAME:
        raise Invalid(f"{label}不能超过 {MAX_NAME} 字", field=field)
    return text


def _taken(work: Work, name: str) -> str | None:
    """What already goes by this name: a unit, an alias or a group."""
    if work.session.scalar(select(Unit.id).where(Unit.name == name)) is not None:
        return "单位"
    if work.session.get(UnitAlias, name) is not None:
        return "单位别名"
    if work.session.scalar(select(UnitGroup.id).where(UnitGroup.name == name)) is not None:
        return "单位分组"
    return None


def add_unit(work: Work, actor: Actor, name: object, kind: object) -> int:
    authz.ensure_can_manage(actor, "管理单位")
    text = _name(name, "name", "单位名称")
    if kind not in UnitKind.labels() or kind == UnitKind.DISTRICT:
        choices = "、".join(k.label for k in UnitKind if k != UnitKind.DISTRICT)
        raise Invalid(f"请选择单位类别: {choices}", field="kind")
    taken = _taken(work, text)
    if taken:
        raise Conflict(f"“{text}”已是一个{taken}的名称", field="name")
    district = work.session.scalar(select(Unit.id).where(Unit.kind == UnitKind.DISTRICT))
    unit = Unit(name=text, kind=UnitKind(kind), parent_id=district, created_at=work.now)
    work.session.add(unit)
    work.session.flush()
    audit.record(work, actor, "unit.added", data={"unit_id": unit.id, "name": text, "kind": kind})
    return unit.id


def set_unit_active(
    work: Work, actor: Actor, unit_id: int, active: bool, *, steps: object = None, comment: object = None
) -> None:
    """Switches a unit on or off (admins). Disabling a unit with open steps is refused (409, the
    problem's ``open_steps`` lists them) unless ``steps`` says what becomes of each: a mapping of
    human task id (as text or number) to ``"waive"`` (免报: a co-unit's input only) or a unit id
    (转办 to that active unit, this round only); ``comment`` is the reason the units are told
    (default: the unit was disabled). Each is done as the office's move would be (engine, audit,
    notices), in this transaction. New cycles never give an inactive unit a step (cycles/start.py).
    Audit: ``unit.disabled`` / ``unit.enabled``. Raises NotFound, Conflict, Invalid (``steps``)."""
    authz.ensure_can_manage(actor, "管理单位")
    unit = work.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    if unit.kind in (UnitKind.DISTRICT, UnitKind.OFFICE, UnitKind.LEADERSHIP) and not active:
        raise Conflict(f"“{unit.name}”是督办体系本身的单位,不能停用")
    if not active and unit.active:
        _settle_open_steps(work, actor, unit, steps, comment)
    if unit.active != active:
        unit.active = active
        work.session.flush()
        audit.record(work, actor, "unit.enabled" if active else "unit.disabled", data={"unit_id": unit.id})


@dataclass(frozen=True)
class OpenStep:
    """An open step of a unit about to be disabled, and whether it may be waived (an input)."""

    id: int
    cycle_id: int
    step_name: str
    key_task_number: int
    key_task_title: str
    round: str
    waivable: bool


def unit_open_steps(work: Work, actor: Actor, unit_id: int) -> list[OpenStep]:
    """The unit's open steps, oldest first (what disabling it must settle). Admins only."""
    authz.ensure_can_manage(actor, "管理单位")
    rows = work.session.execute(
        select(HumanTask, Cycle, KeyTask.number, KeyTask.title)
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .where(HumanTask.unit_id == unit_id, HumanTask.state == HumanTaskState.OPEN)
        .order_by(HumanTask.id)
    ).all()
    return [
        OpenStep(t.id, t.cycle_id, t.step_name, number, title, c.round, waivable(work, t, c))
        for t, c, number, title in rows
    ]


def _settle_open_steps(work: Work, actor: Actor, unit: Unit, steps: object, comment: object) -> None:
    found = unit_open_steps(work, actor, unit.id)
    if not found:
        return
    plan = steps if isinstance(steps, dict) else {}
    choices = {str(k): v for k, v in plan.items()}
    missing = [s for s in found if str(s.id) not in choices]
    if missing:
        listed = "、".join(f"重点任务{s.key_task_number}“{s.step_name}”(待办 {s.id})" for s in missing)
        raise Conflict(
            f"“{unit.name}”还有 {len(missing)} 个未办结的环节:{listed}。请为每个环节选择免报或转办后再停用",
            extra={"open_steps": [asdict(s) for s in missing]},
        )
    reason = comment if isinstance(comment, str) and comment.strip() else f"“{unit.name}”已停用"
    for step in found:
        choice = choices[str(step.id)]
        task, cycle = lock_task(work, actor, step.id)
        if choice == "waive":
            if not step.waivable:
                raise Invalid(f"“{step.step_name}”(待办 {step.id})不能免报,请选择转办", field=f"steps.{step.id}")
            waive_locked(work, actor, task, cycle, comment=reason)
        elif (isinstance(choice, int) and not isinstance(choice, bool)) or (
            isinstance(choice, str) and choice.isdigit()
        ):
            reassign_locked(work, actor, task, cycle, unit_id=int(choice), comment=reason, scope="cycle")
        else:
            raise Invalid(f"待办 {step.id} 应选择 waive(免报)或一个单位编号(转办)", field=f"steps.{step.id}")


def add_alias(work: Work, actor: Actor, unit_id: int, alias: object) -> None:
    authz.ensure_can_manage(actor, "管理单位")
    unit = work.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    text = _name(alias, "alias", "别名")
    taken = _taken(work, text)
    if taken:
        raise Conflict(f"“{text}”已是一个{taken}的名称", field="alias")
    work.session.add(UnitAlias(alias=text, unit_id=unit.id))
    work.session.flush()
    audit.record(work, actor, "unit.alias_added", data={"unit_id": unit.id, "alias": text})


def remove_alias(work: Work, actor: Actor, alias: str) -> None:
    authz.ensure_can_manage(actor, "管理单位")
    found = work.session.get(UnitAlias, alias)
    if found is None:
        raise NotFound(f"别名“{alias}”不存在")
    unit_id = found.unit_id
    work.session.delete(found)
    work.session.flush()
    audit.record(work, actor, "unit.alias_removed", data={"unit_id": unit_id, "alias": alias})


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    member_ids: tuple[int, ...]


def list_groups(work: Work) -> list[GroupView]:
    groups = work.session.scalars(select(UnitGroup).order_by(UnitGroup.id)).all()
    return [GroupView(g.id, g.name, tuple(m.unit_id for m in g.members)) for g in groups]


def save_group(work: Work, actor: Actor, group_id: int | None, name: object, unit_ids: list[int]) -> int:
    """Creates a group (``group_id`` None) or renames it and replaces its members."""
    authz.ensure_can_manage(actor, "管理单位分组")
    text = _name(name, "name", "分组名称")
    known = set(work.session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids or [-1]))))
    unknown = [str(u) for u in unit_ids if u not in known]
    if unknown:
        raise Invalid(f"单位 {'、'.join(unknown)} 不存在", field="members")
    if group_id is None:
        if _taken(work, text):
            raise Conflict(f"“{text}”已被使用", field="name")
        group = UnitGroup(name=text)
        work.session.add(group)
        work.session.flush()
    else:
        found = work.session.get(UnitGroup, group_id)
        if found is None:
            raise NotFound(f"单位分组 {group_id} 不存在")
        group = found
        if group.name != text and _taken(work, text):
            raise Conflict(f"“{text}”已被使用", field="name")
        group.name = text
        work.session.execute(delete(UnitGroupMember).where(UnitGroupMember.group_id == group.id))
    for position, unit_id in enumerate(dict.fromkeys(unit_ids)):
        work.session.add(UnitGroupMember(group_id=group.id, unit_id=unit_id, position=position))
    work.session.flush()
    work.session.expire(group)
    audit.record(work, actor, "unit_group.saved", data={"group_id": group.id, "name": text, "members": list(unit_ids)})
    return group.id
