"""Who is asking: identity for the API and the web pages, and CSRF protection.

Two ways in:
- a session cookie (the web pages, a JS client on them): ``login_user`` starts a server-side
  session (``operations/directory/sessions.py``) and the cookie carries its random key; the
  session ends at logout, when the account is disabled or its password reset, or after
  ``[auth] session_hours``, and a saved copy of the cookie dies with it. HttpOnly, SameSite=Lax,
  Secure when configured.
- a bearer token (``Authorization: Bearer dbn_…``, from ``POST /api/v1/auth/token``). A request
  that carries one is judged by the token alone; its session cookie is ignored.

CSRF (Flask-WTF): every state-changing request (POST, PUT, PATCH, DELETE) must carry the token from
``{{ csrf_token() }}`` (form field ``csrf_token``, or the ``X-CSRFToken`` header for JS), except
- requests with a bearer token (a browser never adds one on its own), and
- requests to /api/ from a client with no logged-in session: they carry no ambient credentials to
  abuse (and are refused as unauthenticated where identity is needed; API login takes JSON only,
  which a cross-site form cannot send).

Usage in a view::

    @bp.get("/inbox")
    @login_required
    def inbox_page():
        actor = current_actor()          # never None under login_required
        with runtime_of(current_app).work(write=False, ip=client_ip()) as work:
            ...
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import quote, unquote, urlsplit

from flask import Flask, current_app, g, redirect, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

from db.models import User

from .errors import Unauthenticated
from .operations.common.actor import Actor
from .operations.directory.auth import actor_for_token, begin_attempt, settle_attempt
from .operations.directory.sessions import actor_for_session, end_session, start_session
from .problems import wants_problem_json
from .runtime import Runtime, Work

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SESSION_KEY = "sid"
_NO_ACTOR = object()

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Configures the session cookie and CSRF protection. ``create_app`` calls it once."""
    config = _runtime(app).config.auth
    app.config.update(
        SESSION_COOKIE_NAME="duban_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        # We decide which requests need the token (_csrf_guard), not Flask-WTF's default hook.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as its session: a form left open over lunch still submits.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    app.before_request(_csrf_guard)


def _runtime(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["duban"]
    return runtime


def client_ip() -> str | None:
    """The peer's address, as the audit trail and login throttling record it."""
    return request.remote_addr


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None when there is no such header."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def current_actor(work: Work | None = None) -> Actor | None:
    """The logged-in actor (from the bearer token, else the session), or None. Cached per request.

    Given the request's ``work``, it reads in that transaction instead of opening one of its own."""
    cached = g.get("_duban_actor", _NO_ACTOR)
    if cached is not _NO_ACTOR:
        return cast(Actor | None, cached)
    if work is None:
        with _runtime(current_app).work(write=False) as own:
            return current_actor(own)
    actor: Actor | None = None
    token = bearer_token()
    if token is not None:
        identity = actor_for_token(work.session, work.now, token) if token else None
        actor = identity.actor if identity else None
        g._duban_token_id = identity.token_id if identity else None
    elif _SESSION_KEY in session:
        key = session[_SESSION_KEY]
        if isinstance(key, str):
            actor = actor_for_session(work.session, work.now, key)
        if actor is None:
            # Logged out elsewhere, disabled, password reset, expired: this session is over.
            session.clear()
    g._duban_actor = actor
    return actor


def current_token_id() -> int | None:
    """The id of the bearer token this request came with (after ``current_actor``), else None."""
    current_actor()
    token_id: int | None = g.get("_duban_token_id")
    return token_id


def require_actor(work: Work | None = None) -> Actor:
    """The logged-in actor, or ``Unauthenticated`` (401). ``work`` as for ``current_actor``."""
    actor = current_actor(work)
    if actor is None:
        if bearer_token() is not None:
            raise Unauthenticated("访问令牌无效、已过期或已被撤销,请重新获取")
        raise Unauthenticated("请先登录(或在 Authorization 头中提供 Bearer 访问令牌)")
    return actor


def login_user(work: Work, user: User) -> Actor:
    """Starts a web session for ``user`` (whose password the caller has checked), in ``work``'s
    transaction (it records the audit event). A new session: nothing of the old one is kept."""
    session.clear()
    session[_SESSION_KEY] = start_session(work, user).key
    session.permanent = True
    actor = Actor.of(user)
    g._duban_actor = actor
    from .operations.common import audit

    audit.record(work, actor, "auth.login", data={"via": "session"})
    return actor


def with_password(username: object, password: object, then: Callable[[Work, User], T]) -> T:
    """The login edge for a form, JSON or a token request: checks the password, throttled, and
    runs ``then`` for the user in the transaction that records the success.

    Two transactions around the slow password check (``operations/directory/auth.py``): the
    first takes the attempt's place in the counts, the second settles it. Raises ``Invalid``
    (422, field username/password), ``Unauthenticated`` (401, wrong password or disabled
    account) or ``TooManyRequests`` (429, with ``retry_after`` seconds), always after the counts
    are committed."""
    runtime = _runtime(current_app)
    with runtime.work(ip=client_ip()) as work:
        attempt = begin_attempt(work, username, password)
    if attempt.refusal is not None:
        raise attempt.refusal
    assert isinstance(password, str)
    matched = attempt.password_matches(password)
    outcome: T | None = None
    with runtime.work(ip=client_ip()) as work:
        result = settle_attempt(work, attempt, password, matched)
        if result.user is not None:
            outcome = then(work, result.user)
    result.raise_refusal()
    return cast(T, outcome)


def sign_in(username: object, password: object) -> Actor:
    """Logs in with a password and starts a web session; errors as for ``with_password``."""
    return with_password(username, password, login_user)


def logout_user() -> None:
    """Ends the web session server-side (a saved copy of the cookie no longer works) and empties
    the cookie; safe to call when nobody is logged in."""
    key = session.get(_SESSION_KEY)
    if isinstance(key, str):
        with _runtime(current_app).work(ip=client_ip()) as work:
            actor = current_actor(work)
            end_session(work, key, actor)
    session.clear()
    g._duban_actor = None


def login_required(view: F) -> F:
    """Lets only logged-in actors through. Web pages redirect to ``/login?next=<this page>``;
    API paths (/api/…) answer 401 with a problem document instead."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            if wants_problem_json():
                require_actor()
            return redirect(f"/login?next={quote(_local_path(), safe='/')}")
        return view(*args, **kwargs)

    return cast(F, wrapper)


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after logging in (or back to): a path on this site, else ``default``.

    Browsers forgive a lot in a ``Location``: they drop tabs and newlines anywhere, read ``\\`` as
    ``/``, and take ``//host`` or a scheme at the start as another site. So the target is refused
    when it, or any percent-decoding of it, holds a control or invisible formatting character or
    a backslash, does not start with exactly one ``/``, or names a scheme or a host. What passes
    comes back with anything outside printable ASCII percent-encoded (a header carries ASCII)."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return default
    layer = target
    for _ in range(4):  # each percent-decoding of it must be a local path too
        if not _plain_local_path(layer):
            return default
        decoded = unquote(layer)
        if decoded == layer:
            return quote(target, safe="/?#&=%:@!$'()*+,;~-._[]")
        layer = decoded
    return default  # encoded four times over: no honest link looks like that


MAX_NEXT_LENGTH = 2000


def _plain_local_path(target: str) -> bool:
    if not target.startswith("/") or target[1:2] == "/":
        return False
    for char in target:
        if char == "\\" or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# Controls (tab, CR, LF, DEL …), invisible formatting (zero-width, bidi), surrogates, private and
# unassigned code points, line and paragraph separators. A plain space is kept: a browser
# encodes it where it stands, it moves nobody to another host.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def csrf_token() -> str:
    """The CSRF token for this session (what ``{{ csrf_token() }}`` renders)."""
    return generate_csrf()


def _local_path() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def _csrf_guard() -> None:
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if bearer_token() is not None:
        return
    if wants_problem_json() and _SESSION_KEY not in session:
        return
    csrf.protect()
