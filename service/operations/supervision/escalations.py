"""The escalation ladder: reminder (提醒) before the due day, 催办 after it, 督办 after more days.

Each rung falls due at ``[escalation] at`` on a working day counted from the step's due day. The
scan never walks the open steps: for each rung it turns ``now`` into a bound on ``due_at`` (the
calendar is inverted once per pass), so it reads the partial index of open steps by ``due_at`` over
exactly the steps whose rung has come. Its cost follows what is due, not what is open.

Exactly once per deadline, whoever runs: a rung is a row with a unique ``(human_task_id, level,
due_at)``; it is written with ``INSERT … ON CONFLICT DO NOTHING`` and only the rows actually inserted
get their audit event (and, at the end of the pass, their notices: ``escalation_notices.py``).
The step's ``escalation_level`` is raised in the same transaction, by an UPDATE that
only touches open steps below that level (on PostgreSQL a second scheduler waits on those row
locks and then finds nothing left to do).

Moving a step's ``due_at`` (an extension) restarts the ladder: the step's ``escalation_level`` goes
back to 0 (``cycles/timers.move_deadline``), every rung is computed from the new deadline, and a
missed extended deadline is 催办ed again; rungs reached before stay on record with the deadline they
were counted from. So the light (from ``due_at``) and the mark (``escalation_level``) never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from db.models import Cycle, Escalation, HumanTask, HumanTaskState, KeyTask, Unit

from ...config import Config
from ...errors import Invalid
from ...runtime import Runtime, Work
from ...vocabulary import ESCALATION_KINDS, Assignee, EscalationLevel
from ...workdays import WorkCalendar
from ..common import audit, authz
from ..common.actor import SYSTEM, Actor
from ..common.lights import light_of
from ..common.paging import decode_cursor, encode_cursor

TASKS = cast(Table, HumanTask.__table__)
ESCALATIONS = cast(Table, Escalation.__table__)

REMINDER, CUIBAN, DUBAN = EscalationLevel.REMINDER, EscalationLevel.CUIBAN, EscalationLevel.DUBAN
MAX_LIMIT = 200


@dataclass(frozen=True)
class Rung:
    level: EscalationLevel
    # Working days from the due day: negative before it, positive after it.
    offset: int

    @property
    def kind(self) -> str:
        return self.level.kind

    @property
    def name(self) -> str:
        return self.level.label


def ladder(config: Config) -> tuple[Rung, ...]:
    esc = config.escalation
    rungs = [Rung(CUIBAN, esc.cuiban_after), Rung(DUBAN, esc.cuiban_after + esc.duban_after)]
    if esc.remind_before > 0:
        rungs.insert(0, Rung(REMINDER, -esc.remind_before))
    return tuple(rungs)


def _at(config: Config) -> time:
    hours, minutes = config.escalation.at.split(":")
    return time(int(hours), int(minutes))


def fire_day(calendar: WorkCalendar, due_day: date, offset: int) -> date:
    """The working day on which a rung falls due for a step due on ``due_day``."""
    if offset < 0:
        return calendar.back_working_days(due_day - timedelta(days=1), -offset)
    if offset == 0:
        return due_day
    return calendar.add_working_days(due_day, offset)[0]


def fires_at(runtime: Runtime, due_at: datetime, rung: Rung) -> datetime:
    tz = runtime.config.tz
    day = fire_day(runtime.calendar, due_at.astimezone(tz).date(), rung.offset)
    return datetime.combine(day, _at(runtime.config), tz)


def counted_on_fallback(runtime: Runtime, due_at: datetime, at: datetime) -> bool:
    """Whether the days from a deadline to a rung's instant ``at`` (either order) touch a year that
    neither a loaded arrangement nor the calendar package covers: that rung's day was counted by
    weekends only (a 催办 on 1 January after a step due 31 December, say), and is marked so where it is
    shown. Read with the calendar as it is now: once the year is loaded the mark goes."""
    tz = runtime.config.tz
    return runtime.calendar.on_fallback(due_at.astimezone(tz).date(), at.astimezone(tz).date())


def schedule(runtime: Runtime, due_at: datetime) -> dict[str, str]:
    """When each rung falls due for this deadline (for audit records and the API)."""
    return {rung.kind: fires_at(runtime, due_at, rung).isoformat() for rung in ladder(runtime.config)}


def due_bound(runtime: Runtime, now: datetime, rung: Rung) -> datetime:
    """The rung has come at ``now`` exactly for the steps with ``due_at`` before this instant.

    Let E be the last day whose firing time has passed (today from ``at`` on, else yesterday).
    After the due day (offset a > 0): the rung's day is the a-th working day after the due day D,
    which is at or before E exactly when D is before L, the a-th working day counting back from E
    (E itself counting). Before it (offset -k): the rung's day is at or before E exactly when D
    is at or before the k-th working day after E."""
    tz = runtime.config.tz
    calendar = runtime.calendar
    local = now.astimezone(tz)
    last = local.date() if local.time() >= _at(runtime.config) else local.date() - timedelta(days=1)
    if rung.offset > 0:
        bound_day = calendar.back_working_days(last, rung.offset)
    elif rung.offset == 0:
        bound_day = last + timedelta(days=1)
    else:
        bound_day = calendar.add_working_days(last, -rung.offset)[0] + timedelta(days=1)
    return datetime.combine(bound_day, time(0, 0), tz)


# -- the pass -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    human_task_id: int
    level: int
    step_name: str
    key_task_number: int
    unit: str

    def describe(self) -> str:
        task = f"重点任务{self.key_task_number}「{self.step_name}」"
        return f"{EscalationLevel(self.level).label}: 待办 #{self.human_task_id} {task}({self.unit})"


_CANDIDATES = (
    select(
        TASKS.c.id,
        TASKS.c.cycle_id,
        TASKS.c.key_task_id,
        TASKS.c.unit_id,
        TASKS.c.role,
        TASKS.c.step_id,
        TASKS.c.step_name,
        TASKS.c.due_at,
        KeyTask.number,
        KeyTask.title,
        Cycle.round,
        Unit.name.label("unit_name"),
    )
    .select_from(TASKS)
    .join(KeyTask, KeyTask.id == TASKS.c.key_task_id)
    .join(Cycle, Cycle.id == TASKS.c.cycle_id)
    .outerjoin(Unit, Unit.id == TASKS.c.unit_id)
)

# Built once per dialect: the unique (human_task_id, level) decides; a row another scheduler wrote
# first is skipped and not returned, so only this transaction's rows get events and notices.
_INSERT = {
    name: dialect.insert(ESCALATIONS)
    .on_conflict_do_nothing(index_elements=["human_task_id", "level", "due_at"])
    .returning(ESCALATIONS.c.id, ESCALATIONS.c.human_task_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def due_candidates(work: Work, rung: Rung, *, limit: int, after: tuple[datetime, int] | None = None) -> list[Any]:
    """Open steps below this rung whose rung has come, in (due_at, id) order."""
    bound = due_bound(work.runtime, work.now, rung)
    conditions: list[ColumnElement[bool]] = [
        TASKS.c.state == HumanTaskState.OPEN,
        TASKS.c.due_at < bound,
        TASKS.c.escalation_level < rung.level,
    ]
    if rung.offset <= 0:
        # A reminder is for a deadline still ahead; once it has passed, 催办 takes over.
        conditions.append(TASKS.c.due_at >= work.now)
    if after is not None:
        conditions.append(or_(TASKS.c.due_at > after[0], and_(TASKS.c.due_at == after[0], TASKS.c.id > after[1])))
    # Two steps, so that no planner (whatever its statistics) can start from the joined tables and
    # walk every open step: the ids come from the open steps' due_at index alone, the details after.
    conn = work.session.connection()
    ids = list(conn.scalars(select(TASKS.c.id).where(*conditions).order_by(TASKS.c.due_at, TASKS.c.id).limit(limit)))
    if not ids:
        return []
    return list(conn.execute(_CANDIDATES.where(TASKS.c.id.in_(ids)).order_by(TASKS.c.due_at, TASKS.c.id)).all())


def escalate(work: Work, rung: Rung, candidates: list[Any]) -> list[Fired]:
    """Raises these steps to ``rung``; only the rows this transaction inserts get audit events. Their
    notices are written by ``escalation_notices.notify_escalations`` at the end of the pass (one
    digest for a person with many)."""
    if not candidates:
        return []
    conn = work.session.connection()
    ids = [c.id for c in candidates]
    raised = conn.execute(
        update(TASKS)
        .where(TASKS.c.id.in_(ids), TASKS.c.state == HumanTaskState.OPEN, TASKS.c.escalation_level < rung.level)
        .values(escalation_level=rung.level)
        .returning(TASKS.c.id)
    )
    still_open = {r.id for r in raised}
    rows = [
        {
            "human_task_id": c.id,
            "level": rung.level,
            "cycle_id": c.cycle_id,
            "key_task_id": c.key_task_id,
            "unit_id": c.unit_id,
            "role": c.role,
            "step_id": c.step_id,
            "due_at": c.due_at,
            "fired_at": work.now,
        }
        for c in candidates
        if c.id in still_open
    ]
    if not rows:
        return []
    inserted = {r.human_task_id: r.id for r in conn.execute(_INSERT[conn.dialect.name], rows)}
    events: list[audit.Entry] = []
    fired: list[Fired] = []
    for c in candidates:
        if c.id not in inserted:
            continue
        unit = c.unit_name or Assignee.label_of(c.role)
        events.append(
            audit.Entry(
                SYSTEM,
                f"step.{rung.kind}",
                cycle_id=c.cycle_id,
                human_task_id=c.id,
                step_id=c.step_id,
                unit_id=c.unit_id,
                data={"level": rung.level, "due_at": c.due_at.isoformat()},
            )
        )
        fired.append(Fired(c.id, rung.level, c.step_name, c.number, unit))
    audit.append(work, events)  # one read of the chain's end, one insert, for the whole batch
    return fired


# -- the list (督办 items are the level-3 rows of it) -----------------------------------------


@dataclass(frozen=True)
class EscalationItem:
    id: int
    level: int
    kind: str
    kind_name: str
    human_task_id: int
    cycle_id: int
    round: str
    key_task_id: int
    key_task_number: int
    key_task_title: str
    step: str
    step_name: str
    unit_id: int | None
    unit: str
    due_at: datetime  # the deadline it was counted from
    fired_at: datetime
    step_state: str
    step_due_at: datetime  # the step's deadline now (an extension may have moved it)
    light: str
    fallback: bool = False  # its day was counted by weekends only (`counted_on_fallback`)


@dataclass(frozen=True)
class EscalationPage:
    items: tuple[EscalationItem, ...]
    total: int
    next_cursor: str | None


def list_escalations(
    work: Work,
    actor: Actor,
    *,
    level: int | None = None,
    kind: str | None = None,
    unit_id: int | None = None,
    key_task_id: int | None = None,
    cycle_id: int | None = None,
    open_only: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> EscalationPage:
    """Escalations, newest first. Units see their own; the supervisor, leaders and admins see all."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 应在 1 到 {MAX_LIMIT} 之间", field="limit")
    if kind is not None:
        if kind not in ESCALATION_KINDS:
            raise Invalid(f"kind 应为 {'、'.join(ESCALATION_KINDS)} 之一", field="kind")
        if level is not None and EscalationLevel.of_kind(kind) != level:
            raise Invalid("kind 与 level 不一致", field="kind")
        level = EscalationLevel.of_kind(kind)
    if level is not None and level not in list(EscalationLevel):
        raise Invalid("level 应为 1(提醒)、2(催办)或 3(督办)", field="level")
    if since is not None and until is not None and since > until:
        raise Invalid("since 不能晚于 until", field="since")
    conditions: list[ColumnElement[bool]] = [authz.unit_scoped(actor, Escalation.unit_id)]
    if level is not None:
        conditions.append(Escalation.level == level)
    if unit_id is not None:
        conditions.append(Escalation.unit_id == unit_id)
    if key_task_id is not None:
        conditions.append(Escalation.key_task_id == key_task_id)
    if cycle_id is not None:
        conditions.append(Escalation.cycle_id == cycle_id)
    if open_only:
        conditions.append(HumanTask.state == HumanTaskState.OPEN)
    if since is not None:
        conditions.append(Escalation.fired_at >= since)
    if until is not None:
        conditions.append(Escalation.fired_at < until)
    joined = select(func.count()).select_from(Escalation).join(HumanTask, HumanTask.id == Escalation.human_task_id)
    total = work.session.scalar(joined.where(*conditions)) or 0
    page_conditions = list(conditions)
    if cursor:
        at, last_id = decode_cursor(cursor, datetime, int)
        page_conditions.append(or_(Escalation.fired_at < at, and_(Escalation.fired_at == at, Escalation.id < last_id)))
    rows = work.session.execute(
        select(Escalation, HumanTask, KeyTask.number, KeyTask.title, Cycle.round, Unit.name)
        .join(HumanTask, HumanTask.id == Escalation.human_task_id)
        .join(KeyTask, KeyTask.id == Escalation.key_task_id)
        .join(Cycle, Cycle.id == Escalation.cycle_id)
        .outerjoin(Unit, Unit.id == Escalation.unit_id)
        .where(*page_conditions)
        .order_by(Escalation.fired_at.desc(), Escalation.id.desc())
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    items = tuple(
        EscalationItem(
            id=e.id,
            level=e.level,
            kind=EscalationLevel(e.level).kind,
            kind_name=EscalationLevel(e.level).label,
            human_task_id=e.human_task_id,
            cycle_id=e.cycle_id,
            round=round_,
            key_task_id=e.key_task_id,
            key_task_number=number,
            key_task_title=title,
            step=e.step_id,
            step_name=task.step_name,
            unit_id=e.unit_id,
            unit=unit_name or Assignee.label_of(e.role),
            due_at=e.due_at,
            fired_at=e.fired_at,
            step_state=task.state.value,
            step_due_at=task.due_at,
            light=light_of(work.now, task.due_at, task.yellow_at, task.completed_at),
            fallback=counted_on_fallback(work.runtime, e.due_at, e.fired_at),
        )
        for e, task, number, title, round_, unit_name in rows[:limit]
    )
    next_cursor = encode_cursor(items[-1].fired_at, items[-1].id) if more and items else None
    return EscalationPage(items=items, total=total, next_cursor=next_cursor)


__all__ = [
    "Rung",
    "counted_on_fallback",
    "due_bound",
    "escalate",
    "fires_at",
    "ladder",
    "list_escalations",
    "schedule",
]
