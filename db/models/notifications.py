"""In-app notices to one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Notification(Base):
    """An in-app notice to one person."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    key_task_id: Mapped[int | None] = mapped_column(ForeignKey("key_tasks.id"))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    extension_id: Mapped[int | None] = mapped_column(ForeignKey("extensions.id"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
