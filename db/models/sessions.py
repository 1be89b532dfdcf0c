"""Web sessions, kept server-side so that they can end before their cookie does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class WebSession(Base):
    """A logged-in browser. Its cookie carries a random key; only the key's sha256 is kept here,
    so a copy of the table logs nobody in. A session lives until ``expires_at`` unless it ends
    first (``ended_at``, ``ended_why``): logout, the account disabled, its password reset."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # logout | disabled | password_reset
    ended_why: Mapped[str | None] = mapped_column(String(20))
