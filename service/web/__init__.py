"""The web pages (Chinese), server-rendered with Jinja and a little JavaScript.

Every page calls the same operations as the API, so who may see and do what is decided in one
place (``service/operations/common/authz.py``). Forms carry the CSRF token (``security.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import SQLAlchemyError

from ..errors import Unavailable
from ..operations.common import authz
from ..operations.common.actor import Actor
from ..security import csrf_token, current_actor
from ..vocabulary import Light, NoticeKind, Role, round_label

log = logging.getLogger(__name__)

# (endpoint, label, who sees it: an authz predicate; None: everyone logged in)
NAVIGATION: tuple[tuple[str, str, Callable[[Actor], bool] | None], ...] = (
    ("web.home", "工作台", None),
    ("web.inbox_page", "待办", None),
    ("web.ledger_page", "督查台账", None),
    ("web.dashboard_page", "统计", authz.may_see_statistics),
    # Units read the published league tables (and their own breakdown) too.
    ("web.league_page", "打擂台", None),
    ("web.extensions_page", "延期申请", authz.may_use_extensions),
    ("web.plans_page", "计划", authz.may_import_plans),
    ("web.admin_users", "管理", authz.may_manage),
)


def register(app: Flask) -> None:
    """Registers the web pages' blueprint, error pages and template helpers on the app."""
    from . import (  # noqa: F401  (each module adds its routes to the blueprint)
        admin,
        admin_robots,
        assessment,
        auth,
        batches,
        cycles,
        extensions,
        home,
        human_tasks,
        inbox,
        ledger,
        moves,
        notifications,
        plan_list,
        plans,
        search,
        statistics,
        year,
    )
    from .base import bp, file_size, limit_body, local_day, local_time, outcome, query_with, task_links, time_left
    from .errors import install

    app.register_blueprint(bp)
    # First of all hooks: the body limit must be set before the CSRF check reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)
    install(app)
    app.jinja_env.filters.update(
        local=local_time, day=local_day, size=file_size, round_label=round_label, task_links=task_links
    )
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        query_with=query_with,
        time_left=time_left,
        outcome=outcome,
        LIGHT_NAMES=Light.labels(),
        ROLE_NAMES=Role.labels(),
        NOTICE_KINDS=NoticeKind.labels(),
    )
    app.context_processor(_page_context)


def _page_context() -> dict[str, Any]:
    """The logged-in person, their menu and unread notices, on every page."""
    try:
        actor = current_actor()
    except (SQLAlchemyError, Unavailable):  # an error page must still render when the database is away
        log.warning("could not read the session's user for a page", exc_info=True)
        actor = None
    if actor is None:
        return {"me": None, "navigation": (), "unread": 0}
    menu = [(endpoint, label) for endpoint, label, shown in NAVIGATION if shown is None or shown(actor)]
    return {"me": actor, "navigation": menu, "unread": _unread(actor), "endpoint": request.endpoint or ""}


def _unread(actor: Any) -> int:
    if actor.user_id is None:
        return 0
    from ..operations.common.notifications import unread_count
    from .base import reading

    try:
        with reading() as work:
            return unread_count(work, actor)
    except (SQLAlchemyError, Unavailable):
        log.warning("could not count unread notices", exc_info=True)
        return 0
