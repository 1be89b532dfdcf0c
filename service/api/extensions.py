"""/api/v1 extensions (延期申请): asking for more time on a human task, and deciding."""

from __future__ import annotations

from typing import Any

from ..operations.supervision.extensions import decide_extension, get_extension, list_extensions, request_extension
from .base import ID, Blueprint, acting
from .schemas.extensions import (
    ExtensionDecisionSchema,
    ExtensionPageSchema,
    ExtensionQuery,
    ExtensionRequestSchema,
    ExtensionSchema,
)

blp = Blueprint("extensions", __name__, url_prefix="/api/v1", description="延期申请")


@blp.route(f"/human-tasks/<{ID}:task_id>/extensions", methods=["POST"])
@blp.arguments(ExtensionRequestSchema)
@blp.response(201, ExtensionSchema)
@blp.problem(403, "不是本单位牵头环节,或不是单位负责人")
@blp.problem(409, "已过期限、已办结,或已有待审批的申请")
@blp.problem(422, "理由或新期限有误(field 指出字段)")
def request_ext(args: dict[str, Any], task_id: int) -> Any:
    """牵头单位负责人在期限前为本单位的环节申请延期,填写理由和新的截止日期(须为工作日)。"""
    with acting(write=True) as (actor, work):
        return request_extension(work, actor, task_id, new_due_date=args["new_due_date"], reason=args["reason"])


@blp.route("/extensions", methods=["GET"])
@blp.arguments(ExtensionQuery, location="query")
@blp.response(200, ExtensionPageSchema)
def extensions(args: dict[str, Any]) -> Any:
    """延期申请(最新的在前)。单位只能看本单位的;awaiting_me=true 列出等我审批的。"""
    with acting() as (actor, work):
        return list_extensions(
            work,
            actor,
            status=args.get("status"),
            awaiting_me=args["awaiting_me"],
            human_task_id=args.get("human_task"),
            limit=args["limit"],
            cursor=args.get("cursor"),
        )


@blp.route(f"/extensions/<{ID}:extension_id>", methods=["GET"])
@blp.response(200, ExtensionSchema)
def extension(extension_id: int) -> Any:
    """一份延期申请。"""
    with acting() as (actor, work):
        return get_extension(work, actor, extension_id)


@blp.route(f"/extensions/<{ID}:extension_id>/decision", methods=["POST"])
@blp.arguments(ExtensionDecisionSchema)
@blp.response(200, ExtensionSchema)
@blp.problem(403, "不是该阶段的审批人")
@blp.problem(409, "已审批过,或刚被他人审批")
def decide(args: dict[str, Any], extension_id: int) -> Any:
    """督查室审批(grant 批准 / refuse 不批准,不批准须填 comment);超过规定天数的,督查室同意后
    再由区领导审批。批准后环节的期限、黄灯时间、流程定时器和尚未发生的催办督办一并顺延。"""
    with acting(write=True) as (actor, work):
        return decide_extension(work, actor, extension_id, decision=args["decision"], comment=args.get("comment"))
