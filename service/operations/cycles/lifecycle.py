"""Starting cycles, completing their steps, and advancing them when diagram timers fall due.

Every change to a cycle happens with the cycle's row locked (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock), so completions
of different steps of one cycle queue up and all succeed, while a second completion of the same
step finds it done and gets a clear conflict. The version counter on the row is a second guard.

Completing a step is the hot path of the product, so it talks to the database through SQLAlchemy
Core on the session's connection: one read (step and cycle together), one update of each, an
insert only when new steps open, and the audit event. The human-task projection is kept in step
by comparing the engine's ready steps before and after, not by reading the rows back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from db.models import (
    Cycle,
    CycleStatus,
    DiagramVersion,
    HumanTask,
    HumanTaskState,
    KeyTask,
    KeyTaskUnit,
    UnitPart,
)
from workflows import (
    STATE_FORMAT,
    CycleRun,
    CycleTooDeep,
    Diagram,
    DiagramError,
    EngineError,
    FiredTimer,
    FormError,
    ReadyStep,
    StepNotReady,
    validate_submission,
)

from ...errors import BadDiagram, Conflict, Invalid, NotFound
from ...runtime import Work
from ...workdays import yellow_from
from ..common import audit, authz
from ..common.actor import SYSTEM, Actor

ROUND_PATTERN = re.compile(r"^\d{4}(-(Q[1-4]|H[12]|M(0[1-9]|1[0-2])))?$")
TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)

# The hot path's statements, built once (building them per call costs more than running them).
_READ_STEP = (
    select(
        TASKS,
        CYCLES.c.state.label("cycle_state"),
        CYCLES.c.version.label("cycle_version"),
        CYCLES.c.status.label("cycle_status"),
        CYCLES.c.diagram_version_id,
        CYCLES.c.lead_unit_id,
    )
    .select_from(TASKS.join(CYCLES, CYCLES.c.id == TASKS.c.cycle_id))
    .where(TASKS.c.id == bindparam("task_id"))
    # Both rows: a completion that waited for the lock then reads the step as the winner left it.
    .with_for_update(of=[CYCLES, TASKS])
)
_MARK_DONE = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("task_id"), TASKS.c.state == HumanTaskState.OPEN)
    .values(
        state=HumanTaskState.DONE,
        completed_at=bindparam("at", type_=TASKS.c.completed_at.type),
        completed_by_id=bindparam("by", type_=TASKS.c.completed_by_id.type),
        decision=bindparam("chosen", type_=TASKS.c.decision.type),
        comment=bindparam("said", type_=TASKS.c.comment.type),
        data=bindparam("fields", type_=TASKS.c.data.type),
    )
)
_WRITE_CYCLE = (
    update(CYCLES)
    .where(CYCLES.c.id == bindparam("cycle"), CYCLES.c.version == bindparam("expected"))
    .values(
        state=bindparam("blob", type_=CYCLES.c.state.type),
        version=bindparam("next_version", type_=CYCLES.c.version.type),
        timer_due_at=bindparam("timer", type_=CYCLES.c.timer_due_at.type),
        status=bindparam("new_status", type_=CYCLES.c.status.type),
        closed_at=bindparam("closed", type_=CYCLES.c.closed_at.type),
    )
)
_OPEN_TASKS = insert(TASKS).returning(*TASKS.c, sort_by_parameter_order=True)


@dataclass(frozen=True)
class StepRef:
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


# -- diagrams -------------------------------------------------------------------------------


def deploy_diagram(work: Work, xml: bytes) -> DiagramVersion:
    """Stores a diagram version once (by content hash) and makes it known to the engine."""
    try:
        diagram = work.runtime.engine.deploy(xml)
    except DiagramError as exc:
        raise BadDiagram(exc.message, element=exc.element, line=exc.line) from None
    version = work.session.scalar(select(DiagramVersion).where(DiagramVersion.digest == diagram.digest))
    if version is None:
        version = DiagramVersion(
            digest=diagram.digest, process_id=diagram.process_id, name=diagram.name, xml=xml, deployed_at=work.now
        )
        try:
            # Two first cycles started at once (two web workers) both get here: one inserts, the
            # other's savepoint rolls back and it reads the winner's row.
            with work.session.begin_nested():
                work.session.add(version)
        except IntegrityError:
            version = work.session.scalars(select(DiagramVersion).where(DiagramVersion.digest == diagram.digest)).one()
    work.runtime.diagram_digests[version.id] = diagram.digest
    return version


def current_diagram(work: Work) -> tuple[int, str]:
    """(version id, digest) of the diagram new cycles run: config.toml [engine] diagram.

    Read and deployed once per process, and again only when the file changes."""
    path: Path = work.runtime.config.path(work.runtime.config.engine.diagram)
    stat = path.stat()
    signature = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = work.runtime.current_diagram
    if cached is not None and cached[0] == signature:
        return cached[1], cached[2]
    version = deploy_diagram(work, path.read_bytes())
    work.runtime.current_diagram = (signature, version.id, version.digest)
    return version.id, version.digest


def diagram_for_version(work: Work, version_id: int) -> Diagram:
    """The diagram of a deployed version, deploying it into this process's engine on first sight."""
    engine = work.runtime.engine
    digest = work.runtime.diagram_digests.get(version_id)
    diagram = engine.deployed(digest) if digest else None
    if diagram is None:
        version = work.session.get(DiagramVersion, version_id)
        if version is None:
            raise NotFound(f"流程图版本 {version_id} 不存在")
        diagram = engine.deployed(version.digest) or engine.deploy(version.xml)
        work.runtime.diagram_digests[version_id] = version.digest
    return diagram


# -- starting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedCycle:
    id: int
    key_task_id: int
    round: str
    opened: tuple[StepRef, ...]


_KEY_TASK = select(KeyTask.id, KeyTask.number, KeyTask.active).where(KeyTask.id == bindparam("key_task"))
_EXISTING = select(Cycle.id).where(Cycle.key_task_id == bindparam("key_task"), Cycle.round == bindparam("round"))
_PARTS = (
    select(KeyTaskUnit.unit_id, KeyTaskUnit.part)
    .where(KeyTaskUnit.key_task_id == bindparam("key_task"))
    .order_by(KeyTaskUnit.position)
)
_NEW_CYCLE = insert(CYCLES).returning(CYCLES.c.id, CYCLES.c.version)


def start_cycle(work: Work, actor: Actor, key_task_id: int, round_name: str) -> StartedCycle:
    """Starts one cycle of a key task for a reporting round; its first step (dispatch) opens."""
    authz.ensure_can_start_cycles(actor)
    round_name = (round_name or "").strip()
    if not ROUND_PATTERN.match(round_name):
        raise Invalid(f"轮次 {round_name!r} 格式不对,应如 2024-Q2、2024-M03、2024-H1 或 2024", field="round")
    conn = work.session.connection()
    key_task = conn.execute(_KEY_TASK, {"key_task": key_task_id}).first()
    if key_task is None:
        raise NotFound(f"重点任务 {key_task_id} 不存在")
    if not key_task.active:
        raise Conflict(f"重点任务 {key_task.number} 已停用,不能启动办理周期")
    existing = conn.execute(_EXISTING, {"key_task": key_task_id, "round": round_name}).scalar()
    if existing is not None:
        raise Conflict(f"重点任务 {key_task.number} 在 {round_name} 轮次已有办理周期(#{existing})")
    parts = conn.execute(_PARTS, {"key_task": key_task_id}).all()
    leads = [p.unit_id for p in parts if p.part == UnitPart.LEAD]
    co_units = [p.unit_id for p in parts if p.part == UnitPart.CO and p.unit_id not in leads]
    if not leads:
        raise Invalid(f"重点任务 {key_task.number} 没有牵头单位,无法交办", field="lead_units")

    version_id, digest = current_diagram(work)
    run = work.runtime.engine.start(
        digest,
        {"lead_units": leads, "co_units": co_units, "round": round_name, "key_task": key_task.number},
        work.now,
    )
    try:
        # Two starts of one round at the same moment (two supervisors, a supervisor and the rounds
        # job): the unique (key task, round) key lets one in; the other gets a clear conflict.
        with work.session.begin_nested():
            created = conn.execute(
                _NEW_CYCLE,
                {
                    "key_task_id": key_task_id,
                    "round": round_name,
                    "diagram_version_id": version_id,
                    "status": CycleStatus.RUNNING,
                    "state": b"",
                    "state_format": STATE_FORMAT,
                    "version": 1,
                    "started_at": work.now,
                    "started_by_id": actor.user_id,
                    "lead_unit_id": leads[0],
                },
            ).one()
    except IntegrityError:
        raise Conflict(f"重点任务 {key_task.number} 在 {round_name} 轮次已有办理周期") from None
    started = audit.Entry(
        actor,
        "cycle.started",
        cycle_id=created.id,
        data={"key_task": key_task.number, "round": round_name, "co_units": len(co_units)},
    )
    ref = CycleRef(
        id=created.id,
        key_task_id=key_task_id,
        lead_unit_id=leads[0],
        version=created.version,
        status=CycleStatus.RUNNING.value,
    )
    opened, _closed = _store(work, ref, run, before=(), fired=(), event=started)
    return StartedCycle(id=created.id, key_task_id=key_task_id, round=round_name, opened=opened)


# -- completing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    task: StepRef
    cycle_id: int
    decision: str | None
    opened: tuple[StepRef, ...]  # steps that became ready because of this one
    closed: bool  # the cycle ended with this step


def complete_step(
    work: Work,
    actor: Actor,
    human_task_id: int,
    *,
    data: object = None,
    decision: object = None,
    comment: object = None,
) -> Completion:
    conn = work.session.connection()
    # Read the step with its cycle locked: what we read is what it is while we hold the cycle.
    row = conn.execute(_READ_STEP, {"task_id": human_task_id}).first()
    if row is None:
        raise NotFound(f"待办 {human_task_id} 不存在")
    authz.ensure_can_act(actor, row, work.runtime.config)
    if row.state != HumanTaskState.OPEN.value:
        when = (
            row.completed_at.astimezone(work.runtime.config.tz).strftime("%Y-%m-%d %H:%M") if row.completed_at else ""
        )
        raise Conflict(f"“{row.step_name}”已经办理过了{('(' + when + ')') if when else ''},不能重复办理")
    diagram = diagram_for_version(work, row.diagram_version_id)
    try:
        submission = validate_submission(diagram.step(row.step_id), data, decision, comment)
    except FormError as exc:
        raise Invalid(exc.message, field=exc.field) from None

    if submission.decision is not None:
        _check_returns(work, diagram, row, submission.decision)

    run = work.runtime.engine.load(row.cycle_state)
    before = run.ready_steps()
    try:
        fired = run.complete(row.instance_id, submission, work.now)
    except StepNotReady:
        raise Conflict(f"“{row.step_name}”当前不在待办状态") from None
    except CycleTooDeep as exc:
        raise Conflict(exc.message) from None
    except EngineError as exc:
        raise BadDiagram(f"流程无法继续: {exc.message}", element=exc.element) from None

    done = conn.execute(
        _MARK_DONE,
        {
            "task_id": human_task_id,
            "at": work.now,
            "by": actor.user_id,
            "chosen": submission.decision,
            "said": submission.comment or None,
            "fields": dict(submission.fields),
        },
    )
    if done.rowcount != 1:
        raise Conflict(f"“{row.step_name}”刚刚被他人办理,请刷新后查看")
    event = audit.Entry(
        actor,
        "step.completed",
        cycle_id=row.cycle_id,
        human_task_id=human_task_id,
        step_id=row.step_id,
        unit_id=row.unit_id,
        data={"decision": submission.decision, "comment": submission.comment, "fields": submission.fields},
    )
    cycle = CycleRef(
        id=row.cycle_id,
        key_task_id=row.key_task_id,
        lead_unit_id=row.lead_unit_id,
        version=row.cycle_version,
        status=row.cycle_status,
    )
    opened, closed = _store(work, cycle, run, before=before, fired=fired, completed=row.instance_id, event=event)
    return Completion(task=_ref(row), cycle_id=row.cycle_id, decision=submission.decision, opened=opened, closed=closed)


def _check_returns(work: Work, diagram: Diagram, row: Row[Any], decision: str) -> None:
    """A cycle may be sent back a bounded number of times (config [engine] max_returns)."""
    step = diagram.step(row.step_id)
    if step.decision is None or decision not in step.decision.backward:
        return
    backward = {value for s in diagram.steps if s.decision for value in s.decision.backward}
    sent_back = work.session.scalar(
        select(func.count())
        .select_from(TASKS)
        .where(TASKS.c.cycle_id == row.cycle_id, TASKS.c.state == HumanTaskState.DONE, TASKS.c.decision.in_(backward))
    )
    limit = work.runtime.config.engine.max_returns
    if (sent_back or 0) >= limit:
        label = step.decision.label_of(decision)
        raise Conflict(f"本办理周期已退回或驳回 {sent_back} 次,达到上限 {limit} 次,不能再“{label}”", field="decision")


def lock_cycle(work: Work, cycle_id: int) -> Cycle:
    """The cycle as an ORM object, locked for the rest of the transaction."""
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
    diagram_for_version(work, cycle.diagram_version_id)
    return work.runtime.engine.load(cycle.state)


def save_run(
    work: Work, cycle: Cycle, run: CycleRun, before: tuple[ReadyStep, ...], fired: tuple[FiredTimer, ...] = ()
) -> tuple[StepRef, ...]:
    """Stores a run changed by something other than a completion (a timer, an extension)."""
    ref = CycleRef(
        id=cycle.id,
        key_task_id=cycle.key_task_id,
        lead_unit_id=cycle.lead_unit_id,
        version=cycle.version,
        status=cycle.status.value,
    )
    opened, _closed = _store(work, ref, run, before=before, fired=fired)
    work.session.expire(cycle)
    return opened


# -- timers ---------------------------------------------------------------------------------


def due_timer_cycles(work: Work, limit: int = 500) -> list[int]:
    """Cycles whose earliest diagram timer has come (read from the indexed column, not the state)."""
    return list(
        work.session.scalars(
            select(Cycle.id)
            .where(Cycle.timer_due_at <= work.now, Cycle.status == CycleStatus.RUNNING)
            .order_by(Cycle.timer_due_at)
            .limit(limit)
        )
    )


def advance_timers(work: Work, cycle_id: int) -> tuple[FiredTimer, ...]:
    cycle = lock_cycle(work, cycle_id)
    if cycle.status != CycleStatus.RUNNING or cycle.timer_due_at is None or cycle.timer_due_at > work.now:
        return ()  # someone else advanced it meanwhile
    run = load_run(work, cycle)
    before = run.ready_steps()
    try:
        fired = run.fire_due_timers(work.now)
    except EngineError as exc:
        raise BadDiagram(f"流程定时器无法执行: {exc.message}", element=exc.element) from None
    save_run(work, cycle, run, before, fired)
    return fired


# -- keeping the row and the projection in step with the engine -----------------------------


def _store(
    work: Work,
    cycle: CycleRef,
    run: CycleRun,
    *,
    before: tuple[ReadyStep, ...],
    fired: tuple[FiredTimer, ...],
    completed: str | None = None,
    event: audit.Entry | None = None,
) -> tuple[tuple[StepRef, ...], bool]:
    """Writes the run's state, brings the human tasks in line with its ready steps, and appends
    the audit events (the operation's own ``event`` among them) last of all: the audit chain's
    lock is then held for the shortest time.

    The open rows of a cycle are exactly the ready steps of its last stored state, so what to
    insert and what to cancel follows from ``before`` and the ready steps now."""
    conn = work.session.connection()
    ready = run.ready_steps()
    closed = run.completed and cycle.status != CycleStatus.CLOSED.value
    diagram = run.diagram
    written = conn.execute(
        _WRITE_CYCLE,
        {
            "cycle": cycle.id,
            "expected": cycle.version,
            "next_version": cycle.version + 1,
            "timer": run.next_timer_at(),
            "blob": run.save(),
            "new_status": CycleStatus.CLOSED if closed else CycleStatus(cycle.status),
            "closed": work.now if closed else None,
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
            .values(state=HumanTaskState.CANCELLED, completed_at=work.now)
        )
    known = {s.instance_id for s in before}
    new_rows = [_new_row(work, cycle, diagram, step) for step in ready if step.instance_id not in known]
    opened: tuple[StepRef, ...] = ()
    if new_rows:
        inserted = conn.execute(_OPEN_TASKS, new_rows)
        opened = tuple(_ref(r) for r in inserted)
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


def _new_row(work: Work, cycle: CycleRef, diagram: Diagram, step: ReadyStep) -> dict[str, object]:
    definition = diagram.step(step.step_id)
    deadline = work.runtime.deadline(definition, work.now)
    # The diagram's timer is the deadline when it draws one; the calendar's otherwise.
    due_at = step.due_at or deadline.due_at
    yellow_at = (
        deadline.yellow_at
        if due_at == deadline.due_at
        else yellow_from(
            work.runtime.calendar, due_at, work.runtime.yellow_before_for(definition), work.runtime.config.tz
        )
    )
    return {
        "cycle_id": cycle.id,
        "key_task_id": cycle.key_task_id,
        "instance_id": step.instance_id,
        "step_id": step.step_id,
        "step_name": step.name,
        "party": step.party,
        "unit_id": _unit_for(cycle, step.party, step.unit),
        "role": _role_for(step.party),
        "state": HumanTaskState.OPEN,
        "ready_at": work.now,
        "due_at": due_at,
        "yellow_at": yellow_at,
        "due_basis": deadline.basis.label,
        "escalation_level": 0,
        "data": {},
    }


def _ref(row: Row[object]) -> StepRef:
    return StepRef(
        id=row.id,
        cycle_id=row.cycle_id,
        step_id=row.step_id,
        step_name=row.step_name,
        party=row.party,
        role=row.role,
        unit_id=row.unit_id,
        due_at=row.due_at,
    )


def _role_for(party: str) -> str:
    return party if party in ("supervisor", "leader") else "unit"


def _unit_for(cycle: CycleRef, party: str, instance_unit: int | None) -> int | None:
    if party in ("supervisor", "leader"):
        return None
    if instance_unit is not None:
        return instance_unit
    return cycle.lead_unit_id


__all__ = ["Completion", "StepRef", "advance_timers", "complete_step", "due_timer_cycles", "start_cycle"]
