"""The one deadline rule (service/deadlines.py): counted, set by a timer or an extension, recounted."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from service.config import DeadlineConfig
from service.deadlines import step_deadline, working_days_for, yellow_before_for
from service.workdays import END_OF_DAY, Basis, WorkCalendar, YearArrangement
from workflows import StepDefinition

TZ = ZoneInfo("Asia/Shanghai")
RULES = DeadlineConfig(default_working_days=5, yellow_before=3, steps={"sign_for": 2})


def step(step_id: str = "consolidate", working_days: int | None = None, yellow_before: int | None = None):
    return StepDefinition(
        step_id=step_id,
        name=step_id,
        party="lead_unit",
        lane_name="牵头单位",
        working_days=working_days,
        yellow_before=yellow_before,
        fields=(),
        decision=None,
    )


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def test_the_span_comes_from_the_diagram_then_the_config_then_the_default():
    assert working_days_for(RULES, step(working_days=7)) == 7
    assert working_days_for(RULES, step("sign_for")) == 2
    assert working_days_for(RULES, step()) == 5
    # Yellow never lasts longer than the step itself.
    assert yellow_before_for(RULES, step("sign_for")) == 2
    assert yellow_before_for(RULES, step(working_days=1, yellow_before=4)) == 1


def test_a_counted_deadline_skips_the_qingming_holiday():
    # Ready Monday 1 April 2024: Qingming is 4-6 April, Sunday 7 April is worked.
    deadline = step_deadline(WorkCalendar(), RULES, TZ, step(), local(2024, 4, 1, 9))
    # Working days after the 1st: 2, 3, 7 (make-up Sunday), 8, 9 -> due at the end of the 9th.
    assert deadline.due_at == datetime.combine(date(2024, 4, 9), END_OF_DAY, TZ)
    # Yellow from the start of the third working day back from the 9th (9, 8, 7).
    assert deadline.yellow_at == local(2024, 4, 7)
    assert deadline.basis == Basis.OFFICIAL


def test_a_timer_or_an_extension_sets_the_deadline_and_yellow_follows_it():
    granted = datetime.combine(date(2024, 4, 16), END_OF_DAY, TZ)
    deadline = step_deadline(WorkCalendar(), RULES, TZ, step(), local(2024, 4, 1, 9), granted)
    assert deadline.due_at == granted
    assert deadline.yellow_at == local(2024, 4, 12)  # 16, 15, 12 (a weekend between)
    # A timer that says what the count says is the counted deadline, basis and all.
    counted = step_deadline(WorkCalendar(), RULES, TZ, step(), local(2024, 4, 1, 9))
    assert step_deadline(WorkCalendar(), RULES, TZ, step(), local(2024, 4, 1, 9), counted.due_at) == counted


def test_a_year_nobody_knows_counts_weekends_and_a_loaded_year_recounts_it():
    ready = local(2099, 9, 30, 10)  # a Wednesday; nothing knows 2099's holidays
    guessed = step_deadline(WorkCalendar(), RULES, TZ, step(), ready)
    assert guessed.basis == Basis.FALLBACK
    assert guessed.due_at.date() == date(2099, 10, 7)  # Oct 1, 2, 5, 6, 7 by weekends only
    national_day = frozenset(date(2099, 10, d) for d in range(1, 8))
    loaded = WorkCalendar([YearArrangement(2099, national_day, frozenset({date(2099, 10, 10)}))])
    recounted = step_deadline(loaded, RULES, TZ, step(), ready)
    assert recounted.basis == Basis.LOADED
    # 8, 9, 10 (a worked Saturday), 12, 13
    assert recounted.due_at == datetime.combine(date(2099, 10, 13), END_OF_DAY, TZ)
    assert recounted.yellow_at == datetime.combine(date(2099, 10, 10), time(0, 0), TZ)
