"""Files attached to steps.

- Upload: whoever may act on an open step may attach files to it; size limit ([attachments]
  max_mb, 413 past it) and a type allow-list checked by the name's extension *and* the content
  (a renamed .exe is refused). The content type we serve is ours, never the client's.
- Storage: content-addressed under [attachments] storage_dir (``ab/abcdef…``, the sha256): the
  same file twice is stored once. The file is written before the transaction commits; if it then
  rolls back, an unreferenced file may stay behind (harmless: the next upload of it reuses it).
- Download: by whoever may read the step's content (authz.sees_step_content).
Uploads and downloads are audit events.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from db.models import Attachment, Cycle, HumanTask, HumanTaskState, User

from ...errors import Conflict, Invalid, NotFound, TooLarge
from ...runtime import Work
from ..common import audit, authz
from ..common.actor import Actor

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip_with(*members: str) -> Callable[[bytes], bool]:
    def check(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return False
        return all(m in names for m in members)

    return check


def _text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(ch in "\t\r\n\f" or unicodedata.category(ch) != "Cc" for ch in text)
    return False


# extension -> (content type we serve, content check)
TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", lambda d: d.startswith(b"%PDF-")),
    "png": ("image/png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    "gif": ("image/gif", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    "doc": ("application/msword", lambda d: d.startswith(OLE2)),
    "xls": ("application/vnd.ms-excel", lambda d: d.startswith(OLE2)),
    "wps": ("application/vnd.ms-works", lambda d: d.startswith(OLE2)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _zip_with("[Content_Types].xml", "word/document.xml"),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _zip_with("[Content_Types].xml", "xl/workbook.xml"),
    ),
    "ofd": ("application/ofd", _zip_with("OFD.xml")),
    "zip": ("application/zip", _zip_with()),
    "txt": ("text/plain; charset=utf-8", _text),
}


@dataclass(frozen=True)
class AttachmentView:
    id: int
    human_task_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_at: datetime


def clean_filename(name: str) -> str:
    """The last path part, without control characters, at most 200 characters (extension kept)."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def storage_dir(work: Work) -> Path:
    return work.runtime.config.path(work.runtime.config.attachments.storage_dir)


def stored_path(work: Work, sha256: str) -> Path:
    return storage_dir(work) / sha256[:2] / sha256


def upload_attachment(work: Work, actor: Actor, human_task_id: int, filename: str, data: bytes) -> AttachmentView:
    """Attaches a file to an open step the actor may act on."""
    config = work.runtime.config.attachments
    task = work.session.get(HumanTask, human_task_id)
    if task is None:
        raise authz.step_not_found(human_task_id)
    authz.ensure_sees_human_task(work.session, actor, task)
    authz.ensure_can_act(actor, task, work.runtime.config)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(f"“{task.step_name}”已经办理完毕,不能再添加附件")
    limit = config.max_mb * 1024 * 1024
    if len(data) > limit:
        raise TooLarge(f"附件不能超过 {config.max_mb} MB", field="file")
    name = clean_filename(filename)
    if not name:
        raise Invalid("请选择要上传的文件(文件名为空)", field="file")
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    allowed = config.allowed_types
    if ext not in allowed or ext not in TYPES:
        raise Invalid(f"不支持的文件类型“.{ext}”,允许的类型: {'、'.join(allowed)}", field="file")
    if not data:
        raise Invalid("文件是空的", field="file")
    content_type, looks_right = TYPES[ext]
    if not looks_right(data):
        raise Invalid(f"文件内容与扩展名 .{ext} 不符(文件可能已损坏或被改了扩展名)", field="file")
    digest = hashlib.sha256(data).hexdigest()
    _store(work, digest, data)
    attachment = Attachment(
        human_task_id=task.id,
        cycle_id=task.cycle_id,
        sha256=digest,
        filename=name,
        content_type=content_type,
        size=len(data),
        uploaded_by_id=actor.user_id,
        uploaded_at=work.now,
    )
    work.session.add(attachment)
    work.session.flush()
    audit.record(
        work,
        actor,
        "attachment.uploaded",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"attachment_id": attachment.id, "filename": name, "size": len(data), "sha256": digest},
    )
    return AttachmentView(
        id=attachment.id,
        human_task_id=task.id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor.display_name,
        uploaded_at=work.now,
    )


def _store(work: Work, digest: str, data: bytes) -> None:
    target = stored_path(work, digest)
    if target.exists() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside it and rename: a reader never sees half a file, two writers never mix.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def attachments_of(work: Work, human_task_ids: list[int]) -> dict[int, list[AttachmentView]]:
    """Attachments per step, oldest first (callers have checked who may see those steps)."""
    if not human_task_ids:
        return {}
    out: dict[int, list[AttachmentView]] = {}
    for attachment, uploader in work.session.execute(
        select(Attachment, User.display_name)
        .outerjoin(User, User.id == Attachment.uploaded_by_id)
        .where(Attachment.human_task_id.in_(human_task_ids))
        .order_by(Attachment.human_task_id, Attachment.id)
    ):
        out.setdefault(attachment.human_task_id, []).append(_view(attachment, uploader))
    return out


def list_attachments(work: Work, actor: Actor, human_task_id: int) -> list[AttachmentView]:
    task = work.session.get(HumanTask, human_task_id)
    if task is None:
        raise authz.step_not_found(human_task_id)
    _ensure_reads(work, actor, task)
    return attachments_of(work, [task.id]).get(task.id, [])


def open_attachment(work: Work, actor: Actor, attachment_id: int) -> tuple[AttachmentView, Path]:
    """The attachment and where its bytes are, for a reader allowed to see the step's content."""
    row = work.session.execute(
        select(Attachment, User.display_name)
        .outerjoin(User, User.id == Attachment.uploaded_by_id)
        .where(Attachment.id == attachment_id)
    ).first()
    if row is None:
        raise _attachment_not_found(attachment_id)
    attachment, uploader = row
    task = work.session.get(HumanTask, attachment.human_task_id)
    assert task is not None
    try:
        _ensure_reads(work, actor, task)
    except NotFound:
        raise _attachment_not_found(attachment_id) from None
    path = stored_path(work, attachment.sha256)
    if not path.is_file():
        raise NotFound(f"附件 {attachment_id} 的文件已不在存储目录中,请联系系统管理员")
    audit.record(
        work,
        actor,
        "attachment.downloaded",
        cycle_id=task.cycle_id,
        human_task_id=task.id,
        step_id=task.step_id,
        unit_id=task.unit_id,
        data={"attachment_id": attachment.id},
    )
    return _view(attachment, uploader), path


def _ensure_reads(work: Work, actor: Actor, task: HumanTask) -> None:
    """NotFound, as for a missing step, unless the actor may read what was written on it."""
    lead_unit_id = work.session.scalar(select(Cycle.lead_unit_id).where(Cycle.id == task.cycle_id))
    try:
        authz.ensure_sees_cycle(work.session, actor, task.cycle_id)
    except NotFound:
        raise authz.step_not_found(task.id) from None
    if lead_unit_id is None or not authz.sees_step_content(actor, task.unit_id, lead_unit_id):
        raise authz.step_not_found(task.id)


def _attachment_not_found(attachment_id: int) -> NotFound:
    return NotFound(f"附件 {attachment_id} 不存在或无权查看")


def _view(attachment: Attachment, uploader: str | None) -> AttachmentView:
    return AttachmentView(
        id=attachment.id,
        human_task_id=attachment.human_task_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_by=uploader,
        uploaded_at=attachment.uploaded_at,
    )
