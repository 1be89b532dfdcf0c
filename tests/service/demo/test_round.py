"""The demo round: `duban demo load` leaves a living system, played through the real operations."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Cycle, CycleStatus, Escalation, Extension, HumanTask, HumanTaskState, Notification
from service.demo.seed import load_demo
from service.operations.common.audit import verify_chain

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
    with runtime.work(write=False) as work:
        s = work.session
        statuses = dict(s.execute(select(Cycle.status, func.count()).group_by(Cycle.status)).all())
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
