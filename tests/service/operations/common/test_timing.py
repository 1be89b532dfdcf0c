"""Time in words: 剩余 N 个工作日 / 今日到期 / 已逾期 N 个工作日, and how a done step went, counted by
the working-day calendar around the Qingming holiday of 2024 (4–6 April off, Sunday 7 April worked)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.operations.common.timing import outcome, time_left
from service.vocabulary import round_label
from service.workdays import END_OF_DAY, WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()


def at(day: int, hour: int = 9, month: int = 4) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=TZ)


def due(day: int, month: int = 4) -> datetime:
    return datetime.combine(datetime(2024, month, day).date(), END_OF_DAY, TZ)


@pytest.mark.parametrize(
    ("now", "due_at", "words"),
    [
        (at(1), due(2), "剩余 1 个工作日"),  # Monday, due Tuesday
        (at(3), due(8), "剩余 2 个工作日"),  # Wednesday, due Monday: the holiday is off, Sunday the 7th is worked
        (at(2, 8), due(2), "今日到期"),
        (at(2, 23), due(2), "今日到期"),  # due at the end of the day
        (at(3, 0), due(2), "已逾期 1 个工作日"),
        (at(8), due(3), "已逾期 2 个工作日"),  # the 4th–6th off, the 7th and 8th worked
        (at(6), due(3), "已逾期 1 个工作日"),  # late over a holiday is still late
    ],
)
def test_time_left_in_working_days(now, due_at, words):
    assert time_left(CALENDAR, TZ, now, due_at).text == words


def test_a_done_step_says_how_it_went():
    assert outcome(CALENDAR, TZ, due(3), at(3, 17)).text == "按期办结"
    late = outcome(CALENDAR, TZ, due(3), at(9, 10))
    assert (late.kind, late.working_days_late, late.text) == ("late", 3, "超期 3 个工作日办结")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("2026-Q4", "2026年第四季度"),
        ("2026-Q1", "2026年第一季度"),
        ("2026-M03", "2026年3月"),
        ("2026-M12", "2026年12月"),
        ("2026-H1", "2026年上半年"),
        ("2026-H2", "2026年下半年"),
        ("2026", "2026年度"),
        ("2026-Q5", "2026-Q5"),  # not a round name: shown as it is
        ("", ""),
    ],
)
def test_rounds_in_words(name, words):
    assert round_label(name) == words
