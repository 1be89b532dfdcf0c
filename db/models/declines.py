"""退回交办: a unit says a step given to it is not its business; the supervisor decides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.vocabulary import DeclineStatus

from .base import Base, str_enum


class Decline(Base):
    """One 退回交办 of one human task, and the supervisor's answer (转办 to another unit, or 维持交办).
    The step stays open, its deadline running, while the decline waits."""

    __tablename__ = "declines"
    __table_args__ = (
        # At most one undecided decline per step: a second one (or a race) meets this index.
        Index(
            "uq_declines_pending_task",
            "human_task_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_declines_status", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[DeclineStatus] = mapped_column(str_enum(DeclineStatus, "decline_status", 12))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
