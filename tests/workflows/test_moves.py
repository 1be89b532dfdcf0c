"""The moves off the happy path, done to the process (免报, 截止, 转办, 撤回, 撤销).

Every test runs in both modes of the engine fixtures: ``live`` (one process) and ``restart``
(every step saved and loaded by a new engine that parses the diagram again), so a move holds
across processes exactly as a completion does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workflows import EngineError, NotWithdrawable, StepNotReady

WAIVED = {"outcome": "waived", "reason": "机构改革,已撤销"}


def at_inputs(start, co_units=(1, 2, 3)):
    driver = start(list(co_units))
    driver.complete("dispatch")
    driver.complete("sign_for")
    return driver


def input_of(driver, unit):
    (step,) = [s for s in driver.ready("co_input") if s.unit == unit]
    return step


def test_a_waived_input_counts_as_in_and_the_cycle_moves_on(start):
    driver = at_inputs(start)
    driver.complete(input_of(driver, 1), data={"text": "意见一"})
    driver.run.settle([input_of(driver, 2).instance_id], WAIVED, driver.now)
    driver.roundtrip()
    assert driver.ready_ids() == ["co_input"], "one input is still open"
    driver.complete(input_of(driver, 3), data={"text": "意见三"})
    assert driver.ready_ids() == ["consolidate"]
    results = driver.run.process_data()["co_inputs"]
    assert sorted(results, key=lambda r: r["unit"]) == [
        {"unit": 1},
        {"unit": 2, **WAIVED},
        {"unit": 3},
    ]
    driver.complete("consolidate", data={"report": "汇总"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed and not driver.run.cancelled


def test_closing_the_inputs_settles_every_open_one_at_once(start):
    driver = at_inputs(start)
    driver.complete(input_of(driver, 2), data={"text": "按时报送"})
    missing = [s.instance_id for s in driver.ready("co_input")]
    driver.run.settle(missing, {"outcome": "missed"}, driver.now)
    driver.roundtrip()
    assert driver.ready_ids() == ["consolidate"]
    outcomes = {r["unit"]: r.get("outcome") for r in driver.run.process_data()["co_inputs"]}
    assert outcomes == {1: "missed", 2: None, 3: "missed"}


def test_settling_is_only_for_the_instances_of_a_multi_instance_step(start):
    driver = start([1])
    (dispatch,) = driver.ready("dispatch")
    with pytest.raises(EngineError, match="不是按单位分别办理"):
        driver.run.settle([dispatch.instance_id], WAIVED, driver.now)
    driver.complete("dispatch")
    with pytest.raises(StepNotReady):
        driver.run.settle([dispatch.instance_id], WAIVED, driver.now)


def test_settling_late_records_the_overdue_first(start):
    driver = at_inputs(start, (1,))
    due = driver.ready("co_input")[0].due_at
    fired = driver.run.settle([input_of(driver, 1).instance_id], {"outcome": "missed"}, due + timedelta(hours=1))
    assert [t.step_id for t in fired] == ["co_input"]


def test_a_reassigned_input_belongs_to_the_new_unit_in_the_process(start):
    driver = at_inputs(start)
    step = input_of(driver, 2)
    assert driver.run.reassign(step.instance_id, 9) == 2
    driver.roundtrip()
    assert sorted(s.unit for s in driver.ready("co_input")) == [1, 3, 9]
    assert input_of(driver, 9).instance_id == step.instance_id, "the same instance, another unit"
    for unit in (1, 9, 3):
        driver.complete(input_of(driver, unit), data={"text": "意见"})
    assert driver.ready_ids() == ["consolidate"]
    data = driver.run.process_data()
    assert data["co_units"] == [1, 9, 3], "the collection says who was asked"
    assert sorted(r["unit"] for r in data["co_inputs"]) == [1, 3, 9]


def test_a_reassigned_lead_step_puts_the_unit_first_in_the_host_variable(start):
    driver = start([1], lead_units=[100, 101])
    driver.complete("dispatch")
    (sign_for,) = driver.ready("sign_for")
    with pytest.raises(EngineError, match="单位列表变量"):
        driver.run.reassign(sign_for.instance_id, 200)
    assert driver.run.reassign(sign_for.instance_id, 200, units_variable="lead_units") == 100
    driver.roundtrip()
    driver.complete("sign_for")
    assert driver.run.process_data()["lead_units"] == [200, 100, 101]


def test_withdrawing_an_input_while_others_are_open(start):
    driver = at_inputs(start)
    first = input_of(driver, 1)
    driver.complete(first, data={"text": "写错了"})
    step = driver.run.withdraw(first.instance_id, driver.now)
    assert (step.step_id, step.unit, step.instance_id) == ("co_input", 1, first.instance_id)
    driver.roundtrip()
    assert sorted(s.unit for s in driver.ready("co_input")) == [1, 2, 3]
    assert driver.run.process_data().get("co_inputs", []) == []
    for unit in (2, 1, 3):
        driver.complete(input_of(driver, unit), data={"text": "意见"})
    assert driver.ready_ids() == ["consolidate"]
    assert sorted(r["unit"] for r in driver.run.process_data()["co_inputs"]) == [1, 2, 3], "counted once"


def test_withdrawing_the_last_input_drops_the_consolidation_and_keeps_the_deadline(start):
    driver = at_inputs(start, (1, 2))
    due = driver.ready("co_input")[0].due_at
    driver.complete(input_of(driver, 1), data={"text": "意见一"})
    last = input_of(driver, 2)
    driver.complete(last, data={"text": "意见二"})
    assert driver.ready_ids() == ["consolidate"]
    driver.now += timedelta(days=1)
    driver.run.withdraw(last.instance_id, driver.now)
    driver.roundtrip()
    assert driver.ready_ids() == ["co_input"]
    (again,) = driver.ready("co_input")
    assert (again.unit, again.instance_id, again.due_at) == (2, last.instance_id, due), "a withdrawal is no extension"
    assert driver.run.next_timer_at() == due
    driver.complete(again, data={"text": "意见二(改)"})
    assert driver.ready_ids() == ["consolidate"]
    assert sorted(r["unit"] for r in driver.run.process_data()["co_inputs"]) == [1, 2]
    driver.complete("consolidate", data={"report": "汇总"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed


def test_the_timer_of_a_reopened_input_still_fires(start):
    driver = at_inputs(start, (1,))
    (step,) = driver.ready("co_input")
    driver.complete(step, data={"text": "意见"})
    driver.run.withdraw(step.instance_id, driver.now)
    driver.roundtrip()
    fired = driver.run.fire_due_timers(step.due_at + timedelta(minutes=1))
    assert [(t.step_id, t.due_at) for t in fired] == [("co_input", step.due_at)]
    driver.roundtrip()
    assert [s.unit for s in driver.ready("co_input")] == [1], "a non-interrupting timer leaves the input open"


def test_withdrawing_a_report_before_the_review(start):
    driver = at_inputs(start, (1,))
    driver.complete(input_of(driver, 1), data={"text": "意见"})
    (consolidate,) = driver.ready("consolidate")
    driver.complete(consolidate, data={"report": "第一稿"})
    assert driver.ready_ids() == ["review"]
    driver.now += timedelta(days=1)
    step = driver.run.withdraw(consolidate.instance_id, driver.now)
    driver.roundtrip()
    assert driver.ready_ids() == ["consolidate"]
    assert step.instance_id == consolidate.instance_id
    assert driver.ready("consolidate")[0].due_at == consolidate.due_at
    driver.complete("consolidate", data={"report": "第二稿"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed


def test_no_withdrawal_once_the_next_step_was_done(start):
    driver = at_inputs(start, (1,))
    (co_input,) = driver.ready("co_input")
    driver.complete(co_input, data={"text": "意见"})
    (consolidate,) = driver.ready("consolidate")
    driver.complete(consolidate, data={"report": "报告"})
    with pytest.raises(NotWithdrawable, match="汇总报送"):
        driver.run.withdraw(co_input.instance_id, driver.now)
    driver.complete("review", decision="pass")
    with pytest.raises(NotWithdrawable, match="审核"):
        driver.run.withdraw(consolidate.instance_id, driver.now)
    (approve,) = driver.ready("approve")
    with pytest.raises(NotWithdrawable, match="尚未办理"):
        driver.run.withdraw(approve.instance_id, driver.now)
    driver.complete("approve", decision="approve")
    with pytest.raises(NotWithdrawable, match="已经结束"):
        driver.run.withdraw(approve.instance_id, driver.now)


def test_a_cancelled_cycle_has_nothing_open_and_is_not_closed(start):
    driver = at_inputs(start)
    driver.complete(input_of(driver, 1), data={"text": "意见"})
    gone = driver.run.cancel(driver.now)
    assert len(gone) == 2
    driver.roundtrip()
    assert driver.run.cancelled and not driver.run.completed
    assert driver.ready_ids() == []
    assert driver.run.next_timer_at() is None
    assert driver.run.fire_due_timers(driver.now + timedelta(days=30)) == ()


def test_a_reassigned_input_withdrawn_by_its_new_unit_stays_with_it(start):
    driver = at_inputs(start, (1, 2))
    step = input_of(driver, 2)
    driver.run.reassign(step.instance_id, 9)
    driver.roundtrip()
    driver.complete(input_of(driver, 1), data={"text": "意见一"})
    driver.complete(input_of(driver, 9), data={"text": "意见九"})
    driver.run.withdraw(step.instance_id, driver.now)
    driver.roundtrip()
    assert [s.unit for s in driver.ready("co_input")] == [9]
    driver.complete(input_of(driver, 9), data={"text": "意见九(改)"})
    assert driver.run.process_data()["co_units"] == [1, 9]
    assert sorted(r["unit"] for r in driver.run.process_data()["co_inputs"]) == [1, 9]


def test_a_settled_instance_reopens_like_a_completed_one(start):
    """The host decides who may withdraw what; to the engine a settled instance is a completed one."""
    driver = at_inputs(start, (1, 2))
    step = input_of(driver, 1)
    driver.run.settle([step.instance_id], WAIVED, driver.now)
    driver.roundtrip()
    driver.run.withdraw(step.instance_id, driver.now)
    driver.roundtrip()
    assert sorted(s.unit for s in driver.ready("co_input")) == [1, 2]
    assert driver.run.process_data().get("co_inputs", []) == []
