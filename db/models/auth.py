"""Identity beside the users table: API tokens and login throttles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .units import User


class ApiToken(Base):
    """A bearer token for scripts. Only the sha256 of the secret is kept: a copy of the table
    cannot be replayed. A token dies when revoked, when it expires, and when its user's
    session epoch moves on (password reset, account disabled)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, so a user can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    session_epoch: Mapped[int]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins counted per key ("user:NAME" or "ip:ADDRESS") until a quiet spell resets them.

    One row per key, so checking costs one primary-key read however many attempts were made."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]
    # Attempts before this instant are refused without looking at the password.
    blocked_until: Mapped[datetime | None]
    # Attempts whose password is being checked right now (reserved before the check, settled
    # after it), so that simultaneous attempts count as they would one after another; a count
    # left by a process that died mid-check lapses after a minute (``pending_since``).
    pending: Mapped[int] = mapped_column(default=0, server_default="0")
    pending_since: Mapped[datetime | None]
