"""Units and plans."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .base import Bool, File, Int, Schema, Str


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
    status = Str(required=True, metadata={"description": "draft(草稿)、published(已发布)或 archived(已归档)"})
    status_label = Str(required=True)
    revision = Int(required=True, metadata={"description": "第几版:首次导入为 1,每确认一次修订加 1"})
    source_name = Str(required=True)
    key_tasks = Int(required=True, metadata={"description": "在办(未停用)的重点任务数"})
    imported_at = fields.DateTime(required=True)
    published_at = fields.DateTime(allow_none=True)


class PlanPublishArgs(Schema):
    force = Bool(load_default=False, metadata={"description": "有牵头单位没有能签收的账号时仍发布(须填 reason)"})
    reason = Str(load_default="", metadata={"description": "强制发布的理由(写入审计)"})


class PlanArchiveArgs(Schema):
    reason = Str(load_default="")


class PlanImportArgs(Schema):
    file = File(required=True, metadata={"description": ".txt、.docx 或 .xlsx"})
    dry_run = Bool(load_default=False)
    create_units = Bool(load_default=False)
    revision_of = Int(
        load_default=None,
        allow_none=True,
        metadata={"description": "作为这个计划的修订导入(不填时按标题和年度自动识别)"},
    )
    as_new = Bool(load_default=False, metadata={"description": "即使标题和年度相同,也作为新计划导入"})
    apply_to_running = Bool(
        load_default=False, metadata={"description": "修订同时调整正在办理的周期的承办单位(转办/免报,仅督查室)"}
    )
    expected_revision = Int(
        load_default=None,
        allow_none=True,
        metadata={"description": "预览时计划的版本号;确认时已不是这一版则 409"},
    )


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
    revision = fields.Dict(
        allow_none=True,
        metadata={
            "description": "修订时:plan_id、revision(当前版本)、status、recognised、counts、"
            "tasks(每项 kind=changed|added|removed|same,fields、lead_units、co_units、targets 的增删,running_cycles)"
        },
    )
    revised = fields.Boolean()
