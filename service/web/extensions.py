"""延期申请: the lead unit asks for more time on its step (from the step page); the supervisor
(and, beyond the configured days, the leader) grants or refuses here."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..errors import DomainError
from ..operations.common import authz
from ..operations.supervision.extensions import decide_extension, list_extensions, request_extension
from ..security import login_required
from ..vocabulary import ExtensionStatus
from .base import (
    FORM_STATUSES,
    FormErrors,
    arg_choice,
    arg_text,
    back_to,
    bp,
    form_state,
    me,
    query_with,
    reading,
    writing,
)

VIEWS = {"awaiting": "待我审批", "all": "全部"}


def _render_list(errors: FormErrors | None = None, values: dict[str, str] | None = None) -> str:
    actor = me()
    deciders = authz.may_decide_extensions(actor)
    view = (arg_choice("view", "视图", VIEWS) or ("awaiting" if deciders else "all")) if deciders else "all"
    status = arg_choice("status", "状态", ExtensionStatus.labels())
    cursor = arg_text("cursor", max_length=100)
    with reading() as work:
        found = list_extensions(work, actor, status=status, awaiting_me=view == "awaiting", limit=30, cursor=cursor)
    return render_template(
        "extensions.html",
        page=found,
        view=view,
        views=VIEWS if deciders else {},
        status=status,
        statuses=ExtensionStatus.labels(),
        deciders=deciders,
        withdrawable={
            e.id
            for e in found.items
            if e.status == "pending" and authz.permits(authz.ensure_can_withdraw_extension, actor, e.unit_id)
        },
        errors=errors or FormErrors(),
        values=values or {},
    )


@bp.get("/extensions")
@login_required
def extensions_page() -> Any:
    return _render_list(*form_state())


@bp.post("/human-tasks/<int(max=2147483647):task_id>/extension")
@login_required
def extension_request(task_id: int) -> Any:
    values = {"new_due_date": request.form.get("new_due_date", ""), "reason": request.form.get("reason", "")}
    try:
        with writing() as work:
            request_extension(work, me(), task_id, new_due_date=values["new_due_date"], reason=values["reason"])
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors()
        errors.take(error, set(values))
        return back_to(url_for("web.human_task_page", task_id=task_id, _anchor="extension"), errors, values)
    flash(f"延期申请已提交(延至 {values['new_due_date']}),请等待督查室审批。", "success")
    return redirect(url_for("web.human_task_page", task_id=task_id, _anchor="extension"))


@bp.post("/extensions/<int(max=2147483647):extension_id>/decide")
@login_required
def extension_decide(extension_id: int) -> Any:
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "")
    try:
        with writing() as work:
            view = decide_extension(work, me(), extension_id, decision=decision, comment=comment)
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors()
        prefix = f"{extension_id}."
        if error.field in ("decision", "comment"):
            errors[prefix + error.field] = error.detail
        else:
            errors[prefix + "form"] = error.detail
        return back_to(url_for("web.extensions_page") + query_with(), errors, {prefix + "comment": comment})
    if view.status == "pending":
        flash(f"已同意,延期申请 #{extension_id} 已转区领导审批。", "success")
    else:
        flash(f"延期申请 #{extension_id}:{view.status_name}。", "success")
    return redirect(url_for("web.extensions_page") + query_with())
