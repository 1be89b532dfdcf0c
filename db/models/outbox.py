"""The e-mail outbox: mail written with the change that caused it, sent by the scheduler after commit."""

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
