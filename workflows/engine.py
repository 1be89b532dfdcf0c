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
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .diagram import DiagramError, ParsedDiagram, parse_diagram
from .errors import CycleTooDeep, EngineError, StepNotReady, UnknownDiagram
from .run import CycleRun, _Scan
from .sandbox import RestrictedEnvironment
from .spiff import FinishedTaskMemo, _Workflow, encoder_mode
from .types import Diagram, StepDefinition

DeadlinePolicy = Callable[[StepDefinition, datetime, Mapping[str, Any]], datetime]
"""(step, now, process data) -> when the step is due. The host's working-day calendar."""

STATE_FORMAT = "spiff3-ref+zlib/1"


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
        with encoder_mode(self._serializer.registry):
            dct = self._serializer.to_dict(workflow)
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
        config[Task] = FinishedTaskMemo
        return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


__all__ = [
    "STATE_FORMAT",
    "CycleRun",
    "CycleTooDeep",
    "DeadlinePolicy",
    "DiagramError",
    "Engine",
    "EngineError",
    "StepNotReady",
    "UnknownDiagram",
]
