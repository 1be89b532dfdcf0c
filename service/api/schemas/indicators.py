"""Indicators (量化指标) with their values by round, and a key task's progress."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import Comparator
from .base import LIGHT, Int, Schema, Str, ids, one_of

ROUND = Str(
    validate=validate.Length(max=20, error="过长"),
    metadata={"description": "报送轮次,如 2024-Q2;默认为该任务最近的轮次"},
)
COMPARATOR = {"description": " / ".join(f"{c.value} {c.label}" for c in Comparator)}


class RoundQuery(Schema):
    round = ROUND


class MilestoneSchema(Schema):
    by = Str(required=True, metadata={"description": "日期 YYYY-MM-DD(计划年度内)"})
    share = fields.Raw(required=True, metadata={"description": "到该日应完成的百分比(0–100)"})


class IndicatorInSchema(Schema):
    """A new indicator: name, comparison and target are required."""

    name = Str(required=True, metadata={"description": "指标名称,如 技改项目"})
    comparator = Str(required=True, validate=one_of(c.value for c in Comparator), metadata=COMPARATOR)
    target = fields.Raw(required=True, metadata={"description": "目标值(数字),以计量单位计"})
    measure = Str(load_default="", metadata={"description": "计量单位,如 个、亿元、%"})
    responsible_unit = ids(metadata={"description": "责任单位 id;默认为重点任务的主牵头单位"})
    schedule = fields.List(fields.Dict(), metadata={"description": "阶段目标(可选),覆盖按工作日计算的序时进度"})


class IndicatorPatchSchema(Schema):
    """What to correct; fields left out stay as they are."""

    name = Str()
    comparator = Str(validate=one_of(c.value for c in Comparator), metadata=COMPARATOR)
    target = fields.Raw()
    measure = Str()
    responsible_unit = ids()
    schedule = fields.List(fields.Dict())


class RetireSchema(Schema):
    reason = Str(required=True, metadata={"description": "停用理由"})


class ReportedValueSchema(Schema):
    value = fields.Float(required=True)
    reported_at = fields.DateTime(required=True)
    unit = Str(required=True)


class RoundPointSchema(Schema):
    round = Str(required=True)
    value = fields.Float(allow_none=True, metadata={"description": "该轮报送的累计值(无报送为 null)"})
    completion = fields.Float(allow_none=True, metadata={"description": "完成比例 %"})
    expected = fields.Float(allow_none=True, metadata={"description": "该轮截止日的序时进度 %"})
    reported_at = fields.DateTime(allow_none=True)
    replaced = fields.List(fields.Nested(ReportedValueSchema), metadata={"description": "退回后被更正替换的值"})


class ShareSchema(Schema):
    unit = Str(required=True)
    value = fields.Float(required=True)


class IndicatorSchema(Schema):
    id = Int(required=True)
    key_task_id = Int(allow_none=True)
    plan_id = Int(required=True)
    name = Str(required=True)
    comparator = Str(required=True, metadata=COMPARATOR)
    comparator_label = Str(required=True)
    target = fields.Float(required=True)
    measure = Str(required=True)
    target_text = Str(required=True, metadata={"description": "如 ≥ 20 个"})
    source = Str(required=True, metadata={"description": "imported 导入识别 / manual 人工添加"})
    source_text = Str(required=True, metadata={"description": "计划原文"})
    responsible_unit_id = Int(allow_none=True)
    responsible_unit = Str(allow_none=True)
    schedule = fields.List(fields.Dict())
    active = fields.Boolean(required=True)
    retired_at = fields.DateTime(allow_none=True)
    retire_reason = Str(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(allow_none=True)
    value = fields.Float(allow_none=True, metadata={"description": "截至所选轮次的最新累计值"})
    value_round = Str(allow_none=True)
    completion = fields.Float(allow_none=True, metadata={"description": "完成比例 %"})
    expected = fields.Float(allow_none=True, metadata={"description": "序时进度 %"})
    light = Str(allow_none=True, metadata=LIGHT)
    shares = fields.Method("_shares", metadata={"description": "责任单位在所选轮次报送的分项值"})
    points = fields.List(fields.Nested(RoundPointSchema))

    def _shares(self, view: object) -> list[dict[str, object]]:
        return [{"unit": unit, "value": value} for unit, value in getattr(view, "shares", ())]


class ProgressSchema(Schema):
    round = Str(allow_none=True)
    expected = fields.Float(allow_none=True, metadata={"description": "序时进度 %(按工作日)"})
    percent = fields.Float(allow_none=True, metadata={"description": "牵头单位报送的总体完成比例 %"})
    light = Str(allow_none=True, metadata=LIGHT)
    problems = Str(required=True, metadata={"description": "存在问题"})
    next_steps = Str(required=True, metadata={"description": "下步打算"})
    reported_at = fields.DateTime(allow_none=True)


class KeyTaskIndicatorsSchema(Schema):
    key_task_id = Int(required=True)
    plan_id = Int(required=True)
    round = Str(allow_none=True)
    rounds = fields.List(Str())
    progress = fields.Nested(ProgressSchema, required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)


class PlanIndicatorsSchema(Schema):
    plan_id = Int(required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
