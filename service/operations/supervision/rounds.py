"""Reporting rounds (config.toml [rounds]): the plan runs all year, one cycle per key task per round.

A quarterly round is named ``2024-Q2``, a monthly one ``2024-M04``. It opens on the first working day
on or after ``open_day`` of its period's first month, at ``open_at``; its report is due on
``report_day`` of the month after the period, moved to the next working day when that is a day
off (as a legal time limit ending on a holiday runs to the next working day).

Opening is idempotent: the scheduler's loop (``service/scheduling/loops.py: open_rounds``) starts
cycles only for active key tasks that have none for the round, each in its own transaction; a
second scheduler racing it meets the unique ``(key_task_id, round)`` of cycles and its attempt is
counted as already done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import cast

from sqlalchemy import Table, exists, or_, select, update

from db.models import Cycle, KeyTask, KeyTaskUnit, Plan, UnitPart

from ...config import Config
from ...runtime import Runtime, Work
from ...vocabulary import CycleKind, CycleStatus, PlanStatus, Role
from ...workdays import END_OF_DAY, WorkCalendar
from ..common import notice_texts as texts
from ..common.actor import SYSTEM
from ..common.notifications import Notice, Recipients, notify
from ..cycles.start import start_cycle

CYCLES = cast(Table, Cycle.__table__)


@dataclass(frozen=True)
class Round:
    name: str
    year: int
    first_month: int
    months: int

    def next(self) -> Round:
        month = self.first_month + self.months
        year = self.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        return round_starting(year, month, self.months)

    def opens_on(self, calendar: WorkCalendar, open_day: int) -> date:
        day = date(self.year, self.first_month, open_day)
        return day if calendar.is_workday(day) else calendar.next_workday(day)

    def report_due_on(self, calendar: WorkCalendar, report_day: int) -> date:
        after = self.next()
        day = date(after.year, after.first_month, report_day)
        return day if calendar.is_workday(day) else calendar.next_workday(day)


def round_starting(year: int, month: int, months: int) -> Round:
    if months == 3:
        return Round(f"{year}-Q{(month - 1) // 3 + 1}", year, month, 3)
    return Round(f"{year}-M{month:02d}", year, month, 1)


def round_of(config: Config, day: date) -> Round | None:
    """The round whose period contains ``day`` (None when rounds are off)."""
    period = config.rounds.period
    if period == "off":
        return None
    if period == "quarter":
        return round_starting(day.year, (day.month - 1) // 3 * 3 + 1, 3)
    return round_starting(day.year, day.month, 1)


def round_choices(config: Config, today: date) -> tuple[Round, ...]:
    """The rounds a page offers for starting a cycle by hand: every round of ``today``'s year of the
    configured period (quarters when rounds are off), and the one after the current round when it
    falls in the next year. Latest first."""
    months = 1 if config.rounds.period == "month" else 3
    rounds = [round_starting(today.year, month, months) for month in range(1, 13, months)]
    current = round_starting(today.year, (today.month - 1) // months * months + 1, months)
    if current.next().year > today.year:
        rounds.append(current.next())
    return tuple(reversed(rounds))


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def opens_at(runtime: Runtime, rnd: Round) -> datetime:
    config = runtime.config
    day = rnd.opens_on(runtime.calendar, config.rounds.open_day)
    return datetime.combine(day, _time(config.rounds.open_at), config.tz)


def report_due_at(runtime: Runtime, rnd: Round) -> datetime:
    day = rnd.report_due_on(runtime.calendar, runtime.config.rounds.report_day)
    return datetime.combine(day, END_OF_DAY, runtime.config.tz)


def current_round(runtime: Runtime, now: datetime) -> Round | None:
    """The round open at ``now``: this period's once it has opened, else still the last one's."""
    rnd = round_of(runtime.config, now.astimezone(runtime.config.tz).date())
    if rnd is None or now >= opens_at(runtime, rnd):
        return rnd
    return None  # before this period's opening day, the previous round was opened long ago


def missing_key_tasks(work: Work, rnd: Round) -> list[int]:
    """Active key tasks of this year's published plans (or published plans without a year, or
    carried into this year) with no cycle for the round, unless closed (销号) for the year. Drafts
    and archived plans get no rounds (``directory/plan_status.py``)."""
    has_cycle = exists().where(Cycle.key_task_id == KeyTask.id, Cycle.round == rnd.name)
    has_lead = exists().where(KeyTaskUnit.key_task_id == KeyTask.id, KeyTaskUnit.part == UnitPart.LEAD)
    # 销号 approved for the year: no more rounds in it (operations/year/closing.py).
    closed = exists().where(
        Cycle.key_task_id == KeyTask.id,
        Cycle.kind == CycleKind.CLOSING,
        Cycle.round == f"{rnd.year}-销号",
        Cycle.status == CycleStatus.CLOSED,
    )
    return list(
        work.session.scalars(
            select(KeyTask.id)
            .join(Plan, Plan.id == KeyTask.plan_id)
            .where(
                KeyTask.active.is_(True),
                Plan.status == PlanStatus.PUBLISHED,
                # This year's plans, plans without a year, and key tasks carried into this year (挂账).
                or_(Plan.year == rnd.year, Plan.year.is_(None), KeyTask.carried_until >= rnd.year),
                has_lead,
                ~has_cycle,
                ~closed,
            )
            .order_by(KeyTask.id)
        )
    )


def start_round_cycle(work: Work, rnd: Round, key_task_id: int, report_due: datetime) -> int:
    """Starts the round's cycle of one key task as the system, with the round's report deadline;
    returns the cycle id. Raises Conflict when it already has one (another scheduler, a person)."""
    started = start_cycle(work, SYSTEM, key_task_id, rnd.name)
    work.session.connection().execute(update(CYCLES).where(CYCLES.c.id == started.id).values(report_due_at=report_due))
    return started.id


def notify_round_opened(work: Work, rnd: Round, started: int, report_due: datetime) -> None:
    """Tells the supervisors that the round opened, for how many key tasks, and when reports are due."""
    words = texts.round_opened(rnd.name, started, report_due, work.runtime.config.tz)
    notify(work, Recipients(work).role(Role.SUPERVISOR), Notice.of(words))
