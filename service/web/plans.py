"""计划导入: upload a plan, see every parsed key task and every problem, correct unit names, then
confirm. Nothing is written before the confirmation: every step before it is a dry run of
``import_plan``.

Between the requests the uploaded bytes wait in a server-side file named by a random token; the
token is tied to the uploader's session and account, so nobody else can confirm (or read) it.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for

from ..errors import Conflict, DomainError, Invalid, NotFound
from ..operations.common.authz import ensure_can_import_plans
from ..operations.directory.plan_import import ImportResult, import_plan
from ..operations.directory.plan_status import list_plans
from ..operations.directory.units import list_units, unit_directory
from ..security import login_required
from ..vocabulary import PlanStatus, TaskRevision
from .base import FormErrors, bp, me, reading, runtime, writing

ACCEPTED = (".txt", ".docx", ".xlsx")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
KEEP_SECONDS = 24 * 3600
SESSION_KEY = "plan_upload"


def _folder() -> Path:
    # Beside the secret key: the service's own writable data directory (var/ by default).
    config = runtime().config
    folder = config.path(config.server.secret_key_file).parent / "plan-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep(data: bytes, filename: str, user_id: int | None) -> str:
    folder = _folder()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():  # uploads nobody confirmed within a day
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"filename": filename, "user_id": user_id}), encoding="utf-8")
    session[SESSION_KEY] = token
    return token


def _kept(token: str) -> tuple[bytes, str]:
    """The upload of this session and account, or NotFound (expired, another person's, made up)."""
    if not TOKEN.match(token) or session.get(SESSION_KEY) != token:
        raise NotFound("找不到这次上传的文件(可能已过期),请重新上传")
    folder = _folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise NotFound("找不到这次上传的文件(可能已过期),请重新上传") from None
    if meta.get("user_id") != me().user_id:
        raise NotFound("找不到这次上传的文件(可能已过期),请重新上传")
    return data, str(meta.get("filename") or "plan.txt")


def _forget(token: str) -> None:
    folder = _folder()
    for suffix in (".bin", ".json"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)


def _renames() -> dict[str, str]:
    """rename_from_N / rename_to_N pairs of the preview's correction form."""
    pairs: dict[str, str] = {}
    for key, value in request.form.items():
        if key.startswith("rename_from_"):
            target = request.form.get("rename_to_" + key[len("rename_from_") :], "").strip()
            if value.strip() and target:
                pairs[value.strip()] = target
    return pairs


def _revision_choice() -> dict[str, Any]:
    """The preview's choice of what the file is: ``revision_of`` (a plan id, or "new" for a new
    plan; absent: recognised by title and year), ``apply_to_running``, ``expected_revision``."""
    choice = request.form.get("revision_of", "").strip()
    expected = request.form.get("expected_revision", "").strip()
    return {
        "revision_of": int(choice) if choice.isdigit() and len(choice) < 10 else None,
        "as_new": choice == "new",
        "apply_to_running": request.form.get("apply_to_running") == "1",
        "expected_revision": int(expected) if expected.isdigit() and len(expected) < 10 else None,
    }


def _preview(
    result: ImportResult,
    token: str,
    renames: dict[str, str],
    create_units: bool,
    errors: FormErrors,
    apply_to_running: bool = False,
) -> str:
    with reading() as work:
        # Corrections may name a unit, a group word (区直各部门) or several units.
        units = [u.name for u in list_units(work.session)] + sorted(unit_directory(work.session).groups)
        plans = [
            p
            for p in list_plans(work.session)
            if p.status != PlanStatus.ARCHIVED or (result.revision is not None and p.id == result.revision.plan_id)
        ]
    return render_template(
        "plan_preview.html",
        result=result,
        token=token,
        renames=renames,
        create_units=create_units,
        units=units,
        plans=plans,
        apply_to_running=apply_to_running,
        errors=errors,
        REVISION=TaskRevision,
    )


@bp.get("/plans/import")
@login_required
def plan_import() -> Any:
    ensure_can_import_plans(me())
    return render_template("plan_import.html", errors=FormErrors())


@bp.post("/plans/import")
@login_required
def plan_upload() -> Any:
    actor = me()
    ensure_can_import_plans(actor)
    upload = request.files.get("file")
    errors = FormErrors()
    if upload is None or not upload.filename:
        errors["file"] = "请选择要导入的计划文件(.txt、.docx 或 .xlsx)"
        return render_template("plan_import.html", errors=errors), 422
    if not upload.filename.lower().endswith(ACCEPTED):
        errors["file"] = f"不支持的文件类型“{upload.filename}”,请上传 .txt、.docx 或 .xlsx 文件"
        return render_template("plan_import.html", errors=errors), 422
    data = upload.read()
    try:
        with reading() as work:
            result = import_plan(work, actor, data, upload.filename, dry_run=True)
    except DomainError as error:
        errors.take(error, ("file",))
        return render_template("plan_import.html", errors=errors), error.status
    token = _keep(data, upload.filename, actor.user_id)
    return _preview(result, token, {}, False, errors)


@bp.post("/plans/import/<token>")
@login_required
def plan_confirm(token: str) -> Any:
    actor = me()
    ensure_can_import_plans(actor)
    data, filename = _kept(token)
    renames = _renames()
    create_units = request.form.get("create_units") == "1"
    choice = _revision_choice()
    confirm = request.form.get("action") == "confirm"
    errors = FormErrors()
    try:
        if confirm:
            with writing() as work:
                result = import_plan(
                    work, actor, data, filename, dry_run=False, create_units=create_units, renames=renames, **choice
                )
                if not result.ok:  # nothing was written; show why
                    raise _NotImported(result)
        else:
            with reading() as work:
                result = import_plan(
                    work, actor, data, filename, dry_run=True, create_units=create_units, renames=renames, **choice
                )
    except _NotImported as refused:
        errors[FormErrors.FORM] = "尚不能导入,请先处理下面列出的问题。"
        return _preview(refused.result, token, renames, create_units, errors, choice["apply_to_running"]), 422
    except (Invalid, Conflict) as error:
        # A correction that names nothing, or a revision someone else confirmed first: the page
        # shows the file against the plan as it is now, with every entry the user made kept.
        errors.take(error, ("renames",))
        fresh = {**choice, "expected_revision": None}
        if error.field == "revision_of":
            fresh = {**fresh, "revision_of": None}
        with reading() as work:
            result = import_plan(work, actor, data, filename, dry_run=True, create_units=create_units, **fresh)
        return _preview(result, token, renames, create_units, errors, choice["apply_to_running"]), error.status
    if not confirm:
        return _preview(result, token, renames, create_units, errors, choice["apply_to_running"])
    _forget(token)
    if result.revised and result.revision is not None:
        r = result.revision
        flash(
            f"已修订《{r.title}》(第{r.revision + 1}版):修改 {r.count(TaskRevision.CHANGED)} 项,"
            f"新增 {r.count(TaskRevision.ADDED)} 项,删除 {r.count(TaskRevision.REMOVED)} 项。",
            "success",
        )
    elif result.already_imported:
        flash(f"这个文件此前已导入过(计划 #{result.plan_id}),未重复导入。", "warning")
    else:
        flash(
            f"已导入《{result.parsed.title}》,共 {len(result.parsed.tasks)} 项重点任务,现为草稿:"
            "核对无误后请发布,报送轮次才会开启。",
            "success",
        )
    return redirect(url_for("web.plans_page"))


class _NotImported(Exception):
    """Raised inside the write transaction so that it rolls back (nothing was written anyway)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("not imported")
        self.result = result
