"""The engine: deploy diagrams, start cycles, complete steps, fire timers, save and load state.

SpiffWorkflow does the BPMN semantics; this module decides what is kept and how:
- A diagram is parsed once and cached by the sha256 of its XML. A cycle's state refers to that
  digest instead of embedding the 16 KB spec (which is what SpiffWorkflow's default serializer does),
  so state is small and loading it is cheap.
- State is compact JSON, zlib-compressed.
- A cycle that was just saved stays in memory, keyed by the digest of its saved bytes. Loading the
  very same bytes again (the next step of a cycle, in the same process) reuses the live object
  instead of deserializing. Keying by the bytes' digest makes this safe: if another process or a
  rolled-back transaction left different bytes in the database, the digest differs and the state
  is read from the bytes.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .clock import engine_time
from .diagram import DiagramError, ParsedDiagram, parse_diagram
from .sandbox import RestrictedEnvironment
from .types import Diagram, FiredTimer, ReadyStep, StepDefinition, Submission

DeadlinePolicy = Callable[[StepDefinition, datetime, Mapping[str, Any]], datetime]
"""(step, now, process data) -> when the step is due. The host's working-day calendar."""

STATE_FORMAT = "spiff3-ref+zlib/1"


class EngineError(RuntimeError):
    """The engine could not run a diagram (a condition failed, no gateway branch matched, ...)."""

    def __init__(self, message: str, element: str | None = None) -> None:
        super().__init__(message if element is None else f"{message}(元素 {element})")
        self.message = message
        self.element = element


class CycleTooDeep(EngineError):
    """The process went round its loops so often that its task tree is too deep to keep.

    SpiffWorkflow's tree deepens with every loop (a return, a reject) and fails with a
    RecursionError around a thousand levels; the engine refuses a step well before that."""


# SpiffWorkflow recurses along the tree and fails near 1,000 levels (Python's recursion limit).
MAX_TREE_DEPTH = 800


class UnknownDiagram(LookupError):
    """A state refers to a diagram this engine has not been given; deploy it first."""

    def __init__(self, digest: str) -> None:
        super().__init__(digest)
        self.digest = digest


class StepNotReady(LookupError):
    """The step instance is not waiting for anyone (done, cancelled, or never existed)."""


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


class _FinishedTaskMemo(TaskConverter):
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


class Engine:
    def __init__(self, deadline_policy: DeadlinePolicy, *, live_cycles: int = 128) -> None:
        self._policy = deadline_policy
        self._diagrams: dict[str, ParsedDiagram] = {}
        self._digest_of_spec: dict[int, str] = {}
        self._lock = threading.Lock()
        # Just-saved cycles, with what reading them costs a walk of the task tree to learn.
        self._live: OrderedDict[bytes, tuple[BpmnWorkflow, _Scan]] = OrderedDict()
        self._live_limit = live_cycles
        self._running: ContextVar[tuple[ParsedDiagram, datetime] | None] = ContextVar("duban_run", default=None)
        self._script_engine = PythonScriptEngine(environment=RestrictedEnvironment(self._helpers))
        self._serializer = self._make_serializer()

    # -- diagrams ---------------------------------------------------------------------------
    def deploy(self, xml: bytes) -> Diagram:
        """Validates and parses a diagram once; later calls with the same bytes are a lookup."""
        digest = hashlib.sha256(xml).hexdigest()
        parsed = self._diagrams.get(digest)
        if parsed is None:
            parsed = parse_diagram(xml)
            with self._lock:
                self._diagrams.setdefault(digest, parsed)
                self._digest_of_spec[id(parsed.spec)] = digest
        return parsed.diagram

    def deployed(self, digest: str) -> Diagram | None:
        parsed = self._diagrams.get(digest)
        return parsed.diagram if parsed else None

    # -- cycles -----------------------------------------------------------------------------
    def start(self, digest: str, data: Mapping[str, Any], now: datetime) -> CycleRun:
        parsed = self._parsed(digest)
        workflow = _Workflow(parsed.spec, parsed.subprocess_specs, script_engine=self._script_engine)
        run = CycleRun(self, workflow, parsed)
        with run.running(now):
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**dict(data))
            workflow.do_engine_steps()
        return run

    def load(self, state: bytes) -> CycleRun:
        key = hashlib.blake2b(state, digest_size=20).digest()
        with self._lock:
            live = self._live.pop(key, None)
        if live is not None:
            workflow, scan = live
            return CycleRun(self, workflow, self._diagrams[self._digest_of_spec[id(workflow.spec)]], scan)
        try:
            workflow = self._serializer.from_dict(orjson.loads(zlib.decompress(state)))
        except (ValueError, zlib.error) as exc:
            raise EngineError(f"无法读取流程状态: {exc}") from None
        workflow.script_engine = self._script_engine
        return CycleRun(self, workflow, self._diagrams[self._digest_of_spec[id(workflow.spec)]])

    @contextmanager
    def reading(self, state: bytes) -> Iterator[CycleRun]:
        """A cycle to read, not to change: afterwards a live cycle stays live (and a cold one becomes
        live), so reading a cycle's diagram does not cost its next step a deserialization."""
        run = self.load(state)
        try:
            yield run
        finally:
            if not run._changed and run._workflow is not None:
                key = hashlib.blake2b(state, digest_size=20).digest()
                with self._lock:
                    self._live[key] = (run._workflow, run._scan())
                    while len(self._live) > self._live_limit:
                        self._live.popitem(last=False)
                run._workflow = None

    def _park(self, workflow: BpmnWorkflow, scan: _Scan) -> bytes:
        self._serializer.registry._encoder_mode = True  # what serialize_json does around to_dict
        try:
            dct = self._serializer.to_dict(workflow)
        finally:
            self._serializer.registry._encoder_mode = False
        state = zlib.compress(orjson.dumps(dct, option=orjson.OPT_NON_STR_KEYS), 1)
        key = hashlib.blake2b(state, digest_size=20).digest()
        with self._lock:
            self._live[key] = (workflow, scan)
            while len(self._live) > self._live_limit:
                self._live.popitem(last=False)
        return state

    def forget_live_cycles(self) -> None:
        with self._lock:
            self._live.clear()

    def _parsed(self, digest: str) -> ParsedDiagram:
        parsed = self._diagrams.get(digest)
        if parsed is None:
            raise UnknownDiagram(digest)
        return parsed

    # -- the sandbox's host helpers ---------------------------------------------------------
    def _helpers(self, data: Mapping[str, Any]) -> Mapping[str, Callable[..., Any]]:
        running = self._running.get()
        if running is None:
            return {}
        parsed, now = running

        def deadline(step_id: str) -> str:
            return self._policy(parsed.diagram.step(step_id), now, data).isoformat()

        return {"deadline": deadline}

    # -- serialization ----------------------------------------------------------------------
    def _make_serializer(self) -> BpmnWorkflowSerializer:
        engine = self

        class SpecByDigest(BpmnWorkflowConverter):
            """Stores the diagram's digest where SpiffWorkflow would embed the whole spec."""

            def to_dict(self, workflow: _Workflow) -> dict[str, Any]:
                dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
                dct["diagram"] = engine._digest_of_spec[id(workflow.spec)]
                dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
                dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
                return dct

            def from_dict(self, dct: dict[str, Any]) -> _Workflow:
                parsed = engine._parsed(dct.pop("diagram"))
                workflow = self.target_class(parsed.spec, parsed.subprocess_specs, deserializing=True)
                workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
                workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
                self.set_default_attributes(workflow, dct)
                self.subprocesses_from_dict(dct["subprocesses"], workflow)
                workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
                return workflow

        config = dict(DEFAULT_CONFIG)
        del config[BpmnWorkflow]
        config[_Workflow] = SpecByDigest
        config[Task] = _FinishedTaskMemo
        return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


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
        return self._parsed.diagram

    @property
    def _wf(self) -> BpmnWorkflow:
        if self._workflow is None:
            raise RuntimeError("this cycle run was saved and is closed; load the state again")
        return self._workflow

    @contextmanager
    def running(self, now: datetime) -> Iterator[None]:
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
        return bool(self._wf.completed)

    def ready_steps(self) -> tuple[ReadyStep, ...]:
        return self._scan().ready

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer falls due: what the host indexes to poll timers."""
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

    # -- acting ---------------------------------------------------------------------------
    def complete(self, instance_id: str, submission: Submission, now: datetime) -> tuple[FiredTimer, ...]:
        task = self._ready_task(instance_id)
        due = self.next_timer_at()
        self._known, self._changed = None, True
        definition = self.diagram.step(task.task_spec.bpmn_id)
        values: dict[str, Any] = {f.name: submission.fields.get(f.name, "") for f in definition.fields if f.to_process}
        if definition.decision is not None:
            values[definition.decision.variable] = submission.decision
        if definition.multi_instance and definition.output_variable:
            values[definition.output_variable] = {
                "unit": task.data.get(definition.instance_variable),
                **{k: v for k, v in values.items()},
            }
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

    def fire_due_timers(self, now: datetime) -> tuple[FiredTimer, ...]:
        self._known, self._changed = None, True
        with self.running(now):
            waiting = self._waiting_timers()
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
            return self._fired(waiting)

    def move_deadline(self, instance_id: str, due_at: datetime) -> bool:
        """Moves the timers of a ready step (an extension was granted). False if it has none."""
        timers = self._timers_of(self._ready_task(instance_id))
        self._known, self._changed = None, True
        for timer in timers:
            timer._set_internal_data(event_value=due_at.astimezone(timezone.utc).isoformat())
        return bool(timers)

    def save(self) -> bytes:
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
    value = task._get_internal_data("event_value")
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


__all__ = ["CycleTooDeep", "DiagramError", "Engine", "EngineError", "StepNotReady", "UnknownDiagram"]
