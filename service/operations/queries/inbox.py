"""Inboxes: the steps an actor has to do (open) or has done, with deadlines and lights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, true

from db.models import Cycle, HumanTask, HumanTaskState, KeyTask, Plan, Unit

from ...errors import Invalid
from ...runtime import Work
from ...vocabulary import UNIT_ROLES, Assignee, Party, Role
from ..common.actor import Actor
from ..common.lights import GREEN, LIGHTS, RED, YELLOW, light_clause, light_of
from ..common.paging import decode_cursor, encode_cursor
from ..common.timing import LATE, ON_TIME

MAX_LIMIT = 200
ORDERS = ("asc", "desc")
OUTCOMES = (ON_TIME, LATE)


@dataclass(frozen=True)
class InboxItem:
    """One human task as an inbox lists it (instants aware, UTC; ``light`` red/yellow/green, for a
    done task how it was done: late, in the yellow window, early)."""

    id: int
    cycle_id: int
    round: str
    key_task_id: int
    key_task_number: int
    key_task_title: str
    plan_id: int
    plan_title: str
    step: str
    step_name: str
    unit_id: int | None
    unit: str
    ready_at: datetime
    due_at: datetime
    due_basis: str
    light: str
    escalation_level: int
    state: str
    completed_at: datetime | None


@dataclass(frozen=True)
class InboxPage:
    """One page: its items, how many match in all, and the cursor of the next page (None at the end)."""

    items: tuple[InboxItem, ...]
    total: int
    next_cursor: str | None


def scope_of(actor: Actor) -> ColumnElement[bool]:
    """Whose steps land in this actor's inbox."""
    if actor.role in UNIT_ROLES:
        return HumanTask.unit_id == actor.unit_id
    if actor.role in (Role.SUPERVISOR, Role.LEADER):
        return HumanTask.role == Assignee(actor.role.value)
    return true()  # admins and the system see every step


def inbox(
    work: Work,
    actor: Actor,
    *,
    state: str = "open",
    limit: int = 50,
    cursor: str | None = None,
    light: str | None = None,
    key_task_id: int | None = None,
    round_name: str | None = None,
    plan_id: int | None = None,
    order: str | None = None,
    outcome: str | None = None,
) -> InboxPage:
    """The human tasks in ``actor``'s inbox (``scope_of``): open ones (``state="open"``, 待办) sorted
    by due instant, most urgent first; done ones (``"done"``, 已办) by completion, newest first;
    ``order`` ("asc" or "desc") turns either around. Filters: ``light`` (red, yellow, green: the
    light at ``work.now`` of an open task, how a done one was done), ``outcome`` ("on_time" or
    "late": a done task finished by its deadline, or after it), key task, round, plan. Pages
    of ``limit`` (1–200) items continued by the opaque ``cursor`` of the previous page.

    Reads only. Raises ``Invalid`` with the field (``state``, ``order``, ``limit``, ``light``,
    ``outcome``, or a ``cursor`` that is damaged or belongs to the other order)."""
    if state not in ("open", "done"):
        raise Invalid("state 应为 open 或 done", field="state")
    if order is None:
        order = "asc" if state == "open" else "desc"
    if order not in ORDERS:
        raise Invalid("order 应为 asc 或 desc", field="order")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1 到 {MAX_LIMIT} 之间", field="limit")
    if light is not None and light not in LIGHTS:
        raise Invalid(f"light 应为 {'、'.join(LIGHTS)} 之一", field="light")
    if outcome is not None and outcome not in OUTCOMES:
        raise Invalid(f"outcome 应为 {'、'.join(OUTCOMES)} 之一", field="outcome")
    now = work.now
    conditions: list[ColumnElement[bool]] = [scope_of(actor)]
    open_state = state == "open"
    conditions.append(HumanTask.state == (HumanTaskState.OPEN if open_state else HumanTaskState.DONE))
    if light is not None:
        if open_state:
            conditions.append(light_clause(light, now))
        else:
            late = HumanTask.completed_at > HumanTask.due_at
            on_time_yellow = and_(
                HumanTask.completed_at >= HumanTask.yellow_at, HumanTask.completed_at <= HumanTask.due_at
            )
            conditions.append(
                {"red": late, "yellow": on_time_yellow, "green": HumanTask.completed_at < HumanTask.yellow_at}[light]
            )
    if outcome is not None and not open_state:
        late = HumanTask.completed_at > HumanTask.due_at
        conditions.append(late if outcome == LATE else ~late)
    if key_task_id is not None:
        conditions.append(HumanTask.key_task_id == key_task_id)
    if round_name or plan_id is not None:
        cycle_filter = [Cycle.id == HumanTask.cycle_id]
        if round_name:
            cycle_filter.append(Cycle.round == round_name)
        if plan_id is not None:
            cycle_filter.append(KeyTask.plan_id == plan_id)
            cycle_filter.append(KeyTask.id == HumanTask.key_task_id)
        # Correlated to the step only: the page query joins cycles and key tasks itself.
        conditions.append(select(Cycle.id).where(*cycle_filter).correlate(HumanTask).exists())

    total = work.session.scalar(select(func.count()).select_from(HumanTask).where(*conditions)) or 0
    sort_column = HumanTask.due_at if open_state else HumanTask.completed_at
    ascending = order == "asc"
    page_conditions = list(conditions)
    if cursor:
        at, last_id, cursor_order = decode_cursor(cursor, datetime, int, int)
        if cursor_order != ORDERS.index(order):
            raise Invalid("cursor 属于另一种排序,请从第一页开始", field="cursor")
        if ascending:
            page_conditions.append(or_(sort_column > at, and_(sort_column == at, HumanTask.id > last_id)))
        else:
            page_conditions.append(or_(sort_column < at, and_(sort_column == at, HumanTask.id < last_id)))
    sorting = (sort_column.asc(), HumanTask.id.asc()) if ascending else (sort_column.desc(), HumanTask.id.desc())
    rows = work.session.execute(
        select(HumanTask, KeyTask.number, KeyTask.title, Unit.name, Cycle.round, Plan.id, Plan.title)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .where(*page_conditions)
        .order_by(*sorting)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = tuple(
        InboxItem(
            id=task.id,
            cycle_id=task.cycle_id,
            round=round_,
            key_task_id=task.key_task_id,
            key_task_number=number,
            key_task_title=title,
            plan_id=plan_id,
            plan_title=plan_title,
            step=task.step_id,
            step_name=task.step_name,
            unit_id=task.unit_id,
            unit=unit_name or Party.label_of(task.party),
            ready_at=task.ready_at,
            due_at=task.due_at,
            due_basis=task.due_basis,
            light=light_of(now, task.due_at, task.yellow_at, task.completed_at),
            escalation_level=task.escalation_level,
            state=task.state.value,
            completed_at=task.completed_at,
        )
        for task, number, title, unit_name, round_, plan_id, plan_title in rows
    )
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = encode_cursor(last.due_at if open_state else last.completed_at, last.id, ORDERS.index(order))
    return InboxPage(items=items, total=total, next_cursor=next_cursor)


# -- the inbox's light tabs ----------------------------------------------------------------------


def inbox_counts(
    work: Work,
    actor: Actor,
    *,
    key_task_id: int | None = None,
    round_name: str | None = None,
    plan_id: int | None = None,
) -> dict[str, int]:
    """How many of the actor's open steps are red, yellow and green, by the inbox's own scope.

    Three counts rather than one GROUP BY: all open steps and the red ones are counted on the
    deadline indexes alone; only the yellow ones need ``yellow_at``, and only among the
    steps not yet due. Green is what remains."""
    now = work.now
    conditions: list[ColumnElement[bool]] = [scope_of(actor), HumanTask.state == HumanTaskState.OPEN]
    if key_task_id is not None:
        conditions.append(HumanTask.key_task_id == key_task_id)
    if round_name:
        conditions.append(select(Cycle.id).where(Cycle.id == HumanTask.cycle_id, Cycle.round == round_name).exists())
    if plan_id is not None:
        conditions.append(
            select(KeyTask.id).where(KeyTask.id == HumanTask.key_task_id, KeyTask.plan_id == plan_id).exists()
        )

    def count(*more: ColumnElement[bool]) -> int:
        return int(work.session.scalar(select(func.count()).select_from(HumanTask).where(*conditions, *more)) or 0)

    everything = count()
    red = count(HumanTask.due_at < now)
    yellow = count(HumanTask.due_at >= now, HumanTask.yellow_at <= now)
    return {RED: red, YELLOW: yellow, GREEN: everything - red - yellow}
