"""通知: the person's notices, newest first; mark one or all read."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..operations.common.notifications import list_notifications, mark_read
from ..security import login_required, safe_next
from .base import arg_text, bp, me, reading, to_int, writing


@bp.get("/notifications")
@login_required
def notifications_page() -> Any:
    unread_only = request.args.get("unread") == "1"
    cursor = arg_text("cursor", max_length=100)
    with reading() as work:
        found = list_notifications(work, me(), unread_only=unread_only, limit=30, cursor=cursor)
    return render_template("notifications.html", page=found, unread_only=unread_only)


@bp.post("/notifications/read")
@login_required
def notifications_read() -> Any:
    everything = request.form.get("all") == "1"
    ids: list[int] = []
    if not everything:
        ids = [to_int(value, "id", "通知编号") for value in request.form.getlist("id")]
    with writing() as work:
        changed = mark_read(work, me(), ids, everything=everything)
    if everything:
        flash(f"已将 {changed} 条通知标为已读。", "success")
    return redirect(safe_next(request.form.get("back"), url_for("web.notifications_page")))
