"""What a revision of a plan changes: the key tasks of the plan as it stands matched with the key
tasks of the changed file, and per key task what differs (number, text, units, targets, deadline).

Matching (issue 13 item 9): first by number, when the texts are still alike (a renumbered plan
does not pair different tasks); then the rest by text similarity (title and the start of the body,
Dice's coefficient of their character pairs), best pairs first. What stays unmatched is removed (old) or added (new).
Read-only: ``plan_revision.py`` applies what this finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Cycle, KeyTask, Plan

from ...plans.directory import UnitDirectory
from ...plans.model import ParsedPlan, ParsedTask
from ...vocabulary import CycleStatus, PlanStatus, TaskRevision, UnitPart

# Same number: alike enough to be the same task reworded. Another number: alike enough to be the
# same task moved.
SAME_NUMBER_RATIO = 0.3
MOVED_RATIO = 0.5
_BODY_CHARS = 400


@dataclass(frozen=True)
class TaskChange:
    """One key task's fate in a revision. ``key_task_id`` is the task kept (changed, same, removed);
    ``new`` the parsed task (changed, same, added). ``fields`` maps a changed field (number, title,
    body, section, deadline) to (old, new). Unit and target lists are what is added and removed."""

    kind: TaskRevision
    key_task_id: int | None
    old_number: int | None
    new_number: int | None
    title: str
    new: ParsedTask | None = None
    similarity: float = 0.0
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    leads_added: tuple[str, ...] = ()
    leads_removed: tuple[str, ...] = ()
    co_added: tuple[str, ...] = ()
    co_removed: tuple[str, ...] = ()
    targets_added: tuple[str, ...] = ()
    targets_removed: tuple[str, ...] = ()
    running_cycles: tuple[int, ...] = ()

    @property
    def units_changed(self) -> bool:
        return bool(self.leads_added or self.leads_removed or self.co_added or self.co_removed)

    @property
    def label(self) -> str:
        return self.kind.label

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "kind_label": self.kind.label,
            "key_task_id": self.key_task_id,
            "old_number": self.old_number,
            "new_number": self.new_number,
            "title": self.title,
            "similarity": round(self.similarity, 2),
            "fields": {name: {"old": old, "new": new} for name, (old, new) in self.fields.items()},
            "lead_units": {"added": list(self.leads_added), "removed": list(self.leads_removed)},
            "co_units": {"added": list(self.co_added), "removed": list(self.co_removed)},
            "targets": {"added": list(self.targets_added), "removed": list(self.targets_removed)},
            "running_cycles": list(self.running_cycles),
        }


@dataclass(frozen=True)
class RevisionPreview:
    """A revision of plan ``plan_id`` (now at ``revision``, ``status``): every key task's change.
    ``recognised`` says the plan was found by title and year (else it was chosen)."""

    plan_id: int
    title: str
    status: PlanStatus
    revision: int
    recognised: bool
    tasks: tuple[TaskChange, ...]

    def count(self, kind: TaskRevision) -> int:
        return sum(1 for t in self.tasks if t.kind == kind)

    @property
    def changed(self) -> bool:
        return any(t.kind != TaskRevision.SAME for t in self.tasks)

    @property
    def running_affected(self) -> int:
        """Running cycles of key tasks whose units change or that are removed."""
        return sum(len(t.running_cycles) for t in self.tasks if t.kind == TaskRevision.REMOVED or t.units_changed)

    def as_json(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "title": self.title,
            "status": self.status.value,
            "revision": self.revision,
            "recognised": self.recognised,
            "counts": {kind.value: self.count(kind) for kind in TaskRevision},
            "running_cycles_affected": self.running_affected,
            "tasks": [t.as_json() for t in self.tasks],
        }


def find_revised_plan(session: Session, parsed: ParsedPlan, year: int | None) -> Plan | None:
    """The plan a file is a changed version of: the newest one not archived with the same title
    and year (None when there is none)."""
    return session.scalar(
        select(Plan)
        .where(Plan.title == parsed.title, Plan.status != PlanStatus.ARCHIVED)
        .where(Plan.year.is_(None) if year is None else Plan.year == year)
        .order_by(Plan.id.desc())
        .limit(1)
    )


def _text(title: str, body: str) -> str:
    return f"{title}\n{body[:_BODY_CHARS]}"


def _pairs(text: str) -> frozenset[str]:
    """The text's pairs of neighbouring characters (spaces and punctuation left out)."""
    kept = "".join(ch for ch in text if ch.isalnum())
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1)) or frozenset({kept})


def _ratio(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice's coefficient of two texts' character pairs: 1 for the same text, about 0.1–0.3 for two
    different tasks of one plan, 0.6 and more for a task reworded. Linear in the texts' length, so a
    plan of a few hundred tasks renumbered throughout matches in well under a second."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def match_tasks(
    old: Sequence[tuple[int, str]], new: Sequence[tuple[int, str]]
) -> list[tuple[int | None, int | None, float]]:
    """Pairs (old index, new index, similarity) from ``(number, text)`` lists: by number while alike,
    then by similarity, best first; unmatched ones pair with None. Order: the new file's order, the
    removed ones after."""
    old_pairs = [_pairs(text) for _number, text in old]
    new_pairs = [_pairs(text) for _number, text in new]
    pairs: dict[int, tuple[int, float]] = {}  # new index -> (old index, ratio)
    used: set[int] = set()
    old_by_number = {number: i for i, (number, _text) in enumerate(old)}
    for j, (number, _text) in enumerate(new):
        i = old_by_number.get(number)
        if i is not None and i not in used:
            ratio = _ratio(old_pairs[i], new_pairs[j])
            if ratio >= SAME_NUMBER_RATIO:
                pairs[j] = (i, ratio)
                used.add(i)
    candidates: list[tuple[float, int, int]] = []
    for j in range(len(new)):
        if j in pairs:
            continue
        for i in range(len(old)):
            if i not in used:
                ratio = _ratio(old_pairs[i], new_pairs[j])
                if ratio >= MOVED_RATIO:
                    candidates.append((ratio, i, j))
    for ratio, i, j in sorted(candidates, key=lambda c: (-c[0], c[2], c[1])):
        if i not in used and j not in pairs:
            pairs[j] = (i, ratio)
            used.add(i)
    out: list[tuple[int | None, int | None, float]] = [
        (pairs[j][0], j, pairs[j][1]) if j in pairs else (None, j, 0.0) for j in range(len(new))
    ]
    out.extend((i, None, 0.0) for i in range(len(old)) if i not in used)
    return out


def _names(directory: UnitDirectory, names: Sequence[str]) -> list[str]:
    """Names as the directory calls them (an unknown name as written), duplicates dropped."""
    return list(dict.fromkeys(directory.resolve(n) or n for n in names))


def _delta(old: Sequence[str], new: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(n for n in new if n not in old), tuple(n for n in old if n not in new)


def preview_revision(
    session: Session, plan: Plan, parsed: ParsedPlan, directory: UnitDirectory, *, recognised: bool
) -> RevisionPreview:
    """Every key task's change if ``parsed`` replaced ``plan`` (active key tasks only; retired ones
    stay retired)."""
    old_tasks = list(
        session.scalars(
            select(KeyTask).where(KeyTask.plan_id == plan.id, KeyTask.active.is_(True)).order_by(KeyTask.number)
        )
    )
    running: dict[int, list[int]] = {}
    for cycle_id, key_task_id in session.execute(
        select(Cycle.id, Cycle.key_task_id)
        .join(KeyTask, KeyTask.id == Cycle.key_task_id)
        .where(KeyTask.plan_id == plan.id, Cycle.status == CycleStatus.RUNNING)
        .order_by(Cycle.id)
    ):
        running.setdefault(key_task_id, []).append(cycle_id)
    pairs = match_tasks(
        [(t.number, _text(t.title, t.body)) for t in old_tasks],
        [(t.number, _text(t.title, t.body)) for t in parsed.tasks],
    )
    changes: list[TaskChange] = []
    for i, j, ratio in pairs:
        if i is None and j is not None:
            task = parsed.tasks[j]
            changes.append(TaskChange(TaskRevision.ADDED, None, None, task.number, task.title, new=task))
            continue
        assert i is not None
        old = old_tasks[i]
        if j is None:
            changes.append(
                TaskChange(
                    TaskRevision.REMOVED,
                    old.id,
                    old.number,
                    None,
                    old.title,
                    running_cycles=tuple(running.get(old.id, ())),
                )
            )
            continue
        changes.append(_compare(old, parsed.tasks[j], ratio, directory, tuple(running.get(old.id, ()))))
    return RevisionPreview(
        plan_id=plan.id,
        title=plan.title,
        status=PlanStatus(plan.status),
        revision=plan.revision,
        recognised=recognised,
        tasks=tuple(changes),
    )


def _compare(
    old: KeyTask, new: ParsedTask, ratio: float, directory: UnitDirectory, running: tuple[int, ...]
) -> TaskChange:
    fields: dict[str, tuple[Any, Any]] = {}
    new_deadline = new.deadline.text if new.deadline else None
    for name, before, after in (
        ("number", old.number, new.number),
        ("title", old.title, new.title),
        ("body", old.body, new.body),
        ("section", old.section, new.section),
        ("deadline", old.deadline_text, new_deadline),
    ):
        if (before or None) != (after or None):
            fields[name] = (before, after)
    old_leads = [u.unit.name for u in old.units if u.part == UnitPart.LEAD]
    old_co = [u.unit.name for u in old.units if u.part == UnitPart.CO]
    new_leads = _names(directory, new.lead_units)
    new_co = [n for n in _names(directory, new.co_units_resolved) if n not in new_leads]
    leads_added, leads_removed = _delta(old_leads, new_leads)
    co_added, co_removed = _delta(old_co, new_co)
    if not (leads_added or leads_removed) and old_leads[:1] != new_leads[:1]:
        fields["primary_lead"] = (old_leads[0] if old_leads else None, new_leads[0] if new_leads else None)
    old_targets = [str(t.get("text", "")) for t in old.targets]
    new_targets = [t.text for t in new.targets]
    targets_added, targets_removed = _delta(old_targets, new_targets)
    kind = (
        TaskRevision.CHANGED
        if fields or leads_added or leads_removed or co_added or co_removed or targets_added or targets_removed
        else TaskRevision.SAME
    )
    return TaskChange(
        kind,
        old.id,
        old.number,
        new.number,
        new.title,
        new=new,
        similarity=ratio,
        fields=fields,
        leads_added=leads_added,
        leads_removed=leads_removed,
        co_added=co_added,
        co_removed=co_removed,
        targets_added=targets_added,
        targets_removed=targets_removed,
        running_cycles=running,
    )
