"""Key tasks as lists and pages read them: units, the current round, lights.

A key task's light is the worst light of its open steps (any running cycle); a key task with no
open step has none. Its state is that of its latest cycle: not_started, running or closed.
Everything is computed with a few set-based queries, never per key task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, select
from sqlalchemy.orm import aliased

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState, KeyTask, KeyTaskUnit, Plan, Unit, UnitPart

from ...errors import Invalid
from ...runtime import Work
from ...vocabulary import Party
from ..common import authz
from ..common.actor import Actor
from ..common.lights import LIGHTS, RED, YELLOW, light_of

STATES = ("not_started", "running", "closed")
MAX_LIMIT = 500


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str


@dataclass(frozen=True)
class KeyTaskSummary:
    id: int
    plan_id: int
    plan_title: str
    number: int
    section: str | None
    title: str
    lead_units: tuple[UnitRef, ...]
    co_units: tuple[UnitRef, ...]
    deadline_text: str | None
    active: bool
    state: str
    current_round: str | None
    current_cycle_id: int | None
    light: str | None
    open_steps: int


@dataclass(frozen=True)
class KeyTaskPage:
    items: tuple[KeyTaskSummary, ...]
    total: int


@dataclass(frozen=True)
class OpenStep:
    id: int
    step: str
    step_name: str
    unit_id: int | None
    unit: str
    due_at: datetime
    light: str
    escalation_level: int


@dataclass(frozen=True)
class CycleSummary:
    id: int
    round: str
    status: str
    started_at: datetime
    closed_at: datetime | None
    light: str | None
    open_steps: tuple[OpenStep, ...]


@dataclass(frozen=True)
class KeyTaskDetail:
    summary: KeyTaskSummary
    body: str
    lead_units_text: str
    co_units_text: str
    targets: list[dict[str, Any]]
    deadline_date: date | None
    cycles: tuple[CycleSummary, ...]


def _open_exists(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(HumanTask.key_task_id == KeyTask.id, HumanTask.state == HumanTaskState.OPEN, *conditions)


def _light_filter(light: str, now: datetime) -> ColumnElement[bool]:
    red = _open_exists(HumanTask.due_at < now)
    yellow = _open_exists(HumanTask.yellow_at <= now, HumanTask.due_at >= now)
    if light == RED:
        return red
    if light == YELLOW:
        return and_(yellow, not_(red))
    return and_(_open_exists(), not_(_open_exists(HumanTask.yellow_at <= now)))


def _latest_cycle() -> Any:
    latest = aliased(Cycle)  # its own alias: the outer query reads cycles too
    return (
        select(latest.id)
        .where(latest.key_task_id == KeyTask.id)
        .order_by(latest.started_at.desc(), latest.id.desc())
        .limit(1)
        .correlate(KeyTask)
        .scalar_subquery()
    )


def _state_filter(state: str) -> ColumnElement[bool]:
    any_cycle = exists().where(Cycle.key_task_id == KeyTask.id)
    if state == "not_started":
        return not_(any_cycle)
    status = CycleStatus.RUNNING if state == "running" else CycleStatus.CLOSED
    return exists().where(Cycle.id == _latest_cycle(), Cycle.status == status)


def list_key_tasks(
    work: Work,
    actor: Actor,
    *,
    plan_id: int | None = None,
    unit_id: int | None = None,
    light: str | None = None,
    state: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> KeyTaskPage:
    """The key tasks this actor may see, in plan order, with the filters given."""
    if light is not None and light not in LIGHTS:
        raise Invalid(f"light 应为 {'、'.join(LIGHTS)} 之一", field="light")
    if state is not None and state not in STATES:
        raise Invalid(f"state 应为 {'、'.join(STATES)} 之一", field="state")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1 到 {MAX_LIMIT} 之间", field="limit")
    if offset < 0:
        raise Invalid("offset 不能为负数", field="offset")
    conditions: list[ColumnElement[bool]] = [authz.key_task_visible(actor)]
    if plan_id is not None:
        conditions.append(KeyTask.plan_id == plan_id)
    if unit_id is not None:
        conditions.append(exists().where(KeyTaskUnit.key_task_id == KeyTask.id, KeyTaskUnit.unit_id == unit_id))
    if light is not None:
        conditions.append(_light_filter(light, work.now))
    if state is not None:
        conditions.append(_state_filter(state))
    session = work.session
    total = session.scalar(select(func.count()).select_from(KeyTask).where(*conditions)) or 0
    rows = session.execute(
        select(KeyTask, Plan.title)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .where(*conditions)
        .order_by(KeyTask.plan_id, KeyTask.number)
        .limit(limit)
        .offset(offset)
    ).all()
    return KeyTaskPage(items=tuple(summarize(work, rows)), total=total)


def summarize(work: Work, rows: Any) -> list[KeyTaskSummary]:
    ids = [task.id for task, _title in rows]
    if not ids:
        return []
    session, now = work.session, work.now
    units: dict[int, dict[str, list[UnitRef]]] = {i: {"lead": [], "co": []} for i in ids}
    for part, unit_id, name, key_task_id in session.execute(
        select(KeyTaskUnit.part, Unit.id, Unit.name, KeyTaskUnit.key_task_id)
        .join(Unit, Unit.id == KeyTaskUnit.unit_id)
        .where(KeyTaskUnit.key_task_id.in_(ids))
        .order_by(KeyTaskUnit.key_task_id, KeyTaskUnit.position)
    ):
        units[key_task_id]["lead" if part == UnitPart.LEAD else "co"].append(UnitRef(unit_id, name))
    latest: dict[int, tuple[int, str, str]] = {}
    for cycle_id, key_task_id, round_, status in session.execute(
        select(Cycle.id, Cycle.key_task_id, Cycle.round, Cycle.status)
        .where(Cycle.key_task_id.in_(ids))
        .order_by(Cycle.started_at, Cycle.id)
    ):
        latest[key_task_id] = (cycle_id, round_, status.value if hasattr(status, "value") else status)
    rank = func.max(case((HumanTask.due_at < now, 2), (HumanTask.yellow_at <= now, 1), else_=0))
    lights: dict[int, tuple[str, int]] = {}
    for key_task_id, worst_rank, count in session.execute(
        select(HumanTask.key_task_id, rank, func.count())
        .where(HumanTask.key_task_id.in_(ids), HumanTask.state == HumanTaskState.OPEN)
        .group_by(HumanTask.key_task_id)
    ):
        lights[key_task_id] = (LIGHTS[int(worst_rank)], count)
    out = []
    for task, plan_title in rows:
        cycle = latest.get(task.id)
        light, open_count = lights.get(task.id, (None, 0))
        out.append(
            KeyTaskSummary(
                id=task.id,
                plan_id=task.plan_id,
                plan_title=plan_title,
                number=task.number,
                section=task.section,
                title=task.title,
                lead_units=tuple(units[task.id]["lead"]),
                co_units=tuple(units[task.id]["co"]),
                deadline_text=task.deadline_text,
                active=task.active,
                state=cycle[2] if cycle else "not_started",
                current_round=cycle[1] if cycle else None,
                current_cycle_id=cycle[0] if cycle else None,
                light=light,
                open_steps=open_count,
            )
        )
    return out


def key_task_detail(work: Work, actor: Actor, key_task_id: int) -> KeyTaskDetail:
    """One key task with its units, text, targets and every cycle with its open steps and light."""
    session = work.session
    authz.ensure_sees_key_task(session, actor, key_task_id)
    row = session.execute(
        select(KeyTask, Plan.title).join(Plan, Plan.id == KeyTask.plan_id).where(KeyTask.id == key_task_id)
    ).one()
    (summary,) = summarize(work, [row])
    task = row[0]
    cycles = session.execute(
        select(Cycle.id, Cycle.round, Cycle.status, Cycle.started_at, Cycle.closed_at)
        .where(Cycle.key_task_id == key_task_id)
        .order_by(Cycle.started_at.desc(), Cycle.id.desc())
    ).all()
    open_rows = session.execute(
        select(HumanTask, Unit.name)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .where(HumanTask.key_task_id == key_task_id, HumanTask.state == HumanTaskState.OPEN)
        .order_by(HumanTask.due_at, HumanTask.id)
    ).all()
    by_cycle: dict[int, list[OpenStep]] = {}
    for step, unit_name in open_rows:
        by_cycle.setdefault(step.cycle_id, []).append(
            OpenStep(
                id=step.id,
                step=step.step_id,
                step_name=step.step_name,
                unit_id=step.unit_id,
                unit=unit_name or Party.label_of(step.party),
                due_at=step.due_at,
                light=light_of(work.now, step.due_at, step.yellow_at),
                escalation_level=step.escalation_level,
            )
        )
    summaries = []
    for cycle_id, round_, status, started_at, closed_at in cycles:
        steps = tuple(by_cycle.get(cycle_id, ()))
        summaries.append(
            CycleSummary(
                id=cycle_id,
                round=round_,
                status=status.value if hasattr(status, "value") else status,
                started_at=started_at,
                closed_at=closed_at,
                light=_worst([s.light for s in steps]),
                open_steps=steps,
            )
        )
    return KeyTaskDetail(
        summary=summary,
        body=task.body,
        lead_units_text=task.lead_units_text,
        co_units_text=task.co_units_text,
        targets=list(task.targets or []),
        deadline_date=task.deadline_date,
        cycles=tuple(summaries),
    )


def _worst(lights: list[str]) -> str | None:
    return max(lights, key=LIGHTS.index) if lights else None
