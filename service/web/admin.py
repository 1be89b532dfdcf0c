"""管理 (admins): people who log in, the units and their groups."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..errors import Conflict, DomainError, Invalid
from ..operations.common.authz import ensure_can_manage
from ..operations.directory.unit_admin import (
    add_alias,
    add_unit,
    list_groups,
    remove_alias,
    save_group,
    set_unit_active,
    unit_open_steps,
)
from ..operations.directory.units import list_units
from ..operations.directory.users import add_user, disable_user, enable_user, list_users, reset_password
from ..operations.queries.moves import active_units
from ..security import login_required
from ..vocabulary import PERSON_ROLES, UnitKind
from .base import FORM_STATUSES, FormErrors, back_to, bp, form_state, me, reading, to_int, writing

USER_FIELDS = ("username", "display_name", "unit", "role", "password", "email", "mobile")
ROLES = {role.value: role.label for role in PERSON_ROLES}


def _users_page(errors: FormErrors | None = None, values: dict[str, str] | None = None) -> str:
    actor = me()
    with reading() as work:
        users = list_users(work, actor)
        units = list_units(work.session)
    return render_template(
        "admin_users.html", users=users, units=units, roles=ROLES, errors=errors or FormErrors(), values=values or {}
    )


@bp.get("/admin/users")
@login_required
def admin_users() -> Any:
    ensure_can_manage(me(), "管理用户")
    return _users_page(*form_state())


@bp.post("/admin/users")
@login_required
def admin_user_add() -> Any:
    values = {name: request.form.get(name, "") for name in USER_FIELDS}
    try:
        with writing() as work:
            added = add_user(
                work,
                me(),
                values["username"],
                unit_name=values["unit"],
                role=values["role"],
                password=values["password"],
                display_name=values["display_name"],
                email=values["email"],
                mobile=values["mobile"],
            )
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors()
        field = "username" if error.status == 409 and not error.field else error.field
        errors[field if field in USER_FIELDS else FormErrors.FORM] = error.detail
        return back_to(url_for("web.admin_users"), errors, values)  # the password is never carried back
    flash(f"已添加账号 {added.username}({added.role_name},{added.unit})。", "success")
    return redirect(url_for("web.admin_users"))


@bp.post("/admin/users/<username>/<action>")
@login_required
def admin_user_change(username: str, action: str) -> Any:
    actor = me()
    if action not in ("disable", "enable", "password"):
        raise Invalid("未知的操作", field="action")
    try:
        with writing() as work:
            if action == "disable":
                disable_user(work, actor, username)
                message = f"已停用账号 {username},其登录会话和访问令牌已失效。"
            elif action == "enable":
                enable_user(work, actor, username)
                message = f"已启用账号 {username}。"
            else:
                reset_password(work, actor, username, request.form.get("password", ""))
                message = f"已重设 {username} 的密码,其原有登录已失效。"
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors({f"{username}.{action}": error.detail})
        return back_to(url_for("web.admin_users", _anchor=f"u-{username}"), errors)
    flash(message, "success")
    return redirect(url_for("web.admin_users", _anchor=f"u-{username}"))


# -- units and groups ------------------------------------------------------------------------


def _units_page(errors: FormErrors | None = None, values: dict[str, str] | None = None) -> str:
    ensure_can_manage(me(), "管理单位")
    with reading() as work:
        units = list_units(work.session, include_inactive=True)
        groups = list_groups(work)
    return render_template(
        "admin_units.html",
        units=units,
        groups=groups,
        kinds={k.value: k.label for k in UnitKind if k != UnitKind.DISTRICT},
        errors=errors or FormErrors(),
        values=values or {},
    )


@bp.get("/admin/units")
@login_required
def admin_units() -> Any:
    return _units_page(*form_state())


@bp.post("/admin/units")
@login_required
def admin_unit_add() -> Any:
    values = {"name": request.form.get("name", ""), "kind": request.form.get("kind", "")}
    try:
        with writing() as work:
            add_unit(work, me(), values["name"], values["kind"])
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors()
        errors.take(error, ("name", "kind"))
        return back_to(url_for("web.admin_units"), errors, values)
    flash(f"已添加单位“{values['name'].strip()}”。", "success")
    return redirect(url_for("web.admin_units"))


@bp.post("/admin/units/<int(max=2147483647):unit_id>/<action>")
@login_required
def admin_unit_change(unit_id: int, action: str) -> Any:
    if action not in ("disable", "enable", "alias", "unalias"):
        raise Invalid("未知的操作", field="action")
    alias = request.form.get("alias", "")
    try:
        with writing() as work:
            if action in ("disable", "enable"):
                set_unit_active(work, me(), unit_id, action == "enable")
            elif action == "alias":
                add_alias(work, me(), unit_id, alias)
            else:
                remove_alias(work, me(), alias)
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors({f"{unit_id}.{action}": error.detail})
        return back_to(url_for("web.admin_units", _anchor=f"unit-{unit_id}"), errors, {f"{unit_id}.alias": alias})
    flash("已保存。", "success")
    return redirect(url_for("web.admin_units", _anchor=f"unit-{unit_id}"))


@bp.get("/admin/units/<int(max=2147483647):unit_id>/disable")
@login_required
def admin_unit_disable(unit_id: int) -> Any:
    """停用单位: its open steps, each with the choice of 免报 or 转办 to another active unit."""
    errors, values = form_state()
    with reading() as work:
        steps = unit_open_steps(work, me(), unit_id)
        units = [u for u in active_units(work) if u[0] != unit_id]
        name = next((u.name for u in list_units(work.session) if u.id == unit_id), "")
    return render_template(
        "admin_unit_disable.html", unit_id=unit_id, name=name, steps=steps, units=units, errors=errors, values=values
    )


@bp.post("/admin/units/<int(max=2147483647):unit_id>/disable")
@login_required
def admin_unit_disable_save(unit_id: int) -> Any:
    plan = {k.removeprefix("step."): v for k, v in request.form.items() if k.startswith("step.") and v}
    comment = request.form.get("comment", "")
    try:
        with writing() as work:
            set_unit_active(work, me(), unit_id, False, steps=plan, comment=comment)
    except Conflict as refused:
        if not (refused.extra and refused.extra.get("open_steps")):
            errors = FormErrors({f"{unit_id}.disable": refused.detail})
            return back_to(url_for("web.admin_units", _anchor=f"unit-{unit_id}"), errors)
        # Open steps: the admin says what becomes of each on a page of its own (the 停用 button
        # of the units page posts here too, with no choices yet).
        errors = FormErrors({FormErrors.FORM: refused.detail} if plan else {})
        return back_to(url_for("web.admin_unit_disable", unit_id=unit_id), errors, {"comment": comment, **plan})
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        errors = FormErrors({FormErrors.FORM: error.detail})
        return back_to(url_for("web.admin_unit_disable", unit_id=unit_id), errors, {"comment": comment, **plan})
    flash("单位已停用。", "success")
    return redirect(url_for("web.admin_units", _anchor=f"unit-{unit_id}"))


@bp.post("/admin/groups")
@login_required
def admin_group_save() -> Any:
    raw_id = request.form.get("group_id", "").strip()
    group_id = to_int(raw_id, "group_id", "分组编号") if raw_id else None
    members = [to_int(v, "members", "单位编号") for v in request.form.getlist("members")]
    name = request.form.get("name", "")
    try:
        with writing() as work:
            save_group(work, me(), group_id, name, members)
    except DomainError as error:
        if error.status not in FORM_STATUSES:
            raise
        key = f"group-{raw_id or 'new'}"
        errors = FormErrors({f"{key}.{error.field or 'form'}": error.detail})
        return back_to(url_for("web.admin_units", _anchor="groups"), errors, {f"{key}.name": name})
    flash(f"已保存分组“{name.strip()}”。", "success")
    return redirect(url_for("web.admin_units", _anchor="groups"))
