"""Request and response schemas (marshmallow): what the API accepts and returns, and what the
OpenAPI document says it does. Input fields speak Chinese when they refuse a value."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate
from werkzeug.datastructures import FileStorage

MAX_ID = 2**31 - 1
_COMMON = {"required": "缺少必填字段", "null": "不能为 null", "validator_failed": "取值无效"}


def _clean_text(value: str) -> str:
    """Refuses what no database column can keep: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ma.ValidationError("不能包含空字符(\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError("包含无效的 Unicode 字符") from None
    return value


class Str(fields.String):
    default_error_messages = {**_COMMON, "invalid": "应为文本", "invalid_utf8": "不是有效的 UTF-8 文本"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return _clean_text(super()._deserialize(value, attr, data, **kwargs))


class Int(fields.Integer):
    default_error_messages = {**_COMMON, "invalid": "应为整数", "too_large": "数值过大"}  # noqa: RUF012


class Bool(fields.Boolean):
    default_error_messages = {**_COMMON, "invalid": "应为 true 或 false"}  # noqa: RUF012


class TextMap(fields.Dict):
    """An object of text values (a step's form fields). Types inside are checked by the step's form."""

    default_error_messages = {**_COMMON, "invalid": "应为对象(键值对)"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        for key, item in result.items():
            if not isinstance(key, str) or len(key) > 100:
                raise ma.ValidationError("字段名应为不超过 100 字的文本")
            _clean_text(key)
            if isinstance(item, str):
                _clean_text(item)
        return result


class File(Upload):
    """An uploaded file (multipart); a plain text value in its place is refused."""

    default_error_messages = {**_COMMON, "invalid": "应为上传的文件(multipart/form-data)"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


def ids(**kwargs: Any) -> Int:
    return Int(validate=validate.Range(min=1, max=MAX_ID, error="应为 1 到 2147483647 之间的整数"), **kwargs)


class Schema(ma.Schema):
    error_messages = {"unknown": "未知字段", "type": "请求体应为 JSON 对象"}  # noqa: RUF012


# -- problems -------------------------------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details; further members may appear (e.g. ``result`` of a blocked import)."""

    class Meta:
        unknown = ma.INCLUDE

    type = Str(required=True, metadata={"description": "问题类型(稳定的 URN)"})
    title = Str(required=True)
    status = Int(required=True)
    detail = Str(required=True, metadata={"description": "给人看的说明(中文)"})
    field = Str(metadata={"description": "出错的字段(如 round、data.text)"})
    incident = Str(metadata={"description": "服务器错误的事件编号"})


# -- identity -------------------------------------------------------------------------------


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


# -- directory ------------------------------------------------------------------------------


class UnitSchema(Schema):
    id = Int(required=True)
    name = Str(required=True)
    kind = Str(required=True)
    kind_name = Str(required=True)
    parent_id = Int(allow_none=True)
    active = fields.Boolean(required=True)
    aliases = fields.List(Str())
    groups = fields.List(Str())


class PlanSchema(Schema):
    id = Int(required=True)
    title = Str(required=True)
    year = Int(allow_none=True)
    source_name = Str(required=True)
    key_tasks = Int(required=True)
    imported_at = fields.DateTime(required=True)


class PlanImportArgs(Schema):
    file = File(required=True, metadata={"description": ".txt、.docx 或 .xlsx"})
    dry_run = Bool(load_default=False)
    create_units = Bool(load_default=False)


class ProblemLineSchema(Schema):
    line = Int(allow_none=True)
    message = Str(required=True)
    severity = Str()


class ImportResultSchema(Schema):
    """``duban plan import --json``: the parsed plan and what the import did."""

    class Meta:
        unknown = ma.INCLUDE

    title = Str(allow_none=True)
    sections = fields.List(fields.Raw())
    tasks = fields.List(fields.Dict())
    problems = fields.List(fields.Dict())
    ok = fields.Boolean(required=True)
    dry_run = fields.Boolean(required=True)
    plan_id = Int(allow_none=True)
    already_imported = fields.Boolean()
    unknown_units = fields.List(Str())
    created_units = fields.List(Str())
    blockers = fields.List(Str())


# -- key tasks and cycles -------------------------------------------------------------------


class UnitRefSchema(Schema):
    id = Int(required=True)
    name = Str(required=True)


LIGHT = {"description": "green 绿灯 / yellow 黄灯 / red 红灯", "enum": ["green", "yellow", "red"]}


class KeyTaskQuery(Schema):
    plan = ids()
    unit = ids()
    light = Str(validate=validate.OneOf(["green", "yellow", "red"], error="应为 green、yellow 或 red"))
    state = Str(
        validate=validate.OneOf(["not_started", "running", "closed"], error="应为 not_started、running 或 closed")
    )
    limit = Int(load_default=200, validate=validate.Range(min=1, max=500, error="应在 1 到 500 之间"))
    offset = Int(load_default=0, validate=validate.Range(min=0, max=MAX_ID, error="不能为负数"))


class KeyTaskSummarySchema(Schema):
    id = Int(required=True)
    plan_id = Int(required=True)
    plan_title = Str(required=True)
    number = Int(required=True)
    section = Str(allow_none=True)
    title = Str(required=True)
    lead_units = fields.List(fields.Nested(UnitRefSchema))
    co_units = fields.List(fields.Nested(UnitRefSchema))
    deadline_text = Str(allow_none=True)
    active = fields.Boolean(required=True)
    state = Str(required=True)
    current_round = Str(allow_none=True)
    current_cycle_id = Int(allow_none=True)
    light = Str(allow_none=True, metadata=LIGHT)
    open_steps = Int(required=True)


class KeyTaskListSchema(Schema):
    items = fields.List(fields.Nested(KeyTaskSummarySchema), required=True)
    total = Int(required=True)


class OpenStepSchema(Schema):
    id = Int(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    due_at = fields.DateTime(required=True)
    light = Str(required=True, metadata=LIGHT)
    escalation_level = Int(required=True)


class CycleSummarySchema(Schema):
    id = Int(required=True)
    round = Str(required=True)
    status = Str(required=True)
    started_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    light = Str(allow_none=True, metadata=LIGHT)
    open_steps = fields.List(fields.Nested(OpenStepSchema))


class KeyTaskDetailSchema(KeyTaskSummarySchema):
    body = Str(required=True)
    lead_units_text = Str(required=True)
    co_units_text = Str(required=True)
    targets = fields.List(fields.Dict())
    deadline_date = fields.Date(allow_none=True)
    cycles = fields.List(fields.Nested(CycleSummarySchema))


class StartCycleSchema(Schema):
    round = Str(
        required=True,
        validate=validate.Length(min=1, max=20, error="长度应在 1 到 20 之间"),
        metadata={"description": "报送轮次,如 2024-Q2、2024-M03、2024-H1、2024", "example": "2024-Q2"},
    )


class StepRefSchema(Schema):
    id = Int(required=True)
    step = Str(required=True, attribute="step_id")
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    due_at = fields.DateTime(required=True)


class StepRecordSchema(Schema):
    id = Int(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    party = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    state = Str(required=True)
    ready_at = fields.DateTime(required=True)
    due_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = Str(allow_none=True)
    decision = Str(allow_none=True)
    decision_label = Str(allow_none=True)
    comment = Str(allow_none=True)
    light = Str(required=True, metadata=LIGHT)
    escalation_level = Int(required=True)
    content_visible = fields.Boolean(required=True)


class CycleSchema(Schema):
    id = Int(required=True)
    key_task_id = Int(required=True)
    key_task_number = Int(required=True)
    key_task_title = Str(required=True)
    round = Str(required=True)
    status = Str(required=True, metadata={"enum": ["running", "closed"]})
    started_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    lead_unit_id = Int(required=True)
    lead_unit = Str(required=True)
    light = Str(allow_none=True, metadata=LIGHT)
    steps_done = fields.List(fields.Nested(StepRecordSchema))
    steps_open = fields.List(fields.Nested(StepRecordSchema))


class DiagramSchema(Schema):
    cycle_id = Int(required=True)
    xml = Str(required=True, metadata={"description": "BPMN 2.0 XML(可直接交给 bpmn-js 显示)"})
    element_states = fields.Dict(
        keys=Str(),
        values=Str(validate=validate.OneOf(["done", "open", "overdue"])),
        metadata={"description": "BPMN 元素 id → done / open / overdue"},
    )


# -- inbox and human tasks ------------------------------------------------------------------


class InboxQuery(Schema):
    state = Str(load_default="open", validate=validate.OneOf(["open", "done"], error="应为 open 或 done"))
    limit = Int(load_default=50, validate=validate.Range(min=1, max=200, error="应在 1 到 200 之间"))
    cursor = Str(validate=validate.Length(max=200, error="过长"), metadata={"description": "上一页的 next_cursor"})
    light = Str(validate=validate.OneOf(["green", "yellow", "red"], error="应为 green、yellow 或 red"))
    key_task = ids()
    round = Str(validate=validate.Length(max=20, error="过长"))
    plan = ids()
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


class StepFormSchema(Schema):
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", attribute="fields")
    decision_options = fields.List(fields.Nested(DecisionOptionSchema))
    comment_max_length = Int(required=True)


class SubmittedSchema(Schema):
    human_task_id = Int(required=True)
    step = Str(required=True)
    step_name = Str(required=True)
    unit_id = Int(allow_none=True)
    unit = Str(required=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = Str(allow_none=True)
    data = fields.Dict()
    decision = Str(allow_none=True)
    comment = Str(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))


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
    key_task = fields.Nested(KeyTaskTextSchema, required=True)
    form = fields.Nested(StepFormSchema, required=True)
    co_inputs = fields.List(fields.Nested(SubmittedSchema))
    report = fields.Nested(SubmittedSchema, allow_none=True)
    review = fields.Nested(SubmittedSchema, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    history = fields.List(fields.Nested(StepRecordSchema))


class CompleteSchema(Schema):
    data = TextMap(
        load_default=None,
        allow_none=True,
        metadata={"description": "表单字段:co_input 用 text,consolidate 用 report", "example": {"text": "已落实"}},
    )
    decision = Str(
        load_default=None,
        allow_none=True,
        metadata={"description": "review: pass / return;approve: approve / reject"},
    )
    comment = Str(load_default=None, allow_none=True, metadata={"description": "退回或驳回时必填"})


class CompletionSchema(Schema):
    id = Int(required=True, metadata={"description": "刚办理的待办"})
    cycle_id = Int(required=True)
    step = Str(required=True)
    decision = Str(allow_none=True)
    cycle_closed = fields.Boolean(required=True)
    opened = fields.List(fields.Nested(StepRefSchema), required=True, metadata={"description": "因此而开启的待办"})


# -- audit ----------------------------------------------------------------------------------


class AuditQuery(Schema):
    cycle = ids()
    action = Str(validate=validate.Length(max=60, error="过长"))
    after = Int(
        validate=validate.Range(min=0, max=MAX_ID, error="应在 0 到 2147483647 之间"),
        metadata={"description": "上一页的 next_after"},
    )
    limit = Int(load_default=100, validate=validate.Range(min=1, max=500, error="应在 1 到 500 之间"))


class AuditEntrySchema(Schema):
    seq = Int(required=True)
    at = fields.DateTime(required=True)
    action = Str(required=True)
    actor_id = Int(allow_none=True)
    actor_name = Str(required=True)
    actor_role = Str(required=True)
    unit_id = Int(allow_none=True)
    cycle_id = Int(allow_none=True)
    human_task_id = Int(allow_none=True)
    step_id = Str(allow_none=True)
    data = fields.Dict(allow_none=True, metadata={"description": "无权查看时为 null"})
    ip = Str(allow_none=True)
    hash = Str(required=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    total = Int(required=True)
    next_after = Int(allow_none=True, required=True)


# -- users ----------------------------------------------------------------------------------


ROLES = ["unit_staff", "unit_head", "supervisor", "leader", "admin"]


class UserSchema(Schema):
    id = Int(required=True)
    username = Str(required=True)
    display_name = Str(required=True)
    role = Str(required=True, metadata={"enum": ROLES})
    role_name = Str(required=True)
    unit_id = Int(required=True)
    unit = Str(required=True)
    email = Str(allow_none=True)
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


class PasswordSchema(Schema):
    password = Str(required=True, validate=validate.Length(min=1, max=1024, error="长度应在 1 到 1024 之间"))
