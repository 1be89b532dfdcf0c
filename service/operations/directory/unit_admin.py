"""Managing the unit directory (admins): add a unit, switch it on or off, give it other names
(aliases), and edit the groups plans name by one word (各镇街, 区直各部门).

Every change is an audit event. Units are never deleted: cycles, users and audit events refer to
them; a unit no longer in use is made inactive, which keeps it out of new plans.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from db.models import Unit, UnitAlias, UnitGroup, UnitGroupMember, UnitKind

from ...errors import Conflict, Invalid, NotFound
from ...runtime import Work
from ..common import audit, authz
from ..common.actor import Actor

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


def set_unit_active(work: Work, actor: Actor, unit_id: int, active: bool) -> None:
    authz.ensure_can_manage(actor, "管理单位")
    unit = work.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    if unit.kind in (UnitKind.DISTRICT, UnitKind.OFFICE, UnitKind.LEADERSHIP) and not active:
        raise Conflict(f"“{unit.name}”是督办体系本身的单位,不能停用")
    if unit.active != active:
        unit.active = active
        work.session.flush()
        audit.record(work, actor, "unit.enabled" if active else "unit.disabled", data={"unit_id": unit.id})


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
