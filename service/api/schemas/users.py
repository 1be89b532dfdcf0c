"""Accounts."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import PERSON_ROLES
from .base import Int, Schema, Str

ROLES = [role.value for role in PERSON_ROLES]


class UserSchema(Schema):
    id = Int(required=True)
    username = Str(required=True)
    display_name = Str(required=True)
    role = Str(required=True, metadata={"enum": ROLES})
    role_name = Str(required=True)
    unit_id = Int(required=True)
    unit = Str(required=True)
    email = Str(allow_none=True)
    mobile = Str(allow_none=True, metadata={"description": "大陆手机号(11 位)"})
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema), required=True)


class NewUserSchema(Schema):
    username = Str(required=True, validate=validate.Length(min=2, max=64, error="长度应在 2 到 64 之间"))
    unit = Str(required=True, validate=validate.Length(min=1, max=100, error="长度应在 1 到 100 之间"))
    role = Str(required=True, validate=validate.OneOf(ROLES, error=f"应为 {'、'.join(ROLES)} 之一"))
    password = Str(required=True, validate=validate.Length(min=1, max=1024, error="长度应在 1 到 1024 之间"))
    display_name = Str(load_default=None, allow_none=True, validate=validate.Length(max=100, error="不能超过 100 字"))
    email = Str(load_default=None, allow_none=True, validate=validate.Length(max=255, error="不能超过 255 字"))
    mobile = Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20, error="不能超过 20 个字符"),
        metadata={"description": "大陆手机号:11 位,以 13 至 19 开头(可带 +86、空格或连字符)"},
    )


class PasswordSchema(Schema):
    password = Str(required=True, validate=validate.Length(min=1, max=1024, error="长度应在 1 到 1024 之间"))


class MobileSchema(Schema):
    mobile = Str(
        required=True,
        allow_none=True,
        validate=validate.Length(max=20, error="不能超过 20 个字符"),
        metadata={"description": "大陆手机号;空字符串或 null 清除"},
    )
