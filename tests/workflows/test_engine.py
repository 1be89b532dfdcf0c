"""The key-task cycle diagram, run by the engine alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workflows import (
    STATE_FORMAT,
    Engine,
    EngineError,
    StepNotReady,
    Submission,
    UnknownDiagram,
    validate_submission,
)


def finish_co_inputs(driver, cold=False):
    for step in driver.ready("co_input"):
        driver.complete(step, data={"text": f"意见 {step.unit}"}, cold=cold)


def test_full_cycle_with_three_co_units(start):
    driver = start([1, 2, 3])
    assert driver.ready_ids() == ["dispatch"]
    driver.complete("dispatch")
    assert driver.ready_ids() == ["sign_for"]
    driver.complete("sign_for")
    inputs = driver.ready("co_input")
    assert sorted(s.unit for s in inputs) == [1, 2, 3]
    assert all(s.party == "co_unit" and s.name == "配合单位意见" for s in inputs)
    finish_co_inputs(driver)
    assert driver.ready_ids() == ["consolidate"]
    driver.complete("consolidate", data={"report": "汇总"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed
    assert driver.ready_ids() == []
    assert driver.run.next_timer_at() is None


def test_return_and_reject_loops(start):
    driver = start([7])
    driver.complete("dispatch")
    driver.complete("sign_for")
    finish_co_inputs(driver)
    driver.complete("consolidate", data={"report": "第一稿"})
    driver.complete("review", decision="return", comment="数据不全")
    assert driver.ready_ids() == ["consolidate"], "a return goes back to the lead unit"
    driver.complete("consolidate", data={"report": "第二稿"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="reject", comment="再核实")
    assert driver.ready_ids() == ["review"], "a reject goes back to the supervisor's review"
    driver.complete("review", decision="return", comment="按领导意见修改")
    driver.complete("consolidate", data={"report": "第三稿"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed


def test_many_return_loops_keep_working(start):
    driver = start([])
    driver.complete("dispatch")
    driver.complete("sign_for")
    for n in range(40):
        driver.complete("consolidate", data={"report": f"第{n}稿"})
        driver.complete("review", decision="return", comment="退回")
    driver.complete("consolidate", data={"report": "终稿"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed


@pytest.mark.parametrize("count", [0, 3, 55])
def test_co_unit_counts(start, count):
    co_units = list(range(1, count + 1))
    driver = start(co_units)
    driver.complete("dispatch")
    driver.complete("sign_for")
    if count == 0:
        assert driver.ready_ids() == ["consolidate"], "no co-units: the parallel step is skipped"
    else:
        assert sorted(s.unit for s in driver.ready("co_input")) == co_units
        # Complete in reverse order: the order of completion must not matter.
        for step in reversed(driver.ready("co_input")):
            assert driver.ready_ids()[0] == "co_input"
            driver.complete(step, data={"text": "同意"})
        assert driver.ready_ids() == ["consolidate"]
    driver.complete("consolidate", data={"report": "报告"})
    driver.complete("review", decision="pass")
    driver.complete("approve", decision="approve")
    assert driver.run.completed


def test_state_survives_a_cold_load(start, engine, diagram):
    """A new process (no live objects) continues where the old one stopped."""
    driver = start([1, 2])
    driver.complete("dispatch", cold=True)
    driver.complete("sign_for", cold=True)
    first = driver.ready("co_input")[0]
    driver.complete(first, data={"text": "甲"}, cold=True)
    remaining = driver.ready("co_input")
    assert [s.unit for s in remaining] == [2]
    assert remaining[0].instance_id != first.instance_id
    driver.complete(remaining[0], data={"text": "乙"}, cold=True)
    assert driver.ready_ids() == ["consolidate"]


@pytest.mark.parametrize("restart_after", [0, 1, 2])
def test_inputs_given_in_another_process_are_merged(diagram, restart_after):
    """Issue 9's reproduction: the co-unit inputs are opened by one process and given in another.

    A new engine (a new process) parses the diagram itself; the inputs it completes must be merged
    into the process data and the last of them must open 汇总报送, as in the process that opened them."""
    from .conftest import START, calendar_days_policy

    first = Engine(calendar_days_policy)
    first.deploy(diagram.xml)
    run = first.start(diagram.digest, {"lead_units": [100], "co_units": [1, 2, 3]}, START)
    for step_id in ("dispatch", "sign_for"):
        (step,) = [r for r in run.ready_steps() if r.step_id == step_id]
        run.complete(step.instance_id, validate_submission(diagram.step(step_id), {}, None, None), START)
    engine = first
    for given, step in enumerate(sorted(run.ready_steps(), key=lambda r: r.unit or 0)):
        if given == restart_after:
            state = run.save()
            engine = Engine(calendar_days_policy)
            engine.deploy(diagram.xml)
            run = engine.load(state, STATE_FORMAT)
        submission = validate_submission(diagram.step("co_input"), {"text": f"意见{step.unit}"}, None, None)
        run.complete(step.instance_id, submission, START)
    assert [r.step_id for r in run.ready_steps()] == ["consolidate"]
    assert engine is not first
    assert sorted(i["unit"] for i in run.process_data()["co_inputs"]) == [1, 2, 3]


def test_state_is_small_and_refers_to_the_diagram(start):
    driver = start([1, 2, 3])
    driver.complete("dispatch")
    driver.complete("sign_for")
    finish_co_inputs(driver)
    # Compressed state without the embedded spec: a few KB, not the 30 KB of the default serializer.
    assert max(driver.sizes) < 6000


def test_completing_a_step_twice_is_refused(start):
    driver = start([1])
    step = driver.ready("dispatch")[0]
    driver.complete(step)
    with pytest.raises(StepNotReady):
        driver.run.complete(step.instance_id, Submission(fields={}, decision=None, comment=""), driver.now)
    with pytest.raises(StepNotReady):
        driver.run.complete("not-a-uuid", Submission(fields={}, decision=None, comment=""), driver.now)


def test_ready_steps_carry_their_timer_deadline(start):
    driver = start([1, 2])
    (dispatch,) = driver.ready("dispatch")
    # dispatch declares workingDays="1"; the test policy counts calendar days.
    assert dispatch.due_at == driver.now + timedelta(days=1)
    driver.complete(dispatch)
    (sign_for,) = driver.ready("sign_for")
    assert sign_for.due_at == driver.now + timedelta(days=3)
    assert driver.run.next_timer_at() == sign_for.due_at


def test_timers_fire_under_a_moved_clock(start):
    driver = start([1, 2])
    driver.complete("dispatch")
    due = driver.ready("sign_for")[0].due_at
    assert driver.run.fire_due_timers(due - timedelta(minutes=1)) == ()
    driver.roundtrip(cold=True)
    fired = driver.run.fire_due_timers(due + timedelta(seconds=1))
    assert [(f.step_id, f.element_id, f.due_at) for f in fired] == [("sign_for", "timer_sign_for", due)]
    # Non-interrupting: the step is still there, and the timer does not fire twice.
    assert driver.ready_ids() == ["sign_for"]
    assert driver.run.fire_due_timers(due + timedelta(days=5)) == ()
    assert driver.run.next_timer_at() is None


def test_one_timer_for_all_co_units(start):
    driver = start([1, 2, 3])
    driver.complete("dispatch")
    driver.complete("sign_for")
    steps = driver.ready("co_input")
    assert len({s.due_at for s in steps}) == 1
    driver.complete(steps[0], data={"text": "先交"})
    fired = driver.run.fire_due_timers(steps[0].due_at + timedelta(hours=1))
    assert [f.step_id for f in fired] == ["co_input"]
    assert len(driver.ready("co_input")) == 2


def test_a_completed_step_stops_its_timer(start):
    driver = start([])
    driver.complete("dispatch")
    due = driver.ready("sign_for")[0].due_at
    driver.complete("sign_for")
    fired = driver.run.fire_due_timers(due + timedelta(days=1))
    assert "sign_for" not in [f.step_id for f in fired]


def test_moving_a_deadline_moves_its_timer(start):
    driver = start([])
    driver.complete("dispatch")
    step = driver.ready("sign_for")[0]
    later = step.due_at + timedelta(days=10)
    assert driver.run.move_deadline(step.instance_id, later)
    driver.roundtrip(cold=True)
    assert driver.ready("sign_for")[0].due_at == later
    assert driver.run.fire_due_timers(step.due_at + timedelta(days=1)) == ()
    assert [f.step_id for f in driver.run.fire_due_timers(later + timedelta(seconds=1))] == ["sign_for"]


def test_a_step_completed_after_its_deadline_reports_the_timer(start):
    driver = start([])
    driver.complete("dispatch")
    due = driver.ready("sign_for")[0].due_at
    driver.now = due + timedelta(hours=2)
    fired = driver.complete("sign_for")
    # Completing at a late instant first lets the due timer fire, so the overdue is not lost.
    assert [f.step_id for f in fired] == ["sign_for"]


def test_element_states_for_the_viewer(start):
    driver = start([1])
    driver.complete("dispatch")
    driver.complete("sign_for")
    states = driver.run.element_states()
    assert states["dispatch"] == "done"
    assert states["sign_for"] == "done"
    assert states["co_input"] == "open"
    assert "review" not in states


def test_unknown_state_is_an_engine_error(engine, diagram):
    with pytest.raises(EngineError):
        engine.load(b"definitely not zlib", STATE_FORMAT)


def test_state_of_an_undeployed_diagram(engine, diagram, start):
    from workflows import Engine

    driver = start([1])
    state = driver.run.save()
    other = Engine(lambda step, now, data: now)
    with pytest.raises(UnknownDiagram) as caught:
        other.load(state, STATE_FORMAT)
    assert caught.value.digest == diagram.digest
    other.deploy(diagram.xml)
    assert [s.step_id for s in other.load(state, STATE_FORMAT).ready_steps()] == ["dispatch"]


def test_saving_is_the_same_warm_or_cold(start, diagram):
    """The live object (with its memo of finished tasks) and a freshly read copy save the same bytes."""
    import json
    import zlib

    from workflows import Engine

    cold = Engine(lambda step, now, data: now + timedelta(days=3))
    cold.deploy(diagram.xml)
    driver = start([1, 2])
    script = [
        ("dispatch", {}),
        ("sign_for", {}),
        ("co_input", {"data": {"text": "甲"}}),
        ("co_input", {"data": {"text": "乙"}}),
        ("consolidate", {"data": {"report": "一"}}),
        ("review", {"decision": "return", "comment": "改"}),
        ("consolidate", {"data": {"report": "二"}}),
        ("review", {"decision": "pass"}),
        ("approve", {"decision": "reject", "comment": "再审"}),
        ("review", {"decision": "pass"}),
        ("approve", {"decision": "approve"}),
    ]
    for step_id, form in script:
        driver.complete(step_id, **form)
        warm = driver.run.save()
        again = cold.load(warm, STATE_FORMAT).save()
        # Key order inside task data may differ after a round trip; the content may not.
        assert json.loads(zlib.decompress(again)) == json.loads(zlib.decompress(warm)), step_id
        driver.run = driver.engine.load(warm, STATE_FORMAT)
    assert driver.run.completed


def test_a_cycle_looping_without_end_is_stopped_cleanly(start):
    """The tree deepens with every loop; the engine refuses before SpiffWorkflow would recurse too deep."""
    from workflows import CycleTooDeep

    driver = start([])
    driver.complete("dispatch")
    driver.complete("sign_for")
    with pytest.raises(CycleTooDeep):
        for _ in range(400):
            driver.complete("consolidate", data={"report": "稿"})
            driver.complete("review", decision="return", comment="退回")


def test_reading_a_cycle_keeps_it_live(start, monkeypatch, mode):
    if mode == "restart":
        pytest.skip("the live cache is what this test checks; restart mode has none")
    driver = start([1, 2])
    driver.complete("dispatch")
    state = driver.run.save()
    with driver.engine.reading(state, STATE_FORMAT) as run:
        assert run.element_states()["dispatch"] == "done"

    def no_deserializing(*args, **kwargs):
        raise AssertionError("the cycle should still be live")

    monkeypatch.setattr(driver.engine._serializer, "from_dict", no_deserializing)
    assert [s.step_id for s in driver.engine.load(state, STATE_FORMAT).ready_steps()] == ["sign_for"]
