"""Sending the group robots' outbox (企业微信 and 钉钉, config.toml [robots]) after the transactions
that wrote it, as ``service/mail.py`` sends e-mail.

Each robot takes an HTTPS POST of JSON with markdown text to the webhook URL its admin set for the
unit: 企业微信 ``{"msgtype": "markdown", "markdown": {"content": …}}``, 钉钉 ``{"msgtype":
"markdown", "markdown": {"title": …, "text": …}}``. A 钉钉 robot with 加签 gets ``timestamp`` (ms) and
``sign`` on its URL: HMAC-SHA256 keyed with the secret over ``"{timestamp}\\n{secret}"``, Base64,
URL-encoded (DingTalk's documentation of custom robots). Both answer ``{"errcode": 0, …}`` when the
message went out.

Never twice: a sender claims rows (pending -> sending, with its own token) in a committed
transaction of its own, talks to the robots, and records the results in a third. With retries and
backoff: a temporary failure (no connection, a timeout, HTTP 5xx or 429, a robot's rate limit)
puts the row back to pending after ``retry_seconds`` × 2^(attempts-1); anything else (HTTP 4xx, a
wrong key or signature, a robot the admin removed) or the last attempt marks it failed. A row left in
"sending" by a sender that died is marked failed after ``STALE_AFTER`` (it may have gone out).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select, update

from db.models import MailStatus, OutboxRobot, UnitRobot

from .addresses import resolved_refusal
from .config import RobotsConfig
from .runtime import Runtime
from .vocabulary import RobotChannel

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxRobot.__table__)
STALE_AFTER = timedelta(minutes=15)
# Rate limits and "busy": worth another try later (企业微信 45009, 钉钉 130101, both -1).
TEMPORARY_ERRCODES = frozenset({-1, 45009, 130101})
WECOM_MAX_BYTES = 4096


class Temporary(Exception):
    pass


class Permanent(Exception):
    pass


@dataclass
class RobotReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: Base64 of HMAC-SHA256 keyed with ``secret`` over ``"{timestamp_ms}\\n{secret}"``,
    URL-encoded, as DingTalk documents it for custom robots."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def target_url(robot: UnitRobot, now: datetime) -> str:
    """The URL to POST to: the admin's, with ``timestamp`` and ``sign`` for a signing 钉钉 robot."""
    if robot.channel != RobotChannel.DINGTALK or not robot.secret:
        return robot.url
    timestamp = int(now.timestamp() * 1000)
    joiner = "&" if urllib.parse.urlsplit(robot.url).query else "?"
    return f"{robot.url}{joiner}timestamp={timestamp}&sign={dingtalk_sign(robot.secret, timestamp)}"


def _clip(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    tail = "\n\n……(内容较长,请登录督办系统查看)"
    return data[: limit - len(tail.encode("utf-8"))].decode("utf-8", errors="ignore") + tail


def payload(channel: RobotChannel, title: str, text: str) -> dict[str, Any]:
    """The JSON body each robot reads (markdown)."""
    if channel == RobotChannel.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": _clip(text, WECOM_MAX_BYTES)}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The robots answer a post themselves; a redirect could lead a post inside the network."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise Permanent(f"机器人地址要求转到 {newurl[:200]},不予跟随")


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: dict[str, Any], timeout: float, *, allow_private_hosts: bool = False) -> None:
    """POSTs ``body`` as JSON; returns when the robot accepted it. Raises ``Temporary`` or ``Permanent``
    (also for a host that resolves inside the network unless ``allow_private_hosts``, and for a redirect)."""
    parts = urllib.parse.urlsplit(url)
    if not allow_private_hosts:
        refusal = resolved_refusal(parts.hostname or "", parts.port)
        if refusal:
            raise Permanent(f"机器人地址不是公网地址,不予发送:{refusal}")
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise Temporary(f"HTTP {exc.code}") from None
        raise Permanent(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise Temporary(f"{exc.__class__.__name__}: {exc}") from None
    try:
        said = json.loads(answer)
        errcode = int(said.get("errcode", -1))
    except (ValueError, TypeError, AttributeError):
        raise Permanent(f"机器人的应答无法识别: {answer[:200]!r}") from None
    if errcode == 0:
        return
    reason = f"errcode {errcode}: {said.get('errmsg', '')}"
    if errcode in TEMPORARY_ERRCODES:
        raise Temporary(reason)
    raise Permanent(reason)


def _claim(runtime: Runtime, now: datetime, limit: int) -> tuple[str, list[OutboxRobot], dict[int, UnitRobot]]:
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
            return token, [], {}
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == MailStatus.PENDING)
            .values(status=MailStatus.SENDING, claim_token=token, claimed_at=now, attempts=OUTBOX.c.attempts + 1)
        )
        rows = list(
            work.session.scalars(select(OutboxRobot).where(OutboxRobot.claim_token == token).order_by(OutboxRobot.id))
        )
        units = {row.unit_id for row in rows}
        robots = {r.unit_id: r for r in work.session.scalars(select(UnitRobot).where(UnitRobot.unit_id.in_(units)))}
        work.session.expunge_all()
    return token, rows, robots


def send_robots(runtime: Runtime, now: datetime) -> RobotReport:
    """Sends what is due to the robots; returns what happened. Does nothing when [robots] is off."""
    config = runtime.config.robots
    report = RobotReport()
    if not config.enabled:
        return report
    _expire_stale_claims(runtime, now)
    token, rows, robots = _claim(runtime, now, config.batch_size)
    outcomes: list[tuple[int, MailStatus, str | None, datetime | None]] = []
    for row in rows:
        robot = robots.get(row.unit_id)
        try:
            if robot is None:
                raise Permanent("该单位已不再设置群机器人")
            post(
                target_url(robot, now),
                payload(robot.channel, row.title, row.text),
                config.timeout_seconds,
                allow_private_hosts=config.allow_private_hosts,
            )
        except Permanent as exc:
            outcomes.append((row.id, MailStatus.FAILED, str(exc), None))
            report.failed.append(row.id)
        except Temporary as exc:
            outcomes.append(_retry_or_fail(config, row, str(exc), now, report))
        else:
            outcomes.append((row.id, MailStatus.SENT, None, None))
            report.sent.append(row.id)
    if outcomes:
        with runtime.work(now=now) as work:
            conn = work.session.connection()
            for row_id, status, error, retry_at in outcomes:
                values: dict[str, object] = {"status": status, "last_error": error, "claim_token": None}
                if status == MailStatus.SENT:
                    values["sent_at"] = now
                if retry_at is not None:
                    values["next_attempt_at"] = retry_at
                conn.execute(
                    update(OUTBOX).where(OUTBOX.c.id == row_id, OUTBOX.c.claim_token == token).values(**values)
                )
    for row_id in report.failed:
        log.error("robot message %s failed for good", row_id)
    return report


def _retry_or_fail(
    config: RobotsConfig, row: OutboxRobot, reason: str, now: datetime, report: RobotReport
) -> tuple[int, MailStatus, str | None, datetime | None]:
    if row.attempts >= config.max_attempts:
        report.failed.append(row.id)
        return row.id, MailStatus.FAILED, f"已尝试 {row.attempts} 次: {reason}", None
    report.retrying.append(row.id)
    return row.id, MailStatus.PENDING, reason, now + timedelta(seconds=config.retry_seconds * 2 ** (row.attempts - 1))


def _expire_stale_claims(runtime: Runtime, now: datetime) -> None:
    with runtime.work(now=now) as work:
        expired = work.session.connection().execute(
            update(OUTBOX)
            .where(OUTBOX.c.status == MailStatus.SENDING, OUTBOX.c.claimed_at < now - STALE_AFTER)
            .values(status=MailStatus.FAILED, last_error="发送中断,结果未知(为避免重复发送,不再自动重试)")
        )
    if expired.rowcount:
        log.error("%s robot messages were left mid-send by a stopped sender; marked failed", expired.rowcount)
