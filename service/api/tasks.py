"""/api/v1/inbox, /api/v1/human-tasks and attachments: doing the steps."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app

from ..exports.notice_docx import notice_docx
from ..headers import attachment_response
from ..operations.cycles.attachments import list_attachments, open_attachment, upload_attachment
from ..operations.cycles.complete import complete_human_task
from ..operations.cycles.rework import remove_attachment
from ..operations.queries.human_tasks import human_task_detail
from ..operations.queries.inbox import InboxItem
from ..operations.queries.inbox import inbox as inbox_page
from ..operations.queries.notices import overdue_notice
from .base import ID, Blueprint, acting, upload_limit
from .schemas.base import in_utc
from .schemas.human_tasks import (
    AttachmentListSchema,
    AttachmentSchema,
    CompleteSchema,
    CompletionSchema,
    HumanTaskSchema,
    InboxItemSchema,
    InboxQuery,
    InboxSchema,
    UploadArgs,
)
from .scores import DOCX
from .scores import download as file_download

blp = Blueprint("tasks", __name__, url_prefix="/api/v1", description="待办与办理")


@blp.route("/inbox", methods=["GET"])
@blp.arguments(InboxQuery, location="query")
@blp.response(200, InboxSchema)
def inbox(args: dict[str, Any]) -> Any:
    """我的待办(state=open,按截止时间)或已办(state=done,最近的在前),用 next_cursor 翻页。"""
    with acting() as (actor, work):
        page = inbox_page(
            work,
            actor,
            state=args["state"],
            limit=args["limit"],
            cursor=args.get("cursor"),
            light=args.get("light"),
            key_task_id=args.get("key_task"),
            round_name=args.get("round"),
            plan_id=args.get("plan"),
            order=args.get("order"),
            outcome=args.get("outcome"),
        )
    # The busiest read of all, written out directly: the same JSON InboxSchema documents (the
    # schemathesis run checks it), at a fraction of marshmallow's cost per item.
    body = {"items": [_item(item) for item in page.items], "total": page.total, "next_cursor": page.next_cursor}
    return current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/json")


def _item(item: InboxItem) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in INBOX_FIELDS}
    for name in ("ready_at", "due_at", "completed_at"):
        if out[name] is not None:
            out[name] = in_utc(out[name]).isoformat()
    return out


INBOX_FIELDS = tuple(InboxItemSchema().fields)


@blp.route(f"/human-tasks/<{ID}:task_id>", methods=["GET"])
@blp.response(200, HumanTaskSchema)
def human_task(task_id: int) -> Any:
    """办理一个环节所需的一切:任务正文、表单、汇总时各配合单位意见、审核审批时的报送材料、附件、办理经过。"""
    with acting() as (actor, work):
        return human_task_detail(work, actor, task_id)


@blp.route(f"/human-tasks/<{ID}:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, CompletionSchema)
@blp.problem(403, "不是本单位或本角色的待办")
@blp.problem(409, "该环节已经办理过")
@blp.problem(422, "决定无效、退回或驳回缺少意见、字段类型不对(field 指出字段)")
def complete(args: dict[str, Any], task_id: int) -> Any:
    """办理一个环节。要填的字段和可选的决定由流程图声明,见该待办的 form(fields、decision_options,
    哪些决定须填 comment)。随附的流程图中:co_input 填 data.text;consolidate 填 data.report;
    review 决定 pass/return;approve 决定 approve/reject;退回、驳回须填 comment;dispatch、sign_for 无需填写。

    进展报送(可选):consolidate 可附 progress = {percent 总体完成比例 0–100, problems 存在问题,
    next_steps 下步打算, values {指标 id: 截至目前的累计值}};co_input 可附 progress = {values {…}}
    (本单位承担的分项值)。累计值以指标的计量单位计(个、户等须为不小于 0 的整数)。退回后重新报送的值
    替换此前的值,此前的值作为历史保留。"""
    with acting(write=True) as (actor, work):
        done = complete_human_task(
            work,
            actor,
            task_id,
            data=args.get("data"),
            decision=args.get("decision"),
            comment=args.get("comment"),
            progress=args.get("progress"),
        )
    return {
        "id": done.task.id,
        "cycle_id": done.cycle_id,
        "step": done.task.step_id,
        "decision": done.decision,
        "cycle_closed": done.closed,
        "opened": done.opened,
    }


def _attachment_limit(runtime: Any) -> int:
    limit: int = runtime.config.attachments.max_mb * 1024 * 1024
    return limit


@blp.route(f"/human-tasks/<{ID}:task_id>/attachments", methods=["GET"])
@blp.response(200, AttachmentListSchema)
def attachments(task_id: int) -> Any:
    """一个环节的附件。"""
    with acting() as (actor, work):
        return {"items": list_attachments(work, actor, task_id)}


@blp.route(f"/human-tasks/<{ID}:task_id>/attachments", methods=["POST"])
@upload_limit(_attachment_limit)
@blp.arguments(UploadArgs, location="multipart")
@blp.response(201, AttachmentSchema)
@blp.problem(413, "超过大小上限")
def upload(args: dict[str, Any], task_id: int) -> Any:
    """为自己可办理的未办结环节上传附件(multipart 字段 file;类型按扩展名和内容双重检查)。"""
    upload = args["file"]
    data = upload.read()
    with acting(write=True) as (actor, work):
        return upload_attachment(work, actor, task_id, upload.filename or "", data)


@blp.route(f"/attachments/<{ID}:attachment_id>", methods=["DELETE"])
@blp.response(204)
@blp.problem(403, "不是该环节的办理人")
@blp.problem(409, "该环节已办结")
def remove(attachment_id: int) -> Any:
    """从未办结的环节移除一个附件(如退回后沿用的上一版附件);该附件在此前版本中仍然保留。"""
    with acting(write=True) as (actor, work):
        remove_attachment(work, actor, attachment_id)
    return ""


@blp.route(f"/attachments/<{ID}:attachment_id>", methods=["GET"])
@blp.response(200, description="附件内容", content_type="application/octet-stream")
def download(attachment_id: int) -> Any:
    """下载附件(可查看该环节内容的人)。"""
    with acting(write=True) as (actor, work):
        view, path = open_attachment(work, actor, attachment_id)
    return attachment_response(view, path)


@blp.route(f"/human-tasks/<{ID}:task_id>/notice.docx", methods=["GET"])
@blp.response(200, description="督办通知单(Word 文件)")
def overdue_notice_file(task_id: int) -> Any:
    """逾期环节的督办通知单(.docx):发给承办单位,写明重点任务、环节、期限、逾期工作日数和督办等级,留有盖章处和
    回执。督查室和区领导可出具;环节已办理或尚未逾期时 409。"""
    with acting() as (actor, work):
        notice = overdue_notice(work, actor, task_id)
        data = notice_docx(notice, work.runtime.config.tz)
    return file_download(data, DOCX, f"notice-{task_id}.docx", f"督办通知单-{notice.addressee}-{task_id}.docx")
