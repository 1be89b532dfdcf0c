"""Rework keeps the work (issue 11, item 10): after a 退回 or 驳回, the step that opens again for
the same unit starts from its previous version.

- ``carry_over``: the previous version's attachments are attached to the new step (rows only: the
  bytes are stored once under their sha256), so they go with the new version unless the unit
  removes them (``remove_attachment``).
- ``versions`` (a read): the step's earlier versions v1, v2 … in the cycle, each with what was
  submitted, its files, and who sent it back and why; the newest one's fields pre-fill the form.
Nothing here names a step of one diagram: "sent back" is the diagram's ``backward`` decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import aliased

from db.models import Attachment, Cycle, HumanTask, HumanTaskState, Unit, User
from workflows import Diagram

from ...errors import Conflict, NotFound
from ...runtime import Work
from ...vocabulary import Party
from ..common import audit, authz
from ..common.actor import Actor
from .attachments import AttachmentView, attachments_of
from .projection import HumanTaskRef


def carry_over(work: Work, cycle_id: int, opened: Sequence[HumanTaskRef]) -> int:
    """Attaches to each step that opened again after a 退回/驳回 the attachments of its previous
    version (the latest done row of the same step and unit in the cycle). Called by
    ``complete_human_task`` only when its decision sent the work back. Returns how many rows."""
    copied = 0
    for new in opened:
        previous = work.session.scalar(
            select(HumanTask.id)
            .where(
                HumanTask.cycle_id == cycle_id,
                HumanTask.step_id == new.step_id,
                HumanTask.unit_id.is_(None) if new.unit_id is None else HumanTask.unit_id == new.unit_id,
                HumanTask.state == HumanTaskState.DONE,
                HumanTask.id < new.id,
            )
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
            .limit(1)
        )
        if previous is None:
            continue
        rows = [
            {
                "human_task_id": new.id,
                "cycle_id": a.cycle_id,
                "sha256": a.sha256,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "uploaded_by_id": a.uploaded_by_id,
                "uploaded_at": a.uploaded_at,
            }
            for a in work.session.scalars(
                select(Attachment).where(Attachment.human_task_id == previous).order_by(Attachment.id)
            )
        ]
        if rows:
            work.session.execute(insert(Attachment), rows)
            copied += len(rows)
    return copied


def remove_attachment(work: Work, actor: Actor, attachment_id: int) -> None:
    """Removes an attachment from an open step (one carried over from the previous version, or
    uploaded by mistake), by whoever may do the step. The file stays stored for the versions that
    keep it. Audit: ``attachment.removed``. Raises ``NotFound`` (not visible, as a missing one),
    ``Forbidden`` (may not do the step), ``Conflict`` (the step is no longer open)."""
    found = work.session.get(Attachment, attachment_id)
    task = work.session.get(HumanTask, found.human_task_id) if found is not None else None
    if found is None or task is None or not authz.sees_human_task(actor, task.unit_id):
        raise NotFound(f"附件 {attachment_id} 不存在或无权查看")
    authz.ensure_can_act(actor, task, work.runtime.config)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(f"“{task.step_name}”已经办理完毕,附件不能再移除")
    work.session.execute(delete(Attachment).where(Attachment.id == attachment_id))
    audit.record(
        work,
        actor,
        "attachment.removed",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"attachment": attachment_id, "filename": found.filename, "sha256": found.sha256},
    )


@dataclass(frozen=True)
class SentBackBy:
    """Who sent a version back, and why (the backward decision that followed it)."""

    step_name: str
    by: str | None  # the person
    party: str  # 区政府督查室, 区领导 …
    at: datetime | None
    decision_label: str | None
    comment: str | None


@dataclass(frozen=True)
class Version:
    """One version of a step (v1, v2 …): what was submitted, by whom, its files, and who sent it
    back and why (every backward decision between it and the next version: a 驳回 and the 退回
    that followed it; empty for a version not sent back)."""

    number: int
    human_task_id: int
    completed_at: datetime | None
    completed_by: str | None
    data: dict[str, Any]
    attachments: tuple[AttachmentView, ...]
    sent_back: tuple[SentBackBy, ...]


def versions(work: Work, actor: Actor, task: HumanTask, cycle: Cycle, diagram: Diagram) -> tuple[Version, ...]:
    """The step's versions in its cycle, oldest first: every done row of the same step (and unit,
    for a per-unit step). Empty when there is no rework to show (no earlier version of an open
    step; a done step that is its only version), or for an actor who may not read the step's
    content (the caller checked the step is visible). One query for the cycle's done rows."""
    if not authz.sees_step_content(actor, task.unit_id, cycle.lead_unit_id):
        return ()
    completer = aliased(User)
    rows = work.session.execute(
        select(HumanTask, completer.display_name, Unit.name)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .where(HumanTask.cycle_id == cycle.id, HumanTask.state == HumanTaskState.DONE)
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    # Positions in the order things were done (when, then id: one instant may hold several).
    position = {row.id: index for index, (row, _by, _unit) in enumerate(rows)}
    mine = [(row, by) for row, by, _unit in rows if row.step_id == task.step_id and row.unit_id == task.unit_id]
    if not mine or (len(mine) == 1 and mine[0][0].id == task.id):
        return ()
    backward = [
        (row, by, unit)
        for row, by, unit in rows
        if (step := diagram.find(row.step_id)) is not None and step.is_backward(row.decision)
    ]
    files = attachments_of(work, [row.id for row, _by in mine])
    out = []
    for index, (row, by) in enumerate(mine):
        after = position[row.id]
        until = position[mine[index + 1][0].id] if index + 1 < len(mine) else len(rows)
        returned = tuple(
            SentBackBy(
                step_name=b.step_name,
                by=b_by,
                party=b_unit or Party.label_of(b.party),
                at=b.completed_at,
                decision_label=diagram.step(b.step_id).decision_label(b.decision),
                comment=b.comment,
            )
            for b, b_by, b_unit in backward
            if after < position[b.id] < until
        )
        out.append(
            Version(
                number=index + 1,
                human_task_id=row.id,
                completed_at=row.completed_at,
                completed_by=by,
                data=dict(row.data or {}),
                attachments=tuple(files.get(row.id, ())),
                sent_back=returned,
            )
        )
    return tuple(out)
