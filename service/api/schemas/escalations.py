"""Escalations (提醒, 催办, 督办)."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import ESCALATION_KINDS
from .base import CURSOR, LIMIT, Bool, Int, Schema, Str, ids, one_of


class EscalationQuery(Schema):
    level = Int(validate=validate.Range(min=1, max=3, error="应为 1(提醒)、2(催办)或 3(督办)"))
    kind = Str(validate=one_of(ESCALATION_KINDS))
    unit = ids()
    key_task = ids()
    cycle = ids()
    open = Bool(load_default=False, metadata={"description": "只看环节仍未办结的"})
    since = fields.DateTime(metadata={"description": "发生时间不早于(ISO 时间)"})
    until = fields.DateTime(metadata={"description": "发生时间早于(ISO 时间)"})
    limit = LIMIT
    cursor = CURSOR


class EscalationSchema(Schema):
    id = Int(required=True)
    level = Int(required=True)
    kind = Str(required=True, metadata={"enum": list(ESCALATION_KINDS)})
    kind_name = Str(required=True)
    human_task_id = Int(required=True)
    cycle_id = Int(required=True)
    round = Str(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    due_at = fields.DateTime(required=True, metadata={"description": "据以计算的期限"})
    fired_at = fields.DateTime(required=True)
    step_state = Str(required=True)
    step_due_at = fields.DateTime(required=True, metadata={"description": "环节现在的期限(延期后可能变化)"})
    light = Str(required=True)
    fallback = Bool(
        required=True,
        metadata={"description": "true:从期限到这一级的日子落在放假安排未导入、日历包也不含的年份,只按周末推算"},
    )


class EscalationPageSchema(Schema):
    items = fields.List(fields.Nested(EscalationSchema), required=True)
    total = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)
