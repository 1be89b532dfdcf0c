"""工作台: the first page after login, about the person's own work.

- units, the office and the leaders: my open steps, how many are near their deadline or
  overdue, unread notices; for the office and the leaders also what awaits their decision, the
  steps under 督办, and the plan's ledger in figures (this year's plan, or the one chosen last);
- admins (who act on no step): users, units without anyone to log in, plans, the calendar's
  years and the e-mails the outbox gave up on.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from ..errors import NotFound
from ..operations.common import authz
from ..operations.common.notifications import list_notifications
from ..operations.queries.admin_overview import admin_overview
from ..operations.queries.inbox import inbox, inbox_counts
from ..operations.queries.ledger import ledger
from ..operations.queries.moves import pending_declines
from ..operations.supervision.calendar import calendar_status
from ..operations.supervision.escalations import list_escalations
from ..operations.supervision.extensions import list_extensions
from ..security import login_required
from .base import bp, me, plan_choice, reading


@bp.get("/")
@login_required
def home() -> Any:
    actor = me()
    if authz.may_manage(actor):
        with reading() as work:
            overview = admin_overview(work, actor)
            calendar = calendar_status(work)
            notices = list_notifications(work, actor, unread_only=True, limit=5) if actor.user_id else None
        return render_template("home_admin.html", overview=overview, calendar=calendar, notices=notices)
    asked, remembered = plan_choice()
    with reading() as work:
        steps = inbox(work, actor, state="open", limit=8)
        counts = inbox_counts(work, actor)
        notices = list_notifications(work, actor, unread_only=True, limit=5) if actor.user_id else None
        awaiting = None
        duban = None
        book = None
        if authz.may_decide_extensions(actor):
            awaiting = list_extensions(work, actor, awaiting_me=True, limit=5)
        declines = pending_declines(work, actor)  # 退回交办 waiting for the office (empty for others)
        if authz.may_see_statistics(actor):
            duban = list_escalations(work, actor, level=3, open_only=True, limit=5)
            try:
                book = ledger(work, actor, per_page=1, plan_id=asked, remembered_plan=remembered)
            except NotFound:  # no plan imported yet
                book = None
    return render_template(
        "home.html",
        steps=steps,
        counts=counts,
        notices=notices,
        awaiting=awaiting,
        declines=declines,
        duban=duban,
        overview=book,
    )


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page names: the icon (SVG), never a 404."""
    return redirect(url_for("web.static", filename="favicon.svg"), code=301)
