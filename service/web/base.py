"""What every page shares: the blueprint, one unit of work per request, form errors, formatting.

Handlers stay thin: read the request, call one operation inside ``reading()`` or ``writing()``
(one transaction each), render a template. Whatever the operation raises (``service.errors``)
either becomes an error next to a form field (``FormErrors``) or an error page (``errors.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, after_this_request, current_app, redirect, request, session
from markupsafe import Markup, escape

from ..errors import DomainError, Invalid
from ..operations.common import timing
from ..operations.common.actor import Actor
from ..operations.common.timing import Outcome, TimeLeft
from ..runtime import Runtime, Work
from ..security import client_ip, current_actor

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


# How big a request body may be: an upload page takes its files, every other form a little text.
FORM_BYTES = 2 * 1024 * 1024


def _body_limit() -> int:
    from ..operations.directory.plan_import import MAX_PLAN_BYTES

    if request.endpoint == "web.human_task_submit":
        # The attachments (their own limit) and the typed text beside them.
        return (runtime().config.attachments.max_mb + 2) * 1024 * 1024
    if request.endpoint == "web.plan_upload":
        return MAX_PLAN_BYTES + FORM_BYTES
    return FORM_BYTES


def limit_body() -> None:
    """Sets the page's body limit before anything reads the body (registered to run first, ahead
    of the CSRF check, which reads the form): a bigger body is refused (413) unread."""
    if request.blueprint == "web":
        request.max_content_length = _body_limit()


@bp.before_request
def _refuse_nul() -> None:
    """A NUL character, never part of what a person types and not storable in PostgreSQL, is
    refused (422) wherever it hides, before any page reads its input."""
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                shown = name.replace("\x00", "")[:40]
                raise Invalid(f"“{shown}”中含有不允许的控制字符(NUL),请删除后重试", field=name)


def runtime() -> Runtime:
    found: Runtime = current_app.extensions["duban"]
    return found


@contextmanager
def reading() -> Iterator[Work]:
    """A read-only transaction for this request (SQLite lets readers run beside a writer)."""
    with runtime().work(write=False, ip=client_ip()) as work:
        yield work


@contextmanager
def writing() -> Iterator[Work]:
    """The request's one write transaction: it commits when the block ends, rolls back on error."""
    with runtime().work(ip=client_ip()) as work:
        yield work


def me() -> Actor:
    """The logged-in actor (only called under ``login_required``)."""
    actor = current_actor()
    if actor is None:  # pragma: no cover - login_required has redirected
        from ..errors import Unauthenticated

        raise Unauthenticated("请先登录")
    return actor


class FormErrors(dict[str, str]):
    """Messages by field name; ``_form`` holds what belongs to no single field."""

    FORM = "_form"

    def take(
        self,
        error: DomainError,
        fields: tuple[str, ...] | set[str] | frozenset[str],
        rename: dict[str, str] | None = None,
    ) -> None:
        """Puts an operation's error next to its field when the form has it, else above the form;
        ``rename`` maps an operation's field name to the form's where they differ."""
        field = (rename or {}).get(error.field or "", error.field)
        if field and field in fields:
            self[field] = error.detail
        else:
            self[self.FORM] = error.detail

    @property
    def general(self) -> str | None:
        return self.get(self.FORM)


# -- after a failed POST: back to the page, with the messages and what was typed ------------------

_FORM_STATE = "form_state"
# What is carried back is small: the session is a signed cookie (about 4 KB in all).
_CARRIED_CHARS = 600
_NEVER_CARRIED = frozenset({"password", "csrf_token"})


# The errors a person can put right on the form (a wrong value, a clash); the others (not allowed,
# not found) get the error page.
FORM_STATUSES = (409, 422)


def back_to(url: str, errors: FormErrors, values: dict[str, str] | None = None) -> Any:
    """A failed form posted to an address of its own (``/ledger/start``) goes back to its page with
    a 303, so the address bar, a reload and the back button stay on the page, never on the POST
    address. The page (``form_state()``) shows the messages beside their fields and what was typed
    (passwords never carried; long text cut to what a cookie holds)."""
    carried = {k: v[:_CARRIED_CHARS] for k, v in (values or {}).items() if k not in _NEVER_CARRIED}
    path = url.split("#", 1)[0].split("?", 1)[0]
    session[_FORM_STATE] = {
        "path": path,
        "errors": {k: v[:_CARRIED_CHARS] for k, v in errors.items()},
        "values": carried,
    }
    return redirect(url, code=303)


def form_state() -> tuple[FormErrors, dict[str, str]]:
    """The messages and values a failed POST carried back to this page (once), or empty ones."""
    state = session.pop(_FORM_STATE, None)
    if not isinstance(state, dict) or state.get("path") != request.path:
        return FormErrors(), {}
    return FormErrors(state.get("errors") or {}), dict(state.get("values") or {})


# -- reading query strings: bad values are the user's mistake (422 naming the parameter) ---------


# Ids and page numbers fit the database's integer columns; a bigger number names nothing.
MAX_ID = 2**31 - 1


def to_int(raw: str, name: str, label: str, *, minimum: int = 1) -> int:
    """A number typed or sent by a form, or Invalid naming the field."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise Invalid(f"{label}应为整数,收到“{raw.strip()[:40]}”", field=name) from None
    if value < minimum:
        raise Invalid(f"{label}不能小于 {minimum}", field=name)
    if value > MAX_ID:
        raise Invalid(f"{label}过大", field=name)
    return value


def arg_int(name: str, label: str, *, default: int | None = None, minimum: int = 1) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    return to_int(raw, name, label, minimum=minimum)


def arg_choice(name: str, label: str, choices: dict[str, str] | tuple[str, ...]) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if raw not in choices:
        names = "、".join(choices.values()) if isinstance(choices, dict) else "、".join(choices)
        raise Invalid(f"{label}应为 {names} 之一", field=name)
    return raw


def arg_text(name: str, *, max_length: int = 200) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if len(raw) > max_length:
        raise Invalid(f"参数 {name} 过长", field=name)
    return raw


# -- the plan a person works on ---------------------------------------------------------------

PLAN_COOKIE = "duban_plan"
PLAN_COOKIE_DAYS = 365


def plan_choice() -> tuple[int | None, int | None]:
    """(the plan this request asks for with ``?plan=``, the one this browser chose last).

    工作台, 督查台账, 统计 and 打擂台 show the plan asked for and remember it (a cookie, for a year),
    so the next of these pages opens on it too; without either they open on this year's first published plan
    (``operations/queries/ledger.py: choose_plan``). A remembered plan that no longer exists is
    ignored there."""
    asked = arg_int("plan", "计划")
    raw = request.cookies.get(PLAN_COOKIE, "")
    remembered = int(raw) if raw.isdigit() and len(raw) < 10 else None
    if asked is not None and asked != remembered:

        @after_this_request
        def remember(response: Response) -> Response:
            if response.status_code < 400:
                response.set_cookie(
                    PLAN_COOKIE,
                    str(asked),
                    max_age=PLAN_COOKIE_DAYS * 86400,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure,
                )
            return response

    return asked, remembered


# -- formatting ----------------------------------------------------------------------------


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(runtime().config.tz).strftime(fmt)


def local_day(value: datetime | None) -> str:
    return local_time(value, "%Y-%m-%d")


def time_left(due_at: datetime | None) -> TimeLeft | None:
    """剩余 N 个工作日 / 今日到期 / 已逾期 N 个工作日 for an open step's deadline, now."""
    if due_at is None:
        return None
    rt = runtime()
    return timing.time_left(rt.calendar, rt.config.tz, rt.clock.now(), due_at)


def outcome(due_at: datetime | None, completed_at: datetime | None) -> Outcome | None:
    """按期办结 / 超期 N 个工作日办结 for a done step."""
    if due_at is None or completed_at is None:
        return None
    rt = runtime()
    return timing.outcome(rt.calendar, rt.config.tz, due_at, completed_at)


_TASK_LINK = re.compile(r"/human-tasks/(\d{1,10})\b")


def task_links(text: str) -> Markup:
    """A notice's text, escaped, with every ``/human-tasks/N`` in it a link to that page (a digest
    lists its steps so). Nothing else of the text becomes markup."""
    escaped = str(escape(text))
    return Markup(_TASK_LINK.sub(lambda m: f'<a href="/human-tasks/{m.group(1)}">查看</a>', escaped))


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def query_with(**changes: Any) -> str:
    """This page's query string (``?…``) with some parameters changed (None removes one)."""
    from urllib.parse import urlencode

    params = {k: v for k, v in request.args.items() if k not in changes}
    params.update({k: str(v) for k, v in changes.items() if v not in (None, "")})
    return "?" + urlencode(params)


def diagram_data(diagram: Any) -> dict[str, Any]:
    """What the page's diagram script reads (a JSON script tag): the XML, each element's state, the
    flows taken with their counts, and the steps in order (the list shown on narrow screens)."""
    return {
        "xml": diagram.xml,
        "states": diagram.element_states,
        "flows": [{"source": f.source, "target": f.target, "count": f.count} for f in diagram.flows],
        "steps": diagram.steps,
    }
