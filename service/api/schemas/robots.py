"""A unit's group robot (企业微信, 钉钉)."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import RobotChannel
from .base import Int, Schema, Str

CHANNELS = list(RobotChannel.labels())


class RobotSchema(Schema):
    unit_id = Int(required=True)
    unit_name = Str(required=True)
    channel = Str(required=True, allow_none=True, metadata={"enum": CHANNELS, "description": "null:未设置"})
    channel_name = Str(required=True)
    url = Str(required=True, allow_none=True, metadata={"description": "Webhook 地址,其中的 key/access_token 已遮盖"})
    has_secret = fields.Boolean(required=True, metadata={"description": "是否已设置钉钉加签密钥(密钥本身从不返回)"})
    updated_at = fields.DateTime(required=True, allow_none=True)


class RobotArgs(Schema):
    channel = Str(required=True, validate=validate.OneOf(CHANNELS, error=f"应为 {'、'.join(CHANNELS)} 之一"))
    url = Str(required=True, validate=validate.Length(min=1, max=500, error="长度应在 1 到 500 之间"))
    secret = Str(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=validate.Length(max=200, error="不能超过 200 个字符"),
        metadata={"description": "钉钉加签密钥(SEC 开头);省略则保留原密钥,空字符串则清除"},
    )
