"""Batches: many human tasks or key tasks at once, each item with its own result."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import Int, Schema, Str, ids


class BatchCompleteSchema(Schema):
    ids = fields.List(ids(), required=True, validate=validate.Length(min=1, max=100, error="应选择 1 到 100 项"))
    comment = Str(
        load_default="",
        validate=validate.Length(max=2000, error="不能超过 2000 字"),
        metadata={"description": "所有各项共用的意见"},
    )


class BatchStartSchema(Schema):
    key_task_ids = fields.List(
        ids(), required=True, validate=validate.Length(min=1, max=100, error="应选择 1 到 100 项")
    )
    round = Str(
        required=True,
        validate=validate.Length(min=1, max=20, error="长度应在 1 到 20 之间"),
        metadata={"description": "报送轮次,如 2024-Q2", "example": "2024-Q2"},
    )


class ItemResultSchema(Schema):
    id = Int(required=True)
    ok = fields.Boolean(required=True)
    status = Int(required=True, metadata={"description": "这一项单独请求时的状态码"})
    detail = Str(required=True)


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(ItemResultSchema), required=True)
    done = Int(required=True)
    refused = Int(required=True)
