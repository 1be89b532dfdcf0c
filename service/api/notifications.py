"""/api/v1/notifications: my notices, how many are unread, marking them read."""

from __future__ import annotations

from typing import Any

from ..operations.common.notifications import list_notifications, mark_read, unread_count
from .base import Blueprint, acting
from .schemas.notifications import MarkedSchema, MarkReadSchema, NotificationPageSchema, NotificationQuery, UnreadSchema

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="通知")


@blp.route("/notifications", methods=["GET"])
@blp.arguments(NotificationQuery, location="query")
@blp.response(200, NotificationPageSchema)
def notifications(args: dict[str, Any]) -> Any:
    """我的通知(最新的在前)。"""
    with acting() as (actor, work):
        return list_notifications(
            work, actor, unread_only=args["unread"], limit=args["limit"], cursor=args.get("cursor")
        )


@blp.route("/notifications/unread-count", methods=["GET"])
@blp.response(200, UnreadSchema)
def unread() -> Any:
    """我的未读通知数。"""
    with acting() as (actor, work):
        return {"unread": unread_count(work, actor)}


@blp.route("/notifications/read", methods=["POST"])
@blp.arguments(MarkReadSchema)
@blp.response(200, MarkedSchema)
def read(args: dict[str, Any]) -> Any:
    """把通知标为已读:ids 列出的,或 all=true 全部。他人的通知编号被忽略。"""
    with acting(write=True) as (actor, work):
        marked = mark_read(work, actor, args.get("ids"), everything=args["all"])
        return {"marked": marked, "unread": unread_count(work, actor)}
