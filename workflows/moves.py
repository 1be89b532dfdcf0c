"""The moves off the happy path, done to a cycle's process as process operations.

Each is reached through a method of ``CycleRun`` (which holds the docstrings the host reads);
the work is here, so that run.py stays the happy path. What they do in BPMN terms:

- ``settle``: an instance of a multi-instance step finishes without a submission, its result
  recorded as an *outcome* (免报, 逾期未报). The process goes on exactly as after a completion:
  the parent merges the result, and when it has them all the next step opens.
- ``reassign``: the instance's unit changes in the process data (the instance variable and the
  parent's collection for a multi-instance step; the host's unit list for any other step), so
  what the process carries and what the host shows agree.
- ``withdraw``: a completed step is made ready again, what followed it is dropped, its timers
  keep the instants they had (a withdrawal is no extension).
- ``cancel``: every open task of the process is cancelled; the process ends unsuccessfully.
- ``set_units``: the host's unit lists in the process data change for what is still to come (the
  data of the tasks under way, which the tasks after them inherit); a multi-instance step already
  running keeps its collection (its instances are reassigned or settled one by one instead).

SpiffWorkflow's ``reset_from_task_id`` (checked against 3.2, see tests/workflows/test_moves.py)
gives a task its parent's data and clears the internal data of the task and of every boundary
event beside it, so its timers are armed again from *now*; for an instance of a multi-instance
step it also loses the instance's item (its unit) and leaves the instance's result merged in the
parent. So a single-instance step is reset with it and its timers set back; an instance of a
multi-instance step is reopened by ``spiff.reopen_instance``, which undoes the merge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from .errors import EngineError, StepNotReady
from .spiff import forget_removed_events, reopen_instance, set_instance_item, set_timer_value, timer_value
from .types import FiredTimer, ReadyStep

if TYPE_CHECKING:
    from datetime import datetime

    from .run import CycleRun


class NotWithdrawable(EngineError):
    """A completed step cannot be withdrawn: the step after it was acted on, or it is not done."""


def settle(
    run: CycleRun, instance_ids: Sequence[str], outcome: Mapping[str, Any], now: datetime
) -> tuple[FiredTimer, ...]:
    tasks = [run._ready_task(i) for i in instance_ids]
    for task in tasks:
        definition = run.diagram.step(task.task_spec.bpmn_id)
        if not definition.multi_instance or not definition.output_variable:
            raise EngineError(f"“{definition.name}”不是按单位分别办理的环节,不能免报或截止", definition.step_id)
    due = run.next_timer_at()
    run._known, run._changed = None, True
    with run.running(now):
        waiting = run._waiting_timers() if due is not None and due <= now else []
        if waiting:
            run._wf.refresh_timers()
            run._wf.do_engine_steps()
        for task in tasks:
            if task.state != TaskState.READY:  # an interrupting timer took it meanwhile
                raise StepNotReady(str(task.id))
            definition = run.diagram.step(task.task_spec.bpmn_id)
            unit = task.data.get(definition.instance_variable)
            output = str(definition.output_variable)  # checked above: a multi-instance step with an output
            task.set_data(**{output: {"unit": unit, **dict(outcome)}})
            task.run()
            run._wf.do_engine_steps()
        run._check_depth()
        return run._fired(waiting)


def reassign(run: CycleRun, instance_id: str, unit: int, units_variable: str | None) -> int | None:
    task = run._ready_task(instance_id)
    definition = run.diagram.step(task.task_spec.bpmn_id)
    run._known, run._changed = None, True
    if definition.multi_instance and definition.instance_variable:
        previous = task.data.get(definition.instance_variable)
        set_instance_item(task, unit)
        return previous if isinstance(previous, int) else None
    if units_variable is None:
        raise EngineError(f"“{definition.name}”的承办单位不在流程数据中,转办需指明单位列表变量", definition.step_id)
    units = [u for u in task.data.get(units_variable) or [] if isinstance(u, int)]
    previous = units[0] if units else None
    task.data[units_variable] = [unit, *(u for u in units if u != unit)]
    return previous


def withdraw(run: CycleRun, instance_id: str, now: datetime) -> ReadyStep:
    task = _completed_user_task(run, instance_id)
    definition = run.diagram.step(task.task_spec.bpmn_id)
    anchor = run._anchor_of(task)
    after = _successors(anchor, task) if anchor is not task else [c for c in task.children]
    acted = [t for root in after for t in root if t.task_spec.manual and t.state == TaskState.COMPLETED]
    if acted:
        names = "、".join(dict.fromkeys(run.diagram.step(t.task_spec.bpmn_id).name for t in acted))
        raise NotWithdrawable(f"“{definition.name}”之后的“{names}”已经办理,不能撤回", definition.step_id)
    run._known, run._changed = None, True
    with run.running(now):
        if anchor is not task:
            reopen_instance(task)
        else:
            timers = {t.id: timer_value(t) for t in _boundary_timers(task)}
            run._wf.reset_from_task_id(task.id)
            forget_removed_events(run._wf)
            for timer in _boundary_timers(task):
                if timers.get(timer.id) is not None:
                    set_timer_value(timer, timers[timer.id])
        run._wf.do_engine_steps()
    (step,) = [s for s in run.ready_steps() if s.instance_id == instance_id]
    return step


def cancel(run: CycleRun, now: datetime) -> tuple[str, ...]:
    ready = tuple(s.instance_id for s in run.ready_steps())
    run._known, run._changed = None, True
    with run.running(now):
        run._wf.cancel()
    return ready


def set_units(run: CycleRun, values: Mapping[str, Sequence[int]]) -> int:
    run._known, run._changed = None, True
    changed = 0
    for task in run._all_tasks():
        if task.state not in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            continue
        parent = task.parent
        if isinstance(task.task_spec, MultiInstanceTask) or (
            parent is not None and isinstance(parent.task_spec, MultiInstanceTask)
        ):
            continue
        task.data.update({name: [int(u) for u in units] for name, units in values.items()})
        changed += 1
    return changed


def _completed_user_task(run: CycleRun, instance_id: str) -> Any:
    try:
        task = run._wf.get_task_from_id(UUID(instance_id))
    except (ValueError, KeyError):
        task = None
    if task is None or not task.task_spec.manual:
        raise NotWithdrawable("该环节在流程中不存在,不能撤回")
    if task.state != TaskState.COMPLETED:
        raise NotWithdrawable("该环节尚未办理,无需撤回", task.task_spec.bpmn_id)
    if run._wf.completed:
        raise NotWithdrawable("本办理周期已经结束,不能撤回", task.task_spec.bpmn_id)
    return task


def _successors(anchor: Any, task: Any) -> list[Any]:
    """What follows a multi-instance step: the parent's children that are not its instances."""
    if not isinstance(anchor.task_spec, MultiInstanceTask):
        return []
    return [c for c in anchor.children if c.task_spec.name != task.task_spec.name]


def _boundary_timers(task: Any) -> list[Any]:
    split = task.parent
    if split is None:
        return []
    return [c for c in split.children if c is not task and isinstance(c.task_spec, BoundaryEvent)]


__all__ = ["NotWithdrawable", "cancel", "reassign", "settle", "withdraw"]
