"""The moves off the happy path (issue 11): 催办, 免报, 转办, 退回交办, 截止汇总, 撤回, 撤销."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import ReassignScope
from .base import Bool, Int, Schema, Str, one_of
from .key_tasks import HumanTaskRefSchema

COMMENT = validate.Length(max=20000, error="过长")


class CommentSchema(Schema):
    comment = Str(load_default=None, allow_none=True, validate=COMMENT, metadata={"description": "说明或理由"})


class ReasonSchema(Schema):
    comment = Str(required=True, validate=COMMENT, metadata={"description": "理由(必填)"})


class ReassignSchema(Schema):
    unit_id = Int(required=True, metadata={"description": "转办给哪个单位(须为启用的单位)"})
    comment = Str(required=True, validate=COMMENT, metadata={"description": "理由(必填)"})
    scope = Str(
        load_default="cycle",
        validate=one_of(ReassignScope.labels()),
        metadata={"description": "cycle 仅本轮;key_task 同时修改该重点任务的单位名单(以后各轮)"},
    )


class DeclineDecisionSchema(Schema):
    decision = Str(required=True, metadata={"enum": ["reassign", "insist"], "description": "转办 或 维持交办"})
    comment = Str(required=True, validate=COMMENT)
    unit_id = Int(load_default=None, allow_none=True, metadata={"description": "转办时必填"})
    scope = Str(load_default="cycle", validate=one_of(ReassignScope.labels()))


class DeclineQuery(Schema):
    pending = Bool(load_default=False, metadata={"description": "只列等待督查室处理的"})


class MovedSchema(Schema):
    id = Int(required=True, metadata={"description": "该待办"})
    state = Str(required=True, metadata={"description": "open / done / cancelled"})
    outcome = Str(allow_none=True, metadata={"description": "未经办理而结束的方式:waived 免报、missed 逾期未报等"})
    urge_count = Int(required=True, metadata={"description": "被催办的次数"})
    opened = fields.List(fields.Nested(HumanTaskRefSchema), metadata={"description": "因此而开启的待办"})


class CycleMovedSchema(Schema):
    cycle_id = Int(required=True)
    status = Str(required=True, metadata={"description": "running / closed / cancelled"})
    ended = fields.List(Int(), required=True, metadata={"description": "因此结束的待办"})


class DeclineSchema(Schema):
    id = Int(required=True)
    human_task_id = Int(required=True)
    cycle_id = Int(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(required=True)
    unit = Str(required=True)
    requested_by = Str(required=True)
    requested_at = fields.DateTime(required=True)
    reason = Str(required=True)
    status = Str(required=True, metadata={"description": "pending / reassigned / insisted / lapsed"})
    status_name = Str(required=True)
    decided_by = Str(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = Str(allow_none=True)


class DeclineListSchema(Schema):
    items = fields.List(fields.Nested(DeclineSchema), required=True)


class DisableUnitSchema(Schema):
    steps = fields.Dict(
        keys=Str(),
        values=fields.Raw(),
        load_default=None,
        metadata={
            "description": '该单位每个未办结环节的处理:待办编号 → "waive"(免报,仅限责任单位意见)或单位编号(转办)',
            "example": {"12": "waive", "13": 5},
        },
    )
    comment = Str(load_default=None, allow_none=True, validate=COMMENT, metadata={"description": "告知各单位的理由"})


class UnitStateSchema(Schema):
    id = Int(required=True)
    active = Bool(required=True)
