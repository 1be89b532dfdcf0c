"""/api/v1/escalations: the reminders, 催办 and 督办 the ladder has reached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..operations.supervision.escalations import list_escalations
from .base import Blueprint, acting, runtime
from .schemas.escalations import EscalationPageSchema, EscalationQuery

blp = Blueprint("escalations", __name__, url_prefix="/api/v1", description="提醒、催办与督办")


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=runtime().config.tz)  # a time without offset is local time


@blp.route("/escalations", methods=["GET"])
@blp.arguments(EscalationQuery, location="query")
@blp.response(200, EscalationPageSchema)
def escalations(args: dict[str, Any]) -> Any:
    """提醒、催办、督办记录(最新的在前)。level=3(或 kind=duban)加 open=true 即督查室的督办清单。
    单位只能看本单位的。"""
    with acting() as (actor, work):
        return list_escalations(
            work,
            actor,
            level=args.get("level"),
            kind=args.get("kind"),
            unit_id=args.get("unit"),
            key_task_id=args.get("key_task"),
            cycle_id=args.get("cycle"),
            open_only=args["open"],
            since=_aware(args.get("since")),
            until=_aware(args.get("until")),
            limit=args["limit"],
            cursor=args.get("cursor"),
        )
