"""Escalations: the rungs of the ladder (提醒, 催办, 督办) a late step has reached, each once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Escalation(Base):
    """One rung of the ladder reached by one step for one deadline. The unique key makes it happen
    once per deadline, whoever runs."""

    __tablename__ = "escalations"
    __table_args__ = (
        # A rung is reached once per deadline: an extension restarts the ladder from the new one.
        UniqueConstraint("human_task_id", "level", "due_at"),
        Index("ix_escalations_level_fired", "level", "fired_at"),
        Index("ix_escalations_unit_fired", "unit_id", "fired_at"),
        Index("ix_escalations_key_task", "key_task_id"),
        # The rungs whose notices a pass has yet to write.
        Index(
            "ix_escalations_unnotified",
            "id",
            postgresql_where=text("notified_at IS NULL"),
            sqlite_where=text("notified_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    # 1 reminder (提醒), 2 催办, 3 督办
    level: Mapped[int]
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    key_task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(20))
    step_id: Mapped[str] = mapped_column(String(64))
    # The deadline it was counted from (an extension may move the step's due_at later).
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    # When its notices were written (the pass that reached it writes them at its end, as a digest
    # for a person with many); None until then.
    notified_at: Mapped[datetime | None]
