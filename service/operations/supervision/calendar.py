"""A year's official holiday arrangement, loaded by an administrator, and keeping every process's
working-day calendar in step with the database.

The file is TOML, one year per file, one ``[[holidays]]`` block per holiday as the State Council's
notice lists them (its days off, and the weekend days worked in exchange)::

    # 2027 年部分节假日安排(国务院办公厅通知)
    year = 2027
    source = "国办发明电〔2026〕X号"

    [[holidays]]
    name = "元旦"
    off = ["2027-01-01..2027-01-03"]

    [[holidays]]
    name = "春节"
    off = ["2027-02-05..2027-02-11"]
    workdays = ["2027-02-14", "2027-02-20"]     # 调休上班的周末

A range ``A..B`` includes both ends. Loading a year again replaces it. Every load bumps a global
revision, so a process only has to compare ``max(revision), count(*)`` to know it must reload.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select

from db.models import CalendarYear, Extension, ExtensionStatus, HumanTask, HumanTaskState

from ...errors import Invalid
from ...runtime import Work
from ...workdays import Basis, WorkCalendar, YearArrangement
from ..common import audit, authz
from ..common.actor import Actor
from ..cycles.diagrams import diagram_for_version
from ..cycles.timers import move_deadline

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024
MAX_RANGE_DAYS = 31
WEEKDAY_NAMES = "一二三四五六日"


@dataclass(frozen=True)
class ParsedYear:
    year: int
    source: str
    holidays: dict[str, list[str]]
    workdays: dict[str, list[str]]

    def arrangement(self) -> YearArrangement:
        def flat(named: dict[str, list[str]]) -> frozenset[date]:
            return frozenset(date.fromisoformat(d) for days in named.values() for d in days)

        return YearArrangement(self.year, flat(self.holidays), flat(self.workdays))


def _line_of(text: str, needle: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return f"第 {number} 行: "
    return ""


def parse_year_file(data: bytes | str) -> ParsedYear:
    """Reads a year's arrangement; every mistake is named with its line (or key) in Chinese."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise Invalid(f"文件过大(超过 {MAX_FILE_BYTES // 1024} KB),不像是一年的放假安排", field="file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("文件不是 UTF-8 编码的文本", field="file") from None
    else:
        text = data
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"文件格式有误(TOML): {exc}", field="file") from None
    unknown = sorted(set(raw) - {"year", "source", "holidays"})
    if unknown:
        raise Invalid(
            f"{_line_of(text, unknown[0])}未知的项 {', '.join(unknown)}(应为 year、source 和若干 [[holidays]])",
            field=unknown[0],
        )
    year = raw.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid(f"{_line_of(text, 'year')}year 应为 2000 到 2100 之间的年份,收到 {year!r}", field="year")
    source = raw.get("source", "")
    if not isinstance(source, str) or len(source) > 300:
        raise Invalid(f"{_line_of(text, 'source')}source 应为不超过 300 字的文字", field="source")
    holidays, workdays = _holidays(text, raw.get("holidays", []), year)
    if not holidays:
        raise Invalid("没有任何放假日期(每个节日写一个 [[holidays]],含 name 和 off)", field="holidays")
    for name, days in workdays.items():
        for day in days:
            if date.fromisoformat(day).weekday() < 5:
                weekday = WEEKDAY_NAMES[date.fromisoformat(day).weekday()]
                raise Invalid(
                    f"{_line_of(text, day)}{name}的 workdays: {day} 是星期{weekday},本来就是工作日;"
                    "这里只列调休上班的周六、周日",
                    field="workdays",
                )
    off = {d: name for name, days in holidays.items() for d in days}
    for name, days in workdays.items():
        for day in days:
            if day in off:
                raise Invalid(
                    f"{_line_of(text, day)}{day} 既是{off[day]}的放假日,又是{name}的调休上班日",
                    field="workdays",
                )
    return ParsedYear(year=year, source=source.strip(), holidays=holidays, workdays=workdays)


def _holidays(text: str, blocks: object, year: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The ``[[holidays]]`` blocks: name -> days off, and name -> weekend days worked instead."""
    if not isinstance(blocks, list):
        raise Invalid(
            f"{_line_of(text, 'holidays')}holidays 应写成若干个 [[holidays]] 块(每块含 name、off)", field="holidays"
        )
    off: dict[str, list[str]] = {}
    worked: dict[str, list[str]] = {}
    for number, block in enumerate(blocks, start=1):
        where = f"第 {number} 个 [[holidays]]"
        if not isinstance(block, dict):
            raise Invalid(f"{where} 应为一个表", field="holidays")
        unknown = sorted(set(block) - {"name", "off", "workdays"})
        if unknown:
            raise Invalid(
                f"{_line_of(text, unknown[0])}{where}: 未知的项 {', '.join(unknown)}(应为 name、off、workdays)",
                field="holidays",
            )
        name = block.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 20:
            raise Invalid(f'{where}: name 应为节日名称,如 "春节"', field="holidays")
        name = name.strip()
        if name in off:
            raise Invalid(f"{_line_of(text, name)}{where}: {name} 重复出现", field="holidays")
        if "off" not in block:
            raise Invalid(f"{_line_of(text, name)}{name}: 缺少 off(放假日期)", field="holidays")
        off[name] = _days(text, f"{name}的 off", block["off"], year)
        if "workdays" in block:
            worked[name] = _days(text, f"{name}的 workdays", block["workdays"], year)
    return off, worked


def _days(text: str, where: str, items: object, year: int) -> list[str]:
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not items:
        raise Invalid(
            f'{_line_of(text, where.split("的")[0])}{where} 应为日期列表,如 ["{year}-10-01"]', field="holidays"
        )
    days: list[str] = []
    for position, item in enumerate(items, start=1):
        for day in _expand(text, where, position, item, year):
            if day.isoformat() not in days:
                days.append(day.isoformat())
    return sorted(days)


def _expand(text: str, where: str, position: int, item: object, year: int) -> list[date]:
    if isinstance(item, date) and not isinstance(item, datetime):  # TOML's bare dates
        item = item.isoformat()
    if not isinstance(item, str):
        raise Invalid(f"{where} 第 {position} 项 {item!r} 不是日期", field="holidays")
    line = _line_of(text, item)
    parts = item.split("..")
    try:
        bounds = [date.fromisoformat(p.strip()) for p in parts]
    except ValueError:
        raise Invalid(
            f"{line}{where} 第 {position} 项 {item!r} 不是日期(应如 {year}-10-01 或 {year}-10-01..{year}-10-07)",
            field="holidays",
        ) from None
    if len(bounds) > 2:
        raise Invalid(f"{line}{where} 第 {position} 项 {item!r} 的范围写法应为 开始..结束", field="holidays")
    first, last = bounds[0], bounds[-1]
    if last < first:
        raise Invalid(f"{line}{where} 第 {position} 项 {item!r} 的结束早于开始", field="holidays")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise Invalid(f"{line}{where} 第 {position} 项 {item!r} 超过 {MAX_RANGE_DAYS} 天,请检查", field="holidays")
    for bound in (first, last):
        if bound.year != year:
            raise Invalid(f"{line}{where} 第 {position} 项 {item!r} 不在 {year} 年内", field="holidays")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class LoadedYear:
    year: int
    holidays: int
    workdays: int
    replaced: bool
    revision: int
    recounted: int = 0  # open steps whose deadline moved: counted by weekends only, or over the year loaded


def load_year(work: Work, actor: Actor, parsed: ParsedYear) -> LoadedYear:
    """Stores (or replaces) a year's arrangement. The edge refreshes the process's calendar after
    commit (``service.scheduling.calendar.refresh_calendar``); other processes notice the new revision on their own."""
    authz.ensure_can_manage(actor, "导入节假日安排")
    session = work.session
    revision = (session.scalar(select(func.max(CalendarYear.revision))) or 0) + 1
    row = session.get(CalendarYear, parsed.year, with_for_update=True)
    replaced = row is not None
    if row is None:
        row = CalendarYear(year=parsed.year)
        session.add(row)
    row.holidays = parsed.holidays
    row.workdays = parsed.workdays
    row.source = parsed.source
    row.revision = revision
    row.loaded_at = work.now
    row.loaded_by_id = actor.user_id
    session.flush()
    arrangement = parsed.arrangement()
    audit.record(
        work,
        actor,
        "calendar.loaded",
        data={
            "year": parsed.year,
            "source": parsed.source,
            "holidays": len(arrangement.holidays),
            "workdays": len(arrangement.workdays),
            "replaced": replaced,
        },
    )
    recounted = recount_deadlines(work, actor, parsed.year)
    return LoadedYear(parsed.year, len(arrangement.holidays), len(arrangement.workdays), replaced, revision, recounted)


def recount_deadlines(work: Work, actor: Actor, year: int) -> int:
    """Counts again, with the years now loaded, the deadlines of open steps that were counted by
    weekends only, and of those whose count ran over ``year`` (the year just loaded: a revised
    arrangement, as the State Council issued for 2020, moves days the package already knew); moves
    those that change (row, light, diagram timer; the escalation ladder restarts from the new
    deadline, so its rungs follow). A deadline not counted by the rule (an extension granted, a
    timer the diagram drew, anything else that set it) is left alone: the step is recounted only
    when its deadline is what the rule gave with the calendar before the load. Returns how many moved.
    Days are counted in the configured zone, working days by the one deadline rule."""
    before = work.runtime.calendar
    calendar = WorkCalendar(loaded_arrangements(work))
    tz = work.runtime.config.tz
    year_start = datetime(year, 1, 1, tzinfo=tz)
    year_end = datetime(year + 1, 1, 1, tzinfo=tz)
    extended = exists().where(Extension.human_task_id == HumanTask.id, Extension.status == ExtensionStatus.GRANTED)
    over_year = (HumanTask.ready_at < year_end) & (HumanTask.due_at >= year_start)
    tasks = list(
        work.session.scalars(
            select(HumanTask)
            .where(
                HumanTask.state == HumanTaskState.OPEN,
                (HumanTask.due_basis == Basis.FALLBACK.label) | over_year,
                ~extended,
            )
            .order_by(HumanTask.id)
        )
    )
    runtime = work.runtime
    moved = 0
    for task in tasks:
        definition = diagram_for_version(work, task.cycle.diagram_version_id).step(task.step_id)
        deadline = runtime.deadline(definition, task.ready_at, calendar=calendar)
        if deadline.due_at == task.due_at:
            continue  # the same day either way, or still beyond what is known
        if task.due_basis != Basis.FALLBACK.label:
            counted = runtime.deadline(definition, task.ready_at, calendar=before)
            if counted.due_at != task.due_at:
                continue  # set by something other than the count: it stays
        old_due = task.due_at
        move_deadline(work, task, deadline.due_at, calendar)
        audit.record(
            work,
            actor,
            "step.deadline_recounted",
            cycle_id=task.cycle_id,
            human_task_id=task.id,
            step_id=task.step_id,
            unit_id=task.unit_id,
            data={"old_due_at": old_due.isoformat(), "new_due_at": deadline.due_at.isoformat(), "year": year},
        )
        moved += 1
    return moved


# -- what each process's calendar is built from ---------------------------------------------


def calendar_token(work: Work) -> tuple[int, int]:
    """(highest revision, number of years) of the loaded years: it changes with every load, so a
    process compares it to know whether to reload its calendar."""
    revision, count = work.session.execute(
        select(func.coalesce(func.max(CalendarYear.revision), 0), func.count()).select_from(CalendarYear)
    ).one()
    return int(revision), int(count)


def loaded_arrangements(work: Work) -> list[YearArrangement]:
    """Every year an administrator loaded, as the working-day calendar takes them."""
    rows = list(work.session.scalars(select(CalendarYear).order_by(CalendarYear.year)))
    return [YearArrangement(r.year, *r.days()) for r in rows]


# -- what the calendar covers ---------------------------------------------------------------


@dataclass(frozen=True)
class YearStatus:
    year: int
    basis: str  # loaded | official | fallback
    source: str | None
    loaded_at: datetime | None


@dataclass(frozen=True)
class CalendarStatus:
    years: tuple[YearStatus, ...]
    fallback_steps: int  # open steps whose deadline was counted by weekends only
    warnings: tuple[str, ...]


def calendar_status(work: Work, *, ahead_days: int = 400) -> CalendarStatus:
    """The years from last year to ``ahead_days`` ahead, and how each is known."""
    calendar = work.runtime.calendar
    loaded = {r.year: r for r in work.session.scalars(select(CalendarYear))}
    today = work.now.astimezone(work.runtime.config.tz).date()
    first = min([today.year - 1, *loaded])
    last = max([(today + timedelta(days=ahead_days)).year, *loaded])
    years: list[YearStatus] = []
    warnings: list[str] = []
    for year in range(first, last + 1):
        row = loaded.get(year)
        if row is not None:
            years.append(YearStatus(year, Basis.LOADED.label, row.source, row.loaded_at))
        elif calendar.covers(year):
            years.append(YearStatus(year, Basis.OFFICIAL.label, "chinese-calendar", None))
        else:
            years.append(YearStatus(year, Basis.FALLBACK.label, None, None))
            if year >= today.year:
                warnings.append(f"{year} 年的法定节假日安排尚未导入,该年的期限只按周末计算")
    fallback_steps = (
        work.session.scalar(
            select(func.count())
            .select_from(HumanTask)
            .where(HumanTask.state == HumanTaskState.OPEN, HumanTask.due_basis == Basis.FALLBACK.label)
        )
        or 0
    )
    if fallback_steps:
        warnings.append(f"{fallback_steps} 个未办结待办的期限是按周末推算的(其年份的放假安排未导入)")
    return CalendarStatus(tuple(years), fallback_steps, tuple(warnings))
