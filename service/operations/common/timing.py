"""How a deadline stands, in working days and in the words the pages put beside it.

A step is due at the end of its due day (``service/deadlines.py``), so it is overdue from the next
day on. Days are local days (``[server] timezone``), counted by the working-day calendar:

- open, due day after today: 剩余 N 个工作日 (N working days after today, the due day included);
- open, due today: 今日到期;
- open, past its due time: 已逾期 N 个工作日 (working days after the due day up to today, at least 1);
- done by its due time: 按期办结; done later: 超期 N 个工作日办结 (the same count, to the day it was done).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ...workdays import WorkCalendar

LEFT, TODAY, OVERDUE = "left", "today", "overdue"
ON_TIME, LATE = "on_time", "late"


@dataclass(frozen=True)
class TimeLeft:
    kind: str  # left | today | overdue
    working_days: int  # left, or overdue by; 0 for today
    text: str


@dataclass(frozen=True)
class Outcome:
    kind: str  # on_time | late
    working_days_late: int  # 0 when on time
    text: str


def working_days_late(calendar: WorkCalendar, tz: ZoneInfo, due_at: datetime, at: datetime) -> int:
    """Working days from the due day to ``at``'s day (the due day not counted), at least 1 once
    ``at`` is past the due time (a step overdue over a weekend is one day late on Monday, not 0)."""
    if at <= due_at:
        return 0
    return max(1, calendar.working_days_between(due_at.astimezone(tz).date(), at.astimezone(tz).date()))


def time_left(calendar: WorkCalendar, tz: ZoneInfo, now: datetime, due_at: datetime) -> TimeLeft:
    """An open step's deadline against ``now``."""
    if now > due_at:
        late = working_days_late(calendar, tz, due_at, now)
        return TimeLeft(OVERDUE, late, f"已逾期 {late} 个工作日")
    today, due_day = now.astimezone(tz).date(), due_at.astimezone(tz).date()
    if due_day <= today:
        return TimeLeft(TODAY, 0, "今日到期")
    left = max(1, calendar.working_days_between(today, due_day))
    return TimeLeft(LEFT, left, f"剩余 {left} 个工作日")


def outcome(calendar: WorkCalendar, tz: ZoneInfo, due_at: datetime, completed_at: datetime) -> Outcome:
    """How a done step went against its deadline (the deadline it had when it was done)."""
    late = working_days_late(calendar, tz, due_at, completed_at)
    if not late:
        return Outcome(ON_TIME, 0, "按期办结")
    return Outcome(LATE, late, f"超期 {late} 个工作日办结")
