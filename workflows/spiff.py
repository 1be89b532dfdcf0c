"""SpiffWorkflow's private API: every use of it in duban is in this module, and nowhere else.

SpiffWorkflow 3.2 offers no public way to do a few things the engine needs. Each is done here,
once, and pinned by a test in ``tests/workflows/test_spiff_private.py`` that fails loudly (naming
what changed) when an upgrade of the library moves what it relies on:

- ``_Workflow._do_engine_steps``: a cheaper pass over ready automatic tasks (overrides a private
  method). The class name ``_Workflow`` is stored in every state as its ``typename``: renaming the
  class changes the stored format.
- ``FinishedTaskMemo``: reads ``Task._children`` to tell whether a finished task gained children.
- ``encoder_mode``: ``registry._encoder_mode``, what ``serialize_json`` sets around ``to_dict``.
- ``timer_value`` / ``set_timer_value``: ``Task._get_internal_data`` / ``_set_internal_data`` of
  ``event_value``, where a timer event keeps the instant it is due.
- ``wire_loop_children``: the ``completed_event`` signal of an instance's task spec and the loop's
  ``merge_child`` slot, which merge a multi-instance or loop instance into its parent.
- ``unmerged_instances`` / ``merge_instance``: the parent's ``internal_data['merged']`` list and the
  same ``merge_child``, to merge instances that completed while that signal was unconnected.
- ``instance_slot`` / ``set_instance_item``: an instance's ``internal_data['key_or_index']``, to
  give a ready instance another unit (转办) in its data and in its parent's collection.
- ``reopen_instance``: ``Task._set_state``, ``TaskSpec._predict``, ``Workflow._remove_task`` and
  the same ``internal_data`` keys, to make a completed instance ready again (撤回).
- ``forget_removed_events``: the event manager's ``tasks``, which keeps the waiting events of
  tasks removed with a branch (``reset_from_task_id`` does that too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


class _Workflow(BpmnWorkflow):
    """SpiffWorkflow's workflow with a cheaper engine-step pass.

    ``do_engine_steps`` repeatedly collects the READY automatic tasks through the tree iterator,
    which walks every task depth-first; for a process without subprocesses the flat task table
    holds the same tasks and is several times cheaper to scan. With subprocesses, the library's
    own pass runs unchanged."""

    def _do_engine_steps(self, will_complete_task: Any = None, did_complete_task: Any = None) -> bool:
        if self.subprocesses or will_complete_task is not None or did_complete_task is not None:
            return bool(super()._do_engine_steps(will_complete_task, did_complete_task))
        ready = [t for t in self.tasks.values() if t.state == TaskState.READY and not t.task_spec.manual]
        count = 0
        for task in ready:
            if task.state == TaskState.READY:  # an earlier task of this pass may have moved it
                task.run()
                count += 1
        return count > 0


class FinishedTaskMemo(TaskConverter):
    """Remembers the dict of a finished task between saves of the same live workflow.

    A finished task (completed, cancelled, errored) no longer changes, except by gaining children,
    so its dict is reused while its state, children and internal data look the same. Most of a
    cycle's tree is finished, and converting it again was the larger part of every save."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        if not task.state & TaskState.FINISHED_MASK:
            return dict(super().to_dict(task))
        memo: dict[UUID, tuple[tuple[Any, ...], dict[str, Any]]] = task.workflow.__dict__.setdefault(
            "_duban_finished", {}
        )
        key = (task.state, task.last_state_change, tuple(task._children), task.triggered, len(task.internal_data))
        known = memo.get(task.id)
        if known is not None and known[0] == key:
            return known[1]
        dct: dict[str, Any] = super().to_dict(task)
        memo[task.id] = (key, dct)
        return dct


@contextmanager
def encoder_mode(registry: Any) -> Iterator[None]:
    """What ``BpmnWorkflowSerializer.serialize_json`` does around ``to_dict``: in encoder mode the
    registry leaves plain dicts to the JSON encoder instead of converting them a second time."""
    registry._encoder_mode = True
    try:
        yield
    finally:
        registry._encoder_mode = False


def timer_value(task: Any) -> Any:
    """What a timer event keeps of when it is due: an ISO 8601 string (a date timer), or a dict with
    ``next`` (a cycle timer); None before the timer was armed."""
    return task._get_internal_data("event_value")


def set_timer_value(task: Any, iso: str) -> None:
    """Re-arms a waiting timer event for another instant (ISO 8601)."""
    task._set_internal_data(event_value=iso)


def wire_loop_children(process_spec: Any) -> None:
    """Connects each loop or multi-instance activity to the completion of its instances, once.

    SpiffWorkflow merges an instance's result into its multi-instance parent through a signal on
    the instance's task spec. The parser leaves it unconnected; the library connects it lazily when
    a parent first creates instances in this process, and its own spec deserializer connects it
    eagerly. We keep the parsed spec and store states by reference to it, so neither happens for a
    cycle whose instances were created by another process: their completions would be accepted but
    never merged, and the step after them would never open. Connecting at parse time makes every
    loaded state behave as the live instance did."""
    for task_spec in list(process_spec.task_specs.values()):
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def unmerged_instances(tasks: Iterable[Any]) -> list[tuple[Any, Any]]:
    """(parent, instance) for every loop or multi-instance instance among ``tasks``' children that
    completed without being merged into its parent (its completion signal was unconnected), in the
    order they completed."""
    found = []
    for parent in tasks:
        spec = parent.task_spec
        if not isinstance(spec, LoopTask) or parent.state not in (TaskState.STARTED, TaskState.COMPLETED):
            continue
        merged = set(parent.internal_data.get("merged", ()))
        found += [
            (parent, child)
            for child in parent.children
            if child.task_spec.name == spec.task_spec
            and child.state == TaskState.COMPLETED
            and str(child.id) not in merged
        ]
    found.sort(key=lambda pair: pair[1].last_state_change)
    return found


def merge_instance(parent: Any, instance: Any) -> None:
    """Merges a completed, unmerged instance into its parent, as its completion signal would have.

    A parent still waiting (STARTED) gets exactly the library's merge: the result is added, and the
    parent creates the next instance or becomes ready when it has them all. A parallel parent that
    already went on (its last instance completed where the signal was connected, so the earlier
    ones were never counted) gets the result added to its data, and so does every task after it
    whose data still holds the value as the parent passed it on."""
    spec = parent.task_spec
    if parent.state == TaskState.STARTED:
        spec.merge_child(parent.workflow, instance)
        return
    if not isinstance(spec, MultiInstanceTask):  # a finished loop can hold no unmerged iteration
        raise ValueError(f"{spec.bpmn_id}: a finished {type(spec).__name__} with an unmerged instance")
    before = deepcopy(parent.data)
    MultiInstanceTask.merge_child(spec, parent.workflow, instance)  # the merge only, not the state change
    changed = {key: value for key, value in parent.data.items() if key not in before or before[key] != value}
    workflow = parent.workflow
    for task in _after(parent, spec.task_spec):
        _carry(task.data, before, changed)
    for holder in {workflow, workflow.top_workflow}:
        _carry(holder.data, before, changed)


def _after(parent: Any, instance_spec: str) -> Iterator[Any]:
    """The tasks that follow a multi-instance parent (its subtree without its instances), with the
    tasks of the subprocesses they run."""
    subprocesses = parent.workflow.top_workflow.subprocesses
    pending = [c for c in parent.children if c.task_spec.name != instance_spec]
    while pending:
        task = pending.pop()
        yield task
        pending.extend(task.children)
        if task.id in subprocesses:
            pending.append(subprocesses[task.id].task_tree)


def _carry(data: dict[str, Any], before: dict[str, Any], changed: dict[str, Any]) -> None:
    for key, value in changed.items():
        if key in data and key in before and data[key] == before[key]:
            data[key] = deepcopy(value)


# -- the moves off the happy path (workflows/moves.py) ------------------------------------------


def instance_slot(instance: Any) -> Any:
    """Where an instance's item sits in its multi-instance parent's input collection (an index or a
    key), kept by the library in the instance's ``internal_data['key_or_index']``; None when the
    input is not a sequence or a mapping."""
    return instance.internal_data.get("key_or_index")


def set_instance_item(instance: Any, item: Any) -> None:
    """Gives a ready instance of a multi-instance step another item (a unit): in the instance's data
    (its input item) and at its slot in the parent's input collection, so the process and the
    instance agree. The library has no public way to change an instance's item once created."""
    parent = instance.parent
    spec = parent.task_spec
    if spec.input_item is not None:
        spec.input_item.set(instance, item)
    slot = instance_slot(instance)
    if spec.data_input is not None and slot is not None:
        collection = spec.data_input.get(parent)
        collection[slot] = item
    elif "item" in instance.internal_data:
        instance.internal_data["item"] = item


def reopen_instance(instance: Any) -> None:
    """Makes a completed instance of a parallel multi-instance step ready again, as if it had never
    been completed: its result leaves the parent's output collection and ``merged`` list; a parent
    that had already gone on (this was its last instance) is started again, what followed it is
    dropped (``Workflow._remove_task``; the host has checked that nothing there was done), and its
    boundary timers, cancelled when it finished, wait again at the instants they had.

    Uses ``Task._set_state`` (the parent back to STARTED), ``TaskSpec._predict`` (its successors
    predicted again), ``Workflow._remove_task``, and the library's ``internal_data`` bookkeeping
    (``merged`` of the parent, ``key_or_index``/``item`` of the instance)."""
    parent = instance.parent
    spec = parent.task_spec
    workflow = instance.workflow
    if not isinstance(spec, MultiInstanceTask):
        raise ValueError(f"{instance.task_spec.bpmn_id}: not an instance of a multi-instance step")
    if parent.state == TaskState.COMPLETED:
        for child in [c for c in parent.children if c.task_spec.name != spec.task_spec]:
            workflow._remove_task(child.id)
        parent._set_state(TaskState.STARTED)
        # What follows is predicted again, as it was while the parent waited for its instances.
        spec._predict(parent, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | TaskState.STARTED)
        split = parent.parent
        for timer in [c for c in split.children if c is not parent and c.state == TaskState.CANCELLED]:
            value = timer_value(timer)
            timer.reset_branch(None)
            if value is not None and timer.state == TaskState.WAITING:
                set_timer_value(timer, value)
        workflow.last_task = parent
        forget_removed_events(workflow)
    elif parent.state != TaskState.STARTED:
        raise ValueError(f"{spec.bpmn_id}: the multi-instance step is {TaskState.get_name(parent.state)}")
    merged = parent.internal_data.get("merged", [])
    if str(instance.id) in merged:
        merged.remove(str(instance.id))
    item = instance.data.get(spec.input_item.bpmn_id) if spec.input_item is not None else None
    if spec.data_output is not None and spec.output_item is not None and spec.output_item.exists(instance):
        result = spec.output_item.get(instance)
        collected = spec.data_output.get(parent)
        slot = instance_slot(instance)
        if isinstance(collected, dict):
            collected.pop(slot, None)
        elif result in collected:
            collected.remove(result)
    data = deepcopy(parent.data)
    if spec.input_item is not None:
        data[spec.input_item.bpmn_id] = item
    kept = {k: v for k, v in instance.internal_data.items() if k in ("key_or_index", "item")}
    instance.reset_branch(data)  # clears internal_data: the instance's slot is put back
    instance.internal_data.update(kept)


def forget_removed_events(workflow: Any) -> None:
    """Drops, from the workflow's event manager (``event_manager.tasks``), the waiting events of
    tasks no longer in the tree. The library removes a waiting event from it when the event is
    cancelled, but not when its task is removed with a branch (``reset_from_task_id``,
    ``Workflow._remove_task``): the next ``refresh_timers`` would then update a task without a
    parent and fail. A state saved and loaded again rebuilds the manager from the tree."""
    top = workflow.top_workflow
    known = top.event_manager.tasks
    for task_id in [i for i, task in known.items() if task.workflow.tasks.get(i) is not task]:
        del known[task_id]
