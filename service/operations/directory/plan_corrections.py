"""Corrections made on the import page: a name as written corrected to a unit, a group word
(区直各部门), or several units (区财政局、区教育局), issue 14 item 13.

The parser replaces the name in place by what it was corrected to (``UnitDirectory.corrections``),
so a lead stays a lead and a group word expands to its units. On a real import the correction is
kept for the next plan: to one unit as an alias of it; to a group word or several units as a group
word of its own standing for those units.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from db.models import Unit, UnitAlias, UnitGroup, UnitGroupMember

from ...errors import Invalid
from ...plans.directory import UnitDirectory
from ...plans.model import ParsedPlan
from ...plans.tasks import resolve_co_units
from ...runtime import Work

# What separates several units in a correction: 、 , ; and spaces (as plans list them).
_SEPARATORS = re.compile(r"[、,，;；\s]+")


def corrected_directory(directory: UnitDirectory, renames: Mapping[str, str]) -> UnitDirectory:
    """The directory with the page's corrections. Raises Invalid (field ``renames``) naming every
    target that is neither a unit (or another name of one) nor a group word."""
    corrections = parse_corrections(renames)
    unknown = [
        name
        for names in corrections.values()
        for name in names
        if directory.resolve(name) is None and directory.members(name) is None
    ]
    if unknown:
        raise Invalid(
            f"更正的目标单位不存在: {'、'.join(dict.fromkeys(unknown))}(可填名录中的单位或统称,几个单位之间用“、”隔开)",
            field="renames",
        )
    return UnitDirectory(
        units=directory.units,
        aliases=directory.aliases,
        groups=directory.groups,
        district=directory.district,
        corrections={**directory.corrections, **corrections},
    )


def apply_corrections(parsed: ParsedPlan, directory: UnitDirectory) -> ParsedPlan:
    """The parsed plan with every corrected name replaced, in place, by what it was corrected to
    (``directory.corrections``), wherever the plan wrote it (a table column or a bracket): a
    corrected lead stays a lead (a group word as lead stands for its units), co-units are resolved
    again (group words expanded, except in a plan from elsewhere, where the correction's own group
    word is expanded here), and the problems that said a corrected name is unknown are dropped."""
    if not directory.corrections:
        return parsed

    def swap(names: Sequence[str], expand: bool) -> list[str]:
        out: list[str] = []
        for name in names:
            for target in directory.correction(name) or (name,):
                out += list(directory.members(target) or (target,)) if expand else [target]
        return list(dict.fromkeys(out))

    known = directory.is_canonical if parsed.foreign else directory.is_known
    corrected: set[str] = set()
    tasks = []
    for task in parsed.tasks:
        lead = swap(task.lead_units, True)
        co = [n for n in swap(task.co_units, parsed.foreign) if n not in lead]
        if (lead, co) == (list(task.lead_units), list(task.co_units)):
            tasks.append(task)
            continue
        corrected.update(n for n in (*task.lead_units, *task.co_units) if directory.correction(n))
        tasks.append(
            dataclasses.replace(
                task,
                lead_units=tuple(lead),
                co_units=tuple(co),
                co_units_resolved=resolve_co_units(lead, co, directory, foreign=parsed.foreign),
                unknown_units=tuple(n for n in (*lead, *co) if not known(n)),
            )
        )
    unknown_before = {n for task in parsed.tasks for n in task.unknown_units}
    problems = tuple(
        p
        for p in parsed.problems
        if not (
            "不在单位名录" in p.message
            and (mentioned := [n for n in unknown_before if n in p.message])
            and all(n in corrected for n in mentioned)
        )
    )
    return dataclasses.replace(parsed, tasks=tuple(tasks), problems=problems)


def parse_corrections(renames: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """name as written -> the names it was corrected to (one or more), blanks dropped."""
    out: dict[str, tuple[str, ...]] = {}
    for written, target in renames.items():
        names = tuple(dict.fromkeys(n for n in _SEPARATORS.split(target.strip()) if n))
        if written.strip() and names:
            out[written.strip()] = names
    return out


def keep_corrections(work: Work, directory: UnitDirectory, renames: Mapping[str, str]) -> None:
    """Keeps each correction for the next plan: an alias when it names one unit, else a group word
    standing for the units it names (group words expanded). A name already known (a unit, an
    alias, a group word) is left as it is."""
    session = work.session
    by_name = {u.name: u for u in session.scalars(select(Unit))}
    for written, names in parse_corrections(renames).items():
        if written in by_name or directory.resolve(written) or directory.members(written) is not None:
            continue
        if session.get(UnitAlias, written) is not None:
            continue
        if len(names) == 1 and directory.members(names[0]) is None:
            target = by_name.get(directory.resolve(names[0]) or "")
            if target is not None:
                session.add(UnitAlias(alias=written, unit_id=target.id))
            continue
        members: list[str] = []
        for name in names:
            members += list(directory.members(name) or (directory.resolve(name) or name,))
        units = [by_name[m] for m in dict.fromkeys(members) if m in by_name]
        if units and session.scalar(select(UnitGroup.id).where(UnitGroup.name == written)) is None:
            group = UnitGroup(name=written)
            session.add(group)
            session.flush()
            for position, unit in enumerate(units):
                session.add(UnitGroupMember(group_id=group.id, unit_id=unit.id, position=position))
    session.flush()
