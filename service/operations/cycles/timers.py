"""Diagram timers: the cycles whose earliest timer has come, and advancing one of them."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select

from db.models import (
    Cycle,
    CycleStatus,
    HumanTask,
)
from workflows import (
    EngineError,
    FiredTimer,
)

from ...errors import BadDiagram
from ...runtime import Work
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
