"""Reporting rounds: names, opening days and report dates from [rounds]; one cycle per active key task
per round, whoever opens it and however often."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date

from sqlalchemy import select, update

from db.models import Cycle, KeyTask, Plan
from service.operations.supervision.rounds import current_round, opens_at, report_due_at, round_of
from service.runtime import build_runtime
from service.scheduling.loops import open_rounds
from tests.helpers import local


def test_quarterly_rounds(runtime):
    config = runtime.config
    assert round_of(config, date(2024, 5, 17)).name == "2024-Q2"
    q4 = round_of(config, date(2024, 12, 31))
    assert q4.name == "2024-Q4" and q4.next().name == "2025-Q1"
    # The Q4 report is due on 20 January 2025, a Monday.
    assert report_due_at(runtime, q4).date() == date(2025, 1, 20)
    # 2024-Q4 opens on 8 October: 1-7 October is the National Day holiday.
    assert opens_at(runtime, q4) == local(2024, 10, 8, 8, 30)
    assert current_round(runtime, local(2024, 10, 7, 12)) is None
    assert current_round(runtime, local(2024, 10, 8, 8, 30)).name == "2024-Q4"


def test_monthly_rounds(runtime, config, clock):
    monthly = build_runtime(
        dataclasses.replace(config, rounds=dataclasses.replace(config.rounds, period="month", report_day=5)), clock
    )
    try:
        may = round_of(monthly.config, date(2024, 5, 9))
        assert may.name == "2024-M05" and may.next().name == "2024-M06"
        assert opens_at(monthly, may) == local(2024, 5, 6, 8, 30)  # after May Day
        assert report_due_at(monthly, may).date() == date(2024, 6, 5)
        assert round_of(monthly.config, date(2024, 12, 3)).next().name == "2025-M01"
    finally:
        monthly.dispose()
    off = dataclasses.replace(config, rounds=dataclasses.replace(config.rounds, period="off"))
    assert round_of(off, date(2024, 5, 9)) is None


def test_a_round_opens_for_every_active_key_task_of_the_year_once(runtime, make):
    lead = make.unit()
    active = [make.key_task([lead], []) for _ in range(3)]
    inactive = make.key_task([lead], [])
    no_lead = make.key_task([], [make.unit()])
    old_plan = make.plan("2023 年方案")
    last_year = make.key_task([lead], [], plan=old_plan)
    with runtime.work() as work:
        work.session.execute(update(KeyTask).where(KeyTask.id == inactive.id).values(active=False))
        work.session.execute(update(Plan).where(Plan.id == old_plan.id).values(year=2023))
    report = open_rounds(runtime, local(2024, 4, 1, 9))
    assert report.round == "2024-Q2" and len(report.started) == 3 and report.failures == []
    with runtime.work(write=False) as work:
        started = {c.key_task_id: c for c in work.session.scalars(select(Cycle))}
    assert set(started) == {k.id for k in active}
    assert {inactive.id, no_lead.id, last_year.id}.isdisjoint(started)
    again = open_rounds(runtime, local(2024, 4, 1, 10))
    assert again.started == [] and again.already == 0
    # A key task added mid-quarter joins the open round at the next pass.
    late = make.key_task([lead], [])
    assert len(open_rounds(runtime, local(2024, 5, 20, 9)).started) == 1
    with runtime.work(write=False) as work:
        assert work.session.scalar(select(Cycle.round).where(Cycle.key_task_id == late.id)) == "2024-Q2"


def test_two_schedulers_opening_a_round_start_each_cycle_once(runtime, config, clock, make):
    lead = make.unit()
    for _ in range(12):
        make.key_task([lead], [])
    others = [build_runtime(config, clock) for _ in range(3)]
    barrier = threading.Barrier(len(others))
    reports = []
    errors: list[BaseException] = []

    def run(rt):
        try:
            barrier.wait()
            reports.append(open_rounds(rt, local(2024, 4, 1, 9)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rt,)) for rt in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for rt in others:
        rt.dispose()
    assert errors == []
    assert sum(len(r.started) for r in reports) == 12
    with runtime.work(write=False) as work:
        assert len(work.session.scalars(select(Cycle.id)).all()) == 12
