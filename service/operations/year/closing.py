"""办结销号 and 挂账: how a key task's year ends.

销号 is applied for by the lead unit and runs as a cycle of its own diagram (config.toml [engine]
closing_diagram: application with final figures and evidence → the office's review → a leader's
approval), on the same engine as the reporting rounds, so deadlines, escalation and the audit trail
work alike. It runs under the round name ``<year>-销号``, once per key task and year; approved (the
cycle closed), the key task is closed for that year and opens no further rounds in it.

A key task not closed by its year's end is 挂账: carried on the books into the next year
(``carried_until``), where the rounds open cycles for it again and the ledger shows it, marked, with
its history. The scheduler carries the tasks of a year over on its first pass of the next; the office
may do it by hand (``duban year carry-over``). Idempotent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, or_, select, update

from db.models import Cycle, KeyTask, Plan

from ...errors import Conflict, NotFound
from ...runtime import Work
from ...vocabulary import CycleKind, CycleStatus
from ..common import audit, authz
from ..common.actor import Actor
from ..cycles.diagrams import closing_diagram
from ..cycles.start import StartedCycle, open_cycle
from .schedule import closing_round


def closing_year(work: Work, key_task_id: int) -> int:
    """The year a key task's 销号 would close: its plan's year, or the latest it is carried into."""
    row = work.session.execute(
        select(Plan.year, KeyTask.carried_until).join(Plan, Plan.id == KeyTask.plan_id).where(KeyTask.id == key_task_id)
    ).first()
    if row is None:
        raise NotFound(f"重点任务 {key_task_id} 不存在")
    year = row.year or work.now.astimezone(work.runtime.config.tz).year
    return max(year, row.carried_until or year)


def start_closing(work: Work, actor: Actor, key_task_id: int) -> StartedCycle:
    """申请销号: opens the key task's 办结销号 cycle for its year; its first step (销号申请) waits for
    the lead unit. Raises Forbidden, NotFound, Conflict (applied for already, closed, or inactive)."""
    authz.ensure_can_apply_for_closing(work.session, actor, key_task_id)
    year = closing_year(work, key_task_id)
    name = closing_round(year)
    existing = work.session.execute(
        select(Cycle.id, Cycle.status).where(Cycle.key_task_id == key_task_id, Cycle.round == name)
    ).first()
    if existing is not None:
        said = "已销号" if existing.status == CycleStatus.CLOSED else "正在办理销号"
        raise Conflict(f"该任务 {year} 年度{said}(办理周期 #{existing.id})")
    return open_cycle(work, actor, key_task_id, name, CycleKind.CLOSING, closing_diagram(work))


def closed_in(year: int) -> object:
    """A WHERE clause on KeyTask: closed (销号 approved) for ``year``."""
    return exists().where(
        Cycle.key_task_id == KeyTask.id,
        Cycle.kind == CycleKind.CLOSING,
        Cycle.round == closing_round(year),
        Cycle.status == CycleStatus.CLOSED,
    )


def _due_for_carry(year: int) -> Select[Any]:
    """Active key tasks of ``year`` (their plan's, or carried into it) not closed for it nor carried on."""
    return (
        select(KeyTask.id)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .where(
            KeyTask.active.is_(True),
            or_(Plan.year == year, KeyTask.carried_until == year),
            or_(KeyTask.carried_until.is_(None), KeyTask.carried_until <= year),
            ~closed_in(year),  # type: ignore[operator]
        )
        .order_by(KeyTask.id)
    )


def carry_over(work: Work, actor: Actor, year: int) -> list[int]:
    """挂账: carries every active key task of ``year`` (its plan's, or carried into it) that was not
    closed for it into ``year + 1``. Returns the key task ids carried (none when run again)."""
    authz.ensure_can_carry_over(actor)
    due = list(work.session.scalars(_due_for_carry(year)))
    if not due:
        return []
    work.session.execute(update(KeyTask).where(KeyTask.id.in_(due)).values(carried_until=year + 1))
    numbers = list(work.session.scalars(select(KeyTask.number).where(KeyTask.id.in_(due)).order_by(KeyTask.id)))
    audit.record(
        work, actor, "year.carried_over", data={"year": year, "into": year + 1, "key_tasks": due, "numbers": numbers}
    )
    return due


def years_to_carry(work: Work) -> list[int]:
    """Years before this one that still have key tasks to carry over (the scheduler's check: reads
    only, so a pass with nothing to do takes no write lock)."""
    this_year = work.now.astimezone(work.runtime.config.tz).year
    plan_years = set(
        work.session.scalars(select(Plan.year).where(Plan.year.is_not(None), Plan.year < this_year).distinct())
    )
    carried = set(
        work.session.scalars(
            select(KeyTask.carried_until)
            .where(KeyTask.carried_until.is_not(None), KeyTask.carried_until < this_year)
            .distinct()
        )
    )
    years = sorted(y for y in plan_years | carried if y is not None)
    return [y for y in years if work.session.scalar(_due_for_carry(y).limit(1)) is not None]
