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
