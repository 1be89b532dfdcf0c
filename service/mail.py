"""Sending the e-mail outbox over SMTP (config.toml [smtp]), after the transactions that wrote it.

Never twice: a sender first claims rows (pending -> sending, with its own token) in a committed
transaction of its own; only then does it talk to the server, and it records the result in a
third. Two senders never claim the same row: on PostgreSQL the claim skips rows another sender has
locked, on SQLite the write lock serializes the claims.

With retries and backoff: a temporary failure (connection refused, 4xx) puts the row back to
pending after ``retry_seconds`` × 2^(attempts-1); a permanent one (5xx, a refused address) or the
last attempt marks it failed. A row left in "sending" by a sender that died mid-send is not sent
again (it may have gone out): after ``STALE_AFTER`` it is marked failed, for a person to look at.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import cast

from sqlalchemy import Table, select, update

from db.models import MailStatus, OutboxMail

from .config import SmtpConfig
from .runtime import Runtime

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxMail.__table__)
STALE_AFTER = timedelta(minutes=15)


class PermanentFailure(Exception):
    pass


@dataclass
class MailReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def claim(runtime: Runtime, now: datetime, limit: int) -> tuple[str, list[OutboxMail]]:
    """Claims up to ``limit`` due rows for this sender, in a transaction that commits at once."""
    token = uuid.uuid4().hex
    with runtime.work(now=now) as work:
        due = (
            select(OUTBOX.c.id)
            .where(OUTBOX.c.status == MailStatus.PENDING, OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        conn = work.session.connection()
        ids = list(conn.scalars(due))
        if not ids:
            return token, []
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == MailStatus.PENDING)
            .values(status=MailStatus.SENDING, claim_token=token, claimed_at=now, attempts=OUTBOX.c.attempts + 1)
        )
        rows = list(
            work.session.scalars(select(OutboxMail).where(OutboxMail.claim_token == token).order_by(OutboxMail.id))
        )
        work.session.expunge_all()
    return token, rows


def _message(config: SmtpConfig, mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = mail.to_addr
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    # One id per outbox row: a receiving system that sees it twice can tell.
    message["Message-ID"] = make_msgid(idstring=f"duban-outbox-{mail.id}")
    message.set_content(mail.body)
    return message


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_seconds, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        if config.security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if config.username:
        server.login(config.username, os.environ.get("DUBAN_SMTP_PASSWORD", ""))
    return server


def _send_one(server: smtplib.SMTP, config: SmtpConfig, mail: OutboxMail) -> None:
    try:
        refused = server.send_message(_message(config, mail))
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"收件地址被拒绝: {exc.recipients}") from None
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
        raise
    if refused:
        raise PermanentFailure(f"收件地址被拒绝: {refused}")


def send_outbox(runtime: Runtime, now: datetime) -> MailReport:
    """Sends what is due; returns what happened. Does nothing when SMTP is off."""
    config = runtime.config.smtp
    report = MailReport()
    if not config.enabled:
        return report
    _expire_stale_claims(runtime, now)
    token, mails = claim(runtime, now, config.batch_size)
    if not mails:
        return report
    server: smtplib.SMTP | None = None
    outcomes: list[tuple[int, MailStatus, str | None, datetime | None]] = []
    unreachable: str | None = None
    for mail in mails:
        if unreachable is not None:  # the server did not answer: the rest wait for the next try too
            outcomes.append(_retry_or_fail(config, mail, unreachable, now, report))
            continue
        try:
            if server is None:
                try:
                    server = _connect(config)
                except (OSError, smtplib.SMTPException) as exc:
                    unreachable = f"{exc.__class__.__name__}: {exc}"
                    outcomes.append(_retry_or_fail(config, mail, unreachable, now, report))
                    continue
            _send_one(server, config, mail)
            outcomes.append((mail.id, MailStatus.SENT, None, None))
            report.sent.append(mail.id)
        except PermanentFailure as exc:
            outcomes.append((mail.id, MailStatus.FAILED, str(exc), None))
            report.failed.append(mail.id)
        except (OSError, smtplib.SMTPException) as exc:
            outcomes.append(_retry_or_fail(config, mail, f"{exc.__class__.__name__}: {exc}", now, report))
            if server is not None:  # the connection may be unusable now: start a fresh one
                _quietly_close(server)
                server = None
    if server is not None:
        _quietly_close(server)
    with runtime.work(now=now) as work:
        conn = work.session.connection()
        for mail_id, status, error, retry_at in outcomes:
            values: dict[str, object] = {"status": status, "last_error": error, "claim_token": None}
            if status == MailStatus.SENT:
                values["sent_at"] = now
            if retry_at is not None:
                values["next_attempt_at"] = retry_at
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == mail_id, OUTBOX.c.claim_token == token).values(**values))
    for mail_id in report.failed:
        log.error("mail %s failed for good", mail_id)
    return report


def _retry_or_fail(
    config: SmtpConfig, mail: OutboxMail, reason: str, now: datetime, report: MailReport
) -> tuple[int, MailStatus, str | None, datetime | None]:
    """A temporary failure: back to pending after a doubling delay, or failed after the last try."""
    if mail.attempts >= config.max_attempts:
        report.failed.append(mail.id)
        return mail.id, MailStatus.FAILED, f"已尝试 {mail.attempts} 次: {reason}", None
    report.retrying.append(mail.id)
    delay = timedelta(seconds=config.retry_seconds * 2 ** (mail.attempts - 1))
    return mail.id, MailStatus.PENDING, reason, now + delay


def _quietly_close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


def _expire_stale_claims(runtime: Runtime, now: datetime) -> None:
    with runtime.work(now=now) as work:
        expired = work.session.connection().execute(
            update(OUTBOX)
            .where(OUTBOX.c.status == MailStatus.SENDING, OUTBOX.c.claimed_at < now - STALE_AFTER)
            .values(status=MailStatus.FAILED, last_error="发送中断,结果未知(为避免重复发送,不再自动重试)")
        )
    if expired.rowcount:
        log.error("%s outbox mails were left mid-send by a stopped sender; marked failed", expired.rowcount)
