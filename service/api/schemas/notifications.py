"""Notifications."""

from __future__ import annotations

from marshmallow import fields

from .base import CURSOR, LIMIT, Bool, Int, Schema, Str, ids


class NotificationSchema(Schema):
    id = Int(required=True)
    kind = Str(required=True)
    title = Str(required=True)
    body = Str(required=True)
    human_task_id = Int(allow_none=True)
    key_task_id = Int(allow_none=True)
    escalation_id = Int(allow_none=True)
    extension_id = Int(allow_none=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class NotificationQuery(Schema):
    unread = Bool(load_default=False, metadata={"description": "只看未读"})
    limit = LIMIT
    cursor = CURSOR


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)


class UnreadSchema(Schema):
    unread = Int(required=True)


class MarkReadSchema(Schema):
    ids = fields.List(ids(), metadata={"description": "要标为已读的通知编号"})
    all = Bool(load_default=False, metadata={"description": "true: 全部标为已读"})


class MarkedSchema(Schema):
    marked = Int(required=True)
    unread = Int(required=True)
