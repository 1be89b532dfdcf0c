"""Pins every use of SpiffWorkflow's private API (all of them live in workflows/spiff.py).

When an upgrade of SpiffWorkflow changes one of these, the test for it fails and says what moved;
read workflows/spiff.py's note on it before changing the pin in pyproject.toml.
"""

from __future__ import annotations

import inspect
import json
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    LoopTask,
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
    StandardLoopTask,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows import STATE_FORMAT, Engine, spiff, validate_submission

DIAGRAM = Path(__file__).resolve().parents[2] / "bpmn" / "key_task_cycle.bpmn"
NOW = datetime(2024, 4, 1, 1, 0, tzinfo=timezone.utc)


def policy(step, now, data):
    return now + timedelta(days=3)


def params(function) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.fixture
def engine():
    return Engine(policy, live_cycles=0)


@pytest.fixture
def diagram(engine):
    return engine.deploy(DIAGRAM.read_bytes())


def at_co_inputs(engine, diagram):
    run = engine.start(diagram.digest, {"lead_units": [1], "co_units": [2, 3]}, NOW)
    for step_id in ("dispatch", "sign_for"):
        (step,) = [r for r in run.ready_steps() if r.step_id == step_id]
        run.complete(step.instance_id, validate_submission(diagram.step(step_id), {}, None, None), NOW)
    return run


def test_do_engine_steps_still_calls_the_private_pass_we_override(engine, diagram):
    assert params(BpmnWorkflow._do_engine_steps) == ["self", "will_complete_task", "did_complete_task"], (
        "BpmnWorkflow._do_engine_steps changed its signature: spiff._Workflow overrides it"
    )
    calls = []
    original = spiff._Workflow._do_engine_steps

    def counting(self, *args):
        calls.append(args)
        return original(self, *args)

    spiff._Workflow._do_engine_steps = counting
    try:
        run = engine.start(diagram.digest, {"lead_units": [1], "co_units": []}, NOW)
    finally:
        spiff._Workflow._do_engine_steps = original
    assert calls, "do_engine_steps no longer goes through _do_engine_steps: spiff._Workflow's pass is dead code"
    assert [r.step_id for r in run.ready_steps()] == ["dispatch"]


def test_the_workflow_class_name_is_part_of_the_stored_format(engine, diagram):
    state = engine.start(diagram.digest, {"lead_units": [1], "co_units": []}, NOW).save()
    assert json.loads(zlib.decompress(state))["typename"] == "_Workflow" == spiff._Workflow.__name__, (
        "stored states name the workflow class: renaming spiff._Workflow is a new state format"
    )


def test_tasks_keep_their_children_as_ids_in_children(engine, diagram):
    run = at_co_inputs(engine, diagram)
    task = next(t for t in run._wf.tasks.values() if len(t.children) > 1)
    assert task._children == [child.id for child in task.children], (
        "Task._children is no longer the list of child ids: spiff.FinishedTaskMemo keys on it"
    )


def test_the_registry_has_an_encoder_mode_that_serialize_json_sets():
    assert DefaultRegistry()._encoder_mode is False, "DefaultRegistry._encoder_mode is gone: see spiff.encoder_mode"
    seen = []
    serializer = BpmnWorkflowSerializer()
    original = serializer.to_dict

    def spying(obj, **kwargs):
        seen.append(serializer.registry._encoder_mode)
        return original(obj, **kwargs)

    serializer.to_dict = spying
    parser = BpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    serializer.serialize_json(BpmnWorkflow(parser.get_spec("key_task_cycle")))
    assert seen == [True], "serialize_json no longer sets registry._encoder_mode around to_dict"
    with spiff.encoder_mode(serializer.registry):
        assert serializer.registry._encoder_mode is True
    assert serializer.registry._encoder_mode is False


def test_a_timer_keeps_its_due_instant_in_internal_data(engine, diagram):
    assert params(Task._get_internal_data) == ["self", "name", "default"]
    assert params(Task._set_internal_data) == ["self", "kwargs"]
    run = engine.start(diagram.digest, {"lead_units": [1], "co_units": []}, NOW)
    (timer,) = [t for t in run._wf.tasks.values() if t.task_spec.bpmn_id == "timer_dispatch"]
    assert timer.state == TaskState.WAITING
    assert spiff.timer_value(timer) == (NOW + timedelta(days=3)).isoformat(), (
        "a date timer no longer keeps its due instant as internal_data['event_value']"
    )
    later = NOW + timedelta(days=10)
    spiff.set_timer_value(timer, later.isoformat())
    with run.running(NOW + timedelta(days=5)):
        run._wf.refresh_timers()
    assert timer.state == TaskState.WAITING, "a re-armed timer fired at its old instant"
    with run.running(later + timedelta(seconds=1)):
        run._wf.refresh_timers()
    assert timer.state != TaskState.WAITING, "a re-armed timer did not fire at its new instant"


def test_the_parser_leaves_the_merge_signal_unconnected_and_wiring_connects_it():
    parser = BpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec("key_task_cycle")
    loop = spec.task_specs["co_input"]
    assert isinstance(loop, ParallelMultiInstanceTask) and isinstance(loop, LoopTask)
    for cls in (MultiInstanceTask, ParallelMultiInstanceTask, SequentialMultiInstanceTask, StandardLoopTask):
        assert params(cls.merge_child) == ["self", "workflow", "child"], f"{cls.__name__}.merge_child changed"
    child = spec.task_specs[loop.task_spec]
    assert not child.completed_event.is_connected(loop.merge_child), (
        "the parser now connects the merge signal itself: spiff.wire_loop_children may be unnecessary"
    )
    spiff.wire_loop_children(spec)
    spiff.wire_loop_children(spec)  # once only, however often it is called
    assert child.completed_event.is_connected(loop.merge_child)
    assert child.completed_event.n_subscribers() == 1


def test_an_instance_completing_merges_through_the_signal_and_is_listed_as_merged(engine, diagram):
    run = at_co_inputs(engine, diagram)
    first = run.ready_steps()[0]
    run.complete(first.instance_id, validate_submission(diagram.step("co_input"), {"text": "甲"}, None, None), NOW)
    (parent,) = [t for t in run._wf.tasks.values() if t.task_spec.name == "co_input"]
    assert parent.state == TaskState.STARTED
    assert parent.internal_data["merged"] == [first.instance_id], "internal_data['merged'] no longer lists merged ids"
    assert parent.data["co_inputs"] == [{"unit": first.unit}]  # the text stays out of the process data


def test_an_unconnected_signal_leaves_the_instance_unmerged_and_merge_instance_repairs_it(engine, diagram):
    run = at_co_inputs(engine, diagram)
    loop = run._parsed.spec.task_specs["co_input"]
    child_spec = run._parsed.spec.task_specs[loop.task_spec]
    child_spec.completed_event.disconnect(loop.merge_child)  # the engine as it was before the fix
    try:
        first = run.ready_steps()[0]
        run.complete(first.instance_id, validate_submission(diagram.step("co_input"), {"text": "甲"}, None, None), NOW)
    finally:
        spiff.wire_loop_children(run._parsed.spec)
    ((parent, child),) = spiff.unmerged_instances(run._wf.tasks.values())
    assert str(child.id) == first.instance_id and parent.internal_data["merged"] == []
    spiff.merge_instance(parent, child)
    assert parent.internal_data["merged"] == [first.instance_id]
    assert [i["unit"] for i in parent.data["co_inputs"]] == [first.unit]
    assert spiff.unmerged_instances(run._wf.tasks.values()) == []
    state = run.save()
    assert engine.load(state, STATE_FORMAT).unmerged() == ()


# -- the moves off the happy path (workflows/moves.py) ----------------------------------------


def test_an_instance_knows_its_slot_in_the_input_collection(engine, diagram):
    run = at_co_inputs(engine, diagram)
    instances = sorted((t for t in run._wf.tasks.values() if t.task_spec.name == "co_input [child]"), key=str)
    slots = {t.data["co_unit"]: spiff.instance_slot(t) for t in instances}
    assert slots == {2: 0, 3: 1}, "an instance no longer keeps its index as internal_data['key_or_index']"
    target = next(t for t in instances if t.data["co_unit"] == 3)
    spiff.set_instance_item(target, 7)
    (parent,) = [t for t in run._wf.tasks.values() if t.task_spec.name == "co_input"]
    assert parent.data["co_units"] == [2, 7] and target.data["co_unit"] == 7


def test_reset_branch_clears_internal_data_and_takes_the_parents_data(engine, diagram):
    assert params(Task.reset_branch) == ["self", "data"]
    run = at_co_inputs(engine, diagram)
    instance = next(t for t in run._wf.tasks.values() if t.task_spec.name == "co_input [child]")
    instance.internal_data["probe"] = 1
    instance.reset_branch(None)
    assert "probe" not in instance.internal_data, "reset_branch keeps internal_data: reopen_instance need not restore"
    assert "co_unit" not in instance.data, "reset_branch no longer copies the parent's data (without the item)"


def test_reopening_uses_the_private_state_prediction_and_removal(engine, diagram):
    assert params(Task._set_state) == ["self", "value"]
    from SpiffWorkflow.specs.base import TaskSpec
    from SpiffWorkflow.workflow import Workflow

    assert params(TaskSpec._predict) == ["self", "my_task", "seen", "looked_ahead", "mask"]
    assert params(Workflow._remove_task) == ["self", "task_id"]
    run = at_co_inputs(engine, diagram)
    first, last = run.ready_steps()
    for step in (first, last):
        run.complete(step.instance_id, validate_submission(diagram.step("co_input"), {"text": "甲"}, None, None), NOW)
    (parent,) = [t for t in run._wf.tasks.values() if t.task_spec.name == "co_input"]
    assert parent.state == TaskState.COMPLETED
    with run.running(NOW):
        spiff.reopen_instance(run._wf.get_task_from_id(UUID(last.instance_id)))
    assert parent.state == TaskState.STARTED, "Task._set_state no longer sets the parent's state"
    assert parent.internal_data["merged"] == [first.instance_id]
    assert parent.data["co_inputs"] == [{"unit": first.unit}]
    assert [c.task_spec.name for c in parent.children if c.task_spec.name != "co_input [child]"] == [
        "co_input.BoundaryEventJoin",
        "consolidate.BoundaryEventSplit",
    ], "the successors of a reopened parent are no longer predicted by TaskSpec._predict"


def test_removing_a_branch_leaves_its_waiting_events_with_the_event_manager(engine, diagram):
    run = at_co_inputs(engine, diagram)
    (timer,) = [t for t in run._wf.tasks.values() if t.task_spec.bpmn_id == "timer_co_input"]
    manager = run._wf.event_manager
    assert isinstance(manager.tasks, dict) and timer.id in manager.tasks, "event_manager.tasks is no longer a dict"
    run._wf._remove_task(timer.id)
    assert timer.id in manager.tasks, (
        "removing a task now drops its waiting event from the manager: spiff.forget_removed_events may go"
    )
    spiff.forget_removed_events(run._wf)
    assert timer.id not in manager.tasks
