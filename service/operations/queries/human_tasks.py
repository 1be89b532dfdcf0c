"""A human task as the person doing it reads it: everything needed to do the step.

The key task's text; the step's form from the diagram (fields, decision options, which decisions
need a comment); at consolidation every co-unit's input; at review and approval the submitted
report (and at approval the review's verdict); the attachments; the cycle's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from db.models import Cycle, HumanTask, HumanTaskState, KeyTask, Unit, User
from workflows.forms import MAX_COMMENT

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import Party
from ..common import authz
from ..common.actor import Actor
from ..common.lights import light_of
from ..cycles.attachments import AttachmentView, attachments_of
from ..cycles.diagrams import diagram_for_version
from .cycle_views import HumanTaskRecord, cycle_steps
from .key_tasks import UnitRef, summarize


@dataclass(frozen=True)
class FormFieldView:
    name: str
    label: str
    required: bool
    max_length: int


@dataclass(frozen=True)
class DecisionOptionView:
    value: str
    label: str
    comment_required: bool


@dataclass(frozen=True)
class StepForm:
    fields: tuple[FormFieldView, ...]
    decision_options: tuple[DecisionOptionView, ...]  # empty when the step takes no decision
    comment_max_length: int


@dataclass(frozen=True)
class Submitted:
    """What someone submitted on an earlier step (a co-unit's input, the report, a verdict)."""

    human_task_id: int
    step: str
    step_name: str
    unit_id: int | None
    unit: str
    completed_at: datetime | None
    completed_by: str | None
    data: dict[str, Any]
    decision: str | None
    comment: str | None
    attachments: tuple[AttachmentView, ...]


@dataclass(frozen=True)
class KeyTaskText:
    id: int
    number: int
    section: str | None
    title: str
    body: str
    lead_units: tuple[UnitRef, ...]
    co_units: tuple[UnitRef, ...]
    targets: list[dict[str, Any]]
    deadline_text: str | None


@dataclass(frozen=True)
class HumanTaskDetail:
    id: int
    cycle_id: int
    round: str
    step: str
    step_name: str
    party: str
    unit_id: int | None
    unit: str
    state: str
    ready_at: datetime
    due_at: datetime
    due_basis: str
    light: str
    escalation_level: int
    completed_at: datetime | None
    completed_by: str | None
    data: dict[str, Any]
    decision: str | None
    comment: str | None
    can_act: bool
    # An extension may be asked while the step is open and not yet due, by its lead unit's head.
    can_request_extension: bool
    # The actor is staff of the step's unit and the step needs the unit's head.
    waits_for_unit_head: bool
    key_task: KeyTaskText
    form: StepForm
    co_inputs: tuple[Submitted, ...]
    report: Submitted | None
    review: Submitted | None
    attachments: tuple[AttachmentView, ...]
    history: tuple[HumanTaskRecord, ...]


def human_task_detail(work: Work, actor: Actor, human_task_id: int) -> HumanTaskDetail:
    """Raises NotFound for an unknown step, Forbidden for another unit's step."""
    session = work.session
    completer = aliased(User)
    row = session.execute(
        select(HumanTask, Unit.name, completer.display_name)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .where(HumanTask.id == human_task_id)
    ).first()
    if row is None:
        raise NotFound(f"待办 {human_task_id} 不存在")
    task, unit_name, completed_by = row
    authz.ensure_sees_human_task(session, actor, task)
    cycle = session.get(Cycle, task.cycle_id)
    key_task = session.get(KeyTask, task.key_task_id)
    assert cycle is not None and key_task is not None
    diagram = diagram_for_version(work, cycle.diagram_version_id)
    definition = diagram.step(task.step_id)
    decision = definition.decision
    form = StepForm(
        fields=tuple(FormFieldView(f.name, f.label, f.required, f.max_length) for f in definition.fields),
        decision_options=tuple(
            DecisionOptionView(o.value, o.label, o.value in decision.comment_required_for) for o in decision.options
        )
        if decision
        else (),
        comment_max_length=MAX_COMMENT,
    )
    co_inputs: tuple[Submitted, ...] = ()
    report = review = None
    if task.step_id in ("consolidate", "review", "approve"):
        co_inputs = tuple(_latest_done(work, cycle, "co_input", per_unit=True))
    if task.step_id in ("review", "approve"):
        report = next(iter(_latest_done(work, cycle, "consolidate")), None)
    if task.step_id == "approve":
        review = next(iter(_latest_done(work, cycle, "review")), None)
    (summary,) = summarize(work, [(key_task, "")])
    return HumanTaskDetail(
        id=task.id,
        cycle_id=cycle.id,
        round=cycle.round,
        step=task.step_id,
        step_name=task.step_name,
        party=task.party,
        unit_id=task.unit_id,
        unit=unit_name or Party.label_of(task.party),
        state=task.state.value,
        ready_at=task.ready_at,
        due_at=task.due_at,
        due_basis=task.due_basis,
        light=light_of(work.now, task.due_at, task.yellow_at, task.completed_at),
        escalation_level=task.escalation_level,
        completed_at=task.completed_at,
        completed_by=completed_by,
        data=dict(task.data or {}),
        decision=task.decision,
        comment=task.comment,
        can_act=task.state == HumanTaskState.OPEN and authz.can_act(actor, task, work.runtime.config),
        can_request_extension=task.state == HumanTaskState.OPEN
        and work.now <= task.due_at
        and authz.can_request_extension(actor, task, task.party),
        waits_for_unit_head=authz.waits_for_unit_head(actor, task, work.runtime.config),
        key_task=KeyTaskText(
            id=key_task.id,
            number=key_task.number,
            section=key_task.section,
            title=key_task.title,
            body=key_task.body,
            lead_units=summary.lead_units,
            co_units=summary.co_units,
            targets=list(key_task.targets or []),
            deadline_text=key_task.deadline_text,
        ),
        form=form,
        co_inputs=co_inputs,
        report=report,
        review=review,
        attachments=tuple(attachments_of(work, [task.id]).get(task.id, ())),
        history=tuple(cycle_steps(work, actor, cycle)),
    )


def _latest_done(work: Work, cycle: Cycle, step_id: str, *, per_unit: bool = False) -> list[Submitted]:
    """The latest completion of a step in the cycle (per unit for co-unit inputs)."""
    completer = aliased(User)
    rows = work.session.execute(
        select(HumanTask, Unit.name, completer.display_name)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .where(HumanTask.cycle_id == cycle.id, HumanTask.step_id == step_id, HumanTask.state == HumanTaskState.DONE)
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
    ).all()
    chosen: list[Any] = []
    seen: set[int | None] = set()
    for row in rows:
        key = row[0].unit_id if per_unit else None
        if key not in seen:
            seen.add(key)
            chosen.append(row)
        if not per_unit:
            break
    files = attachments_of(work, [r[0].id for r in chosen])
    out = [
        Submitted(
            human_task_id=task.id,
            step=task.step_id,
            step_name=task.step_name,
            unit_id=task.unit_id,
            unit=unit_name or Party.label_of(task.party),
            completed_at=task.completed_at,
            completed_by=by,
            data=dict(task.data or {}),
            decision=task.decision,
            comment=task.comment,
            attachments=tuple(files.get(task.id, ())),
        )
        for task, unit_name, by in chosen
    ]
    out.sort(key=lambda s: (s.unit, s.human_task_id))
    return out
