"""Web sessions, server-side: started at login, looked up on every request, ended by logout, by
disabling the account and by resetting its password.

The cookie (signed by Flask) carries a random key; the database keeps the key's sha256 and when
the session ends. A session is over at the first of: ``expires_at`` (``[auth] session_hours``
after login), its ``ended_at``, the account disabled. So a cookie saved before a logout stops
working at the logout, not hours later.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy.orm import Session

from db.models import User, WebSession

from ...runtime import Work
from ..common import audit
from ..common.actor import Actor
from .auth import USER_ACTOR, actor_of

# Ended and expired sessions are kept this long (who was logged in when), then dropped.
KEEP_ENDED = timedelta(days=30)


@dataclass(frozen=True)
class StartedSession:
    key: str  # for the cookie only; the database keeps its hash
    expires_at: datetime


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(work: Work, user: User) -> StartedSession:
    """A new session for ``user`` (whose password the caller checked), lasting
    ``[auth] session_hours`` unless it ends first."""
    key = secrets.token_urlsafe(32)
    expires_at = work.now + timedelta(hours=work.runtime.config.auth.session_hours)
    # Each login tidies the same account's old rows, so the table stays the size of its use.
    work.session.execute(
        delete(WebSession).where(
            WebSession.user_id == user.id,
            or_(WebSession.expires_at < work.now - KEEP_ENDED, WebSession.ended_at < work.now - KEEP_ENDED),
        )
    )
    work.session.add(WebSession(key_hash=_hash(key), user_id=user.id, created_at=work.now, expires_at=expires_at))
    work.session.flush()
    return StartedSession(key=key, expires_at=expires_at)


_SESSION_ACTOR = (
    USER_ACTOR.add_columns(WebSession.expires_at, WebSession.ended_at)
    .join(WebSession, WebSession.user_id == User.id)
    .where(WebSession.key_hash == bindparam("key_hash"))
)


def actor_for_session(session: Session, now: datetime, key: str) -> Actor | None:
    """Who a session cookie's key speaks for, or None once the session ended or expired or the
    account was disabled. One indexed read per request (a Core statement built once)."""
    if len(key) > 100:
        return None
    row = session.connection().execute(_SESSION_ACTOR, {"key_hash": _hash(key)}).first()
    if row is None or row.ended_at is not None or row.expires_at <= now or not row.active:
        return None
    return actor_of(row)


def end_session(work: Work, key: str, actor: Actor | None) -> bool:
    """Ends the session of this cookie key (logout); True if it was still running. Audited."""
    ended = (
        work.session.connection()
        .execute(
            update(WebSession)
            .where(WebSession.key_hash == _hash(key), WebSession.ended_at.is_(None))
            .values(ended_at=work.now, ended_why="logout")
        )
        .rowcount
    )
    if ended and actor is not None:
        audit.record(work, actor, "auth.logout", data={"via": "session"})
    return bool(ended)


def end_sessions_of(work: Work, user_id: int, why: str) -> int:
    """Ends every running session of one account (``why``: disabled, password_reset); how many."""
    result = work.session.connection().execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None), WebSession.expires_at > work.now)
        .values(ended_at=work.now, ended_why=why)
    )
    return int(result.rowcount or 0)
