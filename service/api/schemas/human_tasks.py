"""The inbox, a human task to do, its attachments, completing it."""

from __future__ import annotations

from marshmallow import fields, validate

from ...vocabulary import Light
from .base import LIGHT, File, Int, Schema, Str, TextMap, ids, one_of
from .key_tasks import HumanTaskRecordSchema, HumanTaskRefSchema, UnitRefSchema


class InboxQuery(Schema):
    state = Str(load_default="open", validate=validate.OneOf(["open", "done"], error="应为 open 或 done"))
    limit = Int(load_default=50, validate=validate.Range(min=1, max=200, error="应在 1 到 200 之间"))
    cursor = Str(validate=validate.Length(max=200, error="过长"), metadata={"description": "上一页的 next_cursor"})
    light = Str(validate=one_of(Light.labels()))
    key_task = ids()
    round = Str(validate=validate.Length(max=20, error="过长"))
    plan = ids()
    outcome = Str(
        validate=validate.OneOf(["on_time", "late"], error="应为 on_time 或 late"),
        metadata={"description": "已办按办理结果筛选:on_time 按期办结,late 超期办结"},
    )
    order = Str(
        validate=validate.OneOf(["asc", "desc"], error="应为 asc 或 desc"),
        metadata={"description": "排序方向:待办按截止时间,默认 asc(最紧急的在前);已办按办理时间,默认 desc"},
    )


class InboxItemSchema(Schema):
    id = Int(required=True, metadata={"description": "待办(human task)编号"})
    cycle_id = Int(required=True)
    round = Str(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    plan_id = Int(required=True)
    plan_title = Str(required=True, metadata={"description": "重点任务所属的计划"})
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    ready_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True)
    due_basis = Str(required=True, metadata={"description": "official / loaded / fallback(仅按周末计算)"})
    light = Str(required=True, metadata=LIGHT)
    escalation_level = Int(required=True)
    state = Str(required=True)
    completed_at = fields.DateTime(allow_none=True)


class InboxSchema(Schema):
    items = fields.List(fields.Nested(InboxItemSchema), required=True)
    total = Int(required=True)
    next_cursor = Str(allow_none=True, required=True)


class AttachmentSchema(Schema):
    id = Int(required=True)
    human_task_id = Int(required=True)
    filename = Str(required=True)
    content_type = Str(required=True)
    size = Int(required=True)
    sha256 = Str(required=True)
    uploaded_by = Str(allow_none=True)
    uploaded_at = fields.DateTime(required=True)
    url = fields.Function(lambda a: f"/api/v1/attachments/{a.id}", required=True)


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema), required=True)


class UploadArgs(Schema):
    file = File(required=True, metadata={"description": "允许的类型见 config.toml [attachments]"})


class FormFieldSchema(Schema):
    name = Str(required=True)
    label = Str(required=True)
    required = fields.Boolean(required=True)
    max_length = Int(required=True)


class DecisionOptionSchema(Schema):
    value = Str(required=True)
    label = Str(required=True)
    comment_required = fields.Boolean(required=True)
    backward = fields.Boolean(required=True, metadata={"description": "选择此项会把工作退回"})


class StepFormSchema(Schema):
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", attribute="fields")
    decision_options = fields.List(fields.Nested(DecisionOptionSchema))
    decision_label = Str(allow_none=True, metadata={"description": "决定的名称,如“审核结论”"})
    submit_label = Str(required=True, metadata={"description": "提交按钮上的文字,如“签收”"})
    comment_max_length = Int(required=True)


class FieldValueSchema(Schema):
    name = Str(required=True)
    label = Str(required=True)
    value = Str(required=True)


class SubmittedSchema(Schema):
    human_task_id = Int(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = Str(allow_none=True)
    data = fields.Dict()
    fields_ = fields.List(
        fields.Nested(FieldValueSchema),
        data_key="fields",
        attribute="fields",
        metadata={"description": "该环节表单的各字段及其名称(按流程图中的顺序)"},
    )
    decision = Str(allow_none=True)
    decision_label = Str(allow_none=True)
    backward = fields.Boolean(required=True)
    comment = Str(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    outcome = Str(
        allow_none=True, metadata={"description": "未经报送而结束:waived 免报(comment 为理由)、missed 逾期未报"}
    )
    outcome_label = Str(allow_none=True)


class ShownStepSchema(Schema):
    step = Str(required=True)
    step_name = Str(required=True)
    per_unit = fields.Boolean(required=True, metadata={"description": "每个单位一份(如各责任单位的意见)"})
    folded = fields.Boolean(required=True, metadata={"description": "页面上默认折叠"})
    earlier = fields.Boolean(required=True, metadata={"description": "本环节此前(被退回前)的办理结果"})
    items = fields.List(fields.Nested(SubmittedSchema), required=True)


class OverdueSchema(Schema):
    working_days = Int(required=True, metadata={"description": "已逾期的工作日数"})
    level = Int(required=True, metadata={"description": "已到的督办等级:0 无,1 提醒,2 催办,3 督办"})
    level_label = Str(required=True)
    since = fields.DateTime(allow_none=True, metadata={"description": "到达该等级的时间"})
    since_fallback = fields.Boolean(
        required=True, metadata={"description": "true:该等级的日子按周末推算(其年份的放假安排未导入、日历包也不含)"}
    )


class KeyTaskTextSchema(Schema):
    id = Int(required=True)
    number = Int(required=True)
    section = Str(allow_none=True)
    title = Str(required=True)
    body = Str(required=True)
    lead_units = fields.List(fields.Nested(UnitRefSchema))
    co_units = fields.List(fields.Nested(UnitRefSchema))
    targets = fields.List(fields.Dict())
    deadline_text = Str(allow_none=True)


class SentBackBySchema(Schema):
    step_name = Str(required=True, metadata={"description": "退回或驳回的环节,如“审核”"})
    by = Str(allow_none=True, metadata={"description": "办理人"})
    party = Str(required=True, metadata={"description": "单位或角色,如“区政府督查室”"})
    at = fields.DateTime(allow_none=True)
    decision_label = Str(allow_none=True, metadata={"description": "退回 / 驳回"})
    comment = Str(allow_none=True, metadata={"description": "理由"})


class VersionSchema(Schema):
    number = Int(required=True, metadata={"description": "版本号:1 即 v1"})
    human_task_id = Int(required=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = Str(allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "该版本提交的表单字段"})
    attachments = fields.List(fields.Nested(AttachmentSchema))
    sent_back = fields.List(fields.Nested(SentBackBySchema), metadata={"description": "该版本被谁退回、为什么"})


class HumanTaskSchema(Schema):
    id = Int(required=True)
    cycle_id = Int(required=True)
    round = Str(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    party = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    state = Str(required=True)
    ready_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True)
    due_basis = Str(required=True)
    light = Str(required=True, metadata=LIGHT)
    escalation_level = Int(required=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = Str(allow_none=True)
    data = fields.Dict()
    decision = Str(allow_none=True)
    comment = Str(allow_none=True)
    can_act = fields.Boolean(required=True)
    can_request_extension = fields.Boolean(
        required=True, metadata={"description": "可为此环节申请延期(未办结、未到期、本单位负责人)"}
    )
    extension_note = Str(allow_none=True, metadata={"description": "本单位不能为此环节申请延期的原因(如已超过期限)"})
    overdue = fields.Nested(OverdueSchema, allow_none=True, metadata={"description": "已逾期时:逾期多久、督办等级"})
    key_task = fields.Nested(KeyTaskTextSchema, required=True)
    form = fields.Nested(StepFormSchema, required=True)
    shown = fields.List(
        fields.Nested(ShownStepSchema),
        metadata={
            "description": "流程图为本环节声明要展示的此前环节(duban:show)及其在本环节开始时的最新办理结果,"
            "如汇总报送时各责任单位的意见、审核时的汇总报告"
        },
    )
    sent_back = fields.Nested(
        SubmittedSchema, allow_none=True, metadata={"description": "把工作退回到本环节的决定(如退回意见)"}
    )
    attachments = fields.List(
        fields.Nested(AttachmentSchema),
        metadata={"description": "本环节的附件(退回后重新办理时沿用上一版的附件,可移除)"},
    )
    history = fields.List(fields.Nested(HumanTaskRecordSchema))
    versions = fields.List(
        fields.Nested(VersionSchema),
        metadata={"description": "被退回或驳回后重新办理的环节:此前各版本(v1、v2 …)及退回人和理由"},
    )
    prefill = fields.Dict(
        allow_none=True, metadata={"description": "重新办理时表单的预填内容(上一版提交的字段),否则为 null"}
    )
    urge_count = Int(required=True, metadata={"description": "被催办的次数"})
    outcome = Str(allow_none=True, metadata={"description": "未经办理而结束的方式:waived、missed、reassigned 等"})


class CompleteSchema(Schema):
    data = TextMap(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "表单字段,由流程图声明(见待办的 form.fields);"
            "随附流程图中 co_input 用 text,consolidate 用 report",
            "example": {"text": "已落实"},
        },
    )
    decision = Str(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "决定的取值见待办的 form.decision_options;"
            "随附流程图中 review: pass / return,approve: approve / reject"
        },
    )
    comment = Str(load_default=None, allow_none=True, metadata={"description": "退回或驳回时必填"})
    progress = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "进展报送(consolidate: percent、problems、next_steps、values;co_input: values)",
            "example": {"percent": 45, "problems": "资金到位慢", "next_steps": "加快推进", "values": {"12": 9}},
        },
    )


class CompletionSchema(Schema):
    id = Int(required=True, metadata={"description": "刚办理的待办"})
    cycle_id = Int(required=True)
    step = Str(required=True)
    decision = Str(allow_none=True)
    cycle_closed = fields.Boolean(required=True)
    opened = fields.List(fields.Nested(HumanTaskRefSchema), required=True, metadata={"description": "因此而开启的待办"})
