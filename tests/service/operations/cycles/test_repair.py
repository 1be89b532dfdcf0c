"""Repairing cycles stuck by issue 9 (service/operations/cycles/repair.py), on a database whose
cycles were genuinely stuck: co-unit inputs completed by another process running the engine as it
was before the fix (tests/helpers.py ``unfixed_engine``), accepted but never merged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import AuditEvent, Cycle, CycleStatus, HumanTask
from service.operations.common.actor import SYSTEM
from service.operations.cycles.projection import load_run
from service.operations.cycles.repair import repair_cycle, running_cycles
from tests.helpers import actions, new_process, notified, open_tasks


def co_inputs(runtime: Any, cycle_id: int) -> list[int]:
    """The units whose inputs the process data holds (sorted)."""
    with runtime.work(write=False) as work:
        cycle = work.session.get(Cycle, cycle_id)
        assert cycle is not None
        run = load_run(work, cycle)
        return sorted(i["unit"] for i in run.process_data().get("co_inputs", []))


def repair(runtime: Any, cycle_id: int, dry_run: bool = False) -> Any:
    with runtime.work() as work:
        report = repair_cycle(work, SYSTEM, cycle_id, dry_run=dry_run)
        if dry_run:
            work.session.rollback()
        return report


def test_the_unfixed_engine_leaves_cycles_running_with_no_open_step(runtime, world, stuck):
    assert open_tasks(runtime, stuck["all_elsewhere"]) == []
    units = sorted(u.id for u in world.co_units)
    assert [t.step_id for t in open_tasks(runtime, stuck["then_fixed"])] == ["consolidate"]
    assert co_inputs(runtime, stuck["then_fixed"]) == units[1:], "汇总报送 opened without the first input"
    assert [t.step_id for t in open_tasks(runtime, stuck["half"])] == ["co_input", "co_input"]


def test_repair_merges_the_inputs_and_opens_consolidation_once(runtime, world, stuck, act, open_steps):
    units = sorted(u.id for u in world.co_units)
    dry = repair(runtime, stuck["all_elsewhere"], dry_run=True)
    assert dry.needed and dry.dry_run and dry.opened == ("汇总报送",) and sorted(dry.merged) == units[1:]
    assert open_tasks(runtime, stuck["all_elsewhere"]) == [], "a dry run writes nothing"
    assert "cycle.repaired" not in actions(runtime)

    new_process(runtime)  # the repair runs in a process of its own (`duban cycles repair`)
    done = repair(runtime, stuck["all_elsewhere"])
    assert sorted(done.merged) == units[1:] and done.opened == ("汇总报送",) and not done.stuck
    assert "已补入 2 个未汇入的结果" in done.describe() and "已开启:汇总报送" in done.describe()
    (consolidate,) = open_steps(stuck["all_elsewhere"], "consolidate")
    assert consolidate.ready_at == runtime.clock.now(), "its deadline counts from the repair"
    assert co_inputs(runtime, stuck["all_elsewhere"]) == units
    assert any(
        "汇总报送" in n.title + n.body and n.human_task_id == consolidate.id for n in notified(runtime, "lead_head")
    ), "the lead unit hears of it"

    again = repair(runtime, stuck["all_elsewhere"])
    assert not again.needed and again.describe().endswith("无需修复")
    assert actions(runtime, "cycle.repaired") == ["cycle.repaired"]
    with runtime.work(write=False) as work:
        event = work.session.scalars(select(AuditEvent).where(AuditEvent.action == "cycle.repaired")).one()
    assert event.cycle_id == stuck["all_elsewhere"] and event.actor_role == "system"
    assert sorted(m["unit"] for m in event.data["merged"]) == units[1:] and event.data["opened"] == ["汇总报送"]

    # The repaired cycle goes on to 办结 like any other.
    act(world.lead_head, consolidate.id, data={"report": "汇总"})
    act(world.supervisor, open_steps(stuck["all_elsewhere"], "review")[0].id, decision="pass")
    act(world.leader, open_steps(stuck["all_elsewhere"], "approve")[0].id, decision="approve")
    with runtime.work(write=False) as work:
        assert work.session.get(Cycle, stuck["all_elsewhere"]).status == CycleStatus.CLOSED


def test_a_cycle_that_moved_on_without_an_input_gets_it(runtime, world, stuck, open_steps):
    (consolidate,) = open_steps(stuck["then_fixed"], "consolidate")
    done = repair(runtime, stuck["then_fixed"])
    assert done.merged == (min(u.id for u in world.co_units),) and done.opened == () and done.cancelled == ()
    assert co_inputs(runtime, stuck["then_fixed"]) == sorted(u.id for u in world.co_units)
    assert [t.id for t in open_steps(stuck["then_fixed"])] == [consolidate.id], "the open step stays as it was"
    assert not repair(runtime, stuck["then_fixed"]).needed


def test_a_half_stuck_cycle_keeps_its_open_inputs_and_opens_consolidation_after_the_last(
    runtime, world, stuck, act, open_steps
):
    before = [t.id for t in open_steps(stuck["half"])]
    done = repair(runtime, stuck["half"])
    assert len(done.merged) == 1 and done.opened == () and done.cancelled == ()
    assert [t.id for t in open_steps(stuck["half"])] == before, "open inputs are left as they were"
    head_of = {head.unit_id: head for head in world.co_heads}
    for task in open_steps(stuck["half"], "co_input"):
        new_process(runtime)
        act(head_of[task.unit_id], task.id, data={"text": "迟到的意见"})
    assert len(open_steps(stuck["half"], "consolidate")) == 1
    assert co_inputs(runtime, stuck["half"]) == sorted(u.id for u in world.co_units)


def test_a_step_done_in_the_rows_but_ready_in_the_engine_is_completed_from_the_row(
    runtime, world, start, act, open_steps
):
    """A completion the engine lost (its state written back by a process that never saw it): the
    row and the audit trail keep what was given; the repair completes the step with it."""
    cycle_id = start()
    act(world.supervisor, open_steps(cycle_id, "dispatch")[0].id)
    with runtime.work(write=False) as work:
        old_state = work.session.get(Cycle, cycle_id).state
    act(world.lead_head, open_steps(cycle_id, "sign_for")[0].id)
    with runtime.work() as work:  # the engine's state as it was before 签收
        work.session.get(Cycle, cycle_id).state = old_state
    assert open_steps(cycle_id) != [] and all(t.step_id == "co_input" for t in open_steps(cycle_id))
    done = repair(runtime, cycle_id)
    assert len(done.completed) == 1 and "1 个已办环节在流程中仍待办" in done.problems
    assert sorted(t.step_id for t in open_steps(cycle_id)) == ["co_input"] * 3
    assert not repair(runtime, cycle_id).needed


def test_a_closed_cycle_is_not_looked_at(runtime, world, stuck, act, open_steps):
    with runtime.work(write=False) as work:
        assert running_cycles(work) == sorted(stuck.values())
    repair(runtime, stuck["then_fixed"])
    act(world.lead_head, open_steps(stuck["then_fixed"], "consolidate")[0].id, data={"report": "汇总"})
    act(world.supervisor, open_steps(stuck["then_fixed"], "review")[0].id, decision="pass")
    act(world.leader, open_steps(stuck["then_fixed"], "approve")[0].id, decision="approve")
    with runtime.work(write=False) as work:
        assert stuck["then_fixed"] not in running_cycles(work)
    assert repair(runtime, stuck["then_fixed"]) is None


def test_a_lost_decision_missing_from_its_row_is_taken_from_the_audit_trail(
    runtime, world, to_consolidate, act, open_steps
):
    """The engine lost a 退回 and the row lacks its decision: the step.completed event still holds
    it, so the repair returns the report to the lead unit, as the reviewer decided."""
    cycle_id = to_consolidate()
    act(world.lead_head, open_steps(cycle_id, "consolidate")[0].id, data={"report": "一稿"})
    (review,) = open_steps(cycle_id, "review")
    with runtime.work(write=False) as work:
        before_review = work.session.get(Cycle, cycle_id).state
    act(world.supervisor, review.id, decision="return", comment="请补充数据")
    with runtime.work() as work:  # the engine's state as before the review, the row without its decision
        work.session.get(Cycle, cycle_id).state = before_review
        work.session.get(HumanTask, review.id).decision = None
    (returned,) = open_steps(cycle_id)
    assert returned.step_id == "consolidate"
    done = repair(runtime, cycle_id)
    assert done.completed == (review.id,) and "1 个已办环节在流程中仍待办" in done.problems
    assert [t.id for t in open_steps(cycle_id)] == [returned.id], "the engine now holds the returned step ready"
    with runtime.work(write=False) as work:
        data = load_run(work, work.session.get(Cycle, cycle_id)).process_data()
    assert data["review_decision"] == "return"
    assert not repair(runtime, cycle_id).needed
