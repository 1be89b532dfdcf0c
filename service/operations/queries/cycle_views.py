"""A cycle as people read it: its steps done and open (who, when, what was decided), and its
diagram with each element's state for a viewer (done, open, overdue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, undefer

from db.models import Cycle, HumanTask, HumanTaskState, KeyTask, Unit, User

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import HumanTaskOutcome, Party
from ..common import authz
from ..common.actor import Actor
from ..common.lights import light_of, worst
from ..cycles.diagrams import diagram_for_version


@dataclass(frozen=True)
class HumanTaskRecord:
    """One human task of a cycle. ``comment`` is None where the reader may not see the content."""

    id: int
    step: str
    step_name: str
    party: str
    unit_id: int | None
    unit: str
    state: str
    ready_at: datetime
    due_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    decision: str | None
    decision_label: str | None
    backward: bool  # the decision sent the work back (退回, 驳回: the diagram's backward options)
    comment: str | None
    light: str
    escalation_level: int
    content_visible: bool
    # How a step ended that nobody completed (免报, 转办, 撤销, 逾期未报, 撤回), its label; the
    # reason is ``comment``. None for a step completed or open.
    outcome: str | None = None
    outcome_label: str | None = None


@dataclass(frozen=True)
class CycleDetail:
    id: int
    key_task_id: int
    key_task_number: int
    key_task_title: str
    round: str
    status: str
    started_at: datetime
    closed_at: datetime | None
    lead_unit_id: int
    lead_unit: str
    light: str | None
    steps_done: tuple[HumanTaskRecord, ...]
    steps_open: tuple[HumanTaskRecord, ...]


@dataclass(frozen=True)
class CycleDiagram:
    cycle_id: int
    xml: str
    element_states: dict[str, str]  # BPMN element id -> done | open | overdue
    # The path taken: each sequence flow's ends and how many times work went along it.
    flows: tuple[TakenFlow, ...] = ()
    # The steps in the diagram's order, for a list instead of the drawing (narrow screens).
    steps: tuple[StepLine, ...] = ()


@dataclass(frozen=True)
class TakenFlow:
    source: str
    target: str
    count: int


@dataclass(frozen=True)
class StepLine:
    step_id: str
    name: str
    party: str  # the lane's name as the diagram writes it
    state: str  # done | open | overdue | waiting (not reached)
    reached: int  # how many times work reached this step (more than once after a return)


def _cycle(work: Work, actor: Actor, cycle_id: int) -> Cycle:
    authz.ensure_sees_cycle(work.session, actor, cycle_id)
    cycle = work.session.get(Cycle, cycle_id)
    if cycle is None:  # pragma: no cover - ensure_sees_cycle has checked
        raise NotFound(f"办理周期 {cycle_id} 不存在")
    return cycle


def cycle_steps(work: Work, actor: Actor, cycle: Cycle) -> list[HumanTaskRecord]:
    """Every human task of the cycle in the order they became ready: done, open, and ended by a
    move with its outcome (免报, 转办, 撤销, 逾期未报, 撤回); a row cancelled with no outcome is left out."""
    completer = aliased(User)
    rows = work.session.execute(
        select(HumanTask, Unit.name, completer.display_name)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)
        .where(
            HumanTask.cycle_id == cycle.id,
            or_(HumanTask.state != HumanTaskState.CANCELLED, HumanTask.outcome.is_not(None)),
        )
        .order_by(HumanTask.ready_at, HumanTask.id)
    ).all()
    diagram = diagram_for_version(work, cycle.diagram_version_id)
    records = []
    for task, unit_name, completed_by in rows:
        visible = authz.sees_step_content(actor, task.unit_id, cycle.lead_unit_id)
        step = diagram.find(task.step_id)
        records.append(
            HumanTaskRecord(
                id=task.id,
                step=task.step_id,
                step_name=task.step_name,
                party=task.party,
                unit_id=task.unit_id,
                unit=unit_name or Party.label_of(task.party),
                state=task.state.value,
                ready_at=task.ready_at,
                due_at=task.due_at,
                completed_at=task.completed_at,
                completed_by=completed_by,
                decision=task.decision,
                decision_label=step.decision_label(task.decision) if step else task.decision,
                backward=bool(step and step.is_backward(task.decision)),
                comment=task.comment if visible else None,
                light=light_of(work.now, task.due_at, task.yellow_at, task.completed_at),
                escalation_level=task.escalation_level,
                content_visible=visible,
                outcome=task.outcome,
                outcome_label=HumanTaskOutcome.label_of(task.outcome) if task.outcome else None,
            )
        )
    return records


def cycle_detail(work: Work, actor: Actor, cycle_id: int) -> CycleDetail:
    """A cycle's status and its steps done (completed, or ended by a move: ``outcome``) and open,
    with who and when."""
    cycle = _cycle(work, actor, cycle_id)
    key_task = work.session.get(KeyTask, cycle.key_task_id)
    lead = work.session.get(Unit, cycle.lead_unit_id)
    assert key_task is not None and lead is not None
    steps = cycle_steps(work, actor, cycle)
    open_steps = tuple(s for s in steps if s.state == HumanTaskState.OPEN.value)
    return CycleDetail(
        id=cycle.id,
        key_task_id=key_task.id,
        key_task_number=key_task.number,
        key_task_title=key_task.title,
        round=cycle.round,
        status=cycle.status.value,
        started_at=cycle.started_at,
        closed_at=cycle.closed_at,
        lead_unit_id=lead.id,
        lead_unit=lead.name,
        light=worst([s.light for s in open_steps]),
        # Ended is done: a step completed, or ended by a move (with its outcome).
        steps_done=tuple(s for s in steps if s.state != HumanTaskState.OPEN.value),
        steps_open=open_steps,
    )


def cycle_diagram(work: Work, actor: Actor, cycle_id: int) -> CycleDiagram:
    """The BPMN XML the cycle runs and each element's state; an open step past its due time is
    overdue."""
    authz.ensure_sees_cycle(work.session, actor, cycle_id)
    cycle = work.session.scalar(select(Cycle).where(Cycle.id == cycle_id).options(undefer(Cycle.state)))
    assert cycle is not None
    diagram = diagram_for_version(work, cycle.diagram_version_id)
    with work.runtime.engine.reading(cycle.state, cycle.state_format) as run:
        states = dict(run.element_states())
        taken = run.taken_flows()
    overdue = work.session.scalars(
        select(HumanTask.step_id).where(
            HumanTask.cycle_id == cycle_id, HumanTask.state == HumanTaskState.OPEN, HumanTask.due_at < work.now
        )
    ).all()
    for step_id in overdue:
        if states.get(step_id) == "open":
            states[step_id] = "overdue"
    reached: dict[str, int] = {}
    for (_source, target), count in taken.items():
        reached[target] = reached.get(target, 0) + count
    order = diagram.order or tuple(s.step_id for s in diagram.steps)
    lines = tuple(
        StepLine(
            step.step_id, step.name, step.lane_name, states.get(step.step_id, "waiting"), reached.get(step.step_id, 0)
        )
        for step in sorted(diagram.steps, key=lambda s: order.index(s.step_id) if s.step_id in order else len(order))
    )
    return CycleDiagram(
        cycle_id=cycle.id,
        xml=diagram.xml.decode("utf-8"),
        element_states=states,
        flows=tuple(TakenFlow(s, t, n) for (s, t), n in sorted(taken.items())),
        steps=lines,
    )
