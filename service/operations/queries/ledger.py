"""The supervision ledger (督查台账): every key task of a plan with its units, the chosen round's
state and light, and the latest progress: what the page, the print view and the .xlsx file
(``service/exports/ledger_xlsx.py``) show.

Everything is computed by SQL over the indexed human-task rows: the lights by one aggregate over
the round's open steps, the step names and the latest progress only for the rows shown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState, KeyTask, Plan

from ...errors import Invalid, NotFound
from ...runtime import Work
from ...vocabulary import CycleKind, EscalationLevel, Light, PlanStatus, Progress, YearStatus, round_label
from ..common import authz
from ..common.actor import Actor
from ..common.lights import LIGHTS
from .decisions import SentBack, describe_sent_back, diagrams_of, sent_back, total_sent_back
from .progress_lights import key_task_progress
from .unit_names import unit_namer
from .year_status import year_states

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class PlanInfo:
    id: int
    title: str
    year: int | None
    status: PlanStatus = PlanStatus.PUBLISHED
    published_at: datetime | None = None


@dataclass(frozen=True)
class LedgerRow:
    key_task_id: int
    number: int
    section: str | None
    title: str
    body: str
    lead_units: str
    co_units: str
    deadline_text: str | None
    cycle_id: int | None
    status: str  # none | running | closed | cancelled
    steps: tuple[str, ...]  # the open steps, e.g. "配合单位意见(3 个单位待办)"
    light: str | None  # of the open steps; None when nothing is open
    due_at: datetime | None  # the earliest open step's deadline
    escalation_level: int
    returns: int  # how many times the cycle's work was sent back, every backward decision counted
    sent_back: tuple[SentBack, ...]  # the same by decision, labelled: 退回 2 次、驳回 1 次
    latest: str | None  # the latest thing done in the cycle, in a sentence
    latest_at: datetime | None
    # The key task's progress light at the round (indicators against 序时), its reported completion,
    # and where its year stands (销号, 挂账): see operations/queries/progress_lights.py, year_status.py.
    progress_light: str | None = None
    percent: float | None = None
    year_status: str = YearStatus.OPEN.value
    carried_from: int | None = None
    urged: int = 0  # 催办 by hand, over the cycle's steps (催办 N 次)

    @property
    def status_name(self) -> str:
        return Progress(self.status).label

    @property
    def light_name(self) -> str:
        return Light(self.light).label if self.light else ""

    @property
    def sent_back_text(self) -> str:
        """ "退回 2 次、驳回 1 次"; empty when never sent back."""
        return describe_sent_back(self.sent_back)

    @property
    def progress_light_name(self) -> str:
        return Light(self.progress_light).label if self.progress_light else ""

    @property
    def year_status_name(self) -> str:
        return YearStatus.label_of(self.year_status)

    @property
    def escalation_name(self) -> str:
        if not self.escalation_level:
            return ""
        try:
            return EscalationLevel(self.escalation_level).reached_label
        except ValueError:
            return f"{self.escalation_level} 级"


@dataclass(frozen=True)
class Ledger:
    plan: PlanInfo
    plans: tuple[PlanInfo, ...]
    rounds: tuple[str, ...]
    round: str | None
    rows: tuple[LedgerRow, ...]
    total: int  # rows matching the filters
    counts: dict[str, int]  # over the whole plan and round: red, yellow, green, running, closed, none
    page: int
    pages: int
    now: datetime


def plans_list(work: Work) -> tuple[PlanInfo, ...]:
    """Every plan, newest first (plans are public within the office: their key tasks are not)."""
    rows = work.session.execute(
        select(Plan.id, Plan.title, Plan.year, Plan.status, Plan.published_at).order_by(Plan.id.desc())
    ).all()
    return tuple(
        PlanInfo(id=r.id, title=r.title, year=r.year, status=PlanStatus(r.status), published_at=r.published_at)
        for r in rows
    )


def plan_rounds(work: Work, plan_id: int) -> tuple[str, ...]:
    """The reporting rounds that have cycles in this plan, latest first (a year's 销号 is no round)."""
    rounds = work.session.scalars(
        select(Cycle.round)
        .join(KeyTask, KeyTask.id == Cycle.key_task_id)
        .where(KeyTask.plan_id == plan_id, Cycle.kind == CycleKind.ROUND)
        .group_by(Cycle.round)
    ).all()
    return tuple(sorted(rounds, key=_round_key, reverse=True))


def _round_key(name: str) -> tuple[int, str]:
    year = re.match(r"\d{4}", name)
    return (int(year.group()) if year else 0, name)


def choose_plan(
    work: Work, plan_id: int | None, remembered: int | None = None
) -> tuple[PlanInfo, tuple[PlanInfo, ...]]:
    """The plan asked for (NotFound if there is no such plan); else the one the user chose last
    (``remembered``, ignored when it no longer exists); else, of this year's (local time) published
    plans, the first published (the annual plan a 督查室 starts the year with: a second plan published
    later must not hide it); else this year's newest (a draft just imported); else the newest. Never
    simply the newest: a plan imported for next year must not hide this year's red lights. The one
    place 工作台, 督查台账, 统计, their exports and the 督查通报 take their default plan from."""
    plans = plans_list(work)
    if not plans:
        raise NotFound("还没有导入任何计划")
    if plan_id is None:
        by_id = {plan.id: plan for plan in plans}
        if remembered in by_id:
            return by_id[remembered], plans
        year = work.now.astimezone(work.runtime.config.tz).year
        this_year = [plan for plan in plans if plan.year == year]
        published = sorted(
            (plan for plan in this_year if plan.status == PlanStatus.PUBLISHED),
            key=lambda plan: (
                plan.published_at is None,
                plan.published_at.timestamp() if plan.published_at else 0,
                plan.id,
            ),
        )
        return (published or this_year or list(plans))[0], plans
    for plan in plans:
        if plan.id == plan_id:
            return plan, plans
    raise NotFound(f"计划 {plan_id} 不存在")


def _members(plan: PlanInfo) -> ColumnElement[bool]:
    """A WHERE clause on KeyTask: the plan's key tasks, and those of earlier years' plans carried
    (挂账) into this plan's year, which its ledger lists after its own."""
    own = KeyTask.plan_id == plan.id
    if plan.year is None:
        return own
    earlier = select(Plan.id).where(Plan.year < plan.year)
    return or_(own, and_(KeyTask.carried_until >= plan.year, KeyTask.plan_id.in_(earlier)))


def _open_aggregate(
    work: Work, members: ColumnElement[bool], round_name: str | None
) -> dict[int, tuple[int, datetime, int]]:
    """Per cycle of the plan and round: the worst light of its open steps (0 green, 1 yellow,
    2 red), the earliest deadline and the highest escalation. One GROUP BY over the open rows of
    those cycles, read through the (cycle, state) index."""
    if round_name is None:
        return {}
    now = work.now
    rank = case((HumanTask.due_at < now, 2), (HumanTask.yellow_at <= now, 1), else_=0)
    cycles = select(Cycle.id).join(KeyTask, KeyTask.id == Cycle.key_task_id).where(Cycle.round == round_name, members)
    rows = work.session.execute(
        select(HumanTask.cycle_id, func.max(rank), func.min(HumanTask.due_at), func.max(HumanTask.escalation_level))
        .where(HumanTask.cycle_id.in_(cycles), HumanTask.state == HumanTaskState.OPEN)
        .group_by(HumanTask.cycle_id)
    ).all()
    return {cycle_id: (int(worst), due_at, int(level or 0)) for cycle_id, worst, due_at, level in rows}


def ledger(
    work: Work,
    actor: Actor,
    *,
    plan_id: int | None = None,
    round_name: str | None = None,
    light: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int | None = 50,
    remembered_plan: int | None = None,
) -> Ledger:
    """The ledger of a plan for a round (default: the latest round with cycles).

    Units see the key tasks they take part in; the office and the leaders see them all.
    ``per_page=None`` gives every row (the export and the print view).

    Three small reads whatever the size: the plan's key tasks with their cycle of the round (one
    row each), the lights of those cycles (one aggregate), then the texts of the rows shown.
    Counting, filtering and paging happen on the first two, which hold a few numbers per key task."""
    if light is not None and light not in LIGHTS:
        raise Invalid(f"灯色应为 {'、'.join(LIGHTS)} 之一", field="light")
    if status is not None and status not in Progress.labels():
        raise Invalid(f"状态应为 {'、'.join(Progress.labels())} 之一", field="status")
    if page < 1:
        raise Invalid("页码应从 1 开始", field="page")
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"每页条数应在 1 到 {MAX_PER_PAGE} 之间", field="per_page")
    plan, plans = choose_plan(work, plan_id, remembered_plan)
    rounds = plan_rounds(work, plan.id)
    if round_name:
        if round_name not in rounds:
            raise NotFound(f"计划“{plan.title}”没有{round_label(round_name)}轮次的办理记录")
    else:
        round_name = rounds[0] if rounds else None
    session = work.session

    members = _members(plan)
    listed = session.execute(
        select(KeyTask.id, Cycle.id, Cycle.status)
        .outerjoin(Cycle, and_(Cycle.key_task_id == KeyTask.id, Cycle.round == (round_name or "")))
        # A retired key task (停用, or removed by a plan's revision) shows only in a round it had a cycle in.
        .where(members, authz.key_task_visible(actor), or_(KeyTask.active.is_(True), Cycle.id.is_not(None)))
        .order_by(KeyTask.plan_id != plan.id, KeyTask.number, KeyTask.id)
    ).all()
    lights = _open_aggregate(work, members, round_name)
    counts = {name.value: 0 for name in (*LIGHTS, *Progress)}
    chosen: list[tuple[int, int | None, Progress, tuple[int, datetime, int] | None]] = []
    for key_task_id, cycle_id, cycle_status in listed:
        row_status = (
            Progress.NONE
            if cycle_id is None
            else Progress(CycleStatus(cycle_status).value)  # running, closed or cancelled (撤销)
        )
        found = lights.get(cycle_id) if cycle_id is not None else None
        counts[row_status] += 1
        if found is not None:
            counts[Light.of_rank(found[0])] += 1
        if status is not None and row_status != status:
            continue
        if light is not None and (found is None or Light.of_rank(found[0]) != light):
            continue
        chosen.append((key_task_id, cycle_id, row_status, found))
    total = len(chosen)
    pages = max(1, math.ceil(total / per_page)) if per_page else 1
    if per_page:
        chosen = chosen[(page - 1) * per_page : page * per_page]

    texts = {
        r.id: r
        for r in session.execute(
            select(
                KeyTask.id,
                KeyTask.number,
                KeyTask.section,
                KeyTask.title,
                KeyTask.body,
                KeyTask.lead_units_text,
                KeyTask.co_units_text,
                KeyTask.deadline_text,
            ).where(KeyTask.id.in_([c[0] for c in chosen] or [-1]))
        )
    }
    cycle_ids = [c[1] for c in chosen if c[1] is not None]
    steps = _open_step_names(work, cycle_ids)
    returns = sent_back(work, cycle_ids)
    urged = dict(
        session.execute(
            select(HumanTask.cycle_id, func.sum(HumanTask.urge_count))
            .where(HumanTask.cycle_id.in_(cycle_ids or [-1]), HumanTask.urge_count > 0)
            .group_by(HumanTask.cycle_id)
        ).all()
    )
    latest = _latest(work, cycle_ids)
    shown = [c[0] for c in chosen]
    progress = key_task_progress(work, shown, round_name)
    years = year_states(work, shown, plan.year)
    named = unit_namer(work)
    rows = []
    for shown_id, shown_cycle, row_status, found in chosen:
        t = texts[shown_id]
        said, said_at = latest.get(shown_cycle, (None, None)) if shown_cycle is not None else (None, None)
        rows.append(
            LedgerRow(
                key_task_id=shown_id,
                number=t.number,
                section=t.section,
                title=t.title,
                body=t.body,
                lead_units=named(t.lead_units_text),
                co_units=named(t.co_units_text),
                deadline_text=t.deadline_text,
                cycle_id=shown_cycle,
                status=row_status,
                steps=steps.get(shown_cycle, ()) if shown_cycle is not None else (),
                light=Light.of_rank(found[0]) if found else None,
                due_at=found[1] if found else None,
                escalation_level=found[2] if found else 0,
                returns=total_sent_back(returns.get(shown_cycle, ())) if shown_cycle is not None else 0,
                sent_back=returns.get(shown_cycle, ()) if shown_cycle is not None else (),
                urged=int(urged.get(shown_cycle, 0) or 0) if shown_cycle is not None else 0,
                latest=said,
                latest_at=said_at,
                progress_light=progress[shown_id].light if shown_id in progress else None,
                percent=progress[shown_id].percent if shown_id in progress else None,
                year_status=years[shown_id].status.value if shown_id in years else YearStatus.OPEN.value,
                carried_from=years[shown_id].carried_from if shown_id in years else None,
            )
        )
    return Ledger(
        plan=plan,
        plans=plans,
        rounds=rounds,
        round=round_name,
        rows=tuple(rows),
        total=total,
        counts=counts,
        page=page,
        pages=pages,
        now=work.now,
    )


def _open_step_names(work: Work, cycle_ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not cycle_ids:
        return {}
    rows = work.session.execute(
        select(HumanTask.cycle_id, HumanTask.step_name, func.count(), func.min(HumanTask.ready_at).label("first"))
        .where(HumanTask.cycle_id.in_(cycle_ids), HumanTask.state == HumanTaskState.OPEN)
        .group_by(HumanTask.cycle_id, HumanTask.step_name)
        .order_by(HumanTask.cycle_id, "first")
    ).all()
    out: dict[int, list[str]] = {}
    for cycle_id, name, n, _first in rows:
        out.setdefault(cycle_id, []).append(f"{name}({n} 个单位待办)" if n > 1 else name)
    return {k: tuple(v) for k, v in out.items()}


def _latest(work: Work, cycle_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """The latest completed step of each cycle, told in a sentence (a window function picks it,
    so only one row per cycle leaves the database)."""
    if not cycle_ids:
        return {}
    ranked = (
        select(
            HumanTask.cycle_id,
            HumanTask.step_id,
            HumanTask.step_name,
            HumanTask.decision,
            HumanTask.comment,
            HumanTask.data,
            HumanTask.completed_at,
            func.row_number()
            .over(partition_by=HumanTask.cycle_id, order_by=(HumanTask.completed_at.desc(), HumanTask.id.desc()))
            .label("n"),
        )
        .where(HumanTask.cycle_id.in_(cycle_ids), HumanTask.state == HumanTaskState.DONE)
        .subquery()
    )
    rows = work.session.execute(
        select(ranked, Cycle.diagram_version_id).join(Cycle, Cycle.id == ranked.c.cycle_id).where(ranked.c.n == 1)
    ).all()
    diagrams = diagrams_of(work, [row.diagram_version_id for row in rows])
    out: dict[int, tuple[str, datetime]] = {}
    for row in rows:
        step = diagrams[row.diagram_version_id].find(row.step_id)
        label = step.decision_label(row.decision) if step else row.decision
        out[row.cycle_id] = (describe_step(row.step_name, label, row.comment, row.data), row.completed_at)
    return out


def describe_step(step_name: str, decision_label: str | None, comment: str | None, data: dict[str, Any] | None) -> str:
    """A sentence: "汇总报送: 报告正文…", "审核(退回): 意见…", or just "签收" (the decision as the
    diagram labels it)."""
    head = step_name + (f"({decision_label})" if decision_label else "")
    texts = [str(v) for v in (data or {}).values() if v] + ([comment] if comment else [])
    return f"{head}: {' '.join(texts)}" if texts else head


# -- choices for filters ---------------------------------------------------------------------


@dataclass(frozen=True)
class KeyTaskChoice:
    id: int
    number: int
    title: str
    plan_id: int
    plan_title: str


def key_task_choices(work: Work, actor: Actor, plan_id: int | None = None) -> tuple[KeyTaskChoice, ...]:
    """The key tasks this actor may see, for a filter's options: each names its plan (two plans
    both have a task 7), newest plan first, by number within a plan."""
    query = (
        select(KeyTask.id, KeyTask.number, KeyTask.title, Plan.id.label("plan_id"), Plan.title.label("plan_title"))
        .join(Plan, Plan.id == KeyTask.plan_id)
        .where(authz.key_task_visible(actor))
    )
    if plan_id is not None:
        query = query.where(KeyTask.plan_id == plan_id)
    rows = work.session.execute(query.order_by(KeyTask.plan_id.desc(), KeyTask.number).limit(1000)).all()
    return tuple(KeyTaskChoice(r.id, r.number, r.title, r.plan_id, r.plan_title) for r in rows)


def known_rounds(work: Work) -> tuple[str, ...]:
    """Every round that has cycles, latest first (read from the index on cycles' round)."""
    rounds = work.session.scalars(select(Cycle.round).where(Cycle.kind == CycleKind.ROUND).group_by(Cycle.round)).all()
    return tuple(sorted(rounds, key=_round_key, reverse=True))
