"""办结销号 runs as a cycle of its own diagram on the same engine (deadlines, escalation, audit); a key
task not closed by its year's end is carried (挂账) into the next year, where the rounds open it again."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from db.models import AuditEvent, Cycle, Escalation, KeyTask
from service.errors import Conflict, Forbidden
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from service.operations.queries.scores import scores
from service.operations.queries.year_status import year_states
from service.operations.supervision.rounds import missing_key_tasks, round_starting
from service.operations.year.closing import start_closing
from service.scheduling.loops import carry_over_past_years, run_escalations
from service.vocabulary import YearStatus
from tests.helpers import TZ

from .conftest import open_step


def apply(runtime, world):
    with runtime.work() as work:
        return start_closing(work, world.lead_head, world.key_task.id).id


def test_a_closing_runs_application_review_and_approval(runtime, world, indicator, clock):
    projects = indicator("技改项目", 20, "个")
    cycle = apply(runtime, world)
    with runtime.work(write=False) as work:
        row = work.session.get(Cycle, cycle)
        assert (row.kind.value, row.round, row.lead_unit_id) == ("closing", "2024-销号", world.lead_unit.id)
        assert year_states(work, [world.key_task.id])[world.key_task.id].status == YearStatus.CLOSING
    application = open_step(runtime, cycle, "apply")
    with runtime.work() as work:
        complete_human_task(
            work,
            world.lead_head,
            application,
            data={"summary": "全年完成技改项目23个,超额完成目标"},
            progress={"percent": 100, "values": {str(projects): 23}},
        )
    with runtime.work() as work:
        complete_human_task(work, world.supervisor, open_step(runtime, cycle, "review"), decision="pass")
    clock.set(datetime(2024, 4, 12, 10, 0, tzinfo=TZ))
    with runtime.work() as work:
        complete_human_task(work, world.leader, open_step(runtime, cycle, "approve"), decision="approve")
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, cycle).status.value == "closed"
        assert year_states(work, [world.key_task.id])[world.key_task.id].status == YearStatus.CLOSED
        # Closed for 2024: the rounds open no more cycles for it this year.
        assert world.key_task.id not in missing_key_tasks(work, round_starting(2024, 7, 3))
    # 销号 on time counts for the lead unit in the round whose period it closed in (Q2).
    with runtime.work() as work:
        start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
    with runtime.work(write=False) as work:
        result = scores(work, world.supervisor, "2024-Q2")
    lead = next(u for t in result.tables for u in t.units if u.unit_id == world.lead_unit.id)
    assert {p.rule: p.count for p in lead.breakdown}.get("closed_on_time") == 1
    with runtime.work(write=False) as work:
        actions = [e.action for e in work.session.scalars(select(AuditEvent).where(AuditEvent.cycle_id == cycle))]
    assert actions[0] == "cycle.started" and actions[-1] == "cycle.closed"


def test_only_the_lead_units_head_or_the_office_apply_and_only_once(runtime, world):
    for actor in (world.co_heads[0], world.lead_staff, world.leader):
        with runtime.work() as work, pytest.raises(Forbidden):
            start_closing(work, actor, world.key_task.id)
    with runtime.work() as work:
        start_closing(work, world.supervisor, world.key_task.id)
    with runtime.work() as work, pytest.raises(Conflict, match="正在办理销号"):
        start_closing(work, world.lead_head, world.key_task.id)


def test_an_overdue_application_climbs_the_ladder_like_any_step(runtime, world, clock):
    cycle = apply(runtime, world)
    application = open_step(runtime, cycle, "apply")
    # Ten working days from 1 April 2024 (Qingming in between) end on 16 April; 催办 comes the day after.
    clock.set(datetime(2024, 4, 18, 10, 0, tzinfo=TZ))
    run_escalations(runtime, clock.now())
    with runtime.work(write=False) as work:
        levels = [
            e.level for e in work.session.scalars(select(Escalation).where(Escalation.human_task_id == application))
        ]
    assert 2 in levels  # 催办


def test_a_key_task_not_closed_is_carried_into_the_next_year(runtime, world, make):
    closed_task = make.key_task([world.lead_unit], [], title="已销号的任务")
    with runtime.work() as work:
        cycle = start_closing(work, world.supervisor, closed_task.id).id
    for step, actor, form in (
        ("apply", world.lead_head, {"data": {"summary": "已完成"}}),
        ("review", world.supervisor, {"decision": "pass"}),
        ("approve", world.leader, {"decision": "approve"}),
    ):
        with runtime.work() as work:
            complete_human_task(work, actor, open_step(runtime, cycle, step), **form)
    new_year = datetime(2025, 1, 2, 9, 0, tzinfo=TZ)
    carried = carry_over_past_years(runtime, new_year)
    assert carried == [world.key_task.id]
    assert carry_over_past_years(runtime, new_year) == []  # once
    with runtime.work(write=False, now=new_year) as work:
        assert work.session.get(KeyTask, world.key_task.id).carried_until == 2025
        state = year_states(work, [world.key_task.id, closed_task.id], 2025)
        assert state[world.key_task.id].status == YearStatus.CARRIED and state[world.key_task.id].carried_from == 2024
        assert world.key_task.id in missing_key_tasks(work, round_starting(2025, 1, 3))
        assert closed_task.id not in missing_key_tasks(work, round_starting(2025, 1, 3))
        event = next(e for e in work.session.scalars(select(AuditEvent)) if e.action == "year.carried_over")
    assert event.data["year"] == 2024 and event.data["key_tasks"] == [world.key_task.id]
    # In 2025 its 销号 is the 2025 one.
    with runtime.work(now=new_year) as work:
        assert start_closing(work, world.lead_head, world.key_task.id).round == "2025-销号"
