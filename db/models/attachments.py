"""Files attached to a step: who attached what; the bytes live on disk under their sha256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Attachment(Base):
    """A file attached to a step. The bytes live on disk under their sha256 (content-addressed:
    the same file uploaded twice is stored once); this row says who attached what to which step."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_human_task", "human_task_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
