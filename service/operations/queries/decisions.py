"""What the diagrams say about the decisions people took: their labels, and which of them sent the
work back (a decision's ``backward`` options: 退回, 驳回, or whatever another diagram calls them).

Read code never names a step or a decision value: a row's decision is read against the diagram
version its cycle runs (``diagram_for_version``, deployed once per process and cached).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from db.models import Cycle, HumanTask, HumanTaskState
from workflows import Diagram

from ...runtime import Work
from ..cycles.diagrams import diagram_for_version


@dataclass(frozen=True)
class SentBack:
    """How many times a cycle's work was sent back with one decision, and its label (退回 2)."""

    label: str
    count: int


def diagrams_of(work: Work, version_ids: Iterable[int]) -> dict[int, Diagram]:
    """version id -> its diagram, for the (few) versions named."""
    return {version_id: diagram_for_version(work, version_id) for version_id in set(version_ids)}


def backward_condition(work: Work) -> ColumnElement[bool]:
    """A WHERE clause on HumanTask: the done steps whose decision sent the work back, by the
    diagram each cycle runs. Built from the diagram versions that have cycles (a handful)."""
    version_ids = work.session.scalars(select(Cycle.diagram_version_id).group_by(Cycle.diagram_version_id)).all()
    pairs: dict[str, set[str]] = {}
    for diagram in diagrams_of(work, version_ids).values():
        for step_id, values in diagram.backward.items():
            pairs.setdefault(step_id, set()).update(values)
    if not pairs:
        return false()
    return and_(
        HumanTask.state == HumanTaskState.DONE,
        or_(*(and_(HumanTask.step_id == s, HumanTask.decision.in_(sorted(v))) for s, v in sorted(pairs.items()))),
    )


def sent_back(work: Work, cycle_ids: list[int]) -> dict[int, tuple[SentBack, ...]]:
    """cycle id -> how often its work was sent back, by decision, in the diagram's order of steps
    (a review's 退回 before an approval's 驳回). Cycles never sent back are left out.

    One GROUP BY over the cycles' decided steps; the diagram says which decisions count."""
    if not cycle_ids:
        return {}
    rows = work.session.execute(
        select(HumanTask.cycle_id, Cycle.diagram_version_id, HumanTask.step_id, HumanTask.decision, func.count())
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .where(
            HumanTask.cycle_id.in_(cycle_ids),
            HumanTask.state == HumanTaskState.DONE,
            HumanTask.decision.is_not(None),
        )
        .group_by(HumanTask.cycle_id, Cycle.diagram_version_id, HumanTask.step_id, HumanTask.decision)
    ).all()
    diagrams = diagrams_of(work, [r[1] for r in rows])
    found: dict[int, list[tuple[int, str, int]]] = {}
    for cycle_id, version_id, step_id, decision, count in rows:
        diagram = diagrams[version_id]
        step = diagram.find(step_id)
        if step is None or not step.is_backward(decision):
            continue
        label = step.decision_label(decision) or str(decision)
        found.setdefault(cycle_id, []).append((diagram.stage_of(step_id), label, int(count)))
    return {
        cycle_id: tuple(SentBack(label, count) for _, label, count in sorted(items))
        for cycle_id, items in found.items()
    }


def total_sent_back(counts: tuple[SentBack, ...]) -> int:
    return sum(c.count for c in counts)


def describe_sent_back(counts: tuple[SentBack, ...]) -> str:
    """ "退回 2 次、驳回 1 次" (empty when never sent back)."""
    return "、".join(f"{c.label} {c.count} 次" for c in counts)
