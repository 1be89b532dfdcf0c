"""/api/v1/units, /api/v1/plans and plan import."""

from __future__ import annotations

from typing import Any

from ..operations.directory.plan_import import MAX_PLAN_BYTES, import_plan
from ..operations.directory.plan_status import archive_plan, list_plans, plan_row, publish_plan
from ..operations.directory.units import list_units
from ..problems import problem
from .base import Blueprint, acting, upload_limit
from .schemas.directory import (
    ImportResultSchema,
    PlanArchiveArgs,
    PlanImportArgs,
    PlanPublishArgs,
    PlanSchema,
    UnitSchema,
)

blp = Blueprint("directory", __name__, url_prefix="/api/v1", description="单位与计划")


@blp.route("/units", methods=["GET"])
@blp.response(200, UnitSchema(many=True))
def units() -> Any:
    """全区单位名录(含别名与所属分组)。"""
    with acting() as (_actor, work):
        return list_units(work.session)


@blp.route("/plans", methods=["GET"])
@blp.response(200, PlanSchema(many=True))
def plans() -> Any:
    """已导入的计划(行动方案),含状态:草稿(导入后待发布,不开启报送轮次)、已发布、已归档。"""
    with acting() as (_actor, work):
        return list_plans(work.session)


@blp.route("/plans/<int:plan_id>", methods=["GET"])
@blp.response(200, PlanSchema)
@blp.problem(404, "没有这个计划")
def plan(plan_id: int) -> Any:
    """一个计划及其状态。"""
    with acting() as (_actor, work):
        return plan_row(work.session, plan_id)


@blp.route("/plans/<int:plan_id>/publish", methods=["POST"])
@blp.arguments(PlanPublishArgs)
@blp.response(200, PlanSchema)
@blp.problem(403, "只有督查室和管理员可以发布计划")
@blp.problem(404, "没有这个计划")
@blp.problem(409, "计划已发布;或有牵头单位还没有能签收的账号(问题详情中的 units 列出这些单位,可带理由强制发布)")
@blp.problem(422, "强制发布未填理由;或计划没有在办的重点任务")
def publish(args: dict[str, Any], plan_id: int) -> Any:
    """发布计划(草稿或已归档的计划):此后报送轮次为其重点任务开启办理周期。写入审计 plan.published。"""
    with acting(write=True) as (actor, work):
        return publish_plan(work, actor, plan_id, force=args["force"], reason=args["reason"])


@blp.route("/plans/<int:plan_id>/archive", methods=["POST"])
@blp.arguments(PlanArchiveArgs)
@blp.response(200, PlanSchema)
@blp.problem(403, "只有督查室和管理员可以归档计划")
@blp.problem(404, "没有这个计划")
@blp.problem(409, "计划已归档")
def archive(args: dict[str, Any], plan_id: int) -> Any:
    """归档计划:不再开启报送轮次,已有的办理周期和台账照常可查。写入审计 plan.archived。"""
    with acting(write=True) as (actor, work):
        return archive_plan(work, actor, plan_id, reason=args["reason"])


@blp.route("/plans/import", methods=["POST"])
@upload_limit(lambda _runtime: MAX_PLAN_BYTES)
@blp.arguments(PlanImportArgs, location="multipart")
@blp.response(200, ImportResultSchema, description="试运行,已修订原计划,或此前已导入过同一文件")
@blp.alt_response(201, schema=ImportResultSchema, description="已导入为新计划(草稿)")
@blp.problem(403, "只有督查室和管理员可以导入;修订涉及正在办理的周期(撤销、转办)时只有督查室可以确认")
@blp.problem(409, "计划已被其他人修订(expected_revision 不是当前版本),或同一文件刚刚已导入")
@blp.problem(422, "无法导入(问题详情中的 result 是完整的解析结果);revision_of 指向的计划不存在")
def import_(args: dict[str, Any]) -> Any:
    """导入计划文件(.txt/.docx/.xlsx,multipart 字段 file),与 `duban plan import --json` 输出相同的 JSON。

    dry_run=true 只解析和检查,不写入任何数据;create_units=true 时自动新建名录中没有的单位。新导入的计划是草稿,
    发布后才开启报送轮次。已有同标题同年度的计划(或 revision_of 指定的计划)时,导入是它的修订:结果中的
    revision 逐项列出各重点任务的变化(修改、新增、删除,单位、正文、目标),确认后更新原有重点任务;删除的任务停用,
    其正在办理的周期撤销;apply_to_running=true 时正在办理的周期改由新单位承办。"""
    upload = args["file"]
    data = upload.read()
    with acting(write=True) as (actor, work):
        result = import_plan(
            work,
            actor,
            data,
            upload.filename or "plan.txt",
            dry_run=args["dry_run"],
            create_units=args["create_units"],
            revision_of=args["revision_of"],
            as_new=args["as_new"],
            apply_to_running=args["apply_to_running"],
            expected_revision=args["expected_revision"],
        )
    body = result.as_json()
    if not result.ok and not result.dry_run:
        return problem(
            422,
            "计划无法导入",
            ";".join(result.blockers),
            code="plan_import_blocked",
            field="file",
            extra={"result": body},
        )
    if result.dry_run or result.already_imported or result.revised:
        return body
    return body, 201
