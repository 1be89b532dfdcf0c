"""A cycle's stored state: the format it is written in, and how states of older formats are read.

The current format, ``spiff3-ref+zlib/1``: SpiffWorkflow 3.2's dict of the workflow, made by the
library's own converters (with duban's memo of finished tasks), except that where the library
embeds the whole parsed spec the state holds the diagram's sha256 under ``"diagram"``; then JSON
(orjson; non-string keys become strings) compressed with zlib at level 1. The host keeps the
format's name beside the bytes (``cycles.state_format``) and hands both back to ``Engine.load``.

Changing what is stored means a new format name. The old name then goes into ``UPGRADES`` with a
function that turns a dict of that format into a dict of the next one, so a stored state is read
through every upgrade after it and written in the current format by its next save. Every format
that was ever stored keeps samples under ``tests/workflows/data/states/`` that a test loads and
runs to the end. So far there has been one format (see that folder's README).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task

from .diagram import ParsedDiagram
from .errors import EngineError
from .spiff import FinishedTaskMemo, _Workflow, encoder_mode

STATE_FORMAT = "spiff3-ref+zlib/1"

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
# An older format -> (the format its upgrade produces, the upgrade). Empty while there is one format.
UPGRADES: dict[str, tuple[str, Upgrade]] = {}


class UnknownStateFormat(EngineError):
    """A stored state is in a format this version of duban cannot read (written by a newer one, or
    not a cycle's state at all)."""

    def __init__(self, state_format: str) -> None:
        known = "、".join(known_formats())
        super().__init__(f"流程状态的存储格式 {state_format!r} 无法识别(本版本可读取: {known}),请升级 duban 后再操作")
        self.state_format = state_format


def known_formats() -> tuple[str, ...]:
    """Every format ``decode`` reads: the current one and each older one with an upgrade."""
    return (STATE_FORMAT, *UPGRADES)


def encode(dct: dict[str, Any]) -> bytes:
    """The stored bytes of a workflow's dict, in the current format."""
    return zlib.compress(orjson.dumps(dct, option=orjson.OPT_NON_STR_KEYS), 1)


def decode(state: bytes, state_format: str) -> dict[str, Any]:
    """The dict of a stored state, upgraded to the current format.

    Raises ``UnknownStateFormat`` for a format it does not know, ``EngineError`` for bytes that are
    not a state, and ``EngineError`` for an upgrade chain that does not end in the current format."""
    if state_format not in known_formats():
        raise UnknownStateFormat(state_format)
    try:
        dct = orjson.loads(zlib.decompress(state))
    except (ValueError, zlib.error) as exc:
        raise EngineError(f"无法读取流程状态: {exc}") from None
    if not isinstance(dct, dict):
        raise EngineError("无法读取流程状态: 不是流程状态")
    seen = {state_format}
    while state_format != STATE_FORMAT:
        state_format, upgrade = UPGRADES[state_format]
        if state_format in seen or state_format not in known_formats():
            raise EngineError(f"流程状态格式的升级链有误(止于 {state_format!r})")
        seen.add(state_format)
        dct = upgrade(dct)
    return dct


def make_serializer(
    digest_of: Callable[[Any], str], parsed_of: Callable[[str], ParsedDiagram]
) -> BpmnWorkflowSerializer:
    """SpiffWorkflow's serializer, storing a diagram's digest (``digest_of(spec)``) where the library
    would embed the spec, and finding the parsed diagram again by it (``parsed_of(digest)``)."""

    class SpecByDigest(BpmnWorkflowConverter):
        """Stores the diagram's digest where SpiffWorkflow would embed the whole spec."""

        def to_dict(self, workflow: _Workflow) -> dict[str, Any]:
            dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
            dct["diagram"] = digest_of(workflow.spec)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct: dict[str, Any]) -> _Workflow:
            parsed = parsed_of(dct.pop("diagram"))
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


def to_dict(serializer: BpmnWorkflowSerializer, workflow: Any) -> dict[str, Any]:
    """A workflow's dict as ``serialize_json`` would make it (plain data left to the JSON encoder)."""
    with encoder_mode(serializer.registry):
        dct: dict[str, Any] = serializer.to_dict(workflow)
    return dct
