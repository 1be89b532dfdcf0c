"""The engine: deploy diagrams, start cycles, complete steps, fire timers, save and load state.

SpiffWorkflow does the BPMN semantics; this module decides what is kept and how:
- A diagram is parsed once and cached by the sha256 of its XML. A cycle's state refers to that
  digest instead of embedding the 16 KB spec (which is what SpiffWorkflow's default serializer does),
  so state is small and loading it is cheap.
- State is compact JSON, zlib-compressed, in a named format (``workflows/state.py``); states of
  older formats are upgraded when read.
- A cycle that was just saved stays in memory, keyed by the digest of its saved bytes. Loading the
  very same bytes again (the next step of a cycle, in the same process) reuses the live object
  instead of deserializing. Keying by the bytes' digest makes this safe: if another process or a
  rolled-back transaction left different bytes in the database, the digest differs and the state
  is read from the bytes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .diagram import DiagramError, ParsedDiagram, parse_diagram
from .errors import CycleTooDeep, EngineError, StepNotReady, UnknownDiagram
from .run import CycleRun, _Scan
from .sandbox import RestrictedEnvironment
from .spiff import _Workflow
from .state import STATE_FORMAT, UnknownStateFormat, decode, encode, known_formats, make_serializer, to_dict
from .types import Diagram, StepDefinition

DeadlinePolicy = Callable[[StepDefinition, datetime, Mapping[str, Any]], datetime]
"""(step, now, process data) -> when the step is due. The host's working-day calendar."""


class Engine:
    """Runs a process's diagrams: one per process (a web worker, the scheduler), shared by its threads.

    It keeps every deployed diagram parsed (by digest) and, up to ``live_cycles``, the workflow
    objects of just-saved cycles (keyed by the digest of their saved bytes), so that the next step
    of a cycle in the same process needs no deserialization. ``live_cycles=0`` keeps none: every
    load then reads the bytes, as a process that never met the cycle would."""

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
        self._serializer = make_serializer(lambda spec: self._digest_of_spec[id(spec)], self._parsed)

    # -- diagrams ---------------------------------------------------------------------------
    def deploy(self, xml: bytes) -> Diagram:
        """Validates and parses a diagram, once: later calls with the same bytes are a lookup.

        Changes nothing stored; the engine remembers the parsed diagram under its sha256.
        Raises ``DiagramError`` (what is wrong, at which element and line) for a diagram it refuses."""
        digest = hashlib.sha256(xml).hexdigest()
        parsed = self._diagrams.get(digest)
        if parsed is None:
            parsed = parse_diagram(xml)
            with self._lock:
                self._diagrams.setdefault(digest, parsed)
                self._digest_of_spec[id(parsed.spec)] = digest
        return parsed.diagram

    def deployed(self, digest: str) -> Diagram | None:
        """The diagram deployed under that sha256, or None if this engine has not been given it."""
        parsed = self._diagrams.get(digest)
        return parsed.diagram if parsed else None

    # -- cycles -----------------------------------------------------------------------------
    def start(self, digest: str, data: Mapping[str, Any], now: datetime) -> CycleRun:
        """A new cycle of a deployed diagram, run at ``now`` (aware) up to its first steps.

        ``data`` becomes the process data (JSON-able). Raises ``UnknownDiagram`` if the digest was
        not deployed, ``EngineError`` if the diagram fails on the way to its first steps."""
        parsed = self._parsed(digest)
        workflow = _Workflow(parsed.spec, parsed.subprocess_specs, script_engine=self._script_engine)
        run = CycleRun(self, workflow, parsed)
        with run.running(now):
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**dict(data))
            workflow.do_engine_steps()
        return run

    def load(self, state: bytes, state_format: str) -> CycleRun:
        """A cycle from its stored bytes and the format they were stored in (``cycles.state_format``).

        A state of an older format is read through its upgrades (``workflows.state``); the next
        ``save`` writes the current ``STATE_FORMAT``. If this process saved those very bytes and
        still keeps the cycle live, the live object is taken (and leaves the cache until saved).
        Raises ``UnknownStateFormat`` for a format this version cannot read, ``UnknownDiagram`` if
        the state's diagram was not deployed here, ``EngineError`` for bytes that are not a state."""
        if state_format not in known_formats():
            raise UnknownStateFormat(state_format)
        key = hashlib.blake2b(state, digest_size=20).digest()
        with self._lock:
            live = self._live.pop(key, None) if state_format == STATE_FORMAT else None
        if live is not None:
            workflow, scan = live
            return CycleRun(self, workflow, self._diagrams[self._digest_of_spec[id(workflow.spec)]], scan)
        dct = decode(state, state_format)
        try:
            workflow = self._serializer.from_dict(dct)
        except (KeyError, TypeError, ValueError, SpiffWorkflowException) as exc:
            raise EngineError(f"无法读取流程状态: {exc!r}") from None
        if not isinstance(workflow, _Workflow):
            raise EngineError("无法读取流程状态: 不是流程状态")
        workflow.script_engine = self._script_engine
        return CycleRun(self, workflow, self._diagrams[self._digest_of_spec[id(workflow.spec)]])

    @contextmanager
    def reading(self, state: bytes, state_format: str) -> Iterator[CycleRun]:
        """A cycle to read, not to change: afterwards a live cycle stays live (and a cold one becomes
        live), so reading a cycle's diagram does not cost its next step a deserialization.
        Raises what ``load`` raises."""
        run = self.load(state, state_format)
        try:
            yield run
        finally:
            if not run._changed and run._workflow is not None and state_format == STATE_FORMAT:
                key = hashlib.blake2b(state, digest_size=20).digest()
                with self._lock:
                    self._live[key] = (run._workflow, run._scan())
                    while len(self._live) > self._live_limit:
                        self._live.popitem(last=False)
            run._workflow = None

    def _park(self, workflow: BpmnWorkflow, scan: _Scan) -> bytes:
        state = encode(to_dict(self._serializer, workflow))
        key = hashlib.blake2b(state, digest_size=20).digest()
        with self._lock:
            self._live[key] = (workflow, scan)
            while len(self._live) > self._live_limit:
                self._live.popitem(last=False)
        return state

    def forget_live_cycles(self) -> None:
        """Drops every live cycle: the next load of any state reads its bytes. Stored state is untouched."""
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
    "UnknownStateFormat",
]
