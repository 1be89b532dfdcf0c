"""Key tasks, cycles and their diagrams."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import CycleStatus, HumanTaskOutcome, Light
from .base import LIGHT, MAX_ID, Int, Schema, Str, ids, one_of


class UnitRefSchema(Schema):
    id = Int(required=True)
    name = Str(required=True)


class KeyTaskQuery(Schema):
    plan = ids()
    unit = ids()
    light = Str(validate=one_of(Light.labels()))
    state = Str(
        validate=validate.OneOf(["not_started", "running", "closed"], error="应为 not_started、running 或 closed")
    )
    limit = Int(load_default=200, validate=validate.Range(min=1, max=500, error="应在 1 到 500 之间"))
    offset = Int(load_default=0, validate=validate.Range(min=0, max=MAX_ID, error="不能为负数"))


class KeyTaskSummarySchema(Schema):
    id = Int(required=True)
    plan_id = Int(required=True)
    plan_title = Str(required=True)
    number = Int(required=True)
    section = Str(allow_none=True)
    title = Str(required=True)
    lead_units = fields.List(fields.Nested(UnitRefSchema))
    co_units = fields.List(fields.Nested(UnitRefSchema))
    deadline_text = Str(allow_none=True)
    active = fields.Boolean(required=True)
    state = Str(required=True)
    current_round = Str(allow_none=True)
    current_cycle_id = Int(allow_none=True)
    light = Str(allow_none=True, metadata=LIGHT)
    open_steps = Int(required=True)


class KeyTaskListSchema(Schema):
    items = fields.List(fields.Nested(KeyTaskSummarySchema), required=True)
    total = Int(required=True)


class OpenStepSchema(Schema):
    id = Int(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    due_at = fields.DateTime(required=True)
    light = Str(required=True, metadata=LIGHT)
    escalation_level = Int(required=True)


class CycleSummarySchema(Schema):
    id = Int(required=True)
    round = Str(required=True)
    status = Str(required=True)
    started_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    light = Str(allow_none=True, metadata=LIGHT)
    open_steps = fields.List(fields.Nested(OpenStepSchema))


class KeyTaskDetailSchema(KeyTaskSummarySchema):
    body = Str(required=True)
    lead_units_text = Str(required=True)
    co_units_text = Str(required=True)
    targets = fields.List(fields.Dict())
    deadline_date = fields.Date(allow_none=True)
    cycles = fields.List(fields.Nested(CycleSummarySchema))


class StartCycleSchema(Schema):
    round = Str(
        required=True,
        validate=validate.Length(min=1, max=20, error="长度应在 1 到 20 之间"),
        metadata={"description": "报送轮次,如 2024-Q2、2024-M03、2024-H1、2024", "example": "2024-Q2"},
    )


class HumanTaskRefSchema(Schema):
    id = Int(required=True)
    step = Str(required=True, attribute="step_id")
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    due_at = fields.DateTime(required=True)


class HumanTaskRecordSchema(Schema):
    id = Int(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    party = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    state = Str(required=True)
    ready_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = Str(allow_none=True)
    decision = Str(allow_none=True)
    decision_label = Str(allow_none=True)
    backward = fields.Boolean(required=True, metadata={"description": "此决定把工作退回(退回、驳回等,由流程图声明)"})
    comment = Str(allow_none=True)
    light = Str(required=True, metadata=LIGHT)
    escalation_level = Int(required=True)
    content_visible = fields.Boolean(required=True)
    outcome = Str(
        allow_none=True,
        metadata={
            "enum": list(HumanTaskOutcome.labels()),
            "description": "无人办理而结束的方式(免报、转办、撤销、逾期未报、撤回);理由见 comment",
        },
    )
    outcome_label = Str(allow_none=True)


class CycleSchema(Schema):
    id = Int(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    round = Str(required=True)
    status = Str(required=True, metadata={"enum": list(CycleStatus.labels())})
    started_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    lead_unit_id = Int(required=True)
    lead_unit = Str(required=True)
    light = Str(allow_none=True, metadata=LIGHT)
    steps_done = fields.List(fields.Nested(HumanTaskRecordSchema))
    steps_open = fields.List(fields.Nested(HumanTaskRecordSchema))


class TakenFlowSchema(Schema):
    source = Str(required=True)
    target = Str(required=True)
    count = Int(required=True)


class DiagramSchema(Schema):
    cycle_id = Int(required=True)
    xml = Str(required=True, metadata={"description": "BPMN 2.0 XML(可直接交给 bpmn-js 显示)"})
    element_states = fields.Dict(
        keys=Str(),
        values=Str(validate=validate.OneOf(["done", "open", "overdue"])),
        metadata={"description": "BPMN 元素 id → done / open / overdue"},
    )
    flows = fields.List(
        fields.Nested(TakenFlowSchema), metadata={"description": "实际走过的路线:起止元素 id 和走过的次数(退回计次)"}
    )
