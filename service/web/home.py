"""工作台: my open steps, how many are near their deadline or overdue, unread notifications, and
for the office and the leaders what awaits their decision."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..errors import NotFound
from ..operations.common import authz
from ..operations.common.notifications import list_notifications
from ..operations.queries.dashboard import inbox_counts
from ..operations.queries.inbox import inbox
from ..operations.queries.ledger import ledger
from ..operations.supervision.escalations import list_escalations
from ..operations.supervision.extensions import list_extensions
from ..security import login_required
from .base import bp, me, reading


@bp.get("/")
@login_required
def home() -> Any:
    actor = me()
    with reading() as work:
        steps = inbox(work, actor, state="open", limit=8)
        counts = inbox_counts(work, actor)
        notices = list_notifications(work, actor, unread_only=True, limit=5) if actor.user_id else None
        awaiting = None
        duban = None
        overview = None
        if authz.may_decide_extensions(actor):
            awaiting = list_extensions(work, actor, awaiting_me=True, limit=5)
        if authz.may_see_statistics(actor):
            duban = list_escalations(work, actor, level=3, open_only=True, limit=5)
            try:
                overview = ledger(work, actor, per_page=1)
            except NotFound:  # no plan imported yet
                overview = None
    return render_template(
        "home.html",
        steps=steps,
        counts=counts,
        notices=notices,
        awaiting=awaiting,
        duban=duban,
        overview=overview,
    )
