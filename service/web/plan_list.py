"""计划: every plan with its status, and the office's moves on it (发布, 归档). A plan is imported as a
draft (草稿); the rounds open for it only once it is published (``operations/directory/plan_status.py``)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..errors import DomainError
from ..operations.common.authz import may_import_plans
from ..operations.directory.plan_status import archive_plan, list_plans, publish_plan
from ..security import login_required
from .base import FORM_STATUSES, FormErrors, back_to, bp, form_state, me, reading, writing


def _page() -> Any:
    actor = me()
    errors, values = form_state()
    with reading() as work:
        plans = list_plans(work.session)
    return render_template("plans.html", plans=plans, errors=errors, values=values, may_publish=may_import_plans(actor))


@bp.get("/plans")
@login_required
def plans_page() -> Any:
    """Every plan, oldest first: status, revision, active key tasks; 发布/归档 for the office."""
    return _page()


@bp.post("/plans/<int:plan_id>/publish")
@login_required
def plan_publish(plan_id: int) -> Any:
    """发布: 409 re-renders the list with the lead units nobody can sign for and a form to publish
    anyway with a reason (``force``)."""
    force = request.form.get("force") == "1"
    reason = request.form.get("reason", "")
    errors = FormErrors()
    try:
        with writing() as work:
            row = publish_plan(work, me(), plan_id, force=force, reason=reason)
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors.take(error, ("reason",))
        # Lead units nobody can sign for (or a missing reason): the page offers 强制发布 for this plan.
        blocked = error.field in ("units", "reason")
        return back_to(
            url_for("web.plans_page"), errors, {"blocked": str(plan_id) if blocked else "", "reason": reason}
        )
    flash(f"已发布《{row.title}》:报送轮次将为其 {row.key_tasks} 项重点任务开启办理周期。", "success")
    return redirect(url_for("web.plans_page"))


@bp.post("/plans/<int:plan_id>/archive")
@login_required
def plan_archive(plan_id: int) -> Any:
    """归档: no more rounds; the plan's ledger and cycles stay readable."""
    errors = FormErrors()
    try:
        with writing() as work:
            row = archive_plan(work, me(), plan_id, reason=request.form.get("reason", ""))
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors.take(error, ())
        return back_to(url_for("web.plans_page"), errors)
    flash(f"已归档《{row.title}》:不再开启报送轮次,台账仍可查阅。", "success")
    return redirect(url_for("web.plans_page"))
