"""Extension requests (延期申请) on a step, and who decided them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.vocabulary import ExtensionStatus

from .base import Base, str_enum


class Extension(Base):
    """A request for more time (延期申请) on one step, decided by the supervisor (and the leader)."""

    __tablename__ = "extensions"
    __table_args__ = (
        # At most one undecided request per step: a second one (or a race) meets this index.
        Index(
            "uq_extensions_pending_task",
            "human_task_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_extensions_status_stage", "status", "stage"),
        Index("ix_extensions_unit", "unit_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    old_due_at: Mapped[datetime]
    new_due_at: Mapped[datetime]
    # Working days the deadline moves by.
    working_days: Mapped[int]
    status: Mapped[ExtensionStatus] = mapped_column(str_enum(ExtensionStatus, "extension_status", 12))
    # Who decides next while pending: "supervisor", then "leader" when the leader must grant too.
    stage: Mapped[str] = mapped_column(String(12))
    needs_leader: Mapped[bool]
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supervisor_at: Mapped[datetime | None]
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    leader_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
