"""Errors as RFC 9457 problem details (``application/problem+json``), for every /api/ response:
the one encoder, used by the API's blueprints and by the app-wide error pages alike, and the one
test of whether a request is answered with problems (``wants_problem_json``).

A problem carries ``type`` (a stable URN naming the kind), ``title``, ``status``, ``detail`` (in
Chinese, for people) and, where one input is at fault, ``field`` (e.g. ``round``, ``data.text``).
Anything unexpected becomes a 500 whose detail names an incident id written to the log, never
the internals.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions

from .errors import DomainError, TooManyRequests, Unauthenticated

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

# Werkzeug's HTTP errors in Chinese (the ones an API client can meet).
HTTP_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权操作",
    404: "未找到",
    405: "不支持的请求方法",
    406: "无法提供所要求的格式",
    409: "状态冲突",
    411: "缺少 Content-Length",
    413: "请求内容过大",
    414: "网址过长",
    415: "不支持的内容类型",
    422: "输入有误",
    429: "请求过于频繁",
    431: "请求头过大",
    500: "服务器内部错误",
}
HTTP_DETAILS = {
    404: "请求的地址不存在",
    405: "该地址不支持 {method} 请求",
    413: "上传的内容超过了允许的大小",
}
# marshmallow's and webargs's stock messages, for inputs our own fields do not cover.
MESSAGES = {
    "Missing data for required field.": "缺少必填字段",
    "Field may not be null.": "不能为 null",
    "Unknown field.": "未知字段",
    "Invalid input type.": "类型不对",
    "Invalid value.": "取值无效",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid mapping type.": "应为对象(键值对)",
    "Invalid JSON body.": "请求体不是有效的 JSON",
}


def wants_problem_json() -> bool:
    """Whether this request is the API's (its path is under /api/): its errors are problem documents,
    a page's are HTML pages. The one place this is decided."""
    return request.path.startswith("/api/")


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": f"urn:duban:problem:{code}", "title": title, "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    if extra:
        body.update(extra)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_domain_error(error: DomainError) -> Response:
    headers: dict[str, str] = {}
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(max(1, error.retry_after))
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="duban"'
    return problem(
        error.status, error.title, error.detail, code=error.code, field=error.field, headers=headers, extra=error.extra
    )


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None)
    if isinstance(data, Mapping) and "messages" in data:
        field, message = first_message(data["messages"])
        return problem(
            422 if status == 422 else status, HTTP_TITLES.get(status, "请求有误"), message, code="invalid", field=field
        )
    if isinstance(error, CSRFError):
        return problem(
            403,
            "CSRF 校验失败",
            "缺少或无效的 CSRF 令牌:使用登录会话时,请在 X-CSRFToken 头中附上 /api/v1/auth/csrf 返回的令牌"
            "(或改用 Bearer 访问令牌)",
            code="csrf",
            field="X-CSRFToken",
        )
    headers: dict[str, str] = {}
    if status == 405:
        allowed = getattr(error, "valid_methods", None) or []
        headers["Allow"] = ", ".join(allowed)
    detail = HTTP_DETAILS.get(status, HTTP_TITLES.get(status, "请求有误")).format(method=request.method)
    if status == 413:
        limit = g.get("duban_upload_limit")
        detail = f"上传的文件不能超过 {limit / 1024 / 1024:g} MB" if limit else "请求体过大(JSON 请求体不能超过 2 MB)"
        return problem(413, "文件过大", detail, code="too_large", field="file" if limit else None)
    return problem(status, HTTP_TITLES.get(status, "请求有误"), detail, code=f"http_{status}", headers=headers)


def first_message(messages: Any, path: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """The first (field, Chinese message) of marshmallow's nested error messages."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # webargs nests by location (json, query, files …): not part of the field's name.
            step = (
                ()
                if not path
                and key in ("json", "query", "querystring", "form", "files", "multipart", "view_args", "headers")
                else (str(key),)
            )
            return first_message(value, path + step)
    if isinstance(messages, list | tuple) and messages:
        return first_message(messages[0], path)
    text = str(messages)
    names = [p for p in path if p != "_schema"]
    field = ".".join(names) or None
    message = MESSAGES.get(text, text)
    return field, f"{field}: {message}" if field else message


def internal_error(error: BaseException) -> Response:
    incident = secrets.token_hex(6)
    log.error("incident %s: %s %s", incident, request.method, request.path, exc_info=error)
    return problem(
        500,
        "服务器内部错误",
        f"服务器处理请求时出错,已记录(事件编号 {incident}),请稍后重试或联系系统管理员",
        code="internal",
        extra={"incident": incident},
    )


def handle(error: BaseException) -> Response:
    """The one error handler of the API blueprints."""
    if isinstance(error, DomainError):
        return from_domain_error(error)
    if isinstance(error, HTTPException):
        original = getattr(error, "original_exception", None)
        if error.code == 500 and original is not None:
            return internal_error(original)
        return from_http_exception(error)
    return internal_error(error)


def routing_problem() -> Response | None:
    """A before-request hook: an /api/ URL that matches no route (404) or not with this method (405)
    is answered here, as a problem, before any blueprint (or the web pages' handlers) sees it."""
    if request.routing_exception is None or not wants_problem_json():
        return None
    error = request.routing_exception
    if isinstance(error, HTTPException) and (error.code or 500) < 400:
        return None  # a redirect (e.g. a missing trailing slash): let routing do it
    return handle(error)


def handle_errors_of(blueprint: Any) -> None:
    """Every error raised in this blueprint's views (and their before-request hooks) becomes a problem.

    Called when a blueprint is made, before any app registers it."""
    blueprint.register_error_handler(Exception, handle)
    # By code too: Flask prefers an app-wide handler for a code over a blueprint's for a class.
    for code in default_exceptions:
        blueprint.register_error_handler(code, handle)


def install(app: Flask) -> None:
    # Runs before everything else (security's CSRF guard included).
    app.before_request_funcs.setdefault(None, []).insert(0, routing_problem)
