"""The ladder's arithmetic (the scan's bound on due_at is exactly 'the rung has come'), and exactly-once
escalation whoever runs: a pass repeated, two schedulers at the same moment, the unique key."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from db.models import AuditEvent, Escalation, HumanTask, Notification, Role
from service.operations.common.actor import SYSTEM
from service.operations.cycles.start import start_cycle
from service.operations.supervision.escalations import (
    CUIBAN,
    DUBAN,
    REMINDER,
    due_bound,
    fires_at,
    ladder,
    list_escalations,
)
from service.runtime import build_runtime
from service.scheduling.loops import run_escalations
from service.workdays import END_OF_DAY
from tests.helpers import TZ, count, local, open_tasks


def test_the_ladder_follows_the_config(runtime):
    assert [(r.level, r.offset) for r in ladder(runtime.config)] == [(REMINDER, -1), (CUIBAN, 1), (DUBAN, 6)]


def test_the_scan_bound_is_exactly_when_each_rung_fires(runtime):
    """For every due day from late March to late May 2024 (Qingming, May Day and their make-up
    days inside) and every hour of those weeks: a step is selected iff its rung has fired."""
    due_days = [date(2024, 3, 25) + timedelta(days=n) for n in range(60)]
    due_days = [d for d in due_days if runtime.calendar.is_workday(d)]
    nows = [local(2024, 3, 20, 0, 0) + timedelta(minutes=30 * n) for n in range(2 * 24 * 75)]
    for rung in ladder(runtime.config):
        firing = {day: fires_at(runtime, datetime.combine(day, END_OF_DAY, TZ), rung) for day in due_days}
        for now in nows:
            bound = due_bound(runtime, now, rung)
            for day in due_days:
                due_at = datetime.combine(day, END_OF_DAY, TZ)
                assert (due_at < bound) == (firing[day] <= now), (rung, day, now)
    # Spot checks against the calendar as a person reads it.
    due = datetime.combine(date(2024, 4, 3), END_OF_DAY, TZ)
    assert [fires_at(runtime, due, r) for r in ladder(runtime.config)] == [
        local(2024, 4, 2, 9),  # the working day before
        local(2024, 4, 7, 9),  # Sunday 7 April, a make-up workday after Qingming
        local(2024, 4, 12, 9),  # five working days later
    ]


@pytest.fixture
def overdue(runtime, make):
    """Thirty cycles whose dispatch (due 2 April) nobody did."""
    supervisor = make.user(Role.SUPERVISOR, username="duchashi")
    leader = make.user(Role.LEADER, username="lingdao")
    lead = make.unit("区财政局")
    make.user(Role.UNIT_HEAD, lead, username="head")
    for n in range(30):
        key_task = make.key_task([lead], [], number=n + 1)
        with runtime.work() as work:
            start_cycle(work, SYSTEM, key_task.id, "2024-Q2")
    return supervisor, leader


def test_a_pass_run_again_does_nothing_more(runtime, overdue):
    now = local(2024, 4, 12, 9, 30)  # past 催办 (3 April) and 督办 (11 April)
    first = run_escalations(runtime, now, batch_size=7)
    assert sorted(e.level for e in first) == [CUIBAN] * 30 + [DUBAN] * 30
    assert run_escalations(runtime, now) == []
    assert run_escalations(runtime, now + timedelta(days=30)) == []
    assert count(runtime, Escalation) == 60
    assert count(runtime, AuditEvent, AuditEvent.action == "step.cuiban") == 30
    assert count(runtime, AuditEvent, AuditEvent.action == "step.duban") == 30
    # The office's own overdue step is a reminder to the office and the leaders, never a 催办 or 督办;
    # sixty of them in one pass come to each as one digest.
    assert count(runtime, Notification, Notification.kind.in_(["cuiban", "duban"])) == 0
    with runtime.work(write=False) as work:
        titles = list(work.session.scalars(select(Notification.title)))
    assert titles == ["您有 60 项逾期提醒"] * 2


def test_two_schedulers_at_the_same_moment_escalate_once(runtime, config, clock, overdue):
    now = local(2024, 4, 12, 9, 30)
    others = [build_runtime(config, clock) for _ in range(3)]
    barrier = threading.Barrier(len(others))
    results: list[list[object]] = []
    errors: list[BaseException] = []

    def run(rt):
        try:
            barrier.wait()
            results.append(list(run_escalations(rt, now, batch_size=4)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rt,)) for rt in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for rt in others:
        rt.dispose()
    assert errors == []
    assert sum(len(r) for r in results) == 60, "every rung fired by exactly one of them"
    assert count(runtime, Escalation) == 60
    assert count(runtime, AuditEvent, AuditEvent.action.in_(["step.cuiban", "step.duban"])) == 60
    assert count(runtime, Notification) == 2  # one digest each for the office and the leader
    with runtime.work(write=False) as work:
        assert set(work.session.scalars(select(HumanTask.escalation_level))) == {DUBAN}


def test_the_unique_key_refuses_a_second_row(runtime, overdue):
    run_escalations(runtime, local(2024, 4, 3, 9, 30))
    (first, *_rest) = open_tasks(runtime)
    with pytest.raises(IntegrityError), runtime.work() as work:
        work.session.execute(
            insert(Escalation).values(
                human_task_id=first.id,
                level=CUIBAN,
                cycle_id=first.cycle_id,
                key_task_id=first.key_task_id,
                unit_id=None,
                role="supervisor",
                step_id="dispatch",
                due_at=first.due_at,
                fired_at=local(2024, 4, 3, 10),
            )
        )


def test_the_list_filters_and_scopes(runtime, overdue, make):
    supervisor, _leader = overdue
    run_escalations(runtime, local(2024, 4, 12, 9, 30))
    with runtime.work(write=False, now=local(2024, 4, 12, 10)) as work:
        page = list_escalations(work, supervisor, kind="duban", limit=20)
        assert page.total == 30 and len(page.items) == 20 and page.next_cursor
        rest = list_escalations(work, supervisor, kind="duban", limit=20, cursor=page.next_cursor)
        assert len(rest.items) == 10 and rest.next_cursor is None
        ids = [i.id for i in page.items + rest.items]
        assert len(set(ids)) == 30
        item = page.items[0]
        assert (item.kind_name, item.step, item.unit, item.light, item.step_state) == (
            "督办",
            "dispatch",
            "区政府督查室",
            "red",
            "open",
        )
        assert list_escalations(work, supervisor, level=2, open_only=True).total == 30
        assert list_escalations(work, supervisor, since=local(2024, 4, 13)).total == 0
        # A unit sees only its own unit's escalations (none: these are the supervisor's steps).
        staff = make.user(Role.UNIT_STAFF)
        assert list_escalations(work, staff).total == 0
        for bad in ({"level": 4}, {"kind": "yell"}, {"limit": 0}, {"cursor": "!!"}, {"kind": "duban", "level": 2}):
            with pytest.raises(Exception) as caught:
                list_escalations(work, supervisor, **bad)
            assert getattr(caught.value, "status", None) == 422, bad


def test_a_step_opened_late_at_night_is_reminded_in_the_morning(runtime, overdue):
    """Rungs fall due at [escalation] at (09:00): nothing goes out at night."""
    with runtime.work(write=False) as work:
        due = work.session.scalar(select(HumanTask.due_at).limit(1))
    assert due == datetime.combine(date(2024, 4, 2), END_OF_DAY, TZ)
    assert run_escalations(runtime, datetime.combine(date(2024, 4, 1), time(8, 59), TZ)) == []
    assert len(run_escalations(runtime, local(2024, 4, 1, 9, 0))) == 30
