"""办理: the page of one human task, at /human-tasks/<id> (the API's address for it too; the old
/steps/<id> addresses redirect here). Everything needed to do the step (from
``operations/queries/human_tasks.py``), its form, the cycle's history and diagram; submitting it
completes the human task through ``complete_human_task``.

A submission is one transaction: the attachments and the completion are written together or not
at all. On an error the page comes back with what was typed and the message beside its field.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..errors import DomainError
from ..headers import attachment_response
from ..operations.cycles.attachments import open_attachment, upload_attachment
from ..operations.cycles.complete import complete_human_task
from ..operations.queries.cycle_views import cycle_diagram
from ..operations.queries.human_tasks import human_task_detail
from ..operations.supervision.extensions import list_extensions
from ..security import login_required
from .base import FormErrors, bp, form_state, me, reading, runtime, writing


def render_human_task(task_id: int, *, values: dict[str, str] | None = None, errors: FormErrors | None = None) -> str:
    actor = me()
    with reading() as work:
        detail = human_task_detail(work, actor, task_id)
        diagram = cycle_diagram(work, actor, detail.cycle_id)
        extensions = list_extensions(work, actor, human_task_id=task_id, limit=10).items
    return render_template(
        "human_task.html",
        step=detail,
        diagram={"xml": diagram.xml, "states": diagram.element_states},
        extensions=extensions,
        may_ask_extension=detail.can_request_extension,
        values=values or {},
        errors=errors or FormErrors(),
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
    try:
        with writing() as work:
            for upload in files:
                upload_attachment(work, actor, task_id, upload.filename or "", upload.read())
            done = complete_human_task(work, actor, task_id, data=data, decision=decision, comment=comment)
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


@bp.get("/attachments/<int(max=2147483647):attachment_id>")
@login_required
def attachment_download(attachment_id: int) -> Any:
    # A write transaction: the download is an audit event.
    with writing() as work:
        view, path = open_attachment(work, me(), attachment_id)
    return attachment_response(view, path)
