"""Keeping a cycle's row and its human tasks in step with the engine.

The open human tasks of a cycle are exactly the ready steps of its last stored state: after any
change (a start, a completion, a timer, an extension) ``store`` writes the state, cancels the rows
of steps no longer ready, inserts rows for steps newly ready (each with its deadline from
``service/deadlines.py``), and appends the audit events last, so the audit chain's lock is held
for the shortest time. Every change happens with the cycle's row locked and its version checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.orm import undefer

from db.models import (
    Cycle,
    CycleStatus,
    Decline,
    Extension,
    HumanTask,
    HumanTaskState,
)
from workflows import (
    STATE_FORMAT,
    CycleRun,
    Diagram,
    EngineError,
    FiredTimer,
    ReadyStep,
)

from ...errors import Conflict, NotFound
from ...runtime import Work
from ...vocabulary import Assignee, DeclineStatus, ExtensionStatus, HumanTaskOutcome
from ..common import audit
from ..common.actor import SYSTEM
from .diagrams import diagram_for_version

TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)
EXTENSIONS = cast(Table, Extension.__table__)
DECLINES = cast(Table, Decline.__table__)

_WRITE_CYCLE = (
    update(CYCLES)
    .where(CYCLES.c.id == bindparam("cycle"), CYCLES.c.version == bindparam("expected"))
    .values(
        state=bindparam("blob", type_=CYCLES.c.state.type),
        # Whatever format the state was read in, it is written in the current one.
        state_format=STATE_FORMAT,
        version=bindparam("next_version", type_=CYCLES.c.version.type),
        timer_due_at=bindparam("timer", type_=CYCLES.c.timer_due_at.type),
        status=bindparam("new_status", type_=CYCLES.c.status.type),
        closed_at=bindparam("closed", type_=CYCLES.c.closed_at.type),
    )
)
_OPEN_TASKS = insert(TASKS).returning(*TASKS.c, sort_by_parameter_order=True)


@dataclass(frozen=True)
class HumanTaskRef:
    """A human task as the operations hand it back."""

    id: int
    cycle_id: int
    step_id: str
    step_name: str
    party: str
    role: str
    unit_id: int | None
    due_at: datetime


@dataclass(frozen=True)
class CycleRef:
    """What keeping a cycle's row and projection needs to know of it."""

    id: int
    key_task_id: int
    lead_unit_id: int
    version: int
    status: str


def lock_cycle(work: Work, cycle_id: int) -> Cycle:
    """The cycle as an ORM object, locked for the rest of the transaction (``SELECT … FOR UPDATE``).
    Raises ``NotFound`` if there is no such cycle."""
    cycle = work.session.scalar(
        select(Cycle)
        .where(Cycle.id == cycle_id)
        .options(undefer(Cycle.state))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if cycle is None:
        raise NotFound(f"办理周期 {cycle_id} 不存在")
    return cycle


def load_run(work: Work, cycle: Cycle) -> CycleRun:
    """The cycle's process, its diagram deployed into this process's engine first. Raises Conflict
    when its stored state cannot be read (see ``loaded``)."""
    diagram_for_version(work, cycle.diagram_version_id)
    return loaded(work, cycle.state, cycle.state_format)


def loaded(work: Work, state: bytes, state_format: str) -> CycleRun:
    """A stored state loaded into this process's engine (its diagram must be deployed). A state this
    version cannot read (a newer format, damaged bytes) is a Conflict that names the reason: the
    cycle cannot be acted on until duban is upgraded or the cycle repaired."""
    try:
        return work.runtime.engine.load(state, state_format)
    except EngineError as exc:
        raise Conflict(f"办理周期的流程状态无法读取: {exc.message}") from None


def save_run(
    work: Work, cycle: Cycle, run: CycleRun, before: tuple[ReadyStep, ...], fired: tuple[FiredTimer, ...] = ()
) -> tuple[HumanTaskRef, ...]:
    """Stores a run changed by something other than a completion (a timer, an extension) of a cycle
    locked by ``lock_cycle``, as ``store`` does, and returns the human tasks that opened. Raises
    ``Conflict`` if the cycle's row changed since it was read."""
    ref = CycleRef(
        id=cycle.id,
        key_task_id=cycle.key_task_id,
        lead_unit_id=cycle.lead_unit_id,
        version=cycle.version,
        status=cycle.status.value,
    )
    opened, _closed = store(work, ref, run, before=before, fired=fired)
    work.session.expire(cycle)
    return opened


def store(
    work: Work,
    cycle: CycleRef,
    run: CycleRun,
    *,
    before: tuple[ReadyStep, ...],
    fired: tuple[FiredTimer, ...],
    completed: str | None = None,
    event: audit.Entry | None = None,
) -> tuple[tuple[HumanTaskRef, ...], bool]:
    """Writes the run's state, brings the human tasks in line with its ready steps, and appends
    the audit events (the operation's own ``event`` among them) last of all: the audit chain's
    lock is then held for the shortest time.

    The open rows of a cycle are exactly the ready steps of its last stored state, so what to
    insert and what to cancel follows from ``before`` and the ready steps now.

    Changes: the cycle row (state in the current format, version + 1, next timer, closed or
    cancelled status and the instant when the process ended), cancels the human tasks of steps no longer ready (except
    ``completed``, which the caller marks done; a cancelled process's steps end with the outcome
    ``cancelled``), lets pending extension requests and declines of every step that ended here
    lapse (已失效, issue 11), inserts the newly ready ones (deadlines from
    ``service/deadlines.py``, ready at ``work.now``), appends ``step.overdue`` per fired timer, the
    ``event``, and ``cycle.closed``. Returns (the opened human tasks, whether the cycle closed now).
    Raises ``Conflict`` if the cycle's version is no longer ``cycle.version`` (changed meanwhile)."""
    conn = work.session.connection()
    ready = run.ready_steps()
    closed = run.completed and cycle.status != CycleStatus.CLOSED.value
    cancelled = run.cancelled and cycle.status != CycleStatus.CANCELLED.value
    status = CycleStatus.CLOSED if closed else CycleStatus.CANCELLED if cancelled else CycleStatus(cycle.status)
    diagram = run.diagram
    written = conn.execute(
        _WRITE_CYCLE,
        {
            "cycle": cycle.id,
            "expected": cycle.version,
            "next_version": cycle.version + 1,
            "timer": run.next_timer_at(),
            "blob": run.save(),
            "new_status": status,
            "closed": work.now if closed or cancelled else None,
        },
    )
    if written.rowcount != 1:
        raise Conflict("办理周期刚刚被其他操作更新,请重试")

    now_ready = {step.instance_id for step in ready}
    gone = [s.instance_id for s in before if s.instance_id not in now_ready and s.instance_id != completed]
    if gone:
        conn.execute(
            update(TASKS)
            .where(TASKS.c.cycle_id == cycle.id, TASKS.c.instance_id.in_(gone), TASKS.c.state == HumanTaskState.OPEN)
            .values(
                state=HumanTaskState.CANCELLED,
                completed_at=work.now,
                outcome=HumanTaskOutcome.CANCELLED if cancelled else None,
            )
        )
    ended = [*gone, *([completed] if completed else [])]
    if ended:
        lapse_pending(work, cycle.id, ended)
    known = {s.instance_id for s in before}
    new_rows = [_new_row(work, cycle, diagram, step) for step in ready if step.instance_id not in known]
    opened: tuple[HumanTaskRef, ...] = ()
    if new_rows:
        inserted = conn.execute(_OPEN_TASKS, new_rows)
        opened = tuple(human_task_ref(r) for r in inserted)
    # Timers that fell due before this action fired first; a close comes after it.
    entries = [
        audit.Entry(
            SYSTEM,
            "step.overdue",
            cycle_id=cycle.id,
            step_id=timer.step_id,
            data={"timer": timer.element_id, "due_at": timer.due_at.isoformat() if timer.due_at else None},
        )
        for timer in fired
    ]
    if event is not None:
        entries.append(event)
    if closed:
        entries.append(audit.Entry(SYSTEM, "cycle.closed", cycle_id=cycle.id))
    audit.append(work, entries)
    return opened, closed


def lapse_pending(work: Work, cycle_id: int, instance_ids: list[str]) -> None:
    """Pending extension requests and declines of steps that ended (done, waived, reassigned,
    cancelled) become 已失效: nobody is left to decide them and they stop counting as pending.
    Two UPDATEs on the pending rows' partial indexes (issue 11, item 9)."""
    conn = work.session.connection()
    ended = select(TASKS.c.id).where(TASKS.c.cycle_id == cycle_id, TASKS.c.instance_id.in_(instance_ids))
    conn.execute(
        update(EXTENSIONS)
        .where(EXTENSIONS.c.status == ExtensionStatus.PENDING, EXTENSIONS.c.human_task_id.in_(ended))
        .values(status=ExtensionStatus.EXPIRED, decided_at=work.now)
    )
    conn.execute(
        update(DECLINES)
        .where(DECLINES.c.status == DeclineStatus.PENDING, DECLINES.c.human_task_id.in_(ended))
        .values(status=DeclineStatus.LAPSED, decided_at=work.now)
    )


def _new_row(work: Work, cycle: CycleRef, diagram: Diagram, step: ReadyStep) -> dict[str, object]:
    # The one deadline rule, once per new step: the diagram's timer when it draws one.
    deadline = work.runtime.deadline(diagram.step(step.step_id), work.now, step.due_at)
    return {
        "cycle_id": cycle.id,
        "key_task_id": cycle.key_task_id,
        "instance_id": step.instance_id,
        "step_id": step.step_id,
        "step_name": step.name,
        "party": step.party,
        "unit_id": _unit_for(cycle, step.party, step.unit),
        "role": Assignee.of(step.party).value,
        "state": HumanTaskState.OPEN,
        "ready_at": work.now,
        "due_at": deadline.due_at,
        "yellow_at": deadline.yellow_at,
        "due_basis": deadline.basis.label,
        "escalation_level": 0,
        "data": {},
    }


def human_task_ref(row: Row[object]) -> HumanTaskRef:
    """A human task row as the operations hand it back."""
    return HumanTaskRef(
        id=row.id,
        cycle_id=row.cycle_id,
        step_id=row.step_id,
        step_name=row.step_name,
        party=row.party,
        role=row.role,
        unit_id=row.unit_id,
        due_at=row.due_at,
    )


def _unit_for(cycle: CycleRef, party: str, instance_unit: int | None) -> int | None:
    """The unit a new human task waits for: none for a role's step, the instance's own unit for a
    multi-instance step, else the cycle's lead unit."""
    if Assignee.of(party) != Assignee.UNIT:
        return None
    if instance_unit is not None:
        return instance_unit
    return cycle.lead_unit_id
