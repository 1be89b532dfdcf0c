"""考评 scores and the 打擂台 league tables."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from ...vocabulary import League, ScoreRule
from .base import Int, Schema, Str, ids

ROUND_TEXT = validate.Regexp(
    r"^\d{4}(-(Q[1-4]|H[12]|M(0[1-9]|1[0-2])))?$", error="应如 2024-Q4、2024-M03、2024-H1 或 2024"
)
RULES = {"description": " / ".join(f"{r.value} {r.label}" for r in ScoreRule)}


class ScoresQuery(Schema):
    round = Str(validate=ROUND_TEXT, metadata={"description": "报送轮次,如 2026-Q4;默认为最近一轮"})


class BulletinQuery(Schema):
    plan_id = ids(metadata={"description": "计划 id;缺省为「统计」页默认显示的计划(当年第一个发布的计划)"})


class RulePointsSchema(Schema):
    rule = Str(required=True, metadata=RULES)
    label = Str(required=True)
    count = fields.Float(required=True, metadata={"description": "适用次数(加减分为合计分值)"})
    each = fields.Float(required=True, metadata={"description": "每次的分值([scoring])"})
    points = fields.Float(required=True)


class UnitScoreSchema(Schema):
    unit_id = Int(required=True)
    unit = Str(required=True)
    league = Str(required=True, metadata={"description": " / ".join(f"{lg.value} {lg.label}" for lg in League)})
    total = fields.Float(required=True, metadata={"description": "基础分 + 各项得分"})
    rank = Int(required=True, metadata={"description": "组内名次(同分同名次)"})
    change = fields.Float(allow_none=True, metadata={"description": "较上一轮得分的变化"})
    previous_total = fields.Float(allow_none=True)
    previous_rank = Int(allow_none=True)
    rank_change = Int(allow_none=True, metadata={"description": "较上一轮名次上升的位数(负数为下降)"})
    breakdown = fields.List(
        fields.Nested(RulePointsSchema), metadata={"description": "各项得分;单位只看到本单位的明细"}
    )


class LeagueTableSchema(Schema):
    league = Str(required=True)
    label = Str(required=True)
    units = fields.List(fields.Nested(UnitScoreSchema), required=True)


class AdjustmentSchema(Schema):
    id = Int(required=True)
    unit_id = Int(required=True)
    unit = Str(required=True)
    points = fields.Float(required=True)
    reason = Str(required=True)
    created_at = fields.DateTime(required=True)
    created_by = Str(allow_none=True)


class ScoresSchema(Schema):
    round = Str(required=True)
    previous_round = Str(allow_none=True)
    computed_at = fields.DateTime(required=True)
    published = fields.Boolean(required=True)
    published_at = fields.DateTime(allow_none=True)
    published_by = Str(allow_none=True)
    tables = fields.List(fields.Nested(LeagueTableSchema), required=True)
    adjustments = fields.List(fields.Nested(AdjustmentSchema), metadata={"description": "加减分(督查室、领导可见)"})


class AdjustmentInSchema(Schema):
    round = Str(required=True, validate=ROUND_TEXT)
    unit_id = ids(metadata={"description": "单位 id(与转办等接口同名)"})
    unit = ids(metadata={"description": "unit_id 的旧名,仍然接受;两者都给时须相同"})
    points = fields.Raw(
        required=True, metadata={"description": "加减分值:0.5 的整数倍,介于 -100 与 100 之间,不为 0;负数为减分"}
    )
    reason = Str(required=True, metadata={"description": "理由"})

    @validates_schema
    def _one_unit(self, data: dict[str, Any], **_: Any) -> None:
        if "unit_id" not in data and "unit" not in data:
            raise ValidationError("请选择单位", "unit_id")
        if "unit_id" in data and "unit" in data and data["unit_id"] != data["unit"]:
            raise ValidationError("unit_id 与 unit(旧名)不一致,请只给 unit_id", "unit_id")
