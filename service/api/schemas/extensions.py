"""Extension requests (延期申请)."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import ExtensionStatus
from .base import CURSOR, LIMIT, Bool, Int, Schema, Str, ids, one_of


class ExtensionRequestSchema(Schema):
    new_due_date = Str(required=True, metadata={"description": "新的截止日期(工作日),如 2024-04-18"})
    reason = Str(required=True, validate=validate.Length(max=2000, error="过长"))


class ExtensionDecisionSchema(Schema):
    decision = Str(required=True, metadata={"enum": ["grant", "refuse"]})
    comment = Str(validate=validate.Length(max=2000, error="过长"), metadata={"description": "不批准时必填"})


class ExtensionSchema(Schema):
    id = Int(required=True)
    human_task_id = Int(required=True)
    cycle_id = Int(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    step_state = Str(required=True)
    unit_id = Int(required=True)
    unit = Str(required=True)
    requested_by = Str(required=True)
    requested_at = fields.DateTime(required=True)
    reason = Str(required=True)
    old_due_at = fields.DateTime(required=True)
    new_due_at = fields.DateTime(required=True)
    working_days = Int(required=True, metadata={"description": "延长的工作日数"})
    status = Str(required=True, metadata={"enum": list(ExtensionStatus.labels())})
    status_name = Str(required=True)
    stage = Str(allow_none=True, metadata={"description": "待审批时由谁审批: supervisor / leader"})
    needs_leader = Bool(required=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = Str(allow_none=True)


class ExtensionQuery(Schema):
    status = Str(validate=one_of(ExtensionStatus.labels()))
    awaiting_me = Bool(load_default=False, metadata={"description": "只看等我审批的"})
    human_task = ids()
    limit = LIMIT
    cursor = CURSOR


class ExtensionPageSchema(Schema):
    items = fields.List(fields.Nested(ExtensionSchema), required=True)
    total = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)
