"""Holidays changed at short notice (issue 15 item 9): a revised arrangement for a year the calendar
package already covers recounts the open deadlines counted over that year, and the escalation ladder
follows the new deadline; a rung whose day falls in a year neither source covers is marked as counted
by weekends only (on the list, the step's page and the API). The clock moves; nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from db.models import AuditEvent, HumanTask
from service.api.schemas.escalations import EscalationSchema
from service.operations.common.actor import SYSTEM
from service.operations.cycles.timers import move_deadline
from service.operations.queries.human_tasks import human_task_detail
from service.operations.supervision.calendar import load_year, parse_year_file
from service.operations.supervision.escalations import list_escalations
from service.scheduling.calendar import refresh_calendar
from service.vocabulary import EscalationLevel
from service.workdays import WorkCalendar, YearArrangement
from tests.helpers import TZ, open_tasks, rungs_of, task_row

# 2024 as published (Qingming: 4-6 April off, Sunday 7 April worked), then "revised": 2-3 April off too.
REVISED_2024 = """year = 2024
source = "国办发明电〔2024〕修订(测试)"

[[holidays]]
name = "清明节"
off = ["2024-04-02..2024-04-06"]
workdays = ["2024-04-07"]
"""


def test_a_revised_arrangement_recounts_the_open_deadlines_of_its_year(runtime, world, start, tick):
    start()
    (task,) = open_tasks(runtime)
    ready_day, old_day = task.ready_at.astimezone(TZ).date(), task.due_at.astimezone(TZ).date()
    assert runtime.calendar.covers(2024) and task.due_basis == "official"
    working_days = WorkCalendar().working_days_between(ready_day, old_day)
    parsed = parse_year_file(REVISED_2024)
    new_day = WorkCalendar([parsed.arrangement()]).add_working_days(ready_day, working_days)[0]
    assert new_day > old_day  # the revision takes two working days out of the count

    with runtime.work() as work:
        loaded = load_year(work, SYSTEM, parsed)
    refresh_calendar(runtime)

    assert loaded.replaced is False and loaded.recounted == 1
    moved = task_row(runtime, task.id)
    assert moved.due_at.astimezone(TZ).date() == new_day and moved.due_basis == "loaded"
    with runtime.work(write=False) as work:
        event = work.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "step.deadline_recounted", AuditEvent.human_task_id == task.id
            )
        ).one()
    assert event.data["year"] == 2024 and event.data["old_due_at"] == task.due_at.isoformat()

    # The ladder follows: 催办 is not sent the working day after the superseded date ...
    day_after_old = runtime.calendar.add_working_days(old_day, 1)[0]
    tick(datetime.combine(day_after_old, datetime.min.time(), TZ) + timedelta(hours=10))
    assert EscalationLevel.CUIBAN not in [level for level, _ in rungs_of(runtime, task.id)]
    # ... but the working day after the new one.
    day_after_new = runtime.calendar.add_working_days(new_day, 1)[0]
    tick(datetime.combine(day_after_new, datetime.min.time(), TZ) + timedelta(hours=10))
    fired = dict(rungs_of(runtime, task.id))
    assert fired[EscalationLevel.CUIBAN].astimezone(TZ).date() == day_after_new


def test_a_deadline_not_counted_by_the_rule_stays_when_its_year_is_revised(runtime, world, start):
    start()
    (task,) = open_tasks(runtime)
    set_by_hand = datetime(2024, 4, 30, 23, 59, 59, tzinfo=TZ)
    with runtime.work() as work:
        move_deadline(work, work.session.get(HumanTask, task.id), set_by_hand)
    with runtime.work() as work:
        assert load_year(work, SYSTEM, parse_year_file(REVISED_2024)).recounted == 0
    assert task_row(runtime, task.id).due_at == set_by_hand


def test_a_rung_counted_into_a_year_nobody_covers_is_marked(runtime, world, start, tick):
    """A step due 31 December 2026 gets its 催办 on 1 January 2027 (a Friday by weekends, 元旦 in fact)."""
    assert runtime.calendar.covers(2026) and not runtime.calendar.covers(2027)
    start()
    (task,) = open_tasks(runtime)
    with runtime.work() as work:
        move_deadline(work, work.session.get(HumanTask, task.id), datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ))
    tick(datetime(2026, 12, 30, 10, tzinfo=TZ))  # 提醒, the working day before
    tick(datetime(2027, 1, 1, 10, tzinfo=TZ))
    fired = dict(rungs_of(runtime, task.id))
    assert fired[EscalationLevel.CUIBAN].astimezone(TZ).date().isoformat() == "2027-01-01"

    with runtime.work(write=False, now=datetime(2027, 1, 1, 10, tzinfo=TZ)) as work:
        items = {item.level: item for item in list_escalations(work, world.supervisor).items}
        overdue = human_task_detail(work, world.supervisor, task.id).overdue
    assert items[EscalationLevel.CUIBAN].fallback is True
    assert items[EscalationLevel.REMINDER].fallback is False  # 30 December, counted in 2026
    assert EscalationSchema().dump(items[EscalationLevel.CUIBAN])["fallback"] is True
    assert overdue is not None and overdue.level == EscalationLevel.CUIBAN and overdue.since_fallback is True

    # Once 2027 is loaded the year is known and the mark goes.
    runtime.use_calendar([YearArrangement(2027, frozenset(), frozenset())])
    with runtime.work(write=False) as work:
        items = {item.level: item for item in list_escalations(work, world.supervisor).items}
    assert items[EscalationLevel.CUIBAN].fallback is False
