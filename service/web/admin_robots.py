"""管理 · 单位群机器人 (admins): the 企业微信 or 钉钉 group robot a unit's notices are copied to."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..errors import DomainError
from ..operations.directory.robots import remove_robot, robot_of, set_robot
from ..security import login_required
from ..vocabulary import RobotChannel
from .base import FORM_STATUSES, FormErrors, back_to, bp, form_state, me, reading, writing

FIELDS = ("channel", "url", "secret")


@bp.get("/admin/units/<int(max=2147483647):unit_id>/robot")
@login_required
def admin_unit_robot(unit_id: int) -> Any:
    errors, values = form_state()
    with reading() as work:
        robot = robot_of(work, me(), unit_id)
    return render_template(
        "admin_unit_robot.html", robot=robot, channels=RobotChannel.labels(), errors=errors, values=values
    )


@bp.post("/admin/units/<int(max=2147483647):unit_id>/robot")
@login_required
def admin_unit_robot_save(unit_id: int) -> Any:
    page = url_for("web.admin_unit_robot", unit_id=unit_id)
    values = {"channel": request.form.get("channel", ""), "url": request.form.get("url", "")}
    secret = request.form.get("secret", "")
    try:
        with writing() as work:
            if request.form.get("remove"):
                remove_robot(work, me(), unit_id)
                message = "已取消该单位的群机器人。"
            else:
                # An empty secret field keeps the secret set before; the box clears it.
                keep = None if not secret.strip() and not request.form.get("clear_secret") else secret
                set_robot(work, me(), unit_id, channel=values["channel"], url=values["url"], secret=keep)
                message = "已保存群机器人设置。"
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors()
        errors.take(error, FIELDS)
        return back_to(page, errors, values)  # the secret is never carried back
    flash(message, "success")
    return redirect(page)
