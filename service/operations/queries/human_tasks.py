"""A human task as the person doing it reads it: everything needed to do the step.

The key task's text; the step's form from the diagram (fields, decision options, which decisions
need a comment, the button's words); what the diagram says the step shows of earlier steps
(``<duban:show>``: with the shipped diagram every co-unit's input at consolidation, the report at
review and approval, the review's verdict at approval); the decision that sent the work back to
this step; the attachments; the cycle's history. Nothing here names a step of one diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from db.models import Cycle, Escalation, HumanTask, HumanTaskState, KeyTask, Unit, User
from workflows import Diagram
from workflows.forms import MAX_COMMENT

from ...errors import Forbidden
from ...runtime import Work
from ...vocabulary import UNIT_ROLES, EscalationLevel, HumanTaskOutcome, Party
from ..common import authz
from ..common.actor import Actor
from ..common.lights import light_of
from ..common.timing import working_days_late
from ..cycles.attachments import AttachmentView, attachments_of
from ..cycles.diagrams import diagram_for_version
from ..cycles.rework import Version, versions
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
    backward: bool  # the option sends the work back (退回, 驳回)


@dataclass(frozen=True)
class StepForm:
    fields: tuple[FormFieldView, ...]
    decision_options: tuple[DecisionOptionView, ...]  # empty when the step takes no decision
    decision_label: str | None  # what the choice is called ("审核结论"); None without a decision
    submit_label: str  # the button's words ("签收", "报送"; 提交 when the diagram names none)
    comment_max_length: int
    # "total" or "share" when the step carries a progress report (the diagram's duban:progress).
    progress: str | None = None


@dataclass(frozen=True)
class FieldValue:
    name: str
    label: str
    value: str


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
    fields: tuple[FieldValue, ...]  # the step's form fields with their labels, in the diagram's order
    decision: str | None
    decision_label: str | None
    backward: bool  # the decision sent the work back
    comment: str | None
    attachments: tuple[AttachmentView, ...]
    # An input that ended without a submission: waived (免报, the comment says why) or missed
    # (逾期未报, closed by 截止汇总); None for a submission.
    outcome: str | None = None
    outcome_label: str | None = None


@dataclass(frozen=True)
class ShownStep:
    """An earlier step the diagram shows on this step's page (``<duban:show>``), with its latest
    results as they stood when this step became ready: one per unit for a step done by several."""

    step: str
    step_name: str
    per_unit: bool
    folded: bool
    earlier: bool  # this same step's earlier result (the report before it was sent back)
    items: tuple[Submitted, ...]


@dataclass(frozen=True)
class Overdue:
    """An open step past its deadline: by how much, and how far up the ladder it has gone."""

    working_days: int
    level: int  # the escalation level reached (0 none yet, 1 提醒, 2 催办, 3 督办)
    level_label: str
    since: datetime | None  # when that level was reached
    # That level's day was counted by weekends only (its year is neither loaded nor in the package).
    since_fallback: bool = False


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
    # Why the step's own unit is offered no extension form, when it is not (past the deadline, not
    # the lead unit's step, not the unit's head); None for everyone else.
    extension_note: str | None
    # The actor is staff of the step's unit and the step needs the unit's head.
    waits_for_unit_head: bool
    overdue: Overdue | None
    key_task: KeyTaskText
    form: StepForm
    shown: tuple[ShownStep, ...]
    # The decision that sent the work back to this step (a 退回 with its comment), when it did.
    sent_back: Submitted | None
    attachments: tuple[AttachmentView, ...]
    history: tuple[HumanTaskRecord, ...]
    # Rework (issue 11): the step's versions v1, v2 … with who sent each back and why, and what
    # the form opens with (the newest earlier version's fields) while the step is open.
    versions: tuple[Version, ...] = ()
    prefill: dict[str, Any] | None = None
    urge_count: int = 0
    outcome: str | None = None


def human_task_detail(work: Work, actor: Actor, human_task_id: int) -> HumanTaskDetail:
    """Raises NotFound (404) for an unknown step and, alike, for another unit\'s step."""
    session = work.session
    completer = aliased(User)
    row = session.execute(
        select(HumanTask, Unit.name, completer.display_name)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .where(HumanTask.id == human_task_id)
    ).first()
    if row is None:
        raise authz.step_not_found(human_task_id)
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
            DecisionOptionView(o.value, o.label, o.value in decision.comment_required_for, o.value in decision.backward)
            for o in decision.options
        )
        if decision
        else (),
        decision_label=decision.label if decision else None,
        submit_label=definition.submit_label or "提交",
        comment_max_length=MAX_COMMENT,
        progress=definition.progress,
    )
    (summary,) = summarize(work, [(key_task, "")])
    unit_order = {u.id: i for i, u in enumerate((*summary.lead_units, *summary.co_units))}
    earlier = _done_before(work, actor, cycle, task, diagram)
    shown = []
    for show in definition.shows:
        step = diagram.step(show.step_id)
        items = _latest(earlier, step.step_id, per_unit=step.multi_instance, unit_order=unit_order)
        if items:
            shown.append(
                ShownStep(
                    step.step_id, step.name, step.multi_instance, show.folded, step.step_id == task.step_id, items
                )
            )
    last = earlier[-1] if earlier else None
    sent_back = last if last is not None and last.backward and task.state == HumanTaskState.OPEN else None
    earlier_versions = versions(work, actor, task, cycle, diagram)
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
        extension_note=_extension_note(work, actor, task),
        waits_for_unit_head=authz.waits_for_unit_head(actor, task, work.runtime.config),
        overdue=_overdue(work, task),
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
        shown=tuple(shown),
        sent_back=sent_back,
        attachments=tuple(attachments_of(work, [task.id]).get(task.id, ())),
        history=tuple(cycle_steps(work, actor, cycle)),
        versions=earlier_versions,
        prefill=dict(earlier_versions[-1].data)
        if earlier_versions and task.state == HumanTaskState.OPEN and earlier_versions[-1].human_task_id != task.id
        else None,
        urge_count=task.urge_count,
        outcome=task.outcome,
    )


def _overdue(work: Work, task: HumanTask) -> Overdue | None:
    if task.state != HumanTaskState.OPEN or work.now <= task.due_at:
        return None
    rt = work.runtime
    reached = work.session.execute(
        select(Escalation.level, Escalation.fired_at)
        .where(Escalation.human_task_id == task.id)
        .order_by(Escalation.level.desc())
        .limit(1)
    ).first()
    level, since = (int(reached[0]), reached[1]) if reached else (0, None)
    try:
        label = EscalationLevel(level).label if level else ""
    except ValueError:
        label = f"{level} 级"
    tz = rt.config.tz
    fallback = since is not None and rt.calendar.on_fallback(
        task.due_at.astimezone(tz).date(), since.astimezone(tz).date()
    )
    return Overdue(working_days_late(rt.calendar, tz, task.due_at, work.now), level, label, since, fallback)


def _extension_note(work: Work, actor: Actor, task: HumanTask) -> str | None:
    """Said to the step's own unit when no extension form is offered, so nobody looks for one."""
    if task.state != HumanTaskState.OPEN or actor.role not in UNIT_ROLES or actor.unit_id != task.unit_id:
        return None
    if work.now > task.due_at:
        return "已超过办理期限,不能再申请延期(延期须在到期前提出);请尽快办理,确有困难请联系督查室。"
    try:
        authz.ensure_can_request_extension(actor, task, task.party)
    except Forbidden as refused:
        return f"{refused.detail}。"
    return None


def _done_before(work: Work, actor: Actor, cycle: Cycle, task: HumanTask, diagram: Diagram) -> list[Submitted]:
    """The cycle's steps done before this one became ready, in the order they were done, that the
    actor may read. One query: a cycle holds tens of human tasks."""
    completer = aliased(User)
    rows = work.session.execute(
        select(HumanTask, Unit.name, completer.display_name)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .where(
            HumanTask.cycle_id == cycle.id,
            or_(
                HumanTask.state == HumanTaskState.DONE,
                HumanTask.outcome.in_([HumanTaskOutcome.WAIVED, HumanTaskOutcome.MISSED]),
            ),
            # Created before this one and done by the time it became ready: what it was given.
            HumanTask.id < task.id,
            HumanTask.completed_at <= task.ready_at,
        )
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    rows = [r for r in rows if authz.sees_step_content(actor, r[0].unit_id, cycle.lead_unit_id)]
    files = attachments_of(work, [r[0].id for r in rows])
    out = []
    for done, unit_name, by in rows:
        step = diagram.find(done.step_id)
        data = dict(done.data or {})
        out.append(
            Submitted(
                human_task_id=done.id,
                step=done.step_id,
                step_name=done.step_name,
                unit_id=done.unit_id,
                unit=unit_name or Party.label_of(done.party),
                completed_at=done.completed_at,
                completed_by=by,
                data=data,
                fields=tuple(FieldValue(f.name, f.label, str(data.get(f.name, ""))) for f in step.fields)
                if step
                else (),
                decision=done.decision,
                decision_label=step.decision_label(done.decision) if step else done.decision,
                backward=bool(step and step.is_backward(done.decision)),
                comment=done.comment,
                attachments=tuple(files.get(done.id, ())),
                outcome=done.outcome,
                outcome_label=HumanTaskOutcome.label_of(done.outcome) if done.outcome else None,
            )
        )
    return out


def _latest(
    done: list[Submitted], step_id: str, *, per_unit: bool, unit_order: dict[int, int]
) -> tuple[Submitted, ...]:
    """The latest result of a step, or of each unit's instance of it with the units in the order
    the plan lists them (lead units first), not by name."""
    latest: dict[int | None, Submitted] = {}
    for item in done:  # in the order they were done: a later one replaces an earlier one
        if item.step == step_id:
            latest[item.unit_id if per_unit else None] = item
    last = len(unit_order)
    return tuple(sorted(latest.values(), key=lambda s: (unit_order.get(s.unit_id or 0, last), s.unit)))
