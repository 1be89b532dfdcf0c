"""The holiday calendar."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import Bool, Int, Schema, Str


class CalendarLoadSchema(Schema):
    content = Str(
        required=True,
        validate=validate.Length(min=1, max=64 * 1024, error="应为 1 到 65536 个字符"),
        metadata={"description": "一年放假安排的 TOML 文本(格式见 duban calendar load 的说明)"},
    )


class LoadedYearSchema(Schema):
    year = Int(required=True)
    holidays = Int(required=True)
    workdays = Int(required=True)
    replaced = Bool(required=True)
    recounted = Int(
        required=True,
        metadata={"description": "按新安排重新计算了期限的待办数(原按周末推算的,或期限计算跨过所导入年份的)"},
    )


class YearStatusSchema(Schema):
    year = Int(required=True)
    basis = Str(required=True, metadata={"description": "loaded(管理员导入)/ official(内置)/ fallback(仅按周末)"})
    source = Str(allow_none=True)
    loaded_at = fields.DateTime(allow_none=True)


class CalendarStatusSchema(Schema):
    years = fields.List(fields.Nested(YearStatusSchema), required=True)
    fallback_steps = Int(required=True)
    warnings = fields.List(Str(), required=True)
