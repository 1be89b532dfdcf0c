"""/api/v1/audit: reading the trail. Nothing in the API changes or deletes an event."""

from __future__ import annotations

from typing import Any

from ..operations.queries.audit_log import audit_events
from .base import Blueprint, acting
from .schemas.audit import AuditPageSchema, AuditQuery

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="审计日志(只读)")


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPageSchema)
def audit(args: dict[str, Any]) -> Any:
    """审计事件(按链上顺序)。督查室、领导、管理员可查全部;单位只能查本单位参与的办理周期的事件,
    其他单位环节的内容不显示。用 after=next_after 翻页。"""
    with acting() as (actor, work):
        return audit_events(
            work,
            actor,
            cycle_id=args.get("cycle"),
            action=args.get("action"),
            after=args.get("after"),
            limit=args["limit"],
        )
