"""Error pages for the web (Chinese HTML), from the same domain errors the API turns into JSON.

Registered app-wide, so that an address matching no page also gets a Chinese page. The API's
blueprints register their own handlers by code and by class, which Flask prefers to these, and the
API answers its unknown addresses itself; should an /api/ error still arrive here, it is answered
as a plain problem document rather than as a page.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from flask import Flask, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions

from ..errors import DomainError, Unauthenticated
from ..problems import handle, wants_problem_json

log = logging.getLogger(__name__)

TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的操作",
    409: "状态已变化",
    413: "上传的文件过大",
    422: "填写有误",
    429: "操作过于频繁",
    500: "服务器出错了",
}
DETAILS = {
    400: "请求的格式不对,请返回上一页重试。",
    403: "您没有权限查看或办理这项内容。",
    404: "您要找的页面不存在,可能地址有误,或内容已被删除。",
    405: "该页面不支持这种操作,请从页面上的按钮进入。",
    413: "上传的内容超过了允许的大小,请压缩后重试。",
}


def page(status: int, detail: str | None = None, *, title: str | None = None, **extra: Any) -> tuple[str, int]:
    html = render_template(
        "error.html",
        status=status,
        title=title or TITLES.get(status, "出错了"),
        detail=detail or DETAILS.get(status, "请返回上一页重试。"),
        **extra,
    )
    return html, status


def on_domain_error(error: DomainError) -> Any:
    if wants_problem_json():
        return handle(error)
    if isinstance(error, Unauthenticated):
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}")
    return page(error.status, error.detail, title=error.title if error.status not in TITLES else None)


def on_http_error(error: HTTPException) -> Any:
    if wants_problem_json():
        return handle(error)
    status = error.code or 500
    if status == 500:
        return on_unexpected(getattr(error, "original_exception", None) or error)
    if isinstance(error, CSRFError):
        return page(
            400,
            "页面已过期或缺少安全令牌(CSRF),为保护您的账号,本次提交未被处理。请刷新页面后重新提交。",
            title="页面已过期",
        )
    return page(status)


def on_unexpected(error: BaseException) -> Any:
    if wants_problem_json():
        return handle(error)
    incident = secrets.token_hex(6)
    log.error("incident %s: %s %s", incident, request.method, request.path, exc_info=error)
    return page(
        500,
        f"服务器处理请求时出错,已记录(事件编号 {incident})。请稍后重试,或把事件编号告诉系统管理员。",
        incident=incident,
    )


def install(app: Flask) -> None:
    app.register_error_handler(DomainError, on_domain_error)
    # By code as well: Flask looks for a handler by code before it looks by class.
    for code in default_exceptions:
        app.register_error_handler(code, on_http_error)
    app.register_error_handler(HTTPException, on_http_error)
    app.register_error_handler(Exception, on_unexpected)
