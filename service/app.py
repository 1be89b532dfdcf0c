"""The Flask application factory."""

from __future__ import annotations

import gc
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .config import Config, load_config
from .errors import Unavailable
from .routing import KeyConverter
from .runtime import Runtime, build_runtime

log = logging.getLogger(__name__)


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    if runtime is None:
        runtime = build_runtime(config or load_config())
    config = runtime.config
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=_secret_key(config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["duban"] = runtime
    # Every id in a URL is a database key (a 32-bit INTEGER on PostgreSQL): a larger number is no match
    # (404), never a query PostgreSQL refuses with "integer out of range" (a 500).
    app.url_map.converters["int"] = KeyConverter

    # The holiday years an admin loaded; a year another process loads is picked up within
    # [scheduler] calendar_check_seconds (one tiny query at most that often, not per request).
    from .scheduling.calendar import refresh_calendar

    refresh_calendar(runtime)

    @app.before_request
    def _calendar_current() -> None:
        refresh_calendar(runtime, max_age=config.scheduler.calendar_check_seconds)

    from . import api, headers, security, web

    headers.install(app)
    security.init_app(app)
    api.register(app)
    web.register(app)

    @app.get("/health")
    def health() -> Any:
        """JSON for monitors: 200 when the database answers and is migrated, else 503 (also in JSON)."""
        from .health import health_report, unreachable_report

        try:
            with runtime.work(write=False) as work:
                report = health_report(work)
        except (Unavailable, SQLAlchemyError) as exc:
            report = unreachable_report(runtime, exc)
        return jsonify(report), (200 if report["status"] == "ok" else 503)

    return app


def freeze_startup_objects() -> None:
    """Moves what start-up made (modules, the app, the calendar) out of the cyclic collector's way.

    Those ~140,000 objects live as long as the process, yet every full collection walked them
    all: a 50–60 ms pause every few dozen requests, the whole p99 of a page. Frozen, a full
    collection walks only what requests made since. Garbage is collected first, so none of it
    is kept for good. For serving processes only (tests build many apps and must free them).
    """
    gc.collect()
    gc.freeze()


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["duban"]
    return runtime


def _secret_key(config: Config) -> str:
    """DUBAN_SECRET_KEY, else a random key kept in a file beside the data (created once)."""
    from_env = os.environ.get("DUBAN_SECRET_KEY")
    if from_env:
        return from_env
    path = Path(config.path(config.server.secret_key_file))
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written with owner-only permissions: it signs every session cookie.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    log.info("created a new secret key in %s", path)
    return key
