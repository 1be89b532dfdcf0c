"""Logging in: passwords checked with throttling, bearer tokens issued, resolved and revoked.

Throttling keeps one row per key (the account name, the address). Failures with no quiet spell of
``[auth] throttle_window_minutes`` between them add up: they slow the next attempt (2, 4, 8 …
seconds) and, past a threshold, refuse it for a while. Attempts are counted before their password
is checked (``begin_attempt``) and settled after (``settle_attempt``), so forty simultaneous
guesses are throttled like forty in a row. Neither raises for a refused login: they return the
refusal, the edge commits (keeping the count) and then answers 401/429.

Tokens: the caller gets ``dbn_`` + 43 random characters once; only its sha256 is stored.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import ApiToken, LoginThrottle, Unit, User

from ...errors import DomainError, Forbidden, Invalid, NotFound, TooManyRequests, Unauthenticated
from ...passwords import hash_password, needs_rehash, verify_password
from ...runtime import Work
from ...vocabulary import Role
from ..common import audit
from ..common.actor import Actor

TOKEN_PREFIX = "dbn_"
MAX_DELAY_SECONDS = 60


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps an unknown name as slow as a wrong password (no user enumeration)."""
    return hash_password("duban-no-such-user-0")


def anonymous(username: str) -> Actor:
    """Who the audit trail names for an attempt made before anyone is known."""
    return Actor(
        user_id=None, username=username[:64], display_name=Role.ANONYMOUS.label, role=Role.ANONYMOUS, unit_id=None
    )


# -- passwords ----------------------------------------------------------------------------
# A login is two short transactions around the slow password check (Argon2id, tens of ms):
# ``begin_attempt`` takes the attempt's place in each throttle count under the row lock and
# commits; the edge checks the password outside any transaction; ``settle_attempt`` records the
# outcome. Simultaneous attempts thus queue on the row only for the bookkeeping, yet each sees
# the ones still being checked, and are throttled exactly as the same attempts one after another.


@dataclass(frozen=True)
class Attempt:
    """A login attempt whose place in the counts is taken (or refused before any check)."""

    username: str
    keys: tuple[str, ...]
    password_hash: str | None  # None: no such account (a dummy hash keeps the timing alike)
    refusal: DomainError | None = None

    def password_matches(self, password: str) -> bool:
        """The slow part: call it outside any transaction."""
        if self.password_hash is None:
            verify_password(_dummy_hash(), password)
            return False
        return verify_password(self.password_hash, password)


@dataclass(frozen=True)
class LoginResult:
    """Either ``user`` (the password was right) or ``refusal`` (401 or 429), never both."""

    user: User | None
    refusal: DomainError | None

    def raise_refusal(self) -> None:
        if self.refusal is not None:
            raise self.refusal


# A count left by a process that died between reserving and settling lapses after this long.
PENDING_SECONDS = 60


def begin_attempt(work: Work, username: object, password: object) -> Attempt:
    """Checks the input and whether the account and the address may try now; if so, counts the
    attempt as in progress. Raises ``Invalid`` (422) for missing fields; a throttled attempt is
    returned with its ``refusal`` (429), having changed nothing."""
    if not isinstance(username, str) or not username.strip():
        raise Invalid("请输入用户名", field="username")
    if not isinstance(password, str) or not password:
        raise Invalid("请输入密码", field="password")
    username = username.strip()
    if len(username) > 64 or len(password) > 1024:
        return Attempt(username, (), None, Unauthenticated("用户名或密码错误"))
    keys = (_account_key(username),) + ((_address_key(work.ip),) if work.ip else ())
    rows = [_locked_row(work, key) for key in keys]
    for row in rows:
        refusal = _blocked(work, row)
        if refusal is not None:
            return Attempt(username, (), None, refusal)
    for row in rows:
        row.pending += 1
        row.pending_since = work.now
    work.session.flush()
    password_hash = work.session.scalar(select(User.password_hash).where(User.username == username))
    return Attempt(username, keys, password_hash)


def settle_attempt(work: Work, attempt: Attempt, password: str, matched: bool) -> LoginResult:
    """Records how the attempt ended: a failure adds to the counts (and may slow or lock what
    comes next, ``[auth]``); a success clears the account's count. Never raises for a refused
    login: the caller commits the counts, then raises ``LoginResult.refusal`` (401)."""
    config = work.runtime.config.auth
    for key in attempt.keys:
        row = _locked_row(work, key)
        row.pending = max(0, row.pending - 1)
        if matched:
            continue
        if key.startswith("ip:"):
            # An address is slowed only from the account threshold on: an office shares one.
            _count_failure(work, row, slow_after=config.lock_after, lock_after=config.address_lock_after)
        else:
            _count_failure(work, row, slow_after=config.slow_after, lock_after=config.lock_after)
    user = work.session.scalar(select(User).where(User.username == attempt.username)) if matched else None
    if user is None:
        work.session.flush()
        audit.record(work, anonymous(attempt.username), "auth.login_failed", data={"username": attempt.username})
        return LoginResult(None, Unauthenticated("用户名或密码错误"))
    if not user.active:
        return LoginResult(None, Unauthenticated("该账号已停用,请联系系统管理员"))
    account = work.session.get(LoginThrottle, attempt.keys[0])
    if account is not None:
        account.failures = 0
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    work.session.flush()
    return LoginResult(user, None)


def _account_key(username: str) -> str:
    return f"user:{username.lower()}"


def _address_key(ip: str) -> str:
    return f"ip:{ip}"


def _locked_row(work: Work, key: str) -> LoginThrottle:
    """The key's counts, created if missing and locked until commit (two first attempts at once
    never both create it; a second attempt waits here until the first one's bookkeeping is done)."""
    session = work.session
    now = work.now
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0, window_started_at=now, last_failure_at=now, blocked_until=None, pending=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if row.pending and (row.pending_since is None or (now - row.pending_since).total_seconds() > PENDING_SECONDS):
        row.pending = 0
    return row


def _blocked(work: Work, row: LoginThrottle) -> TooManyRequests | None:
    """Why this key may not try now: a slow-down or lock still running, or attempts being checked
    that would, should they fail, slow this one down (simultaneous guesses wait their turn)."""
    config = work.runtime.config.auth
    address = row.key.startswith("ip:")
    slow_after = config.lock_after if address else config.slow_after
    if row.blocked_until is not None and row.blocked_until > work.now:
        wait = math.ceil((row.blocked_until - work.now).total_seconds())
        if row.failures >= (config.address_lock_after if address else config.lock_after):
            minutes = math.ceil(wait / 60)
            who = "来自您所在网络地址的" if address else "该账号"
            return TooManyRequests(f"{who}登录失败次数过多,已暂时锁定,请 {minutes} 分钟后再试", retry_after=wait)
        return TooManyRequests(f"登录失败次数较多,请 {wait} 秒后再试", retry_after=wait)
    if row.pending and row.failures + row.pending >= slow_after:
        wait = min(MAX_DELAY_SECONDS, 2 ** (row.failures + row.pending - slow_after + 1))
        return TooManyRequests(f"登录尝试过于频繁,请 {wait} 秒后再试", retry_after=wait)
    return None


def _count_failure(work: Work, row: LoginThrottle, *, slow_after: int, lock_after: int) -> None:
    config = work.runtime.config.auth
    now = work.now
    # The count starts again only after a quiet window: trickling one guess a minute still adds up.
    if now - max(row.last_failure_at, row.window_started_at) > timedelta(minutes=config.throttle_window_minutes):
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= lock_after:
        row.blocked_until = now + timedelta(minutes=config.lock_minutes)
        # A lock outlives the window that counted it: the count starts again after it.
        row.window_started_at = row.blocked_until
    elif row.failures >= slow_after:
        delay = min(MAX_DELAY_SECONDS, 2 ** (row.failures - slow_after + 1))
        row.blocked_until = now + timedelta(seconds=delay)


# -- who a session or a token speaks for ------------------------------------------------------


USER_ACTOR = select(
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.unit_id,
    User.active,
    User.session_epoch,
    Unit.name.label("unit_name"),
).join(Unit, Unit.id == User.unit_id)


def actor_of(row: Any) -> Actor:
    """The actor a row of ``USER_ACTOR`` (or a statement extending it) names."""
    return Actor(
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        unit_id=row.unit_id,
        unit_name=row.unit_name,
    )


# -- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # shown once; only its hash is kept
    expires_at: datetime


@dataclass(frozen=True)
class TokenView:
    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(work: Work, user: User, name: str = "") -> IssuedToken:
    """A new bearer token for ``user`` (already authenticated)."""
    if len(name) > 100:
        raise Invalid("令牌名称不能超过 100 字", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = work.now + timedelta(days=work.runtime.config.auth.token_days)
    token = ApiToken(
        user_id=user.id,
        token_hash=token_hash(secret),
        prefix=secret[:12],
        name=name.strip(),
        session_epoch=user.session_epoch,
        created_at=work.now,
        expires_at=expires_at,
    )
    work.session.add(token)
    work.session.flush()
    audit.record(work, Actor.of(user), "auth.token_issued", data={"token_id": token.id, "name": token.name})
    return IssuedToken(id=token.id, token=secret, expires_at=expires_at)


_TOKEN_ACTOR = USER_ACTOR.add_columns(
    ApiToken.id.label("token_id"),
    ApiToken.session_epoch.label("token_epoch"),
    ApiToken.expires_at,
    ApiToken.revoked_at,
).join(ApiToken, ApiToken.user_id == User.id)


_TOKEN_BY_HASH = _TOKEN_ACTOR.where(ApiToken.token_hash == bindparam("token_hash"))


@dataclass(frozen=True)
class TokenIdentity:
    actor: Actor
    token_id: int


def actor_for_token(session: Session, now: datetime, token: str) -> TokenIdentity | None:
    """Who a bearer token speaks for, or None when it is unknown, expired, revoked or outlived."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    # Every API request asks this: a Core statement built once, on the session's connection.
    row = session.connection().execute(_TOKEN_BY_HASH, {"token_hash": token_hash(token)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.active or row.token_epoch != row.session_epoch:
        return None
    return TokenIdentity(actor=actor_of(row), token_id=row.token_id)


def revoke_token(work: Work, actor: Actor, token_id: int) -> TokenView:
    """Revokes one token: its owner may, and so may an admin. Revoking twice changes nothing."""
    token = work.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and actor.role != Role.ADMIN):
        raise NotFound(f"令牌 {token_id} 不存在")
    if token.revoked_at is None:
        token.revoked_at = work.now
        work.session.flush()
        audit.record(work, actor, "auth.token_revoked", data={"token_id": token.id, "user_id": token.user_id})
    return _token_view(token)


def list_tokens(work: Work, actor: Actor) -> list[TokenView]:
    """The actor's own tokens, newest first (admins: everyone's)."""
    if actor.user_id is None:
        raise Forbidden("系统账号没有访问令牌")
    query = select(ApiToken).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if actor.role != Role.ADMIN:
        query = query.where(ApiToken.user_id == actor.user_id)
    return [_token_view(t) for t in work.session.scalars(query.limit(500))]


def _token_view(token: ApiToken) -> TokenView:
    return TokenView(
        id=token.id,
        user_id=token.user_id,
        username=token.user.username,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
    )
