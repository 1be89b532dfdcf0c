"""Writing a plan's key tasks and their units (a fresh import, a draft replaced, tasks a revision adds)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from db.models import KeyTask, KeyTaskUnit, Plan, Unit

from ...errors import Invalid
from ...plans.model import ParsedTask, Target
from ...runtime import Work
from ...vocabulary import UnitPart
from .units import unit_directory


def write_tasks(work: Work, plan: Plan, tasks: Iterable[ParsedTask]) -> list[tuple[KeyTask, tuple[Target, ...]]]:
    """Adds the key tasks to the plan, each with its lead units (in the plan's order, the first
    the primary lead) and co-units (group words expanded); returns each with its targets.
    Raises Invalid (field ``units``) for a unit the directory does not know."""
    session = work.session
    by_name = {u.name: u for u in session.scalars(select(Unit))}
    written: list[tuple[KeyTask, tuple[Target, ...]]] = []
    for task in tasks:
        key_task = KeyTask(
            plan_id=plan.id,
            number=task.number,
            section=task.section,
            title=task.title,
            body=task.body,
            lead_units_text="、".join(task.lead_units),
            co_units_text="、".join(task.co_units),
            targets=[t.to_json() for t in task.targets],
            deadline_text=task.deadline.text if task.deadline else None,
            deadline_date=task.deadline.date if task.deadline else None,
        )
        session.add(key_task)
        session.flush()
        write_units(work, key_task.id, task, by_name)
        written.append((key_task, task.targets))
    session.flush()
    return written


def write_units(work: Work, key_task_id: int, task: ParsedTask, by_name: dict[str, Unit]) -> None:
    """The key task's unit rows from the parsed task: leads first, then co-units not already leads."""
    seen: set[int] = set()
    for part, names in ((UnitPart.LEAD, task.lead_units), (UnitPart.CO, task.co_units_resolved)):
        for position, name in enumerate(names):
            unit = resolve_unit(by_name, name, work)
            if unit.id not in seen:
                seen.add(unit.id)
                work.session.add(KeyTaskUnit(key_task_id=key_task_id, unit_id=unit.id, part=part, position=position))
    work.session.flush()


def resolve_unit(by_name: dict[str, Unit], name: str, work: Work) -> Unit:
    """The directory's unit for a name as written (its own name, or an alias); Invalid if none."""
    unit = by_name.get(name)
    if unit is None:
        directory = unit_directory(work.session)
        canonical = directory.resolve(name)
        unit = by_name.get(canonical) if canonical else None
    if unit is None:
        raise Invalid(f"单位 {name} 不在单位名录中", field="units")
    return unit
