"""What every API module shares: the Api (flask-smorest) with problem-details errors, the
blueprint class with our argument parser, and the edge helpers (who is asking, one unit of work).

Why flask-smorest: it parses and validates arguments with marshmallow schemas (webargs) and
writes the same schemas into the OpenAPI document, so the document cannot drift from the code.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import flask_smorest
import marshmallow as ma
from flask import current_app, g, request
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..errors import DomainError, Invalid
from ..operations.common.actor import Actor
from ..problems import PROBLEM_JSON, first_message, handle_errors_of, wants_problem_json
from ..runtime import Runtime, Work
from ..security import client_ip, require_actor
from .schemas.base import ProblemSchema

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]
F = TypeVar("F", bound=Callable[..., Any])
# Ids in a URL fit the database's integer columns; a bigger number names nothing (404).
ID = "int(max=2147483647)"


class NotJson(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "不支持的内容类型"


class BadJson(DomainError):
    status = 400
    code = "bad_json"
    title = "请求体不是有效的 JSON"


# Objects and arrays inside each other: step data is a form of plain fields, so a few levels do.
MAX_JSON_DEPTH = 32


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether parsed JSON nests objects/arrays more than ``limit`` deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class Parser(FlaskParser):
    """webargs, with our errors: Chinese messages naming the field, as problems."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise NotJson("请求体应为 JSON(Content-Type: application/json)")
            return core.missing
        try:
            body = core.parse_json(req.get_data(cache=True))
        except RecursionError:
            body = None
            too_deep = True
        else:
            too_deep = nesting_exceeds(body, MAX_JSON_DEPTH)
        if too_deep:
            # Python's parser gives up near a thousand levels (a RecursionError, once a 500); what
            # it can read is still bounded well below that, so nothing downstream recurses deep.
            raise BadJson(f"请求体的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层")
        return body

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> Any:
        raise BadJson("请求体不是有效的 JSON(请检查引号、逗号和编码是否为 UTF-8)")

    def load_multipart(self, req: Any, schema: ma.Schema) -> Any:
        """Form fields and files of a multipart request, together (one request body)."""
        merged = req.form.copy()
        for key, value in req.files.items(multi=True):
            merged.add(key, value)
        return self._makeproxy(merged, schema)

    def handle_error(self, error: ma.ValidationError, req: Any, schema: ma.Schema, **kwargs: Any) -> Any:
        field, message = first_message(error.messages)
        raise Invalid(message, field=field)


Parser.__location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, with our parser and every error answered as a problem."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {  # noqa: RUF012 - extends the class attribute
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handle_errors_of(self)

    def problem(self, status: int, description: str) -> Callable[[F], F]:
        """Documents an error this view answers with (a problem, application/problem+json)."""
        decorator: Callable[[F], F] = self.alt_response(
            status, schema=ProblemSchema, content_type=PROBLEM_JSON, description=description
        )
        return decorator


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting every error as a problem (application/problem+json)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled on the API's own blueprints (problems.install), never app-wide:
        the web pages render their own errors."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response: dict[str, Any] = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "出错时的问题详情(RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["duban"]
    return rt


@contextmanager
def transaction(*, write: bool = False) -> Iterator[Work]:
    """One unit of work for a request that asks nobody's identity (logging in, a token), stamped
    with the client's address."""
    with runtime().work(write=write, ip=client_ip()) as work:
        yield work


@contextmanager
def acting(*, write: bool = False) -> Iterator[tuple[Actor, Work]]:
    """Who is asking (or a 401 problem) and one unit of work for the request: the identity is read
    in the same transaction, so a request costs one transaction, not two."""
    with runtime().work(write=write, ip=client_ip()) as work:
        yield require_actor(work), work


# -- request sizes --------------------------------------------------------------------------
# JSON bodies are small; uploads get their own limit. Set before anything reads the body (the
# CSRF guard reads forms), so a too-large request is refused without being read.
JSON_LIMIT = 2 * 1024 * 1024
MULTIPART_OVERHEAD = 256 * 1024


def upload_limit(limit: Callable[[Runtime], int]) -> Callable[[F], F]:
    """Marks a view as taking an upload of at most ``limit(runtime)`` bytes (413 past it)."""

    def decorate(view: F) -> F:
        view._duban_upload_limit = limit  # type: ignore[attr-defined]
        return view

    return decorate


def size_limit() -> None:
    """A before-request hook for /api/: the most this request's body may hold."""
    if not wants_problem_json() or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    limit = getattr(view, "_duban_upload_limit", None)
    if limit is None:
        request.max_content_length = JSON_LIMIT
        g.duban_upload_limit = None
    else:
        allowed = limit(runtime())
        request.max_content_length = allowed + MULTIPART_OVERHEAD
        g.duban_upload_limit = allowed


def known_query() -> None:
    """A before-request hook for /api/: a query parameter the endpoint does not declare is a 400
    naming it (and the ones it takes), on every endpoint alike — never silently ignored (issue 11:
    ``/key-tasks?plan_id=2`` once answered every plan's tasks). The declared ones are the fields of
    the endpoint's ``location="query"`` schemas (what the OpenAPI document lists)."""
    if not request.args or request.endpoint is None or not wants_problem_json():
        return
    view = current_app.view_functions.get(request.endpoint)
    doc = getattr(view, "_apidoc", None)
    if doc is None:  # not one of the API's own endpoints (the OpenAPI document, its viewer)
        return
    known: set[str] = set()
    for parameter in doc.get("arguments", {}).get("parameters", []):
        if isinstance(parameter, dict) and parameter.get("in") == "query":
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            known.update(field.data_key or name for name, field in schema.fields.items())
    unknown = sorted(set(request.args) - known)
    if unknown:
        takes = f"此接口可用的查询参数:{'、'.join(sorted(known))}" if known else "此接口不接受查询参数"
        raise DomainError(f"未知的查询参数:{'、'.join(unknown)}({takes})", field=unknown[0])
