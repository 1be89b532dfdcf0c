"""/api/v1/units, /api/v1/plans and plan import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db.models import KeyTask, Plan

from ..operations.directory.plan_import import MAX_PLAN_BYTES, import_plan
from ..operations.directory.units import list_units
from ..problems import problem
from .base import Blueprint, acting, upload_limit
from .schemas.directory import ImportResultSchema, PlanImportArgs, PlanSchema, UnitSchema

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
    """已导入的计划(行动方案)。"""
    with acting() as (_actor, work):
        counts = select(KeyTask.plan_id, func.count().label("n")).group_by(KeyTask.plan_id).subquery()
        rows = work.session.execute(
            select(Plan, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.plan_id == Plan.id).order_by(Plan.id)
        ).all()
        return [
            {
                "id": plan.id,
                "title": plan.title,
                "year": plan.year,
                "source_name": plan.source_name,
                "key_tasks": n,
                "imported_at": plan.imported_at,
            }
            for plan, n in rows
        ]


@blp.route("/plans/import", methods=["POST"])
@upload_limit(lambda _runtime: MAX_PLAN_BYTES)
@blp.arguments(PlanImportArgs, location="multipart")
@blp.response(200, ImportResultSchema, description="试运行,或此前已导入过同一文件")
@blp.alt_response(201, schema=ImportResultSchema, description="已导入为新计划")
@blp.problem(422, "无法导入(问题详情中的 result 是完整的解析结果)")
def import_(args: dict[str, Any]) -> Any:
    """导入计划文件(.txt/.docx/.xlsx,multipart 字段 file),与 `duban plan import --json` 输出相同的 JSON。

    dry_run=true 只解析和检查,不写入任何数据;create_units=true 时自动新建名录中没有的单位。"""
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
    if result.dry_run or result.already_imported:
        return body
    return body, 201
