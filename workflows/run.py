"""One cycle's process, loaded: what it shows (ready steps, timers, data) and what can be done to it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import moves
from .clock import engine_time
from .diagram import ParsedDiagram
from .errors import CycleTooDeep, EngineError, StepNotReady
from .spiff import merge_instance, set_timer_value, timer_value, unmerged_instances
from .types import Diagram, FiredTimer, MergedInstance, ReadyStep, Repair, Submission

if TYPE_CHECKING:
    from .engine import Engine

# SpiffWorkflow recurses along the tree and fails near 1,000 levels (Python's recursion limit).
MAX_TREE_DEPTH = 800


@dataclass(frozen=True)
class _Scan:
    ready: tuple[ReadyStep, ...]
    next_timer: datetime | None


class CycleRun:
    """One cycle's process, loaded. Use it, then ``save()``; after saving it is closed."""

    def __init__(
        self, engine: Engine, workflow: BpmnWorkflow, parsed: ParsedDiagram, scan: _Scan | None = None
    ) -> None:
        self._engine = engine
        self._workflow: BpmnWorkflow | None = workflow
        self._parsed = parsed
        self._known = scan  # what the last look at the task tree found; None once the process moved
        self._changed = False

    @property
    def diagram(self) -> Diagram:
        """The diagram this cycle runs (what its steps, fields and decisions are)."""
        return self._parsed.diagram

    @property
    def _wf(self) -> BpmnWorkflow:
        if self._workflow is None:
            raise RuntimeError("this cycle run was saved and is closed; load the state again")
        return self._workflow

    @contextmanager
    def running(self, now: datetime) -> Iterator[None]:
        """The frame every change of the process runs in: SpiffWorkflow's clock reads ``now`` (aware)
        and the diagram's ``deadline()`` helper counts from it. Inside, SpiffWorkflow's errors become
        ``EngineError`` (with the BPMN element when known) and a recursion too deep ``CycleTooDeep``."""
        token = self._engine._running.set((self._parsed, now))
        try:
            with engine_time(now):
                yield
        except SpiffWorkflowException as exc:
            element = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
            raise EngineError(f"流程执行出错: {exc}", element) from None
        except RecursionError:
            raise CycleTooDeep("流程层级过深,无法继续") from None
        finally:
            self._engine._running.reset(token)

    # -- reading --------------------------------------------------------------------------
    @property
    def completed(self) -> bool:
        """Whether the process reached its end (the cycle is closed); a cancelled one did not."""
        return bool(self._wf.completed) and bool(self._wf.success)

    @property
    def cancelled(self) -> bool:
        """Whether the process was cancelled (``cancel``): it ended without reaching its end."""
        return bool(self._wf.completed) and not self._wf.success

    def ready_steps(self) -> tuple[ReadyStep, ...]:
        """The user tasks waiting for someone, each with its instance id, unit and timer deadline.
        Changes nothing (the answer is kept until the process moves)."""
        return self._scan().ready

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer falls due (aware, UTC), or None: what the host indexes to
        poll timers. Changes nothing."""
        return self._scan().next_timer

    def _scan(self) -> _Scan:
        """One pass over the flat task table (cheaper than SpiffWorkflow's tree iterator)."""
        if self._known is None:
            steps, timers = [], []
            # The instances of a multi-instance step share their timers: read them once per anchor.
            due_by_anchor: dict[int, datetime | None] = {}
            for task in self._all_tasks():
                if task.state == TaskState.READY and task.task_spec.manual:
                    definition = self.diagram.step(task.task_spec.bpmn_id)
                    unit = task.data.get(definition.instance_variable) if definition.multi_instance else None
                    anchor = self._anchor_of(task)
                    if id(anchor) not in due_by_anchor:
                        due_by_anchor[id(anchor)] = _earliest(_timer_due(t) for t in self._timers_of(task))
                    steps.append(
                        ReadyStep(
                            instance_id=str(task.id),
                            step_id=definition.step_id,
                            name=definition.name,
                            party=definition.party,
                            unit=unit if isinstance(unit, int) else None,
                            due_at=due_by_anchor[id(anchor)],
                        )
                    )
                elif _is_waiting_timer(task):
                    timers.append(_timer_due(task))
            self._known = _Scan(ready=tuple(steps), next_timer=_earliest(timers))
        return self._known

    def _all_tasks(self) -> Iterator[Any]:
        yield from self._wf.tasks.values()
        for subprocess in self._wf.subprocesses.values():
            yield from subprocess.tasks.values()

    def process_data(self) -> dict[str, Any]:
        """A copy of the data the process carries now: what its most recently run task left
        (for a finished process, its end). The multi-instance results (``co_inputs``) live here."""
        last = self._wf.last_task
        source = last.data if last is not None else self._wf.data
        return orjson.loads(orjson.dumps(source, option=orjson.OPT_NON_STR_KEYS))

    def element_states(self) -> dict[str, str]:
        """BPMN element id -> 'done' or 'open', for drawing the diagram."""
        states: dict[str, str] = {}
        for task in self._wf.get_tasks():
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element:
                continue
            if task.state == TaskState.COMPLETED:
                states.setdefault(element, "done")
            elif task.state == TaskState.READY and task.task_spec.manual:
                states[element] = "open"
        return states

    def taken_flows(self) -> dict[tuple[str, str], int]:
        """(source element id, target element id) -> how many times work went from one to the
        other: the path actually taken, a return counted as often as it happened. Reached means
        completed, ready, started or waiting (not merely predicted, and not cancelled)."""
        reached = TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING
        taken: dict[tuple[str, str], int] = {}
        for task in self._wf.get_tasks(state=reached):
            target = getattr(task.task_spec, "bpmn_id", None)
            parent = task.parent
            while parent is not None and not getattr(parent.task_spec, "bpmn_id", None):
                parent = parent.parent  # past the engine's own wrappers (a step with boundary events)
            source = getattr(parent.task_spec, "bpmn_id", None) if parent is not None else None
            if target and source and source != target:
                taken[(source, target)] = taken.get((source, target), 0) + 1
        return taken

    # -- acting ---------------------------------------------------------------------------
    def complete(self, instance_id: str, submission: Submission, now: datetime) -> tuple[FiredTimer, ...]:
        """Completes a ready step with a validated submission at ``now``; the process runs on to its
        next steps. Timers due by ``now`` fire first (returned), so a step completed late still
        records its overdue. Raises ``StepNotReady`` (not waiting, or an interrupting timer took it),
        ``CycleTooDeep``, ``EngineError`` (a condition or script of the diagram failed)."""
        task = self._ready_task(instance_id)
        due = self.next_timer_at()
        self._known, self._changed = None, True
        values = self._values(task, submission)
        with self.running(now):
            # Timers due by now fire first, so a step completed late still records its overdue,
            # and an interrupting timer that already cancelled the step wins.
            waiting = self._waiting_timers() if due is not None and due <= now else []
            if waiting:
                self._wf.refresh_timers()
                self._wf.do_engine_steps()
                if task.state != TaskState.READY:
                    raise StepNotReady(instance_id)
            task.set_data(**values)
            task.run()
            self._wf.do_engine_steps()
            self._check_depth()
            return self._fired(waiting)

    def _values(self, task: Any, submission: Submission) -> dict[str, Any]:
        """What a submission puts into the process data: the fields marked for it, the decision,
        and for a multi-instance step its output item (the unit with those values)."""
        definition = self.diagram.step(task.task_spec.bpmn_id)
        values: dict[str, Any] = {f.name: submission.fields.get(f.name, "") for f in definition.fields if f.to_process}
        if definition.decision is not None:
            values[definition.decision.variable] = submission.decision
        if definition.multi_instance and definition.output_variable:
            values[definition.output_variable] = {
                "unit": task.data.get(definition.instance_variable),
                **{k: v for k, v in values.items()},
            }
        return values

    def fire_due_timers(self, now: datetime) -> tuple[FiredTimer, ...]:
        """Fires every timer due by ``now`` and runs the process on; returns the step timers that
        fired (a step went overdue). Raises ``EngineError`` if the diagram fails on the way."""
        self._known, self._changed = None, True
        with self.running(now):
            waiting = self._waiting_timers()
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
            return self._fired(waiting)

    def move_deadline(self, instance_id: str, due_at: datetime) -> bool:
        """Moves the timers of a ready step to ``due_at`` (an extension was granted). False if it has
        none. Raises ``StepNotReady`` if the step is not waiting."""
        timers = self._timers_of(self._ready_task(instance_id))
        self._known, self._changed = None, True
        for timer in timers:
            set_timer_value(timer, due_at.astimezone(timezone.utc).isoformat())
        return bool(timers)

    def unmerged(self) -> tuple[MergedInstance, ...]:
        """Completed instances of multi-instance or loop steps never merged into their parent: what a
        process whose engine did not wire the merge (issue 9) left behind. Changes nothing."""
        return tuple(self._merged_instance(child) for _parent, child in unmerged_instances(self._all_tasks()))

    def repair(self, now: datetime, recorded: Mapping[str, Submission] | None = None) -> Repair:
        """Makes a cycle stuck by a missing merge what its live instance would have been, at ``now``.

        1. Timers due by ``now`` fire (as before any late step).
        2. Completed instances never merged into their multi-instance or loop parent are merged, in
           the order they completed; a parent that was waiting for them goes on.
        3. ``recorded`` maps instance ids to what the host recorded for steps it shows as done; each
           of them the engine still holds ready is completed with it (the host's record stands in
           when the engine lost a completion).
        4. The process runs on: steps may open (their timers armed from ``now``) or the cycle end.
        Idempotent: a second repair finds nothing to do. Changes the run (save it afterwards).
        Raises ``CycleTooDeep`` and ``EngineError`` (the diagram failed on the way)."""
        self._known, self._changed = None, True
        merged: list[MergedInstance] = []
        completed: list[str] = []
        with self.running(now):
            waiting = self._waiting_timers()
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
            for parent, child in unmerged_instances(self._all_tasks()):
                merged.append(self._merged_instance(child))
                merge_instance(parent, child)
            self._wf.do_engine_steps()
            for instance_id, submission in (recorded or {}).items():
                try:
                    task = self._ready_task(instance_id)
                except StepNotReady:
                    continue
                task.set_data(**self._values(task, submission))
                task.run()
                completed.append(instance_id)
                self._wf.do_engine_steps()
            self._check_depth()
            fired = self._fired(waiting)
        return Repair(merged=tuple(merged), completed=tuple(completed), fired=fired)

    # -- the moves off the happy path (the work is in workflows/moves.py) ------------------
    def settle(self, instance_ids: Sequence[str], outcome: Mapping[str, Any], now: datetime) -> tuple[FiredTimer, ...]:
        """Finishes ready instances of a multi-instance step without a submission, at ``now``: each
        instance's result (its output item) is ``{"unit": <its unit>, **outcome}``, and the process
        goes on exactly as after completions (免报 and 逾期未报 are outcomes). Timers due by ``now``
        fire first (returned). Raises ``StepNotReady`` for an instance not waiting, ``EngineError``
        for a step that is not multi-instance (or a diagram that fails on the way)."""
        return moves.settle(self, instance_ids, outcome, now)

    def reassign(self, instance_id: str, unit: int, *, units_variable: str | None = None) -> int | None:
        """Gives a ready step another unit (转办) and returns the unit it had. For an instance of a
        multi-instance step the instance variable and the parent's collection change; for any other
        step the unit goes first in the process variable ``units_variable`` (the host's list of the
        units that party stands for, e.g. ``lead_units``). Deadlines and timers do not change here.
        Raises ``StepNotReady``; ``EngineError`` when a single-instance step is given no variable."""
        return moves.reassign(self, instance_id, unit, units_variable)

    def withdraw(self, instance_id: str, now: datetime) -> ReadyStep:
        """Makes a completed step ready again (撤回), at ``now``: the steps that opened after it are
        dropped (none of them may have been completed), an instance's result leaves its parent, and
        the step's timers wait for the instants they had before. Returns the step, ready (the same
        instance id). Raises ``NotWithdrawable`` saying why (the next step was done, the cycle
        ended, the step was never completed)."""
        return moves.withdraw(self, instance_id, now)

    def set_units(self, values: Mapping[str, Sequence[int]]) -> int:
        """Sets the host's unit lists in the process data (``{"lead_units": [...], "co_units":
        [...]}``) for the steps still to come: the tasks under way carry them on. A multi-instance
        step already running keeps its units (reassign or settle its instances). Returns how many
        tasks took the new lists. Nothing opens or closes here."""
        return moves.set_units(self, values)

    def cancel(self, now: datetime) -> tuple[str, ...]:
        """Cancels the process (撤销): every ready step and waiting timer goes; ``cancelled`` is
        true afterwards and ``completed`` false. Returns the instance ids that were ready."""
        return moves.cancel(self, now)

    def _merged_instance(self, task: Any) -> MergedInstance:
        element = str(task.task_spec.bpmn_id)
        try:
            variable = self.diagram.step(element).instance_variable
        except KeyError:  # an instance of something other than a user task (a subprocess, a script)
            variable = None
        unit = task.data.get(variable) if variable else None
        return MergedInstance(element, str(task.id), unit if isinstance(unit, int) else None)

    def save(self) -> bytes:
        """The state to store (current ``STATE_FORMAT``); the run is closed afterwards (load again).
        The process stays live in this engine under the digest of those bytes. Raises
        ``RuntimeError`` if the run was already saved (a programming error, not a user's)."""
        scan = self._scan()
        workflow = self._wf
        self._workflow = None
        return self._engine._park(workflow, scan)

    # -- internals ------------------------------------------------------------------------
    def _check_depth(self) -> None:
        seen: set[str] = set()
        for step in self.ready_steps():
            if step.step_id in seen:  # instances of one step stand at the same depth
                continue
            seen.add(step.step_id)
            task, depth = self._wf.get_task_from_id(UUID(step.instance_id)), 0
            while task is not None and depth <= MAX_TREE_DEPTH:
                task, depth = task.parent, depth + 1
            if depth > MAX_TREE_DEPTH:
                raise CycleTooDeep("本办理周期往返次数过多,流程层级已到上限", step.step_id)

    def _ready_task(self, instance_id: str) -> Any:
        try:
            task = self._wf.get_task_from_id(UUID(instance_id))
        except (ValueError, SpiffWorkflowException):
            raise StepNotReady(instance_id) from None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise StepNotReady(instance_id)
        return task

    @staticmethod
    def _anchor_of(task: Any) -> Any:
        """The task a step's boundary events hang beside (for a multi-instance child: its parent)."""
        anchor = task
        while anchor.parent is not None and anchor.parent.task_spec.bpmn_id == task.task_spec.bpmn_id:
            anchor = anchor.parent
        return anchor

    def _timers_of(self, task: Any) -> list[Any]:
        """The waiting timer boundary events of a user task (for a multi-instance child: of its parent)."""
        anchor = self._anchor_of(task)
        split = anchor.parent
        if split is None:
            return []
        return [c for c in split.children if c is not anchor and _is_waiting_timer(c)]

    def _waiting_timers(self) -> list[Any]:
        return [t for t in self._all_tasks() if _is_waiting_timer(t)]

    def _fired(self, waiting: list[Any]) -> tuple[FiredTimer, ...]:
        self._wf.get_events()  # drain thrown escalations; the host learns of them as fired timers
        fired: list[FiredTimer] = []
        for timer in waiting:
            if timer.state != TaskState.COMPLETED:
                continue
            attached = self._attached_step(timer)
            fired.append(FiredTimer(element_id=timer.task_spec.bpmn_id, step_id=attached, due_at=_timer_due(timer)))
        return tuple(fired)

    def _attached_step(self, timer: Any) -> str:
        for sibling in timer.parent.children:
            if not isinstance(sibling.task_spec, BoundaryEvent):
                return str(sibling.task_spec.bpmn_id)
        return str(timer.task_spec.bpmn_id)


def _is_waiting_timer(task: Any) -> bool:
    spec = task.task_spec
    return (
        task.state == TaskState.WAITING
        and isinstance(spec, BoundaryEvent)
        and isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
    )


def _timer_due(task: Any) -> datetime | None:
    value = timer_value(task)
    if isinstance(value, dict):  # cycle timers keep {'next': ...}
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        parsed = TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
    return datetime.fromtimestamp(parsed.timestamp(), timezone.utc)


def _earliest(values: Any) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None
