"""Logging in, tokens, who am I."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import Int, Schema, Str


class LoginSchema(Schema):
    username = Str(required=True, validate=validate.Length(min=1, max=64, error="长度应在 1 到 64 之间"))
    password = Str(required=True, validate=validate.Length(min=1, max=1024, error="长度应在 1 到 1024 之间"))


class TokenRequestSchema(LoginSchema):
    name = Str(load_default="", validate=validate.Length(max=100, error="不能超过 100 字"))


class TokenSchema(Schema):
    id = Int(required=True)
    token = Str(required=True, metadata={"description": "只显示这一次;请求时放在 Authorization: Bearer … 头中"})
    token_type = Str(required=True)
    expires_at = fields.DateTime(required=True)


class TokenInfoSchema(Schema):
    id = Int(required=True)
    user_id = Int(required=True)
    username = Str(required=True)
    name = Str(required=True)
    prefix = Str(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)


class CsrfSchema(Schema):
    csrf_token = Str(required=True)


class MeSchema(Schema):
    id = Int(required=True, attribute="user_id")
    username = Str(required=True)
    display_name = Str(required=True)
    role = Str(required=True)
    role_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(allow_none=True, attribute="unit_name")
    via = Str(required=True, metadata={"description": "session 或 token"})
