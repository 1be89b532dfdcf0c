"""The outbox: e-mails and group-robot messages written with the change that caused them, sent by
the scheduler after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.vocabulary import MailStatus

from .base import Base, str_enum


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


class OutboxRobot(Base):
    """A message to a unit's group robot, written in the transaction of the notice it copies and
    sent by the scheduler after commit (claimed as the e-mails are: never twice). The robot's URL and
    secret are read when it is sent, so a changed or removed robot takes effect at once."""

    __tablename__ = "outbox_robots"
    __table_args__ = (Index("ix_outbox_robots_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(30))  # the notice's kind
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus, "robot_status", 12))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
