"""The unit directory: units, their aliases and groups, as plans and pages need them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import Unit, UnitAlias, UnitGroup, UnitKind

from ...plans.directory import UnitDirectory


@dataclass(frozen=True)
class UnitView:
    id: int
    name: str
    kind: str
    kind_name: str
    parent_id: int | None
    active: bool
    aliases: tuple[str, ...]
    groups: tuple[str, ...]


def list_units(session: Session, *, include_inactive: bool = False) -> list[UnitView]:
    units = session.scalars(select(Unit).order_by(Unit.id)).all()
    aliases: dict[int, list[str]] = {}
    for alias in session.scalars(select(UnitAlias).order_by(UnitAlias.alias)):
        aliases.setdefault(alias.unit_id, []).append(alias.alias)
    groups: dict[int, list[str]] = {}
    for group in session.scalars(select(UnitGroup).options(selectinload(UnitGroup.members)).order_by(UnitGroup.id)):
        for member in group.members:
            groups.setdefault(member.unit_id, []).append(group.name)
    return [
        UnitView(
            id=u.id,
            name=u.name,
            kind=u.kind.value,
            kind_name=u.kind.label,
            parent_id=u.parent_id,
            active=u.active,
            aliases=tuple(aliases.get(u.id, ())),
            groups=tuple(groups.get(u.id, ())),
        )
        for u in units
        if include_inactive or u.active
    ]


def unit_directory(session: Session) -> UnitDirectory:
    """The directory the plan parser resolves names against (active units only)."""
    units = session.scalars(
        select(Unit).where(Unit.active.is_(True), Unit.kind != UnitKind.DISTRICT).order_by(Unit.id)
    ).all()
    names = tuple(u.name for u in units)
    by_id = {u.id: u.name for u in units}
    aliases = {a.alias: by_id[a.unit_id] for a in session.scalars(select(UnitAlias)) if a.unit_id in by_id}
    groups = {
        g.name: tuple(by_id[m.unit_id] for m in g.members if m.unit_id in by_id)
        for g in session.scalars(select(UnitGroup).options(selectinload(UnitGroup.members)))
    }
    district = session.scalar(select(Unit.name).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id).limit(1))
    return UnitDirectory(units=names, aliases=aliases, groups=groups, district=district or "")


def units_by_name(session: Session) -> dict[str, Unit]:
    found = {u.name: u for u in session.scalars(select(Unit))}
    for alias in session.scalars(select(UnitAlias)):
        unit = session.get(Unit, alias.unit_id)
        if unit is not None:
            found.setdefault(alias.alias, unit)
    return found
