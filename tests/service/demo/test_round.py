"""The demo round: `duban demo load` leaves a living system, played through the real operations."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.models import (
    AuditEvent,
    Cycle,
    CycleStatus,
    Escalation,
    Extension,
    HumanTask,
    HumanTaskState,
    IndicatorValue,
    KeyTask,
    LeaguePublication,
    Notification,
    Plan,
    ProgressReport,
)
from service.demo.seed import load_demo
from service.operations.common.actor import SYSTEM
from service.operations.common.audit import verify_chain
from service.operations.queries.progress_lights import key_task_progress
from service.operations.queries.scores import scores
from service.vocabulary import CycleKind

TZ = ZoneInfo("Asia/Shanghai")


def snapshot(runtime):
    with runtime.work(write=False) as work:
        s = work.session
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model))
            for model in (Cycle, HumanTask, Escalation, Extension, Notification, AuditEvent)
        }


@pytest.mark.parametrize(
    "now",
    [
        datetime(2024, 4, 1, 9, 30, tzinfo=TZ),  # a Monday morning, the Qingming holiday ahead
        datetime(2024, 3, 30, 7, 15, tzinfo=TZ),  # a Saturday, early: "today" is Friday
    ],
    ids=["monday", "saturday"],
)
def test_the_demo_round_stands_at_every_step_with_live_lights(runtime, clock, now):
    clock.set(now)
    with runtime.work() as work:
        summary = load_demo(work)
    assert summary.round_played.startswith("演示轮次 2024-")
    current = summary.round_played.split()[1].rstrip(":")
    with runtime.work(write=False) as work:
        s = work.session
        statuses = dict(
            s.execute(select(Cycle.status, func.count()).where(Cycle.round == current).group_by(Cycle.status)).all()
        )
        assert statuses == {CycleStatus.CLOSED: 3, CycleStatus.RUNNING: 11}
        open_steps = set(s.scalars(select(HumanTask.step_id).where(HumanTask.state == HumanTaskState.OPEN)))
        assert open_steps == {"dispatch", "sign_for", "co_input", "consolidate", "review", "approve"}
        decisions = set(s.scalars(select(HumanTask.decision).where(HumanTask.decision.is_not(None))))
        assert {"return", "reject", "pass", "approve"} <= decisions
        # Live lights: red, yellow and green open steps at the moment of loading.
        is_open = HumanTask.state == HumanTaskState.OPEN
        red = s.scalar(select(func.count()).where(is_open, HumanTask.due_at < now))
        yellow = s.scalar(select(func.count()).where(is_open, HumanTask.yellow_at <= now, HumanTask.due_at >= now))
        green = s.scalar(select(func.count()).where(is_open, HumanTask.yellow_at > now))
        assert red > 0 and yellow > 0 and green > 0
        # Escalated by the scheduler's own ladder: 催办 and 督办 reached, with notices.
        levels = set(s.scalars(select(Escalation.level)))
        assert {2, 3} <= levels
        assert s.scalar(select(func.count()).select_from(Notification)) > 0
        extensions = {e.status.value for e in s.scalars(select(Extension))}
        assert extensions == {"pending", "granted"}
        # Some co-units answered late, so the league table has something to rank.
        late = s.scalar(
            select(func.count()).where(
                HumanTask.state == HumanTaskState.DONE, HumanTask.completed_at > HumanTask.due_at
            )
        )
        assert late > 0
        # Nothing happened in the future.
        assert s.scalar(select(func.max(AuditEvent.at))) <= now
        assert s.scalar(select(func.max(HumanTask.ready_at))) <= now
        assert verify_chain(s).ok


def test_loading_the_demo_again_plays_nothing_more(runtime):
    with runtime.work() as work:
        load_demo(work)
    before = snapshot(runtime)
    with runtime.work() as work:
        again = load_demo(work)
    assert "已存在" in again.round_played
    assert snapshot(runtime) == before


def test_the_demo_year_has_values_a_published_round_and_a_closing_under_way(runtime, clock):
    """Two rounds with indicator values, the previous one published, a 销号 in progress: a first
    `make run` shows charts and scores with something in them."""
    clock.set(datetime(2024, 11, 25, 10, 0, tzinfo=TZ))
    with runtime.work() as work:
        load_demo(work)
    with runtime.work(write=False) as work:
        s = work.session
        rounds = dict(s.execute(select(Cycle.round, func.count()).group_by(Cycle.round)).all())
        assert rounds == {"2024-Q3": 14, "2024-Q4": 14, "2024-销号": 1}
        published = s.scalars(select(LeaguePublication.round)).all()
        assert published == ["2024-Q3"]
        closing = s.scalars(select(Cycle).where(Cycle.round == "2024-销号")).one()
        assert closing.status == CycleStatus.RUNNING
        open_step = s.scalars(
            select(HumanTask.step_id).where(HumanTask.cycle_id == closing.id, HumanTask.state == HumanTaskState.OPEN)
        ).all()
        assert open_step == ["review"]  # applied for, awaiting the office's review
        by_round = dict(
            s.execute(
                select(ProgressReport.round, func.count())
                .where(ProgressReport.part == "total", ProgressReport.superseded_at.is_(None))
                .group_by(ProgressReport.round)
            ).all()
        )
        assert by_round["2024-Q3"] == 14 and by_round["2024-Q4"] >= 4
        assert s.scalar(select(func.count()).select_from(IndicatorValue)) > 40
        assert s.scalar(select(func.count()).where(ProgressReport.part == "share")) > 0
        # The progress lights of the current round are a mix, and every unit of a league has a score.
        lights = {p.light for p in key_task_progress(work, list(s.scalars(select(KeyTask.id))), "2024-Q4").values()}
        assert {"red", "yellow", "green"} <= lights
        league = scores(work, SYSTEM, "2024-Q3")
        assert league.published and all(t.units for t in league.tables)


def test_every_demo_key_task_has_a_completion_time_in_the_year_it_is_played(runtime, clock):
    from db.models import KeyTask

    with runtime.work() as work:
        load_demo(work, with_round=False)
    with runtime.work(write=False) as work:
        rows = work.session.execute(select(KeyTask.number, KeyTask.deadline_text, KeyTask.deadline_date)).all()
    assert len(rows) == 14
    year = clock.now().year
    assert all(text and when and when.year == year for _number, text, when in rows)
    assert {text for _n, text, _w in rows} >= {"年底前", "9月底前"}


def test_the_demo_plays_the_2024_plan_as_this_years(runtime, clock):
    """README: the demo plan is the district's 2024 plan played as this year's — its year, 完成时限
    and rounds are the current year's (on 1 December 2026: 2026-Q3 published, 2026-Q4 open)."""
    clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=TZ))
    with runtime.work() as work:
        summary = load_demo(work)
    with runtime.work(write=False) as work:
        s = work.session
        plan = s.get(Plan, summary.plan_id)
        assert plan is not None and "2024年" in plan.title and plan.year == 2026
        deadlines = {t.deadline_date.year for t in plan.key_tasks if t.deadline_date is not None}
        assert deadlines == {2026} and len(plan.key_tasks) == 14
        rounds = set(s.scalars(select(Cycle.round).where(Cycle.kind == CycleKind.ROUND).distinct()))
        assert rounds == {"2026-Q3", "2026-Q4"}
        assert set(s.scalars(select(LeaguePublication.round))) == {"2026-Q3"}
