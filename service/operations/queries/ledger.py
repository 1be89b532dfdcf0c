"""The supervision ledger (督查台账): every key task of a plan with its units, the chosen round's
state and light, and the latest progress; as a page, a print view and an .xlsx file.

Everything is computed by SQL over the indexed human-task rows: the lights by one aggregate over
the round's open steps, the step names and the latest progress only for the rows shown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from db.models import Cycle, CycleStatus, HumanTask, HumanTaskState, KeyTask, Plan

from ...errors import Invalid, NotFound
from ...runtime import Work
from ..common import authz
from ..common.actor import Actor
from ..common.lights import GREEN, LIGHT_NAMES, LIGHTS, RED, YELLOW

# Decisions that send a report back to the lead unit (the diagram's review step).
RETURN_DECISIONS = ("return",)
STATUS_NAMES = {"none": "未启动", "running": "办理中", "closed": "已办结"}
ESCALATION_NAMES = {0: "", 1: "已提醒", 2: "已催办", 3: "已督办"}
MAX_PER_PAGE = 200
_RANK_LIGHT = {0: GREEN, 1: YELLOW, 2: RED}


@dataclass(frozen=True)
class PlanInfo:
    id: int
    title: str
    year: int | None


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
    status: str  # none | running | closed
    steps: tuple[str, ...]  # the open steps, e.g. "配合单位意见(3 个单位待办)"
    light: str | None  # of the open steps; None when nothing is open
    due_at: datetime | None  # the earliest open step's deadline
    escalation_level: int
    returns: int
    latest: str | None  # the latest thing done in the cycle, in a sentence
    latest_at: datetime | None

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    @property
    def light_name(self) -> str:
        return LIGHT_NAMES[self.light] if self.light else ""

    @property
    def escalation_name(self) -> str:
        return ESCALATION_NAMES.get(self.escalation_level, f"{self.escalation_level} 级")


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
    rows = work.session.execute(select(Plan.id, Plan.title, Plan.year).order_by(Plan.id.desc())).all()
    return tuple(PlanInfo(id=r.id, title=r.title, year=r.year) for r in rows)


def plan_rounds(work: Work, plan_id: int) -> tuple[str, ...]:
    """The rounds that have cycles in this plan, latest first."""
    rounds = work.session.scalars(
        select(Cycle.round)
        .join(KeyTask, KeyTask.id == Cycle.key_task_id)
        .where(KeyTask.plan_id == plan_id)
        .group_by(Cycle.round)
    ).all()
    return tuple(sorted(rounds, key=_round_key, reverse=True))


def _round_key(name: str) -> tuple[int, str]:
    year = re.match(r"\d{4}", name)
    return (int(year.group()) if year else 0, name)


def choose_plan(work: Work, plan_id: int | None) -> tuple[PlanInfo, tuple[PlanInfo, ...]]:
    plans = plans_list(work)
    if not plans:
        raise NotFound("还没有导入任何计划")
    if plan_id is None:
        return plans[0], plans
    for plan in plans:
        if plan.id == plan_id:
            return plan, plans
    raise NotFound(f"计划 {plan_id} 不存在")


def _open_aggregate(work: Work, plan_id: int, round_name: str | None) -> dict[int, tuple[int, datetime, int]]:
    """Per cycle of the plan and round: the worst light of its open steps (0 green, 1 yellow,
    2 red), the earliest deadline and the highest escalation. One GROUP BY over the open rows of
    those cycles, read through the (cycle, state) index."""
    if round_name is None:
        return {}
    now = work.now
    rank = case((HumanTask.due_at < now, 2), (HumanTask.yellow_at <= now, 1), else_=0)
    cycles = (
        select(Cycle.id)
        .join(KeyTask, KeyTask.id == Cycle.key_task_id)
        .where(Cycle.round == round_name, KeyTask.plan_id == plan_id)
    )
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
) -> Ledger:
    """The ledger of a plan for a round (default: the latest round with cycles).

    Units see the key tasks they take part in; the office and the leaders see them all.
    ``per_page=None`` gives every row (the export and the print view).

    Three small reads whatever the size: the plan's key tasks with their cycle of the round (one
    row each), the lights of those cycles (one aggregate), then the texts of the rows shown.
    Counting, filtering and paging happen on the first two, which hold a few numbers per key task."""
    if light is not None and light not in LIGHTS:
        raise Invalid(f"灯色应为 {'、'.join(LIGHTS)} 之一", field="light")
    if status is not None and status not in STATUS_NAMES:
        raise Invalid(f"状态应为 {'、'.join(STATUS_NAMES)} 之一", field="status")
    if page < 1:
        raise Invalid("页码应从 1 开始", field="page")
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"每页条数应在 1 到 {MAX_PER_PAGE} 之间", field="per_page")
    plan, plans = choose_plan(work, plan_id)
    rounds = plan_rounds(work, plan.id)
    if round_name:
        if round_name not in rounds:
            raise NotFound(f"计划“{plan.title}”没有 {round_name} 轮次的办理记录")
    else:
        round_name = rounds[0] if rounds else None
    session = work.session

    listed = session.execute(
        select(KeyTask.id, Cycle.id, Cycle.status)
        .outerjoin(Cycle, and_(Cycle.key_task_id == KeyTask.id, Cycle.round == (round_name or "")))
        .where(KeyTask.plan_id == plan.id, authz.key_task_visible(actor))
        .order_by(KeyTask.number, KeyTask.id)
    ).all()
    lights = _open_aggregate(work, plan.id, round_name)
    counts = {name: 0 for name in (*LIGHTS, *STATUS_NAMES)}
    chosen: list[tuple[int, int | None, str, tuple[int, datetime, int] | None]] = []
    for key_task_id, cycle_id, cycle_status in listed:
        row_status = "none" if cycle_id is None else ("closed" if cycle_status == CycleStatus.CLOSED else "running")
        found = lights.get(cycle_id) if cycle_id is not None else None
        counts[row_status] += 1
        if found is not None:
            counts[_RANK_LIGHT[found[0]]] += 1
        if status is not None and row_status != status:
            continue
        if light is not None and (found is None or _RANK_LIGHT[found[0]] != light):
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
    returns = _returns(work, cycle_ids)
    latest = _latest(work, cycle_ids)
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
                lead_units=t.lead_units_text,
                co_units=t.co_units_text,
                deadline_text=t.deadline_text,
                cycle_id=shown_cycle,
                status=row_status,
                steps=steps.get(shown_cycle, ()) if shown_cycle is not None else (),
                light=_RANK_LIGHT[found[0]] if found else None,
                due_at=found[1] if found else None,
                escalation_level=found[2] if found else 0,
                returns=returns.get(shown_cycle, 0) if shown_cycle is not None else 0,
                latest=said,
                latest_at=said_at,
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


def _returns(work: Work, cycle_ids: list[int]) -> dict[int, int]:
    if not cycle_ids:
        return {}
    rows = work.session.execute(
        select(HumanTask.cycle_id, func.count())
        .where(
            HumanTask.cycle_id.in_(cycle_ids),
            HumanTask.state == HumanTaskState.DONE,
            HumanTask.decision.in_(RETURN_DECISIONS),
        )
        .group_by(HumanTask.cycle_id)
    ).all()
    return {cycle_id: n for cycle_id, n in rows}


def _latest(work: Work, cycle_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """The latest completed step of each cycle, told in a sentence (a window function picks it,
    so only one row per cycle leaves the database)."""
    if not cycle_ids:
        return {}
    ranked = (
        select(
            HumanTask.cycle_id,
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
    rows = work.session.execute(select(ranked).where(ranked.c.n == 1)).all()
    out: dict[int, tuple[str, datetime]] = {}
    for row in rows:
        out[row.cycle_id] = (describe_step(row.step_name, row.decision, row.comment, row.data), row.completed_at)
    return out


DECISION_NAMES = {"pass": "通过", "return": "退回", "approve": "同意办结", "reject": "驳回"}


def describe_step(step_name: str, decision: str | None, comment: str | None, data: dict[str, Any] | None) -> str:
    """A sentence: "汇总报送: 报告正文…", "审核(退回): 意见…", or just "签收"."""
    head = step_name + (f"({DECISION_NAMES.get(decision, decision)})" if decision else "")
    texts = [str(v) for v in (data or {}).values() if v] + ([comment] if comment else [])
    return f"{head}: {' '.join(texts)}" if texts else head


# -- the spreadsheet -------------------------------------------------------------------------

COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6),
    ("重点任务", 24),
    ("所属板块", 14),
    ("主要内容", 48),
    ("牵头单位", 18),
    ("责任单位", 28),
    ("完成时限", 12),
    ("当前轮次", 10),
    ("办理环节", 18),
    ("状态", 9),
    ("预警", 7),
    ("办理期限", 12),
    ("退回次数", 7),
    ("督办情况", 9),
    ("最近进展", 48),
)
_FILLS = {RED: "F8CBAD", YELLOW: "FFE699", GREEN: "C6EFCE"}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _day(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d") if at else ""


def ledger_xlsx(book: Ledger, tz: ZoneInfo) -> bytes:
    """The ledger as supervisors keep it: a title row, a line of figures, two header rows, one row
    per key task; frozen header, fixed widths, wrapped text, set up to print on A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "督查台账"
    last = get_column_letter(len(COLUMNS))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    font_name = "宋体"

    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = f"{book.plan.title}督查台账"
    ws["A1"].font = Font(name=font_name, size=16, bold=True)
    ws["A1"].alignment = centre
    ws.row_dimensions[1].height = 30
    c = book.counts
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = (
        f"轮次: {book.round or '尚未启动'}    统计时间: {book.now.astimezone(tz).strftime('%Y-%m-%d %H:%M')}    "
        f"共 {book.total} 项: 红灯 {c[RED]}、黄灯 {c[YELLOW]}、绿灯 {c[GREEN]}、"
        f"已办结 {c['closed']}、未启动 {c['none']}"
    )
    ws["A2"].font = Font(name=font_name, size=10)
    ws["A2"].alignment = Alignment(horizontal="left", vertical="center")

    # Two header rows: the groups, then the columns.
    groups = (("任务信息", 1, 7), ("办理情况", 8, len(COLUMNS)))
    for label, first, end in groups:
        ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=end)
        cell = ws.cell(row=3, column=first, value=label)
        cell.font = Font(name=font_name, bold=True)
        cell.alignment = centre
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    for index, (name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=4, column=index, value=name)
        cell.font = Font(name=font_name, bold=True)
        cell.alignment = centre
        cell.fill = header_fill
        ws.cell(row=3, column=index).border = border
        ws.cell(row=3, column=index).fill = header_fill
        cell.border = border
        ws.column_dimensions[get_column_letter(index)].width = width

    body_font = Font(name=font_name, size=10)
    for offset, row in enumerate(book.rows):
        values: list[Any] = [
            row.number,
            row.title,
            row.section or "",
            row.body,
            row.lead_units,
            row.co_units,
            row.deadline_text or "",
            book.round or "",
            "、".join(row.steps) or ("已办结" if row.status == "closed" else ""),
            row.status_name,
            row.light_name,
            _day(row.due_at, tz),
            row.returns,
            row.escalation_name,
            (f"{_day(row.latest_at, tz)} {row.latest}" if row.latest else ""),
        ]
        r = 5 + offset
        for index, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=index)
            if isinstance(value, str):
                # Strings stay strings: a title starting with "=" must never become a formula.
                cell.value = _ILLEGAL.sub("", value)
                cell.data_type = "s"
            else:
                cell.value = value
            cell.font = body_font
            cell.alignment = wrap
            cell.border = border
        if row.light:
            ws.cell(row=r, column=11).fill = PatternFill("solid", fgColor=_FILLS[row.light])
        for index in (1, 7, 8, 10, 11, 12, 13, 14):
            ws.cell(row=r, column=index).alignment = centre

    ws.freeze_panes = "C5"
    ws.auto_filter.ref = f"A4:{last}{max(4, 4 + len(book.rows))}"
    ws.print_title_rows = "3:4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页,共 &N 页"
    wb.properties.title = f"{book.plan.title}督查台账"
    wb.properties.creator = "duban"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# -- choices for filters ---------------------------------------------------------------------


def key_task_choices(work: Work, actor: Actor, plan_id: int | None = None) -> tuple[tuple[int, int, str], ...]:
    """(id, number, title) of the key tasks this actor may see, for a filter's options."""
    query = select(KeyTask.id, KeyTask.number, KeyTask.title).where(authz.key_task_visible(actor))
    if plan_id is not None:
        query = query.where(KeyTask.plan_id == plan_id)
    rows = work.session.execute(query.order_by(KeyTask.plan_id.desc(), KeyTask.number).limit(1000)).all()
    return tuple((r.id, r.number, r.title) for r in rows)


def known_rounds(work: Work) -> tuple[str, ...]:
    """Every round that has cycles, latest first (read from the index on cycles' round)."""
    rounds = work.session.scalars(select(Cycle.round).group_by(Cycle.round)).all()
    return tuple(sorted(rounds, key=_round_key, reverse=True))
