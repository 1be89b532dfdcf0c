"""Reading a diagram: untrusted XML in, a validated ``Diagram`` (and a parsed spec) out.

Everything a diagram declares for duban lives in its own namespace (``urn:duban:bpmn:1``):
- ``<duban:party>`` on a lane: who acts there (supervisor, lead_unit, co_unit, leader);
- ``<duban:step workingDays=".." yellowBefore=".." submit="..">`` on a user task, with ``<duban:field>``
  and ``<duban:decision label="..">`` children: the step's deadline rule and its form; and
  ``<duban:show step=".." folded="true|false"/>`` children: what the step's page shows of earlier
  steps (their latest results, per unit for a step done by several units), in that order.
  ``<duban:progress part="total|share">`` marks a step that carries a progress report (the host keeps
  and checks it).
Errors name the element and the line, in Chinese, because administrators read them.
"""

from __future__ import annotations

import ast
import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from service.vocabulary import Party

from .sandbox import UnsafeCode, check_source
from .spiff import wire_loop_children
from .step_order import main_path
from .types import Decision, DecisionOption, Diagram, FormField, Shown, StepDefinition

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DUBAN_NS = "urn:duban:bpmn:1"
NS = {"bpmn": BPMN_NS, "duban": DUBAN_NS}

MAX_BYTES = 2_000_000
MAX_ELEMENTS = 5_000
PARTIES = tuple(party.value for party in Party)
# Parties whose multi-instance steps take a unit id as the instance item.
UNIT_PARTIES = tuple(party.value for party in Party if party.is_unit)
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_UNSUPPORTED = {
    "callActivity": "不支持调用活动(callActivity)",
    "businessRuleTask": "不支持业务规则任务(businessRuleTask)",
}

_validator: BpmnValidator | None = None
# lxml's XMLSchema keeps its error log on the object: one validation at a time.
_validator_lock = threading.Lock()


class DiagramError(ValueError):
    """A diagram that cannot be deployed; says what is wrong, at which element and line."""

    def __init__(self, message: str, element: str | None = None, line: int | None = None) -> None:
        where = []
        if element:
            where.append(f"元素 {element}")
        if line:
            where.append(f"第 {line} 行")
        super().__init__(f"{message}({', '.join(where)})" if where else message)
        self.message = message
        self.element = element
        self.line = line


@dataclass
class ParsedDiagram:
    """A validated diagram with the engine's parsed spec (kept inside ``workflows``)."""

    diagram: Diagram
    spec: Any
    subprocess_specs: dict[str, Any] = field(default_factory=dict)


def digest_of(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()


def parse_diagram(xml: bytes) -> ParsedDiagram:
    if len(xml) > MAX_BYTES:
        raise DiagramError(f"流程图文件过大(上限 {MAX_BYTES // 1000} KB)")
    root = _safe_xml(xml)
    _validate_schema(root)
    process = _the_process(root)
    _refuse_unsupported(process)
    _check_code(process)
    steps = _steps(root, process)
    _check_deadline_calls(process, steps)
    _check_shows(steps)
    parser = BpmnParser()
    try:
        parser.add_bpmn_xml(root.getroottree(), filename="diagram.bpmn")
        process_id = process.get("id")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise DiagramError(f"流程图无法解析: {exc}", exc.id or None, _int(exc.line_number)) from None
    except SpiffWorkflowException as exc:
        raise DiagramError(f"流程图无法解析: {exc}") from None
    for process_spec in (spec, *subprocess_specs.values()):
        wire_loop_children(process_spec)
    diagram = Diagram(
        digest=digest_of(xml),
        process_id=process.get("id") or "",
        name=process.get("name") or process.get("id") or "",
        steps=tuple(steps),
        xml=xml,
        order=main_path(process),
    )
    return ParsedDiagram(diagram, spec, subprocess_specs)


def _safe_xml(xml: bytes) -> Any:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiagramError(f"不是有效的 XML: {exc.msg}", line=exc.lineno) from None
    if root.getroottree().docinfo.doctype:
        raise DiagramError("流程图不得包含 DOCTYPE 声明")
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DiagramError("不是 BPMN 2.0 流程图(根元素应为 bpmn:definitions)", line=root.sourceline)
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise DiagramError(f"流程图元素过多({count},上限 {MAX_ELEMENTS})")
    return root


def _validate_schema(root: Any) -> None:
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = BpmnValidator()
        schema = _validator.validator
        if schema.validate(root.getroottree()):
            return
        error = schema.error_log.last_error
        message, line = error.message, error.line
    raise DiagramError(f"不符合 BPMN 2.0 规范: {message}", line=line)


def _the_process(root: Any) -> Any:
    processes = [p for p in root.findall("bpmn:process", NS) if p.get("isExecutable", "true") != "false"]
    if not processes:
        raise DiagramError("流程图中没有可执行的流程(bpmn:process)")
    if len(processes) > 1:
        ids = ", ".join(p.get("id") for p in processes)
        raise DiagramError(f"流程图只能包含一个可执行流程,现有: {ids}")
    return processes[0]


def _refuse_unsupported(process: Any) -> None:
    for tag, message in _UNSUPPORTED.items():
        found = process.find(f".//bpmn:{tag}", NS)
        if found is not None:
            raise DiagramError(message, found.get("id"), found.sourceline)
    for script_task in process.iterfind(".//bpmn:scriptTask", NS):
        script_format = (script_task.get("scriptFormat") or "python").lower()
        if script_format not in ("python", "text/python", "text/x-python"):
            raise DiagramError(
                f"脚本格式 {script_format} 不受支持(只支持 python)", script_task.get("id"), script_task.sourceline
            )


def _owner_id(node: Any) -> str | None:
    """The flow element a snippet belongs to (a timer's boundary event, not its event definition)."""
    while node is not None:
        local = etree.QName(node).localname
        if node.get("id") and not local.endswith("EventDefinition") and local != "multiInstanceLoopCharacteristics":
            return str(node.get("id"))
        node = node.getparent()
    return None


def _check_code(process: Any) -> None:
    expressions = (
        "conditionExpression",
        "timeDate",
        "timeDuration",
        "timeCycle",
        "completionCondition",
        "loopCardinality",
    )
    snippets: list[tuple[Any, str]] = []
    for tag in expressions:
        snippets += [(node, "eval") for node in process.iterfind(f".//bpmn:{tag}", NS)]
    snippets += [(node, "exec") for node in process.iterfind(".//bpmn:scriptTask/bpmn:script", NS)]
    for node, mode in snippets:
        source = (node.text or "").strip() if mode == "eval" else (node.text or "")
        if not source.strip():
            if mode == "eval":
                raise DiagramError("表达式为空", _owner_id(node), node.sourceline)
            continue
        try:
            check_source(source, mode)
        except UnsafeCode as exc:
            line = node.sourceline + (exc.line - 1 if exc.line else 0)
            raise DiagramError(f"脚本或表达式不安全或无效: {exc.message}", _owner_id(node), line) from None


def _lane_parties(process: Any) -> dict[str, tuple[str, str]]:
    """flow node id -> (party, lane name)."""
    placed: dict[str, tuple[str, str]] = {}
    for lane in process.iterfind(".//bpmn:lane", NS):
        party_node = lane.find("bpmn:extensionElements/duban:party", NS)
        if party_node is None:
            continue
        party = (party_node.text or "").strip()
        if party not in PARTIES:
            raise DiagramError(
                f"泳道的 duban:party 必须是 {'/'.join(PARTIES)} 之一,而不是 {party!r}",
                lane.get("id"),
                party_node.sourceline,
            )
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            placed[(ref.text or "").strip()] = (party, lane.get("name") or lane.get("id") or "")
    return placed


def _steps(root: Any, process: Any) -> list[StepDefinition]:
    parties = _lane_parties(process)
    steps: list[StepDefinition] = []
    for node in process.iterfind(".//bpmn:userTask", NS):
        step_id = node.get("id") or ""
        if not _IDENTIFIER.match(step_id):
            raise DiagramError("用户任务的 id 必须以字母开头,只含字母、数字和下划线", step_id, node.sourceline)
        if step_id not in parties:
            raise DiagramError("用户任务不在任何带 duban:party 的泳道中,无法确定由谁办理", step_id, node.sourceline)
        party, lane_name = parties[step_id]
        steps.append(_step(node, step_id, party, lane_name))
    if not steps:
        raise DiagramError("流程图中没有用户任务(bpmn:userTask)")
    return steps


def _step(node: Any, step_id: str, party: str, lane_name: str) -> StepDefinition:
    config = node.find("bpmn:extensionElements/duban:step", NS)
    working_days = _int_attr(config, "workingDays", step_id, 1, 365)
    yellow_before = _int_attr(config, "yellowBefore", step_id, 0, 365)
    fields: list[FormField] = []
    decision: Decision | None = None
    shows: list[Shown] = []
    submit_label = _text_attr(config, "submit", step_id, 12)
    progress = _progress(config, step_id, party)
    if config is not None:
        for show_node in config.iterfind("duban:show", NS):
            shows.append(_shown(show_node, step_id))
        if len({s.step_id for s in shows}) != len(shows):
            raise DiagramError("duban:show 重复列出了同一个步骤", step_id, config.sourceline)
        for field_node in config.iterfind("duban:field", NS):
            fields.append(_form_field(field_node, step_id))
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise DiagramError("表单字段重名", step_id, config.sourceline)
        decision_nodes = config.findall("duban:decision", NS)
        if len(decision_nodes) > 1:
            raise DiagramError("一个步骤只能有一个 duban:decision", step_id, decision_nodes[1].sourceline)
        if decision_nodes:
            decision = _decision(decision_nodes[0], step_id, node.get("name") or step_id)
            if decision.variable in names:
                raise DiagramError("决定变量与表单字段重名", step_id, decision_nodes[0].sourceline)
    loop = node.find("bpmn:multiInstanceLoopCharacteristics", NS)
    instance_variable = output_variable = collection_variable = None
    if loop is not None:
        if party not in UNIT_PARTIES:
            raise DiagramError("多实例用户任务只能放在牵头单位或责任单位泳道中", step_id, loop.sourceline)
        collection = loop.find("bpmn:loopDataInputRef", NS)
        item = loop.find("bpmn:inputDataItem", NS)
        output = loop.find("bpmn:outputDataItem", NS)
        if collection is None or item is None or output is None:
            # Without an output item SpiffWorkflow merges each instance's data into the process,
            # and the next pass over the step then refuses to start.
            raise DiagramError(
                "多实例用户任务必须用 loopDataInputRef、inputDataItem 和 outputDataItem 指定单位集合与每个实例的结果",
                step_id,
                loop.sourceline,
            )
        collection_variable = (collection.text or "").strip()
        instance_variable = item.get("name") or item.get("id")
        output_variable = output.get("name") or output.get("id")
    elif party == Party.CO_UNIT:
        raise DiagramError("责任单位泳道中的用户任务必须是多实例任务(每个责任单位一个实例)", step_id, node.sourceline)
    return StepDefinition(
        step_id=step_id,
        name=node.get("name") or step_id,
        party=party,
        lane_name=lane_name,
        working_days=working_days,
        yellow_before=yellow_before,
        fields=tuple(fields),
        decision=decision,
        collection_variable=collection_variable,
        instance_variable=instance_variable,
        output_variable=output_variable,
        progress=progress,
        shows=tuple(shows),
        submit_label=submit_label,
    )


def _text_attr(node: Any, name: str, step_id: str, max_length: int) -> str | None:
    """A short label a page shows (a button's words, a legend): stripped, at most ``max_length``."""
    if node is None or node.get(name) is None:
        return None
    value = node.get(name).strip()
    if not value or len(value) > max_length:
        raise DiagramError(f"{name} 应为 1 到 {max_length} 个字,而不是 {node.get(name)!r}", step_id, node.sourceline)
    return str(value)


def _shown(node: Any, step_id: str) -> Shown:
    shown = (node.get("step") or "").strip()
    if not _IDENTIFIER.match(shown):
        raise DiagramError(f"duban:show 的 step 应为一个用户任务的 id,而不是 {shown!r}", step_id, node.sourceline)
    folded = (node.get("folded") or "false").strip().lower()
    if folded not in ("true", "false"):
        raise DiagramError(f"duban:show 的 folded 应为 true 或 false,而不是 {folded!r}", step_id, node.sourceline)
    return Shown(step_id=shown, folded=folded == "true")


def _check_shows(steps: list[StepDefinition]) -> None:
    """``<duban:show step="x">`` must name a user task, so a typo fails at deploy, not on a page."""
    known = {s.step_id for s in steps}
    for step in steps:
        for shown in step.shows:
            if shown.step_id not in known:
                raise DiagramError(f"duban:show 中的 {shown.step_id!r} 不是本流程图的用户任务", step.step_id)


PROGRESS_PARTS = {"total": Party.LEAD_UNIT, "share": Party.CO_UNIT}


def _progress(config: Any, step_id: str, party: str) -> str | None:
    """``<duban:progress part="total"/>`` (the lead unit's consolidated progress report) or
    ``part="share"`` (a co-unit's share of the indicators), at most once per step."""
    nodes = config.findall("duban:progress", NS) if config is not None else []
    if not nodes:
        return None
    if len(nodes) > 1:
        raise DiagramError("一个步骤只能有一个 duban:progress", step_id, nodes[1].sourceline)
    part = (nodes[0].get("part") or "").strip()
    if part not in PROGRESS_PARTS:
        raise DiagramError(
            f"duban:progress 的 part 必须是 total 或 share,而不是 {part!r}", step_id, nodes[0].sourceline
        )
    if PROGRESS_PARTS[part] != party:
        raise DiagramError(
            "进展报送 total 只能由牵头单位泳道的步骤报送,share 只能由责任单位泳道的步骤报送",
            step_id,
            nodes[0].sourceline,
        )
    return part


def _int_attr(node: Any, name: str, step_id: str, low: int, high: int) -> int | None:
    if node is None or node.get(name) is None:
        return None
    raw = node.get(name)
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise DiagramError(f"{name} 必须是 {low} 到 {high} 之间的整数,而不是 {raw!r}", step_id, node.sourceline)
    return int(raw)


def _form_field(node: Any, step_id: str) -> FormField:
    name = node.get("name") or ""
    if not _IDENTIFIER.match(name):
        raise DiagramError(f"表单字段名 {name!r} 无效", step_id, node.sourceline)
    max_length = _int_attr(node, "maxLength", step_id, 1, 200_000) or 20_000
    return FormField(
        name=name,
        label=node.get("label") or name,
        required=(node.get("required", "false").lower() == "true"),
        max_length=max_length,
        to_process=(node.get("process", "false").lower() == "true"),
    )


def _decision(node: Any, step_id: str, step_name: str) -> Decision:
    variable = node.get("variable") or ""
    if not _IDENTIFIER.match(variable):
        raise DiagramError(f"决定变量名 {variable!r} 无效", step_id, node.sourceline)
    options = tuple(
        DecisionOption(value=o.get("value") or "", label=o.get("label") or o.get("value") or "")
        for o in node.iterfind("duban:option", NS)
    )
    values = [o.value for o in options]
    if not options or "" in values or len(set(values)) != len(values):
        raise DiagramError("决定必须有至少一个选项,且选项值不能为空或重复", step_id, node.sourceline)
    needs_comment = _option_list(node, "commentRequiredFor", values, step_id)
    backward = _option_list(node, "backward", values, step_id)
    label = _text_attr(node, "label", step_id, 20) or f"{step_name}结论"
    return Decision(
        variable=variable, options=options, comment_required_for=needs_comment, backward=backward, label=label
    )


def _option_list(node: Any, attribute: str, values: list[str], step_id: str) -> frozenset[str]:
    chosen = frozenset(v.strip() for v in (node.get(attribute) or "").split(",") if v.strip())
    unknown = chosen - set(values)
    if unknown:
        raise DiagramError(f"{attribute} 中的 {', '.join(sorted(unknown))} 不是选项值", step_id, node.sourceline)
    return chosen


def _check_deadline_calls(process: Any, steps: list[StepDefinition]) -> None:
    """``deadline("x")`` in a timer must name a user task, so a typo fails at deploy, not at run time."""
    known = {s.step_id for s in steps}
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for node in process.iterfind(f".//bpmn:{tag}", NS):
            for call in ast.walk(ast.parse((node.text or "").strip(), mode="eval")):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "deadline"):
                    continue
                args = call.args
                if len(args) != 1 or not isinstance(args[0], ast.Constant) or args[0].value not in known:
                    raise DiagramError(
                        "deadline() 的参数必须是一个用户任务的 id(字符串)", _owner_id(node), node.sourceline
                    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
