"""The audit trail."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import MAX_ID, Int, Schema, Str, ids


class AuditQuery(Schema):
    cycle = ids()
    action = Str(validate=validate.Length(max=60, error="过长"))
    after = Int(
        validate=validate.Range(min=0, max=MAX_ID, error="应在 0 到 2147483647 之间"),
        metadata={"description": "上一页的 next_after"},
    )
    limit = Int(load_default=100, validate=validate.Range(min=1, max=500, error="应在 1 到 500 之间"))


class AuditEntrySchema(Schema):
    seq = Int(required=True)
    at = fields.DateTime(required=True)
    action = Str(required=True)
    actor_id = Int(allow_none=True)
    actor_name = Str(required=True)
    actor_role = Str(required=True)
    unit_id = Int(allow_none=True)
    cycle_id = Int(allow_none=True)
    human_task_id = Int(allow_none=True)
    step_id = Str(allow_none=True)
    data = fields.Dict(allow_none=True, metadata={"description": "无权查看时为 null"})
    ip = Str(allow_none=True)
    hash = Str(required=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    total = Int(required=True)
    next_after = Int(allow_none=True, required=True)
