"""督查通报: what the office's bulletin after a round says, as data (``service/exports/bulletin_docx.py``
lays it out as a Word document).

A round's bulletin is one plan's (``plan_id``; default the plan 统计 opens on, ``choose_plan``): it
covers that plan's key tasks with a cycle in the round — summary figures, progress by section, the
key tasks whose progress light (进度灯) is red or yellow with their lead units — and the 打擂台
tables (as published, or as they stand). 考评 is per round across every plan (a unit is assessed
on all its work of the round, and a round is published once), so the league tables are the
round's, the same as GET /api/v1/scores, and the bulletin says so; the units named for praise (the
top ``[scoring] praise_top`` of each league) and for criticism (the bottom ``criticise_bottom``
scoring below base), and an appendix row for every key task. Drawn up by the office, the leaders and the admins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from db.models import Cycle, HumanTask, HumanTaskState, Indicator, KeyTask, KeyTaskUnit, Plan, Unit, UnitPart

from ...errors import NotFound
from ...runtime import Work
from ...vocabulary import CycleKind, CycleStatus, Light
from ..common import authz
from ..common.actor import Actor
from ..year.schedule import period_of
from .ledger import choose_plan
from .progress_lights import KeyTaskProgress, progress_and_lights
from .scores import LeagueTable, Scores, scores

_CN_QUARTERS = {1: "一", 2: "二", 3: "三", 4: "四"}
_CN_HALVES = {1: "上半年", 7: "下半年"}


@dataclass(frozen=True)
class TaskLine:
    key_task_id: int
    number: int
    title: str
    section: str
    lead_units: str
    status: str  # 已办结 / 办理中
    overdue_steps: int
    progress: KeyTaskProgress
    indicators_on_track: int
    indicators: int


@dataclass(frozen=True)
class SectionLine:
    name: str
    key_tasks: int
    closed: int
    green: int
    yellow: int
    red: int
    unreported: int


@dataclass(frozen=True)
class Bulletin:
    round: str
    title: str
    period_text: str  # 2024年第二季度
    plan_id: int
    plan_title: str
    issued_on: datetime
    expected: float | None  # 序时进度 (working days) at the round's due date
    key_tasks: int
    closed: int
    running: int
    overdue_steps: int
    lights: dict[str, int]  # key tasks by progress light (and "none": nothing reported)
    indicators: int
    indicators_on_track: int
    sections: tuple[SectionLine, ...]
    red: tuple[TaskLine, ...]
    yellow: tuple[TaskLine, ...]
    scores: Scores
    praised: tuple[tuple[str, tuple[str, ...]], ...]  # (league label, units)
    criticised: tuple[tuple[str, tuple[str, ...]], ...]
    tasks: tuple[TaskLine, ...]


def period_text(round_name: str) -> str:
    """2024-Q4 → 2024年第四季度; 2024-M03 → 2024年3月; 2024-H1 → 2024年上半年; 2024 → 2024年."""
    period = period_of(round_name)
    if period is None:
        return round_name
    if period.months == 3:
        return f"{period.year}年第{_CN_QUARTERS[(period.first_month - 1) // 3 + 1]}季度"
    if period.months == 1:
        return f"{period.year}年{period.first_month}月"
    if period.months == 6:
        return f"{period.year}年{_CN_HALVES[period.first_month]}"
    return f"{period.year}年"


def short_name(plan_title: str) -> str:
    """The plan's name as bulletins quote it: the quoted words (“三新三强”), else the title itself."""
    quoted = re.search(r"[“\"]([^”\"]{2,20})[”\"]", plan_title or "")
    return quoted.group(1) if quoted else (plan_title or "").strip()


def bulletin(work: Work, actor: Actor, round_name: str, plan_id: int | None = None) -> Bulletin:
    """The bulletin of a plan's round (``plan_id``: default ``choose_plan``'s, as 统计 opens on).

    Raises Forbidden (units) and NotFound (no such plan, or the plan has no cycle in the round)."""
    authz.ensure_can_draft_bulletin(actor)
    plan, _ = choose_plan(work, plan_id)
    session = work.session
    rows = session.execute(
        select(KeyTask.id, KeyTask.number, KeyTask.title, KeyTask.section, KeyTask.plan_id, Cycle.status, Plan.year)
        .join(Cycle, Cycle.key_task_id == KeyTask.id)
        .join(Plan, Plan.id == KeyTask.plan_id)
        .where(Cycle.round == round_name, Cycle.kind == CycleKind.ROUND, KeyTask.plan_id == plan.id)
        .order_by(KeyTask.number)
    ).all()
    if not rows:
        raise NotFound(f"计划“{plan.title}”在 {round_name} 轮次没有办理记录,无法生成通报")
    ids = [r.id for r in rows]
    plan_title = plan.title
    progress, lights = progress_and_lights(work, ids, round_name, years={r.id: r.year for r in rows})
    on_track: Counter[int] = Counter(i.key_task_id for i in lights if i.light == Light.GREEN)
    counted: Counter[int] = Counter(i.key_task_id for i in lights)
    overdue = dict(
        session.execute(
            select(HumanTask.key_task_id, func.count())
            .join(Cycle, Cycle.id == HumanTask.cycle_id)
            .where(
                Cycle.round == round_name,
                Cycle.kind == CycleKind.ROUND,
                HumanTask.key_task_id.in_(ids),
                HumanTask.state == HumanTaskState.OPEN,
                HumanTask.due_at < work.now,
            )
            .group_by(HumanTask.key_task_id)
        ).all()
    )
    leads: dict[int, list[str]] = {}
    for key_task_id, name in session.execute(
        select(KeyTaskUnit.key_task_id, Unit.name)
        .join(Unit, Unit.id == KeyTaskUnit.unit_id)
        .where(KeyTaskUnit.key_task_id.in_(ids), KeyTaskUnit.part == UnitPart.LEAD)
        .order_by(KeyTaskUnit.key_task_id, KeyTaskUnit.position)
    ):
        leads.setdefault(key_task_id, []).append(name)
    tasks = tuple(
        TaskLine(
            key_task_id=r.id,
            number=r.number,
            title=r.title,
            section=r.section or "未分板块",
            lead_units="、".join(leads.get(r.id, [])),
            status=CycleStatus(r.status).label,
            overdue_steps=int(overdue.get(r.id, 0)),
            progress=progress[r.id],
            indicators_on_track=on_track[r.id],
            indicators=counted[r.id],
        )
        for r in rows
    )
    league = scores(work, actor, round_name)
    expected = next((t.progress.expected for t in tasks if t.progress.expected is not None), None)
    name = short_name(plan_title)
    period = period_text(round_name)
    light_counts = Counter(t.progress.light or "none" for t in tasks)
    return Bulletin(
        round=round_name,
        title=f"关于{period}“{name}”重点任务推进情况的通报" if name else f"关于{period}重点任务推进情况的通报",
        period_text=period,
        plan_id=plan.id,
        plan_title=plan_title,
        issued_on=work.now,
        expected=expected,
        key_tasks=len(tasks),
        closed=sum(1 for t in tasks if t.status == CycleStatus.CLOSED.label),
        running=sum(1 for t in tasks if t.status != CycleStatus.CLOSED.label),
        overdue_steps=sum(t.overdue_steps for t in tasks),
        lights={key: light_counts.get(key, 0) for key in ("green", "yellow", "red", "none")},
        indicators=session.scalar(
            select(func.count())
            .select_from(Indicator)
            .where(Indicator.key_task_id.in_(ids), Indicator.active.is_(True))
        )
        or 0,
        indicators_on_track=sum(on_track.values()),
        sections=_sections(tasks),
        red=tuple(t for t in tasks if t.progress.light == Light.RED),
        yellow=tuple(t for t in tasks if t.progress.light == Light.YELLOW),
        scores=league,
        praised=_named(league.tables, work.runtime.config.scoring.praise_top, top=True, base=_base(work)),
        criticised=_named(league.tables, work.runtime.config.scoring.criticise_bottom, top=False, base=_base(work)),
        tasks=tasks,
    )


def _base(work: Work) -> float:
    return float(work.runtime.config.scoring.base)


def _sections(tasks: tuple[TaskLine, ...]) -> tuple[SectionLine, ...]:
    order = list(dict.fromkeys(t.section for t in tasks))
    out = []
    for name in order:
        items = [t for t in tasks if t.section == name]
        out.append(
            SectionLine(
                name=name,
                key_tasks=len(items),
                closed=sum(1 for t in items if t.status == CycleStatus.CLOSED.label),
                green=sum(1 for t in items if t.progress.light == Light.GREEN),
                yellow=sum(1 for t in items if t.progress.light == Light.YELLOW),
                red=sum(1 for t in items if t.progress.light == Light.RED),
                unreported=sum(1 for t in items if t.progress.light is None),
            )
        )
    return tuple(out)


def _named(
    tables: tuple[LeagueTable, ...], count: int, *, top: bool, base: float
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The units a bulletin praises (the first ``count`` of each league, scoring above base) or
    criticises (the last ``count``, scoring below base), by league."""
    out = []
    for table in tables:
        if top:
            chosen = [u.unit for u in table.units[:count] if u.total > base]
        else:
            chosen = [u.unit for u in reversed(table.units) if u.total < base][:count]
        if chosen:
            out.append((table.label, tuple(chosen)))
    return tuple(out)
