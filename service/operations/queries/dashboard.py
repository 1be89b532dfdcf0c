"""统计 and 打擂台: progress by section and by key task, the overdue list, and a league table of
units. Every figure is an aggregate computed by the database over the human-task rows; Python
only ranks and formats the few aggregated rows that come back.

Seen by the supervision office, the leaders and the admins (not by units).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState, KeyTask, Unit

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import Light, Party, Progress, round_label
from ..common import authz
from ..common.actor import Actor
from ..common.lights import GREEN, RED, YELLOW
from ..common.timing import working_days_late
from .decisions import backward_condition, diagrams_of
from .ledger import PlanInfo, choose_plan, plan_rounds

# Escalation levels that count against a unit: 催办 (2) and 督办 (3); a reminder (1) does not.
COUNTED_ESCALATION = 2
OVERDUE_LIST_LIMIT = 100


@dataclass(frozen=True)
class KeyTaskProgress:
    key_task_id: int
    number: int
    title: str
    section: str
    status: str  # none | running | closed
    stage: str  # where it stands, in words
    percent: int
    light: str | None


@dataclass(frozen=True)
class SectionProgress:
    name: str
    key_tasks: int
    not_started: int
    running: int
    closed: int
    red: int
    yellow: int
    green: int
    percent: int  # the mean progress of its key tasks


@dataclass(frozen=True)
class OverdueItem:
    human_task_id: int
    cycle_id: int
    key_task_number: int
    key_task_title: str
    step_name: str
    unit: str
    due_at: datetime
    working_days_late: int
    escalation_level: int
    openable: bool  # the reader may open the step (the office, or the step's own unit)


@dataclass(frozen=True)
class Dashboard:
    plan: PlanInfo
    plans: tuple[PlanInfo, ...]
    rounds: tuple[str, ...]
    round: str | None
    sections: tuple[SectionProgress, ...]
    key_tasks: tuple[KeyTaskProgress, ...]
    overdue: tuple[OverdueItem, ...]
    overdue_total: int
    lights: dict[str, int]  # open steps by light
    now: datetime


def _scope(plan_id: int, round_name: str | None) -> list[ColumnElement[bool]]:
    """Human tasks of the plan (and round, when given)."""
    conditions: list[ColumnElement[bool]] = [KeyTask.plan_id == plan_id]
    if round_name:
        conditions.append(Cycle.round == round_name)
    return conditions


def dashboard(
    work: Work,
    actor: Actor,
    *,
    plan_id: int | None = None,
    round_name: str | None = None,
    remembered_plan: int | None = None,
) -> Dashboard:
    """统计 for a plan (``choose_plan``: asked, remembered, this year's) and a round (default the latest)."""
    authz.ensure_can_see_statistics(actor)
    plan, plans = choose_plan(work, plan_id, remembered_plan)
    rounds = plan_rounds(work, plan.id)
    if round_name and round_name not in rounds:
        raise NotFound(f"计划“{plan.title}”没有{round_label(round_name)}轮次的办理记录")
    round_name = round_name or (rounds[0] if rounds else None)
    now = work.now
    session = work.session

    # Per cycle and step: open and done counts and the worst open light (one GROUP BY).
    rank = case((HumanTask.due_at < now, 2), (HumanTask.yellow_at <= now, 1), else_=0)
    is_open = HumanTask.state == HumanTaskState.OPEN
    per_step = session.execute(
        select(
            HumanTask.cycle_id,
            HumanTask.step_id,
            func.min(HumanTask.step_name),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((HumanTask.state == HumanTaskState.DONE, 1), else_=0)),
            func.max(case((is_open, rank), else_=None)),
        )
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .where(*_scope(plan.id, round_name or ""))
        .group_by(HumanTask.cycle_id, HumanTask.step_id)
    ).all()
    steps_of: dict[int, list[tuple[str, str, int, int, int | None]]] = {}
    for cycle_id, step_id, step_name, n_open, n_done, worst in per_step:
        steps_of.setdefault(cycle_id, []).append((step_id, step_name, n_open or 0, n_done or 0, worst))

    tasks = session.execute(
        select(
            KeyTask.id,
            KeyTask.number,
            KeyTask.title,
            KeyTask.section,
            Cycle.id,
            Cycle.status,
            Cycle.diagram_version_id,
        )
        .outerjoin(Cycle, and_(Cycle.key_task_id == KeyTask.id, Cycle.round == (round_name or "")))
        .where(KeyTask.plan_id == plan.id)
        .order_by(KeyTask.number)
    ).all()
    diagrams = diagrams_of(work, [t.diagram_version_id for t in tasks if t.diagram_version_id is not None])
    progress = tuple(
        _progress(
            kt_id,
            number,
            title,
            section,
            cycle_id,
            status,
            steps_of.get(cycle_id, []) if cycle_id else [],
            diagrams[version_id].order if version_id is not None else (),
        )
        for kt_id, number, title, section, cycle_id, status, version_id in tasks
    )
    sections = _sections(progress)

    # One expression object in both places, so PostgreSQL sees the same parameters in each.
    light_of_row = case((HumanTask.due_at < now, RED), (HumanTask.yellow_at <= now, YELLOW), else_=GREEN)
    light_counts: dict[str, int] = dict(
        session.execute(
            select(light_of_row, func.count())
            .join(Cycle, Cycle.id == HumanTask.cycle_id)
            .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
            .where(is_open, *_scope(plan.id, round_name or ""))
            .group_by(light_of_row)
        ).all()
    )
    lights = {light.value: int(light_counts.get(light, 0)) for light in (RED, YELLOW, GREEN)}
    overdue, overdue_total = _overdue(work, actor, plan.id, round_name)
    return Dashboard(
        plan=plan,
        plans=plans,
        rounds=rounds,
        round=round_name,
        sections=sections,
        key_tasks=progress,
        overdue=overdue,
        overdue_total=overdue_total,
        lights=lights,
        now=now,
    )


def _progress(
    key_task_id: int,
    number: int,
    title: str,
    section: str | None,
    cycle_id: int | None,
    status: CycleStatus | None,
    steps: list[tuple[str, str, int, int, int | None]],
    stages: tuple[str, ...],
) -> KeyTaskProgress:
    """Where a key task's cycle stands: the earliest of its open steps along the diagram's path
    (``Diagram.order``), and how far along that path it has come, in percent."""
    section_name = section or "未分板块"
    if cycle_id is None:
        return KeyTaskProgress(key_task_id, number, title, section_name, Progress.NONE, Progress.NONE.label, 0, None)
    if status == CycleStatus.CLOSED:
        return KeyTaskProgress(
            key_task_id, number, title, section_name, Progress.CLOSED, Progress.CLOSED.label, 100, None
        )
    open_steps = [s for s in steps if s[2] > 0]
    worst = max((s[4] for s in open_steps if s[4] is not None), default=None)
    if not open_steps:
        return KeyTaskProgress(
            key_task_id, number, title, section_name, Progress.RUNNING, Progress.RUNNING.label, 0, None
        )

    # The earliest stage still open is where the cycle stands; a multi-unit step counts its share.
    def place(step_id: str) -> int:
        return stages.index(step_id) if step_id in stages else len(stages)

    step_id, step_name, n_open, n_done, _ = min(open_steps, key=lambda s: place(s[0]))
    position = place(step_id) if step_id in stages else 0
    share = n_done / (n_open + n_done) if n_open + n_done else 0
    percent = round(100 * (position + share) / (len(stages) + 1))
    stage = step_name if n_open == 1 else f"{step_name}({n_done}/{n_open + n_done})"
    light = Light.of_rank(worst) if worst is not None else None
    return KeyTaskProgress(key_task_id, number, title, section_name, Progress.RUNNING, stage, percent, light)


def _sections(progress: tuple[KeyTaskProgress, ...]) -> tuple[SectionProgress, ...]:
    order: list[str] = []
    grouped: dict[str, list[KeyTaskProgress]] = {}
    for item in progress:
        if item.section not in grouped:
            order.append(item.section)
        grouped.setdefault(item.section, []).append(item)
    out = []
    for name in order:
        items = grouped[name]
        out.append(
            SectionProgress(
                name=name,
                key_tasks=len(items),
                not_started=sum(1 for i in items if i.status == Progress.NONE),
                running=sum(1 for i in items if i.status == Progress.RUNNING),
                closed=sum(1 for i in items if i.status == Progress.CLOSED),
                red=sum(1 for i in items if i.light == RED),
                yellow=sum(1 for i in items if i.light == YELLOW),
                green=sum(1 for i in items if i.light == GREEN),
                percent=round(sum(i.percent for i in items) / len(items)),
            )
        )
    return tuple(out)


def _overdue(work: Work, actor: Actor, plan_id: int, round_name: str | None) -> tuple[tuple[OverdueItem, ...], int]:
    now = work.now
    conditions = [HumanTask.state == HumanTaskState.OPEN, HumanTask.due_at < now, *_scope(plan_id, round_name or "")]
    total = (
        work.session.scalar(
            select(func.count())
            .select_from(HumanTask)
            .join(Cycle, Cycle.id == HumanTask.cycle_id)
            .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
            .where(*conditions)
        )
        or 0
    )
    rows = work.session.execute(
        select(HumanTask, KeyTask.number, KeyTask.title, Unit.name)
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .where(*conditions)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(OVERDUE_LIST_LIMIT)
    ).all()
    calendar = work.runtime.calendar
    tz = work.runtime.config.tz
    items = tuple(
        OverdueItem(
            human_task_id=task.id,
            cycle_id=task.cycle_id,
            key_task_number=number,
            key_task_title=title,
            step_name=task.step_name,
            unit=unit_name or Party.label_of(task.party),
            due_at=task.due_at,
            working_days_late=working_days_late(calendar, tz, task.due_at, now),
            escalation_level=task.escalation_level,
            openable=authz.sees_everything(actor) or (task.unit_id is not None and task.unit_id == actor.unit_id),
        )
        for task, number, title, unit_name in rows
    )
    return items, total


# -- 打擂台: the league table of units --------------------------------------------------------


@dataclass(frozen=True)
class UnitStanding:
    rank: int
    unit_id: int
    unit: str
    steps: int  # steps assigned (open and done)
    done: int
    on_time: int
    overdue_open: int
    on_time_rate: float | None  # on time / (done + overdue still open); None when nothing counts yet
    returns: int  # work sent back (退回, 驳回: the diagram's backward decisions) to this unit as lead unit
    escalations: int  # steps of this unit that reached 催办 or 督办
    avg_days: float | None  # mean calendar days from ready to done

    @property
    def on_time_percent(self) -> str:
        return "—" if self.on_time_rate is None else f"{self.on_time_rate * 100:.0f}%"


@dataclass(frozen=True)
class League:
    plan: PlanInfo
    plans: tuple[PlanInfo, ...]
    rounds: tuple[str, ...]
    round: str | None  # None: every round of the plan
    standings: tuple[UnitStanding, ...]
    now: datetime


def _days_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def league(
    work: Work,
    actor: Actor,
    *,
    plan_id: int | None = None,
    round_name: str | None = None,
    remembered_plan: int | None = None,
) -> League:
    """Units side by side over a plan (every round, or one): the on-time rate, returns,
    escalations and the mean time a step takes. Ranked by on-time rate, then fewer escalations,
    fewer returns, and speed."""
    authz.ensure_can_see_statistics(actor)
    plan, plans = choose_plan(work, plan_id, remembered_plan)
    rounds = plan_rounds(work, plan.id)
    if round_name and round_name not in rounds:
        raise NotFound(f"计划“{plan.title}”没有{round_label(round_name)}轮次的办理记录")
    now = work.now
    session = work.session
    dialect = session.get_bind().dialect.name
    done = HumanTask.state == HumanTaskState.DONE
    is_open = HumanTask.state == HumanTaskState.OPEN
    scope = [KeyTask.plan_id == plan.id, HumanTask.unit_id.is_not(None), HumanTask.state != HumanTaskState.CANCELLED]
    if round_name:
        scope.append(Cycle.round == round_name)
    figures = session.execute(
        select(
            HumanTask.unit_id,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((and_(done, HumanTask.completed_at <= HumanTask.due_at), 1), else_=0)),
            func.sum(case((and_(is_open, HumanTask.due_at < now), 1), else_=0)),
            func.sum(case((HumanTask.escalation_level >= COUNTED_ESCALATION, 1), else_=0)),
            func.avg(case((done, _days_between(dialect, HumanTask.ready_at, HumanTask.completed_at)), else_=None)),
        )
        .join(Cycle, Cycle.id == HumanTask.cycle_id)
        .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
        .where(*scope)
        .group_by(HumanTask.unit_id)
    ).all()
    # Every decision that sent work back (a review's 退回 and a leader's 驳回 alike) counts against
    # the cycle's lead unit.
    return_scope = [KeyTask.plan_id == plan.id, backward_condition(work)]
    if round_name:
        return_scope.append(Cycle.round == round_name)
    returns = dict(
        session.execute(
            select(Cycle.lead_unit_id, func.count())
            .select_from(HumanTask)
            .join(Cycle, Cycle.id == HumanTask.cycle_id)
            .join(KeyTask, KeyTask.id == HumanTask.key_task_id)
            .where(*return_scope)
            .group_by(Cycle.lead_unit_id)
        ).all()
    )
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_([f[0] for f in figures] or [-1]))).all())
    unranked = []
    for unit_id, steps, n_done, on_time, overdue_open, escalated, avg_days in figures:
        n_done, on_time, overdue_open = int(n_done or 0), int(on_time or 0), int(overdue_open or 0)
        counted = n_done + overdue_open
        unranked.append(
            UnitStanding(
                rank=0,
                unit_id=unit_id,
                unit=names.get(unit_id, str(unit_id)),
                steps=int(steps),
                done=n_done,
                on_time=on_time,
                overdue_open=overdue_open,
                on_time_rate=(on_time / counted) if counted else None,
                returns=int(returns.get(unit_id, 0)),
                escalations=int(escalated or 0),
                avg_days=round(float(avg_days), 1) if avg_days is not None else None,
            )
        )

    def order(s: UnitStanding) -> tuple[Any, ...]:
        rate = s.on_time_rate if s.on_time_rate is not None else -1.0
        return (-rate, s.escalations, s.returns, s.avg_days if s.avg_days is not None else float("inf"), s.unit)

    standings = []
    previous: tuple[Any, ...] | None = None
    rank = 0
    for position, standing in enumerate(sorted(unranked, key=order), start=1):
        key = order(standing)[:4]
        if key != previous:  # ties share a rank
            rank, previous = position, key
        standings.append(UnitStanding(**{**standing.__dict__, "rank": rank}))
    return League(plan=plan, plans=plans, rounds=rounds, round=round_name, standings=tuple(standings), now=now)
