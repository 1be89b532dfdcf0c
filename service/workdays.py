"""Working days by China's official calendar.

Three sources, in order of precedence:
1. a year's arrangement loaded by an administrator (holidays and make-up workdays, as the State
   Council publishes them each autumn);
2. the ``chinese-calendar`` package (it knows 2004 to its last release year and raises after);
3. plain weekends, for a year that neither covers: deadlines counted this way are marked
   ``fallback`` so the product can say so beside them.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)


class Basis(enum.IntEnum):
    """How a day was judged; higher is less certain, and a count takes its least certain day."""

    LOADED = 0
    OFFICIAL = 1
    FALLBACK = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class YearArrangement:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days that are working days (调休上班)

    def __post_init__(self) -> None:
        stray = [d for d in self.holidays | self.workdays if d.year != self.year]
        if stray:
            raise ValueError(f"dates outside {self.year}: {', '.join(map(str, sorted(stray)))}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {', '.join(map(str, sorted(both)))}")


@functools.lru_cache(maxsize=8192)
def _official(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


class WorkCalendar:
    def __init__(self, arrangements: Iterable[YearArrangement] = ()) -> None:
        self._years: Mapping[int, YearArrangement] = {a.year: a for a in arrangements}
        self._warned: set[int] = set()

    @property
    def loaded_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def judge(self, day: date) -> tuple[bool, Basis]:
        arrangement = self._years.get(day.year)
        if arrangement is not None:
            if day in arrangement.holidays:
                return False, Basis.LOADED
            if day in arrangement.workdays:
                return True, Basis.LOADED
            return day.weekday() < 5, Basis.LOADED
        official = _official(day)
        if official is not None:
            return official, Basis.OFFICIAL
        if day.year not in self._warned:
            self._warned.add(day.year)
            log.warning("no official calendar for %s: counting working days by weekends only", day.year)
        return day.weekday() < 5, Basis.FALLBACK

    def is_workday(self, day: date) -> bool:
        return self.judge(day)[0]

    def covers(self, year: int) -> bool:
        return year in self._years or _official(date(year, 6, 1)) is not None

    def on_fallback(self, first: date, last: date) -> bool:
        """Whether the days from ``first`` to ``last`` (either order) touch a year that neither a loaded
        arrangement nor the package covers: a day counted over them was counted by weekends only."""
        first, last = sorted((first, last))
        return any(not self.covers(year) for year in range(first.year, last.year + 1))

    def add_working_days(self, start: date, count: int) -> tuple[date, Basis]:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, basis, found = start, Basis.LOADED, 0
        while found < count:
            day += timedelta(days=1)
            workday, day_basis = self.judge(day)
            basis = max(basis, day_basis)
            if workday:
                found += 1
        return day, basis

    def back_working_days(self, end: date, count: int) -> date:
        """The working day ``count`` working days back, ``end`` counting as the first one."""
        day, found = end, 0
        while True:
            if self.is_workday(day):
                found += 1
                if found >= count:
                    return day
            day -= timedelta(days=1)

    def next_workday(self, day: date) -> date:
        """The first working day after ``day``."""
        return self.add_working_days(day, 1)[0]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n)))


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    yellow_at: datetime
    basis: Basis


END_OF_DAY = time(23, 59, 59)


def deadline_after(
    calendar: WorkCalendar, ready_at: datetime, working_days: int, yellow_before: int, tz: ZoneInfo
) -> Deadline:
    """A step ready at ``ready_at`` is due at the end of its ``working_days``-th working day after."""
    local_day = ready_at.astimezone(tz).date()
    due_day, basis = calendar.add_working_days(local_day, working_days)
    due_at = datetime.combine(due_day, END_OF_DAY, tz)
    return Deadline(due_at=due_at, yellow_at=yellow_from(calendar, due_at, yellow_before, tz), basis=basis)


def yellow_from(calendar: WorkCalendar, due_at: datetime, yellow_before: int, tz: ZoneInfo) -> datetime:
    """The start of the day from which the light is yellow (the due day counts as one)."""
    if yellow_before <= 0:
        return due_at
    due_day = due_at.astimezone(tz).date()
    return datetime.combine(calendar.back_working_days(due_day, yellow_before), time(0, 0), tz)
