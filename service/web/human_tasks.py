"""办理: the page of one human task, at /human-tasks/<id> (the API's address for it too; the old
/steps/<id> addresses redirect here). Everything needed to do the step (from
``operations/queries/human_tasks.py``), its form, the cycle's history and diagram; submitting it
completes the human task through ``complete_human_task``.

A submission is one transaction: the attachments and the completion are written together or not
at all. On an error the page comes back with what was typed and the message beside its field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for

from ..errors import DomainError
from ..exports.notice_docx import notice_docx
from ..headers import attachment_response
from ..operations.common import authz
from ..operations.cycles.attachments import open_attachment, upload_attachment
from ..operations.cycles.complete import complete_human_task
from ..operations.cycles.rework import remove_attachment
from ..operations.queries.cycle_views import cycle_diagram
from ..operations.queries.human_tasks import HumanTaskDetail, human_task_detail
from ..operations.queries.moves import step_moves
from ..operations.queries.notices import overdue_notice
from ..operations.queries.progress import cycle_report, key_task_indicators
from ..operations.supervision.extensions import list_extensions
from ..security import login_required
from .base import FormErrors, bp, diagram_data, form_state, me, reading, runtime, writing


def _progress_of(work: Any, actor: Any, detail: HumanTaskDetail) -> dict[str, Any]:
    """What the page shows of progress: the key task's indicators and light at this round; on a step
    that takes a report, the unit's current one (to fill the form again after a 退回); on the review
    steps, the report under review."""
    indicators = key_task_indicators(work, actor, detail.key_task.id, round_name=detail.round, include_retired=False)
    mine = None
    if detail.form.progress and detail.unit_id is not None:
        mine = cycle_report(work, detail.cycle_id, detail.unit_id)
    reviewed = cycle_report(work, detail.cycle_id) if detail.party in ("supervisor", "leader") else None
    return {"part": detail.form.progress, "indicators": indicators, "mine": mine, "reviewed": reviewed}


def _progress_form(form: Any, part: str | None) -> dict[str, Any] | None:
    """The progress fields of a submitted step form (``progress.*``); None when nothing was filled in."""
    if part is None:
        return None
    values = {
        key[len("progress.values.") :]: value.strip()
        for key, value in form.items()
        if key.startswith("progress.values.") and value.strip()
    }
    given: dict[str, Any] = {"values": values} if values else {}
    if part == "total":
        for name in ("percent", "problems", "next_steps"):
            value = form.get(f"progress.{name}", "").strip()
            if value:
                given[name] = value
    return given or None


def render_human_task(task_id: int, *, values: dict[str, str] | None = None, errors: FormErrors | None = None) -> str:
    actor = me()
    with reading() as work:
        detail = human_task_detail(work, actor, task_id)
        diagram = cycle_diagram(work, actor, detail.cycle_id)
        extensions = list_extensions(work, actor, human_task_id=task_id, limit=10).items
        progress = _progress_of(work, actor, detail)
        moves = step_moves(work, actor, task_id)
    return render_template(
        "human_task.html",
        step=detail,
        diagram=diagram_data(diagram),
        extensions=extensions,
        moves=moves,
        withdrawable={
            e.id
            for e in extensions
            if e.status == "pending" and authz.permits(authz.ensure_can_withdraw_extension, actor, e.unit_id)
        },
        may_ask_extension=detail.can_request_extension,
        may_issue_notices=authz.may_issue_notices(actor),
        values=values or {},
        errors=errors or FormErrors(),
        progress=progress,
        max_mb=runtime().config.attachments.max_mb,
        allowed_types=runtime().config.attachments.allowed_types,
    )


@bp.route("/steps/<int(max=2147483647):task_id>", methods=["GET", "POST"])
@bp.route("/steps/<int(max=2147483647):task_id>/<any(extension):form>", methods=["POST"])
def old_step_address(task_id: int, form: str | None = None) -> Any:
    """The page's former addresses (/steps/<id> and its /extension form): bookmarks and links in
    old notices keep working. 308 keeps a form's method and body."""
    target = f"/human-tasks/{task_id}" + (f"/{form}" if form else "")
    query = request.query_string.decode("latin-1")
    return redirect(target + (f"?{query}" if query else ""), code=308)


@bp.get("/human-tasks/<int(max=2147483647):task_id>")
@login_required
def human_task_page(task_id: int) -> Any:
    errors, values = form_state()  # a refused extension request comes back here
    return render_human_task(task_id, values=values, errors=errors)


@bp.post("/human-tasks/<int(max=2147483647):task_id>")
@login_required
def human_task_submit(task_id: int) -> Any:
    actor = me()
    data = {key[len("data.") :]: value for key, value in request.form.items() if key.startswith("data.")}
    decision = request.form.get("decision") or None
    comment = request.form.get("comment", "")
    files = [f for f in request.files.getlist("files") if f.filename]
    values = {f"data.{k}": v for k, v in data.items()} | {"decision": decision or "", "comment": comment}
    values |= {k: v for k, v in request.form.items() if k.startswith("progress.")}
    part = request.form.get("progress_part") or None
    try:
        with writing() as work:
            for upload in files:
                upload_attachment(work, actor, task_id, upload.filename or "", upload.read())
            done = complete_human_task(
                work,
                actor,
                task_id,
                data=data,
                decision=decision,
                comment=comment,
                progress=_progress_form(request.form, part if part in ("total", "share") else None),
            )
    except DomainError as error:
        errors = FormErrors()
        errors.take(error, {*values, "files"}, rename={"file": "files"})
        if files and "files" not in errors:
            errors["files"] = "本次提交未成功,请重新选择要上传的附件。"
        return render_human_task(task_id, values=values, errors=errors), error.status
    message = f"「{done.task.step_name}」已办理完毕" + (f",结论:{done.decision_label}。" if done.decision else "。")
    if done.closed:
        message += "本轮办理已办结。"
    flash(message, "success")
    return redirect(url_for("web.inbox_page"))


@bp.post("/attachments/<int(max=2147483647):attachment_id>/remove")
@login_required
def attachment_remove(attachment_id: int) -> Any:
    task_id = request.form.get("task", "")
    back = url_for("web.human_task_page", task_id=int(task_id)) if task_id.isdigit() else url_for("web.inbox_page")
    try:
        with writing() as work:
            remove_attachment(work, me(), attachment_id)
    except DomainError as error:
        if error.status not in (403, 409, 422):
            raise
        flash(error.detail, "error")
        return redirect(back)
    flash("附件已移除。", "success")
    return redirect(back)


@bp.get("/attachments/<int(max=2147483647):attachment_id>")
@login_required
def attachment_download(attachment_id: int) -> Any:
    # A write transaction: the download is an audit event.
    with writing() as work:
        view, path = open_attachment(work, me(), attachment_id)
    return attachment_response(view, path)


@bp.get("/human-tasks/<int(max=2147483647):task_id>/notice.docx")
@login_required
def overdue_notice_docx(task_id: int) -> Any:
    """督办通知单 of an overdue step, as a Word file to print and stamp (the office and leaders)."""
    with reading() as work:
        notice = overdue_notice(work, me(), task_id)
        data = notice_docx(notice, work.runtime.config.tz)
    name = quote(f"督办通知单-{notice.addressee}-{task_id}.docx")
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": f"attachment; filename=\"notice-{task_id}.docx\"; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )
