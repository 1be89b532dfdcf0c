"""登录 and 退出."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request

from ..errors import Invalid, TooManyRequests, Unauthenticated
from ..security import current_actor, logout_user, safe_next, sign_in
from .base import FormErrors, bp


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(target)
        return render_template("login.html", errors=FormErrors(), username="", next=target)
    username = request.form.get("username", "")
    errors = FormErrors()
    try:
        sign_in(username, request.form.get("password", ""))
    except (Invalid, Unauthenticated, TooManyRequests) as error:
        # A wrong password is shown under the password field; the name typed stays filled in.
        errors.take(error, ("username", "password"))
        if isinstance(error, Unauthenticated | TooManyRequests):
            errors["password"] = errors.pop(FormErrors.FORM, error.detail)
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else {}
        html = render_template("login.html", errors=errors, username=username[:64], next=target)
        return html, error.status, headers
    return redirect(target)


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    return redirect("/login")
