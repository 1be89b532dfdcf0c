"""What the pages offer of the moves off the happy path (issue 11): which of 催办, 免报, 转办,
退回交办, 撤回 a person may do on a step, and 截止汇总 and 撤销 on a cycle, asked of authz; the
step's 催办 count, how it ended, its 退回交办. A button is shown exactly when the move's
authorization would let it through (the move itself still checks its state and races)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from db.models import Cycle, CycleStatus, Decline, HumanTask, HumanTaskState, Unit
from db.models import KeyTask as KeyTaskModel

from ...runtime import Work
from ...vocabulary import Assignee, DeclineStatus, HumanTaskOutcome, Move, Party, ReassignScope
from ..common import authz
from ..common.actor import Actor
from ..cycles.diagrams import diagram_for_version


@dataclass(frozen=True)
class DeclineNote:
    id: int
    unit: str
    reason: str
    requested_at: datetime
    status: str
    status_name: str
    comment: str | None


@dataclass(frozen=True)
class StepMoves:
    """A step's moves as its page shows them."""

    urge_count: int
    urged_at: datetime | None
    outcome: str | None
    outcome_label: str | None
    can_urge: bool
    can_waive: bool
    can_reassign: bool
    can_decline: bool
    can_withdraw: bool
    units: tuple[tuple[int, str], ...]  # the active units a 转办 may choose (the office only)
    declines: tuple[DeclineNote, ...]
    labels: dict[str, str]  # the moves' Chinese words (Move)
    scopes: dict[str, str]  # 转办's scopes (ReassignScope)

    @property
    def any(self) -> bool:
        return any((self.can_urge, self.can_waive, self.can_reassign, self.can_decline, self.can_withdraw))


def step_moves(work: Work, actor: Actor, human_task_id: int) -> StepMoves:
    """The moves ``actor`` may make on a step (the caller has checked it is visible: the page read
    it with ``human_task_detail``). Reads the cycle, the diagram (is the step done per unit?), the
    step's declines, the active units."""
    task = work.session.get(HumanTask, human_task_id)
    cycle = work.session.get(Cycle, task.cycle_id) if task is not None else None
    assert task is not None and cycle is not None
    config = work.runtime.config
    is_open = task.state == HumanTaskState.OPEN and cycle.status == CycleStatus.RUNNING
    per_unit = diagram_for_version(work, cycle.diagram_version_id).step(task.step_id).multi_instance
    office = authz.may_supervise(actor)
    declines = tuple(
        DeclineNote(d.id, name, d.reason, d.requested_at, d.status.value, d.status.label, d.comment)
        for d, name in work.session.execute(
            select(Decline, Unit.name)
            .join(Unit, Unit.id == Decline.unit_id)
            .where(Decline.human_task_id == task.id)
            .order_by(Decline.id)
        )
    )
    pending = any(d.status == DeclineStatus.PENDING for d in declines)
    unit_step = task.role == Assignee.UNIT
    units: tuple[tuple[int, str], ...] = ()
    if office and is_open and unit_step:
        # Not offered (the 转办 refuses them too): a unit with the same step open in the cycle, and
        # the lead unit for a co-unit's input.
        busy = select(HumanTask.unit_id).where(
            HumanTask.cycle_id == cycle.id,
            HumanTask.step_id == task.step_id,
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.unit_id.is_not(None),
        )
        lead = cycle.lead_unit_id if task.party == Party.CO_UNIT else 0
        units = tuple(
            (i, n)
            for i, n in work.session.execute(
                select(Unit.id, Unit.name)
                .where(Unit.active.is_(True), Unit.id != task.unit_id, Unit.id != lead, Unit.id.not_in(busy))
                .order_by(Unit.name)
            ).all()
        )
    return StepMoves(
        urge_count=task.urge_count,
        urged_at=task.urged_at,
        outcome=task.outcome,
        outcome_label=HumanTaskOutcome.label_of(task.outcome) if task.outcome else None,
        can_urge=is_open and authz.may_urge(actor, task, task.party, cycle.lead_unit_id),
        can_waive=is_open and office and per_unit and task.party == Party.CO_UNIT,
        can_reassign=is_open and office and unit_step,
        can_decline=is_open and not pending and authz.may_decline(actor, task, config) and not _accepted(work, task),
        can_withdraw=task.state == HumanTaskState.DONE
        and cycle.status == CycleStatus.RUNNING
        and authz.may_withdraw(actor, task, config),
        units=units,
        declines=declines,
        labels=Move.labels(),
        scopes=ReassignScope.labels(),
    )


def _accepted(work: Work, task: HumanTask) -> bool:
    """The unit did a step of this cycle already (took the work on): no 退回交办 offered."""
    done = select(HumanTask.id).where(
        HumanTask.cycle_id == task.cycle_id,
        HumanTask.unit_id == task.unit_id,
        HumanTask.state == HumanTaskState.DONE,
    )
    return work.session.scalar(done.limit(1)) is not None


@dataclass(frozen=True)
class CycleMoves:
    """截止汇总 and 撤销 on a cycle's page."""

    can_close_inputs: bool
    inputs_open: int
    inputs_due_at: datetime | None
    can_cancel: bool


def cycle_moves(work: Work, actor: Actor, cycle_id: int) -> CycleMoves:
    """Whether ``actor`` may close the cycle's inputs (its lead unit's head, once every open
    input's deadline has passed) or cancel it (the office, while it runs)."""
    cycle = work.session.get(Cycle, cycle_id)
    assert cycle is not None
    running = cycle.status == CycleStatus.RUNNING
    inputs_open, due = work.session.execute(
        select(func.count(), func.max(HumanTask.due_at)).where(
            HumanTask.cycle_id == cycle_id,
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.party == Party.CO_UNIT,
        )
    ).one()
    return CycleMoves(
        can_close_inputs=running and bool(inputs_open) and authz.may_close_inputs(actor, cycle.lead_unit_id),
        inputs_open=int(inputs_open or 0),
        inputs_due_at=due,
        can_cancel=running and authz.may_supervise(actor),
    )


def pending_declines(work: Work, actor: Actor) -> tuple[tuple[DeclineNote, int, str, int, str], ...]:
    """The office's inbox: 退回交办 waiting for its answer, oldest first, each with its step (id,
    name) and key task (number, title). Empty for everyone else."""
    if not authz.may_supervise(actor):
        return ()
    rows = work.session.execute(
        select(Decline, Unit.name, HumanTask.step_name, KeyTaskModel.number, KeyTaskModel.title)
        .join(Unit, Unit.id == Decline.unit_id)
        .join(HumanTask, HumanTask.id == Decline.human_task_id)
        .join(KeyTaskModel, KeyTaskModel.id == Decline.key_task_id)
        .where(Decline.status == DeclineStatus.PENDING)
        .order_by(Decline.id)
        .limit(100)
    ).all()
    return tuple(
        (
            DeclineNote(d.id, unit, d.reason, d.requested_at, d.status.value, d.status.label, d.comment),
            d.human_task_id,
            step_name,
            number,
            title,
        )
        for d, unit, step_name, number, title in rows
    )


def active_units(work: Work) -> tuple[tuple[int, str], ...]:
    """The active units by name (what a 转办 may choose): (id, name)."""
    return tuple(
        (i, n)
        for i, n in work.session.execute(
            select(Unit.id, Unit.name).where(Unit.active.is_(True)).order_by(Unit.name)
        ).all()
    )
