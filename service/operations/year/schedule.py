"""序时进度 and the progress light (进度灯).

序时进度 is the share of the year that should be done by a round's report due date: working days
elapsed in the round's year (1 January to that day, counted by the official calendar) ÷ working days
in the year, in percent. An indicator with a staged schedule (阶段目标: "6月底前完成50%") is measured
against its last milestone reached by that day instead (0 before the first one).

An indicator's completion is its latest cumulative value against its target: value ÷ target for
"不少于", "超过", "达到" and "约" targets (capped at 100); for a ceiling ("不超过", "低于": 审批时限压缩至
5 个工作日) 100 when the value keeps under it, else target ÷ value. Its light compares the two: green
while completion lags 序时 by less than [progress] yellow_behind points, yellow up to red_behind
points, red beyond.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from ...config import Config
from ...runtime import Runtime
from ...vocabulary import Comparator, Light
from ...workdays import WorkCalendar
from ..supervision.rounds import Round

_ROUND = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|M(?:0[1-9]|1[0-2])))?$")
CLOSING_SUFFIX = "-销号"


def closing_round(year: int) -> str:
    """The name a key task's 办结销号 cycle runs under (a round of its own, after the year's last)."""
    return f"{year}{CLOSING_SUFFIX}"


def period_of(round_name: str) -> Round | None:
    """The period a round covers (2024-Q2, 2024-M04, 2024-H1, 2024); None for another name."""
    match = _ROUND.match(round_name or "")
    if match is None:
        return None
    year, part = int(match.group(1)), match.group(2)
    if part is None:
        return Round(round_name, year, 1, 12)
    if part[0] == "Q":
        return Round(round_name, year, (int(part[1]) - 1) * 3 + 1, 3)
    if part[0] == "H":
        return Round(round_name, year, 1 if part[1] == "1" else 7, 6)
    return Round(round_name, year, int(part[1:]), 1)


def year_of(round_name: str) -> int | None:
    match = re.match(r"^(\d{4})", round_name or "")
    return int(match.group(1)) if match else None


def round_due_date(runtime: Runtime, round_name: str) -> date | None:
    """The day a round's reports are due ([rounds] report_day of the month after its period, moved
    to a working day); a year's 销号 round is due on its last day."""
    if round_name.endswith(CLOSING_SUFFIX):
        year = year_of(round_name)
        return date(year, 12, 31) if year else None
    period = period_of(round_name)
    if period is None:
        return None
    return period.report_due_on(runtime.calendar, runtime.config.rounds.report_day)


@functools.lru_cache(maxsize=64)
def _workdays_in(calendar: WorkCalendar, year: int) -> int:
    return calendar.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))


def measured_year(round_name: str, plan_year: int | None, due: date) -> int:
    """The year whose working days a round's 序时 counts: the round's own (2024-Q4 is measured
    within 2024 although its reports are due in January 2025, so it expects 100 %). A key task
    carried (挂账) into a later year is measured again over the year it is carried into."""
    return year_of(round_name) or plan_year or due.year


@functools.lru_cache(maxsize=1024)
def elapsed_share(calendar: WorkCalendar, year: int, on: date) -> float:
    """Working days from 1 January of ``year`` through ``on`` ÷ working days in the year, in % (0–100).

    Cached per calendar (a calendar is replaced, never changed, when an administrator loads a year)."""
    if on.year < year:
        return 0.0
    if on.year > year:
        return 100.0
    total = _workdays_in(calendar, year)
    if total <= 0:
        return 100.0
    return round(100 * calendar.working_days_between(date(year - 1, 12, 31), on) / total, 1)


def expected_share(
    calendar: WorkCalendar, year: int, on: date, schedule: Sequence[Mapping[str, Any]] | None = None
) -> float:
    """序时进度 on ``on`` (%): the staged schedule's last milestone reached, else the working-day share."""
    if schedule:
        reached = [float(m["share"]) for m in schedule if date.fromisoformat(str(m["by"])) <= on]
        return reached[-1] if reached else 0.0
    return elapsed_share(calendar, year, on)


def completion(comparator: str, target: float, value: float | None) -> float | None:
    """How much of an indicator's target its value achieves, in % (0–100); None without a value."""
    if value is None:
        return None
    if Comparator(comparator).is_ceiling:
        if value <= target:
            return 100.0
        return round(max(0.0, 100 * target / value), 1) if value > 0 else 100.0
    if target <= 0:
        return 100.0 if value >= target else 0.0
    return round(min(100.0, max(0.0, 100 * value / target)), 1)


def progress_light(config: Config, expected: float | None, done: float | None) -> Light | None:
    """Green, yellow or red by how many points ``done`` lags ``expected``; None when either is unknown."""
    if expected is None or done is None:
        return None
    behind = expected - done
    if behind > config.progress.red_behind:
        return Light.RED
    if behind >= config.progress.yellow_behind:
        return Light.YELLOW
    return Light.GREEN


def worst_light(lights: Iterable[Light | None]) -> Light | None:
    known = [light for light in lights if light is not None]
    return max(known, key=lambda light: light.rank) if known else None
