"""Diagram timers: the cycles whose earliest timer has come, advancing one of them, and moving a
ready step's deadline (its timer and its row)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState
from workflows import EngineError, FiredTimer, StepNotReady

from ...errors import BadDiagram, Conflict
from ...runtime import Work
from ...workdays import WorkCalendar
from .diagrams import diagram_for_version
from .projection import load_run, lock_cycle, save_run

TASKS = cast(Table, HumanTask.__table__)
CYCLES = cast(Table, Cycle.__table__)


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


def move_deadline(work: Work, task: HumanTask, due_at: datetime, calendar: WorkCalendar | None = None) -> None:
    """Moves an open step's deadline to ``due_at`` (a granted extension, a recount): the diagram's
    timer of the ready step, and the row's due, yellow and basis by the one deadline rule (with
    ``calendar`` when given: years about to be loaded). A moved deadline restarts the escalation
    ladder: ``escalation_level`` goes back to 0 and every rung is counted from the new ``due_at``
    (rungs reached before stay on record). Raises Conflict when the step is no longer open."""
    cycle = lock_cycle(work, task.cycle_id)
    definition = diagram_for_version(work, cycle.diagram_version_id).step(task.step_id)
    run = load_run(work, cycle)
    before = run.ready_steps()
    try:
        run.move_deadline(task.instance_id, due_at)
    except StepNotReady:
        raise Conflict(f"“{task.step_name}”当前不在待办状态,不能改动期限") from None
    save_run(work, cycle, run, before)
    deadline = work.runtime.deadline(definition, task.ready_at, due_at, calendar=calendar)
    values: dict[str, object] = {
        "due_at": deadline.due_at,
        "yellow_at": deadline.yellow_at,
        "due_basis": deadline.basis.label,
    }
    if deadline.due_at != task.due_at:
        # The ladder restarts from the new deadline (its rungs are unique per deadline), so the mark
        # on the step follows its light: 已催办 beside a green light would say two things at once.
        values["escalation_level"] = 0
    moved = work.session.connection().execute(
        update(TASKS).where(TASKS.c.id == task.id, TASKS.c.state == HumanTaskState.OPEN).values(**values)
    )
    if moved.rowcount != 1:
        raise Conflict(f"“{task.step_name}”刚刚已被办理,期限不再改动")
    work.session.expire(task)
