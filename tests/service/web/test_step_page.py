"""The step page's time in words (issue 14 item 3): time left beside the deadline, an overdue
banner with the escalation level and since when, and why no extension form is offered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import HumanTask, HumanTaskState
from service.operations.cycles.complete import complete_human_task
from service.operations.cycles.start import start_cycle
from service.scheduling.loops import run_escalations


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def open_step(runtime, cycle_id: int, step: str) -> int:
    with runtime.work(write=False) as work:
        return work.session.scalars(
            select(HumanTask.id).where(
                HumanTask.cycle_id == cycle_id, HumanTask.step_id == step, HumanTask.state == HumanTaskState.OPEN
            )
        ).first()


def test_an_overdue_step_says_how_late_how_escalated_and_why_no_extension(runtime, clock, world, web):
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
    sign_for = open_step(runtime, cycle.id, "sign_for")
    lead = web("lead_head")
    fresh = text(lead.get(f"/human-tasks/{sign_for}"))
    assert 'id="overdue"' not in fresh and "剩余" in fresh
    assert "申请延期" in fresh and 'id="no-extension"' not in fresh  # in time: the form is offered

    # Ten days on, past the Qingming holiday: overdue, and the ladder has run up to 催办.
    clock.advance(timedelta(days=10))
    run_escalations(runtime, clock.now())
    lead = web("lead_head")  # a session ends after days away: log in again
    late = text(lead.get(f"/human-tasks/{sign_for}"))
    assert 'id="overdue"' in late and "此环节已逾期" in late
    with runtime.work(write=False) as work:
        task = work.session.get(HumanTask, sign_for)
        assert task.escalation_level >= 2
    assert "督办等级:<b>催办</b>" in late or "督办等级:<b>督办</b>" in late
    assert "自 2024-04-" in late
    assert 'id="no-extension"' in late and "已超过办理期限,不能再申请延期" in late
    assert "提交延期申请" not in late

    # The office sees the banner, but no note about extensions (it asks for none).
    office = text(web("duchashi").get(f"/human-tasks/{sign_for}"))
    assert 'id="overdue"' in office and 'id="no-extension"' not in office


def test_a_co_unit_is_told_its_step_takes_no_extension(runtime, world, web):
    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
    with runtime.work() as work:
        complete_human_task(work, world.lead_head, open_step(runtime, cycle.id, "sign_for"))
    with runtime.work(write=False) as work:
        mine = work.session.scalar(
            select(HumanTask.id).where(HumanTask.step_id == "co_input", HumanTask.unit_id == world.co_units[0].id)
        )
    page = text(web("co_head_0").get(f"/human-tasks/{mine}"))
    assert 'id="no-extension"' in page and "只有牵头单位的办理环节可以申请" in page
    assert '<small class="left left">剩余' in page  # time left in words beside the deadline


def test_a_rung_counted_into_a_year_nobody_covers_is_marked_on_the_step_page(runtime, clock, world, web):
    """Issue 15 item 9: due 31 December 2026, 催办 on 1 January 2027 by weekends only (元旦 in fact)."""
    from datetime import datetime

    from service.operations.cycles.timers import move_deadline
    from tests.helpers import TZ

    with runtime.work() as work:
        cycle = start_cycle(work, world.supervisor, world.key_task.id, "2024-Q2")
        complete_human_task(work, world.supervisor, cycle.opened[0].id)
    sign_for = open_step(runtime, cycle.id, "sign_for")
    with runtime.work() as work:
        move_deadline(work, work.session.get(HumanTask, sign_for), datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ))
    clock.set(datetime(2027, 1, 1, 10, tzinfo=TZ))
    run_escalations(runtime, clock.now())
    page = text(web("lead_head").get(f"/human-tasks/{sign_for}"))
    banner = page.split('id="overdue"', 1)[1].split("</div>", 1)[0]
    assert "督办等级:<b>催办</b>,自 2027-01-01" in banner and "按周末推算" in banner
