"""Where a key task's year stands: open, 销号 under way, closed (已销号), or carried (挂账) into a later
year (``operations/year/closing.py`` has the verbs)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from db.models import Cycle, KeyTask, Plan

from ...runtime import Work
from ...vocabulary import CycleKind, CycleStatus, YearStatus
from ..year.schedule import closing_round


@dataclass(frozen=True)
class YearState:
    status: YearStatus
    year: int | None
    closing_cycle_id: int | None
    carried_from: int | None  # the plan's year, for a key task carried into a later one


def year_states(work: Work, key_task_ids: list[int], year: int | None = None) -> dict[int, YearState]:
    """Where each key task's year stands (for ``year``, default each one's own closing year)."""
    session = work.session
    if not key_task_ids:
        return {}
    rows = session.execute(
        select(KeyTask.id, Plan.year, KeyTask.carried_until)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .where(KeyTask.id.in_(key_task_ids))
    ).all()
    closings = {
        (key_task_id, name): (cycle_id, status)
        for key_task_id, name, cycle_id, status in session.execute(
            select(Cycle.key_task_id, Cycle.round, Cycle.id, Cycle.status).where(
                Cycle.key_task_id.in_(key_task_ids), Cycle.kind == CycleKind.CLOSING
            )
        )
    }
    out = {}
    for key_task_id, plan_year, carried_until in rows:
        own = max(plan_year or 0, carried_until or 0) or None
        at = year or own
        found = closings.get((key_task_id, closing_round(at))) if at else None
        if found is not None and found[1] == CycleStatus.CLOSED:
            status = YearStatus.CLOSED
        elif found is not None:
            status = YearStatus.CLOSING
        elif carried_until and plan_year and at and (at < carried_until or at > plan_year):
            status = YearStatus.CARRIED
        else:
            status = YearStatus.OPEN
        carried_from = plan_year if carried_until and plan_year and at and at > plan_year else None
        out[key_task_id] = YearState(status, at, found[0] if found else None, carried_from)
    return out
