"""What the scheduler keeps: escalations, extension requests, notifications, the e-mail outbox,
and the official calendar years an administrator loaded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.vocabulary import ExtensionStatus, MailStatus

from .base import Base, str_enum


class Escalation(Base):
    """One rung of the ladder reached by one step. The unique key makes it happen once, whoever runs."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("human_task_id", "level"),
        Index("ix_escalations_level_fired", "level", "fired_at"),
        Index("ix_escalations_unit_fired", "unit_id", "fired_at"),
        Index("ix_escalations_key_task", "key_task_id"),
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


class OutboxMail(Base):
    """An e-mail written in the transaction that caused it, sent by the scheduler after commit.

    A sender claims a row (pending -> sending) in its own committed transaction before it talks to
    the SMTP server, so two senders never send the same row."""

    __tablename__ = "outbox_mails"
    __table_args__ = (Index("ix_outbox_mails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus, "mail_status", 12))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class CalendarYear(Base):
    """A year's official arrangement as the State Council publishes it: it takes precedence over
    the chinese-calendar package. ``revision`` grows with every load, so every process can tell
    cheaply that it has to reload."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True)
    # {"元旦": ["2027-01-01", …], …}: named holidays; and the weekend days that are working days.
    holidays: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    workdays: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300))
    revision: Mapped[int]
    loaded_at: Mapped[datetime]
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def days(self) -> tuple[frozenset[date], frozenset[date]]:
        def flat(named: dict[str, Any]) -> frozenset[date]:
            return frozenset(date.fromisoformat(d) for days in named.values() for d in days)

        return flat(self.holidays), flat(self.workdays)
